//! Small text helpers shared by collectors, rules and reports.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Percent-decodes `%XX` sequences once. Invalid sequences stay as written; bytes that do not
/// form UTF-8 are replaced (U+FFFD), as a URL parser would refuse them anyway. `+` stays `+`.
pub fn percent_decode_once(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The characters `encodeURIComponent` leaves alone: `A–Z a–z 0–9 - _ . ! ~ * ' ( )`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Encodes `s` as one query component, like JavaScript's `encodeURIComponent`.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Makes text from an input safe for a terminal: control characters (C0, DEL, C1) and the
/// bidirectional overrides become visible escapes, so no escape sequence reaches the terminal.
pub fn escape_for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unsafe_char(c) => out.push_str(&c.escape_unicode().to_string()),
        c => out.push(c),
    }
}

/// A character that must not reach a terminal or a log as it is: a control character (C0, DEL,
/// C1), a bidirectional control (the marks U+200E, U+200F and U+061C, the embeddings and
/// overrides U+202A–U+202E, the isolates U+2066–U+2069), or a byte order mark.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// As `escape_for_terminal`, but line breaks and tabs stay: for prose that may span lines
/// (a SARIF message).
pub fn escape_prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c => push_escaped(&mut out, c),
        }
    }
    out
}

/// How many terminal columns `s[..byte]` takes once escaped (one column per char).
pub fn escaped_width(s: &str, byte: usize) -> usize {
    let mut end = byte.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::new();
    for c in s[..end].chars() {
        push_escaped(&mut out, c);
    }
    out.chars().count()
}

/// 1-based line and column (in chars) of a byte offset. For many offsets of one text, use
/// `lines_and_columns`: this reads the text from its start each time.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    lines_and_columns(text, &[offset]).first().copied().unwrap_or((1, 1))
}

/// 1-based line and column (in chars) of each byte offset (in any order), in one pass over the
/// text: the cost is the text's length plus sorting the offsets, however many there are.
pub fn lines_and_columns(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![(1, 1); offsets.len()];
    let (mut at, mut line, mut column) = (0usize, 1usize, 1usize);
    for i in order {
        let mut end = offsets[i].min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        for c in text.get(at..end).unwrap_or_default().chars() {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        at = at.max(end);
        out[i] = (line, column);
    }
    out
}

/// Levenshtein distance, for "did you mean" suggestions on short words.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// "a", "a and b", "a, b and c".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Shortens long text for one-line summaries, on a char boundary. Reads at most `max_chars`
/// chars of `s`, however long it is.
pub fn ellipsize(s: &str, max_chars: usize) -> String {
    if s.char_indices().nth(max_chars).is_none() {
        return s.to_string();
    }
    let kept: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Bytes as lower-case hex, two digits each.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex text to bytes; `None` when it is not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| char::from(b).to_digit(16);
    s.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? << 4 | digit(pair[1])?) as u8))
        .collect()
}

/// A byte count for people: "1.2 KB", "412 MB".
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b if b < 1024 * 1024 * 1024 => format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
        b => format!("{:.1} GB", b as f64 / 1024.0 / 1024.0 / 1024.0),
    }
}

/// At most `max` characters of `s`, with `…` when it was cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}

/// Whether XML 1.0 can carry the character (no C0 control but tab and line breaks, no
/// U+FFFE/U+FFFF).
pub fn is_xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Text escaped for XML and HTML element content and attribute values (`&`, `<`, `>`, `"`).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_encoding_matches_encode_uri_component() {
        assert_eq!(
            encode_component("https://h/a b?x=1&y=2#f+"),
            "https%3A%2F%2Fh%2Fa%20b%3Fx%3D1%26y%3D2%23f%2B"
        );
        assert_eq!(encode_component("a-_.!~*'()"), "a-_.!~*'()");
    }

    #[test]
    fn terminal_escapes_hide_control_sequences() {
        assert_eq!(escape_for_terminal("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(escape_for_terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(
            escape_for_terminal("\u{61c}\u{7f}\u{9b}\u{2067}"),
            "\\u{61c}\\u{7f}\\u{9b}\\u{2067}"
        );
        assert_eq!(escape_prose("a\n\tb\r\u{1b}"), "a\n\tb\\r\\u{1b}");
        assert_eq!(escaped_width("\u{1b}ab", 2), 7);
    }

    #[test]
    fn lines_and_columns_are_one_based() {
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("ab", 0), (1, 1));
        assert_eq!(line_and_column("ab", 9), (1, 3));
        assert_eq!(line_and_column("é\nx", 1), (1, 1), "inside a char: the char's start");
    }

    #[test]
    fn many_offsets_in_one_pass_agree_with_one_at_a_time() {
        let text = "a\nbé\n\ncd\u{1f600}e\n";
        let offsets: Vec<usize> = (0..=text.len() + 2).rev().chain([3, 0, 3]).collect();
        let one_by_one: Vec<(usize, usize)> = offsets
            .iter()
            .map(|&at| {
                let mut end = at.min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                let before = &text[..end];
                let start = before.rfind('\n').map_or(0, |i| i + 1);
                (before.matches('\n').count() + 1, before[start..].chars().count() + 1)
            })
            .collect();
        assert_eq!(lines_and_columns(text, &offsets), one_by_one);
    }

    #[test]
    fn ellipsize_keeps_short_text_and_cuts_long_text() {
        assert_eq!(ellipsize("abc", 3), "abc");
        assert_eq!(ellipsize("abcd", 3), "ab…");
        assert_eq!(ellipsize("ééé", 3), "ééé");
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("itms-servies", "itms-services"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
