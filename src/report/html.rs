//! `--format html`: one self-contained HTML5 document to attach to a ticket or open offline.
//!
//! Nothing in it is fetched: the style is inline, there is no script, and a Content-Security-
//! Policy (`default-src 'none'`) tells the browser so. Per input: the verdict first (the human
//! report's, from `Verdict`), the errors and warnings with their fixes and corrected links, two
//! pictures drawn here as inline SVG — the install chain as a timeline (one bar per request,
//! placed by its `timing.start_ms`, red where it broke) and each host's certificate chain (leaf →
//! intermediates → root, marking what the TLS findings say is missing, expired, untrusted or too
//! long) —, the requests as a table, the info findings and what was skipped. Then the totals and
//! the exit code. Streamed like the other reports: the head, a section per input, the tail.
//!
//! Every string from an input or the network is data: escaped for the terminal first (controls
//! and bidirectional overrides become visible `\u{…}` escapes), then for HTML, in text and in
//! attribute values alike. No URL attribute is built from it: URLs are shown as text. The only
//! links are the rule docs (`--rule-docs-url`).

use std::fmt::Write as _;

use crate::facts::{ChainVerdict, Exchange, Facts, HostFacts};
use crate::finding::{Finding, Provisioned};
use crate::registry::Family;
use crate::report::{ChainStep, Outcome, Summary, Verdict, VerdictKind};
use crate::severity::Severity;
use crate::text::{escape_for_terminal, escape_prose, size, xml_escape};

/// The Content-Security-Policy of the document: nothing loaded, no script, inline style only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fff; --dim: #6e6e73; --line: #d2d2d7;
  --panel: #f5f5f7; --error: #c62828; --warning: #a15c00; --info: #0b63a8; --ok: #2e7d32;
  --bar: #4a7bd0; --wait: #a9c1ea; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8ed; --bg: #161618; --dim: #a1a1a6; --line: #3a3a3c; --panel: #232326;
    --error: #ff6b6b; --warning: #ffb340; --info: #64b5f6; --ok: #7bd88f; --bar: #6f9cf0;
    --wait: #3b5485; }
}
body { font: 15px/1.45 -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; max-width: 75rem; padding: 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; margin: 0 0 .3rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
code, pre { font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre { background: var(--panel); padding: .5rem .7rem; border-radius: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; margin: .3rem 0; }
section.input { border-top: 2px solid var(--line); padding-top: 1rem; margin-top: 1.5rem; }
.verdict.fails { color: var(--error); } .verdict.may-fail { color: var(--warning); }
.verdict.clean { color: var(--ok); } .verdict.unchecked { color: var(--dim); }
.name { color: var(--dim); margin: 0 0 1rem; overflow-wrap: anywhere; }
.finding { border-left: 4px solid var(--line); padding: .2rem 0 .2rem .8rem; margin: .8rem 0; }
.finding.error { border-color: var(--error); } .finding.warning { border-color: var(--warning); }
.finding.info { border-color: var(--info); }
.finding h4 { margin: 0 0 .2rem; font-size: 1rem; }
.sev { text-transform: uppercase; font-size: .8rem; font-weight: 700; }
.error .sev { color: var(--error); } .warning .sev { color: var(--warning); }
.info .sev { color: var(--info); }
.finding dl { display: grid; grid-template-columns: 5.5rem 1fr; gap: .15rem .6rem; margin: .3rem 0; }
.finding dt { color: var(--dim); } .finding dd { margin: 0; overflow-wrap: anywhere; }
.prose { white-space: pre-line; }
mark { background: #ffd54f; color: #000; }
figure { margin: .5rem 0 1rem; overflow-x: auto; }
figcaption { color: var(--dim); font-size: .85rem; }
svg text { font: 12px ui-monospace, Menlo, Consolas, monospace; fill: var(--fg); }
svg .axis { stroke: var(--line); }
svg .bar rect.span { fill: var(--bar); } svg .bar rect.wait { fill: var(--wait); }
svg .bar.broken rect.span { fill: var(--error); }
svg .bar.broken text { fill: var(--error); }
svg text.words { fill: var(--dim); } svg .bar.broken text.words { fill: var(--error); }
svg .cert rect { fill: var(--panel); stroke: var(--ok); stroke-width: 1.5; }
svg .cert.bad rect { stroke: var(--error); stroke-width: 2.5; }
svg .cert.warn rect { stroke: var(--warning); stroke-width: 2.5; }
svg .cert.missing rect { stroke: var(--error); stroke-dasharray: 6 4; fill: none; }
svg .cert.store rect { stroke: var(--dim); stroke-dasharray: 2 3; }
svg .cert text.flag { fill: var(--error); font-weight: 700; }
svg .cert.warn text.flag { fill: var(--warning); }
svg .arrow { stroke: var(--dim); stroke-width: 1.5; fill: none; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: .5rem 0 1rem; }
th { white-space: nowrap; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .4rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
td.broken { color: var(--error); }
a { color: var(--info); }
p.no-chain { color: var(--error); overflow-wrap: anywhere; }
footer.summary { border-top: 2px solid var(--line); margin-top: 2rem; padding-top: .7rem;
  font-weight: 600; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; color: #000; background: #fff; }
  :root { --fg: #000; --bg: #fff; --panel: #f3f3f3; --line: #999; }
  section.input { break-before: page; } section.input:first-of-type { break-before: auto; }
  .finding, figure, tr { break-inside: avoid; }
  a { color: inherit; } a::after { content: " (" attr(href) ")"; font-size: 9pt; }
}
"#;

/// The document up to the first input: the head with the policy and the style, the title.
pub fn head() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"otadoctor {}\">\n\
         <title>otadoctor report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>otadoctor report</h1>\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The totals, the exit code and the end of the document.
pub fn tail(summary: Summary, exit_code: i32, config: Option<&str>) -> String {
    let config = config.map_or_else(String::new, |c| format!(" · config {}", text(c)));
    format!(
        "<footer class=\"summary\" id=\"summary\">{} · exit {exit_code}{config}</footer>\n</main>\n</body>\n</html>\n",
        text(&summary.words())
    )
}

/// Text from anywhere as HTML text or a (double-quoted) attribute value: terminal-escaped
/// (controls and bidirectional overrides made visible), then `& < > "` as entities.
pub fn text(s: &str) -> String {
    xml_escape(&escape_for_terminal(s))
}

/// As `text`, but line breaks stay (for prose shown with `white-space: pre-line`).
fn prose(s: &str) -> String {
    xml_escape(&escape_prose(s))
}

/// One input's section.
pub fn render_outcome(out: &mut String, outcome: &Outcome, rule_docs: &str) {
    let input = &outcome.input;
    let facts = &input.facts;
    let verdict = Verdict::of(outcome);
    let class = match verdict.kind {
        VerdictKind::Fails => "fails",
        VerdictKind::MayFail => "may-fail",
        VerdictKind::Unchecked => "unchecked",
        VerdictKind::Clean => "clean",
    };
    let _ = writeln!(out, "<section class=\"input\">");
    let _ = writeln!(
        out,
        "<h2 class=\"verdict {class}\" data-verdict=\"{class}\">{} {}</h2>",
        verdict.mark(),
        verdict.words(text)
    );
    let _ = writeln!(
        out,
        "<p class=\"name\"><code>{}</code> · {}</p>",
        text(&input.name),
        text(&crate::report::markdown::describe_input(input.kind, facts))
    );
    if let Some(qr) = &facts.qr {
        let _ = writeln!(out, "<p>From: {}</p>", text(&qr.describe()));
    }
    render_apps(out, facts);
    render_answers(out, outcome);

    // cause first, in the human report's order: a --symptom's findings, then errors, then
    // warnings, each in the order the walk met them; info findings after the pictures
    let (problems, info) = crate::report::human::cause_order(outcome, &crate::report::human::walk_order(outcome));
    let problems: Vec<&Finding> = problems.into_iter().map(|i| &outcome.findings[i]).collect();
    let info: Vec<&Finding> = info.into_iter().map(|i| &outcome.findings[i]).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "<h3>Errors and warnings</h3>");
        for f in &problems {
            render_finding(out, f, rule_docs);
        }
    }
    render_timeline(out, facts);
    render_chains(out, outcome);
    render_table(out, facts);
    if !info.is_empty() {
        let _ = writeln!(out, "<h3>Info</h3>");
        for f in &info {
            render_finding(out, f, rule_docs);
        }
    }
    if !facts.skipped.is_empty() {
        let _ = writeln!(out, "<h3>Skipped</h3>\n<ul class=\"skipped\">");
        for skipped in &facts.skipped {
            let _ = writeln!(out, "<li>{}</li>", text(skipped));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(out, "</section>");
}

/// The app each manifest read names: its title, bundle identifier and version.
fn render_apps(out: &mut String, facts: &Facts) {
    for walk in &facts.walks {
        let Some(document) = walk.document.as_ref().and_then(|d| d.document.as_ref()) else {
            continue;
        };
        let metadata = &document["items"][0]["metadata"];
        let field = |key: &str| metadata[key].as_str().map(text);
        let Some(title) = field("title") else { continue };
        let rest: Vec<String> = ["bundle-identifier", "bundle-version"]
            .into_iter()
            .filter_map(field)
            .collect();
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(" · <code>{}</code>", rest.join(" · "))
        };
        let _ = writeln!(out, "<p class=\"app\">App: <strong>{title}</strong>{rest}</p>");
    }
}

/// The device log's install events and what explains them, the `--symptom` match and the
/// `--udid` answer, when there are some.
fn render_answers(out: &mut String, outcome: &Outcome) {
    if let Some(triage) = &outcome.evidence {
        let _ = writeln!(out, "<ul class=\"events\">");
        if triage.events.is_empty() {
            let _ = writeln!(out, "<li>no install event in the log</li>");
        }
        for event in &triage.events {
            let codes: Vec<&str> = event.codes.iter().map(|c| c.code.as_str()).collect();
            let codes = if codes.is_empty() {
                String::new()
            } else {
                format!(" (<code>{}</code>)", text(&codes.join(", ")))
            };
            let verdict = if !event.explained_by.is_empty() {
                format!(": explained by {}", text(&event.explained_by.join(", ")))
            } else if event.failure {
                ": <strong>no finding explains it</strong>".to_string()
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<li>line {} {}{codes}{verdict}</li>",
                event.line,
                text(event.summary)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    if let Some(triage) = &outcome.triage {
        let named: Vec<&str> = triage.matched.iter().map(|s| s.message()).collect();
        let answer = if named.is_empty() {
            "not a message otadoctor knows".to_string()
        } else if triage.explained_by.is_empty() {
            "no finding explains it".to_string()
        } else {
            format!("explained by {} (listed first)", text(&triage.explained_by.join(", ")))
        };
        let _ = writeln!(
            out,
            "<p class=\"symptom\"><strong>Symptom</strong> {}: {answer}</p>",
            text(&triage.text)
        );
    }
    if let Some(device) = &outcome.device {
        let verdict = match device.provisioned {
            Provisioned::Yes => "yes, its profiles list this device",
            Provisioned::No => "no, not provisioned for this device",
            Provisioned::Unknown => "unknown",
        };
        let _ = writeln!(
            out,
            "<p class=\"device\"><strong>Device</strong> <code>{}</code>: {verdict}</p>",
            text(&device.udid)
        );
    }
}

/// One finding: what, where (the mark in its text), what the device shows, the fix, the
/// corrected link, and the rule's doc.
fn render_finding(out: &mut String, f: &Finding, rule_docs: &str) {
    let severity = f.severity.as_str();
    let _ = writeln!(
        out,
        "<article class=\"finding {severity}\" data-code=\"{}\">",
        f.rule.code
    );
    let _ = writeln!(
        out,
        "<h4><span class=\"sev\">{severity}</span> <code>{}</code> {}</h4>",
        f.rule.code, f.rule.name
    );
    let _ = writeln!(out, "<p class=\"message\">{}</p>", text(&f.message));
    if let Some(h) = &f.highlight {
        let (start, end) = (h.start.min(h.text.len()), h.end.min(h.text.len()));
        match (
            h.text.get(..start),
            h.text.get(start..end.max(start)),
            h.text.get(end.max(start)..),
        ) {
            (Some(before), Some(marked), Some(after)) => {
                let _ = writeln!(
                    out,
                    "<pre class=\"highlight\">{}<mark>{}</mark>{}</pre>",
                    text(before),
                    text(marked),
                    text(after)
                );
            }
            _ => {
                let _ = writeln!(out, "<pre class=\"highlight\">{}</pre>", text(&h.text));
            }
        }
        if !h.label.is_empty() {
            let _ = writeln!(out, "<p class=\"mark-label\">↑ {}</p>", text(&h.label));
        }
    }
    let _ = writeln!(out, "<dl>");
    let target = &f.subject.target;
    if !target.is_empty() && !f.message.contains(target.as_str()) {
        let _ = writeln!(out, "<dt>about</dt><dd><code>{}</code></dd>", text(target));
    }
    if let Some(location) = &f.location {
        let _ = writeln!(out, "<dt>at</dt><dd><code>{}</code></dd>", text(&location.describe()));
    }
    let _ = writeln!(out, "<dt>device</dt><dd>{}</dd>", text(&f.device_symptom));
    let corrected = f.corrected.as_deref().map(str::trim);
    let fix: Vec<&str> = f
        .fix
        .split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty() && Some(*line) != corrected)
        .collect();
    let _ = writeln!(out, "<dt>fix</dt><dd class=\"prose\">{}</dd>", prose(&fix.join("\n")));
    if let Some(link) = corrected {
        let _ = writeln!(
            out,
            "<dt>corrected</dt><dd><pre class=\"corrected\"><code>{}</code></pre></dd>",
            text(link)
        );
    }
    let _ = writeln!(
        out,
        "<dt>rule</dt><dd><a class=\"rule-doc\" href=\"{}\">{} {}</a> · <code>otadoctor explain {}</code></dd>",
        text(&crate::report::rule_url(rule_docs, f.rule)),
        f.rule.code,
        f.rule.name,
        f.rule.code
    );
    let _ = writeln!(out, "</dl>\n</article>");
}

/// Whether an exchange is where the chain broke: no answer, an error, a 4xx/5xx, or a
/// certificate iOS refuses.
fn broken(e: &Exchange) -> bool {
    e.error.is_some() || e.status.is_none_or(|s| s >= 400) || matches!(e.tls_verdict, Some(ChainVerdict::Refused(_)))
}

/// "200 · 1.2 KB · 35 ms · TLS ✓" (the status, or the error).
fn exchange_words(e: &Exchange) -> String {
    let mut parts = Vec::new();
    match (e.status, &e.error) {
        (Some(status), None) => parts.push(status.to_string()),
        (Some(status), Some(error)) => parts.push(format!("{status} {error}")),
        (None, Some(error)) => parts.push(crate::report::without_answer(error)),
        (None, None) => parts.push("no answer".to_string()),
    }
    if e.status.is_some() && e.method != "HEAD" {
        parts.push(size(e.body_bytes));
    }
    let time = crate::report::time_taken(e);
    if !time.is_empty() {
        parts.push(time);
    }
    match &e.tls_verdict {
        Some(ChainVerdict::Ok) => parts.push("TLS ✓".to_string()),
        Some(ChainVerdict::Refused(reason)) => parts.push(format!("TLS ✗ {reason}")),
        None => {}
    }
    parts.join(" · ")
}

/// The host an exchange went to ("cdn.example.com", or the URL when it has none).
fn host_of(e: &Exchange) -> String {
    match &e.host {
        Some(h) if h.port == 443 || h.port == 80 => h.host.clone(),
        Some(h) => format!("{}:{}", h.host, h.port),
        None => e.url.clone(),
    }
}

const LABEL_W: u64 = 480;
const PLOT_W: u64 = 560;
const ROW_H: u64 = 38;

/// The install chain as a waterfall: one bar per request, from its start to its end (the part
/// until the first byte lighter), red where it broke. A request without a recorded start is
/// placed after the one before it.
fn render_timeline(out: &mut String, facts: &Facts) {
    let exchanges: Vec<(String, &Exchange)> = crate::report::chain_steps(facts)
        .into_iter()
        .filter_map(|step| match step {
            ChainStep::Exchange(step, e) => Some((step, e)),
            ChainStep::NotFetched(..) => None,
        })
        .collect();
    if exchanges.is_empty() {
        return;
    }
    // each bar's start: as recorded, else where the one before ended
    let mut spans = Vec::with_capacity(exchanges.len());
    let mut cursor = 0u64;
    for (_, e) in &exchanges {
        let start = e.timing.start_ms.unwrap_or(cursor);
        let end = start.saturating_add(e.timing.total_ms);
        cursor = cursor.max(end);
        spans.push((start, end));
    }
    let origin = spans.iter().map(|s| s.0).min().unwrap_or(0);
    let span = spans
        .iter()
        .map(|s| s.1)
        .max()
        .unwrap_or(0)
        .saturating_sub(origin)
        .max(1);
    let width = LABEL_W + PLOT_W + 10;
    let height = ROW_H * (exchanges.len() as u64 + 1) + 6;
    let _ = writeln!(out, "<h3>The install chain</h3>");
    let _ = writeln!(
        out,
        "<figure class=\"timeline\"><svg class=\"timeline\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    let _ = writeln!(
        out,
        "<title>One bar per request, placed in time; red where it broke</title>"
    );
    let axis_y = ROW_H * exchanges.len() as u64 + 4;
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{LABEL_W}\" y1=\"0\" x2=\"{LABEL_W}\" y2=\"{axis_y}\"/><line class=\"axis\" x1=\"{LABEL_W}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\"/>",
        LABEL_W + PLOT_W
    );
    let _ = writeln!(
        out,
        "<text x=\"{LABEL_W}\" y=\"{}\">0 ms</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{span} ms</text>",
        axis_y + 16,
        LABEL_W + PLOT_W,
        axis_y + 16
    );
    for (i, ((step, e), (start, end))) in exchanges.iter().zip(&spans).enumerate() {
        let y = ROW_H * i as u64 + 2;
        let x = |ms: u64| LABEL_W + (ms.saturating_sub(origin)).saturating_mul(PLOT_W) / span;
        let (x0, x1) = (x(*start), x(*end).max(x(*start) + 2));
        let class = if broken(e) { "bar broken" } else { "bar" };
        let words = exchange_words(e);
        let _ = writeln!(
            out,
            "<g class=\"{class}\" data-step=\"{}\" data-method=\"{}\" data-status=\"{}\">",
            text(step),
            text(&e.method),
            e.status.map_or_else(|| "none".to_string(), |s| s.to_string())
        );
        let _ = writeln!(
            out,
            "<title>{} {} {}</title>",
            text(step),
            text(&format!("{} {}", e.method, e.url)),
            text(&words)
        );
        let _ = writeln!(
            out,
            "<text x=\"4\" y=\"{}\">{}</text>",
            y + 14,
            text(&clip(&format!("{step} · {} {}", e.method, host_of(e)), 64))
        );
        let _ = writeln!(
            out,
            "<rect class=\"span\" x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\"/>",
            y + 8,
            x1 - x0,
            ROW_H - 18
        );
        if let Some(first) = e.timing.first_byte_ms.filter(|_| !broken(e)) {
            let xf = x(start.saturating_add(first)).min(x1);
            if xf > x0 {
                let _ = writeln!(
                    out,
                    "<rect class=\"wait\" x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\"/>",
                    y + 8,
                    xf - x0,
                    ROW_H - 18
                );
            }
        }
        // under the step: what came back, so no text crosses a bar
        let _ = writeln!(
            out,
            "<text class=\"words\" x=\"4\" y=\"{}\">{}</text>\n</g>",
            y + 30,
            text(&clip(&words, 62))
        );
    }
    let _ = writeln!(
        out,
        "</svg><figcaption>Each request from its start to its end (lighter: until the first byte); red where it broke. Hover a bar for its URL.</figcaption></figure>"
    );
}

/// What a host's TLS findings say about its chain, to mark on the picture.
struct Marks<'a> {
    /// TLS007: the issuer the server does not send.
    missing: Option<&'a Finding>,
    /// TLS004, TLS006: the root is not one iOS trusts.
    untrusted: Option<&'a Finding>,
    /// TLS009, TLS010: a certificate out of its validity.
    dated: Vec<&'a Finding>,
    /// TLS014, TLS015, TLS017: the leaf is valid for too long.
    too_long: Option<&'a Finding>,
    /// Other findings about the leaf (its name, key, signature, usage).
    leaf: Vec<&'a Finding>,
}

fn marks<'a>(findings: &'a [Finding], target: &str) -> Marks<'a> {
    let mut marks = Marks {
        missing: None,
        untrusted: None,
        dated: Vec::new(),
        too_long: None,
        leaf: Vec::new(),
    };
    for f in findings
        .iter()
        .filter(|f| f.rule.family == Family::Tls && f.subject.target == target)
    {
        match f.rule.code {
            "TLS007" => marks.missing = Some(f),
            "TLS004" | "TLS006" => marks.untrusted = Some(f),
            "TLS009" | "TLS010" => marks.dated.push(f),
            "TLS014" | "TLS015" | "TLS017" => marks.too_long = Some(f),
            "TLS008" | "TLS011" | "TLS012" | "TLS013" | "TLS019" => marks.leaf.push(f),
            _ => {}
        }
    }
    marks
}

const BOX_W: u64 = 250;
const BOX_H: u64 = 92;
const GAP: u64 = 40;

/// A box of the chain picture.
struct CertBox {
    class: &'static str,
    role: String,
    lines: Vec<String>,
    flag: Option<String>,
}

/// Each host's certificate chain as served, leaf → intermediates → root, one box each, with
/// what is missing (a dashed box), expired, untrusted or too long marked.
fn render_chains(out: &mut String, outcome: &Outcome) {
    // the hosts whose probe saw a chain, or failed before it did
    let hosts: Vec<&HostFacts> = outcome
        .input
        .facts
        .hosts
        .iter()
        .map(|h| h.as_ref())
        .filter(|h| h.probe.as_ref().is_some_and(|p| p.tls.is_some() || p.error.is_some()))
        .collect();
    if hosts.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>Certificate chains</h3>");
    for host in hosts {
        match host
            .probe
            .as_ref()
            .and_then(|p| p.error.as_ref().filter(|_| p.tls.is_none()))
        {
            Some(error) => {
                let _ = writeln!(
                    out,
                    "<p class=\"no-chain\"><code>{}</code> · no chain seen: {}</p>",
                    text(&format!("{}:{}", host.host, host.port)),
                    text(&error.to_string())
                );
            }
            None => render_chain(out, outcome, host),
        }
    }
}

fn render_chain(out: &mut String, outcome: &Outcome, host: &HostFacts) {
    let Some(tls) = host.probe.as_ref().and_then(|p| p.tls.as_ref()) else {
        return;
    };
    let target = format!("{}:{}", host.host, host.port);
    let marks = marks(&outcome.findings, &target);
    let certs: Vec<Option<crate::x509::Cert>> = tls
        .chain_der_hex
        .iter()
        .map(|der| crate::text::unhex(der).and_then(|d| crate::x509::parse(&d)))
        .collect();
    let named_dated = marks
        .dated
        .iter()
        .any(|f| certs.iter().flatten().any(|c| f.message.starts_with(&c.subject)));
    let mut boxes = Vec::new();
    for (i, cert) in certs.iter().enumerate() {
        let role = if i == 0 {
            "leaf"
        } else if cert.as_ref().is_some_and(|c| c.self_issued()) {
            "root (served)"
        } else {
            "intermediate"
        };
        let Some(cert) = cert else {
            boxes.push(CertBox {
                class: "cert bad",
                role: role.to_string(),
                lines: vec!["not a certificate x509 can read".to_string()],
                flag: None,
            });
            continue;
        };
        let mut flags = Vec::new();
        let mut class = "cert";
        // the finding names the certificate it is about first; the leaf when none matches
        let dated = marks
            .dated
            .iter()
            .find(|f| f.message.starts_with(&cert.subject))
            .or_else(|| marks.dated.first().filter(|_| i == 0 && !named_dated));
        if let Some(f) = dated {
            flags.push(if f.rule.code == "TLS009" {
                "EXPIRED"
            } else {
                "NOT YET VALID"
            });
            class = "cert bad";
        }
        if i == 0 {
            if marks.too_long.is_some() {
                flags.push("VALID TOO LONG");
                if class == "cert" {
                    class = if marks.too_long.is_some_and(|f| f.severity == Severity::Error) {
                        "cert bad"
                    } else {
                        "cert warn"
                    };
                }
            }
            if let Some(f) = marks.leaf.first() {
                flags.push(f.rule.code);
                if class == "cert" {
                    class = if f.severity == Severity::Error {
                        "cert bad"
                    } else {
                        "cert warn"
                    };
                }
            }
        }
        if cert.self_issued() && marks.untrusted.is_some() {
            flags.push("NOT TRUSTED");
            class = "cert bad";
        }
        boxes.push(CertBox {
            class,
            role: role.to_string(),
            lines: vec![
                cert.subject.clone(),
                format!("until {}", cert.not_after.date()),
                format!("{} days", cert.lifetime_secs() / 86_400),
            ],
            flag: (!flags.is_empty()).then(|| flags.join(" · ")),
        });
    }
    let top = certs.last().and_then(|c| c.as_ref());
    if let Some(f) = marks.missing {
        let issuer = top.map(|c| c.issuer.clone()).unwrap_or_default();
        boxes.push(CertBox {
            class: "cert missing",
            role: "missing intermediate".to_string(),
            lines: vec![issuer, "not sent by the server".to_string()],
            flag: Some(format!("{} {}", f.rule.code, f.rule.name)),
        });
    }
    if top.is_some_and(|c| !c.self_issued()) {
        let (class, role, flag) = match (&marks.untrusted, tls.accepted()) {
            (Some(f), _) => ("cert bad", "root", Some(format!("NOT TRUSTED ({})", f.rule.code))),
            (None, true) => ("cert store", "root (trust store)", None),
            (None, false) => ("cert store", "root", None),
        };
        let line = if tls.accepted() {
            format!("{} root", tls.anchored_by.as_str())
        } else {
            "not reached".to_string()
        };
        let issuer = if marks.missing.is_some() {
            "above the missing certificate".to_string()
        } else {
            top.map(|c| c.issuer.clone()).unwrap_or_default()
        };
        boxes.push(CertBox {
            class,
            role: role.to_string(),
            lines: vec![issuer, line],
            flag,
        });
    }
    let n = boxes.len() as u64;
    let width = n * BOX_W + n.saturating_sub(1) * GAP + 4;
    let height = BOX_H + 4;
    let verdict = if tls.accepted() {
        format!("chain ✓ ({} root)", tls.anchored_by.as_str())
    } else {
        format!("chain ✗ {}", tls.verdict)
    };
    let _ = writeln!(
        out,
        "<figure class=\"chain\" data-host=\"{}\"><svg class=\"chain\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">",
        text(&target)
    );
    let _ = writeln!(out, "<title>The certificate chain {} serves</title>", text(&target));
    for (i, b) in boxes.iter().enumerate() {
        let x = 2 + i as u64 * (BOX_W + GAP);
        let _ = writeln!(
            out,
            "<g class=\"{}\" data-role=\"{}\"><rect x=\"{x}\" y=\"2\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\"/>",
            b.class,
            text(&b.role)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"20\" font-weight=\"700\">{}</text>",
            x + 8,
            text(&b.role)
        );
        for (j, line) in b.lines.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                x + 8,
                38 + j as u64 * 16,
                text(&clip(line, 32))
            );
        }
        if let Some(flag) = &b.flag {
            let _ = writeln!(
                out,
                "<text class=\"flag\" x=\"{}\" y=\"{}\">{}</text>",
                x + 8,
                BOX_H - 4,
                text(&clip(flag, 32))
            );
        }
        let _ = writeln!(out, "<title>{}</title></g>", text(&b.lines.join("\n")));
        if i + 1 < boxes.len() {
            let (ax, ay) = (x + BOX_W + 4, 2 + BOX_H / 2);
            let _ = writeln!(
                out,
                "<path class=\"arrow\" d=\"M{ax} {ay} H{} M{} {} L{} {ay} L{} {}\"/>",
                ax + GAP - 8,
                ax + GAP - 14,
                ay - 5,
                ax + GAP - 8,
                ax + GAP - 14,
                ay + 5
            );
        }
    }
    let _ = writeln!(
        out,
        "</svg><figcaption><code>{}</code> · {}</figcaption></figure>",
        text(&target),
        text(&verdict)
    );
}

/// At most `n` characters, "…" where cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(n.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// The requests as a table: step, request, status, type, size, time, TLS.
fn render_table(out: &mut String, facts: &Facts) {
    let steps = crate::report::chain_steps(facts);
    if steps.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>Requests</h3>\n<table class=\"walk\">\n<thead><tr><th>step</th><th>request</th><th>status</th><th>type</th><th>size</th><th>time</th><th>TLS</th></tr></thead>\n<tbody>"
    );
    for step in steps {
        match step {
            ChainStep::Exchange(step, e) => {
                let status = match (e.status, &e.error) {
                    (Some(status), error) => {
                        let mut cells = vec![status.to_string()];
                        if let Some(location) = e.header("location").filter(|_| (300..400).contains(&status)) {
                            cells.push(format!("→ {location}"));
                        }
                        if let Some(error) = error {
                            cells.push(error.to_string());
                        }
                        cells.join(" ")
                    }
                    (None, Some(error)) => crate::report::without_answer(error),
                    (None, None) => String::new(),
                };
                let body = crate::report::body_size(e);
                let time = crate::report::time_taken(e);
                let tls = crate::report::tls_mark(e, text);
                let class = if broken(e) { " class=\"broken\"" } else { "" };
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td><code>{} {}</code></td><td{class}>{}</td><td>{}</td><td>{body}</td><td>{time}</td><td>{tls}</td></tr>",
                    text(&step),
                    text(&e.method),
                    text(&e.url),
                    text(&status),
                    text(e.header("content-type").unwrap_or_default()),
                );
            }
            ChainStep::NotFetched(step, asset) => {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code></td><td colspan=\"5\">not fetched: {}</td></tr>",
                    text(&step),
                    text(&asset.url),
                    text(asset.not_fetched.as_deref().unwrap_or_default())
                );
            }
        }
    }
    let _ = writeln!(out, "</tbody>\n</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_html_in_text_and_attributes() {
        assert_eq!(
            text("<script>x</script>\"><img onerror='y'>&"),
            "&lt;script&gt;x&lt;/script&gt;&quot;&gt;&lt;img onerror='y'&gt;&amp;"
        );
    }

    #[test]
    fn text_makes_controls_and_bidi_visible() {
        assert_eq!(text("a\u{202e}b\u{1b}c"), "a\\u{202e}b\\u{1b}c");
        assert_eq!(prose("a\nb\u{202e}"), "a\nb\\u{202e}");
    }

    /// The `x` of each bar's span rect, in order.
    fn bar_starts(svg: &str) -> Vec<u64> {
        svg.split("<rect class=\"span\" x=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect()
    }

    fn exchange(start_ms: Option<u64>, total_ms: u64) -> Exchange {
        let mut e = Exchange {
            method: "GET".to_string(),
            url: "https://ota.example.com/m.plist".to_string(),
            status: Some(200),
            ..Exchange::default()
        };
        e.timing.start_ms = start_ms;
        e.timing.total_ms = total_ms;
        e
    }

    fn walk_of(exchanges: Vec<Exchange>) -> Facts {
        Facts {
            walks: vec![crate::facts::WalkFacts {
                manifest: Some(crate::facts::Fetch { exchanges }),
                ..Default::default()
            }],
            ..Facts::default()
        }
    }

    #[test]
    fn bars_are_placed_by_their_start_or_one_after_another() {
        // recorded starts: the second bar starts at 50 of 100 ms, mid-plot, overlapping none
        let mut out = String::new();
        render_timeline(&mut out, &walk_of(vec![exchange(Some(0), 40), exchange(Some(50), 50)]));
        assert_eq!(bar_starts(&out), [LABEL_W, LABEL_W + PLOT_W / 2]);
        // none recorded: each where the one before ended
        let mut out = String::new();
        render_timeline(&mut out, &walk_of(vec![exchange(None, 30), exchange(None, 10)]));
        assert_eq!(bar_starts(&out), [LABEL_W, LABEL_W + PLOT_W * 30 / 40]);
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("éééé", 3), "éé…");
        assert_eq!(clip("abc", 3), "abc");
    }
}
