//! Every itms-services link in an HTML page, with the context that decides how it was decoded:
//! attribute values (entities decoded by the HTML parser), `on…` handlers and `<script>`
//! strings (JavaScript strings, not decoded unless inside an attribute), and meta refresh.
//!
//! Tokenizing is html5gum's (a WHATWG tokenizer); comments are skipped, as browsers do.

use html5gum::{DefaultEmitter, Token, Tokenizer};

use crate::collect::find::FoundLink;
use crate::collect::js;
use crate::facts::{Escaping, LinkContext, Literal};
use crate::link::looks_like_link;

/// Finds the links in `html`, in document order.
pub fn find_links(html: &str) -> Vec<FoundLink> {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut found = Vec::new();
    let mut script: Option<(usize, String)> = None;
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if name == "script" {
                    script = Some((tag.span.end, String::new()));
                }
                let is_refresh = name == "meta"
                    && tag.attributes.iter().any(|(k, v)| {
                        k.eq_ignore_ascii_case(b"http-equiv")
                            && String::from_utf8_lossy(v).trim().eq_ignore_ascii_case("refresh")
                    });
                for (attr, value) in &tag.attributes {
                    let attr_name = String::from_utf8_lossy(attr).to_ascii_lowercase();
                    let decoded = String::from_utf8_lossy(value).into_owned();
                    let offset = value.span.start;
                    let source = raw_value(html, value.span.start, value.span.end);
                    if attr_name.starts_with("on") {
                        // the whole handler sits at the attribute: offsets inside it are not source offsets
                        script_links(&decoded, true, |_| offset, &mut found);
                    } else if is_refresh && attr_name == "content" {
                        if let Some(target) = refresh_target(&decoded)
                            && looks_like_link(&target, true)
                        {
                            found.push(FoundLink {
                                written: target,
                                source_text: source.filter(|s| *s != decoded),
                                context: LinkContext::MetaRefresh,
                                offset,
                                dynamic: false,
                                values: Vec::new(),
                                literal: None,
                            });
                        }
                    } else if looks_like_link(&decoded, true) {
                        let literal = value_range(html, value.span.start, &decoded).map(|(start, end)| Literal {
                            start,
                            end,
                            escaping: Escaping::Markup,
                        });
                        found.push(FoundLink {
                            source_text: source.filter(|s| *s != decoded),
                            written: decoded,
                            context: LinkContext::HtmlAttribute {
                                tag: name.clone(),
                                attribute: attr_name,
                            },
                            offset,
                            dynamic: false,
                            values: Vec::new(),
                            literal,
                        });
                    }
                }
            }
            Token::String(text) => {
                if let Some((start, buffer)) = script.as_mut() {
                    if buffer.is_empty() {
                        *start = text.span.start;
                    }
                    buffer.push_str(&String::from_utf8_lossy(&text));
                }
            }
            Token::EndTag(tag) if tag.name.eq_ignore_ascii_case(b"script") => {
                if let Some((start, buffer)) = script.take() {
                    script_links(&buffer, false, |at| start + at, &mut found);
                }
            }
            _ => {}
        }
    }
    found
}

/// The links among a script's string literals; `offset` maps a position in the script to one
/// in the page.
fn script_links(script: &str, inside_attribute: bool, offset: impl Fn(usize) -> usize, found: &mut Vec<FoundLink>) {
    for s in js::string_literals(script) {
        if looks_like_link(&s.value, true) {
            found.push(FoundLink {
                offset: offset(s.start),
                written: s.value,
                source_text: None,
                context: LinkContext::JsString {
                    target: s.target,
                    inside_attribute,
                },
                dynamic: s.dynamic,
                values: Vec::new(),
                literal: None,
            });
        }
    }
}

/// The value part of `name="value"` in the source, without its quotes.
fn raw_value(html: &str, start: usize, end: usize) -> Option<String> {
    let slice = html.get(start..end.min(html.len()))?;
    let (_, value) = slice.split_once('=')?;
    let value = value.trim_start();
    let value = value
        .strip_prefix('"')
        .map(|v| v.strip_suffix('"').unwrap_or(v))
        .or_else(|| value.strip_prefix('\'').map(|v| v.strip_suffix('\'').unwrap_or(v)))
        .unwrap_or(value);
    Some(value.to_string())
}

/// The byte range of the raw value of the attribute whose name starts at `start` (inside its
/// quotes), when it decodes to `decoded`: where `--fix` writes a corrected link.
fn value_range(html: &str, start: usize, decoded: &str) -> Option<(usize, usize)> {
    let bytes = html.as_bytes();
    let eq = start + bytes.get(start..)?.iter().position(|b| *b == b'=' || *b == b'>')?;
    if bytes[eq] != b'=' {
        return None;
    }
    let mut s = eq + 1;
    while s < bytes.len() && bytes[s].is_ascii_whitespace() {
        s += 1;
    }
    let (s, e) = match bytes.get(s) {
        Some(q @ (b'"' | b'\'')) => (s + 1, s + 1 + bytes[s + 1..].iter().position(|b| b == q)?),
        Some(_) => (
            s,
            s + bytes[s..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'>')
                .unwrap_or(bytes.len() - s),
        ),
        None => return None,
    };
    let raw = html.get(s..e)?;
    (crate::collect::find::entities::decode_html(raw) == decoded).then_some((s, e))
}

/// The URL of a refresh `content` value such as `0; url='itms-services://…'`.
fn refresh_target(content: &str) -> Option<String> {
    let (_, rest) = content.split_once([';', ','])?;
    let rest = rest.trim_start();
    // `get`: the first three bytes may end inside a character
    let rest = match (rest.get(..3), rest.get(3..)) {
        (Some(word), Some(after)) if word.eq_ignore_ascii_case("url") => {
            after.trim_start().strip_prefix('=').unwrap_or(after).trim_start()
        }
        _ => rest,
    };
    let unquoted = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
        _ => rest,
    };
    Some(unquoted.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_links_in_every_context() {
        let html = r#"<!doctype html><html><head>
<meta http-equiv="Refresh" content="0; URL='itms-services://?action=download-manifest&amp;url=https://h/a.plist'">
</head><body>
<!-- <a href="itms-services://commented-out"> -->
<a href="itms-services://?action=download-manifest&amp;url=https://h/b.plist">b</a>
<a href="https://example.net/">web</a>
<button onclick="location.href='itms-services://?action=download-manifest&amp;url=https://h/c.plist'">c</button>
<script>
  // location = 'itms-services://?no'
  window.location = 'itms-services://?action=download-manifest&amp;url=https://h/d.plist';
</script></body></html>"#;
        let links = find_links(html);
        let written: Vec<&str> = links.iter().map(|l| l.written.as_str()).collect();
        assert_eq!(
            written,
            [
                "itms-services://?action=download-manifest&url=https://h/a.plist",
                "itms-services://?action=download-manifest&url=https://h/b.plist",
                "itms-services://?action=download-manifest&url=https://h/c.plist",
                "itms-services://?action=download-manifest&amp;url=https://h/d.plist",
            ]
        );
        assert_eq!(links[0].context, LinkContext::MetaRefresh);
        assert!(matches!(
            links[2].context,
            LinkContext::JsString {
                inside_attribute: true,
                ..
            }
        ));
        assert!(matches!(
            links[3].context,
            LinkContext::JsString {
                inside_attribute: false,
                ..
            }
        ));
        assert_eq!(
            links[1].source_text.as_deref(),
            Some("itms-services://?action=download-manifest&amp;url=https://h/b.plist")
        );
        let (line, _) = crate::text::line_and_column(html, links[3].offset);
        assert_eq!(line, 10);
        let (line, _) = crate::text::line_and_column(html, links[1].offset);
        assert_eq!(line, 5);
    }
}
