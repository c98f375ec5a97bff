//! Apple code signatures, read from the bytes `LC_CODE_SIGNATURE` points at: the SuperBlob
//! and its blobs (CodeDirectories, requirements, XML and DER entitlements, the CMS signature).
//! Pure parsing; the collector fetches the bytes, the SIG rules judge what is read here.

use serde::Serialize;

/// The SuperBlob's magic (`CSMAGIC_EMBEDDED_SIGNATURE`).
pub const EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
/// The most blobs an index may list (a real signature has fewer than 10).
pub const MAX_BLOBS: u32 = 64;

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
}

/// Reads the SuperBlob's index: every blob's slot, magic and size, each within the bytes.
pub fn read(bytes: &[u8]) -> CodeSignatureFacts {
    let mut facts = CodeSignatureFacts {
        bytes: bytes.len(),
        ..CodeSignatureFacts::default()
    };
    let be = |at: usize| -> Option<u32> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
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
        if u64::from(offset) + u64::from(blob_length) > u64::from(length) {
            facts.error = Some(format!("blob {i} (slot {slot:#x}) runs past the SuperBlob"));
            return facts;
        }
        facts.blobs.push(BlobEntry {
            slot,
            magic: blob_magic,
            offset,
            length: blob_length,
        });
    }
    facts
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
}
