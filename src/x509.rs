//! X.509 decoding: a DER certificate read into what the TLS rules and the reports need
//! (names, dates, key, signature, SANs, EKU, AIA, SCTs), and the SCTs of a stapled OCSP
//! response. Decodes; never judges.

use std::net::IpAddr;

use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// One certificate of a chain, as the rules need it.
#[derive(Debug, Clone)]
pub struct Cert {
    pub subject: String,
    pub issuer: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// `RSA 2048`, `EC 256`, …
    pub key: String,
    pub key_kind: &'static str,
    pub key_bits: usize,
    /// `sha256WithRSAEncryption`, `ecdsa-with-SHA1`, …
    pub signature: String,
    pub weak_hash: bool,
    pub is_ca: bool,
    pub has_san: bool,
    pub san_dns: Vec<String>,
    pub san_ip: Vec<IpAddr>,
    /// `None`: no EKU extension; `Some(true)`: serverAuth in it.
    pub server_auth: Option<bool>,
    pub aia_ca_issuers: Vec<String>,
    /// (log id, timestamp) of each embedded SCT.
    pub scts: Vec<(Vec<u8>, OffsetDateTime)>,
}

impl Cert {
    pub fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// Lifetime in seconds, counted inclusively as RFC 5280 does.
    pub fn lifetime_secs(&self) -> i64 {
        (self.not_after - self.not_before).whole_seconds() + 1
    }

    pub fn summary(&self) -> String {
        format!(
            "{} · issued by {} · {} → {} · {} · {}",
            self.subject,
            self.issuer,
            self.not_before.date(),
            self.not_after.date(),
            self.key,
            self.signature
        )
    }
}

/// Reads one DER certificate.
pub fn parse(der: &[u8]) -> Option<Cert> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let when = |t: i64| OffsetDateTime::from_unix_timestamp(t).ok();
    let (key_kind, key_bits) = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA", rsa.key_size()),
        Ok(PublicKey::EC(ec)) => ("EC", ec.key_size()),
        Ok(PublicKey::DSA(_)) => ("DSA", 0),
        _ => ("other", 0),
    };
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let (signature, weak_hash) = signature_name(&oid);
    let mut out = Cert {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: when(cert.validity().not_before.timestamp())?,
        not_after: when(cert.validity().not_after.timestamp())?,
        key: if key_bits > 0 {
            format!("{key_kind} {key_bits}")
        } else {
            key_kind.to_string()
        },
        key_kind,
        key_bits,
        signature,
        weak_hash,
        is_ca: cert.is_ca(),
        has_san: false,
        san_dns: Vec::new(),
        san_ip: Vec::new(),
        server_auth: None,
        aia_ca_issuers: Vec::new(),
        scts: Vec::new(),
    };
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                out.has_san = true;
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => out.san_dns.push(d.to_ascii_lowercase()),
                        GeneralName::IPAddress(bytes) => {
                            if let Ok(b) = <[u8; 4]>::try_from(*bytes) {
                                out.san_ip.push(IpAddr::from(b));
                            } else if let Ok(b) = <[u8; 16]>::try_from(*bytes) {
                                out.san_ip.push(IpAddr::from(b));
                            }
                        }
                        _ => {}
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => out.server_auth = Some(eku.server_auth),
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in &aia.accessdescs {
                    if desc.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2"
                        && let GeneralName::URI(uri) = &desc.access_location
                    {
                        out.aia_ca_issuers.push(uri.to_string());
                    }
                }
            }
            ParsedExtension::SCT(scts) => {
                for sct in scts {
                    let at =
                        OffsetDateTime::from_unix_timestamp(i64::try_from(sct.timestamp / 1000).unwrap_or(0)).ok()?;
                    out.scts.push((sct.id.key_id.to_vec(), at));
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// A signature algorithm's name, and whether its hash is SHA-1 or MD5.
fn signature_name(oid: &str) -> (String, bool) {
    let (name, weak) = match oid {
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption", true),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => ("sha1WithRSAEncryption", true),
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1", true),
        "1.2.840.10040.4.3" => ("dsa-with-SHA1", true),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption", false),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption", false),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption", false),
        "1.2.840.113549.1.1.10" => ("RSASSA-PSS", false),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256", false),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384", false),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512", false),
        "1.3.101.112" => ("Ed25519", false),
        other => return (other.to_string(), false),
    };
    (name.to_string(), weak)
}

/// SCTs in a stapled OCSP response: the SignedCertificateTimestampList extension
/// (1.3.6.1.4.1.11129.2.4.5) of a SingleResponse.
pub fn ocsp_scts(ocsp: &[u8]) -> Vec<(Vec<u8>, OffsetDateTime)> {
    const OID: &[u8] = &[0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x05];
    let Some(at) = ocsp.windows(OID.len()).position(|w| w == OID) else {
        return Vec::new();
    };
    let mut rest = &ocsp[at + OID.len()..];
    // an optional BOOLEAN critical, then the extnValue OCTET STRING, which holds an OCTET STRING
    if rest.first() == Some(&0x01) {
        rest = rest.get(3..).unwrap_or_default();
    }
    let Ok((_, value)) = der_octets(rest) else {
        return Vec::new();
    };
    // the extension value is itself an OCTET STRING holding the TLS-encoded list
    let Ok((_, scts)) = x509_parser::extensions::parse_ct_signed_certificate_timestamp_list(value) else {
        return Vec::new();
    };
    scts.iter()
        .filter_map(|s| {
            let at = OffsetDateTime::from_unix_timestamp(i64::try_from(s.timestamp / 1000).ok()?).ok()?;
            Some((s.id.key_id.to_vec(), at))
        })
        .collect()
}

/// The contents of a DER OCTET STRING at the start of `input`, and what follows it.
fn der_octets(input: &[u8]) -> Result<(&[u8], &[u8]), ()> {
    let (tag, rest) = input.split_first().ok_or(())?;
    if *tag != 0x04 {
        return Err(());
    }
    let (first, rest) = rest.split_first().ok_or(())?;
    let (len, rest) = if first & 0x80 == 0 {
        (usize::from(*first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(());
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(());
    }
    Ok((&rest[len..], &rest[..len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_and_md5_are_weak() {
        assert!(signature_name("1.2.840.113549.1.1.5").1);
        assert!(signature_name("1.2.840.10045.4.1").1);
        assert!(!signature_name("1.2.840.10045.4.3.2").1);
    }
}
