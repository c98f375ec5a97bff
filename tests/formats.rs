//! `--format sarif`, `github` and `markdown`: SARIF valid against the official 2.1.0 schema with a
//! physical location on every result, GitHub workflow commands and Markdown compared with
//! snapshots (`OTADOCTOR_BLESS=1 cargo test --test formats` rewrites them), escaping of hostile
//! text, and exit codes that do not depend on the format.

mod support;

use serde_json::Value;
use support::lab::{Route, Site};
use support::{Run, assert_snapshot, otadoctor, otadoctor_args, otadoctor_with, testdata};

const HOST: &str = "ota.acme-apps.test";
const PAGE: &str = "testdata/pages/install-broken.html";
const PACKAGE: &str = "testdata/ipa/docs/Field.ipa";
const LINK_WITH_ENTITY: &str =
    "itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/field/manifest.plist";
const GOOD_LINK: &str =
    "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";

// ---------------------------------------------------------------------------------------------
// SARIF

/// The official schema, with the one format draft 4 does not know checked by hand.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(testdata("sarif/sarif-schema-2.1.0.json")).expect("the SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    // the schema is draft 4, where "uri-reference" is an unknown format that would be skipped
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .with_format("uri-reference", is_uri_reference)
        .build(&schema)
        .expect("the schema compiles")
}

/// RFC 3986 URI-reference: only unreserved and reserved characters and well-formed `%XX`; when
/// there is a scheme it is a valid one, and a relative reference has no `:` in its first segment.
fn is_uri_reference(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    let first_segment_end = s.find(['/', '?', '#']).unwrap_or(s.len());
    match s[..first_segment_end].find(':') {
        None => true,
        Some(colon) => {
            let scheme = &s[..colon];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && url::Url::parse(s).is_ok()
        }
    }
}

fn schema_errors(doc: &Value) -> Vec<String> {
    sarif_validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Parses a SARIF run, validates it against the schema and checks what GitHub needs of every
/// result: a physical location, and a rule id (and index) the driver lists.
fn valid_sarif(run: &Run) -> Value {
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let doc = run.json();
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "not valid SARIF 2.1.0:\n{}", errors.join("\n"));
    let sarif_run = &doc["runs"][0];
    let rules: Vec<&str> = sarif_run["tool"]["driver"]["rules"]
        .as_array()
        .expect("driver.rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    // the rules the results use, each once, in the order first used
    let mut used: Vec<&str> = Vec::new();
    for result in results(&doc) {
        let id = result["ruleId"].as_str().unwrap_or_default();
        if !used.contains(&id) {
            used.push(id);
        }
    }
    assert_eq!(rules, used, "only the rules used are listed");
    for rule in sarif_run["tool"]["driver"]["rules"].as_array().into_iter().flatten() {
        let help = rule["helpUri"].as_str().expect("helpUri");
        assert!(url::Url::parse(help).is_ok(), "{help}");
    }
    let mut fingerprints = std::collections::HashSet::new();
    for result in results(&doc) {
        let print = result["partialFingerprints"]["otadoctor/v1"]
            .as_str()
            .expect("a fingerprint");
        assert_eq!(print.len(), 32, "{print}");
        fingerprints.insert(print.to_string());
    }
    assert_eq!(
        fingerprints.len(),
        results(&doc).len(),
        "distinct results, distinct fingerprints"
    );
    for result in results(&doc) {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules.get(index), Some(&rule_id), "ruleIndex points at ruleId: {result}");
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap_or_default();
        assert!(!uri.is_empty(), "a result without a physical location: {result}");
        assert!(!result["message"]["text"].as_str().unwrap_or_default().is_empty());
    }
    doc
}

fn results(doc: &Value) -> Vec<&Value> {
    doc["runs"][0]["results"].as_array().into_iter().flatten().collect()
}

fn uris_and_lines(doc: &Value) -> Vec<(String, Option<u64>)> {
    results(doc)
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                location["region"]["startLine"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn the_schema_is_the_official_file_and_is_enforced() {
    // testdata/sarif/README.md says where the file comes from; its hash is recorded there
    let readme = std::fs::read_to_string(testdata("sarif/README.md")).expect("testdata/sarif/README.md");
    assert!(readme.contains("c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"));
    let run = otadoctor(&["--offline", "--format", "sarif", PAGE]);
    let good = valid_sarif(&run);
    // the validator does reject what is wrong: a result without its message, a bad level, a
    // URI with a space in it
    let mut no_message = good.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .expect("a result")
        .remove("message");
    assert!(!schema_errors(&no_message).is_empty());
    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema_errors(&bad_level).is_empty());
    let mut bad_uri = good;
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "dist/beta build.html".into();
    assert!(!schema_errors(&bad_uri).is_empty());
}

#[test]
fn sarif_of_a_page_points_at_each_links_line() {
    let run = otadoctor(&["--offline", "--format", "sarif", PAGE]);
    assert_eq!(run.code, 1);
    let doc = valid_sarif(&run);
    let expected: Vec<(String, Option<u64>)> = [11, 13, 15, 15, 17, 17, 22]
        .into_iter()
        .map(|line| (PAGE.to_string(), Some(line)))
        .collect();
    assert_eq!(uris_and_lines(&doc), expected);
    let first = results(&doc)[0];
    assert_eq!(first["ruleId"], "LNK006");
    assert_eq!(first["level"], "error");
    assert_eq!(first["properties"]["resource"], "link");
    assert_eq!(first["properties"]["basis"], "inferred");
    assert_eq!(first["properties"]["input"], PAGE);
    assert_eq!(
        first["properties"]["corrected_link"],
        "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"
    );
    // the subject is named in the message when the message does not already hold it
    let url001 = results(&doc)[3];
    assert_eq!(
        url001["message"]["text"],
        "the manifest URL uses http, not https (http://ota.acme-apps.io/field/manifest.plist)"
    );
    let sarif_run = &doc["runs"][0];
    // columns count characters (code points), as every other format writes them
    assert_eq!(sarif_run["columnKind"], "unicodeCodePoints");
    assert_eq!(sarif_run["invocations"][0]["executionSuccessful"], true);
    let driver = &sarif_run["tool"]["driver"];
    assert_eq!(driver["name"], "otadoctor");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["informationUri"], "https://docs.rs/otadoctor");
}

#[test]
fn sarif_of_a_directory_scan_points_at_lines_relative_to_the_directory() {
    // what GitHub code scanning needs to show a result on its line: a uri relative to the
    // repository root (the directory scanned, %SRCROOT%) and a region
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-scan");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("web/beta build")).expect("a tree");
    std::fs::copy(
        testdata("pages/install-broken.html"),
        root.join("web/beta build/install.html"),
    )
    .expect("a page");
    std::fs::write(
        root.join("TICKET.txt"),
        "Hi,\n  the link itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/m.plist fails\n",
    )
    .expect("a ticket");
    let dir = root.display().to_string();
    let run = otadoctor(&["--offline", "--format", "sarif", &dir]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = valid_sarif(&run);
    let located: Vec<(String, String, u64, u64)> = results(&doc)
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                location["artifactLocation"]["uriBaseId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                location["region"]["startLine"].as_u64().unwrap_or(0),
                location["region"]["startColumn"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let page = "web/beta%20build/install.html";
    let base = "%SRCROOT%";
    let mut expected = vec![("TICKET.txt".to_string(), base.to_string(), 2, 12)];
    for (line, column) in [(11, 9), (13, 9), (15, 9), (15, 9), (17, 11), (17, 11), (22, 26)] {
        expected.push((page.to_string(), base.to_string(), line, column));
    }
    assert_eq!(located, expected);
    let canonical = root.canonicalize().expect("the tree");
    assert_eq!(
        doc["runs"][0]["originalUriBaseIds"][base]["uri"],
        format!("file://{}/", canonical.display()).as_str()
    );
    // a file given as an argument beside it keeps its path from the working directory
    in_crate_dir();
    let run = otadoctor(&["--offline", "--format", "sarif", &dir, PAGE]);
    let doc = valid_sarif(&run);
    let last = results(&doc).last().copied().expect("a result");
    assert_eq!(
        last["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        PAGE
    );
    assert!(
        last["locations"][0]["physicalLocation"]["artifactLocation"]
            .get("uriBaseId")
            .is_none()
    );
}

#[test]
fn sarif_writes_suppressed_findings_with_their_suppressions() {
    // an `otadoctor: ignore[…]` comment (inSource) and a per-path ignore of the configuration
    // file (external): results with SARIF's own `suppressions`, which code scanning hides
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-suppressed");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("tests/fixtures")).expect("a tree");
    let link =
        "<a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/m.plist\">x</a>";
    std::fs::write(root.join("tests/fixtures/broken.html"), format!("{link}\n")).expect("a fixture");
    std::fs::write(
        root.join("install.html"),
        format!("<!-- otadoctor: ignore[LNK006] \u{202e} -->\n{link}\n{link}\n"),
    )
    .expect("a page");
    std::fs::write(
        root.join("otadoctor.toml"),
        "[per-path-ignores]\n\"tests/fixtures/**\" = [\"LNK006\"]\n",
    )
    .expect("a configuration file");
    let run = otadoctor(&["--offline", "--format", "sarif", &root.display().to_string()]);
    // one finding is not suppressed (line 3: its line before holds a link, not the comment)
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = valid_sarif(&run);
    let suppressions: Vec<(u64, String)> = results(&doc)
        .iter()
        .map(|r| {
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap_or(0);
            let kinds = r["suppressions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["kind"].as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(",");
            (line, kinds)
        })
        .collect();
    assert_eq!(
        suppressions,
        [
            (3, String::new()),
            (2, "inSource".to_string()),
            (1, "external".to_string())
        ]
    );
    let justification = results(&doc)[1]["suppressions"][0]["justification"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        justification.starts_with("otadoctor: ignore[LNK006] (install.html:1)"),
        "{justification}"
    );
}

#[test]
fn sarif_rules_carry_the_registry() {
    let run = otadoctor(&["--offline", "--format", "sarif", PAGE]);
    let doc = valid_sarif(&run);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for rule in rules {
        let registered = otadoctor::registry::ALL
            .iter()
            .find(|r| rule["id"] == r.code)
            .expect("a registered rule");
        assert_eq!(rule["shortDescription"]["text"], registered.summary);
        assert_eq!(rule["help"]["markdown"], registered.doc);
        assert_eq!(rule["properties"]["family"], registered.family.prefix());
        assert_eq!(rule["properties"]["basis"], registered.basis.as_str());
        assert_eq!(
            rule["helpUri"],
            format!(
                "https://docs.rs/crate/otadoctor/{}/source/rules/{}",
                env!("CARGO_PKG_VERSION"),
                registered.doc_file()
            )
        );
        let level = match registered.severity {
            otadoctor::severity::Severity::Error => "error",
            otadoctor::severity::Severity::Warning => "warning",
            otadoctor::severity::Severity::Info => "note",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level);
    }
    assert_eq!(rules[0]["name"], "HtmlEntityInLink");
    // a typical run stays small: only the docs of the rules it uses
    assert!(run.stdout.len() < 100 * 1024, "{} bytes", run.stdout.len());
    // --rule-docs-url: a template, or a folder
    let run = otadoctor(&[
        "--offline",
        "--format",
        "sarif",
        "--rule-docs-url",
        "https://github.com/acme/otadoctor/blob/v1/rules/",
        PAGE,
    ]);
    let doc = valid_sarif(&run);
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
        "https://github.com/acme/otadoctor/blob/v1/rules/LNK006-html-entity-in-link.md"
    );
    let run = otadoctor(&[
        "--offline",
        "--format",
        "sarif",
        "--rule-docs-url",
        "https://wiki.acme.io/otadoctor?rule={code}",
        PAGE,
    ]);
    let doc = valid_sarif(&run);
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
        "https://wiki.acme.io/otadoctor?rule=LNK006"
    );
    let bad = otadoctor(&["--offline", "--rule-docs-url", "rules/", PAGE]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn sarif_fingerprints_are_the_same_from_run_to_run() {
    let prints = || {
        let doc = valid_sarif(&otadoctor(&["--offline", "--format", "sarif", PAGE]));
        results(&doc)
            .iter()
            .map(|r| r["partialFingerprints"]["otadoctor/v1"].to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(prints(), prints());
}

#[test]
fn sarif_of_link_arguments_points_at_the_lines_of_the_anchor_that_hold_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let anchor = dir.path().join("install.md");
    let other = "itms-services:?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fb.plist";
    std::fs::write(
        &anchor,
        format!("# Install\n\nBeta: {LINK_WITH_ENTITY}\n\nOld: {other}\n"),
    )
    .expect("write");
    let anchor = anchor.display().to_string();
    let run = otadoctor(&[
        "--offline",
        "--format",
        "sarif",
        "--sarif-anchor",
        &anchor,
        LINK_WITH_ENTITY,
        other,
    ]);
    let doc = valid_sarif(&run);
    let places: Vec<(Option<u64>, Option<u64>)> = results(&doc)
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            (region["startLine"].as_u64(), region["startColumn"].as_u64())
        })
        .collect();
    assert_eq!(places.first(), Some(&(Some(3), Some(7))), "{places:?}");
    assert_eq!(places.last(), Some(&(Some(5), Some(6))), "{places:?}");
}

#[test]
fn sarif_of_a_link_argument_points_at_the_anchor() {
    let run = otadoctor(&[
        "--offline",
        "--format",
        "sarif",
        "--sarif-anchor",
        "docs/install.md",
        LINK_WITH_ENTITY,
    ]);
    assert_eq!(run.code, 1);
    let doc = valid_sarif(&run);
    assert_eq!(uris_and_lines(&doc), [("docs/install.md".to_string(), None)]);
    // an anchor with characters a URI cannot hold is percent-encoded
    let run = otadoctor(&[
        "--offline",
        "--format",
        "sarif",
        "--sarif-anchor",
        "docs/beta build/100%.md",
        LINK_WITH_ENTITY,
    ]);
    let doc = valid_sarif(&run);
    assert_eq!(uris_and_lines(&doc)[0].0, "docs/beta%20build/100%25.md");
}

#[test]
fn a_link_argument_without_an_anchor_is_a_usage_error() {
    // with findings or without: a CI job must not break only on the day it finds something
    for link in [LINK_WITH_ENTITY, GOOD_LINK] {
        let run = otadoctor(&["--offline", "--format", "sarif", link]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains("--sarif-anchor"), "{}", run.stderr);
    }
    // standard input is no file either
    let run = otadoctor_with(&["--offline", "--format", "sarif", "-"], LINK_WITH_ENTITY, false, false);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--sarif-anchor"), "{}", run.stderr);
    let run = otadoctor_with(
        &["--offline", "--format", "sarif", "--sarif-anchor", "links.txt", "-"],
        LINK_WITH_ENTITY,
        false,
        false,
    );
    assert_eq!(run.code, 1);
    assert_eq!(uris_and_lines(&valid_sarif(&run)), [("links.txt".to_string(), None)]);
}

#[test]
fn sarif_of_a_file_of_links_points_at_each_line() {
    let file = "testdata/links/several.txt";
    let doc = valid_sarif(&otadoctor(&["--offline", "--format", "sarif", file]));
    let lines: Vec<(String, Option<u64>)> = uris_and_lines(&doc);
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|(uri, line)| uri == file && line.is_some()),
        "{lines:?}"
    );
    // an absolute path under the working directory is written relative to it
    let absolute = testdata("links/several.txt");
    let doc = valid_sarif(&otadoctor(&["--offline", "--format", "sarif", &absolute]));
    assert_eq!(uris_and_lines(&doc), lines);
}

#[test]
fn sarif_of_a_package_points_at_the_package() {
    let run = otadoctor(&["--offline", "--format", "sarif", PACKAGE]);
    assert_eq!(run.code, 1);
    let doc = valid_sarif(&run);
    let codes: Vec<&str> = results(&doc).iter().filter_map(|r| r["ruleId"].as_str()).collect();
    assert_eq!(codes, ["SIG001", "SIG011"]);
    assert!(
        uris_and_lines(&doc)
            .iter()
            .all(|(uri, line)| uri == PACKAGE && line.is_none())
    );
    // no findings: still a valid log, with every rule and no result
    let run = otadoctor(&["--offline", "--format", "sarif", "--ignore", "SIG", PACKAGE]);
    assert_eq!(run.code, 0);
    let doc = valid_sarif(&run);
    assert!(results(&doc).is_empty());
}

/// A site on loopback whose package answers 404: followed for real, over HTTPS.
fn broken_site() -> Site {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::PACKAGE,
        Route::status(404, "application/xml", "<Error><Code>NoSuchKey</Code></Error>"),
    );
    site
}

/// The lab's options (trust its root, point the host at it) and `extra`.
fn lab_run(site: &Site, extra: &[&str]) -> Run {
    let mut args = site.lab.args(&[&site.host]);
    args.extend(["--timeout".to_string(), "3".to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    otadoctor_args(&args)
}

#[test]
fn sarif_of_a_walked_link_is_valid() {
    let site = broken_site();
    let link = site.link();
    let run = lab_run(
        &site,
        &["--format", "sarif", "--sarif-anchor", "deploy/install.html", &link],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let doc = valid_sarif(&run);
    let codes: Vec<&str> = results(&doc).iter().filter_map(|r| r["ruleId"].as_str()).collect();
    assert!(codes.contains(&"HTTP001"), "{codes:?}");
    assert!(codes.contains(&"TLS005"), "{codes:?}");
    assert!(
        uris_and_lines(&doc)
            .iter()
            .all(|(uri, line)| uri == "deploy/install.html" && line.is_none())
    );
    let note = results(&doc)
        .into_iter()
        .find(|r| r["ruleId"] == "TLS005")
        .expect("TLS005");
    assert_eq!(note["level"], "note");
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/// The snapshots use paths relative to the crate, which is the tests' working directory.
fn in_crate_dir() {
    let cwd = std::env::current_dir().expect("a working directory");
    assert_eq!(
        cwd.canonicalize().ok(),
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().ok(),
        "the tests run in the crate's directory"
    );
}

#[test]
fn github_output_of_a_page_matches_its_snapshot() {
    in_crate_dir();
    let run = otadoctor(&["--offline", "--format", "github", PAGE]);
    assert_eq!(run.code, 1);
    assert_snapshot("github-install-broken.txt", &run.stdout);
}

#[test]
fn github_output_of_a_package_and_a_link_matches_its_snapshot() {
    in_crate_dir();
    let run = otadoctor(&["--offline", "--format", "github", PACKAGE, LINK_WITH_ENTITY]);
    assert_eq!(run.code, 1);
    assert_snapshot("github-package-and-link.txt", &run.stdout);
}

#[test]
fn markdown_output_of_a_page_matches_its_snapshot() {
    in_crate_dir();
    let run = otadoctor(&["--offline", "--format", "markdown", PAGE]);
    assert_eq!(run.code, 1);
    assert_snapshot("markdown-install-broken.md", &run.stdout);
}

#[test]
fn markdown_output_of_a_package_and_links_matches_its_snapshot() {
    in_crate_dir();
    let run = otadoctor(&[
        "--offline",
        "--format",
        "markdown",
        PACKAGE,
        "testdata/links/mail-wrapped.txt",
    ]);
    assert_eq!(run.code, 1);
    assert_snapshot("markdown-package-and-links.md", &run.stdout);
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands

#[test]
fn github_commands_have_one_line_per_finding_then_the_summary() {
    let run = otadoctor(&["--offline", "--format", "github", PAGE]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{}", run.stdout);
    assert!(
        lines[..7]
            .iter()
            .all(|l| l.starts_with("::error file=testdata/pages/install-broken.html,line="))
    );
    assert_eq!(lines[7], "7 errors · exit 1");
    assert!(lines[0].starts_with(
        "::error file=testdata/pages/install-broken.html,line=11,col=9,title=LNK006 html-entity-in-link::"
    ));
    // info is ::notice, warnings ::warning
    let site = broken_site();
    let link = site.link();
    let run = lab_run(&site, &["--format", "github", &link]);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::notice title=TLS005 private-root::")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error title=HTTP001 http-status::")),
        "{}",
        run.stdout
    );
}

#[test]
fn github_commands_escape_percent_comma_colon_and_line_breaks() {
    // a file whose name holds "," and ":" (properties), whose finding's text holds "%", ",", ":"
    // and line breaks (the message): URL003's fix, "%20 must be written %2520, …"
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let page = dir.join("install,v2:beta.html");
    std::fs::copy(testdata("pages/install-broken.html"), &page).expect("copy the page");
    let run = otadoctor(&["--offline", "--format", "github", &page.display().to_string()]);
    let url003 = run
        .stdout
        .lines()
        .find(|l| l.contains("title=URL003"))
        .unwrap_or_else(|| panic!("no URL003 annotation:\n{}", run.stdout));
    let (command, message) = url003
        .split_once("::")
        .map(|(_, rest)| rest)
        .and_then(|r| r.split_once("::"))
        .expect("::command properties::message");
    // properties: "," and ":" inside a value are escaped, so they cannot end it
    assert!(
        command.contains("install%2Cv2%3Abeta.html,line=17,col=11,title=URL003 url-invalid-characters"),
        "{command}"
    );
    assert!(!command.contains("install,v2"));
    // message: "%" and line breaks escaped; "," and ":" as they are
    assert!(message.contains("beta%2520build"), "{message}");
    assert!(message.contains("%0Afix: percent-encode it: https://"), "{message}");
    assert!(
        message.contains("iOS decodes url= once, so a %2520 must be written %252520 in the link:"),
        "{message}"
    );
    assert!(!message.contains('\n') && !message.contains('\r'));
}

#[test]
fn github_commands_cannot_be_injected_by_the_input() {
    // a link that carries a workflow command after a line break (the link is rejoined) and a
    // terminal escape: every line is still one of ours, and no escape reaches the log
    let hostile = "itms-services://?action=download-manifest\n::error::pwned&amp;url=https://x\u{1b}[31m/a.plist";
    let run = otadoctor_with(
        &["--offline", "--format", "github", "--sarif-anchor", "links.txt", "-"],
        hostile,
        false,
        false,
    );
    for line in run.stdout.lines() {
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(
            line.starts_with("::error file=links.txt,")
                || line.starts_with("::warning file=links.txt,")
                || !line.starts_with("::"),
            "{line}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// The Markdown as GitHub would render it (CommonMark with tables).
fn to_html(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

#[test]
fn markdown_lets_no_html_or_formatting_through_from_the_input() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let page = dir.join("hostile.html");
    std::fs::write(
        &page,
        "<!doctype html><html><body>\n<a href=\"itms-services://?action=<img src=x onerror=alert(1)>|*bold*_[x](javascript:y)`&amp;url=https%3A%2F%2Fota.acme-apps.io%2F%3Cscript%3E%2Fmanifest.plist\">Install</a>\n</body></html>\n",
    )
    .expect("write the page");
    let run = otadoctor(&["--offline", "--format", "markdown", &page.display().to_string()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let html = to_html(&run.stdout);
    for tag in ["<img", "<script", "<em>", "<strong>bold", "href=\"javascript"] {
        assert!(!html.contains(tag), "{tag} got through:\n{html}\n\n{}", run.stdout);
    }
    // the text itself is still there, as text
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    assert!(html.contains("*bold*"), "{html}");
}

#[test]
fn markdown_shows_the_walked_chain_as_a_table() {
    let site = broken_site();
    let link = site.link();
    let run = lab_run(&site, &["--format", "markdown", &link]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let out = &run.stdout;
    assert!(
        out.contains("| step | request | status | type | size | time | TLS |"),
        "{out}"
    );
    let manifest_row = out
        .lines()
        .find(|l| l.starts_with("| manifest |"))
        .unwrap_or_else(|| panic!("no manifest row:\n{out}"));
    assert!(
        manifest_row.contains(&format!("`GET {}`", site.url(Site::MANIFEST))),
        "{manifest_row}"
    );
    assert!(manifest_row.contains("| 200 | text/xml |"), "{manifest_row}");
    assert!(manifest_row.ends_with("| ✓ |"), "{manifest_row}");
    let package_rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| package |")).collect();
    assert!(
        package_rows
            .iter()
            .any(|r| r.contains("`HEAD ") && r.contains("| 404 |")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("| icon (display-image) |")), "{out}");
    assert!(out.contains("- **error** `HTTP001` http-status — "), "{out}");
    // every table row has the header's seven cells, as a Markdown renderer reads them
    let html = to_html(out);
    let table = html.split("<tbody>").nth(1).expect("a table body");
    for row in table.split("<tr>").skip(1) {
        assert_eq!(row.matches("<td").count(), 7, "{row}");
    }
}

#[test]
fn markdown_links_each_finding_to_its_rule_doc() {
    let run = otadoctor(&["--offline", "--format", "markdown", PAGE]);
    for rule in [
        "LNK006-html-entity-in-link",
        "LNK007-manifest-query-not-encoded",
        "URL001-url-not-https",
    ] {
        // absolute: a report pasted into a ticket or a comment has no repository around it
        let doc = format!(
            "(https://docs.rs/crate/otadoctor/{}/source/rules/{rule}.md)",
            env!("CARGO_PKG_VERSION")
        );
        assert!(run.stdout.contains(&doc), "{doc} missing");
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("rules/{rule}.md"))
                .is_file()
        );
    }
    assert!(run.stdout.contains("Skipped: following the links"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn the_format_does_not_change_the_exit_code() {
    let cases: [(&[&str], i32); 4] = [
        (&["--offline", PAGE], 1),
        (&["--offline", "--fail-on", "never", PAGE], 0),
        (&["--offline", "--sarif-anchor", "links.txt", GOOD_LINK], 0),
        (&["--offline", "--ignore", "SIG", PACKAGE], 0),
    ];
    for (args, code) in cases {
        for format in ["human", "json", "sarif", "github", "markdown"] {
            let mut all = vec!["--format", format];
            all.extend_from_slice(args);
            let run = otadoctor(&all);
            assert_eq!(run.code, code, "--format {format} {args:?}: {}", run.stderr);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// README

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The body of the first block opened by `fence` (e.g. "```json") after `marker`.
fn block_after<'a>(text: &'a str, marker: &str, fence: &str) -> &'a str {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in the README"));
    let open = format!("{fence}\n");
    let start = at
        + text[at..]
            .find(&open)
            .unwrap_or_else(|| panic!("no {fence} block after {marker:?}"))
        + open.len();
    let close = fence.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let end = start + text[start..].find(close).expect("the end of the block");
    &text[start..end]
}

/// The quoted argument of the README's command line that starts with `command`.
fn quoted_argument<'a>(text: &'a str, command: &str) -> &'a str {
    let at = text
        .find(command)
        .unwrap_or_else(|| panic!("{command:?} not in the README"));
    text[at + command.len()..]
        .split('\'')
        .next()
        .expect("a quoted argument")
}

#[test]
fn the_readme_examples_are_real() {
    in_crate_dir();
    let readme = readme();
    // SARIF: the result shown is the first result of the command shown
    let command = "$ otadoctor --offline --format sarif --sarif-anchor docs/install.md '";
    let link = quoted_argument(&readme, command);
    let run = otadoctor(&[
        "--offline",
        "--format",
        "sarif",
        "--sarif-anchor",
        "docs/install.md",
        link,
    ]);
    let shown: Value =
        serde_json::from_str(block_after(&readme, command, "```json")).expect("the SARIF result is JSON");
    assert_eq!(
        shown,
        results(&valid_sarif(&run))[0].clone(),
        "the README's SARIF result is stale"
    );
    // GitHub: every line shown but "…" is a line of the real output, in order
    let command = "$ otadoctor --offline --format github testdata/pages/install-broken.html\n";
    let run = otadoctor(&["--offline", "--format", "github", PAGE]);
    let at = readme.find(command).expect("the GitHub example") + command.len();
    let shown = &readme[at..at + readme[at..].find("```").expect("the end of the GitHub example")];
    let mut real = run.stdout.lines();
    for line in shown.lines().filter(|l| *l != "…") {
        assert!(real.any(|r| r == line), "the README's GitHub example is stale: {line}");
    }
    // Markdown: shown whole
    let command = "$ otadoctor --offline --format markdown '";
    let link = quoted_argument(&readme, command);
    let run = otadoctor(&["--offline", "--format", "markdown", link]);
    assert_eq!(
        block_after(&readme, command, "````markdown"),
        run.stdout,
        "the README's Markdown example is stale"
    );
}

#[test]
fn the_markdown_report_carries_the_symptom_and_device_answers() {
    let package = support::testdata("ipa/docs/Field-app-store.ipa");
    let ca = support::testdata("profiles/docs/lab-ca.pem");
    let run = support::otadoctor(&[
        "--offline",
        "--format",
        "markdown",
        "--now",
        "2026-11-25T12:00:00Z",
        "--profile-ca",
        &ca,
        "--symptom",
        "Unable to Download App",
        "--udid",
        "00008030-001A35E11A88802E",
        &package,
    ]);
    support::assert_in_order(
        &run.stdout,
        &[
            "**Symptom** Unable to Download App (could not be installed at this time): explained by `SIG002` (listed first)",
            "**Device** `00008030-001A35E11A88802E`: **no**, not provisioned for this device",
            "- the app Field.app: App Store profile, no device",
            "- **error** `SIG002` app-store-profile",
        ],
    );
}
