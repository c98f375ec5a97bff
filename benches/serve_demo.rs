//! Benchmark (issue 16): `otadoctor serve --demo` (the release binary) on loopback — how long
//! the first report of the practice site takes after the server starts, and then each
//! scenario's report through `POST /api/check` (median of 5), as a ticket system would ask;
//! then 4 clients at once. The target: the first report in under a second.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "otadoctor"])
        .status()
        .expect("cargo build");
    assert!(status.success());
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string());
    let binary = format!("{target}/release/otadoctor");
    let started = Instant::now();
    let mut child = Command::new(&binary)
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--rate",
            "10000",
            "--client-runs",
            "8",
            "--runs",
            "4",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    let addr: SocketAddr = first
        .rsplit("http://")
        .next()
        .and_then(|a| a.trim_end_matches('/').parse().ok())
        .expect("address");
    std::thread::spawn(move || for _ in lines {});
    let listening = started.elapsed();
    let page = request(addr, "GET", "/", "");
    let links: Vec<String> = page
        .split("name=\"input\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|l| l.replace("&amp;", "&"))
        .collect();
    assert_eq!(links.len(), 10, "the demo's scenarios");
    let body = |link: &str| serde_json::json!({ "input": link }).to_string();
    let t = Instant::now();
    let answer = request(addr, "POST", "/api/check", &body(&links[0]));
    let first_report = t.elapsed();
    assert!(answer.contains("\"schema_version\": 1"), "{answer}");
    println!(
        "serve --demo: listening {} ms after start; first report (scenario 1) {} ms later, {} ms after start",
        listening.as_millis(),
        first_report.as_millis(),
        started.elapsed().as_millis()
    );
    println!("\n| scenario | median of {RUNS} | report bytes |\n|---|---|---|");
    let mut all = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let answer = request(addr, "POST", "/api/check", &body(link));
            times.push(t.elapsed());
            bytes = answer.len();
        }
        times.sort();
        all.push(times[RUNS / 2]);
        println!("| {} | {} ms | {bytes} |", i + 1, times[RUNS / 2].as_millis());
    }
    all.sort();
    println!(
        "\nslowest scenario median: {} ms",
        all.last().map_or(0, |d| d.as_millis())
    );
    // 4 clients at once, 10 checks each, the scenarios in turn
    let t = Instant::now();
    let handles: Vec<_> = (0..4)
        .map(|c| {
            let links = links.clone();
            std::thread::spawn(move || {
                for n in 0..10 {
                    let link = &links[(c + n) % links.len()];
                    request(
                        addr,
                        "POST",
                        "/api/check",
                        &serde_json::json!({ "input": link }).to_string(),
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client");
    }
    let took = t.elapsed();
    println!(
        "4 clients × 10 checks: {} ms in all, {:.1} checks a second",
        took.as_millis(),
        40.0 / took.as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// One request on its own connection; the answer's body.
fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(body.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "{}", &text[..text.len().min(300)]);
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}
