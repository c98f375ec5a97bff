//! Links in configuration files: JSON, YAML, XML (a plist or a `.mobileconfig` that is not a
//! manifest), TOML, `.env`, Java `.properties` and INI. Each string value is decoded by its own
//! syntax (JSON `\/` and `\u0026`, YAML's quoting styles and block scalars, XML entities, …)
//! and named by its key path (`place` = "JSON value at install.url").
//!
//! What a value is used as: a JSON, YAML, TOML, `.env`, properties or INI value is handed to a
//! program as it is (an API response, a setting), so `&amp;` there reaches iOS (a URL use); XML
//! and plist text is markup: its parser decoded `&amp;` to `&`.

mod json;
mod keyvalue;
mod xml;
mod yaml;

use crate::collect::find::offsets::Decoded;
use crate::collect::find::template::{self, Tag};
use crate::collect::find::{FoundLink, prose};
use crate::facts::{Escaping, LinkContext, LinkUse, Literal, TextKind};
use crate::link::looks_like_link;

/// The configuration syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    /// XML, including a plist or a `.mobileconfig` that is not a manifest.
    Xml,
    Toml,
    /// `.env`: `NAME=value`, `export NAME="value"`.
    Env,
    /// Java `.properties`: `key=value`, `key: value`, backslash escapes and continuations.
    Properties,
    /// INI, `.cfg`, `.conf`: `[section]`, `key = value`.
    Ini,
}

impl Format {
    /// The format a file name stands for (`.json`, `.yml`, `.plist`, `.env.local`, …).
    pub fn of_name(name: &str) -> Option<Format> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
        if base == ".env" || base.starts_with(".env.") || base.ends_with(".env") {
            return Some(Format::Env);
        }
        let ext = base.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "json" | "jsonc" | "json5" | "webmanifest" | "har" | "geojson" => Format::Json,
            "yml" | "yaml" => Format::Yaml,
            "xml" | "plist" | "mobileconfig" | "xsd" | "xsl" | "config" | "csproj" | "resx" => Format::Xml,
            "toml" => Format::Toml,
            "properties" => Format::Properties,
            "ini" | "cfg" | "conf" => Format::Ini,
            _ => return None,
        })
    }

    /// The format a text's first bytes show, for text without a telling name (standard
    /// input): a JSON object or array, an XML declaration or a YAML document marker.
    pub fn of_content(text: &str) -> Option<Format> {
        let head = text.trim_start_matches('\u{feff}').trim_start();
        if head.starts_with("<?xml")
            || head.starts_with("<plist")
            || head
                .get(..15)
                .is_some_and(|h| h.eq_ignore_ascii_case("<!doctype plist"))
        {
            return Some(Format::Xml);
        }
        if head.starts_with("---\n") || head.starts_with("---\r\n") || head.starts_with("%YAML") {
            return Some(Format::Yaml);
        }
        // `{"` or `[{`/`["`/`[` then a value: a JSON document, not prose in brackets
        let mut chars = head.chars().filter(|c| !c.is_whitespace());
        match (chars.next(), chars.next()) {
            (Some('{'), Some('"' | '}')) | (Some('['), Some('{' | '"' | '[' | ']')) => Some(Format::Json),
            _ => None,
        }
    }

    fn language(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Xml => "xml",
            Format::Toml => "toml",
            Format::Env => "dotenv",
            Format::Properties => "properties",
            Format::Ini => "ini",
        }
    }
}

/// Every install link in the configuration `text`, in order of their place in the text.
pub fn links(format: Format, text: &str) -> Vec<FoundLink> {
    let mut found = Vec::new();
    match format {
        Format::Json => json::links(text, &mut found),
        Format::Yaml => yaml::links(text, &mut found),
        Format::Xml => xml::links(text, &mut found),
        Format::Toml | Format::Env | Format::Properties | Format::Ini => keyvalue::links(format, text, &mut found),
    }
    found.sort_by_key(|l| l.offset);
    found
}

/// One string value of a configuration file.
struct Value<'a> {
    format: Format,
    /// The whole file.
    source: &'a str,
    /// The value after its syntax's escapes, mapped to the file.
    decoded: &'a Decoded,
    /// How a corrected link is written back into the value; `None`: it cannot be.
    escaping: Option<Escaping>,
    /// Where the value stands ("JSON value at install.url"), made only for a value that holds
    /// a link.
    place: &'a dyn Fn() -> String,
    used_as: LinkUse,
}

/// The links in one value: the whole value when it is one link (spaces or line breaks around
/// it included, which the program hands on as they are), else each link in its text.
fn value_links(value: &Value<'_>, found: &mut Vec<FoundLink>) {
    let text = value.decoded.text.as_str();
    let spans = prose::spans(text);
    let trimmed = text.trim();
    let lead = text.len() - text.trim_start().len();
    // the whole value is the link when it starts as one and has no white space but inside
    // template values (`…&url={{ manifest_url }}`, where the prose rules stop at the brace)
    let tags = [Tag::DoubleBrace, Tag::BracePercent, Tag::DollarBrace];
    let static_has_space = template::split(trimmed, &tags).into_iter().any(|piece| match piece {
        template::Piece::Static(r) => trimmed[r].contains(char::is_whitespace),
        template::Piece::Value(_) => false,
    });
    let whole = spans.first().is_some_and(|(s, _)| *s == lead) && !static_has_space && looks_like_link(trimmed, true);
    if spans.is_empty() {
        return;
    }
    let ranges: Vec<(usize, usize)> = if whole { vec![(0, text.len())] } else { spans };
    let place = (value.place)();
    for (start, end) in ranges {
        let written = &text[start..end];
        let values = template::values(written, &tags);
        let src_start = value.decoded.source_start(start);
        let src_end = value.decoded.source_end(end);
        let literal = value
            .escaping
            .filter(|_| values.is_empty() && !written.trim().contains(['\n', '\r']))
            .map(|escaping| Literal {
                start: src_start,
                end: src_end,
                escaping,
            });
        let source = value.source.get(src_start..src_end).filter(|raw| *raw != written);
        found.push(FoundLink {
            written: written.to_string(),
            source_text: source.map(str::to_string),
            context: LinkContext::Text {
                text_kind: TextKind::Config,
                language: value.format.language().to_string(),
                place: place.clone(),
                used_as: value.used_as,
            },
            offset: src_start,
            dynamic: !values.is_empty(),
            values,
            literal,
        });
    }
}

/// A key path with one more key: `install` + `url` → `install.url`; keys that are not plain
/// names are quoted (`["a b"]`).
fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$' | '@'));
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

/// The end of the line holding `at` (before `\r\n` or `\n`) and the start of the next one.
fn line_end(text: &str, at: usize) -> (usize, usize) {
    match text.as_bytes()[at..].iter().position(|b| *b == b'\n') {
        Some(n) => {
            let end = at + n;
            let trimmed = if end > at && text.as_bytes()[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            (trimmed, end + 1)
        }
        None => (text.len(), text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name_and_content() {
        assert_eq!(Format::of_name("a/b/app.json"), Some(Format::Json));
        assert_eq!(Format::of_name(".env.production"), Some(Format::Env));
        assert_eq!(Format::of_name("deploy/prod.env"), Some(Format::Env));
        assert_eq!(Format::of_name("Web Clip.mobileconfig"), Some(Format::Xml));
        assert_eq!(Format::of_name("config.YML"), Some(Format::Yaml));
        assert_eq!(Format::of_name("notes.txt"), None);
        assert_eq!(Format::of_content("  {\"a\": 1}"), Some(Format::Json));
        assert_eq!(Format::of_content("[1, 2]"), None);
        assert_eq!(Format::of_content("---\na: b\n"), Some(Format::Yaml));
        assert_eq!(Format::of_content("<?xml version=\"1.0\"?><a/>"), Some(Format::Xml));
        assert_eq!(Format::of_content("{not json"), None);
    }

    #[test]
    fn key_paths() {
        assert_eq!(join_key("", "install"), "install");
        assert_eq!(join_key("install", "url"), "install.url");
        assert_eq!(join_key("a", "b c"), "a[\"b c\"]");
    }
}
