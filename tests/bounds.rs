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
fn a_manifest_of_30000_nested_arrays_is_man001_with_its_place() {
    let text = format!(
        "{HEAD}<dict>\n<key>items</key>\n{}\n</dict>\n</plist>\n",
        nested_arrays(30_000)
    );
    let run = check_offline(&file("nested.plist", text.as_bytes()));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let man001 = &findings(&run, "MAN001")[0];
    let message = man001["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nested deeper than 64 levels of arrays and dictionaries"),
        "{message}"
    );
    // the 64th <array> is the 65th level, the top <dict> being the first
    assert!(message.contains("at line 6, column 442"), "{message}");
    assert_eq!(man001["location"]["line"], 6);
    assert_eq!(man001["location"]["column"], 442);
    assert!(run.stdout.len() < 64 * 1024, "{} bytes of JSON", run.stdout.len());
}

#[test]
fn a_manifest_nested_64_deep_is_read() {
    // the limit is the last level read: the top dict and 63 arrays, a string in the last one,
    // read and kept whole
    let text = format!(
        "{HEAD}<dict>\n<key>items</key>\n{}<string>x</string>{}\n</dict>\n</plist>\n",
        "<array>".repeat(63),
        "</array>".repeat(63)
    );
    let run = check_offline(&file("nested-64.plist", text.as_bytes()));
    assert!(findings(&run, "MAN001").is_empty(), "{:?}", run.codes());
    let doc = run.json();
    let document = &doc["results"][0]["facts"]["walks"][0]["document"];
    assert!(document.get("document_cut").is_none(), "{document}");
    let mut inner = &document["document"]["items"];
    for _ in 0..62 {
        inner = &inner[0];
    }
    assert_eq!(inner[0], "x");
    assert!(run.codes().contains(&"MAN004".to_string()), "{:?}", run.codes());
}

#[test]
fn a_binary_manifest_nested_100000_deep_is_man001() {
    let run = check_offline(&file("nested-binary.plist", &binary_nested(100_000, false)));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(message(&run, "MAN001").contains("nested deeper than 64 levels"));
}

#[test]
fn a_binary_plist_bomb_is_refused_not_expanded() {
    // 60 arrays, each holding the next twice: 2^60 values, in 600 bytes
    let start = Instant::now();
    let run = check_offline(&file("bomb.plist", &binary_nested(60, true)));
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    assert!(
        message(&run, "MAN001").contains("expands to more than"),
        "{:?}",
        run.stdout
    );
}

#[test]
fn an_info_plist_nested_100000_deep_is_app001() {
    let deep = info_plist("com.acme.field", "Field").replace(
        "</dict></plist>",
        &format!("<key>Deep</key>{}</dict></plist>", nested_arrays(100_000)),
    );
    let package = ipa(&IpaSpec {
        info_plist: Some(deep),
        ..IpaSpec::default()
    });
    assert!(package.len() < 16 * 1024, "a small package: {} bytes", package.len());
    let run = check_offline(&file("nested-info.ipa", &package));
    let message = message(&run, "APP001");
    assert!(
        message.contains("is not a plist Xcode writes: nested deeper than 64 levels"),
        "{message}"
    );
    assert!(run.stdout.len() < 64 * 1024, "{} bytes of JSON", run.stdout.len());
}

#[test]
fn a_binary_info_plist_nested_100000_deep_is_app001() {
    let package = ipa(&IpaSpec {
        info_plist: None,
        seal: None,
        extra: vec![("Payload/Field.app/Info.plist", binary_nested(100_000, false))],
        ..IpaSpec::default()
    });
    let run = check_offline(&file("nested-binary-info.ipa", &package));
    assert!(message(&run, "APP001").contains("nested deeper than 64 levels"));
}

#[test]
fn the_json_of_a_one_kilobyte_package_stays_small() {
    // 4,000 nested arrays in an Info.plist were 32 MB of JSON (the indentation of each level)
    let deep = info_plist("com.acme.field", "Field").replace(
        "</dict></plist>",
        &format!("<key>Deep</key>{}</dict></plist>", nested_arrays(4_000)),
    );
    let package = ipa(&IpaSpec {
        info_plist: Some(deep),
        ..IpaSpec::default()
    });
    assert!(package.len() < 16 * 1024, "{} bytes", package.len());
    let run = check_offline(&file("json-size.ipa", &package));
    assert!(run.stdout.len() < 64 * 1024, "{} bytes of JSON", run.stdout.len());
}

#[test]
fn a_profile_whose_plist_nests_100000_deep_is_sig015() {
    let content = format!("{HEAD}<dict><key>Deep</key>{}</dict></plist>\n", nested_arrays(100_000));
    let signed = support::profile::ca().sign(content.as_bytes(), time::macros::datetime!(2026-01-01 0:00 UTC));
    let run = check_offline(&file("nested.mobileprovision", &signed));
    let message = message(&run, "SIG015");
    assert!(message.contains("nested deeper than 64 levels"), "{message}");
}

#[test]
fn code_resources_nested_100000_deep_is_an_unreadable_seal() {
    let deep = format!(
        "{HEAD}<dict><key>files</key>{}</dict></plist>\n",
        nested_arrays(100_000)
    );
    let package = ipa(&IpaSpec {
        seal: None,
        extra: vec![("Payload/Field.app/_CodeSignature/CodeResources", deep.into_bytes())],
        ..IpaSpec::default()
    });
    let path = file("nested-seal.ipa", &package);
    for deep_mode in [false, true] {
        let mut args = vec!["--offline", "--format", "json"];
        if deep_mode {
            args.push("--deep");
        }
        args.push(&path);
        let run = otadoctor(&args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let seal = &run.json()["results"][0]["facts"]["walks"][0]["package"]["bundles"][0]["seal"];
        let error = seal["error"].as_str().unwrap_or_default();
        assert!(error.contains("nested deeper than 64 levels"), "{seal}");
    }
}

#[test]
fn a_wide_info_plist_is_cut_in_the_facts_and_said_so() {
    let keys: String = (0..50_000)
        .map(|i| format!("<key>Key{i}</key><string>v</string>"))
        .collect();
    let wide = info_plist("com.acme.field", "Field").replace("</dict></plist>", &format!("{keys}</dict></plist>"));
    let package = ipa(&IpaSpec {
        info_plist: Some(wide),
        ..IpaSpec::default()
    });
    let run = check_offline(&file("wide-info.ipa", &package));
    let message = message(&run, "APP001");
    assert!(message.contains("cut: 30,009 values left out"), "{message}");
    let bundle = &run.json()["results"][0]["facts"]["walks"][0]["package"]["bundles"][0];
    assert_eq!(bundle["info_plist_cut"]["left_out"], 30_009);
    assert_eq!(bundle["info_plist"]["CFBundleIdentifier"], "com.acme.field");
    assert!(run.stdout.len() < 2 * 1024 * 1024, "{} bytes of JSON", run.stdout.len());
    // the human report says it
    let human = otadoctor(&["--offline", &file("wide-info.ipa", &package)]);
    assert!(human.stdout.contains("cut: 30,009 values left out"), "{}", human.stdout);
}

#[test]
fn a_manifest_past_the_caps_is_cut_and_is_never_fine() {
    let keys: String = (0..30_000)
        .map(|i| format!("<key>x-build-{i}</key><true/>\n"))
        .collect();
    let manifest = format!(
        "{HEAD}<dict>\n<key>items</key>\n<array>\n<dict>\n<key>assets</key>\n<array>\n<dict>\n<key>kind</key>\n<string>software-package</string>\n<key>url</key>\n<string>https://ota.acme-apps.io/Field.ipa</string>\n</dict>\n</array>\n<key>metadata</key>\n<dict>\n<key>bundle-identifier</key>\n<string>com.acme.field</string>\n<key>kind</key>\n<string>software</string>\n<key>title</key>\n<string>Field</string>\n{keys}</dict>\n</dict>\n</array>\n</dict>\n</plist>\n"
    );
    let run = check_offline(&file("wide.plist", manifest.as_bytes()));
    assert_eq!(run.code, 1);
    let message = message(&run, "MAN001");
    assert!(message.contains("only its first part was read (cut: "), "{message}");
    let doc = run.json();
    let document = &doc["results"][0]["facts"]["walks"][0]["document"];
    assert!(document["document_cut"]["left_out"].as_u64().unwrap_or_default() > 10_000);
    assert_eq!(
        document["document"]["items"][0]["assets"][0]["kind"],
        "software-package"
    );
    assert!(run.stdout.len() < 2 * 1024 * 1024, "{} bytes of JSON", run.stdout.len());
}

#[test]
fn a_real_sized_manifest_is_whole() {
    let run = check_offline(&support::testdata("manifests/good.plist"));
    let doc = run.json();
    let document = &doc["results"][0]["facts"]["walks"][0]["document"];
    assert!(document["document"].is_object());
    assert!(document.get("document_cut").is_none(), "{document}");
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
