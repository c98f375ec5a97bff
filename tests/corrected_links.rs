//! Every corrected link the tool shows is a link that passes every offline check it can pass:
//! for each link scenario of `testdata/scenarios.json`, each `corrected_link` of its findings is
//! checked again, offline. It must raise no LNK rule and none of the URL rules a link can repair
//! (URL001 http, URL003 characters, URL006 non-ASCII host, URL009 a port of the other scheme);
//! what remains (a placeholder host, an IP address, an expired pre-signed URL: nothing a link
//! can repair) must already have been raised on the original.

mod support;

use std::collections::BTreeSet;

use support::otadoctor;

/// The rules a corrected link answers for.
fn repairable(code: &str) -> bool {
    code.starts_with("LNK") || ["URL001", "URL003", "URL006", "URL009"].contains(&code)
}

fn codes_and_corrections(args: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut argv = args.to_vec();
    argv.extend(["--format", "json"]);
    let run = otadoctor(&argv);
    let doc = run.json();
    let mut codes = BTreeSet::new();
    let mut corrected = BTreeSet::new();
    for result in doc["results"].as_array().into_iter().flatten() {
        for finding in result["findings"].as_array().into_iter().flatten() {
            if let Some(code) = finding["code"].as_str() {
                codes.insert(code.to_string());
            }
            if let Some(link) = finding["corrected_link"].as_str() {
                corrected.insert(link.to_string());
            }
        }
    }
    (codes, corrected)
}

#[test]
fn every_corrected_link_of_the_link_scenarios_re_checks_clean() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios.json");
    let text = std::fs::read_to_string(path).expect("scenarios.json");
    let scenarios: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a list");
    let mut checked = 0;
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let args: Vec<&str> = scenario["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .collect();
        // links given on the command line, offline (files and texts have their own tests)
        let Some(last) = args.last() else { continue };
        if !args.contains(&"--offline") || !last.contains("itms-services") || last.contains('\n') {
            continue;
        }
        let (before, corrected) = codes_and_corrections(&args);
        for link in corrected {
            checked += 1;
            let (after, again) = codes_and_corrections(&["--offline", &link]);
            let wrong: Vec<&String> = after.iter().filter(|c| repairable(c) || !before.contains(*c)).collect();
            if !wrong.is_empty() {
                failures.push(format!(
                    "{}: {link} raises {wrong:?} (the original raised {before:?})",
                    scenario["name"]
                ));
            }
            if !again.is_empty() {
                failures.push(format!("{}: {link} is corrected again: {again:?}", scenario["name"]));
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} corrected links found: the scenarios changed?"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
