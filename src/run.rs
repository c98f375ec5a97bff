//! The one pipeline: inputs → `collect::gather` → `Facts` → `check::run` → findings → report.
//!
//! `diagnose` runs the first stages for a set of `Options` and returns one `Outcome` per
//! input; `render` writes them in a format; `exit_code` applies `--fail-on`; `check` does all
//! three on a process's streams. The command line (`cli`) and the demo both come through here.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::check::{self, Context};
use crate::collect::{self, CollectError, CollectOptions};
use crate::facts::Input;
use crate::finding::Finding;
use crate::registry::Selector;
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
    /// The time the run started; `--now` replaces it.
    pub now: OffsetDateTime,
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
/// `--symptom` triage.
pub fn judge(options: &Options, ctx: &Context, input: Input) -> Outcome {
    let mut findings: Vec<Finding> = check::run(&input.facts, ctx)
        .into_iter()
        .filter(|f| options.select.is_empty() || options.select.iter().any(|s| s.matches(f.rule)))
        .filter(|f| !options.ignore.iter().any(|s| s.matches(f.rule)))
        .collect();
    let device = check::sig::device_answer(&input.facts, ctx);
    let triage = options
        .symptom
        .as_deref()
        .map(|text| crate::symptom::triage(text, &mut findings));
    Outcome {
        input,
        findings,
        device,
        triage,
    }
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
    let layout = match options.format {
        Format::Human => Layout::Human { color: options.color },
        Format::Json => Layout::Json,
        Format::Sarif => Layout::Sarif,
        Format::Github => Layout::Github,
        Format::Markdown => Layout::Markdown,
    };
    report::Stream::new(layout, options.sarif_anchor.clone(), std::env::current_dir().ok())
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

/// A whole check run on the process's streams: inputs read, gathered, judged and written one at
/// a time, in input order; each outcome is dropped once written, so a batch holds no more than
/// the inputs under way.
pub fn check(options: &Options, report: &ReportOptions, io: &mut Io<'_>) -> Result<i32, RunError> {
    // the progress line only where a person watches, and only beside the human report
    let progress: Option<&mut dyn Write> =
        (io.stderr_is_tty && report.format == Format::Human).then_some(&mut *io.stderr);
    let ctx = context(options)?;
    let arguments = collect::arguments(&options.collect)?;
    let read = collect::read_inputs(&options.collect, &arguments, io.stdin)?;
    let mut stream = stream(report);
    let names = read.inputs.iter().map(|i| (i.name.as_str(), i.file.as_deref()));
    stream.check_inputs(names).map_err(RunError::Report)?;
    let stdout = &mut *io.stdout;
    let mut failed = None;
    collect::follow(&options.collect, read, progress, &mut |input| match stream
        .outcome(stdout, &judge(options, &ctx, input))
    {
        Ok(()) => true,
        Err(e) => {
            failed = Some(e);
            false
        }
    })?;
    if let Some(e) = failed {
        return Err(stream_error(e));
    }
    let code = exit_code_of(stream.summary(), options.fail_on);
    stream.finish(stdout, code).map_err(stream_error)?;
    Ok(code)
}
