//! One TCP connection and TLS handshake per host:port of the run, made once: it times connect
//! and TLS, records the served chain and the verdict, and what was negotiated. A handshake that
//! fails is recorded with its reason (for the TLS rules), never retried.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use crate::collect::net::proxy::{ProxyUrl, tunnel};
use crate::collect::net::resolve::{DeviceResolver, connect_detail, elapsed_ms};
use crate::collect::net::tls::{ClientCertRequests, RecordingVerifier, describe_tls_error, failure_kind, probe_config};
use crate::facts::{HandshakeFailure, NetError, Phase, ProbeFacts};

/// Connects to `host:port` at the first resolved address, or through `proxy` (https: its
/// CONNECT tunnel; http: the connection to the proxy alone), and shakes hands (for https).
#[allow(clippy::too_many_arguments)]
pub async fn probe(
    resolver: &DeviceResolver,
    verifier: Arc<RecordingVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    host: &str,
    port: u16,
    https: bool,
    proxy: Option<&ProxyUrl>,
    timeout: Duration,
) -> Option<ProbeFacts> {
    let mut facts = ProbeFacts::default();
    let tcp = match proxy {
        Some(proxy) if https => match tunnel(resolver, proxy, host, port, timeout).await {
            Ok(tunnel) => {
                facts.address = tunnel.address.to_string();
                facts.connect_ms = Some(tunnel.connect_ms);
                facts.tunnel_ms = Some(tunnel.answer_ms);
                tunnel.stream
            }
            Err(error) => {
                facts.error = Some(error);
                return Some(facts);
            }
        },
        Some(proxy) => {
            match crate::collect::net::proxy::connect(resolver, proxy, timeout).await {
                Ok((_, address, ms)) => {
                    facts.address = address.to_string();
                    facts.connect_ms = Some(ms);
                }
                Err(error) => facts.error = Some(error),
            }
            return Some(facts);
        }
        None => {
            let dns = resolver.resolve(host, port).await;
            // never an address the run's guard refused
            let ip: IpAddr = dns.usable().next()?.parse().ok()?;
            let address = SocketAddr::new(ip, port);
            facts.address = address.to_string();
            let start = Instant::now();
            match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
                Ok(Ok(tcp)) => {
                    facts.connect_ms = Some(elapsed_ms(start));
                    tcp
                }
                Ok(Err(e)) => {
                    facts.error = Some(NetError::Connect {
                        detail: connect_detail(&e),
                    });
                    return Some(facts);
                }
                Err(_) => {
                    facts.error = Some(NetError::Timeout {
                        phase: Phase::Connect,
                        after_ms: elapsed_ms(start),
                    });
                    return Some(facts);
                }
            }
        }
    };
    if !https {
        return Some(facts);
    }
    // concurrent probes of other hosts share the run's verifier: this one records alone
    let verifier = Arc::new(verifier.with_own_log());
    let log = verifier.log();
    let requests = Arc::new(ClientCertRequests::default());
    let config = match probe_config(verifier, provider, requests.clone()) {
        Ok(c) => c,
        Err(e) => {
            facts.error = Some(NetError::Tls { detail: e });
            return Some(facts);
        }
    };
    let Ok(name) = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string()) else {
        facts.error = Some(NetError::Tls {
            detail: format!("\"{host}\" cannot be a TLS server name"),
        });
        return Some(facts);
    };
    let tls_start = Instant::now();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = tokio::time::timeout(timeout, connector.connect(name, tcp)).await;
    let seen = log.lock().ok().and_then(|l| l.last().cloned());
    match handshake {
        Ok(Ok(mut stream)) => {
            facts.tls_ms = Some(elapsed_ms(tls_start));
            if requests.asked() {
                // in TLS 1.3 the server judges the (empty) client certificate after the client is
                // done: its refusal arrives as an alert on the first read
                let mut byte = [0u8; 1];
                let read = tokio::time::timeout(
                    timeout.min(Duration::from_secs(2)),
                    tokio::io::AsyncReadExt::read(&mut stream, &mut byte),
                )
                .await;
                if let Ok(Err(e)) = read {
                    let detail = e
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                        .map(describe_tls_error)
                        .unwrap_or_else(|| e.to_string());
                    facts.handshake_failure = Some(HandshakeFailure::ClientCertificate);
                    facts.error = Some(NetError::Tls { detail });
                }
            }
            let (_, conn) = stream.get_ref();
            let mut seen = seen.unwrap_or_default();
            seen.version = conn.protocol_version().map(|v| format!("{v:?}"));
            seen.cipher_suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite()));
            seen.key_exchange = conn.negotiated_key_exchange_group().map(|g| format!("{:?}", g.name()));
            seen.alpn = conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned());
            seen.client_certificate_requested = requests.asked();
            facts.tls = Some(seen);
        }
        Ok(Err(e)) => {
            facts.tls = seen;
            let tls_error = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
            let detail = tls_error.map(describe_tls_error).unwrap_or_else(|| e.to_string());
            let kind = match tls_error {
                _ if requests.asked() => HandshakeFailure::ClientCertificate,
                Some(t) => failure_kind(t),
                None if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::BrokenPipe
                ) =>
                {
                    HandshakeFailure::Reset
                }
                None => HandshakeFailure::Other,
            };
            facts.handshake_failure = Some(kind);
            if let Some(tls) = facts.tls.as_mut() {
                tls.client_certificate_requested = requests.asked();
            }
            facts.error = Some(NetError::Tls { detail });
        }
        Err(_) => {
            facts.tls = seen;
            facts.error = Some(NetError::Timeout {
                phase: Phase::Connect,
                after_ms: facts.connect_ms.unwrap_or(0) + elapsed_ms(tls_start),
            });
        }
    }
    Some(facts)
}

/// A second look at a server whose response head is late: the same request on a connection of
/// its own (HTTP/1.1; TLS for https), read raw until the head's blank line or `until`. It tells
/// a head that trickles in (bytes keep coming) from no answer at all, which the HTTP client does
/// not show while a head is incomplete. Notes what it sees in `seen` as it comes.
pub async fn watch_head(
    resolver: &DeviceResolver,
    config: Arc<rustls::ClientConfig>,
    target: &WatchTarget,
    seen: &HeadSeen,
    until: tokio::time::Instant,
) {
    let tcp = match &target.proxy {
        // an https host behind a proxy is watched through a tunnel of its own
        Some(proxy) => {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            let Ok(tunnel) = tunnel(resolver, proxy, &target.host, target.port, left).await else {
                return;
            };
            tunnel.stream
        }
        None => {
            let dns = resolver.resolve(&target.host, target.port).await;
            let Some(ip) = dns.usable().next().and_then(|a| a.parse::<IpAddr>().ok()) else {
                return;
            };
            let connect = TcpStream::connect(SocketAddr::new(ip, target.port));
            let Ok(Ok(tcp)) = tokio::time::timeout_at(until, connect).await else {
                return;
            };
            tcp
        }
    };
    if !target.https {
        read_head_bytes(tcp, &target.request, seen, until).await;
        return;
    }
    let Ok(name) = ServerName::try_from(target.host.trim_start_matches('[').trim_end_matches(']').to_string()) else {
        return;
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    if let Ok(Ok(tls)) = tokio::time::timeout_at(until, connector.connect(name, tcp)).await {
        read_head_bytes(tls, &target.request, seen, until).await;
    }
}

/// Where a second look goes, and the request head it sends.
#[derive(Debug, Clone)]
pub struct WatchTarget {
    pub host: String,
    pub port: u16,
    pub https: bool,
    /// The proxy an https host is reached through (its tunnel); none for a plain http host.
    pub proxy: Option<ProxyUrl>,
    pub request: Vec<u8>,
}

/// What a second look saw of the head so far.
#[derive(Debug, Default)]
pub struct HeadSeen {
    /// Bytes of the head that arrived.
    pub bytes: std::sync::atomic::AtomicU64,
    /// True once the head's blank line came.
    pub complete: std::sync::atomic::AtomicBool,
}

/// The most head bytes a second look reads: enough to see bytes arrive.
const WATCH_CAP: u64 = 64 * 1024;

async fn read_head_bytes<S>(mut stream: S, request: &[u8], seen: &HeadSeen, until: tokio::time::Instant)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sent = tokio::time::timeout_at(until, async {
        stream.write_all(request).await?;
        stream.flush().await
    })
    .await;
    if !matches!(sent, Ok(Ok(()))) {
        return;
    }
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    let mut total = 0u64;
    while total < WATCH_CAP {
        let Ok(Ok(n)) = tokio::time::timeout_at(until, stream.read(&mut buf)).await else {
            return;
        };
        if n == 0 {
            return;
        }
        total += n as u64;
        // the head ends at its blank line: what follows is the body
        tail.extend_from_slice(&buf[..n]);
        let end = tail.windows(4).position(|w| w == b"\r\n\r\n");
        let head_bytes = end.map_or(n, |at| (at + 4).saturating_sub(tail.len() - n));
        seen.bytes
            .fetch_add(head_bytes as u64, std::sync::atomic::Ordering::SeqCst);
        if end.is_some() {
            seen.complete.store(true, std::sync::atomic::Ordering::SeqCst);
            return;
        }
        let keep = tail.len().saturating_sub(3);
        tail.drain(..keep);
    }
}
