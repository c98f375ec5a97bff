//! JSON (and JSON with comments): one pass over the tokens, each string value decoded by JSON's
//! escapes (`\/`, `\u0026`, surrogate pairs) and named by its key path. Not a validator: text
//! that is not JSON is read as far as it goes, never rejected.

use super::{Format, Value, join_key, value_links};
use crate::collect::find::FoundLink;
use crate::collect::find::offsets::Decoded;
use crate::facts::{Escaping, LinkUse};

/// Containers deeper than this are read without their keys in the path.
const MAX_DEPTH: usize = 256;

enum Frame {
    Object { key: Option<String>, expect_key: bool },
    Array { index: usize },
}

pub(super) fn links(text: &str, found: &mut Vec<FoundLink>) {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut too_deep = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (decoded, end) = string(text, i + 1);
                match stack.last_mut() {
                    Some(Frame::Object { key, expect_key: true }) if too_deep == 0 => {
                        *key = Some(decoded.text);
                    }
                    _ => {
                        let value = Value {
                            format: Format::Json,
                            source: text,
                            decoded: &decoded,
                            escaping: Some(Escaping::Backslash),
                            place: &|| place(&stack),
                            used_as: LinkUse::Url,
                        };
                        value_links(&value, found);
                    }
                }
                i = end;
                continue;
            }
            b'{' | b'[' if stack.len() >= MAX_DEPTH || too_deep > 0 => too_deep += 1,
            b'{' => stack.push(Frame::Object {
                key: None,
                expect_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' if too_deep > 0 => too_deep -= 1,
            b'}' | b']' => {
                stack.pop();
            }
            b',' if too_deep == 0 => match stack.last_mut() {
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b':' if too_deep == 0 => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = bytes[i..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

/// "JSON value at a.b[2].c".
fn place(stack: &[Frame]) -> String {
    let mut path = String::new();
    for frame in stack {
        match frame {
            Frame::Object { key: Some(key), .. } => path = join_key(&path, key),
            Frame::Object { key: None, .. } => path = join_key(&path, "?"),
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() {
        "JSON value".to_string()
    } else {
        format!("JSON value at {path}")
    }
}

/// The string starting after its opening quote at `from`: decoded, and where it ends (after
/// its closing quote, or at the end of the text).
fn string(text: &str, from: usize) -> (Decoded, usize) {
    let bytes = text.as_bytes();
    let mut out = Decoded::new();
    let mut run = from;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                out.copy(&text[run..i], run);
                return (out, i + 1);
            }
            b'\\' => {
                out.copy(&text[run..i], run);
                let (piece, len) = escape(text, i);
                out.decoded(&piece, i, i + len);
                i += len;
                run = i;
            }
            _ => i += 1,
        }
    }
    out.copy(&text[run..], run);
    (out, bytes.len())
}

/// The escape at `at` (a backslash): what it stands for and its length in the source.
fn escape(text: &str, at: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let Some(&c) = bytes.get(at + 1) else {
        return ("\\".to_string(), 1);
    };
    let simple = match c {
        b'"' => Some('"'),
        b'\\' => Some('\\'),
        b'/' => Some('/'),
        b'b' => Some('\u{8}'),
        b'f' => Some('\u{c}'),
        b'n' => Some('\n'),
        b'r' => Some('\r'),
        b't' => Some('\t'),
        _ => None,
    };
    if let Some(ch) = simple {
        return (ch.to_string(), 2);
    }
    if c == b'u'
        && let Some(high) = hex4(text, at + 2)
    {
        if (0xd800..0xdc00).contains(&high)
            && text.get(at + 6..at + 8) == Some("\\u")
            && let Some(low) = hex4(text, at + 8)
            && (0xdc00..0xe000).contains(&low)
        {
            let code = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
            return (char::from_u32(code).unwrap_or('\u{fffd}').to_string(), 12);
        }
        return (char::from_u32(high).unwrap_or('\u{fffd}').to_string(), 6);
    }
    // not an escape JSON knows: kept as written (the backslash alone)
    ("\\".to_string(), 1)
}

fn hex4(text: &str, at: usize) -> Option<u32> {
    let digits = text.get(at..at + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use crate::collect::find::config::{Format, links};
    use crate::facts::LinkContext;

    #[test]
    fn values_are_decoded_and_named_by_their_key_path() {
        let json = r#"{
  "name": "Field",
  "install": {"urls": ["x", "itms-services:\/\/?action=download-manifest\u0026url=https%3A%2F%2Fh%2Fm.plist"]},
  // a comment: itms-services://?ignored
  "note": "Tap itms-services://?action=download-manifest&url=https://h/a.plist now \ud83d\ude00"
}"#;
        let found = links(Format::Json, json);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].written,
            "itms-services://?action=download-manifest&url=https%3A%2F%2Fh%2Fm.plist"
        );
        let LinkContext::Text { place, .. } = &found[0].context else {
            panic!("text context")
        };
        assert_eq!(place, "JSON value at install.urls[1]");
        let lit = found[0].literal.clone().expect("literal");
        assert_eq!(
            &json[lit.start..lit.end],
            r"itms-services:\/\/?action=download-manifest\u0026url=https%3A%2F%2Fh%2Fm.plist"
        );
        assert_eq!(
            found[1].written,
            "itms-services://?action=download-manifest&url=https://h/a.plist"
        );
        assert_eq!(crate::text::line_and_column(json, found[1].offset), (5, 16));
    }

    #[test]
    fn hostile_json_is_read_to_its_end() {
        let deep = format!("{}\"itms-services://?x\"{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(links(Format::Json, &deep).len(), 1);
        assert_eq!(links(Format::Json, "\"itms-services://?a\\").len(), 1);
        assert!(links(Format::Json, "\"\\ud800\\u").is_empty());
    }
}
