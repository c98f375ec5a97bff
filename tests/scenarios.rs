//! Every scenario in `testdata/scenarios.json` runs through the CLI entry point and must raise
//! exactly the rules it lists, in order; the union of all scenarios must cover the registry,
//! and every rule must have a correct neighbour that stays silent.

mod support;

use std::collections::BTreeSet;

use serde::Deserialize;
use support::{otadoctor_with, testdata};

#[derive(Deserialize)]
struct Scenario {
    name: String,
    args: Vec<String>,
    raises: Vec<String>,
    #[serde(default)]
    neighbour_of: Vec<String>,
    #[serde(default)]
    stdin: Option<String>,
}

fn resolve(arg: &str) -> String {
    match arg.strip_prefix("@testdata/") {
        Some(path) => testdata(path),
        None => arg.to_string(),
    }
}

fn scenarios() -> Vec<Scenario> {
    let text = std::fs::read_to_string(testdata("scenarios.json")).expect("testdata/scenarios.json");
    serde_json::from_str(&text).expect("scenarios.json is a list of scenarios")
}

#[test]
fn every_scenario_raises_exactly_its_rules() {
    let mut failures = Vec::new();
    for s in scenarios() {
        let mut args: Vec<String> = s.args.iter().map(|a| resolve(a)).collect();
        args.extend(["--format".to_string(), "json".to_string()]);
        let stdin = s
            .stdin
            .as_deref()
            .map(|p| std::fs::read_to_string(resolve(p)).expect("stdin file"))
            .unwrap_or_default();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = otadoctor_with(&argv, &stdin, false, false);
        support::dump_json("scenarios", &s.name, &run);
        let codes = run.codes();
        let expected_exit = if s.raises.is_empty() { 0 } else { run.code };
        if codes != s.raises || run.code != expected_exit || run.code == 2 {
            failures.push(format!(
                "{}: expected {:?}, got {:?} (exit {})\n{}",
                s.name, s.raises, codes, run.code, run.stderr
            ));
        }
        for silent in &s.neighbour_of {
            if codes.contains(silent) {
                failures.push(format!("{}: neighbour of {silent} raised it", s.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What the meta-test reads of both scenario tables (offline here, the test lab's in
/// `testdata/lab-scenarios.json`, run by `tests/lab_scenarios.rs`).
#[derive(Deserialize)]
struct Coverage {
    raises: Vec<String>,
    #[serde(default)]
    neighbour_of: Vec<String>,
}

#[test]
fn every_rule_is_raised_by_a_scenario_and_silent_in_a_neighbour() {
    let mut all: Vec<Coverage> = Vec::new();
    for table in ["scenarios.json", "lab-scenarios.json", "ipa-scenarios.json"] {
        let text = std::fs::read_to_string(testdata(table)).expect("scenario table");
        all.extend(serde_json::from_str::<Vec<Coverage>>(&text).expect("a list of scenarios"));
    }
    let raised: BTreeSet<&str> = all.iter().flat_map(|s| s.raises.iter().map(String::as_str)).collect();
    let neighbours: BTreeSet<&str> = all
        .iter()
        .flat_map(|s| s.neighbour_of.iter().map(String::as_str))
        .collect();
    for rule in otadoctor::registry::ALL {
        assert!(
            raised.contains(rule.code),
            "no scenario raises {} {}",
            rule.code,
            rule.name
        );
        assert!(
            neighbours.contains(rule.code),
            "no correct neighbour for {} {}",
            rule.code,
            rule.name
        );
    }
    for code in raised.iter().chain(neighbours.iter()) {
        assert!(
            otadoctor::registry::lookup(code).is_some(),
            "scenarios name an unknown rule {code}"
        );
    }
}
