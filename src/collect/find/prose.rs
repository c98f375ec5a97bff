//! Links in running text: a ticket, a chat message, the text part of an e-mail. Where a link
//! ends is decided by URL syntax, not by line ends: it runs over characters a URL may hold,
//! stops at whitespace, quotes and brackets that close what opened before it, and drops the
//! sentence's punctuation after it. It goes on over a line break only where the URL cannot end
//! (after `?`, `&`, `=`, `%`, or before its manifest URL) — a link a mail client wrapped.

use std::sync::LazyLock;

use regex::Regex;

use crate::collect::find::{FoundLink, entities};
use crate::facts::{Escaping, LinkContext, LinkUse, Literal, TextKind};
use crate::text::edit_distance;

/// A scheme-like word followed by `:`, or `download-manifest` (the link of a mangled scheme).
static CANDIDATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)[a-z][a-z0-9+.\-]{2,24}:|download[-_]manifest").ok());

/// The most lines a wrapped link is followed over.
const MAX_WRAPPED_LINES: usize = 8;

/// Every install link in `text`, read as running text.
pub fn links(text: &str) -> Vec<FoundLink> {
    links_with(text, TextKind::Prose, "text", "the text")
}

/// Every install link in running text of `kind` (`language` and `place` describe it).
pub fn links_with(text: &str, kind: TextKind, language: &str, place: &str) -> Vec<FoundLink> {
    spans(text)
        .into_iter()
        .map(|(start, end)| {
            let written = &text[start..end];
            let wrapped = written.contains(['\n', '\r']);
            // an HTML tag quoted in the text (`<a href="…">`): the link is that attribute's
            // value, entities decoded by the page that holds it
            if let Some((tag, attribute)) = attribute_before(text, start).filter(|_| !wrapped) {
                let decoded = entities::decode_html(written);
                return FoundLink {
                    source_text: (decoded != written).then(|| written.to_string()),
                    written: decoded,
                    context: LinkContext::Text {
                        text_kind: kind,
                        language: language.to_string(),
                        place: format!("<{tag} {attribute}> quoted in the text"),
                        used_as: LinkUse::Markup,
                    },
                    offset: start,
                    dynamic: false,
                    values: Vec::new(),
                    literal: Some(Literal {
                        start,
                        end,
                        escaping: Escaping::Markup,
                    }),
                };
            }
            FoundLink {
                written: if wrapped {
                    without_quote_marks(written)
                } else {
                    written.to_string()
                },
                source_text: None,
                context: LinkContext::Text {
                    text_kind: kind,
                    language: language.to_string(),
                    place: place.to_string(),
                    used_as: LinkUse::Url,
                },
                offset: start,
                dynamic: false,
                values: Vec::new(),
                literal: (!wrapped).then_some(Literal {
                    start,
                    end,
                    escaping: Escaping::Verbatim,
                }),
            }
        })
        .collect()
}

/// The tag and attribute when the link at `start` is the quoted value of an attribute of an
/// HTML tag written in the text (`<a href="`), looked for in the 256 bytes before it.
fn attribute_before(text: &str, start: usize) -> Option<(String, String)> {
    let mut from = start.saturating_sub(256);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = &text[from..start];
    let open = before.strip_suffix(['"', '\''])?.strip_suffix('=')?;
    let attribute: String = open
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect();
    let tag_at = open.rfind('<')?;
    if attribute.is_empty() || open[tag_at..].contains('>') {
        return None;
    }
    let tag: String = open[tag_at + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!tag.is_empty()).then(|| (tag.to_ascii_lowercase(), attribute.to_ascii_lowercase()))
}

/// A wrapped link's text without the `> ` marks that start its continued lines in a quoted
/// reply.
fn without_quote_marks(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    for (i, line) in written.split_inclusive('\n').enumerate() {
        if i > 0 && line.starts_with('>') {
            out.push_str(line.trim_start_matches(['>', ' ']));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The byte ranges of the install links in `text`, in order.
pub fn spans(text: &str) -> Vec<(usize, usize)> {
    let Some(candidate) = CANDIDATE.as_ref() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut taken_to = 0;
    // found going forward, each byte looked at once: the start of the line under way, of the
    // run of URL characters under way, and the last `:` in it
    let mut line_start = 0;
    let mut token_from = 0;
    let mut last_colon: Option<usize> = None;
    let mut scanned = 0;
    for m in candidate.find_iter(text) {
        if m.start() < taken_to {
            continue;
        }
        for (i, c) in text[scanned..m.start()].char_indices() {
            if c == '\n' {
                line_start = scanned + i + 1;
            }
            if !is_url_char(c) {
                token_from = scanned + i + c.len_utf8();
            } else if c == ':' {
                last_colon = Some(scanned + i);
            }
        }
        scanned = m.start();
        let start = if m.as_str().ends_with(':') {
            if !is_install_scheme(&m.as_str()[..m.len() - 1]) || preceded_by_word(text, m.start()) {
                continue;
            }
            m.start()
        } else {
            // `download-manifest` under some other scheme: the link starts at its word, which
            // holds a `:`
            if token_from < taken_to || last_colon.is_none_or(|c| c < token_from) {
                continue;
            }
            token_from
        };
        let quoted = text[line_start..].starts_with('>');
        let end = link_end(text, start, quoted);
        // a rejected run is not looked into again (its end was found once)
        taken_to = end;
        // a scheme alone ("links starting with itms-services:// fail") is a mention, not a link
        if end <= start
            || !crate::link::looks_like_link(&text[start..end], true)
            || crate::link::is_bare_scheme(&text[start..end])
        {
            continue;
        }
        found.push((start, end));
    }
    found
}

/// Whether a scheme is itms-services, a near miss of it, or an App Store scheme that may ask
/// for a manifest.
fn is_install_scheme(scheme: &str) -> bool {
    let lower = scheme.to_ascii_lowercase();
    lower == "itms-services"
        || ["itms", "itms-apps", "itmss", "itms-appss"].contains(&lower.as_str())
        || (lower.len() > 5 && lower.starts_with('i') && edit_distance(&lower, "itms-services") <= 3)
}

/// Whether the match continues a word (`xitms-services:` is not a link start).
fn preceded_by_word(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Characters a URL may hold as written in prose (RFC 3986 plus `%`, and non-ASCII, which
/// iOS refuses but a user may paste).
fn is_url_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
}

/// Where the link starting at `start` ends; `quoted`: its line is part of a quoted reply
/// (`> `), whose wrapped lines start with the same marks.
fn link_end(text: &str, start: usize, quoted: bool) -> usize {
    let opener = text[..start].chars().next_back();
    let closer = match opener {
        Some('<') => Some('>'),
        Some('(') => Some(')'),
        Some('[') => Some(']'),
        Some('"') => Some('"'),
        Some('\'') => Some('\''),
        Some('\u{201c}') => Some('\u{201d}'),
        Some('\u{2018}') => Some('\u{2019}'),
        _ => None,
    };
    let mut end = start;
    let mut lines = 0;
    loop {
        let run_end = text[end..]
            .char_indices()
            .find(|(_, c)| !is_url_char(*c) || Some(*c) == closer || *c == '\u{201d}')
            .map_or(text.len(), |(i, _)| end + i);
        end = trim_trailing(text, start, run_end, closer);
        if end < run_end || lines >= MAX_WRAPPED_LINES {
            break;
        }
        // a line break where the URL cannot end: the next line goes on with the link
        let Some(next) = continuation(text, start, end, closer == Some('>'), quoted) else {
            break;
        };
        end = next;
        lines += 1;
    }
    end
}

/// Drops the sentence's punctuation after a link, and a closing bracket it did not open.
fn trim_trailing(text: &str, start: usize, mut end: usize, closer: Option<char>) -> usize {
    // the brackets are counted once, then kept up to date as characters are dropped
    let run = &text[start..end];
    let count = |c: char| run.bytes().filter(|b| *b == c as u8).count();
    let (mut parens, mut closing_parens) = (count('('), count(')'));
    let (mut brackets, mut closing_brackets) = (count('['), count(']'));
    loop {
        let Some(last) = text[start..end].chars().next_back() else {
            return end;
        };
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '*' | '_' | '~' | '\'' | '\u{2019}' => {
                // `?` ends a sentence, but `…://?` is the link's own query start
                !(last == '?' && text[start..end].ends_with("://?"))
            }
            ')' => closing_parens > parens || closer == Some(')'),
            ']' => closing_brackets > brackets || closer == Some(']'),
            _ => false,
        };
        if !drop {
            return end;
        }
        match last {
            ')' => closing_parens -= 1,
            ']' => closing_brackets -= 1,
            '(' => parens -= 1,
            '[' => brackets -= 1,
            _ => {}
        }
        end -= last.len_utf8();
    }
}

/// Where the link goes on after a line break at `end`, if it does: the URL so far cannot end
/// there, and the next line starts with URL characters (after the `> ` marks of a quoted
/// reply, when the link's line has them).
fn continuation(text: &str, start: usize, end: usize, in_angle_brackets: bool, quoted: bool) -> Option<usize> {
    let rest = &text[end..];
    let mut after_break = rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n'))?;
    if quoted {
        after_break = after_break.strip_prefix('>')?.trim_start_matches(['>', ' ']);
    }
    let indent = after_break.len() - after_break.trim_start_matches([' ', '\t']).len();
    let next = &after_break[indent..];
    let first = next.chars().next()?;
    if !is_url_char(first) {
        return None;
    }
    let so_far = &text[start..end];
    if !in_angle_brackets && (!cannot_end(so_far) || indent > 0) {
        return None;
    }
    Some(end + (rest.len() - after_break.len()) + indent)
}

/// Whether a link cannot end here: after `?`, `&`, `=` (a quoted-printable soft break too),
/// `/`, `%` or `%X`.
fn cannot_end(so_far: &str) -> bool {
    let bytes = so_far.as_bytes();
    let n = bytes.len();
    let split_escape = n >= 2 && bytes[n - 2] == b'%' && bytes[n - 1].is_ascii_hexdigit();
    so_far.ends_with(['?', '&', '=', '%', '/']) || split_escape
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> Vec<String> {
        links(text).into_iter().map(|l| l.written).collect()
    }

    const LINK: &str = "itms-services://?action=download-manifest&url=https://dl.example.com/app/manifest.plist";

    #[test]
    fn a_link_in_a_sentence_ends_where_the_url_does() {
        assert_eq!(
            written(&format!(
                "Hi team,\nthe customer taps the link {LINK} and nothing happens."
            )),
            [LINK]
        );
        assert_eq!(written(&format!("Try {LINK}.")), [LINK]);
        assert_eq!(written(&format!("(see {LINK})")), [LINK]);
        assert_eq!(written(&format!("link: \"{LINK}\", thanks")), [LINK]);
        assert_eq!(written(&format!("<{LINK}>")), [LINK]);
        // alone on a line, with the next paragraph after it
        assert_eq!(written(&format!("{LINK}\nThe next paragraph starts here.")), [LINK]);
        assert_eq!(written(&format!("{LINK}\n\nThanks")), [LINK]);
    }

    #[test]
    fn a_wrapped_link_is_followed_where_it_cannot_end() {
        let text = "tap itms-services://?action=download-manifest&\nurl=https://h/m.plist please";
        assert_eq!(
            written(text),
            ["itms-services://?action=download-manifest&\nurl=https://h/m.plist"]
        );
        let soft = "tap itms-services://?action=download-manifest&url=https://h/m.pl=\nist please";
        assert_eq!(
            written(soft),
            ["itms-services://?action=download-manifest&url=https://h/m.pl=\nist"]
        );
    }

    #[test]
    fn near_misses_and_no_links() {
        assert!(written("links that start with itms-services:// do not open in Chrome").is_empty());
        assert_eq!(
            written("open itms-service://?action=download-manifest&url=x now"),
            ["itms-service://?action=download-manifest&url=x"]
        );
        assert!(written("no link here: https://example.com/ and mailto:a@b").is_empty());
        assert!(written("see itms-apps://apps.apple.com/app/id1 for the store").is_empty());
        // a mangled scheme that still asks for a manifest starts at its word
        assert_eq!(
            written("open smtp-services://?action=download-manifest&url=x now"),
            ["smtp-services://?action=download-manifest&url=x"]
        );
        assert!(written("action=download-manifest&url=x has no scheme").is_empty());
        assert_eq!(written(&format!("{LINK} {LINK}")).len(), 2);
    }
}
