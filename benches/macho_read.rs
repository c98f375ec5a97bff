//! Benchmark (issue 14): what reading the Mach-Os of a package costs, over loopback HTTPS by
//! Range — the load commands of every executable always, the code signatures within the cap.
//!
//! `cargo bench --bench macho_read` prints a Markdown table. The package: an app whose
//! executable is 24 MiB with 10 frameworks of 3 MiB each, every framework folder holding 2 MiB
//! of stored resources before its executable (so the executables lie apart, as in a real
//! package); the executables deflated (bytes that do not compress, standing for code), then the
//! same package with them stored. The Mach-Os are written by `tests/support/macho.rs` (a
//! signature's shape, not a valid one). Targets (issue 14): the load commands of the eleven
//! Mach-Os in ≤ 3 requests and ≤ 256 KiB more; the signatures for no more than the compressed
//! executables plus 64 KiB (stored: only the signature regions). Wall time: the median of 5
//! runs of the whole link check.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::lab::{Route, Site};
use support::macho::{app_with, shaped};

const HOST: &str = "ota.acme-apps.test";
const RUNS: usize = 5;
const MIB: usize = 1024 * 1024;

struct Figures {
    wall: Duration,
    package: u64,
    requests: u64,
    bytes: u64,
    header_requests: u64,
    header_bytes: u64,
    signature_requests: u64,
    signature_bytes: u64,
    compressed: u64,
    signature_sizes: u64,
    read: usize,
    machos: usize,
}

fn run(site: &Site, package: &[u8], extra: &[&str]) -> Figures {
    site.lab
        .route(Site::PACKAGE, Route::ok("application/octet-stream", package.to_vec()));
    let mut args = site.args(extra);
    args.push(site.link());
    let mut times = Vec::new();
    let mut doc = serde_json::Value::Null;
    for _ in 0..RUNS {
        let start = Instant::now();
        let run = support::otadoctor_args(&args);
        times.push(start.elapsed());
        doc = run.json();
    }
    times.sort();
    let p = &doc["results"][0]["facts"]["walks"][0]["package"];
    let r = &p["macho_reading"];
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let machos = p["machos"].as_array().cloned().unwrap_or_default();
    Figures {
        wall: times[times.len() / 2],
        package: n(&p["bytes"]),
        requests: n(&p["requests"]),
        bytes: n(&p["bytes_read"]),
        header_requests: n(&r["header_requests"]),
        header_bytes: n(&r["header_bytes"]),
        signature_requests: n(&r["signature_requests"]),
        signature_bytes: n(&r["signature_bytes"]),
        compressed: machos.iter().map(|m| n(&m["compressed_size"])).sum(),
        signature_sizes: machos
            .iter()
            .flat_map(|m| m["slices"].as_array().cloned().unwrap_or_default())
            .map(|s| n(&s["code_signature"]["datasize"]))
            .sum(),
        read: machos.iter().filter(|m| m["signature_read"]["state"] == "read").count(),
        machos: machos.len(),
    }
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn main() {
    let site = Site::correct(HOST);
    let frameworks: Vec<(String, Vec<u8>)> = (0..10).map(|i| (format!("Kit{i}"), shaped(3 * MIB))).collect();
    let resources: Vec<(String, Vec<u8>)> = (0..4).map(|i| (format!("Assets{i}.car"), vec![7u8; MIB / 2])).collect();
    println!(
        "| package | Mach-Os (signatures read) | load commands | signatures | target for signatures | whole package read | wall (median of {RUNS}) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, stored) in [("deflated executables", false), ("stored executables", true)] {
        let package = app_with(shaped(24 * MIB), &frameworks, stored, &resources);
        let f = run(&site, &package, &[]);
        let target = if stored {
            format!(
                "≤ {} (regions {} + 64 KiB)",
                kib(f.signature_sizes + 64 * 1024),
                kib(f.signature_sizes)
            )
        } else {
            format!(
                "≤ {} (compressed {} + 64 KiB)",
                kib(f.compressed + 64 * 1024),
                kib(f.compressed)
            )
        };
        println!(
            "| {:.1} MiB, {name} | {} ({}) | {} request(s), {} | {} request(s), {} | {target} | {} request(s), {} | {:.0} ms |",
            f.package as f64 / MIB as f64,
            f.machos,
            f.read,
            f.header_requests,
            kib(f.header_bytes),
            f.signature_requests,
            kib(f.signature_bytes),
            f.requests,
            kib(f.bytes),
            f.wall.as_secs_f64() * 1000.0
        );
        assert!(
            f.header_requests <= 3 && f.header_bytes <= 256 * 1024,
            "load commands over target"
        );
        let limit = if stored { f.signature_sizes } else { f.compressed } + 64 * 1024;
        assert!(f.signature_bytes <= limit, "signatures over target");
    }
}
