//! `otadoctor serve` for the tests: the real binary started on 127.0.0.1:0 with the test's
//! options and its own TMPDIR (where its uploads go, so a test can see them removed), stopped
//! with its process when dropped; and a plain HTTP/1.1 client on std's TcpStream that sends
//! exactly what it is given (oversized, cross-origin, unauthenticated requests included).

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `otadoctor serve`.
pub struct Serve {
    pub addr: SocketAddr,
    /// What it printed after its address (its settings).
    pub banner: Vec<String>,
    /// Its TMPDIR: uploads are made under it.
    pub tmp: tempfile::TempDir,
    /// What it wrote to standard error (one line per request).
    log: Arc<Mutex<Vec<u8>>>,
    child: Child,
}

impl Serve {
    /// Starts `otadoctor serve --listen 127.0.0.1:0 ARGS`.
    pub fn start(args: &[String]) -> Serve {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut child = Command::new(env!("CARGO_BIN_EXE_otadoctor"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("TMPDIR", tmp.path())
            .env_remove("https_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("http_proxy")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start otadoctor serve");
        // its request log goes to standard error: kept, and read away as it comes so that the
        // server never blocks on it
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut log) = log.lock() {
                        log.extend_from_slice(&chunk[..n]);
                    }
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = match lines.next() {
            Some(Ok(line)) => line,
            _ => {
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                let said = log
                    .lock()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .unwrap_or_default();
                panic!("otadoctor serve did not start: {said}");
            }
        };
        let addr: SocketAddr = first
            .rsplit("http://")
            .next()
            .and_then(|a| a.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let mut banner = Vec::new();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            let last = line.contains("Ctrl-C");
            banner.push(line);
            if last {
                break;
            }
        }
        // the rest of standard output is read away so the server never blocks on it
        std::thread::spawn(move || for _ in lines {});
        Serve {
            addr,
            banner,
            tmp,
            log,
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> Reply {
        http(self.addr, "GET", path, &[], b"")
    }

    /// `POST /api/check` with a JSON body.
    pub fn api(&self, body: &serde_json::Value) -> Reply {
        http(
            self.addr,
            "POST",
            "/api/check",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// `POST path` with a multipart/form-data body of these fields and files.
    pub fn multipart(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Reply {
        let (content_type, body) = multipart(fields, files);
        http(self.addr, "POST", path, &[("Content-Type", &content_type)], &body)
    }

    /// Its request log so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    }

    /// What is left in the server's TMPDIR.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.tmp.path())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }
}

/// One request on its own connection (`Connection: close`), the answer read to its end.
pub fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) && method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    // a server may answer (413) before the body is sent whole, and close
    let _ = stream.write_all(body);
    read_reply(&mut stream)
}

fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// A multipart/form-data body: its Content-Type and bytes.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----otadoctor-test-7d1c6b1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The report without what differs from run to run (every timing), to compare two runs.
pub fn without_timings(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .filter(|(k, _)| !(k.as_str() == "timing" || k.as_str() == "ms" || k.ends_with("_ms")))
                .map(|(k, v)| (k.clone(), without_timings(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(without_timings).collect()),
        other => other.clone(),
    }
}

/// The lab's options for `serve`, as `--option=value` (the serve command takes the trust and
/// network options every check gets).
pub fn lab_args(lab_args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut items = lab_args.iter();
    while let Some(option) = items.next() {
        match items.next() {
            Some(value) if option.starts_with("--") => out.push(format!("{option}={value}")),
            _ => panic!("unexpected lab argument {option}"),
        }
    }
    out
}

/// Whether `path` is under `dir`.
pub fn under(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}
