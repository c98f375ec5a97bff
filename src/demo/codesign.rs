//! Signed Mach-O files made to order, as Xcode's `codesign` lays them out: the demo's packages,
//! the test suite's fixtures and the benchmarks all carry executables written here, so that a
//! correct package is correct down to its code signature and each broken one is broken in one
//! named way (no signature, an encrypted slice, a 32-bit-only file, entitlements the profile does
//! not grant, no DER entitlements, …).
//!
//! What is written (the structures of `<mach-o/loader.h>`, `<mach-o/fat.h>` and the code
//! signing blobs of Apple's `cs_blobs.h`):
//! * a thin file, or a fat one (big-endian `fat_header`, slices 16 KiB aligned), each slice a
//!   little-endian `mach_header(_64)` with `__TEXT` and `__LINKEDIT` segments,
//!   `LC_BUILD_VERSION` (iOS) or, for armv7, `LC_VERSION_MIN_IPHONEOS`, `LC_ENCRYPTION_INFO(_64)`
//!   when asked, and `LC_CODE_SIGNATURE` pointing at the end of `__TEXT` (unless unsigned);
//! * the embedded signature: a SuperBlob (`0xfade0cc0`) with the CodeDirectory (`0xfade0c02`,
//!   version 0x20400, 4 KiB pages, the special slots Info.plist, requirements, CodeResources,
//!   entitlements and DER entitlements), the requirements (`0xfade0c01`, empty), the XML
//!   entitlements (`0xfade7171`), the DER entitlements (`0xfade7172`), a SHA-256 alternate
//!   CodeDirectory (slot `0x1000`) when the primary is SHA-1, and the CMS blob (`0xfade0b01`):
//!   a detached SignedData over the primary CodeDirectory with Apple's two CodeDirectory hash
//!   attributes (the `cdhashes` plist, OID 1.2.840.113635.100.9.1, and the hash agility set,
//!   1.2.840.113635.100.9.2). Ad hoc: an empty CMS blob and the ad hoc flag.
//!
//! The signature's space is reserved before the pages are hashed (the header that names it is
//! in the first page), and zero-padded, as `codesign` does.

use der::Encode;
use der::asn1::{ObjectIdentifier, OctetString};
use time::OffsetDateTime;

/// `cputype` values.
const CPU_ARM64: u32 = 0x0100_000c;
const CPU_ARM: u32 = 12;
const CPU_X86_64: u32 = 0x0100_0007;

/// Load commands written.
const LC_SEGMENT: u32 = 0x1;
const LC_SEGMENT_64: u32 = 0x19;
const LC_CODE_SIGNATURE: u32 = 0x1d;
const LC_ENCRYPTION_INFO: u32 = 0x21;
const LC_VERSION_MIN_IPHONEOS: u32 = 0x25;
const LC_ENCRYPTION_INFO_64: u32 = 0x2c;
const LC_BUILD_VERSION: u32 = 0x32;

/// Blob magics and slots of an embedded signature.
const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
const CSMAGIC_REQUIREMENTS: u32 = 0xfade_0c01;
const CSMAGIC_EMBEDDED_ENTITLEMENTS: u32 = 0xfade_7171;
const CSMAGIC_EMBEDDED_DER_ENTITLEMENTS: u32 = 0xfade_7172;
const CSMAGIC_BLOBWRAPPER: u32 = 0xfade_0b01;
const SLOT_CODEDIRECTORY: u32 = 0;
const SLOT_REQUIREMENTS: u32 = 2;
const SLOT_ENTITLEMENTS: u32 = 5;
const SLOT_DER_ENTITLEMENTS: u32 = 7;
const SLOT_ALTERNATE_CODEDIRECTORY: u32 = 0x1000;
const SLOT_SIGNATURE: u32 = 0x10000;
/// CodeDirectory flag: ad hoc (no CMS signer).
pub const CS_ADHOC: u32 = 0x2;
/// `execSegFlags`: the main executable.
const CS_EXECSEG_MAIN_BINARY: u64 = 0x1;
const PAGE_SHIFT: u8 = 12;
const PAGE: usize = 1 << PAGE_SHIFT;
/// Slices of a fat file start on 16 KiB boundaries (`align` 14), as `lipo` writes them.
const FAT_ALIGN: u32 = 14;

/// Apple's CMS attributes binding the CodeDirectories to the signature.
const OID_CDHASHES_PLIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.9.1");
const OID_CDHASHES_AGILITY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.9.2");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// A slice's architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Arm64,
    Arm64e,
    /// 32-bit: refused since iOS 11.
    Armv7,
    /// The simulator's.
    X86_64,
}

impl Arch {
    fn cpu(self) -> (u32, u32) {
        match self {
            Arch::Arm64 => (CPU_ARM64, 0),
            // CPU_SUBTYPE_ARM64E with the pointer-authentication ABI bit, as Xcode writes it
            Arch::Arm64e => (CPU_ARM64, 0x8000_0002),
            Arch::Armv7 => (CPU_ARM, 9),
            Arch::X86_64 => (CPU_X86_64, 3),
        }
    }

    fn is_64(self) -> bool {
        !matches!(self, Arch::Armv7)
    }
}

/// What kind of Mach-O file (`filetype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `MH_EXECUTE`: an app's or an extension's executable.
    Execute,
    /// `MH_DYLIB`: a framework's binary or a bare dylib.
    Dylib,
}

/// One architecture's slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceSpec {
    pub arch: Arch,
    /// `LC_BUILD_VERSION`'s (or `LC_VERSION_MIN_IPHONEOS`'s) minimum OS.
    pub minos: (u16, u8, u8),
    /// `LC_ENCRYPTION_INFO(_64)` with this `cryptid` (1: FairPlay-encrypted); none when `None`.
    pub cryptid: Option<u32>,
    /// Bytes of `__TEXT` (header and load commands included; at least what they take).
    pub text_size: usize,
}

impl SliceSpec {
    /// An arm64 slice for iOS 15 of `text_size` bytes.
    pub fn arm64(text_size: usize) -> SliceSpec {
        SliceSpec {
            arch: Arch::Arm64,
            minos: (15, 0, 0),
            cryptid: None,
            text_size,
        }
    }
}

/// How the file is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// No `LC_CODE_SIGNATURE` at all.
    Unsigned,
    /// A CodeDirectory and an empty CMS blob (`codesign -s -`).
    AdHoc,
    /// Signed by `cert_der` (its PKCS#8 P-256 key), the CMS carrying `chain` too.
    Signed {
        cert_der: Vec<u8>,
        key_pkcs8: Vec<u8>,
        chain: Vec<Vec<u8>>,
    },
}

/// The CodeDirectories written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashes {
    /// One SHA-256 CodeDirectory (an iOS 11+ deployment target).
    Sha256,
    /// A SHA-1 primary and a SHA-256 alternate (an older deployment target).
    Sha1AndSha256,
    /// One SHA-1 CodeDirectory (very old tools).
    Sha1,
}

/// A Mach-O file to write.
#[derive(Debug, Clone)]
pub struct MachOSpec {
    pub kind: FileKind,
    /// One slice: a thin file; more: a fat one.
    pub slices: Vec<SliceSpec>,
    /// The CodeDirectory's identifier (the bundle id for a bundle's executable).
    pub identifier: String,
    /// The CodeDirectory's team id.
    pub team_id: Option<String>,
    /// The XML entitlements plist signed (slot 5); none when `None`.
    pub entitlements: Option<String>,
    /// Whether the DER form of `entitlements` is signed too (slot 7; iOS 15+ needs it).
    pub der_entitlements: bool,
    pub hashes: Hashes,
    /// The bundle's Info.plist bytes, bound in special slot 1.
    pub info_plist: Option<Vec<u8>>,
    /// The bundle's `_CodeSignature/CodeResources` bytes, bound in special slot 3.
    pub code_resources: Option<Vec<u8>>,
    pub signing: Signing,
    pub signing_time: OffsetDateTime,
}

impl MachOSpec {
    /// An arm64 executable for iOS 15 (16 KiB of `__TEXT`), signed by `signing` with one
    /// SHA-256 CodeDirectory, `identifier`, `team_id` and `entitlements` in XML and DER.
    pub fn executable(
        identifier: &str,
        team_id: &str,
        entitlements: Option<String>,
        signing: Signing,
        signing_time: OffsetDateTime,
    ) -> MachOSpec {
        MachOSpec {
            kind: FileKind::Execute,
            slices: vec![SliceSpec::arm64(16 * 1024)],
            identifier: identifier.to_string(),
            team_id: Some(team_id.to_string()),
            entitlements,
            der_entitlements: true,
            hashes: Hashes::Sha256,
            info_plist: None,
            code_resources: None,
            signing,
            signing_time,
        }
    }
}

/// The entitlements an App Store Connect distribution signing writes for an app: its
/// application identifier, team, `get-task-allow` and, when given, keychain access groups.
pub fn entitlements_plist(application_identifier: &str, team_id: &str, get_task_allow: bool, extra: &str) -> String {
    let get_task_allow = if get_task_allow { "true" } else { "false" };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>application-identifier</key>\n\t<string>{application_identifier}</string>\n\t<key>com.apple.developer.team-identifier</key>\n\t<string>{team_id}</string>\n\t<key>get-task-allow</key>\n\t<{get_task_allow}/>\n{extra}</dict>\n</plist>\n"
    )
}

/// Writes the file `spec` describes.
pub fn build(spec: &MachOSpec) -> Result<Vec<u8>, String> {
    match spec.slices.as_slice() {
        [] => Err("a Mach-O needs at least one slice".to_string()),
        [one] => slice(spec, one),
        many => {
            let bodies = many.iter().map(|s| slice(spec, s)).collect::<Result<Vec<_>, _>>()?;
            let mut out = Vec::new();
            out.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
            out.extend_from_slice(&u32_of(bodies.len())?.to_be_bytes());
            let mut offset = align_up(8 + 20 * bodies.len(), 1 << FAT_ALIGN);
            let mut placed = Vec::new();
            for (s, body) in many.iter().zip(&bodies) {
                let (cputype, cpusubtype) = s.arch.cpu();
                for v in [cputype, cpusubtype, u32_of(offset)?, u32_of(body.len())?, FAT_ALIGN] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                placed.push(offset);
                offset = align_up(offset + body.len(), 1 << FAT_ALIGN);
            }
            for (at, body) in placed.into_iter().zip(bodies) {
                out.resize(at, 0);
                out.extend_from_slice(&body);
            }
            Ok(out)
        }
    }
}

fn u32_of(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{n} does not fit a Mach-O's 32-bit field"))
}

fn align_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

fn version(v: (u16, u8, u8)) -> u32 {
    (u32::from(v.0) << 16) | (u32::from(v.1) << 8) | u32::from(v.2)
}

/// Appends a segment command without sections.
fn segment(out: &mut Vec<u8>, is_64: bool, name: &str, vmaddr: u64, fileoff: u64, filesize: u64, prot: u32) {
    let mut segname = [0u8; 16];
    segname[..name.len().min(16)].copy_from_slice(&name.as_bytes()[..name.len().min(16)]);
    let vmsize = (filesize.div_ceil(0x4000) * 0x4000).max(0x4000);
    if is_64 {
        put32(out, LC_SEGMENT_64);
        put32(out, 72);
        out.extend_from_slice(&segname);
        for v in [vmaddr, vmsize, fileoff, filesize] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        put32(out, LC_SEGMENT);
        put32(out, 56);
        out.extend_from_slice(&segname);
        for v in [vmaddr, vmsize, fileoff, filesize] {
            // 32-bit files are small: the fields are 32 bits wide
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
    }
    for v in [prot, prot, 0, 0] {
        put32(out, v);
    }
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The load commands of a slice whose `__TEXT` ends at `text_end` and whose signature takes
/// `sig_size` bytes from there.
fn load_commands(spec: &MachOSpec, s: &SliceSpec, text_end: usize, sig_size: usize) -> (Vec<u8>, u32) {
    let is_64 = s.arch.is_64();
    let mut cmds = Vec::new();
    let mut n = 0;
    let base = if is_64 { 0x1_0000_0000 } else { 0x4000 };
    segment(&mut cmds, is_64, "__TEXT", base, 0, text_end as u64, 5);
    n += 1;
    if spec.signing != Signing::Unsigned {
        let vm = base + (text_end as u64).div_ceil(0x4000) * 0x4000;
        segment(&mut cmds, is_64, "__LINKEDIT", vm, text_end as u64, sig_size as u64, 1);
        n += 1;
    }
    if s.arch == Arch::Armv7 {
        for v in [LC_VERSION_MIN_IPHONEOS, 16, version(s.minos), version(s.minos)] {
            put32(&mut cmds, v);
        }
    } else {
        // platform 2 (iOS); 7 (the iOS simulator) for an x86_64 slice
        let platform = if s.arch == Arch::X86_64 { 7 } else { 2 };
        for v in [LC_BUILD_VERSION, 24, platform, version(s.minos), version(s.minos), 0] {
            put32(&mut cmds, v);
        }
    }
    n += 1;
    if let Some(cryptid) = s.cryptid {
        // the encrypted range starts with the first page after the headers, as in App Store files
        let cryptoff = PAGE.min(text_end) as u32;
        let cryptsize = (text_end as u32).saturating_sub(cryptoff);
        if is_64 {
            for v in [LC_ENCRYPTION_INFO_64, 24, cryptoff, cryptsize, cryptid, 0] {
                put32(&mut cmds, v);
            }
        } else {
            for v in [LC_ENCRYPTION_INFO, 20, cryptoff, cryptsize, cryptid] {
                put32(&mut cmds, v);
            }
        }
        n += 1;
    }
    if spec.signing != Signing::Unsigned {
        for v in [LC_CODE_SIGNATURE, 16, text_end as u32, sig_size as u32] {
            put32(&mut cmds, v);
        }
        n += 1;
    }
    (cmds, n)
}

/// A slice: headers, `__TEXT` filled with code-like bytes, then the signature.
fn slice(spec: &MachOSpec, s: &SliceSpec) -> Result<Vec<u8>, String> {
    let is_64 = s.arch.is_64();
    let header_size = if is_64 { 32 } else { 28 };
    // the signature's space: measured by signing once with zeros in place of the pages' hashes
    let (probe_cmds, _) = load_commands(spec, s, 0, 0);
    let text_end = align_up(s.text_size.max(header_size + probe_cmds.len() + 64), 16);
    let sig_size = if spec.signing == Signing::Unsigned {
        0
    } else {
        let probe = signature(spec, &vec![0u8; text_end], text_end, s.arch)?;
        // room for a longer ECDSA signature and a round size, as codesign over-allocates
        align_up(probe.len() + 256, 16)
    };
    let (cmds, ncmds) = load_commands(spec, s, text_end, sig_size);
    let (cputype, cpusubtype) = s.arch.cpu();
    let mut out = Vec::with_capacity(text_end + sig_size);
    put32(&mut out, if is_64 { 0xfeed_facf } else { 0xfeed_face });
    put32(&mut out, cputype);
    put32(&mut out, cpusubtype);
    put32(&mut out, if spec.kind == FileKind::Execute { 2 } else { 6 });
    put32(&mut out, ncmds);
    put32(&mut out, u32_of(cmds.len())?);
    // MH_NOUNDEFS | MH_DYLDLINK | MH_TWOLEVEL | MH_PIE for an executable
    put32(
        &mut out,
        if spec.kind == FileKind::Execute {
            0x0020_0085
        } else {
            0x0010_0085
        },
    );
    if is_64 {
        put32(&mut out, 0);
    }
    out.extend_from_slice(&cmds);
    code_like_bytes(&mut out, text_end);
    if spec.signing != Signing::Unsigned {
        let mut sig = signature(spec, &out, text_end, s.arch)?;
        if sig.len() > sig_size {
            return Err(format!(
                "the signature took {} bytes, {sig_size} were reserved",
                sig.len()
            ));
        }
        sig.resize(sig_size, 0);
        out.extend_from_slice(&sig);
    }
    Ok(out)
}

/// Fills `out` up to `len` with bytes that compress like machine code (about 2:1), the same for
/// the same length.
fn code_like_bytes(out: &mut Vec<u8>, len: usize) {
    let mut state: u32 = 0x1234_5678 ^ len as u32;
    while out.len() < len {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let word = state >> 8;
        // instructions share their high bits: keep the top byte from a few values
        let bytes = [
            (word & 0xff) as u8,
            (word >> 8) as u8 & 0x0f,
            0x00,
            [0x91, 0x94, 0xf9, 0xd1][(word >> 20) as usize & 3],
        ];
        for b in bytes {
            if out.len() < len {
                out.push(b);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum HashType {
    Sha1,
    Sha256,
}

impl HashType {
    fn algorithm(self) -> &'static ring::digest::Algorithm {
        match self {
            HashType::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashType::Sha256 => &ring::digest::SHA256,
        }
    }

    fn code(self) -> u8 {
        match self {
            HashType::Sha1 => 1,
            HashType::Sha256 => 2,
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            HashType::Sha1 => OID_SHA1,
            HashType::Sha256 => OID_SHA256,
        }
    }

    fn hash(self, bytes: &[u8]) -> Vec<u8> {
        ring::digest::digest(self.algorithm(), bytes).as_ref().to_vec()
    }
}

/// A blob: its magic, its length (header included) and `body`.
fn blob(magic: u32, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend_from_slice(&magic.to_be_bytes());
    out.extend_from_slice(&u32_of(8 + body.len())?.to_be_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// The special slots' contents, by slot number (1-based).
struct Special {
    slots: Vec<Option<Vec<u8>>>,
}

/// A CodeDirectory over `code` (the slice's bytes up to its signature).
fn code_directory(
    spec: &MachOSpec,
    code: &[u8],
    special: &Special,
    hash: HashType,
    flags: u32,
) -> Result<Vec<u8>, String> {
    let hash_size = hash.hash(b"").len();
    let n_special = special.slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    let n_code = code.len().div_ceil(PAGE);
    let ident_offset = 88usize;
    let mut strings = Vec::new();
    strings.extend_from_slice(spec.identifier.as_bytes());
    strings.push(0);
    let team_offset = spec.team_id.as_ref().map(|team| {
        let at = ident_offset + strings.len();
        strings.extend_from_slice(team.as_bytes());
        strings.push(0);
        at
    });
    let hash_offset = ident_offset + strings.len() + n_special * hash_size;
    let length = hash_offset + n_code * hash_size;
    let mut cd = Vec::with_capacity(length);
    for v in [
        CSMAGIC_CODEDIRECTORY,
        u32_of(length)?,
        0x20400,
        flags,
        u32_of(hash_offset)?,
        u32_of(ident_offset)?,
        u32_of(n_special)?,
        u32_of(n_code)?,
        u32_of(code.len())?,
    ] {
        cd.extend_from_slice(&v.to_be_bytes());
    }
    cd.extend_from_slice(&[u8::try_from(hash_size).unwrap_or(32), hash.code(), 0, PAGE_SHIFT]);
    cd.extend_from_slice(&0u32.to_be_bytes()); // spare2
    cd.extend_from_slice(&0u32.to_be_bytes()); // scatterOffset
    cd.extend_from_slice(&u32_of(team_offset.unwrap_or(0))?.to_be_bytes());
    cd.extend_from_slice(&0u32.to_be_bytes()); // spare3
    cd.extend_from_slice(&0u64.to_be_bytes()); // codeLimit64
    let exec_flags = if spec.kind == FileKind::Execute {
        CS_EXECSEG_MAIN_BINARY
    } else {
        0
    };
    for v in [0u64, code.len() as u64, exec_flags] {
        cd.extend_from_slice(&v.to_be_bytes());
    }
    cd.extend_from_slice(&strings);
    // special slots, the highest first: slot -n is at hashOffset - n * hashSize
    for slot in (0..n_special).rev() {
        match &special.slots[slot] {
            Some(bytes) => cd.extend_from_slice(&hash.hash(bytes)),
            None => cd.extend(std::iter::repeat_n(0u8, hash_size)),
        }
    }
    for page in code.chunks(PAGE) {
        cd.extend_from_slice(&hash.hash(page));
    }
    Ok(cd)
}

/// The embedded signature of a slice whose first `code_limit` bytes are `code`.
fn signature(spec: &MachOSpec, code: &[u8], code_limit: usize, _arch: Arch) -> Result<Vec<u8>, String> {
    let code = &code[..code_limit.min(code.len())];
    let requirements = blob(CSMAGIC_REQUIREMENTS, &0u32.to_be_bytes())?;
    let entitlements = spec
        .entitlements
        .as_ref()
        .map(|xml| blob(CSMAGIC_EMBEDDED_ENTITLEMENTS, xml.as_bytes()))
        .transpose()?;
    let der = match (&spec.entitlements, spec.der_entitlements) {
        (Some(xml), true) => Some(blob(CSMAGIC_EMBEDDED_DER_ENTITLEMENTS, &der_entitlements(xml)?)?),
        _ => None,
    };
    let special = Special {
        slots: vec![
            spec.info_plist.clone(),
            Some(requirements.clone()),
            spec.code_resources.clone(),
            None,
            entitlements.clone(),
            None,
            der.clone(),
        ],
    };
    let flags = if spec.signing == Signing::AdHoc { CS_ADHOC } else { 0 };
    let mut directories: Vec<(u32, HashType, Vec<u8>)> = Vec::new();
    match spec.hashes {
        Hashes::Sha256 => directories.push((
            SLOT_CODEDIRECTORY,
            HashType::Sha256,
            code_directory(spec, code, &special, HashType::Sha256, flags)?,
        )),
        Hashes::Sha1 => directories.push((
            SLOT_CODEDIRECTORY,
            HashType::Sha1,
            code_directory(spec, code, &special, HashType::Sha1, flags)?,
        )),
        Hashes::Sha1AndSha256 => {
            directories.push((
                SLOT_CODEDIRECTORY,
                HashType::Sha1,
                code_directory(spec, code, &special, HashType::Sha1, flags)?,
            ));
            directories.push((
                SLOT_ALTERNATE_CODEDIRECTORY,
                HashType::Sha256,
                code_directory(spec, code, &special, HashType::Sha256, flags)?,
            ));
        }
    }
    let cms = match &spec.signing {
        Signing::Signed {
            cert_der,
            key_pkcs8,
            chain,
        } => {
            let (plist, agility) = cdhash_attributes(&directories)?;
            let primary = directories.first().map(|d| d.2.as_slice()).unwrap_or_default();
            crate::demo::pki::sign_cms_detached(
                primary,
                vec![(OID_CDHASHES_PLIST, vec![plist]), (OID_CDHASHES_AGILITY, agility)],
                spec.signing_time,
                cert_der,
                chain,
                key_pkcs8,
            )?
        }
        _ => Vec::new(),
    };
    let mut blobs: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut alternates = Vec::new();
    for (slot, _, cd) in directories {
        if slot == SLOT_CODEDIRECTORY {
            blobs.push((slot, cd));
        } else {
            alternates.push((slot, cd));
        }
    }
    blobs.push((SLOT_REQUIREMENTS, requirements));
    if let Some(e) = entitlements {
        blobs.push((SLOT_ENTITLEMENTS, e));
    }
    if let Some(d) = der {
        blobs.push((SLOT_DER_ENTITLEMENTS, d));
    }
    blobs.extend(alternates);
    blobs.push((SLOT_SIGNATURE, blob(CSMAGIC_BLOBWRAPPER, &cms)?));
    let header = 12 + 8 * blobs.len();
    let total = header + blobs.iter().map(|b| b.1.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    for v in [CSMAGIC_EMBEDDED_SIGNATURE, u32_of(total)?, u32_of(blobs.len())?] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = header;
    for (slot, b) in &blobs {
        out.extend_from_slice(&slot.to_be_bytes());
        out.extend_from_slice(&u32_of(offset)?.to_be_bytes());
        offset += b.len();
    }
    for (_, b) in blobs {
        out.extend_from_slice(&b);
    }
    Ok(out)
}

/// Apple's two signed attributes naming every CodeDirectory's hash: a plist of the truncated
/// (20-byte) cdhashes, and one `SEQUENCE { hash OID, full hash }` per CodeDirectory.
fn cdhash_attributes(directories: &[(u32, HashType, Vec<u8>)]) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
    use base64::Engine as _;
    let der_error = |e: der::Error| format!("cannot encode the CodeDirectory hashes: {e}");
    let mut plist = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>cdhashes</key>\n\t<array>\n",
    );
    let mut agility = Vec::new();
    for (_, hash, cd) in directories {
        let full = hash.hash(cd);
        let truncated = &full[..20];
        plist.push_str(&format!(
            "\t\t<data>\n\t\t{}\n\t\t</data>\n",
            base64::engine::general_purpose::STANDARD.encode(truncated)
        ));
        let mut body = hash.oid().to_der().map_err(der_error)?;
        body.extend(OctetString::new(full).map_err(der_error)?.to_der().map_err(der_error)?);
        let mut seq = Vec::new();
        der_tlv(&mut seq, 0x30, &body);
        agility.push(seq);
    }
    plist.push_str("\t</array>\n</dict>\n</plist>\n");
    let plist = OctetString::new(plist.into_bytes())
        .map_err(der_error)?
        .to_der()
        .map_err(der_error)?;
    Ok((plist, agility))
}

/// One DER element (the writer shared with the CMS reader's BER re-encoder).
fn der_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    crate::cms::write_tlv(tag, content, out);
}

/// The DER entitlements of an XML entitlements plist, as `codesign` writes them since Xcode 12.5
/// (Apple's "CoreEntitlements" encoding): `[APPLICATION 16] { INTEGER 1, [CONTEXT 16] { … } }`,
/// where a dictionary is `[CONTEXT 16]` of `SEQUENCE { UTF8String key, value }` sorted by key,
/// an array a `SEQUENCE`, a string a `UTF8String`, a boolean a `BOOLEAN`, an integer an
/// `INTEGER`.
pub fn der_entitlements(xml: &str) -> Result<Vec<u8>, String> {
    let value =
        plist::Value::from_reader_xml(xml.as_bytes()).map_err(|e| format!("the entitlements are not a plist: {e}"))?;
    if value.as_dictionary().is_none() {
        return Err("the entitlements plist is not a dictionary".to_string());
    }
    let mut body = Vec::new();
    der_tlv(&mut body, 0x02, &[1]);
    der_value(&value, &mut body, 0)?;
    let mut out = Vec::new();
    der_tlv(&mut out, 0x70, &body);
    Ok(out)
}

fn der_value(value: &plist::Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    if depth > crate::collect::bounded::MAX_DEPTH {
        return Err("the entitlements nest too deep".to_string());
    }
    match value {
        plist::Value::Dictionary(dict) => {
            let mut entries: Vec<(&String, &plist::Value)> = dict.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut content = Vec::new();
            for (key, v) in entries {
                let mut pair = Vec::new();
                der_tlv(&mut pair, 0x0c, key.as_bytes());
                der_value(v, &mut pair, depth + 1)?;
                der_tlv(&mut content, 0x30, &pair);
            }
            der_tlv(out, 0xb0, &content);
        }
        plist::Value::Array(items) => {
            let mut content = Vec::new();
            for v in items {
                der_value(v, &mut content, depth + 1)?;
            }
            der_tlv(out, 0x30, &content);
        }
        plist::Value::String(s) => der_tlv(out, 0x0c, s.as_bytes()),
        plist::Value::Boolean(b) => der_tlv(out, 0x01, &[if *b { 0xff } else { 0 }]),
        plist::Value::Integer(i) => {
            let n = i
                .as_signed()
                .ok_or_else(|| "an entitlement integer does not fit 64 bits".to_string())?;
            let bytes = n.to_be_bytes();
            // the shortest two's complement form
            let mut start = 0;
            while start < 7
                && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                    || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
            {
                start += 1;
            }
            der_tlv(out, 0x02, &bytes[start..]);
        }
        other => {
            return Err(format!(
                "an entitlement value of a kind DER entitlements cannot hold: {other:?}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);

    fn be32(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn le32(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn signed_spec() -> MachOSpec {
        let pki = crate::demo::pki::DemoPki::new(NOW).expect("pki");
        MachOSpec::executable(
            "com.acme.field",
            "A1B2C3D4E5",
            Some(entitlements_plist("A1B2C3D4E5.com.acme.field", "A1B2C3D4E5", false, "")),
            Signing::Signed {
                cert_der: pki.developer_der.clone(),
                key_pkcs8: pki.developer_key.clone(),
                chain: Vec::new(),
            },
            NOW,
        )
    }

    /// The signature's bytes, found by walking the load commands to `LC_CODE_SIGNATURE`.
    fn signature_of(file: &[u8]) -> &[u8] {
        let ncmds = le32(file, 16) as usize;
        let mut at = 32;
        for _ in 0..ncmds {
            let (cmd, size) = (le32(file, at), le32(file, at + 4) as usize);
            if cmd == LC_CODE_SIGNATURE {
                let (off, len) = (le32(file, at + 8) as usize, le32(file, at + 12) as usize);
                return &file[off..off + len];
            }
            at += size;
        }
        panic!("no LC_CODE_SIGNATURE");
    }

    #[test]
    fn a_signed_executable_has_its_blobs_and_page_hashes() {
        let spec = signed_spec();
        let file = build(&spec).expect("build");
        assert_eq!(le32(&file, 0), 0xfeed_facf);
        let sig = signature_of(&file);
        assert_eq!(be32(sig, 0), CSMAGIC_EMBEDDED_SIGNATURE);
        let count = be32(sig, 8) as usize;
        let slots: Vec<u32> = (0..count).map(|i| be32(sig, 12 + 8 * i)).collect();
        assert_eq!(slots, vec![0, 2, 5, 7, 0x10000]);
        let cd_at = be32(sig, 16) as usize;
        let cd = &sig[cd_at..cd_at + be32(sig, cd_at + 4) as usize];
        assert_eq!(be32(cd, 0), CSMAGIC_CODEDIRECTORY);
        let code_limit = be32(cd, 32) as usize;
        let hash_offset = be32(cd, 16) as usize;
        // the first page's hash is SHA-256 of the file's first 4 KiB
        let first = ring::digest::digest(&ring::digest::SHA256, &file[..PAGE]);
        assert_eq!(&cd[hash_offset..hash_offset + 32], first.as_ref());
        assert_eq!(be32(cd, 28) as usize, code_limit.div_ceil(PAGE));
        let ident = be32(cd, 20) as usize;
        assert!(cd[ident..].starts_with(b"com.acme.field\0"));
        // the CMS signs the CodeDirectory: the demo's profile reader's CMS parser reads it
        let cms_at = be32(sig, 12 + 8 * 4 + 4) as usize;
        assert_eq!(be32(sig, cms_at), CSMAGIC_BLOBWRAPPER);
        assert!(be32(sig, cms_at + 4) > 200);
    }

    #[test]
    fn fat_files_place_each_slice_on_16_kib() {
        let mut spec = signed_spec();
        spec.slices = vec![
            SliceSpec {
                arch: Arch::Armv7,
                minos: (9, 0, 0),
                cryptid: Some(1),
                text_size: 20_000,
            },
            SliceSpec::arm64(30_000),
        ];
        spec.hashes = Hashes::Sha1AndSha256;
        let file = build(&spec).expect("build");
        assert_eq!(be32(&file, 0), 0xcafe_babe);
        assert_eq!(be32(&file, 4), 2);
        let second = be32(&file, 8 + 20 + 8) as usize;
        assert_eq!(second % 16384, 0);
        assert_eq!(le32(&file, second), 0xfeed_facf);
        let first = be32(&file, 8 + 8) as usize;
        assert_eq!(le32(&file, first), 0xfeed_face);
    }

    #[test]
    fn unsigned_files_have_no_code_signature_command() {
        let mut spec = signed_spec();
        spec.signing = Signing::Unsigned;
        let file = build(&spec).expect("build");
        let ncmds = le32(&file, 16) as usize;
        let mut at = 32;
        for _ in 0..ncmds {
            assert_ne!(le32(&file, at), LC_CODE_SIGNATURE);
            at += le32(&file, at + 4) as usize;
        }
        assert_eq!(file.len(), 16 * 1024);
    }

    #[test]
    fn der_entitlements_are_apples_encoding() {
        let xml = entitlements_plist(
            "T.a",
            "T",
            true,
            "\t<key>keychain-access-groups</key>\n\t<array><string>T.*</string></array>\n",
        );
        let der = der_entitlements(&xml).expect("der");
        // [APPLICATION 16], INTEGER 1, [CONTEXT 16]
        assert_eq!(der[0], 0x70);
        let skip = if der[1] < 0x80 {
            2
        } else {
            2 + usize::from(der[1] & 0x7f)
        };
        let body = &der[skip..];
        assert_eq!(&body[..3], &[0x02, 0x01, 0x01]);
        assert_eq!(body[3], 0xb0);
        // keys sorted: application-identifier first, then com.apple…, get-task-allow, keychain…
        let text = String::from_utf8_lossy(&der);
        let order: Vec<usize> = [
            "application-identifier",
            "com.apple.developer.team-identifier",
            "get-task-allow",
            "keychain-access-groups",
        ]
        .iter()
        .map(|k| text.find(k).expect("key"))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(der.windows(3).any(|w| w == [0x01, 0x01, 0xff]));
    }
}
