//! Name resolution as the run sees it: `--resolve` pins first (curl's HOST:PORT:ADDR), then
//! `--dns-server` if given, else the system resolver. Every answer is recorded and cached, so
//! the HTTP client and the TLS probe connect to the same addresses. With a guard (`otadoctor
//! serve`), the addresses it refuses are recorded beside the answer and never handed out.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

use crate::collect::net::guard::Guard;
use crate::facts::{DnsFacts, DnsSource};

/// One `--resolve HOST:PORT:ADDR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

impl std::str::FromStr for Pin {
    type Err = String;

    fn from_str(s: &str) -> Result<Pin, String> {
        let (host, rest) = s.split_once(':').ok_or("expected HOST:PORT:ADDR")?;
        let (port, addr) = rest.split_once(':').ok_or("expected HOST:PORT:ADDR")?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        Ok(Pin {
            host: host.trim().to_ascii_lowercase(),
            port: port.parse().map_err(|_| format!("\"{port}\" is not a port"))?,
            addr: addr.parse().map_err(|_| format!("\"{addr}\" is not an IP address"))?,
        })
    }
}

/// Why a name did not resolve (kept as the error source so the HTTP layer can tell it apart).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} does not resolve: {detail}")]
pub struct DnsError {
    pub host: String,
    pub detail: String,
}

/// The run's resolver.
pub struct DeviceResolver {
    pins: Vec<Pin>,
    dns_server: Option<TokioResolver>,
    timeout: Duration,
    /// The addresses the HTTP client, the probe and the second look may connect to.
    guard: Option<Arc<Guard>>,
    /// The proxies' names (lower case): the operator's own, never refused.
    exempt: Vec<String>,
    cache: Mutex<HashMap<String, DnsFacts>>,
    /// How many connections the HTTP client began per host (it resolves once for each).
    connections: Mutex<HashMap<String, usize>>,
}

impl DeviceResolver {
    /// The run's resolver. With a `guard`, the addresses it refuses are recorded in each answer
    /// (`DnsFacts::refused`) and never handed out, except for the names in `exempt` (the
    /// proxies').
    pub fn new(
        pins: Vec<Pin>,
        dns_server: Option<SocketAddr>,
        timeout: Duration,
        guard: Option<Arc<Guard>>,
        exempt: Vec<String>,
    ) -> Arc<DeviceResolver> {
        let dns_server = dns_server.map(|addr| {
            let mut connection = ConnectionConfig::udp();
            connection.port = addr.port();
            let server = NameServerConfig::new(addr.ip(), true, vec![connection]);
            let mut builder = TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            );
            builder.options_mut().timeout = timeout;
            builder.options_mut().attempts = 1;
            builder.options_mut().cache_size = 0;
            builder.build()
        });
        Arc::new(DeviceResolver {
            pins,
            dns_server: dns_server.and_then(Result::ok),
            timeout,
            guard,
            exempt: exempt.iter().map(|e| e.to_ascii_lowercase()).collect(),
            cache: Mutex::new(HashMap::new()),
            connections: Mutex::new(HashMap::new()),
        })
    }

    /// Resolves `host` (for `port`, which only --resolve pins look at), once per run: two
    /// callers that ask at once both get the answer cached first, so a guard's check and the
    /// connection it allows cannot see two answers of a name that changes its mind.
    pub async fn resolve(&self, host: &str, port: u16) -> DnsFacts {
        let key = host.to_ascii_lowercase();
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return hit;
        }
        let start = Instant::now();
        let mut facts = self.lookup(&key, port).await;
        facts.ms = elapsed_ms(start);
        // a --resolve pin is the operator's own word for where a name is: not judged
        let pinned = facts.source == DnsSource::ResolveOption;
        if let Some(guard) = self.guard.as_ref().filter(|_| !self.exempt.contains(&key) && !pinned) {
            facts.refused = facts
                .addresses
                .iter()
                .filter(|a| a.parse::<IpAddr>().is_ok_and(|ip| guard.refusal(ip).is_some()))
                .cloned()
                .collect();
        }
        match self.cache.lock() {
            Ok(mut cache) => cache.entry(key).or_insert(facts).clone(),
            Err(_) => facts,
        }
    }

    async fn lookup(&self, host: &str, port: u16) -> DnsFacts {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return DnsFacts {
                source: DnsSource::IpLiteral,
                addresses: vec![ip.to_string()],
                ..DnsFacts::default()
            };
        }
        let pinned: Vec<&Pin> = self.pins.iter().filter(|p| p.host == host).collect();
        if !pinned.is_empty() {
            let exact: Vec<&&Pin> = pinned.iter().filter(|p| p.port == port).collect();
            let chosen: Vec<String> = if exact.is_empty() {
                pinned.iter().map(|p| p.addr.to_string()).collect()
            } else {
                exact.iter().map(|p| p.addr.to_string()).collect()
            };
            return DnsFacts {
                source: DnsSource::ResolveOption,
                addresses: chosen,
                ..DnsFacts::default()
            };
        }
        let (source, answer): (DnsSource, Result<Result<Vec<IpAddr>, String>, _>) = match &self.dns_server {
            Some(resolver) => {
                let lookup = tokio::time::timeout(self.timeout, resolver.lookup_ip(format!("{host}."))).await;
                (
                    DnsSource::DnsServer,
                    lookup.map(|r| r.map(|ips| ips.iter().collect()).map_err(|e| e.to_string())),
                )
            }
            None => {
                let lookup = tokio::time::timeout(self.timeout, tokio::net::lookup_host((host, port))).await;
                (
                    DnsSource::System,
                    lookup.map(|r| {
                        r.map(|addrs| addrs.map(|a| a.ip()).collect())
                            .map_err(|e| e.to_string())
                    }),
                )
            }
        };
        let mut facts = DnsFacts {
            source,
            ..DnsFacts::default()
        };
        match answer {
            Ok(Ok(ips)) => {
                for ip in ips {
                    let ip = ip.to_string();
                    if !facts.addresses.contains(&ip) {
                        facts.addresses.push(ip);
                    }
                }
            }
            Ok(Err(e)) => facts.error = Some(dns_detail(&e)),
            Err(_) => facts.error = Some(format!("no answer within {} s", self.timeout.as_secs())),
        }
        facts
    }

    /// How many connections the HTTP client began to `host` so far (pooled requests make none).
    pub fn connections_begun(&self, host: &str) -> usize {
        let key = host.to_ascii_lowercase();
        self.connections
            .lock()
            .map(|c| c.get(&key).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Whether a --resolve pin names `host`.
    pub fn pinned(&self, host: &str) -> bool {
        let key = host.to_ascii_lowercase();
        self.pins.iter().any(|p| p.host == key)
    }

    /// What was resolved so far.
    pub fn answers(&self) -> HashMap<String, DnsFacts> {
        self.cache.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

fn dns_detail(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    if lower.contains("nxdomain")
        || lower.contains("no records found")
        || lower.contains("name or service not known")
        || lower.contains("no address associated")
    {
        "no such name (NXDOMAIN or no A/AAAA record)".to_string()
    } else {
        raw.to_string()
    }
}

/// A failed connect in words.
pub fn connect_detail(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        std::io::ErrorKind::ConnectionReset => "connection reset".to_string(),
        std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => "unreachable".to_string(),
        _ => e.to_string(),
    }
}

pub fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The resolver as reqwest wants it.
#[derive(Clone)]
pub struct ForReqwest(pub Arc<DeviceResolver>);

impl reqwest::dns::Resolve for ForReqwest {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.0.clone();
        let host = name.as_str().to_string();
        if let Ok(mut connections) = resolver.connections.lock() {
            *connections.entry(host.to_ascii_lowercase()).or_default() += 1;
        }
        Box::pin(async move {
            // reqwest gives no port; a --resolve pin for any port of the host applies.
            let facts = resolver.resolve(&host, 0).await;
            if let Some(detail) = facts.error {
                return Err(Box::new(DnsError { host, detail }) as Box<dyn std::error::Error + Send + Sync>);
            }
            // never an address the run's guard refused (`Net::exchange` sends nothing when it
            // refused them all: this is the same cached answer)
            let addrs: Vec<SocketAddr> = facts
                .usable()
                .filter_map(|a| a.parse::<IpAddr>().ok())
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(DnsError {
                    host,
                    detail: if facts.refused.is_empty() {
                        "no address".into()
                    } else {
                        "no address this server may fetch".into()
                    },
                }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::net::guard::{Guard, parse_allow};
    use reqwest::dns::Resolve;

    fn pin(text: &str) -> Pin {
        text.parse().unwrap()
    }

    /// What the HTTP client would connect to for `name` (no connection is made).
    async fn handed_to_reqwest(resolver: &Arc<DeviceResolver>, name: &str) -> Result<Vec<String>, String> {
        let name: reqwest::dns::Name = name.parse().map_err(|_| "not a name".to_string())?;
        match ForReqwest(resolver.clone()).resolve(name).await {
            Ok(addrs) => Ok(addrs.map(|a| a.ip().to_string()).collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn the_guard_keeps_refused_addresses_from_the_client_and_records_them() {
        let guard = Arc::new(Guard::new(parse_allow("127.0.0.1/32").unwrap()));
        let resolver = DeviceResolver::new(
            vec![pin("pinned.lab:443:10.1.2.3"), pin("proxy.lab:443:10.9.9.9")],
            None,
            Duration::from_secs(1),
            Some(guard),
            vec!["PROXY.lab".to_string()],
        );
        // an IP literal is its own answer, judged as any other: recorded, never handed out
        let facts = resolver.resolve("169.254.169.254", 443).await;
        assert_eq!(facts.addresses, ["169.254.169.254"]);
        assert_eq!(facts.refused, ["169.254.169.254"]);
        assert_eq!(facts.usable().count(), 0);
        let allowed = resolver.resolve("127.0.0.1", 443).await;
        assert!(allowed.refused.is_empty());
        // a --resolve pin is the operator's word: not judged
        assert_eq!(handed_to_reqwest(&resolver, "pinned.lab").await.unwrap(), ["10.1.2.3"]);
        assert!(resolver.resolve("pinned.lab", 443).await.refused.is_empty());
        // the proxy's own name is never refused
        assert_eq!(handed_to_reqwest(&resolver, "proxy.lab").await.unwrap(), ["10.9.9.9"]);
        assert!(resolver.resolve("proxy.lab", 443).await.refused.is_empty());
    }

    #[test]
    fn of_a_mixed_answer_only_the_addresses_not_refused_are_usable() {
        // DNS's whole answer stays in the facts (NET002 reads it); the client gets the rest
        let facts = DnsFacts {
            addresses: vec![
                "10.1.2.3".to_string(),
                "192.0.2.80".to_string(),
                "127.0.0.1".to_string(),
            ],
            refused: vec!["10.1.2.3".to_string(), "127.0.0.1".to_string()],
            ..DnsFacts::default()
        };
        assert_eq!(facts.usable().collect::<Vec<_>>(), ["192.0.2.80"]);
    }

    #[tokio::test]
    async fn without_a_guard_every_address_is_handed_out() {
        let resolver = DeviceResolver::new(
            vec![pin("mixed.lab:443:10.1.2.3"), pin("mixed.lab:443:127.0.0.1")],
            None,
            Duration::from_secs(1),
            None,
            Vec::new(),
        );
        assert_eq!(
            handed_to_reqwest(&resolver, "mixed.lab").await.unwrap(),
            ["10.1.2.3", "127.0.0.1"]
        );
        assert!(resolver.resolve("mixed.lab", 443).await.refused.is_empty());
    }
}
