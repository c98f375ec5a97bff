//! Links in tickets, e-mails, Markdown and configuration files, through the real pipeline: the
//! table in testdata/text/cases.json says, for each file, where each link stands (line,
//! column, place) and exactly which findings it gets — any other finding is one it must not
//! get. Every file is run as a file argument, and the ones marked `stdin` through standard
//! input too.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use support::{otadoctor, otadoctor_with, testdata};

/// One link as the table expects it, or as a run reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    at: String,
    place: String,
    codes: Vec<String>,
}

struct Case {
    file: String,
    kind: String,
    stdin: bool,
    links: Vec<Link>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(testdata("text/cases.json")).expect("testdata/text/cases.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            file: c["file"].as_str().expect("file").to_string(),
            kind: c["kind"].as_str().expect("kind").to_string(),
            stdin: c["stdin"].as_bool().expect("stdin"),
            links: c["links"]
                .as_array()
                .expect("links")
                .iter()
                .map(|l| Link {
                    at: l["at"].as_str().expect("at").to_string(),
                    place: l["place"].as_str().expect("place").to_string(),
                    codes: l["codes"]
                        .as_array()
                        .expect("codes")
                        .iter()
                        .map(|c| c.as_str().expect("code").to_string())
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// The links a `--format json` run reports, in order, each with the codes of its findings;
/// and whether the exit code is the one its findings' severities call for.
fn reported(run: &support::Run) -> (Vec<Link>, bool) {
    let doc = run.json();
    let mut links = Vec::new();
    let mut errors = 0;
    for result in doc["results"].as_array().expect("results") {
        let findings = result["findings"].as_array().expect("findings");
        errors += findings.iter().filter(|f| f["severity"] == "error").count();
        for (i, link) in result["facts"]["links"].as_array().into_iter().flatten().enumerate() {
            let context = &link["context"];
            let place = match context["place"].as_str() {
                Some(p) => p.to_string(),
                None => format!(
                    "<{} {}>",
                    context["tag"].as_str().unwrap_or("?"),
                    context["attribute"].as_str().unwrap_or("?")
                ),
            };
            links.push(Link {
                at: format!("{}:{}", link["location"]["line"], link["location"]["column"]),
                place,
                codes: findings
                    .iter()
                    .filter(|f| f["link_index"] == i)
                    .map(|f| f["code"].as_str().unwrap_or_default().to_string())
                    .collect(),
            });
        }
    }
    (links, run.code == if errors > 0 { 1 } else { 0 })
}

#[test]
fn every_text_input_gives_its_links_and_exactly_their_findings() {
    let mut wrong = Vec::new();
    for case in cases() {
        let run = otadoctor(&[
            "--offline",
            "--format",
            "json",
            &testdata(&format!("text/{}", case.file)),
        ]);
        let (links, exit_ok) = reported(&run);
        if links != case.links || !exit_ok {
            wrong.push(format!(
                "{}: expected {:?}\n  got {:?} (exit {}){}",
                case.file, case.links, links, run.code, run.stderr
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn text_on_standard_input_gives_the_same_links() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in cases().into_iter().filter(|c| c.stdin) {
        let text = std::fs::read_to_string(testdata(&format!("text/{}", case.file))).expect("fixture");
        let run = otadoctor_with(&["--offline", "--format", "json", "-"], &text, false, false);
        let (links, exit_ok) = reported(&run);
        if links != case.links || !exit_ok {
            wrong.push(format!(
                "{} on stdin: expected {:?}\n  got {:?} (exit {}){}",
                case.file, case.links, links, run.code, run.stderr
            ));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} stdin cases");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The table covers every kind of text with at least five inputs, a correct one (no finding at
/// all) and a broken one, and every file under testdata/text is in it.
#[test]
fn every_text_kind_has_five_inputs_a_correct_and_a_broken_one() {
    let cases = cases();
    let mut kinds: BTreeMap<&str, (usize, bool, bool)> = BTreeMap::new();
    for case in &cases {
        let entry = kinds.entry(case.kind.as_str()).or_default();
        entry.0 += 1;
        let clean = case.links.iter().all(|l| l.codes.is_empty());
        entry.1 |= clean && !case.links.is_empty();
        entry.2 |= !clean;
    }
    let expected: BTreeSet<&str> = [
        "prose",
        "email",
        "markdown",
        "config-json",
        "config-yaml",
        "config-xml",
        "config-keyvalue",
    ]
    .into();
    assert_eq!(kinds.keys().copied().collect::<BTreeSet<_>>(), expected);
    for (kind, (count, correct, broken)) in &kinds {
        assert!(*count >= 5, "{kind}: only {count} inputs");
        assert!(*correct, "{kind}: no correct input (one whose links get no finding)");
        assert!(*broken, "{kind}: no broken input");
    }
    // every fixture is in the table, and every case names a fixture
    let root = std::path::PathBuf::from(testdata("text"));
    let mut files = BTreeSet::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("testdata/text") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n != "cases.json") {
                let relative = path.strip_prefix(&root).expect("under text/");
                files.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let listed: BTreeSet<String> = cases.iter().map(|c| c.file.clone()).collect();
    assert_eq!(files, listed, "testdata/text and cases.json disagree");
}

/// The ticket from issue 12: the link's own finding and nothing about the sentence around it.
#[test]
fn the_ticket_from_the_issue_gives_only_its_links_finding() {
    let ticket = "Hi team,\nthe customer taps the link itms-services://?action=download-manifest&url=https://dl.example.com/app/manifest.plist and nothing happens.\n";
    let run = otadoctor_with(&["--offline", "--format", "json", "-"], ticket, false, false);
    assert_eq!(run.codes(), ["URL010"], "{}", run.stdout);
    let human = otadoctor_with(&["--offline", "-"], ticket, false, false);
    assert!(!human.stdout.contains("LNK001"), "{}", human.stdout);
    assert!(human.stdout.contains("at      <stdin>:2:28"), "{}", human.stdout);
    // the old behaviour: the whole sentence read as one link
    assert!(!human.stdout.contains("nothing happens."), "{}", human.stdout);
}

/// A text with no link in it is a usage error, as before, not a clean run.
#[test]
fn a_text_without_a_link_is_a_usage_error() {
    let run = otadoctor_with(
        &["--offline", "-"],
        "Hi team,\nthe install page is down again, can you check?\n",
        false,
        false,
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("no itms-services link"), "{}", run.stderr);
}

/// A plist without `items` and without a link is still read as a manifest (its missing keys
/// are the finding); with a link it is a configuration file.
#[test]
fn a_plist_is_a_manifest_unless_it_is_a_configuration_with_a_link() {
    let bare =
        "<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict><key>title</key><string>x</string></dict></plist>\n";
    let run = otadoctor_with(&["--offline", "--format", "json", "-"], bare, false, false);
    assert_eq!(run.json()["results"][0]["kind"], "manifest", "{}", run.stdout);
    assert!(run.codes().contains(&"MAN004".to_string()), "{:?}", run.codes());
    let web_clip = otadoctor(&[
        "--offline",
        "--format",
        "json",
        &testdata("text/config/xml/webclip.mobileconfig"),
    ]);
    assert_eq!(web_clip.json()["results"][0]["kind"], "link");
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The README's ticket example is the real output for the ticket it shows.
#[test]
fn the_readme_ticket_example_is_real() {
    let readme = readme();
    let start = readme
        .find("```\n$ otadoctor --offline - <<'EOF'\n")
        .expect("the ticket example")
        + 4;
    let block = &readme[start..start + readme[start..].find("```").expect("end of the example")];
    let (_, rest) = block.split_once('\n').expect("command line");
    let (ticket, shown) = rest.split_once("EOF\n").expect("the ticket ends with EOF");
    let run = otadoctor_with(&["--offline", "-"], ticket, false, false);
    assert_eq!(shown, run.stdout, "the README's ticket example is stale");
    assert_eq!(run.code, 1);
}

/// The README's `--diff` example is the real diff of the bundled file it names.
#[test]
fn the_readme_diff_example_is_real() {
    let readme = readme();
    let marker = "```diff\n$ otadoctor --offline --diff ";
    let start = readme.find(marker).expect("the diff example") + marker.len();
    let block = &readme[start..start + readme[start..].find("```").expect("end of the example")];
    let (file, shown) = block.split_once('\n').expect("command line");
    let run = otadoctor(&["--offline", "--diff", file]);
    assert_eq!(shown, run.stdout, "the README's diff example is stale");
    assert_eq!(run.code, 0);
}
