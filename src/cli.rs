//! The command line: clap's definitions, and the translation of arguments into the pipeline's
//! options (`run::Options`, `run::ReportOptions`). Nothing else: the run itself is `run`.
//!
//! `run` is the one entry point, used by `main` and by the tests alike.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::check;
use crate::collect::net::proxy;
use crate::collect::net::resolve;
use crate::config;
use crate::registry;
use crate::report::json;
use crate::run::{self, EXIT_OK, EXIT_USAGE, Io};
use crate::severity::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "otadoctor",
    version,
    about = "Tells you exactly why an iPhone refuses to install an app over the air (itms-services).",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  otadoctor 'itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme.io%2Fapp.plist'\n  otadoctor --offline dist/install.html\n  otadoctor check --format sarif . > otadoctor.sarif\n  otadoctor manifest build/App.ipa --url https://ota.acme.io/app/App.ipa -o manifest.plist\n  otadoctor explain LNK006"
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
    /// Write a correct manifest for a package (bundle id, version and title from its Info.plist),
    /// and with --page a minimal install page whose link passes every check.
    Manifest(ManifestArgs),
    /// Print a rule's documentation, or explain a device error code: its meaning, the rules
    /// that cause it and the command to run next (exit 2 if unknown).
    #[command(
        allow_negative_numbers = true,
        after_help = "Examples:\n  otadoctor explain LNK006\n  otadoctor explain 0xe8008015\n  otadoctor explain -402620395\n  otadoctor explain 'ASDErrorDomain 507'\n  otadoctor explain 'Error Domain=NSURLErrorDomain Code=-1202'\n  otadoctor explain --format json kAMDNoSpaceError"
    )]
    Explain {
        /// A rule code (LNK006) or name (html-entity-in-link); or a device error: an installd
        /// code in hex or signed or unsigned decimal (0xe8008015, -402620395), a domain and code
        /// ('ASDErrorDomain 507', 'Error Domain=NSURLErrorDomain Code=-1202') or a symbolic name
        /// (NoSpace, kAMDNoSpaceError). Several words are read as one.
        #[arg(required = true, num_args = 1.., value_name = "CODE|NAME")]
        rule: Vec<String>,
        /// Output format (json: a schema_version 1 object, for ticket integrations).
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
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
    /// Serve the check as a web page and a JSON API for a team: paste a link, a ticket or a
    /// device log, drop a manifest, a package, a profile or a QR screenshot, and read the HTML
    /// report. Refuses to fetch private addresses unless --allow-private lists them.
    #[command(
        after_help = "Examples:\n  otadoctor serve --demo\n  otadoctor serve --listen 0.0.0.0:8080 --token-file /etc/otadoctor/tokens --allow-private 10.20.0.0/16\n  curl -s -H 'Authorization: Bearer TOKEN' -H 'Content-Type: application/json' \\\n    -d '{\"input\": \"itms-services://?action=download-manifest&url=https://ota.acme.io/app.plist\"}' \\\n    http://localhost:8080/api/check"
    )]
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The address and port to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: std::net::SocketAddr,
    /// Ranges the server may fetch although they are private, loopback or link-local
    /// (internal distribution servers): CIDR ranges or addresses, comma separated (repeatable).
    /// Cloud metadata addresses stay refused unless named exactly.
    #[arg(long, value_name = "LIST")]
    allow_private: Vec<String>,
    /// Require one of the tokens in FILE (one per line; # comments) as a bearer token or a
    /// Basic password on every request.
    #[arg(long, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,
    /// Keep each report at a permalink (/r/ID) for this long: 90s, 30m, 24h, 7d [default: off:
    /// a report is shown once and dropped].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    keep_reports: Option<std::time::Duration>,
    /// The largest request, uploads included, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=16384))]
    max_upload: u64,
    /// Checks each client (IP address) may start per minute.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10000))]
    rate: u32,
    /// Checks one client may have running at once.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    client_runs: u16,
    /// Checks running at once in all (more wait for a place, up to --deadline).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    runs: u16,
    /// Also start the practice site of `otadoctor demo` and list its scenarios on the page (its
    /// root is trusted and its loopback address allowed for those names only).
    #[arg(long)]
    demo: bool,
    /// Seconds allowed for each network phase of a check.
    #[arg(help_heading = "Each check", long, default_value_t = 10.0, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: f64,
    /// Seconds allowed for a whole check.
    #[arg(help_heading = "Each check", long, default_value_t = 60.0, value_name = "SECONDS", value_parser = parse_seconds)]
    deadline: f64,
    /// The clock for every date check, as RFC 3339 (default: the time of each check).
    #[arg(help_heading = "Each check", long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<OffsetDateTime>,
    /// Extra trusted roots (PEM), as if installed on the devices (repeatable).
    #[arg(help_heading = "Each check", long, value_name = "PEM")]
    ca_file: Vec<std::path::PathBuf>,
    /// Public roots (PEM) to use instead of Apple's iOS trust store.
    #[arg(help_heading = "Each check", long, value_name = "PEM")]
    trust_store: Option<std::path::PathBuf>,
    /// Also accept provisioning profiles signed under this root (PEM) (repeatable).
    #[arg(help_heading = "Each check", long, value_name = "PEM")]
    profile_ca: Vec<std::path::PathBuf>,
    /// Apple's CT log list (JSON, schema v5) to use instead of the shipped one.
    #[arg(help_heading = "Each check", long, value_name = "FILE")]
    ct_log_list: Option<std::path::PathBuf>,
    /// Connect to ADDR for HOST:PORT, like curl (repeatable): the operator's word for where a
    /// name is, so a pinned name is fetched whatever its address (as a proxy is).
    #[arg(help_heading = "Each check", long, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<resolve::Pin>,
    /// Ask this DNS server (IP[:PORT], UDP) instead of the system resolver.
    #[arg(help_heading = "Each check", long, value_name = "ADDR", value_parser = parse_dns_server)]
    dns_server: Option<std::net::SocketAddr>,
    /// An http:// proxy for every request (as for check); the proxy itself is never refused.
    #[arg(help_heading = "Each check", long, value_name = "URL")]
    proxy: Option<String>,
    /// Hosts reached without the proxy, comma separated.
    #[arg(help_heading = "Each check", long = "no-proxy", value_name = "LIST")]
    no_proxy: Option<String>,
    /// Where the reports link rule docs (as for check).
    #[arg(help_heading = "Each check", long, value_name = "URL", value_parser = parse_rule_docs_url)]
    rule_docs_url: Option<String>,
}

/// `--keep-reports`: a number and a unit (s, m, h, d); a bare number is seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("\"{s}\" is not a duration: write 90s, 30m, 24h or 7d"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("\"{s}\": the unit is s, m, h or d")),
    };
    if seconds > 365 * 86_400 {
        return Err("at most a year (365d)".to_string());
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// `check`'s options alone, to read a check command line that is not the process's own.
#[derive(Debug, Parser)]
#[command(name = "otadoctor check", no_binary_name = true)]
struct CheckOnly {
    #[command(flatten)]
    check: CheckArgs,
}

/// The pipeline's options for the `check` arguments `argv` (without a program or command
/// name), read exactly as the command line reads them: how `otadoctor serve` runs each check.
pub fn check_options(argv: &[String], io: &Io<'_>) -> Result<(run::Options, run::ReportOptions), String> {
    let parsed = CheckOnly::try_parse_from(argv).map_err(|e| {
        // clap's first line ("error: …"), without its usage text
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or_default();
        first.strip_prefix("error: ").unwrap_or(first).to_string()
    })?;
    options(&parsed.check, io)
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// itms-services links, https URLs, download pages (.html), manifests (.plist), packages
    /// (.ipa), provisioning profiles (.mobileprovision), files of links, directories (walked like
    /// a source tree), device logs, installer tools' output and error codes (0xe8008015,
    /// -402620395, "ASDErrorDomain 507"), or - for standard input.
    #[arg(
        required_unless_present = "input_file",
        value_name = "INPUT",
        allow_negative_numbers = true
    )]
    inputs: Vec<String>,
    /// Output format: human, json, sarif, github, markdown, gitlab, junit or html; FORMAT=FILE writes that format to
    /// FILE as well (repeatable: one run can write SARIF for code scanning and Markdown for the
    /// job summary). At most one format goes to standard output (human when none does).
    #[arg(help_heading = "Output", long, value_name = "FORMAT[=FILE]", value_parser = parse_format)]
    format: Vec<FormatArg>,
    /// Write the report that would go to standard output to FILE instead.
    #[arg(help_heading = "Output", short = 'o', long = "output", value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// Human report: only the findings (most severe first, under their input's name) and the
    /// summary line; no walk, facts or progress.
    #[arg(help_heading = "Output", short = 'q', long, conflicts_with = "verbose")]
    quiet: bool,
    /// Human report: also each exchange's request and response headers, its timings and the
    /// first bytes of its body.
    #[arg(help_heading = "Output", short = 'v', long)]
    verbose: bool,
    /// Where rule docs are linked from SARIF (helpUri), Markdown and HTML: a URL with {code}, {name}
    /// or {file} (LNK006-html-entity-in-link.md) in it, or a folder the file name is added to
    /// (default: the published crate's rules/ on docs.rs).
    #[arg(help_heading = "Output", long, value_name = "URL", value_parser = parse_rule_docs_url)]
    rule_docs_url: Option<String>,
    /// The file SARIF results and GitHub annotations point at for inputs that are not files
    /// (a link or URL given as an argument, standard input); required for those with --format sarif.
    #[arg(help_heading = "Output", long, value_name = "PATH")]
    sarif_anchor: Option<String>,
    /// Lowest severity that makes the exit code 1 [default: error].
    #[arg(help_heading = "Rules and exit code", long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Only these rules: codes, names or family prefixes, comma separated.
    #[arg(
        help_heading = "Rules and exit code",
        long,
        value_delimiter = ',',
        value_name = "LIST"
    )]
    select: Vec<String>,
    /// Not these rules: codes, names or family prefixes, comma separated.
    #[arg(
        help_heading = "Rules and exit code",
        long,
        value_delimiter = ',',
        value_name = "LIST"
    )]
    ignore: Vec<String>,
    /// No network: check only what is local (links, files) and report what was skipped.
    #[arg(help_heading = "What is checked", long)]
    offline: bool,
    /// Follow the links found in a directory on the network too (by default a directory's
    /// links are checked offline: a repository holds templates and test fixtures).
    #[arg(help_heading = "What is checked", long, conflicts_with = "offline")]
    follow: bool,
    /// Read the whole package: its MD5/SHA-256 against the manifest's, and every file of every
    /// bundle against its code-signature seal (a remote package is downloaded in 8 MiB ranges).
    #[arg(help_heading = "What is checked", long)]
    deep: bool,
    /// The clock for every date check, as RFC 3339 (2026-11-25T12:00:00Z).
    #[arg(help_heading = "What is checked", long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<OffsetDateTime>,
    /// Colour in human output: auto means on a terminal and without NO_COLOR.
    #[arg(help_heading = "Output", long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Seconds allowed for each network phase: connect, first byte, body.
    #[arg(help_heading = "Network", long, default_value_t = 10.0, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: f64,
    /// Seconds allowed for the whole run (default: 6 × --timeout; 30 minutes with --deep).
    #[arg(help_heading = "Network", long, value_name = "SECONDS", value_parser = parse_seconds)]
    deadline: Option<f64>,
    /// Connect to ADDR for HOST:PORT, like curl; names, SNI and Host still use HOST (repeatable).
    #[arg(help_heading = "Network", long, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<resolve::Pin>,
    /// Extra trusted roots (PEM), as if installed on the device and fully trusted (repeatable).
    #[arg(help_heading = "Trust", long, value_name = "PEM")]
    ca_file: Vec<std::path::PathBuf>,
    /// Public roots (PEM) to use instead of Apple's iOS trust store (air-gapped networks).
    #[arg(help_heading = "Trust", long, value_name = "PEM")]
    trust_store: Option<std::path::PathBuf>,
    /// Apple's CT log list (JSON, schema v5) to use instead of the shipped one.
    #[arg(help_heading = "Trust", long, value_name = "FILE")]
    ct_log_list: Option<std::path::PathBuf>,
    /// A local package that stands in for the package URL of every manifest input (a CI gate:
    /// `otadoctor check --offline manifest.plist --ipa build/App.ipa`).
    #[arg(help_heading = "What is checked", long, value_name = "FILE")]
    ipa: Option<std::path::PathBuf>,
    /// The device's iOS version (17.4): the app's MinimumOSVersion is checked against it.
    #[arg(help_heading = "The device", long, value_name = "VERSION", value_parser = parse_ios)]
    ios: Option<IosVersion>,
    /// The device's family: the app's UIDeviceFamily is checked against it.
    #[arg(help_heading = "The device", long, value_enum, value_name = "FAMILY")]
    device: Option<DeviceArg>,
    /// The device's UDID (40 hex digits, or 8-16 with a hyphen, as Finder and Xcode show it):
    /// checked against the profile of the app and of each extension.
    #[arg(help_heading = "The device", long, value_name = "UDID", value_parser = parse_udid)]
    udid: Option<String>,
    /// Warn when a profile expires within this many days [default: 30].
    #[arg(help_heading = "The device", long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(0..=3650))]
    expiry_warning: Option<u32>,
    /// Also accept provisioning profiles signed under this root (PEM; a lab's or a test suite's
    /// CA). A device accepts only Apple's; the report says which root was used (repeatable).
    #[arg(help_heading = "Trust", long, value_name = "PEM")]
    profile_ca: Vec<std::path::PathBuf>,
    /// What the device showed ("Unable to Download App", "Cannot Connect to …", "nothing
    /// happens"): the findings that explain it come first, or the report says none does.
    #[arg(help_heading = "The device", long, value_name = "TEXT")]
    symptom: Option<String>,
    /// A file of inputs, one per line (blank lines and lines starting with # are skipped);
    /// checked with the inputs given as arguments (repeatable).
    #[arg(help_heading = "What is checked", long, value_name = "FILE")]
    input_file: Vec<std::path::PathBuf>,
    /// How many inputs are checked at once (they share connections and TLS probes).
    #[arg(help_heading = "Network", long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// An http:// proxy for every request, as http://[USER:PASSWORD@]HOST[:PORT] (port 1080
    /// when none, as curl): https sites through a CONNECT tunnel, so TLS stays end to end.
    /// Overrides https_proxy, http_proxy and ALL_PROXY; NO_PROXY still applies; '' for none.
    #[arg(help_heading = "Network", long, value_name = "URL")]
    proxy: Option<String>,
    /// Hosts reached without the proxy, comma separated: names (a name covers its subdomains),
    /// IP addresses, CIDR ranges; * for every host. Overrides NO_PROXY; "" proxies every host.
    #[arg(help_heading = "Network", long = "no-proxy", alias = "noproxy", value_name = "LIST")]
    no_proxy: Option<String>,
    /// Ask this DNS server (IP[:PORT], UDP) instead of the system resolver.
    #[arg(help_heading = "Network", long, value_name = "ADDR", value_parser = parse_dns_server)]
    dns_server: Option<std::net::SocketAddr>,
    /// Write the corrected link into the files it was found in, where the whole link is a
    /// literal (template values are never touched), then report what remains.
    #[arg(help_heading = "What is checked", long, conflicts_with = "diff")]
    fix: bool,
    /// Print the corrections --fix would write as a unified diff (for patch -p1); write nothing.
    #[arg(help_heading = "What is checked", long)]
    diff: bool,
    /// The path the install takes: link (an itms-services link tapped in Safari) or mdm (an MDM
    /// InstallApplication command: give its manifest URL, or a link that carries it).
    #[arg(help_heading = "What is checked", long, value_enum, default_value_t = ViaArg::Link, value_name = "PATH")]
    via: ViaArg,
    /// Read the settings from this TOML file instead of the otadoctor.toml or .otadoctor.toml
    /// found in the inputs' directory or above (also OTADOCTOR_CONFIG). Precedence: command
    /// line, then OTADOCTOR_* variables, then the file, then the defaults; a list replaces.
    #[arg(help_heading = "Rules and exit code", long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Read no configuration file (neither found nor named by OTADOCTOR_CONFIG).
    #[arg(help_heading = "Rules and exit code", long, conflicts_with = "config")]
    no_config: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ViaArg {
    /// An itms-services link tapped in Safari: the installer fetches the manifest.
    Link,
    /// An MDM InstallApplication command: the MDM agent fetches the manifest URL.
    Mdm,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  otadoctor manifest build/Field.ipa --url https://ota.acme-apps.io/field/4.2/Field.ipa \\\n    -o dist/manifest.plist --page dist/install.html --manifest-url https://ota.acme-apps.io/field/4.2/manifest.plist"
)]
struct ManifestArgs {
    /// The package (.ipa): its Info.plist gives the bundle id, the version and the title.
    #[arg(value_name = "IPA")]
    ipa: std::path::PathBuf,
    /// Where the package will be served: an absolute https URL (written encoded once).
    #[arg(long, value_name = "URL")]
    url: String,
    /// The title shown while the app installs (default: CFBundleDisplayName, else CFBundleName).
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// The 57×57 PNG shown while the app installs (https URL).
    #[arg(long, value_name = "URL")]
    display_image: Option<String>,
    /// The 512×512 PNG (https URL).
    #[arg(long, value_name = "URL")]
    full_size_image: Option<String>,
    /// Also write a minimal install page, to FILE (or to standard output, when the manifest goes
    /// to -o); needs --manifest-url.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    page: Option<String>,
    /// Where the manifest will be served (https): the page's link carries it.
    #[arg(long, value_name = "URL")]
    manifest_url: Option<String>,
    /// Write the manifest to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// Also accept provisioning profiles signed under this root (PEM) in the notes about the
    /// package (repeatable).
    #[arg(long, value_name = "PEM")]
    profile_ca: Vec<std::path::PathBuf>,
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

fn parse_rule_docs_url(s: &str) -> Result<String, String> {
    match url::Url::parse(&s.replace(['{', '}'], "")) {
        Ok(u) if matches!(u.scheme(), "https" | "http") => Ok(s.to_string()),
        _ => Err(format!(
            "\"{s}\" is not an http(s) URL (https://example.com/otadoctor/rules/{{file}})"
        )),
    }
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

/// One `--format`: a format, and the file it goes to (standard output when none).
#[derive(Debug, Clone)]
struct FormatArg {
    format: Format,
    file: Option<std::path::PathBuf>,
}

fn parse_format(s: &str) -> Result<FormatArg, String> {
    let (name, file) = match s.split_once('=') {
        Some((name, file)) if !file.is_empty() => (name, Some(std::path::PathBuf::from(file))),
        Some((name, _)) => return Err(format!("\"{name}=\" names no file: write {name}=FILE")),
        None => (s, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        format!(
            "\"{name}\" is not a format: human, json, sarif, github, markdown, gitlab, junit or html (FORMAT=FILE for a file)"
        )
    })?;
    Ok(FormatArg { format, file })
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
    /// GitLab Code Quality (artifacts: reports: codequality).
    Gitlab,
    /// JUnit XML (artifacts: reports: junit, and other CI's test reports).
    Junit,
    /// One self-contained HTML page: the verdict, the findings, the install chain as a timeline
    /// and each host's certificate chain as pictures.
    Html,
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
        Some(Command::Manifest(args)) => manifest_command(&args, io),
        Some(Command::Explain { rule, format }) => explain_command(&rule.join(" "), format, io),
        Some(Command::Rules { format }) => rules_command(format, io),
        Some(Command::Completions { shell }) => completions_command(shell, io),
        Some(Command::Manpage) => manpage_command(io),
        Some(Command::Demo { serve, now }) => demo_command(serve, now, io),
        Some(Command::Serve(args)) => serve_command(&args, io),
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
    let (options, report) = options(args, io)?;
    let fix = match (args.fix, args.diff) {
        (true, _) => Some(run::fix::Mode::Write),
        (_, true) => Some(run::fix::Mode::Diff),
        _ => None,
    };
    match fix {
        Some(mode) => run::fix::command(&options, &report, mode, io),
        None => run::check(&options, &report, io),
    }
    .map_err(|e| e.to_string())
}

/// The pipeline's options for a `check` command line.
fn options(args: &CheckArgs, io: &Io<'_>) -> Result<(run::Options, run::ReportOptions), String> {
    let now = args.now.unwrap_or(io.now);
    let mut options = run::Options::new(args.inputs.clone(), now);
    let collect = &mut options.collect;
    collect.input_files = args.input_file.clone();
    collect.offline = args.offline;
    collect.follow = args.follow;
    collect.deep = args.deep;
    collect.ipa = args.ipa.clone();
    collect.timeout = std::time::Duration::from_secs_f64(args.timeout);
    collect.deadline = args.deadline.map(std::time::Duration::from_secs_f64);
    collect.pins = args.resolve.clone();
    collect.dns_server = args.dns_server;
    collect.proxies = proxies(args, io)?;
    collect.jobs = usize::from(args.jobs);
    let (env, env_config) = config::from_env(&io.env)?;
    let file = config_file(args, env_config)?;
    let lowest = file.as_ref().map(|f| f.settings.clone()).unwrap_or_default();
    let settings = cli_settings(args)?.over(env.over(lowest));
    collect.profile_ca = settings.profile_ca.unwrap_or_default();
    collect.ca_files = settings.ca_file.unwrap_or_default();
    collect.trust_store = settings.trust_store;
    options.context.device = check::Device {
        ios: settings.ios,
        family: settings.device,
    };
    options.context.udid = args.udid.clone();
    let via = match args.via {
        ViaArg::Link => crate::facts::Via::Link,
        ViaArg::Mdm => crate::facts::Via::Mdm,
    };
    options.collect.via = via;
    options.context.via = via;
    options.context.expiry_warning_days = settings.expiry_warning.unwrap_or(30);
    options.ct_log_list = args.ct_log_list.clone();
    options.select = settings.select.unwrap_or_default();
    options.ignore = settings.ignore.unwrap_or_default();
    options.symptom = args.symptom.clone();
    options.fail_on = settings.fail_on.unwrap_or(Some(Severity::Error));
    if let Some(file) = &file {
        options.per_path_ignores = file.per_path.clone();
        options.config = Some(file.path.display().to_string());
    }
    let run_format = |f: Format| match f {
        Format::Human => run::Format::Human,
        Format::Json => run::Format::Json,
        Format::Sarif => run::Format::Sarif,
        Format::Github => run::Format::Github,
        Format::Markdown => run::Format::Markdown,
        Format::Gitlab => run::Format::Gitlab,
        Format::Junit => run::Format::Junit,
        Format::Html => run::Format::Html,
    };
    let to_stdout: Vec<Format> = args
        .format
        .iter()
        .filter(|f| f.file.is_none())
        .map(|f| f.format)
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "--format: {} formats for standard output; give the others a file (--format json=report.json)",
            to_stdout.len()
        ));
    }
    let also: Vec<(run::Format, std::path::PathBuf)> = args
        .format
        .iter()
        .filter_map(|f| Some((run_format(f.format), f.file.clone()?)))
        .collect();
    let report = run::ReportOptions {
        format: run_format(to_stdout.first().copied().unwrap_or(Format::Human)),
        color: match args.color {
            // a file gets no colour codes
            _ if args.output.is_some() => false,
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => io.stdout_is_tty && !io.no_color,
        },
        sarif_anchor: args.sarif_anchor.clone(),
        output: args.output.clone(),
        also,
        quiet: args.quiet,
        verbose: args.verbose,
        rule_docs_url: args.rule_docs_url.clone(),
        config: options.config.clone(),
        progress: false,
    };
    Ok((options, report))
}

/// The run's proxies: --proxy, --no-proxy and the environment's variables (none offline).
/// --proxy is read here, not by clap, whose errors would print its credentials.
fn proxies(args: &CheckArgs, io: &Io<'_>) -> Result<proxy::Proxies, String> {
    // --proxy '': no proxy, whatever the environment says (curl's -x "")
    if args.offline || args.proxy.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Ok(proxy::Proxies::none());
    }
    let option = args
        .proxy
        .as_deref()
        .map(|url| proxy::ProxyUrl::parse(url, "--proxy"))
        .transpose()?;
    let lookup = |name: &str| {
        io.proxy_env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.clone())
    };
    proxy::Proxies::choose(option.as_ref(), args.no_proxy.as_deref(), &lookup)
}

/// The command line's settings: what it does not give is `None`, left to the environment,
/// the configuration file and the defaults.
fn cli_settings(args: &CheckArgs) -> Result<config::Settings, String> {
    let selectors = |items: &[String], option: &str| {
        (!items.is_empty())
            .then(|| config::parse_selectors(items.iter().map(String::as_str)).map_err(|e| format!("{option}: {e}")))
            .transpose()
    };
    Ok(config::Settings {
        select: selectors(&args.select, "--select")?,
        ignore: selectors(&args.ignore, "--ignore")?,
        fail_on: args.fail_on.map(FailOn::threshold),
        ca_file: (!args.ca_file.is_empty()).then(|| args.ca_file.clone()),
        trust_store: args.trust_store.clone(),
        profile_ca: (!args.profile_ca.is_empty()).then(|| args.profile_ca.clone()),
        expiry_warning: args.expiry_warning,
        ios: args.ios.as_ref().map(|v| v.0.clone()),
        device: args.device.map(|d| match d {
            DeviceArg::Iphone => check::DeviceFamily::Iphone,
            DeviceArg::Ipad => check::DeviceFamily::Ipad,
        }),
    })
}

/// The configuration file of the run: `--config`, else `OTADOCTOR_CONFIG`, else the one the
/// inputs find; none with `--no-config`.
fn config_file(args: &CheckArgs, from_env: Option<std::path::PathBuf>) -> Result<Option<config::Config>, String> {
    if args.no_config {
        return Ok(None);
    }
    let path = match args.config.clone().or(from_env) {
        Some(path) => Some(path),
        None => {
            let cwd = std::env::current_dir().map_err(|e| format!("the working directory: {e}"))?;
            config::discover(&args.inputs, &cwd)?
        }
    };
    path.map(|p| config::load(&p)).transpose()
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

/// `otadoctor manifest App.ipa --url …`: see `crate::generate`.
fn manifest_command(args: &ManifestArgs, io: &mut Io<'_>) -> Result<i32, String> {
    let request = crate::generate::Request {
        ipa: args.ipa.clone(),
        url: args.url.clone(),
        title: args.title.clone(),
        display_image: args.display_image.clone(),
        full_size_image: args.full_size_image.clone(),
        page: args.page.clone(),
        manifest_url: args.manifest_url.clone(),
        output: args.output.clone(),
        profile_ca: args.profile_ca.clone(),
    };
    crate::generate::command(&request, io.now, io.stdout, io.stderr)
}

/// `otadoctor explain X`: a rule's doc, or a device error code explained (`crate::device::explain`).
fn explain_command(key: &str, format: ListFormat, io: &mut Io<'_>) -> Result<i32, String> {
    use crate::device::explain::{self, Explained};
    let json_doc = |mut value: serde_json::Value| -> Result<String, String> {
        if let Some(object) = value.as_object_mut() {
            object.insert("schema_version".into(), serde_json::json!(json::SCHEMA_VERSION));
        }
        serde_json::to_string_pretty(&value)
            .map_err(|e| e.to_string())
            .map(|t| t + "\n")
    };
    let text = match (explain::lookup(key), format) {
        (Explained::Rule(rule), ListFormat::Human) => rule.doc.to_string(),
        (Explained::Rule(rule), ListFormat::Json) => json_doc(serde_json::json!({
            "kind": "rule",
            "code": rule.code,
            "name": rule.name,
            "family": rule.family,
            "severity": rule.severity,
            "summary": rule.summary,
            "doc": rule.doc,
        }))?,
        (Explained::Known(entry), ListFormat::Human) => explain::human(entry),
        (Explained::Known(entry), ListFormat::Json) => json_doc(explain::json(entry))?,
        (Explained::Unknown(code), format) => {
            if format == ListFormat::Json {
                let doc = json_doc(explain::unknown_json(code))?;
                io.stdout.write_all(doc.as_bytes()).map_err(|e| e.to_string())?;
            }
            // like an unknown rule (exit 2), with what the code's forms and range still say
            let message = format!(
                "otadoctor: unknown device error {}\nhint: search the code in each of these forms: {}; \
                 docs/device-errors.md lists the codes otadoctor knows\n",
                crate::device::codes::describe_unknown(code),
                explain::forms(code).join(", ")
            );
            io.stderr.write_all(message.as_bytes()).map_err(|e| e.to_string())?;
            return Ok(EXIT_USAGE);
        }
        (Explained::NotFound, _) => {
            return Err(format!(
                "unknown rule or device error \"{key}\"{}",
                registry::suggestion(key)
            ));
        }
    };
    io.stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
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
            out.push_str("otadoctor explain 0xe8008015 explains a device error code (docs/device-errors.md).\n");
            out
        }
    };
    io.stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(EXIT_OK)
}

/// `otadoctor serve`: the web page and the JSON API (see `crate::serve`).
fn serve_command(args: &ServeArgs, io: &mut Io<'_>) -> Result<i32, String> {
    let mut check = vec![
        format!("--timeout={}", args.timeout),
        format!("--deadline={}", args.deadline),
    ];
    let path = |option: &str, p: &std::path::Path| format!("--{option}={}", p.display());
    check.extend(args.ca_file.iter().map(|p| path("ca-file", p)));
    check.extend(args.trust_store.iter().map(|p| path("trust-store", p)));
    check.extend(args.profile_ca.iter().map(|p| path("profile-ca", p)));
    check.extend(args.ct_log_list.iter().map(|p| path("ct-log-list", p)));
    check.extend(
        args.resolve
            .iter()
            .map(|pin| format!("--resolve={}:{}:{}", pin.host, pin.port, pin.addr)),
    );
    check.extend(args.dns_server.iter().map(|a| format!("--dns-server={a}")));
    check.extend(args.proxy.iter().map(|p| format!("--proxy={p}")));
    check.extend(args.no_proxy.iter().map(|p| format!("--no-proxy={p}")));
    check.extend(args.rule_docs_url.iter().map(|u| format!("--rule-docs-url={u}")));
    let tokens = args.token_file.as_deref().map(crate::serve::read_tokens).transpose()?;
    let options = crate::serve::ServeOptions {
        read_check: check_options,
        listen: args.listen,
        allow_private: args.allow_private.clone(),
        tokens,
        keep_reports: args.keep_reports.filter(|d| !d.is_zero()),
        max_upload: args.max_upload.saturating_mul(1024 * 1024),
        rate: args.rate,
        client_runs: usize::from(args.client_runs),
        runs: usize::from(args.runs),
        now: args.now,
        check,
        demo: args.demo,
    };
    crate::serve::command(options, io)
}

/// `otadoctor demo [--serve] [--now RFC3339]`: the practice site (see `crate::demo`).
fn demo_command(serve: bool, now: Option<OffsetDateTime>, io: &mut Io<'_>) -> Result<i32, String> {
    crate::demo::command(serve, now, io)
}
