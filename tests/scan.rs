//! `otadoctor check DIR`: a directory walked like a source tree — `.gitignore` and `.ignore`
//! respected, hidden entries, symbolic links, binary and oversized files skipped and counted —
//! every file that holds a link, a manifest, a package or a profile checked, with locations
//! relative to the directory in every format, and the links checked offline unless `--follow`.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::lab::Site;
use support::{otadoctor, otadoctor_args, testdata};

const HOST: &str = "ota.acme-apps.test";

/// A fresh, empty directory under the tests' temp dir.
fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn write(root: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
    std::fs::write(path, bytes).expect("a file");
}

const BROKEN_PAGE: &str = "<!doctype html>\n<html><body>\n<p>Install the beta:</p>\n        <a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist\">Install</a>\n</body></html>\n";

const TICKET: &str = "Hi team,\nthe customer taps the link itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist and nothing happens.\nThanks\n";

/// A repository: a broken page, a ticket with a correct link, a manifest, a package and a
/// profile, and everything a scan must leave out.
fn repository(name: &str) -> PathBuf {
    let root = fresh(name);
    write(&root, ".gitignore", "build/\n*.log\n");
    write(&root, "web/.ignore", "vendor/\n");
    write(&root, "web/install.html", BROKEN_PAGE);
    write(&root, "docs/tickets/4711.txt", TICKET);
    write(
        &root,
        "docs/notes.md",
        "We still need to test itms-services links on iOS 18.\n",
    );
    write(
        &root,
        "dist/manifest.plist",
        std::fs::read(testdata("manifests/good.plist")).expect("a manifest"),
    );
    write(
        &root,
        "dist/Field.ipa",
        std::fs::read(testdata("ipa/docs/Field-adhoc.ipa")).expect("a package"),
    );
    write(
        &root,
        "signing/Field_AdHoc.mobileprovision",
        support::profile::ProfileSpec::default().signed(),
    );
    // an Info.plist is a plist without items: not a manifest, and no link in it
    write(
        &root,
        "ios/Info.plist",
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>CFBundleIdentifier</key><string>com.acme.field</string></dict></plist>\n",
    );
    write(&root, "src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n");
    // left out: ignored, hidden, binary, too large, linked
    write(&root, "build/install.html", BROKEN_PAGE);
    write(&root, "web/vendor/install.html", BROKEN_PAGE);
    write(&root, "debug.log", BROKEN_PAGE);
    write(&root, ".github/install.html", BROKEN_PAGE);
    write(
        &root,
        "assets/logo.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR itms-services://?action=download-manifest",
    );
    // a font with the bytes in it: binary (a NUL in its head), not an image
    write(
        &root,
        "assets/font.woff2",
        b"wOF2\0\0\0\x01 itms-services://?action=download-manifest",
    );
    let mut huge = BROKEN_PAGE.as_bytes().to_vec();
    huge.resize(17 * 1024 * 1024, b' ');
    write(&root, "dumps/huge.html", huge);
    #[cfg(unix)]
    std::os::unix::fs::symlink(testdata("pages/install-broken.html"), root.join("web/elsewhere.html")).expect("a link");
    root
}

fn scan_facts(doc: &Value) -> &Value {
    &doc["results"][0]["facts"]["scan"]
}

fn skipped(doc: &Value, reason: &str) -> (u64, Vec<String>) {
    let skip = scan_facts(doc)["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["reason"] == reason);
    match skip {
        None => (0, Vec::new()),
        Some(s) => (
            s["count"].as_u64().unwrap_or(0),
            s["examples"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect(),
        ),
    }
}

#[test]
fn a_directory_is_walked_like_a_source_tree_and_each_file_checked_where_it_is() {
    let root = repository("repository-1");
    let dir = root.display().to_string();
    let run = otadoctor(&["check", "--offline", "--format", "json", &dir]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let results = doc["results"].as_array().expect("results");
    // the directory first, then its files in path order, each shown relative to it
    let files: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["kind"].as_str().unwrap_or(""), r["file"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        files,
        [
            ("directory", dir.as_str()),
            ("package", "dist/Field.ipa"),
            ("manifest", "dist/manifest.plist"),
            ("link", "docs/tickets/4711.txt"),
            ("profile", "signing/Field_AdHoc.mobileprovision"),
            ("page", "web/install.html"),
        ]
    );
    for result in &results[1..] {
        assert_eq!(result["facts"]["root"], dir.as_str(), "{result}");
    }
    let scan = scan_facts(&doc);
    assert_eq!(scan["root"], dir.as_str());
    // listed: the ten files .gitignore and .ignore leave in, outside hidden folders
    assert_eq!(scan["files"], 11, "{scan}");
    assert_eq!(scan["checked"], 5, "{scan}");
    assert_eq!(scan["inputs"], 5, "{scan}");
    assert_eq!(scan["follow"], false);
    assert_eq!(
        skipped(&doc, "hidden"),
        (
            3,
            vec![
                ".github".to_string(),
                ".gitignore".to_string(),
                "web/.ignore".to_string()
            ]
        )
    );
    assert_eq!(skipped(&doc, "symlink"), (1, vec!["web/elsewhere.html".to_string()]));
    assert_eq!(skipped(&doc, "binary"), (1, vec!["assets/font.woff2".to_string()]));
    // an image is not searched for QR codes in a scan (icons, assets), and says so
    assert_eq!(skipped(&doc, "image"), (1, vec!["assets/logo.png".to_string()]));
    assert_eq!(skipped(&doc, "too-large"), (1, vec!["dumps/huge.html".to_string()]));
    assert_eq!(skipped(&doc, "no-link"), (1, vec!["docs/notes.md".to_string()]));
    // locations are path:line:column relative to the directory
    let page = &results[5];
    let finding = &page["findings"][0];
    assert_eq!(finding["code"], "LNK006");
    assert_eq!(
        finding["location"],
        serde_json::json!({"file": "web/install.html", "line": 4, "column": 12})
    );
    let ticket = &results[3];
    assert_eq!(
        ticket["facts"]["links"][0]["location"],
        serde_json::json!({"file": "docs/tickets/4711.txt", "line": 2, "column": 28})
    );
    assert_eq!(ticket["findings"], serde_json::json!([]));
    // the package was read from its file, and is named by its path in the tree
    assert_eq!(results[1]["facts"]["walks"][0]["package"]["source"], "dist/Field.ipa");
    assert_eq!(
        results[1]["facts"]["walks"][0]["package"]["apps"][0],
        "Payload/Field.app"
    );
    // nothing from build/, vendor/, *.log, .github/ or the linked page
    assert!(!run.stdout.contains("build/install.html") && !run.stdout.contains("vendor/install.html"));
}

#[test]
fn the_default_command_takes_a_directory_too_and_the_human_report_says_what_was_skipped() {
    let root = repository("repository-2");
    let dir = root.display().to_string();
    let run = otadoctor(&["--offline", &dir]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    support::assert_in_order(
        &run.stdout,
        &[
            &format!("{dir} (directory: 11 files scanned · 6 matched the byte search · 5 checked, 5 inputs)"),
            "skipped   3 hidden entries (name starting with \".\"), not entered: .github, .gitignore, web/.ignore",
            "1 symbolic link, not followed: web/elsewhere.html",
            "1 binary file (not a package, profile or manifest): assets/font.woff2",
            "1 file larger than 16 MiB: dumps/huge.html",
            "1 file that matched but holds no link (a mention, not a link): docs/notes.md",
            "1 image (PNG, JPEG), not searched for QR codes (give an image as an input to read its codes): assets/logo.png",
            "dist/Field.ipa (package)",
            "dist/manifest.plist (manifest)",
            "at        docs/tickets/4711.txt:2:28",
            "✓ no problems in this link",
            "web/install.html (page: 1 itms-services link)",
            "error[LNK006 html-entity-in-link]",
            "at      web/install.html:4:12",
        ],
    );
    // without --follow (and here --offline), nothing went out
    assert!(
        run.stdout
            .contains("skipped  following the link: fetching the manifest, TLS, the package (--offline)")
    );
}

#[test]
fn a_directory_with_nothing_to_check_is_not_an_error() {
    let root = fresh("nothing");
    write(
        &root,
        "src/lib.rs",
        "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
    );
    write(&root, "README.md", "# A library\n\nNothing to install here.\n");
    write(&root, ".gitignore", "target/\n");
    write(&root, "target/install.html", BROKEN_PAGE);
    let dir = root.display().to_string();
    let run = otadoctor(&[&dir]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // (the first line wraps at 100 columns where the folder's name is long)
    assert_eq!(
        support::flat(&run.stdout),
        support::flat(&format!(
            "nothing to check in {dir}: 2 files scanned, no itms-services link, manifest, package or profile in them\n  \
             skipped   1 hidden entry (name starting with \".\"), not entered: .gitignore\n\nno problems found · exit 0\n"
        ))
    );
    assert!(
        run.stdout.ends_with("\n\nno problems found · exit 0\n"),
        "{}",
        run.stdout
    );
    let json = otadoctor(&["--format", "json", &dir]);
    assert_eq!(json.code, 0);
    let doc = json.json();
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["results"][0]["kind"], "directory");
    assert_eq!(scan_facts(&doc)["checked"], 0);
    assert_eq!(scan_facts(&doc)["files"], 2);
    // and a SARIF log with no result
    let sarif = otadoctor(&["--format", "sarif", &dir]);
    assert_eq!(sarif.code, 0, "{}", sarif.stderr);
    assert_eq!(sarif.json()["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn gitignore_is_respected_outside_a_git_checkout_and_a_mention_is_not_a_finding() {
    // no .git: a tarball, an artefact; .gitignore still says what is not the project's
    let root = fresh("no-git");
    write(&root, ".gitignore", "node_modules/\n");
    write(&root, "node_modules/pkg/index.html", BROKEN_PAGE);
    write(
        &root,
        "docs/faq.md",
        "Why does itms-services need https? Because iOS says so.\n",
    );
    write(
        &root,
        "docs/download_manifest.py",
        "def download_manifest(url):\n    return fetch(url)\n",
    );
    let run = otadoctor(&["--format", "json", &root.display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(scan_facts(&doc)["files"], 2);
    assert_eq!(scan_facts(&doc)["checked"], 0);
    assert_eq!(skipped(&doc, "no-link").0, 2);
}

#[test]
fn the_links_of_a_scan_are_followed_only_with_follow() {
    let site = Site::correct(HOST);
    let root = fresh("follow");
    write(&root, "README.md", format!("Install the beta: {}\n", site.link()));
    let dir = root.display().to_string();
    // a scan is offline unless asked: nothing reaches the server
    let mut args = site.args(&[]);
    args.push(dir.clone());
    let run = otadoctor_args(&args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(site.lab.requests().is_empty(), "a scan went out without --follow");
    let doc = run.json();
    assert_eq!(scan_facts(&doc)["follow"], false);
    let link = &doc["results"][1];
    assert_eq!(link["file"], "README.md");
    assert_eq!(
        link["facts"]["skipped"][0],
        "the link is not followed: found in a directory scan, which is checked offline (--follow)"
    );
    assert!(link["facts"].get("walks").is_none());
    // with --follow: walked like any link
    let mut args = site.args(&["--follow"]);
    args.push(dir);
    let run = otadoctor_args(&args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(scan_facts(&doc)["follow"], true);
    let walk = &doc["results"][1]["facts"]["walks"][0];
    assert_eq!(walk["manifest"]["exchanges"][0]["status"], 200);
    assert_eq!(walk["assets"][0]["get"]["exchanges"][0]["status"], 206);
    assert_eq!(doc["summary"]["error"], 0);
    assert_eq!(doc["summary"]["warning"], 0);
    assert!(!site.lab.requests().is_empty());
    // --follow and --offline contradict each other
    let run = otadoctor(&["--follow", "--offline", "."]);
    assert_eq!(run.code, 2);
}

#[test]
fn github_annotations_of_a_scan_point_at_the_line_and_column_relative_to_the_directory() {
    let root = repository("repository-3");
    let run = otadoctor(&["--offline", "--format", "github", &root.display().to_string()]);
    assert_eq!(run.code, 1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("LNK006"))
        .unwrap_or_else(|| panic!("no LNK006 annotation:\n{}", run.stdout));
    assert!(
        line.starts_with("::error file=web/install.html,line=4,col=12,title=LNK006 html-entity-in-link::"),
        "{line}"
    );
    // a package's findings have no line: the file alone
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error file=dist/Field.ipa,title=SIG008 ")),
        "{}",
        run.stdout
    );
}

#[test]
fn the_order_and_the_counts_do_not_depend_on_the_walks_threads() {
    // the walk reads files on several threads; the report is the same every time
    let root = fresh("many");
    for i in 0..300 {
        let text = if i % 7 == 0 {
            format!(
                "build {i}: itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2F{i}%2Fm.plist\n"
            )
        } else {
            format!("nothing in file {i}\n")
        };
        write(&root, &format!("d{}/f{i:03}.txt", i % 9), text);
    }
    let dir = root.display().to_string();
    let first = otadoctor(&["--offline", "--format", "json", &dir]);
    let files: Vec<String> = first.json()["results"]
        .as_array()
        .into_iter()
        .flatten()
        .skip(1)
        .filter_map(|r| r["file"].as_str().map(str::to_string))
        .collect();
    assert_eq!(files.len(), 43);
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    for _ in 0..3 {
        assert_eq!(otadoctor(&["--offline", "--format", "json", &dir]).stdout, first.stdout);
    }
}

#[test]
fn a_zip_is_a_package_only_when_it_holds_an_app() {
    // an IPA renamed .zip is read as a package; a .jar (or any other zip) is a binary file
    let root = fresh("zips");
    write(
        &root,
        "releases/Field-4.2.zip",
        std::fs::read(testdata("ipa/docs/Field-adhoc.ipa")).expect("a package"),
    );
    let mut jar = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    jar.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default())
        .expect("an entry");
    std::io::Write::write_all(
        &mut jar,
        b"Manifest-Version: 1.0\nX-Link: itms-services://?action=download-manifest\n",
    )
    .expect("write");
    write(&root, "libs/sdk.jar", jar.finish().expect("a jar").into_inner());
    let run = otadoctor(&["--offline", "--format", "json", &root.display().to_string()]);
    let doc = run.json();
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{}", run.stdout);
    assert_eq!(results[1]["kind"], "package");
    assert_eq!(results[1]["file"], "releases/Field-4.2.zip");
    assert_eq!(
        results[1]["facts"]["walks"][0]["package"]["apps"][0],
        "Payload/Field.app"
    );
    assert_eq!(skipped(&doc, "binary"), (1, vec!["libs/sdk.jar".to_string()]));
}

#[test]
fn an_info_plist_that_lists_app_store_schemes_is_no_manifest() {
    // LSApplicationQueriesSchemes with itms-apps and itms-beta matches the byte search, but it
    // is neither a manifest nor a link: nothing to check (read as a manifest it was MAN004)
    let root = fresh("info-plist");
    write(
        &root,
        "App/Info.plist",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>LSApplicationQueriesSchemes</key><array><string>itms-apps</string><string>itms-beta</string></array></dict></plist>\n",
    );
    write(
        &root,
        "dist/manifest.plist",
        std::fs::read(testdata("manifests/no-title.plist")).expect("a manifest"),
    );
    let run = otadoctor(&["--offline", "--format", "json", &root.display().to_string()]);
    let doc = run.json();
    assert_eq!(skipped(&doc, "no-link"), (1, vec!["App/Info.plist".to_string()]));
    // a real manifest still is one
    assert_eq!(doc["results"][1]["file"], "dist/manifest.plist");
    assert_eq!(run.codes(), ["MAN011"]);
}
