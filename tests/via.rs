//! The two other paths an install takes, through the CLI entry point against the test lab:
//! the iPad's (iPadOS Safari asks for a download page with a Mac's User-Agent: HTTP014), and
//! the MDM path (`--via mdm`: the MDM agent fetches the manifest URL of an InstallApplication
//! command; errors show in the MDM server's command result).

mod support;

use support::lab::{IpaSpec, Route, Site, ipa};
use support::profile::ProfileSpec;
use support::{Run, otadoctor_args};

const HOST: &str = "ota.acme-apps.test";

fn run(site: &Site, extra: &[&str], input: &str) -> Run {
    let mut args = site.args(extra);
    args.push(input.to_string());
    otadoctor_args(&args)
}

/// As `run`, and the human output kept (a second run).
fn run_kept(site: &Site, extra: &[&str], input: &str) -> Run {
    let mut args = site.args(extra);
    args.push(input.to_string());
    let run = otadoctor_args(&args);
    transcript(&args);
    run
}

/// Keeps the human output of each run in target/tmp/via-transcripts/ (README and docs quote it).
fn transcript(args: &[String]) {
    let mut human: Vec<String> = args.to_vec();
    if let Some(i) = human.iter().position(|a| a == "--format") {
        human.drain(i..i + 2);
    }
    let run = otadoctor_args(&human);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("via-transcripts");
    let _ = std::fs::create_dir_all(&dir);
    let name: String = human
        .iter()
        .flat_map(|a| a.chars())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let tail = name.len().saturating_sub(60);
    let _ = std::fs::write(
        dir.join(format!("{}-{}.txt", std::process::id(), &name[tail..])),
        format!("$ otadoctor {}\n{}", human.join(" "), run.stdout),
    );
}

/// Every finding of the first result with this code.
fn findings(run: &Run, code: &str) -> Vec<serde_json::Value> {
    run.json()["results"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

fn skipped(run: &Run) -> Vec<String> {
    run.json()["results"][0]["facts"]["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// A page that sniffs the User-Agent: an iPhone gets the install link, anything else `other`.
fn sniffing_page(site: &Site, other: &str) {
    let phone = format!(
        "<!doctype html><html><body><a href=\"{}\">Install</a></body></html>",
        site.link().replace('&', "&amp;")
    );
    site.lab.route(
        Site::PAGE,
        Route::ok("text/html", other.to_string()).for_agent("iPhone", Route::ok("text/html", phone)),
    );
}

#[test]
fn a_page_that_hides_the_link_from_a_mac_user_agent_is_http014_and_the_ipad_request_is_in_the_facts() {
    let site = Site::correct(HOST);
    sniffing_page(
        &site,
        "<!doctype html><html><body><p>Open this page on your iPhone.</p></body></html>",
    );
    let run = run(&site, &[], &site.url(Site::PAGE));
    let found = findings(&run, "HTTP014");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("has no itms-services link")),
        "{}",
        found[0]
    );
    assert_eq!(found[0]["severity"], "warning");
    let page = &run.json()["results"][0]["facts"]["page"];
    assert_eq!(page["as_ipad"]["links"].as_array().map(Vec::len), Some(0));
    let agent = page["as_ipad"]["fetch"]["exchanges"][0]["user_agent"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(agent.contains("Macintosh") && !agent.contains("iPhone"), "{agent}");
    // the lab saw the page asked for both ways
    let agents: Vec<String> = site
        .lab
        .requests()
        .into_iter()
        .filter(|r| r.path == Site::PAGE)
        .map(|r| r.user_agent)
        .collect();
    assert_eq!(agents.len(), 2, "{agents:?}");
    assert!(agents.iter().any(|a| a.contains("iPhone")) && agents.iter().any(|a| a.contains("Macintosh")));
}

#[test]
fn a_page_served_the_same_to_both_user_agents_is_silent() {
    let site = Site::correct(HOST);
    let run = run(&site, &[], &site.url(Site::PAGE));
    assert!(findings(&run, "HTTP014").is_empty(), "{}", run.stdout);
    let page = &run.json()["results"][0]["facts"]["page"];
    assert_eq!(page["as_ipad"]["links"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        page["as_ipad"]["links"][0]["manifest_url"].as_str(),
        Some(site.url(Site::MANIFEST).as_str())
    );
}

#[test]
fn an_ipad_page_that_answers_403_is_http014() {
    let site = Site::correct(HOST);
    let phone = format!(
        "<!doctype html><html><body><a href=\"{}\">Install</a></body></html>",
        site.link().replace('&', "&amp;")
    );
    site.lab.route(
        Site::PAGE,
        Route::status(403, "text/html", "<html><body>Forbidden</body></html>")
            .for_agent("iPhone", Route::ok("text/html", phone)),
    );
    let run = run(&site, &[], &site.url(Site::PAGE));
    let found = findings(&run, "HTTP014");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert!(found[0]["message"].as_str().is_some_and(|m| m.contains("answers 403")));
}

#[test]
fn scripts_that_tell_devices_apart_are_noted_not_judged() {
    let site = Site::correct(HOST);
    let page = format!(
        "<!doctype html><html><body><a id=\"i\" href=\"{}\">Install</a><script>if (navigator.maxTouchPoints > 1) {{ document.body.className = 'ipad'; }}</script></body></html>",
        site.link().replace('&', "&amp;")
    );
    site.lab.route(Site::PAGE, Route::ok("text/html", page));
    let run = run(&site, &[], &site.url(Site::PAGE));
    assert!(findings(&run, "HTTP014").is_empty(), "{}", run.stdout);
    let facts = &run.json()["results"][0]["facts"];
    assert_eq!(
        facts["page"]["as_ipad"]["scripts_read"],
        serde_json::json!(["navigator.maxTouchPoints"])
    );
    assert!(
        skipped(&run).iter().any(|s| s.contains("navigator.maxTouchPoints")),
        "{:?}",
        skipped(&run)
    );
}

#[test]
fn mdm_fetches_the_manifest_url_as_the_mdm_agent_and_not_as_a_browser() {
    let site = Site::correct(HOST);
    let run = run(&site, &["--via", "mdm"], &site.url(Site::MANIFEST));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let result = &run.json()["results"][0];
    assert_eq!(result["kind"], "manifest");
    assert_eq!(result["facts"]["via"], "mdm");
    let walk = &result["facts"]["walks"][0];
    assert!(walk["manifest_as_browser"].is_null());
    assert!(
        walk["manifest"]["exchanges"][0]["user_agent"]
            .as_str()
            .is_some_and(|a| a.starts_with("dmd/"))
    );
    let manifest_agents: Vec<String> = site
        .lab
        .requests()
        .into_iter()
        .filter(|r| r.path == Site::MANIFEST)
        .map(|r| r.user_agent)
        .collect();
    assert!(
        manifest_agents.iter().any(|a| a.starts_with("dmd/")),
        "{manifest_agents:?}"
    );
    assert!(
        !manifest_agents.iter().any(|a| a.contains("Safari")),
        "no browser asks under MDM: {manifest_agents:?}"
    );
    // the package is still fetched
    assert!(site.lab.requests().iter().any(|r| r.path == Site::PACKAGE));
}

#[test]
fn mdm_refuses_an_http_manifest_url_with_asd_error_850() {
    let site = Site::correct(HOST);
    // against the lab: the http URL of the lab's manifest (the lab speaks only TLS)
    let http = site.url(Site::MANIFEST).replacen("https:", "http:", 1);
    let run = run_kept(&site, &["--via", "mdm", "--timeout", "3"], &http);
    let found = findings(&run, "URL001");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    let device = found[0]["device_symptom"].as_str().unwrap_or_default();
    assert!(
        device.contains("ASDErrorDomain 850") && device.contains("command result, not on the phone"),
        "{device}"
    );
    // offline, as a link: the same, from the link's manifest URL
    let link = support::link_for(&http);
    let offline = support::otadoctor(&["--offline", "--via", "mdm", "--format", "json", &link]);
    let found = findings(&offline, "URL001");
    assert_eq!(found.len(), 1, "{}", offline.stdout);
    assert!(
        found[0]["device_symptom"]
            .as_str()
            .is_some_and(|d| d.contains("ASDErrorDomain 850"))
    );
    // a tapped link: the device's own dialog, no MDM code
    let tapped = support::otadoctor(&["--offline", "--format", "json", &link]);
    let found = findings(&tapped, "URL001");
    assert_eq!(found.len(), 1);
    assert!(
        found[0]["device_symptom"]
            .as_str()
            .is_some_and(|d| !d.contains("850") && !d.contains("MDM"))
    );
}

#[test]
fn mdm_reports_a_404_manifest_as_device_management_error_2604() {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::MANIFEST,
        Route::status(404, "text/html", "<html><body>Not Found</body></html>"),
    );
    let run = run_kept(&site, &["--via", "mdm"], &site.url(Site::MANIFEST));
    let found = findings(&run, "HTTP001");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    let device = found[0]["device_symptom"].as_str().unwrap_or_default();
    assert!(
        device.contains("DeviceManagement.error 2604 \"Could not validate manifest.\""),
        "{device}"
    );
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("to the MDM agent"))
    );
    // from a tapped link the same 404 is the installer's, with the device's dialog
    let tapped = run_link(&site);
    let found = findings(&tapped, "HTTP001");
    assert_eq!(found.len(), 1);
    assert!(found[0]["device_symptom"].as_str().is_some_and(|d| !d.contains("2604")));
}

fn run_link(site: &Site) -> Run {
    run(site, &[], &site.link())
}

/// The correct site with an enterprise build as its package.
fn enterprise_site() -> Site {
    let site = Site::correct(HOST);
    let enterprise = ProfileSpec {
        devices: Vec::new(),
        all_devices: true,
        ..ProfileSpec::default()
    };
    site.lab.route(
        Site::PACKAGE,
        Route::ok(
            "application/octet-stream",
            ipa(&IpaSpec {
                profile: Some(enterprise.signed()),
                ..IpaSpec::default()
            }),
        ),
    );
    site
}

#[test]
fn an_enterprise_build_needs_the_trust_step_from_a_link_but_not_by_mdm() {
    let site = enterprise_site();
    let tapped = run_link(&site);
    assert_eq!(findings(&tapped, "SIG014").len(), 1, "{}", tapped.stdout);
    let mdm = run_kept(&site, &["--via", "mdm"], &site.link());
    assert!(findings(&mdm, "SIG014").is_empty(), "{}", mdm.stdout);
    assert!(
        skipped(&mdm)
            .iter()
            .any(|s| s.contains("SIG014") && s.contains("trusted")),
        "{:?}",
        skipped(&mdm)
    );
    // the same package, asked for by its manifest URL
    let by_url = run(&site, &["--via", "mdm"], &site.url(Site::MANIFEST));
    assert!(findings(&by_url, "SIG014").is_empty(), "{}", by_url.stdout);
}

#[test]
fn a_user_agent_allow_list_that_leaves_out_the_mdm_agent_is_explained() {
    let site = Site::correct(HOST);
    let manifest = site.manifest_text();
    site.lab.route(
        Site::MANIFEST,
        Route::status(403, "text/html", "<html><body>Forbidden</body></html>")
            .for_agent("Safari", Route::ok("text/xml", manifest.clone()))
            .for_agent("appstored", Route::ok("text/xml", manifest.clone())),
    );
    let mdm = run_kept(&site, &["--via", "mdm"], &site.url(Site::MANIFEST));
    let found = findings(&mdm, "HTTP012");
    assert_eq!(found.len(), 1, "{}", mdm.stdout);
    let message = found[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the MDM agent gets 403, the installer of a tapped link gets 200"),
        "{message}"
    );
    assert!(found[0]["fix"].as_str().is_some_and(|f| f.contains("dmd/")));
    assert!(mdm.code == 1, "the manifest is refused: an error too (HTTP004)");
    // a tapped link passes the allow-list: nothing to say about it
    let tapped = run_link(&site);
    assert!(findings(&tapped, "HTTP012").is_empty(), "{}", tapped.stdout);
    assert!(findings(&tapped, "HTTP004").is_empty(), "{}", tapped.stdout);
}

#[test]
fn mdm_does_not_run_the_link_rules_and_says_so() {
    // a "+" in the manifest URL: LNK012 for a tapped link
    let link = "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/field/Field+Service.plist";
    let tapped = support::otadoctor(&["--offline", "--format", "json", link]);
    assert!(tapped.codes().contains(&"LNK012".to_string()), "{}", tapped.stdout);
    let mdm = support::otadoctor(&["--offline", "--via", "mdm", "--format", "json", link]);
    assert!(!mdm.codes().iter().any(|c| c.starts_with("LNK")), "{}", mdm.stdout);
    assert!(
        skipped(&mdm).iter().any(|s| s.contains("LNK rules")),
        "{:?}",
        skipped(&mdm)
    );
}

#[test]
fn every_device_text_under_mdm_says_where_the_error_shows() {
    let site = Site::correct(HOST);
    site.lab
        .route(Site::DISPLAY, Route::status(404, "text/html", "<html>gone</html>"));
    let mdm = run(&site, &["--via", "mdm"], &site.url(Site::MANIFEST));
    let doc = mdm.json();
    let all = doc["results"][0]["findings"].as_array().cloned().unwrap_or_default();
    assert!(!all.is_empty());
    for f in &all {
        assert!(
            f["device_symptom"]
                .as_str()
                .is_some_and(|d| d.starts_with("in the MDM server's command result, not on the phone")),
            "{f}"
        );
    }
    // and none does on the default path
    let tapped = run_link(&site);
    let doc = tapped.json();
    for f in doc["results"][0]["findings"].as_array().into_iter().flatten() {
        assert!(
            f["device_symptom"].as_str().is_some_and(|d| !d.contains("MDM server")),
            "{f}"
        );
    }
    assert!(
        doc["results"][0]["facts"].get("via").is_none(),
        "the default path's facts are unchanged"
    );
}
