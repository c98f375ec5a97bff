//! The README stays true: its rule index is the registry, its first command runs the demo or
//! names a bundled file, and CI runs its test command.

use otadoctor::registry::{ALL, Family};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The rule index as the README must show it.
fn rule_index() -> String {
    let mut out = String::new();
    for family in Family::ALL {
        out.push_str(&format!("\n**{}** — {}\n\n", family.prefix(), family.title()));
        out.push_str("| code | name | severity | basis | detects |\n|---|---|---|---|---|\n");
        for r in ALL.iter().filter(|r| r.family == *family) {
            out.push_str(&format!(
                "| [{}](rules/{}) | `{}` | {} | {} | {} |\n",
                r.code,
                r.doc_file(),
                r.name,
                r.severity_label(),
                r.basis.as_str(),
                r.summary.replace('|', "\\|")
            ));
        }
    }
    out
}

#[test]
fn the_rule_index_is_the_registry() {
    let readme = readme();
    let start = readme.find("<!-- rule-index:start -->").expect("start marker") + "<!-- rule-index:start -->".len();
    let end = readme.find("<!-- rule-index:end -->").expect("end marker");
    let expected = rule_index();
    if std::env::var_os("OTADOCTOR_BLESS").is_some() && readme[start..end].trim() != expected.trim() {
        // OTADOCTOR_BLESS=1 cargo test --test readme: rewrite the index from the registry
        let blessed = format!("{}\n{}\n\n{}", &readme[..start], expected.trim(), &readme[end..]);
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), blessed).expect("write README.md");
        return;
    }
    assert_eq!(
        readme[start..end].trim(),
        expected.trim(),
        "the README's rule index is out of date; replace it with:\n{expected}"
    );
}

#[test]
fn the_first_command_runs_the_demo_or_a_bundled_file_and_ci_runs_the_test_command() {
    let readme = readme();
    let first_block = readme.split("```").nth(1).expect("a code block");
    let mut commands = first_block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("```") && !l.starts_with("sh"));
    let diagnose = commands.next().expect("first command");
    let test = commands.next().expect("second command");
    // `cargo run --release -- demo` needs no file (the practice site is made at run time);
    // any other first command diagnoses a file bundled with the repository
    if diagnose.trim() == "cargo run --release -- demo" {
        let help = support::otadoctor(&["demo", "--help"]);
        assert_eq!(help.code, 0, "`otadoctor demo` is not a command: {}", help.stderr);
    } else {
        let bundled = diagnose.split_whitespace().last().expect("an input");
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(bundled).is_file(),
            "{bundled} is not bundled"
        );
    }
    assert_eq!(test.trim(), "cargo test");
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim().starts_with("cargo test")),
        ".ci/run must run the README's test command"
    );
    assert!(ci.contains("cargo fmt --all -- --check") && ci.contains("-D warnings"));
}

mod support;

/// The README's human and JSON examples are the real output for the same link.
#[test]
fn the_output_examples_are_real() {
    let readme = readme();
    let human_start = readme.find("```\n$ otadoctor --offline '").expect("human example") + 4;
    let human_end = human_start + readme[human_start..].find("```").expect("end of human example");
    let block = &readme[human_start..human_end];
    let (command, shown) = block.split_once('\n').expect("command line");
    let link = command.split('\'').nth(1).expect("quoted link");
    let human = support::otadoctor(&["--offline", link]);
    assert_eq!(shown, human.stdout, "the README's human example is stale");
    let json_start = readme.find("```json\n").expect("JSON example") + "```json\n".len();
    let json_end = json_start + readme[json_start..].find("```").expect("end of JSON example");
    let json = support::otadoctor(&["--offline", "--format", "json", link]);
    assert_eq!(
        &readme[json_start..json_end],
        json.stdout,
        "the README's JSON example is stale"
    );
}
