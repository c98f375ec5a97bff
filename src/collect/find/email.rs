//! Links in an e-mail: a `.eml` file, or a text that starts with RFC 5322 headers. The message
//! is read as a mail client reads it: headers (folded lines joined), MIME parts (multipart,
//! nested, and attached messages), each part's `Content-Transfer-Encoding` undone
//! (quoted-printable with its `=` soft line breaks and `=3D` escapes, base64) and its charset
//! decoded (UTF-8, US-ASCII, Latin-1, Windows-1252). A `text/plain` part is read as prose, a
//! `text/html` part with the page finder (an `&amp;` in an HTML mail's `href` is right: the
//! mail client's HTML parser decodes it).
//!
//! A link is located at its own line in the `.eml` where the encoding allows (plain text and
//! quoted-printable: exactly; base64: the line of the encoded text it came from).
//!
//! `multipart/alternative` holds the same message twice (text and HTML) and a reader sees one
//! of them: a link found in both, the same after decoding, is reported once, where it first
//! stands in the file; links that differ between the alternatives are each reported.
//!
//! Own parser rather than a mail crate: the links' places in the file need a map from every
//! decoded byte back to the source, which mail crates do not give, and the reading stays one
//! pass per nesting level (at most `MAX_DEPTH`), bounded by the input's size.

use crate::collect::find::offsets::{Decoded, SourceMap};
use crate::collect::find::{FoundLink, prose};
use crate::collect::html;
use crate::facts::TextKind;

/// The deepest nesting of multiparts and attached messages read.
const MAX_DEPTH: usize = 8;
/// The most MIME parts read in one message.
const MAX_PARTS: usize = 1000;
/// How far into a text its header block is looked for.
const MAX_HEAD: usize = 64 * 1024;

/// Header names that mark a text as an e-mail.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "received",
    "return-path",
    "delivered-to",
    "reply-to",
    "x-mailer",
    "user-agent",
    "in-reply-to",
    "references",
];

/// Whether `text` starts with an e-mail's header block: header lines (or folded lines) up to
/// an empty line, two of them at least names mail headers.
pub fn looks_like_email(text: &str) -> bool {
    let head = match text.get(..text.len().min(MAX_HEAD)) {
        Some(h) => h,
        None => {
            let mut cut = MAX_HEAD.min(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            &text[..cut]
        }
    };
    let mut known = 0;
    let mut first = true;
    for line in head.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return !first && known >= 2;
        }
        if line.starts_with([' ', '\t']) && !first {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return false;
        }
        if MAIL_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            known += 1;
        }
        first = false;
    }
    false
}

/// Every install link in the e-mail `text`, in order of their place in the file.
pub fn links(text: &str) -> Vec<FoundLink> {
    let mut reader = Reader {
        text,
        parts: 0,
        found: Vec::new(),
    };
    reader.entity(0, text.len(), 0);
    reader.found
}

struct Reader<'a> {
    text: &'a str,
    parts: usize,
    found: Vec<FoundLink>,
}

/// What the headers of a message or a part say about its body.
#[derive(Debug, Default)]
struct Head {
    /// `type/subtype`, lower case; empty when there is no Content-Type.
    media_type: String,
    boundary: Option<String>,
    charset: Option<String>,
    encoding: String,
}

impl Reader<'_> {
    /// Reads the entity (headers and body) at `start..end`.
    fn entity(&mut self, start: usize, end: usize, depth: usize) {
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return;
        }
        let (head, body) = headers(self.text, start, end);
        let media = head.media_type.as_str();
        if media.starts_with("multipart/") {
            let Some(boundary) = head.boundary.as_deref().filter(|b| !b.is_empty()) else {
                return;
            };
            if depth >= MAX_DEPTH {
                return;
            }
            let before = self.found.len();
            for (s, e) in parts(self.text, body, end, boundary) {
                self.entity(s, e, depth + 1);
            }
            if media == "multipart/alternative" {
                dedupe(&mut self.found, before);
            }
        } else if media == "message/rfc822" || media == "message/global" {
            if depth < MAX_DEPTH {
                self.entity(body, end, depth + 1);
            }
        } else if media.is_empty() || media.starts_with("text/") {
            self.leaf(&head, body, end);
        }
    }

    /// A text part: its body decoded, its links found by its type.
    fn leaf(&mut self, head: &Head, start: usize, end: usize) {
        let raw = &self.text.as_bytes()[start..end];
        let (bytes, transfer) = match head.encoding.as_str() {
            "quoted-printable" => quoted_printable(raw, start),
            "base64" => base64(raw, start),
            _ => {
                let mut map = SourceMap::default();
                map.copy(0, start, raw.len());
                (raw.to_vec(), map)
            }
        };
        let (decoded, charset) = charset_decode(bytes, head.charset.as_deref());
        let html = head.media_type == "text/html";
        let found = if html {
            html::find_links(&decoded)
        } else {
            prose::links_with(&decoded, TextKind::Email, "email", "the e-mail's text")
        };
        let start_of = |at: usize| transfer.source_start(charset.as_ref().map_or(at, |c| c.source_start(at)));
        let exact = |s: usize, e: usize| {
            let (s, e) = match &charset {
                Some(c) => c.verbatim_range(s, e)?,
                None => (s, e),
            };
            transfer.verbatim_range(s, e)
        };
        for mut link in found {
            link.offset = start_of(link.offset);
            link.literal = link.literal.take().and_then(|mut l| {
                let (s, e) = exact(l.start, l.end)?;
                l.start = s;
                l.end = e;
                Some(l)
            });
            self.found.push(link);
        }
    }
}

/// The same link found again in another alternative of the message: kept once, where it
/// first stands (the parts are read in file order).
fn dedupe(found: &mut Vec<FoundLink>, from: usize) {
    let mut seen = std::collections::HashSet::new();
    let alternatives: Vec<FoundLink> = found.drain(from..).filter(|l| seen.insert(l.written.clone())).collect();
    found.extend(alternatives);
}

/// The headers at `start..end`, and where the body starts.
fn headers(text: &str, start: usize, end: usize) -> (Head, usize) {
    let mut head = Head::default();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut at = start;
    let bytes = text.as_bytes();
    while at < end {
        let line_end = bytes[at..end].iter().position(|b| *b == b'\n').map_or(end, |i| at + i);
        let next = (line_end + 1).min(end);
        let line = text[at..line_end].strip_suffix('\r').unwrap_or(&text[at..line_end]);
        if line.is_empty() {
            at = next;
            break;
        }
        if line.starts_with([' ', '\t']) {
            match fields.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                // a part whose first line is indented has no headers
                None => break,
            }
        } else if let Some((name, value)) = line.split_once(':')
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_graphic())
        {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        } else {
            // not a header: the part has no header block
            if fields.is_empty() {
                return (head, start);
            }
            break;
        }
        at = next;
    }
    for (name, value) in fields {
        match name.as_str() {
            "content-type" => {
                let (media, params) = media_type(&value);
                head.media_type = media;
                for (k, v) in params {
                    match k.as_str() {
                        "boundary" => head.boundary = Some(v),
                        "charset" => head.charset = Some(v.to_ascii_lowercase()),
                        _ => {}
                    }
                }
            }
            "content-transfer-encoding" => head.encoding = value.trim().to_ascii_lowercase(),
            _ => {}
        }
    }
    (head, at)
}

/// `type/subtype; name=value; name="quoted value"` → the media type in lower case and its
/// parameters (names in lower case).
fn media_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut items: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            current.push(c);
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ';' && !quoted {
            items.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    items.push(current);
    let mut items = items.into_iter();
    let media = items.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = items
        .filter_map(|item| {
            let (k, v) = item.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    (media, params)
}

/// The parts of a multipart body at `start..end` delimited by `--boundary` lines: each part's
/// range, without the line break before the next delimiter.
fn parts(text: &str, start: usize, end: usize, boundary: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    let mut at = start;
    while at < end {
        let line_end = bytes[at..end].iter().position(|b| *b == b'\n').map_or(end, |i| at + i);
        let line = text[at..line_end].trim_end();
        if let Some(rest) = line.strip_prefix(delimiter.as_str())
            && (rest.is_empty() || rest == "--")
        {
            if let Some(part_start) = open.take() {
                // the line break before a delimiter belongs to it
                let mut part_end = at;
                if part_end > part_start && bytes[part_end - 1] == b'\n' {
                    part_end -= 1;
                    if part_end > part_start && bytes[part_end - 1] == b'\r' {
                        part_end -= 1;
                    }
                }
                out.push((part_start, part_end.max(part_start)));
            }
            if rest == "--" {
                return out;
            }
            open = Some((line_end + 1).min(end));
        }
        at = line_end + 1;
    }
    // a message cut short: its last part runs to the end
    if let Some(part_start) = open {
        out.push((part_start, end));
    }
    out
}

/// Undoes quoted-printable: `=XX` escapes and `=` soft line breaks (with any spaces a mail
/// system left before the line break). `src` is where `raw` stands in the file.
fn quoted_printable(raw: &[u8], src: usize) -> (Vec<u8>, SourceMap) {
    let mut out = Vec::with_capacity(raw.len());
    let mut map = SourceMap::default();
    let mut run = 0; // start of the run copied as is
    let mut i = 0;
    let flush = |out: &mut Vec<u8>, map: &mut SourceMap, from: usize, to: usize| {
        if to > from {
            map.copy(out.len(), src + from, to - from);
            out.extend_from_slice(&raw[from..to]);
        }
    };
    while i < raw.len() {
        if raw[i] != b'=' {
            i += 1;
            continue;
        }
        let hex = |b: u8| (b as char).to_digit(16);
        if let (Some(h), Some(l)) = (
            raw.get(i + 1).copied().and_then(hex),
            raw.get(i + 2).copied().and_then(hex),
        ) {
            flush(&mut out, &mut map, run, i);
            map.decoded(out.len(), src + i, src + i + 3);
            out.push((h * 16 + l) as u8);
            i += 3;
            run = i;
            continue;
        }
        // a soft line break: "=", perhaps trailing spaces, then the line break
        let mut j = i + 1;
        while j < raw.len() && (raw[j] == b' ' || raw[j] == b'\t') {
            j += 1;
        }
        let after = match (raw.get(j), raw.get(j + 1)) {
            (Some(b'\r'), Some(b'\n')) => Some(j + 2),
            (Some(b'\n'), _) => Some(j + 1),
            (None, _) => Some(j),
            _ => None,
        };
        match after {
            Some(next) => {
                flush(&mut out, &mut map, run, i);
                i = next;
                run = i;
            }
            None => i += 1,
        }
    }
    flush(&mut out, &mut map, run, raw.len());
    (out, map)
}

/// Undoes base64, each decoded byte mapped to the encoded line it came from.
fn base64(raw: &[u8], src: usize) -> (Vec<u8>, SourceMap) {
    let mut out = Vec::with_capacity(raw.len() / 4 * 3);
    let mut map = SourceMap::default();
    let mut quad = [0u8; 4];
    let mut filled = 0;
    let mut line_start = 0;
    for (i, b) in raw.iter().enumerate() {
        let sextet = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'\n' => {
                line_start = i + 1;
                continue;
            }
            b'=' => break,
            _ => continue,
        };
        quad[filled] = sextet;
        filled += 1;
        if filled == 4 {
            map.decoded(out.len(), src + line_start, src + line_start);
            out.push(quad[0] << 2 | quad[1] >> 4);
            out.push(quad[1] << 4 | quad[2] >> 2);
            out.push(quad[2] << 6 | quad[3]);
            filled = 0;
        }
    }
    if filled >= 2 {
        map.decoded(out.len(), src + line_start, src + line_start);
        out.push(quad[0] << 2 | quad[1] >> 4);
        if filled == 3 {
            out.push(quad[1] << 4 | quad[2] >> 2);
        }
    }
    (out, map)
}

/// The part's bytes as text by its charset, and the map from the text to the bytes when
/// decoding changed any offset (`None`: the bytes were the text).
fn charset_decode(bytes: Vec<u8>, charset: Option<&str>) -> (String, Option<SourceMap>) {
    let single_byte = matches!(
        charset,
        Some("iso-8859-1" | "latin1" | "latin-1" | "l1" | "iso8859-1" | "windows-1252" | "cp1252" | "iso-8859-15")
    );
    if !single_byte {
        match String::from_utf8(bytes) {
            Ok(text) => return (text, None),
            Err(e) => return utf8_lossy(&e.into_bytes()),
        }
    }
    let windows = matches!(charset, Some("windows-1252" | "cp1252"));
    let mut out = Decoded::new();
    let mut run = 0;
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii() {
            continue;
        }
        if let Some(ascii) = bytes.get(run..i).and_then(|s| std::str::from_utf8(s).ok()) {
            out.copy(ascii, run);
        }
        let c = if windows { windows_1252(*b) } else { char::from(*b) };
        out.decoded(c.encode_utf8(&mut [0; 4]), i, i + 1);
        run = i + 1;
    }
    if let Some(ascii) = bytes.get(run..).and_then(|s| std::str::from_utf8(s).ok()) {
        out.copy(ascii, run);
    }
    (out.text, Some(out.map))
}

/// Invalid UTF-8: each bad sequence a replacement character, the rest as it is.
fn utf8_lossy(bytes: &[u8]) -> (String, Option<SourceMap>) {
    let mut out = Decoded::new();
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        out.copy(chunk.valid(), at);
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            out.decoded("\u{fffd}", at, at + chunk.invalid().len());
            at += chunk.invalid().len();
        }
    }
    (out.text, Some(out.map))
}

/// A Windows-1252 byte above 0x7f.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{2c6}',
        '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}', '\u{90}', '\u{2018}', '\u{2019}',
        '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}',
        '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/app/manifest.plist";

    #[test]
    fn sniffs_a_header_block() {
        assert!(looks_like_email("From: a@b.c\nSubject: hi\n\nbody"));
        assert!(looks_like_email("Received: x\n  folded\nTo: a@b\r\n\r\nbody"));
        assert!(!looks_like_email("Subject: hi\n\nonly one mail header"));
        assert!(!looks_like_email("Hi team,\nFrom: me\n\n"));
        assert!(!looks_like_email("From: a\nTo: b\nno blank line"));
    }

    #[test]
    fn quoted_printable_soft_breaks_are_undone_and_the_link_keeps_its_line() {
        let eml = "From: a@b.c\nTo: d@e.f\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nHello,\ntap itms-services://?action=3Ddownload-manifest&url=3Dhttps://ota.acme-apps=\n.io/app/manifest.plist to install.\n";
        let found = links(eml);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].written, LINK);
        assert_eq!(crate::text::line_and_column(eml, found[0].offset), (7, 5));
        assert_eq!(
            found[0].literal, None,
            "a quoted-printable link cannot be rewritten in place"
        );
    }

    #[test]
    fn base64_and_latin1_are_decoded() {
        use base64::Engine;
        let body = format!("Bonjour, voil\u{e0} le lien : {LINK}\n");
        let latin1: Vec<u8> = body.chars().map(|c| c as u32 as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&latin1);
        let wrapped: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        let eml = format!(
            "From: a@b.c\nSubject: x\nContent-Type: text/plain; charset=\"ISO-8859-1\"\nContent-Transfer-Encoding: base64\n\n{}\n",
            wrapped.join("\n")
        );
        let found = links(&eml);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].written, LINK);
        // the encoded line the link's first byte came from
        assert_eq!(crate::text::line_and_column(&eml, found[0].offset).0, 6);
    }

    #[test]
    fn alternatives_holding_the_same_link_give_it_once() {
        let eml = format!(
            "From: a@b.c\nTo: d@e.f\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\npreamble\n--b1\nContent-Type: text/plain\n\nTap {LINK}\n--b1\nContent-Type: text/html\n\n<a href=\"{}\">Install</a>\n--b1--\nepilogue {LINK}\n",
            LINK.replace('&', "&amp;")
        );
        let found = links(&eml);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(crate::text::line_and_column(&eml, found[0].offset).0, 10);
    }

    #[test]
    fn nested_multiparts_and_attached_messages_are_read() {
        let eml = format!(
            "From: a@b.c\nTo: d@e.f\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/related; boundary=\"inner\"\n\n--inner\nContent-Type: text/html; charset=utf-8\n\n<p><a href='{LINK}'>x</a></p>\n--inner--\n--outer\nContent-Type: message/rfc822\n\nFrom: x@y.z\nSubject: fwd\n\nforwarded: {}\n--outer\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--outer--\n",
            LINK.replace("ota", "dl")
        );
        let found = links(&eml);
        let lines: Vec<usize> = found
            .iter()
            .map(|l| crate::text::line_and_column(&eml, l.offset).0)
            .collect();
        assert_eq!(lines, [11, 19]);
    }
}
