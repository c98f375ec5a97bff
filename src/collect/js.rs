//! String literals in JavaScript, for links assigned to `location` in a download page.
//!
//! Not a JavaScript parser: a scanner that knows comments, the three quote kinds and escapes,
//! which is all it takes to find `location.href = "itms-services://…"` and read the string
//! as the script engine would (JavaScript never decodes HTML entities).

/// A string literal found in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsString {
    /// The value after JavaScript escapes (`\x26`, `\u0026`, `\/`, …) are applied.
    pub value: String,
    /// Byte offset of the opening quote in the script.
    pub start: usize,
    /// True when the script adds to the string at run time (`'…' + x`, or a template with `${…}`).
    pub dynamic: bool,
    /// What the string is assigned or passed to, as written before it (`window.location.href`).
    pub target: String,
}

/// Every string literal in `script`, in order.
pub fn string_literals(script: &str) -> Vec<JsString> {
    let bytes = script.as_bytes();
    let mut found = Vec::new();
    let mut statements = Statements::new(script);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = script[i + 2..].find("*/").map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            quote @ (b'"' | b'\'' | b'`') => {
                let (value, end, has_substitution) = read_literal(script, i, quote);
                let after = script[end..].trim_start();
                let dynamic = has_substitution || (after.starts_with('+') && !after.starts_with("++"));
                found.push(JsString {
                    value,
                    start: i,
                    dynamic,
                    target: statements.target_before(i),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    found
}

/// Reads the literal opening at `start`; returns its value, the offset after it, and whether
/// a template substitution was seen.
fn read_literal(script: &str, start: usize, quote: u8) -> (String, usize, bool) {
    let mut value = String::new();
    let mut substitution = false;
    let mut chars = script[start + 1..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        let at = start + 1 + off;
        match c {
            c if c as u32 == u32::from(quote) => return (value, at + 1, substitution),
            '\n' if quote != b'`' => return (value, at, substitution),
            '$' if quote == b'`' && chars.peek().map(|(_, c)| *c) == Some('{') => {
                substitution = true;
                let mut depth = 0usize;
                for (_, c) in chars.by_ref() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                value.push_str("${…}");
            }
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'b' => value.push('\u{8}'),
                    'f' => value.push('\u{c}'),
                    'v' => value.push('\u{b}'),
                    '0' => value.push('\0'),
                    '\n' => {}
                    'x' => {
                        let hex: String = (0..2).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                        push_code(&mut value, &hex);
                    }
                    'u' => {
                        let hex: String = if chars.peek().map(|(_, c)| *c) == Some('{') {
                            chars.next();
                            chars.by_ref().map(|(_, c)| c).take_while(|c| *c != '}').collect()
                        } else {
                            (0..4).filter_map(|_| chars.next().map(|(_, c)| c)).collect()
                        };
                        push_code(&mut value, &hex);
                    }
                    other => value.push(other),
                }
            }
            c => value.push(c),
        }
    }
    (value, script.len(), substitution)
}

fn push_code(value: &mut String, hex: &str) {
    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
        Some(c) => value.push(c),
        None => value.push('\u{fffd}'),
    }
}

/// Where the statements of a script start, found in one pass for all its literals (in order):
/// a script of thousands of literals in one statement is read once, not once per literal.
struct Statements<'s> {
    script: &'s str,
    /// Bytes before this have been looked at for statement ends.
    scanned: usize,
    /// Where the statement around the last literal starts (after `;`, `{`, `}` or a line end).
    start: usize,
    /// The first byte of that statement not known to be leading whitespace.
    text: usize,
}

impl<'s> Statements<'s> {
    fn new(script: &'s str) -> Self {
        Statements {
            script,
            scanned: 0,
            start: 0,
            text: 0,
        }
    }

    /// The expression the literal opening at `quote` is assigned or passed to: the statement
    /// text before it.
    fn target_before(&mut self, quote: usize) -> String {
        let from = self.scanned.min(quote);
        if let Some(end) = self.script.as_bytes()[from..quote]
            .iter()
            .rposition(|b| matches!(b, b';' | b'{' | b'}' | b'\n'))
        {
            self.start = from + end + 1;
            self.text = self.start;
        }
        self.scanned = quote;
        // the statement's leading whitespace, read once however many literals follow it
        let rest = &self.script[self.text..quote];
        self.text += rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
        let target = self.script[self.text..quote]
            .trim_end_matches(|c: char| c == '=' || c == '(' || c == ',' || c.is_whitespace());
        crate::text::ellipsize(target, 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_assignments_and_decodes_escapes() {
        let s = string_literals("// 'no'\nwindow.location.href = \"itms-services://?a=1\\x26url=x\";");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].value, "itms-services://?a=1&url=x");
        assert_eq!(s[0].target, "window.location.href");
        assert!(!s[0].dynamic);
    }

    #[test]
    fn concatenation_and_templates_are_dynamic() {
        let s = string_literals("location = 'itms-services://?url=' + u; x = `a${b}c`;");
        assert!(s[0].dynamic);
        assert!(s[1].dynamic);
        assert_eq!(s[1].value, "a${…}c");
    }

    #[test]
    fn unterminated_literal_does_not_run_away() {
        let s = string_literals("x = 'abc\ny = \"d\"");
        assert_eq!(s[0].value, "abc");
        assert_eq!(s[1].value, "d");
    }
}
