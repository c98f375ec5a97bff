//! SIG022 and the revocation facts, through the CLI against a real OCSP responder on loopback
//! (`openssl ocsp`, started by the test): revoked, good and unknown certificates in a local
//! package and in one served by the lab over HTTPS Range; a responder that answers junk and one
//! too slow (lab routes); `--offline`; one request per certificate in a run.

mod support;

use support::lab::{IpaSpec, Route, Site, ipa};
use support::ocsp::{Responder, Status, developer};
use support::profile::ProfileSpec;

const REVOKED: &str = "5A0001";
const GOOD: &str = "5A0002";
const UNKNOWN: &str = "5A0003";

/// An IPA whose profile lists `cert` (and the test CA's usual distribution certificate, which
/// names no responder: the one the tests' executables are signed with).
fn package_with(cert: Vec<u8>) -> Vec<u8> {
    ipa(&IpaSpec {
        profile: Some(
            ProfileSpec {
                developer_certificates: Some(vec![cert, support::profile::ca().developer_der.clone()]),
                ..ProfileSpec::default()
            }
            .signed(),
        ),
        ..IpaSpec::default()
    })
}

/// Writes `bytes` as `name` in the tests' temp folder; returns its path.
fn write(name: &str, bytes: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("revocation");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{name}-{}.ipa", std::process::id()));
    std::fs::write(&path, bytes).expect("write ipa");
    path.display().to_string()
}

/// The package's revocation facts of a JSON run.
fn revocation(run: &support::Run) -> Vec<serde_json::Value> {
    let doc = run.json();
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["facts"]["walks"].as_array().cloned().unwrap_or_default())
        .flat_map(|w| w["package"]["revocation"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Runs the CLI on a local package (JSON), the test profile CA accepted.
fn local(path: &str, extra: &[&str]) -> support::Run {
    let ca = support::profile::ca_file();
    let mut argv = vec!["--format", "json", "--profile-ca", ca.as_str()];
    argv.extend_from_slice(extra);
    argv.push(path);
    support::otadoctor(&argv)
}

fn distribution(facts: &[serde_json::Value]) -> &serde_json::Value {
    // the distribution certificate that names a responder (the test CA's usual one names none)
    facts
        .iter()
        .find(|r| {
            r.get("responder").is_some()
                && r["roles"]
                    .as_array()
                    .is_some_and(|roles| roles.iter().any(|x| x == "distribution-certificate"))
        })
        .unwrap_or_else(|| panic!("no distribution certificate naming a responder in {facts:?}"))
}

#[test]
fn sig022_raised_for_a_revoked_distribution_certificate_in_a_local_package() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked), (GOOD, Status::Good)]);
    let path = write("revoked", &package_with(developer(REVOKED, &responder.url())));
    let run = local(&path, &[]);
    assert!(
        run.codes().contains(&"SIG022".to_string()),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "revoked", "{cert}");
    assert_eq!(cert["revoked_at"], "2026-11-02T09:30:00Z", "{cert}");
    assert_eq!(cert["revocation_reason"], "keyCompromise", "{cert}");
    assert_eq!(cert["responder"], responder.url().as_str(), "{cert}");
    assert_eq!(cert["nonce_echoed"], true, "{cert}");
    assert_eq!(cert["signed_by"], "issuer", "{cert}");
    assert_eq!(cert["serial"], "5a:00:01", "{cert}");
    // the profile's signer names no responder: said, not an error
    let signer = facts
        .iter()
        .find(|r| r["roles"][0] == "profile-signer")
        .expect("the profile signer");
    assert_eq!(signer["status"], "not-checked");
    assert_eq!(signer["problem"]["kind"], "no-responder");
    assert_eq!(run.code, 1);

    // the human report: the ocsp line and the finding
    let ca = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca, &path]);
    support::assert_in_order(
        &human.stdout,
        &[
            // cause first: the error, then the walk's ocsp line that raised it
            "error[SIG022 signing-certificate-revoked] the distribution certificate \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:01) of the app Field.app is revoked since 2026-11-02T09:30:00Z (keyCompromise)",
            "ocsp      distribution certificate \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:01) · revoked since 2026-11-02 (keyCompromise) ✗ SIG022",
            "↑ error[SIG022 signing-certificate-revoked] above",
        ],
    );
}

#[test]
fn sig022_names_the_certificate_that_signed_the_code() {
    // the executable is signed by the revoked certificate (which the profile lists, as it must)
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let (cert, key) = support::ocsp::developer_with_key(REVOKED, &responder.url());
    let ca = support::profile::ca();
    let executable = signed_by(cert.clone(), key, ca);
    let package = ipa(&IpaSpec {
        profile: Some(
            ProfileSpec {
                developer_certificates: Some(vec![cert, ca.developer_der.clone()]),
                ..ProfileSpec::default()
            }
            .signed(),
        ),
        executable: support::lab::Executable::Custom(Box::new(executable)),
        ..IpaSpec::default()
    });
    let path = write("code-signer", &package);
    let run = local(&path, &[]);
    assert_eq!(run.codes(), ["SIG022", "SIG013"], "{}", run.stdout);
    let facts = revocation(&run);
    let revoked = distribution(&facts);
    assert_eq!(revoked["status"], "revoked", "{revoked}");
    assert_eq!(
        revoked["roles"],
        serde_json::json!(["distribution-certificate", "code-signer"]),
        "{revoked}"
    );
    assert_eq!(responder.requests(), 1);
    let ca_file = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca_file, &path]);
    assert!(
        human.says(
            "error[SIG022 signing-certificate-revoked] the distribution certificate and code signer \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:01) of the app Field.app is revoked"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn sig022_silent_when_the_responder_answers_good() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked), (GOOD, Status::Good)]);
    let path = write("good", &package_with(developer(GOOD, &responder.url())));
    let run = local(&path, &[]);
    assert!(!run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "good", "{cert}");
    assert!(cert.get("problem").is_none(), "{cert}");
    assert_eq!(cert["nonce_echoed"], true, "{cert}");
    let ca = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca, &path]);
    assert!(
        human.says(&format!(
            "ocsp      distribution certificate \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:02) · good · {}",
            responder.url()
        )),
        "{}",
        human.stdout
    );
}

#[test]
fn an_unknown_certificate_is_said_never_an_error() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let path = write("unknown", &package_with(developer(UNKNOWN, &responder.url())));
    let run = local(&path, &[]);
    assert!(!run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    assert_eq!(distribution(&revocation(&run))["status"], "unknown");
    let ca = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca, &path]);
    assert!(human.says("· unknown to its responder ·"), "{}", human.stdout);
    assert_ne!(human.code, 2, "{}", human.stderr);
}

#[test]
fn an_unreachable_responder_is_said_never_an_error() {
    // a loopback port nothing listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}/");
    let path = write("unreachable", &package_with(developer(REVOKED, &url)));
    let run = local(&path, &[]);
    let codes = run.codes();
    assert_eq!(codes, ["SIG013"], "{}", run.stdout);
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "not-checked", "{cert}");
    assert_eq!(cert["problem"]["kind"], "unreachable", "{cert}");
    let ca = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca, &path]);
    assert!(
        human.says("· not checked: responder unreachable (cannot connect: connection refused) ·"),
        "{}",
        human.stdout
    );
    assert_eq!(human.code, 0, "{}", human.stderr);
}

#[test]
fn offline_the_revocation_is_not_checked_and_said_so() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let path = write("offline", &package_with(developer(REVOKED, &responder.url())));
    let run = local(&path, &["--offline"]);
    assert!(!run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    assert!(revocation(&run).is_empty(), "{}", run.stdout);
    let skipped = run.json()["results"][0]["facts"]["skipped"].clone();
    assert!(
        skipped
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == "revocation not checked (--offline)")),
        "{skipped}"
    );
    assert_eq!(responder.requests(), 0);
    let ca = support::profile::ca_file();
    let human = support::otadoctor(&["--offline", "--profile-ca", &ca, &path]);
    assert!(human.says("revocation not checked (--offline)"), "{}", human.stdout);
}

#[test]
fn no_url_is_followed_from_a_certificate_no_trusted_issuer_signed() {
    // without --profile-ca the test profile is not Apple's (SIG008): the intermediate it
    // carries is no issuer otadoctor trusts, so its certificate's responder is not asked
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let path = write("untrusted", &package_with(developer(REVOKED, &responder.url())));
    let run = support::otadoctor(&["--format", "json", &path]);
    let codes = run.codes();
    assert!(
        codes.contains(&"SIG008".to_string()) && !codes.contains(&"SIG022".to_string()),
        "{codes:?}"
    );
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "not-checked", "{cert}");
    assert_eq!(cert["problem"]["kind"], "no-issuer", "{cert}");
    assert_eq!(responder.requests(), 0);
}

#[test]
fn a_package_found_in_a_directory_scan_is_asked_about_only_with_follow() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let dir = support::servers::TempDir::new("revocation-scan");
    dir.write("dist/Field.ipa", package_with(developer(REVOKED, &responder.url())));
    let ca = support::profile::ca_file();
    let scan = support::otadoctor(&["--format", "json", "--profile-ca", &ca, &dir.join("")]);
    assert!(!scan.codes().contains(&"SIG022".to_string()), "{}", scan.stdout);
    assert!(
        scan.says("revocation not checked: found in a directory scan, which is checked offline (--follow)"),
        "{}",
        scan.stdout
    );
    assert_eq!(responder.requests(), 0);
    let followed = support::otadoctor(&["--format", "json", "--follow", "--profile-ca", &ca, &dir.join("")]);
    assert!(followed.codes().contains(&"SIG022".to_string()), "{}", followed.stdout);
    assert_eq!(responder.requests(), 1);
}

#[test]
fn one_request_per_certificate_in_a_run() {
    // two packages with the same certificate, in one run: the responder is asked once
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let cert = developer(REVOKED, &responder.url());
    let first = write("cached-1", &package_with(cert.clone()));
    let second = write("cached-2", &package_with(cert));
    let run = local(&first, &[&second]);
    assert_eq!(
        run.codes().iter().filter(|c| *c == "SIG022").count(),
        2,
        "{}",
        run.stdout
    );
    assert_eq!(responder.requests(), 1);
}

#[test]
fn sig022_raised_for_a_served_package_read_by_range() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked), (GOOD, Status::Good)]);
    let site = Site::correct("ota.acme-apps.test");
    site.lab.route(
        Site::PACKAGE,
        Route::ok(
            "application/octet-stream",
            package_with(developer(REVOKED, &responder.url())),
        ),
    );
    let mut args = site.args(&[]);
    args.push(site.link());
    let run = support::otadoctor_args(&args);
    let mut codes = run.codes();
    codes.sort();
    // TLS005: the lab's private root
    assert_eq!(codes, ["SIG013", "SIG022", "TLS005"], "{}", run.stdout);
    assert_eq!(distribution(&revocation(&run))["status"], "revoked");
    // the package was read by Range, not downloaded
    assert!(
        site.lab
            .requests()
            .iter()
            .any(|r| r.path == Site::PACKAGE && r.range.is_some()),
        "{:?}",
        site.lab.requests()
    );

    // the human report: the ocsp line beside the profile's, the finding under the package
    let human = support::otadoctor_args(&human_args(&args));
    show(&human);
    support::assert_in_order(
        &human.stdout,
        &[
            "  profile   ad hoc · \"Field Ad Hoc\"",
            "  ocsp      distribution certificate \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:01) · revoked since 2026-11-02 (keyCompromise) ✗ SIG022 · http://127.0.0.1:",
            "  ocsp      profile signer \"Test Provisioning Profile Signing\" (serial ",
            ") · not checked: no OCSP responder in the certificate",
        ],
    );
    assert!(
        human.says("error[SIG022 signing-certificate-revoked] the distribution certificate"),
        "{}",
        human.stdout
    );

    // its correct neighbour
    site.lab.route(
        Site::PACKAGE,
        Route::ok(
            "application/octet-stream",
            package_with(developer(GOOD, &responder.url())),
        ),
    );
    let run = support::otadoctor_args(&args);
    let mut codes = run.codes();
    codes.sort();
    assert_eq!(codes, ["SIG013", "TLS005"], "{}", run.stdout);
    assert_eq!(distribution(&revocation(&run))["status"], "good");
}

#[test]
fn a_malformed_answer_is_said_never_an_error() {
    let site = Site::correct("ota.acme-apps.test");
    site.lab.route(
        "/ocsp-junk/*",
        Route::ok("application/ocsp-response", b"<html>not OCSP</html>".to_vec()),
    );
    let url = site.url("/ocsp-junk/");
    site.lab.route(
        Site::PACKAGE,
        Route::ok("application/octet-stream", package_with(developer(REVOKED, &url))),
    );
    let mut args = site.args(&[]);
    args.push(site.link());
    let run = support::otadoctor_args(&args);
    let mut codes = run.codes();
    codes.sort();
    assert_eq!(codes, ["SIG013", "TLS005"], "{}", run.stdout);
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "not-checked", "{cert}");
    assert_eq!(cert["problem"]["kind"], "malformed", "{cert}");
    assert!(
        site.lab.requests().iter().any(|r| r.path.starts_with("/ocsp-junk/M")),
        "the request is in the path (RFC 6960 GET): {:?}",
        site.lab.requests()
    );
    let human = support::otadoctor_args(&human_args(&args));
    show(&human);
    assert!(
        human.says("· not checked: malformed answer (it is not an OCSP response (") && human.says(&url),
        "{}",
        human.stdout
    );
}

#[test]
fn a_responder_that_refuses_the_nonce_is_asked_again_without() {
    // the lab answers malformedRequest to every request under /ocsp-picky/ but the one without
    // a nonce, which it answers good (an answer openssl ocsp made offline for that request)
    let site = Site::correct("ota.acme-apps.test");
    let url = site.url("/ocsp-picky/");
    let cert = developer(GOOD, &url);
    let issuer = support::profile::ca().intermediate_der.clone();
    let plain = otadoctor::collect::ocsp::request_for(&cert, &issuer, None).expect("a request");
    let good = support::ocsp::answer_offline(&plain, &[(GOOD, Status::Good)], None);
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&plain);
    let path = format!(
        "/ocsp-picky/{}",
        percent_encoding::utf8_percent_encode(&encoded, percent_encoding::NON_ALPHANUMERIC)
    );
    site.lab.route(&path, Route::ok("application/ocsp-response", good));
    // OCSPResponse { responseStatus malformedRequest (1) }
    site.lab.route(
        "/ocsp-picky/*",
        Route::ok("application/ocsp-response", vec![0x30, 0x03, 0x0a, 0x01, 0x01]),
    );
    site.lab
        .route(Site::PACKAGE, Route::ok("application/octet-stream", package_with(cert)));
    let mut args = site.args(&[]);
    args.push(site.link());
    let run = support::otadoctor_args(&args);
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "good", "{cert}");
    assert_eq!(cert["asked_without_nonce"], true, "{cert}");
    assert_eq!(cert["nonce_echoed"], false, "{cert}");
    let asked: Vec<String> = site
        .lab
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/ocsp-picky/"))
        .map(|r| r.path)
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[1], path);
}

/// The same run in the human format.
fn human_args(args: &[String]) -> Vec<String> {
    args.iter()
        .filter(|a| *a != "--format" && *a != "json")
        .cloned()
        .collect()
}

/// Prints a run's report with OTADOCTOR_SHOW set (for the rule doc's transcripts).
fn show(run: &support::Run) {
    if std::env::var_os("OTADOCTOR_SHOW").is_some() {
        eprintln!("{}", run.stdout);
    }
}

#[test]
fn a_slow_responder_times_out_and_is_said_never_an_error() {
    let site = Site::correct("ota.acme-apps.test");
    site.lab.route(
        "/ocsp-slow/*",
        Route::ok("application/ocsp-response", b"late".to_vec()).delay(std::time::Duration::from_secs(4)),
    );
    let url = site.url("/ocsp-slow/");
    site.lab.route(
        Site::PACKAGE,
        Route::ok("application/octet-stream", package_with(developer(REVOKED, &url))),
    );
    let mut args = site.args(&["--timeout", "2"]);
    args.push(site.link());
    let started = std::time::Instant::now();
    let run = support::otadoctor_args(&args);
    let took = started.elapsed();
    let mut codes = run.codes();
    codes.sort();
    assert_eq!(codes, ["SIG013", "TLS005"], "{}", run.stdout);
    let facts = revocation(&run);
    let cert = distribution(&facts);
    assert_eq!(cert["status"], "not-checked", "{cert}");
    assert_eq!(cert["problem"]["kind"], "timed-out", "{cert}");
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
    let human = support::otadoctor_args(&human_args(&args));
    show(&human);
    assert!(
        human.says("· not checked: responder timed out (") && human.says(&url),
        "{}",
        human.stdout
    );
}

#[test]
fn sig022_raised_for_a_profile_given_on_its_own() {
    let responder = Responder::start(&[(REVOKED, Status::Revoked), (GOOD, Status::Good)]);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("revocation");
    std::fs::create_dir_all(&dir).expect("dir");
    let profile = |serial: &str, name: &str| {
        let path = dir.join(format!("{name}-{}.mobileprovision", std::process::id()));
        let spec = ProfileSpec {
            developer_certificates: Some(vec![
                developer(serial, &responder.url()),
                support::profile::ca().developer_der.clone(),
            ]),
            ..ProfileSpec::default()
        };
        std::fs::write(&path, spec.signed()).expect("write the profile");
        path.display().to_string()
    };
    let revoked = profile(REVOKED, "revoked");
    let run = local(&revoked, &[]);
    assert!(run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    let facts = run.json()["results"][0]["facts"]["profile_revocation"].clone();
    let facts = facts.as_array().cloned().unwrap_or_default();
    assert_eq!(distribution(&facts)["status"], "revoked", "{facts:?}");
    let ca = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca, &revoked]);
    support::assert_in_order(
        &human.stdout,
        &[
            "  profile   ad hoc",
            "  ocsp      distribution certificate \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:01) · revoked since 2026-11-02 (keyCompromise) ✗ SIG022",
        ],
    );
    assert!(
        human
            .says("error[SIG022 signing-certificate-revoked] the distribution certificate \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" (serial 5a:00:01) of the profile is revoked"),
        "{}",
        human.stdout
    );

    // its neighbour: good
    let good = profile(GOOD, "good");
    let run = local(&good, &[]);
    assert!(!run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    // offline: not asked, said
    let run = local(&revoked, &["--offline"]);
    assert!(!run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    assert!(run.says("revocation not checked (--offline)"), "{}", run.stdout);
    // the revoked profile's two runs and the good one's; none offline
    assert_eq!(responder.requests(), 3);
}

/// Answers made by `openssl ocsp` offline, judged by the collector's judge at the tests' clock.
mod answers {
    use super::*;
    use otadoctor::facts::{RevocationProblemKind, RevocationStatus};

    const URL: &str = "http://127.0.0.1:9/";
    const NONCE: &[u8] = b"0123456789abcdef";

    fn issuer() -> Vec<u8> {
        support::profile::ca().intermediate_der.clone()
    }

    fn answer(cert: &[u8], serials: &[(&str, Status)], signer: Option<(&[u8], &str)>) -> Vec<u8> {
        let request = otadoctor::collect::ocsp::request_for(cert, &issuer(), Some(NONCE)).expect("a request");
        support::ocsp::answer_offline(&request, serials, signer)
    }

    fn judge(answer: &[u8], cert: &[u8], nonce: &[u8], now: time::OffsetDateTime) -> otadoctor::facts::RevocationFacts {
        otadoctor::collect::ocsp::judge_answer(answer, cert, &issuer(), nonce, now)
    }

    #[test]
    fn a_good_answer_signed_by_the_issuer_with_the_nonce() {
        let cert = developer(GOOD, URL);
        let facts = judge(
            &answer(&cert, &[(GOOD, Status::Good)], None),
            &cert,
            NONCE,
            support::NOW,
        );
        assert_eq!(facts.status, RevocationStatus::Good, "{facts:?}");
        assert_eq!(facts.signed_by.as_deref(), Some("issuer"));
        assert_eq!(facts.nonce_echoed, Some(true));
    }

    #[test]
    fn an_answer_with_another_nonce_is_not_believed() {
        let cert = developer(REVOKED, URL);
        let facts = judge(
            &answer(&cert, &[(REVOKED, Status::Revoked)], None),
            &cert,
            b"another nonce...",
            support::NOW,
        );
        assert_eq!(facts.status, RevocationStatus::NotChecked, "{facts:?}");
        assert_eq!(
            facts.problem.map(|p| p.kind),
            Some(RevocationProblemKind::NonceMismatch)
        );
    }

    #[test]
    fn an_answer_past_its_next_update_is_stale() {
        // the responder's answers are good for ten years from the machine's clock
        let cert = developer(REVOKED, URL);
        let later = time::macros::datetime!(2046-01-01 00:00 UTC);
        let facts = judge(&answer(&cert, &[(REVOKED, Status::Revoked)], None), &cert, NONCE, later);
        assert_eq!(facts.status, RevocationStatus::NotChecked, "{facts:?}");
        assert_eq!(facts.problem.map(|p| p.kind), Some(RevocationProblemKind::Stale));
    }

    #[test]
    fn an_answer_about_another_certificate_is_malformed() {
        let asked = developer(REVOKED, URL);
        let other = developer(GOOD, URL);
        let facts = judge(
            &answer(&asked, &[(REVOKED, Status::Revoked)], None),
            &other,
            NONCE,
            support::NOW,
        );
        assert_eq!(facts.status, RevocationStatus::NotChecked, "{facts:?}");
        assert_eq!(facts.problem.map(|p| p.kind), Some(RevocationProblemKind::Malformed));
    }

    #[test]
    fn a_changed_signature_is_not_the_issuers() {
        let cert = developer(REVOKED, URL);
        let mut bytes = answer(&cert, &[(REVOKED, Status::Revoked)], None);
        // the signature BIT STRING ends the BasicOCSPResponse when no certificates follow it
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let facts = judge(&bytes, &cert, NONCE, support::NOW);
        assert_eq!(facts.status, RevocationStatus::NotChecked, "{facts:?}");
        assert_eq!(facts.problem.map(|p| p.kind), Some(RevocationProblemKind::BadSignature));
    }

    #[test]
    fn a_delegated_responder_is_believed_only_with_the_ocsp_signing_eku() {
        let cert = developer(REVOKED, URL);
        let (delegated, key) = support::ocsp::responder_certificate(true);
        let facts = judge(
            &answer(&cert, &[(REVOKED, Status::Revoked)], Some((&delegated, &key))),
            &cert,
            NONCE,
            support::NOW,
        );
        assert_eq!(facts.status, RevocationStatus::Revoked, "{facts:?}");
        assert_eq!(facts.signed_by.as_deref(), Some("otadoctor Test OCSP Responder"));
        assert_eq!(facts.revocation_reason.as_deref(), Some("keyCompromise"));

        let (plain, key) = support::ocsp::responder_certificate(false);
        let facts = judge(
            &answer(&cert, &[(REVOKED, Status::Revoked)], Some((&plain, &key))),
            &cert,
            NONCE,
            support::NOW,
        );
        assert_eq!(facts.status, RevocationStatus::NotChecked, "{facts:?}");
        assert_eq!(facts.problem.map(|p| p.kind), Some(RevocationProblemKind::BadSignature));
    }

    #[test]
    fn junk_of_any_length_is_malformed_never_a_panic() {
        let cert = developer(GOOD, URL);
        let good = answer(&cert, &[(GOOD, Status::Good)], None);
        for cut in (0..good.len()).step_by(7) {
            let facts = judge(&good[..cut], &cert, NONCE, support::NOW);
            assert_eq!(facts.status, RevocationStatus::NotChecked, "cut at {cut}");
        }
    }
}

#[test]
fn past_sixteen_certificates_the_code_signer_is_still_asked_and_the_rest_are_counted() {
    // a development profile of a large team lists many certificates: the one that signed the
    // code is asked about first, and what the cap leaves out is said, never dropped silently
    let responder = Responder::start(&[(REVOKED, Status::Revoked)]);
    let (cert, key) = support::ocsp::developer_with_key(REVOKED, &responder.url());
    let ca = support::profile::ca();
    let executable = signed_by(cert.clone(), key, ca);
    let mut certificates: Vec<Vec<u8>> = (0..20)
        .map(|i| developer(&format!("5B00{i:02X}"), &responder.url()))
        .collect();
    certificates.push(cert);
    certificates.push(ca.developer_der.clone());
    let package = ipa(&IpaSpec {
        profile: Some(
            ProfileSpec {
                developer_certificates: Some(certificates),
                ..ProfileSpec::default()
            }
            .signed(),
        ),
        executable: support::lab::Executable::Custom(Box::new(executable)),
        ..IpaSpec::default()
    });
    let path = write("many-certificates", &package);
    let run = local(&path, &[]);
    assert!(run.codes().contains(&"SIG022".to_string()), "{}", run.stdout);
    let facts = revocation(&run);
    assert_eq!(facts.len(), 16, "{facts:?}");
    assert_eq!(facts[0]["status"], "revoked", "{}", facts[0]);
    let doc = run.json();
    let not_asked = &doc["results"][0]["facts"]["walks"][0]["package"]["revocation_not_asked"];
    // 23 distinct: the code signer, 20 listed, the usual one and the profile's signer
    assert_eq!(not_asked, &serde_json::json!(7), "{}", run.stdout);
    let ca_file = support::profile::ca_file();
    let human = support::otadoctor(&["--profile-ca", &ca_file, &path]);
    assert!(
        human.says("7 more signing certificate(s) not checked for revocation: at most 16 are asked about per package"),
        "{}",
        human.stdout
    );
}

/// The test app's executable signed by `cert` (its key `key`), chained to the test CA's
/// intermediate.
fn signed_by(cert: Vec<u8>, key: Vec<u8>, ca: &support::profile::ProfileCa) -> otadoctor::demo::codesign::MachOSpec {
    let mut executable = support::lab::executable_spec("com.acme.field");
    executable.signing = otadoctor::demo::codesign::Signing::Signed {
        cert_der: cert,
        key_pkcs8: key,
        chain: vec![ca.intermediate_der.clone()],
    };
    executable
}
