//! QR codes in an image: a screenshot of an install page, a photo of a poster.
//!
//! The image (PNG or JPEG, recognised by its first bytes) is decoded by the `image` crate under
//! limits — at most `MAX_SIDE` pixels a side, `MAX_PIXELS` in all and `MAX_ALLOC` bytes of
//! decoder memory — and turned grey. rxing (a port of ZXing) then finds and decodes every QR
//! code in it; a large image is searched at most `SEARCH_SIDE` pixels a side, and when nothing
//! is read, again with specks taken out (a 3×3 median), then at half size (a blurred photo
//! often reads better smaller): at most three searches, each linear in the pixels. The codes come in reading order: top to bottom, and left to right within a row.
//!
//! Nothing here judges what a code says: each text is read as a pasted text is
//! (`input::read_image`).

use std::collections::HashSet;
use std::io::Cursor;

use rxing::common::HybridBinarizer;
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::qrcode::detector::FinderPatternFinder;
use rxing::{
    BarcodeFormat, BinaryBitmap, DecodeHints, Luma8LuminanceSource, MultiUseMultiFormatReader, RXingResultMetadataType,
    RXingResultMetadataValue,
};

/// The longest side of an image this tool decodes (a phone's photo is 4000–8000 pixels).
pub const MAX_SIDE: u32 = 12_000;
/// The most pixels an image may have (48 megapixels).
pub const MAX_PIXELS: u64 = 48_000_000;
/// The most memory the image decoder may take.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The longest side a search runs at: larger images are scaled down first.
pub const SEARCH_SIDE: u32 = 4_000;

/// The kind of image, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
        }
    }
}

/// PNG (`\x89PNG\r\n\x1a\n`) or JPEG (`\xff\xd8\xff`), by content, never by name.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some(Format::Jpeg)
    } else {
        None
    }
}

/// One code read from the image.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub text: String,
    /// The points rxing located the code by (the finder patterns' centres: bottom-left,
    /// top-left, top-right, and an alignment pattern when there is one), in the image's pixels.
    pub points: Vec<[f32; 2]>,
    /// The top-left corner of the box around those points, in the image's pixels.
    pub x: u32,
    pub y: u32,
    /// The error-correction level (L, M, Q, H), when the decoder said.
    pub ec_level: Option<String>,
}

/// What searching an image gave.
#[derive(Debug, Clone)]
pub struct Search {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// Every code read, in reading order.
    pub codes: Vec<Code>,
    /// No code was read, but three finder patterns (the squares in a code's corners) were
    /// seen: a code is there that could not be read (blurred, too small, damaged).
    pub finder_seen: bool,
}

/// Why an image could not be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error(
        "the image is {width}×{height} pixels; this tool reads images of at most {MAX_SIDE} pixels a side and {} megapixels",
        MAX_PIXELS / 1_000_000
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the {format} data is not a readable image ({reason})")]
    Undecodable { format: &'static str, reason: String },
}

/// Decodes the image in `bytes` and reads every QR code in it.
pub fn search(bytes: &[u8]) -> Result<Search, ImageError> {
    let format = sniff(bytes).ok_or(ImageError::Undecodable {
        format: "image",
        reason: "neither PNG nor JPEG".to_string(),
    })?;
    let undecodable = |e: image::ImageError| ImageError::Undecodable {
        format: format.name(),
        reason: e.to_string(),
    };
    let image_format = match format {
        Format::Png => image::ImageFormat::Png,
        Format::Jpeg => image::ImageFormat::Jpeg,
    };
    let reader = || {
        let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_ALLOC);
        reader.limits(limits);
        reader
    };
    // the header first: a size past the limits is said as such, before any pixel is decoded
    let (width, height) = match png_size(bytes) {
        Some(size) => size,
        None => image::ImageReader::with_format(Cursor::new(bytes), image_format)
            .into_dimensions()
            .map_err(undecodable)?,
    };
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    let grey = reader().decode().map_err(undecodable)?.into_luma8();
    let mut search = Search {
        format,
        width,
        height,
        codes: Vec::new(),
        finder_seen: false,
    };
    let longest = width.max(height);
    let first = if longest > SEARCH_SIDE {
        longest as f32 / SEARCH_SIDE as f32
    } else {
        1.0
    };
    // as it is; then with specks taken out (a 3×3 median: dust, a scratched print, a noisy
    // sensor); then at half size (a blurred photo often reads better smaller)
    let mut attempts = vec![(first, false), (first, true)];
    if longest as f32 / first >= 800.0 {
        attempts.push((first * 2.0, false));
    }
    for (scale, despeckle) in attempts {
        let (codes, seen) = search_at(&grey, scale, despeckle);
        search.finder_seen |= seen;
        if !codes.is_empty() {
            search.codes = reading_order(codes);
            search.finder_seen = false;
            break;
        }
    }
    Ok(search)
}

/// A PNG's size from its header (the IHDR chunk, first after the signature), whatever follows.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let ihdr = bytes.get(8..24)?;
    if &ihdr[..8] != b"\x00\x00\x00\x0dIHDR" {
        return None;
    }
    let word = |at: usize| {
        ihdr.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    Some((word(8)?, word(12)?))
}

/// Searches `grey` scaled down by `scale` (≥ 1), median-filtered when `despeckle`; positions
/// are given back in `grey`'s pixels.
fn search_at(grey: &image::GrayImage, scale: f32, despeckle: bool) -> (Vec<Code>, bool) {
    let mut owned = None;
    if scale > 1.0 {
        let w = ((grey.width() as f32 / scale).round() as u32).max(1);
        let h = ((grey.height() as f32 / scale).round() as u32).max(1);
        owned = Some(image::imageops::resize(
            grey,
            w,
            h,
            image::imageops::FilterType::Triangle,
        ));
    }
    if despeckle {
        owned = Some(median3(owned.as_ref().unwrap_or(grey)));
    }
    let image = owned.as_ref().unwrap_or(grey);
    let hints = DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        ..DecodeHints::default()
    };
    let Ok(source) = Luma8LuminanceSource::new(image.as_raw().clone(), image.width(), image.height()) else {
        return (Vec::new(), false);
    };
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let mut reader = GenericMultipleBarcodeReader::new(MultiUseMultiFormatReader::default());
    // the decoder is a library's code run on the input's pixels: a panic in it is an image
    // not read, not a crash of the run
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.decode_multiple_with_hints(&mut bitmap, &hints)
    }));
    let results = match decoded {
        Ok(Ok(results)) => results,
        _ => Vec::new(),
    };
    let mut codes = Vec::new();
    for result in results {
        if result.getBarcodeFormat() != &BarcodeFormat::QR_CODE {
            continue;
        }
        let points: Vec<[f32; 2]> = result
            .getPoints()
            .iter()
            .map(|p| [p.x * scale, p.y * scale])
            .filter(|[x, y]| x.is_finite() && y.is_finite())
            .collect();
        let x = points.iter().map(|p| p[0]).fold(f32::INFINITY, f32::min);
        let y = points.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min);
        let ec_level = match result
            .getRXingResultMetadata()
            .get(&RXingResultMetadataType::ERROR_CORRECTION_LEVEL)
        {
            Some(RXingResultMetadataValue::ErrorCorrectionLevel(level)) => Some(level.clone()),
            _ => None,
        };
        codes.push(Code {
            text: result.getText().to_string(),
            points,
            x: if x.is_finite() { x.max(0.0).round() as u32 } else { 0 },
            y: if y.is_finite() { y.max(0.0).round() as u32 } else { 0 },
            ec_level,
        });
    }
    let seen = codes.is_empty()
        && std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            FinderPatternFinder::new(bitmap.get_black_matrix()).find(&hints).is_ok()
        }))
        .unwrap_or(false);
    (codes, seen)
}

/// The image with each pixel replaced by the median of its 3×3 neighbourhood (the edges
/// repeated): isolated black or white specks vanish, edges stay. Nine reads a pixel.
fn median3(image: &image::GrayImage) -> image::GrayImage {
    let (w, h) = (image.width(), image.height());
    let raw = image.as_raw();
    let at = |x: u32, y: u32| raw[(y as usize) * (w as usize) + x as usize];
    image::GrayImage::from_fn(w, h, |x, y| {
        let mut window = [0u8; 9];
        let mut k = 0;
        for dy in [-1i64, 0, 1] {
            for dx in [-1i64, 0, 1] {
                let nx = (i64::from(x) + dx).clamp(0, i64::from(w) - 1) as u32;
                let ny = (i64::from(y) + dy).clamp(0, i64::from(h) - 1) as u32;
                window[k] = at(nx, ny);
                k += 1;
            }
        }
        let (_, median, _) = window.select_nth_unstable(4);
        image::Luma([*median])
    })
}

/// The codes top to bottom, and left to right within a row: a code starts a new row when its
/// top is below the bottom of the row's first code.
fn reading_order(mut codes: Vec<Code>) -> Vec<Code> {
    let bottom = |c: &Code| c.points.iter().map(|p| p[1]).fold(c.y as f32, f32::max);
    codes.sort_by_key(|c| (c.y, c.x));
    let mut rows: Vec<Vec<Code>> = Vec::new();
    let mut row_bottom = f32::NEG_INFINITY;
    for code in codes {
        match rows.last_mut() {
            Some(row) if (code.y as f32) < row_bottom => row.push(code),
            _ => {
                row_bottom = bottom(&code);
                rows.push(vec![code]);
            }
        }
    }
    rows.into_iter()
        .flat_map(|mut row| {
            row.sort_by_key(|c| (c.x, c.y));
            row
        })
        .collect()
}

/// How a code's text that is not a link is described ("a Wi-Fi network's settings").
pub fn describe_text(text: &str) -> String {
    let upper: String = text
        .trim_start()
        .chars()
        .take(12)
        .collect::<String>()
        .to_ascii_uppercase();
    let kind = if upper.starts_with("WIFI:") {
        "a Wi-Fi network's settings"
    } else if upper.starts_with("BEGIN:VCARD") || upper.starts_with("MECARD:") {
        "a contact card"
    } else if upper.starts_with("BEGIN:VEVENT") || upper.starts_with("BEGIN:VCALENDAR") {
        "a calendar event"
    } else if upper.starts_with("MAILTO:") || upper.starts_with("MATMSG:") {
        "an e-mail address"
    } else if upper.starts_with("TEL:") || upper.starts_with("SMS") {
        "a phone number"
    } else if upper.starts_with("GEO:") {
        "a map location"
    } else {
        "text"
    };
    let shown: String = text.chars().take(60).flat_map(char::escape_debug).collect();
    let more = if text.chars().count() > 60 { "…" } else { "" };
    format!("{kind} (\"{shown}{more}\")")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(x: u32, y: u32, size: f32) -> Code {
        let (fx, fy) = (x as f32, y as f32);
        Code {
            text: format!("{x},{y}"),
            points: vec![[fx, fy + size], [fx, fy], [fx + size, fy]],
            x,
            y,
            ec_level: None,
        }
    }

    #[test]
    fn codes_come_in_rows_then_columns() {
        // a row whose second code sits a little higher than its first
        let order = reading_order(vec![code(300, 10, 100.0), code(20, 30, 100.0), code(10, 400, 100.0)]);
        let texts: Vec<&str> = order.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["20,30", "300,10", "10,400"]);
    }

    #[test]
    fn sniffing_is_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some(Format::Jpeg));
        assert_eq!(sniff(b"PNG"), None);
        assert_eq!(sniff(b"\xff\xd8"), None);
    }

    #[test]
    fn a_header_claiming_a_huge_image_is_refused_before_decoding() {
        // a PNG signature and an IHDR claiming 100000×100000, no pixel data
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 0, 0, 0, 0]);
        let crc = crc32(&png[12..]);
        png.extend_from_slice(&crc.to_be_bytes());
        match search(&png) {
            Err(ImageError::TooLarge { width, height }) => assert_eq!((width, height), (100_000, 100_000)),
            other => panic!("{other:?}"),
        }
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn other_texts_are_said_plainly() {
        assert!(describe_text("WIFI:S:cafe;T:WPA;P:secret;;").starts_with("a Wi-Fi network's settings (\"WIFI:"));
        assert!(describe_text("BEGIN:VCARD\nFN:Ann").starts_with("a contact card (\"BEGIN:VCARD\\n"));
        assert!(describe_text("hello").starts_with("text (\"hello\")"));
    }
}
