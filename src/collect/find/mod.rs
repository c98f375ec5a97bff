//! Finding itms-services links in any text: a ticket, an e-mail, Markdown, a config file,
//! source code in a common language, a template. Each kind of text is read by its own syntax
//! (JSON escapes, XML entities, string literals and their escapes, template tags), so a link
//! is recorded as the program that uses it would see it, with where it goes (`LinkUse`) and the
//! values a template or program puts into it.
//!
//! Every finder is a single pass over its text (linear time); none of them decides what is
//! wrong with a link (that is `check::lnk`'s job).

pub mod code;
pub mod config;
pub mod email;
pub mod entities;
pub mod markdown;
pub mod markup;
pub mod offsets;
pub mod prose;
pub mod template;

use crate::facts::{LinkContext, LinkFacts, Literal};
use crate::finding::Location;
use crate::link::Value;

/// A link as found in a text, before it is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLink {
    /// The link as its consumer gets it: after the syntax's own escapes (a string literal's
    /// `\/`, XML entities, HTML entities where `used_as` is markup). Template values stay as
    /// written in the source (`{{ url }}`, `${plist}`), and are listed in `values`.
    pub written: String,
    /// The source text, when it differs from `written`.
    pub source_text: Option<String>,
    pub context: LinkContext,
    /// Byte offset in the text where the link starts (for its line and column).
    pub offset: usize,
    /// True when a template or the program builds part of the link at run time (string
    /// concatenation, a template value): only the fixed parts are known.
    pub dynamic: bool,
    /// The values a template or the program puts into the link, in order, where they are
    /// written inside it.
    pub values: Vec<Value>,
    /// Where the whole link stands as a literal, when it is one (no values): what `--fix`
    /// may rewrite.
    pub literal: Option<Literal>,
}

impl FoundLink {
    /// The facts of this link, found at `location`.
    pub fn into_facts(self, location: Option<Location>) -> LinkFacts {
        let dynamic = self.dynamic || !self.values.is_empty();
        let mut facts = crate::link::found_link_facts(&self.written, self.context, location, self.values, self.literal);
        facts.dynamic = dynamic;
        facts.source_text = self.source_text;
        facts
    }
}

/// The syntax a text is read with, chosen from its file name and its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Running text: a ticket, a chat message, a note.
    Prose,
    /// Source code in a language: its string literals.
    Source(code::Language),
    /// A local HTML-like template of an engine.
    Template(markup::Engine),
    /// An e-mail: `.eml`, or text that starts with RFC 5322 headers.
    Email,
    /// Markdown: `.md`, `.markdown`, `.mdx`.
    Markdown,
    /// A configuration file: JSON, YAML, XML/plist/`.mobileconfig`, TOML, `.env`, properties, INI.
    Config(config::Format),
}

impl Syntax {
    /// The syntax for a file named `name` (may be empty, for standard input) holding `text`.
    pub fn of(name: &str, text: &str) -> Syntax {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
        if let Some(engine) = markup::Engine::for_extension(&lower, ext) {
            return Syntax::Template(engine);
        }
        if ext == "php" || ext == "phtml" {
            // a PHP file is a page with code blocks, unless it is code from its first byte
            return if text.trim_start().starts_with("<?php") && !text.contains("?>") {
                Syntax::Source(code::Language::Php)
            } else {
                Syntax::Template(markup::Engine::Php)
            };
        }
        if let Some(language) = code::Language::for_extension(ext) {
            return Syntax::Source(language);
        }
        if (ext == "html" || ext == "htm" || ext == "cshtml")
            && let Some(engine) = markup::Engine::sniff_html(text)
        {
            return Syntax::Template(engine);
        }
        if ext.is_empty() || ext == "txt" {
            // standard input: code only where it is clear
            let head = text.trim_start();
            if head.starts_with("<?php") {
                return Syntax::Template(markup::Engine::Php);
            }
        }
        if lower.ends_with(".eml") {
            return Syntax::Email;
        }
        if [".md", ".markdown", ".mdx", ".mdown", ".mkd"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            return Syntax::Markdown;
        }
        if let Some(format) = config::Format::of_name(&lower) {
            return Syntax::Config(format);
        }
        if email::looks_like_email(text) {
            return Syntax::Email;
        }
        if let Some(format) = config::Format::of_content(text) {
            return Syntax::Config(format);
        }
        Syntax::Prose
    }

    /// Whether the text is a local template (read as a page with template values).
    pub fn is_template(self) -> bool {
        matches!(self, Syntax::Template(_))
    }
}

/// Every link in `text` read as `syntax`, in order of their place in the text.
pub fn links_in(syntax: Syntax, text: &str) -> Vec<FoundLink> {
    match syntax {
        Syntax::Prose => prose::links(text),
        Syntax::Source(language) => code::links(text, language.lang()),
        Syntax::Template(engine) => markup::links(text, engine),
        Syntax::Email => email::links(text),
        Syntax::Markdown => markdown::links(text),
        Syntax::Config(format) => config::links(format, text),
    }
}
