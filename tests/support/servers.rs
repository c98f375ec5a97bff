//! Real web servers for the tests: nginx, Apache httpd and Caddy from the system's packages, each
//! started as a child of the test on 127.0.0.1 ports with a config and files written into a temp
//! dir (no system config read but the servers' stock MIME tables, nothing outside the dir
//! written), waited for until every port answers, and stopped with its whole process group when
//! dropped, also when the test fails.
//!
//! A missing binary skips the test with a message, unless `OTADOCTOR_REQUIRE_SERVERS` is set
//! (`.ci/run` sets it and installs the packages).

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Nginx,
    Apache,
    Caddy,
    /// An HTTP proxy (CONNECT), for tests/proxy.rs.
    Tinyproxy,
}

impl Kind {
    /// The binary's name.
    pub fn binary_name(self) -> &'static str {
        match self {
            Kind::Nginx => "nginx",
            Kind::Apache => "apache2",
            Kind::Caddy => "caddy",
            Kind::Tinyproxy => "tinyproxy",
        }
    }

    /// The Debian package that has it.
    fn package(self) -> &'static str {
        match self {
            Kind::Nginx => "nginx",
            Kind::Apache => "apache2",
            Kind::Caddy => "caddy",
            Kind::Tinyproxy => "tinyproxy",
        }
    }

    fn config_file(self) -> &'static str {
        match self {
            Kind::Nginx => "nginx.conf",
            Kind::Apache => "httpd.conf",
            Kind::Caddy => "Caddyfile",
            Kind::Tinyproxy => "tinyproxy.conf",
        }
    }
}

/// The server's binary; `None` (the test is then skipped, and says so) when it is not installed
/// and `OTADOCTOR_REQUIRE_SERVERS` is not set. With the variable set, a missing binary fails.
pub fn binary(kind: Kind) -> Option<PathBuf> {
    program(kind.binary_name(), kind.package())
}

/// A program the tests need from Debian `package` (a server, the browser): as `binary`.
pub fn program(name: &str, package: &str) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    // apache2 and nginx live in /usr/sbin, which a non-root PATH often leaves out
    let extra = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin"].map(PathBuf::from);
    let found = path_dirs
        .into_iter()
        .chain(extra)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file());
    if found.is_none() {
        if std::env::var_os("OTADOCTOR_REQUIRE_SERVERS").is_some() {
            panic!(
                "{name} is not installed and OTADOCTOR_REQUIRE_SERVERS is set: apt-get install {package} (.ci/run does)"
            );
        }
        eprintln!(
            "SKIPPED: {name} is not installed, so its tests did not run (apt-get install {package}; set OTADOCTOR_REQUIRE_SERVERS=1 to make a missing program fail)"
        );
    }
    found
}

/// Whether the tests run as root: the servers then hand their workers to an unprivileged user,
/// who must be able to read the files (Apache refuses to serve as root).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// A directory under the system temp dir, readable by everyone (a server's workers may run as
/// another user), removed when dropped.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("otadoctor-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        set_mode(&path, 0o755);
        TempDir { path }
    }

    /// Writes `bytes` to `relative` (folders made as needed, readable by everyone); returns the
    /// absolute path.
    pub fn write(&self, relative: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folders");
            let mut dir = parent;
            while dir.starts_with(&self.path) {
                set_mode(dir, 0o755);
                match dir.parent() {
                    Some(up) => dir = up,
                    None => break,
                }
            }
        }
        std::fs::write(&path, bytes).expect("write a server file");
        set_mode(&path, 0o644);
        path.display().to_string()
    }

    /// A path inside (not created).
    pub fn join(&self, relative: &str) -> String {
        self.path.join(relative).display().to_string()
    }

    /// Makes an empty folder inside.
    pub fn mkdir(&self, relative: &str) -> String {
        let path = self.path.join(relative);
        std::fs::create_dir_all(&path).expect("folder");
        set_mode(&path, 0o755);
        path.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// `n` distinct free loopback ports: bound together on :0, then released for the server.
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners.iter().map(|l| l.local_addr().expect("port").port()).collect()
}

/// A running server: its process group is stopped when this is dropped.
pub struct RealServer {
    pub kind: Kind,
    /// The ports its config listens on, in the order the config was given them.
    pub ports: Vec<u16>,
    child: Option<Child>,
    log: PathBuf,
    dir: PathBuf,
}

impl RealServer {
    /// Starts `kind` from `binary` in `dir`, with the config `config` writes for `n` free ports
    /// (it may write more files, such as document roots that name the ports), and waits until every
    /// port accepts connections. A port taken by someone else between choosing it and the server
    /// binding it makes the server exit; it is then started again on other ports (three tries).
    pub fn start(kind: Kind, binary: &Path, dir: &TempDir, n: usize, config: impl Fn(&[u16]) -> String) -> RealServer {
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let ports = free_ports(n);
            let config_path = dir.write(kind.config_file(), config(&ports));
            let log = dir.path.join(format!("{}-{attempt}.out", kind.binary_name()));
            let out = std::fs::File::create(&log).expect("server log");
            let err = out.try_clone().expect("server log");
            let mut command = Command::new(binary);
            match kind {
                Kind::Nginx => {
                    let prefix = format!("{}/", dir.path.display());
                    command.args([
                        "-p",
                        &prefix,
                        "-e",
                        &dir.join("error.log"),
                        "-c",
                        &config_path,
                        "-g",
                        "daemon off;",
                    ]);
                }
                Kind::Apache => {
                    command.args(["-d", &dir.join(""), "-f", &config_path, "-DFOREGROUND"]);
                }
                Kind::Caddy => {
                    command
                        .args(["run", "--config", &config_path, "--adapter", "caddyfile"])
                        // caddy keeps its data and autosaved config under these: keep them in the dir
                        .env("HOME", &dir.path)
                        .env("XDG_DATA_HOME", dir.join("xdg-data"))
                        .env("XDG_CONFIG_HOME", dir.join("xdg-config"));
                }
                // -d: in the foreground
                Kind::Tinyproxy => {
                    command.args(["-d", "-c", &config_path]);
                }
            }
            let child = command
                .stdin(Stdio::null())
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err))
                // its own process group, so that its workers are stopped with it
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut server = RealServer {
                kind,
                ports,
                child: Some(child),
                log,
                dir: dir.path.clone(),
            };
            match server.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return server,
                Err(why) => {
                    let logs = server.logs();
                    drop(server);
                    let taken = logs.contains("in use");
                    failures.push(format!("try {}: {why}\n{logs}", attempt + 1));
                    if !taken {
                        break;
                    }
                }
            }
        }
        panic!("{} did not start:\n{}", kind.binary_name(), failures.join("\n"));
    }

    /// Polls every port until it accepts a connection; fails if the server exits first or the
    /// time runs out.
    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("it exited ({status})"));
            }
            let ready = self.ports.iter().all(|port| {
                std::net::TcpStream::connect_timeout(
                    &std::net::SocketAddr::from(([127, 0, 0, 1], *port)),
                    Duration::from_millis(200),
                )
                .is_ok()
            });
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "its ports {:?} did not all answer within {limit:?}",
                    self.ports
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// What the server wrote to its standard output and error, and to the error log in its dir.
    pub fn logs(&self) -> String {
        let mut out = std::fs::read_to_string(&self.log).unwrap_or_default();
        if let Ok(error_log) = std::fs::read_to_string(self.dir.join("error.log")) {
            out.push_str(&error_log);
        }
        out
    }

    /// `--resolve` options that pin `host` on every port of the server to 127.0.0.1.
    pub fn resolve_args(&self, host: &str) -> Vec<String> {
        self.ports
            .iter()
            .flat_map(|port| ["--resolve".to_string(), format!("{host}:{port}:127.0.0.1")])
            .collect()
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let group = format!("-{}", child.id());
        // nginx and Apache stop their workers on TERM, then exit; caddy shuts down gracefully
        signal(&group, "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // the leader is still there (not reaped), so the group is still ours to kill
        signal(&group, "KILL");
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Sends `signal` to the process group `group` (`-PGID`) of a server (or chromedriver) a test
/// started.
pub fn signal(group: &str, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, "--", group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A raw HTTP/1.1 request over TLS to 127.0.0.1:`port` (SNI and Host `host`, the chain checked
/// against `root`), for the facts otadoctor's own client does not show (what a server answers
/// to headers otadoctor does not send). Returns the status line and the header lines, names in
/// lower case.
pub fn raw_request(
    port: u16,
    host: &str,
    root: &rustls::pki_types::CertificateDer<'static>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).expect("root");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).expect("server name");
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    tls.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers)
}
