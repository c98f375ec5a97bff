//! Reading every Mach-O of a package (the app's executable, its frameworks and dylibs) and the
//! rules on them — SIG016 executable-not-signed, APP008 fairplay-encrypted, APP009
//! no-64-bit-slice — through the CLI on a local package and over the lab by HTTP Range, each with
//! a correct neighbour; fat files, 32-bit-only, encrypted, hostile and cut files; what the
//! reading costs (requests and bytes in the facts).
//!
//! The Mach-Os are written here by hand: a header and the load commands otadoctor reads
//! (LC_BUILD_VERSION or LC_VERSION_MIN_IPHONEOS, LC_ENCRYPTION_INFO(_64), LC_CODE_SIGNATURE),
//! then padding standing for the code, and a SuperBlob where LC_CODE_SIGNATURE points. The
//! signature is a signature's shape (a CodeDirectory header, requirements), not a valid one:
//! whether it verifies is SIG017's, not these rules'.

mod support;

use std::io::Write as _;

use support::lab::{Route, Site, info_plist, signed_bundle};
use support::{Run, otadoctor, otadoctor_args};

const HOST: &str = "ota.acme-apps.test";
const ARM64: (u32, u32) = (0x0100_000c, 0);
const ARM64E: (u32, u32) = (0x0100_000c, 2);
const ARMV7: (u32, u32) = (12, 9);
const X86_64: (u32, u32) = (0x0100_0007, 3);

/// A thin Mach-O of `size` bytes for `cpu`, with `cryptid` and a signature when given.
fn macho(cpu: (u32, u32), cryptid: Option<u32>, signature: Option<&[u8]>, size: usize) -> Vec<u8> {
    let is64 = cpu.0 & 0x0100_0000 != 0;
    let le = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut commands: Vec<Vec<u8>> = Vec::new();
    if is64 {
        commands.push(le(&[0x32, 24, 2, 0x000f_0000, 0x0011_0200, 0]));
    } else {
        commands.push(le(&[0x25, 16, 0x0009_0000, 0x0011_0200]));
    }
    if let Some(id) = cryptid {
        commands.push(if is64 {
            le(&[0x2c, 24, 0x4000, 0x4000, id, 0])
        } else {
            le(&[0x21, 20, 0x4000, 0x4000, id])
        });
    }
    let sig_at = signature.map(|s| (size - s.len()) / 16 * 16);
    if let (Some(at), Some(s)) = (sig_at, signature) {
        commands.push(le(&[0x1d, 16, at as u32, s.len() as u32]));
    }
    let body: Vec<u8> = commands.concat();
    let mut out = if is64 {
        le(&[
            0xfeed_facf,
            cpu.0,
            cpu.1,
            2,
            commands.len() as u32,
            body.len() as u32,
            0x0020_0085,
            0,
        ])
    } else {
        le(&[
            0xfeed_face,
            cpu.0,
            cpu.1,
            2,
            commands.len() as u32,
            body.len() as u32,
            0x0020_0085,
        ])
    };
    out.extend_from_slice(&body);
    // "code": bytes that do not compress away, so a deflated entry has a real size
    let mut x = 0x9e37_79b9u32;
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push((x >> 24) as u8);
    }
    if let (Some(at), Some(s)) = (sig_at, signature) {
        out[at..at + s.len()].copy_from_slice(s);
    }
    out
}

/// A fat file of these slices (each with its CPU type), 16 KiB aligned as lipo writes them.
fn fat(slices: &[((u32, u32), Vec<u8>)]) -> Vec<u8> {
    let align = 16 * 1024;
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babeu32.to_be_bytes());
    out.extend_from_slice(&(slices.len() as u32).to_be_bytes());
    let mut at = align;
    let mut offsets = Vec::new();
    for (cpu, bytes) in slices {
        for v in [cpu.0, cpu.1, at as u32, bytes.len() as u32, 14] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        offsets.push(at);
        at = (at + bytes.len()).div_ceil(align) * align;
    }
    for ((_, bytes), offset) in slices.iter().zip(offsets) {
        out.resize(offset, 0);
        out.extend_from_slice(bytes);
    }
    out
}

/// A SuperBlob: a CodeDirectory header for com.acme.field (when `code_directory`), an empty
/// requirements blob, and `padding` bytes of an empty CMS slot standing for a real signature's size.
fn superblob(code_directory: bool, padding: usize) -> Vec<u8> {
    let be = |v: &[u32]| v.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>();
    let mut blobs: Vec<(u32, Vec<u8>)> = Vec::new();
    if code_directory {
        let ident = b"com.acme.field\0";
        let length = 44 + ident.len() as u32;
        let mut cd = be(&[0xfade_0c02, length, 0x20400, 0, length, 44, 0, 0, 0]);
        cd.extend_from_slice(&[32, 2, 0, 12]);
        cd.extend_from_slice(&[0, 0, 0, 0]);
        cd.extend_from_slice(ident);
        blobs.push((0, cd));
    }
    blobs.push((2, be(&[0xfade_0c01, 12, 0])));
    let mut cms = be(&[0xfade_0b01, 8 + padding as u32]);
    cms.resize(8 + padding, 0);
    blobs.push((0x10000, cms));
    let mut index = Vec::new();
    let mut data = Vec::new();
    let mut at = 12 + 8 * blobs.len();
    for (slot, blob) in &blobs {
        index.extend(be(&[*slot, at as u32]));
        at += blob.len();
        data.extend_from_slice(blob);
    }
    let mut out = be(&[0xfade_0cc0, (12 + index.len() + data.len()) as u32, blobs.len() as u32]);
    out.extend(index);
    out.extend(data);
    out
}

/// A signed arm64 executable of `size` bytes.
fn signed(size: usize) -> Vec<u8> {
    macho(ARM64, Some(0), Some(&superblob(true, 4096)), size)
}

/// One zip entry: name, bytes, Unix mode, stored (or deflated).
struct Entry {
    name: String,
    bytes: Vec<u8>,
    mode: u32,
    stored: bool,
}

fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        let method = if e.stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(e.mode);
        zip.start_file(e.name.clone(), options).expect("entry");
        zip.write_all(&e.bytes).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// The app Field.app, signed like the test packages (profile, CodeResources), with `exe` as its
/// executable and these frameworks (name, executable) in Frameworks/; `stored`: the Mach-Os are
/// stored, not deflated.
fn app(exe: Vec<u8>, frameworks: &[(String, Vec<u8>)], stored: bool) -> Vec<u8> {
    let dir = "Payload/Field.app";
    let mut entries: Vec<Entry> = signed_bundle(dir, &info_plist("com.acme.field", "Field"), "com.acme.field")
        .into_iter()
        .map(|(name, bytes)| Entry {
            name,
            bytes,
            mode: 0o644,
            stored: false,
        })
        .collect();
    entries.push(Entry {
        name: format!("{dir}/Field"),
        bytes: exe,
        mode: 0o755,
        stored,
    });
    for (name, bytes) in frameworks {
        let folder = format!("{dir}/Frameworks/{name}.framework");
        let plist = info_plist(&format!("com.acme.{}", name.to_ascii_lowercase()), name);
        entries.push(Entry {
            name: format!("{folder}/Info.plist"),
            bytes: plist.into_bytes(),
            mode: 0o644,
            stored: false,
        });
        entries.push(Entry {
            name: format!("{folder}/{name}"),
            bytes: bytes.clone(),
            mode: 0o755,
            stored,
        });
    }
    zip(&entries)
}

/// The package read from a file, offline, as JSON.
fn local(name: &str, package: &[u8], extra: &[&str]) -> Run {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("macho");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{name}.ipa"));
    std::fs::write(&path, package).expect("write");
    let ca = support::profile::ca_file();
    let path = path.display().to_string();
    let mut argv = vec!["--offline", "--format", "json", "--profile-ca", ca.as_str()];
    argv.extend_from_slice(extra);
    argv.push(&path);
    otadoctor(&argv)
}

/// The package served by the lab and read by Range through the whole link check.
fn remote(site: &Site, package: &[u8], extra: &[&str]) -> Run {
    site.lab
        .route(Site::PACKAGE, Route::ok("application/octet-stream", package.to_vec()));
    let mut args = site.args(extra);
    args.push(site.link());
    otadoctor_args(&args)
}

/// The codes of a run, sorted, without the lab's private root (TLS005) and the ad hoc profile's
/// note (SIG013), which every run here has.
fn codes(run: &Run) -> Vec<String> {
    let mut codes: Vec<String> = run
        .codes()
        .into_iter()
        .filter(|c| c != "TLS005" && c != "SIG013")
        .collect();
    codes.sort();
    codes
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

/// Each scenario: (name, package, the rules it raises).
fn scenarios() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    let unsigned = macho(ARM64, None, None, 48 * 1024);
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
            app(signed(48 * 1024), &[("Kit".to_string(), signed(32 * 1024))], false),
            vec![],
        ),
        (
            "encrypted",
            app(macho(ARM64, Some(1), Some(&superblob(true, 64)), 48 * 1024), &[], false),
            vec!["APP008"],
        ),
        (
            "encrypted-framework",
            app(
                signed(48 * 1024),
                &[(
                    "Kit".to_string(),
                    macho(ARM64, Some(1), Some(&superblob(true, 64)), 32 * 1024),
                )],
                false,
            ),
            vec!["APP008"],
        ),
        (
            "armv7-only",
            app(macho(ARMV7, Some(0), Some(&superblob(true, 64)), 48 * 1024), &[], false),
            vec!["APP009"],
        ),
        (
            "fat-armv7-arm64",
            app(
                fat(&[
                    (ARMV7, macho(ARMV7, Some(0), Some(&superblob(true, 64)), 40 * 1024)),
                    (ARM64, signed(48 * 1024)),
                ]),
                &[],
                false,
            ),
            vec![],
        ),
        (
            "fat-armv7-armv7s",
            app(
                fat(&[
                    (ARMV7, macho(ARMV7, Some(0), Some(&superblob(true, 64)), 40 * 1024)),
                    (
                        (12, 11),
                        macho((12, 11), Some(0), Some(&superblob(true, 64)), 40 * 1024),
                    ),
                ]),
                &[],
                true,
            ),
            vec!["APP009"],
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
            app(macho(X86_64, None, Some(&superblob(true, 64)), 8 * 1024), &[], false),
            vec!["APP009"],
        ),
    ]
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
        fat(&[
            (ARMV7, macho(ARMV7, Some(0), Some(&superblob(true, 64)), 40 * 1024)),
            (ARM64, signed(48 * 1024)),
        ]),
        &[("Kit".to_string(), signed(32 * 1024))],
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
    assert_eq!(arm64["sdk"], "17.2");
    assert_eq!(arm64["encryption"]["cryptid"], 0);
    assert_eq!(arm64["signature"]["blobs"][0]["magic"], 0xfade_0c02u32);
    assert_eq!(exe["slices"][0]["minos"], "9.0", "LC_VERSION_MIN_IPHONEOS");
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
            "code      Field.app · Field · armv7, arm64 (fat) · ios 9.0+ (SDK 17.2) · not encrypted · signature",
            "CodeDirectory, requirements, CMS",
            "code      Field.app · 1 framework · arm64 · signatures read",
            "2 Mach-O file(s) · load commands",
        ],
    );
}

#[test]
fn hostile_and_cut_mach_os_end_in_a_clear_fact_not_a_panic() {
    let good = signed(16 * 1024);
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
                // no rule judges a file that did not read
                let got = codes(&run);
                if got.iter().any(|c| ["SIG016", "APP008", "APP009"].contains(&c.as_str())) {
                    failures.push(format!("{name} ({how}): {got:?}"));
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
    let frameworks: Vec<(String, Vec<u8>)> = (0..10).map(|i| (format!("Kit{i}"), signed(300 * 1024))).collect();
    let package = app(signed(2 * 1024 * 1024), &frameworks, false);
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
    assert!(codes(&run).is_empty(), "{:?}", codes(&run));
    // stored: only the signature regions
    let stored = app(signed(2 * 1024 * 1024), &frameworks, true);
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
