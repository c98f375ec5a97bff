//! TLS rules: every host's certificate chain and handshake, judged the way iOS judges them —
//! Apple's iOS 13 rules, the 398-day and CT rules for public roots, the CA/B Forum schedule,
//! dates against the context clock. The chain is the one the server sent, as recorded.

use std::net::IpAddr;

use time::OffsetDateTime;
use time::macros::datetime;

use crate::check::{Context, refused_for_client_certificate, steps};
use crate::facts::{Anchor, Exchange, Facts, HandshakeFailure, HostFacts, ProbeFacts, TlsSeen};
use crate::finding::{Finding, Resource, Subject};
use crate::registry as rules;
use crate::text::unhex;
use crate::x509::{Cert, ocsp_scts, parse};

const EKU_AND_825_FROM: OffsetDateTime = datetime!(2019-07-01 00:00 UTC);
const LIMIT_398_FROM: OffsetDateTime = datetime!(2020-09-01 00:00 UTC);
const CT_NEW_TABLE_FROM: OffsetDateTime = datetime!(2021-04-21 00:00 UTC);
const DAY: i64 = 86_400;

pub fn check(facts: &Facts, ctx: &Context, out: &mut Vec<Finding>) {
    let anchors = facts
        .trust_store
        .as_ref()
        .map(|t| t.anchors.as_slice())
        .unwrap_or_default();
    for host in &facts.hosts {
        let Some(probe) = &host.probe else { continue };
        let t = HostCheck {
            facts,
            host,
            probe,
            anchors,
            ctx,
        };
        t.check(out);
    }
}

struct HostCheck<'a> {
    facts: &'a Facts,
    host: &'a HostFacts,
    probe: &'a ProbeFacts,
    anchors: &'a [Anchor],
    ctx: &'a Context,
}

/// Where a served chain ends: at a trusted root (public or private), or nowhere known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Public,
    Private,
    /// The top of the path is a self-issued root the device does not trust.
    UntrustedRoot,
    /// The top's issuer is neither served nor a known root: intermediates are missing.
    MissingIssuer,
}

impl HostCheck<'_> {
    fn subject(&self) -> Subject {
        let resource = if self.host.resources.iter().any(|r| r == "manifest") {
            Resource::Manifest
        } else if self.host.resources.iter().any(|r| r == "package") {
            Resource::Package
        } else if self.host.resources.iter().any(|r| r == "icon") {
            Resource::Icon
        } else {
            Resource::Page
        };
        Subject {
            resource,
            target: format!("{}:{}", self.host.host, self.host.port),
            link: None,
        }
    }

    fn finding(&self, rule: &'static rules::Rule, message: String, fix: String, chain: &[Cert]) -> Finding {
        let used_by = crate::text::and_list(&self.host.resources);
        let summary: Vec<String> = chain.iter().map(Cert::summary).collect();
        Finding::new(
            rule,
            self.subject(),
            format!("{}:{} ({used_by}): {message}", self.host.host, self.host.port),
            fix,
        )
        .evidence("host", format!("{}:{}", self.host.host, self.host.port))
        .evidence("resources", self.host.resources.clone())
        .evidence("chain", summary)
    }

    fn check(&self, out: &mut Vec<Finding>) {
        self.client_certificate_required(out);
        if let Some(kind) = self.probe.handshake_failure {
            self.tls_version_too_old(kind, out);
            self.no_aead_cipher_suite(kind, out);
            self.handshake_failed(kind, out);
        }
        let Some(seen) = &self.probe.tls else { return };
        let certs: Vec<Cert> = seen
            .chain_der_hex
            .iter()
            .filter_map(|h| unhex(h))
            .filter_map(|d| parse(&d))
            .collect();
        let Some(leaf) = certs.first() else { return };
        let (path, ending) = self.path(&certs);
        let chain = Chain {
            certs: &certs,
            leaf,
            path,
            ending,
        };
        self.self_signed_certificate(&chain, out);
        self.untrusted_root(&chain, out);
        self.incomplete_chain(&chain, out);
        self.private_root(&chain, out);
        self.hostname_mismatch(&chain, out);
        for cert in chain.certs {
            self.certificate_expired(cert, &chain, out);
            self.certificate_not_yet_valid(cert, &chain, out);
            self.certificate_expiring_soon(cert, &chain, out);
        }
        for cert in chain.signed_certs() {
            self.weak_key(cert, &chain, out);
            self.sha1_signature(cert, &chain, out);
        }
        self.missing_server_auth_eku(&chain, out);
        self.validity_over_825_days(&chain, out);
        self.validity_over_398_days(&chain, out);
        self.validity_over_cabf_limit(&chain, out);
        self.ct_noncompliant(&chain, seen, out);
    }

    /// A chain that does not lead to a root the device trusts, seen through a proxy: most
    /// likely the proxy's own (it intercepts TLS), and the site's was not seen. Says so, and
    /// how to see the site's.
    fn intercepted(&self, mut finding: Finding) -> Finding {
        let Some(proxy) = &self.host.proxy else {
            return finding;
        };
        let name = self.host.host.trim_start_matches('[').trim_end_matches(']');
        finding.message.push_str(&format!(
            "; this chain came through the proxy {}, which probably intercepts TLS: it is likely the proxy's chain, not the site's",
            proxy.url
        ));
        finding.fix = format!(
            "check from where no proxy intercepts TLS (another network, or --no-proxy {name} when the site is reachable directly) to judge the site's own chain; to look past the proxy, pass its root with --ca-file (the site's real chain is then not judged); if the site's own chain is at fault: {}",
            finding.fix
        );
        finding.evidence("proxy", proxy.url.clone())
    }

    /// The handshake failure as the probe reported it.
    fn handshake_detail(&self) -> String {
        match &self.probe.error {
            Some(crate::facts::NetError::Tls { detail }) => detail.clone(),
            _ => "the handshake failed".to_string(),
        }
    }

    /// Whether the server asked for a client certificate before the handshake failed.
    fn client_certificate_requested(&self) -> bool {
        self.probe.tls.as_ref().is_some_and(|t| t.client_certificate_requested)
    }

    /// The first answer from this host that refuses a request for want of a client certificate
    /// (see `refused_for_client_certificate`).
    fn refusal_without_certificate(&self) -> Option<&Exchange> {
        steps(self.facts)
            .flat_map(|step| step.fetch.exchanges.iter())
            .filter(|e| {
                e.host
                    .as_ref()
                    .is_some_and(|h| h.host == self.host.host && h.port == self.host.port)
            })
            .find(|e| refused_for_client_certificate(self.facts, e))
    }

    /// TLS018: the server demands a client certificate: it refuses the handshake without one,
    /// asks for one before an unexplained failure, or asks, goes on without one and then refuses
    /// the requests (400 or 403).
    fn client_certificate_required(&self, out: &mut Vec<Finding>) {
        let finding = match self.probe.handshake_failure {
            Some(HandshakeFailure::ClientCertificate) => self.finding(
                &rules::CLIENT_CERTIFICATE_REQUIRED,
                format!("the server demands a client certificate ({})", self.handshake_detail()),
                "the installer has no client certificate: turn off client-certificate authentication (mTLS) for the manifest, package and icon paths (Apache: SSLVerifyClient none; Caddy: no client_auth in the tls block; IIS: SSL settings → Client certificates: Ignore)".to_string(),
                &[],
            ),
            // TLS002 and TLS003 name these failures
            Some(HandshakeFailure::ProtocolVersion | HandshakeFailure::HandshakeFailure) => return,
            Some(_) if self.client_certificate_requested() => self.finding(
                &rules::CLIENT_CERTIFICATE_REQUIRED,
                format!(
                    "the server asked for a client certificate and the handshake then failed ({})",
                    self.handshake_detail()
                ),
                "turn off client-certificate authentication (mTLS) for the manifest, package and icon paths".to_string(),
                &[],
            ),
            Some(_) => return,
            None => {
                let Some(refusal) = self.refusal_without_certificate() else {
                    return;
                };
                let status = refusal.status.unwrap_or_default();
                // nginx says why in its error page
                let reason = if refusal.body_head.contains("No required SSL certificate was sent") {
                    " \"No required SSL certificate was sent\""
                } else {
                    ""
                };
                self.finding(
                    &rules::CLIENT_CERTIFICATE_REQUIRED,
                    format!(
                        "the server asked for a client certificate in the handshake, went on without one, then answered {status}{reason} to {}",
                        refusal.url
                    ),
                    "the installer has no client certificate: serve the manifest, package and icons from a server block or virtual host without client-certificate authentication (nginx: ssl_verify_client off — \"on\" answers 400 to every request without one; Apache: SSLVerifyClient none; Caddy: no client_auth in the tls block)".to_string(),
                    &[],
                )
                .evidence("status", status)
                .evidence("url", refusal.url.clone())
            }
        };
        out.push(finding);
    }

    /// TLS002: the handshake fails because the server offers no TLS 1.2 or 1.3.
    fn tls_version_too_old(&self, kind: HandshakeFailure, out: &mut Vec<Finding>) {
        if !matches!(kind, HandshakeFailure::ProtocolVersion) {
            return;
        }
        out.push(self.finding(
            &rules::TLS_VERSION_TOO_OLD,
            format!("the server offers no TLS 1.2 or 1.3 ({})", self.handshake_detail()),
            "enable TLS 1.2 and 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3; IIS: enable TLS 1.2 in SCHANNEL)".to_string(),
            &[],
        ));
    }

    /// TLS003: the handshake fails on the cipher choice.
    fn no_aead_cipher_suite(&self, kind: HandshakeFailure, out: &mut Vec<Finding>) {
        if !matches!(kind, HandshakeFailure::HandshakeFailure) {
            return;
        }
        out.push(self.finding(
            &rules::NO_AEAD_CIPHER_SUITE,
            format!("the TLS handshake fails on the cipher choice ({}); iOS may still accept ECDHE-CBC suites", self.handshake_detail()),
            "offer ECDHE with AES-GCM or ChaCha20 (nginx: ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384)".to_string(),
            &[],
        ));
    }

    /// TLS001: the handshake failed for a reason no other TLS rule names.
    fn handshake_failed(&self, kind: HandshakeFailure, out: &mut Vec<Finding>) {
        // TLS018, TLS002 and TLS003 name these failures
        if matches!(
            kind,
            HandshakeFailure::ClientCertificate
                | HandshakeFailure::ProtocolVersion
                | HandshakeFailure::HandshakeFailure
        ) || self.client_certificate_requested()
        {
            return;
        }
        out.push(self.finding(
            &rules::HANDSHAKE_FAILED,
            format!("the TLS handshake failed: {}", self.handshake_detail()),
            "test the server with openssl s_client -connect host:443 -servername host and fix its TLS configuration".to_string(),
            &[],
        ));
    }

    /// The path leaf → … as served, and where it ends.
    fn path<'c>(&self, chain: &'c [Cert]) -> (Vec<&'c Cert>, Ending) {
        let mut path = vec![&chain[0]];
        while let Some(top) = path.last().copied().filter(|top| !top.self_issued()) {
            match chain
                .iter()
                .find(|c| c.subject == top.issuer && !path.iter().any(|p| std::ptr::eq(*p, *c)))
            {
                Some(next) => path.push(next),
                None => break,
            }
        }
        let Some(top) = path.last().copied() else {
            return (path, Ending::MissingIssuer);
        };
        let wanted = if top.self_issued() { &top.subject } else { &top.issuer };
        let anchor = self.anchors.iter().find(|a| &a.subject == wanted);
        // A served path that reaches a CA certificate is complete up to a root the device lacks;
        // a leaf alone whose issuer is unknown is missing its intermediate.
        let ending = match anchor {
            Some(a) if a.public => Ending::Public,
            Some(_) => Ending::Private,
            None if top.self_issued() || (top.is_ca && path.len() > 1) => Ending::UntrustedRoot,
            None => Ending::MissingIssuer,
        };
        (path, ending)
    }

    /// TLS006: the server sends a lone self-signed certificate no trusted root vouches for.
    fn self_signed_certificate(&self, chain: &Chain, out: &mut Vec<Finding>) {
        if chain.ending != Ending::UntrustedRoot || !chain.self_signed() {
            return;
        }
        let finding = self.finding(
            &rules::SELF_SIGNED_CERTIFICATE,
            format!("the certificate is self-signed ({})", chain.leaf.subject),
            "get a certificate from a CA iOS trusts (Let's Encrypt, your CA), or sign it with a private CA whose root every device installs and trusts (then pass --ca-file)".to_string(),
            chain.certs,
        );
        out.push(self.intercepted(finding));
    }

    /// TLS004: the served chain leads to a root iOS does not trust.
    fn untrusted_root(&self, chain: &Chain, out: &mut Vec<Finding>) {
        // TLS006 says it better of a lone self-signed certificate
        if chain.ending != Ending::UntrustedRoot || chain.self_signed() {
            return;
        }
        out.push(self.intercepted(self.finding(
            &rules::UNTRUSTED_ROOT,
            match chain.path.last() {
                Some(top) if top.self_issued() => format!("the chain ends at {}, a root iOS does not trust", top.subject),
                Some(top) => format!("the chain leads to {}, a root iOS does not trust", top.issuer),
                None => "the chain does not lead to a root iOS trusts".to_string(),
            },
            "use a certificate from a CA in Apple's trust store; for a private CA, install its root on every device by profile and turn on full trust (Settings › General › About › Certificate Trust Settings), then check with --ca-file".to_string(),
            chain.certs,
        )));
    }

    /// TLS007: the server does not send the certificate of its top certificate's issuer.
    fn incomplete_chain(&self, chain: &Chain, out: &mut Vec<Finding>) {
        if chain.ending != Ending::MissingIssuer {
            return;
        }
        let top = chain.path.last().copied().unwrap_or(chain.leaf);
        let (severity_note, aia) = match top.aia_ca_issuers.first() {
            Some(url) => (
                format!("iOS may fetch it from the AIA URL {url}, but not behind proxies or captive portals"),
                true,
            ),
            None => (
                "the certificate has no AIA URL, so iOS cannot fetch it".to_string(),
                false,
            ),
        };
        let mut finding = self.finding(
            &rules::INCOMPLETE_CHAIN,
            format!("the server sends no certificate for the issuer \"{}\"; {severity_note}", top.issuer),
            "serve the full chain: nginx ssl_certificate must hold the leaf followed by the intermediates (Let's Encrypt: fullchain.pem, not cert.pem); Apache 2.4.8+: the same in SSLCertificateFile; IIS: import the intermediates into the Intermediate Certification Authorities store".to_string(),
            chain.certs,
        );
        if !aia {
            finding.severity = crate::severity::Severity::Error;
        }
        out.push(self.intercepted(finding));
    }

    /// TLS005: the chain ends at a private (--ca-file) root.
    fn private_root(&self, chain: &Chain, out: &mut Vec<Finding>) {
        if chain.ending != Ending::Private {
            return;
        }
        let mut finding = self.finding(
            &rules::PRIVATE_ROOT,
            format!("the chain ends at the private root {} (--ca-file)", chain.path.last().map_or("?", |c| if c.self_issued() { c.subject.as_str() } else { c.issuer.as_str() })),
            "every device needs this root installed (a configuration profile, or MDM) and, when installed by hand, full trust turned on in Settings › General › About › Certificate Trust Settings".to_string(),
            chain.certs,
        );
        if let Some(proxy) = &self.host.proxy {
            finding.message.push_str(&format!(
                "; it came through the proxy {}: if that root is the proxy's (one that intercepts TLS), this chain is the proxy's and the site's own chain was not judged",
                proxy.url
            ));
            finding = finding.evidence("proxy", proxy.url.clone());
        }
        out.push(finding);
    }

    /// TLS008: the leaf's SAN does not cover the host name.
    fn hostname_mismatch(&self, chain: &Chain, out: &mut Vec<Finding>) {
        let leaf = chain.leaf;
        let host = self
            .host
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let matches = match host.parse::<IpAddr>() {
            Ok(ip) => leaf.san_ip.contains(&ip),
            Err(_) => leaf.san_dns.iter().any(|name| dns_matches(name, &host)),
        };
        if matches {
            return;
        }
        let message = if !leaf.has_san {
            format!(
                "the certificate has no subjectAltName; its CN ({}) is ignored by iOS",
                leaf.subject
            )
        } else {
            let names: Vec<&str> = leaf.san_dns.iter().map(String::as_str).collect();
            format!(
                "the certificate is for {}, not {host}",
                if names.is_empty() {
                    "IP addresses only".to_string()
                } else {
                    names.join(", ")
                }
            )
        };
        out.push(self.finding(
            &rules::HOSTNAME_MISMATCH,
            message,
            format!("serve a certificate whose subjectAltName includes {host} (a wildcard covers one label only)"),
            chain.certs,
        ));
    }

    /// TLS009: a served certificate is past its notAfter.
    fn certificate_expired(&self, cert: &Cert, chain: &Chain, out: &mut Vec<Finding>) {
        let now = self.ctx.now;
        if cert.not_after >= now {
            return;
        }
        out.push(self.finding(
            &rules::CERTIFICATE_EXPIRED,
            format!(
                "{} expired on {} ({} days ago)",
                cert.subject,
                cert.not_after.date(),
                (now - cert.not_after).whole_days()
            ),
            "renew the certificate and install it (with its intermediates); automate renewal (ACME)".to_string(),
            chain.certs,
        ));
    }

    /// TLS010: a served certificate is before its notBefore.
    fn certificate_not_yet_valid(&self, cert: &Cert, chain: &Chain, out: &mut Vec<Finding>) {
        let now = self.ctx.now;
        // an expired certificate is TLS009's, whatever its notBefore
        if cert.not_after < now || cert.not_before <= now {
            return;
        }
        out.push(self.finding(
            &rules::CERTIFICATE_NOT_YET_VALID,
            format!("{} is valid only from {}", cert.subject, cert.not_before.date()),
            "serve a certificate that is valid now; check the server's and the CA's clocks".to_string(),
            chain.certs,
        ));
    }

    /// TLS019: a served certificate, valid now, expires within 14 days.
    fn certificate_expiring_soon(&self, cert: &Cert, chain: &Chain, out: &mut Vec<Finding>) {
        let now = self.ctx.now;
        if cert.not_after < now || cert.not_before > now || (cert.not_after - now).whole_days() >= 14 {
            return;
        }
        out.push(self.finding(
            &rules::CERTIFICATE_EXPIRING_SOON,
            format!(
                "{} expires on {} (in {} days)",
                cert.subject,
                cert.not_after.date(),
                (cert.not_after - now).whole_days()
            ),
            "renew the certificate now; automate renewal (ACME) so it never gets this close".to_string(),
            chain.certs,
        ));
    }

    /// TLS011: the leaf or an issuing CA has RSA below 2048 bits, EC below 256, or a DSA key.
    fn weak_key(&self, cert: &Cert, chain: &Chain, out: &mut Vec<Finding>) {
        let weak = match cert.key_kind {
            "RSA" => cert.key_bits < 2048,
            "EC" => cert.key_bits < 256,
            "DSA" => true,
            _ => false,
        };
        if !weak {
            return;
        }
        out.push(self.finding(
            &rules::WEAK_KEY,
            format!("{} has a {} key", cert.subject, cert.key),
            "issue the certificate with an RSA key of 2048 bits or more, or an EC P-256 key".to_string(),
            chain.certs,
        ));
    }

    /// TLS012: the leaf or an issuing CA is signed with SHA-1 (or MD5).
    fn sha1_signature(&self, cert: &Cert, chain: &Chain, out: &mut Vec<Finding>) {
        if !cert.weak_hash {
            return;
        }
        out.push(self.finding(
            &rules::SHA1_SIGNATURE,
            format!("{} is signed with {}", cert.subject, cert.signature),
            "reissue the certificate with a SHA-256 (or stronger) signature".to_string(),
            chain.certs,
        ));
    }

    /// TLS013: a leaf issued on or after 2019-07-01 lacks the serverAuth extended key usage.
    fn missing_server_auth_eku(&self, chain: &Chain, out: &mut Vec<Finding>) {
        let leaf = chain.leaf;
        if leaf.not_before < EKU_AND_825_FROM || leaf.server_auth == Some(true) {
            return;
        }
        let what = if leaf.server_auth.is_none() {
            "has no extended key usage"
        } else {
            "has an extended key usage without serverAuth"
        };
        out.push(self.finding(
            &rules::MISSING_SERVER_AUTH_EKU,
            format!("the certificate {what} (issued {}, after 2019-07-01)", leaf.not_before.date()),
            "reissue it with extendedKeyUsage = serverAuth (openssl: extendedKeyUsage=serverAuth in the extension section)".to_string(),
            chain.certs,
        ));
    }

    /// TLS014: a leaf issued on or after 2019-07-01 is valid for more than 825 days.
    fn validity_over_825_days(&self, chain: &Chain, out: &mut Vec<Finding>) {
        let leaf = chain.leaf;
        if leaf.not_before < EKU_AND_825_FROM || leaf.lifetime_secs() <= 825 * DAY {
            return;
        }
        out.push(self.finding(
            &rules::VALIDITY_OVER_825_DAYS,
            format!(
                "the certificate is valid for {:.0} days, over the 825 iOS allows (private CAs too)",
                lifetime_days(leaf)
            ),
            "reissue it valid for at most 825 days (public CAs: 398 or less)".to_string(),
            chain.certs,
        ));
    }

    /// TLS015: a public-root leaf issued from 2020-09-01 on is valid for more than 398 days.
    fn validity_over_398_days(&self, chain: &Chain, out: &mut Vec<Finding>) {
        let leaf = chain.leaf;
        if chain.ending != Ending::Public || leaf.not_before < LIMIT_398_FROM || leaf.lifetime_secs() <= 398 * DAY {
            return;
        }
        out.push(self.finding(
            &rules::VALIDITY_OVER_398_DAYS,
            format!(
                "the certificate from a public CA is valid for {:.0} days, over the 398 iOS allows",
                lifetime_days(leaf)
            ),
            "reissue it valid for at most 398 days (Apple advises 397)".to_string(),
            chain.certs,
        ));
    }

    /// TLS017: a public-root leaf outlives the CA/B Forum limit at its notBefore (up to 398 days).
    fn validity_over_cabf_limit(&self, chain: &Chain, out: &mut Vec<Finding>) {
        let leaf = chain.leaf;
        if chain.ending != Ending::Public {
            return;
        }
        let limit = [
            (datetime!(2029-03-15 00:00 UTC), 47),
            (datetime!(2027-03-15 00:00 UTC), 100),
            (datetime!(2026-03-15 00:00 UTC), 200),
        ]
        .into_iter()
        .find(|(from, _)| leaf.not_before >= *from)
        .map(|(_, d)| d);
        let Some(limit) = limit else { return };
        if leaf.lifetime_secs() <= limit * DAY || leaf.lifetime_secs() > 398 * DAY {
            return;
        }
        out.push(self.finding(
            &rules::VALIDITY_OVER_CABF_LIMIT,
            format!("the certificate is valid for {:.0} days, over the {limit} the CA/Browser Forum allows for certificates issued on {}", lifetime_days(leaf), leaf.not_before.date()),
            "ask the CA why it issued this; renew with the allowed lifetime and automate renewal (ACME)".to_string(),
            chain.certs,
        ));
    }

    /// TLS016: a public-root leaf lacks the SCTs Apple's Certificate Transparency policy asks for.
    fn ct_noncompliant(&self, chain: &Chain, seen: &TlsSeen, out: &mut Vec<Finding>) {
        if chain.ending != Ending::Public {
            return;
        }
        let leaf = chain.leaf;
        let logs = &self.ctx.ct_logs;
        let ocsp = unhex(&seen.ocsp_staple_hex).map(|d| ocsp_scts(&d)).unwrap_or_default();
        // (log, embedded), one per distinct log: Apple counts distinct logs
        let mut counted: Vec<(&crate::ctlog::CtLog, bool)> = Vec::new();
        let mut unknown = 0;
        for (id, at, embedded) in leaf
            .scts
            .iter()
            .map(|(i, t)| (i, t, true))
            .chain(ocsp.iter().map(|(i, t)| (i, t, false)))
        {
            match logs.find(id) {
                Some(log) if log.counts(*at) => {
                    if !counted.iter().any(|(l, _)| l.log_id == log.log_id) {
                        counted.push((log, embedded));
                    }
                }
                _ => unknown += 1,
            }
        }
        let days = lifetime_days(leaf);
        let rfc6962 = counted.iter().any(|(l, _)| l.rfc6962);
        // path 1: two SCTs from currently approved logs, one of them delivered by OCSP (or the
        // TLS extension, which otadoctor cannot see)
        let current: Vec<_> = counted.iter().filter(|(l, _)| l.current()).collect();
        let path1 = current.len() >= 2 && current.iter().any(|(_, embedded)| !*embedded);
        // path 2: embedded SCTs, at least one from a currently approved log, capped per operator
        let (needed, per_operator) = if leaf.not_before >= CT_NEW_TABLE_FROM {
            if days <= 180.0 { (2, 1) } else { (3, 2) }
        } else {
            let months = days / 30.4;
            (
                if months < 15.0 {
                    2
                } else if months < 27.0 {
                    3
                } else if months < 39.0 {
                    4
                } else {
                    5
                },
                usize::MAX,
            )
        };
        let embedded: Vec<_> = counted.iter().filter(|(_, e)| *e).collect();
        let mut per_op: std::collections::BTreeMap<&str, usize> = Default::default();
        let mut capped = 0;
        for (log, _) in &embedded {
            let n = per_op.entry(log.operator.as_str()).or_default();
            if *n < per_operator {
                *n += 1;
                capped += 1;
            }
        }
        let path2 = embedded.iter().any(|(l, _)| l.current()) && capped >= needed;
        if (path1 || path2) && rfc6962 && counted.len() >= 2 {
            return;
        }
        let cap = match per_operator {
            1 => ", at most one per log operator counting",
            2 => ", at most two per log operator counting",
            _ => "",
        };
        let mut why = format!(
            "{} distinct SCT(s) from logs Apple counts ({} embedded, {} in the OCSP staple; {unknown} from unknown or rejected logs); a {days:.0}-day certificate needs {needed} embedded{cap}, or two with one delivered by OCSP or the TLS extension",
            counted.len(),
            embedded.len(),
            counted.len() - embedded.len()
        );
        if (path1 || path2) && !rfc6962 {
            why = format!(
                "{} SCTs, but none from an RFC 6962 log (Apple wants at least one)",
                counted.len()
            );
        }
        out.push(self.finding(
            &rules::CT_NONCOMPLIANT,
            why,
            format!(
                "get the certificate from a public CA that logs it to Certificate Transparency (all major CAs do); SCTs sent only in the TLS extension are not visible to otadoctor; the list used: {}",
                logs.source
            ),
            chain.certs,
        ));
    }
}

/// The chain as served, the path through it from the leaf, and where that path ends.
struct Chain<'c> {
    certs: &'c [Cert],
    leaf: &'c Cert,
    path: Vec<&'c Cert>,
    ending: Ending,
}

impl Chain<'_> {
    /// Whether the path is a self-issued leaf alone: TLS006 rather than TLS004.
    fn self_signed(&self) -> bool {
        matches!(self.path.as_slice(), [only] if only.self_issued())
    }

    /// The certificates whose keys and signatures count: the leaf always (even a self-signed
    /// one), and above it the issuing CAs but not a root, whose own signature does not count.
    fn signed_certs(&self) -> impl Iterator<Item = &Cert> {
        self.path
            .iter()
            .enumerate()
            .filter(|(i, c)| *i == 0 || !c.self_issued())
            .map(|(_, c)| *c)
    }
}

/// A certificate's lifetime in days, as the messages give it.
fn lifetime_days(cert: &Cert) -> f64 {
    cert.lifetime_secs() as f64 / DAY as f64
}

/// Whether a SAN dNSName covers `host` (a `*.` wildcard covers exactly one label).
fn dns_matches(name: &str, host: &str) -> bool {
    let name = name.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    match name.strip_prefix("*.") {
        Some(base) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == base),
        None => name == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_matches("*.acme.io", "ota.acme.io"));
        assert!(!dns_matches("*.acme.io", "a.b.acme.io"));
        assert!(!dns_matches("*.acme.io", "acme.io"));
        assert!(dns_matches("ota.acme.io.", "ota.acme.io"));
    }
}
