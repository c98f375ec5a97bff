//! `--format gitlab` and `--format junit`: the two report files CI systems other than GitHub
//! read.
//!
//! * **GitLab Code Quality** (`artifacts: reports: codequality`): a JSON array, one issue per
//!   finding, with the fields GitLab reads (its documentation's "code quality report format",
//!   a subset of the Code Climate spec): `description`, `check_name` (the rule's code and name),
//!   `fingerprint` (stable across runs: the rule, the place and the subject, hashed), `severity`
//!   (an error stops the install: `critical`; a warning: `major`; info: `info`) and `location`
//!   (`path` and `lines.begin`: the input's file and the finding's line, as for SARIF; for an
//!   input that is no file, `--sarif-anchor` or else the input itself, line 1).
//! * **JUnit XML** (`artifacts: reports: junit`, and any CI's test report): one `testsuite` per
//!   input, one `testcase` per finding — a `failure` for an error or a warning, passed with its
//!   message for info — and one passing `testcase` for an input without findings.
//!
//! Text from the input or the network is escaped for the terminal first, like every format, then
//! by JSON's or XML's rules.

use std::fmt::Write as _;

use crate::finding::Finding;
use crate::report::Outcome;
use crate::report::sarif::{Places, message_with_subject};
use crate::severity::Severity;
use crate::text::escape_for_terminal;

/// The GitLab issue of one finding, as pretty JSON at `level`.
pub fn gitlab_issue(outcome: &Outcome, finding: &Finding, places: Places<'_>) -> Result<serde_json::Value, String> {
    let place = places.place(&outcome.input, finding);
    let (path, line) = match &place {
        Some(p) => (p.path.clone(), p.line.unwrap_or(1)),
        None => (outcome.input.name.clone(), 1),
    };
    let severity = match finding.severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    };
    let description = format!(
        "{}: {} (device: {}; fix: {})",
        finding.rule.code,
        message_with_subject(finding),
        finding.device_symptom,
        finding.fix.replace('\n', " ")
    );
    let fingerprint = crate::report::fingerprint(finding, &path, line);
    Ok(serde_json::json!({
        "description": escape_for_terminal(&description),
        "check_name": format!("{} {}", finding.rule.code, finding.rule.name),
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {
            "path": escape_for_terminal(&path),
            "lines": { "begin": line },
        },
    }))
}

/// XML text: escaped for the terminal line by line (the terminal escape would write a line
/// break as "\n"), characters XML 1.0 cannot hold dropped, `&`, `<`, `>` and `"` escaped.
fn xml(s: &str) -> String {
    let s = s.split('\n').map(escape_for_terminal).collect::<Vec<_>>().join("\n");
    let kept: String = s.chars().filter(|c| crate::text::is_xml_char(*c)).collect();
    crate::text::xml_escape(&kept)
}

/// The JUnit head.
pub const JUNIT_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"otadoctor\">\n";
/// The JUnit end.
pub const JUNIT_END: &str = "</testsuites>\n";

/// One input's `testsuite`.
pub fn junit_suite(outcome: &Outcome, places: Places<'_>) -> String {
    let name = xml(&outcome.input.name);
    let failures = outcome.findings.iter().filter(|f| f.severity != Severity::Info).count();
    let tests = outcome.findings.len().max(1);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    if outcome.findings.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase name=\"no problems found\" classname=\"otadoctor\"/>"
        );
    }
    for finding in &outcome.findings {
        let at = places
            .place(&outcome.input, finding)
            .map(|p| match p.line {
                Some(line) => format!("{}:{line}", p.path),
                None => p.path,
            })
            .unwrap_or_else(|| outcome.input.name.clone());
        let case = format!("{} {} ({at})", finding.rule.code, finding.rule.name);
        let body = format!(
            "{}\ndevice: {}\nfix: {}\nrule: otadoctor explain {}",
            message_with_subject(finding),
            finding.device_symptom,
            finding.fix,
            finding.rule.code
        );
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"otadoctor.{}\" file=\"{}\">",
            xml(&case),
            finding.rule.family.prefix(),
            xml(&at)
        );
        if finding.severity == Severity::Info {
            let _ = writeln!(out, "<system-out>{}</system-out></testcase>", xml(&body));
        } else {
            let _ = writeln!(
                out,
                "<failure type=\"{}\" message=\"{}\">{}</failure></testcase>",
                finding.severity.as_str(),
                xml(&message_with_subject(finding)),
                xml(&body)
            );
        }
    }
    out.push_str("  </testsuite>\n");
    out
}
