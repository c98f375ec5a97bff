//! The demo's throwaway PKI, made at start with rcgen around the run's clock: one root that
//! anchors both the site's TLS (root → intermediate → leaves) and the packages' provisioning
//! profiles (root → "Demo Provisioning Profile Signing"), and the CMS signature of a profile,
//! built with the `cms` crate's types and signed with ring as Apple signs profiles.

use cms::cert::CertificateChoices;
use cms::cert::x509::Certificate;
use cms::cert::x509::attr::Attribute;
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// The team the demo's profiles and signing certificate belong to.
pub const TEAM_ID: &str = "D3M0TEAM42";

/// A server certificate with its chain, ready for rustls.
pub struct ServerCert {
    /// Leaf first, then the intermediate unless it is left out on purpose.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// The throwaway CA of one demo run.
pub struct DemoPki {
    /// The root, as written to `demo-root.pem` for `--ca-file` and `--profile-ca`.
    pub root_pem: String,
    now: OffsetDateTime,
    intermediate_params: CertificateParams,
    intermediate_key: KeyPair,
    intermediate_der: CertificateDer<'static>,
    signer_der: Vec<u8>,
    /// PKCS#8 of the profile signer's P-256 key.
    signer_key: Vec<u8>,
    /// A certificate like a team's "Apple Distribution" one, for `DeveloperCertificates`.
    pub developer_der: Vec<u8>,
    /// PKCS#8 of its P-256 key: the demo's packages' code is signed with it.
    pub developer_key: Vec<u8>,
}

fn failed(what: &str) -> impl Fn(rcgen::Error) -> String + '_ {
    move |e| format!("cannot make the demo's {what}: {e}")
}

fn ca_params(cn: &str, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Result<CertificateParams, String> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(failed("CA"))?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = not_before;
    p.not_after = not_after;
    Ok(p)
}

impl DemoPki {
    /// Makes the root, the TLS intermediate, the profile signer and a developer certificate,
    /// each valid around `now` (the root from two years before, so that profiles signed in the
    /// past, such as an expired one, still chain to it at their signing time).
    pub fn new(now: OffsetDateTime) -> Result<DemoPki, String> {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let days = Duration::days;
        let root_key = KeyPair::generate().map_err(failed("root key"))?;
        let mut root = ca_params("otadoctor demo root (throwaway)", now - days(730), now + days(3650))?;
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let root_cert = root.self_signed(&root_key).map_err(failed("root"))?;
        let root_issuer = Issuer::new(root, root_key);

        let intermediate_key = KeyPair::generate().map_err(failed("intermediate key"))?;
        let mut inter = ca_params("otadoctor demo TLS intermediate", now - days(300), now + days(1800))?;
        inter.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        let intermediate_der = inter
            .signed_by(&intermediate_key, &root_issuer)
            .map_err(failed("intermediate"))?
            .der()
            .clone();

        let signer_key = KeyPair::generate().map_err(failed("profile signing key"))?;
        let mut signer = CertificateParams::new(Vec::<String>::new()).map_err(failed("profile signer"))?;
        signer
            .distinguished_name
            .push(DnType::CommonName, "Demo Provisioning Profile Signing");
        signer.is_ca = IsCa::ExplicitNoCa;
        signer.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        signer.not_before = now - days(700);
        signer.not_after = now + days(1800);
        let signer_der = signer
            .signed_by(&signer_key, &root_issuer)
            .map_err(failed("profile signer"))?
            .der()
            .to_vec();

        let developer_key = KeyPair::generate().map_err(failed("developer key"))?;
        let mut developer = CertificateParams::new(Vec::<String>::new()).map_err(failed("developer certificate"))?;
        developer.distinguished_name.push(
            DnType::CommonName,
            format!("iPhone Distribution: Demo Field Services ({TEAM_ID})"),
        );
        developer
            .distinguished_name
            .push(DnType::OrganizationalUnitName, TEAM_ID);
        developer
            .distinguished_name
            .push(DnType::OrganizationName, "Demo Field Services");
        developer.is_ca = IsCa::ExplicitNoCa;
        developer.not_before = now - days(60);
        developer.not_after = now + days(305);
        let developer_der = developer
            .signed_by(&developer_key, &root_issuer)
            .map_err(failed("developer certificate"))?
            .der()
            .to_vec();

        Ok(DemoPki {
            root_pem: root_cert.pem(),
            now,
            intermediate_params: inter,
            intermediate_key,
            intermediate_der,
            signer_der,
            signer_key: signer_key.serialize_der(),
            developer_der,
            developer_key: developer_key.serialize_der(),
        })
    }

    /// The clock the PKI was made for.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// A 90-day server certificate for `names` (valid from ten days ago), issued by the
    /// intermediate; the chain carries the intermediate when `with_intermediate`.
    pub fn leaf(&self, names: &[&str], with_intermediate: bool) -> Result<ServerCert, String> {
        let key = KeyPair::generate().map_err(failed("server key"))?;
        let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .map_err(failed("server certificate"))?;
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("demo"));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = self.now - Duration::days(10);
        params.not_after = self.now + Duration::days(80);
        let issuer = Issuer::from_params(&self.intermediate_params, &self.intermediate_key);
        let cert = params.signed_by(&key, &issuer).map_err(failed("server certificate"))?;
        let mut chain = vec![cert.der().clone()];
        if with_intermediate {
            chain.push(self.intermediate_der.clone());
        }
        Ok(ServerCert {
            chain,
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }

    /// Signs `content` as CMS SignedData (DER), as Apple signs profiles: signed attributes with
    /// the content type, the signing time and the SHA-256 digest; the signer in the
    /// certificate set.
    pub fn sign_profile(&self, content: &[u8], signing_time: OffsetDateTime) -> Result<Vec<u8>, String> {
        sign_cms(content, signing_time, &self.signer_der, &[], &self.signer_key)
    }
}

/// Signs `content` as CMS SignedData (DER), as Apple signs profiles: signed attributes with the
/// content type, the signing time and the SHA-256 digest, an ECDSA P-256 signature by the key
/// of `signer_der` (PKCS#8 `signer_key`), and the signer and `chain` in the certificate set.
/// The demo signs its profiles with it, and the test suite its test profiles.
pub fn sign_cms(
    content: &[u8],
    signing_time: OffsetDateTime,
    signer_der: &[u8],
    chain: &[Vec<u8>],
    signer_key: &[u8],
) -> Result<Vec<u8>, String> {
    sign(content, false, Vec::new(), signing_time, signer_der, chain, signer_key)
}

/// Signs `content` as a detached CMS SignedData (DER) — the content itself is not carried —, as
/// a code signature's CMS blob signs its CodeDirectory: the signed attributes of
/// [`sign_cms`] and `extra` attributes (Apple's CodeDirectory hash attributes), each an OID with
/// its values as DER.
pub fn sign_cms_detached(
    content: &[u8],
    extra: Vec<(ObjectIdentifier, Vec<Vec<u8>>)>,
    signing_time: OffsetDateTime,
    signer_der: &[u8],
    chain: &[Vec<u8>],
    signer_key: &[u8],
) -> Result<Vec<u8>, String> {
    sign(content, true, extra, signing_time, signer_der, chain, signer_key)
}

fn sign(
    content: &[u8],
    detached: bool,
    extra: Vec<(ObjectIdentifier, Vec<Vec<u8>>)>,
    signing_time: OffsetDateTime,
    signer_der: &[u8],
    chain: &[Vec<u8>],
    signer_key: &[u8],
) -> Result<Vec<u8>, String> {
    let cms_error = |e: der::Error| format!("cannot sign as CMS: {e}");
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    };
    let attr = |oid: ObjectIdentifier, value: Any| -> Result<Attribute, String> {
        Ok(Attribute {
            oid,
            values: SetOfVec::try_from(vec![value]).map_err(cms_error)?,
        })
    };
    let unix = u64::try_from(signing_time.unix_timestamp())
        .map_err(|_| "cannot sign as CMS: its date is before 1970".to_string())?;
    let signed_at = UtcTime::from_unix_duration(std::time::Duration::from_secs(unix))
        .map_err(|e| format!("cannot sign as CMS for {signing_time} (use a --now before 2049): {e}"))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, content);
    let mut attrs = vec![
        attr(CONTENT_TYPE, Any::encode_from(&ID_DATA).map_err(cms_error)?)?,
        attr(SIGNING_TIME, Any::encode_from(&signed_at).map_err(cms_error)?)?,
        attr(
            MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.as_ref()).map_err(cms_error)?).map_err(cms_error)?,
        )?,
    ];
    for (oid, values) in extra {
        let values = values
            .iter()
            .map(|der| Any::from_der(der).map_err(cms_error))
            .collect::<Result<Vec<_>, _>>()?;
        attrs.push(Attribute {
            oid,
            values: SetOfVec::try_from(values).map_err(cms_error)?,
        });
    }
    let attrs = SetOfVec::try_from(attrs).map_err(cms_error)?;
    let rng = ring::rand::SystemRandom::new();
    let key =
        ring::signature::EcdsaKeyPair::from_pkcs8(&ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING, signer_key, &rng)
            .map_err(|e| format!("cannot read the CMS signing key: {e}"))?;
    let signature = key
        .sign(&rng, &attrs.to_der().map_err(cms_error)?)
        .map_err(|_| "cannot sign as CMS".to_string())?;
    let signer = Certificate::from_der(signer_der).map_err(cms_error)?;
    let info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(cms::cert::IssuerAndSerialNumber {
            issuer: signer.tbs_certificate.issuer.clone(),
            serial_number: signer.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        signature: OctetString::new(signature.as_ref()).map_err(cms_error)?,
        unsigned_attrs: None,
    };
    let mut choices = vec![CertificateChoices::Certificate(signer)];
    for der in chain {
        choices.push(CertificateChoices::Certificate(
            Certificate::from_der(der).map_err(cms_error)?,
        ));
    }
    let certificates = SetOfVec::try_from(choices).map_err(cms_error)?;
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256]).map_err(cms_error)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: if detached {
                None
            } else {
                Some(Any::new(der::Tag::OctetString, content).map_err(cms_error)?)
            },
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![info]).map_err(cms_error)?),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(cms_error)?,
    }
    .to_der()
    .map_err(cms_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::SignatureVerdict;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);

    #[test]
    fn a_signed_profile_chains_to_the_demo_root_through_profile_ca() {
        let pki = DemoPki::new(NOW).expect("pki");
        let signed = pki
            .sign_profile(
                b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict/></plist>",
                NOW - Duration::days(400),
            )
            .expect("signed");
        let facts = crate::collect::profile::read("demo", &signed, &[]);
        assert_eq!(
            facts.signature.verdict,
            SignatureVerdict::OtherSigner,
            "{:?}",
            facts.signature
        );
        let root = crate::collect::net::tls::pem_certificates("root", pki.root_pem.as_bytes()).expect("root");
        let anchor = crate::collect::profile::ExtraAnchor {
            name: "root".to_string(),
            der: root[0].to_vec(),
        };
        let facts = crate::collect::profile::read("demo", &signed, &[anchor]);
        assert_eq!(
            facts.signature.verdict,
            SignatureVerdict::ExtraAnchor,
            "{:?}",
            facts.signature
        );
    }

    #[test]
    fn leaves_carry_the_intermediate_only_when_asked() {
        let pki = DemoPki::new(NOW).expect("pki");
        assert_eq!(pki.leaf(&["ota.demo.test"], true).expect("leaf").chain.len(), 2);
        assert_eq!(pki.leaf(&["ota.demo.test"], false).expect("leaf").chain.len(), 1);
    }
}
