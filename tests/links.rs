//! The link checks end to end: the corrected link each finding shows must itself pass, the
//! line numbers reported for links in a page, and context-dependent decoding.

mod support;

use support::{link_for, otadoctor, testdata};

/// Runs a link, returns the one corrected link its findings show (they all show the same one).
fn corrected_link_of(link: &str, expected_code: &str) -> String {
    let run = otadoctor(&["--offline", "--format", "json", link]);
    let doc = run.json();
    let findings = doc["results"][0]["findings"].as_array().expect("findings").clone();
    assert!(
        findings.iter().any(|f| f["code"] == expected_code),
        "{link} should raise {expected_code}: {findings:#?}"
    );
    let corrected: Vec<&str> = findings.iter().filter_map(|f| f["corrected_link"].as_str()).collect();
    assert!(!corrected.is_empty(), "no corrected link for {link}");
    assert!(
        corrected.iter().all(|c| *c == corrected[0]),
        "findings disagree on the corrected link: {corrected:?}"
    );
    corrected[0].to_string()
}

fn assert_passes(link: &str) {
    let run = otadoctor(&["--offline", "--format", "json", link]);
    assert_eq!(
        run.codes(),
        Vec::<String>::new(),
        "the corrected link {link} still has findings"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn lnk006_amp_url_gets_a_corrected_link_that_passes() {
    let c = corrected_link_of(
        "itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/field/manifest.plist",
        "LNK006",
    );
    assert_eq!(
        c,
        "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"
    );
    assert_passes(&c);
}

#[test]
fn lnk007_unencoded_presigned_s3_query_gets_a_corrected_link_that_passes() {
    let manifest = "https://acme-builds.s3.amazonaws.com/field/manifest.plist?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T090000Z&X-Amz-Expires=604800&X-Amz-Signature=9f2c41";
    let broken = format!("itms-services://?action=download-manifest&url={manifest}");
    let c = corrected_link_of(&broken, "LNK007");
    assert_eq!(
        c,
        link_for(manifest),
        "the corrected link must carry the whole signed URL"
    );
    assert_passes(&c);
    // and the phone, decoding once, gets the signed URL back with every parameter
    let parsed = otadoctor::link::parse(&c);
    assert_eq!(parsed.manifest_url.as_deref(), Some(manifest));
}

#[test]
fn lnk002_missing_slashes_gets_a_corrected_link_that_passes() {
    let c = corrected_link_of(
        "itms-services:?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist",
        "LNK002",
    );
    assert!(c.starts_with("itms-services://?action="));
    assert_passes(&c);
}

#[test]
fn corrected_links_pass_for_every_repairable_link_problem() {
    for (link, code) in [
        (
            "itms-servies://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist",
            "LNK001",
        ),
        (
            "itms-services:///?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist",
            "LNK003",
        ),
        (
            "itms-services://?action=download_manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist",
            "LNK004",
        ),
        (
            "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/m.plist#v2",
            "LNK008",
        ),
        (
            "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/build#42/m.plist",
            "LNK008",
        ),
        (
            "itms-services://?action=download-manifest&url=https%25253A%25252F%25252Fota.acme-apps.io%25252Fm.plist",
            "LNK009",
        ),
        (
            "itms-services://?action=download-manifest&#x26;url=https://ota.acme-apps.io/m.plist",
            "LNK006",
        ),
        (
            "itms-services://?action&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist",
            "LNK004",
        ),
        (
            "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/m.plist?sig=ab%2Bc",
            "LNK012",
        ),
        (
            "itms-services://?action=download-manifest&url=https%253A%252F%252Fota.acme-apps.io%252Fm.plist",
            "LNK009",
        ),
        (
            "itms-services://?action=download-manifest&url=itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist",
            "LNK010",
        ),
        (
            "\"itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist\"",
            "LNK011",
        ),
        (
            "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/My+App.plist",
            "LNK012",
        ),
        (
            "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/beta%20build/m.plist",
            "URL003",
        ),
        (
            "itms-services://?action=download-manifest&url=https%3A%2F%2Fb%C3%BCcher-apps.de%2Fm.plist",
            "URL006",
        ),
    ] {
        let c = corrected_link_of(link, code);
        assert_passes(&c);
    }
}

#[test]
fn a_space_meant_as_percent_20_is_corrected_to_percent_2520() {
    let c = corrected_link_of(
        "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/beta%20build/m.plist",
        "URL003",
    );
    assert!(c.contains("beta%2520build"), "{c}");
}

#[test]
fn links_in_a_page_report_their_line_and_context() {
    let page = testdata("pages/install-broken.html");
    let run = otadoctor(&["--offline", "--format", "json", &page]);
    let doc = run.json();
    let result = &doc["results"][0];
    assert_eq!(result["kind"], "page");
    let links = result["facts"]["links"].as_array().expect("links");
    let lines: Vec<u64> = links
        .iter()
        .map(|l| l["location"]["line"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(lines, [11, 13, 15, 17, 22]);
    let contexts: Vec<&str> = links
        .iter()
        .map(|l| l["context"]["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        contexts,
        [
            "html-attribute",
            "html-attribute",
            "html-attribute",
            "js-string",
            "js-string"
        ]
    );
    let finding_lines: Vec<(String, u64)> = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(finding_lines.contains(&("LNK006".to_string(), 11)), "{finding_lines:?}");
    assert!(finding_lines.contains(&("LNK006".to_string(), 22)), "{finding_lines:?}");
    // the human report says where each link is
    let human = otadoctor(&["--offline", &page]);
    assert!(
        human.stdout.contains("link 5 of 5 · line 22 · script: window.location"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("install-broken.html:17:11"), "{}", human.stdout);
}

#[test]
fn amp_is_decoded_in_attributes_but_not_in_scripts() {
    let good = otadoctor(&["--offline", "--format", "json", &testdata("pages/install-good.html")]);
    assert_eq!(good.codes(), Vec::<String>::new());
    let links = good.json()["results"][0]["facts"]["links"]
        .as_array()
        .expect("links")
        .len();
    assert_eq!(
        links, 5,
        "meta refresh, href, onclick, the concatenated string and the assign() string; not the App Store link"
    );
    let script = otadoctor(&["--offline", "--format", "json", &testdata("pages/amp-in-script.html")]);
    assert_eq!(script.codes(), ["LNK006"]);
    let message = script.json()["results"][0]["findings"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains("JavaScript does not decode"), "{message}");
}

#[test]
fn a_dynamically_built_link_is_checked_only_for_its_fixed_part() {
    let dynamic = otadoctor(&["--offline", "--format", "json", &testdata("pages/dynamic-link.html")]);
    let doc = dynamic.json();
    let link = &doc["results"][0]["facts"]["links"][0];
    assert_eq!(link["dynamic"], true);
    assert_eq!(
        dynamic.codes(),
        Vec::<String>::new(),
        "a prefix plus encodeURIComponent(…) is not a missing url"
    );
}

#[test]
fn control_characters_from_the_input_never_reach_the_terminal() {
    let run = otadoctor(&[
        "--offline",
        "itms-services://?action=\u{1b}[2Jdownload-manifest&url=https%3A%2F%2Fota.acme-apps.io%2F%1B%5D0%3Bpwned%07m.plist",
    ]);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains('\u{1b}'), "raw ESC in output:\n{}", run.stdout);
    assert!(!run.stdout.contains('\u{7}'), "raw BEL in output");
    assert!(run.stdout.contains("\\u{1b}[2J"), "{}", run.stdout);
}
