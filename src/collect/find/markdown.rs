//! Links in Markdown (CommonMark with GitHub's tables, task lists and front matter), read by
//! pulldown-cmark with source offsets, each by the rules of where it stands:
//!
//! * a link target `[x](…)` or a reference definition `[x]: …`: CommonMark decodes entity
//!   references and backslash escapes in a destination, and the renderer writes it into an
//!   `href`: `&amp;` there is right (the href holds `&`), `&amp;amp;` is not (markup);
//! * an autolink `<itms-services://…>`: not decoded (used as a URL: `&amp;` is wrong);
//! * a code span or an indented code block: text to copy, used as a URL as written;
//! * a fenced code block: read as its info string's language (` ```json `, ` ```html `, …),
//!   by that language's own finder;
//! * inline HTML and HTML blocks: the page finder (attribute values are markup);
//! * front matter (`---` YAML at the top): the YAML finder;
//! * the text of paragraphs, headings, lists and tables: prose (the reader copies the text as
//!   the page shows it, entity references decoded).
//!
//! One pass over the events; every finder called on a block's own text.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, MetadataBlockKind, Options, Parser, Tag, TagEnd};

use crate::collect::find::offsets::Decoded;
use crate::collect::find::{FoundLink, Syntax, config, entities, links_in, prose};
use crate::collect::html;
use crate::facts::{Escaping, LinkContext, LinkUse, Literal, TextKind};
use crate::link::looks_like_link;

/// Every install link in the Markdown `text`, in order of their place in the text.
pub fn links(text: &str) -> Vec<FoundLink> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut events = Parser::new_ext(text, options).into_offset_iter();
    let mut found = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut in_link = 0usize;
    let mut block: Option<(Block, Decoded)> = None;
    for (event, range) in events.by_ref() {
        // text inside a code block, an HTML block or front matter belongs to the block
        if let Some((kind, code)) = block.as_mut() {
            match event {
                Event::Text(t) | Event::Html(t) => {
                    if text.get(range.clone()) == Some(&*t) {
                        code.copy(&t, range.start);
                    } else {
                        code.decoded(&t, range.start, range.end);
                    }
                }
                Event::End(TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::MetadataBlock(_)) => {
                    let kind = kind.clone();
                    if let Some((_, code)) = block.take() {
                        block_links(&kind, &code, &mut found);
                    }
                }
                _ => {}
            }
            continue;
        }
        let is_text = matches!(event, Event::Text(_) | Event::SoftBreak | Event::HardBreak);
        if is_text && in_link == 0 {
            run = Some(match run {
                Some((s, _)) => (s, range.end),
                None => (range.start, range.end),
            });
            continue;
        }
        if let Some((s, e)) = run.take() {
            text_links(text, s, e, &mut found);
        }
        match event {
            Event::Start(Tag::Link {
                link_type, dest_url, ..
            }) => {
                in_link += 1;
                match link_type {
                    LinkType::Inline if looks_like_link(&dest_url, true) => {
                        found.push(target(text, range.start, range.end, &dest_url));
                    }
                    LinkType::Autolink if looks_like_link(&dest_url, true) => {
                        found.push(autolink(text, range.start, range.end, &dest_url));
                    }
                    // a reference link's target is its definition's, found there once
                    _ => {}
                }
            }
            Event::Start(Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => in_link = in_link.saturating_sub(1),
            Event::Code(_) => {
                let raw = &text[range.clone()];
                let ticks = raw.len() - raw.trim_start_matches('`').len();
                let inner_end = range.end.saturating_sub(ticks).max(range.start + ticks);
                for mut link in prose::links_with(
                    &text[range.start + ticks..inner_end],
                    TextKind::Markdown,
                    "markdown",
                    "Markdown code span",
                ) {
                    shift(&mut link, range.start + ticks);
                    found.push(link);
                }
            }
            Event::InlineHtml(_) => {
                for mut link in html::find_links(&text[range.clone()]) {
                    shift(&mut link, range.start);
                    found.push(link);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let kind = match kind {
                    CodeBlockKind::Indented => Block::Code(None),
                    CodeBlockKind::Fenced(info) => Block::Code(language(&info)),
                };
                block = Some((kind, Decoded::new()));
            }
            Event::Start(Tag::HtmlBlock) => block = Some((Block::Html, Decoded::new())),
            Event::Start(Tag::MetadataBlock(MetadataBlockKind::YamlStyle)) => {
                block = Some((Block::FrontMatter, Decoded::new()));
            }
            _ => {}
        }
    }
    if let Some((s, e)) = run.take() {
        text_links(text, s, e, &mut found);
    }
    for (_, def) in events.reference_definitions().iter() {
        if looks_like_link(&def.dest, true)
            && let Some(link) = definition(text, def.span.start, def.span.end, &def.dest)
        {
            found.push(link);
        }
    }
    found.sort_by_key(|l| l.offset);
    found
}

/// A block whose text is read as a whole.
#[derive(Debug, Clone)]
enum Block {
    /// A code block, with the extension of its info string's language (`None`: no language,
    /// or an indented block).
    Code(Option<String>),
    Html,
    FrontMatter,
}

/// The links of a block's text, mapped back to the file.
fn block_links(kind: &Block, code: &Decoded, found: &mut Vec<FoundLink>) {
    let links = match kind {
        Block::Html => html::find_links(&code.text),
        Block::FrontMatter => config::links(config::Format::Yaml, &code.text),
        Block::Code(Some(ext)) if ext == "html" => html::find_links(&code.text),
        Block::Code(Some(ext)) if ext != "txt" => {
            let syntax = Syntax::of(&format!("block.{ext}"), &code.text);
            if syntax == Syntax::Prose {
                prose::links_with(&code.text, TextKind::Markdown, "markdown", "Markdown code block")
            } else {
                links_in(syntax, &code.text)
            }
        }
        Block::Code(_) => prose::links_with(&code.text, TextKind::Markdown, "markdown", "Markdown code block"),
    };
    for mut link in links {
        link.literal = link.literal.take().and_then(|mut l| {
            let (s, e) = code.verbatim_range(l.start, l.end)?;
            l.start = s;
            l.end = e;
            Some(l)
        });
        link.offset = code.source_start(link.offset);
        found.push(link);
    }
}

/// The extension a fenced block's info string stands for (` ```js title="x" ` → `js`).
fn language(info: &str) -> Option<String> {
    let word = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("")
        .trim_start_matches('.')
        .to_ascii_lowercase();
    let ext = match word.as_str() {
        "" => return None,
        "javascript" | "js" | "node" => "js",
        "typescript" | "ts" => "ts",
        "python" | "py" | "python3" | "py3" => "py",
        "ruby" | "rb" => "rb",
        "kotlin" | "kt" => "kt",
        "csharp" | "cs" | "c#" => "cs",
        "objective-c" | "objectivec" | "objc" => "m",
        "golang" | "go" => "go",
        "html" | "htm" | "xhtml" => "html",
        "json" | "jsonc" | "json5" | "geojson" => "json",
        "yaml" | "yml" => "yaml",
        "xml" | "plist" | "mobileconfig" => "xml",
        "dotenv" | "env" => "env",
        "properties" | "ini" | "cfg" | "toml" => return Some(word),
        // shell sessions, plain text and Markdown itself are read as text
        "text" | "txt" | "plaintext" | "plain" | "sh" | "bash" | "shell" | "zsh" | "console" | "shell-session"
        | "md" | "markdown" | "eml" | "email" => "txt",
        other => return Some(other.to_string()),
    };
    Some(ext.to_string())
}

/// Prose at `start..end` of the file: the text of a paragraph, a heading, a list item or a
/// table cell, as the page shows it (entity references decoded).
fn text_links(text: &str, start: usize, end: usize, found: &mut Vec<FoundLink>) {
    for mut link in prose::links_with(&text[start..end], TextKind::Markdown, "markdown", "Markdown text") {
        shift(&mut link, start);
        let shown = entities::decode_html(&link.written);
        if shown != link.written {
            link.source_text = Some(std::mem::replace(&mut link.written, shown));
        }
        found.push(link);
    }
}

/// Moves a link found in a slice of the file that starts at `by`.
fn shift(link: &mut FoundLink, by: usize) {
    link.offset += by;
    if let Some(l) = link.literal.as_mut() {
        l.start += by;
        l.end += by;
    }
}

/// The link target of `[text](dest "title")` at `start..end`: decoded by CommonMark (`dest`),
/// used as an `href`.
fn target(text: &str, start: usize, end: usize, dest: &str) -> FoundLink {
    let raw = destination_after_text(text, start, end, dest);
    markup_link(text, raw, start, dest, "Markdown link target")
}

/// A reference definition `[label]: dest "title"` at `start..end`.
fn definition(text: &str, start: usize, end: usize, dest: &str) -> Option<FoundLink> {
    let bytes = text.as_bytes();
    let mut i = start;
    while i + 1 < end {
        match bytes[i] {
            b'\\' => i += 1,
            b']' if bytes[i + 1] == b':' => {
                let raw = destination(text, i + 2, end).filter(|(s, e)| decodes_to(&text[*s..*e], dest));
                return Some(markup_link(
                    text,
                    raw,
                    start,
                    dest,
                    "Markdown link reference definition",
                ));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A destination the renderer writes into an `href` (entities decoded): markup.
fn markup_link(text: &str, raw: Option<(usize, usize)>, at: usize, dest: &str, place: &str) -> FoundLink {
    let source = raw.map(|(s, e)| &text[s..e]).filter(|r| *r != dest);
    FoundLink {
        written: dest.to_string(),
        source_text: source.map(str::to_string),
        context: LinkContext::Text {
            text_kind: TextKind::Markdown,
            language: "markdown".to_string(),
            place: place.to_string(),
            used_as: LinkUse::Markup,
        },
        offset: raw.map_or(at, |(s, _)| s),
        dynamic: false,
        values: Vec::new(),
        literal: raw.map(|(start, end)| Literal {
            start,
            end,
            escaping: Escaping::Verbatim,
        }),
    }
}

/// `<itms-services://…>` at `start..end`: not decoded, used as a URL.
fn autolink(text: &str, start: usize, end: usize, dest: &str) -> FoundLink {
    let inner = (start + 1, end.saturating_sub(1).max(start + 1));
    let exact = text.get(inner.0..inner.1) == Some(dest);
    FoundLink {
        written: dest.to_string(),
        source_text: None,
        context: LinkContext::Text {
            text_kind: TextKind::Markdown,
            language: "markdown".to_string(),
            place: "Markdown autolink".to_string(),
            used_as: LinkUse::Url,
        },
        offset: inner.0,
        dynamic: false,
        values: Vec::new(),
        literal: exact.then_some(Literal {
            start: inner.0,
            end: inner.1,
            escaping: Escaping::Verbatim,
        }),
    }
}

/// The raw destination of an inline link at `start..end`: after the `](` that closes the link
/// text (brackets balanced, escapes skipped), the one that decodes to `dest`.
fn destination_after_text(text: &str, start: usize, end: usize, dest: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < end {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && bytes[i + 1] == b'('
                    && let Some((s, e)) = destination(text, i + 2, end)
                    && decodes_to(&text[s..e], dest)
                {
                    return Some((s, e));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether a raw destination decodes to `dest` (entity references, backslash escapes).
fn decodes_to(raw: &str, dest: &str) -> bool {
    if raw == dest {
        return true;
    }
    let mut unescaped = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(next)) if next.is_ascii_punctuation() => {
                unescaped.push(*next);
                chars.next();
            }
            _ => unescaped.push(c),
        }
    }
    entities::decode_html(&unescaped) == dest
}

/// The link destination starting at `from` (spaces and one line break skipped): `<…>` or a run
/// without spaces and with balanced parentheses. Byte range of its text.
fn destination(text: &str, from: usize, end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut line_breaks = 0;
    while i < end && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        if bytes[i] == b'\n' {
            line_breaks += 1;
        }
        i += 1;
    }
    if line_breaks > 1 || i >= end {
        return None;
    }
    if bytes[i] == b'<' {
        let s = i + 1;
        let mut j = s;
        while j < end && !matches!(bytes[j], b'>' | b'\n' | b'<') {
            if bytes[j] == b'\\' {
                j += 1;
            }
            j += 1;
        }
        return (j < end && bytes[j] == b'>').then_some((s, j));
    }
    let s = i;
    let mut parens = 0usize;
    while i < end {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => parens += 1,
            b')' if parens == 0 => break,
            b')' => parens -= 1,
            b if b.is_ascii_whitespace() || b.is_ascii_control() => break,
            _ => {}
        }
        i += 1;
    }
    let i = i.min(end);
    (i > s).then_some((s, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Fm.plist";

    fn places(text: &str) -> Vec<(String, String, (usize, usize))> {
        links(text)
            .into_iter()
            .map(|l| {
                let place = match &l.context {
                    LinkContext::Text { place, .. } => place.clone(),
                    other => other.describe(),
                };
                (l.written, place, crate::text::line_and_column(text, l.offset))
            })
            .collect()
    }

    #[test]
    fn every_markdown_place_is_found_with_its_own_decoding() {
        let amp = LINK.replace('&', "&amp;");
        let md = format!(
            "# Install\n\n[Tap here]({amp} \"title\") or <{LINK}>.\n\nCopy `{LINK}` or {LINK}.\n\n[ref]: {amp}\n\n```json\n{{\"url\": \"{}\"}}\n```\n\n    {LINK}\n\n<a href=\"{amp}\">x</a>\n",
            LINK.replace('/', "\\/")
        );
        let got = places(&md);
        let expected = [
            (LINK, "Markdown link target", (3, 12)),
            (LINK, "Markdown autolink", (3, 116)),
            (LINK, "Markdown code span", (5, 7)),
            (LINK, "Markdown text", (5, 98)),
            (LINK, "Markdown link reference definition", (7, 8)),
            (LINK, "JSON value at url", (10, 10)),
            (LINK, "Markdown code block", (13, 5)),
            (LINK, "<a href>", (15, 4)),
        ];
        let got_ref: Vec<(&str, &str, (usize, usize))> =
            got.iter().map(|(w, p, at)| (w.as_str(), p.as_str(), *at)).collect();
        assert_eq!(got_ref, expected);
    }

    #[test]
    fn a_link_target_is_decoded_by_commonmark_and_rendered_into_an_href() {
        // the proof, from the renderer itself: a destination's "&amp;" is "&" in the href
        // (written "&amp;" again in the HTML), an autolink's is kept as written
        let md = "[tap](itms-services://?a=1&amp;url=x) <itms-services://?a=1&amp;url=x>";
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, Parser::new(md));
        assert!(html.contains("href=\"itms-services://?a=1&amp;url=x\""), "{html}");
        assert!(html.contains("href=\"itms-services://?a=1&amp;amp;url=x\""), "{html}");
        let found = links(md);
        assert_eq!(found[0].written, "itms-services://?a=1&url=x");
        assert_eq!(found[0].context.used_as(), LinkUse::Markup);
        assert_eq!(found[1].written, "itms-services://?a=1&amp;url=x");
        assert_eq!(found[1].context.used_as(), LinkUse::Url);
    }

    #[test]
    fn literals_are_the_raw_destinations() {
        let md = format!("x [a](<{LINK}>) [b]({LINK})\n");
        for l in links(&md) {
            let lit = l.literal.expect("literal");
            assert_eq!(&md[lit.start..lit.end], LINK);
        }
    }
}
