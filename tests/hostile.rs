//! Hostile servers: each run ends within its time limits, with a finding, having read a
//! bounded number of bytes — never a hang, a crash or an unbounded read.

mod support;

use std::time::{Duration, Instant};

use support::lab::{Route, Site};
use support::otadoctor_args;

const HOST: &str = "ota.acme-apps.test";

fn run(site: &Site, extra: &[&str]) -> (support::Run, Duration) {
    let mut args = site.args(extra);
    args.push(site.link());
    let start = Instant::now();
    let run = otadoctor_args(&args);
    (run, start.elapsed())
}

fn manifest_exchange(run: &support::Run) -> serde_json::Value {
    run.json()["results"][0]["facts"]["walks"][0]["manifest"]["exchanges"][0].clone()
}

#[test]
fn a_server_that_trickles_one_byte_a_second_is_cut_at_the_timeout() {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::MANIFEST,
        Route::ok("text/xml", site.manifest_text()).trickle(Duration::from_secs(1)),
    );
    let (run, took) = run(&site, &["--timeout", "2"]);
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(run.codes().contains(&"NET004".to_string()), "{:?}", run.codes());
    let exchange = manifest_exchange(&run);
    assert_eq!(exchange["error"]["phase"], "body");
    assert!(exchange["body_bytes"].as_u64().unwrap_or(u64::MAX) < 10);
}

#[test]
fn an_endless_body_is_read_only_up_to_the_cap() {
    let site = Site::correct(HOST);
    site.lab.route(Site::MANIFEST, Route::ok("text/xml", "").endless());
    let (run, took) = run(&site, &["--timeout", "5"]);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(run.codes().contains(&"HTTP013".to_string()), "{:?}", run.codes());
    let exchange = manifest_exchange(&run);
    assert_eq!(
        exchange["body_bytes"].as_u64(),
        Some(1024 * 1024 + 1),
        "read exactly the cap plus one byte"
    );
    assert_eq!(exchange["body_truncated"], true);
}

#[test]
fn a_two_gib_manifest_is_not_downloaded() {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::MANIFEST,
        Route::ok("text/xml", "")
            .endless()
            .header("content-length", "2147483648"),
    );
    let (run, took) = run(&site, &["--timeout", "5"]);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(run.codes().contains(&"HTTP013".to_string()), "{:?}", run.codes());
    assert!(manifest_exchange(&run)["body_bytes"].as_u64().unwrap_or(u64::MAX) <= 1024 * 1024 + 1);
}

#[test]
fn a_redirect_loop_stops_after_ten_hops() {
    let site = Site::correct(HOST);
    site.lab.route("/a", Route::redirect(302, &site.url("/b")));
    site.lab.route("/b", Route::redirect(302, &site.url("/a")));
    let mut args = site.args(&[]);
    args.push(otadoctor::check::repair::canonical_link(&site.url("/a")));
    let start = Instant::now();
    let run = otadoctor_args(&args);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        run.codes(),
        ["TLS005", "HTTP003"],
        "the lab root is a --ca-file root (TLS005)"
    );
    let exchanges = run.json()["results"][0]["facts"]["walks"][0]["manifest"]["exchanges"]
        .as_array()
        .map(Vec::len);
    assert_eq!(exchanges, Some(11), "the first request and ten redirects");
    let requests = site
        .lab
        .requests()
        .iter()
        .filter(|r| r.path == "/a" || r.path == "/b")
        .count();
    assert_eq!(requests, 22, "11 hops, as the installer and as a browser");
}

#[test]
fn an_entity_bomb_manifest_is_refused_not_expanded() {
    let site = Site::correct(HOST);
    let mut bomb = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE plist [\n<!ENTITY a \"aaaaaaaaaa\">\n");
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i", "j"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!("<!ENTITY {name} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    bomb.push_str("]>\n<plist version=\"1.0\"><dict><key>items</key><string>&j;</string></dict></plist>\n");
    site.serve_manifest(&bomb);
    let (run, took) = run(&site, &[]);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(run.codes(), ["MAN001", "TLS005"]);
    let message = run.json()["results"][0]["findings"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("entities"), "{message}");
}

#[test]
fn a_file_url_in_the_manifest_is_never_read() {
    let site = Site::correct(HOST);
    site.serve_manifest(
        &site
            .manifest_text()
            .replace(&site.url(Site::DISPLAY), "file:///etc/passwd"),
    );
    let (run, _) = run(&site, &[]);
    assert_eq!(run.codes(), ["URL001", "SIG013", "TLS005"]);
    let doc = run.json();
    let asset = &doc["results"][0]["facts"]["walks"][0]["assets"][1];
    assert_eq!(asset["url"], "file:///etc/passwd");
    assert!(asset["not_fetched"].is_string());
    assert!(asset["get"].is_null());
    assert!(!run.stdout.contains("root:x:0:0"), "/etc/passwd must never be read");
}

#[test]
fn a_deeply_nested_manifest_is_a_finding_not_a_crash() {
    // the manifest is parsed on the runtime's worker threads, whose stacks are small: 5,500
    // nested arrays (83 KB) were enough to overflow one
    let site = Site::correct(HOST);
    let depth = 5_500;
    site.serve_manifest(&format!(
        "<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict><key>items</key>{}{}</dict></plist>\n",
        "<array>".repeat(depth),
        "</array>".repeat(depth)
    ));
    let (run, took) = run(&site, &[]);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(run.codes(), ["MAN001", "TLS005"]);
    let message = run.json()["results"][0]["findings"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("nested deeper than 64 levels"), "{message}");
}

#[test]
fn a_megabyte_of_duplicate_keys_is_read_in_linear_time() {
    // each key's line was counted from the start of the manifest: a 1 MiB manifest of
    // duplicate keys took most of a minute
    let site = Site::correct(HOST);
    let keys = "<key>k</key><string>v</string>\n".repeat(33_000);
    let manifest = site
        .manifest_text()
        .replace("<key>title</key>", &format!("{keys}<key>title</key>"));
    assert!(manifest.len() < 1024 * 1024);
    site.serve_manifest(&manifest);
    let (run, took) = run(&site, &[]);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(run.codes(), ["SIG013", "TLS005"], "as the correct site");
}

#[test]
fn a_manifest_listing_thousands_of_assets_gets_a_bounded_number_of_requests() {
    let site = Site::correct(HOST);
    let icons: String = (0..2000)
        .map(|i| {
            format!(
                "<dict><key>kind</key><string>display-image</string><key>url</key><string>{}</string></dict>",
                site.url(&format!("/icons/{i}.png"))
            )
        })
        .collect();
    let manifest = site.manifest_text().replacen(
        "<key>assets</key>\n\t\t\t<array>",
        &format!("<key>assets</key>\n\t\t\t<array>{icons}"),
        1,
    );
    assert!(manifest.contains("/icons/1999.png"), "the icons are in the manifest");
    site.serve_manifest(&manifest);
    let (run, took) = run(&site, &["--timeout", "5"]);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let icon_requests = site
        .lab
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/icons/"))
        .count();
    assert!(icon_requests <= 16, "{icon_requests} icon requests");
    let assets = run.json()["results"][0]["facts"]["walks"][0]["assets"].clone();
    assert_eq!(
        assets.as_array().map(Vec::len),
        Some(2003),
        "every asset is in the facts"
    );
}
