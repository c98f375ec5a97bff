//! Reports: render findings and facts. Nothing here decides what is wrong.

pub mod ci;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use serde::Serialize;

use crate::facts::Input;
use crate::finding::Finding;
use crate::severity::Severity;

/// One input with its findings, ready to render.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub input: Input,
    pub findings: Vec<Finding>,
    /// With `--udid`: whether the package's profiles let that device install it.
    pub device: Option<crate::finding::DeviceAnswer>,
    /// With `--symptom`: what it matched and which findings explain it (they come first).
    pub triage: Option<crate::symptom::Triage>,
    /// Device evidence: each event, and the findings that explain it.
    pub evidence: Option<crate::symptom::EvidenceTriage>,
    /// Findings an `otadoctor: ignore[…]` comment or a per-path ignore suppressed: reported
    /// (JSON, SARIF) and counted as suppressed, never for the exit code.
    pub suppressed: Vec<crate::finding::Suppressed>,
}

/// "appstored log, 3 install events", "error code 0xe8008015 (-402620395)".
pub fn evidence_summary(evidence: Option<&crate::facts::EvidenceFacts>) -> String {
    use crate::facts::EvidenceFormat;
    let Some(e) = evidence else {
        return "no install events".to_string();
    };
    if e.format == EvidenceFormat::Code {
        return match e.events.first().and_then(|ev| ev.codes.first()) {
            Some(code) => format!("error code {}", code.display()),
            None => "an error code".to_string(),
        };
    }
    let format = match e.format {
        EvidenceFormat::Console => "Console log",
        EvidenceFormat::LogShow => "log show / sysdiagnose log",
        EvidenceFormat::Syslog => "syslog (idevicesyslog)",
        EvidenceFormat::Ideviceinstaller => "ideviceinstaller output",
        EvidenceFormat::IosDeploy => "ios-deploy output",
        EvidenceFormat::Xcode => "Xcode message",
        EvidenceFormat::Code | EvidenceFormat::Text => "text",
    };
    let n = e.events.len();
    format!(
        "{format}, {} line{}, {n} install event{}",
        e.lines,
        if e.lines == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" }
    )
}

/// The verdict on one input, the first thing its report says: whether the install fails, may
/// fail, or nothing was found, and what was not checked. The human and HTML reports both write
/// it from here, so they cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
    /// Device evidence: the install failed (past tense), rather than fails.
    pub evidence: bool,
    /// What was not read or judged (they qualify the verdict), as the input gave it: unescaped.
    pub not_checked: Vec<String>,
}

/// How an install fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictKind {
    /// An error: the install fails.
    Fails,
    /// Warnings only: it can fail on some devices or later.
    MayFail,
    /// Nothing wrong in what was checked, but not everything was.
    Unchecked,
    /// No problems found.
    Clean,
}

impl Verdict {
    pub fn of(outcome: &Outcome) -> Verdict {
        let count = |s: Severity| outcome.findings.iter().filter(|f| f.severity == s).count();
        let (errors, warnings, info) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
        let not_checked = not_checked(outcome);
        let kind = if errors > 0 {
            VerdictKind::Fails
        } else if warnings > 0 {
            VerdictKind::MayFail
        } else if !not_checked.is_empty() {
            VerdictKind::Unchecked
        } else {
            VerdictKind::Clean
        };
        Verdict {
            kind,
            errors,
            warnings,
            info,
            evidence: outcome.input.kind == crate::facts::InputKind::Evidence,
            not_checked,
        }
    }

    /// "✗", "!", "?" or "✓".
    pub fn mark(&self) -> &'static str {
        match self.kind {
            VerdictKind::Fails => "✗",
            VerdictKind::MayFail => "!",
            VerdictKind::Unchecked => "?",
            VerdictKind::Clean => "✓",
        }
    }

    /// "1 error, 2 warnings".
    pub fn counts(&self) -> String {
        let mut counts = Vec::new();
        for (n, one, many) in [
            (self.errors, "error", "errors"),
            (self.warnings, "warning", "warnings"),
            (self.info, "info", "info"),
        ] {
            if n > 0 {
                counts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        counts.join(", ")
    }

    /// The verdict after its mark: "the install fails: 1 error · not checked: …"; `escape`
    /// makes the not-checked text (from the input) safe for the report's medium.
    pub fn words(&self, escape: impl Fn(&str) -> String) -> String {
        let counts = self.counts();
        let partly = match self.not_checked.as_slice() {
            [] => String::new(),
            [one] => format!(" · not checked: {}", escape(one)),
            [first, rest @ ..] => format!(" · not checked: {} (and {} more)", escape(first), rest.len()),
        };
        let info = if self.info > 0 {
            format!(" ({counts})")
        } else {
            String::new()
        };
        match self.kind {
            VerdictKind::Fails if self.evidence => format!("the install failed: {counts}{partly}"),
            VerdictKind::Fails => format!("the install fails: {counts}{partly}"),
            VerdictKind::MayFail => format!("the install can fail on some devices or later: {counts}{partly}"),
            VerdictKind::Unchecked => format!("no problem in what was checked{info}{partly}"),
            VerdictKind::Clean => format!("no problems found{info}"),
        }
    }
}

/// What was not read or judged: the `skipped` lines, each request the run's guard refused, a
/// package not read, code signatures not read. They qualify the verdict.
pub(crate) fn not_checked(outcome: &Outcome) -> Vec<String> {
    let facts = &outcome.input.facts;
    let mut skipped: Vec<String> = facts.skipped.clone();
    skipped.extend(refused(facts));
    for walk in &facts.walks {
        if let Some(why) = &walk.package_not_read {
            skipped.push(format!("the package's contents ({why})"));
        }
        let reading = walk.package.as_ref().and_then(|p| p.macho_reading.as_ref());
        skipped.extend(reading.into_iter().flat_map(|r| r.skipped.iter().cloned()));
    }
    skipped
}

/// Each request the run's guard (`otadoctor serve`) refused to send, in the walk's order:
/// "the manifest at URL: not fetched: 10.1.2.3 is a private address; …", once per URL (the
/// same URL asked again to compare, as a browser or an iPad asks, is not said twice). Unescaped.
pub(crate) fn refused(facts: &crate::facts::Facts) -> Vec<String> {
    let mut said: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for step in chain_steps(facts) {
        let ChainStep::Exchange(step, exchange) = step else {
            continue;
        };
        let Some(error) = exchange.error.as_ref().filter(|e| e.is_refused()) else {
            continue;
        };
        if said.contains(&exchange.url.as_str()) {
            continue;
        }
        said.push(&exchange.url);
        out.push(format!("the {step} at {}: {error}", exchange.url));
    }
    out
}

/// One request of the walk, or an asset that was not fetched, under the name of its step
/// ("page", "link 2 manifest", "package", "icon (display-image)").
pub(crate) enum ChainStep<'a> {
    Exchange(String, &'a crate::facts::Exchange),
    NotFetched(String, &'a crate::facts::AssetFetch),
}

/// The requests of the walk in the order they were made: the page (and as an iPad asks for it),
/// then per link its manifest (and as a browser or the installer asks for it), the package (HEAD,
/// GET, then the Range requests that read it), the icons and the OCSP requests; then a
/// profile's OCSP requests. The Markdown table and the HTML timeline list these.
pub(crate) fn chain_steps(facts: &crate::facts::Facts) -> Vec<ChainStep<'_>> {
    let mut steps = Vec::new();
    fn fetch<'a>(steps: &mut Vec<ChainStep<'a>>, step: &str, fetch: Option<&'a crate::facts::Fetch>) {
        for exchange in fetch.into_iter().flat_map(|f| &f.exchanges) {
            steps.push(ChainStep::Exchange(step.to_string(), exchange));
        }
    }
    fetch(&mut steps, "page", facts.page.as_ref().and_then(|p| p.fetch.as_ref()));
    let ipad = facts.page.as_ref().and_then(|p| p.as_ipad.as_ref()).map(|i| &i.fetch);
    fetch(&mut steps, "page (as an iPad)", ipad);
    let several = facts.links.len() > 1;
    for walk in &facts.walks {
        let prefix = match walk.link {
            Some(i) if several => format!("link {} ", i + 1),
            _ => String::new(),
        };
        fetch(&mut steps, &format!("{prefix}manifest"), walk.manifest.as_ref());
        fetch(
            &mut steps,
            &format!("{prefix}manifest (as a browser)"),
            walk.manifest_as_browser.as_ref(),
        );
        fetch(
            &mut steps,
            &format!("{prefix}manifest (as the installer)"),
            walk.manifest_as_installer.as_ref(),
        );
        for asset in &walk.assets {
            let step = if asset.kind == "software-package" {
                format!("{prefix}package")
            } else {
                format!("{prefix}icon ({})", crate::text::escape_for_terminal(&asset.kind))
            };
            if asset.not_fetched.is_some() {
                steps.push(ChainStep::NotFetched(step, asset));
                continue;
            }
            fetch(&mut steps, &step, asset.head.as_ref());
            fetch(&mut steps, &step, asset.get.as_ref());
        }
        if let Some(package) = &walk.package {
            for exchange in &package.range_reads {
                steps.push(ChainStep::Exchange(format!("{prefix}package (range)"), exchange));
            }
            for revocation in &package.revocation {
                fetch(&mut steps, &format!("{prefix}OCSP"), revocation.fetch.as_ref());
            }
        }
    }
    for revocation in &facts.profile_revocation {
        fetch(&mut steps, "OCSP", revocation.fetch.as_ref());
    }
    steps
}

/// What a request without a status says: "no answer: …", or, for a request the run's guard
/// refused, why it was not sent ("not fetched: …"): it was never sent, so it waited for nothing.
pub(crate) fn without_answer(error: &crate::facts::NetError) -> String {
    if error.is_refused() {
        error.to_string()
    } else {
        format!("no answer: {error}")
    }
}

/// A request's time column: "35 ms", nothing for a request the run's guard refused (not sent).
pub(crate) fn time_taken(e: &crate::facts::Exchange) -> String {
    if e.error.as_ref().is_some_and(crate::facts::NetError::is_refused) {
        String::new()
    } else {
        format!("{} ms", e.timing.total_ms)
    }
}

/// A request's size column: the body read ("412 MB", "(read no further)" when cut), nothing
/// for a HEAD or a request without an answer.
pub(crate) fn body_size(e: &crate::facts::Exchange) -> String {
    match (e.status, e.method.as_str()) {
        (None, _) | (_, "HEAD") => String::new(),
        _ if e.body_truncated => format!("{} (read no further)", crate::text::size(e.body_bytes)),
        _ => crate::text::size(e.body_bytes),
    }
}

/// A request's TLS column: ✓, ✗ and the reason (`escape`d for the report), or — for http.
pub(crate) fn tls_mark(e: &crate::facts::Exchange, escape: impl Fn(&str) -> String) -> String {
    match &e.tls_verdict {
        Some(crate::facts::ChainVerdict::Ok) => "✓".to_string(),
        Some(crate::facts::ChainVerdict::Refused(reason)) => format!("✗ {}", escape(reason)),
        None => "—".to_string(),
    }
}

/// How many findings of each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    /// Findings suppressed (not in the counts above; written when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// Inputs not checked in full (their verdict says what was not): with no finding, the
    /// closing line says "no problem in what was checked", never "no problems found". Not in
    /// the JSON summary, whose inputs each carry what was skipped.
    #[serde(skip)]
    pub unchecked: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }

    pub fn total(self) -> usize {
        self.error + self.warning + self.info
    }

    /// What a run without findings found: "no problems found" only when every input was
    /// checked in full.
    pub fn nothing_found(self) -> String {
        match self.unchecked {
            0 => "no problems found".to_string(),
            1 => "no problem in what was checked · 1 input not checked in full".to_string(),
            n => format!("no problem in what was checked · {n} inputs not checked in full"),
        }
    }

    /// "2 errors · 1 warning", or "no problems found" (or, when an input was not checked in
    /// full, "no problem in what was checked · 1 input not checked in full"), as the human
    /// output writes it (uncoloured), then "· 3 suppressed" when findings were.
    pub fn words(self) -> String {
        let suppressed = if self.suppressed > 0 {
            format!(" · {} suppressed", self.suppressed)
        } else {
            String::new()
        };
        if self.total() == 0 {
            return format!("{}{suppressed}", self.nothing_found());
        }
        let counts = [
            (self.error, "error", "errors"),
            (self.warning, "warning", "warnings"),
            (self.info, "info", "info"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect::<Vec<_>>()
        .join(" · ");
        counts + &suppressed
    }
}

/// The format a `Stream` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `quiet`: only the findings, under the name of the input they are about, and the summary.
    Human {
        color: bool,
        quiet: bool,
        /// `-v`: each exchange's headers, timings and first body bytes.
        verbose: bool,
    },
    Json,
    Sarif,
    Github,
    Markdown,
    /// GitLab Code Quality (a JSON array of issues).
    Gitlab,
    /// JUnit XML.
    Junit,
    /// One self-contained HTML document.
    Html,
}

/// Why a report could not be written.
#[derive(Debug)]
pub enum StreamError {
    /// The format cannot represent the run (SARIF without a file to point at).
    Report(String),
    Write(std::io::Error),
}

impl From<std::io::Error> for StreamError {
    fn from(e: std::io::Error) -> StreamError {
        StreamError::Write(e)
    }
}

/// Where otadoctor's documentation is published: the crate's page on docs.rs.
pub const DOCS_URL: &str = "https://docs.rs/otadoctor";

/// Where each rule's doc is read by default (`--rule-docs-url`): the published crate's
/// `rules/<CODE>-<name>.md`, as docs.rs serves the sources of this version.
pub const DEFAULT_RULE_DOCS: &str = concat!(
    "https://docs.rs/crate/otadoctor/",
    env!("CARGO_PKG_VERSION"),
    "/source/rules/{file}"
);

/// A rule's doc URL from a template: `{code}`, `{name}` and `{file}` (`LNK006`,
/// `html-entity-in-link`, `LNK006-html-entity-in-link.md`) are replaced; a template with none of
/// them is a folder the file name is appended to.
pub fn rule_url(template: &str, rule: &crate::registry::Rule) -> String {
    if ["{code}", "{name}", "{file}"].iter().any(|p| template.contains(p)) {
        template
            .replace("{code}", rule.code)
            .replace("{name}", rule.name)
            .replace("{file}", &rule.doc_file())
    } else if template.ends_with('/') {
        format!("{template}{}", rule.doc_file())
    } else {
        format!("{template}/{}", rule.doc_file())
    }
}

/// A finding's identity from run to run, for CI systems that track alerts (SARIF's
/// `partialFingerprints`, GitLab's `fingerprint`): the rule, the file and line it points at, its
/// subject and its message, hashed (SHA-256, first 16 bytes in hex).
pub fn fingerprint(finding: &Finding, path: &str, line: usize) -> String {
    let print = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        finding.rule.code, path, line, finding.subject.target, finding.message
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, print.as_bytes());
    digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The most of the anchor file read to find where it holds an input's text.
const ANCHOR_TEXT_MAX: u64 = 16 * 1024 * 1024;

/// A report written one outcome at a time, in input order, as each is judged: nothing of an
/// outcome is kept once it is written but its counts, so a batch's memory does not grow with
/// its inputs. The bytes are the same as a report rendered from all outcomes at once.
#[derive(Debug)]
pub struct Stream {
    layout: Layout,
    /// `--sarif-anchor`, and the working directory (paths under it are shown relative).
    anchor: Option<String>,
    cwd: Option<std::path::PathBuf>,
    summary: Summary,
    /// Outcomes written (JSON, SARIF: results written, for the separators).
    written: usize,
    /// Whether the document's head is written (JSON, SARIF).
    opened: bool,
    /// The directories scanned, as their inputs come (as given, absolute `file:` URI): the
    /// paths of their files are relative to them.
    roots: Vec<(String, String)>,
    /// The anchor file's text, read once (SARIF, GitHub, GitLab, JUnit point at its lines).
    anchor_text: Option<String>,
    /// The rule doc URL template (`--rule-docs-url`).
    rule_docs: String,
    /// SARIF: the rules the results written so far use, in the order first used.
    rules_used: Vec<&'static crate::registry::Rule>,
    /// The configuration file the run read (JSON `config`, the human report's last lines).
    config: Option<String>,
}

impl Stream {
    pub fn new(layout: Layout, anchor: Option<String>, cwd: Option<std::path::PathBuf>) -> Stream {
        // the anchor's lines matter to the formats that point at files; a file that cannot be
        // read (or is not text) is pointed at without a line, as before
        let anchor_text = match layout {
            Layout::Sarif | Layout::Github | Layout::Gitlab | Layout::Junit => anchor.as_deref().and_then(read_anchor),
            _ => None,
        };
        Stream {
            layout,
            anchor,
            cwd,
            summary: Summary::default(),
            written: 0,
            opened: false,
            roots: Vec::new(),
            anchor_text,
            rule_docs: DEFAULT_RULE_DOCS.to_string(),
            rules_used: Vec::new(),
            config: None,
        }
    }

    /// Rule doc links from this template (`--rule-docs-url`) instead of the default.
    pub fn with_rule_docs(mut self, template: Option<&str>) -> Stream {
        if let Some(template) = template {
            self.rule_docs = template.to_string();
        }
        self
    }

    /// The rule doc URL template in use.
    pub fn rule_docs(&self) -> &str {
        &self.rule_docs
    }

    /// The report names this configuration file.
    pub fn with_config(mut self, config: Option<String>) -> Stream {
        self.config = config;
        self
    }

    fn places(&self) -> sarif::Places<'_> {
        sarif::Places {
            anchor: self.anchor.as_deref(),
            cwd: self.cwd.as_deref(),
            roots: &self.roots,
            anchor_text: self.anchor_text.as_deref(),
        }
    }

    /// Whether the format can report these inputs (name, file), before any is written: SARIF
    /// needs a file, or `--sarif-anchor`, for every input.
    pub fn check_inputs<'a>(&self, inputs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Result<(), String> {
        if self.layout == Layout::Sarif && self.anchor.is_none() {
            for (name, file) in inputs {
                if sarif::own_file_of(file).is_none() {
                    return Err(sarif::missing_anchor(name));
                }
            }
        }
        Ok(())
    }

    /// The counts of the findings written so far.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Writes one outcome.
    pub fn outcome(&mut self, out: &mut dyn std::io::Write, outcome: &Outcome) -> Result<(), StreamError> {
        self.open(out)?;
        if let Some(scan) = &outcome.input.facts.scan
            && !self.roots.iter().any(|(root, _)| *root == scan.root)
        {
            self.roots.push((scan.root.clone(), scan.root_uri.clone()));
        }
        let text = match self.layout {
            Layout::Human { color, quiet, verbose } => {
                let mut text = String::new();
                let style = human::Style { color, verbose };
                if quiet {
                    human::render_findings_only(&mut text, outcome, style);
                } else {
                    human::render_outcome(&mut text, outcome, style);
                }
                text
            }
            Layout::Json => self.entry(2, json::entry(outcome).map_err(StreamError::Report)?),
            Layout::Sarif => {
                let mut text = String::new();
                let suppressed = outcome.suppressed.iter().map(|s| (&s.finding, Some(&s.suppressed)));
                for (finding, suppression) in outcome.findings.iter().map(|f| (f, None)).chain(suppressed) {
                    let place = self
                        .places()
                        .place(&outcome.input, finding)
                        .ok_or_else(|| StreamError::Report(sarif::missing_anchor(&outcome.input.name)))?;
                    let index = match self.rules_used.iter().position(|r| r.code == finding.rule.code) {
                        Some(index) => index,
                        None => {
                            self.rules_used.push(finding.rule);
                            self.rules_used.len() - 1
                        }
                    };
                    let result = sarif::result_json(&outcome.input, finding, place, index, suppression)
                        .map_err(StreamError::Report)?;
                    text.push_str(&self.entry(4, result));
                }
                text
            }
            Layout::Github => github::render_outcome(outcome, self.places()),
            Layout::Markdown => {
                let mut text = String::new();
                markdown::render_outcome(&mut text, outcome, &self.rule_docs);
                text
            }
            Layout::Gitlab => {
                let mut text = String::new();
                for finding in &outcome.findings {
                    let issue = ci::gitlab_issue(outcome, finding, self.places()).map_err(StreamError::Report)?;
                    let issue = safe_json(&issue, 1).map_err(StreamError::Report)?;
                    text.push_str(&self.entry(1, issue));
                }
                text
            }
            Layout::Junit => ci::junit_suite(outcome, self.places()),
            Layout::Html => {
                let mut text = String::new();
                html::render_outcome(&mut text, outcome, &self.rule_docs);
                text
            }
        };
        out.write_all(text.as_bytes())?;
        let counts = Summary::of(&outcome.findings);
        self.summary.error += counts.error;
        self.summary.warning += counts.warning;
        self.summary.info += counts.info;
        self.summary.suppressed += outcome.suppressed.len();
        if !not_checked(outcome).is_empty() {
            self.summary.unchecked += 1;
        }
        Ok(())
    }

    /// A JSON array element at `level`, after the separator it needs.
    fn entry(&mut self, level: usize, json: String) -> String {
        let separator = if self.written == 0 { "\n" } else { ",\n" };
        self.written += 1;
        format!("{separator}{}{json}", "  ".repeat(level))
    }

    /// The document's head (JSON, SARIF), once.
    fn open(&mut self, out: &mut dyn std::io::Write) -> Result<(), StreamError> {
        if self.opened {
            return Ok(());
        }
        self.opened = true;
        let head = match self.layout {
            Layout::Json => {
                json::frame(Summary::default(), self.config.as_deref())
                    .map_err(StreamError::Report)?
                    .0
            }
            Layout::Sarif => sarif::frame(&[], &[], &self.rule_docs).map_err(StreamError::Report)?.0,
            Layout::Human { color, .. } => {
                if color {
                    colored::control::set_override(true);
                }
                String::new()
            }
            Layout::Gitlab => "[".to_string(),
            Layout::Junit => ci::JUNIT_HEAD.to_string(),
            Layout::Html => html::head(),
            Layout::Github | Layout::Markdown => String::new(),
        };
        out.write_all(head.as_bytes())?;
        Ok(())
    }

    /// Writes what follows the last outcome: the summary, and the end of the document.
    pub fn finish(mut self, out: &mut dyn std::io::Write, exit_code: i32) -> Result<(), StreamError> {
        self.open(out)?;
        let summary = self.summary;
        let text = match self.layout {
            Layout::Human { color, .. } => {
                let style = human::Style { color, verbose: false };
                human::config_line(self.config.as_deref(), style) + &human::summary_line(summary, exit_code, style)
            }
            Layout::Json => self.close(
                1,
                json::frame(summary, self.config.as_deref())
                    .map_err(StreamError::Report)?
                    .1,
            ),
            Layout::Sarif => self.close(
                3,
                sarif::frame(&self.roots, &self.rules_used, &self.rule_docs)
                    .map_err(StreamError::Report)?
                    .1,
            ),
            Layout::Github => format!(
                "{}{} · exit {exit_code}\n",
                github::over_the_limit(summary),
                Summary::words(summary)
            ),
            Layout::Markdown => format!("**Total:** {} · exit {exit_code}\n", Summary::words(summary)),
            Layout::Gitlab => self.close(0, "\n".to_string()),
            Layout::Junit => ci::JUNIT_END.to_string(),
            Layout::Html => html::tail(summary, exit_code, self.config.as_deref()),
        };
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// The end of the results array (whose `]` is at `level` when it holds something), then
    /// the rest of the document.
    fn close(&self, level: usize, rest: String) -> String {
        if self.written == 0 {
            format!("]{rest}")
        } else {
            format!("\n{}]{rest}", "  ".repeat(level))
        }
    }
}

/// The anchor file's text for finding lines in it: its first 16 MiB, if it is UTF-8.
fn read_anchor(path: &str) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(ANCHOR_TEXT_MAX)
        .read_to_end(&mut bytes)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// A pretty-printed JSON document with an empty `"results": []`, cut there: what comes before
/// the array's first element, and what follows its `]`.
fn split_at_results(document: &str) -> Result<(String, String), String> {
    const MARK: &str = "\"results\": []";
    // an object key: a string value would hold the quotes escaped
    let at = document
        .find(MARK)
        .ok_or_else(|| "cannot write the report: no results array".to_string())?;
    let open = at + MARK.len() - 1;
    Ok((document[..open].to_string(), document[open + 1..].to_string()))
}

/// JSON as `serde_json::to_string_pretty` writes it (two-space indents), starting `level`
/// indents deep, with one difference in the bytes and none in the value: DEL, the C1 controls
/// and the bidirectional controls are written as `\uXXXX` escapes, as serde_json already writes
/// the C0 controls. A document read from a hostile server then holds no byte that moves a
/// terminal's cursor or turns a log line around, and parses to the same strings.
pub fn safe_json<T: Serialize + ?Sized>(value: &T, level: usize) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut bytes,
        SafeFormatter {
            level,
            has_value: false,
        },
    );
    value
        .serialize(&mut serializer)
        .map_err(|e| format!("cannot write the report: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write the report: {e}"))
}

/// The formatter of `safe_json`: serde_json's `PrettyFormatter`, with a starting level and the
/// extra escapes.
struct SafeFormatter {
    level: usize,
    has_value: bool,
}

impl SafeFormatter {
    fn indent<W: ?Sized + std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        for _ in 0..self.level {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for SafeFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // the fast way for the usual fragment: none of the bytes that start an unsafe character
        // (a C0 control, DEL, a C1 control (C2 80–9F), U+061C (D8), the bidirectional controls
        // (E2) and U+FEFF (EF))
        if !fragment
            .bytes()
            .any(|b| b < 0x20 || matches!(b, 0x7f | 0xc2 | 0xd8 | 0xe2 | 0xef))
        {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if crate::text::is_unsafe_char(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // every such character is in the Basic Multilingual Plane: one escape
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_json_is_serde_json_pretty_with_more_escapes() {
        let value = serde_json::json!({
            "a": [1, {"b": [], "c": {}}, "x\u{1b}y"],
            "d": "plain",
            "e": [[]],
        });
        assert_eq!(safe_json(&value, 0).ok(), serde_json::to_string_pretty(&value).ok());
        let hostile = "a\u{7f}b\u{9b}c\u{202e}d\u{61c}e\u{2066}é";
        let written = safe_json(&hostile, 0).unwrap_or_default();
        assert_eq!(written, "\"a\\u007fb\\u009bc\\u202ed\\u061ce\\u2066é\"");
        assert_eq!(serde_json::from_str::<String>(&written).ok().as_deref(), Some(hostile));
    }

    #[test]
    fn a_deeper_start_indents_every_line() {
        let value = serde_json::json!({"a": [1]});
        assert_eq!(
            safe_json(&value, 2).ok().as_deref(),
            Some("{\n      \"a\": [\n        1\n      ]\n    }")
        );
    }
}
