//! `otadoctor serve`: the check as a web page and a JSON API, for a support team.
//!
//! One process, the same pipeline as the command line: each request becomes a `check` command
//! line read by the command line's own parser (`ServeOptions::read_check`, so a page, the API
//! and the CLI cannot disagree), run by
//! `run::check` on a blocking thread, with the pasted text as standard input and each uploaded
//! file in a private temporary folder that is removed when the check ends.
//!
//! What makes it safe to expose to a team (the README's threat model says it in full):
//! * the network guard (`collect::net::guard`): no loopback, private, link-local or cloud
//!   metadata address is fetched, judged after name resolution on every connection and every
//!   redirect, unless `--allow-private` names its range;
//! * nothing the request says is ever read as a local path: the text goes to standard input,
//!   uploads are written under names the server chooses, and no configuration file is read;
//! * per-client rate and concurrency limits, a limit on checks in all, a cap on every request
//!   body and field, a deadline on every check, header and connection time limits;
//! * optional tokens (`--token-file`), compared in constant time;
//! * every page with a strict Content-Security-Policy (scripts and styles by hash, nothing
//!   loaded from elsewhere, no framing), reports escaped by `report::html`, and POSTs from
//!   other origins refused.

mod http;
mod job;
mod limits;
mod page;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::run::Io;

/// Reads a `check` command line (its arguments after `check`) into the pipeline's options: the
/// command line's own parser, handed in by `cli` (which this module does not import).
pub type ReadCheck = fn(&[String], &Io<'_>) -> Result<(crate::run::Options, crate::run::ReportOptions), String>;

/// What `otadoctor serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How each request's check command line is read.
    pub read_check: ReadCheck,
    pub listen: SocketAddr,
    /// `--allow-private`: ranges fetched although private (each item a comma separated list).
    pub allow_private: Vec<String>,
    /// `--token-file`'s tokens; `None`: no authentication.
    pub tokens: Option<Vec<String>>,
    /// `--keep-reports`: how long a report stays at its permalink; `None`: shown once.
    pub keep_reports: Option<Duration>,
    /// The largest request body, in bytes.
    pub max_upload: u64,
    /// Checks a client may start per minute.
    pub rate: u32,
    /// Checks a client may have running at once.
    pub client_runs: usize,
    /// Checks running at once in all.
    pub runs: usize,
    /// `--now`: the clock of every check (default: the time of each).
    pub now: Option<OffsetDateTime>,
    /// The `check` options every run gets (`--timeout=…`, `--ca-file=…`, …).
    pub check: Vec<String>,
    /// Also start the practice site and list its scenarios.
    pub demo: bool,
}

/// The shortest token `--token-file` accepts: 16 characters of a random token are beyond
/// guessing at the rate limit.
const MIN_TOKEN: usize = 16;
/// The largest token file read.
const TOKEN_FILE_CAP: u64 = 64 * 1024;

/// The tokens of `--token-file`: one per line, blank lines and `#` comments skipped.
pub fn read_tokens(path: &std::path::Path) -> Result<Vec<String>, String> {
    use std::io::Read as _;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("--token-file {shown}: {e}"))?;
    let mut text = String::new();
    file.take(TOKEN_FILE_CAP + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("--token-file {shown}: {e}"))?;
    if text.len() as u64 > TOKEN_FILE_CAP {
        return Err(format!("--token-file {shown}: larger than 64 KiB"));
    }
    let mut tokens = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let token = line.trim();
        if token.is_empty() || token.starts_with('#') {
            continue;
        }
        if token.chars().count() < MIN_TOKEN || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "--token-file {shown}:{}: a token is at least {MIN_TOKEN} characters without spaces (make one with `openssl rand -hex 24`)",
                n + 1
            ));
        }
        tokens.push(token.to_string());
    }
    if tokens.is_empty() {
        return Err(format!("--token-file {shown}: no token in it"));
    }
    Ok(tokens)
}

/// Runs the server until Ctrl-C (or SIGTERM).
pub fn command(mut options: ServeOptions, io: &mut Io<'_>) -> Result<i32, String> {
    let clock = options.now.unwrap_or(io.now);
    // the practice site lives as long as the server; its names are pinned and trusted
    let mut examples = Vec::new();
    let demo = if options.demo {
        let site = crate::demo::Site::start(clock)?;
        let root = site.root_file.display().to_string();
        options.check.push(format!("--ca-file={root}"));
        options.check.push(format!("--profile-ca={root}"));
        let mut pins = Vec::new();
        for scenario in &site.scenarios {
            for pin in &scenario.pins {
                let pin = format!("--resolve={}:{}:{}", pin.host, pin.port, pin.addr);
                if !pins.contains(&pin) {
                    pins.push(pin);
                }
            }
            examples.push(page::Example {
                title: scenario.heading(),
                expect: scenario.expectation(),
                link: scenario.link.clone(),
            });
        }
        options.check.extend(pins);
        if options.now.is_none() {
            // the site's certificates are dated around the clock it was made with
            options.now = Some(clock);
        }
        Some(site)
    } else {
        None
    };
    if let Some(now) = options.now {
        use time::format_description::well_known::Rfc3339;
        let now = now.format(&Rfc3339).map_err(|e| format!("--now: {e}"))?;
        options.check.push(format!("--now={now}"));
    }
    // the request log: written here, on the process's standard error, by this thread (the
    // server's threads hand it their lines)
    let (log, lines) = std::sync::mpsc::channel::<String>();
    let state = Arc::new(http::State::new(&options, examples, io, log)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("otadoctor-serve")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's async runtime: {e}"))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(options.listen))
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let _ = writeln!(io.stdout, "otadoctor serve: listening on http://{address}/");
    for line in state.describe(&options) {
        let _ = writeln!(io.stdout, "  {line}");
    }
    let _ = io.stdout.flush();
    let server = std::thread::Builder::new()
        .name("otadoctor-serve".to_string())
        .spawn(move || runtime.block_on(http::serve(listener, state)))
        .map_err(|e| format!("cannot start the server's thread: {e}"))?;
    // until the server stops and its last sender is dropped with it
    for line in lines {
        let _ = io.stderr.write_all(line.as_bytes());
        let _ = io.stderr.flush();
    }
    let _ = server.join();
    drop(demo);
    let _ = writeln!(io.stdout, "otadoctor serve: stopped");
    Ok(crate::run::EXIT_OK)
}
