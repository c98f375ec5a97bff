//! `--symptom`: what the device showed puts the findings that explain it first, or says plainly
//! that none does and what to check on the phone.

mod support;

use support::{otadoctor, testdata};

/// (codes in order, the `symptom` object) of a JSON run.
fn ranked(args: &[&str]) -> (Vec<String>, serde_json::Value) {
    let run = otadoctor(args);
    let doc = run.json();
    let result = &doc["results"][0];
    let codes = result["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect();
    (codes, result["symptom"].clone())
}

#[test]
fn the_findings_that_explain_the_symptom_come_first() {
    let page = testdata("pages/install-broken.html");
    // without a symptom: the page's order (LNK006 first)
    let (plain, none) = ranked(&["--offline", "--format", "json", &page]);
    assert_eq!(plain.first().map(String::as_str), Some("LNK006"));
    assert!(none.is_null());
    // "Cannot Connect": the unencoded query (LNK007) and the http manifest (URL001) lead
    let (codes, symptom) = ranked(&[
        "--offline",
        "--format",
        "json",
        "--symptom",
        "it says Cannot Connect to “ota.acme-apps.io”",
        &page,
    ]);
    assert_eq!(codes[..2], ["LNK007", "URL001"], "{codes:?}");
    assert_eq!(symptom["matched"], serde_json::json!(["cannot-connect"]));
    assert_eq!(symptom["explained_by"], serde_json::json!(["LNK007", "URL001"]));
    let mut sorted_plain = plain.clone();
    let mut sorted_ranked = codes.clone();
    sorted_plain.sort();
    sorted_ranked.sort();
    assert_eq!(
        sorted_plain, sorted_ranked,
        "ranking reorders, it never drops a finding"
    );
    // "nothing happens": every link finding explains it, in the page's order; the http
    // manifest (URL001: "Cannot Connect") goes last
    let (codes, symptom) = ranked(&["--offline", "--format", "json", "--symptom", "nothing happens", &page]);
    let mut expected: Vec<String> = plain.iter().filter(|c| *c != "URL001").cloned().collect();
    expected.push("URL001".to_string());
    assert_eq!(codes, expected);
    assert_eq!(symptom["explained_by"].as_array().map(Vec::len), Some(plain.len() - 1));
}

#[test]
fn a_symptom_no_finding_explains_is_said_plainly_with_what_to_check_on_the_phone() {
    let package = testdata("ipa/docs/Field-adhoc.ipa");
    let ca = testdata("profiles/docs/lab-ca.pem");
    let args = [
        "--offline",
        "--profile-ca",
        ca.as_str(),
        "--now",
        "2026-11-25T12:00:00Z",
        "--symptom",
        "Unable to Download App",
        package.as_str(),
    ];
    let human = otadoctor(&args);
    support::assert_in_order(
        &human.stdout,
        &[
            "symptom   Unable to Download App (could not be installed at this time): no finding explains it. Check on the phone:",
            "· open the link in Safari",
            "Developer Mode",
            "App Store copy",
        ],
    );
    let mut json_args = vec!["--format", "json"];
    json_args.extend(args);
    let (_, symptom) = ranked(&json_args);
    assert!(symptom["explained_by"].as_array().is_some_and(Vec::is_empty));
    assert!(symptom["check_on_device"].as_array().is_some_and(|c| c.len() >= 4));
}

#[test]
fn a_package_symptom_puts_the_package_finding_first_in_the_human_report() {
    // a real Apple-signed App Store profile: "could not be installed at this time"
    let package = testdata("ipa/docs/FastlaneApp-app-store.ipa");
    let run = otadoctor(&[
        "--offline",
        "--now",
        "2016-06-01T00:00:00Z",
        "--symptom",
        "“Field” could not be installed at this time",
        &package,
    ]);
    support::assert_in_order(
        &run.stdout,
        &[
            "symptom   Unable to Download App (could not be installed at this time): explained by",
            "error[SIG002 app-store-profile]",
            "contents",
        ],
    );
}

#[test]
fn unknown_words_keep_the_order_and_say_so() {
    let page = testdata("pages/install-broken.html");
    let (plain, _) = ranked(&["--offline", "--format", "json", &page]);
    let (codes, symptom) = ranked(&[
        "--offline",
        "--format",
        "json",
        "--symptom",
        "the screen went purple",
        &page,
    ]);
    assert_eq!(codes, plain);
    assert_eq!(symptom["matched"], serde_json::json!([]));
    let human = otadoctor(&["--offline", "--symptom", "the screen went purple", &page]);
    assert!(
        human.stdout.contains("is not a message otadoctor knows"),
        "{}",
        human.stdout
    );
}

#[test]
fn every_rule_lists_the_symptoms_it_explains() {
    let run = otadoctor(&["rules", "--format", "json"]);
    let doc = run.json();
    let rules = doc["rules"].as_array().cloned().unwrap_or_default();
    let of = |code: &str| {
        rules
            .iter()
            .find(|r| r["code"] == code)
            .map(|r| r["symptoms"].clone())
            .unwrap_or_default()
    };
    assert_eq!(of("TLS008"), serde_json::json!(["cannot-connect"]));
    assert_eq!(of("SIG014"), serde_json::json!(["untrusted-developer"]));
    assert_eq!(of("LNK006"), serde_json::json!(["nothing-happens"]));
}

/// Rules whose device effect is none of the symptoms `--symptom` knows, each with why.
const NO_SYMPTOM: &[(&str, &str)] = &[
    (
        "TLS017",
        "nothing shows yet: the CA broke its rules and may have to revoke the certificate",
    ),
    ("HTTP007", "the body counts, not its Content-Type"),
    (
        "HTTP010",
        "an interrupted download starts from zero: slower, not failed",
    ),
    ("HTTP014", "an iPad's page shows no install button: nothing is tapped"),
    ("MAN003", "a binary manifest is expected to install"),
    ("MAN015", "only the version shown while downloading is wrong"),
    ("MAN018", "the keys are ignored"),
    ("MAN019", "a blank icon while installing"),
    ("MAN020", "no icon while installing"),
    ("MAN021", "a value outside Apple's schema: its effect is not known"),
    ("MAN022", "names differ, the install works"),
    ("MAN023", "one prompt installs several apps"),
    (
        "DEV005",
        "a logged error otadoctor does not know: whatever the log shows",
    ),
];

#[test]
fn every_rule_that_can_fail_an_install_is_reachable_by_a_symptom() {
    let mut missing = Vec::new();
    for rule in otadoctor::registry::ALL {
        let symptoms = otadoctor::symptom::of_rule(rule);
        let exempt = NO_SYMPTOM.iter().any(|(code, _)| *code == rule.code);
        if symptoms.is_empty() && !exempt {
            missing.push(format!("{} ({})", rule.code, rule.device_symptom));
        }
        assert!(
            !exempt || symptoms.is_empty(),
            "{} has symptoms {symptoms:?}: take it off NO_SYMPTOM",
            rule.code
        );
    }
    assert!(missing.is_empty(), "no --symptom reaches: {}", missing.join("; "));
}

#[test]
fn an_incomplete_chain_answers_cannot_connect() {
    // TLS007 listed no symptom, so "Cannot Connect" never ranked a missing intermediate first
    let tls007 = otadoctor::registry::ALL
        .iter()
        .find(|r| r.code == "TLS007")
        .expect("TLS007");
    let explained = otadoctor::symptom::of_rule(tls007);
    assert!(explained.contains(&otadoctor::symptom::Symptom::CannotConnect));
    let matched = otadoctor::symptom::named_in("Cannot connect to ota.acme-apps.io");
    assert!(matched.contains(&otadoctor::symptom::Symptom::CannotConnect));
}
