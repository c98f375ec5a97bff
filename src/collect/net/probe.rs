//! One TCP connection and TLS handshake per host:port of the run, made once: it times connect
//! and TLS, records the served chain and the verdict, and what was negotiated. A handshake that
//! fails is recorded with its reason (for the TLS rules), never retried.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use crate::collect::net::resolve::{DeviceResolver, elapsed_ms};
use crate::collect::net::tls::{ClientCertRequests, RecordingVerifier, describe_tls_error, failure_kind, probe_config};
use crate::facts::{HandshakeFailure, NetError, Phase, ProbeFacts};

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
