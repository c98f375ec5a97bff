//! Character references (`&amp;`, `&#38;`, `&#x26;`, `&quot;`, …) decoded as a browser decodes
//! an attribute value, and as an XML parser decodes text: for strings that go into markup.

use html5gum::{Token, Tokenizer};

/// Decodes the character references of `raw` the way the HTML parser decodes an attribute
/// value (WHATWG rules, every named reference). Text without `&` is returned as is.
pub fn decode_html(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    // The tokenizer is the reference: the value is put in a double-quoted attribute (its own
    // `"` written as a reference, so it cannot end the attribute) and read back.
    let quoted = raw.replace('"', "&quot;");
    let document = format!("<a v=\"{quoted}\">");
    for token in Tokenizer::new(&document).flatten() {
        if let Token::StartTag(tag) = token
            && let Some((_, value)) = tag.attributes.iter().next()
        {
            return String::from_utf8_lossy(value).into_owned();
        }
    }
    raw.to_string()
}

/// Decodes the five predefined XML entities and numeric character references, as an XML
/// parser does in text and attribute values. An unknown or malformed reference is kept.
pub fn decode_xml(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest
            .get(1..rest.len().min(12))
            .and_then(|window| window.find(';').map(|end| &window[..end]))
            .and_then(|name| xml_reference(name).map(|c| (c, name.len() + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn xml_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_a_browser_and_an_xml_parser() {
        assert_eq!(decode_html("a&amp;b&#38;c&#x26;d&quot;e\"f"), "a&b&c&d\"e\"f");
        assert_eq!(decode_html("a&amp;amp;url"), "a&amp;url");
        assert_eq!(decode_html("no refs"), "no refs");
        // a browser keeps an unknown reference; in an attribute, a legacy one without `;`
        // followed by a letter stays as written (`&ampx`), but not before `=` or the end
        assert_eq!(decode_html("&bogus;&ampx&amp=&amp"), "&bogus;&ampx&amp=&");
        assert_eq!(decode_xml("a&amp;b&#38;c&#x26;d&lt;&bogus;&"), "a&b&c&d<&bogus;&");
        assert_eq!(decode_xml("&amp;amp;"), "&amp;");
    }
}
