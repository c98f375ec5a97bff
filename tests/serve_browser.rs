//! `otadoctor serve` in a real browser: headless Chromium driven through chromedriver
//! (tests/support/browser.rs) loads the page, types a link, submits, and reads the report it
//! lands on; a hostile site's manifest runs no script; the form works without JavaScript and
//! from the keyboard alone. Screenshots are kept under `target/tmp/` (CARGO_TARGET_TMPDIR).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::browser::{Browser, artifact_path};
use support::lab::{LeafSpec, Pki, Route, Site};
use support::serve::{Serve, lab_args};

const NOW: &str = "2026-11-25T12:00:00Z";
const HOST: &str = "ota.acme-apps.io";
const WAIT: Duration = Duration::from_secs(60);

fn codes(browser: &Browser) -> Vec<String> {
    browser
        .execute(
            "return Array.from(document.querySelectorAll('article.finding')).map(a => a.dataset.code);",
            &[],
        )
        .expect("codes")
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_page_checks_a_demo_link_and_lands_on_its_report() {
    let Some(browser) = Browser::start() else { return };
    let serve = Serve::start(&["--demo".to_string(), format!("--now={NOW}")]);
    browser.goto(&serve.url("/")).unwrap();
    assert_eq!(browser.title().unwrap(), "otadoctor");
    // the script ran (under the page's policy): the drop zone shows
    assert!(browser.displayed("#drop").unwrap());
    // the demo's scenario with the missing intermediate, as listed under the form
    let links: Vec<String> = browser
        .execute(
            "return Array.from(document.querySelectorAll('ul.examples input[name=input]')).map(i => i.value);",
            &[],
        )
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 10, "{links:?}");
    let link = links
        .iter()
        .find(|l| l.contains("missing-intermediate"))
        .expect("scenario 4")
        .clone();
    browser.type_into("#input", &link).unwrap();
    browser.type_into("#symptom", "Cannot connect to host").unwrap();
    let page = browser.full_page_screenshot(&artifact_path("serve_page.png")).unwrap();
    assert!(page.starts_with(b"\x89PNG"));
    let started = Instant::now();
    browser.click("#submit").unwrap();
    browser.wait_for_url("/r/", WAIT).unwrap();
    browser.wait_for("h2.verdict", WAIT).unwrap();
    let took = started.elapsed();
    eprintln!(
        "the demo's report in the browser {} ms after the click",
        took.as_millis()
    );
    assert_eq!(
        browser.attribute("h2.verdict", "data-verdict").unwrap().as_deref(),
        Some("fails")
    );
    assert!(browser.text("h2.verdict").unwrap().contains("the install fails"));
    assert!(codes(&browser).contains(&"TLS007".to_string()), "{:?}", codes(&browser));
    // the same link through the API: the timeline has one bar per request it lists
    let doc = serve
        .api(&json!({ "input": link, "symptom": "Cannot connect to host" }))
        .json();
    let bars = browser.count("svg.timeline g.bar").unwrap();
    assert_eq!(bars, support::requests_in(&doc), "one bar per request");
    assert!(browser.count("svg.timeline g.bar.broken").unwrap() >= 1);
    assert!(
        browser.count("svg.chain .missing").unwrap() >= 1,
        "the missing intermediate is drawn"
    );
    // the way back
    assert_eq!(browser.attribute("nav a", "href").unwrap().as_deref(), Some("/"));
    let shot = browser
        .full_page_screenshot(&artifact_path("serve_report.png"))
        .unwrap();
    assert!(shot.starts_with(b"\x89PNG"));
    eprintln!(
        "screenshot: {} ({} bytes)",
        artifact_path("serve_report.png").display(),
        shot.len()
    );
    // the report was shown once: reloading it says so
    browser.refresh().unwrap();
    assert!(browser.source().unwrap().contains("reports are shown once"));
}

#[test]
fn the_page_shows_the_progress_line_while_a_slow_site_is_checked() {
    let Some(browser) = Browser::start() else { return };
    let site = Site::correct(HOST);
    site.lab.route(
        Site::MANIFEST,
        Route {
            first_byte_delay: Duration::from_secs(3),
            ..Route::ok("text/xml", site.manifest_text().into_bytes())
        },
    );
    let mut args = lab_args(&site.lab.args(&[HOST]));
    args.push(format!("--now={NOW}"));
    let serve = Serve::start(&args);
    browser.goto(&serve.url("/")).unwrap();
    browser.type_into("#input", &site.link()).unwrap();
    browser.type_into("#ios", "17.4").unwrap();
    browser.click("#submit").unwrap();
    browser.wait_for_text("#progress", "manifest.plist", WAIT).unwrap();
    assert!(browser.text("#progress").unwrap().contains("GET https://"));
    assert_eq!(
        browser.attribute("#progress", "role").unwrap().as_deref(),
        Some("status")
    );
    assert!(browser.property("#submit", "disabled").unwrap().as_bool().unwrap());
    browser.wait_for("h2.verdict", WAIT).unwrap();
    assert_eq!(
        browser.attribute("h2.verdict", "data-verdict").unwrap().as_deref(),
        Some("clean")
    );
}

/// A site whose manifest title, Content-Type and icon URL carry script, `javascript:` URLs
/// and a right-to-left override.
fn hostile_site() -> Site {
    let pki = std::sync::Arc::new(Pki::new());
    let cert = pki.leaf_spec(&LeafSpec::new(&[HOST]));
    let site = Site::with_lab(support::lab::Lab::start_with(pki, cert), HOST);
    let manifest = support::lab::manifest(
        &site.url(Site::PACKAGE),
        "javascript:window.__pwned=1",
        &site.url(Site::FULL),
        "com.acme.field",
        "&lt;script&gt;window.__pwned=1;document.title='pwned'&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;\u{202e}gpj.exe",
    );
    site.lab.route(
        Site::MANIFEST,
        Route::ok(
            "text/xml; x=\"><script>window.__pwned=3</script>\u{202e}",
            manifest.into_bytes(),
        ),
    );
    site.lab.route(
        Site::PACKAGE,
        Route::status(404, "text/html", "<script>window.__pwned=4</script>")
            .header("x-note", "<a href=\"javascript:window.__pwned=5\">x</a>"),
    );
    site
}

#[test]
fn a_hostile_manifest_runs_no_script_in_the_served_report() {
    let Some(browser) = Browser::start() else { return };
    let site = hostile_site();
    let mut args = lab_args(&site.lab.args(&[HOST]));
    args.push(format!("--now={NOW}"));
    let serve = Serve::start(&args);
    browser.goto(&serve.url("/")).unwrap();
    browser.type_into("#input", &site.link()).unwrap();
    browser.click("#submit").unwrap();
    browser.wait_for_url("/r/", WAIT).unwrap();
    browser.wait_for("h2.verdict", WAIT).unwrap();
    assert_eq!(browser.alert_text().unwrap(), None, "an alert opened");
    assert_eq!(browser.title().unwrap(), "otadoctor report");
    let state = browser
        .execute(
            "return { pwned: window.__pwned === undefined ? null : window.__pwned, \
                      scripts: document.scripts.length, \
                      handlers: Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length, \
                      jsLinks: Array.from(document.querySelectorAll('[href],[src]')).filter(e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || '')).length, \
                      imgs: document.images.length, \
                      text: document.body.innerText };",
            &[],
        )
        .unwrap();
    assert_eq!(state["pwned"], serde_json::Value::Null, "a script ran");
    assert_eq!(state["scripts"], 0);
    assert_eq!(state["handlers"], 0);
    assert_eq!(state["jsLinks"], 0);
    assert_eq!(state["imgs"], 0);
    let text = state["text"].as_str().unwrap();
    // what the site sent is there, as text
    assert!(text.contains("<script>window.__pwned=1"), "the title as text");
    assert!(text.contains("javascript:window.__pwned=1"), "the icon URL as text");
    // no bidi override reaches the DOM as a character
    assert!(
        !browser.source().unwrap().contains('\u{202e}'),
        "a raw U+202E in the DOM"
    );
    assert!(
        browser.outside_requests().is_empty(),
        "{:?}",
        browser.outside_requests()
    );
    browser
        .full_page_screenshot(&artifact_path("serve_hostile.png"))
        .unwrap();
}

#[test]
fn the_form_works_without_javascript() {
    let Some(browser) = Browser::start_without_javascript() else {
        return;
    };
    let site = Site::correct(HOST);
    site.lab
        .route(Site::PACKAGE, Route::status(404, "text/html", "<h1>gone</h1>"));
    let mut args = lab_args(&site.lab.args(&[HOST]));
    args.push(format!("--now={NOW}"));
    let serve = Serve::start(&args);
    browser.goto(&serve.url("/")).unwrap();
    // without the script the drop zone stays hidden; the file input is there
    assert!(!browser.displayed("#drop").unwrap());
    browser.type_into("#input", &site.link()).unwrap();
    browser.type_into("#symptom", "Unable to Download App").unwrap();
    browser.click("#submit").unwrap();
    browser.wait_for("h2.verdict", WAIT).unwrap();
    assert!(browser.current_url().unwrap().ends_with("/check"));
    assert_eq!(
        browser.attribute("h2.verdict", "data-verdict").unwrap().as_deref(),
        Some("fails")
    );
    let codes = codes(&browser);
    assert!(codes.iter().any(|c| c.starts_with("HTTP")), "{codes:?}");
}

#[test]
fn the_form_is_labelled_and_reachable_from_the_keyboard() {
    let Some(browser) = Browser::start() else { return };
    let site = Site::correct(HOST);
    let mut args = lab_args(&site.lab.args(&[HOST]));
    args.push(format!("--now={NOW}"));
    let serve = Serve::start(&args);
    browser.goto(&serve.url("/")).unwrap();
    // every control has a label, and every description it points at exists
    let unlabelled = browser
        .execute(
            "return Array.from(document.querySelectorAll('textarea, input:not([type=hidden]), select')) \
               .filter(c => !document.querySelector('label[for=\"' + c.id + '\"]')) \
               .map(c => c.name) \
               .concat(Array.from(document.querySelectorAll('[aria-describedby]')) \
                 .filter(c => !document.getElementById(c.getAttribute('aria-describedby'))).map(c => 'describedby ' + c.id));",
            &[],
        )
        .unwrap();
    assert_eq!(unlabelled, json!([]));
    assert_eq!(browser.attribute("html", "lang").unwrap().as_deref(), Some("en"));
    // Tab walks the form in reading order
    let mut order = Vec::new();
    for _ in 0..7 {
        browser.press_tab().unwrap();
        order.push(browser.active_element_attribute("id").unwrap().unwrap_or_default());
    }
    assert_eq!(order, ["input", "files", "ios", "device", "udid", "symptom", "submit"]);
    // and Enter on the button starts the check
    browser.press_shift_tab().unwrap();
    browser.press_tab().unwrap();
    browser
        .execute(
            "document.getElementById('input').value = arguments[0];",
            &[json!(site.link())],
        )
        .unwrap();
    browser.press(&support::browser::ENTER.to_string()).unwrap();
    browser.wait_for("h2.verdict", WAIT).unwrap();
}
