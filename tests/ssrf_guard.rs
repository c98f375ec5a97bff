//! The guard `otadoctor serve` switches on (`collect::net::guard`), through the library as the
//! server calls it: `run::check` with `options.collect.guard` set. Each case says what was not
//! fetched and why, keeps the verdict from "no problems", raises no false finding, and shows
//! that nothing reached an address the guard refuses: the lab on 127.0.0.1 saw no connection,
//! and a refused request was never sent (no start time) nor probed. No test connects to any
//! address but 127.0.0.1: 10.1.2.3, 169.254.169.254 and 168.63.129.16 are refused before any
//! connect.

mod support;

use std::net::Ipv4Addr;
use std::sync::Arc;

use otadoctor::collect::net::guard::{Guard, parse_allow};
use otadoctor::run::{Format, Options};
use serde_json::Value;
use support::NOW;
use support::lab::{Route, Site};

const HOST: &str = "ota.lab";
const TELLS: &str = "this server does not fetch private, loopback, link-local or cloud-metadata addresses (its --allow-private option lists ranges it may)";

struct Checked {
    out: String,
}

impl Checked {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| panic!("{e}: {}", self.out))
    }

    fn codes(&self) -> Vec<String> {
        let json = self.json();
        let mut codes: Vec<String> = json["results"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        codes.sort();
        codes
    }

    /// The manifest's exchanges of the first walk.
    fn manifest_exchanges(&self) -> Vec<Value> {
        self.json()["results"][0]["facts"]["walks"][0]["manifest"]["exchanges"]
            .as_array()
            .unwrap_or_else(|| panic!("no manifest exchanges: {}", self.out))
            .clone()
    }
}

/// Checks `argument` against the site's lab (its root trusted, its DNS server, `ota.lab` pinned
/// to 127.0.0.1) with the guard allowing `allow` (`None`: no guard, as the command line runs).
fn check(site: &Site, argument: &str, allow: Option<&str>, format: Format) -> Checked {
    let mut options = Options::new(vec![argument.to_string()], NOW);
    options.collect.ca_files = vec![site.lab.pki.root_file().into()];
    options.collect.profile_ca = vec![support::profile::ca_file().into()];
    options.collect.dns_server = Some(site.lab.dns);
    options.collect.pins = vec![format!("{HOST}:{}:127.0.0.1", site.lab.addr.port()).parse().unwrap()];
    options.collect.timeout = std::time::Duration::from_secs(3);
    options.collect.guard = allow.map(|list| Arc::new(Guard::new(parse_allow(list).unwrap())));
    // every name but the lab's (and loopback) goes to a refusing proxy on loopback: a request the
    // guard should have refused and let through would end there, never on the network. The names
    // the lab's DNS server answers go direct (their DNS answer is the fact under test: through a
    // proxy the name is the proxy's to resolve); for them the resolver's own filter, which never
    // hands a refused address to the client, is the second wall
    let sink = support::browser::Sink::start().unwrap();
    let proxy = otadoctor::collect::net::proxy::ProxyUrl::parse(&sink.url(), "--proxy").unwrap();
    let direct = format!("127.0.0.1,::1,localhost,{HOST},dns-only.lab,intranet.lab");
    options.collect.proxies =
        otadoctor::collect::net::proxy::Proxies::choose(Some(&proxy), Some(&direct), &|_| None).unwrap();
    let run = support::check_run(&options, format);
    assert!(run.code < 2, "{}", run.stderr);
    assert_eq!(
        sink.seen(),
        Vec::<String>::new(),
        "asked of the network: {}",
        run.stdout
    );
    Checked { out: run.stdout }
}

/// The exchange was refused (with this address and reason) before anything was sent.
fn assert_refused(exchange: &Value, address: &str, reason: &str) {
    let error = &exchange["error"];
    assert_eq!(error["kind"], "refused", "{exchange}");
    assert_eq!(error["address"], address, "{exchange}");
    assert_eq!(error["reason"], reason, "{exchange}");
    assert!(exchange["status"].is_null(), "{exchange}");
    assert!(exchange["timing"]["start_ms"].is_null(), "never sent: {exchange}");
}

/// No host of the run was probed (the probe connects by itself).
fn assert_not_probed(checked: &Checked) {
    for host in checked.json()["results"][0]["facts"]["hosts"].as_array().unwrap() {
        assert!(host["probe"].is_null(), "probed: {host}");
    }
}

#[test]
fn ip_literal_manifests_are_refused_before_any_connection() {
    let site = Site::correct(HOST);
    let port = site.lab.addr.port();
    for (url, address, reason) in [
        (
            format!("https://127.0.0.1:{port}{}", Site::MANIFEST),
            "127.0.0.1",
            "a loopback address",
        ),
        (
            "https://10.1.2.3/app/manifest.plist".to_string(),
            "10.1.2.3",
            "a private address",
        ),
        (
            "https://169.254.169.254/latest/meta-data/manifest.plist".to_string(),
            "169.254.169.254",
            "a cloud metadata address",
        ),
        (
            format!("https://[::1]:{port}{}", Site::MANIFEST),
            "::1",
            "a loopback address",
        ),
        (
            "https://168.63.129.16/machine/manifest.plist".to_string(),
            "168.63.129.16",
            "a cloud metadata address",
        ),
    ] {
        let link = support::link_for(&url);
        let checked = check(&site, &link, Some(""), Format::Json);
        let exchanges = checked.manifest_exchanges();
        assert_eq!(exchanges.len(), 1, "{url}");
        assert_refused(&exchanges[0], address, reason);
        assert_not_probed(&checked);
        // no finding blames the site for what was not fetched; URL004 is the link's own (an IP
        // literal host), judged without the network
        assert_eq!(checked.codes(), ["URL004"], "{url}: {}", checked.out);
        let human = support::flat(&check(&site, &link, Some(""), Format::Human).out);
        let said = format!(
            "! the install can fail on some devices or later: 1 warning · not checked: the manifest at {url}: not fetched: {address} is {reason}; {TELLS}"
        );
        assert!(human.contains(&said), "{url}:\n{human}");
        assert!(!human.contains("no problems found"), "{url}:\n{human}");
    }
    assert_eq!(site.lab.connections(), 0, "the lab on 127.0.0.1 was reached");
    assert!(site.lab.requests().is_empty());
}

#[test]
fn an_ipv4_mapped_literal_is_judged_by_its_ipv4_address() {
    let site = Site::correct(HOST);
    let url = format!("https://[::ffff:127.0.0.1]:{}{}", site.lab.addr.port(), Site::MANIFEST);
    let checked = check(&site, &support::link_for(&url), Some(""), Format::Json);
    let exchanges = checked.manifest_exchanges();
    assert_refused(&exchanges[0], "::ffff:127.0.0.1", "a loopback address");
    assert_not_probed(&checked);
    assert_eq!(checked.codes(), ["URL004"], "{}", checked.out);
    // on Linux, ::ffff:127.0.0.1 reaches the lab's 127.0.0.1 socket: it was not reached
    assert_eq!(site.lab.connections(), 0);
}

#[test]
fn a_name_that_resolves_to_a_private_address_is_refused_and_net002_still_said() {
    let site = Site::correct(HOST);
    site.lab.dns_answer("intranet.lab", Ipv4Addr::new(10, 1, 2, 3));
    let url = format!("https://intranet.lab:{}{}", site.lab.addr.port(), Site::MANIFEST);
    let link = support::link_for(&url);
    let checked = check(&site, &link, Some(""), Format::Json);
    let exchanges = checked.manifest_exchanges();
    assert_refused(&exchanges[0], "10.1.2.3", "a private address");
    assert_eq!(exchanges[0]["error"]["host"], "intranet.lab");
    assert_not_probed(&checked);
    // what the device meets too: the name resolves to a private address
    assert_eq!(checked.codes(), ["NET002"], "{}", checked.out);
    let json = checked.json();
    let dns = &json["results"][0]["facts"]["hosts"][0]["dns"];
    assert_eq!(dns["addresses"], serde_json::json!(["10.1.2.3"]), "{dns}");
    assert_eq!(dns["refused"], serde_json::json!(["10.1.2.3"]), "{dns}");
    let human = support::flat(&check(&site, &link, Some(""), Format::Human).out);
    assert!(
        human.contains(&format!(
            "not fetched: intranet.lab resolves to 10.1.2.3, a private address; {TELLS}"
        )),
        "{human}"
    );
    assert!(human.contains("not checked: the manifest at"), "{human}");
    assert_eq!(site.lab.connections(), 0);
}

#[test]
fn a_redirect_to_a_refused_address_is_stopped_at_that_hop() {
    let site = Site::correct(HOST);
    let port = site.lab.addr.port();
    for (to, address, reason) in [
        (
            format!("https://127.0.0.2:{port}{}", Site::MANIFEST),
            "127.0.0.2",
            "a loopback address",
        ),
        (
            "https://10.1.2.3/app/manifest.plist".to_string(),
            "10.1.2.3",
            "a private address",
        ),
    ] {
        let from = format!("/go-{address}/manifest.plist");
        site.lab.route(&from, Route::redirect(302, &to));
        let before = site.lab.requests().len();
        let checked = check(
            &site,
            &support::link_for(&site.url(&from)),
            Some("127.0.0.1/32"),
            Format::Json,
        );
        let exchanges = checked.manifest_exchanges();
        assert_eq!(exchanges.len(), 2, "{}", checked.out);
        // the first hop, on the allowed 127.0.0.1, was fetched
        assert_eq!(exchanges[0]["status"], 302);
        assert!(exchanges[0]["error"].is_null());
        assert_refused(&exchanges[1], address, reason);
        // the lab's own private root (TLS005), met on the first hop; nothing about the second
        assert_eq!(checked.codes(), ["TLS005"], "{}", checked.out);
        // the manifest is asked for as the installer and, to compare, as Safari: both stopped
        let browser = &checked.json()["results"][0]["facts"]["walks"][0]["manifest_as_browser"]["exchanges"];
        assert_refused(&browser[1], address, reason);
        let requests: Vec<String> = site.lab.requests()[before..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        let first_hop = format!("GET {from}");
        assert_eq!(
            requests,
            [first_hop.clone(), first_hop],
            "only the first hop reached the lab"
        );
    }
}

#[test]
fn allowed_ranges_are_fetched_and_judged_as_without_a_guard() {
    let site = Site::correct(HOST);
    let unguarded = check(&site, &site.link(), None, Format::Json);
    let requests = site.lab.requests().len();
    assert!(requests >= 3, "manifest, package, icons");
    let guarded = check(&site, &site.link(), Some("127.0.0.0/8, ::1/128"), Format::Json);
    assert_eq!(guarded.codes(), unguarded.codes(), "{}", guarded.out);
    assert!(!guarded.out.contains("\"refused\""), "{}", guarded.out);
    assert_eq!(guarded.manifest_exchanges()[0]["status"], 200);
    assert_eq!(
        site.lab.requests().len() - requests,
        requests,
        "the same requests again"
    );
    // not allowed: the same site under a name the lab's DNS answers (no --resolve pin, which
    // is the operator's word and not judged) is refused at its manifest, nothing else asked for
    site.lab.dns_answer("dns-only.lab", Ipv4Addr::LOCALHOST);
    let url = format!("https://dns-only.lab:{}{}", site.lab.addr.port(), Site::MANIFEST);
    let link = support::link_for(&url);
    let before = (site.lab.requests().len(), site.lab.connections());
    let refused = check(&site, &link, Some("10.0.0.0/8"), Format::Json);
    assert_refused(&refused.manifest_exchanges()[0], "127.0.0.1", "a loopback address");
    assert_eq!(refused.manifest_exchanges()[0]["error"]["host"], "dns-only.lab");
    assert_eq!(refused.codes(), ["NET002"], "{}", refused.out);
    let human = support::flat(&check(&site, &link, Some("10.0.0.0/8"), Format::Human).out);
    let said = format!(
        "not checked: the manifest at {url}: not fetched: dns-only.lab resolves to 127.0.0.1, a loopback address; {TELLS}"
    );
    assert!(human.contains(&said), "{human}");
    assert_eq!((site.lab.requests().len(), site.lab.connections()), before);
    // the pinned name is fetched under the same guard
    let pinned = check(&site, &site.link(), Some("10.0.0.0/8"), Format::Json);
    assert_eq!(pinned.manifest_exchanges()[0]["status"], 200);
    assert!(!pinned.out.contains("\"refused\""), "{}", pinned.out);
}

#[test]
fn a_metadata_address_inside_an_allowed_range_stays_refused() {
    let site = Site::correct(HOST);
    let url = "https://169.254.169.254/latest/meta-data/manifest.plist";
    let checked = check(&site, &support::link_for(url), Some("169.254.0.0/16"), Format::Json);
    assert_refused(
        &checked.manifest_exchanges()[0],
        "169.254.169.254",
        "a cloud metadata address",
    );
    assert_not_probed(&checked);
    // named exactly, it would be fetched (guard.rs's unit tests): not tried here, it is not loopback
}

#[test]
fn every_report_format_shows_the_refusal_where_the_request_is() {
    let site = Site::correct(HOST);
    let url = "https://10.1.2.3/app/manifest.plist";
    let link = support::link_for(url);
    let said = format!("not fetched: 10.1.2.3 is a private address; {TELLS}");
    for format in [Format::Human, Format::Markdown, Format::Html, Format::Json] {
        let out = check(&site, &link, Some(""), format).out;
        let flat = support::flat(&out);
        match format {
            Format::Json => assert!(out.contains("\"kind\": \"refused\""), "{out}"),
            _ => assert!(flat.contains(&said), "{format:?}:\n{out}"),
        }
        assert!(!flat.contains("no problems found"), "{format:?}:\n{out}");
    }
}

#[test]
fn a_package_and_icons_on_a_refused_address_are_not_checked_and_not_blamed() {
    let site = Site::correct(HOST);
    let text = support::lab::manifest(
        "https://10.1.2.3/app/Field.ipa",
        "https://10.1.2.3/app/icon-57.png",
        "https://10.1.2.3/app/icon-512.png",
        "com.acme.field",
        "Field Service",
    );
    site.serve_manifest(&text);
    let checked = check(&site, &site.link(), Some("127.0.0.1/32"), Format::Json);
    let json = checked.json();
    let walk = &json["results"][0]["facts"]["walks"][0];
    assert_eq!(checked.manifest_exchanges()[0]["status"], 200);
    for asset in walk["assets"].as_array().unwrap() {
        for fetch in ["head", "get"] {
            for exchange in asset[fetch]["exchanges"].as_array().into_iter().flatten() {
                assert_refused(exchange, "10.1.2.3", "a private address");
            }
        }
    }
    // no rule blames the site for what was not fetched: the link's own URL004 (IP literal hosts,
    // judged without the network) and the lab's private root
    assert_eq!(
        checked.codes(),
        ["TLS005", "URL004", "URL004", "URL004"],
        "{}",
        checked.out
    );
    let human = support::flat(&check(&site, &site.link(), Some("127.0.0.1/32"), Format::Human).out);
    assert!(
        human.contains(&format!(
            "not checked: the package at https://10.1.2.3/app/Field.ipa: not fetched: 10.1.2.3 is a private address; {TELLS} (and 3 more)"
        )),
        "{human}"
    );
    assert!(
        human.contains(&format!(
            "package HEAD https://10.1.2.3/app/Field.ipa · not fetched: 10.1.2.3 is a private address; {TELLS}"
        )),
        "{human}"
    );
    assert!(!human.contains("no answer"), "{human}");
    assert_eq!(
        site.lab.requests().iter().filter(|r| r.path.contains("Field")).count(),
        0
    );
}

#[test]
fn a_download_page_on_a_refused_address_is_not_checked() {
    let site = Site::correct(HOST);
    let url = "https://10.1.2.3/install.html";
    let checked = check(&site, url, Some(""), Format::Json);
    let json = checked.json();
    let page = &json["results"][0]["facts"]["page"]["fetch"]["exchanges"];
    assert_refused(&page[0], "10.1.2.3", "a private address");
    assert_not_probed(&checked);
    assert_eq!(checked.codes(), Vec::<String>::new(), "{}", checked.out);
    let human = support::flat(&check(&site, url, Some(""), Format::Human).out);
    let said = format!(
        "? no problem in what was checked · not checked: the page at {url}: not fetched: 10.1.2.3 is a private address; {TELLS} {url} (page: not fetched)"
    );
    assert!(human.contains(&said), "{human}");
    assert!(!human.contains("itms-services links"), "{human}");
    for format in [Format::Markdown, Format::Html] {
        let out = check(&site, url, Some(""), format).out;
        assert!(out.contains("page · not fetched"), "{format:?}:\n{out}");
        assert!(!out.contains("itms-services links"), "{format:?}:\n{out}");
    }
}
