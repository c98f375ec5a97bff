//! The signed example packages and profiles the SIG rule docs run on
//! (`testdata/ipa/docs/Field-*.ipa` with a profile, `testdata/profiles/docs/`), signed by a lab
//! CA whose root is `testdata/profiles/docs/lab-ca.pem`.
//!
//! The code signature rules' packages (SIG017–SIG021, `testdata/ipa/docs/code/`) have a lab CA
//! of their own, `testdata/ipa/docs/code/code-lab-ca.pem`, whose developer certificate signs
//! their executables: `cargo test --test doc_fixtures regenerate_code -- --ignored`.
//!
//! They are committed; this regenerates all of them, with a new CA, when run by hand:
//! `cargo test --test doc_fixtures -- --ignored`. The docs show no key-dependent bytes, so
//! `tests/rule_docs.rs` passes after a regeneration. The other check here makes sure the
//! committed fixtures still verify under the committed root.

mod support;

use support::lab::{Executable, IpaSpec, SealSpec, info_plist, ipa};
use support::profile::{ProfileCa, ProfileSpec};

fn ymd(y: i32, m: u8, d: u8) -> time::OffsetDateTime {
    rcgen::date_time_ymd(y, m, d)
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// An ad hoc package with this profile, its executable signed as Xcode signs for it.
fn with_profile(ca: &ProfileCa, spec: &ProfileSpec) -> IpaSpec {
    IpaSpec {
        profile: Some(ca.sign(spec.plist().as_bytes(), spec.created)),
        executable: signed_for(ca, spec, "com.acme.field"),
        ..IpaSpec::default()
    }
}

/// The executable Xcode signs for `profile`: by its first developer certificate (the docs CA's
/// key), with the entitlements it grants (its application identifier, a wildcard resolved to
/// `bundle_id`, its team, its get-task-allow), so that each doc example shows its one cause.
fn signed_for(ca: &ProfileCa, profile: &ProfileSpec, bundle_id: &str) -> Executable {
    use otadoctor::demo::codesign::{MachOSpec, Signing, SliceSpec, entitlements_plist};
    let certificate = profile
        .developer_certificates
        .as_ref()
        .and_then(|c| c.first().cloned())
        .unwrap_or_else(|| ca.developer_der.clone());
    let app_id = if profile.application_identifier.ends_with('*') {
        format!("{}.{bundle_id}", profile.team)
    } else {
        profile.application_identifier.clone()
    };
    let mut spec = MachOSpec::executable(
        bundle_id,
        &profile.team,
        Some(entitlements_plist(&app_id, &profile.team, profile.get_task_allow, "")),
        Signing::Signed {
            cert_der: certificate,
            key_pkcs8: ca.developer_key.clone(),
            chain: vec![ca.intermediate_der.clone()],
        },
        profile.created + time::Duration::days(1),
    );
    spec.slices = vec![SliceSpec::arm64(4096)];
    Executable::Custom(Box::new(spec))
}

#[test]
#[ignore = "rewrites committed fixtures; run by hand"]
fn regenerate_signed_doc_fixtures() {
    let ca = ProfileCa::new();
    let docs = root().join("ipa/docs");
    let profiles = root().join("profiles/docs");
    std::fs::create_dir_all(&profiles).expect("dir");
    std::fs::write(profiles.join("lab-ca.pem"), &ca.root_pem).expect("root");
    let adhoc = ProfileSpec {
        developer_certificates: Some(vec![ca.developer_der.clone()]),
        ..ProfileSpec::default()
    };
    // a package whose profile is not the docs CA's ad hoc one is still signed by the docs CA
    let write = |name: &str, mut spec: IpaSpec| {
        if matches!(spec.executable, Executable::Signed) {
            let id = support::lab::bundle_id_of(spec.info_plist.as_deref().unwrap_or_default().as_bytes());
            spec.executable = signed_for(&ca, &adhoc, &id);
        }
        std::fs::write(docs.join(name), ipa(&spec)).expect("write")
    };
    let write_profile = |name: &str, spec: &ProfileSpec| {
        std::fs::write(profiles.join(name), ca.sign(spec.plist().as_bytes(), spec.created)).expect("write")
    };

    write("Field-adhoc.ipa", with_profile(&ca, &adhoc));
    write_profile("Field_AdHoc.mobileprovision", &adhoc);
    let enterprise = ProfileSpec {
        name: "Field In House".to_string(),
        devices: Vec::new(),
        all_devices: true,
        ..adhoc.clone()
    };
    write("Field-enterprise.ipa", with_profile(&ca, &enterprise));
    write_profile("Field_InHouse.mobileprovision", &enterprise);
    let development = ProfileSpec {
        name: "Field Development".to_string(),
        get_task_allow: true,
        ..adhoc.clone()
    };
    write("Field-development.ipa", with_profile(&ca, &development));
    let app_store = ProfileSpec {
        name: "Field App Store".to_string(),
        devices: Vec::new(),
        ..adhoc.clone()
    };
    write("Field-app-store.ipa", with_profile(&ca, &app_store));
    write_profile("Field_AppStore.mobileprovision", &app_store);
    // a package signed with a real Apple App Store profile (fastlane's test app id)
    let apple = std::fs::read(root().join("profiles/apple/AppStore_tools.fastlane.app.mobileprovision"))
        .expect("apple profile");
    write(
        "FastlaneApp-app-store.ipa",
        IpaSpec {
            info_plist: Some(info_plist("tools.fastlane.app", "Field")),
            profile: Some(apple),
            // the code as Xcode signs it for that profile (its team and App ID), but by the lab's
            // certificate: only the profile's owner holds the key of its DeveloperCertificates
            executable: signed_for(
                &ca,
                &ProfileSpec {
                    application_identifier: "439BBM9367.tools.fastlane.app".to_string(),
                    team: "439BBM9367".to_string(),
                    ..adhoc.clone()
                },
                "tools.fastlane.app",
            ),
            ..IpaSpec::default()
        },
    );
    write(
        "Field-expired-profile.ipa",
        with_profile(
            &ca,
            &ProfileSpec {
                created: ymd(2025, 9, 1),
                expires: ymd(2026, 9, 1),
                ..adhoc.clone()
            },
        ),
    );
    write(
        "Field-expiring-profile.ipa",
        with_profile(
            &ca,
            &ProfileSpec {
                created: ymd(2025, 12, 10),
                expires: ymd(2026, 12, 10),
                ..adhoc.clone()
            },
        ),
    );
    write(
        "Field-other-app-id.ipa",
        with_profile(
            &ca,
            &ProfileSpec {
                name: "Field Beta Ad Hoc".to_string(),
                application_identifier: "A1B2C3D4E5.com.acme.field.beta".to_string(),
                ..adhoc.clone()
            },
        ),
    );
    write(
        "Field-wildcard.ipa",
        with_profile(
            &ca,
            &ProfileSpec {
                name: "Acme Wildcard Ad Hoc".to_string(),
                application_identifier: "A1B2C3D4E5.com.acme.*".to_string(),
                ..adhoc.clone()
            },
        ),
    );
    write(
        "Field-expired-certificate.ipa",
        with_profile(
            &ca,
            &ProfileSpec {
                created: ymd(2024, 6, 1),
                expires: ymd(2027, 6, 1),
                developer_certificates: Some(vec![ca.expired_developer_der.clone()]),
                ..adhoc.clone()
            },
        ),
    );
    // the profile's plist edited after signing: one device added by hand
    let signed = ca.sign(adhoc.plist().as_bytes(), adhoc.created);
    let edited = String::from_utf8_lossy(&signed).contains("001A35E11A88802E");
    assert!(edited, "the plist is inside the CMS in the clear");
    let tampered = replace_bytes(&signed, b"001A35E11A88802E", b"001A35E11A88802F");
    write(
        "Field-edited-profile.ipa",
        IpaSpec {
            profile: Some(tampered),
            ..IpaSpec::default()
        },
    );
    // Info.plist edited after signing (the version bumped)
    let mut edited_info = with_profile(&ca, &adhoc);
    edited_info.seal = Some(SealSpec {
        files2: false,
        sealed_info_plist: Some(info_plist("com.acme.field", "Field").into_bytes()),
        ..Default::default()
    });
    edited_info.info_plist = Some(info_plist("com.acme.field", "Field").replace("812", "813"));
    write("Field-edited-info-plist.ipa", edited_info);
    let mut no_seal = with_profile(&ca, &adhoc);
    no_seal.seal = None;
    write("Field-no-seal.ipa", no_seal);
    write(
        "Field-no-profile.ipa",
        IpaSpec {
            profile: None,
            ..IpaSpec::default()
        },
    );
    write(
        "Field-profile-as-text.ipa",
        IpaSpec {
            profile: Some(adhoc.plist().into_bytes()),
            ..IpaSpec::default()
        },
    );
    std::fs::write(profiles.join("Field_AdHoc-as-text.mobileprovision"), adhoc.plist()).expect("write");

    // SIG010 (--deep): a resource changed, a file added after signing
    let config = |env: &str| format!("{{\"env\":\"{env}\"}}\n").into_bytes();
    let mut changed = with_profile(&ca, &adhoc);
    changed.seal = Some(SealSpec {
        resources: vec![("config.json".to_string(), config("production"))],
        ..Default::default()
    });
    changed.extra = vec![("Payload/Field.app/config.json", config("staging"))];
    write("Field-file-changed.ipa", changed);
    let mut added = with_profile(&ca, &adhoc);
    added.extra = vec![("Payload/Field.app/config.json", config("staging"))];
    write("Field-file-added.ipa", added);

    // MAN016 (--deep): manifests whose hashes are, and are not, those of Field-adhoc.ipa
    let package = std::fs::read(docs.join("Field-adhoc.ipa")).expect("Field-adhoc.ipa");
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let md5 = {
        use md5::Digest as _;
        hex(&md5::Md5::digest(&package))
    };
    let sha256 = hex(ring::digest::digest(&ring::digest::SHA256, &package).as_ref());
    let good = std::fs::read_to_string(root().join("manifests/good.plist")).expect("good.plist");
    let with_hashes = |md5: &str, sha256: &str| {
        good.replacen(
            "<string>software-package</string>",
            &format!(
                "<string>software-package</string>\n\t\t\t\t\t<key>md5</key>\n\t\t\t\t\t<string>{md5}</string>\n\t\t\t\t\t<key>sha256</key>\n\t\t\t\t\t<string>{sha256}</string>"
            ),
            1,
        )
    };
    let manifests = root().join("manifests/docs");
    std::fs::write(manifests.join("MAN016-hashes.plist"), with_hashes(&md5, &sha256)).expect("write");
    // the hashes of an earlier build of the same app
    let earlier = ring::digest::digest(&ring::digest::SHA256, b"Field 4.1 (811)");
    let old_md5 = hex(&earlier.as_ref()[..16]);
    let old_sha256 = hex(earlier.as_ref());
    std::fs::write(
        manifests.join("MAN016-old-hashes.plist"),
        with_hashes(&old_md5, &old_sha256),
    )
    .expect("write");
}

#[test]
#[ignore = "rewrites committed fixtures; run by hand"]
fn regenerate_code_signature_doc_fixtures() {
    let ca = ProfileCa::new();
    let dir = root().join("ipa/docs/code");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("code-lab-ca.pem"), &ca.root_pem).expect("root");
    let adhoc = ProfileSpec {
        developer_certificates: Some(vec![ca.developer_der.clone()]),
        ..ProfileSpec::default()
    };
    let package = |executable: Executable| IpaSpec {
        executable,
        ..with_profile(&ca, &adhoc)
    };
    let write = |name: &str, spec: IpaSpec| std::fs::write(dir.join(name), ipa(&spec)).expect("write");
    let code = |change: &dyn Fn(&mut otadoctor::demo::codesign::MachOSpec)| {
        let mut spec = code_spec(&ca);
        change(&mut spec);
        package(Executable::Custom(Box::new(spec)))
    };
    // the neighbour: signed as Xcode signs it for the ad hoc profile
    write("Field-signed.ipa", code(&|_| {}));
    let correct = otadoctor::demo::codesign::build(&code_spec(&ca)).expect("build");
    let find = |bytes: &[u8], magic: u32| {
        let at = bytes.windows(4).position(|w| w == magic.to_be_bytes()).expect("a blob");
        let len = u32::from_be_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        (at, len)
    };
    // a page hash of the CodeDirectory rewritten after signing
    let mut cd_changed = correct.clone();
    let (cd, cd_len) = find(&cd_changed, 0xfade_0c02);
    cd_changed[cd + cd_len - 1] ^= 0x01;
    write(
        "Field-code-directory-changed.ipa",
        package(Executable::Bytes(cd_changed)),
    );
    // a byte of the code patched after signing: only --deep sees it
    let mut patched = correct.clone();
    let (signature, _) = find(&patched, 0xfade_0cc0);
    patched[signature - 16] ^= 0x01;
    write("Field-code-patched.ipa", package(Executable::Bytes(patched)));
    write("Field-signed-by-another.ipa", code(&|s| s.signing = another_signer()));
    write(
        "Field-get-task-allow.ipa",
        code(&|s| {
            s.entitlements = Some(otadoctor::demo::codesign::entitlements_plist(
                "A1B2C3D4E5.com.acme.field",
                "A1B2C3D4E5",
                true,
                "",
            ))
        }),
    );
    write("Field-no-der-entitlements.ipa", code(&|s| s.der_entitlements = false));
    write(
        "Field-identifier-changed.ipa",
        code(&|s| s.identifier = "com.acme.fieldbeta".to_string()),
    );
}
/// The app's executable as Xcode signs it for the docs' ad hoc profile: the docs CA's
/// developer certificate, the entitlements the profile grants in XML and DER.
fn code_spec(ca: &ProfileCa) -> otadoctor::demo::codesign::MachOSpec {
    use otadoctor::demo::codesign::{MachOSpec, Signing, entitlements_plist};
    MachOSpec::executable(
        "com.acme.field",
        "A1B2C3D4E5",
        Some(entitlements_plist("A1B2C3D4E5.com.acme.field", "A1B2C3D4E5", false, "")),
        Signing::Signed {
            cert_der: ca.developer_der.clone(),
            key_pkcs8: ca.developer_key.clone(),
            chain: vec![ca.intermediate_der.clone()],
        },
        ymd(2026, 6, 2),
    )
}

/// A certificate the docs' profile does not list, with a fixed serial so the docs show the same
/// text after a regeneration.
fn another_signer() -> otadoctor::demo::codesign::Signing {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Apple Development: Sam Doe (Z9Y8X7W6V5)");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationalUnitName, "Z9Y8X7W6V5");
    params.serial_number = Some(rcgen::SerialNumber::from(vec![0x4d, 0x2a, 0x11, 0x07]));
    params.not_before = ymd(2026, 1, 5);
    params.not_after = ymd(2027, 1, 5);
    let cert = params.self_signed(&key).expect("cert");
    otadoctor::demo::codesign::Signing::Signed {
        cert_der: cert.der().to_vec(),
        key_pkcs8: key.serialize_der(),
        chain: Vec::new(),
    }
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = haystack.to_vec();
    if let Some(at) = out.windows(from.len()).position(|w| w == from) {
        out[at..at + to.len()].copy_from_slice(to);
    }
    out
}

#[test]
fn the_committed_signed_fixtures_verify_under_the_committed_lab_root() {
    let ca = root().join("profiles/docs/lab-ca.pem").display().to_string();
    let package = root().join("ipa/docs/Field-adhoc.ipa").display().to_string();
    let run = support::otadoctor(&["--offline", "--format", "json", "--profile-ca", &ca, &package]);
    assert_eq!(run.codes(), ["SIG013"], "{}", run.stdout);
    let alone = support::otadoctor(&["--offline", "--format", "json", &package]);
    assert_eq!(alone.codes(), ["SIG008", "SIG013"], "{}", alone.stdout);
}
