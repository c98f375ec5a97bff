//! Collectors: all reading of inputs happens here, and nothing here judges.
//!
//! `gather` is the one way in: the command line's inputs become `Input`s with their `Facts`,
//! read from files and standard input and, unless `--offline`, from the network the way the
//! device reads them. Everything the command line asks of the collectors (`--ipa`, `--deep`,
//! `--ca-file`, `--trust-store`, `--profile-ca`, timeouts, pins) is in `CollectOptions`, given up
//! front: nothing is added to the facts after they are gathered.

pub mod bounded;
pub mod deep;
pub mod evidence;
pub mod find;
pub mod html;
pub mod input;
pub mod ipa;
pub mod js;
pub mod macho;
pub mod macho_parse;
pub mod manifest;
pub mod net;
pub mod ocsp;
pub mod png;
pub mod profile;
pub mod qr;
pub mod remote_zip;
pub mod scratch;
pub mod seal;
pub mod suppress;
pub mod tree;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::facts::{HostFacts, Input, InputKind};
use crate::text::escape_for_terminal;
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
    /// `--follow`: follow the links found in a directory on the network too (by default they
    /// are checked offline: a repository holds templates and test fixtures).
    pub follow: bool,
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
    /// `--proxy`, `--no-proxy` and the proxy variables of the environment.
    pub proxies: net::proxy::Proxies,
    /// How many inputs go out at once.
    pub jobs: usize,
    /// The clock certificates are verified at.
    pub now: OffsetDateTime,
    /// When the run started: the deadline counts from here.
    pub start: Instant,
    /// The run's scratch folder (`--deep` downloads), made only when needed; shared by clones.
    pub scratch: Arc<scratch::Scratch>,
    /// `--via`: the path the install takes (a tapped link, or an MDM command).
    pub via: crate::facts::Via,
    /// The addresses never fetched, for a server that fetches URLs for others (`otadoctor
    /// serve` sets it); `None`, as the command line leaves it: every address is fetched.
    pub guard: Option<Arc<net::guard::Guard>>,
}

impl CollectOptions {
    /// Options for `arguments` at `now`, with the command line's defaults.
    pub fn new(arguments: Vec<String>, now: OffsetDateTime) -> CollectOptions {
        CollectOptions {
            arguments,
            input_files: Vec::new(),
            offline: false,
            follow: false,
            deep: false,
            ipa: None,
            profile_ca: Vec::new(),
            ca_files: Vec::new(),
            trust_store: None,
            timeout: Duration::from_secs(10),
            deadline: None,
            pins: Vec::new(),
            dns_server: None,
            proxies: net::proxy::Proxies::none(),
            jobs: 4,
            now,
            start: Instant::now(),
            scratch: Arc::new(scratch::Scratch::new()),
            via: crate::facts::Via::Link,
            guard: None,
        }
    }

    /// The whole run's deadline, counted from `start`.
    pub fn deadline(&self) -> Duration {
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
    /// Where `--deep` downloads go.
    pub scratch: Arc<scratch::Scratch>,
}

/// What the collectors of one run share: the device's network and how packages are read.
#[derive(Clone)]
pub struct Collector {
    pub net: Arc<Net>,
    pub package: Arc<PackageOptions>,
    /// The OCSP answers of the run (one request per certificate and responder).
    pub ocsp: Arc<ocsp::Cache>,
    /// The run's clock (`--now`): OCSP answers are judged at it.
    pub now: OffsetDateTime,
}

impl Collector {
    /// The run's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }
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
    let arguments = arguments(options)?;
    let inputs = read_inputs(options, &arguments, stdin)?;
    let mut gathered = Vec::new();
    follow(options, inputs, progress, &mut |input| {
        gathered.push(input);
        true
    })?;
    Ok(gathered)
}

/// The inputs as given: the arguments, then the lines of every `--input-file`.
pub fn arguments(options: &CollectOptions) -> Result<Vec<String>, CollectError> {
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
    Ok(arguments)
}

/// The inputs read from the arguments (files, standard input), before the network.
pub struct Inputs {
    pub inputs: Vec<Input>,
    package: PackageOptions,
}

/// Reads every argument into inputs, with what they show offline.
pub fn read_inputs(
    options: &CollectOptions,
    arguments: &[String],
    stdin: &mut dyn Read,
) -> Result<Inputs, CollectError> {
    let package = PackageOptions {
        deep: options.deep,
        profile_anchors: profile_anchors(&options.profile_ca)?,
        scratch: options.scratch.clone(),
    };
    let mut inputs: Vec<Input> = Vec::new();
    for arg in arguments {
        if arg != "-" && std::path::Path::new(arg).is_dir() {
            // a directory: walked like a source tree, each file read as a file argument
            inputs.extend(tree::read(arg, &package));
            continue;
        }
        inputs.extend(input::read_argument(arg, stdin, &package)?);
    }
    for scan in inputs.iter_mut().filter_map(|i| i.facts.scan.as_mut()) {
        scan.follow = options.follow && !options.offline;
        scan.offline = options.offline;
    }
    if options.via == crate::facts::Via::Mdm {
        for input in &mut inputs {
            walk::as_mdm_input(input);
        }
    }
    if let Some(path) = &options.ipa {
        stand_in_package(path, &package, &mut inputs)?;
    }
    if options.via == crate::facts::Via::Mdm {
        for input in &mut inputs {
            walk::note_mdm_trust(input);
        }
    }
    Ok(Inputs { inputs, package })
}

impl Inputs {
    /// Whether none of these inputs goes out on the network (`--offline`, or only what a
    /// directory scan found, without `--follow`): they are then handed on with no wait.
    pub fn local(&self, options: &CollectOptions) -> bool {
        options.offline || self.inputs.iter().all(|i| stays_local(options, i))
    }
}

/// Unless offline, follows every input on the network like the device, and hands each on to
/// `emit` in input order as soon as it is done (`emit` says `false` to stop).
pub fn follow(
    options: &CollectOptions,
    read: Inputs,
    progress: Option<&mut dyn Write>,
    emit: &mut dyn FnMut(Input) -> bool,
) -> Result<(), CollectError> {
    let local = read.local(options);
    let Inputs { inputs, package } = read;
    if local {
        for mut input in inputs {
            note_local(options, &mut input);
            if !emit(input) {
                break;
            }
        }
        return Ok(());
    }
    let result = go_out(options, package, inputs, progress, emit);
    // the downloads are done: their folder goes now, not when the options do
    options.scratch.remove();
    result
}

/// Whether an input is checked offline only: found in a directory scan without `--follow`,
/// or a directory's own input (nothing of it goes out).
fn stays_local(options: &CollectOptions, input: &Input) -> bool {
    input.kind == InputKind::Directory || (input.facts.root.is_some() && !options.follow)
}

/// Marks an input that does not go out: what would have been fetched, and why not.
fn note_local(options: &CollectOptions, input: &mut Input) {
    if options.offline {
        walk::note_offline(input);
    } else {
        walk::note_not_followed(input);
    }
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

/// The most inputs out on the network or done and waiting for an earlier one, at once.
const WINDOW: usize = 256;

/// Follows every input on the network, on one runtime and one client, `jobs` at a time, and
/// hands each on to `emit`, in input order, as soon as it is done (`emit` says `false` to stop).
fn go_out(
    options: &CollectOptions,
    package: PackageOptions,
    inputs: Vec<Input>,
    mut progress: Option<&mut dyn Write>,
    emit: &mut dyn FnMut(Input) -> bool,
) -> Result<(), CollectError> {
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
    // the deadline counts from the start of the run, reading the inputs included
    let deadline = options.start + options.deadline();
    let net_options = NetOptions {
        timeout: options.timeout,
        deadline: deadline.saturating_duration_since(Instant::now()),
        pins: options.pins.clone(),
        dns_server: options.dns_server,
        ca_pem,
        trust_store,
        now: options.now,
        proxies: options.proxies.clone(),
        guard: options.guard.clone(),
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
            ocsp: Arc::new(ocsp::Cache::default()),
            now: options.now,
        };
        // every input, `jobs` at a time, on the one client (connections and TLS probes are
        // shared); a stuck host holds only its own input, for its timeouts. Each input is handed
        // on as soon as it and those before it are done; an input goes out only when fewer than
        // `jobs` are out and fewer than `WINDOW` are out or done and waiting for an earlier one:
        // what a batch holds does not grow with its length.
        let mut set = tokio::task::JoinSet::new();
        let total = inputs.len();
        let mut waiting = inputs.into_iter().enumerate();
        // what each input out on the network was before it went: what is handed on of an input
        // the deadline cuts short
        let mut out: HashMap<usize, Input> = HashMap::new();
        let mut done: BTreeMap<usize, Input> = BTreeMap::new();
        let mut next = 0;
        let mut finished = 0;
        let mut hosts = Hosts::new(net.clone());
        let mut tick = tokio::time::interval(Duration::from_millis(150));
        // past the deadline every request ends at once; the inputs then finish in moments, or
        // are stuck in work that no request bounds, and are handed on as cut short
        let cut = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline + DEADLINE_GRACE / 2));
        tokio::pin!(cut);
        let mut cut_short = false;
        'run: while next < total {
            while out.len() < jobs && out.len() + done.len() < WINDOW {
                let Some((index, input)) = waiting.next() else { break };
                out.insert(index, input.clone());
                let collector = collector.clone();
                let local = stays_local(options, &input);
                set.spawn(async move {
                    let mut input = input;
                    if local {
                        walk::note_not_followed(&mut input);
                    } else {
                        walk::collect(collector, &mut input).await;
                    }
                    (index, input)
                });
            }
            tokio::select! {
                joined = set.join_next() => match joined {
                    Some(joined) => {
                        let (index, input) = joined.map_err(|e| CollectError::Task(e.to_string()))?;
                        out.remove(&index);
                        done.insert(index, input);
                        finished += 1;
                        while let Some(input) = done.remove(&next) {
                            next += 1;
                            if !emit(hosts.attach(input)) {
                                break 'run;
                            }
                        }
                    }
                    None => break,
                },
                _ = &mut cut => {
                    cut_short = true;
                    break;
                }
                _ = tick.tick(), if progress.is_some() => {
                    if let Some(line) = progress.as_mut() {
                        show_progress(&mut **line, finished, total, &net.activity());
                    }
                }
            }
        }
        set.abort_all();
        if let Some(line) = progress.as_mut() {
            // the line is gone before the report goes on
            let _ = write!(line, "\r\x1b[2K");
            let _ = line.flush();
        }
        if cut_short {
            // in input order: what is done as it is, the rest as it was before it went out
            for index in next..total {
                let input = match done.remove(&index) {
                    Some(input) => input,
                    None => {
                        let before = out.remove(&index).or_else(|| waiting.next().map(|(_, input)| input));
                        let Some(mut input) = before else { break };
                        input.facts.unfinished = Some(UNFINISHED_ON_THE_NETWORK.to_string());
                        input
                    }
                };
                if !emit(hosts.attach(input)) {
                    break;
                }
            }
        }
        Ok::<_, CollectError>(())
    });
    // connections still open (a server that never ends its body) close with the runtime
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// The hosts of the run, as each input is handed on: the facts of a host (its name resolution,
/// its TLS probe) are final once an input that used it is done, and are kept once, shared by
/// every input that used it; the resources asked of it are the input's own.
struct Hosts {
    net: Arc<Net>,
    known: HashMap<(String, u16), Arc<HostFacts>>,
    trust_store: Arc<crate::facts::TrustStoreFacts>,
}

impl Hosts {
    fn new(net: Arc<Net>) -> Hosts {
        let trust_store = Arc::new(net.trust_store.clone());
        Hosts {
            net,
            known: HashMap::new(),
            trust_store,
        }
    }

    /// The input with the facts of every host it touched, and the trust store's.
    fn attach(&mut self, mut input: Input) -> Input {
        let used = resources_used(&input);
        if used.keys().any(|k| !self.known.contains_key(k)) {
            // only the hosts this input used: another's may still be being probed
            for host in self.net.hosts() {
                let key = (host.host.clone(), host.port);
                if used.contains_key(&key) {
                    self.known.entry(key).or_insert_with(|| Arc::new(host));
                }
            }
        }
        input.facts.hosts = used
            .iter()
            .filter_map(|(key, resources)| {
                let known = self.known.get(key)?;
                let resources: Vec<String> = resources.iter().map(|r| r.to_string()).collect();
                Some(if known.resources == resources {
                    known.clone()
                } else {
                    Arc::new(HostFacts {
                        resources,
                        ..(**known).clone()
                    })
                })
            })
            .collect();
        if !input.facts.hosts.is_empty() {
            input.facts.trust_store = Some(self.trust_store.clone());
        }
        input
    }
}

/// What the input asked of each host:port it touched (`page`, `manifest`, `package`, `icon`),
/// by where each exchange is in its facts: the tags the requests were made with.
fn resources_used(input: &Input) -> BTreeMap<(String, u16), BTreeSet<&'static str>> {
    let mut used: BTreeMap<(String, u16), BTreeSet<&'static str>> = BTreeMap::new();
    let mut note = |fetch: &crate::facts::Fetch, resource: &'static str| {
        for exchange in &fetch.exchanges {
            if let Some(host) = &exchange.host {
                used.entry((host.host.clone(), host.port)).or_default().insert(resource);
            }
        }
    };
    if let Some(fetch) = input.facts.page.as_ref().and_then(|p| p.fetch.as_ref()) {
        note(fetch, "page");
    }
    if let Some(ipad) = input.facts.page.as_ref().and_then(|p| p.as_ipad.as_ref()) {
        note(&ipad.fetch, "page");
    }
    for walk in &input.facts.walks {
        for fetch in walk.manifest.iter().chain(walk.manifest_as_browser.iter()) {
            note(fetch, "manifest");
        }
        if let Some(fetch) = &walk.manifest_as_installer {
            note(fetch, "manifest");
        }
        // an http(s) input that served a manifest was first asked for as a page (under
        // --via mdm it is asked for as a manifest only)
        if input.kind == InputKind::Manifest
            && input.facts.via != crate::facts::Via::Mdm
            && let Some(fetch) = &walk.manifest
        {
            note(fetch, "page");
        }
        for asset in &walk.assets {
            let resource = if asset.kind == "software-package" {
                "package"
            } else {
                "icon"
            };
            for fetch in asset.head.iter().chain(asset.get.iter()) {
                note(fetch, resource);
            }
        }
    }
    used
}

/// How long past the deadline the pipeline waits for work already under way to end (the
/// network stops at the deadline; what is left is moments of work, or work stuck in a parser).
pub const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// What an input cut short by the deadline was doing, when it was out on the network.
pub const UNFINISHED_ON_THE_NETWORK: &str = "following it on the network and checking what it served";

/// One progress line, rewritten in place: inputs done, and the request under way.
fn show_progress(out: &mut dyn Write, done: usize, total: usize, activity: &str) {
    let mut line = format!("otadoctor · {done}/{total} checked · {activity}");
    if line.chars().count() > 100 {
        line = line.chars().take(99).collect::<String>() + "…";
    }
    let _ = write!(out, "\r\x1b[2K{}", escape_for_terminal(&line));
    let _ = out.flush();
}
