//! Device evidence as an input: logs of every source kind (a Console copy, a sysdiagnose
//! `log show` excerpt, `idevicesyslog`, `ideviceinstaller` and `ios-deploy` output, Xcode's
//! message), a ticket quoting a code, bare codes; each must yield its events and the rules that
//! explain them. A log's manifest URL is followed on the test lab, and the finding there explains
//! the logged event.

mod support;

use support::lab::Site;
use support::{otadoctor, otadoctor_args, otadoctor_with, testdata};

const NOW: &str = "2026-12-04T00:00:00Z";

/// A fixture, its format, its events as (line, kind), and the rules it raises offline.
type Fixture = (
    &'static str,
    &'static str,
    &'static [(u64, &'static str)],
    &'static [&'static str],
);

const FIXTURES: &[Fixture] = &[
    (
        "console-untrusted.log",
        "console",
        &[(1, "manifest-requested"), (2, "manifest-load-failed")],
        &[],
    ),
    (
        "sysdiagnose-bundle-id.log",
        "log-show",
        &[(2, "package-head"), (4, "bundle-id-mismatch")],
        &[],
    ),
    (
        "idevicesyslog-queued.log",
        "syslog",
        &[(2, "already-queued"), (3, "already-queued")],
        &["DEV001"],
    ),
    (
        "ideviceinstaller-no-space.txt",
        "ideviceinstaller",
        &[(5, "install-failed")],
        &["DEV002"],
    ),
    (
        "ideviceinstaller-profile.txt",
        "ideviceinstaller",
        &[(9, "install-failed")],
        &[],
    ),
    ("xcode-prohibited.txt", "xcode", &[(1, "install-failed")], &["DEV003"]),
    (
        "ios-deploy-app-id.txt",
        "ios-deploy",
        &[(6, "install-failed")],
        &["DEV004"],
    ),
    ("installd-unknown.log", "syslog", &[(1, "install-failed")], &["DEV005"]),
    ("quiet.log", "syslog", &[], &[]),
    ("ticket.txt", "text", &[(4, "error-code")], &[]),
];

fn run_offline(path: &str) -> support::Run {
    otadoctor(&["--offline", "--now", NOW, "--format", "json", path])
}

#[test]
fn every_log_kind_yields_its_events_and_rules() {
    for (file, format, events, raised) in FIXTURES {
        let path = testdata(&format!("device/{file}"));
        let run = run_offline(&path);
        let json = run.json();
        let result = &json["results"][0];
        assert_eq!(result["kind"], "evidence", "{file}: {}", run.stdout);
        assert_eq!(result["facts"]["evidence"]["format"], *format, "{file}");
        let got: Vec<(u64, String)> = result["evidence"]["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["line"].as_u64().unwrap_or(0),
                    e["kind"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let want: Vec<(u64, String)> = events.iter().map(|(l, k)| (*l, k.to_string())).collect();
        assert_eq!(got, want, "{file}");
        let mut codes = run.codes();
        codes.sort();
        codes.dedup();
        assert_eq!(codes, *raised, "{file}");
        let exit = if raised.iter().any(|c| ["DEV002", "DEV003", "DEV004"].contains(c)) {
            1
        } else {
            0
        };
        assert_eq!(run.code, exit, "{file}");
    }
}

#[test]
fn each_dev_finding_explains_its_event_and_names_its_line() {
    for (file, rule, line) in [
        ("idevicesyslog-queued.log", "DEV001", 2),
        ("ideviceinstaller-no-space.txt", "DEV002", 5),
        ("xcode-prohibited.txt", "DEV003", 1),
        ("ios-deploy-app-id.txt", "DEV004", 6),
        ("installd-unknown.log", "DEV005", 1),
    ] {
        let path = testdata(&format!("device/{file}"));
        let json = run_offline(&path).json();
        let result = &json["results"][0];
        let finding = &result["findings"][0];
        assert_eq!(finding["code"], rule, "{file}");
        assert_eq!(finding["location"]["line"], line, "{file}");
        assert!(finding["location"]["file"].as_str().is_some_and(|f| f.ends_with(file)));
        let event = result["evidence"]["events"]
            .as_array()
            .and_then(|e| e.iter().find(|e| e["line"] == line))
            .expect("the event");
        assert_eq!(event["explained_by"], serde_json::json!([rule]), "{file}");
    }
}

#[test]
fn the_codes_of_each_event_are_decoded() {
    let json = run_offline(&testdata("device/xcode-prohibited.txt")).json();
    let event = &json["results"][0]["evidence"]["events"][0];
    // Xcode's block (Domain:/Code: lines and MobileDeviceErrorCode) is one event with one code
    assert_eq!(event["codes"].as_array().map(Vec::len), Some(1));
    assert_eq!(event["codes"][0]["code"], "0xe8000097 (-402653033)");
    let json = run_offline(&testdata("device/ideviceinstaller-profile.txt")).json();
    let event = &json["results"][0]["evidence"]["events"][0];
    assert_eq!(event["codes"][0]["code"], "0xe8008015 (-402620395)");
    assert_eq!(event["codes"][0]["known"], true);
    let causes: Vec<&str> = event["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(causes.contains(&"SIG005") && causes.contains(&"SIG006"), "{causes:?}");
    // nothing was followed: the event is unexplained, and the report says why
    assert_eq!(json["results"][0]["evidence"]["unexplained"], 1);
}

#[test]
fn neighbours_keep_each_dev_rule_silent() {
    // the same tools and formats with another outcome: no DEV rule
    let neighbours = [
        // a queued install of another kind of line: the manifest was asked for
        "Dec  1 09:20:11 Kims-iPhone itunesstored[301] <Warning>: LoadExternalDownloadManifestOperation: loading https://ota.acme-apps.test/app/manifest.plist\n",
        // ideviceinstaller that succeeded
        "Copying 'Field.ipa' to device... DONE.\nInstalling 'com.acme.field'\nInstall: VerifyingApplication (40%)\nInstall: Complete\n",
        // a code the table knows, whose causes the server side shows: not DEV005
        "ERROR: Install failed. Got error \"ApplicationVerificationFailed\" with code 0xe8008015: Failed to verify code signature\n",
    ];
    for (i, text) in neighbours.iter().enumerate() {
        let run = otadoctor_with(
            &["--offline", "--now", NOW, "--format", "json", "-"],
            text,
            false,
            false,
        );
        let dev: Vec<String> = run.codes().into_iter().filter(|c| c.starts_with("DEV")).collect();
        assert!(dev.is_empty(), "neighbour {i}: {dev:?}\n{}", run.stdout);
    }
}

#[test]
fn words_in_a_ticket_are_no_device_evidence_but_a_code_is() {
    // "unable to install" in prose is what the user saw, not a logged failure: the ticket's link
    // is an input of its own, as for any ticket
    let ticket = "Hi, the customer gets Unable to install \"Field\" and the install failed twice:\nitms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist\n";
    let run = otadoctor_with(
        &["--offline", "--now", NOW, "--format", "json", "-"],
        ticket,
        false,
        false,
    );
    assert_eq!(run.json()["results"][0]["kind"], "link", "{}", run.stdout);
    // with a code in it, the ticket is evidence, and its link is checked with it
    let ticket = format!("{ticket}Xcode says 0xe8008015.\n");
    let run = otadoctor_with(
        &["--offline", "--now", NOW, "--format", "json", "-"],
        &ticket,
        false,
        false,
    );
    let json = run.json();
    assert_eq!(json["results"][0]["kind"], "evidence", "{}", run.stdout);
    assert_eq!(json["results"][0]["facts"]["links"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        json["results"][0]["evidence"]["events"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn a_log_without_an_install_event_says_so_plainly() {
    let run = otadoctor(&["--offline", "--now", NOW, &testdata("device/quiet.log")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.says("0 install events"), "{}", run.stdout);
    assert!(run.says("no install event in it"), "{}", run.stdout);
    assert!(run.says("no problems found"), "{}", run.stdout);
}

#[test]
fn bare_codes_are_inputs_in_every_spelling() {
    for (arg, code) in [
        ("0xe8008015", "0xe8008015 (-402620395)"),
        ("-402620395", "0xe8008015 (-402620395)"),
        ("3892346901", "0xe8008015 (-402620395)"),
        ("0xe80000c0", "0xe80000c0 (-402652992)"),
    ] {
        let run = otadoctor(&["--offline", "--now", NOW, "--format", "json", arg]);
        let json = run.json();
        assert_eq!(json["results"][0]["kind"], "evidence", "{arg}");
        assert_eq!(
            json["results"][0]["evidence"]["events"][0]["codes"][0]["code"], code,
            "{arg}"
        );
    }
    let run = otadoctor(&["--offline", "--now", NOW, "0xe80000c0"]);
    assert_eq!(run.code, 1);
    assert!(run.says("error[DEV002 device-storage-full]"), "{}", run.stdout);
    assert!(run.says("explained by DEV002"), "{}", run.stdout);
}

#[test]
fn a_pasted_log_on_standard_input_is_read_like_a_file() {
    let text = std::fs::read_to_string(testdata("device/idevicesyslog-queued.log")).expect("fixture");
    let run = otadoctor_with(&["--offline", "--now", NOW, "-"], &text, false, false);
    assert!(run.says("warning[DEV001 install-already-queued]"), "{}", run.stdout);
    assert!(run.says("lines 2, 3"), "{}", run.stdout);
}

#[test]
fn control_characters_in_a_log_never_reach_the_terminal() {
    let text = "Dec  1 11:02:09 iPhone installd[88] <Error>: Install failed \u{1b}[2J\u{202e}evil 0xe8008099\n";
    let run = otadoctor_with(&["--offline", "--now", NOW, "-"], text, false, false);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{202e}'),
        "{:?}",
        run.stdout
    );
    assert!(run.says("info[DEV005 unknown-device-error]"), "{}", run.stdout);
}

#[test]
fn hostile_logs_are_read_in_linear_time_within_their_caps() {
    // many events: kept up to the cap, the rest counted
    let line = "Dec  1 11:02:09 iPhone installd[88] <Error>: Install failed with error 0xe8008099\n";
    let text = line.repeat(1_000);
    let facts = otadoctor::collect::evidence::read(&text).expect("evidence");
    assert_eq!(facts.events.len(), otadoctor::collect::evidence::MAX_EVENTS);
    assert!(
        facts.cut.as_deref().is_some_and(|c| c.contains("800 more")),
        "{:?}",
        facts.cut
    );
    // one huge line, and many lines of other processes: linear
    support::linear::assert_linear("long log line", 200_000, |n| {
        let text = format!("installd: {} 0xe8008015\n", "x".repeat(n));
        let _ = otadoctor::collect::evidence::read(&text);
    });
    support::linear::assert_linear("busy log", 20_000, |n| {
        let text = "Dec  1 11:30:02 Kims-iPhone backboardd[62] <Notice>: brightness 0x16f2a3000 -4 changed\n".repeat(n);
        let _ = otadoctor::collect::evidence::read(&text);
    });
}

/// The Console log of an install whose manifest host serves a certificate the device does not
/// trust, written for the lab's port.
fn console_log(site: &Site) -> String {
    let manifest = site.url(Site::MANIFEST);
    format!(
        "default\t10:41:20.118302+0100\tappstored\t[UPP/com.acme.field] Loading download manifest from {manifest}\n\
         error\t10:41:20.412977+0100\tappstored\t[UPP/com.acme.field] Could not load download manifest with underlying error: Error Domain=NSURLErrorDomain Code=-1202 \"The certificate for this server is invalid.\" UserInfo={{NSErrorFailingURLStringKey={manifest}, _kCFStreamErrorCodeKey=-9813}}\n"
    )
}

#[test]
fn the_manifest_a_log_names_is_followed_and_its_finding_explains_the_event() {
    let site = Site::correct("ota.acme-apps.test");
    let log = console_log(&site);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("console.log");
    std::fs::write(&path, &log).expect("write");
    // without --ca-file: the lab's root is one the device does not trust
    let args = without_option(site.args(&["--now", NOW, path.to_str().expect("utf-8")]), "--ca-file");
    let run = otadoctor_args(&args);
    let json = run.json();
    let result = &json["results"][0];
    assert!(run.codes().contains(&"TLS004".to_string()), "{}", run.stdout);
    let event = &result["evidence"]["events"][1];
    assert_eq!(event["kind"], "manifest-load-failed");
    let explained: Vec<&str> = event["explained_by"]
        .as_array()
        .expect("explained_by")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(explained.contains(&"TLS004"), "{explained:?}");
    // the finding that explains the event comes first
    assert_eq!(result["findings"][0]["code"], "TLS004");
    assert_eq!(result["facts"]["walks"][0]["manifest_url"], site.url(Site::MANIFEST));
}

#[test]
fn a_logged_failure_the_site_does_not_explain_is_said_to_be_unexplained() {
    // the correct lab site and a log whose install failed on the device's profile check: without
    // --udid nothing on the server side explains it, and the report says so, not a clean bill
    let site = Site::correct("ota.acme-apps.test");
    let manifest = site.url(Site::MANIFEST);
    let log = format!(
        "Dec  1 09:20:11 Kims-iPhone appstored(AppStoreDaemon)[301] <Notice>: [UPP/com.acme.field] Loading download manifest from {manifest}\n\
         Dec  1 09:20:40 Kims-iPhone installd[88] <Error>: 0x16f2a3000 -[MIInstaller performInstallationWithError:]: Verification stage failed: 0xe8008015 (A valid provisioning profile for this executable was not found.)\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("device.log");
    std::fs::write(&path, log).expect("write");
    let run = otadoctor_args(&site.args(&["--now", NOW, path.to_str().expect("utf-8")]));
    let json = run.json();
    let result = &json["results"][0];
    assert_eq!(result["facts"]["walks"][0]["manifest_url"], manifest.as_str());
    let event = &result["evidence"]["events"][1];
    assert_eq!(event["kind"], "install-failed", "{}", run.stdout);
    assert_eq!(event["explained_by"], serde_json::json!([]), "{}", run.stdout);
    assert_eq!(result["evidence"]["unexplained"], 1);
    let notes = event["notes"].to_string();
    assert!(notes.contains("nothing otadoctor checked explains it"), "{notes}");
    // with the device's UDID, which the lab's ad hoc profile does not list: SIG005 explains it
    let run = otadoctor_args(&site.args(&[
        "--now",
        NOW,
        "--udid",
        "00008110-001A2B3C4D5E6F70",
        path.to_str().expect("utf-8"),
    ]));
    let json = run.json();
    let event = &json["results"][0]["evidence"]["events"][1];
    assert_eq!(event["explained_by"], serde_json::json!(["SIG005"]), "{}", run.stdout);
    assert_eq!(json["results"][0]["findings"][0]["code"], "SIG005");
}

#[test]
fn a_bundle_id_the_log_names_is_compared_with_the_followed_manifest() {
    let site = Site::correct("ota.acme-apps.test");
    let manifest = site.url(Site::MANIFEST);
    let log = format!(
        "default\t09:12:40.000001+0000\tappstored\t[UPP/com.acme.other] Loading download manifest from {manifest}\n\
         error\t09:12:47.009845+0000\tappstored\tBundleValidator: Failed bundleIdentifier: com.acme.other.beta does not match expected bundleIdentifier: com.acme.other\n\
         default\t09:12:48.000001+0000\tappstored\t[UPP/com.acme.other] Running HEAD operation to get size for URL: https://cdn.acme-apps.test/other/Other.ipa\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bundle.log");
    std::fs::write(&path, log).expect("write");
    let run = otadoctor_args(&site.args(&["--now", NOW, path.to_str().expect("utf-8")]));
    let json = run.json();
    let event = &json["results"][0]["evidence"]["events"][1];
    assert_eq!(event["bundle_id"].as_str(), None);
    let notes = event["notes"].to_string();
    assert!(
        notes.contains("the log is about com.acme.other, but the manifest at")
            && notes.contains("installs com.acme.field"),
        "{notes}"
    );
}

/// `args` without `option` and its value.
fn without_option(args: Vec<String>, option: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if a == option {
            skip = true;
            continue;
        }
        out.push(a);
    }
    out
}

#[test]
fn mangled_logs_never_panic_and_stay_within_their_caps() {
    // every fixture, cut and spliced at random byte offsets (inside multi-byte characters too),
    // with random bytes and the pieces of log lines mixed in: read without a panic, events capped
    let pieces: Vec<String> = FIXTURES
        .iter()
        .filter_map(|(file, ..)| std::fs::read_to_string(testdata(&format!("device/{file}"))).ok())
        .collect();
    let extras = [
        "0xe800",
        "-4026",
        "Domain=",
        "Code=",
        "ASDErrorDomain ",
        "\t",
        "é",
        "\u{202e}",
        "[ !! ] Error 0x",
        "Domain: ",
        "Code: -",
        "bundleID: ",
        "https://",
        "Failed bundleIdentifier: ",
    ];
    let mut rng = support::Rng(0x5eed_1234_abcd_0001);
    for _ in 0..2_000 {
        let mut bytes: Vec<u8> = Vec::new();
        for _ in 0..1 + rng.below(6) {
            let piece = pieces[rng.below(pieces.len())].as_bytes();
            let a = rng.below(piece.len());
            let b = (a + rng.below(400)).min(piece.len());
            bytes.extend_from_slice(&piece[a..b]);
            bytes.extend_from_slice(extras[rng.below(extras.len())].as_bytes());
            if rng.below(4) == 0 {
                bytes.push(rng.below(256) as u8);
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Some(facts) = otadoctor::collect::evidence::read(&text) {
            assert!(facts.events.len() <= otadoctor::collect::evidence::MAX_EVENTS);
            for event in &facts.events {
                assert!(event.text.len() <= 400);
                assert!(event.line >= 1 && event.line <= facts.lines);
            }
        }
    }
}
