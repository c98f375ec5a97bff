//! Hostile structure: input nested deeper than any real file, or far larger, is a finding with
//! bounded facts — never a stack overflow, a panic, or a report that grows with the square of
//! the input.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::lab::{IpaSpec, info_plist, ipa};
use support::{Run, otadoctor};

/// A file in the test's own temporary directory.
fn file(name: &str, bytes: &[u8]) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bounds");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path.display().to_string()
}

fn check_offline(path: &str) -> Run {
    otadoctor(&["--offline", "--format", "json", path])
}

fn findings(run: &Run, code: &str) -> Vec<serde_json::Value> {
    let doc = run.json();
    doc["results"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

fn message(run: &Run, code: &str) -> String {
    findings(run, code)
        .first()
        .and_then(|f| f["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no {code} in {:?}", run.codes()))
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n";

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "<array>".repeat(depth), "</array>".repeat(depth))
}

/// A binary plist of `depth` arrays, each holding the next (object 0 is the outermost), or,
/// with `twice`, each holding the next two times (2^depth values once expanded).
fn binary_nested(depth: usize, twice: bool) -> Vec<u8> {
    let refs = if twice { 2 } else { 1 };
    let ref_size: usize = if depth < 256 { 1 } else { 4 };
    let mut body = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for i in 0..depth {
        offsets.push(body.len());
        if i + 1 == depth {
            body.push(0xa0);
            continue;
        }
        body.push(0xa0 | refs);
        for _ in 0..refs {
            body.extend_from_slice(&(i as u64 + 1).to_be_bytes()[8 - ref_size..]);
        }
    }
    let table = body.len();
    for offset in &offsets {
        body.extend_from_slice(&(*offset as u64).to_be_bytes()[4..]);
    }
    body.extend_from_slice(&[0; 6]);
    body.extend_from_slice(&[4, ref_size as u8]);
    body.extend_from_slice(&(depth as u64).to_be_bytes());
    body.extend_from_slice(&0u64.to_be_bytes());
    body.extend_from_slice(&(table as u64).to_be_bytes());
    body
}

#[test]
fn items_are_numbered_in_the_raw_array_everywhere() {
    // items[0] is a string; the dict is items[1], and its typo is found on its own line
    let manifest = format!(
        "{HEAD}<dict>\n<key>items</key>\n<array>\n<string>x</string>\n<dict>\n<key>assets</key>\n<array>\n<dict>\n<key>kind</key>\n<string>software-package</string>\n<key>url</key>\n<string>https://ota.acme-apps.io/Field.ipa</string>\n</dict>\n</array>\n<key>metadata</key>\n<dict>\n<key>bundle-identifer</key>\n<string>com.acme.field</string>\n<key>kind</key>\n<string>software</string>\n<key>title</key>\n<string>Field</string>\n</dict>\n</dict>\n</array>\n</dict>\n</plist>\n"
    );
    let run = check_offline(&file("raw-items.plist", manifest.as_bytes()));
    let typo = &findings(&run, "MAN013")[0];
    assert_eq!(typo["location"]["line"], 20, "{typo}");
    let title = &findings(&run, "MAN012")[0];
    assert!(
        title["message"].as_str().unwrap_or_default().contains("the item"),
        "{title}"
    );
}

#[test]
fn a_signature_expiring_past_the_calendar_is_no_panic() {
    let run = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "itms-services://?action=download-manifest&url=https://cdn.acme.io/m.plist%3FX-Goog-Date%3D20240101T000000Z%26X-Goog-Expires%3D99999999999999999",
    ]);
    assert_ne!(run.code, 101);
    assert!(!run.codes().contains(&"URL008".to_string()), "{:?}", run.codes());
}

#[test]
fn a_refresh_target_of_accented_letters_is_no_panic() {
    let page = "<html><head><meta http-equiv=\"refresh\" content=\"0;ééé\"></head></html>";
    let run = check_offline(&file("refresh.html", page.as_bytes()));
    assert_ne!(run.code, 101, "{}", run.stderr);
    assert_eq!(run.json()["results"][0]["facts"]["page"]["links_found"], 0);
}
