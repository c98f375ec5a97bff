//! Proxies: a CONNECT proxy written here (tokio, on 127.0.0.1, counting the tunnels and the
//! host:port each asks for) in front of the lab. A link checked through `--proxy` and through
//! `HTTPS_PROXY` (set on the child process only), `NO_PROXY` and `--no-proxy` bypassing it, the
//! probe's handshake through the tunnel (the chain reported is the lab's), a proxy that answers
//! 407 or 403, a dead one, one that closes mid-answer, sends an endless head or never answers
//! (each named as the proxy's failure, within bounds), credentials never printed, and a proxy
//! that intercepts TLS (its own rcgen CA) said as such; and tinyproxy, a real proxy, the same way.

mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use support::lab::Site;
use support::{NOW, Run, otadoctor_args};

const HOST: &str = "ota.corp-apps.io";

/// What the test proxy does with a CONNECT.
#[derive(Clone)]
enum Behaviour {
    /// Opens the tunnel to 127.0.0.1 at the port asked for (every name is the lab's).
    Tunnel,
    /// Opens it only for this Proxy-Authorization value; else 407.
    TunnelWithAuth(String),
    /// Answers this head and closes.
    Answer(&'static str),
    /// Sends part of a status line and closes.
    CloseMidAnswer,
    /// Sends a status line, then header lines without end.
    EndlessHeader,
    /// Reads the request and never answers.
    Silent,
    /// Opens the tunnel, then terminates TLS with a certificate of its own CA and speaks to the
    /// lab itself (trusting the lab's root), as a TLS-inspecting corporate proxy does.
    Intercept(Arc<Interceptor>),
}

struct Interceptor {
    server: Arc<rustls::ServerConfig>,
    upstream: Arc<rustls::ClientConfig>,
    root_pem: String,
}

/// One CONNECT request the proxy got.
#[derive(Debug, Clone)]
struct Connect {
    target: String,
    authorization: Option<String>,
}

struct TestProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Connect>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// A runtime of its own and a listener on a free loopback port.
fn loopback() -> (tokio::runtime::Runtime, TcpListener) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    (runtime, listener)
}

impl TestProxy {
    fn start(behaviour: Behaviour) -> TestProxy {
        let (runtime, listener) = loopback();
        let addr = listener.local_addr().expect("proxy addr");
        let seen: Arc<Mutex<Vec<Connect>>> = Arc::default();
        let log = seen.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (behaviour, log) = (behaviour.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = serve(client, behaviour, log).await;
                });
            }
        });
        TestProxy {
            addr,
            seen,
            runtime: Some(runtime),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    fn connects(&self) -> Vec<Connect> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Reads a request head (at most 16 KiB) a byte at a time.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        if stream.read(&mut byte).await? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

async fn serve(mut client: TcpStream, behaviour: Behaviour, log: Arc<Mutex<Vec<Connect>>>) -> std::io::Result<()> {
    let head = read_head(&mut client).await?;
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_string());
    // an http URL comes forwarded: `GET http://host:port/path HTTP/1.1`
    if let Some((method, rest)) = request_line.split_once(" http://") {
        log.lock().expect("log").push(Connect {
            target: format!("{method} http://{}", rest.split(' ').next().unwrap_or_default()),
            authorization,
        });
        let (authority, path) = rest.split_once('/').unwrap_or((rest, " HTTP/1.1"));
        let port: u16 = authority
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(80);
        let mut upstream = TcpStream::connect(("127.0.0.1", port)).await?;
        let forwarded: Vec<&str> = head
            .lines()
            .skip(1)
            .filter(|l| !l.to_ascii_lowercase().starts_with("proxy-"))
            .collect();
        let request = format!("{method} /{path}\r\n{}\r\n", forwarded.join("\r\n"));
        upstream.write_all(request.as_bytes()).await?;
        return tokio::io::copy_bidirectional(&mut client, &mut upstream)
            .await
            .map(|_| ());
    }
    let Some(target) = request_line
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .map(str::to_string)
    else {
        client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n").await?;
        return Ok(());
    };
    log.lock().expect("log").push(Connect {
        target: target.clone(),
        authorization: authorization.clone(),
    });
    let (host, port) = target.rsplit_once(':').unwrap_or((target.as_str(), "443"));
    let port: u16 = port.parse().unwrap_or(443);
    match behaviour {
        Behaviour::Answer(answer) => client.write_all(answer.as_bytes()).await,
        Behaviour::CloseMidAnswer => {
            client.write_all(b"HTTP/1.1 200 Conn").await?;
            client.shutdown().await
        }
        Behaviour::EndlessHeader => {
            client.write_all(b"HTTP/1.1 200 OK\r\n").await?;
            let line = format!("X-Pad: {}\r\n", "a".repeat(1000));
            // until the client goes away (4 MiB at most)
            for _ in 0..4096 {
                client.write_all(line.as_bytes()).await?;
            }
            Ok(())
        }
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        }
        Behaviour::TunnelWithAuth(wanted) if authorization.as_deref() != Some(wanted.as_str()) => {
            client
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n")
                .await
        }
        Behaviour::Tunnel | Behaviour::TunnelWithAuth(_) => {
            let mut upstream = TcpStream::connect(("127.0.0.1", port)).await?;
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
            tokio::io::copy_bidirectional(&mut client, &mut upstream).await.map(|_| ())
        }
        Behaviour::Intercept(interceptor) => {
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
            let mut inner = tokio_rustls::TlsAcceptor::from(interceptor.server.clone())
                .accept(client)
                .await?;
            let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
            let name = ServerName::try_from(host.to_string()).map_err(std::io::Error::other)?;
            let mut outer = tokio_rustls::TlsConnector::from(interceptor.upstream.clone())
                .connect(name, tcp)
                .await?;
            tokio::io::copy_bidirectional(&mut inner, &mut outer).await.map(|_| ())
        }
    }
}

/// A TLS-inspecting proxy's CA ("Corp Proxy Inspection CA") and its certificate for `host`,
/// and a client that trusts the lab's root for the proxy's own connection to the site.
fn interceptor(host: &str, lab_root: CertificateDer<'static>) -> Arc<Interceptor> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = KeyPair::generate().expect("proxy CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("proxy CA params");
    ca.distinguished_name
        .push(DnType::CommonName, "Corp Proxy Inspection CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = NOW - time::Duration::days(100);
    ca.not_after = NOW + time::Duration::days(1000);
    let ca_cert = ca.self_signed(&ca_key).expect("proxy CA");
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().expect("proxy leaf key");
    let mut leaf = CertificateParams::new(vec![host.to_string()]).expect("proxy leaf params");
    leaf.distinguished_name.push(DnType::CommonName, host);
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = NOW - time::Duration::days(1);
    leaf.not_after = NOW + time::Duration::days(30);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("proxy leaf");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .expect("proxy server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(lab_root).expect("lab root");
    let upstream = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(Interceptor {
        server: Arc::new(server),
        upstream: Arc::new(upstream),
        root_pem: ca_cert.pem(),
    })
}

/// `otadoctor --format json` for the site's link, with `extra` options.
fn check(site: &Site, extra: &[&str]) -> Run {
    let mut args = site.args(extra);
    args.push(site.link());
    otadoctor_args(&args)
}

/// The same in another format.
fn check_as(site: &Site, format: &str, extra: &[&str]) -> Run {
    let mut args = site.lab.args(&[&site.host]);
    args.extend(["--format", format, "--sarif-anchor", "install.html"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(site.link());
    otadoctor_args(&args)
}

/// The same run as a child process with exactly `env` for environment.
fn check_with_env(site: &Site, env: &[(&str, String)], extra: &[&str]) -> Run {
    let mut args = site.args(extra);
    args.extend(["--now".to_string(), "2026-11-25T12:00:00Z".to_string(), site.link()]);
    child(&args, env)
}

/// `otadoctor ARGS` as a child process with exactly `env` for environment.
fn child(args: &[String], env: &[(&str, String)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .output()
        .expect("run otadoctor");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn codes(run: &Run) -> Vec<String> {
    run.codes()
}

/// The host facts of the site's host in a JSON report.
fn host_facts(run: &Run) -> Value {
    facts_of(run, HOST)
}

fn facts_of(run: &Run, host: &str) -> Value {
    let doc = run.json();
    doc["results"][0]["facts"]["hosts"]
        .as_array()
        .and_then(|hosts| hosts.iter().find(|h| h["host"] == host).cloned())
        .unwrap_or_else(|| panic!("no host facts for {host}:\n{}", run.stdout))
}

fn findings(run: &Run) -> Vec<Value> {
    run.json()["results"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn lab_leaf_hex(site: &Site) -> String {
    // the lab serves the leaf its Pki made for the host: read it off a direct run
    let direct = check(site, &[]);
    host_facts(&direct)["probe"]["tls"]["chain_der_hex"][0]
        .as_str()
        .expect("a chain on the direct run")
        .to_string()
}

#[test]
fn a_link_checked_through_proxy_goes_through_connect_and_judges_the_sites_own_chain() {
    let site = Site::correct(HOST);
    let proxy = TestProxy::start(Behaviour::Tunnel);
    let direct_leaf = lab_leaf_hex(&site);
    let url = proxy.url();
    let run = check(&site, &["--proxy", &url]);
    assert_eq!(run.code, 0, "{:?}\n{}", codes(&run), run.stdout);
    let connects = proxy.connects();
    let asked = format!("{HOST}:{}", site.lab.addr.port());
    assert!(!connects.is_empty(), "the proxy saw no CONNECT");
    assert!(connects.iter().all(|c| c.target == asked), "{connects:?}");
    assert!(connects.iter().all(|c| c.authorization.is_none()), "{connects:?}");
    let host = host_facts(&run);
    assert_eq!(host["proxy"]["url"], url.as_str());
    assert_eq!(host["proxy"]["source"], "--proxy");
    assert_eq!(host["proxy"]["credentials"], false);
    // the --resolve pin of the lab's args named the host: the proxy resolved it instead
    assert_eq!(host["proxy"]["resolve_not_used"], true);
    assert_eq!(host["dns"]["source"], "proxy");
    assert_eq!(host["probe"]["address"], proxy.addr.to_string());
    assert!(host["probe"]["tunnel_ms"].is_u64(), "{host}");
    // the probe's handshake ran inside the tunnel: the chain is the lab's, end to end
    assert_eq!(host["probe"]["tls"]["chain_der_hex"][0], direct_leaf.as_str());
    assert_eq!(host["probe"]["tls"]["verdict"], "ok", "{host}");
    assert!(!site.lab.requests().is_empty());
    // the human report says it on the host line
    let human = check_as(&site, "human", &["--proxy", &url]);
    // (the line wraps at 100 columns)
    assert!(
        human.says(&format!("host {asked} · via proxy {url} · name resolved by the proxy")),
        "{}",
        human.stdout
    );
}

#[test]
fn https_proxy_in_the_environment_is_used_and_no_proxy_bypasses_it() {
    let site = Site::correct(HOST);
    let proxy = TestProxy::start(Behaviour::Tunnel);
    let run = check_with_env(&site, &[("HTTPS_PROXY", proxy.url())], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let tunnels = proxy.connects().len();
    assert!(tunnels > 0, "HTTPS_PROXY was not used");
    assert_eq!(host_facts(&run)["proxy"]["source"], "HTTPS_PROXY");
    // a domain suffix with its leading dot: the host is reached directly, the proxy sees nothing
    let run = check_with_env(
        &site,
        &[("HTTPS_PROXY", proxy.url()), ("NO_PROXY", ".corp-apps.io".to_string())],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(proxy.connects().len(), tunnels, "NO_PROXY did not bypass the proxy");
    assert!(host_facts(&run).get("proxy").is_none());
    // --no-proxy replaces NO_PROXY: "" sends every host through the proxy again
    let run = check_with_env(
        &site,
        &[("HTTPS_PROXY", proxy.url()), ("NO_PROXY", HOST.to_string())],
        &["--no-proxy", ""],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(proxy.connects().len() > tunnels);
    // http_proxy is for http URLs alone, HTTP_PROXY is never read: an https site goes direct
    let before = proxy.connects().len();
    let run = check_with_env(&site, &[("http_proxy", proxy.url()), ("HTTP_PROXY", proxy.url())], &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(proxy.connects().len(), before);
    // --proxy '' turns the variable's proxy off, as curl's -x ""
    let run = check_with_env(&site, &[("HTTPS_PROXY", proxy.url())], &["--proxy", ""]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(proxy.connects().len(), before);
    // --no-proxy in process, an exact name
    let url = proxy.url();
    let run = check(&site, &["--proxy", &url, "--no-proxy", HOST]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(proxy.connects().len(), before);
}

#[test]
fn http_proxy_forwards_an_http_url_with_its_credentials() {
    let site = Site::correct(HOST);
    // the same manifest, also served over plain http on a port of its own
    let (runtime, listener) = loopback();
    let http_port = listener.local_addr().expect("addr").port();
    let plain = otadoctor::demo::server::Server::new(Default::default(), None, true);
    plain.route(
        Site::MANIFEST,
        support::lab::Route::ok("text/xml", site.manifest_text().into_bytes()),
    );
    plain.serve_plain(&runtime, listener);
    let proxy = TestProxy::start(Behaviour::Tunnel);
    let proxy_url = format!("http://u7qprox:Zq9xK2%20pw@127.0.0.1:{}", proxy.addr.port());
    let manifest_url = format!("http://{HOST}:{http_port}{}", Site::MANIFEST);
    let mut args = site.args(&["--now", "2026-11-25T12:00:00Z"]);
    args.push(manifest_url.clone());
    let run = child(&args, &[("http_proxy", proxy_url)]);
    // the http manifest went through the proxy, forwarded (no CONNECT), with the credentials
    let connects = proxy.connects();
    assert!(
        connects.iter().any(|c| c.target == format!("GET {manifest_url}")
            && c.authorization.as_deref() == Some("Basic dTdxcHJveDpacTl4SzIgcHc=")),
        "{connects:?}\n{}",
        run.stdout
    );
    // and nothing was tunnelled
    assert!(connects.iter().all(|c| !c.target.starts_with(HOST)), "{connects:?}");
    assert!(plain.requests().iter().any(|r| r.path == Site::MANIFEST));
    let doc = run.json();
    let hosts = doc["results"][0]["facts"]["hosts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let http_host = hosts
        .iter()
        .find(|h| h["port"] == http_port)
        .unwrap_or_else(|| panic!("no facts for the http host: {hosts:#?}"));
    assert_eq!(http_host["proxy"]["source"], "http_proxy");
    assert_eq!(http_host["proxy"]["credentials"], true);
    assert!(!run.stdout.contains("Zq9xK2") && !run.stdout.contains("u7qprox"));
    runtime.shutdown_background();
}

/// The one NET003 finding a failed proxy gives, and no finding of the site's TLS.
fn proxy_failure(run: &Run) -> Value {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let all = findings(run);
    let net: Vec<&Value> = all.iter().filter(|f| f["code"] == "NET003").collect();
    assert_eq!(net.len(), 1, "{all:#?}");
    assert!(
        all.iter()
            .all(|f| !f["code"].as_str().unwrap_or_default().starts_with("TLS")),
        "{all:#?}"
    );
    net[0].clone()
}

#[test]
fn a_proxy_that_refuses_connect_is_named_as_the_cause_not_the_site() {
    let site = Site::correct(HOST);
    for (answer, status, words) in [
        (
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n\r\n",
            407,
            "407 Proxy Authentication Required (it wants credentials)",
        ),
        (
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
            403,
            "403 Forbidden",
        ),
    ] {
        let proxy = TestProxy::start(Behaviour::Answer(answer));
        let url = proxy.url();
        let run = check(&site, &["--proxy", &url]);
        let finding = proxy_failure(&run);
        let message = finding["message"].as_str().unwrap_or_default();
        let asked = format!("{HOST}:{}", site.lab.addr.port());
        assert!(
            message.contains(&format!("the proxy {url} refused CONNECT {asked}: {words}")),
            "{message}"
        );
        assert!(message.contains("not the site's"), "{message}");
        let fix = finding["fix"].as_str().unwrap_or_default();
        match status {
            407 => assert!(fix.contains("--proxy http://USER:PASSWORD@HOST:PORT"), "{fix}"),
            _ => assert!(fix.contains("the proxy's policy refuses"), "{fix}"),
        }
        let probe_error = &host_facts(&run)["probe"]["error"];
        assert_eq!(probe_error["kind"], "proxy", "{probe_error}");
        assert_eq!(probe_error["status"], status);
        assert_eq!(probe_error["proxy"], url.as_str());
        assert!(
            site.lab.requests().is_empty(),
            "the site was reached past a refusing proxy"
        );
    }
}

#[test]
fn a_dead_proxy_is_said_to_be_unreachable() {
    let site = Site::correct(HOST);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = check(&site, &["--proxy", &url]);
    let finding = proxy_failure(&run);
    let message = finding["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("the proxy {url} cannot be reached: connection refused")),
        "{message}"
    );
    assert_eq!(host_facts(&run)["probe"]["error"]["failure"], "unreachable");
}

#[test]
fn a_broken_or_stuck_proxy_ends_within_bounds_and_is_named() {
    let site = Site::correct(HOST);
    for (behaviour, words, failure) in [
        (
            Behaviour::CloseMidAnswer,
            "closed the connection in the middle of its answer",
            "broken-answer",
        ),
        (
            Behaviour::EndlessHeader,
            "sent more than 16 KiB of answer to CONNECT",
            "broken-answer",
        ),
        (Behaviour::Silent, "gave no complete answer to CONNECT", "timeout"),
    ] {
        let proxy = TestProxy::start(behaviour);
        let url = proxy.url();
        let start = Instant::now();
        let run = check(&site, &["--proxy", &url, "--timeout", "1"]);
        assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
        let finding = proxy_failure(&run);
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("the proxy {url} {words}")), "{message}");
        assert_eq!(host_facts(&run)["probe"]["error"]["failure"], failure);
    }
}

#[test]
fn proxy_credentials_are_sent_and_never_printed() {
    let site = Site::correct(HOST);
    // base64("u7qprox:Zq9xK2 pw")
    let header = "Basic dTdxcHJveDpacTl4SzIgcHc=";
    let proxy = TestProxy::start(Behaviour::TunnelWithAuth(header.to_string()));
    let with = format!("http://u7qprox:Zq9xK2%20pw@127.0.0.1:{}", proxy.addr.port());
    let wrong = format!("http://u7qprox:W8rongPw4x@127.0.0.1:{}", proxy.addr.port());
    let secrets = ["Zq9xK2", "W8rongPw4x", "u7qprox", &header[6..16]];
    let clean = check(&site, &[]).code;
    for format in ["json", "human", "sarif", "markdown", "github", "gitlab", "junit"] {
        for url in [&with, &wrong] {
            let run = check_as(&site, format, &["--proxy", url]);
            let all = format!("{}{}", run.stdout, run.stderr);
            for secret in secrets {
                let at = all.find(secret);
                let around = at.map(|at| &all[at.saturating_sub(200)..(at + 200).min(all.len())]);
                assert!(at.is_none(), "{format} printed {secret}: …{around:?}…");
            }
            let expected = if url == &with { clean } else { 1 };
            assert_eq!(run.code, expected, "{format} {}\n{}", run.stdout, run.stderr);
        }
    }
    let connects = proxy.connects();
    assert!(connects.iter().any(|c| c.authorization.as_deref() == Some(header)));
    // the facts say credentials were sent, never which
    let run = check(&site, &["--proxy", &with]);
    assert_eq!(host_facts(&run)["proxy"]["credentials"], true);
    assert_eq!(
        host_facts(&run)["proxy"]["url"],
        format!("http://127.0.0.1:{}", proxy.addr.port()).as_str()
    );
    // refused credentials: said so, without them
    let run = check(&site, &["--proxy", &wrong]);
    let finding = proxy_failure(&run);
    assert!(
        finding["message"]
            .as_str()
            .unwrap_or_default()
            .contains("(it refused the credentials given)"),
        "{finding}"
    );
    // a bad --proxy value is refused (exit 2) without echoing its password
    let run = otadoctor_args(&[
        "--proxy".to_string(),
        "socks5://bob:hunter22@127.0.0.1:1".to_string(),
        site.link(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("socks5:// proxy is not supported"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("hunter22") && !run.stderr.contains("bob"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_proxy_that_intercepts_tls_is_said_to_and_how_to_see_past_it() {
    let site = Site::correct(HOST);
    let interceptor = interceptor(HOST, site.lab.pki.root_der());
    let root_pem = interceptor.root_pem.clone();
    let proxy = TestProxy::start(Behaviour::Intercept(interceptor));
    let url = proxy.url();
    let run = check(&site, &["--proxy", &url]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let all = findings(&run);
    let untrusted = all
        .iter()
        .find(|f| f["code"] == "TLS004")
        .unwrap_or_else(|| panic!("no TLS004: {all:#?}"));
    let message = untrusted["message"].as_str().unwrap_or_default();
    assert!(message.contains("Corp Proxy Inspection CA"), "{message}");
    assert!(
        message.contains(&format!(
            "this chain came through the proxy {url}, which probably intercepts TLS: it is likely the proxy's chain, not the site's"
        )),
        "{message}"
    );
    let fix = untrusted["fix"].as_str().unwrap_or_default();
    assert!(fix.contains(&format!("--no-proxy {HOST}")), "{fix}");
    assert!(
        fix.contains("pass its root with --ca-file (the site's real chain is then not judged)"),
        "{fix}"
    );
    assert_eq!(untrusted["evidence"]["proxy"], url.as_str());
    // the proxy's root given: the chain is trusted as private, and the report says whose it is
    let dir = tempfile::tempdir().expect("tempdir");
    let root_file = dir.path().join("proxy-root.pem");
    std::fs::write(&root_file, root_pem).expect("write root");
    let root_arg = root_file.display().to_string();
    let run = check(&site, &["--proxy", &url, "--ca-file", &root_arg]);
    let all = findings(&run);
    assert!(all.iter().all(|f| f["code"] != "TLS004"), "{all:#?}");
    let private = all
        .iter()
        .find(|f| f["code"] == "TLS005" && f["message"].as_str().unwrap_or_default().contains("Corp Proxy"))
        .unwrap_or_else(|| panic!("no TLS005 for the proxy's root: {all:#?}"));
    assert!(
        private["message"]
            .as_str()
            .unwrap_or_default()
            .contains("this chain is the proxy's and the site's own chain was not judged"),
        "{private}"
    );
    // without the proxy the same site is clean: the chain was the proxy's doing
    let direct = check(&site, &[]);
    assert_eq!(direct.code, 0, "{}", direct.stdout);
}

#[test]
fn resolve_pins_the_proxys_own_name_as_in_curl() {
    let site = Site::correct(HOST);
    let proxy = TestProxy::start(Behaviour::Tunnel);
    // the lab's DNS server knows no corp-proxy.test: only the pin finds the proxy
    let named = format!("http://corp-proxy.test:{}", proxy.addr.port());
    let pin = format!("corp-proxy.test:{}:127.0.0.1", proxy.addr.port());
    let run = check(&site, &["--proxy", &named, "--resolve", &pin]);
    assert_eq!(run.code, check(&site, &[]).code, "{}", run.stdout);
    assert!(!proxy.connects().is_empty());
    assert_eq!(host_facts(&run)["proxy"]["url"], named.as_str());
    // without the pin the proxy's name does not resolve: said of the proxy
    let run = check(&site, &["--proxy", &named]);
    let finding = proxy_failure(&run);
    let message = finding["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("the proxy {named} does not resolve")),
        "{message}"
    );
}

#[test]
fn tinyproxy_a_real_proxy_tunnels_and_refuses_as_the_test_proxy_does() {
    use support::servers::{Kind, RealServer, TempDir, binary, is_root};
    let Some(binary) = binary(Kind::Tinyproxy) else { return };
    // tinyproxy resolves the names it is asked for with the system's resolver: localhost
    let host = "localhost";
    let site = Site::correct(host);
    let lab_port = site.lab.addr.port();
    let start = |connect_port: u16| {
        let dir = TempDir::new("tinyproxy");
        let user = if is_root() { "User nobody\nGroup nogroup\n" } else { "" };
        let server = RealServer::start(Kind::Tinyproxy, &binary, &dir, 1, |ports| {
            format!(
                "Port {}\nListen 127.0.0.1\nTimeout 10\nMaxClients 10\nAllow 127.0.0.1\nConnectPort {connect_port}\n{user}",
                ports[0]
            )
        });
        (dir, server)
    };
    let direct = check(&site, &[]);
    let (_dir, tinyproxy) = start(lab_port);
    let url = format!("http://127.0.0.1:{}", tinyproxy.ports[0]);
    let run = check(&site, &["--proxy", &url]);
    assert_eq!(run.codes(), direct.codes(), "{}\n{}", run.stdout, tinyproxy.logs());
    let facts = facts_of(&run, host);
    assert_eq!(facts["proxy"]["url"], url.as_str());
    assert!(facts["probe"]["tunnel_ms"].is_u64(), "{facts}");
    assert_eq!(
        facts["probe"]["tls"]["chain_der_hex"],
        facts_of(&direct, host)["probe"]["tls"]["chain_der_hex"]
    );
    // a port its ConnectPort does not allow: tinyproxy refuses CONNECT, said of the proxy
    let (_dir, strict) = start(443);
    let url = format!("http://127.0.0.1:{}", strict.ports[0]);
    let run = check(&site, &["--proxy", &url]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let error = &facts_of(&run, host)["probe"]["error"];
    assert_eq!(error["kind"], "proxy", "{error}");
    assert_eq!(error["failure"], "refused", "{error}");
    assert_eq!(error["status"], 403, "{error}");
    let message: Vec<String> = findings(&run)
        .iter()
        .filter(|f| f["code"] == "NET003")
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        message
            .iter()
            .any(|m| m.contains(&format!("the proxy {url} refused CONNECT {host}:{lab_port}: 403"))),
        "{message:?}"
    );
}

/// `run::check` as `otadoctor serve` calls it, with the guard on (nothing allowed) and `proxy`
/// as `--proxy`: the site's root trusted, the lab's DNS server, and `pins` alone.
fn check_guarded(site: &Site, proxy: &str, pins: &[String]) -> Value {
    use otadoctor::collect::net::guard::Guard;
    use otadoctor::collect::net::proxy::{Proxies, ProxyUrl};
    use otadoctor::run::{Format, Options};
    let mut options = Options::new(vec![site.link()], NOW);
    options.collect.ca_files = vec![site.lab.pki.root_file().into()];
    options.collect.profile_ca = vec![support::profile::ca_file().into()];
    options.collect.dns_server = Some(site.lab.dns);
    options.collect.pins = pins.iter().map(|p| p.parse().unwrap()).collect();
    options.collect.timeout = Duration::from_secs(3);
    let proxy = ProxyUrl::parse(proxy, "--proxy").unwrap();
    options.collect.proxies = Proxies::choose(Some(&proxy), None, &|_| None).unwrap();
    options.collect.guard = Some(Arc::new(Guard::new(Vec::new())));
    let run = support::check_run(&options, Format::Json);
    assert!(run.code < 2, "{}", run.stderr);
    run.json()
}

#[test]
fn under_the_guard_the_proxy_is_never_refused_and_a_target_is_judged_as_it_resolves_here() {
    let site = Site::correct(HOST);
    let proxy = TestProxy::start(Behaviour::Tunnel);
    // the proxy's name resolves to loopback (a pin): the operator's own, never refused
    let named = format!("http://corp-proxy.test:{}", proxy.addr.port());
    let pin = format!("corp-proxy.test:{}:127.0.0.1", proxy.addr.port());
    // the site's name does not resolve here (the lab's DNS server answers NXDOMAIN): it is
    // left to the proxy, which reaches it (the guard's known limit: the proxy's policy holds)
    let json = check_guarded(&site, &named, std::slice::from_ref(&pin));
    let manifest = &json["results"][0]["facts"]["walks"][0]["manifest"]["exchanges"][0];
    assert_eq!(manifest["status"], 200, "{json}");
    assert!(!proxy.connects().is_empty());
    assert!(!json.to_string().contains("\"refused\""), "{json}");
    // a site name that resolves here to a private address is refused before the proxy is asked
    site.lab.dns_answer(HOST, std::net::Ipv4Addr::new(10, 1, 2, 3));
    let before = proxy.connects().len();
    let json = check_guarded(&site, &named, &[pin]);
    let manifest = &json["results"][0]["facts"]["walks"][0]["manifest"]["exchanges"][0];
    assert_eq!(manifest["error"]["kind"], "refused", "{json}");
    assert_eq!(manifest["error"]["address"], "10.1.2.3", "{json}");
    assert_eq!(proxy.connects().len(), before, "the proxy was asked for a refused host");
    let findings = json["results"][0]["findings"].as_array().unwrap();
    let codes: Vec<&str> = findings.iter().filter_map(|f| f["code"].as_str()).collect();
    assert!(
        !codes.iter().any(|c| ["NET001", "NET003", "NET004"].contains(c)),
        "{codes:?}"
    );
}
