//! CMS `SignedData` (RFC 5652), as Apple uses it twice: around a provisioning profile's plist
//! (the content inside) and in a code signature's blob `0x10000` (detached: the content is the
//! CodeDirectory). Parsing (DER, or BER as `openssl cms -stream` writes it), the one signer's
//! check (§5.4–5.6: the signed attributes' content type and message digest, the signature over
//! their DER), and the certificate helpers a chain needs. Pure: the profile reader and the code
//! signature reader both build on it.

use ::time::OffsetDateTime;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::{Decode, Encode};
use x509_parser::prelude::*;

use crate::bounded::MAX_DEPTH;

const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// The `SignedData` of a CMS `ContentInfo`, from DER or, failing that, from BER; with the
/// encoding it came in (`der`, `ber`).
pub fn signed_data(bytes: &[u8]) -> Result<(SignedData, &'static str), String> {
    let first = parse_signed_data(bytes);
    let Err(der_error) = first else {
        return first.map(|s| (s, "der"));
    };
    match ber_to_der(bytes) {
        Some(der) if der != bytes => parse_signed_data(&der).map(|s| (s, "ber")),
        _ => Err(der_error),
    }
}

fn parse_signed_data(bytes: &[u8]) -> Result<SignedData, String> {
    let info = cms::content_info::ContentInfo::from_der(bytes).map_err(|e| format!("it is not CMS ({e})"))?;
    if info.content_type.to_string() != OID_SIGNED_DATA {
        return Err(format!("it is CMS of type {}, not SignedData", info.content_type));
    }
    info.content
        .decode_as::<SignedData>()
        .map_err(|e| format!("its SignedData does not parse ({e})"))
}

/// Re-encodes BER as DER: definite lengths, constructed strings joined. `None` when the bytes are
/// not BER at all (or nest deeper than `MAX_DEPTH`).
pub fn ber_to_der(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    // trailing bytes after the outer element are left out, as DER decoders accept nothing after it
    ber_element(bytes, 0, &mut out)?;
    Some(out)
}

/// One BER element from `input`, written to `out` as DER. Returns (its tag byte, bytes consumed).
fn ber_element(input: &[u8], depth: usize, out: &mut Vec<u8>) -> Option<(u8, usize)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        // high tag numbers do not occur in CMS
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let mut header = 2;
    let length: Option<usize> = if first == 0x80 {
        None
    } else if first & 0x80 == 0 {
        Some(usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for b in &rest[..n] {
            len = (len << 8) | usize::from(*b);
        }
        rest = &rest[n..];
        header += n;
        Some(len)
    };
    let constructed = tag & 0x20 != 0;
    if !constructed {
        let len = length?;
        let content = rest.get(..len)?;
        write_tlv(tag, content, out);
        return Some((tag, header + len));
    }
    // constructed: re-encode the children, then wrap them
    let mut children = Vec::new();
    let mut consumed = 0;
    let body = match length {
        Some(len) => rest.get(..len)?,
        None => rest,
    };
    loop {
        let remaining = body.get(consumed..)?;
        match length {
            Some(_) if remaining.is_empty() => break,
            None if remaining.starts_with(&[0, 0]) => {
                consumed += 2;
                break;
            }
            _ => {}
        }
        let mut child = Vec::new();
        let (_, used) = ber_element(remaining, depth + 1, &mut child)?;
        children.push(child);
        consumed += used;
    }
    if tag == 0x24 {
        // a constructed OCTET STRING: DER has one primitive string of the joined pieces
        let mut joined = Vec::new();
        for child in &children {
            let (_, content) = split_tlv(child)?;
            joined.extend_from_slice(content);
        }
        write_tlv(0x04, &joined, out);
    } else {
        let content: Vec<u8> = children.concat();
        write_tlv(tag, &content, out);
    }
    Some((tag, header + consumed))
}

/// The tag and content of one DER element written by `write_tlv`.
fn split_tlv(der: &[u8]) -> Option<(u8, &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if first & 0x80 == 0 {
        return Some((tag, rest.get(..usize::from(first))?));
    }
    let n = usize::from(first & 0x7f);
    let len = rest.get(..n)?.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
    Some((tag, rest.get(n..n + len)?))
}

/// Writes one DER element: `tag`, the definite length of `content`, `content`.
pub fn write_tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// A digest algorithm by OID: its name and ring's algorithm.
pub fn digest_algorithm(oid: &str) -> Option<(&'static str, &'static ring::digest::Algorithm)> {
    Some(match oid {
        "1.3.14.3.2.26" => ("sha1", &ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
        "2.16.840.1.101.3.4.2.1" => ("sha256", &ring::digest::SHA256),
        "2.16.840.1.101.3.4.2.2" => ("sha384", &ring::digest::SHA384),
        "2.16.840.1.101.3.4.2.3" => ("sha512", &ring::digest::SHA512),
        _ => return None,
    })
}

/// The verification algorithm for a signature algorithm OID (with the digest, for CMS's bare
/// `rsaEncryption`), and its name.
pub fn signature_algorithm(
    oid: &str,
    digest: &str,
) -> Option<(String, &'static dyn ring::signature::VerificationAlgorithm)> {
    use ring::signature as s;
    let (name, alg): (&str, &'static dyn s::VerificationAlgorithm) = match (oid, digest) {
        ("1.2.840.113549.1.1.5", _) | ("1.2.840.113549.1.1.1", "sha1") => {
            ("sha1WithRSA", &s::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)
        }
        ("1.2.840.113549.1.1.11", _) | ("1.2.840.113549.1.1.1", "sha256") => {
            ("sha256WithRSA", &s::RSA_PKCS1_2048_8192_SHA256)
        }
        ("1.2.840.113549.1.1.12", _) | ("1.2.840.113549.1.1.1", "sha384") => {
            ("sha384WithRSA", &s::RSA_PKCS1_2048_8192_SHA384)
        }
        ("1.2.840.113549.1.1.13", _) | ("1.2.840.113549.1.1.1", "sha512") => {
            ("sha512WithRSA", &s::RSA_PKCS1_2048_8192_SHA512)
        }
        ("1.2.840.10045.4.3.2", _) => ("ecdsa-with-SHA256", &s::ECDSA_P256_SHA256_ASN1),
        ("1.2.840.10045.4.3.3", _) => ("ecdsa-with-SHA384", &s::ECDSA_P384_SHA384_ASN1),
        _ => return None,
    };
    Some((name.to_string(), alg))
}

/// The P-384 key of an ECDSA-with-SHA256 signer, or the reverse, needs the other curve's
/// algorithm: ring names an algorithm by curve and digest together.
fn for_key(
    alg: &'static dyn ring::signature::VerificationAlgorithm,
    key: &SubjectPublicKeyInfo,
) -> &'static dyn ring::signature::VerificationAlgorithm {
    use ring::signature as s;
    let p384 = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .is_some_and(|oid| oid.to_id_string() == "1.3.132.0.34");
    let same = |a: &dyn s::VerificationAlgorithm, b: &dyn s::VerificationAlgorithm| {
        std::ptr::addr_eq(a as *const _, b as *const _)
    };
    if p384 && same(alg, &s::ECDSA_P256_SHA256_ASN1) {
        &s::ECDSA_P384_SHA256_ASN1
    } else if !p384 && same(alg, &s::ECDSA_P384_SHA384_ASN1) {
        &s::ECDSA_P256_SHA384_ASN1
    } else {
        alg
    }
}

/// Verifies `signature` over `message` with `key`.
pub fn verify_with(
    alg: &'static dyn ring::signature::VerificationAlgorithm,
    key: &SubjectPublicKeyInfo,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let alg = for_key(alg, key);
    ring::signature::UnparsedPublicKey::new(alg, key.subject_public_key.data.as_ref())
        .verify(message, signature)
        .is_ok()
}

/// Whether `cert` was signed by the key of `issuer`.
pub fn issued_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let Some((_, alg)) = signature_algorithm(&oid, "") else {
        return false;
    };
    verify_with(
        alg,
        issuer.public_key(),
        cert.tbs_certificate.as_ref(),
        &cert.signature_value.data,
    )
}

/// A certificate's name for people: its common name, else its whole subject.
pub fn cert_name(cert: &X509Certificate<'_>) -> String {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| cert.subject().to_string())
}

/// The signed part of a certificate, which tells two certificates apart.
pub fn raw<'a>(cert: &'a X509Certificate<'_>) -> &'a [u8] {
    cert.tbs_certificate.as_ref()
}

/// Whether `at` is within the certificate's validity.
pub fn valid_at(cert: &X509Certificate<'_>, at: OffsetDateTime) -> bool {
    let v = cert.validity();
    v.not_before.to_datetime() <= at && at <= v.not_after.to_datetime()
}

/// The DER of each certificate in the `SignedData`'s certificate set, in order.
pub fn certificates(signed: &SignedData) -> Vec<Vec<u8>> {
    signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            _ => None,
        })
        .collect()
}

/// The team a certificate names: its subject's first organizational unit (Apple's team id).
pub fn team(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_organizational_unit()
        .next()
        .and_then(|o| o.as_str().ok())
        .map(str::to_string)
}

/// The SHA-256 of a DER certificate, in lowercase hex: how two copies of a certificate are told
/// to be the same.
pub fn fingerprint(der: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Why the one signer could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerError {
    /// Not one signer, or signed attributes that do not encode.
    Invalid(String),
    /// The certificate the signer names is not in the certificate set.
    NoSignerCertificate,
    /// A digest or signature algorithm this tool does not verify.
    Unsupported(String),
}

/// The one signer of a `SignedData`, checked against its content.
#[derive(Debug, Clone, Default)]
pub struct SignerCheck {
    /// `sha1`, `sha256`, …
    pub digest_algorithm: String,
    /// `ecdsa-with-SHA256`, `sha256WithRSA`, …
    pub signature_algorithm: String,
    /// The signer's certificate: its index in `certificates(signed)`.
    pub signer: usize,
    /// The `signingTime` attribute.
    pub signing_time: Option<OffsetDateTime>,
    /// The signed attributes' content type is the encapsulated one (`None`: no signed
    /// attributes, or no content-type attribute among them).
    pub content_type: Option<bool>,
    /// The `messageDigest` attribute equals the content's digest (`None`: no signed attributes,
    /// or no message-digest attribute among them).
    pub message_digest: Option<bool>,
    /// Whether there are signed attributes at all (without them the signature covers the
    /// content itself).
    pub signed_attributes: bool,
    /// The signature verifies with the signer's key, over the signed attributes' DER (or the
    /// content when there are none).
    pub signature_verifies: bool,
    /// Every signed attribute other than the three above: its OID and the DER of each value.
    pub other_attributes: Vec<(String, Vec<Vec<u8>>)>,
}

/// Checks the one signer of `signed` over `content` (the encapsulated content, or the detached
/// content the caller holds), with the certificates of the set already parsed (`certs`, in the
/// order of `certificates(signed)`). Every check is made and said; none stops the others.
pub fn check_signer(
    signed: &SignedData,
    content: &[u8],
    certs: &[X509Certificate<'_>],
) -> Result<SignerCheck, SignerError> {
    let infos: Vec<&SignerInfo> = signed.signer_infos.0.iter().collect();
    let [info] = infos.as_slice() else {
        return Err(SignerError::Invalid(format!("it has {} signers, not one", infos.len())));
    };
    let digest_oid = info.digest_alg.oid.to_string();
    let Some((digest_name, digest_alg)) = digest_algorithm(&digest_oid) else {
        return Err(SignerError::Unsupported(format!(
            "its digest algorithm {digest_oid} is not one otadoctor verifies"
        )));
    };
    let sig_oid = info.signature_algorithm.oid.to_string();
    let Some((sig_name, sig_alg)) = signature_algorithm(&sig_oid, digest_name) else {
        return Err(SignerError::Unsupported(format!(
            "its signature algorithm {sig_oid} is not one otadoctor verifies"
        )));
    };
    let Some(signer) = certs.iter().position(|c| is_signer(info, c)) else {
        return Err(SignerError::NoSignerCertificate);
    };
    let mut check = SignerCheck {
        digest_algorithm: digest_name.to_string(),
        signature_algorithm: sig_name,
        signer,
        ..SignerCheck::default()
    };
    let message: Vec<u8> = match &info.signed_attrs {
        Some(attrs) => {
            check.signed_attributes = true;
            for attr in attrs.iter() {
                let oid = attr.oid.to_string();
                let Some(value) = attr.values.iter().next() else {
                    continue;
                };
                if oid == OID_MESSAGE_DIGEST {
                    let expected = value.decode_as::<der::asn1::OctetString>().ok();
                    let actual = ring::digest::digest(digest_alg, content);
                    check.message_digest = Some(expected.is_some_and(|e| e.as_bytes() == actual.as_ref()));
                } else if oid == OID_CONTENT_TYPE {
                    // RFC 5652 §11.1: the signed content type is the encapsulated one
                    let signed_type = value.decode_as::<der::asn1::ObjectIdentifier>().ok();
                    check.content_type = Some(signed_type == Some(signed.encap_content_info.econtent_type));
                } else if oid == OID_SIGNING_TIME {
                    check.signing_time = value.to_der().ok().and_then(|d| {
                        x509_parser::time::ASN1Time::from_der(&d)
                            .ok()
                            .map(|(_, t)| t.to_datetime())
                    });
                } else {
                    let values = attr.values.iter().filter_map(|v| v.to_der().ok()).collect();
                    check.other_attributes.push((oid, values));
                }
            }
            attrs
                .to_der()
                .map_err(|e| SignerError::Invalid(format!("its signed attributes do not encode ({e})")))?
        }
        None => content.to_vec(),
    };
    check.signature_verifies = verify_with(sig_alg, certs[signer].public_key(), &message, info.signature.as_bytes());
    Ok(check)
}

/// Whether `cert` is the one `info` names (issuer and serial, or subject key id).
fn is_signer(info: &SignerInfo, cert: &X509Certificate<'_>) -> bool {
    match &info.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer.to_der().is_ok_and(|d| d == cert.issuer().as_raw())
                && ias.serial_number.as_bytes() == cert.raw_serial()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert.extensions().iter().any(
            |e| matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(k) if k.0 == ski.0.as_bytes()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_with_indefinite_lengths_becomes_der() {
        // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" } }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0, 0, 0, 0,
        ];
        assert_eq!(ber_to_der(&ber), Some(vec![0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']));
        assert_eq!(ber_to_der(&[0x30, 0x80, 0x04]), None);
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 200).flatten().collect();
        assert_eq!(ber_to_der(&deep), None);
    }

    #[test]
    fn fingerprints_are_sha256_in_hex() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
