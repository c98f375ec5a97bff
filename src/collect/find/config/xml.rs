//! XML, a plist or a `.mobileconfig` (a web clip's `URL`, a managed app's settings): every
//! text and attribute value as the XML parser (roxmltree) gives it, entities decoded — markup,
//! so `&amp;` in the file is a right `&` and `&amp;amp;` a wrong `&amp;`. A plist value is
//! named by its key path (`PayloadContent[0].URL`), other XML by its elements
//! (`config/install/url`). A file roxmltree refuses is read as text, entities decoded.

use super::{Format, Value, value_links};
use crate::collect::find::offsets::Decoded;
use crate::collect::find::{FoundLink, entities, prose};
use crate::facts::{Escaping, LinkUse, TextKind};

/// The most nodes read (a larger document is read as text).
const NODES_LIMIT: u32 = 1_000_000;
/// Paths deeper than this are shown by their last parts.
const PATH_PARTS: usize = 32;

struct Frame {
    id: roxmltree::NodeId,
    name: String,
    /// The part of the path this element adds (`URL`, `[2]`, `install`).
    part: String,
    /// In a `<dict>`: the last `<key>` read. In an `<array>`: the items so far.
    last_key: String,
    items: usize,
}

pub(super) fn links(text: &str, found: &mut Vec<FoundLink>) {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: NODES_LIMIT,
        ..roxmltree::ParsingOptions::default()
    };
    let Ok(doc) = roxmltree::Document::parse_with_options(text, options) else {
        as_text(text, found);
        return;
    };
    let plist = doc.root_element().has_tag_name("plist");
    let mut stack: Vec<Frame> = Vec::new();
    for node in doc.descendants() {
        let parent = node.parent().map(|p| p.id());
        while stack.last().is_some_and(|f| Some(f.id) != parent) {
            stack.pop();
        }
        if node.is_element() {
            let name = node.tag_name().name().to_string();
            let part = match stack.last_mut() {
                Some(p) if plist && p.name == "dict" => {
                    if name == "key" {
                        p.last_key = node.text().unwrap_or("").to_string();
                        String::new()
                    } else {
                        p.last_key.clone()
                    }
                }
                Some(p) if plist && p.name == "array" => {
                    p.items += 1;
                    format!("[{}]", p.items - 1)
                }
                _ if plist => String::new(),
                _ => name.clone(),
            };
            for attr in node.attributes() {
                let range = attr.range_value();
                let decoded = decode(text, range.start, range.end, attr.value());
                let value = Value {
                    format: Format::Xml,
                    source: text,
                    decoded: &decoded,
                    escaping: Some(Escaping::Markup),
                    place: &|| format!("XML attribute {} of <{}>", attr.name(), name),
                    used_as: LinkUse::Markup,
                };
                value_links(&value, found);
            }
            stack.push(Frame {
                id: node.id(),
                name,
                part,
                last_key: String::new(),
                items: 0,
            });
        } else if node.is_text() {
            let Some(content) = node.text() else { continue };
            if stack.last().is_some_and(|f| plist && f.name == "key") {
                continue;
            }
            let range = node.range();
            let decoded = decode(text, range.start, range.end, content);
            let value = Value {
                format: Format::Xml,
                source: text,
                decoded: &decoded,
                escaping: Some(Escaping::Markup),
                place: &|| place(&stack, plist),
                used_as: LinkUse::Markup,
            };
            value_links(&value, found);
        }
    }
}

/// "plist value at PayloadContent[0].URL", "XML text at config/install/url".
fn place(stack: &[Frame], plist: bool) -> String {
    let skip = stack.len().saturating_sub(PATH_PARTS);
    let mut path = if skip > 0 { "…".to_string() } else { String::new() };
    for frame in &stack[skip..] {
        if frame.part.is_empty() {
            continue;
        }
        if plist && !frame.part.starts_with('[') && !path.is_empty() {
            path.push('.');
        } else if !plist && !path.is_empty() {
            path.push('/');
        }
        path.push_str(&frame.part);
    }
    match (plist, path.is_empty()) {
        (true, true) => "plist value".to_string(),
        (true, false) => format!("plist value at {path}"),
        (false, _) => format!("XML text at {path}"),
    }
}

/// The decoded `content` of the source `start..end`, mapped: the source read again with its
/// references and CDATA sections; when that does not give the parser's text, the whole value
/// maps to its start.
fn decode(text: &str, start: usize, end: usize, content: &str) -> Decoded {
    let raw = text.get(start..end).unwrap_or("");
    let bytes = raw.as_bytes();
    let mut out = Decoded::new();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"<![CDATA[") {
            out.copy(&raw[run..i], start + run);
            let inner = i + 9;
            let close = raw[inner..].find("]]>").map_or(raw.len(), |n| inner + n);
            out.copy(&raw[inner..close], start + inner);
            i = (close + 3).min(raw.len());
            run = i;
            continue;
        }
        if bytes[i] == b'&'
            && let Some(semi) = raw[i..].find(';').filter(|n| *n <= 12)
        {
            let decoded = entities::decode_xml(&raw[i..=i + semi]);
            if decoded != raw[i..=i + semi] {
                out.copy(&raw[run..i], start + run);
                out.decoded(&decoded, start + i, start + i + semi + 1);
                i += semi + 1;
                run = i;
                continue;
            }
        }
        i += 1;
    }
    out.copy(&raw[run..], start + run);
    if out.text == content {
        return out;
    }
    let mut whole = Decoded::new();
    whole.decoded(content, start, end);
    whole
}

/// A document the parser refused: read as text, each link decoded as XML text.
fn as_text(text: &str, found: &mut Vec<FoundLink>) {
    for mut link in prose::links_with(text, TextKind::Config, "xml", "XML text") {
        if let crate::facts::LinkContext::Text { used_as, .. } = &mut link.context {
            *used_as = LinkUse::Markup;
        }
        let decoded = entities::decode_xml(&link.written);
        if decoded != link.written {
            link.source_text = Some(std::mem::replace(&mut link.written, decoded));
        }
        if let Some(l) = link.literal.as_mut() {
            l.escaping = Escaping::Markup;
        }
        found.push(link);
    }
}

#[cfg(test)]
mod tests {
    use crate::collect::find::config::{Format, links};
    use crate::facts::{LinkContext, LinkUse};

    const WEB_CLIP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>Label</key>
			<string>Field App</string>
			<key>URL</key>
			<string>itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist</string>
		</dict>
	</array>
	<key>PayloadType</key>
	<string>Configuration</string>
</dict>
</plist>
"#;

    #[test]
    fn a_web_clip_url_is_decoded_markup_at_its_key_path() {
        let found = links(Format::Xml, WEB_CLIP);
        assert_eq!(found.len(), 1);
        let l = &found[0];
        assert_eq!(
            l.written,
            "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist"
        );
        let LinkContext::Text { place, used_as, .. } = &l.context else {
            panic!("text")
        };
        assert_eq!(place, "plist value at PayloadContent[0].URL");
        assert_eq!(*used_as, LinkUse::Markup);
        assert_eq!(crate::text::line_and_column(WEB_CLIP, l.offset), (11, 12));
        let lit = l.literal.clone().expect("literal");
        assert!(WEB_CLIP[lit.start..lit.end].contains("&amp;url="));
    }

    #[test]
    fn generic_xml_text_attributes_cdata_and_broken_documents() {
        let xml = "<config><install url=\"itms-services://?a=1&amp;url=x\"/><n><![CDATA[itms-services://?b=1&url=y]]></n></config>";
        let found = links(Format::Xml, xml);
        let got: Vec<(&str, String)> = found
            .iter()
            .map(|l| match &l.context {
                LinkContext::Text { place, .. } => (l.written.as_str(), place.clone()),
                _ => panic!("text"),
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "itms-services://?a=1&url=x",
                    "XML attribute url of <install>".to_string()
                ),
                ("itms-services://?b=1&url=y", "XML text at config/n".to_string()),
            ]
        );
        let broken = links(Format::Xml, "<a><b>itms-services://?a=1&amp;url=x</a>");
        assert_eq!(broken[0].written, "itms-services://?a=1&url=x");
    }
}
