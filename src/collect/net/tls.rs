//! TLS that never stops the run: a certificate verifier that records the chain exactly as
//! served and the standard (webpki) verdict, then lets the handshake finish, so one run can
//! report every problem. Public roots are Apple's iOS trust store; `--ca-file` roots are private.
//!
//! Keep everything rustls-specific about verification in this file (rustls 0.24 changes it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::facts::{AnchoredBy, ChainVerdict, HandshakeFailure, TlsSeen, TrustStoreFacts};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/apple_roots.rs"));
}

/// The trust store version of the embedded roots (see assets/apple-trust-store/README.md).
pub const APPLE_TRUST_STORE_VERSION: &str = "2025072000";

const CONSTRAINTS: &str = include_str!("../../../assets/apple-trust-store/constraints.json");

/// Apple's SSL policy OID prefix; a constrained root without it is not a TLS anchor.
const APPLE_SSL_POLICY: &str = "1.2.840.113635.100.1.3";

/// The roots certificates are judged against.
#[derive(Debug, Clone)]
pub struct TrustRoots {
    public: Arc<RootCertStore>,
    private: Arc<RootCertStore>,
    pub facts: TrustStoreFacts,
}

impl TrustRoots {
    /// Apple's iOS store (or `trust_store`, which replaces it) plus the private roots in
    /// `ca_pem` (the contents of --ca-file files).
    pub fn load(ca_pem: &[(String, Vec<u8>)], trust_store: Option<&(String, Vec<u8>)>) -> Result<TrustRoots, String> {
        let mut anchors = Vec::new();
        let public_ders: Vec<CertificateDer<'static>> = match trust_store {
            Some((path, pem)) => pem_certificates(path, pem)?,
            None => {
                let excluded = non_tls_roots();
                embedded::APPLE_ROOTS
                    .iter()
                    .filter(|(name, _)| !excluded.iter().any(|e| name.eq_ignore_ascii_case(&format!("{e}.cer"))))
                    .map(|(_, der)| CertificateDer::from(der.to_vec()))
                    .collect()
            }
        };
        for der in &public_ders {
            anchors.extend(anchor(der, true));
        }
        let mut public = RootCertStore::empty();
        let (added, _unparsable) = public.add_parsable_certificates(public_ders);
        let mut private = RootCertStore::empty();
        for (path, pem) in ca_pem {
            for cert in pem_certificates(path, pem)? {
                anchors.extend(anchor(&cert, false));
                private
                    .add(cert)
                    .map_err(|e| format!("{path}: the certificate cannot be a root ({e})"))?;
            }
        }
        let (name, version) = match trust_store {
            Some((path, _)) => (format!("--trust-store {path}"), "given".to_string()),
            None => (
                "Apple iOS trust store".to_string(),
                APPLE_TRUST_STORE_VERSION.to_string(),
            ),
        };
        let facts = TrustStoreFacts {
            name,
            version,
            roots: added,
            private_roots: private.len(),
            anchors,
        };
        Ok(TrustRoots {
            public: Arc::new(public),
            private: Arc::new(private),
            facts,
        })
    }
}

/// Every certificate of a PEM file; an error when there is none.
pub fn pem_certificates(path: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut out = Vec::new();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(pem) {
        out.push(cert.map_err(|e| format!("{path}: not a PEM certificate ({e})"))?);
    }
    if out.is_empty() {
        return Err(format!(
            "{path}: no certificate in it (expected PEM, -----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(out)
}

fn anchor(der: &[u8], public: bool) -> Option<crate::facts::Anchor> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(crate::facts::Anchor {
        subject: cert.subject().to_string(),
        der_hex: hex(der),
        public,
    })
}

/// Roots that Apple's constraints limit to policies other than SSL.
fn non_tls_roots() -> Vec<String> {
    let Ok(serde_json::Value::Object(sections)) = serde_json::from_str::<serde_json::Value>(CONSTRAINTS) else {
        return Vec::new();
    };
    let mut policies: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (section, roots) in &sections {
        if section.starts_with("test-") {
            continue;
        }
        for (hash, oids) in roots.as_object().into_iter().flatten() {
            let list = policies.entry(hash.clone()).or_default();
            list.extend(
                oids.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_str().map(str::to_string)),
            );
        }
    }
    policies
        .into_iter()
        .filter(|(_, oids)| !oids.iter().any(|o| o.starts_with(APPLE_SSL_POLICY)))
        .map(|(h, _)| h)
        .collect()
}

/// Records every chain it is shown, with the verdict, and accepts the connection anyway.
#[derive(Debug)]
pub struct RecordingVerifier {
    public: Arc<WebPkiServerVerifier>,
    /// Public and private roots together, when there are private roots.
    with_private: Option<Arc<WebPkiServerVerifier>>,
    log: Arc<Mutex<Vec<TlsSeen>>>,
    /// The run's clock (`--now`), so validity dates are judged deterministically.
    now: UnixTime,
}

impl RecordingVerifier {
    pub fn new(roots: &TrustRoots, provider: Arc<CryptoProvider>, now: UnixTime) -> Result<RecordingVerifier, String> {
        let public = WebPkiServerVerifier::builder_with_provider(roots.public.clone(), provider.clone())
            .build()
            .map_err(|e| format!("the public trust store is unusable: {e}"))?;
        let with_private = if roots.private.is_empty() {
            None
        } else {
            let mut all = (*roots.public).clone();
            all.roots.extend(roots.private.roots.iter().cloned());
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(all), provider)
                    .build()
                    .map_err(|e| format!("the --ca-file roots are unusable: {e}"))?,
            )
        };
        Ok(RecordingVerifier {
            public,
            with_private,
            log: Arc::default(),
            now,
        })
    }

    pub fn log(&self) -> Arc<Mutex<Vec<TlsSeen>>> {
        self.log.clone()
    }

    /// The same verifier recording into a log of its own (one probe's handshake, whatever
    /// other probes run at the same time).
    pub fn with_own_log(&self) -> RecordingVerifier {
        RecordingVerifier {
            public: self.public.clone(),
            with_private: self.with_private.clone(),
            log: Arc::default(),
            now: self.now,
        }
    }
}

/// Reads a rustls error the way a person would.
pub fn describe_tls_error(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the chain does not lead to a trusted root (unknown issuer)".to_string(),
            C::Expired | C::ExpiredContext { .. } => "a certificate has expired".to_string(),
            C::NotValidYet | C::NotValidYetContext { .. } => "a certificate is not valid yet".to_string(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is not valid for this host name".to_string()
            }
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "the certificate is not for server authentication".to_string()
            }
            C::BadSignature | C::UnsupportedSignatureAlgorithmContext { .. } => {
                "a signature (in the chain, or the server's handshake signature) uses an algorithm or key that is not accepted".to_string()
            }
            C::Revoked => "a certificate is revoked".to_string(),
            other => format!("the certificate was refused ({other:?})"),
        },
        rustls::Error::AlertReceived(alert) => format!("the server sent the TLS alert {alert:?}"),
        other => other.to_string(),
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let public = self
            .public
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, self.now);
        let (verdict, anchored_by) = match (&public, &self.with_private) {
            (Ok(_), _) => (ChainVerdict::Ok, AnchoredBy::Public),
            (Err(_), Some(all)) => match all.verify_server_cert(end_entity, intermediates, server_name, ocsp, self.now)
            {
                Ok(_) => (ChainVerdict::Ok, AnchoredBy::Private),
                // with every root known, what still fails is the real reason
                Err(e) => (ChainVerdict::Refused(describe_tls_error(&e)), AnchoredBy::None),
            },
            (Err(e), None) => (ChainVerdict::Refused(describe_tls_error(e)), AnchoredBy::None),
        };
        let mut chain_der_hex = vec![hex(end_entity.as_ref())];
        chain_der_hex.extend(intermediates.iter().map(|c| hex(c.as_ref())));
        let seen = TlsSeen {
            server_name: server_name.to_str().into_owned(),
            chain_der_hex,
            verdict,
            anchored_by,
            ocsp_staple_bytes: ocsp.len(),
            ocsp_staple_hex: hex(ocsp),
            ..TlsSeen::default()
        };
        if let Ok(mut log) = self.log.lock() {
            log.push(seen);
        }
        // Inspection: finish the handshake whatever the verdict; the verdict is in the facts.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.public.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.public.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.public.supported_verify_schemes()
    }
}

/// Notes that the server asked for a client certificate, and offers none (like the installer).
#[derive(Debug, Default)]
pub struct ClientCertRequests {
    asked: std::sync::atomic::AtomicBool,
}

impl ClientCertRequests {
    pub fn asked(&self) -> bool {
        self.asked.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl rustls::client::ResolvesClientCert for ClientCertRequests {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.asked.store(true, std::sync::atomic::Ordering::SeqCst);
        None
    }

    fn has_certs(&self) -> bool {
        // true, so rustls consults `resolve` when a CertificateRequest arrives
        true
    }
}

/// A client configuration for the probe: as `client_config`, and it records a request for a
/// client certificate.
pub fn probe_config(
    verifier: Arc<RecordingVerifier>,
    provider: Arc<CryptoProvider>,
    requests: Arc<ClientCertRequests>,
) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(requests);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// What kind of handshake failure a rustls error is (see `ProbeFacts::handshake_failure`); a
/// request for a client certificate is noted by the probe itself.
pub fn failure_kind(e: &rustls::Error) -> HandshakeFailure {
    use rustls::AlertDescription as A;
    use rustls::PeerIncompatible as P;
    match e {
        rustls::Error::AlertReceived(A::ProtocolVersion)
        | rustls::Error::PeerIncompatible(
            P::ServerDoesNotSupportTls12Or13 | P::ServerTlsVersionIsDisabledByOurConfig,
        ) => HandshakeFailure::ProtocolVersion,
        rustls::Error::AlertReceived(A::HandshakeFailure | A::InsufficientSecurity)
        | rustls::Error::PeerIncompatible(P::NoCipherSuitesInCommon | P::NoKxGroupsInCommon) => {
            HandshakeFailure::HandshakeFailure
        }
        rustls::Error::AlertReceived(A::CertificateRequired) => HandshakeFailure::ClientCertificate,
        _ => HandshakeFailure::Other,
    }
}

/// A client configuration that offers what an iPhone offers (TLS 1.2 and 1.3, h2 and
/// http/1.1) and verifies with `verifier`.
pub fn client_config(verifier: Arc<RecordingVerifier>, provider: Arc<CryptoProvider>) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The ring provider every TLS connection of the run uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The run's clock as rustls wants it.
pub fn unix_time(now: time::OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now.unix_timestamp()).unwrap_or(0)))
}

pub use crate::text::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_ios_store_loads_without_the_roots_apple_keeps_from_tls() {
        let roots = TrustRoots::load(&[], None).expect("store");
        let constrained = non_tls_roots();
        let excluded = embedded::APPLE_ROOTS
            .iter()
            .filter(|(name, _)| {
                constrained
                    .iter()
                    .any(|c| name.eq_ignore_ascii_case(&format!("{c}.cer")))
            })
            .count();
        assert_eq!(embedded::APPLE_ROOTS.len(), 156);
        assert_eq!(excluded, 5, "Apple constrains five shipped roots to non-TLS policies");
        assert_eq!(roots.facts.roots, 156 - excluded, "every other root parses");
        assert_eq!(roots.facts.version, APPLE_TRUST_STORE_VERSION);
        assert_eq!(roots.facts.private_roots, 0);
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_an_error() {
        let err = TrustRoots::load(&[("x.pem".to_string(), b"not pem".to_vec())], None).expect_err("no cert");
        assert!(err.contains("x.pem"), "{err}");
    }
}
