//! The device's network: one shared HTTP client that behaves like the iPhone's installer
//! (its User-Agent, no cookies, redirects recorded and followed by hand), name resolution with
//! `--resolve` and `--dns-server`, a TLS probe per host:port, per-phase timeouts, a deadline for
//! the whole run, and a cap on every body. With a guard (`otadoctor serve`), no request reaches
//! an address it refuses (`guard`). Records; never judges.

pub mod encoding;
pub mod guard;
pub mod probe;
pub mod proxy;
pub mod resolve;
pub mod tls;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::facts::{
    DnsFacts, DnsSource, Exchange, Fetch, HostFacts, HostRef, NetError, Phase, ProbeFacts, ProxyFacts, ProxyFailure,
    TlsSeen, TrustStoreFacts,
};
use proxy::{Proxies, ProxyUrl};
use resolve::{DeviceResolver, DnsError, ForReqwest, Pin, elapsed_ms};
use tls::{RecordingVerifier, TrustRoots};

/// The User-Agent of iOS's installer daemon (appstored), as seen in server logs.
pub const INSTALLER_USER_AGENT: &str =
    "com.apple.appstored/1.0 iOS/18.1 model/iPhone16,2 hwp/t8130 build/22B83 (6; dt:289) AMS/1";
/// Safari on the same phone, for comparing what a browser is served.
pub const SAFARI_USER_AGENT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
/// Safari on an iPad (iPadOS 13 and later): it asks for pages as a Mac does by default
/// ("Request Desktop Website"), with this desktop-class User-Agent.
pub const IPAD_USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
/// The device's MDM agent (dmd), which fetches the manifest of an MDM `InstallApplication`
/// command, as seen in server logs (micromdm/micromdm issue #834, a community report).
pub const MDM_AGENT_USER_AGENT: &str = "dmd/67 CFNetwork/1568.100.1 Darwin/24.0.0";

/// The most redirects followed for one resource.
pub const MAX_REDIRECTS: usize = 10;
/// Manifest and HTML page bodies.
pub const PAGE_CAP: u64 = 1024 * 1024;
/// What is kept of a body in the facts, as text.
const HEAD_KEPT: usize = 512;

/// How the run reaches the network.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// Each network phase (connect, first byte, body).
    pub timeout: Duration,
    /// The whole run.
    pub deadline: Duration,
    pub pins: Vec<Pin>,
    pub dns_server: Option<SocketAddr>,
    /// (path, PEM) of every --ca-file.
    pub ca_pem: Vec<(String, Vec<u8>)>,
    /// (path, PEM) of --trust-store, which replaces the public roots.
    pub trust_store: Option<(String, Vec<u8>)>,
    pub now: time::OffsetDateTime,
    /// `--proxy`, `--no-proxy` and the proxy variables of the environment.
    pub proxies: Proxies,
    /// The addresses a server that fetches for others refuses (`otadoctor serve`); `None`: every
    /// address is fetched, as the command line does.
    pub guard: Option<Arc<guard::Guard>>,
}

/// One request to make.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub user_agent: &'static str,
    pub headers: Vec<(String, String)>,
    /// The most body bytes to read; past it the body is cut and marked truncated.
    pub cap: u64,
    /// What is asked for (`manifest`, `package`, `icon`, `page`), for the host's facts.
    pub resource: &'static str,
    /// Whether the host is probed beside the request (its connect time, TLS handshake and
    /// chain for the host's facts and the TLS rules). Not for an OCSP responder: it is not a
    /// host of the install, and a one-connection responder would wait on the probe's.
    pub probe: bool,
}

impl Request {
    pub fn get(url: &str, resource: &'static str, cap: u64) -> Request {
        Request {
            method: reqwest::Method::GET,
            url: url.to_string(),
            user_agent: INSTALLER_USER_AGENT,
            headers: Vec::new(),
            cap,
            resource,
            probe: true,
        }
    }
}

type ProbeCell = Arc<OnceCell<Option<ProbeFacts>>>;

/// The network of one run, shared by every input.
pub struct Net {
    client: reqwest::Client,
    resolver: Arc<DeviceResolver>,
    fetch_log: Arc<Mutex<Vec<TlsSeen>>>,
    probe_verifier: Arc<RecordingVerifier>,
    /// TLS for second looks at a late response head (HTTP/1.1 only; its chains are not facts).
    watch_config: Arc<rustls::ClientConfig>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    timeout: Duration,
    deadline: Instant,
    /// When the client was made: each request's `timing.start_ms` counts from it.
    started: Instant,
    probes: Mutex<HashMap<(String, u16), ProbeCell>>,
    resources: Mutex<HashMap<(String, u16), BTreeSet<String>>>,
    pub trust_store: TrustStoreFacts,
    /// The request most recently started, for the progress line.
    activity: Mutex<String>,
    proxies: Proxies,
    /// The proxy each host:port was reached through.
    routes: Mutex<HashMap<(String, u16), ProxyUrl>>,
    guard: Option<Arc<guard::Guard>>,
}

impl Net {
    pub fn new(options: &NetOptions) -> Result<Net, String> {
        let provider = tls::provider();
        let roots = TrustRoots::load(&options.ca_pem, options.trust_store.as_ref())?;
        let now = tls::unix_time(options.now);
        let fetch_verifier = Arc::new(RecordingVerifier::new(&roots, provider.clone(), now)?);
        let probe_verifier = Arc::new(RecordingVerifier::new(&roots, provider.clone(), now)?);
        let fetch_log = fetch_verifier.log();
        let config = tls::client_config(fetch_verifier, provider.clone())?;
        let watch_verifier = Arc::new(RecordingVerifier::new(&roots, provider.clone(), now)?);
        let mut watch_config = tls::client_config(watch_verifier, provider.clone())?;
        watch_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let proxy_names = [&options.proxies.https, &options.proxies.http]
            .into_iter()
            .flatten()
            .map(|p| p.host.clone())
            .collect();
        let resolver = DeviceResolver::new(
            options.pins.clone(),
            options.dns_server,
            options.timeout,
            options.guard.clone(),
            proxy_names,
        );
        // never the client's own reading of the environment: the run's proxies, chosen once
        let mut client = reqwest::Client::builder().no_proxy();
        for https in [true, false] {
            if let Some(proxy) = for_client(&options.proxies, https)? {
                client = client.proxy(proxy);
            }
        }
        let client = client
            .tls_backend_preconfigured(config)
            .dns_resolver(Arc::new(ForReqwest(resolver.clone())))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(Net {
            client,
            resolver,
            fetch_log,
            probe_verifier,
            watch_config: Arc::new(watch_config),
            provider,
            timeout: options.timeout,
            deadline: Instant::now() + options.deadline,
            started: Instant::now(),
            probes: Mutex::new(HashMap::new()),
            resources: Mutex::new(HashMap::new()),
            trust_store: roots.facts,
            activity: Mutex::new(String::new()),
            proxies: options.proxies.clone(),
            routes: Mutex::new(HashMap::new()),
            guard: options.guard.clone(),
        })
    }

    /// Asks for `request.url`, following redirects by hand (each hop recorded), and returns
    /// the exchanges and the last body (capped).
    pub async fn fetch(&self, request: Request) -> (Fetch, Vec<u8>) {
        let mut fetch = Fetch::default();
        let mut url = request.url.clone();
        let mut body = Vec::new();
        for hop in 0..=MAX_REDIRECTS {
            let (exchange, bytes) = self.exchange(&request, &url).await;
            let location = exchange
                .status
                .filter(|s| (300..400).contains(s))
                .and_then(|_| exchange.header("location").map(str::to_string));
            fetch.exchanges.push(exchange);
            body = bytes;
            let Some(location) = location else { break };
            let next = reqwest::Url::parse(&url).and_then(|base| base.join(location.trim()));
            match next {
                Ok(next) if matches!(next.scheme(), "http" | "https") => {
                    if hop == MAX_REDIRECTS {
                        if let Some(last) = fetch.exchanges.last_mut() {
                            last.error = Some(NetError::TooManyRedirects { limit: MAX_REDIRECTS });
                        }
                        break;
                    }
                    url = next.to_string();
                }
                _ => {
                    if let Some(last) = fetch.exchanges.last_mut() {
                        last.error = Some(NetError::RedirectNotFollowed { location });
                    }
                    break;
                }
            }
        }
        (fetch, body)
    }

    /// The request most recently started ("GET https://…"), for a progress line.
    pub fn activity(&self) -> String {
        self.activity.lock().map(|a| a.clone()).unwrap_or_default()
    }

    async fn exchange(&self, request: &Request, url: &str) -> (Exchange, Vec<u8>) {
        if let Ok(mut activity) = self.activity.lock() {
            *activity = format!("{} {url}", request.method);
        }
        let mut exchange = Exchange {
            method: request.method.to_string(),
            url: url.to_string(),
            user_agent: request.user_agent.to_string(),
            request_headers: request.headers.clone(),
            body_cap: request.cap,
            ..Exchange::default()
        };
        let parsed = reqwest::Url::parse(url).ok();
        let target = parsed.as_ref().and_then(|u| {
            Some((
                u.host_str()?.to_string(),
                u.port_or_known_default()?,
                u.scheme() == "https",
            ))
        });
        if let Some((host, port, https)) = &target {
            exchange.host = Some(HostRef {
                host: host.clone(),
                port: *port,
            });
            if let Ok(mut map) = self.resources.lock() {
                map.entry((host.clone(), *port))
                    .or_default()
                    .insert(request.resource.to_string());
            }
            let route = self.proxies.route(*https, host);
            if let (Some(proxy), Ok(mut routes)) = (route, self.routes.lock()) {
                routes.entry((host.clone(), *port)).or_insert_with(|| proxy.clone());
            }
            // before anything is sent or probed, every hop of every fetch
            if let Some(refused) = self.refused(host, *port).await {
                exchange.error = Some(refused);
                return (exchange, Vec::new());
            }
            // the probe runs beside the request, once per host:port
            let probe = async {
                if request.probe {
                    self.probe(host, *port, *https, route).await;
                }
            };
            let (result, _) = tokio::join!(self.send(request, url, &mut exchange, route), probe);
            if *https {
                self.note_tls(&mut exchange, host);
            }
            if let Some(proxy) = route {
                self.blame_proxy(&mut exchange, proxy, host, *port);
            }
            return (exchange, result);
        }
        exchange.error = Some(NetError::Http {
            detail: format!("\"{url}\" is not a URL otadoctor can fetch"),
        });
        (exchange, Vec::new())
    }

    async fn send(&self, request: &Request, url: &str, exchange: &mut Exchange, route: Option<&ProxyUrl>) -> Vec<u8> {
        let start = Instant::now();
        let since = start.saturating_duration_since(self.started).as_millis();
        exchange.timing.start_ms = Some(u64::try_from(since).unwrap_or(u64::MAX));
        if self.deadline.checked_duration_since(start).is_none_or(|d| d.is_zero()) {
            exchange.error = Some(NetError::Deadline);
            return Vec::new();
        }
        let mut builder = self
            .client
            .request(request.method.clone(), url)
            .header(reqwest::header::USER_AGENT, request.user_agent);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = match self.head(builder, request, url, start, route).await {
            Err(error) => {
                exchange.error = Some(error);
                exchange.timing.total_ms = elapsed_ms(start);
                return Vec::new();
            }
            Ok(response) => response,
        };
        exchange.timing.first_byte_ms = Some(elapsed_ms(start));
        exchange.status = Some(response.status().as_u16());
        exchange.http_version = Some(format!("{:?}", response.version()));
        exchange.headers = response
            .headers()
            .iter()
            .take(100)
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).chars().take(1024).collect(),
                )
            })
            .collect();
        let body = self.read_body(response, request.cap, exchange, start).await;
        let body = decode_body(request, exchange, body);
        exchange.timing.total_ms = elapsed_ms(start);
        exchange.body_head = String::from_utf8_lossy(&body[..body.len().min(HEAD_KEPT)]).into_owned();
        exchange.body_magic = tls::hex(&body[..body.len().min(16)]);
        body
    }

    /// Sends the request and waits for the response head. Connecting has its own limit
    /// (`connect_timeout`); the head then gets one `timeout` from the moment the connection is
    /// ready: at once on a pooled connection, else when the TLS handshake with the host is seen
    /// (plain http: when reqwest's connect limit would have ended the connect). Half way through,
    /// a second look sends the same request on a connection of its own and watches its head,
    /// because the HTTP client shows nothing of a head until it is complete: a head that trickles
    /// in is then reported as such.
    async fn head(
        &self,
        builder: reqwest::RequestBuilder,
        request: &Request,
        url: &str,
        start: Instant,
        route: Option<&ProxyUrl>,
    ) -> Result<reqwest::Response, NetError> {
        let target = watch_target(request, url, route);
        let https = target.as_ref().is_some_and(|t| t.https);
        let host = target.as_ref().map(|t| t.host.clone()).unwrap_or_default();
        // through a proxy, the client resolves (and connects to) the proxy's name
        let connected_to = route.map_or(host.clone(), |p| p.host.clone());
        let (connections_before, handshakes_before) =
            (self.resolver.connections_begun(&connected_to), self.handshakes(&host));
        let seen = probe::HeadSeen::default();
        let mut watch: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>> = None;
        let mut connecting = false;
        let mut handshake: Option<Instant> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        let send = builder.send();
        tokio::pin!(send);
        // a connect is ended by reqwest's own limit (`timeout`): a moment later, its error wins
        let grace = Duration::from_millis(250);
        loop {
            let now = Instant::now();
            connecting = connecting || self.resolver.connections_begun(&connected_to) > connections_before;
            if connecting && https && handshake.is_none() && self.handshakes(&host) > handshakes_before {
                handshake = Some(now);
            }
            // when the head phase began and when it ends; `None`: still connecting
            let phase = match (connecting, handshake) {
                (false, _) => Some((start, start + self.timeout)),
                (true, Some(at)) => Some((at, at + self.timeout)),
                (true, None) if https => None,
                // plain http shows no moment the connection is made: from the start
                (true, None) => Some((start, start + self.timeout + grace)),
            };
            let limit = phase.map_or(start + self.timeout + grace, |(_, end)| end);
            if now >= self.deadline {
                return Err(NetError::Deadline);
            }
            if now >= limit {
                let phase = if seen.bytes.load(std::sync::atomic::Ordering::SeqCst) > 0
                    && !seen.complete.load(std::sync::atomic::Ordering::SeqCst)
                {
                    Phase::Head
                } else {
                    Phase::FirstByte
                };
                return Err(NetError::Timeout {
                    phase,
                    after_ms: elapsed_ms(start),
                });
            }
            if watch.is_none()
                && let Some((began, _)) = phase
                && now >= began + self.timeout / 2
                && let Some(target) = target.as_ref().filter(|t| t.https || route.is_none())
            {
                let until = tokio::time::Instant::from_std(limit.min(self.deadline));
                let (seen, config) = (&seen, self.watch_config.clone());
                watch = Some(Box::pin(async move {
                    probe::watch_head(&self.resolver, config, target, seen, until).await;
                    std::future::pending::<()>().await;
                }));
            }
            let watching = async {
                match watch.as_mut() {
                    Some(w) => w.await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                sent = &mut send => {
                    return sent.map_err(|e| classify(&e, Phase::FirstByte, elapsed_ms(start)));
                }
                () = watching => {}
                _ = tick.tick() => {}
            }
        }
    }

    /// How many TLS handshakes the run's client made with `host` so far.
    fn handshakes(&self, host: &str) -> usize {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        self.fetch_log
            .lock()
            .map(|log| log.iter().filter(|s| s.server_name == bare).count())
            .unwrap_or(0)
    }

    /// Reads at most `cap` bytes, within one timeout for the whole body and the run's deadline.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        cap: u64,
        exchange: &mut Exchange,
        start: Instant,
    ) -> Vec<u8> {
        let mut body = Vec::new();
        let body_deadline = (Instant::now() + self.timeout).min(self.deadline);
        // a body with neither a length nor chunks ends where the connection ends
        let close_delimited = exchange.header("content-length").is_none()
            && !exchange
                .header("transfer-encoding")
                .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
        loop {
            let left = body_deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, response.chunk()).await {
                Err(_) => {
                    exchange.error = Some(if body_deadline == self.deadline {
                        NetError::Deadline
                    } else {
                        NetError::Timeout {
                            phase: Phase::Body,
                            after_ms: elapsed_ms(start),
                        }
                    });
                    exchange.body_truncated = true;
                    break;
                }
                Ok(Err(e)) => {
                    match ended_early(&e) {
                        // iOS reads a body that ends with the connection even when the server
                        // closes without TLS close_notify (many do: IIS, proxies, CDNs), as
                        // Safari, Chromium and curl do; rustls reports the missing alert as an
                        // `UnexpectedEof` and leaves the decision to the application (rustls
                        // manual, "Unexpected EOF"). A body whose length was announced (or
                        // chunked) is still cut short when the connection ends before it.
                        Some(Ended::WithoutCloseNotify) if close_delimited => {
                            exchange.closed_without_close_notify = true;
                        }
                        // not `body_truncated`: that is otadoctor's own cut, at the cap
                        Some(ended) => {
                            exchange.error = Some(NetError::BodyCutShort {
                                received: body.len() as u64,
                                expected: exchange.header("content-length").and_then(|v| v.trim().parse().ok()),
                                detail: ended.words().to_string(),
                            });
                        }
                        None => {
                            exchange.error = Some(match classify(&e, Phase::Body, elapsed_ms(start)) {
                                NetError::Connect { detail } => NetError::Connect {
                                    detail: format!("{detail} while reading the body"),
                                },
                                other => other,
                            });
                            exchange.body_truncated = true;
                        }
                    }
                    break;
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = usize::try_from(cap.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    exchange.body_bytes = body.len() as u64;
                    if chunk.len() > room || body.len() as u64 >= cap {
                        // past the cap, or everything that was needed: stop reading
                        exchange.body_truncated =
                            chunk.len() > room || response.content_length().is_none_or(|l| l > cap);
                        break;
                    }
                }
            }
        }
        exchange.body_bytes = body.len() as u64;
        body
    }

    fn note_tls(&self, exchange: &mut Exchange, host: &str) {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let seen = self
            .fetch_log
            .lock()
            .ok()
            .and_then(|log| log.iter().rev().find(|s| s.server_name == bare).cloned());
        // a verdict belongs to a connection that got an answer; a failed request has none
        if let Some(seen) = seen.filter(|_| exchange.status.is_some()) {
            exchange.over_refused_tls = !seen.accepted();
            exchange.tls_verdict = Some(seen.verdict);
        }
    }

    /// Why the run's guard refuses to reach `host`: every address of the run's one answer for it
    /// (an IP literal is its own answer) is refused. `None` with no guard, when an address may
    /// be reached, or when the name does not resolve here (the request then fails on its DNS
    /// error, or a proxy resolves the name: the guard's known limit). The proxy's exemption
    /// does not apply: a target named as the proxy is judged as any other. A name a `--resolve`
    /// pin places is the operator's word, not judged (`otadoctor serve --demo` pins its site).
    async fn refused(&self, host: &str, port: u16) -> Option<NetError> {
        let guard = self.guard.as_ref()?;
        let dns = self.resolver.resolve(host, port).await;
        if dns.source == DnsSource::ResolveOption {
            return None;
        }
        let mut first = None;
        for address in &dns.addresses {
            let ip: std::net::IpAddr = address.parse().ok()?;
            let reason = guard.refusal(ip)?;
            first.get_or_insert((address, reason));
        }
        let (address, reason) = first?;
        Some(NetError::Refused {
            host: host.to_string(),
            address: address.clone(),
            reason: reason.to_string(),
        })
    }

    /// The probe of `host:port`, made once for the run however many requests go there.
    async fn probe(&self, host: &str, port: u16, https: bool, route: Option<&ProxyUrl>) {
        let cell = {
            let Ok(mut probes) = self.probes.lock() else { return };
            probes.entry((host.to_string(), port)).or_default().clone()
        };
        cell.get_or_init(|| {
            probe::probe(
                &self.resolver,
                self.probe_verifier.clone(),
                self.provider.clone(),
                host,
                port,
                https,
                route,
                self.timeout,
            )
        })
        .await;
    }

    /// A request through a proxy that got no answer: the proxy's failure, as the probe saw it
    /// (the HTTP client says no more than "tunnel error"), or as the client reported it. No
    /// text of it repeats the proxy's credentials.
    fn blame_proxy(&self, exchange: &mut Exchange, proxy: &ProxyUrl, host: &str, port: u16) {
        let probed = self
            .probes
            .lock()
            .ok()
            .and_then(|p| {
                p.get(&(host.to_string(), port))
                    .and_then(|c| c.get().cloned().flatten())
            })
            .and_then(|p| p.error.filter(|e| matches!(e, NetError::Proxy { .. })));
        if exchange.status.is_none() {
            let blamed = match (&exchange.error, probed) {
                (None | Some(NetError::Deadline), _) => None,
                (Some(_), Some(probed)) => Some(probed),
                (Some(NetError::Connect { detail }), None) if !detail.contains("while reading") => {
                    Some(NetError::Proxy {
                        proxy: proxy.shown(),
                        failure: ProxyFailure::Unreachable,
                        status: None,
                        detail: format!("cannot be reached: {detail}"),
                    })
                }
                (Some(NetError::Http { detail }), None) if detail.contains("tunnel") => Some(NetError::Proxy {
                    proxy: proxy.shown(),
                    failure: ProxyFailure::Other,
                    status: None,
                    detail: format!("failed the connection to {host}:{port}: {detail}"),
                }),
                _ => None,
            };
            if let Some(blamed) = blamed {
                exchange.error = Some(blamed);
            }
        }
        if let Some(error) = exchange.error.as_mut() {
            scrub(error, proxy);
        }
    }

    /// Every host the run touched, in name order.
    pub fn hosts(&self) -> Vec<HostFacts> {
        let answers = self.resolver.answers();
        let resources = self.resources.lock().map(|r| r.clone()).unwrap_or_default();
        let probes = self.probes.lock().map(|p| p.clone()).unwrap_or_default();
        let routes = self.routes.lock().map(|r| r.clone()).unwrap_or_default();
        let mut hosts: Vec<HostFacts> = resources
            .into_iter()
            .map(|((host, port), used)| {
                let proxy = routes.get(&(host.clone(), port)).map(|p| ProxyFacts {
                    url: p.shown(),
                    source: p.source.clone(),
                    credentials: p.has_credentials(),
                    resolve_not_used: self.resolver.pinned(&host),
                });
                let dns = match &proxy {
                    Some(_) => DnsFacts {
                        source: DnsSource::Proxy,
                        ..DnsFacts::default()
                    },
                    None => answers.get(&host.to_ascii_lowercase()).cloned().unwrap_or_default(),
                };
                HostFacts {
                    dns,
                    probe: probes
                        .get(&(host.clone(), port))
                        .and_then(|c| c.get().cloned().flatten()),
                    resources: used.into_iter().collect(),
                    proxy,
                    host,
                    port,
                }
            })
            .collect();
        hosts.sort_by(|a, b| (&a.host, a.port).cmp(&(&b.host, b.port)));
        hosts
    }
}

/// The request head a second look sends: the installer's request, on a connection of its own
/// that closes after the answer.
fn watch_target(request: &Request, url: &str, route: Option<&ProxyUrl>) -> Option<probe::WatchTarget> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_string();
    let port = parsed.port_or_known_default()?;
    let mut head = format!(
        "{} {}{} HTTP/1.1\r\nhost: {}\r\nuser-agent: {}\r\n",
        request.method,
        parsed.path(),
        parsed.query().map(|q| format!("?{q}")).unwrap_or_default(),
        match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        },
        request.user_agent
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    Some(probe::WatchTarget {
        https: parsed.scheme() == "https",
        proxy: route.cloned(),
        host,
        port,
        request: head.into_bytes(),
    })
}

/// The client's proxy for https URLs (`https`) or for http URLs, when the run has one: the
/// run's own choice for each URL (`Proxies::route`), with its credentials as a header.
fn for_client(proxies: &Proxies, https: bool) -> Result<Option<reqwest::Proxy>, String> {
    let Some(proxy) = (if https { &proxies.https } else { &proxies.http }) else {
        return Ok(None);
    };
    let shown = proxy.shown();
    let no_proxy = proxies.no_proxy.clone();
    let scheme = if https { "https" } else { "http" };
    let mut client_proxy = reqwest::Proxy::custom(move |url| {
        let host = url.host_str()?;
        (url.scheme() == scheme && !no_proxy.matches(host)).then(|| shown.clone())
    });
    if let Some(authorization) = proxy.authorization() {
        let mut value = reqwest::header::HeaderValue::from_str(authorization)
            .map_err(|_| "the proxy's credentials cannot be sent in a header".to_string())?;
        value.set_sensitive(true);
        client_proxy = client_proxy.custom_http_auth(value);
    }
    Ok(Some(client_proxy))
}

/// Replaces the proxy's credentials, wherever an error's text quotes them, by `***`.
fn scrub(error: &mut NetError, proxy: &ProxyUrl) {
    match error {
        NetError::Dns { detail, .. }
        | NetError::Connect { detail }
        | NetError::Tls { detail }
        | NetError::Http { detail }
        | NetError::InvalidResponse { detail }
        | NetError::BodyCutShort { detail, .. }
        | NetError::Proxy { detail, .. } => *detail = proxy.scrub(detail),
        NetError::RedirectNotFollowed { location } => *location = proxy.scrub(location),
        NetError::Timeout { .. }
        | NetError::Deadline
        | NetError::TooManyRedirects { .. }
        | NetError::Refused { .. } => {}
    }
}

/// Decodes a body by its `Content-Encoding` as the installer does (gzip, deflate), within the
/// request's cap; a body that is not what the header says is a broken answer. Ranges and HEAD
/// are left alone (a slice of a compressed stream cannot be decoded on its own).
fn decode_body(request: &Request, exchange: &mut Exchange, body: Vec<u8>) -> Vec<u8> {
    if exchange.error.is_some()
        || request.method == reqwest::Method::HEAD
        || !exchange.status.is_some_and(|s| (200..300).contains(&s) && s != 206)
    {
        return body;
    }
    let complete = !exchange.body_truncated;
    match encoding::decode(exchange.header("content-encoding"), &body, complete, request.cap) {
        encoding::Decoded::AsIs => body,
        encoding::Decoded::Body {
            coding,
            bytes,
            truncated,
        } => {
            exchange.decoded = Some(coding);
            exchange.encoded_bytes = Some(body.len() as u64);
            exchange.body_bytes = bytes.len() as u64;
            exchange.body_truncated = truncated;
            bytes
        }
        encoding::Decoded::Broken { coding, detail } => {
            exchange.error = Some(NetError::InvalidResponse {
                detail: format!("its body is not {coding} data, though its Content-Encoding says {coding} ({detail})"),
            });
            body
        }
    }
}

/// How a body read ended before its end, when the connection ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The TLS connection ended without close_notify.
    WithoutCloseNotify,
    /// The connection ended (with close_notify, or plain TCP) before the announced length or
    /// the last chunk.
    Closed,
}

impl Ended {
    fn words(self) -> &'static str {
        match self {
            Ended::WithoutCloseNotify => "the server closed the connection without TLS close_notify",
            Ended::Closed => "the server closed the connection",
        }
    }
}

/// Whether a body read failed because the connection ended: an `UnexpectedEof` in the chain,
/// from rustls (no close_notify) or from hyper (the length or the chunks not complete).
fn ended_early(e: &reqwest::Error) -> Option<Ended> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::UnexpectedEof
        {
            return Some(if io.to_string().contains("close_notify") {
                Ended::WithoutCloseNotify
            } else {
                Ended::Closed
            });
        }
        source = err.source();
    }
    None
}

/// What hyper's refusal of an answer means, in words (`None`: it is not about the answer's
/// form). Its own texts ("invalid HTTP header parsed") name the part, not what is wrong with it.
fn invalid_http(e: &hyper::Error) -> Option<String> {
    if e.is_parse_version_h2() {
        return Some("it starts with the HTTP/2 preface on an HTTP/1.1 connection".to_string());
    }
    if e.is_parse_status() {
        return Some("its status line has no valid status code (three digits)".to_string());
    }
    if e.is_incomplete_message() {
        return Some("the connection closed before a complete answer came".to_string());
    }
    if !e.is_parse() {
        return None;
    }
    let text = e.to_string();
    Some(match text.as_str() {
        "message head is too large" => {
            "its head is too large (more than 100 header lines, or more than 400 KB before the blank line that ends it)"
                .to_string()
        }
        "invalid HTTP version parsed" => "its status line does not start with HTTP/1.0 or HTTP/1.1".to_string(),
        "invalid HTTP header parsed" => {
            "a header line is not valid (a name with a space or a control character, or no colon)".to_string()
        }
        "invalid content-length parsed" => {
            "its Content-Length is invalid (two different Content-Length values, or not a number)".to_string()
        }
        "unexpected transfer-encoding parsed" => "an HTTP/1.0 answer with Transfer-Encoding".to_string(),
        _ => text,
    })
}

/// What a failed request tells about the cause.
fn classify(e: &reqwest::Error, phase: Phase, after_ms: u64) -> NetError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(dns) = err.downcast_ref::<DnsError>() {
            return NetError::Dns {
                host: dns.host.clone(),
                detail: dns.detail.clone(),
            };
        }
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return NetError::Tls {
                detail: tls::describe_tls_error(tls),
            };
        }
        if let Some(detail) = err.downcast_ref::<hyper::Error>().and_then(invalid_http) {
            return NetError::InvalidResponse { detail };
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
            ) {
                return NetError::Connect {
                    detail: resolve::connect_detail(io),
                };
            }
            if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return NetError::Tls {
                    detail: tls::describe_tls_error(tls),
                };
            }
            // hyper decoding a body: a chunk size line or a chunk end that is not valid
            if phase == Phase::Body
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
                )
            {
                return NetError::InvalidResponse {
                    detail: format!("its chunked body is malformed ({io})"),
                };
            }
            // the connection ended after the request was sent, before the head was complete
            // (during the handshake it is the TLS failure it looks like)
            if io.kind() == std::io::ErrorKind::UnexpectedEof && !e.is_connect() {
                return NetError::InvalidResponse {
                    detail: if io.to_string().contains("close_notify") {
                        "the connection closed (without TLS close_notify) before a complete answer came".to_string()
                    } else {
                        "the connection closed before a complete answer came".to_string()
                    },
                };
            }
        }
        source = err.source();
    }
    if e.is_timeout() {
        let phase = if e.is_connect() { Phase::Connect } else { phase };
        return NetError::Timeout { phase, after_ms };
    }
    // the innermost error says what happened; reqwest's own text only names the URL
    let mut deepest = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        deepest = err.to_string();
        source = err.source();
    }
    let lower = deepest.to_ascii_lowercase();
    if [
        "alert",
        "handshake",
        "certificate",
        "tls",
        "peer is incompatible",
        "corrupt message",
    ]
    .iter()
    .any(|m| lower.contains(m))
    {
        return NetError::Tls { detail: deepest };
    }
    if e.is_connect() {
        return NetError::Connect { detail: deepest };
    }
    NetError::Http { detail: deepest }
}
