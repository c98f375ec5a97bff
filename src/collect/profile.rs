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
use x509_parser::prelude::*;

use crate::cms::{SignerError, raw, valid_at};
use crate::collect::bounded;
// the certificate helpers moved to `crate::cms`, shared with the code signature reader; the
// collectors that go on from a profile (revocation) still find them here
pub use crate::cms::{cert_name, issued_by, signature_algorithm, verify_with};
use crate::facts::{CertificateSummary, ProfileFacts, ProfileKind, ProfileSignature, SignatureVerdict};

/// Profiles are kilobytes; a few hundred with thousands of devices. Larger is not a profile.
pub const PROFILE_CAP: u64 = 4 * 1024 * 1024;

/// Apple Root CA (2006), the anchor of every iOS provisioning profile (see `assets/apple-signing`).
pub const APPLE_ROOT_CA: &[u8] = include_bytes!("../../assets/apple-signing/AppleIncRootCertificate.cer");

/// How many certificates a chain is followed through.
const MAX_CHAIN: usize = 8;

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
    let (signed, encoding) = match crate::cms::signed_data(bytes) {
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

/// Re-encodes BER as DER (see [`crate::cms::ber_to_der`]).
pub fn ber_to_der(bytes: &[u8]) -> Option<Vec<u8>> {
    crate::cms::ber_to_der(bytes)
}

/// The certificates the envelope carries, and its signer's, kept (as DER) for the collectors
/// that go on from the profile (the revocation check).
fn keep_certificates(signed: &cms::signed_data::SignedData, facts: &mut ProfileFacts) {
    use der::Encode as _;
    facts.carried_certificates = crate::cms::certificates(signed);
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
    // the certificates the profile carries, parsed
    let ders = crate::cms::certificates(signed);
    let certs: Vec<X509Certificate<'_>> = ders
        .iter()
        .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| c))
        .collect();
    let check = match crate::cms::check_signer(signed, content, &certs) {
        Ok(check) => check,
        Err(SignerError::Invalid(why)) => return fail(sig, SignatureVerdict::Invalid, why),
        Err(SignerError::Unsupported(why)) => return fail(sig, SignatureVerdict::Unsupported, why),
        Err(SignerError::NoSignerCertificate) => {
            return fail(
                sig,
                SignatureVerdict::Invalid,
                "the signer's certificate is not in the profile".to_string(),
            );
        }
    };
    sig.digest_algorithm = check.digest_algorithm.clone();
    sig.signature_algorithm = check.signature_algorithm.clone();
    sig.signing_time = check.signing_time;
    let signer = &certs[check.signer];
    sig.chain.push(cert_name(signer));
    if check.signed_attributes {
        if check.content_type != Some(true) {
            return fail(
                sig,
                SignatureVerdict::Invalid,
                "its signed content-type attribute is missing or is not the content's type".to_string(),
            );
        }
        match check.message_digest {
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
    }
    if !check.signature_verifies {
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
        let issuer = certs.iter().find(|c| {
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
            team: crate::cms::team(&cert),
            serial: cert.raw_serial_as_string(),
            sha256: crate::cms::fingerprint(der),
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
    // all of them, for the code signature's entitlements to be checked against (SIG019)
    facts.entitlements = entitlements.map(|e| bounded::to_json(&plist::Value::Dictionary(e.clone())).0);
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
}
