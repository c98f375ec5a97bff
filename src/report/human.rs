//! Human output: read top-down by a support engineer. The input, what was parsed, then the
//! findings worst first, each with what the device shows and the fix; a summary line last.
//! Every string from an input goes through `escape_for_terminal`.

use std::fmt::Write as _;

use colored::{ColoredString, Colorize};

use crate::facts::InputKind;
use crate::facts::LinkFacts;
use crate::facts::{ChainVerdict, DnsSource, Fetch, NetError, ProfileKind, SignatureVerdict, WalkFacts};
use crate::finding::{Finding, Provisioned, Resource};
use crate::registry::Family;
use crate::report::{Outcome, Summary, Verdict, VerdictKind};
use crate::severity::Severity;
use crate::text::{self, escape_for_terminal as esc, escaped_width};

/// The columns the report fits in: prose and fact lines wrap at a space, under their value; a
/// word longer than that (a URL) is never broken, it gets a line of its own.
pub const WIDTH: usize = 100;

/// Whether to colour, decided by the CLI (`--color`, TTY, `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// `-v`: each exchange's request and response headers, timings and first body bytes.
    pub verbose: bool,
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
    out.push_str(&summary_line(summary, exit_code, style));
    out
}

/// "config   otadoctor.toml": the configuration file the run read, when it read one.
pub(crate) fn config_line(config: Option<&str>, style: Style) -> String {
    config.map_or_else(String::new, |c| format!("{} {}\n", style.dim("config  "), esc(c)))
}

/// The closing line: the counts and the exit code.
pub(crate) fn summary_line(summary: Summary, exit_code: i32, style: Style) -> String {
    format!("{} · exit {exit_code}\n", summary_words(summary, style))
}

fn summary_words(s: Summary, style: Style) -> String {
    let counts = counts_words(s, style);
    match s.suppressed {
        0 => counts,
        n => format!("{counts} · {n} suppressed"),
    }
}

fn counts_words(s: Summary, style: Style) -> String {
    if s.total() == 0 {
        return s.nothing_found();
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

/// `-q`: the findings alone, most severe first, under the input's name, and what was not
/// checked (the `skipped` lines, a package not read, code signatures not read: they qualify the
/// verdict); nothing for an input with neither.
pub(crate) fn render_findings_only(out: &mut String, outcome: &Outcome, style: Style) {
    let skipped = crate::report::not_checked(outcome);
    if outcome.findings.is_empty() && skipped.is_empty() {
        return;
    }
    let mut text = String::new();
    let _ = writeln!(text, "{}", style.bold(&esc(&outcome.input.name)));
    let mut findings: Vec<&Finding> = outcome.findings.iter().collect();
    // stable: the walk's order within each severity
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        render_finding(&mut text, f, style);
    }
    for skip in &skipped {
        let _ = writeln!(text, "{} {}", style.dim("skipped "), esc(skip));
    }
    if !skipped.is_empty() {
        let _ = writeln!(text);
    }
    out.push_str(&fit(&text, WIDTH));
}

pub(crate) fn render_outcome(out: &mut String, outcome: &Outcome, style: Style) {
    let mut text = String::new();
    render_sections(&mut text, outcome, style);
    out.push_str(&fit(&text, WIDTH));
}

/// The report of one input, cause first: the verdict, the input, what the symptom or the log
/// points at, the errors and warnings (each with its device message and fix), then the walk with
/// a one-line reference where each finding arose, the info findings, and what was not checked.
fn render_sections(out: &mut String, outcome: &Outcome, style: Style) {
    let input = &outcome.input;
    let facts = &input.facts;
    if input.kind == InputKind::Directory {
        if let Some(scan) = &facts.scan {
            render_scan(out, scan, style);
        }
        return;
    }
    let _ = writeln!(out, "{}", verdict_line(outcome, style));
    let name = style.bold(&esc(&input.name));
    let n = facts.links.len();
    let refused = |fetch: &Fetch| {
        fetch
            .last()
            .and_then(|e| e.error.as_ref())
            .is_some_and(NetError::is_refused)
    };
    let page_refused = facts.page.as_ref().and_then(|p| p.fetch.as_ref()).is_some_and(refused);
    let links = match n {
        // not "no links": the page was never asked for (the run's guard refused its address)
        0 if page_refused => "not fetched".to_string(),
        0 => "no itms-services links".to_string(),
        1 => "1 itms-services link".to_string(),
        n => format!("{n} itms-services links"),
    };
    let _ = match input.kind {
        InputKind::Link | InputKind::Url | InputKind::Directory => writeln!(out, "{name}\n"),
        InputKind::Page => writeln!(out, "{name} {}\n", style.dim(&format!("(page: {links})"))),
        InputKind::Manifest => writeln!(out, "{name} {}\n", style.dim("(manifest)")),
        InputKind::Package => writeln!(out, "{name} {}\n", style.dim("(package)")),
        InputKind::Profile => writeln!(out, "{name} {}\n", style.dim("(provisioning profile)")),
        InputKind::Evidence => writeln!(
            out,
            "{name} {}\n",
            style.dim(&format!(
                "(device evidence: {})",
                crate::report::evidence_summary(facts.evidence.as_ref())
            ))
        ),
    };
    if let Some(qr) = &facts.qr {
        // where the input was read: which code of which image
        let origin = format!("{} ({}×{} {})", qr.describe(), qr.width, qr.height, qr.format);
        let _ = writeln!(out, "{} {}\n", style.dim(&format!("  {:<9}", "from")), esc(&origin));
    }
    if facts.via == crate::facts::Via::Mdm {
        let _ = writeln!(
            out,
            "{} MDM InstallApplication (--via mdm): the manifest as the MDM agent fetches it; errors show in the MDM server's command result",
            style.dim("  path     ")
        );
    }
    render_triage(out, outcome, style);
    render_evidence(out, outcome, style);

    // the walk first, into its own text: it decides the order the findings are printed in
    let mut walk = String::new();
    let mut placed = Placed::new(outcome.findings.len());
    render_walk_sections(&mut walk, outcome, &mut placed, style);
    take(&outcome.findings, &mut placed, |_| true);

    let (first, last) = cause_order(outcome, &placed.order);
    for i in first {
        render_finding(out, &outcome.findings[i], style);
    }
    out.push_str(&walk);
    for i in last {
        render_finding(out, &outcome.findings[i], style);
    }
    for skipped in &facts.skipped {
        let _ = writeln!(out, "{} {}", style.dim("skipped "), esc(skipped));
    }
    if !facts.skipped.is_empty() {
        let _ = writeln!(out);
    }
}

/// The order the walk meets an outcome's findings (indices into `outcome.findings`): the order
/// the human report refers to them in, which the other reports follow too.
pub(crate) fn walk_order(outcome: &Outcome) -> Vec<usize> {
    let mut scratch = String::new();
    let mut placed = Placed::new(outcome.findings.len());
    let style = Style {
        color: false,
        verbose: false,
    };
    render_walk_sections(&mut scratch, outcome, &mut placed, style);
    take(&outcome.findings, &mut placed, |_| true);
    placed.order
}

/// Cause first: the findings a --symptom points at, then errors, then warnings, each in the
/// order the walk met them (`walk`, from `walk_order`); then the info findings in that order.
pub(crate) fn cause_order(outcome: &Outcome, walk: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let explains = outcome.triage.as_ref().map_or(0, |t| t.explained_by.len());
    let mut order: Vec<(usize, usize)> = walk.iter().copied().enumerate().map(|(at, i)| (i, at)).collect();
    order.sort_by_key(|&(i, at)| (i >= explains, std::cmp::Reverse(outcome.findings[i].severity), at));
    order
        .into_iter()
        .map(|(i, _)| i)
        .partition(|&i| i < explains || outcome.findings[i].severity > Severity::Info)
}

/// The verdict on one input, its first line: whether the install fails, may fail, or nothing
/// was found, with the counts; and when not everything the install needs was read, that too.
fn verdict_line(outcome: &Outcome, style: Style) -> String {
    let verdict = Verdict::of(outcome);
    let mark = verdict.mark();
    let mark = match verdict.kind {
        VerdictKind::Fails => style.paint(mark, |s| s.red().bold()),
        VerdictKind::MayFail => style.paint(mark, |s| s.yellow().bold()),
        VerdictKind::Unchecked => style.bold(mark),
        VerdictKind::Clean => style.paint(mark, |s| s.green().bold()),
    };
    format!("{mark} {}", verdict.words(esc))
}

/// The walk: the page, each link with its manifest, assets and package, the profile, the hosts;
/// a one-line reference where a finding arose.
fn render_walk_sections(out: &mut String, outcome: &Outcome, placed: &mut Placed, style: Style) {
    let input = &outcome.input;
    let facts = &input.facts;
    let n = facts.links.len();
    if let Some(fetch) = facts.page.as_ref().and_then(|p| p.fetch.as_ref()) {
        render_fetch(out, style, "page", fetch);
        if let Some(ipad) = facts.page.as_ref().and_then(|p| p.as_ipad.as_ref()) {
            // the same page as iPadOS Safari asks for it by default (a Mac's User-Agent)
            render_fetch(out, style, "as iPad", &ipad.fetch);
            let links = match ipad.links.len() {
                1 => "1 itms-services link".to_string(),
                n => format!("{n} itms-services links"),
            };
            // a page the run's guard refused has no links to count
            let refused = ipad
                .fetch
                .last()
                .and_then(|e| e.error.as_ref())
                .is_some_and(NetError::is_refused);
            if !refused {
                let _ = writeln!(
                    out,
                    "{} {}",
                    style.dim(&format!("  {:<9}", "")),
                    style.dim(&format!(
                        "{links} for iPadOS Safari's desktop-class User-Agent (a Mac's)"
                    ))
                );
            }
        }
        let _ = writeln!(out);
    }
    let several = input.kind == InputKind::Page;
    for (index, link) in facts.links.iter().enumerate() {
        if several {
            let place = link
                .location
                .as_ref()
                .map(|l| format!("line {}", l.line))
                .unwrap_or_default();
            let heading = format!("link {} of {} · {place} · {}", index + 1, n, link.context.describe());
            let _ = writeln!(out, "{}", style.bold(&esc(&heading)));
            let _ = writeln!(out, "  {:<9} {}", "text", esc(&link.text));
        }
        if !several
            && facts.root.is_some()
            && let Some(l) = &link.location
        {
            // a link found in a directory scan: where it is (a clean one has no finding to say so)
            let at = esc(&l.describe());
            let _ = writeln!(out, "{} {at}", style.dim(&format!("  {:<9}", "at")));
        }
        render_link_facts(out, link, style);
        let about_link = |f: &Finding| {
            f.subject.link == Some(index)
                && (f.subject.resource == Resource::Link
                    || (f.subject.resource == Resource::Manifest && f.rule.family == Family::Url))
        };
        let block = take(&outcome.findings, placed, about_link);
        if block.is_empty() {
            let _ = writeln!(out, "  {}", style.paint("✓ no problems in this link", |s| s.green()));
        }
        for finding in block {
            render_ref(out, finding, style);
        }
        let _ = writeln!(out);
        for walk in facts.walks.iter().filter(|w| w.link == Some(index)) {
            render_walk(out, outcome, placed, walk, style);
        }
    }
    for walk in facts.walks.iter().filter(|w| w.link.is_none()) {
        render_walk(out, outcome, placed, walk, style);
    }
    if let Some(profile) = &facts.profile {
        let _ = writeln!(out, "{} {}", style.dim("  profile  "), esc(&profile_line(profile)));
        if let Some(id) = &profile.application_identifier {
            let _ = writeln!(out, "{} {}", style.dim("  app id   "), esc(id));
        }
        for cert in &facts.profile_revocation {
            let _ = writeln!(out, "{} {}", style.dim("  ocsp     "), esc(&revocation_line(cert)));
        }
        render_not_asked(out, facts.profile_revocation_not_asked, style);
        render_device(out, outcome, style);
        let _ = writeln!(out);
    }
    if !facts.hosts.is_empty() {
        render_hosts(out, outcome, placed, style);
    }
}

/// A directory input: what the scan listed, checked and skipped, and that its links are not
/// followed without `--follow`.
fn render_scan(out: &mut String, scan: &crate::facts::ScanFacts, style: Style) {
    let root = esc(&scan.root);
    let files = plural(scan.files, "file", "files");
    if scan.checked == 0 {
        let _ = writeln!(
            out,
            "{} {}",
            style.bold(&format!("nothing to check in {root}:")),
            format_args!("{files} scanned, no itms-services link, manifest, package or profile in them")
        );
    } else {
        let _ = writeln!(
            out,
            "{} {}\n",
            style.bold(&root),
            style.dim(&format!(
                "(directory: {files} scanned · {} matched the byte search · {} checked, {})",
                scan.matched,
                scan.checked,
                plural(scan.inputs, "input", "inputs")
            ))
        );
    }
    for (i, skip) in scan.skipped.iter().enumerate() {
        let label = if i == 0 { "  skipped  " } else { "           " };
        let more = if skip.count > skip.examples.len() { ", …" } else { "" };
        let _ = writeln!(
            out,
            "{} {}: {}{more}",
            style.dim(label),
            skip.reason.describe(skip.count),
            esc(&skip.examples.join(", "))
        );
    }
    if scan.checked > 0 && !scan.follow && !scan.offline {
        let _ = writeln!(
            out,
            "{} the links found are checked offline and not followed: a repository holds templates and test \
             fixtures (--follow follows them)",
            style.dim("  network  ")
        );
    }
    let _ = writeln!(out);
}

/// "1 file", "3 files".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Which findings the walk has placed at one of its steps, and in which order: the order the
/// findings are printed in, cause first, before the walk.
struct Placed {
    shown: Vec<bool>,
    order: Vec<usize>,
}

impl Placed {
    fn new(n: usize) -> Placed {
        Placed {
            shown: vec![false; n],
            order: Vec::with_capacity(n),
        }
    }
}

/// The findings not placed yet that `pick` selects, worst first; marks them placed.
fn take<'a>(findings: &'a [Finding], placed: &mut Placed, pick: impl Fn(&Finding) -> bool) -> Vec<&'a Finding> {
    let mut picked: Vec<usize> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if !placed.shown[i] && pick(f) {
            placed.shown[i] = true;
            picked.push(i);
        }
    }
    picked.sort_by_key(|&i| std::cmp::Reverse(findings[i].severity));
    placed.order.extend(&picked);
    picked.into_iter().map(|i| &findings[i]).collect()
}

/// The chain as it was walked: manifest, then each asset, each with its findings under it.
fn render_walk(out: &mut String, outcome: &Outcome, shown: &mut Placed, walk: &WalkFacts, style: Style) {
    let same_walk = |f: &Finding| f.subject.link == walk.link;
    if let Some(fetch) = &walk.manifest {
        render_fetch(out, style, "manifest", fetch);
    }
    if let Some(doc) = &walk.document {
        let what = match (&doc.document, &doc.parse_error) {
            (Some(_), _) => format!("{} plist, {}", doc.format.as_str(), text::size(doc.bytes as u64)),
            (None, Some(e)) => format!("not read: {}", e.message),
            (None, None) => "not read".to_string(),
        };
        let _ = writeln!(
            out,
            "{} {}",
            style.dim(&format!(
                "  {:<9}",
                if walk.manifest.is_some() { "" } else { "manifest" }
            )),
            esc(&what)
        );
    }
    let manifest_findings = take(&outcome.findings, shown, |f| {
        same_walk(f) && f.subject.resource == Resource::Manifest && !f.evidence.contains_key("package")
    });
    // a package input has no manifest step
    if walk.manifest.is_some() || walk.document.is_some() || !manifest_findings.is_empty() {
        end_step(out, manifest_findings, style);
    }
    for asset in &walk.assets {
        let resource = if asset.kind == "software-package" {
            Resource::Package
        } else {
            Resource::Icon
        };
        let label = if resource == Resource::Package {
            "package"
        } else {
            "icon"
        };
        match (&asset.not_fetched, &asset.head, &asset.get) {
            (Some(why), _, _) => {
                let _ = writeln!(
                    out,
                    "{} {} {}",
                    style.dim(&format!("  {label:<9}")),
                    esc(&asset.url),
                    style.dim(&format!("(not fetched: {})", esc(why)))
                );
            }
            (None, head, get) => {
                if resource == Resource::Icon {
                    let _ = writeln!(out, "{} {}", style.dim(&format!("  {label:<9}")), esc(&asset.kind));
                }
                for fetch in head.iter().chain(get.iter()) {
                    render_fetch(out, style, if resource == Resource::Icon { "" } else { label }, fetch);
                }
                if let Some(png) = &asset.png {
                    let what = if png.is_png {
                        format!("PNG {}×{}", png.width, png.height)
                    } else {
                        "not a PNG".to_string()
                    };
                    let _ = writeln!(out, "{} {what}", style.dim("           "));
                }
            }
        }
        let url = asset.url.clone();
        let findings = take(&outcome.findings, shown, |f| {
            same_walk(f)
                && f.subject.resource == resource
                && (resource == Resource::Package || f.subject.target == url)
                && !matches!(f.rule.family, Family::Ipa | Family::App)
                && !f.evidence.contains_key("package")
        });
        end_step(out, findings, style);
    }
    render_package(out, outcome, shown, walk, style);
}

/// The package's contents: what the phone would install, and the findings about it.
fn render_package(out: &mut String, outcome: &Outcome, shown: &mut Placed, walk: &WalkFacts, style: Style) {
    let label = style.dim("  contents ");
    if let Some(why) = &walk.package_not_read {
        let _ = writeln!(out, "{label} {}", style.dim(&format!("not read: {}", esc(why))));
    }
    let Some(package) = &walk.package else {
        if walk.package_not_read.is_some() {
            end_step(out, Vec::new(), style);
        }
        return;
    };
    let line = match &package.error {
        Some(e) => format!("not read: {}", e.reason),
        None if package.streamed => format!(
            "{} {} · read whole in one request ({}): the server ignores Range",
            package.entries,
            if package.entries == 1 { "entry" } else { "entries" },
            text::size(package.bytes_read),
        ),
        None => format!(
            "{} {} · {} read of {} in {} request(s)",
            package.entries,
            if package.entries == 1 { "entry" } else { "entries" },
            text::size(package.bytes_read),
            text::size(package.bytes),
            package.requests
        ),
    };
    let _ = writeln!(out, "{label} {}", esc(&line));
    if let Some(deep) = &package.deep {
        let what = match &deep.error {
            Some(e) => format!("not checked: {e}"),
            None => {
                let checked: usize = deep.seals.iter().map(|s| s.checked).sum();
                let how = if deep.requests == 0 {
                    "read whole".to_string()
                } else {
                    format!("downloaded in {} request(s)", deep.requests)
                };
                format!(
                    "{how}, {} · SHA-256 {}… · {checked} sealed file(s) checked in {} bundle(s)",
                    text::size(deep.bytes),
                    &deep.sha256[..deep.sha256.len().min(16)],
                    deep.seals.len()
                )
            }
        };
        let _ = writeln!(out, "{} {}", style.dim("  deep     "), esc(&what));
    }
    for bundle in &package.bundles {
        let text = |k: &str| {
            bundle
                .info_plist
                .as_ref()
                .and_then(|p| p.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let mut parts = vec![bundle.path.clone()];
        if let Some(id) = text("CFBundleIdentifier") {
            parts.push(id);
        }
        match (text("CFBundleShortVersionString"), text("CFBundleVersion")) {
            (Some(v), Some(b)) => parts.push(format!("{v} ({b})")),
            (Some(v), None) | (None, Some(v)) => parts.push(v),
            _ => {}
        }
        if let Some(min) = text("MinimumOSVersion") {
            parts.push(format!("iOS {min}+"));
        }
        let families: Vec<&str> = bundle
            .info_plist
            .as_ref()
            .and_then(|p| p.get("UIDeviceFamily"))
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|f| match f.as_i64() {
                Some(1) => Some("iPhone"),
                Some(2) => Some("iPad"),
                _ => None,
            })
            .collect();
        if !families.is_empty() {
            parts.push(families.join(", "));
        }
        if let Some(e) = &bundle.info_plist_error {
            parts.push(e.clone());
        }
        let name = bundle.kind.as_str();
        let _ = writeln!(
            out,
            "{} {}",
            style.dim(&format!("  {name:<9}")),
            esc(&parts.join(" · "))
        );
    }
    for bundle in &package.bundles {
        if package.bundles.len() > 1 || bundle.profile.is_some() || bundle.profile_error.is_some() {
            let what = match (&bundle.profile, &bundle.profile_error) {
                (Some(p), _) => profile_line(p),
                (None, Some(e)) => format!("not read: {e}"),
                (None, None) => "none (no embedded.mobileprovision)".to_string(),
            };
            let owner = if package.bundles.len() > 1 {
                format!("{} · ", bundle.path.rsplit('/').next().unwrap_or(&bundle.path))
            } else {
                String::new()
            };
            let _ = writeln!(out, "{} {}", style.dim("  profile  "), esc(&format!("{owner}{what}")));
        }
    }
    render_code(out, package, style);
    for cert in &package.revocation {
        let _ = writeln!(out, "{} {}", style.dim("  ocsp     "), esc(&revocation_line(cert)));
    }
    render_not_asked(out, package.revocation_not_asked, style);
    render_device(out, outcome, style);
    let findings = take(&outcome.findings, shown, |f| {
        f.subject.link == walk.link
            && f.subject.resource == Resource::Package
            && matches!(f.rule.family, Family::Ipa | Family::App | Family::Sig)
            || (f.subject.link == walk.link && f.rule.family == Family::Man && f.evidence.contains_key("package"))
    });
    end_step(out, findings, style);
}

/// `--symptom`: what it matched, and the findings that explain it, first; or, when none does,
/// what to check on the phone.
/// Device evidence: each event, what its codes mean, and the findings that explain it.
fn render_evidence(out: &mut String, outcome: &Outcome, style: Style) {
    let Some(triage) = &outcome.evidence else { return };
    let label = style.dim("  device   ");
    let pad = "           ";
    if triage.events.is_empty() {
        let _ = writeln!(
            out,
            "{label} no install event in it: the log does not show an install attempt (appstored, itunesstored, installd), nor an error code\n"
        );
        return;
    }
    for event in &triage.events {
        let by = event
            .process
            .as_deref()
            .map(|p| format!(" · {}", esc(p)))
            .unwrap_or_default();
        let line = if outcome
            .input
            .facts
            .evidence
            .as_ref()
            .is_some_and(|e| e.format == crate::facts::EvidenceFormat::Code)
        {
            String::new()
        } else {
            format!("line {}{by} · ", event.line)
        };
        let _ = writeln!(out, "{label} {line}{}", event.summary);
        if outcome.input.kind == InputKind::Evidence && !line.is_empty() {
            let _ = writeln!(
                out,
                "{pad} {}",
                style.dim(&esc(&text::truncate_chars(&event.text, 160)))
            );
        }
        for code in &event.codes {
            let name = if code.name.is_empty() {
                String::new()
            } else {
                format!(" {}", code.name)
            };
            let _ = writeln!(out, "{pad} {}{name}: {}", code.code, esc(&code.meaning));
        }
        if !event.explained_by.is_empty() {
            let _ = writeln!(out, "{pad} explained by {}", event.explained_by.join(", "));
        } else if event.failure && !event.causes.is_empty() {
            let mut causes = event.causes.clone();
            let more = causes.len().saturating_sub(8);
            causes.truncate(8);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(out, "{pad} caused by {}{more}", causes.join(", "));
        }
        for note in &event.notes {
            let _ = writeln!(out, "{pad} {}", esc(note));
        }
    }
    if triage.unexplained > 0 {
        let n = triage.unexplained;
        let _ = writeln!(
            out,
            "{label} {}",
            style.bold(&format!(
                "{n} logged failure{} that no finding explains (see the notes above)",
                if n == 1 { "" } else { "s" }
            ))
        );
    }
    let _ = writeln!(out);
}

fn render_triage(out: &mut String, outcome: &Outcome, style: Style) {
    let Some(triage) = &outcome.triage else { return };
    let label = style.dim("  symptom  ");
    if triage.matched.is_empty() {
        let known: Vec<&str> = crate::symptom::Symptom::ALL.iter().map(|s| s.message()).collect();
        let _ = writeln!(
            out,
            "{label} \"{}\" is not a message otadoctor knows ({}); findings keep their order",
            esc(&triage.text),
            known.join("; ")
        );
        let _ = writeln!(out);
        return;
    }
    let named: Vec<&str> = triage.matched.iter().map(|s| s.message()).collect();
    if triage.explained_by.is_empty() {
        let _ = writeln!(
            out,
            "{label} {}: no finding explains it. Check on the phone:",
            esc(&named.join(" / "))
        );
        for check in &triage.check_on_device {
            let _ = writeln!(out, "            · {check}");
        }
        let _ = writeln!(out);
        return;
    }
    let _ = writeln!(out, "{label} {}: explained by", esc(&named.join(" / ")));
    for finding in outcome.findings.iter().take(triage.explained_by.len()) {
        let _ = writeln!(
            out,
            "            {} {}",
            style.severity(
                finding.severity,
                &format!(
                    "{}[{} {}]",
                    finding.severity.as_str(),
                    finding.rule.code,
                    finding.rule.name
                )
            ),
            esc(&finding.message)
        );
    }
    let _ = writeln!(out);
}

/// The `code` lines: each bundle's executable (architectures, minimum OS, encryption, what its
/// code signature holds), its frameworks and dylibs in one line, then what reading them cost and
/// what was not read, and why.
fn render_code(out: &mut String, package: &crate::facts::PackageFacts, style: Style) {
    use crate::facts::{MachORole, SignatureRead};
    let Some(reading) = &package.macho_reading else { return };
    let label = style.dim("  code     ");
    let more = style.dim("           ");
    for bundle in &package.bundles {
        let owner = bundle.path.rsplit('/').next().unwrap_or(&bundle.path);
        let mine: Vec<&crate::facts::MachOFacts> = package.machos.iter().filter(|m| m.bundle == bundle.path).collect();
        if let Some(main) = mine.iter().find(|m| m.role == MachORole::Main) {
            let _ = writeln!(out, "{label} {}", esc(&format!("{owner} · {}", macho_line(main))));
        }
        let nested: Vec<&&crate::facts::MachOFacts> = mine.iter().filter(|m| m.role != MachORole::Main).collect();
        if nested.is_empty() {
            continue;
        }
        let count = |role: MachORole, one: &str, many: &str| {
            let n = nested.iter().filter(|m| m.role == role).count();
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        };
        let kinds: Vec<String> = [
            count(MachORole::Framework, "framework", "frameworks"),
            count(MachORole::Dylib, "dylib", "dylibs"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let unreadable = nested.iter().filter(|m| m.error.is_some()).count();
        let unsigned = nested
            .iter()
            .filter(|m| m.error.is_none() && m.slices.iter().any(|s| s.commands_read && s.code_signature.is_none()))
            .count();
        let read = nested
            .iter()
            .filter(|m| m.signature_read == SignatureRead::Read)
            .count();
        let skipped = nested
            .iter()
            .filter(|m| matches!(m.signature_read, SignatureRead::Skipped(_)) && m.error.is_none())
            .count();
        let encrypted = nested.iter().filter(|m| m.slices.iter().any(|s| s.encrypted())).count();
        let mut archs: Vec<&str> = nested
            .iter()
            .flat_map(|m| m.slices.iter().map(|s| s.arch.as_str()))
            .collect();
        archs.sort_unstable();
        archs.dedup();
        let mut parts = vec![format!("{owner} · {}", kinds.join(", "))];
        if !archs.is_empty() {
            parts.push(archs.join(", "));
        }
        parts.push(match (unsigned, read, skipped) {
            (0, r, 0) if r == nested.len() - unreadable => "signatures read".to_string(),
            (0, _, _) => "LC_CODE_SIGNATURE in each".to_string(),
            (u, _, _) => format!("{u} without LC_CODE_SIGNATURE"),
        });
        if skipped > 0 {
            parts.push(format!("{skipped} signature(s) not read"));
        }
        if encrypted > 0 {
            parts.push(format!("{encrypted} FairPlay-encrypted"));
        }
        if unreadable > 0 {
            parts.push(format!("{unreadable} not read as Mach-O"));
        }
        let _ = writeln!(out, "{label} {}", esc(&parts.join(" · ")));
    }
    if package.machos.is_empty() {
        return;
    }
    let files = match package.machos.len() {
        1 => "1 Mach-O file".to_string(),
        n => format!("{n} Mach-O files"),
    };
    let requests = |n: u32| {
        if n == 1 {
            "1 request".to_string()
        } else {
            format!("{n} requests")
        }
    };
    let cost = if reading.header_requests == 0 && reading.signature_requests == 0 {
        format!("{files} · read with the entries already fetched, no more requests")
    } else {
        let mut cost = format!(
            "{files} · load commands {} in {}",
            text::size(reading.header_bytes),
            requests(reading.header_requests)
        );
        if reading.signature_requests > 0 {
            cost.push_str(&format!(
                " · signatures {} in {}",
                text::size(reading.signature_bytes),
                requests(reading.signature_requests)
            ));
        }
        cost
    };
    let _ = writeln!(out, "{more} {}", style.dim(&esc(&cost)));
    for skipped in &reading.skipped {
        let _ = writeln!(out, "{more} {}", style.dim(&esc(&format!("not read: {skipped}"))));
    }
}

/// One Mach-O in a line: file, architectures, platform and minimum OS, encryption, signature.
fn macho_line(m: &crate::facts::MachOFacts) -> String {
    use crate::facts::SignatureRead;
    let name = m.path.rsplit('/').next().unwrap_or(&m.path).to_string();
    if let Some(e) = &m.error {
        return format!("{name} · not read as a Mach-O: {e}");
    }
    let mut parts = vec![name];
    let archs: Vec<&str> = m.slices.iter().map(|s| s.arch.as_str()).collect();
    parts.push(if m.fat {
        format!("{} (fat)", archs.join(", "))
    } else {
        archs.join(", ")
    });
    if let Some(slice) = m.slices.iter().find(|s| s.platform.is_some()) {
        let mut what = match slice.platform.as_deref().unwrap_or_default() {
            "ios" => "iOS".to_string(),
            "ios-simulator" => "iOS Simulator".to_string(),
            "tvos" => "tvOS".to_string(),
            "watchos" => "watchOS".to_string(),
            "visionos" => "visionOS".to_string(),
            "macos" => "macOS".to_string(),
            "maccatalyst" => "Mac Catalyst".to_string(),
            other => other.to_string(),
        };
        if let Some(minos) = &slice.minos {
            what.push_str(&format!(" {minos}+"));
        }
        if let Some(sdk) = &slice.sdk {
            what.push_str(&format!(" (SDK {sdk})"));
        }
        parts.push(what);
    }
    let encrypted: Vec<String> = m
        .slices
        .iter()
        .filter_map(|s| s.encryption.filter(|e| e.cryptid != 0).map(|e| e.cryptid.to_string()))
        .collect();
    parts.push(if encrypted.is_empty() {
        "not encrypted".to_string()
    } else {
        format!("FairPlay-encrypted (cryptid {})", encrypted.join(", "))
    });
    let unsigned: Vec<&str> = m
        .slices
        .iter()
        .filter(|s| s.commands_read && s.code_signature.is_none())
        .map(|s| s.arch.as_str())
        .collect();
    parts.push(match &m.signature_read {
        _ if !unsigned.is_empty() && unsigned.len() == m.slices.len() => "no LC_CODE_SIGNATURE".to_string(),
        _ if !unsigned.is_empty() => format!("no LC_CODE_SIGNATURE in {}", unsigned.join(", ")),
        SignatureRead::Absent => "no LC_CODE_SIGNATURE".to_string(),
        SignatureRead::Skipped(why) => format!("signature not read: {why}"),
        SignatureRead::Read => m
            .slices
            .iter()
            .find_map(|s| s.signature.as_ref())
            .map_or_else(|| "signature not read".to_string(), signature_words),
    });
    parts.join(" · ")
}

/// What a code signature says, in words: "signature 4.2 KB: com.acme.field (sha1, sha256) · team
/// A1B2C3D4E5 · signed by "Apple Distribution: Acme (A1B2C3D4E5)" · 3 entitlements (XML, DER)".
fn signature_words(sig: &crate::codesign::CodeSignatureFacts) -> String {
    if let Some(e) = &sig.error {
        return format!("signature does not read: {e}");
    }
    let mut held = Vec::new();
    match sig.primary() {
        Some(cd) if cd.error.is_none() => {
            let hashes: Vec<&str> = sig.directories.iter().map(|d| d.hash.as_str()).collect();
            held.push(format!("{} ({})", cd.identifier, hashes.join(", ")));
            if let Some(team) = &cd.team_id {
                held.push(format!("team {team}"));
            }
        }
        Some(cd) => held.push(format!(
            "CodeDirectory does not read: {}",
            cd.error.as_deref().unwrap_or_default()
        )),
        None => held.push("no CodeDirectory".to_string()),
    }
    held.push(match &sig.cms {
        Some(cms) => match (&cms.signer, &cms.error) {
            (Some(signer), _) => format!("signed by \"{}\"", signer.subject),
            (None, Some(e)) => format!("CMS does not read: {e}"),
            (None, None) => "CMS without a signer".to_string(),
        },
        None if sig.adhoc() => "ad hoc (no certificate)".to_string(),
        None => "no CMS".to_string(),
    });
    let forms = match (&sig.entitlements, &sig.der_entitlements) {
        (Some(_), Some(_)) => Some("XML, DER"),
        (Some(_), None) => Some("XML only"),
        (None, Some(_)) => Some("DER only"),
        (None, None) => None,
    };
    if let Some(forms) = forms {
        let n = sig
            .effective_entitlements()
            .and_then(serde_json::Value::as_object)
            .map_or(0, serde_json::Map::len);
        held.push(format!("{n} entitlement{} ({forms})", if n == 1 { "" } else { "s" }));
    }
    format!("signature {}: {}", text::size(sig.bytes as u64), held.join(" · "))
}

/// A profile in one line: type, name, team, expiry, devices, signature.
fn profile_line(p: &crate::facts::ProfileFacts) -> String {
    if let Some(e) = &p.error {
        return format!("unreadable: {e}");
    }
    let mut parts = vec![p.kind.map_or("", ProfileKind::words).to_string()];
    if let Some(name) = &p.name {
        parts.push(format!("\"{name}\""));
    }
    if let Some(team) = p.team_identifier.first() {
        parts.push(format!("team {team}"));
    }
    if let Some(t) = p.expiration_date {
        parts.push(format!(
            "expires {:04}-{:02}-{:02}",
            t.year(),
            u8::from(t.month()),
            t.day()
        ));
    }
    parts.push(if p.provisions_all_devices {
        "all devices".to_string()
    } else {
        match p.provisioned_devices.len() {
            0 => "no devices".to_string(),
            1 => "1 device".to_string(),
            n => format!("{n} devices"),
        }
    });
    parts.push(
        match p.signature.verdict {
            SignatureVerdict::Apple => "signed by Apple",
            SignatureVerdict::ExtraAnchor => "signed under --profile-ca, not Apple",
            _ => "not signed by Apple",
        }
        .to_string(),
    );
    parts.join(" · ")
}

/// A signing certificate's OCSP status in one line: what it is, its name, what its responder
/// answered (or why nothing is known).
/// The signing certificates past the cap, not asked about: said, never left out silently.
fn render_not_asked(out: &mut String, not_asked: usize, style: Style) {
    if not_asked > 0 {
        let _ = writeln!(
            out,
            "{} {not_asked} more signing certificate(s) not checked for revocation: at most {} are asked about per package",
            style.dim("  ocsp     "),
            crate::facts::REVOCATION_CERTIFICATES_MAX
        );
    }
}

fn revocation_line(r: &crate::facts::RevocationFacts) -> String {
    use crate::facts::RevocationStatus;
    let roles: Vec<&str> = r.roles.iter().map(|role| role.words()).collect();
    let day = |t: time::OffsetDateTime| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
    let mut parts = vec![format!("{} \"{}\" (serial {})", roles.join(", "), r.subject, r.serial)];
    parts.push(match r.status {
        RevocationStatus::Good => "good".to_string(),
        RevocationStatus::Revoked => {
            let mut s = "revoked".to_string();
            if let Some(at) = r.revoked_at {
                s.push_str(&format!(" since {}", day(at)));
            }
            if let Some(reason) = &r.revocation_reason {
                s.push_str(&format!(" ({reason})"));
            }
            s.push_str(" ✗ SIG022");
            s
        }
        RevocationStatus::Unknown => "unknown to its responder".to_string(),
        RevocationStatus::NotChecked => match &r.problem {
            // its words say it all (the detail is for the JSON)
            Some(p) if p.kind == crate::facts::RevocationProblemKind::NoResponder => {
                format!("not checked: {}", p.kind.words())
            }
            Some(p) => format!("not checked: {} ({})", p.kind.words(), p.detail),
            None => "not checked".to_string(),
        },
    });
    if let Some(responder) = &r.responder {
        parts.push(responder.clone());
    }
    parts.join(" · ")
}

/// The `--udid` answer: yes or no, and why for each profile.
fn render_device(out: &mut String, outcome: &Outcome, style: Style) {
    let Some(answer) = &outcome.device else { return };
    let verdict = match answer.provisioned {
        Provisioned::Yes => style.paint("yes, its profiles list this device", |s| s.green()),
        Provisioned::No => style.paint("NO, not provisioned for this device", |s| s.red()),
        Provisioned::Unknown => "unknown".to_string(),
    };
    let _ = writeln!(out, "{} {} · {verdict}", style.dim("  device   "), esc(&answer.udid));
    for reason in &answer.reasons {
        let _ = writeln!(out, "{} {}", style.dim("           "), esc(reason));
    }
}

/// The end of a step of the walk: a reference to each finding it raised, then a blank line.
fn end_step(out: &mut String, findings: Vec<&Finding>, style: Style) {
    for finding in findings {
        render_ref(out, finding, style);
    }
    let _ = writeln!(out);
}

/// Where a finding arose in the walk: its code and name, and whether its text is above (errors
/// and warnings) or below (info).
fn render_ref(out: &mut String, f: &Finding, style: Style) {
    let (arrow, place) = if f.severity > Severity::Info {
        ("↑", "above")
    } else {
        ("↓", "below")
    };
    let head = format!("{}[{} {}]", f.severity.as_str(), f.rule.code, f.rule.name);
    let _ = writeln!(
        out,
        "  {} {} {}",
        style.dim(arrow),
        style.severity(f.severity, &head),
        style.dim(place)
    );
}

/// One line per exchange: method, status (or the error), type, size, time, TLS verdict.
fn render_fetch(out: &mut String, style: Style, label: &str, fetch: &Fetch) {
    for (i, e) in fetch.exchanges.iter().enumerate() {
        let mut parts = vec![format!("{} {}", e.method, e.url)];
        match (e.status, &e.error) {
            (Some(status), _) => {
                let mut what = status.to_string();
                if let Some(location) = e.header("location").filter(|_| (300..400).contains(&status)) {
                    what.push_str(&format!(" → {location}"));
                }
                if let Some(ct) = e.header("content-type") {
                    what.push_str(&format!(" {ct}"));
                }
                if e.method != "HEAD" {
                    what.push_str(&format!(" {}", text::size(e.body_bytes)));
                    if e.body_truncated {
                        what.push_str(" (read no further)");
                    }
                }
                parts.push(what);
            }
            // never sent: no answer to wait for, no time
            (None, Some(error)) if error.is_refused() => parts.push(error.to_string()),
            (None, Some(error)) => parts.push(format!("no answer: {error}")),
            (None, None) => {}
        }
        if let (Some(_), Some(error)) = (e.status, &e.error) {
            parts.push(error.to_string());
        }
        if !e.error.as_ref().is_some_and(NetError::is_refused) {
            parts.push(format!("{} ms", e.timing.total_ms));
        }
        match &e.tls_verdict {
            Some(ChainVerdict::Ok) => parts.push("TLS ✓".to_string()),
            Some(v) => parts.push(format!("TLS ✗ {v}")),
            None => {}
        }
        let name = if i == 0 { label } else { "" };
        let _ = writeln!(
            out,
            "{} {}",
            style.dim(&format!("  {name:<9}")),
            esc(&parts.join(" · "))
        );
        if style.verbose {
            render_exchange_details(out, style, e);
        }
    }
}

/// At most this many headers of a request or a response are shown by `-v` (the JSON has all).
const VERBOSE_HEADERS_MAX: usize = 40;

/// `-v`: what went over the wire for one exchange: the request's headers (`>`), the status and
/// response headers (`<`), the timings and the first bytes of the body.
fn render_exchange_details(out: &mut String, style: Style, e: &crate::facts::Exchange) {
    let pad = "           ";
    let line = |out: &mut String, mark: &str, text: &str| {
        let _ = writeln!(
            out,
            "{pad} {} {}",
            style.dim(mark),
            esc(&text::truncate_chars(text, 300))
        );
    };
    let mut sent = vec![("user-agent".to_string(), e.user_agent.clone())];
    sent.extend(e.request_headers.iter().cloned());
    for (name, value) in sent.iter().take(VERBOSE_HEADERS_MAX) {
        line(out, ">", &format!("{name}: {value}"));
    }
    if let Some(status) = e.status {
        let version = e.http_version.as_deref().unwrap_or("HTTP");
        line(out, "<", &format!("{version} {status}"));
        for (name, value) in e.headers.iter().take(VERBOSE_HEADERS_MAX) {
            line(out, "<", &format!("{name}: {value}"));
        }
        if e.headers.len() > VERBOSE_HEADERS_MAX {
            line(
                out,
                "<",
                &format!(
                    "… {} more headers (--format json has them all)",
                    e.headers.len() - VERBOSE_HEADERS_MAX
                ),
            );
        }
    }
    let mut timing = Vec::new();
    if let Some(ms) = e.timing.first_byte_ms {
        timing.push(format!("first byte {ms} ms"));
    }
    timing.push(format!("total {} ms", e.timing.total_ms));
    if e.status.is_some() && e.method != "HEAD" {
        let mut body = format!("body {} (cap {})", text::size(e.body_bytes), text::size(e.body_cap));
        if e.body_truncated {
            body.push_str(", read no further");
        }
        if let (Some(encoding), Some(wire)) = (&e.decoded, e.encoded_bytes) {
            body.push_str(&format!(", {encoding} {} on the wire", text::size(wire)));
        }
        if e.closed_without_close_notify {
            body.push_str(", ended without TLS close_notify");
        }
        timing.push(body);
    }
    line(out, "time", &timing.join(" · "));
    if !e.body_head.is_empty() {
        line(
            out,
            "body",
            &format!("starts {:?}", text::truncate_chars(&e.body_head, 120)),
        );
    }
}

/// Each host: how it resolved, its TCP and TLS, the chain as served, and its TLS findings.
fn render_hosts(out: &mut String, outcome: &Outcome, shown: &mut Placed, style: Style) {
    for host in &outcome.input.facts.hosts {
        let target = format!("{}:{}", host.host, host.port);
        let mut parts = vec![target.clone()];
        if let Some(proxy) = &host.proxy {
            parts.push(format!("via proxy {}", proxy.url));
        }
        let via = match host.dns.source {
            DnsSource::ResolveOption => " (--resolve)",
            DnsSource::DnsServer => " (--dns-server)",
            DnsSource::System | DnsSource::IpLiteral | DnsSource::Proxy => "",
        };
        match &host.dns.error {
            Some(e) => parts.push(format!("DNS: {e}")),
            None if host.dns.source == DnsSource::Proxy => {
                parts.push(if host.proxy.as_ref().is_some_and(|p| p.resolve_not_used) {
                    "name resolved by the proxy (--resolve not used for it)".to_string()
                } else {
                    "name resolved by the proxy".to_string()
                })
            }
            None => parts.push(format!("→ {}{via}", host.dns.addresses.join(", "))),
        }
        if !host.dns.refused.is_empty() {
            parts.push(format!(
                "not connected to {}: refused by this server",
                host.dns.refused.join(", ")
            ));
        }
        if let Some(probe) = &host.probe {
            if let Some(ms) = probe.connect_ms {
                parts.push(format!("connect {ms} ms"));
            }
            if let Some(ms) = probe.tunnel_ms {
                parts.push(format!("CONNECT 200 {ms} ms"));
            }
            if let Some(ms) = probe.tls_ms {
                parts.push(format!("TLS {ms} ms"));
            }
            if let Some(tls) = &probe.tls {
                if let Some(version) = &tls.version {
                    parts.push(version.clone());
                }
                parts.push(if tls.accepted() {
                    format!("chain ✓ ({} root)", tls.anchored_by.as_str())
                } else {
                    format!("chain ✗ {}", tls.verdict)
                });
            }
            if let Some(error) = &probe.error {
                parts.push(error.to_string());
            }
        }
        parts.push(format!("serves {}", crate::text::and_list(&host.resources)));
        let _ = writeln!(out, "{} {}", style.dim("  host     "), esc(&parts.join(" · ")));
        let chain = host
            .probe
            .as_ref()
            .and_then(|p| p.tls.as_ref())
            .map(|t| t.chain_der_hex.as_slice())
            .unwrap_or_default();
        for (i, der) in chain.iter().enumerate() {
            let summary = decode_hex(der)
                .and_then(|d| crate::x509::parse(&d))
                .map_or_else(|| "(not a certificate x509 can read)".to_string(), |c| c.summary());
            let _ = writeln!(out, "{} {}", style.dim(&format!("  cert {i:<4}")), esc(&summary));
        }
        let findings = take(&outcome.findings, shown, |f| {
            f.rule.family == Family::Tls && f.subject.target == target
        });
        end_step(out, findings, style);
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
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
    for value in &link.values {
        let requirement = crate::link::value_requirement(link, value);
        let _ = writeln!(
            out,
            "{} {} — {}",
            label("value"),
            esc(&value.expression),
            esc(&requirement)
        );
    }
    if link.dynamic && link.values.is_empty() {
        let _ = writeln!(
            out,
            "{} the script builds the rest of this link at run time; only its fixed part was checked",
            label("note")
        );
    } else if link.dynamic {
        let _ = writeln!(
            out,
            "{} a template fills in these values at run time; the fixed parts were checked",
            label("note")
        );
    }
}

fn render_finding(out: &mut String, f: &Finding, style: Style) {
    let head = format!("{}[{} {}]", f.severity.as_str(), f.rule.code, f.rule.name);
    let _ = writeln!(out, "{} {}", style.severity(f.severity, &head), esc(&f.message));
    if let Some(h) = &f.highlight {
        let bar = style.dim("  │");
        let text = esc(&h.text);
        let start = escaped_width(&h.text, h.start);
        let end = escaped_width(&h.text, h.end).max(start + 1);
        let (shown, start, end) = window(&text, start, end, WIDTH - 4);
        let _ = writeln!(out, "{bar} {shown}");
        let carets = style.severity(f.severity, &"^".repeat(end - start));
        let label = esc(&h.label);
        let room = WIDTH - 4;
        let label_width = label.chars().count();
        if end + 1 + label_width <= room {
            let _ = writeln!(out, "{bar} {}{carets} {label}", " ".repeat(start));
        } else {
            // the label on a line of its own, under the mark as far as it fits
            let _ = writeln!(out, "{bar} {}{carets}", " ".repeat(start));
            let pad = start.min(room.saturating_sub(label_width));
            let _ = writeln!(out, "{bar} {}{label}", " ".repeat(pad));
        }
    }
    if let Some(loc) = &f.location {
        field(out, style, "at", &esc(&loc.describe()));
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

/// The part of an (escaped) highlighted text that fits in `width` columns and shows the
/// columns `start..end`, with "…" where it was cut; and where `start..end` now are.
fn window(text: &str, start: usize, end: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    let start = start.min(len);
    let end = end.clamp(start + 1, len.max(start + 1));
    if len <= width || width < 8 {
        return (text.to_string(), start, end);
    }
    // the text's start when the mark is in it (the scheme and host read best); else a quarter
    // of the room the mark leaves goes before it
    let context = (width.saturating_sub(end - start) / 4).max(1);
    let mut from = if end < width { 0 } else { start.saturating_sub(context) };
    let mut to = from + width;
    if to > len {
        to = len;
        from = len - width;
    }
    let mut shown = String::with_capacity(width * 2);
    for (at, c) in chars.iter().enumerate().take(to).skip(from) {
        let cut = (at == from && from > 0) || (at + 1 == to && to < len);
        shown.push(if cut { '…' } else { *c });
    }
    let new_start = start - from;
    let new_end = (end.min(to) - from).max(new_start + 1);
    (shown, new_start, new_end)
}

/// Fits a rendered report in `width` columns: a longer line is wrapped at its spaces, its
/// continuation lines under the line's value (after a `label  ` column, or two spaces in); a
/// highlighted text (`  │`) is left alone (it was cut to fit when rendered). Colour codes take no
/// columns. A word longer than the room is never broken (a URL must stay whole).
pub(crate) fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if columns(body) <= width || strip_ansi(body).starts_with("  │") {
            out.push_str(line);
            continue;
        }
        let indent = hanging_indent(&strip_ansi(body));
        wrap_line(&mut out, body, indent, width);
        out.push_str(newline);
    }
    out
}

/// Wraps one line: its " · "-separated parts are kept whole on a line where they fit (the dot
/// ends a line, never starts one); a part too long for any line is wrapped at its spaces.
fn wrap_line(out: &mut String, body: &str, indent: usize, width: usize) {
    let mut used = 0;
    let mut started = false;
    let parts: Vec<&str> = body.split(" · ").collect();
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let sep = if i < last { " ·" } else { "" };
        let w = columns(part) + columns(sep);
        if started {
            let stay = used + 1 + w <= width;
            space_or_break(out, &mut used, stay, indent);
        }
        started = true;
        if used + w <= width {
            out.push_str(part);
            out.push_str(sep);
            used += w;
            continue;
        }
        // too long for the rest of this line: by its words
        for (j, word) in part.split(' ').enumerate() {
            let ww = columns(word);
            if j > 0 {
                // a word too long for any line stays where it is: a new line would not help
                let stay = used + 1 + ww <= width || used <= indent || indent + ww > width;
                space_or_break(out, &mut used, stay, indent);
            }
            out.push_str(word);
            used += ww;
        }
        out.push_str(sep);
        used += columns(sep);
    }
}

/// A space before the next word when it stays on the line, else a line break and the indent.
fn space_or_break(out: &mut String, used: &mut usize, stay: bool, indent: usize) {
    if stay {
        out.push(' ');
        *used += 1;
    } else {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        *used = indent;
    }
}

/// Where a wrapped line's continuation starts: under the value of a `  label   value` line
/// (a label of at most 10 columns ended by two spaces or more), else two columns in from the
/// line's own indent.
fn hanging_indent(line: &str) -> usize {
    let lead = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[lead..];
    if let Some(gap) = rest.find("  ")
        && gap > 0
        && gap <= 10
    {
        let after = rest[gap..].len() - rest[gap..].trim_start_matches(' ').len();
        let at = lead + gap + after;
        if at <= 16 {
            return at;
        }
    }
    // a continuation line of a value already sits under it
    if lead >= 10 { lead } else { lead + 2 }
}

/// Columns a rendered line takes: one per char, colour codes none.
fn columns(s: &str) -> usize {
    strip_ansi(s).chars().count()
}

/// The text without its colour codes (ESC [ … m: only the report's own; an input's escape
/// characters were escaped before they got here).
fn strip_ansi(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
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

#[cfg(test)]
mod quiet_tests {
    use super::*;
    use crate::facts::{Facts, Input, MachOReading, PackageFacts};

    #[test]
    fn quiet_says_what_was_not_read_even_without_findings() {
        let package = PackageFacts {
            source: "Field.ipa".into(),
            macho_reading: Some(MachOReading {
                skipped: vec!["Payload/Field.app/Field: its signature (80 MiB compressed) is past the 64 MiB cap; --deep reads it".into()],
                ..MachOReading::default()
            }),
            ..PackageFacts::default()
        };
        let outcome = Outcome {
            input: Input {
                name: "Field.ipa".into(),
                kind: InputKind::Package,
                file: Some("Field.ipa".into()),
                facts: Facts {
                    walks: vec![WalkFacts {
                        package: Some(package),
                        package_not_read: None,
                        ..WalkFacts::default()
                    }],
                    ..Facts::default()
                },
            },
            findings: Vec::new(),
            device: None,
            triage: None,
            evidence: None,
            suppressed: Vec::new(),
        };
        let mut out = String::new();
        render_findings_only(
            &mut out,
            &outcome,
            Style {
                color: false,
                verbose: false,
            },
        );
        // the line wraps at 100 columns, under its value
        assert_eq!(
            out,
            "Field.ipa\nskipped  Payload/Field.app/Field: its signature (80 MiB compressed) is past the 64 MiB cap; --deep\n         reads it\n\n"
        );
        // nothing unread, nothing found: nothing printed (the summary line follows)
        let mut clean = outcome.clone();
        clean.input.facts.walks.clear();
        let mut out = String::new();
        render_findings_only(
            &mut out,
            &clean,
            Style {
                color: false,
                verbose: false,
            },
        );
        assert_eq!(out, "");
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn a_window_keeps_the_marked_columns_under_the_carets() {
        let text: String = (0..300).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        for width in [20, 40, 96] {
            for start in (0..300).step_by(7) {
                for len in [1, 5, 30, 150] {
                    let end = (start + len).min(300);
                    let (shown, s, e) = window(&text, start, end, width);
                    let chars: Vec<char> = shown.chars().collect();
                    assert!(chars.len() <= width, "{width} {start} {len}: {shown}");
                    // every marked column that is shown is the text's own char, not a cut mark
                    for (k, at) in (s..e).enumerate() {
                        if chars.get(at) == Some(&'…') {
                            continue;
                        }
                        assert_eq!(
                            chars.get(at),
                            text.chars().nth(start + k).as_ref(),
                            "{width} {start} {len}"
                        );
                    }
                    assert!(e > s);
                }
            }
        }
    }

    #[test]
    fn a_short_text_is_shown_whole() {
        assert_eq!(window("abc", 1, 2, 96), ("abc".to_string(), 1, 2));
    }

    #[test]
    fn fit_wraps_at_spaces_under_the_value_and_never_breaks_a_word() {
        let url = format!("https://ota.example.com/{}", "x".repeat(120));
        let line =
            format!("  manifest  GET {url} · 200 text/xml 1.1 KB · 14 ms · TLS ✓ · and then some more words to wrap\n");
        let out = fit(&line, 100);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 2, "{out}");
        assert!(lines[0].contains(&url), "the URL stays whole: {out}");
        for l in &lines[1..] {
            assert!(
                l.starts_with("            ") && !l.starts_with("             "),
                "{l:?}"
            );
            assert!(l.chars().count() <= 100, "{l:?}");
            assert!(!l.trim_start().starts_with('·'), "{l:?}");
        }
        // the words are the same, in the same order
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&out), words(&line));
    }

    #[test]
    fn fit_leaves_short_lines_and_highlights_alone_and_ignores_colour_codes() {
        let short = "  device  tapping the link does nothing\n";
        assert_eq!(fit(short, 100), short);
        let highlight = format!("  │ {}\n", "y ".repeat(80));
        assert_eq!(fit(&highlight, 100), highlight);
        // 95 visible columns, but long with colour codes: not wrapped
        let coloured = format!("\u{1b}[1;31m{}\u{1b}[0m\n", "z ".repeat(47));
        assert_eq!(fit(&coloured, 100), coloured);
    }

    #[test]
    fn a_finding_head_wraps_two_columns_in() {
        let line = format!("error[URL001 url-not-https] {}\n", "word ".repeat(30));
        let out = fit(&line, 100);
        for l in out.lines().skip(1) {
            assert!(l.starts_with("  w"), "{l:?}");
        }
    }
}
