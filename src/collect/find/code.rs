//! Links in source code: the string literals of a language, read by that language's own rules
//! (quotes, escapes, raw strings, interpolation), joined where the program concatenates them,
//! and judged by where the string goes.
//!
//! One pass over the text: comments are skipped (a link in a comment is documentation, not a
//! link the program uses, so it is not reported), each literal is read once, and each call,
//! assignment or binding the literal is written in decides its use (`LinkUse`):
//! `location.href = '…'`, `window.open('…')`, `res.redirect('…')`, `header('Location: …')`, a
//! QR-code generator, a JSON response, `URL(string: …)`, `Uri.parse(…)` use it as a URL;
//! `innerHTML`, `document.write`, jQuery `.html()`, `dangerouslySetInnerHTML`, PHP `echo`, a
//! JSX string attribute put it into markup. A literal assigned to a name takes the use of the
//! places that name reaches later in the same file (the sinks are collected by name in the same
//! pass, resolved at its end). Otherwise the use is unknown.
//!
//! Concatenation (`'…&url=' + plist`, `"…" . $url`, `"…" + x` across lines) and interpolation
//! (`${x}`, `{x}`, `#{x}`, `\(x)`, `$x`, `%s`) become template values of the link: the value's
//! expression is written as the language would write it in a template (`${plist}` in
//! JavaScript, `{plist}` in Python, `#{plist}` in Ruby), with the encoding call it passes
//! through.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

use crate::collect::find::template::{self, Piece, Tag};
use crate::collect::find::{FoundLink, entities, prose};
use crate::facts::{Escaping, LinkContext, LinkUse, Literal, TextKind};
use crate::link::Value;

/// A language family: which string syntax, comments and sinks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Js,
    Php,
    Python,
    Ruby,
    Java,
    Kotlin,
    Swift,
    ObjC,
    CSharp,
    Go,
    Dart,
}

/// How a kind of literal escapes characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    /// `\n`, `\x26`, `\u0026`, `\/`, `\\`, …
    Backslash,
    /// Nothing is an escape (Go backticks, Python `r''`, Dart `r''`, Kotlin `"""`).
    Raw,
    /// `""` is a quote (C# `@"…"`); nothing else.
    Doubled,
    /// Only `\\` and the quote (PHP and Ruby single quotes).
    QuoteOnly,
}

/// One kind of literal: its quotes, escapes and the interpolation it allows.
struct Quote {
    open: &'static str,
    multiline: bool,
    esc: Esc,
    tags: &'static [Tag],
}

/// A prefix that changes a literal (`f`, `r`, `@`, `$`, `#`).
struct Prefix {
    text: &'static str,
    esc: Option<Esc>,
    tags: Option<&'static [Tag]>,
    multiline: bool,
    /// Added to the closing quote (Swift `#"…"#`).
    close_suffix: &'static str,
}

/// A language's literal syntax and comments.
pub struct Lang {
    pub family: Family,
    /// Its name in the facts (`javascript`, `python`, …).
    pub name: &'static str,
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    quotes: &'static [Quote],
    prefixes: &'static [Prefix],
    /// Prefix letters are matched without regard to case (Python).
    prefix_any_case: bool,
    /// Operators that join strings.
    concat: &'static [&'static str],
    /// Adjacent literals are joined (C, Objective-C, Python, Dart).
    adjacent: bool,
    /// How a concatenated expression is written as a template value.
    value_form: (&'static str, &'static str),
    /// JSX elements may appear in expressions.
    pub jsx: bool,
    /// How a corrected link is escaped in an ordinary literal of the language.
    escaping: Escaping,
}

const NO_PREFIX: &[Prefix] = &[];
const PRINTF: &[Tag] = &[Tag::Printf];
const JS_QUOTES: &[Quote] = &[
    Quote {
        open: "`",
        multiline: true,
        esc: Esc::Backslash,
        tags: &[Tag::DollarBrace],
    },
    Quote {
        open: "\"",
        multiline: false,
        esc: Esc::Backslash,
        tags: &[],
    },
    Quote {
        open: "'",
        multiline: false,
        esc: Esc::Backslash,
        tags: &[],
    },
];

macro_rules! lang {
    ($family:ident, $name:expr, $line:expr, $block:expr, $quotes:expr, $prefixes:expr, $any_case:expr, $concat:expr, $adjacent:expr, $form:expr, $jsx:expr, $escaping:ident) => {
        Lang {
            family: Family::$family,
            name: $name,
            line_comments: $line,
            block_comment: $block,
            quotes: $quotes,
            prefixes: $prefixes,
            prefix_any_case: $any_case,
            concat: $concat,
            adjacent: $adjacent,
            value_form: $form,
            jsx: $jsx,
            escaping: Escaping::$escaping,
        }
    };
}

const C_BLOCK: Option<(&str, &str)> = Some(("/*", "*/"));

pub static JAVASCRIPT: Lang = lang!(
    Js,
    "javascript",
    &["//"],
    C_BLOCK,
    JS_QUOTES,
    NO_PREFIX,
    false,
    &["+"],
    false,
    ("${", "}"),
    true,
    Backslash
);
pub static TYPESCRIPT: Lang = lang!(
    Js,
    "typescript",
    &["//"],
    C_BLOCK,
    JS_QUOTES,
    NO_PREFIX,
    false,
    &["+"],
    false,
    ("${", "}"),
    false,
    Backslash
);
pub static TSX: Lang = lang!(
    Js,
    "typescript",
    &["//"],
    C_BLOCK,
    JS_QUOTES,
    NO_PREFIX,
    false,
    &["+"],
    false,
    ("${", "}"),
    true,
    Backslash
);
pub static PHP: Lang = lang!(
    Php,
    "php",
    &["//", "#"],
    C_BLOCK,
    &[
        Quote {
            open: "\"",
            multiline: true,
            esc: Esc::Backslash,
            tags: &[Tag::Brace, Tag::DollarName, Tag::Printf],
        },
        Quote {
            open: "'",
            multiline: true,
            esc: Esc::QuoteOnly,
            tags: PRINTF,
        },
    ],
    NO_PREFIX,
    false,
    &["."],
    false,
    ("{", "}"),
    false,
    BackslashDollar
);
const PY_TRIPLE_AND_SINGLE: &[Quote] = &[
    Quote {
        open: "\"\"\"",
        multiline: true,
        esc: Esc::Backslash,
        tags: PRINTF,
    },
    Quote {
        open: "'''",
        multiline: true,
        esc: Esc::Backslash,
        tags: PRINTF,
    },
    Quote {
        open: "\"",
        multiline: false,
        esc: Esc::Backslash,
        tags: PRINTF,
    },
    Quote {
        open: "'",
        multiline: false,
        esc: Esc::Backslash,
        tags: PRINTF,
    },
];
const fn prefix(text: &'static str, esc: Option<Esc>, tags: Option<&'static [Tag]>) -> Prefix {
    Prefix {
        text,
        esc,
        tags,
        multiline: false,
        close_suffix: "",
    }
}
pub static PYTHON: Lang = lang!(
    Python,
    "python",
    &["#"],
    None,
    PY_TRIPLE_AND_SINGLE,
    &[
        prefix("rf", Some(Esc::Raw), Some(&[Tag::Brace])),
        prefix("fr", Some(Esc::Raw), Some(&[Tag::Brace])),
        prefix("rb", Some(Esc::Raw), Some(&[])),
        prefix("br", Some(Esc::Raw), Some(&[])),
        prefix("f", None, Some(&[Tag::Brace])),
        prefix("r", Some(Esc::Raw), None),
        prefix("b", None, None),
        prefix("u", None, None),
    ],
    true,
    &["+"],
    true,
    ("{", "}"),
    false,
    Backslash
);
pub static RUBY: Lang = lang!(
    Ruby,
    "ruby",
    &["#"],
    Some(("=begin", "=end")),
    &[
        Quote {
            open: "\"",
            multiline: true,
            esc: Esc::Backslash,
            tags: &[Tag::HashBrace, Tag::Printf],
        },
        Quote {
            open: "'",
            multiline: true,
            esc: Esc::QuoteOnly,
            tags: PRINTF,
        },
    ],
    NO_PREFIX,
    false,
    &["+", "<<"],
    false,
    ("#{", "}"),
    false,
    Backslash
);
const CHAR_QUOTE: Quote = Quote {
    open: "'",
    multiline: false,
    esc: Esc::Backslash,
    tags: &[],
};
pub static JAVA: Lang = lang!(
    Java,
    "java",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "\"\"\"",
            multiline: true,
            esc: Esc::Backslash,
            tags: PRINTF,
        },
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: PRINTF,
        },
        CHAR_QUOTE,
    ],
    NO_PREFIX,
    false,
    &["+"],
    false,
    ("${", "}"),
    false,
    Backslash
);
pub static KOTLIN: Lang = lang!(
    Kotlin,
    "kotlin",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "\"\"\"",
            multiline: true,
            esc: Esc::Raw,
            tags: &[Tag::DollarBrace, Tag::DollarName, Tag::Printf],
        },
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: &[Tag::DollarBrace, Tag::DollarName, Tag::Printf],
        },
        CHAR_QUOTE,
    ],
    NO_PREFIX,
    false,
    &["+"],
    false,
    ("${", "}"),
    false,
    BackslashDollar
);
pub static SWIFT: Lang = lang!(
    Swift,
    "swift",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "\"\"\"",
            multiline: true,
            esc: Esc::Backslash,
            tags: &[Tag::BackslashParen, Tag::Printf],
        },
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: &[Tag::BackslashParen, Tag::Printf],
        },
    ],
    &[Prefix {
        text: "#",
        esc: Some(Esc::Raw),
        tags: Some(&[]),
        multiline: false,
        close_suffix: "#",
    }],
    false,
    &["+"],
    false,
    ("\\(", ")"),
    false,
    Backslash
);
pub static OBJC: Lang = lang!(
    ObjC,
    "objective-c",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: PRINTF,
        },
        CHAR_QUOTE,
    ],
    &[prefix("@", None, None)],
    false,
    &[],
    true,
    ("${", "}"),
    false,
    Backslash
);
pub static CSHARP: Lang = lang!(
    CSharp,
    "csharp",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "\"\"\"",
            multiline: true,
            esc: Esc::Raw,
            tags: &[],
        },
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: &[],
        },
        CHAR_QUOTE,
    ],
    &[
        Prefix {
            text: "$@",
            esc: Some(Esc::Doubled),
            tags: Some(&[Tag::Brace]),
            multiline: true,
            close_suffix: "",
        },
        Prefix {
            text: "@$",
            esc: Some(Esc::Doubled),
            tags: Some(&[Tag::Brace]),
            multiline: true,
            close_suffix: "",
        },
        Prefix {
            text: "@",
            esc: Some(Esc::Doubled),
            tags: None,
            multiline: true,
            close_suffix: "",
        },
        prefix("$", None, Some(&[Tag::Brace])),
    ],
    false,
    &["+"],
    false,
    ("{", "}"),
    false,
    Backslash
);
pub static GO: Lang = lang!(
    Go,
    "go",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "`",
            multiline: true,
            esc: Esc::Raw,
            tags: PRINTF,
        },
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: PRINTF,
        },
        CHAR_QUOTE,
    ],
    NO_PREFIX,
    false,
    &["+"],
    false,
    ("${", "}"),
    false,
    Backslash
);
const DART_TAGS: &[Tag] = &[Tag::DollarBrace, Tag::DollarName];
pub static DART: Lang = lang!(
    Dart,
    "dart",
    &["//"],
    C_BLOCK,
    &[
        Quote {
            open: "'''",
            multiline: true,
            esc: Esc::Backslash,
            tags: DART_TAGS,
        },
        Quote {
            open: "\"\"\"",
            multiline: true,
            esc: Esc::Backslash,
            tags: DART_TAGS,
        },
        Quote {
            open: "'",
            multiline: false,
            esc: Esc::Backslash,
            tags: DART_TAGS,
        },
        Quote {
            open: "\"",
            multiline: false,
            esc: Esc::Backslash,
            tags: DART_TAGS,
        },
    ],
    &[prefix("r", Some(Esc::Raw), Some(&[]))],
    false,
    &["+"],
    true,
    ("${", "}"),
    false,
    BackslashDollar
);

/// A source language, as `Syntax` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    JavaScript,
    TypeScript,
    Tsx,
    Php,
    Python,
    Ruby,
    Java,
    Kotlin,
    Swift,
    ObjC,
    CSharp,
    Go,
    Dart,
}

impl Language {
    /// The language of a file name's extension (lower case), if it is source code.
    pub fn for_extension(ext: &str) -> Option<Language> {
        Some(match ext {
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "php" => Language::Php,
            "py" | "pyw" => Language::Python,
            "rb" | "rake" => Language::Ruby,
            "java" => Language::Java,
            "kt" | "kts" => Language::Kotlin,
            "swift" => Language::Swift,
            "m" | "mm" | "h" => Language::ObjC,
            "cs" => Language::CSharp,
            "go" => Language::Go,
            "dart" => Language::Dart,
            _ => return None,
        })
    }

    pub fn lang(self) -> &'static Lang {
        match self {
            Language::JavaScript => &JAVASCRIPT,
            Language::TypeScript => &TYPESCRIPT,
            Language::Tsx => &TSX,
            Language::Php => &PHP,
            Language::Python => &PYTHON,
            Language::Ruby => &RUBY,
            Language::Java => &JAVA,
            Language::Kotlin => &KOTLIN,
            Language::Swift => &SWIFT,
            Language::ObjC => &OBJC,
            Language::CSharp => &CSHARP,
            Language::Go => &GO,
            Language::Dart => &DART,
        }
    }
}

/// Every install link in `text`, source code in `lang`.
pub fn links(text: &str, lang: &'static Lang) -> Vec<FoundLink> {
    links_with(text, lang, &[], TextKind::Source)
}

/// Every install link in `text` (code in `lang`); `extra_tags` are template tags of the file
/// the code stands in (a `<script>` in a Jinja template holds `{{ x }}`), `kind` says what the
/// file is.
pub fn links_with(text: &str, lang: &'static Lang, extra_tags: &'static [Tag], kind: TextKind) -> Vec<FoundLink> {
    let mut scan = Scanner::new(text, lang, extra_tags, kind);
    scan.scan(0, text.len(), Ctx::None, 0);
    scan.finish(0)
}

/// Links in a piece of code that stands at `base` in a larger text (a `<script>` of a page, an
/// attribute's expression, a PHP block), with the use the code is in (`ctx`).
pub fn links_in_part(
    text: &str,
    range: Range<usize>,
    lang: &'static Lang,
    extra_tags: &'static [Tag],
    kind: TextKind,
    use_: Option<(LinkUse, &str)>,
    bound: Option<&Bindings>,
) -> Vec<FoundLink> {
    let Some(part) = text.get(range.clone()) else {
        return Vec::new();
    };
    let mut scan = Scanner::new(part, lang, extra_tags, kind);
    for (name, (u, place)) in bound.map(|b| &b.0).into_iter().flatten() {
        scan.record_use(name, *u, place);
    }
    let ctx = match use_ {
        Some((u, place)) => Ctx::Sink(u, Rc::from(place)),
        None => Ctx::None,
    };
    scan.scan(0, part.len(), ctx, 0);
    scan.finish(range.start)
}

/// What a string written here is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ctx {
    None,
    /// A sink: its use and the phrase naming it ("passed to window.open").
    Sink(LinkUse, Rc<str>),
    /// Assigned to a name (data flow decides).
    Name(Rc<str>),
}

struct Frame {
    close: u8,
    ctx: Ctx,
    /// A `{…}` child expression of a JSX element: text mode resumes after it.
    jsx_child: bool,
    jsx_base: usize,
}

/// A literal as read: where its contents are, and how to read them.
struct Lit {
    content: Range<usize>,
    end: usize,
    esc: Esc,
    tags: Vec<Tag>,
    escaping: Escaping,
}

enum Part {
    Lit(Lit),
    Expr(Range<usize>),
}

/// A link found, before data flow decides its use.
struct Pending {
    /// The link's text as the literals hold it (before any HTML decoding).
    raw: String,
    /// Byte ranges of the template values in `raw`.
    value_ranges: Vec<Range<usize>>,
    values: Vec<Value>,
    offset: usize,
    literal: Option<Literal>,
    use_: Option<(LinkUse, String)>,
    name: Option<Rc<str>>,
    jsx_attribute: bool,
}

/// Names a file binds to link attributes, and how they are used there.
pub struct Bindings(HashMap<Rc<str>, (LinkUse, Rc<str>)>);

/// Names bound to `href` in templates the file holds (an Angular component's inline template,
/// a Vue or JSX binding): `[href]="link"`, `:href="link"`, `href={link}`, `href="{{ link }}"`
/// give the value to the DOM or escape it first, so the name is used as a URL. One regex
/// pass over the text.
pub fn bindings(text: &str) -> Bindings {
    let mut uses = HashMap::new();
    let Some(re) = BINDING.as_ref() else {
        return Bindings(uses);
    };
    for caps in re.captures_iter(text) {
        let Some(attr) = caps.get(1) else { continue };
        let quoted_name = caps.get(4);
        if quoted_name.is_some() && attr.as_str() == "href" {
            continue; // `href="link"` is the text "link"
        }
        let Some(expr) = caps.get(2).or(caps.get(3)).or(quoted_name) else {
            continue;
        };
        let place: Rc<str> = Rc::from(format!("bound to {} in a template", attr.as_str()).as_str());
        for word in expr
            .as_str()
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        {
            if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) || word == "this" {
                continue;
            }
            uses.insert(Rc::from(normalise(word)), (LinkUse::Url, place.clone()));
        }
    }
    Bindings(uses)
}

/// `[href]="x"`, `[attr.href]="x"`, `:href="x"`, `v-bind:href="x"`, `href={x}`,
/// `href="{{ x }}"`: a name bound to a link attribute.
static BINDING: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r#"(\[(?:attr\.)?href\]|(?:v-bind)?:href|\bhref)\s*=\s*(?:"\{\{\s*([A-Za-z0-9_$.]{1,80})\s*\}\}"|\{([A-Za-z0-9_$.]{1,80})\}|"([A-Za-z0-9_$.]{1,80})")"#,
    )
    .ok()
});

/// The most nested brackets followed; deeper ones are read without their use.
const MAX_FRAMES: usize = 256;
/// How far back an assignment's or call's target is read.
const LOOKBACK: usize = 160;
/// The most parts one concatenation is followed over.
const MAX_PARTS: usize = 64;
/// The longest expression read as a concatenated value.
const MAX_EXPR: usize = 400;

struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    lang: &'static Lang,
    extra_tags: &'static [Tag],
    kind: TextKind,
    found: Vec<Pending>,
    /// Where each name reaches a sink: Url wins over Markup.
    uses: HashMap<Rc<str>, (LinkUse, Rc<str>)>,
    /// Names the program adds to (`PREFIX + x`, `` `${PREFIX}${x}` ``).
    extended: HashSet<String>,
    /// How far the arguments of format calls have been read.
    args_scanned_to: usize,
    /// The file makes QR codes with Core Image: the message it sets is used as a URL.
    qr_file: bool,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str, lang: &'static Lang, extra_tags: &'static [Tag], kind: TextKind) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            lang,
            extra_tags,
            kind,
            found: Vec::new(),
            uses: bindings(text).0,
            extended: HashSet::new(),
            args_scanned_to: 0,
            qr_file: matches!(lang.family, Family::Swift | Family::ObjC) && text.contains("CIQRCodeGenerator"),
        }
    }

    /// Reads `start..end`, every literal and every sink, with `base` the use of the whole range.
    fn scan(&mut self, start: usize, end: usize, base: Ctx, _depth: usize) {
        let b = self.bytes;
        let mut frames: Vec<Frame> = Vec::new();
        let mut deep = 0usize;
        let mut stmt_ctx = base.clone();
        let mut stmt_depth = 0usize;
        let mut prev_sig: u8 = b';';
        let mut prev_word_return = false;
        let mut jsx_tag: Option<usize> = None;
        let mut jsx_text = false;
        let mut jsx_depth = 0usize;
        let mut i = start;
        while i < end {
            let c = b[i];
            if jsx_text {
                // JSX children: text up to a tag or an expression
                match c {
                    b'<' => {
                        if b.get(i + 1) == Some(&b'/') {
                            i = find_byte(b, i, end, b'>').map_or(end, |k| k + 1);
                            jsx_depth = jsx_depth.saturating_sub(1);
                            let base_depth = frames.last().map_or(0, |f| f.jsx_base);
                            jsx_text = jsx_depth > base_depth;
                            prev_sig = b'>';
                            continue;
                        }
                        jsx_text = false;
                        jsx_tag = Some(frames.len());
                        i += 1;
                        continue;
                    }
                    b'{' => {
                        jsx_text = false;
                        if frames.len() < MAX_FRAMES {
                            frames.push(Frame {
                                close: b'}',
                                ctx: Ctx::None,
                                jsx_child: true,
                                jsx_base: jsx_depth,
                            });
                        } else {
                            deep += 1;
                        }
                        prev_sig = b'{';
                        i += 1;
                        continue;
                    }
                    _ => {
                        i += 1;
                        continue;
                    }
                }
            }
            if let Some(skip) = self.comment_end(i, end) {
                i = skip;
                continue;
            }
            if let Some(lit) = self.literal_at(i, end) {
                // a Python docstring (a triple-quoted string standing alone as a statement) is
                // documentation, like a comment
                if self.lang.family == Family::Python
                    && matches!(prev_sig, b';' | b':')
                    && current(&frames, &stmt_ctx, stmt_depth, deep) == Ctx::None
                    && (b[i..end].starts_with(b"\"\"\"") || b[i..end].starts_with(b"'''"))
                {
                    i = lit.end.max(i + 1);
                    prev_sig = b'"';
                    continue;
                }
                let in_jsx_tag = jsx_tag == Some(frames.len()) && prev_sig == b'=';
                let ctx = if in_jsx_tag {
                    let attr = word_before(b, i.saturating_sub(1), start);
                    Ctx::Sink(
                        LinkUse::Markup,
                        Rc::from(format!("JSX string attribute {attr}").as_str()),
                    )
                } else {
                    current(&frames, &stmt_ctx, stmt_depth, deep)
                };
                let next = if in_jsx_tag {
                    let lit_end = lit.end;
                    self.jsx_attribute(lit, ctx);
                    lit_end
                } else {
                    let in_brackets = frames.last().is_some_and(|f| f.close != b'}');
                    self.chain(lit, i, start, end, ctx, in_brackets)
                };
                i = next.max(i + 1);
                prev_sig = b'"';
                prev_word_return = false;
                continue;
            }
            match c {
                b'(' | b'[' | b'{' => {
                    let ctx = if jsx_tag == Some(frames.len()) && c == b'{' && prev_sig == b'=' {
                        let attr = word_before(b, i.saturating_sub(1), start);
                        if attr.eq_ignore_ascii_case("dangerouslySetInnerHTML") {
                            Ctx::Sink(LinkUse::Markup, Rc::from("inserted as HTML by dangerouslySetInnerHTML"))
                        } else {
                            Ctx::Sink(
                                LinkUse::Url,
                                Rc::from(format!("bound to {attr} as a JSX expression").as_str()),
                            )
                        }
                    } else if c == b'(' {
                        let callee = chain_before(b, i, start);
                        if callee.is_empty() || is_keyword(callee) {
                            current(&frames, &stmt_ctx, stmt_depth, deep)
                        } else {
                            let qr_message = self.qr_file
                                && ["setValue", "Data", "data", "dataUsingEncoding"]
                                    .iter()
                                    .any(|n| ends_with_name(callee, n));
                            match call_sink(self.lang.family, callee) {
                                None if qr_message => {
                                    Ctx::Sink(LinkUse::Url, Rc::from("put into a QR code (CIQRCodeGenerator)"))
                                }
                                Some(ctx) => ctx,
                                None if is_transparent(callee) => current(&frames, &stmt_ctx, stmt_depth, deep),
                                None => Ctx::None,
                            }
                        }
                    } else {
                        current(&frames, &stmt_ctx, stmt_depth, deep)
                    };
                    if frames.len() < MAX_FRAMES && deep == 0 {
                        frames.push(Frame {
                            close: match c {
                                b'(' => b')',
                                b'[' => b']',
                                _ => b'}',
                            },
                            ctx,
                            jsx_child: false,
                            jsx_base: jsx_depth,
                        });
                    } else {
                        deep += 1;
                    }
                    prev_sig = c;
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    if deep > 0 {
                        deep -= 1;
                    } else if let Some(at) = frames.iter().rev().take(8).position(|f| f.close == c) {
                        let keep = frames.len() - at - 1;
                        let popped = frames.split_off(keep);
                        if popped.first().is_some_and(|f| f.jsx_child) {
                            jsx_text = true;
                        }
                        if frames.len() < stmt_depth {
                            stmt_ctx = base.clone();
                            stmt_depth = frames.len();
                        }
                    }
                    prev_sig = c;
                    i += 1;
                }
                b';' => {
                    if frames.len() <= stmt_depth {
                        stmt_ctx = base.clone();
                        stmt_depth = frames.len();
                    }
                    prev_sig = c;
                    i += 1;
                }
                b',' => {
                    if frames.len() == stmt_depth && matches!(stmt_ctx, Ctx::Name(_)) {
                        stmt_ctx = base.clone();
                    }
                    prev_sig = c;
                    i += 1;
                }
                b'\n' => {
                    if frames.len() <= stmt_depth && !self.continues(prev_sig, i, end) {
                        stmt_ctx = base.clone();
                        stmt_depth = frames.len();
                        prev_sig = b';';
                    }
                    i += 1;
                }
                b'=' => {
                    let next = b.get(i + 1).copied();
                    let before = if i > start { b[i - 1] } else { b' ' };
                    let comparison =
                        matches!(next, Some(b'=' | b'>' | b'~')) || matches!(before, b'=' | b'!' | b'<' | b'>');
                    let in_call = frames.last().is_some_and(|f| f.close != b'}') && deep == 0;
                    // `Json(new { url = "…" })`: a member set inside a sink's argument keeps its use
                    let in_sink =
                        frames.len() > stmt_depth && matches!(frames.last().map(|f| &f.ctx), Some(Ctx::Sink(..)));
                    if !comparison && !in_call && !in_sink {
                        let lhs_end = if matches!(before, b'+' | b'.' | b':' | b'-' | b'*' | b'|' | b'&') {
                            i - 1
                        } else {
                            i
                        };
                        let (chain, name) = lhs(b, lhs_end, start);
                        if jsx_tag == Some(frames.len()) {
                            // an attribute of a JSX tag: its value decides
                        } else if let Some(ctx) = assign_sink(chain) {
                            stmt_ctx = ctx;
                            stmt_depth = frames.len();
                        } else if !name.is_empty() {
                            if before == b'+' || before == b'.' {
                                self.extended.insert(normalise(name).to_string());
                            }
                            stmt_ctx = Ctx::Name(Rc::from(normalise(name)));
                            stmt_depth = frames.len();
                        }
                    }
                    prev_sig = c;
                    i += 1;
                }
                b':' if b.get(i + 1) != Some(&b':')
                    && (i == start || b[i - 1] != b':')
                    && b.get(i + 1) != Some(&b'=') =>
                {
                    let label = if i > start && matches!(b[i - 1], b'"' | b'\'') {
                        word_before(b, i - 1, start)
                    } else {
                        word_before(b, i, start)
                    };
                    let lower = label.to_ascii_lowercase();
                    if matches!(lower.as_str(), "urlwithstring" | "openurl" | "fileurlwithpath") {
                        if let Some(f) = frames.last_mut() {
                            f.ctx = Ctx::Sink(LinkUse::Url, Rc::from(format!("passed to {label}:").as_str()));
                        }
                    } else if self.lang.family == Family::Ruby
                        && (lower == "json" || lower == "html" || lower == "location")
                    {
                        let use_ = if lower == "html" { LinkUse::Markup } else { LinkUse::Url };
                        stmt_ctx = Ctx::Sink(use_, Rc::from(format!("rendered as {lower}:").as_str()));
                        stmt_depth = frames.len();
                    } else if lower == "__html" {
                        stmt_ctx = Ctx::Sink(LinkUse::Markup, Rc::from("inserted as HTML by __html"));
                        stmt_depth = frames.len();
                    } else if frames.last().is_some_and(|f| f.close == b'}' && f.ctx == Ctx::None) && !label.is_empty()
                    {
                        stmt_ctx = Ctx::Name(Rc::from(label));
                        stmt_depth = frames.len();
                    }
                    prev_sig = c;
                    i += 1;
                }
                b'<' if self.lang.jsx
                    && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic() || *n == b'>')
                    && (matches!(
                        prev_sig,
                        b'(' | b'=' | b',' | b'?' | b':' | b'{' | b'[' | b'!' | b'&' | b'|' | b';' | b'>'
                    ) || prev_word_return) =>
                {
                    jsx_tag = Some(frames.len());
                    if b.get(i + 1) == Some(&b'>') {
                        // a fragment
                        jsx_tag = None;
                        jsx_depth += 1;
                        jsx_text = true;
                        i += 2;
                        continue;
                    }
                    prev_sig = c;
                    i += 1;
                }
                b'>' if jsx_tag == Some(frames.len()) => {
                    jsx_tag = None;
                    if i > start && b[i - 1] != b'/' {
                        jsx_depth += 1;
                        jsx_text = true;
                    }
                    prev_sig = c;
                    i += 1;
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c == b'@' => {
                    let word_end = ident_end(b, i, end);
                    let word = &self.text[i..word_end];
                    let ctx = current(&frames, &stmt_ctx, stmt_depth, deep);
                    let name = normalise(word);
                    if let Ctx::Sink(use_, place) = &ctx {
                        self.record_use(name, *use_, place);
                    }
                    let after = skip_spaces(b, word_end, end);
                    if self.starts_concat(after, end) {
                        self.extended.insert(name.to_string());
                    }
                    // a command without parentheses: `echo '…'`, `redirect_to '…'`, `puts '…'`
                    if matches!(self.lang.family, Family::Php | Family::Ruby | Family::Python)
                        && after > word_end
                        && after < end
                        && !matches!(
                            b[after],
                            b'(' | b'=' | b'.' | b'+' | b'-' | b'*' | b'/' | b'<' | b'>' | b'?' | b':'
                        )
                        && let Some(sink) = command_sink(self.lang.family, word)
                    {
                        stmt_ctx = sink;
                        stmt_depth = frames.len();
                    }
                    prev_word_return = word == "return" || word == "yield";
                    prev_sig = b[word_end - 1];
                    i = word_end;
                }
                c if c.is_ascii_whitespace() => i += 1,
                _ => {
                    prev_sig = c;
                    prev_word_return = false;
                    i += 1;
                }
            }
        }
    }

    fn record_use(&mut self, name: &str, use_: LinkUse, place: &Rc<str>) {
        if name.is_empty() {
            return;
        }
        match self.uses.get(name) {
            Some((LinkUse::Url, _)) => {}
            Some(_) if use_ != LinkUse::Url => {}
            _ => {
                self.uses.insert(Rc::from(name), (use_, place.clone()));
            }
        }
    }

    /// Where a comment starting at `i` ends, if one starts there.
    fn comment_end(&self, i: usize, end: usize) -> Option<usize> {
        let rest = &self.bytes[i..end];
        for open in self.lang.line_comments {
            if rest.starts_with(open.as_bytes()) {
                // `#{` is interpolation, `#!` a shebang is a comment too; `//` inside a URL
                // outside a string does not occur in code
                if *open == "#" && self.lang.family == Family::Php && rest.starts_with(b"#[") {
                    return None;
                }
                return Some(find_byte(self.bytes, i, end, b'\n').unwrap_or(end));
            }
        }
        if let Some((open, close)) = self.lang.block_comment
            && rest.starts_with(open.as_bytes())
        {
            if open == "=begin" && i > 0 && self.bytes[i - 1] != b'\n' {
                return None;
            }
            let from = i + open.len();
            return Some(
                self.text
                    .get(from..end)
                    .and_then(|r| r.find(close))
                    .map_or(end, |k| from + k + close.len()),
            );
        }
        None
    }

    /// The literal starting at `i` (its prefix included), if one does.
    fn literal_at(&self, i: usize, end: usize) -> Option<Lit> {
        let b = self.bytes;
        let c = b[i];
        if !(c == b'"' || c == b'\'' || c == b'`' || c == b'@' || c == b'$' || c == b'#' || c.is_ascii_alphabetic()) {
            return None;
        }
        // a prefix must not continue a word
        if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') && !(c == b'"' || c == b'\'' || c == b'`') {
            return None;
        }
        let rest = &self.text[i..end];
        let mut prefix: Option<&Prefix> = None;
        let mut after_prefix = i;
        for p in self.lang.prefixes {
            let matches = if self.lang.prefix_any_case {
                rest.get(..p.text.len()).is_some_and(|s| s.eq_ignore_ascii_case(p.text))
            } else {
                rest.starts_with(p.text)
            };
            if matches
                && self
                    .lang
                    .quotes
                    .iter()
                    .any(|q| rest[p.text.len()..].starts_with(q.open))
            {
                prefix = Some(p);
                after_prefix = i + p.text.len();
                break;
            }
        }
        if prefix.is_none() && !(c == b'"' || c == b'\'' || c == b'`') {
            return None;
        }
        let quote = self
            .lang
            .quotes
            .iter()
            .find(|q| self.text[after_prefix..end].starts_with(q.open))?;
        let esc = prefix.and_then(|p| p.esc).unwrap_or(quote.esc);
        let multiline = quote.multiline || prefix.is_some_and(|p| p.multiline);
        let mut tags: Vec<Tag> = prefix.and_then(|p| p.tags).unwrap_or(quote.tags).to_vec();
        tags.extend_from_slice(self.extra_tags);
        let close = format!("{}{}", quote.open, prefix.map_or("", |p| p.close_suffix));
        let content_start = after_prefix + quote.open.len();
        let interpolates = tags
            .iter()
            .any(|t| matches!(t, Tag::DollarBrace | Tag::HashBrace | Tag::BackslashParen));
        let mut k = content_start;
        let (content_end, lit_end) = loop {
            if k >= end {
                break (end, end);
            }
            let ch = b[k];
            if b[k..end].starts_with(close.as_bytes()) {
                if esc == Esc::Doubled && b[(k + close.len()).min(end)..end].starts_with(close.as_bytes()) {
                    k += 2 * close.len();
                    continue;
                }
                break (k, k + close.len());
            }
            match ch {
                b'\n' if !multiline => break (k, k),
                b'\\' if matches!(esc, Esc::Backslash | Esc::QuoteOnly) => {
                    k += 2;
                    continue;
                }
                b'$' | b'#' | b'\\' if interpolates && matches!(b.get(k + 1), Some(b'{' | b'(')) => {
                    // skip the interpolation's expression, braces and parentheses balanced
                    let mut depth = 0usize;
                    let mut m = k + 1;
                    while m < end && m < k + 2048 {
                        match b[m] {
                            b'{' | b'(' => depth += 1,
                            b'}' | b')' => {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    break;
                                }
                            }
                            b'\n' if !multiline => break,
                            _ => {}
                        }
                        m += 1;
                    }
                    k = m.max(k + 1);
                    continue;
                }
                _ => {}
            }
            k += 1;
        };
        let content_end = content_end.min(end).max(content_start.min(end));
        // Python `'…{}'.format(x)` fills `{}` fields
        if self.lang.family == Family::Python && self.text[lit_end.min(end)..end].starts_with(".format(") {
            tags.push(Tag::Brace);
        }
        Some(Lit {
            content: content_start.min(content_end)..content_end,
            end: lit_end.max(content_end),
            esc,
            tags,
            escaping: match esc {
                Esc::Raw | Esc::Doubled => Escaping::Verbatim,
                _ if quote.open == "'" && self.lang.family == Family::Php => Escaping::Backslash,
                _ => self.lang.escaping,
            },
        })
    }

    /// Whether a concatenation operator starts at `at`.
    fn starts_concat(&self, at: usize, end: usize) -> bool {
        let rest = &self.bytes[at.min(end)..end];
        self.lang.concat.iter().any(|op| {
            rest.starts_with(op.as_bytes())
                && !matches!(rest.get(op.len()), Some(b'+' | b'=' | b'.' | b'<'))
                && !(*op == "." && rest.get(1).is_some_and(|n| n.is_ascii_digit()))
        })
    }

    /// Whether the statement goes on after the line break at `i`.
    fn continues(&self, prev_sig: u8, i: usize, end: usize) -> bool {
        if matches!(
            prev_sig,
            b'+' | b'.' | b',' | b'(' | b'[' | b'{' | b'=' | b'?' | b':' | b'&' | b'|' | b'\\' | b'-' | b'*' | b'<'
        ) {
            return true;
        }
        let b = self.bytes;
        let mut k = i + 1;
        let limit = end.min(i + 256);
        while k < limit && b[k].is_ascii_whitespace() {
            k += 1;
        }
        k < limit && matches!(b[k], b'.' | b'+' | b'?' | b':' | b')' | b']' | b'&' | b'|') && !b[k..].starts_with(b"..")
    }

    /// Reads the concatenation that starts with `first` (at `at`), finds the links in it, and
    /// returns where the scan goes on.
    fn chain(&mut self, first: Lit, at: usize, start: usize, end: usize, ctx: Ctx, in_brackets: bool) -> usize {
        let b = self.bytes;
        let mut parts: Vec<Part> = Vec::new();
        // a value concatenated before the literal: `base + '?action=…'`
        if let Some(lead) = self.leading_operand(at, start) {
            parts.push(Part::Expr(lead));
        }
        let mut next = first.end;
        parts.push(Part::Lit(first));
        while parts.len() < MAX_PARTS {
            let k = self.skip_space_and_comments(next, end);
            if self.lang.adjacent
                && k < end
                && (in_brackets || self.lang.family != Family::Python || !self.bytes[next..k].contains(&b'\n'))
                && let Some(lit) = self.literal_at(k, end)
            {
                next = lit.end;
                parts.push(Part::Lit(lit));
                continue;
            }
            if !self.starts_concat(k, end) {
                break;
            }
            let op = self
                .lang
                .concat
                .iter()
                .find(|op| b[k..end].starts_with(op.as_bytes()))
                .map_or(1, |op| op.len());
            let m = self.skip_space_and_comments(k + op, end);
            if m >= end {
                break;
            }
            if let Some(lit) = self.literal_at(m, end) {
                next = lit.end;
                parts.push(Part::Lit(lit));
                continue;
            }
            let e = expr_end(b, m, end);
            if e == m {
                break;
            }
            parts.push(Part::Expr(m..e));
            next = e;
        }
        // the arguments of a format call fill `%s` and `{}` values; a literal among the
        // arguments of the last one read is not read again (each byte once)
        let formats = parts.iter().any(|p| match p {
            Part::Lit(l) => {
                let raw = self.text.get(l.content.clone()).unwrap_or_default();
                raw.contains('%') || raw.contains("{}") || raw.contains("{0}")
            }
            Part::Expr(_) => false,
        });
        let args = if formats && at >= self.args_scanned_to {
            self.format_args(next, end)
        } else {
            Vec::new()
        };
        self.links_of(&parts, ctx, args);
        next
    }

    /// The operand before `+` ending before the literal at `at`, if any.
    fn leading_operand(&self, at: usize, start: usize) -> Option<Range<usize>> {
        let b = self.bytes;
        let mut k = at;
        while k > start && matches!(b[k - 1], b' ' | b'\t' | b'\n' | b'\r') {
            k -= 1;
        }
        let op = self
            .lang
            .concat
            .iter()
            .find(|op| k >= start + op.len() && b[k - op.len()..k] == *op.as_bytes())?;
        k -= op.len();
        if k > start && matches!(b[k - 1], b'+' | b'.' | b'<' | b'=') {
            return None;
        }
        while k > start && matches!(b[k - 1], b' ' | b'\t' | b'\n' | b'\r') {
            k -= 1;
        }
        let e = k;
        let mut depth = 0usize;
        let floor = e.saturating_sub(LOOKBACK).max(start);
        while k > floor {
            let c = b[k - 1];
            match c {
                b')' | b']' => depth += 1,
                b'(' | b'[' if depth > 0 => depth -= 1,
                b'(' | b'[' => break,
                _ if depth > 0 => {}
                c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.' | b'@') => {}
                b'>' if k >= 2 && b[k - 2] == b'-' => k -= 1,
                _ => break,
            }
            k -= 1;
        }
        if k == e || depth > 0 || b[k..e].first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let word = self.text.get(k..e)?;
        if is_keyword(word) || word.ends_with('.') {
            return None;
        }
        Some(k..e)
    }

    fn skip_space_and_comments(&self, mut k: usize, end: usize) -> usize {
        loop {
            while k < end && self.bytes[k].is_ascii_whitespace() {
                k += 1;
            }
            match self.comment_end(k.min(end), end) {
                Some(e) if k < end && e > k => k = e,
                _ => return k.min(end),
            }
        }
    }

    /// The arguments after a format string (`, a, b)`, `% (a, b)`, `% a`, `.format(a, b)`),
    /// each as its encoding call.
    fn format_args(&mut self, at: usize, end: usize) -> Vec<Option<String>> {
        let b = self.bytes;
        let k = skip_spaces(b, at, end);
        let open = if b.get(k) == Some(&b',') {
            k + 1
        } else if self.lang.family == Family::Python && b.get(k) == Some(&b'%') {
            let m = skip_spaces(b, k + 1, end);
            if b.get(m) == Some(&b'(') { m + 1 } else { m }
        } else if self.text[k.min(end)..end].starts_with(".format(") {
            k + ".format(".len()
        } else {
            return Vec::new();
        };
        let limit = end.min(open + 1024);
        let mut args = Vec::new();
        let mut depth = 0usize;
        let mut from = open;
        let mut m = open;
        while m < limit {
            match b[m] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth == 0 => break,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    args.push(template::encoding_call(&self.text[from..m]));
                    from = m + 1;
                }
                b';' | b'\n' if depth == 0 => break,
                _ => {}
            }
            m += 1;
        }
        if m > from && self.text.is_char_boundary(from) && self.text.is_char_boundary(m) {
            args.push(template::encoding_call(&self.text[from..m]));
        }
        self.args_scanned_to = m;
        args
    }

    /// Joins the parts of a concatenation and records the links in it.
    fn links_of(&mut self, parts: &[Part], ctx: Ctx, args: Vec<Option<String>>) {
        let mut joined = String::new();
        // (offset in `joined`, offset in the text): a run after each point maps one to one
        let mut map: Vec<(usize, usize)> = Vec::new();
        let mut values: Vec<(Range<usize>, Value)> = Vec::new();
        // the stretch of `joined` each literal gave, and how the literal escapes text
        let mut literals: Vec<(Range<usize>, Escaping)> = Vec::new();
        let mut format_arg = 0usize;
        for part in parts {
            match part {
                Part::Expr(range) => {
                    let Some(expr) = self.text.get(range.clone()) else {
                        continue;
                    };
                    let at = joined.len();
                    map.push((at, range.start));
                    joined.push_str(self.lang.value_form.0);
                    joined.push_str(expr);
                    joined.push_str(self.lang.value_form.1);
                    values.push((at..joined.len(), template::value(&joined[at..])));
                    if let Some(v) = values.last_mut() {
                        v.1.encoded_by = template::encoding_call(expr);
                    }
                    if let Some(name) = simple_name(expr) {
                        self.extended.insert(normalise(name).to_string());
                        if let Ctx::Sink(use_, place) = &ctx {
                            self.record_use(normalise(name), *use_, place);
                        }
                    }
                }
                Part::Lit(lit) => {
                    let Some(raw) = self.text.get(lit.content.clone()) else {
                        continue;
                    };
                    let lit_start = joined.len();
                    for piece in template::split(raw, &lit.tags) {
                        match piece {
                            Piece::Value(r) if !escaped_at(raw, r.start, lit.esc) => {
                                let at = joined.len();
                                map.push((at, lit.content.start + r.start));
                                let expr = &raw[r.clone()];
                                joined.push_str(expr);
                                let mut value = template::value(expr);
                                if expr.starts_with('%') || expr == "{}" || is_positional(expr) {
                                    if value.encoded_by.is_none() {
                                        value.encoded_by = args.get(format_arg).cloned().flatten();
                                    }
                                    format_arg += 1;
                                }
                                values.push((at..joined.len(), value));
                                if let Some(name) = simple_name(
                                    expr.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '.'),
                                ) {
                                    self.extended.insert(normalise(name).to_string());
                                }
                            }
                            Piece::Value(r) | Piece::Static(r) => {
                                decode(raw, r.clone(), lit.content.start, lit.esc, &mut joined, &mut map);
                            }
                        }
                    }
                    literals.push((lit_start..joined.len(), lit.escaping));
                }
            }
        }
        if !joined.contains(':') && !joined.to_ascii_lowercase().contains("manifest") {
            return;
        }
        let masked = mask(&joined, &values);
        let mut spans = prose::spans(&masked);
        if spans.is_empty() {
            let trimmed = masked.trim();
            let s = masked.len() - masked.trim_start().len();
            // a link has a scheme: a literal `download-manifest` is the action's value
            if !trimmed.is_empty()
                && !trimmed.contains(char::is_whitespace)
                && trimmed.contains(':')
                && joined
                    .get(s..s + trimmed.len())
                    .is_some_and(|t| crate::link::looks_like_link(t, true))
            {
                spans.push((s, s + trimmed.len()));
            }
        }
        for (s, e) in spans {
            // a link that starts just after a value starts with it (`${base}?action=…`)
            let s = values.iter().find(|(r, _)| r.end == s).map_or(s, |(r, _)| r.start);
            let inside: Vec<&(Range<usize>, Value)> =
                values.iter().filter(|(r, _)| r.start >= s && r.end <= e).collect();
            let (Some(raw), Some(before)) = (joined.get(s..e), joined.get(..s)) else {
                continue;
            };
            // `url.startsWith('itms-services://')`: a scheme alone, with nothing put after it,
            // is a prefix the code compares with, not a link
            if inside.is_empty() && crate::link::is_bare_scheme(raw) {
                continue;
            }
            let raw = raw.to_string();
            let value_ranges: Vec<Range<usize>> = inside.iter().map(|(r, _)| r.start - s..r.end - s).collect();
            let link_values: Vec<Value> = inside.iter().map(|(_, v)| v.clone()).collect();
            let before = before.to_ascii_lowercase();
            let before = before.trim_end_matches(['"', '\'']).trim_end();
            let in_markup =
                before.ends_with("href=") || before.ends_with("content=\"0; url=") || before.ends_with("src=");
            let (use_, name) = if in_markup {
                (Some((LinkUse::Markup, "in an HTML attribute".to_string())), None)
            } else {
                match &ctx {
                    Ctx::Sink(u, place) => (Some((*u, place.to_string())), None),
                    Ctx::Name(n) => (None, Some(n.clone())),
                    Ctx::None => (None, None),
                }
            };
            let offset = to_source(&map, s);
            let literal = literals
                .iter()
                .find(|(r, _)| r.start <= s && e <= r.end)
                // no escape inside the link: its bytes in the file are its text
                .filter(|_| link_values.is_empty() && to_source(&map, e).checked_sub(offset) == Some(e - s))
                .map(|(_, escaping)| Literal {
                    start: offset,
                    end: to_source(&map, e),
                    escaping: *escaping,
                });
            self.found.push(Pending {
                raw,
                value_ranges,
                values: link_values,
                offset,
                literal,
                use_,
                name,
                jsx_attribute: false,
            });
        }
    }

    /// A JSX string attribute: no escapes, entities decoded (Markup).
    fn jsx_attribute(&mut self, lit: Lit, ctx: Ctx) {
        let raw = self.text.get(lit.content.clone()).unwrap_or_default();
        if !crate::link::looks_like_link(raw, true) {
            return;
        }
        let place = match &ctx {
            Ctx::Sink(_, p) => p.to_string(),
            _ => "JSX string attribute".to_string(),
        };
        self.found.push(Pending {
            raw: raw.to_string(),
            value_ranges: Vec::new(),
            values: Vec::new(),
            offset: lit.content.start,
            literal: Some(Literal {
                start: lit.content.start,
                end: lit.content.end,
                escaping: Escaping::Markup,
            }),
            use_: Some((LinkUse::Markup, place)),
            name: None,
            jsx_attribute: true,
        });
    }

    /// The links found, their uses resolved by name, offsets moved by `base`.
    fn finish(self, base: usize) -> Vec<FoundLink> {
        let Scanner {
            found,
            uses,
            extended,
            lang,
            kind,
            ..
        } = self;
        found
            .into_iter()
            .map(|p| {
                let (used_as, place) = match (&p.use_, &p.name) {
                    (Some((u, place)), _) if p.jsx_attribute => (*u, place.clone()),
                    (Some((u, place)), _) => (*u, format!("string {place}")),
                    (None, Some(name)) => match uses.get(name) {
                        Some((u, place)) => (*u, format!("string assigned to {name}, {place}")),
                        None => (LinkUse::Unknown, format!("string assigned to {name}")),
                    },
                    (None, None) => (LinkUse::Unknown, "string literal".to_string()),
                };
                let extended_later = p.name.as_ref().is_some_and(|n| extended.contains(&**n));
                let written = if used_as == LinkUse::Url {
                    p.raw.clone()
                } else {
                    decode_static(&p.raw, &p.value_ranges)
                };
                FoundLink {
                    source_text: (written != p.raw).then(|| p.raw.clone()),
                    written,
                    context: LinkContext::Text {
                        text_kind: kind,
                        language: lang.name.to_string(),
                        place,
                        used_as,
                    },
                    offset: base + p.offset,
                    dynamic: !p.values.is_empty() || extended_later,
                    values: p.values,
                    literal: p.literal.map(|l| Literal {
                        start: base + l.start,
                        end: base + l.end,
                        escaping: l.escaping,
                    }),
                }
            })
            .collect()
    }
}

/// The use in force here: the statement's, at its depth, else the innermost bracket's.
fn current(frames: &[Frame], stmt: &Ctx, stmt_depth: usize, deep: usize) -> Ctx {
    if deep > 0 {
        return Ctx::None;
    }
    if stmt_depth == frames.len() && *stmt != Ctx::None {
        return stmt.clone();
    }
    frames.last().map_or_else(|| stmt.clone(), |f| f.ctx.clone())
}

/// Decodes `raw[range]` (a literal's static text) into `out`, recording offsets; true when no
/// escape was decoded (the text maps one to one).
fn decode(
    raw: &str,
    range: Range<usize>,
    src_base: usize,
    esc: Esc,
    out: &mut String,
    map: &mut Vec<(usize, usize)>,
) -> bool {
    let text = &raw[range.clone()];
    map.push((out.len(), src_base + range.start));
    let quote_only = esc == Esc::QuoteOnly;
    match esc {
        Esc::Raw => {
            out.push_str(text);
            return true;
        }
        Esc::Doubled => {
            if !text.contains("\"\"") {
                out.push_str(text);
                return true;
            }
            let mut at = 0;
            while let Some(k) = text[at..].find("\"\"") {
                let k = at + k;
                out.push_str(&text[at..=k]);
                at = k + 2;
                map.push((out.len(), src_base + range.start + at));
            }
            out.push_str(&text[at..]);
            return false;
        }
        _ => {}
    }
    if !text.contains('\\') {
        out.push_str(text);
        return true;
    }
    let mut chars = text.char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            out.push('\\');
            break;
        };
        if quote_only {
            if e == '\\' || e == '\'' {
                out.push(e);
            } else {
                out.push('\\');
                out.push(e);
            }
        } else {
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'v' => out.push('\u{b}'),
                '0' => out.push('\0'),
                '\n' => {}
                'x' => {
                    let hex: String = (0..2)
                        .filter_map(|_| chars.next_if(|(_, c)| c.is_ascii_hexdigit()).map(|(_, c)| c))
                        .collect();
                    push_code(out, &hex);
                }
                'u' | 'U' => {
                    let hex: String = if chars.peek().map(|(_, c)| *c) == Some('{') {
                        chars.next();
                        let h: String = (0..8)
                            .filter_map(|_| chars.next_if(|(_, c)| c.is_ascii_hexdigit()).map(|(_, c)| c))
                            .collect();
                        chars.next_if(|(_, c)| *c == '}');
                        h
                    } else {
                        let n = if e == 'u' { 4 } else { 8 };
                        (0..n)
                            .filter_map(|_| chars.next_if(|(_, c)| c.is_ascii_hexdigit()).map(|(_, c)| c))
                            .collect()
                    };
                    push_code(out, &hex);
                }
                other => out.push(other),
            }
        }
        let next = chars.peek().map_or(text.len(), |(k, _)| *k);
        let _ = k;
        map.push((out.len(), src_base + range.start + next));
    }
    false
}

fn push_code(out: &mut String, hex: &str) {
    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
        Some(c) => out.push(c),
        None => out.push('\u{fffd}'),
    }
}

/// Whether the tag at `at` in a literal is escaped (`\${x}` in JavaScript is text).
fn escaped_at(raw: &str, at: usize, esc: Esc) -> bool {
    if !matches!(esc, Esc::Backslash) || raw.as_bytes().get(at) == Some(&b'\\') {
        return false;
    }
    let slashes = raw.as_bytes()[..at].iter().rev().take_while(|b| **b == b'\\').count();
    slashes % 2 == 1
}

/// A format field `{0}`, `{1}` (C#, Python).
fn is_positional(expr: &str) -> bool {
    expr.strip_prefix('{')
        .and_then(|e| e.strip_suffix('}'))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The offset in the text of `j`, an offset in the joined string.
fn to_source(map: &[(usize, usize)], j: usize) -> usize {
    let at = map.partition_point(|(p, _)| *p <= j);
    match at.checked_sub(1).and_then(|k| map.get(k)) {
        Some((p, s)) => s + (j - p),
        None => j,
    }
}

/// `joined` with each value replaced by as many `x` (offsets kept), so the prose finder reads
/// a value as part of the URL.
fn mask(joined: &str, values: &[(Range<usize>, Value)]) -> String {
    if values.is_empty() {
        return joined.to_string();
    }
    let mut bytes = joined.as_bytes().to_vec();
    for (r, _) in values {
        for b in bytes.get_mut(r.clone()).into_iter().flatten() {
            *b = b'x';
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| joined.to_string())
}

/// `raw` with HTML character references decoded in its static parts (values kept as written).
pub fn decode_static(raw: &str, values: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    for r in values {
        if r.start < at || r.end > raw.len() {
            continue;
        }
        out.push_str(&entities::decode_html(&raw[at..r.start]));
        out.push_str(&raw[r.clone()]);
        at = r.end;
    }
    out.push_str(&entities::decode_html(&raw[at..]));
    out
}

fn find_byte(b: &[u8], from: usize, end: usize, byte: u8) -> Option<usize> {
    b.get(from..end)?.iter().position(|c| *c == byte).map(|k| from + k)
}

fn skip_spaces(b: &[u8], mut k: usize, end: usize) -> usize {
    while k < end && matches!(b[k], b' ' | b'\t') {
        k += 1;
    }
    k
}

fn ident_end(b: &[u8], i: usize, end: usize) -> usize {
    let mut k = i + 1;
    while k < end && (b[k].is_ascii_alphanumeric() || b[k] == b'_' || b[k] == b'$') {
        k += 1;
    }
    k
}

/// The end of a concatenated operand: a name, member accesses and calls, brackets balanced.
fn expr_end(b: &[u8], start: usize, end: usize) -> usize {
    let limit = end.min(start + MAX_EXPR);
    let mut k = start;
    if k < limit && matches!(b[k], b'$' | b'@' | b'!') {
        k += 1;
    }
    if b[k..limit].starts_with(b"new ") {
        k += 4;
    }
    loop {
        let word = k;
        while k < limit && (b[k].is_ascii_alphanumeric() || matches!(b[k], b'_' | b'$')) {
            k += 1;
        }
        if k == word && !(k < limit && b[k] == b'(') {
            return if k == start { start } else { word };
        }
        // calls and indexing
        while k < limit && matches!(b[k], b'(' | b'[') {
            let mut depth = 0usize;
            let mut quote: Option<u8> = None;
            while k < limit {
                let c = b[k];
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) if c == b'\\' => k += 1,
                    Some(_) => {}
                    None => match c {
                        b'"' | b'\'' | b'`' => quote = Some(c),
                        b'(' | b'[' | b'{' => depth += 1,
                        b')' | b']' | b'}' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                k += 1;
                                break;
                            }
                        }
                        _ => {}
                    },
                }
                k += 1;
            }
            if depth > 0 {
                return start;
            }
        }
        // member access
        if b[k.min(limit)..limit].starts_with(b"->")
            || b[k.min(limit)..limit].starts_with(b"?.")
            || b[k.min(limit)..limit].starts_with(b"::")
        {
            k += 2;
        } else if k < limit && b[k] == b'.' && b.get(k + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
            k += 1;
        } else if k < limit && b[k] == b'!' {
            k += 1;
            return k.min(limit);
        } else {
            return k.min(limit);
        }
    }
}

/// The word ending just before `i` (an attribute or label name).
fn word_before(b: &[u8], i: usize, start: usize) -> &str {
    let mut k = i;
    while k > start && (b[k - 1].is_ascii_alphanumeric() || matches!(b[k - 1], b'_' | b'-' | b'$')) && i - k < 64 {
        k -= 1;
    }
    std::str::from_utf8(&b[k..i]).unwrap_or("")
}

/// The chain of names before `(` at `i` (`window.open`, `res.redirect`, `$('#a').html`).
fn chain_before(b: &[u8], i: usize, start: usize) -> &str {
    let floor = i.saturating_sub(80).max(start);
    let mut k = i;
    while k > floor {
        let c = b[k - 1];
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.' | b'@' | b':') {
            k -= 1;
        } else if c == b'>' && k >= 2 && b[k - 2] == b'-' {
            k -= 2;
        } else if c == b')' && k >= 2 && b[k - 2] == b'(' {
            // `new QRCodeWriter().encode(`, `w.Header().Set(`
            k -= 2;
        } else {
            break;
        }
    }
    std::str::from_utf8(&b[k..i])
        .unwrap_or("")
        .trim_start_matches(['.', ':'])
}

/// The target of an assignment ending at `i`: its name chain, and the name it assigns (after
/// a type annotation `link: String`, the name before it).
fn lhs(b: &[u8], i: usize, start: usize) -> (&str, &str) {
    let mut k = i;
    while k > start && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    let chain_end = k;
    let floor = k.saturating_sub(LOOKBACK).max(start);
    while k > floor {
        let c = b[k - 1];
        if c.is_ascii_alphanumeric()
            || matches!(c, b'_' | b'$' | b'.' | b'@' | b'*' | b'?' | b']' | b'[' | b'\'' | b'"')
        {
            k -= 1;
        } else if (c == b'>' && k >= 2 && b[k - 2] == b'-') || (c == b':' && k >= 2 && b[k - 2] == b':') {
            k -= 2;
        } else {
            break;
        }
    }
    let chain = std::str::from_utf8(&b[k..chain_end]).unwrap_or("");
    // `name: Type =`
    let mut m = k;
    while m > start && matches!(b[m - 1], b' ' | b'\t') {
        m -= 1;
    }
    if m > start && b[m - 1] == b':' && (m < start + 2 || b[m - 2] != b':') {
        let name_end = {
            let mut n = m - 1;
            while n > start && matches!(b[n - 1], b' ' | b'\t') {
                n -= 1;
            }
            n
        };
        let mut n = name_end;
        while n > start && (b[n - 1].is_ascii_alphanumeric() || matches!(b[n - 1], b'_' | b'$')) {
            n -= 1;
        }
        let name = std::str::from_utf8(&b[n..name_end]).unwrap_or("");
        if !name.is_empty() {
            return (name, name);
        }
    }
    let chain = chain.trim_start_matches('*');
    (chain, chain)
}

/// A name as data flow compares it: `$this->link`, `self.link`, `@link` → `link`.
fn normalise(name: &str) -> &str {
    let name = name.trim_end_matches(['?', '!', '*']);
    let last = name
        .rsplit(['.', ':', '>'])
        .next()
        .unwrap_or(name)
        .trim_start_matches(['$', '@', '*', '&']);
    // `config['link']` is `link`
    last.rsplit('[')
        .next()
        .unwrap_or(last)
        .trim_matches(['\'', '"', ']', '['])
}

/// The name a plain expression is (`plist`, `this.link`), or none for calls and literals.
fn simple_name(expr: &str) -> Option<&str> {
    let e = expr.trim();
    (!e.is_empty()
        && e.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'$' | b'@'))
        && e.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'@' | b'.' | b'-' | b'>')))
    .then_some(e)
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "for"
            | "while"
            | "switch"
            | "return"
            | "catch"
            | "function"
            | "elif"
            | "else"
            | "in"
            | "of"
            | "typeof"
            | "await"
            | "yield"
            | "and"
            | "or"
            | "not"
            | "when"
            | "case"
            | "new"
            | "do"
            | "echo"
            | "print"
            | "is"
            | "as"
            | "guard"
            | "let"
            | "var"
            | "const"
            | "val"
            | "def"
            | "fun"
            | "func"
            | "func_"
            | "try"
    )
}

/// Whether `suffix` ends `chain` at a name boundary.
fn ends_with_name(chain: &str, suffix: &str) -> bool {
    chain.len() >= suffix.len()
        && chain.is_char_boundary(chain.len() - suffix.len())
        && chain[chain.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        && (chain.len() == suffix.len()
            || suffix.starts_with('.')
            || matches!(
                chain.as_bytes()[chain.len() - suffix.len() - 1],
                b'.' | b':' | b'>' | b'$'
            ))
}

/// Calls that turn a string into a URL, a response or markup: (name suffix, use, family or all).
const CALL_SINKS: &[(&str, LinkUse, Option<Family>)] = &[
    ("window.open", LinkUse::Url, None),
    ("location.assign", LinkUse::Url, None),
    ("location.replace", LinkUse::Url, None),
    ("setAttribute", LinkUse::Url, None),
    ("redirect", LinkUse::Url, None),
    ("redirect_to", LinkUse::Url, None),
    ("sendRedirect", LinkUse::Url, None),
    ("RedirectResponse", LinkUse::Url, None),
    ("HttpResponseRedirect", LinkUse::Url, None),
    ("RedirectPermanent", LinkUse::Url, None),
    ("LocalRedirect", LinkUse::Url, None),
    ("Redirect", LinkUse::Url, None),
    ("header", LinkUse::Url, None),
    ("setHeader", LinkUse::Url, None),
    ("set_header", LinkUse::Url, None),
    ("addHeader", LinkUse::Url, None),
    ("location", LinkUse::Url, None),
    ("json", LinkUse::Url, None),
    ("jsonify", LinkUse::Url, None),
    ("JsonResponse", LinkUse::Url, None),
    ("json.dumps", LinkUse::Url, None),
    ("json_encode", LinkUse::Url, None),
    ("JSON.stringify", LinkUse::Url, None),
    ("Json", LinkUse::Url, None),
    ("Ok", LinkUse::Url, None),
    ("URL", LinkUse::Url, None),
    ("NSURL", LinkUse::Url, None),
    ("Uri", LinkUse::Url, None),
    ("Uri.parse", LinkUse::Url, None),
    ("Uri.create", LinkUse::Url, None),
    ("URI.create", LinkUse::Url, None),
    ("URI", LinkUse::Url, None),
    ("URI.parse", LinkUse::Url, None),
    ("url.Parse", LinkUse::Url, None),
    ("URLComponents", LinkUse::Url, None),
    ("URLRequest", LinkUse::Url, None),
    ("launchUrl", LinkUse::Url, None),
    ("launchUrlString", LinkUse::Url, None),
    ("launch", LinkUse::Url, None),
    ("canLaunchUrl", LinkUse::Url, None),
    ("openURL", LinkUse::Url, None),
    ("shared.open", LinkUse::Url, None),
    ("webbrowser.open", LinkUse::Url, None),
    ("Linking.openURL", LinkUse::Url, None),
    ("Intent", LinkUse::Url, None),
    ("link_to", LinkUse::Url, None),
    ("button_to", LinkUse::Url, None),
    ("console.log", LinkUse::Url, None),
    ("print", LinkUse::Url, Some(Family::Python)),
    ("println", LinkUse::Url, None),
    ("puts", LinkUse::Url, None),
    ("NSLog", LinkUse::Url, None),
    ("fmt.Println", LinkUse::Url, None),
    ("fmt.Fprintln", LinkUse::Url, None),
    ("Console.WriteLine", LinkUse::Url, None),
    ("insertAdjacentHTML", LinkUse::Markup, None),
    ("document.write", LinkUse::Markup, None),
    ("document.writeln", LinkUse::Markup, None),
    ("createContextualFragment", LinkUse::Markup, None),
    ("parseFromString", LinkUse::Markup, None),
    (".html", LinkUse::Markup, Some(Family::Js)),
    (".append", LinkUse::Markup, Some(Family::Js)),
    (".prepend", LinkUse::Markup, Some(Family::Js)),
    (".after", LinkUse::Markup, Some(Family::Js)),
    (".before", LinkUse::Markup, Some(Family::Js)),
    (".replaceWith", LinkUse::Markup, Some(Family::Js)),
    ("bypassSecurityTrustHtml", LinkUse::Markup, None),
    ("trustAsHtml", LinkUse::Markup, None),
    ("mark_safe", LinkUse::Markup, None),
    ("Markup", LinkUse::Markup, Some(Family::Python)),
    ("render_template_string", LinkUse::Markup, None),
    ("HtmlString", LinkUse::Markup, None),
    ("Html.Raw", LinkUse::Markup, None),
    ("raw", LinkUse::Markup, Some(Family::Ruby)),
    ("print", LinkUse::Markup, Some(Family::Php)),
    ("echo", LinkUse::Markup, Some(Family::Php)),
    ("printf", LinkUse::Markup, Some(Family::Php)),
];

/// The use of a string passed to `callee`.
fn call_sink(family: Family, callee: &str) -> Option<Ctx> {
    let lower = callee.to_ascii_lowercase();
    if lower.contains("qr") {
        return Some(Ctx::Sink(
            LinkUse::Url,
            Rc::from(format!("passed to {callee} (a QR code)").as_str()),
        ));
    }
    if lower.contains("header") {
        return Some(Ctx::Sink(
            LinkUse::Url,
            Rc::from(format!("passed to {callee} (an HTTP header)").as_str()),
        ));
    }
    CALL_SINKS
        .iter()
        .filter(|(_, _, f)| f.is_none_or(|f| f == family))
        .find(|(name, _, _)| ends_with_name(callee, name))
        .map(|(_, use_, _)| {
            let verb = match use_ {
                LinkUse::Markup => "inserted as HTML by",
                _ => "passed to",
            };
            Ctx::Sink(
                *use_,
                Rc::from(format!("{verb} {}", crate::text::ellipsize(callee, 40)).as_str()),
            )
        })
}

/// A command written without parentheses (`echo '…'`, `redirect_to '…'`, `puts '…'`).
fn command_sink(family: Family, word: &str) -> Option<Ctx> {
    let known = match family {
        Family::Php => matches!(word, "echo" | "print"),
        Family::Ruby => matches!(word, "redirect_to" | "puts" | "link_to" | "button_to" | "raw"),
        Family::Python => word == "print",
        _ => false,
    };
    if !known {
        return None;
    }
    match (family, word) {
        (Family::Php, _) => Some(Ctx::Sink(
            LinkUse::Markup,
            Rc::from(format!("written into the page by {word}").as_str()),
        )),
        (_, "raw") => Some(Ctx::Sink(LinkUse::Markup, Rc::from("inserted as HTML by raw"))),
        _ => call_sink(family, word),
    }
}

/// Calls that pass their string through (formatting, trimming): the use around them decides.
fn is_transparent(callee: &str) -> bool {
    let lower = callee.to_ascii_lowercase();
    [
        "format",
        "sprintf",
        "stringwithformat",
        "string",
        "str",
        "trim",
        "strip",
        "concat",
        "join",
        "tostring",
        "f",
        "template",
    ]
    .iter()
    .any(|t| ends_with_name(&lower, t))
}

/// Assignments whose target is a sink: `location.href = …`, `el.innerHTML = …`.
fn assign_sink(chain: &str) -> Option<Ctx> {
    let url = ["location", "location.href", ".href", "document.URL"];
    let markup = ["innerHTML", "outerHTML", "srcdoc"];
    if url.iter().any(|s| ends_with_name(chain, s)) {
        return Some(Ctx::Sink(
            LinkUse::Url,
            Rc::from(format!("assigned to {}", crate::text::ellipsize(chain, 40)).as_str()),
        ));
    }
    if markup.iter().any(|s| ends_with_name(chain, s)) {
        return Some(Ctx::Sink(
            LinkUse::Markup,
            Rc::from(format!("inserted as HTML by {}", crate::text::ellipsize(chain, 40)).as_str()),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, lang: &'static Lang) -> Vec<(String, LinkUse, String, bool)> {
        links(text, lang)
            .into_iter()
            .map(|l| {
                let LinkContext::Text { used_as, place, .. } = &l.context else {
                    panic!("text context")
                };
                (l.written.clone(), *used_as, place.clone(), l.dynamic)
            })
            .collect()
    }

    const L: &str = "itms-services://?action=download-manifest&url=";

    #[test]
    fn the_action_value_and_a_bare_scheme_are_not_links() {
        // code that builds or recognises links holds their parts, which are not links
        let js = "const params = { action: 'download-manifest', url: plistUrl };\n\
                  if (href.startsWith('itms-services://')) { open(href); }\n\
                  const label = 'download-manifest-154';\n";
        assert!(found(js, &JAVASCRIPT).is_empty(), "{:?}", found(js, &JAVASCRIPT));
        // a scheme with a value put after it is the start of a link
        let built = "location.href = 'itms-services://' + rest;\n";
        assert_eq!(found(built, &JAVASCRIPT).len(), 1);
    }

    #[test]
    fn javascript_sinks_decide_the_use() {
        let js = format!(
            "// {L}commented\nlocation.href = '{L}https%3A%2F%2Fh%2Fm.plist';\nel.innerHTML = '<a href=\"{L}x\">i</a>';\nconst INSTALL_LINK = '{L}' + encodeURIComponent(u);\n"
        );
        let f = found(&js, &JAVASCRIPT);
        assert_eq!(f.len(), 3, "{f:?}");
        assert_eq!(f[0].1, LinkUse::Url);
        assert_eq!(f[0].2, "string assigned to location.href");
        assert_eq!(f[1].1, LinkUse::Markup);
        assert_eq!(f[2].0, format!("{L}${{encodeURIComponent(u)}}"));
        assert!(f[2].3);
        assert_eq!(f[2].1, LinkUse::Unknown);
    }

    #[test]
    fn names_take_the_use_of_their_sink() {
        let js = format!("const link = '{L}&amp;x';\nfunction go() {{ window.open(link); }}\n");
        let f = found(&js, &JAVASCRIPT);
        assert_eq!(f[0].1, LinkUse::Url, "{f:?}");
        assert!(f[0].2.contains("window.open"), "{f:?}");
    }

    #[test]
    fn names_bound_in_an_inline_template_are_used_as_urls() {
        assert!(BINDING.is_some());
        let ts =
            format!("const t = `<a [href]=\"installLink\">i</a>`;\nclass A {{\n  installLink = '{L}&amp;x';\n}}\n");
        let f = found(&ts, &TYPESCRIPT);
        assert_eq!(f[0].1, LinkUse::Url, "{f:?}");
    }

    #[test]
    fn jsx_attributes() {
        let js = format!("return (<div><a href=\"{L}&amp;u\">x</a><a href={{'{L}&amp;u'}}>y</a><p>Don't</p></div>);\n");
        let f = found(&js, &JAVASCRIPT);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].1, LinkUse::Markup);
        assert_eq!(f[1].1, LinkUse::Url);
    }

    #[test]
    fn escapes_and_interpolation_per_language() {
        let f = found(&format!("u := \"{}\\u0026url=x\"\n", &L[..L.len() - 5]), &GO);
        assert_eq!(f[0].0, format!("{L}x"));
        let f = found(&format!("let u = \"{L}\\(plist)\"\n"), &SWIFT);
        assert_eq!(f[0].0, format!("{L}\\(plist)"));
        let f = found(&format!("x = f\"{L}{{quote(u)}}\"\n"), &PYTHON);
        assert_eq!(f[0].0, format!("{L}{{quote(u)}}"));
        let f = found(&format!("$l = '{L}' . urlencode($u);\n"), &PHP);
        assert_eq!(f[0].0, format!("{L}{{urlencode($u)}}"));
        let f = found(&format!("link = \"{L}#{{CGI.escape(u)}}\"\n"), &RUBY);
        assert_eq!(f[0].0, format!("{L}#{{CGI.escape(u)}}"));
        let f = found(&format!("var s = $\"{L}{{Uri.EscapeDataString(u)}}\";\n"), &CSHARP);
        assert_eq!(f[0].0, format!("{L}{{Uri.EscapeDataString(u)}}"));
        let f = found(&format!("NSString *s = @\"{}\\/x\";\n", L), &OBJC);
        assert_eq!(f[0].0, format!("{L}/x"));
    }

    #[test]
    fn an_unclosed_literal_and_deep_brackets_do_not_run_away() {
        let text = format!("{}'{L}", "(".repeat(10_000));
        let started = std::time::Instant::now();
        let _ = links(&text, &JAVASCRIPT);
        assert!(started.elapsed().as_secs() < 5);
    }
}
