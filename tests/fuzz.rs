//! Mutation fuzzing of every parser that reads untrusted bytes, on the stable toolchain: inputs
//! seeded from `testdata/` (links, pages, manifests XML and binary, packages, profiles,
//! certificates) are mutated — bit flips, random bytes, cuts, repeats, splices, nesting and
//! format tokens — and each goes through the whole offline pipeline (sniffing, the manifest,
//! zip, Info.plist, CodeResources and profile readers, every rule, every report format), and
//! the decoders with no file input of their own (certificates, script strings) directly.
//!
//! An input may give any finding or error; it may not panic, hang or take unbounded memory.
//! `cargo test` runs a bounded budget with a fixed seed (the same inputs every time). A long
//! run, on demand:
//!
//! ```sh
//! OTADOCTOR_FUZZ_SECONDS=600 OTADOCTOR_FUZZ_SEED=$RANDOM cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! An input that panics or runs too long is written to `target/fuzz-crashes/` and the test
//! fails naming it; rerun one with `otadoctor check --offline <file>`.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use otadoctor::run::{self, Format, ReportOptions};
use support::Rng;

/// Tokens the formats are made of: mutations that insert them reach deeper than random bytes.
const TOKENS: &[&[u8]] = &[
    b"<array>",
    b"</array>",
    b"<dict>",
    b"</dict>",
    b"<key>items</key>",
    b"<key>assets</key>",
    b"<string>",
    b"</string>",
    b"<integer>99999999999999999999</integer>",
    b"<data>",
    b"<!DOCTYPE plist [<!ENTITY a \"b\">]>",
    b"&amp;",
    b"&#38;",
    b"%25",
    b"%2",
    b"itms-services://?action=download-manifest&url=",
    b"https://",
    b"<a href=\"",
    b"<script>location.href='",
    b"'+x+'",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"\xe2\x80\xae",
    b"\x1b[31m",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x06\x06",
    b"bplist00",
    b"\x30\x80",
    b"\x30\x82\xff\xff",
    b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",
    b"\xa0\x80",
];

/// One mutation of `input` (with `others` to splice from).
fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = out.len();
        let at = rng.below(len + 1);
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            2 => {
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                out.drain(at.min(end)..end);
            }
            4 => out.truncate(at),
            5 if len > 0 => {
                // repeat a slice many times: deep nesting, long runs, many keys
                let start = rng.below(len);
                let end = (start + 1 + rng.below(32)).min(len);
                let piece = out[start..end].to_vec();
                let most = if rng.below(8) == 0 { 4000 } else { 16 };
                let times = 1 + rng.below(most);
                let repeated: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
                out.splice(start..start, repeated);
            }
            6 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            7 if !others.is_empty() => {
                let other = &others[rng.below(others.len())];
                let start = rng.below(other.len() + 1);
                let end = (start + rng.below(256)).min(other.len());
                out.splice(at..at, other[start..end].iter().copied());
            }
            _ => {
                // a nesting bomb of the input's own kind
                let token = TOKENS[rng.below(4)];
                let most = if rng.below(4) == 0 { 40_000 } else { 2000 };
                let times = 1 + rng.below(most);
                let bomb: Vec<u8> = token.iter().copied().cycle().take(token.len() * times).collect();
                out.splice(at..at, bomb);
            }
        }
    }
    out.truncate(4 * 1024 * 1024);
    out
}

/// The seeds: every file of these `testdata/` folders, with the extension a copy must keep
/// (inputs are recognised by content, but some by name too).
fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut out = Vec::new();
    for dir in [
        "links",
        "pages",
        "manifests",
        "ipa/docs",
        "profiles",
        "profiles/apple",
        // source code and templates, kept with their extension (it chooses the language)
        "sources/js",
        "sources/vue",
        "sources/php",
        "sources/python",
        "sources/ruby",
        "sources/java",
        "sources/kotlin",
        "sources/swift",
        "sources/objc",
        "sources/csharp",
        "sources/go",
        "sources/dart",
        "sources/templates",
        "text/prose",
        "text/email",
        "text/markdown",
        "text/config/json",
        "text/config/yaml",
        "text/config/xml",
        "text/config/keyvalue",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files.into_iter().filter(|p| p.is_file()) {
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&path)
                && bytes.len() <= 512 * 1024
            {
                out.push((extension, bytes));
            }
        }
    }
    out
}

/// DER certificates: the test PKI's fixtures and the ones profiles carry.
fn certificate_seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "pem")) {
        if let Ok(pem) = std::fs::read(path)
            && let Ok(ders) = otadoctor::collect::net::tls::pem_certificates("seed", &pem)
        {
            out.extend(ders.into_iter().map(|d| d.to_vec()));
        }
    }
    out
}

/// How long and how many inputs: `OTADOCTOR_FUZZ_SECONDS` for a long run, else the budget.
fn budget() -> (Duration, usize) {
    match std::env::var("OTADOCTOR_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        Some(seconds) => (Duration::from_secs(seconds), usize::MAX),
        None => (Duration::from_secs(45), 250),
    }
}

fn seed() -> u64 {
    std::env::var("OTADOCTOR_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0x5eed_0f07_ad0c_0700)
        | 1
}

/// The slowest one input may be before it counts as a hang (debug builds are slow).
const TOO_SLOW: Duration = Duration::from_secs(20);

/// Runs one file through the offline pipeline and every report format.
fn run_file(path: &Path) {
    let options = {
        let mut o = run::Options::new(vec![path.display().to_string()], support::NOW);
        o.collect.offline = true;
        o
    };
    let Ok(outcomes) = run::diagnose(&options, &mut std::io::empty(), None) else {
        return; // an unreadable input is a usage error, not a crash
    };
    let code = run::exit_code(&outcomes, options.fail_on);
    for format in [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Markdown,
        Format::Html,
    ] {
        let report = ReportOptions {
            sarif_anchor: Some("anchor".to_string()),
            ..ReportOptions::new(format, false)
        };
        let _ = run::render(&outcomes, code, &report);
    }
}

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Keeps the input under way in `target/fuzz-crashes/current-<test>` until it is done: an input
/// that aborts the process (a stack overflow cannot be caught) is left there.
struct Current(PathBuf);

impl Current {
    fn new(test: &str) -> Current {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../fuzz-crashes");
        let _ = std::fs::create_dir_all(&dir);
        Current(dir.join(format!("current-{test}")))
    }

    fn trying(&self, bytes: &[u8]) {
        let _ = std::fs::write(&self.0, bytes);
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn keep_crash(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../fuzz-crashes");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    let _ = std::fs::write(&path, bytes);
    path
}

#[test]
fn mutated_inputs_never_panic_hang_or_grow_without_bound() {
    let seeds = seeds();
    assert!(seeds.len() >= 40, "the seeds are read: {}", seeds.len());
    let others: Vec<Vec<u8>> = seeds.iter().map(|(_, b)| b.clone()).collect();
    let (time, count) = budget();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("fuzz dir");
    let mut rng = Rng(seed());
    let current = Current::new("pipeline");
    let start = Instant::now();
    let (mut tried, mut worst) = (0usize, (Duration::ZERO, String::new()));
    let mut failures = Vec::new();
    // panics are caught and counted; keep their messages out of the output
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while tried < count && start.elapsed() < time {
        let (extension, seed_bytes) = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed_bytes, &others);
        let name = format!("input-{tried}.{extension}");
        let path = dir.join(&name);
        std::fs::write(&path, &input).expect("write input");
        current.trying(&input);
        let began = Instant::now();
        let outcome = std::panic::catch_unwind(|| run_file(&path));
        let took = began.elapsed();
        if took > worst.0 {
            worst = (took, name.clone());
        }
        if outcome.is_err() {
            failures.push(format!("panic: {}", keep_crash(&name, &input).display()));
        } else if took > TOO_SLOW {
            failures.push(format!("{took:?}: {}", keep_crash(&name, &input).display()));
        }
        let _ = std::fs::remove_file(&path);
        tried += 1;
    }
    std::panic::set_hook(hook);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "fuzz: {tried} inputs in {:.1} s, worst {:?} ({}), peak RSS {} MiB, {} failures",
        start.elapsed().as_secs_f64(),
        worst.0,
        worst.1,
        peak_rss_kib() / 1024,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutated_certificates_and_scripts_never_panic() {
    let certificates = certificate_seeds();
    assert!(!certificates.is_empty(), "the certificate seeds are read");
    let scripts: Vec<Vec<u8>> = seeds()
        .into_iter()
        .filter(|(e, _)| e == "html" || e == "txt")
        .map(|(_, b)| b)
        .collect();
    let mut rng = Rng(seed());
    let (time, count) = budget();
    let (current_der, current_script) = (Current::new("certificate"), Current::new("script"));
    let start = Instant::now();
    let mut tried = 0;
    while tried < count * 4 && start.elapsed() < time {
        let pick = rng.below(certificates.len());
        let der = mutate(&mut rng, &certificates[pick], &certificates);
        current_der.trying(&der);
        let _ = otadoctor::x509::parse(&der);
        let _ = otadoctor::x509::ocsp_scts(&der);
        let _ = otadoctor::collect::profile::summary(&der);
        let _ = otadoctor::collect::profile::ber_to_der(&der);
        let pick = rng.below(scripts.len());
        let script = mutate(&mut rng, &scripts[pick], &scripts);
        current_script.trying(&script);
        let text = String::from_utf8_lossy(&script);
        let _ = otadoctor::collect::js::string_literals(&text);
        let _ = otadoctor::collect::html::find_links(&text);
        let _ = otadoctor::link::link_facts(&text, otadoctor::facts::LinkContext::Raw, None, false);
        tried += 1;
    }
    println!(
        "fuzz: {tried} certificates and scripts in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}
