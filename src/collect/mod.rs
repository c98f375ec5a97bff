//! Collectors: all reading of inputs happens here, and nothing here judges.
//!
//! `gather` is the one way in: the command line's inputs become `Input`s with their `Facts`,
//! read from files and standard input and, unless `--offline`, from the network the way the
//! device reads them. Everything the command line asks of the collectors (`--ipa`, `--deep`,
//! `--ca-file`, `--trust-store`, `--profile-ca`, timeouts, pins) is in `CollectOptions`, given up
//! front: nothing is added to the facts after they are gathered.

pub mod bounded;
pub mod deep;
pub mod html;
pub mod input;
pub mod ipa;
pub mod js;
pub mod manifest;
pub mod net;
pub mod png;
pub mod profile;
pub mod remote_zip;
pub mod seal;
pub mod walk;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::facts::{Input, InputKind};
use input::InputError;
use net::{Net, NetOptions, resolve};
use profile::ExtraAnchor;

/// What the command line asks of the collectors.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Inputs as given: links, URLs, file paths, `-` for standard input.
    pub arguments: Vec<String>,
    /// `--input-file`: files of inputs, one per line.
    pub input_files: Vec<PathBuf>,
    /// `--offline`: no network; what would have been fetched is noted as skipped.
    pub offline: bool,
    /// `--deep`: read every package whole (hashes, seals).
    pub deep: bool,
    /// `--ipa`: a local package that stands in for the package URL of every manifest input.
    pub ipa: Option<PathBuf>,
    /// `--profile-ca`: roots provisioning profiles may also chain to (a lab's, not Apple's).
    pub profile_ca: Vec<PathBuf>,
    /// `--ca-file`: extra trusted roots, as if installed on the device.
    pub ca_files: Vec<PathBuf>,
    /// `--trust-store`: public roots instead of Apple's iOS trust store.
    pub trust_store: Option<PathBuf>,
    /// Each network phase.
    pub timeout: Duration,
    /// The whole run (`None`: 6 × `timeout`, and at least 30 minutes with `deep`).
    pub deadline: Option<Duration>,
    /// `--resolve`
    pub pins: Vec<resolve::Pin>,
    /// `--dns-server`
    pub dns_server: Option<std::net::SocketAddr>,
    /// How many inputs go out at once.
    pub jobs: usize,
    /// The clock certificates are verified at.
    pub now: OffsetDateTime,
}

impl CollectOptions {
    /// Options for `arguments` at `now`, with the command line's defaults.
    pub fn new(arguments: Vec<String>, now: OffsetDateTime) -> CollectOptions {
        CollectOptions {
            arguments,
            input_files: Vec::new(),
            offline: false,
            deep: false,
            ipa: None,
            profile_ca: Vec::new(),
            ca_files: Vec::new(),
            trust_store: None,
            timeout: Duration::from_secs(10),
            deadline: None,
            pins: Vec::new(),
            dns_server: None,
            jobs: 4,
            now,
        }
    }

    /// The whole run's deadline.
    fn deadline(&self) -> Duration {
        self.deadline.unwrap_or(if self.deep {
            (self.timeout * 6).max(Duration::from_secs(30 * 60))
        } else {
            self.timeout * 6
        })
    }
}

/// How packages are read, wherever they come from.
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// `--deep`: hash the whole package and check every seal.
    pub deep: bool,
    /// `--profile-ca` roots, read.
    pub profile_anchors: Vec<ExtraAnchor>,
}

/// What the collectors of one run share: the device's network and how packages are read.
#[derive(Clone)]
pub struct Collector {
    pub net: Arc<Net>,
    pub package: Arc<PackageOptions>,
}

/// Why the inputs could not be gathered: problems of the invocation, not of the target (those
/// are facts, and findings).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{option} {path}: {source}")]
    OptionFile {
        option: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{option} {reason}")]
    Certificates { option: &'static str, reason: String },
    #[error("no input: give links, pages, files or - as arguments, or --input-file FILE")]
    NoInput,
    #[error("--ipa {0}: no such file")]
    NoSuchPackage(String),
    #[error("--ipa goes with a manifest file input (manifest.plist)")]
    PackageWithoutManifest,
    #[error("{0}")]
    Network(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("an input's check failed: {0}")]
    Task(String),
}

/// Reads every input and, unless offline, follows it on the network like the device. A
/// progress line goes to `progress` while the network is walked.
pub fn gather(
    options: &CollectOptions,
    stdin: &mut dyn Read,
    progress: Option<&mut dyn Write>,
) -> Result<Vec<Input>, CollectError> {
    let mut arguments = options.arguments.clone();
    for path in &options.input_files {
        let text = std::fs::read_to_string(path).map_err(|source| CollectError::OptionFile {
            option: "--input-file",
            path: path.display().to_string(),
            source,
        })?;
        arguments.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    if arguments.is_empty() {
        return Err(CollectError::NoInput);
    }
    let package = PackageOptions {
        deep: options.deep,
        profile_anchors: profile_anchors(&options.profile_ca)?,
    };
    let mut inputs: Vec<Input> = Vec::new();
    for arg in &arguments {
        inputs.extend(input::read_argument(arg, stdin, &package)?);
    }
    if let Some(path) = &options.ipa {
        stand_in_package(path, &package, &mut inputs)?;
    }
    if options.offline {
        for input in &mut inputs {
            walk::note_offline(input);
        }
        return Ok(inputs);
    }
    go_out(options, package, inputs, progress)
}

/// The `--profile-ca` roots.
fn profile_anchors(paths: &[PathBuf]) -> Result<Vec<ExtraAnchor>, CollectError> {
    let mut anchors = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|source| CollectError::OptionFile {
            option: "--profile-ca",
            path: name.clone(),
            source,
        })?;
        let ders = net::tls::pem_certificates(&name, &text).map_err(|reason| CollectError::Certificates {
            option: "--profile-ca",
            reason,
        })?;
        anchors.extend(ders.into_iter().map(|d| ExtraAnchor {
            name: name.clone(),
            der: d.to_vec(),
        }));
    }
    Ok(anchors)
}

/// `--ipa`: the local package is the package of every manifest input.
fn stand_in_package(
    path: &std::path::Path,
    package: &PackageOptions,
    inputs: &mut [Input],
) -> Result<(), CollectError> {
    if !path.is_file() {
        return Err(CollectError::NoSuchPackage(path.display().to_string()));
    }
    let name = path.display().to_string();
    let mut used = false;
    for walk in inputs
        .iter_mut()
        .filter(|i| i.kind == InputKind::Manifest)
        .flat_map(|i| i.facts.walks.iter_mut())
    {
        walk.package = Some(input::read_local_package(&name, package, walk::chunk_sizes(walk)));
        used = true;
    }
    if used {
        Ok(())
    } else {
        Err(CollectError::PackageWithoutManifest)
    }
}

/// Follows every input on the network, on one runtime and one client, `jobs` at a time.
fn go_out(
    options: &CollectOptions,
    package: PackageOptions,
    inputs: Vec<Input>,
    mut progress: Option<&mut dyn Write>,
) -> Result<Vec<Input>, CollectError> {
    let read = |option: &'static str, path: &PathBuf| {
        std::fs::read(path).map_err(|source| CollectError::OptionFile {
            option,
            path: path.display().to_string(),
            source,
        })
    };
    let mut ca_pem = Vec::new();
    for path in &options.ca_files {
        ca_pem.push((path.display().to_string(), read("--ca-file", path)?));
    }
    let trust_store = match &options.trust_store {
        Some(path) => Some((path.display().to_string(), read("--trust-store", path)?)),
        None => None,
    };
    let net_options = NetOptions {
        timeout: options.timeout,
        deadline: options.deadline(),
        pins: options.pins.clone(),
        dns_server: options.dns_server,
        ca_pem,
        trust_store,
        now: options.now,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CollectError::Runtime)?;
    let jobs = options.jobs.max(1);
    let result = runtime.block_on(async {
        let net = Arc::new(Net::new(&net_options).map_err(CollectError::Network)?);
        let collector = Collector {
            net: net.clone(),
            package: Arc::new(package),
        };
        // every input at once, `jobs` at a time, on the one client (connections and TLS probes
        // are shared); a stuck host holds only its own input, for its timeouts
        let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
        let mut set = tokio::task::JoinSet::new();
        for (index, mut input) in inputs.into_iter().enumerate() {
            let collector = collector.clone();
            let permits = permits.clone();
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                walk::collect(collector, &mut input).await;
                (index, input)
            });
        }
        let mut done: Vec<(usize, Input)> = Vec::new();
        let total = set.len();
        let mut tick = tokio::time::interval(Duration::from_millis(150));
        loop {
            tokio::select! {
                joined = set.join_next() => match joined {
                    Some(joined) => done.push(joined.map_err(|e| CollectError::Task(e.to_string()))?),
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
        // the hosts each input touched, probed once for the whole run
        let hosts = net.hosts();
        Ok::<_, CollectError>(
            done.into_iter()
                .map(|(_, mut input)| {
                    let used = input.facts.hosts_used();
                    input.facts.hosts = hosts
                        .iter()
                        .filter(|h| used.contains(&(h.host.clone(), h.port)))
                        .cloned()
                        .collect();
                    if !input.facts.hosts.is_empty() {
                        input.facts.trust_store = Some(net.trust_store.clone());
                    }
                    input
                })
                .collect(),
        )
    });
    // connections still open (a server that never ends its body) close with the runtime
    runtime.shutdown_timeout(Duration::from_millis(100));
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
