//! `--format X=FILE` and `--output FILE`: one run writes several reports (SARIF for code
//! scanning, Markdown for the job summary), each the same as that format alone would print;
//! `--output` puts the standard-output report in a file; mistakes are said before any work.

mod support;

use support::otadoctor;

const LINK: &str =
    "itms-services:?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
const NOW: &str = "2026-11-25T12:00:00Z";

fn base() -> Vec<&'static str> {
    vec!["--offline", "--now", NOW, "--sarif-anchor", "install.html"]
}

fn alone(format: &str) -> String {
    let mut args = base();
    args.extend(["--format", format, LINK]);
    otadoctor(&args).stdout
}

#[test]
fn one_run_writes_each_format_to_its_file_as_that_format_alone_prints_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("otadoctor.sarif");
    let markdown = dir.path().join("summary.md");
    let sarif_arg = format!("sarif={}", sarif.display());
    let markdown_arg = format!("markdown={}", markdown.display());
    let mut args = base();
    args.extend(["--format", &sarif_arg, "--format", &markdown_arg, LINK]);
    let run = otadoctor(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // standard output keeps the human report
    assert!(
        run.stdout.contains("error[LNK002 missing-double-slash]"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(&sarif).expect("sarif written"), alone("sarif"));
    assert_eq!(
        std::fs::read_to_string(&markdown).expect("markdown written"),
        alone("markdown")
    );
    let parsed: serde_json::Value = serde_json::from_str(&alone("sarif")).expect("SARIF is JSON");
    assert_eq!(parsed["runs"][0]["results"][0]["ruleId"], "LNK002");
}

#[test]
fn output_puts_the_standard_output_report_in_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.json");
    let file_arg = file.display().to_string();
    let mut args = base();
    args.extend(["--format", "json", "-o", &file_arg, LINK]);
    let run = otadoctor(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "", "nothing on standard output");
    assert_eq!(std::fs::read_to_string(&file).expect("written"), alone("json"));
    // a human report written to a file has no colour codes, whatever --color says
    let human = dir.path().join("report.txt");
    let human_arg = human.display().to_string();
    let mut args = base();
    args.extend(["--color", "always", "--output", &human_arg, LINK]);
    otadoctor(&args);
    let text = std::fs::read_to_string(&human).expect("written");
    assert!(text.contains("error[LNK002") && !text.contains('\u{1b}'), "{text}");
}

#[test]
fn mistakes_are_said_before_any_work() {
    let mut args = base();
    args.extend(["--format", "json", "--format", "sarif", LINK]);
    let run = otadoctor(&args);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("2 formats for standard output"), "{}", run.stderr);
    let mut args = base();
    args.extend(["--format", "json=/nonexistent-otadoctor-dir/x.json", LINK]);
    let run = otadoctor(&args);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot write the report to /nonexistent-otadoctor-dir/x.json"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "no report when a file cannot be written");
    for bad in ["xml", "json="] {
        let mut args = base();
        args.extend(["--format", bad, LINK]);
        let run = otadoctor(&args);
        assert_eq!(run.code, 2, "{bad}");
    }
}

#[test]
fn quiet_prints_the_findings_most_severe_first_and_the_summary() {
    let page = support::testdata("pages/install-broken.html");
    let full = otadoctor(&["--offline", "--now", NOW, &page]);
    let quiet = otadoctor(&["-q", "--offline", "--now", NOW, &page]);
    assert_eq!(quiet.code, full.code);
    // every finding line of the full report, and nothing of the walk or the facts
    let heads = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("error[") || l.starts_with("warning[") || l.starts_with("info["))
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(heads(&quiet.stdout), heads(&full.stdout));
    assert!(!quiet.stdout.contains("  link "), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("  action "), "{}", quiet.stdout);
    let severities: Vec<u8> = quiet
        .stdout
        .lines()
        .filter_map(|l| {
            [("error[", 0), ("warning[", 1), ("info[", 2)]
                .iter()
                .find(|(p, _)| l.starts_with(p))
                .map(|(_, rank)| *rank)
        })
        .collect();
    assert!(severities.windows(2).all(|w| w[0] <= w[1]), "{severities:?}");
    assert_eq!(
        quiet.stdout.lines().last(),
        full.stdout.lines().last(),
        "the same summary line"
    );
    // a clean link checked offline: what was not checked still qualifies the verdict
    let link = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";
    let clean = otadoctor(&["-q", "--offline", link]);
    assert_eq!(
        clean.stdout,
        format!(
            "{link}\nskipped  following the link: fetching the manifest, TLS, the package (--offline)\n\nno problem in what was checked · 1 input not checked in full · exit 0\n"
        )
    );
}

/// A text of `n` links that each hold `&amp;` (one LNK006 error each).
fn broken_links(n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!("Link {i}: itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Fapp{i}%2Fmanifest.plist\n")
        })
        .collect()
}

#[test]
fn github_says_once_when_it_prints_more_annotations_than_github_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_on = |n: usize| {
        let path = dir.path().join(format!("links-{n}.txt"));
        std::fs::write(&path, broken_links(n)).expect("write");
        otadoctor(&["--offline", "--format", "github", &path.display().to_string()]).stdout
    };
    let twelve = run_on(12);
    assert_eq!(twelve.matches("::error ").count(), 12, "{twelve}");
    let said: Vec<&str> = twelve.lines().filter(|l| l.contains("GitHub shows 10")).collect();
    assert_eq!(
        said,
        [
            "otadoctor printed 12 error annotations: GitHub shows 10 of each kind per step (50 per job); every one is in this step's log above, and --format sarif=otadoctor.sarif, uploaded to code scanning, keeps them all"
        ]
    );
    let lines: Vec<&str> = twelve.lines().collect();
    assert_eq!(lines[lines.len() - 2], said[0], "said just before the summary");
    // ten fit: nothing said
    let ten = run_on(10);
    assert_eq!(ten.matches("::error ").count(), 10);
    assert!(!ten.contains("GitHub shows"), "{ten}");
}
