//! The one pipeline: inputs → `collect::gather` → `Facts` → `check::run` → findings → report.
//!
//! `diagnose` runs the first stages for a set of `Options` and returns one `Outcome` per
//! input; `render` writes them in a format; `exit_code` applies `--fail-on`; `check` does all
//! three on a process's streams. The command line (`cli`) and the demo both come through here.

pub mod fix;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::check::{self, Context};
use crate::collect::{self, CollectError, CollectOptions};
use crate::facts::{Facts, Input, InputKind};
use crate::finding::{Finding, Resource, Subject, Suppressed, Suppression};
use crate::registry::{self, Selector};
use crate::report::{self, Layout, Outcome, StreamError, Summary};
use crate::severity::Severity;

/// Exit code: no finding at or above `--fail-on`.
pub const EXIT_OK: i32 = 0;
/// Exit code: at least one finding at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage error, unreadable input, or internal error.
pub const EXIT_USAGE: i32 = 2;

/// What the process has around it: streams, terminal, environment and the clock.
pub struct Io<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// Whether standard output is a terminal.
    pub stdout_is_tty: bool,
    /// Whether standard error is a terminal: the human report then shows a progress line there
    /// while the network is being walked.
    pub stderr_is_tty: bool,
    /// Whether `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// The proxy variables of the environment that are set (`collect::net::proxy::ENV_NAMES`),
    /// as (name, value): given, not read here, so a test sets them for its run alone.
    pub proxy_env: Vec<(String, String)>,
    /// The time the run started; `--now` replaces it.
    pub now: OffsetDateTime,
    /// The process's `OTADOCTOR_*` environment variables (`config::from_env` reads them); a
    /// test passes its own, and leaves the process's environment alone.
    pub env: Vec<(String, std::ffi::OsString)>,
}

/// Everything one check run is asked to do, but how its report looks.
#[derive(Debug, Clone)]
pub struct Options {
    /// What to read and how (inputs, network, packages).
    pub collect: CollectOptions,
    /// What the rules know besides the facts: the clock and the device.
    pub context: Context,
    /// `--ct-log-list`: Apple's CT log list to use instead of the shipped one.
    pub ct_log_list: Option<PathBuf>,
    /// `--select`: only these rules (empty: all).
    pub select: Vec<Selector>,
    /// `--ignore`: not these rules.
    pub ignore: Vec<Selector>,
    /// `--symptom`: what the device showed.
    pub symptom: Option<String>,
    /// `--fail-on`: the lowest severity that makes the exit code 1 (`None`: never).
    pub fail_on: Option<Severity>,
    /// The configuration file's `[per-path-ignores]`.
    pub per_path_ignores: Vec<crate::config::PathIgnore>,
    /// The configuration file read, as shown in reports.
    pub config: Option<String>,
}

impl Options {
    /// A run over `arguments` at `now`, with the command line's defaults.
    pub fn new(arguments: Vec<String>, now: OffsetDateTime) -> Options {
        Options {
            collect: CollectOptions::new(arguments, now),
            context: Context::at(now),
            ct_log_list: None,
            select: Vec::new(),
            ignore: Vec::new(),
            symptom: None,
            fail_on: Some(Severity::Error),
            per_path_ignores: Vec::new(),
            config: None,
        }
    }
}

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Markdown,
    Gitlab,
    Junit,
    Html,
}

/// How the report looks.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub format: Format,
    /// Colour in the human format.
    pub color: bool,
    /// `--sarif-anchor`: the file SARIF results and GitHub annotations point at for inputs
    /// that are not files.
    pub sarif_anchor: Option<String>,
    /// `--output`: the file the report in `format` goes to instead of standard output.
    pub output: Option<std::path::PathBuf>,
    /// `--format X=FILE`: more reports of the same run, each in its format to its file.
    pub also: Vec<(Format, std::path::PathBuf)>,
    /// `-q`: the human report holds only the findings and the summary.
    pub quiet: bool,
    /// `-v`: the human report also shows each exchange's headers, timings and first bytes.
    pub verbose: bool,
    /// `--rule-docs-url`: where rule docs are linked (SARIF `helpUri`, Markdown links).
    pub rule_docs_url: Option<String>,
    /// The configuration file the run read, which the report names.
    pub config: Option<String>,
    /// The progress line goes to standard error whatever the format and wherever it goes
    /// (`otadoctor serve` shows it on its page while the check runs).
    pub progress: bool,
}

impl ReportOptions {
    /// `format` to standard output, coloured when `color` and human; nothing else asked for
    /// (no other files, no anchor, the full report, the default rule doc links, no config file).
    pub fn new(format: Format, color: bool) -> ReportOptions {
        ReportOptions {
            format,
            color,
            sarif_anchor: None,
            output: None,
            also: Vec::new(),
            quiet: false,
            verbose: false,
            rule_docs_url: None,
            config: None,
            progress: false,
        }
    }
}

/// Why a run could not be made: a problem of the invocation or of the tool (exit 2), never of
/// the target.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error("--ct-log-list {path}: {source}")]
    CtLogListUnreadable { path: String, source: std::io::Error },
    #[error("{0}")]
    CtLogList(String),
    #[error("{0}")]
    Report(String),
    #[error("cannot write the report: {0}")]
    Write(std::io::Error),
    /// `--fix`/`--diff` cannot be done as asked.
    #[error("{0}")]
    Fix(String),
}

/// Gathers the facts of every input and judges them: one outcome per input, in input order.
/// A progress line goes to `progress` while the network is walked.
pub fn diagnose(
    options: &Options,
    stdin: &mut dyn Read,
    progress: Option<&mut dyn Write>,
) -> Result<Vec<Outcome>, RunError> {
    let ctx = context(options)?;
    let inputs = collect::gather(&options.collect, stdin, progress)?;
    Ok(inputs.into_iter().map(|input| judge(options, &ctx, input)).collect())
}

/// What the rules know besides the facts, with `--ct-log-list` read.
fn context(options: &Options) -> Result<Context, RunError> {
    let mut ctx = options.context.clone();
    if let Some(path) = &options.ct_log_list {
        let name = path.display().to_string();
        let json = std::fs::read_to_string(path).map_err(|source| RunError::CtLogListUnreadable {
            path: name.clone(),
            source,
        })?;
        ctx.ct_logs = Arc::new(crate::ctlog::CtLogList::parse(&name, &json).map_err(RunError::CtLogList)?);
    }
    Ok(ctx)
}

/// Judges one input: the rules (within `--select`/`--ignore`), the `--udid` answer and the
/// `--symptom` triage. An input the deadline cut short also gets a finding that says so, which
/// no selection takes away: a run cut short never reads as a clean one.
pub fn judge(options: &Options, ctx: &Context, input: Input) -> Outcome {
    let mut findings: Vec<Finding> = check::run(&input.facts, ctx)
        .into_iter()
        .filter(|f| options.select.is_empty() || options.select.iter().any(|s| s.matches(f.rule)))
        .filter(|f| !options.ignore.iter().any(|s| s.matches(f.rule)))
        .collect();
    let suppressed = suppress(options, &input, &mut findings);
    if let Some(doing) = &input.facts.unfinished {
        findings.insert(0, cut_short(&input, doing, options.collect.deadline()));
    }
    let device = check::sig::device_answer(&input.facts, ctx);
    let evidence = crate::symptom::evidence_triage(&input.facts, &mut findings);
    let triage = options
        .symptom
        .as_deref()
        .map(|text| crate::symptom::triage(text, &mut findings));
    Outcome {
        input,
        findings,
        device,
        triage,
        evidence,
        suppressed,
    }
}

/// Takes out of `findings` those an `otadoctor: ignore[…]` comment on their line (or the line
/// before) or a `[per-path-ignores]` glob of the configuration file suppresses: they are
/// reported as suppressed, not counted.
fn suppress(options: &Options, input: &Input, findings: &mut Vec<Finding>) -> Vec<Suppressed> {
    if input.facts.suppressions.is_empty() && options.per_path_ignores.is_empty() {
        return Vec::new();
    }
    let mut suppressed = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    for finding in findings.drain(..) {
        match suppression(options, input, &finding) {
            Some(why) => suppressed.push(Suppressed {
                finding,
                suppressed: why,
            }),
            None => kept.push(finding),
        }
    }
    *findings = kept;
    suppressed
}

/// What suppresses this finding, if anything: a comment first, then a per-path glob.
fn suppression(options: &Options, input: &Input, finding: &Finding) -> Option<Suppression> {
    let names = |codes: &[String]| {
        codes
            .iter()
            .any(|c| Selector::parse(c).is_some_and(|s| s.matches(finding.rule)))
    };
    if let Some(at) = finding.location.as_ref().filter(|l| l.line > 0)
        && let Some(comment) = input
            .facts
            .suppressions
            .iter()
            .find(|c| c.file == at.file && (c.line == at.line || c.line + 1 == at.line) && names(&c.codes))
    {
        return Some(Suppression::InSource {
            comment: comment.comment.clone(),
            file: comment.file.clone(),
            line: comment.line,
        });
    }
    if options.per_path_ignores.is_empty() || input.kind == InputKind::Directory {
        return None;
    }
    let file = finding
        .location
        .as_ref()
        .map(|l| l.file.as_str())
        .or(input.file.as_deref())?;
    let path = match &input.facts.root {
        Some(root) => std::path::Path::new(root).join(file),
        None => PathBuf::from(file),
    };
    let mut ignores = options
        .per_path_ignores
        .iter()
        .filter(|p| p.rules.iter().any(|s| s.matches(finding.rule)))
        .peekable();
    // the file resolved only when a glob names the finding's rule
    ignores.peek()?;
    let path = crate::config::resolve(&path)?;
    ignores.find(|p| p.matches_file(&path)).map(|p| Suppression::External {
        config: p.config.clone(),
        pattern: p.pattern.clone(),
    })
}

/// The finding of an input the run's deadline cut short: NET004, the rule of work that did not
/// end within the run's time limits, about the input itself.
fn cut_short(input: &Input, doing: &str, deadline: Duration) -> Finding {
    let resource = match input.kind {
        InputKind::Link => Resource::Link,
        // a directory is cut short while it is read: the resource its files' links are in
        InputKind::Page | InputKind::Url | InputKind::Directory => Resource::Page,
        InputKind::Manifest => Resource::Manifest,
        InputKind::Package => Resource::Package,
        InputKind::Profile => Resource::Profile,
        InputKind::Evidence => Resource::Device,
    };
    Finding::new(
        &registry::TIMEOUT,
        Subject {
            resource,
            target: input.name.clone(),
            link: None,
        },
        format!(
            "the run's deadline ({} s) passed while otadoctor was {doing}: this input was not checked in full, \
             and what was not checked is not reported",
            deadline.as_secs_f64()
        ),
        "find what is slow (a server that does not answer, a huge manifest, page or package) and fix it; \
         raise --deadline to see the whole report",
    )
    .device("not known: otadoctor did not finish checking this input")
}

/// The exit code for these outcomes under `--fail-on`.
pub fn exit_code(outcomes: &[Outcome], fail_on: Option<Severity>) -> i32 {
    exit_code_of(Summary::of(outcomes.iter().flat_map(|o| &o.findings)), fail_on)
}

/// The exit code for findings of these counts under `--fail-on`.
pub fn exit_code_of(summary: Summary, fail_on: Option<Severity>) -> i32 {
    let failing = match fail_on {
        None => false,
        Some(Severity::Error) => summary.error > 0,
        Some(Severity::Warning) => summary.error + summary.warning > 0,
        Some(Severity::Info) => summary.total() > 0,
    };
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}

/// The report's layout and places for these options.
fn stream(options: &ReportOptions) -> report::Stream {
    stream_of(options.format, options.color, options)
}

/// The report's layout in `format` (coloured when `color` and human).
fn stream_of(format: Format, color: bool, options: &ReportOptions) -> report::Stream {
    let layout = match format {
        Format::Human => Layout::Human {
            color,
            quiet: options.quiet,
            verbose: options.verbose,
        },
        Format::Json => Layout::Json,
        Format::Sarif => Layout::Sarif,
        Format::Github => Layout::Github,
        Format::Markdown => Layout::Markdown,
        Format::Gitlab => Layout::Gitlab,
        Format::Junit => Layout::Junit,
        Format::Html => Layout::Html,
    };
    report::Stream::new(layout, options.sarif_anchor.clone(), std::env::current_dir().ok())
        .with_rule_docs(options.rule_docs_url.as_deref())
        .with_config(options.config.clone())
}

fn stream_error(e: StreamError) -> RunError {
    match e {
        StreamError::Report(e) => RunError::Report(e),
        StreamError::Write(e) => RunError::Write(e),
    }
}

/// The outcomes as a report in the chosen format.
pub fn render(outcomes: &[Outcome], exit_code: i32, options: &ReportOptions) -> Result<String, RunError> {
    let mut stream = stream(options);
    stream
        .check_inputs(
            outcomes
                .iter()
                .map(|o| (o.input.name.as_str(), o.input.file.as_deref())),
        )
        .map_err(RunError::Report)?;
    let mut out = Vec::new();
    for outcome in outcomes {
        stream.outcome(&mut out, outcome).map_err(stream_error)?;
    }
    stream.finish(&mut out, exit_code).map_err(stream_error)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// What the pipeline's thread tells the report.
enum Event {
    /// The inputs are read: their names and files, in order.
    Inputs(Vec<Head>),
    /// Bytes of the progress line.
    Progress(Vec<u8>),
    /// The next input, judged.
    Outcome(Box<Outcome>),
    /// The next inputs, judged: inputs checked offline only are handed on in batches, so that a
    /// text of 100,000 links does not cost 100,000 hand-overs between the threads.
    Outcomes(Vec<Outcome>),
    Done,
    Failed(RunError),
}

/// What is known of an input before it is checked.
struct Head {
    name: String,
    kind: InputKind,
    file: Option<String>,
}

/// Tells the pipeline's thread to stop when dropped.
struct StopOnReturn(Arc<AtomicBool>);

impl Drop for StopOnReturn {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The progress line, sent to the thread that owns standard error.
struct ProgressLine(mpsc::SyncSender<Event>);

impl Write for ProgressLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // the report gone (the deadline passed): the line goes nowhere
        let _ = self.0.send(Event::Progress(buf.to_vec()));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A whole check run on the process's streams, within the run's deadline: inputs read,
/// gathered, judged and written one at a time, in input order.
///
/// The work runs on a thread of its own and hands each judged input to this one, which writes
/// it at once (a batch holds no more than the outcomes under way) and watches the clock. The
/// network stops at the deadline by itself; work that no request bounds (a parser or a rule
/// slow on hostile input) is not waited for past the deadline and a short grace: what was
/// written stands, every input not yet written is reported with a finding that the deadline
/// cut it short (exit 1), the scratch folder is removed, and the thread is left to end with
/// the process.
pub fn check(options: &Options, report: &ReportOptions, io: &mut Io<'_>) -> Result<i32, RunError> {
    let deadline = options.collect.start + options.collect.deadline() + collect::DEADLINE_GRACE;
    let arguments = collect::arguments(&options.collect)?;
    let stdin = read_stdin(&arguments, io.stdin)?;
    // the progress line only where a person watches, and only beside the human report
    let progress = report.progress
        || (io.stderr_is_tty && report.format == Format::Human && !report.quiet && report.output.is_none());
    let (sender, events) = mpsc::sync_channel::<Event>(4);
    let stop = Arc::new(AtomicBool::new(false));
    {
        let (options, arguments, stop) = (options.clone(), arguments.clone(), stop.clone());
        std::thread::Builder::new()
            .name("otadoctor-pipeline".to_string())
            .spawn(move || {
                let result = pipeline(&options, &arguments, &stdin, progress, &stop, &sender);
                let _ = sender.send(match result {
                    Ok(()) => Event::Done,
                    Err(e) => Event::Failed(e),
                });
            })
            .map_err(|e| RunError::Collect(CollectError::Runtime(e)))?;
    }
    // however this returns, the thread stops at its next step
    let _stop = StopOnReturn(stop.clone());
    let mut outs = outputs(report)?;
    let mut heads: Option<Vec<Head>> = None;
    let mut written = 0;
    let mut doing = "reading the inputs";
    loop {
        match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Event::Inputs(read)) => {
                for out in &mut outs {
                    let names = read.iter().map(|h| (h.name.as_str(), h.file.as_deref()));
                    out.stream.check_inputs(names).map_err(RunError::Report)?;
                }
                heads = Some(read);
                doing = collect::UNFINISHED_ON_THE_NETWORK;
            }
            Ok(Event::Progress(bytes)) => {
                let _ = io.stderr.write_all(&bytes);
                let _ = io.stderr.flush();
            }
            Ok(Event::Outcome(outcome)) => {
                write_outcome(&mut outs, io.stdout, &outcome)?;
                written += 1;
            }
            Ok(Event::Outcomes(outcomes)) => {
                for outcome in &outcomes {
                    write_outcome(&mut outs, io.stdout, outcome)?;
                    written += 1;
                }
            }
            Ok(Event::Done) => break,
            Ok(Event::Failed(e)) => return Err(e),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(RunError::Report(
                    "internal error: the check stopped without a word".to_string(),
                ));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                stop.store(true, Ordering::SeqCst);
                options.collect.scratch.remove();
                if progress {
                    let _ = write!(io.stderr, "\r\x1b[2K");
                    let _ = io.stderr.flush();
                }
                let heads = heads.take().unwrap_or_else(|| heads_of(&arguments));
                for head in heads.into_iter().skip(written) {
                    let input = Input {
                        name: head.name,
                        kind: head.kind,
                        file: head.file,
                        facts: Facts {
                            unfinished: Some(doing.to_string()),
                            ..Facts::default()
                        },
                    };
                    let findings = vec![cut_short(&input, doing, options.collect.deadline())];
                    let outcome = Outcome {
                        input,
                        findings,
                        device: None,
                        triage: None,
                        evidence: None,
                        suppressed: Vec::new(),
                    };
                    write_outcome(&mut outs, io.stdout, &outcome)?;
                }
                break;
            }
        }
    }
    let summary = outs.first().map(|o| o.stream.summary()).unwrap_or_default();
    let code = exit_code_of(summary, options.fail_on);
    for out in outs {
        match out.file {
            Some((path, mut file)) => {
                out.stream.finish(&mut file, code).map_err(stream_error)?;
                file.flush().map_err(|e| written_to(&path, e))?;
            }
            None => out.stream.finish(io.stdout, code).map_err(stream_error)?,
        }
    }
    Ok(code)
}

/// One report of a run: its layout, and the file it goes to (standard output when none).
struct Output {
    stream: report::Stream,
    file: Option<(std::path::PathBuf, std::io::BufWriter<std::fs::File>)>,
}

fn written_to(path: &std::path::Path, e: std::io::Error) -> RunError {
    RunError::Report(format!("cannot write the report to {}: {e}", path.display()))
}

/// The reports `--format` and `--output` ask for, their files created before any work is done
/// (a path that cannot be written is said at once, exit 2).
fn outputs(report: &ReportOptions) -> Result<Vec<Output>, RunError> {
    let open = |path: &std::path::PathBuf| {
        std::fs::File::create(path)
            .map(|f| (path.clone(), std::io::BufWriter::new(f)))
            .map_err(|e| written_to(path, e))
    };
    let mut outs = vec![Output {
        stream: stream(report),
        file: report.output.as_ref().map(open).transpose()?,
    }];
    for (format, path) in &report.also {
        outs.push(Output {
            stream: stream_of(*format, false, report),
            file: Some(open(path)?),
        });
    }
    Ok(outs)
}

/// Writes `outcome` to every report of the run.
fn write_outcome(outs: &mut [Output], stdout: &mut dyn Write, outcome: &Outcome) -> Result<(), RunError> {
    for out in outs {
        match &mut out.file {
            Some((_, file)) => out.stream.outcome(file, outcome).map_err(stream_error)?,
            None => out.stream.outcome(stdout, outcome).map_err(stream_error)?,
        }
    }
    Ok(())
}

/// The pipeline's thread: reads the inputs, follows them, and judges each in turn.
fn pipeline(
    options: &Options,
    arguments: &[String],
    stdin: &[u8],
    progress: bool,
    stop: &AtomicBool,
    events: &mpsc::SyncSender<Event>,
) -> Result<(), RunError> {
    let ctx = context(options)?;
    let read = collect::read_inputs(&options.collect, arguments, &mut &stdin[..])?;
    let heads = read
        .inputs
        .iter()
        .map(|i| Head {
            name: i.name.clone(),
            kind: i.kind,
            file: i.file.clone(),
        })
        .collect();
    if events.send(Event::Inputs(heads)).is_err() || stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    let mut line = ProgressLine(events.clone());
    // inputs checked offline only come one after another with no wait: handed on in batches
    let mut batch: Option<Vec<Outcome>> = read.local(&options.collect).then(|| Vec::with_capacity(BATCH));
    // each input judged and handed to the report as soon as it is gathered, then dropped
    collect::follow(
        &options.collect,
        read,
        progress.then_some(&mut line as &mut dyn Write),
        &mut |input| {
            if stop.load(Ordering::SeqCst) {
                return false;
            }
            let outcome = judge(options, &ctx, input);
            match batch.as_mut() {
                None => events.send(Event::Outcome(Box::new(outcome))).is_ok(),
                Some(batch) => {
                    batch.push(outcome);
                    batch.len() < BATCH
                        || events
                            .send(Event::Outcomes(std::mem::replace(batch, Vec::with_capacity(BATCH))))
                            .is_ok()
                }
            }
        },
    )?;
    if let Some(rest) = batch.filter(|b| !b.is_empty())
        && !stop.load(Ordering::SeqCst)
    {
        let _ = events.send(Event::Outcomes(rest));
    }
    Ok(())
}

/// The most outcomes of inputs checked offline handed to the report at once.
const BATCH: usize = 64;

/// Standard input, read now when an argument asks for it (`-`), up to the cap of a local input.
fn read_stdin(arguments: &[String], stdin: &mut dyn Read) -> Result<Vec<u8>, RunError> {
    let mut bytes = Vec::new();
    if arguments.iter().any(|a| a == "-") {
        stdin
            .take(collect::input::MAX_LOCAL_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| {
                CollectError::Input(collect::input::InputError::Unreadable {
                    path: "standard input".to_string(),
                    source,
                })
            })?;
    }
    Ok(bytes)
}

/// The inputs as the arguments name them, when the deadline passed before they were read.
fn heads_of(arguments: &[String]) -> Vec<Head> {
    arguments
        .iter()
        .map(|arg| {
            let lower = arg.trim().to_ascii_lowercase();
            let (kind, file) = if lower.starts_with("itms-services:") {
                (InputKind::Link, None)
            } else if lower.starts_with("https://") || lower.starts_with("http://") {
                (InputKind::Url, None)
            } else if std::path::Path::new(arg).is_dir() {
                (InputKind::Directory, Some(arg.clone()))
            } else {
                // not read yet: what its name says it is
                let extension = std::path::Path::new(arg)
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase());
                let kind = match extension.as_deref() {
                    Some("plist") => InputKind::Manifest,
                    Some("ipa") => InputKind::Package,
                    Some("mobileprovision") => InputKind::Profile,
                    _ => InputKind::Page,
                };
                (kind, (arg != "-").then(|| arg.clone()))
            };
            Head {
                name: arg.clone(),
                kind,
                file,
            }
        })
        .collect()
}
