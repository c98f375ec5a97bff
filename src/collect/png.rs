//! The PNG signature and the image size from the IHDR chunk, read from the first bytes.

use crate::facts::PngFacts;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Reads the header of `bytes`; `is_png` is false when the signature or IHDR is missing.
pub fn header(bytes: &[u8]) -> PngFacts {
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return PngFacts::default();
    }
    let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    PngFacts {
        is_png: true,
        width: be(16),
        height: be(20),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_size() {
        let mut png = super::SIGNATURE.to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&57u32.to_be_bytes());
        png.extend_from_slice(&57u32.to_be_bytes());
        assert_eq!(
            super::header(&png),
            crate::facts::PngFacts {
                is_png: true,
                width: 57,
                height: 57
            }
        );
        assert!(!super::header(b"GIF89a............................").is_png);
    }
}
