//! `--format markdown`: a report to paste into a ticket or a pull-request comment.
//!
//! Per input: a heading, a summary line, the chain as it was walked (one table row per request:
//! step, request, status, type, size, time, TLS), what was not followed, then each finding, worst
//! first, with what the device shows, the fix (the corrected link in a code block) and its rule
//! doc. Then one line with the totals and the exit code.
//!
//! Text from the input or the network is data: it is escaped for the terminal first (no control
//! character or bidirectional override gets through), then for Markdown — the characters that
//! start emphasis, code, links, tables, HTML or entities are backslash-escaped, URLs and links go
//! in code spans — so no raw HTML and no formatting comes from it.

use std::fmt::Write as _;

use crate::facts::{Exchange, Facts, InputKind};
use crate::finding::{Finding, Provisioned};
use crate::report::{ChainStep, Outcome, Summary};
use crate::text::escape_for_terminal as esc;

/// Renders every outcome, then the totals and the exit code.
pub fn render(outcomes: &[Outcome], exit_code: i32) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        render_outcome(&mut out, outcome, crate::report::DEFAULT_RULE_DOCS);
    }
    let summary = Summary::of(outcomes.iter().flat_map(|o| &o.findings));
    let _ = writeln!(out, "**Total:** {} · exit {exit_code}", Summary::words(summary));
    out
}

/// One input's section; `rule_docs`: the rule doc URL template (`--rule-docs-url`).
pub(crate) fn render_outcome(out: &mut String, outcome: &Outcome, rule_docs: &str) {
    let input = &outcome.input;
    let _ = writeln!(out, "### otadoctor: {}\n", code_span(&input.name));
    let summary = Summary::of(&outcome.findings);
    let _ = writeln!(
        out,
        "{} · **{}**\n",
        describe_input(input.kind, &input.facts),
        Summary::words(summary)
    );
    if let Some(qr) = &input.facts.qr {
        let _ = writeln!(out, "From: {}\n", text(&qr.describe()));
    }
    render_answers(out, outcome);
    render_chain(out, &input.facts);
    for skipped in &input.facts.skipped {
        let _ = writeln!(out, "Skipped: {}\n", text(skipped));
    }
    for refused in crate::report::refused(&input.facts) {
        let _ = writeln!(out, "Not checked: {}\n", text(&refused));
    }
    // worst first (a stable sort keeps the report's order within a severity); with --symptom,
    // the order triage gave: the findings that explain it first
    let mut findings: Vec<&Finding> = outcome.findings.iter().collect();
    if outcome.triage.is_none() && outcome.evidence.is_none() {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    for finding in &findings {
        render_finding(out, finding, rule_docs);
    }
    if !findings.is_empty() {
        out.push('\n');
    }
}

/// Device evidence: each logged event, and what explains it.
fn render_evidence(out: &mut String, outcome: &Outcome) {
    let Some(triage) = &outcome.evidence else { return };
    if triage.events.is_empty() {
        let _ = writeln!(out, "**Device log**: no install event in it\n");
        return;
    }
    for event in &triage.events {
        let codes: Vec<String> = event.codes.iter().map(|c| code_span(&c.code)).collect();
        let codes = if codes.is_empty() {
            String::new()
        } else {
            format!(" ({})", codes.join(", "))
        };
        let verdict = if !event.explained_by.is_empty() {
            let by: Vec<String> = event.explained_by.iter().map(|c| format!("`{c}`")).collect();
            format!(": explained by {}", by.join(", "))
        } else if event.failure {
            ": **no finding explains it**".to_string()
        } else {
            String::new()
        };
        let _ = writeln!(out, "- **Line {}** {}{codes}{verdict}", event.line, text(event.summary));
    }
    out.push('\n');
}

/// The `--symptom` triage and the `--udid` answer, when asked for.
fn render_answers(out: &mut String, outcome: &Outcome) {
    render_evidence(out, outcome);
    if let Some(triage) = &outcome.triage {
        let named: Vec<&str> = triage.matched.iter().map(|s| s.message()).collect();
        if named.is_empty() {
            let _ = writeln!(
                out,
                "**Symptom** {}: not a message otadoctor knows\n",
                text(&triage.text)
            );
        } else if triage.explained_by.is_empty() {
            let _ = writeln!(
                out,
                "**Symptom** {}: no finding explains it. Check on the phone:\n",
                text(&named.join(" / "))
            );
            for check in &triage.check_on_device {
                let _ = writeln!(out, "- {}", text(check));
            }
            out.push('\n');
        } else {
            let codes: Vec<String> = triage.explained_by.iter().map(|c| format!("`{c}`")).collect();
            let _ = writeln!(
                out,
                "**Symptom** {}: explained by {} (listed first)\n",
                text(&named.join(" / ")),
                codes.join(", ")
            );
        }
    }
    if let Some(device) = &outcome.device {
        let verdict = match device.provisioned {
            Provisioned::Yes => "yes, its profiles list this device",
            Provisioned::No => "**no**, not provisioned for this device",
            Provisioned::Unknown => "unknown",
        };
        let _ = writeln!(out, "**Device** {}: {verdict}\n", code_span(&device.udid));
        for reason in &device.reasons {
            let _ = writeln!(out, "- {}", text(reason));
        }
        out.push('\n');
    }
}

/// "page · 5 itms-services links", "link", "package", … (plain text: the HTML report escapes it).
pub(crate) fn describe_input(kind: InputKind, facts: &Facts) -> String {
    match kind {
        InputKind::Link => "link".to_string(),
        InputKind::Page => match facts.links.len() {
            // the run's guard refused the page's address: there are no links to count
            0 if facts
                .page
                .as_ref()
                .and_then(|p| p.fetch.as_ref())
                .and_then(|f| f.last())
                .and_then(|e| e.error.as_ref())
                .is_some_and(crate::facts::NetError::is_refused) =>
            {
                "page · not fetched".to_string()
            }
            1 => "page · 1 itms-services link".to_string(),
            n => format!("page · {n} itms-services links"),
        },
        InputKind::Manifest => "manifest".to_string(),
        InputKind::Url => "URL".to_string(),
        InputKind::Package => "package".to_string(),
        InputKind::Profile => "provisioning profile".to_string(),
        InputKind::Evidence => format!(
            "device evidence · {}",
            crate::report::evidence_summary(facts.evidence.as_ref())
        ),
        InputKind::Directory => match &facts.scan {
            Some(scan) if scan.checked == 0 => format!(
                "directory · nothing to check: {} files scanned, no itms-services link, manifest, package or profile in them",
                scan.files
            ),
            Some(scan) => {
                let skipped: Vec<String> = scan.skipped.iter().map(|s| s.reason.describe(s.count)).collect();
                let skipped = if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" · skipped: {}", skipped.join("; "))
                };
                let follow = if scan.follow || scan.offline {
                    ""
                } else {
                    " · links checked offline, not followed (--follow follows them)"
                };
                format!(
                    "directory · {} files scanned · {} checked{skipped}{follow}",
                    scan.files, scan.checked
                )
            }
            None => "directory".to_string(),
        },
    }
}

/// The requests of the walk, as a table; nothing when none was made.
fn render_chain(out: &mut String, facts: &Facts) {
    let rows = chain_rows(facts);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "| step | request | status | type | size | time | TLS |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

/// One row of cells per request: the page, then per link its manifest, package and icons.
fn chain_rows(facts: &Facts) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for step in crate::report::chain_steps(facts) {
        match step {
            ChainStep::Exchange(step, exchange) => rows.push(exchange_row(&step, exchange)),
            ChainStep::NotFetched(step, asset) => {
                let status = format!("not fetched: {}", esc(asset.not_fetched.as_deref().unwrap_or_default()));
                rows.push(vec![
                    cell(&step),
                    table_code(&asset.url),
                    cell(&status),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    rows
}

/// step | request | status | type | size | time | TLS
fn exchange_row(step: &str, e: &Exchange) -> Vec<String> {
    let status = match (e.status, &e.error) {
        (Some(status), error) => {
            let mut cells = vec![cell(&status.to_string())];
            if let Some(location) = e.header("location").filter(|_| (300..400).contains(&status)) {
                cells.push(format!("→ {}", table_code(location)));
            }
            if let Some(error) = error {
                cells.push(cell(&error.to_string()));
            }
            cells.join(" ")
        }
        (None, Some(error)) => cell(&crate::report::without_answer(error)),
        (None, None) => String::new(),
    };
    let content_type = e.header("content-type").map(cell).unwrap_or_default();
    let body = crate::report::body_size(e);
    let tls = crate::report::tls_mark(e, cell);
    vec![
        cell(step),
        table_code(&format!("{} {}", e.method, e.url)),
        status,
        content_type,
        body,
        crate::report::time_taken(e),
        tls,
    ]
}

/// One finding as a list item, with what the device shows, the fix and the rule (its doc's
/// absolute URL: the report is pasted where a relative link leads nowhere) under it.
fn render_finding(out: &mut String, f: &Finding, rule_docs: &str) {
    let _ = writeln!(
        out,
        "- **{}** `{}` {} — {}",
        f.severity.as_str(),
        f.rule.code,
        f.rule.name,
        text(&f.message)
    );
    let target = &f.subject.target;
    if !target.is_empty() && !f.message.contains(target.as_str()) {
        let _ = writeln!(out, "  - about: {}", code_span(target));
    }
    if let Some(location) = &f.location {
        let place = location.describe();
        let _ = writeln!(out, "  - at: {}", code_span(&place));
    }
    let _ = writeln!(out, "  - device: {}", text(&f.device_symptom));
    render_fix(out, f);
    let _ = writeln!(
        out,
        "  - rule: [{} {}]({}) · `otadoctor explain {}`",
        f.rule.code,
        f.rule.name,
        link_target(&crate::report::rule_url(rule_docs, f.rule)),
        f.rule.code
    );
}

/// The fix's prose, line by line, and the corrected link (when there is one) in a code block.
fn render_fix(out: &mut String, f: &Finding) {
    let corrected = f.corrected.as_deref().map(str::trim);
    let prose: Vec<String> = f
        .fix
        .split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty() && Some(*line) != corrected)
        .map(|line| escape_line_start(&text(line)))
        .collect();
    // a backslash at the end of a line is a hard line break
    let _ = writeln!(out, "  - fix: {}", prose.join("\\\n    "));
    if let Some(link) = corrected {
        let _ = writeln!(out, "{}", code_block(link, "    "));
    }
}

/// Text as Markdown that renders as itself: terminal-escaped, then every character that could
/// start emphasis, code, a link, a table cell, HTML, an entity, math or a heading
/// backslash-escaped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in esc(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes what would start a block at the beginning of a continuation line: a list marker
/// (`-`, `+`, `1.`, `1)`) or a setext underline (`=`). `text` has escaped the rest.
fn escape_line_start(line: &str) -> String {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after_digits = line[digits..].chars().next();
    if line.starts_with(['-', '+', '=']) {
        format!("\\{line}")
    } else if digits > 0 && matches!(after_digits, Some('.' | ')')) {
        format!("{}\\{}", &line[..digits], &line[digits..])
    } else {
        line.to_string()
    }
}

/// A table cell of plain text.
fn cell(s: &str) -> String {
    text(s)
}

/// A URL as a Markdown link's destination: what would end it or break it (spaces, brackets,
/// angle brackets, backticks, controls) percent-encoded.
fn link_target(url: &str) -> String {
    const NOT_IN_TARGET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'(')
        .add(b')')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'[')
        .add(b']')
        .add(b'\\')
        .add(b'"');
    percent_encoding::utf8_percent_encode(url, NOT_IN_TARGET).to_string()
}

/// A code span for a table cell: a `|` inside it must still be escaped (GFM splits cells first).
fn table_code(s: &str) -> String {
    code_span(s).replace('|', "\\|")
}

/// Text in a code span: shown exactly (no Markdown, no HTML), delimited by more backticks than
/// it holds in a row, padded when it starts or ends with one.
pub fn code_span(s: &str) -> String {
    let body = esc(s);
    let fence = "`".repeat(longest_backtick_run(&body) + 1);
    if body.starts_with('`') || body.ends_with('`') {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A fenced code block of one line of text, each line indented by `indent`.
fn code_block(s: &str, indent: &str) -> String {
    let body = esc(s);
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!("{indent}{fence}\n{indent}{body}\n{indent}{fence}")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markdown_and_html() {
        assert_eq!(text("a|b *c* _d_"), "a\\|b \\*c\\* \\_d\\_");
        assert_eq!(text("<script>x</script>"), "\\<script\\>x\\</script\\>");
        assert_eq!(text("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(text("&amp;"), "\\&amp;");
        assert_eq!(text("`code`"), "\\`code\\`");
    }

    #[test]
    fn text_makes_control_characters_visible() {
        assert_eq!(text("a\u{1b}[31mb"), "a\\\\u{1b}\\[31mb");
        assert_eq!(text("line\nbreak"), "line\\\\nbreak");
    }

    #[test]
    fn code_spans_hold_any_backticks() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x`"), "`` `x` ``");
        assert_eq!(code_span("plain"), "`plain`");
    }

    #[test]
    fn code_blocks_use_a_longer_fence_than_their_content() {
        assert_eq!(code_block("a```b", ""), "````\na```b\n````");
        assert_eq!(code_block("x", "  "), "  ```\n  x\n  ```");
    }

    #[test]
    fn line_starts_that_open_blocks_are_escaped() {
        assert_eq!(escape_line_start("- item"), "\\- item");
        assert_eq!(escape_line_start("12. item"), "12\\. item");
        assert_eq!(escape_line_start("=="), "\\==");
        assert_eq!(escape_line_start("2026 release"), "2026 release");
    }

    #[test]
    fn table_code_spans_escape_pipes() {
        assert_eq!(table_code("GET https://h/a|b"), "`GET https://h/a\\|b`");
    }
}
