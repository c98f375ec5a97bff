//! Human output: read top-down by a support engineer. The input, what was parsed, then the
//! findings worst first, each with what the device shows and the fix; a summary line last.
//! Every string from an input goes through `escape_for_terminal`.

use std::fmt::Write as _;

use colored::{ColoredString, Colorize};

use crate::collect::input::InputKind;
use crate::facts::LinkFacts;
use crate::finding::{Finding, Severity};
use crate::report::{Outcome, Summary};
use crate::text::{escape_for_terminal as esc, escaped_width};

/// Whether to colour, decided by the CLI (`--color`, TTY, `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, s: &str, f: impl Fn(&str) -> ColoredString) -> String {
        if self.color { f(s).to_string() } else { s.to_string() }
    }

    fn severity(&self, severity: Severity, s: &str) -> String {
        match severity {
            Severity::Error => self.paint(s, |s| s.red().bold()),
            Severity::Warning => self.paint(s, |s| s.yellow().bold()),
            Severity::Info => self.paint(s, |s| s.cyan().bold()),
        }
    }

    fn dim(&self, s: &str) -> String {
        self.paint(s, |s| s.dimmed())
    }

    fn bold(&self, s: &str) -> String {
        self.paint(s, |s| s.bold())
    }
}

/// Renders all outcomes and the closing summary.
pub fn render(outcomes: &[Outcome], exit_code: i32, style: Style) -> String {
    if style.color {
        colored::control::set_override(true);
    }
    let mut out = String::new();
    for outcome in outcomes {
        render_outcome(&mut out, outcome, style);
    }
    let summary = Summary::of(outcomes.iter().flat_map(|o| &o.findings));
    let _ = writeln!(out, "{} · exit {exit_code}", summary_words(summary, style));
    out
}

fn summary_words(s: Summary, style: Style) -> String {
    if s.total() == 0 {
        return "no problems found".to_string();
    }
    let mut parts = Vec::new();
    for (n, severity, one, many) in [
        (s.error, Severity::Error, "error", "errors"),
        (s.warning, Severity::Warning, "warning", "warnings"),
        (s.info, Severity::Info, "info", "info"),
    ] {
        if n > 0 {
            parts.push(style.severity(severity, &format!("{n} {}", if n == 1 { one } else { many })));
        }
    }
    parts.join(" · ")
}

fn render_outcome(out: &mut String, outcome: &Outcome, style: Style) {
    let input = &outcome.input;
    let facts = &input.facts;
    match input.kind {
        InputKind::Link => {
            let _ = writeln!(out, "{}\n", style.bold(&esc(&input.name)));
        }
        InputKind::Page => {
            let n = facts.links.len();
            let what = match n {
                0 => "no itms-services links".to_string(),
                1 => "1 itms-services link".to_string(),
                n => format!("{n} itms-services links"),
            };
            let _ = writeln!(
                out,
                "{} {}\n",
                style.bold(&esc(&input.name)),
                style.dim(&format!("(page: {what})"))
            );
        }
    }
    let several = input.kind == InputKind::Page;
    for (index, link) in facts.links.iter().enumerate() {
        if several {
            let place = link
                .location
                .as_ref()
                .map(|l| format!("line {}", l.line))
                .unwrap_or_default();
            let heading = format!(
                "link {} of {} · {place} · {}",
                index + 1,
                facts.links.len(),
                link.context.describe()
            );
            let _ = writeln!(out, "{}", style.bold(&esc(&heading)));
            let _ = writeln!(out, "  {:<9} {}", "text", esc(&link.text));
        }
        render_link_facts(out, link, style);
        let mut findings: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.subject.link == Some(index))
            .collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        if findings.is_empty() {
            let _ = writeln!(out, "  {}", style.paint("✓ no problems in this link", |s| s.green()));
        }
        let _ = writeln!(out);
        for finding in findings {
            render_finding(out, finding, style);
        }
    }
    let mut other: Vec<&Finding> = outcome.findings.iter().filter(|f| f.subject.link.is_none()).collect();
    other.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for finding in other {
        render_finding(out, finding, style);
    }
    for skipped in &facts.skipped {
        let _ = writeln!(out, "{} {}", style.dim("skipped "), esc(skipped));
    }
    if !facts.skipped.is_empty() {
        let _ = writeln!(out);
    }
}

fn render_link_facts(out: &mut String, link: &LinkFacts, style: Style) {
    let p = &link.parsed;
    let label = |s: &str| style.dim(&format!("  {s:<9}"));
    let action = match &p.action {
        Some(a) => esc(a),
        None => "(none)".to_string(),
    };
    let manifest = match &p.manifest_url {
        Some(m) if !m.is_empty() => esc(m),
        Some(_) => "(empty url parameter)".to_string(),
        None => "(no url parameter)".to_string(),
    };
    let _ = writeln!(out, "{} {action}", label("action"));
    let _ = writeln!(out, "{} {manifest}", label("manifest"));
    if link.dynamic {
        let _ = writeln!(
            out,
            "{} the script builds the rest of this link at run time; only its fixed part was checked",
            label("note")
        );
    }
}

fn render_finding(out: &mut String, f: &Finding, style: Style) {
    let head = format!("{}[{} {}]", f.severity.as_str(), f.rule.code, f.rule.name);
    let _ = writeln!(out, "{} {}", style.severity(f.severity, &head), esc(&f.message));
    if let Some(h) = &f.highlight {
        let bar = style.dim("  │");
        let _ = writeln!(out, "{bar} {}", esc(&h.text));
        let pad = escaped_width(&h.text, h.start);
        let width = (escaped_width(&h.text, h.end) - pad).max(1);
        let carets = style.severity(f.severity, &"^".repeat(width));
        let _ = writeln!(out, "{bar} {}{carets} {}", " ".repeat(pad), esc(&h.label));
    }
    if let Some(loc) = &f.location {
        field(
            out,
            style,
            "at",
            &format!("{}:{}:{}", esc(&loc.file), loc.line, loc.column),
        );
    }
    field(out, style, "device", &esc(&f.device_symptom));
    field(out, style, "fix", &esc_lines(&f.fix));
    field(
        out,
        style,
        "basis",
        &format!("{} · otadoctor explain {}", f.rule.basis.as_str(), f.rule.code),
    );
    let _ = writeln!(out);
}

/// Escapes each line of a multi-line text, keeping its line breaks.
fn esc_lines(s: &str) -> String {
    s.split('\n').map(esc).collect::<Vec<_>>().join("\n")
}

fn field(out: &mut String, style: Style, name: &str, value: &str) {
    let mut lines = value.split('\n');
    let first = lines.next().unwrap_or("");
    let _ = writeln!(out, "  {} {first}", style.dim(&format!("{name:<7}")));
    for line in lines {
        let _ = writeln!(out, "          {line}");
    }
}
