//! `--format gitlab` (GitLab Code Quality) and `--format junit` (JUnit XML): the GitLab report
//! validates against the fields GitLab's documentation requires and keeps its fingerprints from
//! run to run; the JUnit report parses as XML with one suite per input and one failure per error
//! or warning; text from a hostile page cannot break either document.

mod support;

use std::collections::BTreeSet;

use support::{otadoctor, testdata};

const NOW: &str = "2026-11-25T12:00:00Z";
const CLEAN: &str =
    "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(testdata("schemas/gitlab-codequality.json")).expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::draft7::new(&schema).expect("the schema compiles")
}

#[test]
fn gitlab_code_quality_validates_and_its_fingerprints_are_stable_and_distinct() {
    let page = testdata("pages/install-broken.html");
    let run = otadoctor(&["--offline", "--now", NOW, "--format", "gitlab", &page]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let errors: Vec<String> = validator().iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{}", run.stdout);
    let issues = doc.as_array().expect("an array");
    let json = otadoctor(&["--offline", "--now", NOW, "--format", "json", &page]).json();
    let findings = json["results"][0]["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(issues.len(), findings.len());
    for (issue, finding) in issues.iter().zip(&findings) {
        let code = finding["code"].as_str().expect("code");
        assert!(issue["check_name"].as_str().expect("name").starts_with(code));
        let severity = match finding["severity"].as_str() {
            Some("error") => "critical",
            Some("warning") => "major",
            _ => "info",
        };
        assert_eq!(issue["severity"], severity);
        assert_eq!(issue["location"]["path"], "testdata/pages/install-broken.html");
        assert_eq!(issue["location"]["lines"]["begin"], finding["location"]["line"]);
    }
    let prints: BTreeSet<&str> = issues.iter().filter_map(|i| i["fingerprint"].as_str()).collect();
    assert_eq!(prints.len(), issues.len(), "one fingerprint per issue");
    let again = otadoctor(&["--offline", "--now", NOW, "--format", "gitlab", &page]);
    assert_eq!(
        again.stdout, run.stdout,
        "the same report, fingerprints included, run after run"
    );
    // nothing to report: an empty array, still valid
    let clean = otadoctor(&["--offline", "--format", "gitlab", CLEAN]);
    assert_eq!(clean.stdout, "[]\n");
}

#[test]
fn junit_parses_with_a_suite_per_input_and_a_failure_per_error_or_warning() {
    let page = testdata("pages/install-broken.html");
    let run = otadoctor(&["--offline", "--now", NOW, "--format", "junit", &page, CLEAN]);
    assert_eq!(run.code, 1);
    let doc = roxmltree::Document::parse(&run.stdout).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 2);
    let json = otadoctor(&["--offline", "--now", NOW, "--format", "json", &page]).json();
    let findings = json["results"][0]["findings"].as_array().cloned().unwrap_or_default();
    let failing = findings.iter().filter(|f| f["severity"] != "info").count();
    let failures = suites[0].descendants().filter(|n| n.has_tag_name("failure")).count();
    assert_eq!(failures, failing);
    assert_eq!(suites[0].attribute("failures"), Some(failing.to_string().as_str()));
    // the message of the first failure, with its line breaks, as the finding says it
    let first = suites[0]
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    let text = first.text().unwrap_or_default();
    assert!(
        text.contains("\ndevice: tapping the link does nothing\nfix: "),
        "{text}"
    );
    // a clean input: one passing case
    let cases: Vec<_> = suites[1].children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].attribute("name"), Some("no problems found"));
    assert_eq!(suites[1].attribute("failures"), Some("0"));
}

#[test]
fn hostile_text_cannot_break_either_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hostile.txt");
    let hostile = "]]></failure><script>x</script>\u{1b}[31m\u{202e}\"'\n\
        itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2F%3Cscript%3E%22%5D%5D%3E.plist\n";
    std::fs::write(&path, hostile).expect("write");
    let file = path.display().to_string();
    let junit = otadoctor(&["--offline", "--format", "junit", &file]);
    let doc = roxmltree::Document::parse(&junit.stdout).expect("still well-formed XML");
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("script")).count(), 0);
    assert!(!junit.stdout.contains('\u{1b}') && !junit.stdout.contains('\u{202e}'));
    let gitlab = otadoctor(&["--offline", "--format", "gitlab", &file]);
    let doc: serde_json::Value = serde_json::from_str(&gitlab.stdout).expect("still JSON");
    assert!(validator().is_valid(&doc));
    assert!(!gitlab.stdout.contains('\u{1b}') && !gitlab.stdout.contains('\u{202e}'));
}
