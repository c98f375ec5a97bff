//! `key = value` configuration files, each read by its own rules in one pass:
//!
//! * TOML: `[table]` and `[[array]]` headers, basic strings (backslash escapes), literal
//!   strings, their multi-line forms, strings inside arrays and inline tables;
//! * `.env`: `NAME=value`, `export NAME="value"` (escapes in double quotes, none in single
//!   quotes), comments;
//! * Java `.properties`: `key=value`, `key: value`, `key value`, backslash escapes and lines
//!   continued by a final backslash;
//! * INI: `[section]`, `key = value` or `key: value`, `;` and `#` comments.

use super::{Format, Value, join_key, value_links};
use crate::collect::find::FoundLink;
use crate::collect::find::offsets::Decoded;
use crate::facts::{Escaping, LinkUse};

pub(super) fn links(format: Format, text: &str, found: &mut Vec<FoundLink>) {
    match format {
        Format::Toml => toml(text, found),
        Format::Env => env(text, found),
        Format::Properties => properties(text, found),
        _ => ini(text, found),
    }
}

fn emit(
    format: Format,
    text: &str,
    decoded: &Decoded,
    escaping: Escaping,
    place: &dyn Fn() -> String,
    found: &mut Vec<FoundLink>,
) {
    let value = Value {
        format,
        source: text,
        decoded,
        escaping: Some(escaping),
        place,
        used_as: LinkUse::Url,
    };
    value_links(&value, found);
}

fn skip_spaces(bytes: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// A value written as is from `start` to `end`, without an inline comment (` #`, ` ;`) and
/// the spaces around it.
fn bare(text: &str, start: usize, end: usize, comments: &[&str]) -> Decoded {
    let rest = &text[start..end];
    let cut = comments.iter().filter_map(|c| rest.find(c)).min().unwrap_or(rest.len());
    let value = rest[..cut].trim_end();
    let mut decoded = Decoded::new();
    decoded.copy(value, start);
    decoded
}

/// A backslash escape at `at` in a TOML basic string, a `.env` double-quoted value or a
/// properties value: what it stands for and its length.
fn escape(text: &str, at: usize, format: Format) -> (String, usize) {
    let bytes = text.as_bytes();
    let Some(&c) = bytes.get(at + 1) else {
        return ("\\".to_string(), 1);
    };
    let simple = match c {
        b'b' if format == Format::Toml => Some('\u{8}'),
        b'f' if format != Format::Env => Some('\u{c}'),
        b't' => Some('\t'),
        b'n' => Some('\n'),
        b'r' => Some('\r'),
        b'e' if format == Format::Toml => Some('\u{1b}'),
        b'"' | b'\\' => Some(c as char),
        b'$' | b'`' if format == Format::Env => Some(c as char),
        _ => None,
    };
    if let Some(ch) = simple {
        return (ch.to_string(), 2);
    }
    let digits = match c {
        b'u' if format != Format::Env => 4,
        b'U' if format == Format::Toml => 8,
        b'x' if format == Format::Toml => 2,
        _ if format == Format::Properties && c.is_ascii() => return ((c as char).to_string(), 2),
        _ => return ("\\".to_string(), 1),
    };
    let code = text
        .get(at + 2..at + 2 + digits)
        .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|d| u32::from_str_radix(d, 16).ok());
    match code {
        Some(code) => (char::from_u32(code).unwrap_or('\u{fffd}').to_string(), 2 + digits),
        None => ("\\".to_string(), 1),
    }
}

/// A quoted string starting at its opening quote `at`: `quote` ends it (a three-quote
/// delimiter for TOML's multi-line strings), escapes decoded when `escapes`. The decoded
/// string and where it ends (after the closing quote).
fn quoted(text: &str, at: usize, quote: &str, escapes: bool, format: Format) -> (Decoded, usize) {
    let bytes = text.as_bytes();
    let mut out = Decoded::new();
    let mut i = at + quote.len();
    let multi = quote.len() == 3;
    if multi {
        // a line break right after the opening delimiter is not content
        if text[i..].starts_with("\r\n") {
            i += 2;
        } else if text[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut run = i;
    while i < bytes.len() {
        if bytes[i..].starts_with(quote.as_bytes()) {
            out.copy(&text[run..i], run);
            return (out, i + quote.len());
        }
        if !multi && bytes[i] == b'\n' && format == Format::Toml {
            break;
        }
        if escapes && bytes[i] == b'\\' {
            out.copy(&text[run..i], run);
            if multi {
                // a line-ending backslash: the white space up to the next text goes
                let after = skip_spaces(bytes, i + 1, bytes.len());
                if matches!(bytes.get(after), Some(b'\n' | b'\r')) {
                    let mut j = after;
                    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r') {
                        j += 1;
                    }
                    i = j;
                    run = i;
                    continue;
                }
            }
            let (piece, len) = escape(text, i, format);
            out.decoded(&piece, i, i + len);
            i += len;
            run = i;
            continue;
        }
        i += 1;
    }
    out.copy(&text[run..i], run);
    (out, i)
}

fn toml(text: &str, found: &mut Vec<FoundLink>) {
    let bytes = text.as_bytes();
    let mut table = String::new();
    let mut key = String::new();
    let mut depth = 0usize;
    let mut at_line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        if at_line_start && depth == 0 {
            let (end, next) = super::line_end(text, i);
            let start = skip_spaces(bytes, i, end);
            let line = &text[start..end];
            if line.is_empty() || line.starts_with('#') {
                i = next;
                continue;
            }
            if line.starts_with('[') {
                let header = line.trim_start_matches('[');
                let close = header.find(']').unwrap_or(header.len());
                table = header[..close].trim().to_string();
                i = next;
                continue;
            }
            match line.find('=') {
                Some(eq) => {
                    key = line[..eq].trim().trim_matches(['"', '\'']).to_string();
                    i = start + eq + 1;
                }
                None => {
                    i = next;
                    continue;
                }
            }
            at_line_start = false;
            continue;
        }
        let b = bytes[i];
        let (quote, escapes) = match b {
            b'"' if text[i..].starts_with("\"\"\"") => ("\"\"\"", true),
            b'\'' if text[i..].starts_with("'''") => ("'''", false),
            b'"' => ("\"", true),
            b'\'' => ("'", false),
            b'[' | b'{' => {
                depth += 1;
                i += 1;
                continue;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
                continue;
            }
            b'#' => {
                i = super::line_end(text, i).0;
                continue;
            }
            b'\n' => {
                at_line_start = true;
                i += 1;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        let (decoded, end) = quoted(text, i, quote, escapes, Format::Toml);
        let escaping = if escapes {
            Escaping::Backslash
        } else {
            Escaping::Verbatim
        };
        let place = || format!("TOML value at {}", join_key(&table, &key));
        emit(Format::Toml, text, &decoded, escaping, &place, found);
        i = end;
    }
}

fn env(text: &str, found: &mut Vec<FoundLink>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (end, next) = super::line_end(text, i);
        let start = skip_spaces(bytes, i, end);
        let mut line = &text[start..end];
        let mut line_start = start;
        if line.is_empty() || line.starts_with('#') {
            i = next;
            continue;
        }
        if let Some(rest) = line.strip_prefix("export ") {
            line_start += line.len() - rest.len();
            line = rest;
        }
        let Some(eq) = line.find('=') else {
            i = next;
            continue;
        };
        let name = line[..eq].trim().to_string();
        let value_at = skip_spaces(bytes, line_start + eq + 1, end);
        let place = || format!(".env variable {name}");
        match bytes.get(value_at) {
            Some(b'"') if value_at < end => {
                let (decoded, after) = quoted(text, value_at, "\"", true, Format::Env);
                emit(Format::Env, text, &decoded, Escaping::BackslashDollar, &place, found);
                i = super::line_end(text, after.saturating_sub(1).max(value_at)).1;
            }
            Some(b'\'') if value_at < end => {
                let (decoded, after) = quoted(text, value_at, "'", false, Format::Env);
                emit(Format::Env, text, &decoded, Escaping::Verbatim, &place, found);
                i = super::line_end(text, after.saturating_sub(1).max(value_at)).1;
            }
            _ => {
                let decoded = bare(text, value_at, end, &[" #", "\t#"]);
                emit(Format::Env, text, &decoded, Escaping::Verbatim, &place, found);
                i = next;
            }
        }
    }
}

fn properties(text: &str, found: &mut Vec<FoundLink>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (end, next) = super::line_end(text, i);
        let start = skip_spaces(bytes, i, end);
        if start >= end || matches!(bytes[start], b'#' | b'!') {
            i = next;
            continue;
        }
        // the key: up to an unescaped `=`, `:` or white space
        let mut k = start;
        while k < end && !matches!(bytes[k], b'=' | b':' | b' ' | b'\t') {
            if bytes[k] == b'\\' {
                k += 1;
            }
            k += 1;
        }
        let k = k.min(end);
        let key = text[start..k].to_string();
        let mut v = skip_spaces(bytes, k, end);
        if v < end && matches!(bytes[v], b'=' | b':') {
            v = skip_spaces(bytes, v + 1, end);
        }
        // the value, over lines ending in an odd number of backslashes
        let mut out = Decoded::new();
        let mut run = v;
        let mut j = v;
        let mut line_stop = end;
        let mut after = next;
        loop {
            if j >= line_stop {
                out.copy(&text[run..line_stop], run);
                break;
            }
            if bytes[j] != b'\\' {
                j += 1;
                continue;
            }
            out.copy(&text[run..j], run);
            if j + 1 == line_stop && after > line_stop && after < bytes.len() {
                // continued on the next line, its leading white space dropped
                let (e, n) = super::line_end(text, after);
                j = skip_spaces(bytes, after, e);
                line_stop = e;
                after = n;
                run = j;
                continue;
            }
            let (piece, len) = escape(text, j, Format::Properties);
            out.decoded(&piece, j, j + len);
            j = (j + len).min(line_stop.max(j + 1));
            run = j;
        }
        let place = || format!("property {key}");
        emit(Format::Properties, text, &out, Escaping::Backslash, &place, found);
        i = after;
    }
}

fn ini(text: &str, found: &mut Vec<FoundLink>) {
    let bytes = text.as_bytes();
    let mut section = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let (end, next) = super::line_end(text, i);
        let start = skip_spaces(bytes, i, end);
        let line = &text[start..end];
        i = next;
        if line.is_empty() || line.starts_with([';', '#']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            section = header.split(']').next().unwrap_or("").trim().to_string();
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else { continue };
        let key = line[..sep].trim().to_string();
        let value_at = skip_spaces(bytes, start + sep + 1, end);
        let mut decoded = bare(text, value_at, end, &[" ;", " #", "\t;", "\t#"]);
        let quoted = decoded.text.len() >= 2
            && (decoded.text.starts_with('"') && decoded.text.ends_with('"')
                || decoded.text.starts_with('\'') && decoded.text.ends_with('\''));
        if quoted {
            let inner = decoded.text[1..decoded.text.len() - 1].to_string();
            decoded = Decoded::new();
            decoded.copy(&inner, value_at + 1);
        }
        let place = || format!("INI value at {}", join_key(&section, &key));
        emit(Format::Ini, text, &decoded, Escaping::Verbatim, &place, found);
    }
}

#[cfg(test)]
mod tests {
    use crate::collect::find::config::{Format, links};
    use crate::facts::LinkContext;

    const LINK: &str = "itms-services://?action=download-manifest&url=https%3A%2F%2Fh%2Fm.plist";

    fn found(format: Format, text: &str) -> Vec<(String, String, usize)> {
        links(format, text)
            .into_iter()
            .map(|l| {
                let LinkContext::Text { place, .. } = &l.context else {
                    panic!("text")
                };
                (
                    l.written.clone(),
                    place.clone(),
                    crate::text::line_and_column(text, l.offset).0,
                )
            })
            .collect()
    }

    fn one(w: &str, p: &str, l: usize) -> (String, String, usize) {
        (w.to_string(), p.to_string(), l)
    }

    #[test]
    fn toml_tables_strings_and_arrays() {
        let toml = format!(
            "# release\ntitle = \"Field\"\n[ota]\nlink = \"{}\"\nmirrors = [\n  '{LINK}',\n]\nnote = \"\"\"\nTap \\\n  {LINK}\"\"\"\n[[builds]]\nx.link = 'itms-services://?action=download-manifest&url=y'\n",
            LINK.replace('&', "\\u0026")
        );
        assert_eq!(
            found(Format::Toml, &toml),
            [
                one(LINK, "TOML value at ota.link", 4),
                one(LINK, "TOML value at ota.mirrors", 6),
                one(LINK, "TOML value at ota.note", 10),
                one(
                    "itms-services://?action=download-manifest&url=y",
                    "TOML value at builds[\"x.link\"]",
                    12
                ),
            ]
        );
    }

    #[test]
    fn env_properties_and_ini() {
        let env = format!("# ota\nexport INSTALL_LINK=\"{LINK}\"\nOTHER='{LINK}'\nBARE={LINK} # note\n");
        assert_eq!(
            found(Format::Env, &env),
            [
                one(LINK, ".env variable INSTALL_LINK", 2),
                one(LINK, ".env variable OTHER", 3),
                one(LINK, ".env variable BARE", 4),
            ]
        );
        let properties = format!(
            "! app\nota.link = itms-services\\://?action=download-manifest&url=\\\n    https%3A%2F%2Fh%2Fm.plist\nsecond:{LINK}\n"
        );
        assert_eq!(
            found(Format::Properties, &properties),
            [one(LINK, "property ota.link", 2), one(LINK, "property second", 4)]
        );
        let ini = format!("; conf\n[ota]\nlink = \"{LINK}\" ; the link\nplain: {LINK}\n");
        assert_eq!(
            found(Format::Ini, &ini),
            [
                one(LINK, "INI value at ota.link", 3),
                one(LINK, "INI value at ota.plain", 4)
            ]
        );
    }
}
