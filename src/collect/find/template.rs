//! Template values inside a string or a template: `{{ x }}`, `{% … %}`, `<%= x %>`,
//! `<?php echo $x ?>`, `${x}`, `#{x}`, `\(x)`, `{x}`, … — found in one pass, and the encoding
//! call a value passes through recognised (`encodeURIComponent(x)`, `{{ x | urlencode }}`).

use std::ops::Range;

use crate::link::Value;

/// A syntax that puts a value into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `{{ x }}` and `{{{ x }}}` (Mustache, Handlebars, Jinja, Liquid, Django, Twig, Angular,
    /// Vue, Blade), `{!! x !!}` (Blade, unescaped).
    DoubleBrace,
    /// `{% … %}` (Jinja, Liquid, Django, Twig, Nunjucks).
    BracePercent,
    /// `<% … %>`, `<%= … %>`, `<%- … %>` (ERB, EJS, JSP, ASP).
    AngleP,
    /// `<?php … ?>`, `<?= … ?>` (PHP).
    Php,
    /// `${ x }` (JavaScript template literals, JSP EL, Kotlin, Dart, Groovy, Terraform).
    DollarBrace,
    /// `#{ x }` (Ruby, CoffeeScript, Pug, JSF EL).
    HashBrace,
    /// `\( x )` (Swift string interpolation).
    BackslashParen,
    /// `{ x }` (Python f-strings, C# `$"…"`, `str.format` fields, Svelte, JSX text).
    Brace,
    /// `$name` (PHP, Kotlin, Dart, Perl, shell: a variable name after `$`).
    DollarName,
    /// `%s`, `%@`, `%d`, `%1$s` (printf, NSString, Python `%`).
    Printf,
}

/// A part of a string: static text, or a value put in at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Static(Range<usize>),
    Value(Range<usize>),
}

/// Splits `text` into static text and the values written in any of `tags`, in one pass.
/// A tag that is not closed is static text (a stray `{{`).
pub fn split(text: &str, tags: &[Tag]) -> Vec<Piece> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut static_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_tag = matches!(bytes[i], b'{' | b'<' | b'$' | b'#' | b'\\' | b'%');
        match tags
            .iter()
            .filter(|_| starts_tag)
            .find_map(|tag| value_at(text, i, *tag))
        {
            Some(end) => {
                if static_from < i {
                    pieces.push(Piece::Static(static_from..i));
                }
                pieces.push(Piece::Value(i..end));
                i = end;
                static_from = end;
            }
            None => i += 1,
        }
    }
    if static_from < bytes.len() {
        pieces.push(Piece::Static(static_from..bytes.len()));
    }
    pieces
}

/// The values of `text` in `tags`, each with its encoding call.
pub fn values(text: &str, tags: &[Tag]) -> Vec<Value> {
    split(text, tags)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Value(range) => Some(value(&text[range])),
            Piece::Static(_) => None,
        })
        .collect()
}

/// A value written as `expression`, with the encoding call it passes through.
pub fn value(expression: &str) -> Value {
    Value {
        expression: expression.to_string(),
        encoded_by: encoding_call(expression),
    }
}

/// The longest a template tag is looked for: a tag never spans more (a stray `{{` in prose
/// does not make the finder read to the end of the text).
const MAX_TAG: usize = 512;

/// Where a value in `tag` starting at `i` ends (exclusive), if one starts there.
fn value_at(text: &str, i: usize, tag: Tag) -> Option<usize> {
    let rest = &text.as_bytes()[i..];
    let window = window(text, i);
    let closed_by = |open: &str, close: &str| -> Option<usize> {
        if !window.starts_with(open) {
            return None;
        }
        window[open.len()..]
            .find(close)
            .map(|at| i + open.len() + at + close.len())
    };
    match tag {
        Tag::DoubleBrace => closed_by("{{{", "}}}")
            .or_else(|| closed_by("{{", "}}"))
            .or_else(|| closed_by("{!!", "!!}")),
        Tag::BracePercent => closed_by("{%", "%}"),
        Tag::AngleP => closed_by("<%", "%>"),
        Tag::Php => closed_by("<?php", "?>").or_else(|| closed_by("<?=", "?>")),
        Tag::DollarBrace => balanced(text, i, "${"),
        Tag::HashBrace => balanced(text, i, "#{"),
        Tag::BackslashParen => {
            if !rest.starts_with(b"\\(") {
                return None;
            }
            let mut depth = 0usize;
            for (at, b) in window.bytes().enumerate().skip(1) {
                match b {
                    b'(' => depth += 1,
                    b')' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(i + at + 1);
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        Tag::Brace => {
            // `{{` is a literal brace in f-strings and format strings
            if rest.starts_with(b"{{") || !rest.starts_with(b"{") {
                return None;
            }
            if i > 0 && text.as_bytes()[i - 1] == b'{' {
                return None;
            }
            balanced(text, i, "{")
        }
        Tag::DollarName => {
            if rest.first() != Some(&b'$') {
                return None;
            }
            let name = rest[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            let starts_well = rest.get(1).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
            if name == 0 || !starts_well {
                return None;
            }
            // `$obj->prop`, `$obj.prop`, `$a['k']` are still the value
            let mut end = 1 + name;
            loop {
                let tail = &rest[end..];
                let member = if tail.starts_with(b"->") {
                    2
                } else if tail.first() == Some(&b'.') && tail.get(1).is_some_and(|b| b.is_ascii_alphabetic()) {
                    1
                } else {
                    0
                };
                if member == 0 {
                    break;
                }
                let more = tail[member..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                if more == 0 {
                    break;
                }
                end += member + more;
            }
            Some(i + end)
        }
        Tag::Printf => {
            if rest.first() != Some(&b'%') {
                return None;
            }
            // %s %d %@ %1$s %-5s %.3f, not a percent-encoded byte (%3A, %2F)
            let spec = rest[1..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || matches!(b, b'$' | b'-' | b'.' | b'+' | b' ' | b'#'))
                .count();
            let conversion = *rest.get(1 + spec)?;
            let flags = &rest[1..1 + spec];
            let hex_pair = rest.get(1..3).is_some_and(|p| p.iter().all(u8::is_ascii_hexdigit));
            if hex_pair && flags.is_empty() {
                return None;
            }
            matches!(conversion, b's' | b'@' | b'd' | b'i' | b'u' | b'f' | b'x' | b'v' | b'q').then_some(i + spec + 2)
        }
    }
}

/// At most `MAX_TAG` bytes of `text` from `i` (an ASCII byte, so a character boundary),
/// ending on a character boundary.
fn window(text: &str, i: usize) -> &str {
    let mut end = text.len().min(i + MAX_TAG);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[i..end]
}

/// The end of `open … }` starting at `i`, with nested braces counted.
fn balanced(text: &str, i: usize, open: &str) -> Option<usize> {
    let window = window(text, i);
    if !window.starts_with(open) {
        return None;
    }
    let mut depth = 1usize;
    for (at, b) in window.bytes().enumerate().skip(open.len()) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + at + 1);
                }
            }
            b'\n' if open == "{" => return None,
            _ => {}
        }
    }
    None
}

/// The calls and filters that percent-encode a value for a URL's query, as written in the
/// common languages and template engines.
const ENCODERS: &[&str] = &[
    "encodeURIComponent",
    "rawurlencode",
    "urlencode",
    "url_encode",
    "urlEncode",
    "uri_escape",
    "escape_uri",
    "CGI.escape",
    "ERB::Util.url_encode",
    "URI.encode_www_form_component",
    "QueryEscape",
    "PathEscape",
    "quote_plus",
    "urllib.parse.quote",
    "quote(",
    "URLEncoder.encode",
    "EscapeDataString",
    "UrlEncode",
    "addingPercentEncoding",
    "stringByAddingPercentEscapes",
    "encodeComponent",
    "encodeQueryComponent",
    "URLSearchParams",
    "http_build_query",
    "escape_javascript",
];

/// The encoding call or filter `expression` passes its value through, when one is known.
/// `encodeURI` is not one: it leaves `&`, `=`, `?` and `#` as they are.
pub fn encoding_call(expression: &str) -> Option<String> {
    ENCODERS
        .iter()
        .find(|name| names(expression, name))
        .map(|name| name.trim_end_matches('(').to_string())
}

/// Whether `expression` names `name` as a whole word (`manifestUrlEncoded` is a variable, not
/// a call of `UrlEncode`).
fn names(expression: &str, name: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    expression.match_indices(name).any(|(at, found)| {
        let before = expression[..at].chars().next_back();
        let after = expression[at + found.len()..].chars().next();
        !word(before) && (found.ends_with('(') || !word(after))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_texts(text: &str, tags: &[Tag]) -> Vec<String> {
        values(text, tags).into_iter().map(|v| v.expression).collect()
    }

    #[test]
    fn finds_values_in_each_syntax() {
        let link = "itms-services://?action=download-manifest&url=";
        assert_eq!(
            value_texts(&format!("{link}{{{{ plist_url | urlencode }}}}"), &[Tag::DoubleBrace]),
            ["{{ plist_url | urlencode }}"]
        );
        assert_eq!(
            value_texts(&format!("{link}<%= url_encode(u) %>"), &[Tag::AngleP]),
            ["<%= url_encode(u) %>"]
        );
        assert_eq!(
            value_texts(&format!("{link}<?php echo $url ?>"), &[Tag::Php]),
            ["<?php echo $url ?>"]
        );
        assert_eq!(
            value_texts(&format!("{link}${{encodeURIComponent(a.b)}}"), &[Tag::DollarBrace]),
            ["${encodeURIComponent(a.b)}"]
        );
        assert_eq!(
            value_texts(&format!("{link}#{{CGI.escape(u)}}"), &[Tag::HashBrace]),
            ["#{CGI.escape(u)}"]
        );
        assert_eq!(
            value_texts(&format!("{link}\\(url)"), &[Tag::BackslashParen]),
            ["\\(url)"]
        );
        assert_eq!(
            value_texts(&format!("{link}{{quote(u)}}"), &[Tag::Brace]),
            ["{quote(u)}"]
        );
        assert_eq!(
            value_texts(&format!("{link}$url&x=$o->p"), &[Tag::DollarName]),
            ["$url", "$o->p"]
        );
        assert_eq!(value_texts(&format!("{link}%@"), &[Tag::Printf]), ["%@"]);
        // percent-encoded bytes are not printf conversions; `{{` is a literal brace in f-strings
        assert!(value_texts("https%3A%2F%2Fh%2Fa%20b", &[Tag::Printf]).is_empty());
        assert!(value_texts("a{{b}}", &[Tag::Brace]).is_empty());
        assert!(value_texts("a {{ never closed", &[Tag::DoubleBrace]).is_empty());
    }

    #[test]
    fn recognises_encoding_calls() {
        assert_eq!(
            encoding_call("${encodeURIComponent(x)}").as_deref(),
            Some("encodeURIComponent")
        );
        assert_eq!(encoding_call("{{ x | urlencode }}").as_deref(), Some("urlencode"));
        assert_eq!(encoding_call("<%= CGI.escape(x) %>").as_deref(), Some("CGI.escape"));
        assert_eq!(encoding_call("{url.QueryEscape(x)}").as_deref(), Some("QueryEscape"));
        assert_eq!(encoding_call("${encodeURI(x)}"), None);
        assert_eq!(encoding_call("{{ x }}"), None);
        // a variable named after an encoder is not a call of it
        assert_eq!(encoding_call("{{manifestUrlEncoded}}"), None);
        assert_eq!(encoding_call("{{urlencode manifestUrl}}").as_deref(), Some("urlencode"));
    }

    #[test]
    fn split_is_linear_on_unclosed_tags() {
        let text = "{{".repeat(200_000);
        let started = std::time::Instant::now();
        assert!(values(&text, &[Tag::DoubleBrace, Tag::Brace, Tag::DollarBrace]).len() < 2);
        assert!(started.elapsed().as_secs() < 5);
    }
}
