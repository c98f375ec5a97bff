//! Benchmark (issue 5): what reading a package costs otadoctor, against what a support engineer
//! does today (download the whole IPA, then read Info.plist from it), over loopback HTTPS.
//!
//! `cargo bench --bench package_read` prints a Markdown table; the figures in the README come
//! from it. Sizes: 10 MiB, 200 MiB and 2 GiB, the payload a stored entry between the small
//! entries and the central directory (the 2 GiB case holds about 6 GiB of memory at its peak:
//! the lab serves bodies from memory). Each wall time is the median of 5 runs.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::lab::{IpaSpec, Route, Site, ipa};

const HOST: &str = "ota.acme-apps.test";
const RUNS: usize = 5;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The whole link check (`otadoctor <link>`): wall time, and the package's requests and bytes.
fn otadoctor_run(site: &Site) -> (Duration, u64, u64, usize) {
    let mut args = site.args(&[]);
    args.push(site.link());
    let mut times = Vec::new();
    let mut facts = (0, 0, 0);
    for _ in 0..RUNS {
        let before = site.lab.requests().len();
        let start = Instant::now();
        let run = support::otadoctor_args(&args);
        times.push(start.elapsed());
        let doc = run.json();
        let package = &doc["results"][0]["facts"]["walks"][0]["package"];
        let requests = package["requests"].as_u64().unwrap_or(0);
        let bytes = package["bytes_read"].as_u64().unwrap_or(0);
        assert!(
            package["apps"][0].is_string(),
            "the package was not read: {}",
            run.stdout
        );
        facts = (requests, bytes, site.lab.requests().len() - before);
    }
    (median(times), facts.0, facts.1, facts.2)
}

/// The baseline: GET the whole package, then read Info.plist and the profile from it with the
/// zip crate.
fn baseline(site: &Site) -> (Duration, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates({
            let mut roots = rustls::RootCertStore::empty();
            roots.add(site.lab.pki.root_der()).expect("root");
            roots
        })
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .resolve(HOST, site.lab.addr)
        .build()
        .expect("client");
    let url = site.url(Site::PACKAGE);
    let mut times = Vec::new();
    let mut len = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let body = runtime
            .block_on(async { client.get(&url).send().await?.bytes().await })
            .expect("download");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&body[..])).expect("zip");
        for name in [
            "Payload/Field.app/Info.plist",
            "Payload/Field.app/embedded.mobileprovision",
        ] {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).expect("entry"), &mut bytes).expect("read");
        }
        times.push(start.elapsed());
        len = body.len() as u64;
    }
    (median(times), len)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

fn main() {
    println!(
        "| package | otadoctor: package requests | package bytes | all requests | wall (whole link check) | baseline bytes | baseline wall | baseline ÷ otadoctor |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for size in [10u64, 200, 2048] {
        let site = Site::correct(HOST);
        let body = ipa(&IpaSpec {
            padding: (size * 1024 * 1024) as usize,
            ..IpaSpec::default()
        });
        let total = body.len() as u64;
        site.lab
            .route(Site::PACKAGE, Route::ok("application/octet-stream", body));
        let (wall, requests, bytes, all) = otadoctor_run(&site);
        let (base_wall, base_bytes) = baseline(&site);
        println!(
            "| {} | {requests} | {:.1} KiB | {all} | {:.0} ms | {} | {:.0} ms | {:.1}× |",
            mib(total),
            bytes as f64 / 1024.0,
            wall.as_secs_f64() * 1000.0,
            mib(base_bytes),
            base_wall.as_secs_f64() * 1000.0,
            base_wall.as_secs_f64() / wall.as_secs_f64()
        );
    }
    // 50 ms before every answer: the whole link check against its critical path
    // (link → manifest → package tail → Info.plist entry = 4 answers in a row).
    let site = Site::correct(HOST);
    let delay = Duration::from_millis(50);
    let text = site.manifest_text();
    site.lab.route(Site::MANIFEST, Route::ok("text/xml", text).delay(delay));
    let body = ipa(&IpaSpec {
        padding: 10 * 1024 * 1024,
        ..IpaSpec::default()
    });
    site.lab
        .route(Site::PACKAGE, Route::ok("application/octet-stream", body).delay(delay));
    site.lab.route(
        Site::DISPLAY,
        Route::ok("image/png", support::lab::png(57, 57)).delay(delay),
    );
    site.lab.route(
        Site::FULL,
        Route::ok("image/png", support::lab::png(512, 512)).delay(delay),
    );
    let (wall, requests, _, all) = otadoctor_run(&site);
    let bound = delay * 4;
    println!();
    println!(
        "50 ms per answer, 10 MiB package: whole link check {:.0} ms ({all} requests, {requests} for the package contents); critical path 4 × 50 ms = {:.0} ms; ratio {:.2}",
        wall.as_secs_f64() * 1000.0,
        bound.as_secs_f64() * 1000.0,
        wall.as_secs_f64() / bound.as_secs_f64()
    );
}
