//! Benchmark (issue 12, item 7a): a 16 MiB text holding 100,000 install links, checked by the
//! release binary (`otadoctor --offline --format json FILE`). Target: under 2 s.
//!
//! `cargo bench --bench large_text` writes the text under the target's temp dir — a realistic
//! mix, one block after another: support tickets in prose (a link in a sentence, a link alone on
//! a line, a link a mail client wrapped), HTML snippets pasted into them (`<a href>` with
//! `&amp;`) and JSON from an API (`"install": "itms-services:…"`), with broken links among the
//! correct ones (`&amp;` in prose, an unencoded manifest URL, `http://`) — checks that the report
//! holds every link, and prints the median wall time of 5 runs (after one warm-up run).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LINKS: usize = 100_000;
const RUNS: usize = 5;
/// The cap of a local input: the text must fit.
const CAP: usize = 16 * 1024 * 1024;

/// The text: blocks of tickets, HTML and JSON, `LINKS` links in all, just under 16 MiB.
pub fn text() -> String {
    let mut out = String::with_capacity(CAP);
    let mut i = 0;
    while i < LINKS {
        let encoded = format!("https%3A%2F%2Fota.acme-apps.io%2Fbuild%2F{i}%2Fmanifest.plist");
        let good = format!("itms-services://?action=download-manifest&url={encoded}");
        let block = match i % 10 {
            0 => {
                format!("Ticket #{i}: Hi team, the customer taps the link {good} and nothing happens on her iPhone.\n")
            }
            1 => format!("Hello,\nplease try this one:\n{good}\nThanks, Dana\n"),
            2 => format!(
                "From the page: <a href=\"itms-services://?action=download-manifest&amp;url={encoded}\">Install build {i}</a>\n"
            ),
            3 => format!("API answer: {{\"build\": {i}, \"install\": \"{good}\", \"channel\": \"beta\"}}\n"),
            4 => format!(
                "Wrapped by the mail client: itms-services://?action=download-manifest&url=\n  {encoded}\nend of quote\n"
            ),
            5 => format!(
                "Broken one, sent by marketing: itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/b/{i}/m.plist — please fix\n"
            ),
            6 => format!(
                "Build {i} (http): itms-services://?action=download-manifest&url=http://ota.acme-apps.io/b/{i}/m.plist\n"
            ),
            7 => format!("- [{i}] {good}\n"),
            8 => format!("Customer wrote: \"I tried {good} twice, the app icon stays grey.\" Reply sent, closing.\n"),
            _ => format!("<li><a href=\"{}\">Build {i}</a></li>\n", good.replace('&', "&amp;")),
        };
        out.push_str(&block);
        i += 1;
    }
    // prose between the tickets, up to just under the cap: a filler line after the one-line
    // blocks (tickets, API answers, list items: 30,000 of them), never inside a block
    let filler = "Nothing else to report on this one; the customer will try again tomorrow morning.\n";
    let lines = (CAP - 64 * 1024).saturating_sub(out.len()) / filler.len();
    let one_line =
        |line: &str| line.starts_with("Ticket #") || line.starts_with("API answer") || line.starts_with("- [");
    let slots = LINKS * 3 / 10;
    if let Some(every) = slots.checked_div(lines) {
        let every = every.max(1);
        let mut spaced = String::with_capacity(CAP);
        let (mut seen, mut added) = (0, 0);
        for line in out.split_inclusive('\n') {
            spaced.push_str(line);
            if one_line(line) {
                if seen % every == 0 && added < lines {
                    spaced.push_str(filler);
                    added += 1;
                }
                seen += 1;
            }
        }
        out = spaced;
    }
    assert!(out.len() < CAP, "the text is {} bytes", out.len());
    out
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("large-text-100000-links.txt");
    let text = text();
    std::fs::write(&path, &text).expect("write the text");
    let file = path.display().to_string();
    let otadoctor = env!("CARGO_BIN_EXE_otadoctor");
    let args = ["--offline", "--format", "json", file.as_str()];
    // every link is in the report
    let output = Command::new(otadoctor).args(args).output().expect("otadoctor");
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let links: usize = doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["facts"]["links"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(links, LINKS, "links in the report");
    let run = || {
        let start = Instant::now();
        let status = Command::new(otadoctor)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("otadoctor");
        let elapsed = start.elapsed();
        assert_eq!(status.code(), Some(1), "broken links are findings");
        elapsed
    };
    run();
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    println!(
        "{:.1} MiB text, {LINKS} links, {} bytes of JSON: otadoctor --offline --format json {:.0} ms (median of {RUNS}; target < 2000 ms)",
        text.len() as f64 / 1048576.0,
        output.stdout.len(),
        times[RUNS / 2].as_secs_f64() * 1000.0
    );
}
