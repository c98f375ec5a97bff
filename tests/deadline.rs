//! `--deadline` bounds the whole run, not only its requests: work that no request bounds (a
//! parser slow on hostile input, a read that never ends) is not waited for past the deadline
//! and a short grace. What was done is reported, the rest is named in an error finding (NET004),
//! and the exit code is 1: a run cut short never reads as a clean one. The real binary, so a
//! stuck thread ends with its process.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::lab::{Route, Site};

const HOST: &str = "ota.acme-apps.test";

/// Runs the binary with `args`, killed after `limit`; (exit code, stdout, wall time).
fn run_binary(args: &[String], limit: Duration) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("otadoctor runs");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: the deadline did not hold");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = start.elapsed();
    (code, reader.join().unwrap_or_default(), took)
}

fn findings(doc: &Value) -> Vec<Value> {
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The largest manifest under the 1 MiB cap made of one key written again and again: costly to
/// parse and check (on main it took 57 s under `--deadline 10`).
fn duplicate_keys_manifest(site: &Site) -> String {
    let head = site.manifest_text();
    let cut = head.find("<key>metadata</key>").unwrap_or(0);
    let unit = "<key>kind</key><string>software</string>";
    let room = 1024 * 1024 - head.len() - 64;
    format!(
        "{}<key>metadata</key><dict>{}{}",
        &head[..cut],
        unit.repeat(room / unit.len()),
        &head[cut + "<key>metadata</key><dict>".len()..]
    )
}

#[test]
fn a_costly_manifest_does_not_hold_the_run_past_its_deadline() {
    let site = Site::correct(HOST);
    let manifest = duplicate_keys_manifest(&site);
    assert!(manifest.len() <= 1024 * 1024, "{}", manifest.len());
    site.lab.route(Site::MANIFEST, Route::ok("text/xml", manifest));
    let mut args = site.args(&["--deadline", "2"]);
    args.push(site.link());
    let (code, stdout, took) = run_binary(&args, Duration::from_secs(120));
    eprintln!("--deadline 2, a 1 MiB manifest of one key repeated: {took:?}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(code, Some(1), "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
    let found = findings(&doc);
    assert!(
        found.iter().any(|f| f["severity"] == "error"),
        "an error finding: {found:?}"
    );
    // cut short or not, the run says what happened, never "no problems"
    if let Some(cut) = found.iter().find(|f| f["code"] == "NET004") {
        assert!(
            cut["message"].as_str().unwrap_or_default().contains("deadline"),
            "{cut}"
        );
    }
}

#[test]
#[cfg(unix)]
fn a_stage_that_never_ends_is_cut_at_the_deadline_and_named() {
    // a named pipe nobody writes to: reading it never ends, and no network timeout covers it
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("deadline-fifo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let fifo = dir.join("ct-logs.json");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let link = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
    for format in ["json", "human"] {
        let args: Vec<String> = [
            "--offline",
            "--deadline",
            "1",
            "--format",
            format,
            "--ct-log-list",
            &fifo.display().to_string(),
            link,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (code, stdout, took) = run_binary(&args, Duration::from_secs(15));
        eprintln!("--deadline 1, {format}, a stage that never ends: {took:?}");
        assert!(took < Duration::from_secs(3), "{format}: took {took:?}");
        assert_eq!(code, Some(1), "{format}: {stdout}");
        if format == "json" {
            let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
            assert_eq!(doc["results"][0]["input"], link);
            let found = findings(&doc);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0]["code"], "NET004");
            assert_eq!(found[0]["severity"], "error");
            let message = found[0]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("deadline (1 s)") && message.contains("reading the inputs"),
                "{message}"
            );
            assert_eq!(doc["results"][0]["facts"]["unfinished"], "reading the inputs");
            assert_eq!(doc["summary"]["error"], 1);
        } else {
            assert!(stdout.contains("NET004"), "{stdout}");
            assert!(!stdout.contains("no problems found"), "{stdout}");
            assert!(stdout.trim_end().ends_with("1 error · exit 1"), "{stdout}");
        }
    }
}
