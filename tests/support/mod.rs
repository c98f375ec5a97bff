//! Shared scaffolding for the integration tests: run the CLI entry point in-process.

#![allow(dead_code)]

use otadoctor::cli::{Io, run};
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
    let mut input = stdin.as_bytes();
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

/// Asserts that every piece appears in `out`, each after the one before.
pub fn assert_in_order(out: &str, pieces: &[&str]) {
    let mut at = 0;
    for piece in pieces {
        let found = out[at..]
            .find(piece)
            .unwrap_or_else(|| panic!("{piece:?} not after byte {at} in:\n{out}"));
        at += found + piece.len();
    }
}

/// The path of a file under `testdata/`.
pub fn testdata(path: &str) -> String {
    format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The canonical correct link for a manifest URL.
pub fn link_for(manifest_url: &str) -> String {
    otadoctor::check::repair::canonical_link(manifest_url)
}

pub mod lab;
pub mod profile;

/// Runs with owned arguments.
pub fn otadoctor_args(args: &[String]) -> Run {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    otadoctor(&argv)
}
