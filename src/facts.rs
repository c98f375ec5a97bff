//! The observation model: plain data built by collectors, read by rules and by the JSON report.
//!
//! Nothing here judges. Later stages (HTTP exchanges, TLS, manifest, package) add fields to
//! `Facts` without changing what is already here.

use serde::Serialize;

use crate::finding::Location;

/// Everything observed for one input.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// The itms-services links found in the input, in order (one for a link input).
    pub links: Vec<LinkFacts>,
    /// The page the links were found in, when the input was HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageFacts>,
    /// Steps the run did not take, and why (`--offline`, not supported for this input, …).
    pub skipped: Vec<String>,
}

/// A saved or fetched download page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageFacts {
    pub source: String,
    pub bytes: usize,
    pub links_found: usize,
}

/// Where a link was written, which decides how it was decoded before iOS saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LinkContext {
    /// Pasted or typed as is (an argument, a line of a file, a chat message).
    Raw,
    /// An HTML attribute value: the HTML parser decoded entities (`&amp;` → `&`).
    HtmlAttribute { tag: String, attribute: String },
    /// `<meta http-equiv="refresh" content="0; url=…">`: an attribute, so entities were decoded.
    MetaRefresh,
    /// A JavaScript string literal; `inside_attribute` when the script is an `on…` attribute,
    /// whose entities the HTML parser decoded before the script ran.
    JsString { target: String, inside_attribute: bool },
}

impl LinkContext {
    /// Whether HTML entity decoding happened before the link was used.
    pub fn html_decoded(&self) -> bool {
        match self {
            LinkContext::Raw => false,
            LinkContext::HtmlAttribute { .. } | LinkContext::MetaRefresh => true,
            LinkContext::JsString { inside_attribute, .. } => *inside_attribute,
        }
    }

    /// Whether a browser's URL parser handled the text (it strips tabs and line breaks, and
    /// leading and trailing spaces, before iOS sees the link).
    pub fn browser_parsed(&self) -> bool {
        !matches!(self, LinkContext::Raw)
    }

    pub fn describe(&self) -> String {
        match self {
            LinkContext::Raw => "as written".to_string(),
            LinkContext::HtmlAttribute { tag, attribute } => format!("<{tag} {attribute}>"),
            LinkContext::MetaRefresh => "<meta http-equiv=\"refresh\">".to_string(),
            LinkContext::JsString {
                target,
                inside_attribute: false,
            } if target.is_empty() => "script string".to_string(),
            LinkContext::JsString {
                target,
                inside_attribute: false,
            } => format!("script: {target}"),
            LinkContext::JsString {
                target,
                inside_attribute: true,
            } => format!("event handler: {target}"),
        }
    }
}

/// Something taken off or out of the link text before it could be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wrapping {
    /// Spaces or line breaks before or after the link.
    SurroundingWhitespace,
    /// Quotes around the link.
    Quotes,
    /// `<…>` around the link (mail clients, RFC 3986 appendix C).
    AngleBrackets,
    /// Quoted-printable soft line breaks (`=` at a line end) and `=3D` escapes.
    SoftBreaks,
    /// Line breaks (and the indentation after them) inside the link.
    LineBreaks,
}

impl Wrapping {
    pub fn describe(self) -> &'static str {
        match self {
            Wrapping::SurroundingWhitespace => "whitespace around the link",
            Wrapping::Quotes => "quotes around the link",
            Wrapping::AngleBrackets => "<…> around the link",
            Wrapping::SoftBreaks => "quoted-printable soft line breaks (\"=\" at line ends)",
            Wrapping::LineBreaks => "line breaks inside the link",
        }
    }
}

/// One `name=value` pair of the link's query, split on `&` as iOS does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkParam {
    /// Byte range of the pair in `LinkFacts::text`.
    pub start: usize,
    pub end: usize,
    pub raw_name: String,
    /// `None` when the pair has no `=`.
    pub raw_value: Option<String>,
    /// Percent-decoded once.
    pub name: String,
    /// Percent-decoded once; `+` stays `+`.
    pub value: Option<String>,
}

/// An itms-services link as written, and as iOS parses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkFacts {
    /// The text exactly as found (for HTML: the attribute value after entity decoding).
    pub written: String,
    /// The source text before HTML decoding, when it differs (attribute values in a page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_text: Option<String>,
    pub context: LinkContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What was taken off `written` to get `text`.
    pub wrapping: Vec<Wrapping>,
    /// True when a script builds the rest of the link at run time (string concatenation or a
    /// template): only the fixed part is known.
    pub dynamic: bool,
    /// The text that was parsed.
    pub text: String,
    pub parsed: ParsedLink,
}

/// The parts of the link, split the way iOS splits an `itms-services` URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedLink {
    /// Text before the first `:`, as written; `None` when there is no `:`.
    pub scheme: Option<String>,
    /// How many `/` follow the `:`.
    pub slashes: usize,
    /// Text between the slashes and the `?` (should be empty).
    pub authority_and_path: String,
    /// The raw query (between `?` and `#`).
    pub query: Option<String>,
    /// Byte offset of the query in `text`.
    pub query_start: usize,
    /// The raw fragment (after the first `#`); iOS never sends it anywhere.
    pub fragment: Option<String>,
    /// Byte offset of the `#` in `text`.
    pub fragment_start: Option<usize>,
    pub params: Vec<LinkParam>,
    /// The first `action` parameter, decoded.
    pub action: Option<String>,
    /// The first `url` parameter, decoded once: the manifest URL the phone will fetch.
    pub manifest_url: Option<String>,
}

impl ParsedLink {
    pub fn param(&self, name: &str) -> Option<&LinkParam> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}
