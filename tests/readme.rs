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

/// The body of the block that follows `marker` (up to the next fence).
fn block_after<'a>(readme: &'a str, marker: &str) -> &'a str {
    let start = readme
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} is not in the README"))
        + marker.len();
    let end = start + readme[start..].find("```").expect("the end of the block");
    &readme[start..end]
}

/// The words of a shell command line, with '…' quoting.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in line.split('\'').enumerate() {
        if i % 2 == 1 {
            out.push(part.to_string());
        } else {
            out.extend(part.split_whitespace().map(str::to_string));
        }
    }
    out
}

/// The README's repository scan is the real output for `testdata/repo`, and so is the SARIF
/// location it shows.
#[test]
fn the_scan_example_is_real() {
    let readme = readme();
    let shown = block_after(&readme, "```console\n$ otadoctor check testdata/repo\n");
    let run = support::otadoctor(&["check", "testdata/repo"]);
    assert_eq!(run.code, 1);
    assert_eq!(shown, run.stdout, "the README's scan example is stale");
    let shown: serde_json::Value = serde_json::from_str(block_after(
        &readme,
        "the first result points at its line (`runs[0].results[0].locations`):\n\n```jsonc\n",
    ))
    .expect("the SARIF locations are JSON");
    let sarif = support::otadoctor(&["check", "--format", "sarif", "testdata/repo"]).json();
    assert_eq!(
        shown, sarif["runs"][0]["results"][0]["locations"],
        "the README's SARIF locations are stale"
    );
}

/// The README's manifest is what `otadoctor manifest` writes for the bundled package, and its
/// page what `--page` writes.
#[test]
fn the_manifest_examples_are_real() {
    let readme = readme();
    let marker = "```console\n$ otadoctor manifest ";
    let at = readme.find(marker).expect("the manifest example") + "```console\n$ ".len();
    let line = readme[at..].lines().next().expect("the command");
    let args = words(line);
    let argv: Vec<&str> = args.iter().map(String::as_str).skip(1).collect();
    let run = support::otadoctor(&argv);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        block_after(&readme, &format!("{line}\n")),
        run.stdout,
        "the README's manifest is stale"
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-manifest");
    std::fs::create_dir_all(&dir).expect("a directory");
    let (manifest, page) = (dir.join("manifest.plist"), dir.join("install.html"));
    let run = support::otadoctor(&[
        "manifest",
        "testdata/ipa/docs/Field-adhoc.ipa",
        "--url",
        "https://ota.acme-apps.io/field/4.2/Field.ipa",
        "--title",
        "Field Service",
        "-o",
        &manifest.display().to_string(),
        "--page",
        &page.display().to_string(),
        "--manifest-url",
        "https://ota.acme-apps.io/field/4.2/manifest.plist",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        block_after(&readme, "```html\n"),
        std::fs::read_to_string(&page).expect("the page"),
        "the README's page is stale"
    );
}

/// The README's source-file example is the real output.
#[test]
fn the_source_example_is_real() {
    let readme = readme();
    let shown = block_after(
        &readme,
        "```console\n$ otadoctor --offline testdata/sources/js/install.component.ts\n",
    );
    let run = support::otadoctor(&["--offline", "testdata/sources/js/install.component.ts"]);
    assert_eq!(run.code, 1);
    assert_eq!(shown, run.stdout, "the README's source example is stale");
}

#[test]
fn the_device_evidence_examples_are_real() {
    let readme = readme();
    for (marker, args) in [
        (
            "```console\n$ otadoctor --offline testdata/device/ios-deploy-app-id.txt\n",
            vec!["--offline", "testdata/device/ios-deploy-app-id.txt"],
        ),
        (
            "```console\n$ otadoctor --offline -402620395\n",
            vec!["--offline", "-402620395"],
        ),
    ] {
        let shown = block_after(&readme, marker);
        let run = support::otadoctor(&args);
        assert_eq!(shown, run.stdout, "the README's example {args:?} is stale");
    }
}

/// The HTML example's command writes the report whose lines the README shows.
#[test]
fn the_html_example_is_real() {
    let readme = readme();
    let marker = "```console\n$ otadoctor --offline --format html -o report.html ";
    let shown = block_after(
        &readme,
        "opens with the verdict, the input, and the first finding:\n\n```html\n",
    );
    let at = readme.find(marker).expect("the HTML example") + "```console\n$ ".len();
    let line = readme[at..].lines().next().expect("the command line");
    let mut argv = words(line);
    assert_eq!(argv.remove(0), "otadoctor");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.html").display().to_string();
    for arg in argv.iter_mut() {
        if arg == "report.html" {
            *arg = file.clone();
        }
    }
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let run = support::otadoctor(&argv);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let written = std::fs::read_to_string(&file).expect("report.html written");
    let lines: Vec<&str> = written.lines().collect();
    let shown: Vec<&str> = shown.lines().collect();
    assert!(
        lines.windows(shown.len()).any(|w| w == shown.as_slice()),
        "the README's HTML example is stale: {shown:#?}\n{written}"
    );
}
