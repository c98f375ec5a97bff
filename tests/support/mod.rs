//! Shared scaffolding for the integration tests: run the CLI entry point in-process.

#![allow(dead_code)]

use otadoctor::cli::run;
use otadoctor::run::Io;
use time::OffsetDateTime;
use time::macros::datetime;

/// The clock every test runs at, unless a test passes `--now`.
pub const NOW: OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);

/// What one run of the CLI produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Whether standard output says `text`, however the human report wrapped it (runs of
    /// whitespace count as one space).
    pub fn says(&self, text: &str) -> bool {
        flat(&self.stdout).contains(&flat(text))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// Every rule code in a `--format json` document, in order.
    pub fn codes(&self) -> Vec<String> {
        let doc = self.json();
        let mut codes = Vec::new();
        for result in doc["results"].as_array().into_iter().flatten() {
            for f in result["findings"].as_array().into_iter().flatten() {
                codes.push(f["code"].as_str().unwrap_or_default().to_string());
            }
        }
        codes
    }
}

/// Runs `otadoctor ARGS` with `stdin`, not on a terminal, without NO_COLOR, at `NOW`.
pub fn otadoctor_with(args: &[&str], stdin: &str, tty: bool, no_color: bool) -> Run {
    otadoctor_bytes(args, stdin.as_bytes(), tty, no_color)
}

/// `otadoctor_with`, with standard input as bytes (an image, a zip).
pub fn otadoctor_bytes(args: &[&str], stdin: &[u8], tty: bool, no_color: bool) -> Run {
    let mut input = stdin;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut io = Io {
        stdin: &mut input,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_tty: tty,
        stderr_is_tty: false,
        no_color,
        now: NOW,
        proxy_env: Vec::new(),
        env: Vec::new(),
    };
    let mut argv = vec!["otadoctor"];
    argv.extend_from_slice(args);
    let code = run(argv, &mut io);
    Run {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs the pipeline on `options` through the library, as `otadoctor serve` does (`run::check`,
/// no standard input, at `NOW`): the report in `format`; code 2 and the error when it failed.
pub fn check_run(options: &otadoctor::run::Options, format: otadoctor::run::Format) -> Run {
    let mut input: &[u8] = b"";
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = Io {
        stdin: &mut input,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_tty: false,
        stderr_is_tty: false,
        no_color: true,
        now: NOW,
        proxy_env: Vec::new(),
        env: Vec::new(),
    };
    let result = otadoctor::run::check(options, &otadoctor::run::ReportOptions::new(format, false), &mut io);
    let mut stderr = String::from_utf8_lossy(&stderr).into_owned();
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            stderr.push_str(&e.to_string());
            2
        }
    };
    Run {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr,
    }
}

/// The requests a `--format json` report's facts list, what the HTML timeline draws one bar
/// for: the page (and as an iPad), each walk's manifest (and as a browser or the installer),
/// each asset's HEAD and GET, the package's Range requests and the OCSP requests.
pub fn requests_in(doc: &serde_json::Value) -> usize {
    let count = |fetch: &serde_json::Value| fetch["exchanges"].as_array().map_or(0, Vec::len);
    let mut n = 0;
    for result in doc["results"].as_array().into_iter().flatten() {
        let facts = &result["facts"];
        n += count(&facts["page"]["fetch"]) + count(&facts["page"]["as_ipad"]["fetch"]);
        for walk in facts["walks"].as_array().into_iter().flatten() {
            n += count(&walk["manifest"]) + count(&walk["manifest_as_browser"]) + count(&walk["manifest_as_installer"]);
            for asset in walk["assets"].as_array().into_iter().flatten() {
                n += count(&asset["head"]) + count(&asset["get"]);
            }
            n += walk["package"]["range_reads"].as_array().map_or(0, Vec::len);
            for revocation in walk["package"]["revocation"].as_array().into_iter().flatten() {
                n += count(&revocation["fetch"]);
            }
        }
        for revocation in facts["profile_revocation"].as_array().into_iter().flatten() {
            n += count(&revocation["fetch"]);
        }
    }
    n
}

/// Runs with standard error on a terminal (where the progress line goes).
pub fn otadoctor_stderr_on_terminal(args: &[String]) -> Run {
    let mut input: &[u8] = b"";
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut io = Io {
        stdin: &mut input,
        stdout: &mut stdout,
        stdout_is_tty: false,
        stderr: &mut stderr,
        stderr_is_tty: true,
        no_color: false,
        now: NOW,
        proxy_env: Vec::new(),
        env: Vec::new(),
    };
    let mut argv = vec!["otadoctor".to_string()];
    argv.extend(args.iter().cloned());
    let code = run(argv, &mut io);
    Run {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn otadoctor(args: &[&str]) -> Run {
    otadoctor_with(args, "", false, false)
}

/// Asserts that every piece appears in `out`, each after the one before; runs of whitespace
/// (a line the report wrapped at 100 columns, the columns of a label) count as one space.
pub fn assert_in_order(out: &str, pieces: &[&str]) {
    let flat_out = flat(out);
    let mut at = 0;
    for piece in pieces {
        let piece = flat(piece);
        let found = flat_out[at..]
            .find(&piece)
            .unwrap_or_else(|| panic!("{piece:?} not after byte {at} in:\n{out}"));
        at += found + piece.len();
    }
}

/// The text with every run of whitespace (line breaks too) made one space: what a report says,
/// however it was wrapped.
pub fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The path of a file under `testdata/`.
pub fn testdata(path: &str) -> String {
    format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The canonical correct link for a manifest URL.
pub fn link_for(manifest_url: &str) -> String {
    otadoctor::check::repair::canonical_link(manifest_url)
}

pub mod browser;
pub mod lab;
pub mod linear;
pub mod macho;
pub mod ocsp;
pub mod profile;
pub mod serve;
pub mod servers;

/// Runs with owned arguments.
pub fn otadoctor_args(args: &[String]) -> Run {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    otadoctor(&argv)
}

/// With `OTADOCTOR_JSON_DUMP=DIR`, writes a scenario's `--format json` output to
/// `DIR/<table>/<name>.json`, with what differs from run to run replaced (ports, timings, the
/// throwaway keys' bytes), so that two builds can be compared byte for byte
/// (`scripts/json-unchanged`). Does nothing otherwise.
pub fn dump_json(table: &str, name: &str, run: &Run) {
    let Some(root) = std::env::var_os("OTADOCTOR_JSON_DUMP") else {
        return;
    };
    let dir = std::path::Path::new(&root).join(table);
    std::fs::create_dir_all(&dir).expect("dump dir");
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let text = match serde_json::from_str::<serde_json::Value>(&run.stdout) {
        Ok(mut doc) => {
            redact(&mut doc, "");
            serde_json::to_string_pretty(&doc).expect("json") + "\n"
        }
        Err(_) => redact_text(&run.stdout),
    };
    let text = format!("exit {}\n{}{}", run.code, text, redact_text(&run.stderr));
    std::fs::write(dir.join(format!("{slug}.json")), text).expect("dump");
}

/// Replaces what changes between two runs of the same build (see `dump_json`).
fn redact(value: &mut serde_json::Value, key: &str) {
    use serde_json::Value;
    match value {
        // sizes vary with the length of the throwaway keys' signatures
        Value::Number(_) if key.ends_with("ms") || key == "port" || key.contains("bytes") => *value = Value::from(0),
        Value::String(s)
            if s.chars()
                .any(|c| c == '\u{fffd}' || (c.is_control() && !"\n\r\t".contains(c))) =>
        {
            *s = "<binary>".to_string()
        }
        Value::String(s) => *s = redact_text(s),
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, key)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact(v, k);
            }
        }
        _ => {}
    }
}

fn redact_text(text: &str) -> String {
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            // loopback ports
            (r"(\.test|localhost|127\.0\.0\.1|\])(:|%3A)\d{2,5}\b", "${1}${2}PORT"),
            // files named after the test process
            (r"-\d+\.(pem|ipa|plist)\b", "-PID.$1"),
            // sizes (the signatures' lengths vary), but not rule codes or versions
            (r"^\d+$", "N"),
            (r"\bbytes \d+-\d+/\d+", "bytes N-N/N"),
            (r"\b\d+-byte\b", "N-byte"),
            (r"expected \d+, actual \d+", "expected N, actual N"),
            (r"\b[0-9a-f]{12}…", "<hex>…"),
            (r"\b\d+(\.\d+)? ?(bytes|B|KB|KiB|MB|MiB)\b", "N $2"),
            // durations
            (r"\b\d+(\.\d+)? ?(ms|s)\b", "N $2"),
            // the throwaway keys' bytes: hex, colon hex, base64
            (r"\b[0-9A-Fa-f]{16,}\b", "<hex>"),
            (r"\b[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){7,}\b", "<hex>"),
            (r"[A-Za-z0-9+/]{40,}={0,2}", "<base64>"),
        ]
        .into_iter()
        .map(|(p, r)| (regex::Regex::new(p).expect("pattern"), r))
        .collect()
    });
    let mut out = text.to_string();
    for (pattern, replacement) in patterns {
        out = pattern.replace_all(&out, *replacement).into_owned();
    }
    out
}

/// A small deterministic generator (xorshift64*): the same seed gives the same inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// Compares `actual` with `testdata/snapshots/NAME`; with `OTADOCTOR_BLESS=1`, rewrites it.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = testdata(&format!("snapshots/{name}"));
    if std::env::var_os("OTADOCTOR_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; OTADOCTOR_BLESS=1 cargo test writes it"));
    assert_eq!(
        expected, actual,
        "{name} is stale; check the difference, then OTADOCTOR_BLESS=1 cargo test --test <this test>"
    );
}
