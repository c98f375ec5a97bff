//! `otadoctor manifest App.ipa --url https://…/App.ipa`: a manifest written from the package's
//! own Info.plist, and with `--page` an install page — round-tripped through otadoctor itself,
//! offline with `--ipa` and online against the loopback HTTPS lab serving them with the package.

mod support;

use std::path::{Path, PathBuf};

use support::lab::{IpaSpec, Route, Site, ipa, png};
use support::{otadoctor, otadoctor_args};

const HOST: &str = "ota.acme-apps.test";

/// A fresh, empty directory under the tests' temp dir.
fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("manifest-command")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// An Info.plist with a display name (XML-escaped as a plist holds it) and versions.
fn info_plist(display_name: Option<&str>, short_version: Option<&str>) -> String {
    let mut keys = String::from(
        "<key>CFBundleIdentifier</key><string>com.acme.field</string><key>CFBundleExecutable</key><string>Field</string><key>CFBundleName</key><string>Field</string><key>CFBundleVersion</key><string>812</string><key>MinimumOSVersion</key><string>15.0</string><key>UIDeviceFamily</key><array><integer>1</integer><integer>2</integer></array>",
    );
    if let Some(name) = display_name {
        let escaped = name.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        keys.push_str(&format!("<key>CFBundleDisplayName</key><string>{escaped}</string>"));
    }
    if let Some(version) = short_version {
        keys.push_str(&format!(
            "<key>CFBundleShortVersionString</key><string>{version}</string>"
        ));
    }
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>{keys}</dict></plist>\n")
}

/// A signed test package (ad hoc profile under the tests' profile CA) with this Info.plist,
/// written to `dir/Field.ipa`.
fn package(dir: &Path, info: String) -> (PathBuf, Vec<u8>) {
    let bytes = ipa(&IpaSpec {
        info_plist: Some(info),
        ..IpaSpec::default()
    });
    let path = dir.join("Field.ipa");
    std::fs::write(&path, &bytes).expect("the package");
    (path, bytes)
}

/// The codes of a `--format json` run, with their severities.
fn findings(run: &support::Run) -> Vec<(String, String)> {
    let doc = run.json();
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// What the tests' package always gets, whatever its manifest: an ad hoc profile needs
/// Developer Mode (SIG013, info). Nothing else may be found but the infos in `also`.
fn only_infos(found: &[(String, String)], also: &[&str]) -> bool {
    found
        .iter()
        .all(|(code, severity)| (code == "SIG013" || also.contains(&code.as_str())) && severity == "info")
}

#[test]
fn a_generated_manifest_and_page_served_by_the_lab_walk_clean() {
    let site = Site::correct(HOST);
    let dir = fresh("lab");
    let (ipa_path, bytes) = package(&dir, info_plist(Some("Field Service"), Some("4.2")));
    let (package_url, manifest_url, page_url) = (
        site.url("/gen/Field.ipa"),
        site.url("/gen/manifest.plist"),
        site.url("/gen/install.html"),
    );
    let (manifest_file, page_file) = (dir.join("manifest.plist"), dir.join("install.html"));
    let run = otadoctor(&[
        "manifest",
        &ipa_path.display().to_string(),
        "--url",
        &package_url,
        "--display-image",
        &site.url("/gen/icon-57.png"),
        "--full-size-image",
        &site.url("/gen/icon-512.png"),
        "-o",
        &manifest_file.display().to_string(),
        "--page",
        &page_file.display().to_string(),
        "--manifest-url",
        &manifest_url,
        "--profile-ca",
        &support::profile::ca_file(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("wrote the manifest to ")
            && run.stderr.contains("for com.acme.field 4.2 (\"Field Service\")"),
        "{}",
        run.stderr
    );
    let manifest = std::fs::read(&manifest_file).expect("the manifest");
    let page = std::fs::read(&page_file).expect("the page");
    site.lab
        .route("/gen/Field.ipa", Route::ok("application/octet-stream", bytes));
    site.lab.route("/gen/manifest.plist", Route::ok("text/xml", manifest));
    site.lab
        .route("/gen/install.html", Route::ok("text/html; charset=utf-8", page));
    site.lab.route("/gen/icon-57.png", Route::ok("image/png", png(57, 57)));
    site.lab
        .route("/gen/icon-512.png", Route::ok("image/png", png(512, 512)));
    // the page's URL, checked online like a person would: page → link → manifest → package, icons
    let mut args = site.args(&[]);
    args.push(page_url);
    let run = otadoctor_args(&args);
    let found = findings(&run);
    // and the lab's: its certificates chain to a root installed by --ca-file (TLS005, info)
    assert!(only_infos(&found, &["TLS005"]), "{found:?}\n{}", run.stdout);
    assert!(
        found.iter().any(|(code, _)| code == "SIG013"),
        "the package was read: {found:?}"
    );
    assert_eq!(run.code, 0);
    let doc = run.json();
    let walk = &doc["results"][0]["facts"]["walks"][0];
    assert_eq!(walk["manifest_url"], manifest_url.as_str());
    assert_eq!(walk["manifest"]["exchanges"][0]["status"], 200);
    assert_eq!(
        walk["package"]["bundles"][0]["info_plist"]["CFBundleIdentifier"],
        "com.acme.field"
    );
    let kinds: Vec<&str> = walk["assets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["software-package", "display-image", "full-size-image"]);
    assert_eq!(walk["assets"][0]["url"], package_url.as_str());
    // the lab saw the installer ask for what the generated files name
    let paths: Vec<String> = site.lab.requests().iter().map(|r| r.path.clone()).collect();
    for wanted in [
        "/gen/install.html",
        "/gen/manifest.plist",
        "/gen/Field.ipa",
        "/gen/icon-57.png",
        "/gen/icon-512.png",
    ] {
        assert!(paths.iter().any(|p| p == wanted), "{wanted} not asked for: {paths:?}");
    }
}

#[test]
fn a_generated_manifest_checks_clean_offline_with_its_package() {
    let dir = fresh("offline");
    let (ipa_path, _) = package(&dir, info_plist(Some("Field Service"), Some("4.2")));
    let ipa = ipa_path.display().to_string();
    let run = otadoctor(&[
        "manifest",
        &ipa,
        "--url",
        "https://ota.acme-apps.io/field/4.2/Field.ipa",
        "--display-image",
        "https://ota.acme-apps.io/field/4.2/icon-57.png",
        "--full-size-image",
        "https://ota.acme-apps.io/field/4.2/icon-512.png",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest = dir.join("manifest.plist");
    std::fs::write(&manifest, &run.stdout).expect("the manifest");
    // the document says what the package says
    let value: plist::Value = plist::from_bytes(run.stdout.as_bytes()).expect("a plist");
    let item = &value.as_dictionary().expect("a dict")["items"]
        .as_array()
        .expect("items")[0];
    let metadata = item.as_dictionary().expect("an item")["metadata"]
        .as_dictionary()
        .expect("metadata");
    assert_eq!(metadata["bundle-identifier"].as_string(), Some("com.acme.field"));
    assert_eq!(metadata["bundle-version"].as_string(), Some("4.2"));
    assert_eq!(metadata["kind"].as_string(), Some("software"));
    assert_eq!(metadata["title"].as_string(), Some("Field Service"));
    // and otadoctor finds nothing wrong with it against the package
    let run = otadoctor(&[
        "check",
        "--offline",
        "--format",
        "json",
        "--profile-ca",
        &support::profile::ca_file(),
        &manifest.display().to_string(),
        "--ipa",
        &ipa,
    ]);
    let found = findings(&run);
    assert!(only_infos(&found, &[]), "{found:?}");
    assert_eq!(found.len(), 1, "{found:?}");
    // without icons, the manifest gets MAN019 (info) and nothing else of its own
    let run = otadoctor(&[
        "manifest",
        &ipa,
        "--url",
        "https://ota.acme-apps.io/field/4.2/Field.ipa",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .contains("note: the manifest gets info MAN019 missing-images"),
        "{}",
        run.stderr
    );
    std::fs::write(&manifest, &run.stdout).expect("the manifest");
    let run = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "--profile-ca",
        &support::profile::ca_file(),
        &manifest.display().to_string(),
        "--ipa",
        &ipa,
    ]);
    let mut codes = run.codes();
    codes.sort();
    assert_eq!(codes, ["MAN019", "SIG013"]);
}

#[test]
fn a_title_with_markup_characters_and_non_ascii_round_trips() {
    let dir = fresh("title");
    let name = "Café & <Co> 日本 \"β\"";
    let (ipa_path, _) = package(&dir, info_plist(Some(name), Some("4.2")));
    let ipa = ipa_path.display().to_string();
    let (manifest, page) = (dir.join("manifest.plist"), dir.join("install.html"));
    let run = otadoctor(&[
        "manifest",
        &ipa,
        "--url",
        "https://ota.acme-apps.io/café/Field App.ipa",
        "-o",
        &manifest.display().to_string(),
        "--page",
        &page.display().to_string(),
        "--manifest-url",
        "https://ota.acme-apps.io/field/manifest.plist?token=a&b=c",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&manifest).expect("the manifest");
    assert!(
        text.contains("<string>Café &amp; &lt;Co&gt; 日本 &quot;β&quot;</string>"),
        "{text}"
    );
    // the package URL is encoded once: the space and the é, not the % of an escape
    assert!(
        text.contains("<string>https://ota.acme-apps.io/caf%C3%A9/Field%20App.ipa</string>"),
        "{text}"
    );
    let value: plist::Value = plist::from_file(&manifest).expect("a plist");
    let item = &value.as_dictionary().expect("a dict")["items"]
        .as_array()
        .expect("items")[0];
    let metadata = item.as_dictionary().expect("an item")["metadata"]
        .as_dictionary()
        .expect("metadata");
    assert_eq!(metadata["title"].as_string(), Some(name));
    // the page: the title escaped, the link's & written &amp; and its URL encoded once
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(
        html.contains("<h1>Café &amp; &lt;Co&gt; 日本 &quot;β&quot;</h1>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist%3Ftoken%3Da%26b%3Dc\">"),
        "{html}"
    );
    // read back by otadoctor: the page's link and the manifest against the package, clean
    let run = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "--profile-ca",
        &support::profile::ca_file(),
        &page.display().to_string(),
        &manifest.display().to_string(),
        "--ipa",
        &ipa,
    ]);
    let doc = run.json();
    assert_eq!(
        doc["results"][0]["facts"]["links"][0]["parsed"]["manifest_url"],
        "https://ota.acme-apps.io/field/manifest.plist?token=a&b=c"
    );
    assert_eq!(
        doc["results"][1]["facts"]["walks"][0]["document"]["document"]["items"][0]["metadata"]["title"],
        name
    );
    let mut codes = run.codes();
    codes.sort();
    assert_eq!(codes, ["MAN019", "SIG013"], "{}", run.stdout);
}

#[test]
fn the_version_is_the_short_version_else_the_build_and_the_title_can_be_given() {
    let dir = fresh("version");
    let (ipa_path, _) = package(&dir, info_plist(None, None));
    let ipa = ipa_path.display().to_string();
    let run = otadoctor(&["manifest", &ipa, "--url", "https://ota.acme-apps.io/Field.ipa"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // no CFBundleShortVersionString: CFBundleVersion; no CFBundleDisplayName: CFBundleName
    assert!(
        run.stdout
            .contains("<key>bundle-version</key>\n\t\t\t\t<string>812</string>"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("<key>title</key>\n\t\t\t\t<string>Field</string>"),
        "{}",
        run.stdout
    );
    let run = otadoctor(&[
        "manifest",
        &ipa,
        "--url",
        "https://ota.acme-apps.io/Field.ipa",
        "--title",
        "Field (beta)",
    ]);
    assert!(run.stdout.contains("<string>Field (beta)</string>"), "{}", run.stdout);
    // the page alone to standard output, beside a manifest file
    let manifest = dir.join("m.plist");
    let run = otadoctor(&[
        "manifest",
        &ipa,
        "--url",
        "https://ota.acme-apps.io/Field.ipa",
        "-o",
        &manifest.display().to_string(),
        "--page",
        "--manifest-url",
        "https://ota.acme-apps.io/m.plist",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("<!doctype html>"), "{}", run.stdout);
    assert!(
        std::fs::read_to_string(&manifest)
            .expect("the manifest")
            .contains("<plist")
    );
}

#[test]
fn what_cannot_make_a_correct_manifest_is_refused() {
    let dir = fresh("refused");
    let (ipa_path, _) = package(&dir, info_plist(Some("Field"), Some("4.2")));
    let ipa = ipa_path.display().to_string();
    let refused = |args: &[&str], says: &str| {
        let mut all = vec!["manifest", ipa.as_str()];
        all.extend_from_slice(args);
        let run = otadoctor(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stdout.is_empty(), "{args:?} wrote {}", run.stdout);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    };
    refused(&["--url", "http://ota.acme-apps.io/Field.ipa"], "is http, not https");
    refused(
        &["--url", "/field/Field.ipa"],
        "is relative: give the absolute https URL",
    );
    refused(&["--url", "Field.ipa"], "is relative");
    refused(
        &["--url", " https://ota.acme-apps.io/Field.ipa"],
        "without spaces around it",
    );
    refused(&["--url", "https://example.com/Field.ipa"], "URL010 url-placeholder");
    refused(
        &[
            "--url",
            "https://ota.acme-apps.io/Field.ipa",
            "--display-image",
            "ftp://x/57.png",
        ],
        "--display-image \"ftp://x/57.png\" is ftp, not https",
    );
    refused(
        &["--url", "https://ota.acme-apps.io/Field.ipa", "--page", "p.html"],
        "--page needs --manifest-url",
    );
    refused(
        &[
            "--url",
            "https://ota.acme-apps.io/Field.ipa",
            "--page",
            "--manifest-url",
            "https://ota.acme-apps.io/m.plist",
        ],
        "give the manifest a file with -o FILE",
    );
    refused(
        &[
            "--url",
            "https://ota.acme-apps.io/Field.ipa",
            "--page",
            "p.html",
            "--manifest-url",
            "http://ota.acme-apps.io/m.plist",
        ],
        "--manifest-url \"http://ota.acme-apps.io/m.plist\" is http",
    );
    refused(
        &["--url", "https://ota.acme-apps.io/Field.ipa", "--title", "A\u{1}B"],
        "which an XML plist cannot carry",
    );
    // a file that is not a package
    let not_zip = support::testdata("ipa/docs/Field-error-page.ipa");
    let run = otadoctor(&["manifest", &not_zip, "--url", "https://ota.acme-apps.io/Field.ipa"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read the package"), "{}", run.stderr);
    let run = otadoctor(&["manifest", "no/such.ipa", "--url", "https://ota.acme-apps.io/Field.ipa"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such file"), "{}", run.stderr);
    // nothing was written by any of them
    assert!(!Path::new("p.html").exists());
}
