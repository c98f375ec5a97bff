//! Mach-O executables written by hand for the tests and benches, until the signed writer
//! (`otadoctor::demo::codesign`) replaces them: a header and the load commands otadoctor reads
//! (LC_BUILD_VERSION or LC_VERSION_MIN_IPHONEOS, LC_ENCRYPTION_INFO(_64), LC_CODE_SIGNATURE),
//! then bytes standing for the code, and a SuperBlob where LC_CODE_SIGNATURE points. The
//! signature is a signature's shape (a CodeDirectory header, requirements, a CMS slot), not a
//! valid one. Also an app package with frameworks built from them.

use std::io::Write as _;

use otadoctor::demo::codesign::{Arch, FileKind, SliceSpec};

use super::lab::{info_plist, signed_bundle};

pub const ARM64: (u32, u32) = (0x0100_000c, 0);
pub const ARM64E: (u32, u32) = (0x0100_000c, 2);
pub const ARMV7: (u32, u32) = (12, 9);
pub const X86_64: (u32, u32) = (0x0100_0007, 3);

/// A thin Mach-O of `size` bytes for `cpu`, with `cryptid` and a signature when given.
pub fn macho(cpu: (u32, u32), cryptid: Option<u32>, signature: Option<&[u8]>, size: usize) -> Vec<u8> {
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
pub fn fat(slices: &[((u32, u32), Vec<u8>)]) -> Vec<u8> {
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
pub fn superblob(code_directory: bool, padding: usize) -> Vec<u8> {
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

/// An arm64 executable of `size` bytes with a signature's shape (not a valid one): for the
/// cost measurements, whose "code" must not compress away.
pub fn shaped(size: usize) -> Vec<u8> {
    macho(ARM64, Some(0), Some(&superblob(true, 4096)), size)
}

/// A Mach-O written and signed by the signed writer as the lab's executables are
/// (`lab::executable_spec`: the test CA's developer certificate, team A1B2C3D4E5, the
/// entitlements the profile for `bundle_id` grants), with these slices; a framework or dylib
/// (`FileKind::Dylib`) is signed without entitlements, as Xcode signs them.
pub fn written(bundle_id: &str, kind: FileKind, slices: Vec<SliceSpec>) -> Vec<u8> {
    let mut spec = super::lab::executable_spec(bundle_id);
    spec.kind = kind;
    spec.slices = slices;
    if kind == FileKind::Dylib {
        spec.entitlements = None;
        spec.der_entitlements = false;
    }
    otadoctor::demo::codesign::build(&spec).expect("the signed writer")
}

/// One slice for `written`.
pub fn slice(arch: Arch, cryptid: Option<u32>, text_size: usize) -> SliceSpec {
    SliceSpec {
        arch,
        minos: (15, 0, 0),
        cryptid,
        text_size,
    }
}

/// The app's arm64 executable (com.acme.field), signed, with `size` bytes of code.
pub fn signed(size: usize) -> Vec<u8> {
    written(
        "com.acme.field",
        FileKind::Execute,
        vec![slice(Arch::Arm64, None, size)],
    )
}

/// A framework's arm64 executable (`com.acme.<name in lower case>`, as `app` writes its
/// Info.plist), signed, with `size` bytes of code.
pub fn signed_framework(name: &str, size: usize) -> Vec<u8> {
    let id = format!("com.acme.{}", name.to_ascii_lowercase());
    written(&id, FileKind::Dylib, vec![slice(Arch::Arm64, None, size)])
}

/// One zip entry: name, bytes, Unix mode, stored (or deflated).
pub struct Entry {
    pub name: String,
    pub bytes: Vec<u8>,
    pub mode: u32,
    pub stored: bool,
}

pub fn zip(entries: &[Entry]) -> Vec<u8> {
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
pub fn app(exe: Vec<u8>, frameworks: &[(String, Vec<u8>)], stored: bool) -> Vec<u8> {
    app_with(exe, frameworks, stored, &[])
}

/// `app`, with these files (name, bytes; stored, as assets are) in each framework's folder
/// before its executable, so the executables lie apart as in a real package.
pub fn app_with(
    exe: Vec<u8>,
    frameworks: &[(String, Vec<u8>)],
    stored: bool,
    resources: &[(String, Vec<u8>)],
) -> Vec<u8> {
    zip(&app_entries(exe, frameworks, stored, resources))
}

/// The entries of `app_with`, for a test to add more (dylibs, an extension).
pub fn app_entries(
    exe: Vec<u8>,
    frameworks: &[(String, Vec<u8>)],
    stored: bool,
    resources: &[(String, Vec<u8>)],
) -> Vec<Entry> {
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
        for (file, bytes) in resources {
            entries.push(Entry {
                name: format!("{folder}/{file}"),
                bytes: bytes.clone(),
                mode: 0o644,
                stored: true,
            });
        }
        entries.push(Entry {
            name: format!("{folder}/{name}"),
            bytes: bytes.clone(),
            mode: 0o755,
            stored,
        });
    }
    entries
}

/// A nested bundle (an extension) at `path` inside the app, signed like it, with `exe` as its
/// executable named `name`.
pub fn extension_entries(path: &str, id: &str, name: &str, exe: Vec<u8>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = signed_bundle(path, &info_plist(id, name), id)
        .into_iter()
        .map(|(name, bytes)| Entry {
            name,
            bytes,
            mode: 0o644,
            stored: false,
        })
        .collect();
    entries.push(Entry {
        name: format!("{path}/{name}"),
        bytes: exe,
        mode: 0o755,
        stored: false,
    });
    entries
}

/// A package written to `folder` in the tests' temp directory as `name`.ipa and read from the
/// file, offline, as JSON (the test CA accepted for profiles).
pub fn local_in(folder: &str, name: &str, package: &[u8], extra: &[&str]) -> super::Run {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{name}.ipa"));
    std::fs::write(&path, package).expect("write");
    let ca = super::profile::ca_file();
    let path = path.display().to_string();
    let mut argv = vec!["--offline", "--format", "json", "--profile-ca", ca.as_str()];
    argv.extend_from_slice(extra);
    argv.push(&path);
    super::otadoctor(&argv)
}

/// The package served by the lab and read by Range through the whole link check.
pub fn remote(site: &super::lab::Site, package: &[u8], extra: &[&str]) -> super::Run {
    site.lab.route(
        super::lab::Site::PACKAGE,
        super::lab::Route::ok("application/octet-stream", package.to_vec()),
    );
    let mut args = site.args(extra);
    args.push(site.link());
    super::otadoctor_args(&args)
}

/// The codes of a run, sorted, without the lab's private root (TLS005) and the ad hoc profile's
/// note (SIG013), which every run on a test package has.
pub fn codes(run: &super::Run) -> Vec<String> {
    let mut codes: Vec<String> = run
        .codes()
        .into_iter()
        .filter(|c| c != "TLS005" && c != "SIG013")
        .collect();
    codes.sort();
    codes
}
