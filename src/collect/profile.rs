//! Reading a provisioning profile: the CMS `SignedData` envelope (DER, or BER as `openssl cms
//! -stream` writes it), the signature verified up to Apple Root CA, and the plist inside.
//! Records; never judges (the SIG rules do).
//!
//! Verification follows RFC 5652 §5.4–5.6: the content's digest must equal the `messageDigest`
//! signed attribute, the signature covers the DER of the signed attributes (or the content when
//! there are none), and the signer's certificate must chain, through the certificates the profile
//! carries, to Apple Root CA — judged at the CMS `signingTime`, as Apple's profiles are signed by
//! certificates that have expired since (the 2007 intermediate ended in 2022).

use ::time::OffsetDateTime;
use der::{Decode, Encode};
use x509_parser::prelude::*;

use crate::collect::bounded::{self, MAX_DEPTH};
use crate::facts::{CertificateSummary, ProfileFacts, ProfileKind, ProfileSignature, SignatureVerdict};

/// Profiles are kilobytes; a few hundred with thousands of devices. Larger is not a profile.
pub const PROFILE_CAP: u64 = 4 * 1024 * 1024;

/// Apple Root CA (2006), the anchor of every iOS provisioning profile (see `assets/apple-signing`).
pub const APPLE_ROOT_CA: &[u8] = include_bytes!("../../assets/apple-signing/AppleIncRootCertificate.cer");

/// How many certificates a chain is followed through.
const MAX_CHAIN: usize = 8;

const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

/// A root given with `--profile-ca` (a lab's or a test suite's CA): profiles whose chain ends
/// below it are `extra-anchor` instead of `other-signer`. A device accepts only Apple's.
#[derive(Debug, Clone)]
pub struct ExtraAnchor {
    /// The file it came from, as the report names it.
    pub name: String,
    pub der: Vec<u8>,
}

/// Reads a profile's bytes (`source` names it in the facts); its chain may also end at one of
/// `anchors`.
pub fn read(source: &str, bytes: &[u8], anchors: &[ExtraAnchor]) -> ProfileFacts {
    let mut facts = ProfileFacts {
        source: source.to_string(),
        bytes: bytes.len() as u64,
        ..ProfileFacts::default()
    };
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        .trim_start()
        .to_ascii_lowercase();
    if bytes.is_empty() {
        facts.error = Some("it is empty".to_string());
        return facts;
    }
    if head.starts_with("<?xml") || head.starts_with("<plist") || head.starts_with("bplist") {
        facts.error = Some(
            "it is a bare plist without Apple's signature around it (a profile is a CMS envelope holding the plist)"
                .to_string(),
        );
        return facts;
    }
    let (signed, encoding) = match signed_data(bytes) {
        Ok(x) => x,
        Err(e) => {
            facts.error = Some(e);
            return facts;
        }
    };
    facts.encoding = encoding.to_string();
    let content = match signed
        .encap_content_info
        .econtent
        .as_ref()
        .map(|c| c.decode_as::<der::asn1::OctetString>())
    {
        Some(Ok(octets)) => octets.as_bytes().to_vec(),
        Some(Err(e)) => {
            facts.error = Some(format!("its signed content is not an OCTET STRING ({e})"));
            return facts;
        }
        None => {
            facts.error = Some("it is a detached signature: the plist is not inside".to_string());
            return facts;
        }
    };
    facts.signature = verify(&signed, &content, anchors);
    keep_certificates(&signed, &mut facts);
    match bounded::read_plist(&content) {
        Ok(plist::Value::Dictionary(dict)) => fields(&dict, &mut facts),
        Ok(_) => facts.error = Some("its signed content is a plist but not a dictionary".to_string()),
        Err(e @ bounded::PlistError::Plist(_)) => {
            facts.error = Some(format!("its signed content is not a plist ({e})"))
        }
        Err(e) => facts.error = Some(format!("its signed content is not a plist Apple writes: {e}")),
    }
    facts
}

/// The `SignedData` of a CMS `ContentInfo`, from DER or, failing that, from BER.
fn signed_data(bytes: &[u8]) -> Result<(cms::signed_data::SignedData, &'static str), String> {
    let first = parse_signed_data(bytes);
    let Err(der_error) = first else {
        return first.map(|s| (s, "der"));
    };
    match ber_to_der(bytes) {
        Some(der) if der != bytes => parse_signed_data(&der).map(|s| (s, "ber")),
        _ => Err(der_error),
    }
}

fn parse_signed_data(bytes: &[u8]) -> Result<cms::signed_data::SignedData, String> {
    let info = cms::content_info::ContentInfo::from_der(bytes).map_err(|e| format!("it is not CMS ({e})"))?;
    if info.content_type.to_string() != OID_SIGNED_DATA {
        return Err(format!("it is CMS of type {}, not SignedData", info.content_type));
    }
    info.content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| format!("its SignedData does not parse ({e})"))
}

/// Re-encodes BER as DER: definite lengths, constructed strings joined. `None` when the bytes are
/// not BER at all (or nest deeper than `MAX_DEPTH`).
pub fn ber_to_der(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let (_, used) = ber_element(bytes, 0, &mut out)?;
    // trailing bytes after the outer element are ignored, as DER decoders ignore nothing: keep them out
    let _ = used;
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

fn write_tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
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

/// A digest algorithm by OID.
fn digest_algorithm(oid: &str) -> Option<(&'static str, &'static ring::digest::Algorithm)> {
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
pub(crate) fn signature_algorithm(
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

/// Verifies `signature` over `message` with the key of `cert`.
pub(crate) fn verify_with(
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
pub(crate) fn issued_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
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
pub(crate) fn cert_name(cert: &X509Certificate<'_>) -> String {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| cert.subject().to_string())
}

/// The signed part of a certificate, which tells two certificates apart.
fn raw<'a>(cert: &'a X509Certificate<'_>) -> &'a [u8] {
    cert.tbs_certificate.as_ref()
}

fn valid_at(cert: &X509Certificate<'_>, at: OffsetDateTime) -> bool {
    let v = cert.validity();
    v.not_before.to_datetime() <= at && at <= v.not_after.to_datetime()
}

/// The certificates the envelope carries, and its signer's, kept (as DER) for the collectors
/// that go on from the profile (the revocation check).
fn keep_certificates(signed: &cms::signed_data::SignedData, facts: &mut ProfileFacts) {
    facts.carried_certificates = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            _ => None,
        })
        .collect();
    let [info] = signed.signer_infos.0.as_slice() else {
        return;
    };
    facts.signer_der = facts
        .carried_certificates
        .iter()
        .find(|der| {
            let Ok((_, c)) = X509Certificate::from_der(der) else {
                return false;
            };
            match &info.sid {
                cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    ias.issuer.to_der().is_ok_and(|d| d == c.issuer().as_raw())
                        && ias.serial_number.as_bytes() == c.raw_serial()
                }
                cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(ski) => c.extensions().iter().any(|e| {
                    matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(k) if k.0 == ski.0.as_bytes())
                }),
            }
        })
        .cloned();
}

/// Verifies the signature and follows the signer's chain to Apple Root CA.
fn verify(signed: &cms::signed_data::SignedData, content: &[u8], anchors: &[ExtraAnchor]) -> ProfileSignature {
    let mut sig = ProfileSignature::default();
    let fail = |mut sig: ProfileSignature, verdict: SignatureVerdict, reason: String| {
        sig.verdict = verdict;
        sig.reason = Some(reason);
        sig
    };
    let infos: Vec<&cms::signed_data::SignerInfo> = signed.signer_infos.0.iter().collect();
    let [info] = infos.as_slice() else {
        let n = infos.len();
        return fail(sig, SignatureVerdict::Invalid, format!("it has {n} signers, not one"));
    };
    let digest_oid = info.digest_alg.oid.to_string();
    let Some((digest_name, digest_alg)) = digest_algorithm(&digest_oid) else {
        return fail(
            sig,
            SignatureVerdict::Unsupported,
            format!("its digest algorithm {digest_oid} is not one otadoctor verifies"),
        );
    };
    sig.digest_algorithm = digest_name.to_string();
    let sig_oid = info.signature_algorithm.oid.to_string();
    let Some((sig_name, sig_alg)) = signature_algorithm(&sig_oid, digest_name) else {
        return fail(
            sig,
            SignatureVerdict::Unsupported,
            format!("its signature algorithm {sig_oid} is not one otadoctor verifies"),
        );
    };
    sig.signature_algorithm = sig_name;

    // the certificates the profile carries, parsed
    let ders: Vec<Vec<u8>> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            _ => None,
        })
        .collect();
    let parsed: Vec<(&[u8], X509Certificate<'_>)> = ders
        .iter()
        .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| (d.as_slice(), c)))
        .collect();
    let certs: Vec<&X509Certificate<'_>> = parsed.iter().map(|(_, c)| c).collect();
    let signer = certs.iter().copied().find(|c| match &info.sid {
        cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer.to_der().is_ok_and(|d| d == c.issuer().as_raw())
                && ias.serial_number.as_bytes() == c.raw_serial()
        }
        cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(ski) => c.extensions().iter().any(
            |e| matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(k) if k.0 == ski.0.as_bytes()),
        ),
    });
    let Some(signer) = signer else {
        return fail(
            sig,
            SignatureVerdict::Invalid,
            "the signer's certificate is not in the profile".to_string(),
        );
    };
    sig.chain.push(cert_name(signer));

    // the signed attributes: the content digest, and when it was signed
    let message: Vec<u8> = match &info.signed_attrs {
        Some(attrs) => {
            let mut digest_ok = None;
            let mut type_ok = None;
            for attr in attrs.iter() {
                let oid = attr.oid.to_string();
                let Some(value) = attr.values.iter().next() else {
                    continue;
                };
                if oid == OID_MESSAGE_DIGEST {
                    let expected = value.decode_as::<der::asn1::OctetString>().ok();
                    let actual = ring::digest::digest(digest_alg, content);
                    digest_ok = Some(expected.is_some_and(|e| e.as_bytes() == actual.as_ref()));
                } else if oid == OID_CONTENT_TYPE {
                    // RFC 5652 §11.1: the signed content type is the encapsulated one
                    let signed_type = value.decode_as::<der::asn1::ObjectIdentifier>().ok();
                    type_ok = Some(signed_type == Some(signed.encap_content_info.econtent_type));
                } else if oid == OID_SIGNING_TIME {
                    sig.signing_time = value.to_der().ok().and_then(|d| {
                        x509_parser::time::ASN1Time::from_der(&d)
                            .ok()
                            .map(|(_, t)| t.to_datetime())
                    });
                }
            }
            if type_ok != Some(true) {
                return fail(
                    sig,
                    SignatureVerdict::Invalid,
                    "its signed content-type attribute is missing or is not the content's type".to_string(),
                );
            }
            match digest_ok {
                Some(true) => {}
                Some(false) => {
                    return fail(
                        sig,
                        SignatureVerdict::Invalid,
                        "the plist does not match the digest that was signed: it was changed after signing".to_string(),
                    );
                }
                None => {
                    return fail(
                        sig,
                        SignatureVerdict::Invalid,
                        "its signed attributes have no message digest".to_string(),
                    );
                }
            }
            match attrs.to_der() {
                Ok(d) => d,
                Err(e) => {
                    return fail(
                        sig,
                        SignatureVerdict::Invalid,
                        format!("its signed attributes do not encode ({e})"),
                    );
                }
            }
        }
        None => content.to_vec(),
    };
    if !verify_with(sig_alg, signer.public_key(), &message, info.signature.as_bytes()) {
        return fail(
            sig,
            SignatureVerdict::Invalid,
            "the signature does not verify with the signer's key: the profile was changed after signing".to_string(),
        );
    }

    // the chain, through the carried certificates, to Apple Root CA
    let Ok((_, root)) = X509Certificate::from_der(APPLE_ROOT_CA) else {
        return fail(
            sig,
            SignatureVerdict::Unsupported,
            "the shipped Apple Root CA does not parse".to_string(),
        );
    };
    let at = sig.signing_time;
    let mut current = signer;
    for _ in 0..MAX_CHAIN {
        if let Some(at) = at
            && !valid_at(current, at)
        {
            let name = cert_name(current);
            return fail(
                sig,
                SignatureVerdict::OtherSigner,
                format!("\"{name}\" was not valid when the profile was signed"),
            );
        }
        if current.issuer().as_raw() == root.subject().as_raw() {
            if raw(current) == raw(&root) || issued_by(current, &root) {
                if raw(current) != raw(&root) {
                    sig.chain.push(cert_name(&root));
                }
                sig.verdict = SignatureVerdict::Apple;
                return sig;
            }
            return fail(
                sig,
                SignatureVerdict::OtherSigner,
                "its chain names Apple Root CA as issuer, but Apple Root CA did not sign it".to_string(),
            );
        }
        let issuer = certs.iter().copied().find(|c| {
            c.subject().as_raw() == current.issuer().as_raw() && raw(c) != raw(current) && issued_by(current, c)
        });
        match issuer {
            Some(issuer) => {
                sig.chain.push(cert_name(issuer));
                current = issuer;
            }
            None => {
                if let Some(reached) = extra_anchor(current, at, anchors) {
                    return reached.verdict(sig);
                }
                let top = cert_name(current);
                let issuer = current
                    .issuer()
                    .iter_common_name()
                    .next()
                    .and_then(|c| c.as_str().ok())
                    .map(str::to_string)
                    .unwrap_or_else(|| current.issuer().to_string());
                let why = if current.subject().as_raw() == current.issuer().as_raw() {
                    format!(
                        "it is signed by \"{}\", which chains to the root \"{top}\", not to Apple Root CA",
                        sig.chain[0]
                    )
                } else {
                    format!(
                        "it is signed by \"{}\", whose chain ends at \"{top}\", issued by \"{issuer}\" (not Apple Root CA)",
                        sig.chain[0]
                    )
                };
                return fail(sig, SignatureVerdict::OtherSigner, why);
            }
        }
    }
    fail(
        sig,
        SignatureVerdict::OtherSigner,
        "its chain is longer than any Apple chain".to_string(),
    )
}

/// The `--profile-ca` root the chain ending at `top` reaches, valid when the profile was signed:
/// `top` itself, or the root that issued it.
fn extra_anchor<'a>(
    top: &X509Certificate<'_>,
    at: Option<OffsetDateTime>,
    anchors: &'a [ExtraAnchor],
) -> Option<ReachedAnchor<'a>> {
    anchors.iter().find_map(|anchor| {
        let (_, root) = X509Certificate::from_der(&anchor.der).ok()?;
        let same = raw(top) == raw(&root);
        let issued = top.issuer().as_raw() == root.subject().as_raw() && issued_by(top, &root);
        ((same || issued) && at.is_none_or(|t| valid_at(&root, t))).then(|| ReachedAnchor {
            anchor,
            name: cert_name(&root),
            same,
        })
    })
}

/// A `--profile-ca` root a profile's chain reached.
struct ReachedAnchor<'a> {
    anchor: &'a ExtraAnchor,
    /// The root's name.
    name: String,
    /// Whether the chain's last certificate is the root itself.
    same: bool,
}

impl ReachedAnchor<'_> {
    fn verdict(self, mut sig: ProfileSignature) -> ProfileSignature {
        sig.verdict = SignatureVerdict::ExtraAnchor;
        sig.reason = Some(format!(
            "it chains to \"{}\" from --profile-ca {}, not to Apple Root CA",
            self.name, self.anchor.name
        ));
        if !self.same {
            sig.chain.push(self.name);
        }
        sig
    }
}

/// A DER certificate, summarised.
pub fn summary(der: &[u8]) -> CertificateSummary {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => CertificateSummary {
            subject: cert_name(&cert),
            team: cert
                .subject()
                .iter_organizational_unit()
                .next()
                .and_then(|o| o.as_str().ok())
                .map(str::to_string),
            serial: cert.raw_serial_as_string(),
            not_before: Some(cert.validity().not_before.to_datetime()),
            not_after: Some(cert.validity().not_after.to_datetime()),
            error: None,
            der: der.to_vec(),
        },
        Err(e) => CertificateSummary {
            error: Some(format!("not a certificate ({e})")),
            ..CertificateSummary::default()
        },
    }
}

fn date(value: Option<&plist::Value>) -> Option<OffsetDateTime> {
    let d = value?.as_date()?;
    Some(OffsetDateTime::from(std::time::SystemTime::from(d)))
}

fn string(value: Option<&plist::Value>) -> Option<String> {
    value?.as_string().map(str::to_string)
}

fn strings(value: Option<&plist::Value>) -> Vec<String> {
    match value {
        Some(plist::Value::Array(items)) => items.iter().filter_map(|v| v.as_string().map(str::to_string)).collect(),
        Some(plist::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The plist fields the device reads, and the profile's type.
fn fields(dict: &plist::Dictionary, facts: &mut ProfileFacts) {
    facts.name = string(dict.get("Name"));
    facts.uuid = string(dict.get("UUID"));
    facts.app_id_name = string(dict.get("AppIDName"));
    facts.team_name = string(dict.get("TeamName"));
    facts.team_identifier = strings(dict.get("TeamIdentifier"));
    facts.platform = strings(dict.get("Platform"));
    facts.creation_date = date(dict.get("CreationDate"));
    facts.expiration_date = date(dict.get("ExpirationDate"));
    facts.provisions_all_devices = dict
        .get("ProvisionsAllDevices")
        .and_then(plist::Value::as_boolean)
        .unwrap_or(false);
    facts.provisioned_devices = strings(dict.get("ProvisionedDevices"));
    let entitlements = dict.get("Entitlements").and_then(plist::Value::as_dictionary);
    facts.application_identifier = entitlements.and_then(|e| string(e.get("application-identifier")));
    facts.get_task_allow = entitlements
        .and_then(|e| e.get("get-task-allow"))
        .and_then(plist::Value::as_boolean);
    if let Some(plist::Value::Array(certs)) = dict.get("DeveloperCertificates") {
        facts.developer_certificates = certs
            .iter()
            .map(|c| match c.as_data() {
                Some(der) => summary(der),
                None => CertificateSummary {
                    error: Some("not DER data".to_string()),
                    ..CertificateSummary::default()
                },
            })
            .collect();
    }
    facts.kind = Some(kind(facts));
}

/// The catalog's decision table (§2.4): all devices → enterprise; a device list → development
/// (get-task-allow) or ad hoc; neither → App Store.
fn kind(facts: &ProfileFacts) -> ProfileKind {
    if facts.provisions_all_devices {
        ProfileKind::Enterprise
    } else if !facts.provisioned_devices.is_empty() {
        if facts.get_task_allow == Some(true) {
            ProfileKind::Development
        } else {
            ProfileKind::AdHoc
        }
    } else {
        ProfileKind::AppStore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apple(name: &str) -> ProfileFacts {
        let path = format!("{}/testdata/profiles/apple/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_default();
        read(name, &bytes, &[])
    }

    #[test]
    fn real_apple_profiles_verify_as_apple_signed_app_store_profiles() {
        for (name, app_id) in [
            (
                "AppStore_tools.fastlane.app.mobileprovision",
                "439BBM9367.tools.fastlane.app",
            ),
            (
                "AppStore_net.sunapps.9.watch.mobileprovision",
                "5A997XSHK2.net.sunapps.9.watch",
            ),
        ] {
            let p = apple(name);
            assert_eq!(p.error, None, "{name}");
            assert_eq!(
                p.signature.verdict,
                SignatureVerdict::Apple,
                "{name}: {:?}",
                p.signature
            );
            assert_eq!(p.signature.digest_algorithm, "sha1");
            assert_eq!(p.encoding, "der");
            assert!(p.signature.signing_time.is_some());
            assert_eq!(p.signature.chain.len(), 3, "{:?}", p.signature.chain);
            assert_eq!(p.signature.chain[2], "Apple Root CA");
            assert_eq!(p.kind, Some(ProfileKind::AppStore));
            assert_eq!(p.application_identifier.as_deref(), Some(app_id));
            assert!(!p.developer_certificates.is_empty());
        }
    }

    #[test]
    fn one_changed_byte_of_the_plist_breaks_the_signature() {
        let path = format!(
            "{}/testdata/profiles/apple/AppStore_tools.fastlane.app.mobileprovision",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut bytes = std::fs::read(path).unwrap_or_default();
        let at = bytes.windows(12).position(|w| w == b"tools.fastla").unwrap_or(0);
        bytes[at] = b'T';
        let p = read("edited", &bytes, &[]);
        assert_eq!(p.signature.verdict, SignatureVerdict::Invalid, "{:?}", p.signature);
        assert!(p.signature.reason.unwrap_or_default().contains("changed after signing"));
    }

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
}
