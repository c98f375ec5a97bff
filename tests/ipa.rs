//! Every package scenario in `testdata/ipa-scenarios.json`: an IPA built with the zip crate the
//! named way, checked as a local file through the CLI entry point; the run must raise exactly
//! the rules listed (and a neighbour not the rules it is the neighbour of).

mod support;

use serde::Deserialize;
use support::lab::{IpaSpec, SealSpec, info_plist, ipa, signed_bundle};
use support::profile::{ProfileSpec, ca, to_ber};

/// An Info.plist for `id`, executable Field, with extra keys (XML fragments).
fn plist_with(id: &str, executable: &str, extra: &str) -> String {
    info_plist(id, executable).replace("</dict></plist>", &format!("{extra}</dict></plist>"))
}

/// A Simulator/tvOS/iOS platform fragment.
fn platforms(list: &str, dt: &str) -> String {
    format!(
        "<key>CFBundleSupportedPlatforms</key><array><string>{list}</string></array><key>DTPlatformName</key><string>{dt}</string>"
    )
}

use support::{otadoctor, testdata};

#[derive(Deserialize)]
struct Scenario {
    name: String,
    setup: String,
    raises: Vec<String>,
    #[serde(default)]
    neighbour_of: Vec<String>,
    /// Options before the package (the device: --ios, --device).
    #[serde(default)]
    args: Vec<String>,
    /// The exit code, where the severity matters (info and warning exit 0).
    #[serde(default)]
    exit: Option<i32>,
    /// Whether the run accepts the tests' profile CA (`--profile-ca`); false shows what a
    /// device sees: a profile not signed by Apple.
    #[serde(default = "yes")]
    profile_ca: bool,
}

fn yes() -> bool {
    true
}

/// Sets a compression method the zip crate cannot write: every local and central header.
fn with_method(mut bytes: Vec<u8>, method: u16) -> Vec<u8> {
    let mut i = 0;
    while i + 12 < bytes.len() {
        if bytes[i..i + 4] == *b"PK\x03\x04" {
            bytes[i + 8..i + 10].copy_from_slice(&method.to_le_bytes());
        } else if bytes[i..i + 4] == *b"PK\x01\x02" {
            bytes[i + 10..i + 12].copy_from_slice(&method.to_le_bytes());
        }
        i += 1;
    }
    bytes
}

/// Rewrites every central header as a Windows tool writes it: made by MS-DOS (host 0), with
/// only the DOS archive attribute.
fn made_on_dos(mut bytes: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == *b"PK\x01\x02" {
            bytes[i + 5] = 0;
            bytes[i + 38..i + 42].copy_from_slice(&0x20u32.to_le_bytes());
        }
        i += 1;
    }
    bytes
}

/// Replaces the end record with a zip64 one (and its locator) that claims 10 million entries
/// in the same small central directory: hostile, and must end in a finding, not an allocation.
fn claims_ten_million_entries(bytes: Vec<u8>) -> Vec<u8> {
    let at = bytes.windows(4).rposition(|w| w == b"PK\x05\x06").expect("end record");
    let field = |i: usize| u32::from_le_bytes([bytes[at + i], bytes[at + i + 1], bytes[at + i + 2], bytes[at + i + 3]]);
    let (cd_size, cd_offset) = (u64::from(field(12)), u64::from(field(16)));
    let mut out = bytes[..at].to_vec();
    let eocd64_at = out.len() as u64;
    out.extend_from_slice(b"PK\x06\x06");
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&10_000_000u64.to_le_bytes());
    out.extend_from_slice(&10_000_000u64.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    out.extend_from_slice(&eocd64_at.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\0\0");
    out
}

fn build(setup: &str) -> Vec<u8> {
    let stored = zip::CompressionMethod::Stored;
    match setup {
        "correct" => ipa(&IpaSpec::default()),
        "truncated" => {
            let whole = ipa(&IpaSpec::default());
            whole[..whole.len() / 2].to_vec()
        }
        "wrapped-folder" => ipa(&IpaSpec {
            root: "FieldService/",
            ..IpaSpec::default()
        }),
        "zipped-app" => ipa(&IpaSpec {
            apps: Vec::new(),
            extra: vec![
                (
                    "Field.app/Info.plist",
                    info_plist("com.acme.field", "Field").into_bytes(),
                ),
                ("Field.app/Field", b"exe".to_vec()),
            ],
            ..IpaSpec::default()
        }),
        "two-apps" => ipa(&IpaSpec {
            apps: vec!["Field.app", "FieldBeta.app"],
            ..IpaSpec::default()
        }),
        "zip64" => ipa(&IpaSpec {
            large_file: true,
            ..IpaSpec::default()
        }),
        "bzip2" => with_method(
            ipa(&IpaSpec {
                method: stored,
                ..IpaSpec::default()
            }),
            12,
        ),
        "no-unix-modes" => ipa(&IpaSpec {
            no_unix_modes: true,
            ..IpaSpec::default()
        }),
        "executable-not-executable" => ipa(&IpaSpec {
            executable_mode: Some(0o644),
            ..IpaSpec::default()
        }),
        "junk-outside" => ipa(&IpaSpec {
            extra: vec![("__MACOSX/Payload/._Field.app", b"x".to_vec())],
            ..IpaSpec::default()
        }),
        "junk-inside" => ipa(&IpaSpec {
            extra: vec![("Payload/Field.app/.DS_Store", b"x".to_vec())],
            ..IpaSpec::default()
        }),
        "html-named-ipa" => b"<!doctype html><html><body><h1>Sign in</h1></body></html>".to_vec(),
        "made-on-windows" => made_on_dos(ipa(&IpaSpec::default())),
        "thumbs-inside" => ipa(&IpaSpec {
            extra: vec![("Payload/Field.app/Thumbs.db", b"x".to_vec())],
            ..IpaSpec::default()
        }),
        "no-info-plist" => ipa(&IpaSpec {
            info_plist: None,
            ..IpaSpec::default()
        }),
        "broken-info-plist" => ipa(&IpaSpec {
            info_plist: Some("<?xml version=\"1.0\"?><plist><dict><key>CFBundleIdentifier".to_string()),
            ..IpaSpec::default()
        }),
        "binary-info-plist" => {
            let value =
                plist::Value::from_reader_xml(info_plist("com.acme.field", "Field").as_bytes()).expect("xml plist");
            let mut binary = Vec::new();
            value.to_writer_binary(&mut binary).expect("binary plist");
            ipa(&IpaSpec {
                info_plist: None,
                seal: Some(SealSpec {
                    files2: false,
                    sealed_info_plist: Some(binary.clone()),
                    ..Default::default()
                }),
                extra: vec![("Payload/Field.app/Info.plist", binary)],
                ..IpaSpec::default()
            })
        }
        "no-bundle-version" => ipa(&IpaSpec {
            info_plist: Some(
                info_plist("com.acme.field", "Field").replace("<key>CFBundleVersion</key><string>812</string>", ""),
            ),
            ..IpaSpec::default()
        }),
        "executable-missing" => ipa(&IpaSpec {
            info_plist: Some(info_plist("com.acme.field", "FieldService")),
            ..IpaSpec::default()
        }),
        "simulator" => ipa(&IpaSpec {
            info_plist: Some(plist_with(
                "com.acme.field",
                "Field",
                &platforms("iPhoneSimulator", "iphonesimulator"),
            )),
            ..IpaSpec::default()
        }),
        "tvos" => ipa(&IpaSpec {
            info_plist: Some(plist_with(
                "com.acme.field",
                "Field",
                &platforms("AppleTVOS", "appletvos"),
            )),
            ..IpaSpec::default()
        }),
        "ten-million-entries" => claims_ten_million_entries(ipa(&IpaSpec::default())),
        "ipad-only" => ipa(&IpaSpec {
            info_plist: Some(
                info_plist("com.acme.field", "Field")
                    .replace("<integer>1</integer><integer>2</integer>", "<integer>2</integer>"),
            ),
            ..IpaSpec::default()
        }),
        "iphone-only" => ipa(&IpaSpec {
            info_plist: Some(
                info_plist("com.acme.field", "Field")
                    .replace("<integer>1</integer><integer>2</integer>", "<integer>1</integer>"),
            ),
            ..IpaSpec::default()
        }),
        "iphoneos" => ipa(&IpaSpec {
            info_plist: Some(plist_with(
                "com.acme.field",
                "Field",
                &platforms("iPhoneOS", "iphoneos"),
            )),
            ..IpaSpec::default()
        }),
        "extension-bad-prefix" => ipa(&IpaSpec {
            nested: signed_bundle(
                "Payload/Field.app/PlugIns/Share.appex",
                &info_plist("com.acme.share", "Share"),
                "com.acme.share",
            ),
            ..IpaSpec::default()
        }),
        "extension-good-prefix" => {
            let watch = plist_with(
                "com.acme.field.watchkitapp",
                "FieldWatch",
                &platforms("WatchOS", "watchos"),
            );
            let mut nested = signed_bundle(
                "Payload/Field.app/PlugIns/Share.appex",
                &info_plist("com.acme.field.share", "Share"),
                "com.acme.field.share",
            );
            nested.extend(signed_bundle(
                "Payload/Field.app/Watch/FieldWatch.app",
                &watch,
                "com.acme.field.watchkitapp",
            ));
            ipa(&IpaSpec {
                nested,
                ..IpaSpec::default()
            })
        }
        // signing and provisioning (the profile CA is the tests'; `profile_ca: false` shows it
        // is not Apple's)
        "unsigned" => ipa(&IpaSpec {
            profile: None,
            seal: None,
            ..IpaSpec::default()
        }),
        "no-profile" => ipa(&IpaSpec {
            profile: None,
            ..IpaSpec::default()
        }),
        "extension-without-profile" => {
            // the app is signed; the extension has a seal but no profile of its own
            let share = info_plist("com.acme.field.share", "Share");
            let mut nested = signed_bundle("Payload/Field.app/PlugIns/Share.appex", &share, "com.acme.field.share");
            nested.retain(|(name, _)| !name.ends_with("embedded.mobileprovision"));
            ipa(&IpaSpec {
                nested,
                ..IpaSpec::default()
            })
        }
        "app-store-profile" => signed(&ProfileSpec {
            devices: Vec::new(),
            ..ProfileSpec::default()
        }),
        "apple-app-store-profile" => {
            // the code as App Store Connect would sign it for this profile (its team and
            // entitlements), but by the test CA: only Apple has the profile's certificate (SIG018)
            let mut code = support::lab::executable_spec("tools.fastlane.app");
            code.team_id = Some("439BBM9367".to_string());
            code.entitlements = Some(otadoctor::demo::codesign::entitlements_plist(
                "439BBM9367.tools.fastlane.app",
                "439BBM9367",
                false,
                "",
            ));
            ipa(&IpaSpec {
                info_plist: Some(info_plist("tools.fastlane.app", "Field")),
                profile: Some(
                    std::fs::read(testdata("profiles/apple/AppStore_tools.fastlane.app.mobileprovision"))
                        .expect("the real profile"),
                ),
                executable: support::lab::Executable::Custom(Box::new(code)),
                ..IpaSpec::default()
            })
        }
        "expired-profile" => signed(&ProfileSpec {
            created: rcgen::date_time_ymd(2025, 9, 1),
            expires: rcgen::date_time_ymd(2026, 9, 1),
            ..ProfileSpec::default()
        }),
        "expiring-profile" => signed(&ProfileSpec {
            created: rcgen::date_time_ymd(2025, 12, 10),
            expires: rcgen::date_time_ymd(2026, 12, 10),
            ..ProfileSpec::default()
        }),
        "extension-profile-without-device" => {
            // the extension's profile lists only the older device
            let share = ProfileSpec {
                application_identifier: "A1B2C3D4E5.com.acme.field.share".to_string(),
                devices: vec![support::profile::DEVICE_OLD.to_string()],
                ..ProfileSpec::default()
            };
            let plist = info_plist("com.acme.field.share", "Share");
            let mut nested = signed_bundle("Payload/Field.app/PlugIns/Share.appex", &plist, "com.acme.field.share");
            for (name, bytes) in &mut nested {
                if name.ends_with("embedded.mobileprovision") {
                    *bytes = share.signed();
                }
            }
            ipa(&IpaSpec {
                nested,
                ..IpaSpec::default()
            })
        }
        "other-app-id" => {
            // signed with the entitlements of the profile it was exported with
            let mut code = support::lab::executable_spec("com.acme.field");
            code.entitlements = Some(otadoctor::demo::codesign::entitlements_plist(
                "A1B2C3D4E5.com.acme.field.beta",
                "A1B2C3D4E5",
                false,
                "",
            ));
            ipa(&IpaSpec {
                profile: Some(
                    ProfileSpec {
                        application_identifier: "A1B2C3D4E5.com.acme.field.beta".to_string(),
                        ..ProfileSpec::default()
                    }
                    .signed(),
                ),
                executable: support::lab::Executable::Custom(Box::new(code)),
                ..IpaSpec::default()
            })
        }
        "wildcard-app-id" => signed(&ProfileSpec {
            application_identifier: "A1B2C3D4E5.com.acme.*".to_string(),
            ..ProfileSpec::default()
        }),
        "expired-certificates" => {
            // signed by the certificate the profile lists, expired since
            let mut code = support::lab::executable_spec("com.acme.field");
            code.signing = otadoctor::demo::codesign::Signing::Signed {
                cert_der: ca().expired_developer_der.clone(),
                key_pkcs8: ca().developer_key.clone(),
                chain: vec![ca().intermediate_der.clone()],
            };
            ipa(&IpaSpec {
                profile: Some(
                    ProfileSpec {
                        developer_certificates: Some(vec![ca().expired_developer_der.clone()]),
                        ..ProfileSpec::default()
                    }
                    .signed(),
                ),
                executable: support::lab::Executable::Custom(Box::new(code)),
                ..IpaSpec::default()
            })
        }
        "one-valid-certificate" => signed(&ProfileSpec {
            developer_certificates: Some(vec![ca().expired_developer_der.clone(), ca().developer_der.clone()]),
            ..ProfileSpec::default()
        }),
        "edited-profile" => {
            let signed = ProfileSpec::default().signed();
            let at = signed
                .windows(16)
                .position(|w| w == b"001A35E11A88802E")
                .expect("the plist is in the clear");
            let mut edited = signed;
            edited[at + 15] = b'F';
            ipa(&IpaSpec {
                profile: Some(edited),
                ..IpaSpec::default()
            })
        }
        "ber-profile" => ipa(&IpaSpec {
            profile: Some(to_ber(&ProfileSpec::default().signed())),
            ..IpaSpec::default()
        }),
        "edited-info-plist" | "edited-info-plist-files2" => ipa(&IpaSpec {
            info_plist: Some(info_plist("com.acme.field", "Field").replace("812", "813")),
            seal: Some(SealSpec {
                files2: setup.ends_with("files2"),
                sealed_info_plist: Some(info_plist("com.acme.field", "Field").into_bytes()),
                ..Default::default()
            }),
            ..IpaSpec::default()
        }),
        "sealed-files2" => ipa(&IpaSpec {
            seal: Some(SealSpec {
                files2: true,
                sealed_info_plist: None,
                ..Default::default()
            }),
            ..IpaSpec::default()
        }),
        "no-seal" => ipa(&IpaSpec {
            seal: None,
            ..IpaSpec::default()
        }),
        "unreadable-seal" => ipa(&IpaSpec {
            seal: None,
            extra: vec![(
                "Payload/Field.app/_CodeSignature/CodeResources",
                b"<html><body>not a seal</body></html>".to_vec(),
            )],
            ..IpaSpec::default()
        }),
        "development-profile" => signed(&ProfileSpec {
            get_task_allow: true,
            ..ProfileSpec::default()
        }),
        "enterprise-profile" => signed(&ProfileSpec {
            devices: Vec::new(),
            all_devices: true,
            ..ProfileSpec::default()
        }),
        "profile-as-text" => ipa(&IpaSpec {
            profile: Some(ProfileSpec::default().plist().into_bytes()),
            ..IpaSpec::default()
        }),
        "profile-cut-short" => {
            let whole = ProfileSpec::default().signed();
            ipa(&IpaSpec {
                profile: Some(whole[..whole.len() / 2].to_vec()),
                ..IpaSpec::default()
            })
        }
        "overlapping-entries" => overlapping(ipa(&IpaSpec::default())),
        // --deep: every file against the seal
        "deep-file-changed" => ipa(&IpaSpec {
            seal: Some(SealSpec {
                resources: vec![("config.json".to_string(), b"{\"env\":\"production\"}".to_vec())],
                ..Default::default()
            }),
            extra: vec![("Payload/Field.app/config.json", b"{\"env\":\"staging\"}".to_vec())],
            ..IpaSpec::default()
        }),
        "deep-file-added" => ipa(&IpaSpec {
            extra: vec![("Payload/Field.app/config.json", b"{\"env\":\"staging\"}".to_vec())],
            ..IpaSpec::default()
        }),
        "deep-file-removed" => ipa(&IpaSpec {
            seal: Some(SealSpec {
                resources: vec![("config.json".to_string(), b"{\"env\":\"production\"}".to_vec())],
                ..Default::default()
            }),
            ..IpaSpec::default()
        }),
        "deep-sealed-resources" => ipa(&IpaSpec {
            seal: Some(SealSpec {
                resources: vec![("config.json".to_string(), b"{\"env\":\"production\"}".to_vec())],
                ..Default::default()
            }),
            extra: vec![
                ("Payload/Field.app/config.json", b"{\"env\":\"production\"}".to_vec()),
                ("Payload/Field.app/.DS_Store", b"\0\0\0\x01Bud1".to_vec()),
            ],
            padding: 256 * 1024,
            ..IpaSpec::default()
        }),
        other => panic!("unknown setup {other}"),
    }
}

/// A package signed with this profile.
fn signed(profile: &ProfileSpec) -> Vec<u8> {
    ipa(&IpaSpec {
        profile: Some(profile.signed()),
        ..IpaSpec::default()
    })
}

/// Points the central header of the last entry at the first entry's local header, so two
/// entries share bytes (the trick of non-recursive zip bombs).
fn overlapping(mut bytes: Vec<u8>) -> Vec<u8> {
    let mut headers = Vec::new();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == *b"PK\x01\x02" {
            headers.push(i);
        }
        i += 1;
    }
    let last = *headers.last().expect("central headers");
    bytes[last + 42..last + 46].copy_from_slice(&0u32.to_le_bytes());
    bytes
}

#[test]
fn every_package_scenario_raises_exactly_its_rules() {
    let text = std::fs::read_to_string(testdata("ipa-scenarios.json")).expect("testdata/ipa-scenarios.json");
    let scenarios: Vec<Scenario> = serde_json::from_str(&text).expect("a list of scenarios");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ipa-scenarios");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut failures = Vec::new();
    for s in scenarios {
        let path = dir.join(format!("{}.ipa", s.setup));
        std::fs::write(&path, build(&s.setup)).expect("write ipa");
        let path = path.display().to_string();
        let ca = support::profile::ca_file();
        let mut argv = vec!["--offline", "--format", "json"];
        if s.profile_ca {
            argv.extend(["--profile-ca", ca.as_str()]);
        }
        argv.extend(s.args.iter().map(String::as_str));
        argv.push(&path);
        let run = otadoctor(&argv);
        support::dump_json("ipa-local", &s.name, &run);
        let codes = run.codes();
        if codes != s.raises || run.code == 2 || s.exit.is_some_and(|e| e != run.code) {
            failures.push(format!(
                "{} ({}): expected {:?}, got {:?} (exit {}) {}",
                s.name, s.setup, s.raises, codes, run.code, run.stderr
            ));
        }
        for silent in &s.neighbour_of {
            if codes.contains(silent) {
                failures.push(format!("{}: neighbour of {silent} raised it", s.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_local_package_shows_what_would_be_installed() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("facts.ipa");
    std::fs::write(&path, ipa(&IpaSpec::default())).expect("write");
    let ca = support::profile::ca_file();
    let run = otadoctor(&["--offline", "--profile-ca", &ca, &path.display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    support::assert_in_order(
        &run.stdout,
        &[
            "(package)",
            "contents",
            "entries",
            "app       Payload/Field.app · com.acme.field · 4.2 (812) · iOS 15.0+ · iPhone, iPad",
            "profile   ad hoc · \"Field Ad Hoc\" · team A1B2C3D4E5 · expires 2027-06-01 · 2 devices · signed under --profile-ca, not Apple",
            "info[SIG013 developer-mode-required]",
            "1 info · exit 0",
        ],
    );
    // the support engineer's question: will it install on this phone?
    let path_text = path.display().to_string();
    let yes = otadoctor(&[
        "--offline",
        "--profile-ca",
        &ca,
        "--udid",
        "00008030001a35e11a88802e",
        &path_text,
    ]);
    support::assert_in_order(
        &yes.stdout,
        &[
            "device    00008030-001A35E11A88802E · yes, its profiles list this device",
            "the app Field.app: listed (ad hoc profile, 2 devices)",
        ],
    );
    let no = otadoctor(&[
        "--offline",
        "--profile-ca",
        &ca,
        "--udid",
        "00008110-000A1B2C3D4E5F60",
        &path_text,
    ]);
    support::assert_in_order(
        &no.stdout,
        &[
            "device    00008110-000A1B2C3D4E5F60 · NO, not provisioned for this device",
            "the app Field.app: not listed (ad hoc profile, 2 devices)",
            "error[SIG005 device-not-provisioned]",
        ],
    );
    assert_eq!(no.code, 1);
    let answer = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "--udid",
        "00008110-000A1B2C3D4E5F60",
        &path_text,
    ])
    .json();
    assert_eq!(answer["results"][0]["device"]["provisioned"], "no");
    let bad = otadoctor(&["--offline", "--udid", "00008110", &path_text]);
    assert_eq!(bad.code, 2, "a malformed UDID is a usage error");
    assert!(bad.stderr.contains("is not a UDID"), "{}", bad.stderr);
    let json = otadoctor(&["--offline", "--format", "json", &path.display().to_string()]);
    let doc = json.json();
    let package = &doc["results"][0]["facts"]["walks"][0]["package"];
    assert_eq!(doc["results"][0]["kind"], "package");
    assert_eq!(package["apps"], serde_json::json!(["Payload/Field.app"]));
    assert_eq!(
        package["bundles"][0]["info_plist"]["CFBundleIdentifier"],
        "com.acme.field"
    );
    assert_eq!(package["executable"]["unix_mode"], 0o100755);
}

#[test]
fn the_ci_gate_reads_the_package_beside_the_manifest() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("gate.ipa");
    std::fs::write(
        &path,
        ipa(&IpaSpec {
            root: "FieldService/",
            ..IpaSpec::default()
        }),
    )
    .expect("write");
    let manifest = testdata("manifests/good.plist");
    let run = otadoctor(&[
        "check",
        "--offline",
        "--format",
        "json",
        &manifest,
        "--ipa",
        &path.display().to_string(),
    ]);
    assert_eq!(run.codes(), ["IPA002"], "{}", run.stdout);
    let alone = otadoctor(&[
        "--offline",
        "--ipa",
        &path.display().to_string(),
        "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist",
    ]);
    assert_eq!(alone.code, 2, "--ipa needs a manifest file");
}

#[test]
fn a_local_package_of_any_size_is_read_through_ranges() {
    // over the 16 MiB cap on other local inputs: only the tail and the Info.plist are read
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("large.ipa");
    std::fs::write(
        &path,
        ipa(&IpaSpec {
            padding: 20 * 1024 * 1024,
            ..IpaSpec::default()
        }),
    )
    .expect("write");
    let ca = support::profile::ca_file();
    let run = otadoctor(&[
        "--offline",
        "--format",
        "json",
        "--profile-ca",
        &ca,
        &path.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    let doc = run.json();
    let package = &doc["results"][0]["facts"]["walks"][0]["package"];
    assert_eq!(package["apps"], serde_json::json!(["Payload/Field.app"]));
    assert_eq!(package["bundles"][0]["profile"]["kind"], "ad-hoc");
    assert!(
        package["bytes"].as_u64().is_some_and(|b| b > 20 * 1024 * 1024),
        "{package}"
    );
    assert!(
        package["bytes_read"].as_u64().is_some_and(|b| b < 256 * 1024),
        "{package}"
    );
}

/// Setups whose remote run differs, and why: the HTML page and the truncated file are not zips
/// from their first bytes (the walk reports them, the contents are not read); the real Apple
/// profile's app is not the lab manifest's (MAN014), and its `--now` (2016) predates the lab's
/// certificates (TLS010).
const LOCAL_ONLY: &[&str] = &["html-named-ipa", "truncated", "apple-app-store-profile"];

#[test]
fn every_package_scenario_raises_the_same_rules_when_served_by_the_lab() {
    // the same packages, read by Range from a loopback HTTPS site through the whole link check:
    // the rules are the local ones plus TLS005 (the lab's private root)
    let text = std::fs::read_to_string(testdata("ipa-scenarios.json")).expect("testdata/ipa-scenarios.json");
    let scenarios: Vec<Scenario> = serde_json::from_str(&text).expect("a list of scenarios");
    let site = support::lab::Site::correct("ota.acme-apps.test");
    let mut failures = Vec::new();
    for s in scenarios.iter().filter(|s| !LOCAL_ONLY.contains(&s.setup.as_str())) {
        site.lab.route(
            support::lab::Site::PACKAGE,
            support::lab::Route::ok("application/octet-stream", build(&s.setup)),
        );
        let mut args = site.args(&[]);
        if !s.profile_ca
            && let Some(at) = args.iter().position(|a| a == "--profile-ca")
        {
            args.drain(at..at + 2);
        }
        args.extend(s.args.iter().cloned());
        args.push(site.link());
        let run = support::otadoctor_args(&args);
        support::dump_json("ipa-lab", &s.name, &run);
        let mut codes = run.codes();
        codes.sort();
        let mut expected = s.raises.clone();
        expected.push("TLS005".to_string());
        expected.sort();
        if codes != expected {
            failures.push(format!(
                "{} ({}): expected {expected:?}, got {codes:?}",
                s.name, s.setup
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
