//! What the author of a link meant, and the corrected link: the judgement behind every
//! "fix" that shows a link, kept in one place so every rule shows the same corrected link.

use crate::facts::LinkFacts;
use crate::link::parse;
use crate::text::encode_component;

/// The manifest URL a link was meant to carry, two ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The URL the phone ends up with once the link's own mistakes are undone (decoded once,
    /// as iOS does): URL rules judge this one.
    pub effective: String,
    /// The URL as the author wrote it, which the corrected link must carry.
    pub literal: String,
}

/// What the link was meant to be, worked out once per link for every rule that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRepair {
    pub intent: Option<Intent>,
    /// The corrected link: `canonical_link` of the repaired literal URL.
    pub corrected: Option<String>,
}

impl LinkRepair {
    pub fn of(link: &LinkFacts) -> LinkRepair {
        let intent = intent(link);
        let corrected = intent
            .as_ref()
            .map(|i| canonical_link(&secure_url(&repair_url(&i.literal))));
        LinkRepair { intent, corrected }
    }
}

/// The itms-services link that carries `manifest_url`, encoded once as iOS expects.
pub fn canonical_link(manifest_url: &str) -> String {
    format!(
        "itms-services://?action=download-manifest&url={}",
        encode_component(manifest_url)
    )
}

/// Undoes what the link did to the manifest URL: a duplicated prefix, HTML entities, an
/// unencoded query or fragment, double encoding. `None` when the link carries no URL at all.
pub fn intent(link: &LinkFacts) -> Option<Intent> {
    let mut text = link.text.clone();
    if let Some(last) = last_prefix(&text) {
        text = text[last..].to_string();
    }
    let text = replace_ampersand_entities(&text);
    // the link as parsed already, unless a prefix or an entity was taken off
    let reparsed;
    let parsed = if text == link.text {
        &link.parsed
    } else {
        reparsed = parse(&text);
        &reparsed
    };
    let index = parsed.param_index("url")?;
    let param = &parsed.params[index];
    let raw = param.raw_value.clone().filter(|v| !v.trim().is_empty())?;
    let decoded = param.value.clone().unwrap_or_default();
    let written_unencoded = raw.contains("://");
    let mut literal = if written_unencoded {
        raw.clone()
    } else {
        decoded.clone()
    };
    let mut effective = decoded.clone();
    if decoded.contains('?') {
        for lost in parsed.params[index + 1..]
            .iter()
            .filter(|p| p.name != "action" && p.name != "url")
        {
            let pair = &text[lost.start..lost.end];
            literal.push('&');
            literal.push_str(pair);
            effective.push('&');
            effective.push_str(&crate::text::percent_decode_once(pair));
        }
    }
    if let (Some(fragment), Some(hash)) = (&parsed.fragment, parsed.fragment_start)
        && hash > param.start
    {
        // A "#" that was meant to reach the server is part of a name: %23 in the URL. (A real
        // fragment never leaves the phone, so keeping it as %23 loses nothing the server saw.)
        literal.push_str("%23");
        literal.push_str(fragment);
        effective.push_str("%23");
        effective.push_str(&crate::text::percent_decode_once(fragment));
    }
    // Encoded twice or more: undo every extra layer (bounded; each pass shortens the text).
    for _ in 0..8 {
        if !is_still_encoded(&effective) {
            break;
        }
        effective = crate::text::percent_decode_once(&effective);
        if !written_unencoded {
            literal = crate::text::percent_decode_once(&literal);
        }
    }
    Some(Intent { effective, literal })
}

/// Whether a decoded `url` value is still percent-encoded (`https%3A%2F%2F…`).
pub fn is_still_encoded(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    lower.starts_with("https%3a")
        || lower.starts_with("http%3a")
        || lower.starts_with("https%253a")
        || lower.starts_with("http%253a")
}

/// Byte offset of the last `itms-services:` when the prefix appears more than once.
pub fn last_prefix(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let hits: Vec<usize> = lower.match_indices("itms-services:").map(|(i, _)| i).collect();
    (hits.len() > 1).then(|| hits[hits.len() - 1])
}

/// The HTML entities for `&` that can survive into a link.
pub const AMPERSAND_ENTITIES: &[&str] = &["&amp;", "&#38;", "&#038;", "&#x26;"];

/// Replaces entity-encoded ampersands (repeatedly: `&amp;amp;` too) with `&`.
pub fn replace_ampersand_entities(text: &str) -> String {
    let mut out = text.to_string();
    loop {
        let lower = out.to_ascii_lowercase();
        let Some((pos, len)) = AMPERSAND_ENTITIES
            .iter()
            .filter_map(|e| lower.find(e).map(|p| (p, e.len())))
            .min()
        else {
            return out;
        };
        out.replace_range(pos..pos + len, "&");
    }
}

/// The URL with what a URL parser refuses percent-encoded (UTF-8), outer whitespace removed
/// and a non-ASCII host in punycode. Only mechanical repairs: the scheme and host stay.
pub fn repair_url(url: &str) -> String {
    let url = url.trim();
    let host_range = host_range(url);
    let mut out = String::with_capacity(url.len());
    let mut i = 0;
    while i < url.len() {
        if let Some((start, end)) = host_range
            && i == start
            && start < end
        {
            let host = &url[start..end];
            match ::url::Host::parse(host) {
                Ok(::url::Host::Domain(ascii)) if !host.is_ascii() => out.push_str(&ascii),
                _ => out.push_str(host),
            }
            i = end;
            continue;
        }
        let Some(c) = url[i..].chars().next() else { break };
        if c == '%' && !has_hex_pair(&url[i + 1..]) {
            out.push_str("%25");
        } else if needs_encoding(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
        i += c.len_utf8();
    }
    out
}

/// The URL as the device can fetch it: `https`, since iOS 7.1 refuses an http manifest (URL001),
/// and without a port that belongs to the other scheme or is https's own (`:80`, `:443`:
/// URL009's generator behind a TLS-terminating proxy). The corrected link carries this form: a
/// link still on http would be refused all the same.
pub fn secure_url(url: &str) -> String {
    let url = match url.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("http://") => format!("https://{}", &url[7..]),
        _ => url.to_string(),
    };
    if !url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
        return url;
    }
    let Some((_, host_end)) = host_range(&url) else {
        return url;
    };
    let authority_end = url[host_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| host_end + i);
    match &url[host_end..authority_end] {
        ":80" | ":443" => format!("{}{}", &url[..host_end], &url[authority_end..]),
        _ => url,
    }
}

/// Characters an RFC 3986 URL parser (NSURL) refuses unencoded.
pub fn needs_encoding(c: char) -> bool {
    !c.is_ascii() || c.is_ascii_control() || c == ' ' || "<>\"{}|\\^`".contains(c)
}

fn has_hex_pair(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_hexdigit() && b[1].is_ascii_hexdigit()
}

/// Byte range of the host in `scheme://[userinfo@]host[:port]/…`, if there is one.
pub fn host_range(url: &str) -> Option<(usize, usize)> {
    let scheme_end = url.find("://")?;
    let start = scheme_end + 3;
    let authority_end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    let authority = &url[start..authority_end];
    let host_start = authority.rfind('@').map_or(start, |i| start + i + 1);
    let host_part = &url[host_start..authority_end];
    let host_end = if host_part.starts_with('[') {
        host_part.find(']').map_or(authority_end, |i| host_start + i + 1)
    } else {
        host_part.rfind(':').map_or(authority_end, |i| host_start + i)
    };
    Some((host_start, host_end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::LinkContext;
    use crate::link::link_facts;

    fn intent_of(text: &str) -> Intent {
        intent(&link_facts(text, LinkContext::Raw, None, false)).expect("intent")
    }

    #[test]
    fn joins_a_split_query() {
        let i = intent_of("itms-services://?action=download-manifest&url=https://h/m.php?app=1&token=a%2Bb");
        assert_eq!(i.literal, "https://h/m.php?app=1&token=a%2Bb");
        assert_eq!(i.effective, "https://h/m.php?app=1&token=a+b");
    }

    #[test]
    fn undoes_double_encoding() {
        let i = intent_of("itms-services://?action=download-manifest&url=https%253A%252F%252Fh%252Fm.plist");
        assert_eq!(i.effective, "https://h/m.plist");
        assert_eq!(i.literal, "https://h/m.plist");
    }

    #[test]
    fn keeps_percent_escapes_the_author_wrote() {
        let i = intent_of("itms-services://?action=download-manifest&url=https://h/app%20v2/m.plist");
        assert_eq!(i.effective, "https://h/app v2/m.plist");
        assert_eq!(i.literal, "https://h/app%20v2/m.plist");
        assert_eq!(
            canonical_link(&i.literal),
            "itms-services://?action=download-manifest&url=https%3A%2F%2Fh%2Fapp%2520v2%2Fm.plist"
        );
    }

    #[test]
    fn an_empty_host_does_not_stop_the_repair() {
        for url in [
            "https:///app/m.plist",
            "https://:8443/x",
            "https://?v=1",
            "ftp:///x",
            "https://",
            "https://@",
        ] {
            let repaired = repair_url(url);
            assert!(repaired.len() >= url.len(), "{url} -> {repaired}");
        }
    }

    #[test]
    fn repairs_only_mechanical_problems() {
        assert_eq!(
            repair_url(" https://bücher.example/a b%zz"),
            "https://xn--bcher-kva.example/a%20b%25zz"
        );
        assert_eq!(repair_url("https://[::1]:8443/x"), "https://[::1]:8443/x");
    }

    #[test]
    fn secure_urls_are_https_without_a_port_of_the_other_scheme() {
        assert_eq!(
            secure_url("http://ota.acme.com/a.plist"),
            "https://ota.acme.com/a.plist"
        );
        assert_eq!(
            secure_url("HTTP://ota.acme.com:80/a.plist"),
            "https://ota.acme.com/a.plist"
        );
        assert_eq!(
            secure_url("http://ota.acme.com:443/a.plist"),
            "https://ota.acme.com/a.plist"
        );
        assert_eq!(
            secure_url("https://ota.acme.com:80/a?x=1"),
            "https://ota.acme.com/a?x=1"
        );
        assert_eq!(secure_url("https://ota.acme.com:8443/a"), "https://ota.acme.com:8443/a");
        assert_eq!(secure_url("https://u:p@[::1]:443/a"), "https://u:p@[::1]/a");
        assert_eq!(secure_url("ftp://ota.acme.com/a"), "ftp://ota.acme.com/a");
        assert_eq!(secure_url("/relative/a.plist"), "/relative/a.plist");
    }
}
