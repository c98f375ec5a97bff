//! Links in source code and templates, through the real pipeline: every file under
//! `testdata/sources/<family>/` is checked with `otadoctor --offline --format json FILE` and
//! must give exactly the links (by line) and the findings (in order) that
//! `testdata/sources/cases.json` lists for it, and none of its `must_not` codes.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use support::{otadoctor_with, testdata};

#[derive(Deserialize)]
struct Table {
    families: BTreeMap<String, String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: String,
    links: Vec<u64>,
    raises: Vec<String>,
    why: String,
    #[serde(default)]
    must_not: Vec<String>,
}

fn table() -> Table {
    let text = std::fs::read_to_string(testdata("sources/cases.json")).expect("testdata/sources/cases.json");
    serde_json::from_str(&text).expect("cases.json: {families, cases}")
}

#[test]
fn every_source_file_gives_exactly_its_links_and_findings() {
    let mut failures = Vec::new();
    for case in table().cases {
        let path = testdata(&format!("sources/{}", case.file));
        let run = otadoctor_with(&["--offline", "--format", "json", &path], "", false, false);
        if run.code == 2 {
            failures.push(format!("{}: exit 2\n{}", case.file, run.stderr));
            continue;
        }
        let doc = run.json();
        let lines: Vec<u64> = doc["results"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["facts"]["links"].as_array().cloned().unwrap_or_default())
            .map(|l| l["location"]["line"].as_u64().unwrap_or(0))
            .collect();
        let codes = run.codes();
        if lines != case.links {
            failures.push(format!(
                "{} ({}): links on lines {lines:?}, expected {:?}",
                case.file, case.why, case.links
            ));
        }
        if codes != case.raises {
            failures.push(format!(
                "{} ({}): raised {codes:?}, expected {:?}",
                case.file, case.why, case.raises
            ));
        }
        for code in &case.must_not {
            if codes.contains(code) {
                failures.push(format!("{} ({}): must not raise {code}", case.file, case.why));
            }
        }
        let expected_exit = if codes.is_empty() || codes.iter().all(|c| c == "LNK013") {
            0
        } else {
            1
        };
        if run.code != expected_exit {
            failures.push(format!("{}: exit {}, expected {expected_exit}", case.file, run.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_family_has_five_inputs_a_correct_one_and_a_broken_one() {
    let table = table();
    let mut per_family: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for case in &table.cases {
        let family = case.file.split('/').next().unwrap_or("");
        assert!(
            table.families.contains_key(family),
            "{}: family {family} is not in the table's families",
            case.file
        );
        let entry = per_family.entry(family).or_default();
        entry.0 += 1;
        if case.raises.is_empty() {
            entry.1 += 1;
        } else {
            entry.2 += 1;
        }
    }
    for (family, name) in &table.families {
        let (all, correct, broken) = per_family.get(family.as_str()).copied().unwrap_or_default();
        assert!(all >= 5, "{name}: {all} inputs, at least 5 wanted");
        assert!(correct >= 1, "{name}: no correct input (one with no findings)");
        assert!(broken >= 1, "{name}: no broken input");
    }
    // every file on disk is in the table, and every file in the table is on disk
    let listed: BTreeSet<String> = table.cases.iter().map(|c| c.file.clone()).collect();
    let mut on_disk = BTreeSet::new();
    for family in table.families.keys() {
        let dir = std::path::PathBuf::from(testdata(&format!("sources/{family}")));
        for entry in std::fs::read_dir(&dir).expect("family directory") {
            let entry = entry.expect("directory entry");
            on_disk.insert(format!("{family}/{}", entry.file_name().to_string_lossy()));
        }
    }
    assert_eq!(listed, on_disk, "cases.json and testdata/sources/ list different files");
}

#[test]
fn the_issue_traps_are_in_the_table() {
    let table = table();
    let find = |file: &str| {
        table
            .cases
            .iter()
            .find(|c| c.file == file)
            .unwrap_or_else(|| panic!("{file} is not in the table"))
    };
    // JSX: a string attribute is decoded, an expression is not
    let jsx = find("js/InstallButton.jsx");
    assert_eq!(
        (jsx.links.len(), jsx.raises.as_slice()),
        (2, ["LNK006".to_string()].as_slice())
    );
    // Angular [href] binding of '…&amp;url=' + plist: LNK006, not LNK001
    let angular = find("js/install.component.ts");
    assert_eq!(angular.raises, ["LNK006"]);
    assert!(angular.must_not.contains(&"LNK001".to_string()));
    // templates are values: no placeholder, no relative URL
    for file in ["python/install.html.j2", "ruby/install.html.erb", "php/install.php"] {
        let case = find(file);
        assert!(case.raises.is_empty(), "{file}");
        assert!(case.must_not.contains(&"URL010".to_string()) && case.must_not.contains(&"URL002".to_string()));
    }
    // PHP `?>` and a newline: not padded
    assert!(find("php/install.php").must_not.contains(&"LNK011".to_string()));
    // a nested query encoded once, JSON-style escapes
    assert!(find("js/nested-query.js").raises.is_empty());
    assert!(find("js/escapes.js").raises.is_empty());
}

#[test]
fn cut_and_mutated_sources_never_panic() {
    use otadoctor::collect::find::{Syntax, code::Language, links_in, markup::Engine};
    let syntaxes: Vec<Syntax> = [
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Php,
        Language::Python,
        Language::Ruby,
        Language::Java,
        Language::Kotlin,
        Language::Swift,
        Language::ObjC,
        Language::CSharp,
        Language::Go,
        Language::Dart,
    ]
    .into_iter()
    .map(Syntax::Source)
    .chain(
        [
            Engine::Php,
            Engine::Blade,
            Engine::Erb,
            Engine::Ejs,
            Engine::Jsp,
            Engine::Jinja,
            Engine::Liquid,
            Engine::Mustache,
            Engine::GoTemplate,
            Engine::Vue,
            Engine::Svelte,
            Engine::Html,
        ]
        .into_iter()
        .map(Syntax::Template),
    )
    .collect();
    for case in table().cases {
        let text = std::fs::read_to_string(testdata(&format!("sources/{}", case.file))).expect("source file");
        let syntax = Syntax::of(&case.file, &text);
        // every cut, and a multi-byte character put in at each place, in the file's own syntax
        let boundaries: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        for &i in &boundaries {
            let _ = links_in(syntax, &text[..i]);
            let mutated = format!("{}€\u{1F600}\"'`{}", &text[..i], &text[i..]);
            let _ = links_in(syntax, &mutated);
        }
        // and every syntax on the whole file
        for s in &syntaxes {
            let _ = links_in(*s, &text);
        }
    }
}

#[test]
fn a_literal_link_points_at_its_text_in_the_file() {
    // `literal` is what --fix rewrites: the bytes it names must be the link as written
    let mut checked = 0;
    for case in table().cases {
        let path = testdata(&format!("sources/{}", case.file));
        let file = std::fs::read_to_string(&path).expect("source file");
        let run = otadoctor_with(&["--offline", "--format", "json", &path], "", false, false);
        for link in run.json()["results"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["facts"]["links"].as_array().cloned().unwrap_or_default())
        {
            let literal = &link["literal"];
            if literal.is_null() {
                assert!(
                    !link["values"].as_array().is_none_or(Vec::is_empty)
                        || link["dynamic"] == true
                        || case.file.ends_with("escapes.js")
                        || case.file.ends_with("escape.go")
                        || case.file.ends_with("Split.m"),
                    "{}: a static link with no literal span",
                    case.file
                );
                continue;
            }
            let (start, end) = (
                literal["start"].as_u64().unwrap_or(0) as usize,
                literal["end"].as_u64().unwrap_or(0) as usize,
            );
            let as_written = link["source_text"].as_str().or(link["written"].as_str()).unwrap_or("");
            assert_eq!(file.get(start..end), Some(as_written), "{}", case.file);
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} literal links");
}
