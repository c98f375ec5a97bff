//! `--fix` and `--diff` round trips through the real binary: after `--fix` the file checks
//! clean and nothing else in it changed (the file is the original with exactly the link's
//! literal replaced); `--diff` writes nothing, and its output, applied with `patch -p1`, gives
//! the file `--fix` writes. Template values are never touched.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::testdata;

/// A scratch folder the binary runs in (relative paths, as a user types them).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("otadoctor-fix-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn otadoctor_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run otadoctor")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The codes of a `--format json` run.
fn codes(out: &Output) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&out.stdout), text(&out.stderr)));
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["findings"].as_array().into_iter().flatten())
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A file to fix: its name, its text, and the one literal that must change, as written in the
/// file before and after.
struct RoundTrip {
    what: &'static str,
    name: &'static str,
    original: String,
    before: &'static str,
    after: &'static str,
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(testdata(path)).expect("fixture")
}

const PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Install</title></head>\n<body>\n  <h1>Field</h1>\n  <p><a class=\"button\" href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist\">Install</a></p>\n  <p><a href=\"https://acme-apps.io/help\">Help</a></p>\n</body>\n</html>\n";

fn round_trips() -> Vec<RoundTrip> {
    vec![
        RoundTrip {
            what: "prose (a ticket's quoted reply)",
            name: "ticket.txt",
            original: fixture("text/prose/quoted-reply.txt"),
            before: "itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/field/manifest.plist",
            after: "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist",
        },
        RoundTrip {
            what: "a Markdown link target",
            name: "RELEASE.md",
            original: fixture("text/markdown/double-encoded-target.md"),
            before: "itms-services://?action=download-manifest&amp;amp;url=https%3A%2F%2Fota.acme-apps.io%2Frelease%2F3.4%2Fmanifest.plist",
            after: "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Frelease%2F3.4%2Fmanifest.plist",
        },
        RoundTrip {
            what: "a JSON value",
            name: "response.json",
            original: fixture("text/config/json/api-response.json"),
            before: "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Fapp%2Fmanifest.plist",
            after: "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fapp%2Fmanifest.plist",
        },
        RoundTrip {
            what: "a YAML double-quoted scalar",
            name: "channels.yml",
            original: fixture("text/config/yaml/flow-links.yml"),
            before: "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Fbeta%2Fmanifest.plist",
            after: "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fbeta%2Fmanifest.plist",
        },
        RoundTrip {
            what: "a plist string in a .mobileconfig",
            name: "clip.mobileconfig",
            original: fixture("text/config/xml/webclip-double-escaped.mobileconfig"),
            before: "itms-services://?action=download-manifest&amp;amp;url=https%3A%2F%2Fota.acme-apps.io%2Fpilot%2Fmanifest.plist",
            after: "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Fpilot%2Fmanifest.plist",
        },
        RoundTrip {
            what: "an HTML attribute",
            name: "install.html",
            original: PAGE.to_string(),
            before: "itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist",
            after: "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist",
        },
        RoundTrip {
            what: "a TOML literal string",
            name: "links.toml",
            original: fixture("text/config/keyvalue/links.toml"),
            before: "itms-services:///?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fnightly%2Fmanifest.plist",
            after: "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fnightly%2Fmanifest.plist",
        },
        RoundTrip {
            what: "a .env double-quoted value",
            name: "deploy.env",
            original: fixture("text/config/keyvalue/deploy.env"),
            before: "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist",
            after: "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist",
        },
    ]
}

/// What `--fix` must write: the original with the one literal replaced, nothing else.
fn expected_fix(case: &RoundTrip) -> String {
    assert_eq!(
        case.original.matches(case.before).count(),
        1,
        "{}: the literal must stand once in the fixture",
        case.what
    );
    case.original.replacen(case.before, case.after, 1)
}

#[test]
fn fix_rewrites_only_the_link_and_the_file_then_checks_clean() {
    for (i, case) in round_trips().iter().enumerate() {
        let dir = scratch(&format!("fix{i}"));
        std::fs::write(dir.join(case.name), &case.original).expect("write fixture");
        let before = otadoctor_in(&dir, &["--offline", "--format", "json", case.name]);
        assert!(!codes(&before).is_empty(), "{}: the fixture is not broken", case.what);
        let fixed = otadoctor_in(&dir, &["--offline", "--fix", case.name]);
        let stderr = text(&fixed.stderr);
        assert_eq!(
            fixed.status.code(),
            Some(0),
            "{}: after --fix nothing remains:\n{}\n{stderr}",
            case.what,
            text(&fixed.stdout)
        );
        assert!(
            stderr.contains("fixed  ") && stderr.contains("fixed 1 link in 1 file"),
            "{stderr}"
        );
        let written = std::fs::read_to_string(dir.join(case.name)).expect("fixed file");
        assert_eq!(written, expected_fix(case), "{}: more than the link changed", case.what);
        let after = otadoctor_in(&dir, &["--offline", "--format", "json", case.name]);
        assert_eq!(
            codes(&after),
            Vec::<String>::new(),
            "{}: the fixed file still has findings",
            case.what
        );
        assert_eq!(after.status.code(), Some(0));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn has_patch() -> bool {
    Command::new("patch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn diff_writes_nothing_and_patch_applies_it_to_what_fix_writes() {
    let patch = has_patch();
    if !patch {
        eprintln!("patch is not installed: the diffs are compared with the expected text only");
    }
    for (i, case) in round_trips().iter().enumerate() {
        let dir = scratch(&format!("diff{i}"));
        std::fs::write(dir.join(case.name), &case.original).expect("write fixture");
        let out = otadoctor_in(&dir, &["--offline", "--diff", case.name]);
        let diff = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: the fixed file would check clean",
            case.what
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(case.name)).expect("file"),
            case.original,
            "{}: --diff wrote the file",
            case.what
        );
        assert!(
            diff.starts_with(&format!("--- a/{0}\n+++ b/{0}\n@@ -", case.name)),
            "{diff}"
        );
        let changed = |mark: char, literal: &str| diff.lines().any(|l| l.starts_with(mark) && l.contains(literal));
        assert!(changed('-', case.before) && changed('+', case.after), "{diff}");
        assert!(
            text(&out.stderr).contains("would fix 1 link in 1 file"),
            "{}",
            text(&out.stderr)
        );
        if patch {
            let mut child = Command::new("patch")
                .args(["-p1", "--quiet"])
                .current_dir(&dir)
                .stdin(std::process::Stdio::piped())
                .spawn()
                .expect("patch");
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(diff.as_bytes())
                .expect("diff to patch");
            assert!(
                child.wait().expect("patch").success(),
                "{}: patch refused:\n{diff}",
                case.what
            );
            assert_eq!(
                std::fs::read_to_string(dir.join(case.name)).expect("patched"),
                expected_fix(case),
                "{}: the patched file is not what --fix writes",
                case.what
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_diff_has_three_lines_of_context() {
    let dir = scratch("context");
    std::fs::write(dir.join("install.html"), PAGE).expect("page");
    let out = otadoctor_in(&dir, &["--offline", "--diff", "install.html"]);
    assert_eq!(
        text(&out.stdout),
        "--- a/install.html\n+++ b/install.html\n@@ -3,7 +3,7 @@\n <head><meta charset=\"utf-8\"><title>Install</title></head>\n <body>\n   <h1>Field</h1>\n-  <p><a class=\"button\" href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist\">Install</a></p>\n+  <p><a class=\"button\" href=\"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist\">Install</a></p>\n   <p><a href=\"https://acme-apps.io/help\">Help</a></p>\n </body>\n </html>\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn template_values_are_never_touched_and_what_remains_sets_the_exit_code() {
    let dir = scratch("template");
    let original = "{\n  \"fixed\": \"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Fa%2Fmanifest.plist\",\n  \"template\": \"itms-services://?action=download-manifest&amp;url={{ manifest_url }}\"\n}\n";
    std::fs::write(dir.join("links.json"), original).expect("write");
    let out = otadoctor_in(&dir, &["--offline", "--fix", "links.json"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "left   links.json:3:16  the link is built from template values ({{ manifest_url }}): they are not touched"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("fixed 1 link in 1 file; 1 link left as it was"),
        "{stderr}"
    );
    // the template link's "&amp;" remains, and so does exit 1
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("LNK006"), "{}", text(&out.stdout));
    let written = std::fs::read_to_string(dir.join("links.json")).expect("file");
    assert_eq!(
        written,
        original.replacen(
            "download-manifest&amp;url=https%3A",
            "download-manifest&url=https%3A",
            1
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_link_that_is_not_one_literal_is_left_as_it_is() {
    let dir = scratch("wrapped");
    let original = fixture("text/prose/wrapped-by-mail-client.txt");
    std::fs::write(dir.join("mail.txt"), &original).expect("write");
    let out = otadoctor_in(&dir, &["--offline", "--fix", "mail.txt"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("left   mail.txt:6:1  the link is not one literal in the file"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("mail.txt")).expect("file"), original);
    // LNK011 is a warning: exit 0 under the default --fail-on error, 1 under warning
    assert_eq!(out.status.code(), Some(0));
    let strict = otadoctor_in(&dir, &["--offline", "--fix", "--fail-on", "warning", "mail.txt"]);
    assert_eq!(strict.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fix_takes_files_only() {
    let dir = scratch("usage");
    std::fs::write(
        dir.join("a.txt"),
        "itms-services://?action=download-manifest&amp;url=x\n",
    )
    .expect("write");
    for args in [
        vec!["--fix", "-"],
        vec![
            "--fix",
            "itms-services://?action=download-manifest&amp;url=https://h/m.plist",
        ],
        vec!["--fix", "https://ota.acme-apps.io/install.html"],
        vec!["--diff", "-"],
        vec!["--fix", "--diff", "a.txt"],
    ] {
        let out = otadoctor_in(&dir, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).is_empty());
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).expect("file"),
        "itms-services://?action=download-manifest&amp;url=x\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_changed_since_it_was_read_is_not_written() {
    let dir = scratch("changed");
    let path = dir.join("response.json");
    let original = fixture("text/config/json/api-response.json");
    std::fs::write(&path, &original).expect("write");
    let path_text = path.to_string_lossy().into_owned();
    let options = otadoctor::run::Options::new(vec![path_text.clone()], support::NOW);
    let plan = otadoctor::run::fix::plan(&path_text, &options, &options.context).expect("plan");
    assert_eq!(plan.edits.len(), 1);
    let edited = original.replace("5.0.1", "5.0.2");
    std::fs::write(&path, &edited).expect("someone else writes");
    let refused = otadoctor::run::fix::write_plans(std::slice::from_ref(&plan));
    assert!(
        refused.is_err_and(|e| e.to_string().contains("changed since otadoctor read it")),
        "a changed file must not be written"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("file"), edited);
    // unchanged, the same plan writes
    std::fs::write(&path, &original).expect("restore");
    otadoctor::run::fix::write_plans(std::slice::from_ref(&plan)).expect("written");
    assert!(!std::fs::read_to_string(&path).expect("file").contains("&amp;"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A corrected link the file's escaping cannot hold as written (a `'` in a YAML single-quoted
/// scalar, which would need doubling) is caught by reading the fixed text back: the file is
/// left as it is, and the finding remains.
#[test]
fn a_correction_that_would_not_read_back_is_not_written() {
    let dir = scratch("readback");
    let original =
        "link: 'itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/it''s/manifest.plist'\n";
    std::fs::write(dir.join("q.yml"), original).expect("write");
    let out = otadoctor_in(&dir, &["--offline", "--fix", "q.yml"]);
    assert!(
        text(&out.stderr).contains("left   q.yml:1:8  the corrected link would not read back from the file as written"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(dir.join("q.yml")).expect("file"), original);
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A byte-order mark before the text is part of the file: the edit lands on the link, not three
/// bytes before it.
#[test]
fn a_byte_order_mark_does_not_shift_the_edit() {
    let dir = scratch("bom");
    let original = "\u{feff}<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict><key>URL</key><string>itms-services://?action=download-manifest&amp;amp;url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist</string></dict></plist>\n";
    std::fs::write(dir.join("clip.plist"), original).expect("write");
    let out = otadoctor_in(&dir, &["--offline", "--fix", "clip.plist"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("clip.plist")).expect("file"),
        original.replace("&amp;amp;url=", "&amp;url=")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fix_on_a_directory_rewrites_the_files_its_scan_checks_and_nothing_else() {
    let dir = scratch("tree");
    std::fs::create_dir_all(dir.join("repo/web")).expect("tree");
    std::fs::create_dir_all(dir.join("repo/build")).expect("tree");
    std::fs::write(dir.join("repo/web/install.html"), PAGE).expect("page");
    let config = "{\"install\": \"itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/field/manifest.plist\"}\n";
    std::fs::write(dir.join("repo/web/config.json"), config).expect("config");
    // ignored by the scan: never rewritten
    std::fs::write(dir.join("repo/.gitignore"), "build/\n").expect("ignore");
    std::fs::write(dir.join("repo/build/config.json"), config).expect("ignored");
    let before = otadoctor_in(&dir, &["--offline", "--format", "json", "repo"]);
    assert_eq!(before.status.code(), Some(1), "{}", text(&before.stderr));
    let diff = otadoctor_in(&dir, &["--offline", "--diff", "repo"]);
    let shown = text(&diff.stdout);
    assert!(
        shown.contains("+++ b/repo/web/install.html") && shown.contains("+++ b/repo/web/config.json"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("repo/web/config.json")).expect("config"),
        config
    );
    let fixed = otadoctor_in(&dir, &["--offline", "--fix", "repo"]);
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}{}",
        text(&fixed.stdout),
        text(&fixed.stderr)
    );
    assert!(
        text(&fixed.stderr).contains("fixed 2 links in 2 files"),
        "{}",
        text(&fixed.stderr)
    );
    let json = std::fs::read_to_string(dir.join("repo/web/config.json")).expect("config");
    assert_eq!(
        json,
        "{\"install\": \"itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist\"}\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("repo/build/config.json")).expect("ignored"),
        config
    );
    let after = otadoctor_in(&dir, &["--offline", "--format", "json", "repo"]);
    assert_eq!(codes(&after), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}
