//! A batch's memory does not grow with its length: what one input costs is dropped once its
//! outcome is written, and what inputs share (the trust store, each host's TLS chain) is held
//! once. The real binary against the lab, its peak resident memory read from /proc while it
//! runs, for a short and a long `--input-file`.

#![cfg(target_os = "linux")]

mod support;

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::lab::Site;

const HOST: &str = "ota.acme-apps.test";

/// The peak resident memory (kB) of `otadoctor ARGS --input-file` of `n` links to the site.
fn peak_kb(site: &Site, n: usize, format: &str) -> u64 {
    let list = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-memory-{n}.txt"));
    let links: Vec<String> = (0..n).map(|i| format!("{}&n={i}", site.link())).collect();
    std::fs::write(&list, links.join("\n")).expect("list");
    let mut args = site.args(&[]);
    args.retain(|a| a != "json" && a != "--format");
    args.extend([
        "--format".to_string(),
        format.to_string(),
        "--sarif-anchor".to_string(),
        "links.txt".to_string(),
    ]);
    args.extend(["--deadline".to_string(), "300".to_string(), "--input-file".to_string()]);
    args.push(list.display().to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("otadoctor runs");
    // read the report as it comes (a full pipe would stop the run), keep only its size
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0usize;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    });
    let status = format!("/proc/{}/status", child.id());
    let start = Instant::now();
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Ok(Some(code)) = child.try_wait() {
            assert!(matches!(code.code(), Some(0 | 1)), "{code}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(240), "the batch did not end");
        std::thread::sleep(Duration::from_millis(5));
    }
    let written = reader.join().unwrap_or_default();
    assert!(written > n * 100, "a report for every input ({written} bytes)");
    peak
}

#[test]
fn memory_stays_flat_as_a_batch_grows() {
    let site = Site::correct(HOST);
    for format in ["json", "human"] {
        let short = peak_kb(&site, 40, format);
        let long = peak_kb(&site, 440, format);
        let per_input = long.saturating_sub(short) as f64 / 400.0;
        eprintln!("{format}: 40 inputs {short} kB, 440 inputs {long} kB: {per_input:.1} kB per input");
        // before, every input kept its facts, a copy of the trust store and of each host's
        // chain until the end, then the whole report: about 420 kB per input
        assert!(
            per_input < 40.0,
            "{format}: {per_input:.1} kB more per input ({short} → {long} kB)"
        );
    }
}
