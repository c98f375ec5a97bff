//! Apple code signatures, read from the bytes `LC_CODE_SIGNATURE` points at: the SuperBlob
//! and its blobs — the CodeDirectories (the primary one and the alternates, `0x1000`…), the
//! requirements, the XML (slot 5) and DER (slot 7) entitlements and the CMS signature
//! (`0x10000`: its signer, and whether it signs the CodeDirectories present). With the bytes
//! of the file (`--deep`), the page hashes and the special slots against them.
//!
//! Pure parsing and measuring (`cs_blobs.h`, RFC 5652): every count and offset is checked
//! against the bytes before use, lists are capped, the DER entitlements decoder is
//! depth-limited and linear. The collector fetches the bytes; the SIG rules judge what is
//! recorded here.

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The SuperBlob's magic (`CSMAGIC_EMBEDDED_SIGNATURE`).
pub const EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
/// `CSMAGIC_CODEDIRECTORY`.
pub const CODE_DIRECTORY: u32 = 0xfade_0c02;
/// `CSMAGIC_REQUIREMENTS`.
pub const REQUIREMENTS: u32 = 0xfade_0c01;
/// `CSMAGIC_EMBEDDED_ENTITLEMENTS`: the XML entitlements plist.
pub const ENTITLEMENTS: u32 = 0xfade_7171;
/// `CSMAGIC_EMBEDDED_DER_ENTITLEMENTS`.
pub const DER_ENTITLEMENTS: u32 = 0xfade_7172;
/// `CSMAGIC_BLOBWRAPPER`: the CMS signature.
pub const BLOB_WRAPPER: u32 = 0xfade_0b01;
/// Slots of the SuperBlob's index.
pub const SLOT_CODE_DIRECTORY: u32 = 0;
pub const SLOT_REQUIREMENTS: u32 = 2;
pub const SLOT_ENTITLEMENTS: u32 = 5;
pub const SLOT_DER_ENTITLEMENTS: u32 = 7;
pub const SLOT_ALTERNATE_CODE_DIRECTORIES: u32 = 0x1000;
pub const SLOT_SIGNATURE: u32 = 0x10000;
/// Special slots bound by a CodeDirectory (`-1`, `-3`): the bundle's files.
pub const SPECIAL_INFO_PLIST: u32 = 1;
pub const SPECIAL_CODE_RESOURCES: u32 = 3;
/// The CodeDirectory flag of an ad hoc signature (`CS_ADHOC`): no signer.
pub const CS_ADHOC: u32 = 0x2;
/// The most blobs an index may list (a real signature has fewer than 10).
pub const MAX_BLOBS: u32 = 64;
/// The most code slots a CodeDirectory may list: 4 KiB pages of 4 GiB.
pub const MAX_CODE_SLOTS: u32 = 1 << 20;
/// The most special slots (Apple defines 7; a few more are reserved).
pub const MAX_SPECIAL_SLOTS: u32 = 32;
/// The most CodeDirectories one signature may hold (a primary and a few alternates).
pub const MAX_DIRECTORIES: usize = 6;
/// The most differing pages a `--deep` check lists (it counts them all).
pub const MAX_LISTED_PAGES: usize = 8;
/// The most values DER entitlements may hold (real ones: tens).
pub const MAX_ENTITLEMENT_VALUES: usize = 20_000;

const OID_CDHASHES_PLIST: &str = "1.2.840.113635.100.9.1";
const OID_CDHASHES_AGILITY: &str = "1.2.840.113635.100.9.2";

/// One blob of the SuperBlob's index: its slot type, magic and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlobEntry {
    /// The slot (`0` CodeDirectory, `2` requirements, `5` entitlements, `7` DER entitlements,
    /// `0x1000`… alternate CodeDirectories, `0x10000` the CMS signature).
    pub slot: u32,
    pub magic: u32,
    pub offset: u32,
    pub length: u32,
}

/// What a code signature holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CodeSignatureFacts {
    /// Bytes of the signature as read.
    pub bytes: usize,
    /// Why it could not be read as a SuperBlob (the rest is then empty or partial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The SuperBlob's index.
    pub blobs: Vec<BlobEntry>,
    /// The CodeDirectories: the primary (slot 0) first, then the alternates.
    pub directories: Vec<CodeDirectory>,
    /// Whether a requirements blob (slot 2) is present.
    pub requirements: bool,
    /// The XML entitlements (slot 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlements: Option<Entitlements>,
    /// The DER entitlements (slot 7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub der_entitlements: Option<Entitlements>,
    /// The CMS signature (`None`: no blob 0x10000, or an empty one as ad hoc signing writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cms: Option<CmsSignature>,
}

/// A CodeDirectory (`CS_CodeDirectory`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CodeDirectory {
    /// Its slot in the SuperBlob (0, or 0x1000… for an alternate).
    pub slot: u32,
    pub version: u32,
    pub flags: u32,
    /// `hashType`: 1 SHA-1, 2 SHA-256, 3 SHA-256 truncated to 20 bytes, 4 SHA-384.
    pub hash_type: u8,
    /// `sha1`, `sha256`, `sha256-truncated`, `sha384`, or `unknown`.
    pub hash: String,
    /// Bytes per page (0: one page for the whole file).
    pub page_size: u64,
    pub identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    pub special_slots: u32,
    pub code_slots: u32,
    pub code_limit: u64,
    /// Its own hash (the "cdhash"), as the CMS attributes name it: in hex, the full digest.
    pub cdhash: String,
    /// Why it could not be read (the fields above are then partial).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The special slots compared with the bytes they bind, each with the result.
    pub special: Vec<SpecialSlot>,
    /// `--deep`: the code pages compared with the file's bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<PageCheck>,
    /// The hashes of the special slots (slot 1 first) and of the code pages, as listed.
    #[serde(skip)]
    pub special_hashes: Vec<Vec<u8>>,
    #[serde(skip)]
    pub code_hashes: Vec<Vec<u8>>,
    /// Its full digest (`cdhash` as bytes).
    #[serde(skip)]
    pub full_hash: Option<Vec<u8>>,
}

/// A special slot of a CodeDirectory compared with the bytes it binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecialSlot {
    pub slot: u32,
    /// `Info.plist`, `requirements`, `CodeResources`, `entitlements`, `DER entitlements`.
    pub name: String,
    /// The hash listed: absent (zeros, or beyond the slots listed) when the bytes are not bound.
    pub listed: bool,
    /// The listed hash equals the bytes' (`false` when not listed but the bytes are there).
    pub matches: bool,
}

/// `--deep`: a CodeDirectory's page hashes against the file's bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PageCheck {
    pub pages: u32,
    /// How many differ, and the first few of them (numbered from 0).
    pub differing: u32,
    pub first_differing: Vec<u32>,
    /// Why the pages could not all be compared (the file is shorter than `codeLimit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Entitlements read from the signature.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entitlements {
    /// The dictionary, as JSON (booleans, numbers, strings, arrays, dictionaries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// Why the blob could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The CMS signature of the CodeDirectories.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CmsSignature {
    pub bytes: usize,
    /// Why it could not be checked at all (not CMS, no signer certificate, an algorithm not
    /// verified here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerCertificate>,
    /// The other certificates it carries (the chain), by name.
    pub chain: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest_algorithm: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signature_algorithm: String,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub signing_time: Option<OffsetDateTime>,
    /// The signature verifies with the signer's key.
    pub signature_verifies: bool,
    /// The signed `messageDigest` is the primary CodeDirectory's digest (`None`: not signed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_digest: Option<bool>,
    /// The signed `cdhashes` plist lists exactly the CodeDirectories present (`None`: absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdhashes: Option<bool>,
    /// Each signed hash-agility entry is the hash of a CodeDirectory present (`None`: absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_agility: Option<bool>,
    /// The DER of the signer's certificate and of the others it carries (for the collectors that
    /// go on from it: revocation needs the certificate and its issuer).
    #[serde(skip)]
    pub signer_der: Vec<u8>,
    #[serde(skip)]
    pub chain_der: Vec<Vec<u8>>,
}

/// The certificate that signed the code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignerCertificate {
    /// Its common name (`Apple Distribution: Example Corp (A1B2C3D4E5)`).
    pub subject: String,
    /// Its organizational unit: the team id of Apple's signing certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub serial: String,
    /// The SHA-256 of its DER, in hex.
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub not_before: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub not_after: Option<OffsetDateTime>,
    /// The certificate itself, for the collectors (its revocation check); not in the output.
    #[serde(skip)]
    pub der: Vec<u8>,
}

impl CodeSignatureFacts {
    /// The primary CodeDirectory (slot 0).
    pub fn primary(&self) -> Option<&CodeDirectory> {
        self.directories.iter().find(|d| d.slot == SLOT_CODE_DIRECTORY)
    }

    /// Whether it is signed ad hoc (the flag, or no CMS blob).
    pub fn adhoc(&self) -> bool {
        self.primary().is_some_and(|d| d.flags & CS_ADHOC != 0)
    }

    /// The entitlements iOS 15 and later read: the DER ones, else the XML ones.
    pub fn effective_entitlements(&self) -> Option<&serde_json::Value> {
        self.der_entitlements
            .as_ref()
            .and_then(|e| e.value.as_ref())
            .or_else(|| self.entitlements.as_ref().and_then(|e| e.value.as_ref()))
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

/// Reads a code signature: the SuperBlob's index, then each blob it lists.
pub fn read(bytes: &[u8]) -> CodeSignatureFacts {
    let mut facts = index(bytes);
    if facts.error.is_some() {
        return facts;
    }
    let blob = |entry: &BlobEntry| -> &[u8] {
        let start = entry.offset as usize;
        bytes.get(start..start + entry.length as usize).unwrap_or_default()
    };
    let entries = facts.blobs.clone();
    for entry in &entries {
        let is_directory = entry.slot == SLOT_CODE_DIRECTORY
            || (SLOT_ALTERNATE_CODE_DIRECTORIES..SLOT_ALTERNATE_CODE_DIRECTORIES + 5).contains(&entry.slot);
        if is_directory && facts.directories.len() < MAX_DIRECTORIES {
            facts.directories.push(code_directory(entry.slot, blob(entry)));
        }
    }
    facts.directories.sort_by_key(|d| d.slot);
    let payload = |slot: u32, magic: u32| -> Option<&[u8]> {
        let entry = entries.iter().find(|e| e.slot == slot && e.magic == magic)?;
        let bytes = blob(entry);
        let declared = be32(bytes, 4)? as usize;
        bytes.get(8..declared)
    };
    facts.requirements = entries
        .iter()
        .any(|e| e.slot == SLOT_REQUIREMENTS && e.magic == REQUIREMENTS);
    facts.entitlements = payload(SLOT_ENTITLEMENTS, ENTITLEMENTS).map(xml_entitlements);
    facts.der_entitlements = payload(SLOT_DER_ENTITLEMENTS, DER_ENTITLEMENTS).map(|der| match der_entitlements(der) {
        Ok(value) => Entitlements {
            value: Some(value),
            error: None,
        },
        Err(e) => Entitlements {
            value: None,
            error: Some(e),
        },
    });
    // the blobs inside the signature are bound by special slots too: compare them now
    for (slot, name) in [
        (SLOT_REQUIREMENTS, "requirements"),
        (SLOT_ENTITLEMENTS, "entitlements"),
        (SLOT_DER_ENTITLEMENTS, "DER entitlements"),
    ] {
        if let Some(entry) = entries.iter().find(|e| e.slot == slot) {
            let bound = blob(entry).to_vec();
            for directory in &mut facts.directories {
                compare_special(directory, slot, name, &bound);
            }
        }
    }
    let primary = entries
        .iter()
        .find(|e| e.slot == SLOT_CODE_DIRECTORY && e.magic == CODE_DIRECTORY)
        .map(blob)
        .unwrap_or_default();
    if let Some(cms) = payload(SLOT_SIGNATURE, BLOB_WRAPPER).filter(|p| !p.is_empty()) {
        facts.cms = Some(cms_signature(cms, primary, &facts.directories));
    }
    facts
}

/// Reads the SuperBlob's index: every blob's slot, magic and size, each within the bytes.
fn index(bytes: &[u8]) -> CodeSignatureFacts {
    let mut facts = CodeSignatureFacts {
        bytes: bytes.len(),
        ..CodeSignatureFacts::default()
    };
    let be = |at: usize| be32(bytes, at);
    let (Some(magic), Some(length), Some(count)) = (be(0), be(4), be(8)) else {
        facts.error = Some(format!("{} bytes: too short for a SuperBlob header", bytes.len()));
        return facts;
    };
    if magic != EMBEDDED_SIGNATURE {
        facts.error = Some(format!("magic {magic:#010x}, not an embedded signature (0xfade0cc0)"));
        return facts;
    }
    if length as usize > bytes.len() {
        facts.error = Some(format!("the SuperBlob says {length} bytes, {} were read", bytes.len()));
        return facts;
    }
    if count > MAX_BLOBS {
        facts.error = Some(format!("{count} blobs in the index (at most {MAX_BLOBS})"));
        return facts;
    }
    for i in 0..count as usize {
        let at = 12 + i * 8;
        let (Some(slot), Some(offset)) = (be(at), be(at + 4)) else {
            facts.error = Some(format!("the index is cut at blob {i}"));
            return facts;
        };
        let (Some(blob_magic), Some(blob_length)) = (be(offset as usize), be(offset as usize + 4)) else {
            facts.error = Some(format!("blob {i} (slot {slot:#x}) is outside the SuperBlob"));
            return facts;
        };
        // a blob whose length runs past the SuperBlob keeps what is there: the blob is broken
        // (its reader says so from its own length field), not the signature's index
        let room = length.saturating_sub(offset);
        facts.blobs.push(BlobEntry {
            slot,
            magic: blob_magic,
            offset,
            length: blob_length.min(room),
        });
    }
    facts
}

/// A CodeDirectory's hash type: its name, ring's algorithm and the bytes kept of each digest.
fn hash_kind(hash_type: u8) -> Option<(&'static str, &'static ring::digest::Algorithm, usize)> {
    Some(match hash_type {
        1 => ("sha1", &ring::digest::SHA1_FOR_LEGACY_USE_ONLY, 20),
        2 => ("sha256", &ring::digest::SHA256, 32),
        3 => ("sha256-truncated", &ring::digest::SHA256, 20),
        4 => ("sha384", &ring::digest::SHA384, 48),
        _ => return None,
    })
}

/// `bytes` hashed as the CodeDirectory's `hashType` says (truncated where it says so).
fn digest(hash_type: u8, bytes: &[u8]) -> Option<Vec<u8>> {
    let (_, algorithm, size) = hash_kind(hash_type)?;
    let d = ring::digest::digest(algorithm, bytes);
    Some(d.as_ref().get(..size)?.to_vec())
}

/// The full digest of a CodeDirectory blob by its own hash type (the hash agility attribute's).
fn full_digest(hash_type: u8, bytes: &[u8]) -> Option<Vec<u8>> {
    let (_, algorithm, _) = hash_kind(hash_type)?;
    Some(ring::digest::digest(algorithm, bytes).as_ref().to_vec())
}

/// A NUL-terminated string at `at` within `blob`.
fn c_string(blob: &[u8], at: usize) -> Option<String> {
    let rest = blob.get(at..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// Reads one CodeDirectory blob (header included).
fn code_directory(slot: u32, blob: &[u8]) -> CodeDirectory {
    let mut cd = CodeDirectory {
        slot,
        ..CodeDirectory::default()
    };
    let field = |at: usize| be32(blob, at);
    let (
        Some(magic),
        Some(version),
        Some(flags),
        Some(hash_offset),
        Some(ident_offset),
        Some(n_special),
        Some(n_code),
        Some(code_limit),
    ) = (
        field(0),
        field(8),
        field(12),
        field(16),
        field(20),
        field(24),
        field(28),
        field(32),
    )
    else {
        cd.error = Some(format!("{} bytes: too short for a CodeDirectory", blob.len()));
        return cd;
    };
    if magic != CODE_DIRECTORY {
        cd.error = Some(format!("magic {magic:#010x}, not a CodeDirectory (0xfade0c02)"));
        return cd;
    }
    if field(4).is_none_or(|l| l as usize != blob.len()) {
        cd.error = Some(format!(
            "its length field says {} bytes, the SuperBlob holds {}",
            field(4).unwrap_or_default(),
            blob.len()
        ));
        return cd;
    }
    let (Some(&hash_size), Some(&hash_type), Some(&page_shift)) = (blob.get(36), blob.get(37), blob.get(39)) else {
        cd.error = Some("too short for a CodeDirectory".to_string());
        return cd;
    };
    cd.version = version;
    cd.flags = flags;
    cd.hash_type = hash_type;
    cd.special_slots = n_special;
    cd.code_slots = n_code;
    cd.code_limit = u64::from(code_limit);
    cd.page_size = if page_shift == 0 || page_shift > 32 {
        0
    } else {
        1u64 << page_shift
    };
    cd.full_hash = full_digest(hash_type, blob);
    cd.cdhash = cd.full_hash.as_deref().map(crate::cms::hex).unwrap_or_default();
    cd.hash = hash_kind(hash_type).map_or("unknown", |k| k.0).to_string();
    match c_string(blob, ident_offset as usize) {
        Some(identifier) => cd.identifier = identifier,
        None => {
            cd.error = Some("its identifier is outside it".to_string());
            return cd;
        }
    }
    if version >= 0x20200 {
        let team = field(48).filter(|t| *t != 0);
        if let Some(at) = team {
            cd.team_id = c_string(blob, at as usize);
        }
    }
    if version >= 0x20300
        && let Some(limit) = be64(blob, 56).filter(|l| *l != 0)
    {
        cd.code_limit = limit;
    }
    let Some((_, _, size)) = hash_kind(hash_type) else {
        cd.error = Some(format!("hash type {hash_type} is not one iOS uses"));
        return cd;
    };
    if usize::from(hash_size) != size {
        cd.error = Some(format!("hash size {hash_size} for a {} hash of {size} bytes", cd.hash));
        return cd;
    }
    if n_special > MAX_SPECIAL_SLOTS || n_code > MAX_CODE_SLOTS {
        cd.error = Some(format!(
            "{n_special} special and {n_code} code slots: more than a file has"
        ));
        return cd;
    }
    let hash_offset = hash_offset as usize;
    if hash_offset < n_special as usize * size {
        cd.error = Some("its special slots start before it".to_string());
        return cd;
    }
    if hash_offset + n_code as usize * size > blob.len() {
        cd.error = Some("its hashes run past it".to_string());
        return cd;
    }
    // slot -n is at hashOffset - n * hashSize
    cd.special_hashes = (1..=n_special as usize)
        .filter_map(|n| {
            blob.get(hash_offset - n * size..hash_offset - (n - 1) * size)
                .map(<[u8]>::to_vec)
        })
        .collect();
    cd.code_hashes = blob
        .get(hash_offset..hash_offset + n_code as usize * size)
        .unwrap_or_default()
        .chunks(size)
        .map(<[u8]>::to_vec)
        .collect();
    let pages_needed = match cd.page_size {
        0 => u64::from(cd.code_limit > 0),
        page => cd.code_limit.div_ceil(page),
    };
    if pages_needed != u64::from(n_code) {
        cd.error = Some(format!(
            "{n_code} code slots for a codeLimit of {} bytes ({pages_needed} pages)",
            cd.code_limit
        ));
    }
    cd
}

/// Compares special slot `slot` of `cd` with the bytes it binds, and records it.
fn compare_special(cd: &mut CodeDirectory, slot: u32, name: &str, bytes: &[u8]) {
    if cd.error.is_some() {
        return;
    }
    let listed = cd
        .special_hashes
        .get((slot as usize).wrapping_sub(1))
        .filter(|h| h.iter().any(|b| *b != 0));
    let actual = digest(cd.hash_type, bytes);
    let matches = listed.is_some_and(|h| Some(h) == actual.as_ref());
    cd.special.retain(|s| s.slot != slot);
    cd.special.push(SpecialSlot {
        slot,
        name: name.to_string(),
        listed: listed.is_some(),
        matches,
    });
    cd.special.sort_by_key(|s| s.slot);
}

/// `--deep`, with a bundle file's bytes: compares special slot `slot` (1 Info.plist,
/// 3 CodeResources) of every CodeDirectory with them.
pub fn check_special(facts: &mut CodeSignatureFacts, slot: u32, bytes: &[u8]) {
    let name = match slot {
        SPECIAL_INFO_PLIST => "Info.plist",
        SPECIAL_CODE_RESOURCES => "CodeResources",
        SLOT_REQUIREMENTS => "requirements",
        SLOT_ENTITLEMENTS => "entitlements",
        SLOT_DER_ENTITLEMENTS => "DER entitlements",
        _ => "special slot",
    };
    if slot == 0 {
        return;
    }
    for directory in &mut facts.directories {
        compare_special(directory, slot, name, bytes);
    }
}

/// `--deep`, with the slice's bytes (from its start): compares every code page of every
/// CodeDirectory with them.
pub fn check_pages(facts: &mut CodeSignatureFacts, slice: &[u8]) {
    for cd in &mut facts.directories {
        if cd.error.is_some() {
            continue;
        }
        let mut check = PageCheck {
            pages: cd.code_slots,
            ..PageCheck::default()
        };
        let limit = usize::try_from(cd.code_limit).unwrap_or(usize::MAX);
        let Some(code) = slice.get(..limit) else {
            check.error = Some(format!(
                "the file has {} bytes, its codeLimit is {}",
                slice.len(),
                cd.code_limit
            ));
            cd.pages = Some(check);
            continue;
        };
        let page = match cd.page_size {
            0 => code.len().max(1),
            p => usize::try_from(p).unwrap_or(usize::MAX),
        };
        for (i, (bytes, listed)) in code.chunks(page).zip(&cd.code_hashes).enumerate() {
            if digest(cd.hash_type, bytes).as_ref() != Some(listed) {
                check.differing += 1;
                if check.first_differing.len() < MAX_LISTED_PAGES {
                    check.first_differing.push(i as u32);
                }
            }
        }
        cd.pages = Some(check);
    }
}

/// The XML entitlements plist, read within the crate's bounds.
fn xml_entitlements(bytes: &[u8]) -> Entitlements {
    match crate::bounded::read_plist(bytes) {
        Ok(value @ plist::Value::Dictionary(_)) => Entitlements {
            value: Some(crate::bounded::to_json(&value).0),
            error: None,
        },
        Ok(_) => Entitlements {
            value: None,
            error: Some("the entitlements plist is not a dictionary".to_string()),
        },
        Err(e) => Entitlements {
            value: None,
            error: Some(format!("the entitlements are not a plist: {e}")),
        },
    }
}

/// Apple's DER entitlements (`CoreEntitlements`): `[APPLICATION 16] { INTEGER 1, dict }`, where a
/// dictionary is `[CONTEXT 16] { SEQUENCE { UTF8String key, value } … }`, an array a
/// `SEQUENCE`, and the scalars `BOOLEAN`, `INTEGER` and `UTF8String`. Read as JSON; linear in
/// the bytes, nesting at most `MAX_DEPTH` levels, at most `MAX_ENTITLEMENT_VALUES` values.
pub fn der_entitlements(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let (tag, body, rest) = tlv(bytes).ok_or("the DER entitlements do not start with a DER element")?;
    if tag != 0x70 || !rest.is_empty() {
        return Err(format!(
            "the DER entitlements are not one [APPLICATION 16] element (tag {tag:#04x})"
        ));
    }
    let (tag, version, body) = tlv(body).ok_or("the DER entitlements have no version")?;
    if tag != 0x02 || version != [1] {
        return Err("the DER entitlements are not version 1".to_string());
    }
    let mut values = 0usize;
    let (value, rest) = der_value(body, 0, &mut values)?;
    if !rest.is_empty() || !value.is_object() {
        return Err("the DER entitlements are not one dictionary".to_string());
    }
    Ok(value)
}

/// One DER element: (tag, content, what follows). Definite lengths only (DER), single-byte tags.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first & 0x80 == 0 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = rest.get(..n)?.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, rest.get(n..)?)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

fn der_value<'a>(input: &'a [u8], depth: usize, values: &mut usize) -> Result<(serde_json::Value, &'a [u8]), String> {
    use serde_json::Value as J;
    if depth > crate::bounded::MAX_DEPTH {
        return Err(format!(
            "the DER entitlements nest deeper than {} levels",
            crate::bounded::MAX_DEPTH
        ));
    }
    *values += 1;
    if *values > MAX_ENTITLEMENT_VALUES {
        return Err(format!(
            "the DER entitlements hold more than {MAX_ENTITLEMENT_VALUES} values"
        ));
    }
    let (tag, content, rest) = tlv(input).ok_or("the DER entitlements are cut or not DER")?;
    let value = match tag {
        0x01 => match content {
            [0] => J::Bool(false),
            [_] => J::Bool(true),
            _ => return Err("a BOOLEAN of more than one byte".to_string()),
        },
        0x02 => {
            if content.is_empty() || content.len() > 8 {
                return Err("an INTEGER of more than 64 bits".to_string());
            }
            let negative = content[0] & 0x80 != 0;
            let start: i64 = if negative { -1 } else { 0 };
            J::from(content.iter().fold(start, |a, b| (a << 8) | i64::from(*b)))
        }
        0x0c => J::String(
            std::str::from_utf8(content)
                .map_err(|_| "a UTF8String that is not UTF-8".to_string())?
                .to_string(),
        ),
        0x30 => {
            let mut items = Vec::new();
            let mut inner = content;
            while !inner.is_empty() {
                let (item, after) = der_value(inner, depth + 1, values)?;
                items.push(item);
                inner = after;
            }
            J::Array(items)
        }
        0xb0 => {
            let mut map = serde_json::Map::new();
            let mut inner = content;
            while !inner.is_empty() {
                let (tag, pair, after) = tlv(inner).ok_or("a dictionary entry is cut or not DER")?;
                if tag != 0x30 {
                    return Err(format!("a dictionary entry is not a SEQUENCE (tag {tag:#04x})"));
                }
                let (key_tag, key, value_bytes) = tlv(pair).ok_or("a dictionary key is cut")?;
                if key_tag != 0x0c {
                    return Err("a dictionary key is not a UTF8String".to_string());
                }
                let key = std::str::from_utf8(key).map_err(|_| "a dictionary key that is not UTF-8".to_string())?;
                let (value, end) = der_value(value_bytes, depth + 1, values)?;
                if !end.is_empty() {
                    return Err(format!("the entry {key:?} has more than a key and a value"));
                }
                map.insert(key.to_string(), value);
                inner = after;
            }
            J::Object(map)
        }
        other => return Err(format!("a value of DER tag {other:#04x}, not one entitlements use")),
    };
    Ok((value, rest))
}

/// The CMS blob: parsed, its signer checked over the primary CodeDirectory, and Apple's two
/// attributes compared with the CodeDirectories present.
fn cms_signature(bytes: &[u8], primary: &[u8], directories: &[CodeDirectory]) -> CmsSignature {
    let mut sig = CmsSignature {
        bytes: bytes.len(),
        ..CmsSignature::default()
    };
    let signed = match crate::cms::signed_data(bytes) {
        Ok((signed, _)) => signed,
        Err(e) => {
            sig.error = Some(e);
            return sig;
        }
    };
    let ders = crate::cms::certificates(&signed);
    let parsed: Vec<(&[u8], X509Certificate<'_>)> = ders
        .iter()
        .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| (d.as_slice(), c)))
        .collect();
    let certs: Vec<X509Certificate<'_>> = parsed.iter().map(|(_, c)| c.clone()).collect();
    let check = match crate::cms::check_signer(&signed, primary, &certs) {
        Ok(check) => check,
        Err(crate::cms::SignerError::NoSignerCertificate) => {
            sig.error = Some("the signer's certificate is not in the signature".to_string());
            return sig;
        }
        Err(crate::cms::SignerError::Invalid(why) | crate::cms::SignerError::Unsupported(why)) => {
            sig.error = Some(why);
            return sig;
        }
    };
    if let Some((der, cert)) = parsed.get(check.signer) {
        sig.signer = Some(SignerCertificate {
            subject: crate::cms::cert_name(cert),
            team: crate::cms::team(cert),
            serial: cert.raw_serial_as_string(),
            sha256: crate::cms::fingerprint(der),
            not_before: Some(cert.validity().not_before.to_datetime()),
            not_after: Some(cert.validity().not_after.to_datetime()),
            der: der.to_vec(),
        });
    }
    sig.chain = parsed
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != check.signer)
        .map(|(_, (_, c))| crate::cms::cert_name(c))
        .collect();
    sig.signer_der = parsed.get(check.signer).map(|(d, _)| d.to_vec()).unwrap_or_default();
    sig.chain_der = parsed
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != check.signer)
        .map(|(_, (d, _))| d.to_vec())
        .collect();
    sig.digest_algorithm = check.digest_algorithm.clone();
    sig.signature_algorithm = check.signature_algorithm.clone();
    sig.signing_time = check.signing_time;
    sig.signature_verifies = check.signature_verifies;
    sig.message_digest = check.message_digest;
    for (oid, values) in &check.other_attributes {
        if oid == OID_CDHASHES_PLIST {
            sig.cdhashes = Some(values.first().is_some_and(|v| cdhashes_plist_agrees(v, directories)));
        } else if oid == OID_CDHASHES_AGILITY {
            sig.hash_agility = Some(!values.is_empty() && values.iter().all(|v| agility_agrees(v, directories)));
        }
    }
    sig
}

/// The `cdhashes` attribute (an OCTET STRING holding a plist `{cdhashes: [data…]}`) lists the
/// (20-byte) hash of every CodeDirectory present, and nothing else.
fn cdhashes_plist_agrees(value_der: &[u8], directories: &[CodeDirectory]) -> bool {
    use der::Decode as _;
    let Ok(octets) = der::asn1::OctetString::from_der(value_der) else {
        return false;
    };
    let Ok(plist) = crate::bounded::read_plist(octets.as_bytes()) else {
        return false;
    };
    let Some(listed) = plist
        .as_dictionary()
        .and_then(|d| d.get("cdhashes"))
        .and_then(plist::Value::as_array)
    else {
        return false;
    };
    let mut listed: Vec<Vec<u8>> = listed.iter().filter_map(|v| v.as_data().map(<[u8]>::to_vec)).collect();
    let mut present: Vec<Vec<u8>> = directories
        .iter()
        .filter_map(|d| d.full_hash.as_ref().map(|h| h.iter().take(20).copied().collect()))
        .collect();
    listed.sort();
    present.sort();
    !present.is_empty() && listed == present
}

/// One hash-agility entry (`SEQUENCE { digest OID, OCTET STRING }`) is the full digest of a
/// CodeDirectory present.
fn agility_agrees(value_der: &[u8], directories: &[CodeDirectory]) -> bool {
    let Some((0x30, body, [])) = tlv(value_der) else {
        return false;
    };
    let Some((0x06, oid, rest)) = tlv(body) else {
        return false;
    };
    let Some((0x04, hash, [])) = tlv(rest) else {
        return false;
    };
    let hash_type = match oid {
        [0x2b, 0x0e, 0x03, 0x02, 0x1a] => 1,
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01] => 2,
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02] => 4,
        _ => return false,
    };
    directories.iter().any(|d| {
        let same_kind = d.hash_type == hash_type || (d.hash_type == 3 && hash_type == 2);
        same_kind && d.full_hash.as_deref() == Some(hash)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn superblob(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let header = 12 + 8 * blobs.len();
        let mut index = Vec::new();
        let mut body = Vec::new();
        for (slot, blob) in blobs {
            index.extend_from_slice(&slot.to_be_bytes());
            index.extend_from_slice(&((header + body.len()) as u32).to_be_bytes());
            body.extend_from_slice(blob);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&EMBEDDED_SIGNATURE.to_be_bytes());
        out.extend_from_slice(&((header + body.len()) as u32).to_be_bytes());
        out.extend_from_slice(&(blobs.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(body);
        out
    }

    fn blob(magic: u32, payload: &[u8]) -> Vec<u8> {
        let mut b = magic.to_be_bytes().to_vec();
        b.extend_from_slice(&((8 + payload.len()) as u32).to_be_bytes());
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn the_index_is_read_and_every_blob_is_inside() {
        let bytes = superblob(&[(0, blob(0xfade_0c02, &[0; 40])), (0x10000, blob(0xfade_0b01, &[1; 8]))]);
        let facts = read(&bytes);
        assert_eq!(facts.error, None);
        assert_eq!(facts.blobs.len(), 2);
        assert_eq!(facts.blobs[1].slot, 0x10000);
        assert_eq!(facts.blobs[1].magic, 0xfade_0b01);
    }

    #[test]
    fn broken_superblobs_are_said_never_a_panic() {
        assert!(read(&[]).error.is_some());
        assert!(read(&[0xfa, 0xde, 0x0c, 0xc0, 0, 0, 0, 12, 0, 0, 0, 1]).error.is_some());
        let mut bytes = superblob(&[(0, blob(0xfade_0c02, &[0; 40]))]);
        bytes[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(read(&bytes).error.is_some());
        for cut in 0..bytes.len() {
            let _ = read(&bytes[..cut]);
        }
    }

    /// A version 0x20400 SHA-256 CodeDirectory over `code`, 4 KiB pages, binding `special`
    /// (slot 1 first).
    fn directory(identifier: &str, team: &str, code: &[u8], special: &[Option<&[u8]>]) -> Vec<u8> {
        let sha = |b: &[u8]| ring::digest::digest(&ring::digest::SHA256, b).as_ref().to_vec();
        let mut strings = identifier.as_bytes().to_vec();
        strings.push(0);
        let team_at = 88 + strings.len();
        strings.extend_from_slice(team.as_bytes());
        strings.push(0);
        let hash_offset = 88 + strings.len() + special.len() * 32;
        let pages = code.len().div_ceil(4096);
        let length = hash_offset + pages * 32;
        let mut cd = Vec::new();
        for v in [
            CODE_DIRECTORY,
            length as u32,
            0x20400,
            0,
            hash_offset as u32,
            88,
            special.len() as u32,
            pages as u32,
            code.len() as u32,
        ] {
            cd.extend_from_slice(&v.to_be_bytes());
        }
        cd.extend_from_slice(&[32, 2, 0, 12]);
        cd.extend_from_slice(&[0; 4]);
        cd.extend_from_slice(&[0; 4]);
        cd.extend_from_slice(&(team_at as u32).to_be_bytes());
        cd.extend_from_slice(&[0; 4]);
        cd.extend_from_slice(&[0; 8]);
        cd.extend_from_slice(&[0; 24]);
        cd.extend_from_slice(&strings);
        for slot in special.iter().rev() {
            match slot {
                Some(bytes) => cd.extend(sha(bytes)),
                None => cd.extend([0u8; 32]),
            }
        }
        for page in code.chunks(4096) {
            cd.extend(sha(page));
        }
        cd
    }

    fn der_entitlements_bytes() -> Vec<u8> {
        fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
            let mut out = match content.len() {
                n @ 0..0x80 => vec![tag, n as u8],
                n => vec![tag, 0x82, (n >> 8) as u8, n as u8],
            };
            out.extend_from_slice(content);
            out
        }
        let entry = |key: &str, value: Vec<u8>| tlv(0x30, &[tlv(0x0c, key.as_bytes()), value].concat());
        let dict = tlv(
            0xb0,
            &[
                entry("application-identifier", tlv(0x0c, b"A1B2C3D4E5.com.example.field")),
                entry("get-task-allow", tlv(0x01, &[0])),
                entry("keychain-access-groups", tlv(0x30, &tlv(0x0c, b"A1B2C3D4E5.*"))),
                entry("n", tlv(0x02, &[0xff])),
            ]
            .concat(),
        );
        tlv(0x70, &[tlv(0x02, &[1]), dict].concat())
    }

    #[test]
    fn a_code_directory_is_read_with_its_slots() {
        let code = vec![7u8; 10_000];
        let requirements = blob(REQUIREMENTS, &[0; 4]);
        let ents = blob(
            ENTITLEMENTS,
            b"<plist version=\"1.0\"><dict><key>get-task-allow</key><false/></dict></plist>",
        );
        let der = blob(DER_ENTITLEMENTS, &der_entitlements_bytes());
        let cd = directory(
            "com.example.field",
            "A1B2C3D4E5",
            &code,
            &[
                Some(b"info"),
                Some(&requirements),
                None,
                None,
                Some(&ents),
                None,
                Some(&der),
            ],
        );
        let bytes = superblob(&[
            (0, cd),
            (2, requirements),
            (5, ents),
            (7, der),
            (0x10000, blob(BLOB_WRAPPER, &[])),
        ]);
        let mut facts = read(&bytes);
        assert_eq!(facts.error, None);
        let d = facts.primary().cloned().expect("primary");
        assert_eq!(d.error, None);
        assert_eq!(d.identifier, "com.example.field");
        assert_eq!(d.team_id.as_deref(), Some("A1B2C3D4E5"));
        assert_eq!(
            (d.hash.as_str(), d.page_size, d.code_slots, d.code_limit),
            ("sha256", 4096, 3, 10_000)
        );
        assert!(d.special.iter().all(|s| s.listed && s.matches), "{:?}", d.special);
        assert_eq!(d.special.len(), 3);
        assert!(facts.requirements);
        assert!(facts.cms.is_none(), "an empty CMS blob is ad hoc");
        let xml = facts.entitlements.clone().and_then(|e| e.value);
        assert_eq!(xml, Some(serde_json::json!({"get-task-allow": false})));
        let der = facts.der_entitlements.clone().and_then(|e| e.value).expect("der");
        assert_eq!(der["keychain-access-groups"], serde_json::json!(["A1B2C3D4E5.*"]));
        assert_eq!(der["n"], serde_json::json!(-1));
        assert_eq!(facts.effective_entitlements(), Some(&der));

        // --deep: the pages and Info.plist against the bytes
        check_pages(&mut facts, &code);
        check_special(&mut facts, SPECIAL_INFO_PLIST, b"info");
        let d = facts.primary().cloned().expect("primary");
        assert_eq!(d.pages.as_ref().map(|p| p.differing), Some(0));
        assert!(d.special.iter().any(|s| s.slot == 1 && s.matches));
        let mut changed = code.clone();
        changed[5000] ^= 1;
        check_pages(&mut facts, &changed);
        check_special(&mut facts, SPECIAL_INFO_PLIST, b"inf0");
        let d = facts.primary().cloned().expect("primary");
        assert_eq!(d.pages.as_ref().map(|p| p.first_differing.clone()), Some(vec![1]));
        assert!(d.special.iter().any(|s| s.slot == 1 && !s.matches));
        check_pages(&mut facts, &code[..100]);
        assert!(
            facts
                .primary()
                .and_then(|d| d.pages.as_ref())
                .and_then(|p| p.error.clone())
                .is_some()
        );
    }

    #[test]
    fn a_changed_entitlements_blob_no_longer_matches_its_slot() {
        let ents = blob(ENTITLEMENTS, b"<plist version=\"1.0\"><dict/></plist>");
        let cd = directory("a", "T", &[1; 10], &[None, None, None, None, Some(&ents)]);
        let other = blob(ENTITLEMENTS, b"<plist version=\"1.0\"><dict></dict></plist>");
        let facts = read(&superblob(&[(0, cd), (5, other)]));
        let d = facts.primary().cloned().expect("primary");
        assert_eq!(
            d.special,
            vec![SpecialSlot {
                slot: 5,
                name: "entitlements".into(),
                listed: true,
                matches: false
            }]
        );
    }

    #[test]
    fn der_entitlements_refuse_what_is_not_apples_encoding() {
        assert!(der_entitlements(&der_entitlements_bytes()).is_ok());
        assert!(der_entitlements(&[]).is_err());
        assert!(der_entitlements(&[0x70, 0x03, 0x02, 0x01, 0x02]).is_err(), "version 2");
        // arrays nested past the limit
        let mut value = vec![0x01, 0x01, 0xff];
        for _ in 0..100 {
            let mut outer = vec![0x30, 0x84];
            outer.extend_from_slice(&(value.len() as u32).to_be_bytes());
            outer.extend(value);
            value = outer;
        }
        let mut body = vec![0x02, 0x01, 0x01];
        body.extend(value);
        let mut der = vec![0x70, 0x84];
        der.extend_from_slice(&(body.len() as u32).to_be_bytes());
        der.extend(body);
        assert!(der_entitlements(&der).unwrap_err().contains("deeper"));
        let good = der_entitlements_bytes();
        for cut in 0..good.len() {
            assert!(der_entitlements(&good[..cut]).is_err());
        }
    }

    #[test]
    fn broken_code_directories_are_said_never_a_panic() {
        let cd = directory("com.example", "T", &[3; 9000], &[Some(b"x")]);
        for cut in 0..cd.len() {
            let facts = read(&superblob(&[(0, cd[..cut].to_vec())]));
            if let Some(d) = facts.primary() {
                assert!(d.error.is_some() || cut == cd.len(), "{cut}");
            }
        }
        for i in 0..120 {
            let mut bad = cd.clone();
            bad[i] = 0xff;
            let _ = read(&superblob(&[(0, bad)]));
        }
    }
}
