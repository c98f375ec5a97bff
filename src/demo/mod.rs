//! `otadoctor demo`: a practice OTA site on 127.0.0.1, made for the run, with numbered
//! scenarios — the correct site and the usual ways an install breaks — each diagnosed end to end
//! by the same code path as `otadoctor check`.
//!
//! The site needs no DNS and no trust store change: a throwaway CA is made at start (rcgen, with
//! dates around the run's clock), its root is written to a temporary `demo-root.pem` passed as
//! `--ca-file` (the site's TLS) and `--profile-ca` (the packages' provisioning profiles), and
//! every host name (`ota.demo.test`, `chain.demo.test`) is pinned to 127.0.0.1 with
//! `--resolve`. Three listeners on ports chosen by the system: HTTPS for `ota.demo.test`, plain
//! HTTP for the same name (the http:// manifest), and HTTPS for `chain.demo.test`, whose server
//! leaves out its intermediate certificate.

pub mod codesign;
pub mod package;
pub mod pki;
pub mod server;

use std::path::PathBuf;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::collect::net::resolve::Pin;
use crate::registry::{self as rules, Rule};
use crate::report::Outcome as Diagnosed;
use crate::run::{self, EXIT_FINDINGS, EXIT_OK, Io};
use crate::severity::Severity;
use package::{BUNDLE_ID, Profile};
use server::{Route, Routes, Server};

/// The host name of the practice site.
pub const HOST: &str = "ota.demo.test";
/// The host name of the server that does not send its intermediate certificate.
pub const CHAIN_HOST: &str = "chain.demo.test";
/// The root's file name in the run's temporary folder.
pub const ROOT_FILE: &str = "demo-root.pem";

/// What a scenario is built to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Correct,
    HttpManifest,
    HtmlEntity,
    MissingIntermediate,
    LoginPage,
    BundleIdMismatch,
    AppStore,
    ExpiredProfile,
    Package404,
    LoginRedirect,
}

/// The scenarios, in order: (case, path prefix, title, the rule it shows).
const CASES: [(Case, &str, &str, Option<&Rule>); 10] = [
    (Case::Correct, "1-correct", "the correct site", None),
    (
        Case::HttpManifest,
        "2-http-manifest",
        "the manifest served over http://",
        Some(&rules::URL_NOT_HTTPS),
    ),
    (
        Case::HtmlEntity,
        "3-html-entity",
        "a link with &amp; pasted outside HTML",
        Some(&rules::HTML_ENTITY_IN_LINK),
    ),
    (
        Case::MissingIntermediate,
        "4-missing-intermediate",
        "a server that does not send its intermediate certificate",
        Some(&rules::INCOMPLETE_CHAIN),
    ),
    (
        Case::LoginPage,
        "5-login-page",
        "an HTML login page where the manifest should be",
        Some(&rules::UNEXPECTED_HTML),
    ),
    (
        Case::BundleIdMismatch,
        "6-bundle-id-mismatch",
        "a manifest whose bundle-identifier differs from the app's",
        Some(&rules::BUNDLE_ID_MISMATCH),
    ),
    (
        Case::AppStore,
        "7-app-store",
        "an App Store-signed package",
        Some(&rules::APP_STORE_PROFILE),
    ),
    (
        Case::ExpiredProfile,
        "8-expired-profile",
        "a package whose provisioning profile has expired",
        Some(&rules::PROFILE_EXPIRED),
    ),
    (
        Case::Package404,
        "9-package-404",
        "a package URL that answers 404",
        Some(&rules::HTTP_STATUS),
    ),
    (
        Case::LoginRedirect,
        "10-login-redirect",
        "a manifest URL that redirects to a login page",
        Some(&rules::AUTH_REQUIRED),
    ),
];

/// One numbered scenario of the site.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub number: usize,
    /// The path prefix of its files (`/3-html-entity/manifest.plist`).
    pub prefix: &'static str,
    pub title: &'static str,
    /// The rule it is built to raise; `None` for the correct site (no error or warning).
    pub expected: Option<&'static Rule>,
    /// The install link, as it would be given to a phone.
    pub link: String,
    /// `--resolve` pins that reach its hosts.
    pub pins: Vec<Pin>,
}

impl Scenario {
    /// `Scenario 3 — a link with &amp; pasted outside HTML`
    pub fn heading(&self) -> String {
        format!("Scenario {} — {}", self.number, self.title)
    }

    /// What it should show: `LNK006 html-entity-in-link`, or `no error or warning`.
    pub fn expectation(&self) -> String {
        match self.expected {
            Some(rule) => format!("{} {}", rule.code, rule.name),
            None => "no error or warning".to_string(),
        }
    }
}

/// A temporary folder, removed (with what is in it) when dropped.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    /// A new folder `otadoctor-demo-…` in the system's temporary folder.
    fn new() -> Result<TempDir, String> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..16 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            let name = format!(
                "otadoctor-demo-{}-{}-{nanos:08x}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            let path = base.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(format!("cannot make a temporary folder in {}: {e}", base.display())),
            }
        }
        Err(format!(
            "cannot make a temporary folder in {}: {}",
            base.display(),
            last.map(|e| e.to_string()).unwrap_or_default()
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The running practice site: its servers (on a runtime of their own), the throwaway root's
/// file, and the scenarios. Dropping it stops the servers and deletes the root's folder.
pub struct Site {
    runtime: Option<tokio::runtime::Runtime>,
    /// The folder holding `demo-root.pem`.
    pub dir: TempDir,
    /// The root to pass as `--ca-file` and `--profile-ca`.
    pub root_file: PathBuf,
    /// The HTTPS port of `ota.demo.test`.
    pub https_port: u16,
    /// The plain HTTP port of `ota.demo.test`.
    pub http_port: u16,
    /// The HTTPS port of `chain.demo.test`.
    pub chain_port: u16,
    pub scenarios: Vec<Scenario>,
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The files of one scenario under its prefix: manifest, package and icons.
struct Files<'a> {
    routes: &'a mut Routes,
    prefix: &'a str,
}

impl Files<'_> {
    fn put(&mut self, name: &str, route: Route) {
        self.routes.insert(format!("/{}/{name}", self.prefix), route);
    }
}

impl Site {
    /// Makes the CA, the packages and the scenarios, and starts the servers on 127.0.0.1 at
    /// `now` (the run's clock: certificates and profiles are dated around it).
    pub fn start(now: OffsetDateTime) -> Result<Site, String> {
        let pki = pki::DemoPki::new(now)?;
        let dir = TempDir::new()?;
        let root_file = dir.path.join(ROOT_FILE);
        std::fs::write(&root_file, &pki.root_pem).map_err(|e| format!("cannot write {}: {e}", root_file.display()))?;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("otadoctor-demo")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the demo's async runtime: {e}"))?;
        // the ports come first: the manifests name them
        let bind = |what: &str| {
            runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .map_err(|e| format!("cannot listen on 127.0.0.1 for the {what}: {e}"))
        };
        let (https, http, chain) = (bind("site")?, bind("http site")?, bind("chain site")?);
        let port = |l: &tokio::net::TcpListener| {
            l.local_addr()
                .map(|a| a.port())
                .map_err(|e| format!("cannot read the demo's port: {e}"))
        };
        let (https_port, http_port, chain_port) = (port(&https)?, port(&http)?, port(&chain)?);

        let day = Duration::days;
        let ad_hoc = Profile {
            name: "Field Ad Hoc",
            bundle_id: BUNDLE_ID,
            ad_hoc: true,
            created: now - day(30),
            expires: now + day(335),
            serial: 1,
        };
        let correct = package::ipa(BUNDLE_ID, &ad_hoc.signed(&pki)?, &pki)?;

        let mut https_routes = Routes::new();
        let mut http_routes = Routes::new();
        let mut chain_routes = Routes::new();
        let mut scenarios = Vec::new();
        for (index, (case, prefix, title, expected)) in CASES.iter().enumerate() {
            let base = match case {
                Case::MissingIntermediate => format!("https://{CHAIN_HOST}:{chain_port}/{prefix}"),
                _ => format!("https://{HOST}:{https_port}/{prefix}"),
            };
            let manifest_url = match case {
                Case::HttpManifest => format!("http://{HOST}:{http_port}/{prefix}/manifest.plist"),
                _ => format!("{base}/manifest.plist"),
            };
            let routes = match case {
                Case::MissingIntermediate => &mut chain_routes,
                _ => &mut https_routes,
            };
            let mut files = Files { routes, prefix };
            let manifest = Route::ok(
                "text/xml",
                package::manifest(
                    &format!("{base}/Field.ipa"),
                    &format!("{base}/icon-57.png"),
                    &format!("{base}/icon-512.png"),
                    BUNDLE_ID,
                    package::TITLE,
                ),
            );
            files.put("icon-57.png", Route::ok("image/png", package::png(57, 57)));
            files.put("icon-512.png", Route::ok("image/png", package::png(512, 512)));
            let package_route = |bytes: &Vec<u8>| Route::ok("application/octet-stream", bytes.clone());
            match case {
                Case::Correct | Case::HtmlEntity | Case::MissingIntermediate => {
                    files.put("manifest.plist", manifest);
                    files.put("Field.ipa", package_route(&correct));
                }
                Case::HttpManifest => {
                    // the manifest alone is on http://; what it lists is on https://
                    http_routes.insert(format!("/{prefix}/manifest.plist"), manifest);
                    files.put("Field.ipa", package_route(&correct));
                }
                Case::LoginPage => {
                    files.put("manifest.plist", Route::ok("text/html; charset=utf-8", login_page()));
                    files.put("Field.ipa", package_route(&correct));
                }
                Case::BundleIdMismatch => {
                    // the package was built and signed for the beta's bundle id
                    let beta = "com.demo.field.beta";
                    let profile = Profile {
                        name: "Field Beta Ad Hoc",
                        bundle_id: beta,
                        serial: 2,
                        ..ad_hoc.clone()
                    };
                    files.put("manifest.plist", manifest);
                    files.put(
                        "Field.ipa",
                        package_route(&package::ipa(beta, &profile.signed(&pki)?, &pki)?),
                    );
                }
                Case::AppStore => {
                    let profile = Profile {
                        name: "Field App Store",
                        ad_hoc: false,
                        serial: 3,
                        ..ad_hoc.clone()
                    };
                    files.put("manifest.plist", manifest);
                    files.put(
                        "Field.ipa",
                        package_route(&package::ipa(BUNDLE_ID, &profile.signed(&pki)?, &pki)?),
                    );
                }
                Case::ExpiredProfile => {
                    let profile = Profile {
                        name: "Field Ad Hoc (last year)",
                        created: now - day(400),
                        expires: now - day(35),
                        serial: 4,
                        ..ad_hoc.clone()
                    };
                    files.put("manifest.plist", manifest);
                    files.put(
                        "Field.ipa",
                        package_route(&package::ipa(BUNDLE_ID, &profile.signed(&pki)?, &pki)?),
                    );
                }
                Case::Package404 => {
                    // the manifest names a build that was deleted: no Field.ipa route
                    files.put("manifest.plist", manifest);
                }
                Case::LoginRedirect => {
                    let login = format!("{base}/sso/login?next=/{prefix}/manifest.plist");
                    files.put("manifest.plist", Route::redirect(302, &login));
                    files.put("sso/login", Route::ok("text/html; charset=utf-8", login_page()));
                    files.put("Field.ipa", package_route(&correct));
                }
            }
            let canonical = crate::check::repair::canonical_link(&manifest_url);
            let link = match case {
                Case::HtmlEntity => canonical.replacen("&url=", "&amp;url=", 1),
                _ => canonical,
            };
            let (host, port) = match case {
                Case::MissingIntermediate => (CHAIN_HOST, chain_port),
                // one pin covers the name on every port (two would list 127.0.0.1 twice)
                Case::HttpManifest => (HOST, http_port),
                _ => (HOST, https_port),
            };
            let pins = vec![Pin {
                host: host.to_string(),
                port,
                addr: std::net::Ipv4Addr::LOCALHOST.into(),
            }];
            scenarios.push(Scenario {
                number: index + 1,
                prefix,
                title,
                expected: *expected,
                link,
                pins,
            });
        }

        let name = Some("otadoctor-demo");
        Server::new(https_routes, name, false).serve_tls(
            &runtime,
            https,
            server::tls_config(pki.leaf(&[HOST], true)?)?,
        );
        Server::new(http_routes, name, false).serve_plain(&runtime, http);
        Server::new(chain_routes, name, false).serve_tls(
            &runtime,
            chain,
            server::tls_config(pki.leaf(&[CHAIN_HOST], false)?)?,
        );
        Ok(Site {
            runtime: Some(runtime),
            dir,
            root_file,
            https_port,
            http_port,
            chain_port,
            scenarios,
        })
    }

    /// The command line that diagnoses `scenario` (without the program name): the root as
    /// `--ca-file` and `--profile-ca`, its `--resolve` pins, `extra`, then the link.
    pub fn args(&self, scenario: &Scenario, extra: &[String]) -> Vec<String> {
        let root = self.root_file.display().to_string();
        let mut args = vec!["--ca-file".to_string(), root.clone(), "--profile-ca".to_string(), root];
        for pin in &scenario.pins {
            args.push("--resolve".to_string());
            args.push(format!("{}:{}:{}", pin.host, pin.port, pin.addr));
        }
        args.extend(extra.iter().cloned());
        args.push(scenario.link.clone());
        args
    }

    /// The pipeline's options that diagnose `scenario` at `now`: what `args` says on a command
    /// line.
    pub fn options(&self, scenario: &Scenario, now: OffsetDateTime) -> run::Options {
        let mut options = run::Options::new(vec![scenario.link.clone()], now);
        options.collect.ca_files = vec![self.root_file.clone()];
        options.collect.profile_ca = vec![self.root_file.clone()];
        options.collect.pins = scenario.pins.clone();
        options
    }

    /// What `--serve` prints: where the root is, and for each scenario what it shows and the
    /// command that diagnoses it from another terminal (with `--now` when the demo was given
    /// one, as the certificates are dated around it).
    pub fn instructions(&self, now: Option<OffsetDateTime>) -> String {
        let extra: Vec<String> = now
            .and_then(|t| t.format(&Rfc3339).ok())
            .map(|t| vec!["--now".to_string(), t])
            .unwrap_or_default();
        let mut out = String::new();
        out.push_str("otadoctor demo: a practice OTA site on 127.0.0.1 — Ctrl-C stops it\n\n");
        out.push_str(&format!(
            "  sites     https://{HOST}:{} · http://{HOST}:{} · https://{CHAIN_HOST}:{}\n",
            self.https_port, self.http_port, self.chain_port
        ));
        out.push_str(&format!(
            "  root CA   {} (made for this run, deleted when it stops)\n",
            self.root_file.display()
        ));
        out.push_str("  names     no DNS: each command pins the names to 127.0.0.1 with --resolve\n\n");
        out.push_str("Diagnose a scenario from another terminal:\n");
        for scenario in &self.scenarios {
            let mut command = vec!["otadoctor".to_string()];
            command.extend(self.args(scenario, &extra));
            let command: Vec<String> = command.iter().map(|a| shell_quote(a)).collect();
            out.push_str(&format!(
                "\n{} (expect {})\n  {}\n",
                scenario.heading(),
                scenario.expectation(),
                command.join(" ")
            ));
        }
        out
    }

    /// Waits for Ctrl-C.
    pub fn wait_for_ctrl_c(&self) -> Result<(), String> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| "the demo site is stopped".to_string())?;
        runtime
            .block_on(tokio::signal::ctrl_c())
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))
    }
}

/// A single sign-on page, as an identity proxy serves it instead of the file asked for.
fn login_page() -> String {
    "<!DOCTYPE html>\n<html><head><title>Sign in · Demo Builds</title></head>\n<body><form method=\"post\" action=\"/sso/login\"><input name=\"user\"><input name=\"password\" type=\"password\"><button>Sign in</button></form></body></html>\n".to_string()
}

/// `arg` as a POSIX shell reads it back: bare when it holds only safe characters, else in
/// single quotes.
pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-.,/:=@%+".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// What one scenario's diagnosis showed.
struct Outcome {
    /// Whether it showed what it is for.
    got: bool,
    /// The other findings' codes and severities (`TLS005 info`).
    also: Vec<String>,
    /// Why it did not run (an exit code 2, a report that does not parse).
    trouble: Option<String>,
}

/// Judges a scenario from its diagnosis.
fn judge(scenario: &Scenario, diagnosed: &[Diagnosed]) -> Outcome {
    let findings: Vec<(&str, Severity)> = diagnosed
        .iter()
        .flat_map(|d| &d.findings)
        .map(|f| (f.rule.code, f.severity))
        .collect();
    let got = match scenario.expected {
        Some(rule) => findings.iter().any(|(c, _)| *c == rule.code),
        None => !findings.iter().any(|(_, s)| *s >= Severity::Warning),
    };
    let mut also: Vec<String> = findings
        .iter()
        .filter(|(c, _)| scenario.expected.is_none_or(|r| r.code != *c))
        .map(|(c, s)| format!("{c} {}", s.as_str()))
        .collect();
    also.dedup();
    Outcome {
        got,
        also,
        trouble: None,
    }
}

/// `otadoctor demo`: starts the site and diagnoses every scenario (exit 0 when each showed what
/// it is for), or with `serve` prints how to reach each one and serves until Ctrl-C.
pub fn command(serve: bool, now: Option<OffsetDateTime>, io: &mut Io<'_>) -> Result<i32, String> {
    let clock = now.unwrap_or(io.now);
    // profiles carry their signing time as a UTCTime (1950–2049), and the demo signs some
    // two years before the clock
    if !(1975..=2045).contains(&clock.year()) {
        return Err(format!(
            "the demo dates its certificates and profiles around the clock ({}): give a --now between 1975 and 2045",
            clock.date()
        ));
    }
    let site = Site::start(clock)?;
    let write_failed = |e: std::io::Error| format!("cannot write: {e}");
    if serve {
        io.stdout
            .write_all(site.instructions(now).as_bytes())
            .and_then(|()| io.stdout.flush())
            .map_err(write_failed)?;
        site.wait_for_ctrl_c()?;
        let dir = site.dir.path.clone();
        drop(site);
        writeln!(io.stdout, "\nstopped; {} deleted", dir.display()).map_err(write_failed)?;
        return Ok(EXIT_OK);
    }

    writeln!(
        io.stdout,
        "otadoctor demo: a practice OTA site on 127.0.0.1, made for this run, with {} scenarios,\neach diagnosed as `otadoctor check` does. Its names are pinned to 127.0.0.1 with --resolve;\nits root CA, a throwaway one, is trusted with --ca-file and --profile-ca:\n  {}",
        site.scenarios.len(),
        site.root_file.display()
    )
    .map_err(write_failed)?;
    let report = run::ReportOptions::new(run::Format::Human, io.stdout_is_tty && !io.no_color);
    let mut outcomes = Vec::new();
    for scenario in &site.scenarios {
        let options = site.options(scenario, clock);
        let (human, outcome) = match run::diagnose(&options, &mut std::io::empty(), None) {
            Ok(diagnosed) => {
                let code = run::exit_code(&diagnosed, options.fail_on);
                let human = run::render(&diagnosed, code, &report).map_err(|e| e.to_string())?;
                (human, judge(scenario, &diagnosed))
            }
            Err(e) => (
                String::new(),
                Outcome {
                    got: false,
                    also: Vec::new(),
                    trouble: Some(format!("the check did not run: {e}")),
                },
            ),
        };
        let heading = scenario.heading();
        writeln!(io.stdout, "\n{heading}\n{}", "─".repeat(heading.chars().count())).map_err(write_failed)?;
        io.stdout.write_all(human.as_bytes()).map_err(write_failed)?;
        if let Some(trouble) = &outcome.trouble {
            writeln!(io.stdout, "otadoctor demo: {trouble}").map_err(write_failed)?;
        }
        outcomes.push(outcome);
    }

    io.stdout
        .write_all(table(&site.scenarios, &outcomes).as_bytes())
        .map_err(write_failed)?;
    let all = outcomes.iter().all(|o| o.got);
    Ok(if all { EXIT_OK } else { EXIT_FINDINGS })
}

/// The closing table: scenario → expected finding → got it?
fn table(scenarios: &[Scenario], outcomes: &[Outcome]) -> String {
    let title_width = scenarios.iter().map(|s| s.title.chars().count()).max().unwrap_or(0);
    let expect_width = scenarios
        .iter()
        .map(|s| s.expectation().chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "\nSummary\n\n  {:>2}  {:<title_width$}  {:<expect_width$}  got it?\n",
        "#", "scenario", "expected"
    );
    for (scenario, outcome) in scenarios.iter().zip(outcomes) {
        out.push_str(&format!(
            "  {:>2}  {:<title_width$}  {:<expect_width$}  {}\n",
            scenario.number,
            scenario.title,
            scenario.expectation(),
            if outcome.got { "yes" } else { "NO" },
        ));
        // what else it showed, under its expectation: the table stays within 100 columns
        if !outcome.also.is_empty() {
            out.push_str(&format!(
                "      {:<title_width$}  also {}\n",
                "",
                outcome.also.join(", ")
            ));
        }
    }
    let got = outcomes.iter().filter(|o| o.got).count();
    let code = if got == outcomes.len() { EXIT_OK } else { EXIT_FINDINGS };
    out.push_str(&format!(
        "\n{got} of {} scenarios showed what they are for · exit {code}\n`otadoctor demo --serve` keeps the site up and prints the command for each scenario.\n",
        outcomes.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn arguments_are_quoted_only_when_the_shell_needs_it() {
        assert_eq!(shell_quote("--resolve"), "--resolve");
        assert_eq!(
            shell_quote("ota.demo.test:8443:127.0.0.1"),
            "ota.demo.test:8443:127.0.0.1"
        );
        assert_eq!(
            shell_quote("/tmp/otadoctor-demo-1-0-ab/demo-root.pem"),
            "/tmp/otadoctor-demo-1-0-ab/demo-root.pem"
        );
        assert_eq!(
            shell_quote("itms-services://?action=download-manifest&url=x"),
            "'itms-services://?action=download-manifest&url=x'"
        );
        assert_eq!(shell_quote("/Users/o'neil/My Files"), "'/Users/o'\\''neil/My Files'");
        assert_eq!(shell_quote(""), "''");
    }
}
