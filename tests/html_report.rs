//! `--format html`: one self-contained page, read back with an HTML tokenizer (html5gum) and
//! opened in a real browser (headless Chromium): the verdict first, the findings, one timeline
//! bar per request in the facts, a chain picture per host with a missing intermediate marked,
//! nothing fetched from anywhere, and a hostile manifest, page or header that never reaches the
//! page as markup.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use html5gum::{Token, Tokenizer};
use support::lab::{Lab, LeafSpec, Pki, Route, Site};
use support::{otadoctor, otadoctor_args};

const HOST: &str = "ota.acme-apps.test";
const NOW: &str = "2026-11-25T12:00:00Z";
/// What a hostile server or page puts in the text the report shows.
const HOSTILE: &str = "\"><img src=x onerror=alert(1)><script>document.title='pwned'</script>\u{202e}gpj";

/// A start tag: its name and attributes.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: BTreeMap<String, String>,
}

impl Tag {
    fn attr(&self, name: &str) -> &str {
        self.attrs.get(name).map_or("", String::as_str)
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class").split_whitespace().any(|c| c == class)
    }
}

/// The document's start tags, in order, as a browser's tokenizer reads them.
fn tags(html: &str) -> Vec<Tag> {
    Tokenizer::new(html)
        .flatten()
        .filter_map(|token| match token {
            Token::StartTag(tag) => Some(Tag {
                name: String::from_utf8_lossy(&tag.name).into_owned(),
                attrs: tag
                    .attributes
                    .iter()
                    .map(|(k, v)| {
                        (
                            String::from_utf8_lossy(k).into_owned(),
                            String::from_utf8_lossy(v).into_owned(),
                        )
                    })
                    .collect(),
            }),
            _ => None,
        })
        .collect()
}

/// Nothing in the page loads or runs anything: no script, image, frame, object or style sheet
/// element, no event handler, no `src`, and the only links are the rule docs; the CSP says so
/// to the browser; no bidi override is left as it is.
fn assert_self_contained_and_inert(html: &str) {
    let tags = tags(html);
    for tag in &tags {
        assert!(
            !matches!(
                tag.name.as_str(),
                "script" | "img" | "iframe" | "object" | "embed" | "link" | "base" | "form" | "image" | "use"
            ),
            "a <{}> in the page: {tag:?}",
            tag.name
        );
        for (name, value) in &tag.attrs {
            assert!(!name.starts_with("on"), "an event handler: {tag:?}");
            assert!(name != "src" && name != "xlink:href", "a source attribute: {tag:?}");
            if name == "href" {
                assert!(tag.has_class("rule-doc"), "a link that is not a rule doc: {tag:?}");
                assert!(
                    value.starts_with("https://docs.rs/"),
                    "a rule doc link elsewhere: {tag:?}"
                );
            }
            assert!(
                !value.contains("javascript:"),
                "a javascript: URL in an attribute: {tag:?}"
            );
        }
    }
    let csp = tags
        .iter()
        .find(|t| t.name == "meta" && t.attr("http-equiv").eq_ignore_ascii_case("content-security-policy"))
        .expect("a Content-Security-Policy meta");
    assert!(csp.attr("content").starts_with("default-src 'none'"), "{csp:?}");
    assert!(!html.contains('\u{202e}'), "a bidi override reached the page");
}

/// The verdict is the first thing of every input's section.
fn assert_verdict_first(tags: &[Tag], expected: &str) {
    let sections: Vec<usize> = tags
        .iter()
        .enumerate()
        .filter(|(_, t)| t.name == "section" && t.has_class("input"))
        .map(|(i, _)| i)
        .collect();
    assert!(!sections.is_empty(), "no input section");
    for at in sections {
        let first = &tags[at + 1];
        assert_eq!(first.name, "h2", "{first:?}");
        assert!(first.has_class("verdict"), "{first:?}");
        assert_eq!(first.attr("data-verdict"), expected);
    }
}

fn codes(tags: &[Tag]) -> Vec<String> {
    tags.iter()
        .filter(|t| t.name == "article" && t.has_class("finding"))
        .map(|t| t.attr("data-code").to_string())
        .collect()
}

#[test]
fn a_page_checked_offline_is_one_inert_document_with_the_verdict_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("install.html");
    // a good link, a link with a single slash (LNK002), a hostile link
    let hostile = format!(
        "itms-services://?action=download-manifest&amp;url=https://ota.example.com/{}.plist",
        HOSTILE.replace('"', "%22").replace('<', "&lt;")
    );
    std::fs::write(
        &page,
        format!(
            "<!doctype html><title>{}</title><a href=\"itms-services:/?action=download-manifest&amp;url=https://ota.example.com/m.plist\">1</a><a href=\"{hostile}\">2</a><a href=\"javascript:alert(1)\">3</a>",
            HOSTILE.replace('<', "&lt;")
        ),
    )
    .expect("write page");
    let page = page.display().to_string();
    let run = otadoctor(&["--offline", "--now", NOW, "--format", "html", &page]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = &run.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    assert_self_contained_and_inert(html);
    let tags = tags(html);
    assert_verdict_first(&tags, "fails");
    assert!(codes(&tags).iter().any(|c| c == "LNK002"), "{:?}", codes(&tags));
    // the verdict is the human report's
    let human = otadoctor(&["--offline", "--now", NOW, "--color", "never", &page]);
    let verdict = human.stdout.lines().next().expect("a verdict line");
    assert!(html.contains(&verdict.replace('"', "&quot;")), "{verdict}\n{html}");
    // the summary line with the exit code closes it
    assert!(html.contains("<footer class=\"summary\" id=\"summary\">"), "{html}");
    assert!(html.contains(" · exit 1"), "{html}");
    // offline: no request, so no timeline
    assert!(!tags.iter().any(|t| t.has_class("bar")));
}

#[test]
fn a_device_log_lists_its_install_events_after_the_verdict() {
    let run = otadoctor(&["--offline", "--format", "html", "testdata/device/ios-deploy-app-id.txt"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_self_contained_and_inert(&run.stdout);
    let tags = tags(&run.stdout);
    assert_verdict_first(&tags, "fails");
    assert!(run.stdout.contains("the install failed"), "{}", run.stdout);
    let events = tags.iter().position(|t| t.has_class("events")).expect("the events");
    let finding = tags.iter().position(|t| t.has_class("finding")).expect("a finding");
    assert!(events < finding);
    assert!(run.stdout.contains("explained by DEV004"), "{}", run.stdout);
}

/// A site whose server leaves out its intermediate and whose package is gone (404), with a
/// hostile manifest Content-Type and a `javascript:` icon.
fn broken_site() -> Site {
    let pki = Arc::new(Pki::new());
    let mut spec = LeafSpec::new(&[HOST]);
    spec.with_intermediate = false;
    let cert = pki.leaf_spec(&spec);
    let site = Site::with_lab(Lab::start_with(pki, cert), HOST);
    let manifest = support::lab::manifest(
        &site.url(Site::PACKAGE),
        "javascript:alert(1)",
        &site.url(Site::FULL),
        "com.acme.field",
        // XML-escaped: the manifest reads as `<script>…`
        "&lt;script&gt;document.title='pwned'&lt;/script&gt;",
    );
    site.lab.route(
        Site::MANIFEST,
        Route::ok(&format!("text/xml; x={HOSTILE}"), manifest.into_bytes()),
    );
    site.lab
        .route(Site::PACKAGE, Route::status(404, "text/html", "<h1>gone</h1>"));
    site
}

/// Runs the broken site's link: the HTML report, and the JSON of the same run.
fn broken_report(dir: &Path) -> (String, serde_json::Value, PathBuf) {
    let site = broken_site();
    let html = dir.join("report.html");
    let json = dir.join("report.json");
    let mut args = site.lab.args(&[HOST]);
    args.extend(
        [
            "--timeout",
            "3",
            "--format",
            &format!("json={}", json.display()),
            "--format",
            "html",
            "-o",
            &html.display().to_string(),
            &site.link(),
        ]
        .map(String::from),
    );
    let run = otadoctor_args(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = std::fs::read_to_string(&html).expect("the HTML report");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report")).expect("JSON");
    (text, doc, html)
}

#[test]
fn a_followed_link_draws_one_bar_per_request_and_the_chain_with_its_missing_intermediate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, doc, _) = broken_report(dir.path());
    assert_self_contained_and_inert(&html);
    let tags = tags(&html);
    assert_verdict_first(&tags, "fails");
    let codes = codes(&tags);
    for code in ["TLS007", "HTTP001"] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
    // errors before the pictures, the pictures before the table
    let at = |pred: &dyn Fn(&Tag) -> bool| tags.iter().position(pred).expect("present");
    let first_error = at(&|t| t.name == "article" && t.has_class("error"));
    let timeline = at(&|t| t.name == "svg" && t.has_class("timeline"));
    let chain = at(&|t| t.name == "svg" && t.has_class("chain"));
    let table = at(&|t| t.name == "table");
    assert!(first_error < timeline && timeline < chain && chain < table);

    let bars: Vec<&Tag> = tags.iter().filter(|t| t.name == "g" && t.has_class("bar")).collect();
    let n = support::requests_in(&doc);
    assert!(n >= 4, "manifest, package HEAD and GET, an icon: {n}");
    assert_eq!(bars.len(), n, "one bar per request");
    // the package's HEAD and GET got 404; every request came over the chain iOS refuses (no
    // intermediate), so every bar is red
    let statuses: Vec<(&str, &str)> = bars
        .iter()
        .map(|b| (b.attr("data-step"), b.attr("data-status")))
        .collect();
    assert_eq!(statuses[0], ("manifest", "200"), "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|(step, status)| *step == "package" && *status == "404")
            .count(),
        2,
        "{statuses:?}"
    );
    assert!(bars.iter().all(|b| b.has_class("broken")), "{bars:?}");

    let hosts: Vec<&Tag> = tags
        .iter()
        .filter(|t| t.name == "figure" && t.has_class("chain"))
        .collect();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    assert!(hosts[0].attr("data-host").starts_with(HOST), "{hosts:?}");
    let missing: Vec<&Tag> = tags
        .iter()
        .filter(|t| t.has_class("cert") && t.has_class("missing"))
        .collect();
    assert_eq!(missing.len(), 1, "the missing intermediate marked once");
    assert_eq!(
        tags.iter().filter(|t| t.has_class("cert")).count(),
        3,
        "leaf, missing, root"
    );

    // the hostile title and Content-Type are text, escaped; the javascript: icon is text
    assert!(
        html.contains("App: <strong>&lt;script&gt;document.title='pwned'&lt;/script&gt;</strong>"),
        "{html}"
    );
    assert!(
        html.contains("text/xml; x=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;"),
        "{html}"
    );
    assert!(html.contains("\\u{202e}gpj"), "the override made visible");
    assert!(html.contains("javascript:alert(1)"), "shown as text");
}

#[test]
fn a_correct_site_has_no_red_bar_and_its_whole_chain() {
    let site = Site::correct(HOST);
    let mut args = site.lab.args(&[HOST]);
    args.extend(["--timeout", "3", "--format", "html", &site.link()].map(String::from));
    let run = otadoctor_args(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_self_contained_and_inert(&run.stdout);
    let tags = tags(&run.stdout);
    assert_verdict_first(&tags, "clean");
    let bars: Vec<&Tag> = tags.iter().filter(|t| t.name == "g" && t.has_class("bar")).collect();
    assert!(bars.len() >= 4, "{bars:?}");
    assert!(!bars.iter().any(|b| b.has_class("broken")), "{bars:?}");
    // the package: HEAD, its first bytes, then the Range requests that read its index, Info.plist,
    // profile and executable, each a bar of its own, as the lab logged them
    let steps: Vec<&str> = bars.iter().map(|b| b.attr("data-step")).collect();
    let ranges = steps.iter().filter(|s| **s == "package (range)").count();
    let logged = site
        .lab
        .requests()
        .iter()
        .filter(|r| r.range.is_some() && r.path == Site::PACKAGE)
        .count();
    assert!(ranges >= 2, "{steps:?}");
    // the installer's first-bytes GET is a Range request too
    assert_eq!(ranges + 1, logged, "{steps:?}");
    let roles: Vec<&str> = tags
        .iter()
        .filter(|t| t.has_class("cert"))
        .map(|t| t.attr("data-role"))
        .collect();
    assert_eq!(roles, ["leaf", "intermediate", "root (trust store)"]);
    assert!(!tags.iter().any(|t| t.has_class("bad") || t.has_class("missing")));
}

#[test]
fn a_host_that_is_not_tls_says_no_chain_was_seen() {
    let (port, _server) = support::lab::not_tls_server();
    let dns = support::lab::DnsServer::start();
    let link = otadoctor::check::repair::canonical_link(&format!("https://{HOST}:{port}/app/manifest.plist"));
    let resolve = format!("{HOST}:{port}:127.0.0.1");
    let dns_server = dns.addr.to_string();
    let run = otadoctor(&[
        "--resolve",
        &resolve,
        "--dns-server",
        &dns_server,
        "--timeout",
        "3",
        "--format",
        "html",
        &link,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_self_contained_and_inert(&run.stdout);
    let tags = tags(&run.stdout);
    assert_verdict_first(&tags, "fails");
    assert!(codes(&tags).iter().any(|c| c == "TLS001"), "{:?}", codes(&tags));
    assert!(tags.iter().any(|t| t.has_class("no-chain")), "{}", run.stdout);
    assert!(!tags.iter().any(|t| t.has_class("cert")), "no chain to draw");
    let bars: Vec<&Tag> = tags.iter().filter(|t| t.name == "g" && t.has_class("bar")).collect();
    // the installer's request for the manifest, and the same asked as a browser to compare
    let steps: Vec<&str> = bars.iter().map(|b| b.attr("data-step")).collect();
    assert_eq!(steps, ["manifest", "manifest (as a browser)"]);
    assert!(
        bars.iter()
            .all(|b| b.has_class("broken") && b.attr("data-status") == "none")
    );
}

/// Runs Chromium on `args` with 60 s at most (killed after); its standard output.
fn chromium(binary: &Path, profile: &Path, args: &[String]) -> String {
    let mut command = Command::new(binary);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish in 60 s: killed");
            }
        }
    }
    reader.join().unwrap_or_default()
}

#[test]
fn chromium_renders_the_report_and_runs_nothing_from_the_hostile_site() {
    let Some(binary) = support::servers::program("chromium", "chromium") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, doc, file) = broken_report(dir.path());
    let profile = dir.path().join("chromium-profile");
    let dom = chromium(
        &binary,
        &profile,
        &["--dump-dom".to_string(), format!("file://{}", file.display())],
    );
    // the browser parsed what the tokenizer parsed: the verdict, one bar per request
    assert!(dom.contains("data-verdict=\"fails\""), "{dom}");
    let dom_tags = tags(&dom);
    let bars = dom_tags.iter().filter(|t| t.name == "g" && t.has_class("bar")).count();
    assert_eq!(bars, support::requests_in(&doc), "{dom}");
    assert_eq!(
        bars,
        tags(&html)
            .iter()
            .filter(|t| t.name == "g" && t.has_class("bar"))
            .count()
    );
    // no script ran (the title is ours) and nothing was injected
    let title = dom
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(title, _)| title);
    assert_eq!(title, Some("otadoctor report"), "{dom}");
    assert!(
        !dom_tags.iter().any(|t| matches!(t.name.as_str(), "script" | "img")),
        "{dom}"
    );
    assert!(dom.contains("document.title="), "the hostile text is there, as text");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html_report.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &binary,
        &profile,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000".to_string(),
            format!("file://{}", file.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(png.len() > 10_000, "a page, not a blank: {} bytes", png.len());
    eprintln!(
        "report: {} bytes; screenshot: {} ({} bytes)",
        html.len(),
        shot.display(),
        png.len()
    );
}

#[test]
fn the_findings_come_in_the_human_reports_order() {
    // errors and warnings in the order the walk meets them, as the human report lists them: the
    // package's 404 (a step of the walk) before the host's TLS007 (the hosts come last), whatever
    // order the checks stored them in
    let site = broken_site();
    let mut args = site.lab.args(&[HOST]);
    args.extend(["--timeout", "3"].map(String::from));
    args.push(site.link());
    let human = otadoctor_args(&args);
    let heads: Vec<String> = human
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("error[").or_else(|| l.strip_prefix("warning[")))
        .filter_map(|rest| rest.split(' ').next())
        .map(str::to_string)
        .collect();
    let package = heads.iter().position(|c| c == "HTTP001");
    let chain = heads.iter().position(|c| c == "TLS007");
    assert!(package.is_some() && package < chain, "{}", human.stdout);
    args.extend(["--format", "html"].map(String::from));
    let html = otadoctor_args(&args);
    assert_eq!(codes(&tags(&html.stdout)), heads);
}
