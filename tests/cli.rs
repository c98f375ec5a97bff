//! The command-line contract (CLI.md): exit codes, --fail-on, --select/--ignore, the JSON
//! shape, explain, rules, inputs from files and standard input, colour.

mod support;

use support::{link_for, otadoctor, otadoctor_with, testdata};

const GOOD: &str =
    "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
const AMP: &str = "itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/field/manifest.plist";
/// Only a warning (LNK003) and nothing else.
const WARNING_ONLY: &str =
    "itms-services:///?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
/// Only an info (LNK012).
const INFO_ONLY: &str = "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/Field+Service.plist";

#[test]
fn exit_0_when_clean_1_on_an_error_2_on_usage() {
    assert_eq!(otadoctor(&["--offline", GOOD]).code, 0);
    assert_eq!(otadoctor(&["--offline", AMP]).code, 1);
    assert_eq!(otadoctor(&["--offline", "--format", "yaml", GOOD]).code, 2);
    assert_eq!(otadoctor(&[]).code, 2, "no input is a usage error");
    let missing = otadoctor(&["--offline", "no/such/file.html"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no/such/file.html"), "{}", missing.stderr);
    // a directory is an input (issue 12): walked, its broken pages are findings
    assert_eq!(otadoctor(&["--offline", &testdata("pages")]).code, 1);
    assert_eq!(otadoctor(&["--now", "yesterday", GOOD]).code, 2);
    let hostile = otadoctor(&["--offline", "no\u{1b}[2Jsuch"]);
    assert_eq!(hostile.code, 2);
    assert!(
        !hostile.stderr.contains('\u{1b}'),
        "error messages escape the input: {}",
        hostile.stderr
    );
    assert_eq!(otadoctor(&["--help"]).code, 0);
    assert_eq!(otadoctor(&["--version"]).code, 0);
}

#[test]
fn bare_inputs_and_the_check_command_are_the_same() {
    let bare = otadoctor(&["--offline", "--format", "json", AMP]);
    let check = otadoctor(&["check", "--offline", "--format", "json", AMP]);
    assert_eq!(bare.stdout, check.stdout);
    assert_eq!(bare.code, check.code);
}

#[test]
fn fail_on_sets_the_threshold() {
    assert_eq!(
        otadoctor(&["--offline", WARNING_ONLY]).code,
        0,
        "a warning does not fail by default"
    );
    assert_eq!(otadoctor(&["--offline", "--fail-on", "warning", WARNING_ONLY]).code, 1);
    assert_eq!(otadoctor(&["--offline", "--fail-on", "warning", INFO_ONLY]).code, 0);
    assert_eq!(otadoctor(&["--offline", "--fail-on", "info", INFO_ONLY]).code, 1);
    assert_eq!(otadoctor(&["--offline", "--fail-on", "never", AMP]).code, 0);
    assert_eq!(otadoctor(&["--offline", "--fail-on", "fatal", AMP]).code, 2);
}

#[test]
fn select_and_ignore_take_codes_names_and_families() {
    let http_and_port = "itms-services://?action=download-manifest&url=http%3A%2F%2Fota.acme-apps.io%3A443%2Fm.plist";
    let two_families = format!("{http_and_port}#x");
    let all = otadoctor(&["--offline", "--format", "json", &two_families]).codes();
    assert_eq!(all, ["LNK008", "URL001", "URL009"]);
    let by_code = otadoctor(&["--offline", "--format", "json", "--select", "URL009", &two_families]).codes();
    assert_eq!(by_code, ["URL009"]);
    let by_name = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "--select",
        "url-not-https,manifest-fragment-not-encoded",
        &two_families,
    ])
    .codes();
    assert_eq!(by_name, ["LNK008", "URL001"]);
    let by_family = otadoctor(&["--offline", "--format", "json", "--select", "url", &two_families]).codes();
    assert_eq!(by_family, ["URL001", "URL009"]);
    let ignored = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "--ignore",
        "URL",
        "--ignore",
        "LNK008",
        &two_families,
    ]);
    assert_eq!(ignored.codes(), Vec::<String>::new());
    assert_eq!(ignored.code, 0, "ignored findings do not fail the run");
    let unknown = otadoctor(&["--offline", "--select", "URL999", GOOD]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("URL999"), "{}", unknown.stderr);
    let typo = otadoctor(&["--offline", "--ignore", "url-not-http", GOOD]);
    assert_eq!(typo.code, 2);
    assert!(typo.stderr.contains("did you mean URL001"), "{}", typo.stderr);
}

#[test]
fn json_has_the_contract_shape() {
    let run = otadoctor(&["--offline", "--format", "json", AMP, GOOD]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool"]["name"], "otadoctor");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "results in input order");
    assert_eq!(results[0]["input"], AMP);
    assert_eq!(results[1]["input"], GOOD);
    assert_eq!(results[0]["kind"], "link");
    let f = &results[0]["findings"][0];
    for key in [
        "code",
        "name",
        "severity",
        "subject",
        "message",
        "family",
        "basis",
        "device_symptom",
        "fix",
        "evidence",
    ] {
        assert!(!f[key].is_null(), "finding lacks {key}: {f:#}");
    }
    assert_eq!(f["code"], "LNK006");
    assert_eq!(f["name"], "html-entity-in-link");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["family"], "LNK");
    assert_eq!(f["basis"], "inferred");
    assert_eq!(f["subject"], AMP);
    let parsed = &results[1]["facts"]["links"][0]["parsed"];
    assert_eq!(parsed["action"], "download-manifest");
    assert_eq!(parsed["manifest_url"], "https://ota.acme-apps.io/field/manifest.plist");
    assert_eq!(results[1]["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(doc["summary"], serde_json::json!({"error": 1, "warning": 0, "info": 0}));
    assert!(
        results[0]["facts"]["skipped"][0]
            .as_str()
            .unwrap_or("")
            .contains("--offline")
    );
}

#[test]
fn explain_takes_a_code_or_a_name() {
    let by_code = otadoctor(&["explain", "LNK006"]);
    assert_eq!(by_code.code, 0);
    assert!(
        by_code.stdout.starts_with("# LNK006 `html-entity-in-link`"),
        "{}",
        by_code.stdout
    );
    let by_name = otadoctor(&["explain", "html-entity-in-link"]);
    assert_eq!(by_name.stdout, by_code.stdout);
    assert_eq!(otadoctor(&["explain", "lnk006"]).stdout, by_code.stdout);
    let unknown = otadoctor(&["explain", "LNK999"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown rule"), "{}", unknown.stderr);
}

#[test]
fn rules_lists_every_rule() {
    let human = otadoctor(&["rules"]);
    assert_eq!(human.code, 0);
    for rule in otadoctor::registry::ALL {
        assert!(
            human.stdout.contains(rule.code) && human.stdout.contains(rule.name),
            "{} missing",
            rule.code
        );
    }
    let json = otadoctor(&["rules", "--format", "json"]);
    let doc = json.json();
    let rules = doc["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), otadoctor::registry::ALL.len());
    assert_eq!(rules[0]["code"], "LNK001");
    let link_and_url = rules
        .iter()
        .filter(|r| r["family"] == "LNK" || r["family"] == "URL")
        .count();
    assert_eq!(link_and_url, 23, "LNK001–LNK013 and URL001–URL010");
    for key in ["code", "name", "family", "severity", "summary", "basis"] {
        assert!(rules.iter().all(|r| r[key].is_string()), "{key}");
    }
}

#[test]
fn standard_input_holds_one_link_per_line() {
    let text = std::fs::read_to_string(testdata("links/several.txt")).expect("fixture");
    let run = otadoctor_with(&["--offline", "--format", "json", "-"], &text, false, false);
    let doc = run.json();
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(results[1]["findings"][0]["location"]["file"], "<stdin>");
    assert_eq!(results[1]["findings"][0]["location"]["line"], 2);
    assert_eq!(results[2]["findings"][0]["location"]["line"], 4);
    // a single wrapped link on stdin is rejoined, not split
    let wrapped = std::fs::read_to_string(testdata("links/mail-wrapped.txt")).expect("fixture");
    let run = otadoctor_with(&["--offline", "--format", "json", "-"], &wrapped, false, false);
    assert_eq!(run.codes(), ["LNK011"]);
}

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let plain = otadoctor_with(&["--offline", AMP], "", false, false);
    assert!(!plain.stdout.contains('\u{1b}'), "not a terminal: no colour");
    let tty = otadoctor_with(&["--offline", AMP], "", true, false);
    assert!(tty.stdout.contains("\u{1b}["), "a terminal gets colour");
    let no_color = otadoctor_with(&["--offline", AMP], "", true, true);
    assert!(!no_color.stdout.contains('\u{1b}'), "NO_COLOR wins over a terminal");
    let always = otadoctor_with(&["--offline", "--color", "always", AMP], "", false, true);
    assert!(always.stdout.contains("\u{1b}["), "--color always overrides");
    let never = otadoctor_with(&["--offline", "--color", "never", AMP], "", true, false);
    assert!(!never.stdout.contains('\u{1b}'));
}

#[test]
fn human_output_reads_top_down() {
    let run = otadoctor(&["--offline", AMP]);
    let out = &run.stdout;
    // cause first: the verdict, the input, the error with its fix, then what iOS parsed
    let order = [
        "✗ the install fails: 1 error",
        AMP,
        "error[LNK006 html-entity-in-link] the link contains \"&amp;\" outside HTML",
        "^^^^^ iOS reads a parameter named \"amp;url\"",
        "device  tapping the link does nothing",
        "fix     write a plain \"&\"",
        &link_for("https://ota.acme-apps.io/field/manifest.plist"),
        "basis   inferred · otadoctor explain LNK006",
        "action    download-manifest",
        "manifest  (no url parameter)",
        "↑ error[LNK006 html-entity-in-link] above",
        "1 error · exit 1",
    ];
    support::assert_in_order(out, &order);
    assert!(out.ends_with("1 error · exit 1\n"));
}

#[test]
fn the_binary_maps_findings_to_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_otadoctor");
    let status = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .output()
            .expect("run the binary")
    };
    let bad = status(&["--offline", AMP]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("LNK006"));
    assert_eq!(status(&["--offline", GOOD]).status.code(), Some(0));
    assert_eq!(status(&["--bogus"]).status.code(), Some(2));
}

#[test]
fn network_options_are_checked_before_anything_goes_out() {
    let missing = otadoctor(&["--ca-file", "no/such/root.pem", GOOD]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("--ca-file no/such/root.pem"),
        "{}",
        missing.stderr
    );
    let not_pem = otadoctor(&["--trust-store", &testdata("links/several.txt"), GOOD]);
    assert_eq!(not_pem.code, 2);
    assert!(not_pem.stderr.contains("no certificate in it"), "{}", not_pem.stderr);
    let bad_list = otadoctor(&["--offline", "--ct-log-list", &testdata("links/several.txt"), GOOD]);
    assert_eq!(bad_list.code, 2);
    assert!(bad_list.stderr.contains("not JSON"), "{}", bad_list.stderr);
    assert_eq!(otadoctor(&["--dns-server", "resolver.local", GOOD]).code, 2);
    assert_eq!(otadoctor(&["--resolve", "ota.acme-apps.io:443", GOOD]).code, 2);
    assert_eq!(otadoctor(&["--timeout", "0", GOOD]).code, 2);
}
