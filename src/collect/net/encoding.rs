//! `Content-Encoding` as the installer decodes it: a gzip or deflate body is decoded, never to
//! more than the request's cap (a gzip bomb stops there, and reads as a body past the cap).
//! otadoctor sends no `Accept-Encoding` (what the installer sends is not recorded in the
//! reference), but a server may compress anyway, and the phone's URL loading decodes it.
//! Records; never judges.

use std::io::Read;

/// What decoding a body gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// No content coding (none, or `identity`), or one otadoctor does not decode (`br`, `zstd`,
    /// several stacked): the body stays as it came.
    AsIs,
    /// Decoded: at most `cap` bytes, `truncated` when the decoded body goes on past them.
    Body {
        coding: String,
        bytes: Vec<u8>,
        truncated: bool,
    },
    /// The body is not what its `Content-Encoding` says.
    Broken { coding: String, detail: String },
}

/// Decodes `body` (as received, `complete` when it was not cut at the cap) by its
/// `Content-Encoding` header value.
pub fn decode(content_encoding: Option<&str>, body: &[u8], complete: bool, cap: u64) -> Decoded {
    let codings: Vec<String> = content_encoding
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let [coding] = codings.as_slice() else {
        return Decoded::AsIs;
    };
    let result = match coding.as_str() {
        "gzip" | "x-gzip" => read_capped(flate2::read::MultiGzDecoder::new(body), complete, cap),
        // RFC 9110 "deflate" is zlib-wrapped; some servers send raw deflate, which the phone's
        // URL loading (like browsers) accepts too
        "deflate" => read_capped(flate2::read::ZlibDecoder::new(body), complete, cap)
            .or_else(|_| read_capped(flate2::read::DeflateDecoder::new(body), complete, cap)),
        _ => return Decoded::AsIs,
    };
    match result {
        Ok((bytes, truncated)) => Decoded::Body {
            coding: coding.clone(),
            bytes,
            truncated,
        },
        Err(e) => Decoded::Broken {
            coding: coding.clone(),
            detail: e.to_string(),
        },
    }
}

/// Reads at most `cap` decoded bytes, and whether there were more. A stream cut at the cap on
/// the wire (`complete` false) gives what it holds, cut.
fn read_capped(decoder: impl Read, complete: bool, cap: u64) -> std::io::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut limited = decoder.take(cap.saturating_add(1));
    match limited.read_to_end(&mut out) {
        Ok(_) => {}
        Err(_) if !complete && !out.is_empty() => return Ok((out, true)),
        Err(e) => return Err(e),
    }
    let truncated = out.len() as u64 > cap || !complete;
    out.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    Ok((out, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).expect("gzip");
        e.finish().expect("gzip")
    }

    #[test]
    fn gzip_and_deflate_bodies_are_decoded_within_the_cap() {
        let text = b"<?xml version=\"1.0\"?><plist/>".to_vec();
        assert_eq!(
            decode(Some("gzip"), &gzip(&text), true, 1024),
            Decoded::Body {
                coding: "gzip".to_string(),
                bytes: text.clone(),
                truncated: false
            }
        );
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&text).expect("zlib");
        let zlib = zlib.finish().expect("zlib");
        assert!(matches!(decode(Some("Deflate"), &zlib, true, 1024), Decoded::Body { bytes, .. } if bytes == text));
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&text).expect("deflate");
        let raw = raw.finish().expect("deflate");
        assert!(matches!(decode(Some("deflate"), &raw, true, 1024), Decoded::Body { bytes, .. } if bytes == text));
        assert_eq!(decode(None, &text, true, 1024), Decoded::AsIs);
        assert_eq!(decode(Some("identity"), &text, true, 1024), Decoded::AsIs);
        assert_eq!(decode(Some("br"), &text, true, 1024), Decoded::AsIs);
    }

    #[test]
    fn a_bomb_stops_at_the_cap_and_garbage_is_broken() {
        let bomb = gzip(&vec![b' '; 4 * 1024 * 1024]);
        match decode(Some("gzip"), &bomb, true, 1000) {
            Decoded::Body { bytes, truncated, .. } => {
                assert_eq!(bytes.len(), 1000);
                assert!(truncated);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(Some("gzip"), b"<?xml not gzip", true, 1000),
            Decoded::Broken { .. }
        ));
    }
}
