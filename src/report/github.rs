//! `--format github`: GitHub Actions workflow commands, one line per finding, so each shows as an
//! annotation on the run (and on the file, when the input is in the repository):
//!
//! ```text
//! ::error file=dist/install.html,line=11,title=LNK006 html-entity-in-link::the attribute holds …
//! ```
//!
//! `::error`, `::warning` or `::notice` by severity; `file` is the input's file (relative to the
//! directory it was found in, for a directory scan), else `--sarif-anchor`, left out when there
//! is neither; `line` and `col` are the finding's line and column in that file.
//! The message carries the finding's message, what the device shows and the fix, on lines of
//! their own (escaped as `%0A`). Then one plain line, not a command: the human output's last line.
//!
//! Text from the input or the network is escaped for the terminal first (no control character
//! reaches the log) and then by GitHub's rules, so it can neither end the command early nor start
//! a new one.

use std::fmt::Write as _;

use crate::facts::Input;
use crate::finding::Finding;
use crate::report::sarif::{Places, message_with_subject};
use crate::report::{Outcome, Summary};
use crate::severity::Severity;
use crate::text::escape_for_terminal;

/// Renders one workflow command per finding, then the summary line.
pub fn render(outcomes: &[Outcome], exit_code: i32, places: Places<'_>) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        out.push_str(&render_outcome(outcome, places));
    }
    let summary = Summary::of(outcomes.iter().flat_map(|o| &o.findings));
    out.push_str(&over_the_limit(summary));
    let _ = writeln!(out, "{} · exit {exit_code}", Summary::words(summary));
    out
}

/// Annotations of one kind GitHub shows per step (10 errors, 10 warnings, 10 notices; 50 a
/// job): past that, the rest are only in the step's log.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// Said once, before the summary, when a kind of annotation passes what GitHub shows: how many
/// were printed and where every one of them is.
pub fn over_the_limit(summary: Summary) -> String {
    let counts = [
        (summary.error, "error"),
        (summary.warning, "warning"),
        (summary.info, "notice"),
    ];
    let over: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > ANNOTATIONS_PER_KIND)
        .map(|(n, kind)| format!("{n} {kind}"))
        .collect();
    if over.is_empty() {
        return String::new();
    }
    format!(
        "otadoctor printed {} annotations: GitHub shows {ANNOTATIONS_PER_KIND} of each kind per step (50 per job); every one is in this step's log above, and --format sarif=otadoctor.sarif, uploaded to code scanning, keeps them all\n",
        over.join(" and ")
    )
}

/// The workflow commands of one outcome, one line per finding.
pub fn render_outcome(outcome: &Outcome, places: Places<'_>) -> String {
    let mut out = String::new();
    for finding in &outcome.findings {
        let _ = writeln!(out, "{}", annotation(&outcome.input, finding, places));
    }
    out
}

/// The workflow command for one finding.
fn annotation(input: &Input, finding: &Finding, places: Places<'_>) -> String {
    let mut properties = Vec::new();
    if let Some(place) = places.place(input, finding) {
        // a file name is input too: escaped for the terminal, then as a property
        properties.push(format!("file={}", escape_property(&escape_for_terminal(&place.path))));
        if let Some(line) = place.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = place.column.filter(|_| place.line.is_some()) {
            properties.push(format!("col={column}"));
        }
    }
    let title = format!("{} {}", finding.rule.code, finding.rule.name);
    properties.push(format!("title={}", escape_property(&title)));
    format!(
        "::{} {}::{}",
        command(finding.severity),
        properties.join(","),
        escape_data(&message(finding))
    )
}

/// The workflow command for a severity.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// The annotation's text: the message (with its subject), the device symptom and the fix, each
/// line escaped for the terminal, joined by line breaks.
fn message(finding: &Finding) -> String {
    let text = format!(
        "{}\ndevice: {}\nfix: {}",
        message_with_subject(finding),
        finding.device_symptom,
        finding.fix
    );
    text.split('\n').map(escape_for_terminal).collect::<Vec<_>>().join("\n")
}

/// Escapes a command's message (after `::`): `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value (`file=`, `title=`): as the message, and `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(escape_data("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
    }

    #[test]
    fn properties_also_escape_colons_and_commas() {
        assert_eq!(escape_property("C:\\dir,x/100%\nfile"), "C%3A\\dir%2Cx/100%25%0Afile");
        assert_eq!(
            escape_property("LNK006 html-entity-in-link"),
            "LNK006 html-entity-in-link"
        );
    }

    #[test]
    fn escaping_is_not_decoded_twice() {
        // a literal "%0A" in the text must not become a line break
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_property("%2C"), "%252C");
    }

    #[test]
    fn summary_words_match_the_human_output() {
        let summary = Summary {
            error: 2,
            warning: 1,
            info: 1,
            suppressed: 0,
            unchecked: 1,
        };
        assert_eq!(Summary::words(summary), "2 errors · 1 warning · 1 info");
        assert_eq!(Summary::words(Summary::default()), "no problems found");
        let unchecked = Summary {
            unchecked: 2,
            ..Summary::default()
        };
        assert_eq!(
            Summary::words(unchecked),
            "no problem in what was checked · 2 inputs not checked in full"
        );
    }
}
