//! Reading every Mach-O of a package (the app's executable, its frameworks and dylibs) and the
//! rules on them — SIG016 executable-not-signed, APP008 fairplay-encrypted, APP009
//! no-64-bit-slice — through the CLI on a local package and over the lab by HTTP Range, each with
//! a correct neighbour; fat files, 32-bit-only, encrypted, hostile and cut files; what the
//! reading costs (requests and bytes in the facts).
//!
//! The Mach-Os are written by hand (`support::macho`): a header and the load commands otadoctor
//! reads, and a SuperBlob with a signature's shape, not a valid one: whether it verifies is
//! SIG017's, not these rules'.

mod support;

use otadoctor::demo::codesign::{Arch, FileKind, SliceSpec};
use support::lab::{Route, Site};
use support::macho::{
    ARM64, ARM64E, ARMV7, Entry, app, app_entries, extension_entries, fat, macho, shaped, signed, signed_framework,
    slice, superblob, written, zip,
};
use support::macho::{codes, remote};
use support::{Run, otadoctor, otadoctor_args};

const HOST: &str = "ota.acme-apps.test";
/// The package read from a file, offline, as JSON.
fn local(name: &str, package: &[u8], extra: &[&str]) -> Run {
    support::macho::local_in("macho", name, package, extra)
}

/// `codes`, without the rules on what a signature holds (SIG017–SIG021): for the cost
/// measurements' hand-written Mach-Os (`shaped`), whose SuperBlobs have a signature's shape only.
fn codes_of_shaped(run: &Run) -> Vec<String> {
    const CONTENTS: [&str; 5] = ["SIG017", "SIG018", "SIG019", "SIG020", "SIG021"];
    codes(run)
        .into_iter()
        .filter(|c| !CONTENTS.contains(&c.as_str()))
        .collect()
}

fn package_facts(run: &Run) -> serde_json::Value {
    let doc = run.json();
    let facts = &doc["results"][0]["facts"];
    if facts["package"].is_object() {
        facts["package"].clone()
    } else {
        facts["walks"][0]["package"].clone()
    }
}

/// Each scenario: (name, package, the rules it raises). What is meant to be signed is signed by
/// the signed writer (a valid signature, so the other code-signature rules stay quiet); what is
/// meant to be unsigned or broken is written by hand.
fn scenarios() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let unsigned = macho(ARM64, None, None, 48 * 1024);
    let app_exe = |slices: Vec<SliceSpec>| written("com.acme.field", FileKind::Execute, slices);
    let kit = |slices: Vec<SliceSpec>| written("com.acme.kit", FileKind::Dylib, slices);
    vec![
        ("signed", app(signed(48 * 1024), &[], false), vec![]),
        ("signed-stored", app(signed(48 * 1024), &[], true), vec![]),
        ("unsigned-executable", app(unsigned.clone(), &[], false), vec!["SIG016"]),
        (
            "no-code-directory",
            app(macho(ARM64, None, Some(&superblob(false, 64)), 48 * 1024), &[], false),
            vec!["SIG016"],
        ),
        (
            "unsigned-framework",
            app(signed(48 * 1024), &[("Kit".to_string(), unsigned.clone())], false),
            vec!["SIG016"],
        ),
        (
            "signed-framework",
            app(
                signed(48 * 1024),
                &[("Kit".to_string(), signed_framework("Kit", 32 * 1024))],
                false,
            ),
            vec![],
        ),
        (
            "encrypted",
            app(app_exe(vec![slice(Arch::Arm64, Some(1), 48 * 1024)]), &[], false),
            vec!["APP008"],
        ),
        (
            "encrypted-framework",
            app(
                signed(48 * 1024),
                &[("Kit".to_string(), kit(vec![slice(Arch::Arm64, Some(1), 32 * 1024)]))],
                false,
            ),
            vec!["APP008"],
        ),
        (
            "armv7-only",
            app(app_exe(vec![slice(Arch::Armv7, Some(0), 48 * 1024)]), &[], false),
            vec!["APP009"],
        ),
        (
            "fat-armv7-arm64",
            app(
                app_exe(vec![
                    slice(Arch::Armv7, Some(0), 40 * 1024),
                    slice(Arch::Arm64, Some(0), 48 * 1024),
                ]),
                &[],
                false,
            ),
            vec![],
        ),
        (
            "fat-armv7-x86_64",
            app(
                app_exe(vec![
                    slice(Arch::Armv7, None, 40 * 1024),
                    slice(Arch::X86_64, None, 40 * 1024),
                ]),
                &[],
                true,
            ),
            vec!["APP009"],
        ),
        (
            "fat-armv7-armv7s-by-hand",
            app(
                fat(&[
                    (ARMV7, macho(ARMV7, Some(0), None, 40 * 1024)),
                    ((12, 11), macho((12, 11), Some(0), None, 40 * 1024)),
                ]),
                &[],
                true,
            ),
            vec!["APP009", "SIG016"],
        ),
        (
            "fat-arm64-unsigned-arm64e",
            app(
                fat(&[
                    (ARM64, signed(48 * 1024)),
                    (ARM64E, macho(ARM64E, None, None, 48 * 1024)),
                ]),
                &[],
                true,
            ),
            vec!["SIG016"],
        ),
        (
            "x86_64-only",
            app(app_exe(vec![slice(Arch::X86_64, None, 8 * 1024)]), &[], false),
            vec!["APP009"],
        ),
        (
            "unsigned-dylib",
            with_dylib(macho(ARM64, None, None, 16 * 1024)),
            vec!["SIG016"],
        ),
        (
            "signed-dylib",
            with_dylib(written(
                "com.acme.swiftkit",
                FileKind::Dylib,
                vec![slice(Arch::Arm64, None, 16 * 1024)],
            )),
            vec![],
        ),
        (
            "unsigned-extension",
            with_extension(macho(ARM64, None, None, 16 * 1024)),
            vec!["SIG016"],
        ),
        (
            "armv7-extension",
            with_extension(written(
                "com.acme.field.share",
                FileKind::Execute,
                vec![slice(Arch::Armv7, None, 16 * 1024)],
            )),
            vec!["APP009"],
        ),
        (
            "signed-extension",
            with_extension(written(
                "com.acme.field.share",
                FileKind::Execute,
                vec![slice(Arch::Arm64, None, 16 * 1024)],
            )),
            vec![],
        ),
    ]
}

/// The signed app with a dylib in its Frameworks/.
fn with_dylib(dylib: Vec<u8>) -> Vec<u8> {
    let mut entries = app_entries(signed(48 * 1024), &[], false, &[]);
    entries.push(Entry {
        name: "Payload/Field.app/Frameworks/libswiftKit.dylib".to_string(),
        bytes: dylib,
        mode: 0o755,
        stored: false,
    });
    zip(&entries)
}

/// The signed app with a share extension whose executable is `exe`.
fn with_extension(exe: Vec<u8>) -> Vec<u8> {
    let mut entries = app_entries(signed(48 * 1024), &[], false, &[]);
    entries.extend(extension_entries(
        "Payload/Field.app/PlugIns/Share.appex",
        "com.acme.field.share",
        "Share",
        exe,
    ));
    zip(&entries)
}

#[test]
fn each_rule_is_raised_on_a_local_package_and_its_neighbours_are_quiet() {
    let mut failures = Vec::new();
    for (name, package, raises) in scenarios() {
        let run = local(name, &package, &[]);
        support::dump_json("macho-local", name, &run);
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
    for (name, package, raises) in scenarios() {
        let run = remote(&site, &package, &[]);
        support::dump_json("macho-lab", name, &run);
        let got = codes(&run);
        if got != raises || run.code == 2 {
            failures.push(format!("{name}: expected {raises:?}, got {got:?} (exit {})", run.code));
        }
        let facts = package_facts(&run);
        if facts["streamed"] == true {
            failures.push(format!("{name}: read whole, not by Range"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_facts_hold_each_slice_its_load_commands_and_signature() {
    let package = app(
        written(
            "com.acme.field",
            FileKind::Execute,
            vec![
                slice(Arch::Armv7, Some(0), 40 * 1024),
                slice(Arch::Arm64, Some(0), 48 * 1024),
            ],
        ),
        &[("Kit".to_string(), signed_framework("Kit", 32 * 1024))],
        false,
    );
    let run = local("facts", &package, &[]);
    let facts = package_facts(&run);
    let machos = facts["machos"].as_array().expect("machos");
    assert_eq!(machos.len(), 2, "{facts}");
    let exe = &machos[0];
    assert_eq!(exe["path"], "Payload/Field.app/Field");
    assert_eq!(exe["role"], "main");
    assert_eq!(exe["fat"], true);
    assert_eq!(exe["signature_read"]["state"], "read");
    let archs: Vec<&str> = exe["slices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["arch"].as_str())
        .collect();
    assert_eq!(archs, ["armv7", "arm64"]);
    let arm64 = &exe["slices"][1];
    assert_eq!(arm64["commands_read"], true);
    assert_eq!(arm64["platform"], "ios");
    assert_eq!(arm64["minos"], "15.0");
    assert_eq!(arm64["sdk"], "15.0");
    assert_eq!(arm64["encryption"]["cryptid"], 0);
    assert_eq!(arm64["signature"]["blobs"][0]["magic"], 0xfade_0c02u32);
    assert_eq!(exe["slices"][0]["minos"], "15.0", "LC_VERSION_MIN_IPHONEOS");
    let slots: Vec<u64> = arm64["signature"]["blobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["slot"].as_u64())
        .collect();
    assert_eq!(
        slots,
        [0, 2, 5, 7, 0x10000],
        "CodeDirectory, requirements, entitlements, DER, CMS"
    );
    let kit = &machos[1];
    assert_eq!(kit["path"], "Payload/Field.app/Frameworks/Kit.framework/Kit");
    assert_eq!(kit["role"], "framework");
    let reading = &facts["macho_reading"];
    assert_eq!(reading["signature_cap"], 64 * 1024 * 1024);
    assert!(reading["skipped"].as_array().is_some_and(Vec::is_empty), "{reading}");
    // the human report: a code line for the app and one for its frameworks
    let ca = support::profile::ca_file();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("macho/facts.ipa");
    let human = otadoctor(&["--offline", "--profile-ca", &ca, &path.display().to_string()]);
    support::assert_in_order(
        &human.stdout,
        &[
            "code      Field.app · Field · armv7, arm64 (fat) · iOS 15.0+ (SDK 15.0) · not encrypted · signature",
            "com.acme.field (sha256) · team A1B2C3D4E5 · signed by \"iPhone Distribution: Acme Field Services (A1B2C3D4E5)\" · 3 entitlements (XML, DER)",
            "code      Field.app · 1 framework · arm64 · signatures read",
            "2 Mach-O files · ",
        ],
    );
}

#[test]
fn hostile_and_cut_mach_os_end_in_a_clear_fact_and_sig016_not_a_panic() {
    let good = shaped(16 * 1024);
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "too short"),
        ("not-macho", b"#!/bin/sh\necho hello\n".to_vec(), "not a Mach-O"),
        ("header-cut", good[..20].to_vec(), "cut"),
        ("commands-cut", good[..40].to_vec(), "run past"),
    ];
    let mut many = good.clone();
    many[16..20].copy_from_slice(&1_000_000u32.to_le_bytes());
    cases.push(("ten-thousand-commands", many, "load commands"));
    let mut huge = good.clone();
    huge[20..24].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    cases.push(("huge-sizeofcmds", huge, "bytes of load commands"));
    let mut fat_lies = fat(&[(ARM64, good.clone())]);
    fat_lies[16..20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
    cases.push(("fat-slice-outside", fat_lies, "not inside the file"));
    let mut fat_many = fat(&[(ARM64, good.clone())]);
    fat_many[4..8].copy_from_slice(&100_000u32.to_be_bytes());
    cases.push(("fat-many-slices", fat_many, "slices"));
    let mut sig_outside = good.clone();
    // LC_CODE_SIGNATURE is the third command: dataoff past the file
    let at = 32 + 24 + 24 + 8;
    sig_outside[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    cases.push(("signature-outside", sig_outside, "LC_CODE_SIGNATURE"));
    let site = Site::correct(HOST);
    let mut failures = Vec::new();
    for (name, exe, says) in cases {
        for stored in [false, true] {
            let package = app(exe.clone(), &[], stored);
            for (how, run) in [
                ("local", local(name, &package, &[])),
                ("lab", remote(&site, &package, &[])),
            ] {
                let facts = package_facts(&run);
                let error = facts["machos"][0]["error"].as_str().unwrap_or_default().to_string();
                if run.code == 2 || !error.contains(says) {
                    failures.push(format!(
                        "{name} ({how}, stored {stored}): {error:?} (exit {})",
                        run.code
                    ));
                }
                // bytes that are no loadable Mach-O carry no code signature the device can find
                // (SIG016, naming why); nothing is said of slices or encryption that did not read
                let got = codes(&run);
                if !got.contains(&"SIG016".to_string())
                    || got.iter().any(|c| ["APP008", "APP009"].contains(&c.as_str()))
                {
                    failures.push(format!("{name} ({how}): {got:?}"));
                }
                if facts["machos"][0]["malformed"] != serde_json::json!(true) {
                    failures.push(format!("{name} ({how}): not marked malformed"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ten_frameworks_cost_few_requests_and_signatures_only_what_they_need() {
    // an app with 10 frameworks, all deflated, served by the lab: the load commands of the
    // eleven Mach-Os in at most 3 more requests and 256 KiB; the signatures for no more than the
    // compressed executables plus 64 KiB
    let frameworks: Vec<(String, Vec<u8>)> = (0..10).map(|i| (format!("Kit{i}"), shaped(300 * 1024))).collect();
    let package = app(shaped(2 * 1024 * 1024), &frameworks, false);
    let site = Site::correct(HOST);
    let run = remote(&site, &package, &[]);
    let facts = package_facts(&run);
    assert_eq!(facts["machos"].as_array().map(Vec::len), Some(11), "{facts}");
    let reading = &facts["macho_reading"];
    let header_requests = reading["header_requests"].as_u64().unwrap_or(u64::MAX);
    let header_bytes = reading["header_bytes"].as_u64().unwrap_or(u64::MAX);
    assert!(header_requests <= 3, "{reading}");
    assert!(header_bytes <= 256 * 1024, "{reading}");
    let compressed: u64 = facts["machos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["compressed_size"].as_u64())
        .sum();
    let signature_bytes = reading["signature_bytes"].as_u64().unwrap_or(u64::MAX);
    assert!(
        signature_bytes <= compressed + 64 * 1024,
        "{signature_bytes} > {compressed} + 64 KiB: {reading}"
    );
    assert!(
        facts["machos"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|m| m["signature_read"]["state"] == "read"),
        "{facts}"
    );
    assert!(codes_of_shaped(&run).is_empty(), "{:?}", codes_of_shaped(&run));
    // stored: only the signature regions
    let stored = app(shaped(2 * 1024 * 1024), &frameworks, true);
    let run = remote(&site, &stored, &[]);
    let facts = package_facts(&run);
    let reading = &facts["macho_reading"];
    assert!(reading["header_requests"].as_u64().is_some_and(|n| n <= 3), "{reading}");
    assert!(
        reading["header_bytes"].as_u64().is_some_and(|n| n <= 256 * 1024),
        "{reading}"
    );
    let sizes: u64 = facts["machos"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["slices"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["code_signature"]["datasize"].as_u64())
        .sum();
    assert!(
        reading["signature_bytes"]
            .as_u64()
            .is_some_and(|n| n <= sizes + 64 * 1024),
        "{sizes}: {reading}"
    );
}

#[test]
fn a_server_that_serves_one_range_per_request_is_asked_one_range_per_request() {
    // an object store that answers a request for several ranges with the whole file: the
    // multi-range request is cut off at what it asked for, and each range is asked alone
    let frameworks: Vec<(String, Vec<u8>)> = (0..4).map(|i| (format!("Kit{i}"), shaped(200 * 1024))).collect();
    let package = app(shaped(1024 * 1024), &frameworks, false);
    let site = Site::correct(HOST);
    site.lab.route(
        Site::PACKAGE,
        Route::ok("application/octet-stream", package.clone()).single_range_only(),
    );
    let mut args = site.args(&[]);
    args.push(site.link());
    let run = otadoctor_args(&args);
    let facts = package_facts(&run);
    let machos = facts["machos"].as_array().cloned().unwrap_or_default();
    assert_eq!(machos.len(), 5, "{facts}");
    assert!(
        machos.iter().all(|m| m["signature_read"]["state"] == "read"),
        "{machos:?}"
    );
    assert!(codes_of_shaped(&run).is_empty(), "{:?}", codes_of_shaped(&run));
    let reading = &facts["macho_reading"];
    // one refused multi-range request, then one request per entry's head
    assert!(
        reading["header_requests"]
            .as_u64()
            .is_some_and(|n| (5..=12).contains(&n)),
        "{reading}"
    );
    // never the whole package: the refused answer is read no further than what was asked
    assert!(
        facts["bytes_read"]
            .as_u64()
            .is_some_and(|n| n < package.len() as u64 * 2),
        "{facts}"
    );
}
