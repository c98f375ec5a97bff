//! Reading a manifest plist: its encoding as found, and its content as a tree (JSON), or the
//! parse error with its line and column. Plists never declare XML entities, so a manifest that
//! does is not expanded (no entity bombs); it is reported as not parseable. A manifest nested
//! deeper than `bounded::MAX_DEPTH` is not parseable either, and the tree kept in the facts is
//! cut at `bounded`'s caps.

use std::collections::BTreeMap;

use crate::collect::bounded::{self, PlistError};
use crate::facts::{ManifestFacts, ManifestFormat, ParseError};

/// Reads `bytes` (from `source`, a URL or a file).
pub fn read(source: &str, bytes: &[u8]) -> ManifestFacts {
    let mut facts = ManifestFacts {
        source: source.to_string(),
        bytes: bytes.len(),
        ..ManifestFacts::default()
    };
    facts.utf8_bom = bytes.starts_with(b"\xef\xbb\xbf");
    facts.utf16 = utf16(bytes);
    facts.valid_utf8 = std::str::from_utf8(bytes).is_ok();
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if body.starts_with(b"bplist") {
        facts.format = ManifestFormat::Binary;
        match bounded::read_plist(body) {
            Ok(value) => keep(&mut facts, &value),
            Err(e) => {
                facts.parse_error = Some(ParseError {
                    message: e.to_string(),
                    ..ParseError::default()
                })
            }
        }
        return facts;
    }
    // the declaration is ASCII whatever the encoding, so read it from the raw bytes first
    facts.declared_encoding = declared_encoding(&String::from_utf8_lossy(body));
    let latin1 = facts.declared_encoding.as_deref().is_some_and(|d| {
        matches!(
            d.to_ascii_lowercase().as_str(),
            "iso-8859-1" | "latin1" | "latin-1" | "windows-1252" | "cp1252"
        )
    });
    let text = match (&facts.utf16, std::str::from_utf8(body)) {
        (Some(_), _) => decode_utf16(bytes),
        (None, Ok(t)) => Some(t.to_string()),
        // a declared single-byte encoding: every byte is a character
        (None, Err(_)) if latin1 => Some(body.iter().map(|b| char::from(*b)).collect()),
        (None, Err(e)) => {
            facts.parse_error = Some(ParseError {
                message: format!("the bytes are not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
                ..ParseError::default()
            });
            None
        }
    };
    let Some(text) = text else {
        facts.format = ManifestFormat::Unknown;
        return facts;
    };
    facts.format = if text.trim_start().starts_with('<') {
        ManifestFormat::Xml
    } else {
        ManifestFormat::Unknown
    };
    facts.ascii = bytes.is_ascii();
    read_xml(&text, &mut facts);
    facts.text = Some(text);
    facts
}

/// The XML: well-formed (roxmltree, with line and column), not too deep, the line of every key
/// the rules name, then the plist.
fn read_xml(text: &str, facts: &mut ManifestFacts) {
    let trimmed = text.trim_start_matches('\u{feff}');
    if let Some(at) = trimmed.find("<!ENTITY") {
        facts.parse_error = Some(error_at(
            trimmed,
            at,
            "the manifest declares XML entities (<!ENTITY …>), which a plist never does; not expanded".to_string(),
        ));
        return;
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 200_000,
        ..roxmltree::ParsingOptions::default()
    };
    // roxmltree builds its tree without recursion, whatever the depth
    let doc = match roxmltree::Document::parse_with_options(trimmed, options) {
        Ok(doc) => doc,
        Err(error) => {
            let pos = error.pos();
            let line = usize::try_from(pos.row).unwrap_or(0);
            facts.parse_error = Some(ParseError {
                message: error.to_string(),
                line: Some(line),
                column: Some(usize::try_from(pos.col).unwrap_or(0)),
                source_line: source_line(trimmed, line),
            });
            return;
        }
    };
    if let Some(at) = too_deep_at(&doc) {
        facts.parse_error = Some(error_at(trimmed, at, bounded::too_deep()));
        return;
    }
    facts.key_lines = key_lines(&doc, trimmed);
    match bounded::read_plist_xml(text) {
        Ok(value) => keep(facts, &value),
        Err(PlistError::Plist(e)) => {
            facts.parse_error = Some(ParseError {
                message: plist_error(&e),
                ..ParseError::default()
            })
        }
        Err(e) => {
            facts.parse_error = Some(ParseError {
                message: e.to_string(),
                ..ParseError::default()
            })
        }
    }
}

/// The parsed manifest into the facts, cut at the caps.
fn keep(facts: &mut ManifestFacts, value: &plist::Value) {
    let (document, cut) = bounded::to_json(value);
    facts.document = Some(document);
    facts.document_cut = cut;
}

/// A parse error at byte `at` of `text`.
fn error_at(text: &str, at: usize, message: String) -> ParseError {
    let (line, column) = crate::text::line_and_column(text, at);
    ParseError {
        message,
        line: Some(line),
        column: Some(column),
        source_line: source_line(text, line),
    }
}

/// Line `line` (1-based) of `text`, as written, for showing where an error is; not kept when it
/// is longer than a string of the facts may be (a manifest written on one line of a megabyte).
fn source_line(text: &str, line: usize) -> Option<String> {
    text.lines()
        .nth(line.checked_sub(1)?)
        .filter(|l| l.len() <= bounded::MAX_STRING_CHARS)
        .map(str::to_string)
}

/// A plist structure error in words (the crate's own text is a debug dump).
fn plist_error(e: &plist::Error) -> String {
    let raw = e.to_string();
    let kind = raw.split([' ', '(', '{']).next().unwrap_or_default();
    match kind {
        "UnexpectedEventType" | "ExpectedEndOfEventStream" => {
            "the plist structure is wrong: a <key> without a value, or a value where a <key> was expected".to_string()
        }
        "UnknownXmlElement" => {
            "the plist has an element that is not a plist type (<dict>, <array>, <string>, <integer>, …)".to_string()
        }
        "InvalidDataString" | "InvalidDateString" | "InvalidIntegerString" | "InvalidRealString" => {
            format!("the plist has a value that does not read as its type ({kind})")
        }
        _ => format!("the plist structure is wrong ({raw})"),
    }
}

/// The byte offset of the first `<array>` or `<dict>` nested deeper than `bounded::MAX_DEPTH`,
/// in one pass over the elements in document order.
fn too_deep_at(doc: &roxmltree::Document<'_>) -> Option<usize> {
    // where each container open around the current element ends
    let mut open: Vec<usize> = Vec::new();
    for node in doc.descendants().filter(roxmltree::Node::is_element) {
        let range = node.range();
        while open.last().is_some_and(|end| *end <= range.start) {
            open.pop();
        }
        if matches!(node.tag_name().name(), "array" | "dict") {
            open.push(range.end);
            if open.len() > bounded::MAX_DEPTH {
                return Some(range.start);
            }
        }
    }
    None
}

/// The line of every `<key>` the rules can name, by path: the top-level keys (`items`), each
/// item's (`items[0].assets`), each asset's (`items[0].assets[1].url`) and each item's metadata's
/// (`items[0].metadata.kind`). Items and assets are numbered in their raw array, whatever they
/// hold; the first of duplicate keys gives the line.
fn key_lines(doc: &roxmltree::Document<'_>, text: &str) -> BTreeMap<String, usize> {
    let mut keys: Vec<(String, usize)> = Vec::new();
    let top = doc.root_element().children().find(roxmltree::Node::is_element);
    for (key, at, value) in top.into_iter().flat_map(entries) {
        keys.push((key.to_string(), at));
        let Some(items) = value.filter(|v| key == "items" && named(*v, "array")) else {
            continue;
        };
        for (i, item) in items.children().filter(roxmltree::Node::is_element).enumerate() {
            for (key, at, value) in entries(item) {
                let path = format!("items[{i}].{key}");
                keys.push((path.clone(), at));
                let Some(value) = value else { continue };
                match key {
                    "assets" if named(value, "array") => {
                        for (j, asset) in value.children().filter(roxmltree::Node::is_element).enumerate() {
                            for (key, at, _) in entries(asset) {
                                keys.push((format!("{path}[{j}].{key}"), at));
                            }
                        }
                    }
                    "metadata" => {
                        for (key, at, _) in entries(value) {
                            keys.push((format!("{path}.{key}"), at));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let offsets: Vec<usize> = keys.iter().map(|(_, at)| *at).collect();
    let places = crate::text::lines_and_columns(text, &offsets);
    let mut out = BTreeMap::new();
    for ((path, _), (line, _)) in keys.into_iter().zip(places) {
        out.entry(path).or_insert(line);
    }
    out
}

/// The entries of a `<dict>` element: each key's text, where its `<key>` starts, and the element
/// after it (its value, when there is one before the next key). Nothing for other elements.
fn entries<'a, 'input: 'a>(
    dict: roxmltree::Node<'a, 'input>,
) -> impl Iterator<Item = (&'a str, usize, Option<roxmltree::Node<'a, 'input>>)> {
    let mut children = dict
        .children()
        .filter(move |n| n.is_element() && named(dict, "dict"))
        .peekable();
    std::iter::from_fn(move || {
        loop {
            let child = children.next()?;
            if !named(child, "key") {
                continue;
            }
            let value = children.next_if(|n| !named(*n, "key"));
            return Some((child.text().unwrap_or_default(), child.range().start, value));
        }
    })
}

/// Whether `node` is the element `<name>` (whatever its namespace).
fn named(node: roxmltree::Node<'_, '_>, name: &str) -> bool {
    node.tag_name().name() == name
}

fn declared_encoding(text: &str) -> Option<String> {
    let decl = text.trim_start_matches('\u{feff}').trim_start();
    let decl = decl.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

fn utf16(bytes: &[u8]) -> Option<String> {
    match bytes {
        [0xff, 0xfe, ..] | [b'<', 0, b'?', 0, ..] => Some("utf-16le".to_string()),
        [0xfe, 0xff, ..] | [0, b'<', 0, b'?', ..] => Some("utf-16be".to_string()),
        _ => None,
    }
}

fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let le = matches!(bytes, [0xff, 0xfe, ..] | [b'<', 0, ..]);
    let body = bytes
        .strip_prefix(&[0xff, 0xfe])
        .or_else(|| bytes.strip_prefix(&[0xfe, 0xff]))
        .unwrap_or(bytes);
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_ampersand_is_a_parse_error_with_its_place() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>\n<key>url</key><string>https://h/m.ipa?a=1&b=2</string>\n</dict></plist>\n";
        let facts = read("m.plist", text.as_bytes());
        let e = facts.parse_error.expect("error");
        assert_eq!(e.line, Some(3));
        assert!(e.source_line.unwrap_or_default().contains("a=1&b=2"));
        assert_eq!(facts.declared_encoding.as_deref(), Some("UTF-8"));
    }

    #[test]
    fn an_entity_bomb_is_not_expanded() {
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE plist [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<plist><string>&b;</string></plist>";
        let facts = read("m.plist", text.as_bytes());
        assert!(facts.document.is_none());
        assert!(facts.parse_error.expect("error").message.contains("entities"));
    }

    #[test]
    fn binary_and_xml_both_read() {
        let mut dict = plist::Dictionary::new();
        dict.insert("items".into(), plist::Value::Array(vec![]));
        let mut bin = Vec::new();
        plist::Value::Dictionary(dict)
            .to_writer_binary(&mut bin)
            .expect("write");
        let facts = read("m.plist", &bin);
        assert_eq!(facts.format, ManifestFormat::Binary);
        assert_eq!(facts.document, Some(serde_json::json!({"items": []})));
    }
}
