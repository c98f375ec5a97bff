//! Links in local HTML-like templates (PHP, Blade, ERB, EJS, JSP, Jinja, Twig, Nunjucks,
//! Liquid, Mustache, Handlebars, Go templates, Vue, Svelte): the page is read by the HTML
//! page finder with every template tag overwritten by `x` first (same length, so offsets and
//! lines hold, and a `"` inside `<?php echo "x" ?>` does not end the attribute). Attribute
//! values are markup with the tags as template values; `<script>` is JavaScript; the code in
//! PHP and ERB/EJS/JSP blocks is read as that language, with what the block does with a string
//! (`<?= … ?>` and `echo` write it into the page, `<%= … %>` escapes it first).
//!
//! A page fetched from a URL is not a template: a `{{x}}` there is a real leftover.

use std::collections::HashMap;
use std::ops::Range;

use crate::collect::find::FoundLink;
use crate::collect::find::code::{self, Lang};
use crate::collect::find::template::Tag;
use crate::collect::html::{self, TemplatePage};
use crate::facts::{LinkUse, TextKind};

/// A template engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Php,
    Blade,
    Erb,
    Ejs,
    Jsp,
    /// Jinja, Django, Twig, Nunjucks.
    Jinja,
    Liquid,
    /// Mustache and Handlebars.
    Mustache,
    GoTemplate,
    Vue,
    Svelte,
    /// A local `.html` page holding template tags of some engine.
    Html,
}

impl Engine {
    /// The engine of a file's extension (lower case), for templates.
    pub fn for_extension(name: &str, ext: &str) -> Option<Engine> {
        Some(match ext {
            "php" | "phtml" if name.ends_with(".blade.php") => Engine::Blade,
            "erb" | "rhtml" => Engine::Erb,
            "ejs" => Engine::Ejs,
            "jsp" | "jspx" => Engine::Jsp,
            "j2" | "jinja" | "jinja2" | "twig" | "njk" | "djhtml" => Engine::Jinja,
            "liquid" => Engine::Liquid,
            "mustache" | "hbs" | "handlebars" => Engine::Mustache,
            "tmpl" | "gohtml" | "gotmpl" => Engine::GoTemplate,
            "vue" => Engine::Vue,
            "svelte" => Engine::Svelte,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Php => "php",
            Engine::Blade => "blade",
            Engine::Erb => "erb",
            Engine::Ejs => "ejs",
            Engine::Jsp => "jsp",
            Engine::Jinja => "jinja",
            Engine::Liquid => "liquid",
            Engine::Mustache => "mustache",
            Engine::GoTemplate => "go-template",
            Engine::Vue => "vue",
            Engine::Svelte => "svelte",
            Engine::Html => "html-template",
        }
    }

    /// The tags that put values into the page.
    pub fn tags(self) -> &'static [Tag] {
        match self {
            Engine::Php => &[Tag::Php],
            Engine::Blade => &[Tag::Php, Tag::DoubleBrace],
            Engine::Erb | Engine::Ejs => &[Tag::AngleP],
            Engine::Jsp => &[Tag::AngleP, Tag::DollarBrace, Tag::HashBrace],
            Engine::Jinja | Engine::Liquid => &[Tag::DoubleBrace, Tag::BracePercent],
            Engine::Mustache | Engine::GoTemplate | Engine::Vue => &[Tag::DoubleBrace],
            Engine::Svelte => &[Tag::Brace],
            Engine::Html => &[Tag::DoubleBrace, Tag::BracePercent, Tag::AngleP, Tag::Php],
        }
    }

    /// The tags of the engine that are found in `text`, for a local `.html` page: none means
    /// it is a plain page.
    pub fn sniff_html(text: &str) -> Option<Engine> {
        let has = |s: &str| text.contains(s);
        if has("<?php") || has("<?=") {
            return Some(Engine::Php);
        }
        if has("<%=") || has("<% ") || has("<%-") {
            return Some(Engine::Erb);
        }
        if (has("{{") && has("}}")) || (has("{%") && has("%}")) {
            return Some(Engine::Html);
        }
        None
    }

    /// The language of the code blocks, and what an output block does with a string.
    fn code_blocks(self) -> Option<&'static Lang> {
        match self {
            Engine::Php | Engine::Blade | Engine::Html => Some(&code::PHP),
            Engine::Erb => Some(&code::RUBY),
            Engine::Ejs => Some(&code::JAVASCRIPT),
            Engine::Jsp => Some(&code::JAVA),
            Engine::Jinja | Engine::Liquid => Some(&code::PYTHON),
            _ => None,
        }
    }
}

/// A code block of a template: its code, and the use of what it outputs.
struct Block {
    whole: Range<usize>,
    code: Range<usize>,
    lang: &'static Lang,
    use_: Option<(LinkUse, &'static str)>,
}

/// A code block's opener, closer, the use of what it outputs, and whether its closer is
/// looked for only nearby (short tags such as `{{ }}`).
type BlockSyntax = (&'static str, &'static str, Option<(LinkUse, &'static str)>, bool);

/// Openers and closers of code blocks.
fn block_syntax(engine: Engine) -> &'static [BlockSyntax] {
    const PHP: &[BlockSyntax] = &[
        ("<?php", "?>", None, false),
        (
            "<?=",
            "?>",
            Some((LinkUse::Markup, "written into the page by <?= ?>")),
            false,
        ),
    ];
    const BLADE: &[BlockSyntax] = &[
        ("<?php", "?>", None, false),
        (
            "<?=",
            "?>",
            Some((LinkUse::Markup, "written into the page by <?= ?>")),
            false,
        ),
        (
            "{!!",
            "!!}",
            Some((LinkUse::Markup, "written into the page unescaped by {!! !!}")),
            true,
        ),
        (
            "{{",
            "}}",
            Some((LinkUse::Url, "written by {{ }}, which HTML-escapes it")),
            true,
        ),
    ];
    const ERB: &[BlockSyntax] = &[
        (
            "<%==",
            "%>",
            Some((LinkUse::Markup, "written into the page unescaped by <%== %>")),
            false,
        ),
        (
            "<%=",
            "%>",
            Some((LinkUse::Url, "written by <%= %>, which HTML-escapes it")),
            false,
        ),
        ("<%", "%>", None, false),
    ];
    const EJS: &[BlockSyntax] = &[
        (
            "<%-",
            "%>",
            Some((LinkUse::Markup, "written into the page unescaped by <%- %>")),
            false,
        ),
        (
            "<%=",
            "%>",
            Some((LinkUse::Url, "written by <%= %>, which HTML-escapes it")),
            false,
        ),
        ("<%", "%>", None, false),
    ];
    const JSP: &[BlockSyntax] = &[
        (
            "<%=",
            "%>",
            Some((LinkUse::Markup, "written into the page by <%= %>")),
            false,
        ),
        ("<%", "%>", None, false),
    ];
    const JINJA: &[BlockSyntax] = &[
        (
            "{{",
            "}}",
            Some((LinkUse::Url, "written by {{ }}, which HTML-escapes it")),
            true,
        ),
        ("{%", "%}", None, true),
    ];
    const HTML: &[BlockSyntax] = &[
        ("<?php", "?>", None, false),
        (
            "<?=",
            "?>",
            Some((LinkUse::Markup, "written into the page by <?= ?>")),
            false,
        ),
    ];
    match engine {
        Engine::Php => PHP,
        Engine::Blade => BLADE,
        Engine::Erb => ERB,
        Engine::Ejs => EJS,
        Engine::Jsp => JSP,
        Engine::Jinja | Engine::Liquid => JINJA,
        Engine::Html => HTML,
        _ => &[],
    }
}

/// The longest a `{{ … }}` block is looked for.
const MAX_SHORT_TAG: usize = 4096;

/// Every install link in a template of `engine`.
pub fn links(text: &str, engine: Engine) -> Vec<FoundLink> {
    let (regions, blocks) = regions(text, engine);
    let mut masked = text.as_bytes().to_vec();
    for r in &regions {
        for b in masked.get_mut(r.clone()).into_iter().flatten() {
            if *b != b'\n' {
                *b = b'x';
            }
        }
    }
    let masked = String::from_utf8(masked).unwrap_or_else(|_| text.to_string());
    let bound = code::bindings(text);
    let page = TemplatePage {
        original: text,
        regions: &regions,
        tags: engine.tags(),
        engine: engine.name(),
        bound: &bound,
    };
    let mut found = html::find_links_in_template(&masked, &page);
    // where the links of the page stand, in order (they do not overlap)
    let mut spans: Vec<(usize, usize)> = found
        .iter()
        .map(|f| (f.offset, f.offset + f.source_text.as_ref().unwrap_or(&f.written).len()))
        .collect();
    spans.sort_unstable();
    for block in &blocks {
        // a block inside an attribute whose value holds a link is part of that link
        let before = spans.partition_point(|(s, _)| *s <= block.whole.start);
        let in_link = before > 0 && spans[before - 1].1 >= block.whole.end;
        if in_link {
            continue;
        }
        found.extend(code::links_in_part(
            text,
            block.code.clone(),
            block.lang,
            &[],
            TextKind::Template,
            block.use_,
            Some(&bound),
        ));
    }
    found.sort_by_key(|f| f.offset);
    found
}

/// The template tags of `text` (to mask), and its code blocks (to read as code), in one pass.
fn regions(text: &str, engine: Engine) -> (Vec<Range<usize>>, Vec<Block>) {
    let bytes = text.as_bytes();
    let syntax = block_syntax(engine);
    let lang = engine.code_blocks();
    let mut regions = Vec::new();
    let mut blocks = Vec::new();
    // a closer not found after some offset is not found after any later one
    let mut missing_after: HashMap<&str, usize> = HashMap::new();
    let mut i = 0;
    while i < bytes.len() {
        if !matches!(bytes[i], b'<' | b'{' | b'$' | b'#') {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        let mut matched = None;
        for (open, close, use_, short) in syntax {
            if !rest.starts_with(open) {
                continue;
            }
            let from = i + open.len();
            if missing_after.get(close).is_some_and(|at| *at <= from) {
                continue;
            }
            let limit = if *short {
                (from + MAX_SHORT_TAG).min(text.len())
            } else {
                text.len()
            };
            let mut limit = limit;
            while !text.is_char_boundary(limit) {
                limit -= 1;
            }
            match text[from..limit].find(close) {
                Some(k) => {
                    matched = Some((from..from + k, from + k + close.len(), *use_));
                    break;
                }
                None if !*short => {
                    missing_after.insert(close, from);
                    // PHP's last block may run to the end of the file
                    if open.starts_with("<?") {
                        matched = Some((from..text.len(), text.len(), *use_));
                        break;
                    }
                }
                None => {}
            }
        }
        if let Some((code, end, use_)) = matched {
            regions.push(i..end);
            if let Some(lang) = lang {
                let use_ = use_.map(|(u, p)| {
                    let raw = text[code.clone()].trim_start();
                    let unescaped = raw.starts_with("raw ")
                        || text[code.clone()].contains("|safe")
                        || text[code.clone()].contains("| safe")
                        || text[code.clone()].contains("|raw");
                    if unescaped {
                        (LinkUse::Markup, "written into the page unescaped")
                    } else {
                        (u, p)
                    }
                });
                blocks.push(Block {
                    whole: i..end,
                    code,
                    lang,
                    use_,
                });
            }
            i = end;
            continue;
        }
        // the other tags of the engine (values only): `{{ }}`, `${ }`, …
        match tag_end(text, i, engine.tags()) {
            Some(end) => {
                regions.push(i..end);
                i = end;
            }
            None => i += 1,
        }
    }
    (regions, blocks)
}

/// The end of a template tag of `tags` starting at `i`.
fn tag_end(text: &str, i: usize, tags: &[Tag]) -> Option<usize> {
    let mut end = (i + 1024).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let window = &text[i..end];
    match crate::collect::find::template::split(window, tags).first() {
        Some(crate::collect::find::template::Piece::Value(r)) if r.start == 0 => Some(i + r.end),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::LinkContext;

    fn uses(text: &str, engine: Engine) -> Vec<(String, LinkUse)> {
        links(text, engine)
            .into_iter()
            .map(|l| {
                let LinkContext::Text { used_as, .. } = l.context else {
                    panic!("text")
                };
                (l.written, used_as)
            })
            .collect()
    }

    #[test]
    fn template_tags_are_values_and_php_swallows_its_newline() {
        let page = "<a href=\"itms-services://?action=download-manifest&amp;url=<?php echo urlencode(\"https://h/m.plist\") ?>\n\">i</a>";
        let found = uses(page, Engine::Php);
        assert_eq!(
            found,
            [(
                "itms-services://?action=download-manifest&url=<?php echo urlencode(\"https://h/m.plist\") ?>"
                    .to_string(),
                LinkUse::Markup
            )]
        );
        let jinja = "<a href=\"itms-services://?action=download-manifest&amp;url={{ plist_url | urlencode }}\">i</a>";
        assert_eq!(uses(jinja, Engine::Jinja).len(), 1);
    }

    #[test]
    fn code_blocks_are_read_as_code() {
        let page = "<?php\nheader('Location: itms-services://?action=download-manifest&amp;url=x');\n";
        let found = uses(page, Engine::Php);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, LinkUse::Url);
    }
}
