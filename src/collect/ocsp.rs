//! Revocation by OCSP (RFC 6960): for each certificate that signed a package's profiles (and,
//! with the code-signature reader, its code), the responder its Authority Information Access
//! names is asked, through the run's network client, whether the certificate is revoked. The
//! answer is believed only when it is for that certificate, signed by its issuer (or by a
//! responder certificate the issuer delegated with the OCSP-signing EKU), current at the run's
//! clock and, when it carries a nonce, carrying the one sent. Records; never judges (SIG022 does).
//!
//! One request per certificate and responder in a run (`Cache`), with a short timeout: a slow or
//! silent responder makes the status unknown, never an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use x509_ocsp::{BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus};
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use crate::collect::Collector;
use crate::collect::net::Request;
use crate::collect::profile::{cert_name, issued_by, signature_algorithm, verify_with};
use crate::facts::{
    CertificateRole, Facts, Fetch, NetError, PackageFacts, ProfileFacts, RevocationFacts, RevocationProblem,
    RevocationProblemKind, RevocationStatus, SignatureVerdict,
};

/// Apple's WWDR intermediates, the issuers of distribution certificates (see
/// `assets/apple-wwdr/README.md`): profiles do not carry them.
pub const APPLE_WWDR: &[&[u8]] = &[
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCA.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG2.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG3.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG4.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG5.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG6.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG7.cer"),
    include_bytes!("../../assets/apple-wwdr/AppleWWDRCAG8.cer"),
];

/// The longest one OCSP request may take (less when the run's `--timeout` is shorter).
pub const OCSP_TIMEOUT: Duration = Duration::from_secs(5);
/// An OCSP answer is a few KiB (a signature and at most a couple of certificates).
pub const ANSWER_CAP: u64 = 64 * 1024;
/// The most certificates of one package asked about.
pub const MAX_CERTIFICATES: usize = crate::facts::REVOCATION_CERTIFICATES_MAX;
/// The clock difference tolerated between the responder and the run.
const SKEW: time::Duration = time::Duration::minutes(5);
/// What asks, as on the device (trustd does OCSP for installd).
pub const OCSP_USER_AGENT: &str = "com.apple.trustd/3.0";

const OID_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const OID_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// One certificate to ask about, and what it is to the package.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub role: CertificateRole,
    /// The bundle whose profile (or code) it signed.
    pub bundle: String,
    pub der: Vec<u8>,
}

/// A certificate (DER) and the responder asked about it.
type AnswerKey = (Vec<u8>, String);

/// The answers of one run: one request per certificate and responder.
#[derive(Default)]
pub struct Cache {
    answers: Mutex<HashMap<AnswerKey, Arc<OnceCell<RevocationFacts>>>>,
}

/// The certificates of a package to ask about: the one that signed each Mach-O's code first
/// (what installd checks), then each bundle's profile's `DeveloperCertificates` and the
/// certificate that signed the profile — so that a package past `MAX_CERTIFICATES` loses the
/// least telling ones.
pub fn candidates(package: &PackageFacts) -> Vec<Candidate> {
    let mut out = Vec::new();
    // the certificate that signed each Mach-O's code (its CMS signer), for the bundle it is in
    for macho in &package.machos {
        let signers = macho
            .slices
            .iter()
            .filter_map(|slice| slice.signature.as_ref()?.cms.as_ref()?.signer.as_ref())
            .filter(|signer| !signer.der.is_empty());
        for signer in signers {
            out.push(Candidate {
                role: CertificateRole::CodeSigner,
                bundle: macho.bundle.clone(),
                der: signer.der.clone(),
            });
        }
    }
    for bundle in &package.bundles {
        if let Some(profile) = &bundle.profile {
            out.extend(profile_candidates(profile, &bundle.path));
        }
    }
    out
}

/// The certificates of one profile to ask about, for `owner` (a bundle's path, or the profile
/// file): its `DeveloperCertificates` and its signer.
pub fn profile_candidates(profile: &ProfileFacts, owner: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    for cert in profile.developer_certificates.iter().filter(|c| !c.der.is_empty()) {
        out.push(Candidate {
            role: CertificateRole::DistributionCertificate,
            bundle: owner.to_string(),
            der: cert.der.clone(),
        });
    }
    if let Some(der) = &profile.signer_der {
        out.push(Candidate {
            role: CertificateRole::ProfileSigner,
            bundle: owner.to_string(),
            der: der.clone(),
        });
    }
    out
}

/// The certificates an issuer is looked for among: Apple's WWDR intermediates, and those a
/// profile carries when its signature chains to Apple Root CA (or a `--profile-ca` root). A
/// certificate no trusted issuer signed is not asked about: its AIA is whatever its maker
/// wrote, and otadoctor follows no URL from it.
pub fn issuers_at_hand<'a>(profiles: impl Iterator<Item = &'a ProfileFacts>) -> Vec<Vec<u8>> {
    let mut pool: Vec<Vec<u8>> = profiles
        .filter(|p| {
            matches!(
                p.signature.verdict,
                SignatureVerdict::Apple | SignatureVerdict::ExtraAnchor
            )
        })
        .flat_map(|p| p.carried_certificates.iter().cloned())
        .collect();
    pool.extend(APPLE_WWDR.iter().map(|d| d.to_vec()));
    pool
}

/// Asks about every signing certificate of the package and records the answers in it.
pub async fn check_package(c: &Collector, package: &mut PackageFacts) {
    if package.error.is_some() {
        return;
    }
    let candidates = candidates(package);
    if candidates.is_empty() {
        return;
    }
    let pool = issuers_at_hand(package.bundles.iter().filter_map(|b| b.profile.as_ref()));
    (package.revocation, package.revocation_not_asked) = check(c, &candidates, &pool).await;
}

/// Asks about the signing certificates of a profile given on its own (a `.mobileprovision`
/// input) and records the answers beside it.
pub async fn check_profile(c: &Collector, facts: &mut Facts) {
    let Some(profile) = &facts.profile else { return };
    let candidates = profile_candidates(profile, &profile.source);
    if candidates.is_empty() {
        return;
    }
    let pool = issuers_at_hand(std::iter::once(profile));
    (facts.profile_revocation, facts.profile_revocation_not_asked) = check(c, &candidates, &pool).await;
}

/// The status of each distinct certificate of `candidates` (its roles and bundles gathered),
/// asked concurrently, issuers looked for in `pool`; and how many more distinct certificates
/// were not asked about, past `MAX_CERTIFICATES`.
pub async fn check(c: &Collector, candidates: &[Candidate], pool: &[Vec<u8>]) -> (Vec<RevocationFacts>, usize) {
    let mut groups: Vec<(Vec<u8>, Vec<CertificateRole>, Vec<String>)> = Vec::new();
    let mut not_asked: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    for candidate in candidates {
        let group = match groups.iter_mut().position(|g| g.0 == candidate.der) {
            Some(at) => &mut groups[at],
            None => {
                if groups.len() == MAX_CERTIFICATES {
                    not_asked.insert(&candidate.der);
                    continue;
                }
                groups.push((candidate.der.clone(), Vec::new(), Vec::new()));
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        if !group.1.contains(&candidate.role) {
            group.1.push(candidate.role);
        }
        if !group.2.contains(&candidate.bundle) {
            group.2.push(candidate.bundle.clone());
        }
    }
    let pool = Arc::new(pool.to_vec());
    let mut set = tokio::task::JoinSet::new();
    for (index, (der, _, _)) in groups.iter().enumerate() {
        let (c, der, pool) = (c.clone(), der.clone(), pool.clone());
        set.spawn(async move { (index, status(&c, &der, &pool).await) });
    }
    let mut answers: Vec<(usize, RevocationFacts)> = set.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    let not_asked = not_asked.len();
    let asked = answers
        .into_iter()
        .zip(groups)
        .map(|((_, mut facts), (_, mut roles, bundles))| {
            roles.sort();
            facts.roles = roles;
            facts.bundles = bundles;
            facts
        })
        .collect();
    (asked, not_asked)
}

fn problem(kind: RevocationProblemKind, detail: impl Into<String>) -> Option<RevocationProblem> {
    Some(RevocationProblem {
        kind,
        detail: detail.into(),
    })
}

/// The OCSP responder a certificate's AIA names (the first http one).
fn responder(cert: &X509Certificate<'_>) -> Option<String> {
    cert.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityInfoAccess(aia) => aia.accessdescs.iter().find_map(|d| {
            if d.access_method.to_id_string() != OID_OCSP {
                return None;
            }
            match &d.access_location {
                x509_parser::extensions::GeneralName::URI(uri)
                    if uri.to_ascii_lowercase().starts_with("http://")
                        || uri.to_ascii_lowercase().starts_with("https://") =>
                {
                    Some(uri.trim().to_string())
                }
                _ => None,
            }
        }),
        _ => None,
    })
}

/// The status of one certificate: asked once per run and responder.
async fn status(c: &Collector, der: &[u8], pool: &[Vec<u8>]) -> RevocationFacts {
    let mut facts = RevocationFacts::default();
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        facts.problem = problem(RevocationProblemKind::Malformed, "the certificate does not parse");
        return facts;
    };
    facts.subject = cert_name(&cert);
    facts.serial = cert.raw_serial_as_string();
    let Some(url) = responder(&cert) else {
        facts.problem = problem(
            RevocationProblemKind::NoResponder,
            "it has no Authority Information Access naming an OCSP responder",
        );
        return facts;
    };
    facts.responder = Some(url.clone());
    let issuer = pool.iter().find_map(|d| {
        let (_, candidate) = X509Certificate::from_der(d).ok()?;
        (candidate.subject().as_raw() == cert.issuer().as_raw() && issued_by(&cert, &candidate)).then_some(d)
    });
    let Some(issuer) = issuer else {
        facts.problem = problem(
            RevocationProblemKind::NoIssuer,
            format!(
                "its issuer \"{}\" is not one of Apple's WWDR intermediates nor in a profile signed by Apple (or under --profile-ca)",
                cert.issuer()
            ),
        );
        return facts;
    };
    let cell = {
        let Ok(mut answers) = c.ocsp.answers.lock() else {
            return facts;
        };
        answers.entry((der.to_vec(), url.clone())).or_default().clone()
    };
    let answer = cell
        .get_or_init(|| async { ask(c, &url, der, issuer, facts.clone()).await })
        .await;
    answer.clone()
}

/// The SHA-1 `CertID` of `cert` (RFC 6960 §4.1.1) and the parsed issuer.
fn cert_id(cert_der: &[u8], issuer: &X509Certificate<'_>, algorithm: ObjectIdentifier) -> Option<CertId> {
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    let digest = if algorithm == OID_SHA1 {
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY
    } else if algorithm == OID_SHA256 {
        &ring::digest::SHA256
    } else {
        return None;
    };
    Some(CertId {
        hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
            oid: algorithm,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: OctetString::new(ring::digest::digest(digest, issuer.subject().as_raw()).as_ref()).ok()?,
        issuer_key_hash: OctetString::new(
            ring::digest::digest(digest, &issuer.public_key().subject_public_key.data).as_ref(),
        )
        .ok()?,
        serial_number: cert.tbs_certificate.serial_number,
    })
}

/// The DER of an OCSP request for `id`, with `nonce` when given (RFC 8954: an OCTET STRING in
/// the extension's value).
pub fn request_der(id: CertId, nonce: Option<&[u8]>) -> Option<Vec<u8>> {
    let request_extensions = match nonce {
        Some(nonce) => {
            let value = OctetString::new(nonce).ok()?.to_der().ok()?;
            Some(vec![x509_cert::ext::Extension {
                extn_id: OID_OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(value).ok()?,
            }])
        }
        None => None,
    };
    let request = OcspRequest {
        tbs_request: x509_ocsp::TbsRequest {
            version: x509_ocsp::Version::V1,
            requestor_name: None,
            request_list: vec![x509_ocsp::Request {
                req_cert: id,
                single_request_extensions: None,
            }],
            request_extensions,
        },
        optional_signature: None,
    };
    request.to_der().ok()
}

/// The time of an OCSP `GeneralizedTime`.
fn when(t: &x509_ocsp::OcspGeneralizedTime) -> Option<OffsetDateTime> {
    let secs = i64::try_from(t.0.to_unix_duration().as_secs()).ok()?;
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// Sends the request and judges the answer.
async fn ask(
    c: &Collector,
    url: &str,
    cert_der: &[u8],
    issuer_der: &[u8],
    mut facts: RevocationFacts,
) -> RevocationFacts {
    let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
        facts.problem = problem(RevocationProblemKind::NoIssuer, "the issuer does not parse");
        return facts;
    };
    let Some(id) = cert_id(cert_der, &issuer, OID_SHA1) else {
        facts.problem = problem(RevocationProblemKind::Malformed, "no OCSP request can be made for it");
        return facts;
    };
    let mut nonce = [0u8; 16];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).is_err() {
        facts.problem = problem(RevocationProblemKind::NotAsked, "no random nonce could be made");
        return facts;
    }
    let Some(body) = request_der(id.clone(), Some(&nonce)) else {
        facts.problem = problem(RevocationProblemKind::Malformed, "no OCSP request can be made for it");
        return facts;
    };
    let (mut fetch, mut answer) = match send(c, url, &body).await {
        Ok(sent) => sent,
        Err((fetch, why)) => {
            facts.fetch = fetch;
            facts.problem = Some(why);
            return facts;
        }
    };
    let mut sent_nonce: &[u8] = &nonce;
    if refuses_the_request(&answer)
        && let Some(plain) = request_der(id.clone(), None)
    {
        // RFC 8954: a responder should ignore a nonce it does not support; one that refuses the
        // request for it is asked again without
        facts.asked_without_nonce = true;
        sent_nonce = &[];
        match send(c, url, &plain).await {
            Ok((again, body)) => {
                fetch.exchanges.extend(again.exchanges);
                answer = body;
            }
            Err((again, why)) => {
                fetch.exchanges.extend(again.into_iter().flat_map(|f| f.exchanges));
                facts.fetch = Some(fetch);
                facts.problem = Some(why);
                return facts;
            }
        }
    }
    facts.fetch = Some(fetch);
    judge(&answer, &id, &issuer, sent_nonce, c.now(), facts)
}

/// Whether an answer is an OCSP refusal of the request itself (`malformedRequest`,
/// `unauthorized`): what a responder that does not take nonces may answer.
fn refuses_the_request(answer: &[u8]) -> bool {
    OcspResponse::from_der(answer).is_ok_and(|r| {
        matches!(
            r.response_status,
            OcspResponseStatus::MalformedRequest | OcspResponseStatus::Unauthorized
        )
    })
}

/// Sends one OCSP request (DER) to `url` by GET (RFC 6960 A.1: base64, then URL-encoded, after
/// the responder's URL), within `OCSP_TIMEOUT`: the exchange and the answer's body, or why
/// there is no answer to read.
async fn send(c: &Collector, url: &str, body: &[u8]) -> Result<(Fetch, Vec<u8>), (Option<Fetch>, RevocationProblem)> {
    let why = |kind: RevocationProblemKind, detail: String| RevocationProblem { kind, detail };
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    let get_url = format!(
        "{}{}{}",
        url,
        if url.ends_with('/') { "" } else { "/" },
        utf8_percent_encode(&encoded, NON_ALPHANUMERIC)
    );
    let request = Request {
        user_agent: OCSP_USER_AGENT,
        headers: vec![("accept".to_string(), "application/ocsp-response".to_string())],
        probe: false,
        ..Request::get(&get_url, "ocsp", ANSWER_CAP + 1)
    };
    let limit = OCSP_TIMEOUT;
    let Ok((fetch, answer)) = tokio::time::timeout(limit, c.net.fetch(request)).await else {
        return Err((
            None,
            why(
                RevocationProblemKind::TimedOut,
                format!("no answer within {} s", limit.as_secs()),
            ),
        ));
    };
    let Some(last) = fetch.last().cloned() else {
        return Err((
            Some(fetch),
            why(RevocationProblemKind::Unreachable, "no request was made".to_string()),
        ));
    };
    let problem = match (&last.error, last.status) {
        (Some(e @ NetError::Timeout { .. }), _) => Some(why(RevocationProblemKind::TimedOut, e.to_string())),
        (Some(NetError::Deadline), _) => Some(why(
            RevocationProblemKind::NotAsked,
            "the run's deadline had passed".to_string(),
        )),
        // the run's guard (`otadoctor serve`) refused the responder's address: not asked
        (Some(e @ NetError::Refused { .. }), _) => Some(why(RevocationProblemKind::NotAsked, e.to_string())),
        (Some(e), _) => Some(why(RevocationProblemKind::Unreachable, e.to_string())),
        (None, Some(200)) if last.body_truncated => Some(why(
            RevocationProblemKind::Malformed,
            format!("the answer is larger than {} KiB", ANSWER_CAP / 1024),
        )),
        (None, Some(200)) => None,
        (None, Some(status)) => Some(why(
            RevocationProblemKind::Unreachable,
            format!("it answered HTTP {status}"),
        )),
        (None, None) => Some(why(RevocationProblemKind::Unreachable, "no answer".to_string())),
    };
    match problem {
        Some(p) => Err((Some(fetch), p)),
        None => Ok((fetch, answer)),
    }
}

/// The DER of the OCSP request about `cert_der`, issued by `issuer_der`, with `nonce` when
/// given (what `ask` sends; for tests that have a responder answer offline).
pub fn request_for(cert_der: &[u8], issuer_der: &[u8], nonce: Option<&[u8]>) -> Option<Vec<u8>> {
    let (_, issuer) = X509Certificate::from_der(issuer_der).ok()?;
    request_der(cert_id(cert_der, &issuer, OID_SHA1)?, nonce)
}

/// Judges `answer` as the answer about `cert_der`, issued by `issuer_der`, to a request that
/// carried `nonce`, at `now` (what `ask` does with what it received).
pub fn judge_answer(
    answer: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    nonce: &[u8],
    now: OffsetDateTime,
) -> RevocationFacts {
    let facts = RevocationFacts::default();
    let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
        return RevocationFacts {
            problem: problem(RevocationProblemKind::NoIssuer, "the issuer does not parse"),
            ..facts
        };
    };
    let Some(id) = cert_id(cert_der, &issuer, OID_SHA1) else {
        return RevocationFacts {
            problem: problem(RevocationProblemKind::Malformed, "no OCSP request can be made for it"),
            ..facts
        };
    };
    judge(answer, &id, &issuer, nonce, now, facts)
}

/// Reads an OCSP answer for `id`, and what it says, at `now`.
pub fn judge(
    answer: &[u8],
    id: &CertId,
    issuer: &X509Certificate<'_>,
    nonce: &[u8],
    now: OffsetDateTime,
    mut facts: RevocationFacts,
) -> RevocationFacts {
    let response = match OcspResponse::from_der(answer) {
        Ok(r) => r,
        Err(e) => {
            facts.problem = problem(
                RevocationProblemKind::Malformed,
                format!("it is not an OCSP response ({e})"),
            );
            return facts;
        }
    };
    if response.response_status != OcspResponseStatus::Successful {
        facts.problem = problem(
            RevocationProblemKind::ResponderError,
            format!("the responder answered {:?}", response.response_status),
        );
        return facts;
    }
    let Some(bytes) = response.response_bytes else {
        facts.problem = problem(
            RevocationProblemKind::Malformed,
            "a successful answer without a response",
        );
        return facts;
    };
    if bytes.response_type != OID_OCSP_BASIC {
        facts.problem = problem(
            RevocationProblemKind::Malformed,
            format!("its response type {} is not id-pkix-ocsp-basic", bytes.response_type),
        );
        return facts;
    }
    let basic = match BasicOcspResponse::from_der(bytes.response.as_bytes()) {
        Ok(b) => b,
        Err(e) => {
            facts.problem = problem(
                RevocationProblemKind::Malformed,
                format!("its basic response does not parse ({e})"),
            );
            return facts;
        }
    };
    // the signature: the issuer's, or a responder's the issuer delegated
    let Ok(tbs) = basic.tbs_response_data.to_der() else {
        facts.problem = problem(RevocationProblemKind::Malformed, "its response data does not encode");
        return facts;
    };
    let oid = basic.signature_algorithm.oid.to_string();
    let Some((_, alg)) = signature_algorithm(&oid, "") else {
        facts.problem = problem(
            RevocationProblemKind::BadSignature,
            format!("its signature algorithm {oid} is not one otadoctor verifies"),
        );
        return facts;
    };
    let signature = basic.signature.raw_bytes();
    let delegated: Vec<Vec<u8>> = basic
        .certs
        .iter()
        .flatten()
        .take(8)
        .filter_map(|c| c.to_der().ok())
        .collect();
    let signer = if verify_with(alg, issuer.public_key(), &tbs, signature) {
        Some("issuer".to_string())
    } else {
        delegated.iter().find_map(|d| {
            let (_, responder) = X509Certificate::from_der(d).ok()?;
            let eku = responder.extended_key_usage().ok().flatten().is_some_and(|e| {
                e.value.ocsp_signing || e.value.other.iter().any(|o| o.to_id_string() == OID_OCSP_SIGNING)
            });
            let valid = {
                let v = responder.validity();
                v.not_before.to_datetime() <= now + SKEW && now <= v.not_after.to_datetime() + SKEW
            };
            (eku && valid
                && responder.issuer().as_raw() == issuer.subject().as_raw()
                && issued_by(&responder, issuer)
                && verify_with(alg, responder.public_key(), &tbs, signature))
            .then(|| cert_name(&responder))
        })
    };
    let Some(signer) = signer else {
        facts.problem = problem(
            RevocationProblemKind::BadSignature,
            "its signature is neither the issuer's nor a responder certificate's the issuer delegated (OCSP-signing EKU)",
        );
        return facts;
    };
    facts.signed_by = Some(signer);
    // the nonce, when echoed (responders that pre-sign their answers do not echo it)
    let echoed = basic
        .tbs_response_data
        .response_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == OID_OCSP_NONCE)
        .map(|e| e.extn_value.as_bytes().to_vec());
    facts.nonce_echoed = Some(echoed.is_some());
    if let Some(value) = echoed {
        let inner = OctetString::from_der(&value).ok().map(|o| o.as_bytes().to_vec());
        if value != nonce && inner.as_deref() != Some(nonce) {
            facts.nonce_echoed = Some(false);
            facts.problem = problem(
                RevocationProblemKind::NonceMismatch,
                "the answer carries another nonce than the one sent: it is not the answer to this request",
            );
            return facts;
        }
    }
    // the answer about this certificate
    let single = basic.tbs_response_data.responses.iter().find(|r| {
        let expected = if r.cert_id.hash_algorithm.oid == id.hash_algorithm.oid {
            Some(id.clone())
        } else {
            None
        };
        expected.is_some_and(|e| {
            r.cert_id.issuer_name_hash == e.issuer_name_hash
                && r.cert_id.issuer_key_hash == e.issuer_key_hash
                && r.cert_id.serial_number == e.serial_number
        })
    });
    let Some(single) = single else {
        facts.problem = problem(
            RevocationProblemKind::Malformed,
            "the answer is not about the certificate asked",
        );
        return facts;
    };
    facts.this_update = when(&single.this_update);
    facts.next_update = single.next_update.as_ref().and_then(when);
    // an answer dated after the run's clock is not refused: `--now` may be in the past, and the
    // answer is about the present; one past its nextUpdate at the clock is
    if let Some(n) = facts.next_update
        && n + SKEW < now
    {
        facts.problem = problem(
            RevocationProblemKind::Stale,
            format!("it was current until {n}, before the run's clock ({now})"),
        );
        return facts;
    }
    match single.cert_status {
        CertStatus::Good(_) => facts.status = RevocationStatus::Good,
        CertStatus::Revoked(info) => {
            facts.status = RevocationStatus::Revoked;
            facts.revoked_at = when(&info.revocation_time);
            facts.revocation_reason = info.revocation_reason.map(reason_name);
        }
        CertStatus::Unknown(_) => facts.status = RevocationStatus::Unknown,
    }
    facts
}

/// A CRL reason as RFC 5280 names it (`keyCompromise`).
fn reason_name(reason: x509_cert::ext::pkix::CrlReason) -> String {
    let debug = format!("{reason:?}");
    let mut chars = debug.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => debug,
    }
}
