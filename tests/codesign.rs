//! The code signature of each Mach-O, read and judged: SIG017 code-signature-invalid, SIG018
//! signer-not-in-profile, SIG019 entitlements-not-allowed, SIG020 missing-der-entitlements and
//! SIG021 signing-identifier-mismatch, each raised through the CLI on a local package and over
//! the lab by HTTP Range, beside a correct neighbour; the reader on signatures the writer
//! (`otadoctor::demo::codesign`) makes; and the property that any change of a signed byte of
//! the CodeDirectory fails SIG017.

mod support;

use otadoctor::demo::codesign::{FileKind, Hashes, MachOSpec, Signing, build, entitlements_plist};
use proptest::prelude::*;
use support::Run;
use support::lab::{Executable, IpaSpec, Site, executable_spec, ipa};
use support::macho::{codes, remote};

const HOST: &str = "ota.acme-apps.test";
const BUNDLE_ID: &str = "com.acme.field";

/// The package read from a file, offline, as JSON.
fn local(name: &str, package: &[u8], extra: &[&str]) -> Run {
    support::macho::local_in("codesign", name, package, extra)
}

/// A package whose app executable is written from `spec`.
fn package_with(spec: MachOSpec) -> Vec<u8> {
    ipa(&IpaSpec {
        executable: Executable::Custom(Box::new(spec)),
        ..IpaSpec::default()
    })
}

/// A framework's binary as Xcode signs it: a dylib, no entitlements, the developer certificate.
fn framework_spec(name: &str) -> MachOSpec {
    let mut spec = executable_spec(&format!("com.acme.{}", name.to_ascii_lowercase()));
    spec.kind = FileKind::Dylib;
    spec.entitlements = None;
    spec.der_entitlements = false;
    spec
}

/// The app (signed as Xcode signs it) with one framework, Kit, written from `kit`.
fn package_with_framework(kit: MachOSpec) -> Vec<u8> {
    let exe = build(&executable_spec(BUNDLE_ID)).expect("build");
    support::macho::app(exe, &[("Kit".to_string(), build(&kit).expect("build"))], false)
}

/// A package whose app executable is these bytes.
fn package_of(bytes: Vec<u8>) -> Vec<u8> {
    ipa(&IpaSpec {
        executable: Executable::Bytes(bytes),
        ..IpaSpec::default()
    })
}

/// A package whose profile also grants the team's keychain groups (`A1B2C3D4E5.*`, as the
/// portal writes it) and whose executable is written from `spec`.
fn package_with_keychain_profile(spec: MachOSpec) -> Vec<u8> {
    let profile = support::profile::ProfileSpec::default();
    let plist = profile.plist().replacen(
        "<key>application-identifier</key>",
        "<key>keychain-access-groups</key>\n\t\t<array><string>A1B2C3D4E5.*</string></array>\n\t\t<key>application-identifier</key>",
        1,
    );
    ipa(&IpaSpec {
        executable: Executable::Custom(Box::new(spec)),
        profile: Some(support::profile::ca().sign(plist.as_bytes(), profile.created)),
        ..IpaSpec::default()
    })
}

/// Where the first blob of `magic` starts in `bytes`, and its length.
fn blob_at(bytes: &[u8], magic: u32) -> (usize, usize) {
    let at = bytes
        .windows(4)
        .position(|w| w == magic.to_be_bytes())
        .expect("the blob");
    let len = u32::from_be_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
    (at, len)
}

/// The SuperBlob of a thin Mach-O.
fn superblob(exe: &[u8]) -> Vec<u8> {
    let (at, len) = blob_at(exe, 0xfade_0cc0);
    exe[at..at + len].to_vec()
}

/// Another certificate and key than the profile's (a P-256 self-signed "Apple Development").
fn other_signer() -> Signing {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "Apple Development: Someone Else (Z9Y8X7W6V5)",
    );
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationalUnitName, "Z9Y8X7W6V5");
    let cert = params.self_signed(&key).expect("cert");
    Signing::Signed {
        cert_der: cert.der().to_vec(),
        key_pkcs8: key.serialize_der(),
        chain: Vec::new(),
    }
}

/// A scenario: (name, package, extra arguments, the rules it raises).
type Scenario = (&'static str, Vec<u8>, Vec<&'static str>, Vec<&'static str>);

fn scenarios() -> Vec<Scenario> {
    let correct = build(&executable_spec(BUNDLE_ID)).expect("build");
    // the last code hash of the CodeDirectory changed: it is no longer the one signed
    let mut cd_changed = correct.clone();
    let (cd, cd_len) = blob_at(&cd_changed, 0xfade_0c02);
    cd_changed[cd + cd_len - 1] ^= 0x01;
    // a byte of the code changed (the last page, just before the signature): only the page
    // hashes (--deep) see it
    let mut page_changed = correct.clone();
    let (signature_at, _) = blob_at(&correct, 0xfade_0cc0);
    page_changed[signature_at - 16] ^= 0x01;
    let mut get_task_allow = executable_spec(BUNDLE_ID);
    get_task_allow.entitlements = Some(entitlements_plist(
        &format!("A1B2C3D4E5.{BUNDLE_ID}"),
        "A1B2C3D4E5",
        true,
        "",
    ));
    let mut push = executable_spec(BUNDLE_ID);
    push.entitlements = Some(entitlements_plist(
        &format!("A1B2C3D4E5.{BUNDLE_ID}"),
        "A1B2C3D4E5",
        false,
        "\t<key>aps-environment</key>\n\t<string>production</string>\n",
    ));
    let keychain_group = |group: &str| {
        let mut spec = executable_spec(BUNDLE_ID);
        spec.entitlements = Some(entitlements_plist(
            &format!("A1B2C3D4E5.{BUNDLE_ID}"),
            "A1B2C3D4E5",
            false,
            &format!("\t<key>keychain-access-groups</key>\n\t<array><string>{group}</string></array>\n"),
        ));
        spec
    };
    let mut no_der = executable_spec(BUNDLE_ID);
    no_der.der_entitlements = false;
    let mut other_signer_spec = executable_spec(BUNDLE_ID);
    other_signer_spec.signing = other_signer();
    let mut adhoc = executable_spec(BUNDLE_ID);
    adhoc.signing = Signing::AdHoc;
    let mut identifier = executable_spec(BUNDLE_ID);
    identifier.identifier = "com.acme.fieldbeta".to_string();
    let mut team = executable_spec(BUNDLE_ID);
    team.team_id = Some("Z9Y8X7W6V5".to_string());
    let mut sha1 = executable_spec(BUNDLE_ID);
    sha1.hashes = Hashes::Sha1AndSha256;
    let mut kit_by_another = framework_spec("Kit");
    kit_by_another.signing = other_signer();
    let mut kit_of_another_team = framework_spec("Kit");
    kit_of_another_team.team_id = Some("Z9Y8X7W6V5".to_string());
    vec![
        ("correct", package_of(correct.clone()), vec![], vec![]),
        // a framework: signed as Xcode signs it, by another certificate, for another team
        (
            "framework",
            package_with_framework(framework_spec("Kit")),
            vec![],
            vec![],
        ),
        (
            "framework-by-another",
            package_with_framework(kit_by_another),
            vec![],
            vec!["SIG018"],
        ),
        (
            "framework-of-another-team",
            package_with_framework(kit_of_another_team),
            vec![],
            vec!["SIG021"],
        ),
        ("correct-deep", package_of(correct), vec!["--deep"], vec![]),
        ("correct-sha1-and-sha256", package_with(sha1), vec!["--deep"], vec![]),
        ("code-directory-changed", package_of(cd_changed), vec![], vec!["SIG017"]),
        ("page-changed", package_of(page_changed.clone()), vec![], vec![]),
        (
            "page-changed-deep",
            package_of(page_changed),
            vec!["--deep"],
            vec!["SIG017"],
        ),
        ("other-signer", package_with(other_signer_spec), vec![], vec!["SIG018"]),
        ("ad-hoc", package_with(adhoc), vec![], vec!["SIG018"]),
        ("get-task-allow", package_with(get_task_allow), vec![], vec!["SIG019"]),
        ("aps-environment", package_with(push), vec![], vec!["SIG019"]),
        // granted by the profile's A1B2C3D4E5.* (the neighbour of the two above); another
        // team's group is not
        (
            "keychain-group",
            package_with_keychain_profile(keychain_group("A1B2C3D4E5.com.acme.shared")),
            vec![],
            vec![],
        ),
        (
            "keychain-group-of-another-team",
            package_with_keychain_profile(keychain_group("Z9Y8X7W6V5.com.acme.shared")),
            vec![],
            vec!["SIG019"],
        ),
        ("no-der-entitlements", package_with(no_der), vec![], vec!["SIG020"]),
        ("identifier", package_with(identifier), vec![], vec!["SIG021"]),
        ("team", package_with(team), vec![], vec!["SIG021"]),
    ]
}

#[test]
fn each_rule_is_raised_on_a_local_package_and_its_neighbours_are_quiet() {
    let mut failures = Vec::new();
    for (name, package, extra, raises) in scenarios() {
        let run = local(name, &package, &extra);
        support::dump_json("codesign-local", name, &run);
        let got = codes(&run);
        if got != raises || run.code == 2 {
            failures.push(format!(
                "{name}: expected {raises:?}, got {got:?} (exit {}) {}",
                run.code, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_rule_is_raised_over_the_lab_by_range_and_its_neighbours_are_quiet() {
    let site = Site::correct(HOST);
    let mut failures = Vec::new();
    for (name, package, extra, raises) in scenarios() {
        let run = remote(&site, &package, &extra);
        support::dump_json("codesign-lab", name, &run);
        let got = codes(&run);
        if got != raises || run.code == 2 {
            failures.push(format!("{name}: expected {raises:?}, got {got:?} (exit {})", run.code));
        }
        let package = &run.json()["results"][0]["facts"]["walks"][0]["package"];
        if package["streamed"] == true || !package["machos"][0]["slices"][0]["signature"].is_object() {
            failures.push(format!("{name}: the signature was not read by Range: {package}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_messages_name_the_file_and_what_is_wrong() {
    let mut spec = executable_spec(BUNDLE_ID);
    spec.entitlements = Some(entitlements_plist(
        &format!("A1B2C3D4E5.{BUNDLE_ID}"),
        "A1B2C3D4E5",
        true,
        "",
    ));
    spec.identifier = "com.acme.fieldbeta".to_string();
    let run = local("messages", &package_with(spec), &[]);
    let doc = run.json();
    let findings = doc["results"][0]["findings"].as_array().cloned().unwrap_or_default();
    let message = |code: &str| {
        findings
            .iter()
            .find(|f| f["code"] == code)
            .and_then(|f| f["message"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let sig019 = message("SIG019");
    assert!(sig019.contains("\"Payload/Field.app/Field\""), "{sig019}");
    assert!(
        sig019.contains("get-task-allow true (the profile grants false)"),
        "{sig019}"
    );
    assert!(sig019.contains("an ad hoc profile never allows it"), "{sig019}");
    let sig021 = message("SIG021");
    assert!(
        sig021.contains(
            "its signing identifier is \"com.acme.fieldbeta\", the bundle's CFBundleIdentifier \"com.acme.field\""
        ),
        "{sig021}"
    );
}

#[test]
fn a_nested_framework_is_named() {
    let mut kit = framework_spec("Kit");
    kit.signing = other_signer();
    let run = local("framework-named", &package_with_framework(kit), &[]);
    let doc = run.json();
    let findings = doc["results"][0]["findings"].as_array().cloned().unwrap_or_default();
    let sig018 = findings.iter().find(|f| f["code"] == "SIG018").expect("SIG018");
    assert!(
        sig018["message"].as_str().is_some_and(|m| m.starts_with(
            "\"Payload/Field.app/Frameworks/Kit.framework/Kit\": it was signed by \"Apple Development: Someone Else"
        )),
        "{sig018}"
    );
    assert_eq!(
        sig018["evidence"]["file"],
        "Payload/Field.app/Frameworks/Kit.framework/Kit"
    );
}

#[test]
fn the_reader_checks_what_the_writer_signs() {
    let ca = support::profile::ca();
    for hashes in [Hashes::Sha256, Hashes::Sha1AndSha256, Hashes::Sha1] {
        let mut spec = executable_spec(BUNDLE_ID);
        spec.hashes = hashes;
        let exe = build(&spec).expect("build");
        let facts = otadoctor::codesign::read(&superblob(&exe));
        assert_eq!(facts.error, None);
        let expected = if hashes == Hashes::Sha1AndSha256 { 2 } else { 1 };
        assert_eq!(facts.directories.len(), expected, "{hashes:?}");
        for d in &facts.directories {
            assert_eq!(d.error, None, "{hashes:?}");
            assert_eq!(d.identifier, BUNDLE_ID);
            assert_eq!(d.team_id.as_deref(), Some("A1B2C3D4E5"));
            assert!(d.special.iter().all(|s| s.listed && s.matches), "{:?}", d.special);
        }
        let cms = facts.cms.clone().expect("a CMS signature");
        assert_eq!(cms.error, None);
        assert!(cms.signature_verifies);
        assert_eq!(cms.message_digest, Some(true));
        assert_eq!(cms.cdhashes, Some(true), "{hashes:?}");
        assert_eq!(cms.hash_agility, Some(true), "{hashes:?}");
        let signer = cms.signer.expect("signer");
        assert_eq!(signer.sha256, otadoctor::cms::fingerprint(&ca.developer_der));
        assert_eq!(cms.signer_der, ca.developer_der);
        assert_eq!(cms.chain_der, std::slice::from_ref(&ca.intermediate_der));
        assert_eq!(cms.chain.len(), 1, "the intermediate");
        assert!(facts.requirements);
        assert_eq!(
            facts.entitlements.as_ref().and_then(|e| e.value.clone()),
            facts.der_entitlements.as_ref().and_then(|e| e.value.clone()),
            "the XML and DER entitlements say the same"
        );
        assert!(otadoctor::check::sig::signature_problems(&facts).is_empty());
    }
    // ad hoc: a CodeDirectory flagged so, an empty CMS blob
    let mut spec = executable_spec(BUNDLE_ID);
    spec.signing = Signing::AdHoc;
    let facts = otadoctor::codesign::read(&superblob(&build(&spec).expect("build")));
    assert!(facts.adhoc() && facts.cms.is_none());
    assert!(otadoctor::check::sig::signature_problems(&facts).is_empty());
}

#[test]
fn hostile_signatures_end_in_a_fact_not_a_panic() {
    let exe = build(&executable_spec(BUNDLE_ID)).expect("build");
    let blob = superblob(&exe);
    for cut in (0..blob.len()).step_by(7) {
        let _ = otadoctor::codesign::read(&blob[..cut]);
    }
    for at in (0..blob.len()).step_by(3) {
        let mut bad = blob.clone();
        bad[at] = bad[at].wrapping_add(0x80);
        let facts = otadoctor::codesign::read(&bad);
        let _ = otadoctor::check::sig::signature_problems(&facts);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any change of a signed byte of the CodeDirectory fails SIG017.
    #[test]
    fn any_changed_code_directory_byte_fails_sig017(offset in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let blob = SIGNED.with(|b| b.clone());
        let (cd, len) = blob_at(&blob, 0xfade_0c02);
        let at = cd + offset.index(len);
        let mut changed = blob.clone();
        changed[at] ^= mask;
        let facts = otadoctor::codesign::read(&changed);
        prop_assert!(facts.error.is_none(), "the SuperBlob's index is outside the CodeDirectory");
        let problems = otadoctor::check::sig::signature_problems(&facts);
        prop_assert!(!problems.is_empty(), "byte {} of the CodeDirectory ^ {mask:#04x} passed", at - cd);
    }
}

thread_local! {
    /// The SuperBlob of a correctly signed executable, built once per test thread.
    static SIGNED: Vec<u8> = superblob(&build(&executable_spec(BUNDLE_ID)).expect("build"));
}

/// A DER element with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n @ 0..0x80 => out.push(n as u8),
        n => {
            let bytes = (n as u32).to_be_bytes();
            out.push(0x84);
            out.extend_from_slice(&bytes);
        }
    }
    out.extend_from_slice(content);
    out
}

/// DER entitlements of one dictionary with `n` keys, each a list of two strings.
fn der_entitlements_of(n: usize) -> Vec<u8> {
    let mut entries = Vec::new();
    for i in 0..n {
        let value = tlv(0x30, &[tlv(0x0c, b"A1B2C3D4E5.a"), tlv(0x0c, b"A1B2C3D4E5.b")].concat());
        entries.extend(tlv(
            0x30,
            &[tlv(0x0c, format!("key-{i:06}").as_bytes()), value].concat(),
        ));
    }
    tlv(0x70, &[tlv(0x02, &[1]), tlv(0xb0, &entries)].concat())
}

#[test]
fn der_entitlements_and_page_hashes_cost_linear_time() {
    // 3 values per key: 4,000 keys stay under the 20,000 values read
    let der = |n: usize| der_entitlements_of(n);
    let (small, large) = (der(1_000), der(4_000));
    let value = otadoctor::codesign::der_entitlements(&large).expect("decodes");
    assert_eq!(value.as_object().map(serde_json::Map::len), Some(4_000));
    assert!(
        otadoctor::codesign::der_entitlements(&der(7_000)).is_err(),
        "past the values cap"
    );
    support::linear::assert_linear("DER entitlements", 1, |n| {
        let bytes = if n == 1 { &small } else { &large };
        let _ = otadoctor::codesign::der_entitlements(bytes);
    });
    // --deep: the pages of a 4× larger file take about 4× as long
    let signed = |pages: usize| {
        let mut spec = executable_spec(BUNDLE_ID);
        spec.slices[0].text_size = pages * 4096;
        build(&spec).expect("build")
    };
    let (small, large) = (signed(256), signed(1024));
    support::linear::assert_linear("page hashes", 1, |n| {
        let exe = if n == 1 { &small } else { &large };
        let mut facts = otadoctor::codesign::read(&superblob(exe));
        otadoctor::codesign::check_pages(&mut facts, exe);
        assert_eq!(
            facts.primary().and_then(|d| d.pages.as_ref()).map(|p| p.differing),
            Some(0)
        );
    });
}
