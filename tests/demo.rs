//! `otadoctor demo`: the practice site comes up on 127.0.0.1, every scenario shows exactly the
//! error or warning it is built for (the correct site none), and `--serve`'s commands reach each
//! scenario as printed. Nothing leaves loopback: every name is pinned with `--resolve`.

mod support;

use std::collections::BTreeSet;

use otadoctor::demo::Site;
use support::{NOW, otadoctor, otadoctor_args};

/// Each scenario's heading and the codes of the errors and warnings it must show (no more).
const EXPECTED: [(&str, &[&str]); 10] = [
    ("Scenario 1 — the correct site", &[]),
    ("Scenario 2 — the manifest served over http://", &["URL001"]),
    ("Scenario 3 — a link with &amp; pasted outside HTML", &["LNK006"]),
    (
        "Scenario 4 — a server that does not send its intermediate certificate",
        &["TLS007"],
    ),
    (
        "Scenario 5 — an HTML login page where the manifest should be",
        &["HTTP005"],
    ),
    (
        "Scenario 6 — a manifest whose bundle-identifier differs from the app's",
        &["MAN014"],
    ),
    ("Scenario 7 — an App Store-signed package", &["SIG002"]),
    (
        "Scenario 8 — a package whose provisioning profile has expired",
        &["SIG003"],
    ),
    ("Scenario 9 — a package URL that answers 404", &["HTTP001"]),
    (
        "Scenario 10 — a manifest URL that redirects to a login page",
        &["HTTP004"],
    ),
];

/// `[LNK006 html-entity-in-link]`, as a finding line shows a rule.
fn tag(code: &str) -> String {
    let rule = otadoctor::registry::lookup(code).unwrap_or_else(|| panic!("no rule {code}"));
    format!("[{} {}]", rule.code, rule.name)
}

/// The codes of the error and warning finding lines in a human report.
fn errors_and_warnings(report: &str) -> BTreeSet<String> {
    report
        .lines()
        .filter_map(|l| l.strip_prefix("error[").or_else(|| l.strip_prefix("warning[")))
        .filter_map(|rest| rest.split([' ', ']']).next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_demo_shows_each_scenario_s_finding_and_exits_0() {
    let started = std::time::Instant::now();
    let run = otadoctor(&["demo"]);
    let out = &run.stdout;
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    let summary = out
        .find("\nSummary\n")
        .unwrap_or_else(|| panic!("no summary table:\n{out}"));
    for (i, (heading, codes)) in EXPECTED.iter().enumerate() {
        let start = out
            .find(&format!("\n{heading}\n"))
            .unwrap_or_else(|| panic!("no heading {heading:?} in:\n{out}"));
        let end = EXPECTED
            .get(i + 1)
            .and_then(|(next, _)| out.find(&format!("\n{next}\n")))
            .unwrap_or(summary);
        let section = &out[start..end];
        assert!(
            section.contains("itms-services://?action=download-manifest&"),
            "{heading}: no link in:\n{section}"
        );
        for code in *codes {
            assert!(
                section.contains(&tag(code)),
                "{heading}: no {} in:\n{section}",
                tag(code)
            );
        }
        let expected: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            errors_and_warnings(section),
            expected,
            "{heading}: other errors or warnings in:\n{section}"
        );
    }
    // the correct site: only the findings a throwaway root and an ad hoc build bring
    let correct = &out[..out.find("\nScenario 2 — ").unwrap_or(summary)];
    assert!(
        correct.contains(&tag("TLS005")) && correct.contains("2 info · exit 0"),
        "{correct}"
    );
    let table = &out[summary..];
    for (i, (heading, codes)) in EXPECTED.iter().enumerate() {
        let title = heading.split(" — ").nth(1).unwrap_or_default();
        let row = table
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", i + 1)) && l.contains(title))
            .unwrap_or_else(|| panic!("no row for {title:?} in:\n{table}"));
        let expected = codes.first().map_or("no error or warning".to_string(), |c| {
            tag(c).trim_matches(['[', ']']).to_string()
        });
        let after = row.split_once(expected.as_str()).map(|(_, a)| a.trim_start());
        assert!(after.is_some_and(|a| a.starts_with("yes")), "{row}");
    }
    assert!(
        table.contains("10 of 10 scenarios showed what they are for · exit 0"),
        "{table}"
    );
    // the root's temporary folder is gone with the demo
    let root = out
        .split_whitespace()
        .find(|p| p.ends_with("/demo-root.pem"))
        .unwrap_or_else(|| panic!("no root file named in:\n{out}"));
    assert!(!std::path::Path::new(root).exists(), "{root} left behind");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the demo took {:?}",
        started.elapsed()
    );
}

/// The words of a command line as a POSIX shell reads them (bare words and '…' quoting, which
/// is all `--serve` prints).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn serve_prints_for_each_scenario_a_command_that_reaches_it() {
    let site = Site::start(NOW).expect("the demo site");
    let text = site.instructions(None);
    assert!(text.contains("Ctrl-C"), "{text}");
    assert!(!text.contains("--now"), "{text}");
    assert_eq!(site.scenarios.len(), EXPECTED.len());
    for (scenario, (heading, codes)) in site.scenarios.iter().zip(EXPECTED) {
        assert_eq!(scenario.heading(), heading);
        let mut lines = text
            .lines()
            .skip_while(|l| !l.starts_with(&format!("{heading} (expect ")));
        assert!(lines.next().is_some(), "no {heading:?} in:\n{text}");
        let command = lines.next().unwrap_or_default();
        let words = shell_words(command);
        assert_eq!(words.first().map(String::as_str), Some("otadoctor"), "{command}");
        assert_eq!(words.last(), Some(&scenario.link), "{command}");
        for pair in words.windows(2) {
            if pair[0] == "--resolve" {
                assert!(pair[1].ends_with(":127.0.0.1"), "{command}");
            }
        }
        let run = otadoctor_args(&words[1..]);
        let expected: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            errors_and_warnings(&run.stdout),
            expected,
            "{command}\n{}{}",
            run.stdout,
            run.stderr
        );
        assert_eq!(run.code, if codes.is_empty() { 0 } else { 1 }, "{command}");
    }
    let dir = site.dir.path.clone();
    assert!(dir.join("demo-root.pem").is_file());
    drop(site);
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn serve_passes_on_the_demo_s_clock_when_it_was_given_one() {
    let site = Site::start(NOW).expect("the demo site");
    let text = site.instructions(Some(NOW));
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("  otadoctor ")).collect();
    assert_eq!(commands.len(), EXPECTED.len(), "{text}");
    for command in commands {
        assert!(command.contains(" --now 2026-11-25T12:00:00Z "), "{command}");
    }
}

#[test]
fn a_clock_the_demo_cannot_date_profiles_around_is_a_usage_error() {
    let run = otadoctor(&["demo", "--now", "2070-01-01T00:00:00Z"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("--now between 1975 and 2045"), "{}", run.stderr);
}
