//! Following a link like the device, against the test lab: the whole walk, what it asks for,
//! connection reuse, concurrency, TLS verdicts in the facts, and the inputs that lead to a walk.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::lab::{Lab, Route, Site};
use support::otadoctor_args;

const HOST: &str = "ota.acme-apps.test";

fn walk(site: &Site, input: String) -> support::Run {
    let mut args = site.args(&["--timeout", "3"]);
    args.push(input);
    otadoctor_args(&args)
}

#[test]
fn a_correct_site_walks_end_to_end_with_no_error_or_warning() {
    let site = Site::correct(HOST);
    let run = walk(&site, site.link());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(doc["summary"]["error"], 0);
    assert_eq!(doc["summary"]["warning"], 0);
    let walk = &doc["results"][0]["facts"]["walks"][0];
    assert_eq!(walk["manifest"]["exchanges"][0]["status"], 200);
    assert_eq!(
        walk["document"]["document"]["items"][0]["metadata"]["bundle-identifier"],
        "com.acme.field"
    );
    let kinds: Vec<&str> = walk["assets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["software-package", "display-image", "full-size-image"]);
    assert_eq!(walk["assets"][0]["get"]["exchanges"][0]["status"], 206);
    assert_eq!(walk["assets"][1]["png"]["width"], 57);
    let host = &doc["results"][0]["facts"]["hosts"][0];
    assert_eq!(host["dns"]["source"], "resolve-option");
    assert_eq!(host["probe"]["tls"]["verdict"], "ok");
    assert_eq!(host["probe"]["tls"]["anchored_by"], "private");
    assert_eq!(doc["results"][0]["facts"]["trust_store"]["version"], "2025072000");
}

#[test]
fn the_walk_asks_what_the_installer_asks_and_reuses_connections() {
    let site = Site::correct(HOST);
    let run = walk(&site, site.link());
    assert_eq!(run.code, 0);
    let mut seen: Vec<String> = site
        .lab
        .requests()
        .iter()
        .map(|r| {
            let agent = if r.user_agent.starts_with("com.apple.appstored/") {
                "installer"
            } else {
                "browser"
            };
            format!(
                "{} {} {} {}",
                r.method,
                r.path,
                agent,
                r.range.clone().unwrap_or_default()
            )
        })
        .collect();
    // the package's Info.plist, profile and CodeResources lie together at its start: one request
    // (its end depends on the length of the profile's signature)
    // then the rest of the executable's entry, deflated, for its code signature (its head came
    // with the entries)
    for s in &mut seen {
        if s.starts_with("GET /app/Field.ipa installer bytes=0-") && !s.ends_with("bytes=0-4095") {
            *s = "GET /app/Field.ipa installer bytes=0-(entries)".to_string();
        } else if s.starts_with("GET /app/Field.ipa installer bytes=") && !s.contains("=-") && !s.contains("=0-") {
            *s = "GET /app/Field.ipa installer bytes=(executable)".to_string();
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "GET /app/Field.ipa installer bytes=(executable)",
            "GET /app/Field.ipa installer bytes=-65536",
            "GET /app/Field.ipa installer bytes=0-(entries)",
            "GET /app/Field.ipa installer bytes=0-4095",
            "GET /app/icon-512.png installer ",
            "GET /app/icon-57.png installer ",
            "GET /app/manifest.plist browser ",
            "GET /app/manifest.plist installer ",
            "HEAD /app/Field.ipa installer ",
        ]
    );
    // nine requests (three of them read the package's tail, then its Info.plist, profile,
    // CodeResources and the executable's first bytes, then the rest of the executable for its
    // signature), one TLS probe: kept-alive connections are reused, so fewer than 10 connections
    let connections = site.lab.connections();
    assert!(connections < 10, "{connections} connections for 9 requests and a probe");
}

#[test]
fn the_tls_probe_is_made_once_per_host() {
    // a page with two links to manifests on the same host: two walks, sixteen requests
    let site = Site::correct(HOST);
    let link = site.link().replace('&', "&amp;");
    let page = format!("<html><body><a href=\"{link}\">one</a><a href=\"{link}\">two</a></body></html>");
    site.lab.route("/two.html", Route::ok("text/html", page));
    let run = walk(&site, site.url("/two.html"));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(doc["results"][0]["facts"]["walks"].as_array().map(Vec::len), Some(2));
    let hosts = doc["results"][0]["facts"]["hosts"].as_array().expect("hosts").clone();
    assert_eq!(hosts.len(), 1, "one host:port, probed once");
    assert!(hosts[0]["probe"]["tls"].is_object());
    assert_eq!(
        site.lab.requests().len(),
        20,
        "the page as an iPhone and as an iPad asks, then nine requests per link"
    );
}

#[test]
fn assets_are_fetched_concurrently() {
    let site = Site::correct(HOST);
    let slow = Duration::from_millis(1200);
    site.lab.route(
        Site::DISPLAY,
        Route::ok("image/png", support::lab::png(57, 57)).delay(slow),
    );
    site.lab.route(
        Site::FULL,
        Route::ok("image/png", support::lab::png(512, 512)).delay(slow),
    );
    site.lab.route(
        Site::PACKAGE,
        // four package requests one after another (HEAD, GET, the tail, Info.plist), 0.3 s each
        Route::ok("application/octet-stream", support::lab::package(64 * 1024)).delay(Duration::from_millis(300)),
    );
    let start = Instant::now();
    let run = walk(&site, site.link());
    let took = start.elapsed();
    assert_eq!(run.code, 0);
    // one after another this takes 1.2 + 1.2 + 4 × 0.3 s; at once, about 1.2 s
    assert!(took < Duration::from_millis(2600), "took {took:?}");
}

#[test]
fn a_refused_certificate_is_in_the_facts_and_the_walk_goes_on() {
    let pki = Arc::new(support::lab::Pki::new());
    let cert = pki.leaf(&["other.acme-apps.test"]);
    let site = Site::with_lab(Lab::start_with(pki, cert), HOST);
    let run = walk(&site, site.link());
    let doc = run.json();
    let facts = &doc["results"][0]["facts"];
    let verdict = facts["hosts"][0]["probe"]["tls"]["verdict"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(verdict.contains("not valid for this host name"), "{verdict}");
    let manifest = &facts["walks"][0]["manifest"]["exchanges"][0];
    assert_eq!(manifest["status"], 200, "the manifest is still fetched");
    assert_eq!(
        manifest["over_refused_tls"], true,
        "and marked as fetched over a refused connection"
    );
    assert!(facts["walks"][0]["document"]["document"].is_object(), "and still read");
    assert_eq!(
        facts["walks"][0]["assets"][0]["head"]["exchanges"][0]["over_refused_tls"],
        true
    );
    let human = {
        let mut args = site.args(&[]);
        args.retain(|a| a != "--format" && a != "json");
        args.push(site.link());
        otadoctor_args(&args).stdout
    };
    assert!(
        human.contains("TLS ✗ the certificate is not valid for this host name"),
        "{human}"
    );
}

#[test]
fn a_download_page_url_is_fetched_and_its_links_followed() {
    let site = Site::correct(HOST);
    let run = walk(&site, site.url(Site::PAGE));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    let result = &doc["results"][0];
    assert_eq!(result["kind"], "page");
    assert_eq!(result["facts"]["page"]["fetch"]["exchanges"][0]["status"], 200);
    assert_eq!(result["facts"]["links"][0]["context"]["kind"], "html-attribute");
    assert_eq!(result["facts"]["walks"][0]["link"], 0);
    assert_eq!(result["facts"]["walks"][0]["assets"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_manifest_url_is_walked_as_a_manifest() {
    let site = Site::correct(HOST);
    let run = walk(&site, site.url(Site::MANIFEST));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(doc["results"][0]["kind"], "manifest");
    assert_eq!(
        doc["results"][0]["facts"]["walks"][0]["assets"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[test]
fn a_local_manifest_file_has_its_assets_fetched() {
    let site = Site::correct(HOST);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("walk-local-manifest.plist");
    std::fs::write(&path, site.manifest_text()).expect("write manifest");
    let run = walk(&site, path.display().to_string());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(doc["results"][0]["kind"], "manifest");
    assert_eq!(
        doc["results"][0]["facts"]["walks"][0]["assets"][0]["head"]["exchanges"][0]["status"],
        200
    );
}

#[test]
fn the_human_report_shows_the_walk_step_by_step() {
    let site = Site::correct(HOST);
    site.lab
        .route(Site::FULL, Route::status(404, "text/html", "<html>gone</html>"));
    let mut args = site.args(&[]);
    args.retain(|a| a != "--format" && a != "json");
    args.push(site.link());
    let out = otadoctor_args(&args).stdout;
    // cause first: the warning with its fix, then the walk, which points back at it
    let order = [
        "warning[HTTP001 http-status] the full-size-image answers 404",
        "manifest  GET https://ota.acme-apps.test:",
        "· 200 text/xml",
        "package   HEAD",
        "package   GET",
        "· 206 application/octet-stream 4.0 KB",
        "icon      display-image",
        "PNG 57×57",
        "icon      full-size-image",
        "· 404 text/html",
        "↑ warning[HTTP001 http-status] above",
        "profile   ad hoc · \"Field Ad Hoc\"",
        "host      ota.acme-apps.test:",
        "1 warning · 2 info · exit 0",
    ];
    support::assert_in_order(&out, &order);
}

/// Not a pass/fail test: `cargo test --release --test walk -- --ignored --nocapture` prints
/// what a full check of the correct site costs on loopback (requests, connections, wall time).
#[test]
#[ignore]
fn measure_a_full_check_of_the_correct_site() {
    let site = Site::correct(HOST);
    let mut times = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let run = walk(&site, site.link());
        times.push(start.elapsed());
        assert_eq!(run.code, 0);
    }
    times.sort();
    let requests = site.lab.requests().len() / 10;
    let connections = site.lab.connections() / 10;
    println!("requests per check: {requests}; connections per check: {connections} (one is the TLS probe)");
    println!(
        "wall time per check: min {:?}, median {:?}, max {:?}",
        times[0], times[5], times[9]
    );
}

#[test]
fn three_tls_problems_are_all_reported_and_the_manifest_is_still_checked() {
    use support::lab::{LeafSpec, Pki};
    let pki = Arc::new(Pki::new());
    let mut spec = LeafSpec::new(&["other.acme-apps.test"]);
    spec.server_auth = false;
    spec.not_before = support::NOW - time::Duration::days(100);
    spec.not_after = support::NOW - time::Duration::days(5);
    let cert = pki.leaf_spec(&spec);
    let site = Site::with_lab(Lab::start_with(pki, cert), HOST);
    site.serve_manifest(
        &site
            .manifest_text()
            .replace("<string>software</string>", "<string>app</string>"),
    );
    let run = walk(&site, site.link());
    let codes = run.codes();
    for code in ["TLS008", "TLS009", "TLS013"] {
        assert!(codes.contains(&code.to_string()), "{code} missing from {codes:?}");
    }
    assert!(
        codes.contains(&"MAN010".to_string()),
        "the manifest is still read and checked: {codes:?}"
    );
    let doc = run.json();
    let exchange = &doc["results"][0]["facts"]["walks"][0]["manifest"]["exchanges"][0];
    assert_eq!(exchange["over_refused_tls"], true);
    let tls = doc["results"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "TLS009")
        .cloned()
        .expect("TLS009");
    assert_eq!(
        tls["evidence"]["resources"],
        serde_json::json!(["icon", "manifest", "package"])
    );
    assert!(
        tls["evidence"]["chain"][0]
            .as_str()
            .unwrap_or_default()
            .contains("CN=other.acme-apps.test")
    );
}

#[test]
fn a_page_with_many_links_follows_only_the_first_ones() {
    let site = Site::correct(HOST);
    let link = site.link().replace('&', "&amp;");
    let anchors: String = (0..40).map(|i| format!("<a href=\"{link}\">{i}</a>\n")).collect();
    site.lab.route(
        "/many.html",
        Route::ok("text/html", format!("<html><body>{anchors}</body></html>")),
    );
    let run = walk(&site, site.url("/many.html"));
    let doc = run.json();
    let facts = &doc["results"][0]["facts"];
    assert_eq!(
        facts["links"].as_array().map(Vec::len),
        Some(40),
        "every link is checked"
    );
    assert_eq!(
        facts["walks"].as_array().map(Vec::len),
        Some(otadoctor::collect::walk::MAX_FOLLOWED_LINKS)
    );
    let skipped = facts["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter_map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(skipped.contains("links 33–40 not followed"), "{skipped}");
}
