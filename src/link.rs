//! Parse an itms-services link the way iOS does: keep the text as written, take off what
//! wraps it, split the query on `&`, percent-decode each name and value exactly once.
//!
//! The grammar is shared: collectors use it to find and record links, the rules to rebuild a
//! corrected one. It records; it never decides what is wrong (see `check::lnk`).

use crate::facts::{LinkContext, LinkFacts, LinkParam, Literal, ParsedLink, TemplateValue, Wrapping};
use crate::finding::Location;
use crate::text::{edit_distance, percent_decode_once};

/// Builds the facts for one link found in `context`.
pub fn link_facts(written: &str, context: LinkContext, location: Option<Location>, dynamic: bool) -> LinkFacts {
    let (text, wrapping) = unwrap(written, context.browser_parsed());
    let parsed = parse(&text);
    LinkFacts {
        written: written.to_string(),
        source_text: None,
        context,
        location,
        wrapping,
        dynamic,
        text,
        parsed,
        values: Vec::new(),
        literal: None,
    }
}

/// A value put into a link at run time, as a collector found it: its source text and the
/// encoding call it passes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub expression: String,
    pub encoded_by: Option<String>,
}

/// Builds the facts for a link found in a text: its template values are placed in the parsed
/// text (in order; a value is found after the one before it), the link marked dynamic when it
/// has any, and the literal it came from kept for `--fix`.
pub fn found_link_facts(
    written: &str,
    context: LinkContext,
    location: Option<Location>,
    values: Vec<Value>,
    literal: Option<Literal>,
) -> LinkFacts {
    let dynamic = !values.is_empty();
    let mut facts = link_facts(written, context, location, dynamic);
    let mut from = 0;
    for value in values {
        let Some(at) = facts.text.get(from..).and_then(|rest| rest.find(&value.expression)) else {
            continue;
        };
        let start = from + at;
        let end = start + value.expression.len();
        from = end;
        facts.values.push(TemplateValue {
            expression: value.expression,
            start,
            end,
            encoded_by: value.encoded_by,
        });
    }
    if !facts.values.is_empty() {
        facts.parsed = parse_with_values(&facts.text, &facts.values);
    }
    facts.literal = literal;
    facts
}

/// Parses a template's link with its values as opaque: a `#`, `?` or `&` inside `#{x}` or
/// `{{ a ? b : c }}` does not split the link; the parts keep the values as written.
fn parse_with_values(text: &str, values: &[TemplateValue]) -> ParsedLink {
    let mut masked = text.as_bytes().to_vec();
    for v in values {
        for b in masked.get_mut(v.start..v.end).into_iter().flatten() {
            *b = b'x';
        }
    }
    let Ok(masked) = String::from_utf8(masked) else {
        return parse(text);
    };
    let mut p = parse(&masked);
    let part = |start: usize, len: usize| text.get(start..start + len).map(str::to_string);
    if let Some(scheme) = &p.scheme {
        p.scheme = part(0, scheme.len());
    }
    let path_start = p.scheme.as_ref().map_or(0, |s| s.len() + 1) + p.slashes;
    p.authority_and_path = part(path_start, p.authority_and_path.len()).unwrap_or_default();
    if let Some(query) = &p.query {
        p.query = part(p.query_start, query.len());
    }
    if let (Some(at), Some(_)) = (p.fragment_start, &p.fragment) {
        p.fragment = text.get(at + 1..).map(str::to_string);
    }
    for q in &mut p.params {
        let raw_name = part(q.start, q.raw_name.len()).unwrap_or_default();
        let raw_value = q
            .raw_value
            .as_ref()
            .and_then(|v| part(q.start + q.raw_name.len() + 1, v.len()));
        q.name = percent_decode_once(&raw_name);
        q.value = raw_value.as_deref().map(percent_decode_once);
        q.raw_name = raw_name;
        q.raw_value = raw_value;
    }
    p.action = p.param("action").and_then(|q| q.value.clone());
    p.manifest_url = p.param("url").and_then(|q| q.value.clone());
    p
}

/// Takes off what surrounds or breaks up a pasted link. When a browser parsed the link
/// (`browser_parsed`), it already removed tabs, line breaks and outer spaces, so those are
/// not recorded as wrapping.
pub fn unwrap(written: &str, browser_parsed: bool) -> (String, Vec<Wrapping>) {
    let mut text = written.to_string();
    let mut found = Vec::new();
    let note = |w: Wrapping, found: &mut Vec<Wrapping>| {
        if !found.contains(&w) {
            found.push(w);
        }
    };
    if browser_parsed {
        text = text
            .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
            .to_string();
        text.retain(|c| c != '\t' && c != '\n' && c != '\r');
    }
    loop {
        let before = text.clone();
        let trimmed = text.trim();
        if trimmed.len() != text.len() {
            note(Wrapping::SurroundingWhitespace, &mut found);
            text = trimmed.to_string();
        }
        for (open, close) in [
            ("\"", "\""),
            ("'", "'"),
            ("\u{201c}", "\u{201d}"),
            ("\u{2018}", "\u{2019}"),
            ("`", "`"),
        ] {
            if text.len() >= open.len() + close.len() && text.starts_with(open) && text.ends_with(close) {
                text = text[open.len()..text.len() - close.len()].to_string();
                note(Wrapping::Quotes, &mut found);
            }
        }
        if text.len() >= 2 && text.starts_with('<') && text.ends_with('>') {
            text = text[1..text.len() - 1].to_string();
            note(Wrapping::AngleBrackets, &mut found);
        }
        if text.contains("=\n") || text.contains("=\r\n") {
            text = remove_soft_breaks(&text);
            if text.contains("=3D") {
                text = decode_quoted_printable(&text);
            }
            note(Wrapping::SoftBreaks, &mut found);
        }
        if text.contains('\n') || text.contains('\r') {
            text = join_lines(&text);
            note(Wrapping::LineBreaks, &mut found);
        }
        if text == before {
            break;
        }
    }
    (text, found)
}

/// Removes quoted-printable soft breaks (`=` at a line end) and any indentation a mail client
/// put after them (a link never contains a space).
fn remove_soft_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("=\n").or_else(|| rest.find("=\r\n")) {
        let break_len = if rest[i..].starts_with("=\r\n") { 3 } else { 2 };
        out.push_str(&rest[..i]);
        rest = rest[i + break_len..].trim_start_matches([' ', '\t']);
    }
    out.push_str(rest);
    out
}

/// Removes line breaks and the whitespace around them.
fn join_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if i == 0 {
            out.push_str(line.trim_end());
        } else {
            out.push_str(line.trim());
        }
    }
    out
}

/// Decodes `=XX` escapes of quoted-printable text (soft breaks already removed).
fn decode_quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16).filter(|_| !b.is_ascii_lowercase());
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `text` into the parts iOS sees. Never fails: a missing part is `None` or empty.
pub fn parse(text: &str) -> ParsedLink {
    let mut parsed = ParsedLink::default();
    let Some(colon) = text.find(':') else {
        return parsed;
    };
    let scheme = &text[..colon];
    // A scheme is letters, digits, + - . ; anything else means there is no scheme.
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return parsed;
    }
    parsed.scheme = Some(scheme.to_string());
    let rest_start = colon + 1;
    let rest = &text[rest_start..];
    parsed.slashes = rest.chars().take_while(|c| *c == '/').count();
    let after_slashes = rest_start + parsed.slashes;
    let tail = &text[after_slashes..];
    let end_of_path = tail.find(['?', '#']).map_or(text.len(), |i| after_slashes + i);
    parsed.authority_and_path = text[after_slashes..end_of_path].to_string();
    let fragment_start = text[end_of_path..].find('#').map(|i| end_of_path + i);
    parsed.fragment_start = fragment_start;
    parsed.fragment = fragment_start.map(|i| text[i + 1..].to_string());
    if text[end_of_path..].starts_with('?') {
        let query_start = end_of_path + 1;
        let query_end = fragment_start.unwrap_or(text.len());
        let query = &text[query_start..query_end];
        parsed.query = Some(query.to_string());
        parsed.query_start = query_start;
        let mut offset = query_start;
        for pair in query.split('&') {
            let (raw_name, raw_value) = match pair.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (pair, None),
            };
            parsed.params.push(LinkParam {
                start: offset,
                end: offset + pair.len(),
                raw_name: raw_name.to_string(),
                raw_value: raw_value.map(str::to_string),
                name: percent_decode_once(raw_name),
                value: raw_value.map(percent_decode_once),
            });
            offset += pair.len() + 1;
        }
    }
    parsed.action = parsed.param("action").and_then(|p| p.value.clone());
    parsed.manifest_url = parsed.param("url").and_then(|p| p.value.clone());
    parsed
}

/// What a template value must hold, from where it stands in the link: the value after
/// `url=`, the action, or a part before the query.
pub fn value_requirement(link: &LinkFacts, value: &TemplateValue) -> String {
    let p = &link.parsed;
    let param = p.params.iter().find(|q| q.start <= value.start && value.end <= q.end);
    let in_value = |name: &str| param.is_some_and(|q| q.name == name && value.start > q.start + q.raw_name.len());
    if in_value("url") {
        let whole = param.is_some_and(|q| q.raw_value.as_deref() == Some(value.expression.as_str()));
        let what = if whole {
            "the value after url= must be the manifest's https URL, percent-encoded once"
        } else {
            "this part of the manifest URL must be percent-encoded once"
        };
        let why = "(encodeURIComponent, urlencode, rawurlencode, url_encode, CGI.escape, \
                   url.QueryEscape, URLEncoder.encode, Uri.EscapeDataString, {{ x | urlencode }}), \
                   since iOS decodes it once and splits the link at every raw \"&\"";
        return match &value.encoded_by {
            Some(call) => format!("{what} {why}; here it passes through {call}: right"),
            None => format!(
                "{what} {why}; here it is put in as is: right only if it never holds \"&\", \"#\", \"+\" or \"%\""
            ),
        };
    }
    if in_value("action") {
        return "the value after action= must be download-manifest".to_string();
    }
    if value.start < p.query_start {
        return "the link must still start with itms-services://? once this value is put in".to_string();
    }
    "this value must not add \"&\", \"#\" or another \"url=\" to the link".to_string()
}

/// Whether `text` is a scheme and nothing else (`itms-services:`, `itms-services://`,
/// `itms-services://?`): the start of a link that code compares with or writes about.
pub fn is_bare_scheme(text: &str) -> bool {
    text.split_once(':')
        .is_some_and(|(scheme, rest)| !scheme.is_empty() && rest.trim_matches(['/', '?']).is_empty())
}

/// Whether `text` is meant as an itms-services link: the right scheme, a near miss of it, or
/// anything that asks for `download-manifest`. In a page (`in_page`), App Store links
/// (`itms-apps:`) are ordinary links and only count when they ask for a manifest.
pub fn looks_like_link(text: &str, in_page: bool) -> bool {
    let (text, _) = unwrap(text, in_page);
    let lower = text.to_ascii_lowercase();
    let scheme = lower.split(':').next().unwrap_or("");
    if lower.contains(':') && (scheme == "http" || scheme == "https") {
        return false;
    }
    if lower.contains("download-manifest") || lower.contains("download_manifest") {
        return true;
    }
    if !lower.contains(':') || scheme.is_empty() || !scheme.starts_with('i') {
        return false;
    }
    if scheme == "itms-services" || (scheme.len() > 5 && edit_distance(scheme, "itms-services") <= 3) {
        return !["itms-apps", "itms-appss", "itmss"].contains(&scheme) || !in_page;
    }
    !in_page && ["itms", "itms-apps", "itms-appss", "itmss"].contains(&scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_links_and_near_misses() {
        assert!(looks_like_link("itms-services://?action=download-manifest&url=x", true));
        assert!(looks_like_link("ITMS-SERVICES://?x", false));
        assert!(looks_like_link("itms-servies://?x", true));
        assert!(looks_like_link("itms-apps://?action=download-manifest&url=x", true));
        assert!(looks_like_link("itms-apps://apps.apple.com/app/id1", false));
        assert!(!looks_like_link("itms-apps://apps.apple.com/app/id1", true));
        assert!(!looks_like_link("https://h/?action=download-manifest", false));
        assert!(!looks_like_link("mailto:x@y", false));
    }

    #[test]
    fn splits_on_every_ampersand_and_decodes_once() {
        let p = parse("itms-services://?action=download-manifest&url=https%253A%2F%2Fh%2Fm.plist&x");
        assert_eq!(p.scheme.as_deref(), Some("itms-services"));
        assert_eq!(p.slashes, 2);
        assert_eq!(p.action.as_deref(), Some("download-manifest"));
        assert_eq!(p.manifest_url.as_deref(), Some("https%3A//h/m.plist"));
        assert_eq!(p.params.len(), 3);
        assert_eq!(p.params[2].value, None);
    }

    #[test]
    fn plus_stays_plus() {
        let p = parse("itms-services://?action=download-manifest&url=https://h/a+b.plist");
        assert_eq!(p.manifest_url.as_deref(), Some("https://h/a+b.plist"));
    }

    #[test]
    fn fragment_ends_the_query() {
        let p = parse("itms-services://?action=download-manifest&url=https://h/m.plist#x&y=1");
        assert_eq!(p.manifest_url.as_deref(), Some("https://h/m.plist"));
        assert_eq!(p.fragment.as_deref(), Some("x&y=1"));
    }

    #[test]
    fn unwraps_mail_wrapping() {
        let (t, w) = unwrap(
            "  <itms-services://?action=download-manifest&url=https://h/=\n  m.plist>\n",
            false,
        );
        assert_eq!(t, "itms-services://?action=download-manifest&url=https://h/m.plist");
        assert!(w.contains(&Wrapping::AngleBrackets));
        assert!(w.contains(&Wrapping::SoftBreaks));
        assert!(w.contains(&Wrapping::SurroundingWhitespace));
    }

    #[test]
    fn browser_parsed_links_are_not_wrapped() {
        let (t, w) = unwrap(
            " itms-services://?action=download-manifest\n&url=https://h/m.plist ",
            true,
        );
        assert_eq!(t, "itms-services://?action=download-manifest&url=https://h/m.plist");
        assert!(w.is_empty());
    }
}
