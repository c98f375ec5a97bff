//! One TCP connection and TLS handshake per host:port of the run, made once: it times connect
//! and TLS, records the served chain and the verdict, and what was negotiated. A handshake that
//! fails is recorded with its reason (for the TLS rules), never retried.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use crate::collect::net::resolve::{DeviceResolver, elapsed_ms};
use crate::collect::net::tls::{RecordingVerifier, client_config, describe_tls_error};
use crate::facts::{NetError, Phase, ProbeFacts};

/// Connects to `host:port` at the first resolved address and shakes hands (for https).
pub async fn probe(
    resolver: &DeviceResolver,
    verifier: Arc<RecordingVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    host: &str,
    port: u16,
    https: bool,
    timeout: Duration,
) -> Option<ProbeFacts> {
    let dns = resolver.resolve(host, port).await;
    let ip: IpAddr = dns.addresses.first()?.parse().ok()?;
    let address = SocketAddr::new(ip, port);
    let mut facts = ProbeFacts {
        address: address.to_string(),
        ..ProbeFacts::default()
    };
    let start = Instant::now();
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(tcp)) => tcp,
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
    };
    facts.connect_ms = Some(elapsed_ms(start));
    if !https {
        return Some(facts);
    }
    let log = verifier.log();
    let config = match client_config(verifier, provider) {
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
        Ok(Ok(stream)) => {
            facts.tls_ms = Some(elapsed_ms(tls_start));
            let (_, conn) = stream.get_ref();
            let mut seen = seen.unwrap_or_default();
            seen.version = conn.protocol_version().map(|v| format!("{v:?}"));
            seen.cipher_suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite()));
            seen.key_exchange = conn.negotiated_key_exchange_group().map(|g| format!("{:?}", g.name()));
            seen.alpn = conn.alpn_protocol().map(|a| String::from_utf8_lossy(a).into_owned());
            facts.tls = Some(seen);
        }
        Ok(Err(e)) => {
            facts.tls = seen;
            let detail = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .map(describe_tls_error)
                .unwrap_or_else(|| e.to_string());
            facts.error = Some(NetError::Tls { detail });
        }
        Err(_) => {
            facts.tls = seen;
            facts.error = Some(NetError::Timeout {
                phase: Phase::Connect,
                after_ms: elapsed_ms(start),
            });
        }
    }
    Some(facts)
}

pub fn connect_detail(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        std::io::ErrorKind::ConnectionReset => "connection reset".to_string(),
        std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => "unreachable".to_string(),
        _ => e.to_string(),
    }
}
