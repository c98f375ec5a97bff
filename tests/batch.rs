//! Batch runs: many inputs at once (arguments, `--input-file`, standard input), checked
//! concurrently (`--jobs`), results in input order in one document; a stuck host holds only its
//! own input, for about one timeout.

mod support;

use std::time::{Duration, Instant};

use support::lab::{Route, Site};

/// The arguments that reach both sites: their roots, the tests' profile CA, names pinned.
fn both(a: &Site, b: &Site) -> Vec<String> {
    vec![
        "--ca-file".to_string(),
        a.lab.pki.root_file(),
        "--ca-file".to_string(),
        b.lab.pki.root_file(),
        "--profile-ca".to_string(),
        support::profile::ca_file(),
        "--dns-server".to_string(),
        a.lab.dns.to_string(),
        "--resolve".to_string(),
        format!("{}:{}:127.0.0.1", a.host, a.lab.addr.port()),
        "--resolve".to_string(),
        format!("{}:{}:127.0.0.1", b.host, b.lab.addr.port()),
        "--format".to_string(),
        "json".to_string(),
    ]
}

/// Each result's input and codes, in order.
fn results(run: &support::Run) -> Vec<(String, Vec<String>)> {
    let doc = run.json();
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let codes = r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect();
            (r["input"].as_str().unwrap_or_default().to_string(), codes)
        })
        .collect()
}

#[test]
fn a_stuck_host_holds_only_its_own_input_for_about_one_timeout() {
    let healthy = Site::correct("ota.acme-apps.test");
    let stuck = Site::correct("stuck.acme-apps.test");
    // the stuck host accepts, finishes TLS, and never answers
    stuck.lab.route(
        Site::MANIFEST,
        Route::ok("text/xml", "<plist/>").delay(Duration::from_secs(60)),
    );
    let mut args = both(&healthy, &stuck);
    args.extend(["--timeout".to_string(), "1".to_string()]);
    let inputs = [healthy.link(), stuck.link(), healthy.url(Site::PAGE)];
    args.extend(inputs.iter().cloned());
    let start = Instant::now();
    let run = support::otadoctor_args(&args);
    let took = start.elapsed();
    let got = results(&run);
    assert_eq!(
        got.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(),
        inputs,
        "results in input order"
    );
    assert!(got[1].1.contains(&"NET004".to_string()), "{:?}", got[1]);
    for healthy_result in [&got[0], &got[2]] {
        assert!(
            !healthy_result.1.iter().any(|c| c.starts_with("NET")),
            "a healthy input is not held by the stuck one: {healthy_result:?}"
        );
    }
    // the stuck manifest gives up after its first-byte limit (2 × --timeout); the run is not
    // the sum of the inputs
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn inputs_come_from_arguments_files_and_standard_input_in_order() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let list = dir.join("batch-inputs.txt");
    let one = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fone.plist";
    let two = "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ftwo.plist";
    std::fs::write(&list, format!("# links from the ticket\n\n{two}\n{one}\n")).expect("write");
    let list = list.display().to_string();
    let run = support::otadoctor_with(
        &["--offline", "--format", "json", one, "--input-file", &list, "-"],
        "itms-services:?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fthree.plist\n",
        false,
        false,
    );
    let got = results(&run);
    let inputs: Vec<&str> = got.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(inputs[0], one);
    assert_eq!(inputs.len(), 4, "{inputs:?}");
    // the arguments, then standard input (an argument), then the file's lines
    assert!(got.iter().any(|(_, c)| c.contains(&"LNK006".to_string())));
    assert!(got.iter().any(|(_, c)| c.contains(&"LNK002".to_string())));
    let doc = run.json();
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(4), "one document for all");
}

#[test]
fn jobs_change_the_pace_not_the_results() {
    let site = Site::correct("ota.acme-apps.test");
    let mut base = site.args(&[]);
    base.extend([site.link(), site.url(Site::PAGE), site.url(Site::MANIFEST)]);
    let one_at_a_time = {
        let mut args = vec!["--jobs".to_string(), "1".to_string()];
        args.extend(base.iter().cloned());
        results(&support::otadoctor_args(&args))
    };
    let all_at_once = results(&support::otadoctor_args(&base));
    assert_eq!(one_at_a_time, all_at_once);
    assert_eq!(one_at_a_time.len(), 3);
    let bad = support::otadoctor(&["--jobs", "0", "x"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn a_progress_line_goes_to_a_terminal_and_nowhere_else() {
    let site = Site::correct("ota.acme-apps.test");
    // slow enough for a few ticks of the line
    site.lab.route(
        Site::FULL,
        Route::ok("image/png", "not a png").delay(Duration::from_millis(600)),
    );
    let mut human = site.args(&[]);
    human.retain(|a| a != "--format" && a != "json");
    human.push(site.link());
    let run = support::otadoctor_stderr_on_terminal(&human);
    assert!(run.stderr.contains("otadoctor · 0/1 checked · "), "{:?}", run.stderr);
    assert!(
        run.stderr.contains("https://ota.acme-apps.test:"),
        "the request under way"
    );
    assert!(
        run.stderr.ends_with("\r\x1b[2K"),
        "the line is cleared before the report"
    );
    assert!(!run.stdout.contains("checked ·"), "never in the report itself");
    // JSON on a terminal: no progress; human not on a terminal: none either
    let mut json = site.args(&[]);
    json.push(site.link());
    assert_eq!(support::otadoctor_stderr_on_terminal(&json).stderr, "");
    assert_eq!(support::otadoctor_args(&human).stderr, "");
}

#[test]
fn each_host_keeps_its_own_certificate_chain_when_probed_at_once() {
    // eight hosts, each with its own certificate, probed concurrently in one batch: each host's
    // recorded chain is its own (the probes once shared one log and could take another's)
    let sites: Vec<Site> = (0..8)
        .map(|i| Site::correct(&format!("host{i}.acme-apps.test")))
        .collect();
    let mut args = vec![
        "--profile-ca".to_string(),
        support::profile::ca_file(),
        "--dns-server".to_string(),
        sites[0].lab.dns.to_string(),
        "--format".to_string(),
        "json".to_string(),
        "--jobs".to_string(),
        "8".to_string(),
    ];
    for site in &sites {
        args.extend(["--ca-file".to_string(), site.lab.pki.root_file()]);
        args.extend([
            "--resolve".to_string(),
            format!("{}:{}:127.0.0.1", site.host, site.lab.addr.port()),
        ]);
    }
    args.extend(sites.iter().map(Site::link));
    let run = support::otadoctor_args(&args);
    let doc = run.json();
    let mut checked = 0;
    for (site, result) in sites.iter().zip(doc["results"].as_array().into_iter().flatten()) {
        for host in result["facts"]["hosts"].as_array().into_iter().flatten() {
            let leaf = host["probe"]["tls"]["chain_der_hex"][0].as_str().unwrap_or_default();
            let der = otadoctor::text::unhex(leaf).unwrap_or_default();
            let cert = otadoctor::x509::parse(&der).expect("the probe recorded a leaf");
            assert_eq!(host["host"], site.host.as_str());
            assert!(
                cert.san_dns.contains(&site.host),
                "{} recorded the chain of {:?}",
                site.host,
                cert.san_dns
            );
            checked += 1;
        }
    }
    assert_eq!(checked, sites.len(), "every host's probe was read");
}
