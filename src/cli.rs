//! The command line: parsing, running the three stages, rendering, and the exit code.
//!
//! `run` is the one entry point, used by `main` and by the tests alike.

use std::ffi::OsString;
use std::io::{Read, Write};

use clap::{Args, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::check::{self, Context};
use crate::collect::input::{self, Input};
use crate::collect::net::{Net, NetOptions, resolve};
use crate::collect::walk;
use crate::finding::Severity;
use crate::registry::{self, Selector};
use crate::report::{Outcome, Summary, human, json};
use crate::text::edit_distance;

/// Exit code: no finding at or above `--fail-on`.
pub const EXIT_OK: i32 = 0;
/// Exit code: at least one finding at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage error, unreadable input, or internal error.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "otadoctor",
    version,
    about = "Tells you exactly why an iPhone refuses to install an app over the air (itms-services).",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  otadoctor 'itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme.io%2Fapp.plist'\n  otadoctor --offline dist/install.html\n  otadoctor explain LNK006"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

// CheckArgs is large; the enum is parsed once per run
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Check links, download pages and files (the default command).
    Check(CheckArgs),
    /// Print a rule's documentation.
    Explain {
        /// A rule code (LNK006) or name (html-entity-in-link).
        rule: String,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output: `otadoctor manpage > otadoctor.1`.
    Manpage,
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Start a practice OTA site on 127.0.0.1 and diagnose each of its scenarios (the correct
    /// site and the usual breakages); exit 0 when every one shows what it is for.
    Demo {
        /// Keep the site running until Ctrl-C and print, for each scenario, the command that
        /// diagnoses it from another terminal.
        #[arg(long)]
        serve: bool,
        /// The clock the site's certificates and profiles are dated around, as RFC 3339.
        #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
        now: Option<OffsetDateTime>,
    },
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// itms-services links, https URLs, download pages (.html), manifests (.plist), packages
    /// (.ipa), provisioning profiles (.mobileprovision), files of links, or - for standard input.
    #[arg(required_unless_present = "input_file", value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// The file SARIF results and GitHub annotations point at for inputs that are not files
    /// (a link or URL given as an argument, standard input); required for those with --format sarif.
    #[arg(long, value_name = "PATH")]
    sarif_anchor: Option<String>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    fail_on: FailOn,
    /// Only these rules: codes, names or family prefixes, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    select: Vec<String>,
    /// Not these rules: codes, names or family prefixes, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    ignore: Vec<String>,
    /// No network: check only what is local (links, files) and report what was skipped.
    #[arg(long)]
    offline: bool,
    /// Read the whole package: its MD5/SHA-256 against the manifest's, and every file of every
    /// bundle against its code-signature seal (a remote package is downloaded in 8 MiB ranges).
    #[arg(long)]
    deep: bool,
    /// The clock for every date check, as RFC 3339 (2026-11-25T12:00:00Z).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<OffsetDateTime>,
    /// Colour in human output: auto means on a terminal and without NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Seconds allowed for each network phase: connect, first byte, body.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: f64,
    /// Seconds allowed for the whole run (default: 6 × --timeout; 30 minutes with --deep).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    deadline: Option<f64>,
    /// Connect to ADDR for HOST:PORT, like curl; names, SNI and Host still use HOST (repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<resolve::Pin>,
    /// Extra trusted roots (PEM), as if installed on the device and fully trusted (repeatable).
    #[arg(long, value_name = "PEM")]
    ca_file: Vec<std::path::PathBuf>,
    /// Public roots (PEM) to use instead of Apple's iOS trust store (air-gapped networks).
    #[arg(long, value_name = "PEM")]
    trust_store: Option<std::path::PathBuf>,
    /// Apple's CT log list (JSON, schema v5) to use instead of the shipped one.
    #[arg(long, value_name = "FILE")]
    ct_log_list: Option<std::path::PathBuf>,
    /// A local package that stands in for the package URL of every manifest input (a CI gate:
    /// `otadoctor check --offline manifest.plist --ipa build/App.ipa`).
    #[arg(long, value_name = "FILE")]
    ipa: Option<std::path::PathBuf>,
    /// The device's iOS version (17.4): the app's MinimumOSVersion is checked against it.
    #[arg(long, value_name = "VERSION", value_parser = parse_ios)]
    ios: Option<IosVersion>,
    /// The device's family: the app's UIDeviceFamily is checked against it.
    #[arg(long, value_enum, value_name = "FAMILY")]
    device: Option<DeviceArg>,
    /// The device's UDID (40 hex digits, or 8-16 with a hyphen, as Finder and Xcode show it):
    /// checked against the profile of the app and of each extension.
    #[arg(long, value_name = "UDID", value_parser = parse_udid)]
    udid: Option<String>,
    /// Warn when a profile expires within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=3650))]
    expiry_warning: u32,
    /// Also accept provisioning profiles signed under this root (PEM; a lab's or a test suite's
    /// CA). A device accepts only Apple's; the report says which root was used (repeatable).
    #[arg(long, value_name = "PEM")]
    profile_ca: Vec<std::path::PathBuf>,
    /// What the device showed ("Unable to Download App", "Cannot Connect to …", "nothing
    /// happens"): the findings that explain it come first, or the report says none does.
    #[arg(long, value_name = "TEXT")]
    symptom: Option<String>,
    /// A file of inputs, one per line (blank lines and lines starting with # are skipped);
    /// checked with the inputs given as arguments (repeatable).
    #[arg(long, value_name = "FILE")]
    input_file: Vec<std::path::PathBuf>,
    /// How many inputs are checked at once (they share connections and TLS probes).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Ask this DNS server (IP[:PORT], UDP) instead of the system resolver.
    #[arg(long, value_name = "ADDR", value_parser = parse_dns_server)]
    dns_server: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DeviceArg {
    Iphone,
    Ipad,
}

/// `--ios`: a dotted version (one value, so clap needs a type of its own, not a Vec).
#[derive(Debug, Clone, PartialEq, Eq)]
struct IosVersion(Vec<u32>);

fn parse_ios(s: &str) -> Result<IosVersion, String> {
    check::version_numbers(s)
        .map(IosVersion)
        .ok_or_else(|| format!("\"{s}\" is not an iOS version (17.4, 18.0.1)"))
}

/// A UDID as the profile lists it, in upper case: 40 hex digits (older devices), or 8 and 16
/// hex digits joined by a hyphen (the hyphen may be left out).
fn parse_udid(s: &str) -> Result<String, String> {
    check::normalise_udid(s).ok_or_else(|| {
        format!(
            "\"{s}\" is not a UDID: 40 hex digits, or 8 and 16 hex digits with a hyphen (00008030-001A35E11A88802E)"
        )
    })
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err("a number of seconds between 0 and 3600".to_string()),
    }
}

fn parse_dns_server(s: &str) -> Result<std::net::SocketAddr, String> {
    s.parse::<std::net::SocketAddr>()
        .or_else(|_| {
            s.parse::<std::net::IpAddr>()
                .map(|ip| std::net::SocketAddr::new(ip, 53))
        })
        .map_err(|_| format!("\"{s}\" is not IP or IP:PORT"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Read top-down by a person; coloured on a terminal.
    Human,
    /// One JSON document, schema version 1.
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub's upload-sarif).
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// A report to paste into a ticket or a pull-request comment.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_now(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time ({e}); write e.g. 2026-11-25T12:00:00Z"))
}

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

/// Runs the command line `args` (with the program name first) and returns the exit code.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                io.stderr.write_all(text.as_bytes())
            } else {
                io.stdout.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let result = match cli.command {
        Some(Command::Check(args)) => check_command(&args, io),
        None => check_command(&cli.check, io),
        Some(Command::Explain { rule }) => explain_command(&rule, io),
        Some(Command::Rules { format }) => rules_command(format, io),
        Some(Command::Completions { shell }) => completions_command(shell, io),
        Some(Command::Manpage) => manpage_command(io),
        Some(Command::Demo { serve, now }) => demo_command(serve, now, io),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(io.stderr, "otadoctor: {}", crate::text::escape_for_terminal(&message));
            EXIT_USAGE
        }
    }
}

fn check_command(args: &CheckArgs, io: &mut Io<'_>) -> Result<i32, String> {
    let select = selectors(&args.select, "--select")?;
    let ignore = selectors(&args.ignore, "--ignore")?;
    let mut inputs: Vec<Input> = Vec::new();
    let mut arguments: Vec<String> = args.inputs.clone();
    for path in &args.input_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--input-file {}: {e}", path.display()))?;
        arguments.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    if arguments.is_empty() {
        return Err("no input: give links, pages, files or - as arguments, or --input-file FILE".to_string());
    }
    for arg in &arguments {
        inputs.extend(input::read_argument(arg, io.stdin).map_err(|e| e.to_string())?);
    }
    if let Some(path) = &args.ipa {
        if !path.is_file() {
            return Err(format!("--ipa {}: no such file", path.display()));
        }
        let package = input::read_local_package(&path.display().to_string());
        let mut used = false;
        for walk in inputs
            .iter_mut()
            .filter(|i| i.kind == input::InputKind::Manifest)
            .flat_map(|i| i.facts.walks.iter_mut())
        {
            walk.package = Some(package.clone());
            used = true;
        }
        if !used {
            return Err("--ipa goes with a manifest file input (manifest.plist)".to_string());
        }
    }
    let now = args.now.unwrap_or(io.now);
    let mut ctx = Context::at(now);
    ctx.device = check::Device {
        ios: args.ios.as_ref().map(|v| v.0.clone()),
        family: args.device.map(|d| match d {
            DeviceArg::Iphone => check::DeviceFamily::Iphone,
            DeviceArg::Ipad => check::DeviceFamily::Ipad,
        }),
    };
    ctx.udid = args.udid.clone();
    ctx.expiry_warning_days = args.expiry_warning;
    let mut profile_roots = Vec::new();
    for path in &args.profile_ca {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| format!("--profile-ca {name}: {e}"))?;
        let ders = crate::collect::net::tls::pem_certificates(&name, &text).map_err(|e| format!("--profile-ca {e}"))?;
        profile_roots.extend(ders.into_iter().map(|d| (name.clone(), d.to_vec())));
    }
    if let Some(path) = &args.ct_log_list {
        let json = std::fs::read_to_string(path).map_err(|e| format!("--ct-log-list {}: {e}", path.display()))?;
        ctx.ct_logs = std::sync::Arc::new(crate::ctlog::CtLogList::parse(&path.display().to_string(), &json)?);
    }
    if args.offline {
        for input in &mut inputs {
            walk::note_offline(input);
        }
    } else {
        let progress: Option<&mut dyn Write> =
            (io.stderr_is_tty && args.format == Format::Human).then_some(&mut *io.stderr);
        go_out(args, now, &mut inputs, progress)?;
    }
    if args.deep {
        // local packages (a package input, --ipa): read from the file
        for walk in inputs.iter_mut().flat_map(|i| i.facts.walks.iter_mut()) {
            let sizes = walk::chunk_sizes(walk);
            if let Some(package) = walk.package.as_mut()
                && package.error.is_none()
                && package.deep.is_none()
                && !package.source.starts_with("http://")
                && !package.source.starts_with("https://")
            {
                let path = std::path::PathBuf::from(&package.source);
                package.deep = Some(crate::collect::deep::check_file(&path, package, sizes));
            }
        }
    }
    if !profile_roots.is_empty() {
        for input in &mut inputs {
            for profile in input.facts.profiles_mut() {
                crate::collect::profile::accept_extra_anchors(profile, &profile_roots);
            }
        }
    }
    let mut outcomes = Vec::with_capacity(inputs.len());
    for input in inputs {
        let findings = check::run(&input.facts, &ctx)
            .into_iter()
            .filter(|f| select.is_empty() || select.iter().any(|s| s.matches(f.rule)))
            .filter(|f| !ignore.iter().any(|s| s.matches(f.rule)))
            .collect();
        let device = check::sig::device_answer(&input.facts, &ctx);
        let mut findings: Vec<crate::finding::Finding> = findings;
        let triage = args
            .symptom
            .as_deref()
            .map(|text| crate::symptom::triage(text, &mut findings));
        outcomes.push(Outcome {
            input,
            findings,
            device,
            triage,
        });
    }
    let summary = Summary::of(outcomes.iter().flat_map(|o| &o.findings));
    let failing = match args.fail_on.threshold() {
        None => false,
        Some(Severity::Error) => summary.error > 0,
        Some(Severity::Warning) => summary.error + summary.warning > 0,
        Some(Severity::Info) => summary.total() > 0,
    };
    let code = if failing { EXIT_FINDINGS } else { EXIT_OK };
    let rendered = match args.format {
        Format::Json => json::render(&outcomes),
        Format::Human => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => io.stdout_is_tty && !io.no_color,
            };
            human::render(&outcomes, code, human::Style { color })
        }
        Format::Sarif => {
            let cwd = std::env::current_dir().ok();
            let places = crate::report::sarif::Places {
                anchor: args.sarif_anchor.as_deref(),
                cwd: cwd.as_deref(),
            };
            crate::report::sarif::render(&outcomes, places)?
        }
        Format::Github => {
            let cwd = std::env::current_dir().ok();
            let places = crate::report::sarif::Places {
                anchor: args.sarif_anchor.as_deref(),
                cwd: cwd.as_deref(),
            };
            crate::report::github::render(&outcomes, code, places)
        }
        Format::Markdown => crate::report::markdown::render(&outcomes, code),
    };
    io.stdout
        .write_all(rendered.as_bytes())
        .map_err(|e| format!("cannot write the report: {e}"))?;
    Ok(code)
}

/// Collects from the network for every input, on one runtime and one client.
fn go_out(
    args: &CheckArgs,
    now: time::OffsetDateTime,
    inputs: &mut Vec<Input>,
    mut progress: Option<&mut dyn Write>,
) -> Result<(), String> {
    let mut ca_pem = Vec::new();
    for path in &args.ca_file {
        let bytes = std::fs::read(path).map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        ca_pem.push((path.display().to_string(), bytes));
    }
    let timeout = std::time::Duration::from_secs_f64(args.timeout);
    let options = NetOptions {
        timeout,
        deadline: args.deadline.map_or(
            if args.deep {
                (timeout * 6).max(std::time::Duration::from_secs(30 * 60))
            } else {
                timeout * 6
            },
            std::time::Duration::from_secs_f64,
        ),
        pins: args.resolve.clone(),
        dns_server: args.dns_server,
        ca_pem,
        trust_store: match &args.trust_store {
            Some(path) => Some((
                path.display().to_string(),
                std::fs::read(path).map_err(|e| format!("--trust-store {}: {e}", path.display()))?,
            )),
            None => None,
        },
        now,
        deep: args.deep,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let jobs = usize::from(args.jobs);
    let result = runtime.block_on(async {
        let net = std::sync::Arc::new(Net::new(&options)?);
        // every input at once, `jobs` at a time, on the one client (connections and TLS probes
        // are shared); a stuck host holds only its own input, for its timeouts
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(jobs));
        let mut set = tokio::task::JoinSet::new();
        for (index, mut input) in std::mem::take(inputs).into_iter().enumerate() {
            let net = net.clone();
            let permits = permits.clone();
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                walk::collect(net, &mut input).await;
                (index, input)
            });
        }
        let mut done: Vec<(usize, Input)> = Vec::new();
        let total = set.len();
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(150));
        loop {
            tokio::select! {
                joined = set.join_next() => match joined {
                    Some(joined) => done.push(joined.map_err(|e| format!("an input's check failed: {e}"))?),
                    None => break,
                },
                _ = tick.tick(), if progress.is_some() => {
                    if let Some(out) = progress.as_mut() {
                        show_progress(&mut **out, done.len(), total, &net.activity());
                    }
                }
            }
        }
        if let Some(out) = progress.as_mut() {
            // the line is gone before the report starts
            let _ = write!(out, "\r\x1b[2K");
            let _ = out.flush();
        }
        done.sort_by_key(|(index, _)| *index);
        for (_, mut input) in done {
            let used = input.facts.hosts_used();
            input.facts.hosts = net
                .hosts()
                .into_iter()
                .filter(|h| used.contains(&(h.host.clone(), h.port)))
                .collect();
            if !input.facts.hosts.is_empty() {
                input.facts.trust_store = Some(net.trust_store.clone());
            }
            inputs.push(input);
        }
        Ok::<(), String>(())
    });
    // connections still open (a server that never ends its body) close with the runtime
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}

/// One progress line, rewritten in place: inputs done, and the request under way.
fn show_progress(out: &mut dyn Write, done: usize, total: usize, activity: &str) {
    let mut line = format!("otadoctor · {done}/{total} checked · {activity}");
    if line.chars().count() > 100 {
        line = line.chars().take(99).collect::<String>() + "…";
    }
    let _ = write!(out, "\r\x1b[2K{}", crate::text::escape_for_terminal(&line));
    let _ = out.flush();
}

fn selectors(items: &[String], option: &str) -> Result<Vec<Selector>, String> {
    items
        .iter()
        .filter(|i| !i.trim().is_empty())
        .map(|item| {
            Selector::parse(item)
                .ok_or_else(|| format!("{option}: unknown rule or family \"{item}\"{}", suggestion(item)))
        })
        .collect()
}

/// ", did you mean …?" for a mistyped rule.
fn suggestion(key: &str) -> String {
    let key = key.to_ascii_lowercase();
    registry::ALL
        .iter()
        .map(|r| {
            (
                edit_distance(&key, r.name).min(edit_distance(&key, &r.code.to_ascii_lowercase())),
                r,
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, r)| format!("; did you mean {} ({})?", r.code, r.name))
        .unwrap_or_else(|| "; `otadoctor rules` lists them".to_string())
}

/// A completion script for `shell`, generated from the command-line definition.
fn completions_command(shell: clap_complete::Shell, io: &mut Io<'_>) -> Result<i32, String> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "otadoctor", &mut script);
    io.stdout.write_all(&script).map_err(|e| e.to_string())?;
    Ok(EXIT_OK)
}

/// The manual page, generated from the command-line definition (with the `check` options, the
/// default command's, and a page section per subcommand).
fn manpage_command(io: &mut Io<'_>) -> Result<i32, String> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(|e| format!("cannot render the manual page: {e}"))?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("otadoctor-{}", sub.get_name());
        let sub = sub.clone().name(name).version(env!("CARGO_PKG_VERSION"));
        clap_mangen::Man::new(sub)
            .render(&mut page)
            .map_err(|e| format!("cannot render the manual page: {e}"))?;
    }
    io.stdout.write_all(&page).map_err(|e| e.to_string())?;
    Ok(EXIT_OK)
}

fn explain_command(key: &str, io: &mut Io<'_>) -> Result<i32, String> {
    let rule = registry::lookup(key).ok_or_else(|| format!("unknown rule \"{key}\"{}", suggestion(key)))?;
    io.stdout.write_all(rule.doc.as_bytes()).map_err(|e| e.to_string())?;
    Ok(EXIT_OK)
}

fn rules_command(format: ListFormat, io: &mut Io<'_>) -> Result<i32, String> {
    let text = match format {
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = registry::ALL
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "family": r.family,
                        "severity": r.severity,
                        "by_subject": r.by_subject,
                        "basis": r.basis,
                        "needs_network": r.needs_network,
                        "summary": r.summary,
                        "device_symptom": r.device_symptom,
                        "symptoms": crate::symptom::of_rule(r),
                        "doc": format!("rules/{}", r.doc_file()),
                    })
                })
                .collect();
            let doc = serde_json::json!({ "schema_version": json::SCHEMA_VERSION, "rules": rules });
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n"
        }
        ListFormat::Human => {
            let mut out = String::new();
            for family in registry::Family::ALL {
                out.push_str(&format!("{} — {}\n", family.prefix(), family.title()));
                for r in registry::ALL.iter().filter(|r| r.family == *family) {
                    out.push_str(&format!(
                        "  {:<7}  {:<32} {:<20} {}\n",
                        r.code,
                        r.name,
                        r.severity_label(),
                        r.summary
                    ));
                }
                out.push('\n');
            }
            out.push_str("otadoctor explain <CODE|NAME> prints a rule's documentation.\n");
            out
        }
    };
    io.stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(EXIT_OK)
}

/// `otadoctor demo [--serve] [--now RFC3339]`: the practice site (see `crate::demo`).
fn demo_command(serve: bool, now: Option<OffsetDateTime>, io: &mut Io<'_>) -> Result<i32, String> {
    crate::demo::command(serve, now, io)
}
