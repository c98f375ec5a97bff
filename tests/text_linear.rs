//! Linear cost of the text finders (prose, e-mail, Markdown, configuration files) and of the
//! `--diff` hunks, in the style of tests/linear.rs: each runs on an input of size n and 4n, and
//! fails when the larger costs more than eight times as long (linear work takes about four
//! times, quadratic sixteen). Times are the best of three; runs under a floor count as the
//! floor.

use otadoctor::collect::find::config::{self, Format};
use otadoctor::collect::find::{email, markdown, prose};

mod support;
use support::linear::assert_linear;

const LINK: &str = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist";

#[test]
fn prose_costs_its_size() {
    assert_linear("a ticket with a link on every line", 4_000, |n| {
        let text = format!("the customer taps {LINK} and nothing happens.\n").repeat(n);
        assert_eq!(prose::links(&text).len(), n);
    });
    // hostile runs: App Store schemes the finder rejects, one after the other; a link that
    // ends in closing brackets; download-manifest tokens with no scheme
    assert_linear("rejected schemes in one run", 20_000, |n| {
        let text = "itms-apps:".repeat(n);
        assert!(prose::links(&text).is_empty());
    });
    assert_linear("closing brackets after a link", 50_000, |n| {
        let text = format!("{LINK}{}", ")".repeat(n));
        assert_eq!(prose::links(&text).len(), 1);
    });
    assert_linear("download-manifest without a scheme", 20_000, |n| {
        let text = "download-manifest".repeat(n);
        let _ = prose::links(&text);
    });
    assert_linear("wrapped links in quoted replies", 3_000, |n| {
        let text = "> itms-services://?action=download-manifest&\n> url=https%3A%2F%2Fh%2Fm.plist\n".repeat(n);
        assert_eq!(prose::links(&text).len(), n);
    });
}

#[test]
fn e_mails_cost_their_size() {
    assert_linear("quoted-printable with soft breaks in every link", 2_000, |n| {
        let line =
            "tap itms-services://?action=3Ddownload-manifest&url=3Dhttps%3A%2F%2F=\nota.acme-apps.io%2Fm.plist now\n";
        let eml = format!(
            "From: a@b.c\nTo: d@e.f\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n{}",
            line.repeat(n)
        );
        assert_eq!(email::links(&eml).len(), n);
    });
    assert_linear("multipart/alternative with the same links in both parts", 1_000, |n| {
        let text: String = (0..n).map(|i| format!("{LINK}%2F{i}\n")).collect();
        let html: String = (0..n).map(|i| format!("<a href=\"{LINK}%2F{i}\">x</a>\n")).collect();
        let eml = format!(
            "From: a@b.c\nTo: d@e.f\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n{text}\n--b\nContent-Type: text/html\n\n{html}\n--b--\n"
        );
        assert_eq!(email::links(&eml).len(), n);
    });
    assert_linear("base64 lines", 2_000, |n| {
        // "itms-services://?x " encoded, 24 characters per 18 bytes
        let eml = format!(
            "From: a@b.c\nTo: d@e.f\nContent-Transfer-Encoding: base64\n\n{}",
            "aXRtcy1zZXJ2aWNlczovLz94IA==\n".replace("==", "").repeat(n)
        );
        let _ = email::links(&eml);
    });
}

#[test]
fn markdown_costs_its_size() {
    assert_linear("link targets, code spans and text", 2_000, |n| {
        let md = format!("* [tap]({LINK}) or `{LINK}` or {LINK}\n").repeat(n);
        assert_eq!(markdown::links(&md).len(), 3 * n);
    });
    assert_linear("fenced JSON blocks", 1_000, |n| {
        let md = format!("```json\n{{\"url\": \"{LINK}\"}}\n```\n\n").repeat(n);
        assert_eq!(markdown::links(&md).len(), n);
    });
    assert_linear("brackets that never close", 20_000, |n| {
        let md = format!("{}]({LINK})", "[".repeat(n));
        let _ = markdown::links(&md);
    });
}

#[test]
fn configuration_files_cost_their_size() {
    assert_linear("JSON values", 4_000, |n| {
        let json = format!(
            "[{}\"\"]",
            format!("{{\"url\": \"{}\"}},", LINK.replace('/', "\\/")).repeat(n)
        );
        assert_eq!(config::links(Format::Json, &json).len(), n);
    });
    assert_linear("deep JSON", 50_000, |n| {
        let json = format!("{}\"{LINK}\"{}", "{\"a\":".repeat(n), "}".repeat(n));
        assert_eq!(config::links(Format::Json, &json).len(), 1);
    });
    assert_linear("YAML keys", 4_000, |n| {
        let yaml = format!("k:\n  link: {LINK}\n  q: \"{LINK}\"\n").repeat(n);
        assert_eq!(config::links(Format::Yaml, &yaml).len(), 2 * n);
    });
    assert_linear("a YAML indentation ladder", 3_000, |n| {
        let yaml: String = (0..n).map(|i| format!("{}k{i}:\n", " ".repeat(i % 200))).collect();
        let _ = config::links(Format::Yaml, &format!("{yaml}x: {LINK}\n"));
    });
    assert_linear("a YAML flow sequence", 4_000, |n| {
        let yaml = format!("links: [{}x]\n", format!("'{LINK}', ").repeat(n));
        assert_eq!(config::links(Format::Yaml, &yaml).len(), n);
    });
    assert_linear("plist strings", 3_000, |n| {
        let xml = format!(
            "<?xml version=\"1.0\"?><plist><dict><key>links</key><array>{}</array></dict></plist>",
            format!("<string>{}</string>\n", LINK.replace('&', "&amp;")).repeat(n)
        );
        assert_eq!(config::links(Format::Xml, &xml).len(), n);
    });
    assert_linear("TOML, .env, properties and INI lines", 3_000, |n| {
        let toml = format!("[t]\nlink = \"{LINK}\"\n").repeat(n);
        assert_eq!(config::links(Format::Toml, &toml).len(), n);
        let env = format!("LINK=\"{LINK}\"\n").repeat(n);
        assert_eq!(config::links(Format::Env, &env).len(), n);
        let properties = "link=itms-services\\://?action=download-manifest&url=\\\n  x\n".repeat(n);
        assert_eq!(config::links(Format::Properties, &properties).len(), n);
        let ini = format!("[s]\nlink = {LINK}\n").repeat(n);
        assert_eq!(config::links(Format::Ini, &ini).len(), n);
    });
}

#[test]
fn diff_hunks_cost_the_files_size() {
    assert_linear("a diff with an edit on every other line", 5_000, |n| {
        let old = format!("{LINK}\nkeep\n").repeat(n);
        let step = LINK.len() + 6;
        let edits: Vec<otadoctor::run::fix::Edit> = (0..n)
            .map(|i| otadoctor::run::fix::Edit {
                start: i * step,
                end: i * step + LINK.len(),
                replacement: "fixed".to_string(),
                corrected: "fixed".to_string(),
                was: String::new(),
                at: String::new(),
                rules: Vec::new(),
            })
            .collect();
        let diff = otadoctor::run::fix::unified_diff("f", old.as_bytes(), &edits);
        assert_eq!(diff.matches("\n+fixed\n").count(), n);
    });
}
