//! YAML, read line by line in one pass: block mappings and sequences give each value its key
//! path (by indentation), and every scalar is decoded by its own style — plain, single-quoted
//! (`''`), double-quoted (backslash escapes, `\` line continuations, folded line breaks),
//! literal `|` and folded `>` block scalars, and the items of flow collections (`[a, "b"]`).
//! Anchors and tags before a value are skipped; aliases and merge keys are not followed. Not a
//! validator: what is not YAML is read as plain text.

use super::{Format, Value, join_key, value_links};
use crate::collect::find::FoundLink;
use crate::collect::find::offsets::Decoded;
use crate::facts::{Escaping, LinkUse};

#[derive(Debug, Clone)]
enum Part {
    Key(String),
    Index(usize),
}

struct Reader<'a> {
    text: &'a str,
    found: &'a mut Vec<FoundLink>,
    /// The open mappings and sequences: their indentation and the key or item under way.
    stack: Vec<(usize, Part)>,
}

pub(super) fn links(text: &str, found: &mut Vec<FoundLink>) {
    let mut reader = Reader {
        text,
        found,
        stack: Vec::new(),
    };
    reader.read();
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl Reader<'_> {
    fn read(&mut self) {
        let text = self.text;
        let mut pos = 0;
        while pos < text.len() {
            let (line_end, next) = super::line_end(text, pos);
            let line = &text[pos..line_end];
            let indent = indent_of(line);
            let content = line[indent..].trim_end();
            if content.is_empty() || content.starts_with('#') {
                pos = next;
                continue;
            }
            if indent == 0 && (content.starts_with("---") || content.starts_with("...") || content.starts_with('%')) {
                self.stack.clear();
                let after = content.get(3..).unwrap_or("");
                let rest = after.trim();
                if content.starts_with("---") && !rest.is_empty() && !rest.starts_with('#') {
                    let start = pos + 3 + (after.len() - after.trim_start().len());
                    pos = self.value(start, line_end, 0);
                    continue;
                }
                pos = next;
                continue;
            }
            pos = self.node(pos, pos + indent, line_end);
        }
    }

    /// The node at `at` (on a line that ends at `line_end`, the line starting at `line_start`):
    /// sequence dashes, then a key or a value. Where reading goes on.
    fn node(&mut self, line_start: usize, mut at: usize, line_end: usize) -> usize {
        let text = self.text;
        // `- ` items, perhaps several on one line (`- - x`)
        loop {
            let rest = &text[at..line_end];
            if !(rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t")) {
                break;
            }
            let col = at - line_start;
            while self.stack.last().is_some_and(|(i, _)| *i > col) {
                self.stack.pop();
            }
            match self.stack.last_mut() {
                Some((i, Part::Index(n))) if *i == col => *n += 1,
                _ => self.stack.push((col, Part::Index(0))),
            }
            at += 1;
            while at < line_end && matches!(text.as_bytes()[at], b' ' | b'\t') {
                at += 1;
            }
            if at >= line_end {
                return super::line_end(text, line_start).1;
            }
        }
        let col = at - line_start;
        if let Some((key, value_at)) = self.key(at, line_end) {
            while self.stack.last().is_some_and(|(i, _)| *i >= col) {
                self.stack.pop();
            }
            self.stack.push((col, Part::Key(key)));
            let value_at = skip_properties(text, value_at, line_end);
            if value_at >= line_end || text.as_bytes()[value_at] == b'#' {
                return super::line_end(text, line_start).1;
            }
            return self.value(value_at, line_end, col);
        }
        self.value(at, line_end, col)
    }

    /// The key at `at` when the line holds `key: …` there: the key and where its value starts.
    fn key(&self, at: usize, line_end: usize) -> Option<(String, usize)> {
        let text = self.text;
        let bytes = text.as_bytes();
        let (key, after) = match bytes[at] {
            b'"' | b'\'' => {
                let (decoded, end) = quoted(text, at);
                // a key is on one line
                (end <= line_end).then_some((decoded.text, end))?
            }
            b'[' | b'{' | b'|' | b'>' | b'!' | b'&' | b'*' | b'#' => return None,
            _ => {
                let rest = &text[at..line_end];
                let comment = rest.find(" #").unwrap_or(rest.len());
                let colon = rest[..comment]
                    .match_indices(':')
                    .map(|(i, _)| i)
                    .find(|i| rest[i + 1..].is_empty() || rest[i + 1..].starts_with([' ', '\t']))?;
                (rest[..colon].trim_end().to_string(), at + colon)
            }
        };
        let rest = &text[after..line_end];
        let spaces = rest.len() - rest.trim_start().len();
        let rest = rest.trim_start();
        let value = rest.strip_prefix(':')?;
        if !(value.is_empty() || value.starts_with([' ', '\t'])) {
            return None;
        }
        let value_start = after + spaces + 1;
        let value_rest = &text[value_start..line_end];
        Some((key, value_start + (value_rest.len() - value_rest.trim_start().len())))
    }

    /// The path of the value under way.
    fn place(&self) -> String {
        let mut path = String::new();
        for (_, part) in &self.stack {
            match part {
                Part::Key(k) if k.is_empty() => {}
                Part::Key(k) => path = join_key(&path, k),
                Part::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        if path.is_empty() {
            "YAML value".to_string()
        } else {
            format!("YAML value at {path}")
        }
    }

    /// A value at `at` on a line ending at `line_end`, under a node at column `parent`. Where
    /// reading goes on.
    fn value(&mut self, at: usize, line_end: usize, parent: usize) -> usize {
        let text = self.text;
        match text.as_bytes()[at] {
            b'"' | b'\'' => {
                let escaping = if text.as_bytes()[at] == b'"' {
                    Escaping::Backslash
                } else {
                    Escaping::Verbatim
                };
                let (decoded, end) = quoted(text, at);
                self.emit(&decoded, Some(escaping));
                super::line_end(text, end.saturating_sub(1).max(at)).1
            }
            b'|' | b'>' => self.block_scalar(at, line_end, parent),
            b'[' | b'{' => self.flow(at),
            _ => {
                let rest = &text[at..line_end];
                let end = rest.find(" #").unwrap_or(rest.len());
                let plain = rest[..end].trim_end();
                let mut decoded = Decoded::new();
                decoded.copy(plain, at);
                self.emit(&decoded, Some(Escaping::Verbatim));
                super::line_end(text, at).1
            }
        }
    }

    fn emit(&mut self, decoded: &Decoded, escaping: Option<Escaping>) {
        let place = self.place();
        let value = Value {
            format: Format::Yaml,
            source: self.text,
            decoded,
            escaping,
            place: &|| place.clone(),
            used_as: LinkUse::Url,
        };
        value_links(&value, self.found);
    }

    /// A literal (`|`) or folded (`>`) block scalar whose header is at `at`: the lines indented
    /// deeper than `parent`, their indentation taken off.
    fn block_scalar(&mut self, at: usize, line_end: usize, parent: usize) -> usize {
        let text = self.text;
        let folded = text.as_bytes()[at] == b'>';
        let header = &text[at..line_end];
        let explicit = header
            .chars()
            .skip(1)
            .take_while(|c| !c.is_whitespace())
            .find_map(|c| c.to_digit(10))
            .map(|d| parent + d as usize);
        let mut block_indent = explicit;
        let mut decoded = Decoded::new();
        let (_, mut pos) = super::line_end(text, at);
        let mut pending_break: Option<usize> = None;
        while pos < text.len() {
            let (end, next) = super::line_end(text, pos);
            let line = &text[pos..end];
            let indent = indent_of(line);
            if line.trim().is_empty() {
                if !decoded.text.is_empty() {
                    decoded.decoded("\n", end, next);
                }
                pending_break = None;
                pos = next;
                continue;
            }
            let wanted = *block_indent.get_or_insert(indent);
            if indent < wanted || indent <= parent {
                break;
            }
            if let Some(brk) = pending_break.take() {
                decoded.decoded(if folded { " " } else { "\n" }, brk, brk + 1);
            }
            decoded.copy(&line[wanted..], pos + wanted);
            pending_break = Some(end);
            pos = next;
        }
        self.emit(&decoded, Some(Escaping::Verbatim));
        pos
    }

    /// A flow collection starting at `at`: each item a value of the collection's key, with
    /// its own key or index inside. Where reading goes on (the line after the collection
    /// closes).
    fn flow(&mut self, at: usize) -> usize {
        let text = self.text;
        let bytes = text.as_bytes();
        let base = self.stack.len();
        let mut i = at;
        let mut end_at = text.len();
        while i < bytes.len() {
            match bytes[i] {
                b'[' => self.stack.push((usize::MAX, Part::Index(0))),
                b'{' => self.stack.push((usize::MAX, Part::Key(String::new()))),
                b']' | b'}' => {
                    self.stack.pop();
                    if self.stack.len() <= base {
                        end_at = super::line_end(text, i).1;
                        break;
                    }
                }
                b',' => match self.stack.last_mut() {
                    Some((_, Part::Index(n))) => *n += 1,
                    Some((_, Part::Key(k))) => k.clear(),
                    None => {}
                },
                b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n') => {
                    i = super::line_end(text, i).1;
                    continue;
                }
                b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
                quote @ (b'"' | b'\'') => {
                    let (decoded, end) = quoted(text, i);
                    i = end;
                    if !self.flow_key(&decoded.text, i) {
                        let escaping = if quote == b'"' {
                            Escaping::Backslash
                        } else {
                            Escaping::Verbatim
                        };
                        self.emit(&decoded, Some(escaping));
                    }
                    continue;
                }
                _ => {
                    // a plain item: up to a flow indicator, ": " or the line's end
                    let mut end = i;
                    while end < bytes.len()
                        && !matches!(bytes[end], b',' | b'[' | b']' | b'{' | b'}' | b'\n' | b'\r')
                        && !(bytes[end] == b':' && matches!(bytes.get(end + 1), Some(b' ' | b'\t' | b'\n')))
                    {
                        end += 1;
                    }
                    let plain = text[i..end].trim_end();
                    if !self.flow_key(plain, end) {
                        let mut decoded = Decoded::new();
                        decoded.copy(plain, i);
                        self.emit(&decoded, Some(Escaping::Verbatim));
                    }
                    i = end.max(i + 1);
                    continue;
                }
            }
            i += 1;
        }
        self.stack.truncate(base);
        end_at
    }

    /// Whether the scalar that ends at `end` is a key of a flow mapping (`: ` follows): it
    /// then names the value after it.
    fn flow_key(&mut self, scalar: &str, end: usize) -> bool {
        let rest = &self.text.as_bytes()[end..];
        let spaces = rest.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let is_key = rest.get(spaces) == Some(&b':')
            && matches!(
                rest.get(spaces + 1),
                None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}')
            );
        if is_key && let Some((_, Part::Key(k))) = self.stack.last_mut() {
            *k = scalar.to_string();
            return true;
        }
        false
    }
}

/// Skips a tag (`!!str`, `!local`) and an anchor (`&name`) before a value.
fn skip_properties(text: &str, mut at: usize, line_end: usize) -> usize {
    let bytes = text.as_bytes();
    while at < line_end && matches!(bytes[at], b'!' | b'&') {
        while at < line_end && !matches!(bytes[at], b' ' | b'\t') {
            at += 1;
        }
        while at < line_end && matches!(bytes[at], b' ' | b'\t') {
            at += 1;
        }
    }
    at
}

/// A quoted scalar starting at its quote at `at`, decoded (escapes, folded line breaks), and
/// where it ends (after its closing quote, or at the end of the text).
fn quoted(text: &str, at: usize) -> (Decoded, usize) {
    let bytes = text.as_bytes();
    let double = bytes[at] == b'"';
    let quote = bytes[at];
    let mut out = Decoded::new();
    let mut run = at + 1;
    let mut i = at + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == quote {
            if !double && bytes.get(i + 1) == Some(&b'\'') {
                out.copy(&text[run..i], run);
                out.decoded("'", i, i + 2);
                i += 2;
                run = i;
                continue;
            }
            out.copy(&text[run..i], run);
            return (out, i + 1);
        }
        if double && b == b'\\' {
            out.copy(&text[run..i], run);
            if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) {
                // an escaped line break: the lines join with nothing between
                let (_, next) = super::line_end(text, i + 1);
                i = skip_blanks(text, next);
                run = i;
                continue;
            }
            let (piece, len) = escape(text, i);
            out.decoded(&piece, i, i + len);
            i += len;
            run = i;
            continue;
        }
        if b == b'\n' {
            // a line break folds to a space (empty lines to line breaks); the spaces around
            // it are not content
            let content_end = text[run..i].trim_end_matches([' ', '\t', '\r']).len() + run;
            out.copy(&text[run..content_end], run);
            let mut next = i + 1;
            let mut breaks = 0;
            loop {
                let after = skip_blanks(text, next);
                if after < bytes.len() && bytes[after] == b'\n' {
                    breaks += 1;
                    next = after + 1;
                } else if after < bytes.len() && bytes[after] == b'\r' && bytes.get(after + 1) == Some(&b'\n') {
                    breaks += 1;
                    next = after + 2;
                } else {
                    next = after;
                    break;
                }
            }
            let fold = if breaks == 0 {
                " ".to_string()
            } else {
                "\n".repeat(breaks)
            };
            out.decoded(&fold, content_end, next);
            i = next;
            run = i;
            continue;
        }
        i += 1;
    }
    out.copy(&text[run..], run);
    (out, bytes.len())
}

fn skip_blanks(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// A double-quoted scalar's escape at `at`: what it stands for and its length.
fn escape(text: &str, at: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let Some(&c) = bytes.get(at + 1) else {
        return ("\\".to_string(), 1);
    };
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\u{7}'),
        b'b' => Some('\u{8}'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\u{b}'),
        b'f' => Some('\u{c}'),
        b'r' => Some('\r'),
        b'e' => Some('\u{1b}'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        return (ch.to_string(), 2);
    }
    let digits = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
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

#[cfg(test)]
mod tests {
    use crate::collect::find::config::{Format, links};
    use crate::facts::LinkContext;

    const LINK: &str = "itms-services://?action=download-manifest&url=https%3A%2F%2Fh%2Fm.plist";

    fn found(yaml: &str) -> Vec<(String, String, usize)> {
        links(Format::Yaml, yaml)
            .into_iter()
            .map(|l| {
                let LinkContext::Text { place, .. } = &l.context else {
                    panic!("text")
                };
                (
                    l.written.clone(),
                    place.clone(),
                    crate::text::line_and_column(yaml, l.offset).0,
                )
            })
            .collect()
    }

    #[test]
    fn every_scalar_style_and_its_key_path() {
        let yaml = format!(
            "# build\nrelease:\n  name: Field\n  install: {LINK}  # the link\n  links:\n    - 'itms-services://?action=download-manifest&url=https%3A%2F%2Fh%2Fa.plist'\n    - \"itms-services:\\/\\/?action=download-manifest\\u0026url=https%3A%2F%2Fh%2Fb.plist\"\n    - url: >-\n        itms-services://?action=download-manifest&url=https%3A%2F%2Fh%2Fc.plist\n  note: |\n    Tap\n    {LINK} to install\nflow: [x, \"{LINK}\"]\n"
        );
        let got = found(&yaml);
        let expect = |w: &str, p: &str, l: usize| (w.to_string(), p.to_string(), l);
        assert_eq!(
            got,
            [
                expect(LINK, "YAML value at release.install", 4),
                expect(&LINK.replace("m.plist", "a.plist"), "YAML value at release.links[0]", 6),
                expect(&LINK.replace("m.plist", "b.plist"), "YAML value at release.links[1]", 7),
                expect(
                    &LINK.replace("m.plist", "c.plist"),
                    "YAML value at release.links[2].url",
                    9
                ),
                expect(LINK, "YAML value at release.note", 12),
                expect(LINK, "YAML value at flow[1]", 13),
            ]
        );
    }

    #[test]
    fn literals_cover_the_raw_value() {
        let yaml = format!("a: {LINK}\nb: \"{}\"\n", LINK.replace('/', "\\/"));
        for l in links(Format::Yaml, &yaml) {
            let lit = l.literal.expect("literal");
            assert!(yaml[lit.start..lit.end].starts_with("itms-services:"));
            assert!(yaml[lit.start..lit.end].ends_with("m.plist"));
        }
    }

    #[test]
    fn folded_quoted_lines_and_sequences_at_the_key_indent() {
        let yaml = "items:\n- a\n- \"one\n  two itms-services://?action=download-manifest&url=x\"\nother: y\n";
        assert_eq!(
            found(yaml),
            [(
                "itms-services://?action=download-manifest&url=x".to_string(),
                "YAML value at items[1]".to_string(),
                4
            )]
        );
    }
}
