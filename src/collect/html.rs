//! Every itms-services link in an HTML page, with the context that decides how it was decoded:
//! attribute values (entities decoded by the HTML parser), `on…` handlers and `<script>`
//! strings (JavaScript strings, not decoded unless inside an attribute), and meta refresh.
//!
//! Tokenizing is html5gum's (a WHATWG tokenizer); comments are skipped, as browsers do.

use std::ops::Range;

use html5gum::{DefaultEmitter, Token, Tokenizer};

use crate::collect::find::template::{Piece, Tag};
use crate::collect::find::{FoundLink, code};
use crate::collect::js;
use crate::facts::{Escaping, LinkContext, LinkUse, Literal, TextKind};
use crate::link::{Value, looks_like_link};

/// Finds the links in `html`, in document order.
pub fn find_links(html: &str) -> Vec<FoundLink> {
    find(html, None)
}

/// A local template file read as a page: `masked` is its text with every template tag
/// overwritten by `x` (same length, so offsets hold), `original` the text as written.
pub struct TemplatePage<'a> {
    pub original: &'a str,
    /// Where the template tags are in `original`.
    pub regions: &'a [Range<usize>],
    /// The template engine's tags (for the values of attributes and script strings).
    pub tags: &'static [Tag],
    /// The engine's name, for the facts (`php`, `erb`, `jinja`, …).
    pub engine: &'static str,
    /// The names the template binds to link attributes (`:href="link"`), for its scripts.
    pub bound: &'a code::Bindings,
}

/// Finds the links in a template's page, in document order: attribute values hold template
/// values (`{{ x }}`, `<?php echo $x ?>`), scripts are JavaScript with template tags in their
/// strings, and the text of the page is searched as prose.
pub fn find_links_in_template(masked: &str, page: &TemplatePage<'_>) -> Vec<FoundLink> {
    find(masked, Some(page))
}

fn find(html: &str, template: Option<&TemplatePage<'_>>) -> Vec<FoundLink> {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut found = Vec::new();
    let mut script: Option<(usize, String)> = None;
    let mut in_style = false;
    let original = template.map_or(html, |t| t.original);
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if name == "script" {
                    script = Some((tag.span.end, String::new()));
                }
                in_style = name == "style";
                let is_refresh = name == "meta"
                    && tag.attributes.iter().any(|(k, v)| {
                        k.eq_ignore_ascii_case(b"http-equiv")
                            && String::from_utf8_lossy(v).trim().eq_ignore_ascii_case("refresh")
                    });
                for (attr, value) in &tag.attributes {
                    let attr_name = String::from_utf8_lossy(attr).to_ascii_lowercase();
                    let offset = value.span.start;
                    if let Some(t) = template {
                        template_attribute(t, &name, &attr_name, value.span.start, value.span.end, &mut found);
                        continue;
                    }
                    let decoded = String::from_utf8_lossy(value).into_owned();
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
                } else if let Some(t) = template
                    && !in_style
                {
                    template_text(t, html, text.span.start..text.span.end, &mut found);
                }
            }
            Token::EndTag(tag) if tag.name.eq_ignore_ascii_case(b"script") => {
                if let Some((start, buffer)) = script.take() {
                    match template {
                        Some(t) => {
                            let end = (start + buffer.len()).min(original.len());
                            found.extend(code::links_in_part(
                                original,
                                start..end,
                                &code::JAVASCRIPT,
                                t.tags,
                                TextKind::Template,
                                None,
                                Some(t.bound),
                            ));
                        }
                        None => page_script_links(&buffer, start, &mut found),
                    }
                }
            }
            Token::EndTag(tag) if tag.name.eq_ignore_ascii_case(b"style") => in_style = false,
            _ => {}
        }
    }
    found
}

/// The links in a page's `<script>` (at `start`): a string used as a URL (`location.href`,
/// `window.open`) is a script string, as before; one inserted as HTML (`innerHTML`,
/// `document.write`) is decoded markup; one whose use the page does not show is unknown.
fn page_script_links(script: &str, start: usize, found: &mut Vec<FoundLink>) {
    let strings = js::string_literals(script);
    let mut k = 0;
    for mut link in code::links_in_part(
        script,
        0..script.len(),
        &code::JAVASCRIPT,
        &[],
        TextKind::Source,
        None,
        None,
    ) {
        // the literal the link stands in, for the script target the report names
        while k + 1 < strings.len() && strings[k + 1].start < link.offset {
            k += 1;
        }
        let target = strings
            .get(k)
            .filter(|s| s.start < link.offset)
            .map(|s| s.target.clone());
        // a string used as a URL where it stands (not through a name assigned before)
        let direct =
            matches!(&link.context, LinkContext::Text { used_as: LinkUse::Url, place, .. } if !place.contains(", "));
        if direct && let Some(target) = target {
            link.context = LinkContext::JsString {
                target,
                inside_attribute: false,
            };
        }
        link.offset += start;
        if let Some(l) = link.literal.as_mut() {
            l.start += start;
            l.end += start;
        }
        found.push(link);
    }
}

/// An attribute of a template's tag (`span` is the whole attribute in the original text).
fn template_attribute(
    t: &TemplatePage<'_>,
    tag: &str,
    attr: &str,
    start: usize,
    end: usize,
    found: &mut Vec<FoundLink>,
) {
    let Some((value_start, value_end)) = raw_value_range(t.original, start, end) else {
        return;
    };
    let raw = &t.original[value_start..value_end];
    if attr.starts_with("on") {
        let decoded = crate::collect::find::code::decode_static(raw, &[]);
        script_links(&decoded, true, |_| start, found);
        return;
    }
    // Vue binds `:href="'…'"`: the template is HTML-decoded before the expression is compiled,
    // so its string literals are markup; Angular's `[href]` is a property binding: nothing is
    // decoded
    let binding = if let Some(prop) = attr.strip_prefix(':').or_else(|| attr.strip_prefix("v-bind:")) {
        Some((LinkUse::Markup, format!("in the Vue binding :{prop}")))
    } else if attr.starts_with('[') && attr.ends_with(']') {
        Some((LinkUse::Url, format!("bound to {attr} (an Angular property binding)")))
    } else {
        None
    };
    if let Some((use_, place)) = binding {
        found.extend(code::links_in_part(
            t.original,
            value_start..value_end,
            &code::JAVASCRIPT,
            t.tags,
            TextKind::Template,
            Some((use_, &place)),
            None,
        ));
        return;
    }
    let (written, values, value_ranges) = template_value(raw, t.tags);
    let statics: String = crate::collect::find::template::split(raw, t.tags)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Static(r) => Some(&raw[r]),
            Piece::Value(_) => None,
        })
        .collect();
    if statics.trim().is_empty() || !looks_like_link(&written, true) {
        return;
    }
    let _ = value_ranges;
    let literal = values.is_empty().then_some(Literal {
        start: value_start,
        end: value_end,
        escaping: Escaping::Markup,
    });
    found.push(FoundLink {
        source_text: (written != raw).then(|| raw.to_string()),
        written,
        context: LinkContext::Text {
            text_kind: TextKind::Template,
            language: t.engine.to_string(),
            place: format!("<{tag} {attr}> in the template"),
            used_as: LinkUse::Markup,
        },
        offset: value_start,
        dynamic: !values.is_empty(),
        values,
        literal,
    });
}

/// An attribute value of a template as the browser gets it: its static text decoded, its
/// template values kept as written (a newline right after PHP's `?>` is swallowed by PHP).
fn template_value(raw: &str, tags: &[Tag]) -> (String, Vec<Value>, Vec<Range<usize>>) {
    let mut written = String::with_capacity(raw.len());
    let mut values = Vec::new();
    let mut ranges = Vec::new();
    let mut swallow_newline = false;
    for piece in crate::collect::find::template::split(raw, tags) {
        match piece {
            Piece::Static(r) => {
                let mut text = &raw[r];
                if swallow_newline {
                    text = text
                        .strip_prefix("\r\n")
                        .or_else(|| text.strip_prefix('\n'))
                        .unwrap_or(text);
                }
                written.push_str(&crate::collect::find::entities::decode_html(text));
                swallow_newline = false;
            }
            Piece::Value(r) => {
                let expr = &raw[r];
                let at = written.len();
                written.push_str(expr);
                ranges.push(at..written.len());
                values.push(crate::collect::find::template::value(expr));
                swallow_newline = expr.starts_with("<?") && expr.ends_with("?>");
            }
        }
    }
    (written, values, ranges)
}

/// Links written in a template's text (`range` of the original), read as prose with the
/// template's values in them: the page shows them, or the text around them is a message.
fn template_text(t: &TemplatePage<'_>, masked: &str, range: Range<usize>, found: &mut Vec<FoundLink>) {
    // the masked text hides code blocks (a link there is the code's) and shows values as `x`
    let (Some(text), Some(masked)) = (t.original.get(range.clone()), masked.get(range.clone())) else {
        return;
    };
    if !masked.contains(':') && !masked.contains("manifest") {
        return;
    }
    for (s, e) in crate::collect::find::prose::spans(masked) {
        let Some(raw) = text.get(s..e) else { continue };
        let (written, values, _) = template_value(raw, t.tags);
        found.push(FoundLink {
            source_text: (written != raw).then(|| raw.to_string()),
            written,
            context: LinkContext::Text {
                text_kind: TextKind::Template,
                language: t.engine.to_string(),
                place: "the template's text".to_string(),
                used_as: LinkUse::Markup,
            },
            offset: range.start + s,
            dynamic: !values.is_empty(),
            literal: values.is_empty().then_some(Literal {
                start: range.start + s,
                end: range.start + e,
                escaping: Escaping::Markup,
            }),
            values,
        });
    }
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

/// Where the value of `name="value"` (the attribute at `start..end`) stands, without quotes.
fn raw_value_range(html: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let slice = html.get(start..end.min(html.len()))?;
    let eq = slice.find('=')?;
    let after = &slice[eq + 1..];
    let lead = after.len() - after.trim_start().len();
    let mut s = start + eq + 1 + lead;
    let mut e = start + slice.len();
    let value = &html[s..e];
    if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
        s += 1;
        if html[s..e].ends_with(q) {
            e -= 1;
        }
    }
    (s <= e).then_some((s, e))
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

#[cfg(test)]
mod offset_tests {
    use super::*;

    #[test]
    fn a_script_string_is_located_at_its_link() {
        let html = "<script>\n  location.href = 'itms-services://?action=download-manifest&url=x';\n</script>";
        let links = find_links(html);
        assert_eq!(links.len(), 1);
        let expected = html.find("itms-services").unwrap_or(0);
        assert_eq!(links[0].offset, expected);
        let page = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/pages/install-broken.html"
        ))
        .unwrap_or_default();
        let links = find_links(&page);
        let last = links.last().map_or(0, |l| l.offset);
        let expected = page.rfind("itms-services").unwrap_or(0);
        assert_eq!(&page[last..last + 20], &page[expected..expected + 20]);
    }
}
