//! Hostile text for the text finders: the fixtures of testdata/text mutated (bytes flipped,
//! cut, repeated, spliced, multi-byte characters and format tokens inserted) and read by every
//! syntax — e-mail, Markdown, each configuration format, prose — and by the whole input
//! reader. Any result is fine; a panic is not. Deterministic: the same inputs every run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use otadoctor::collect::find::config::Format;
use otadoctor::collect::find::{Syntax, links_in};

mod support;
use support::Rng;

/// Pieces of the syntaxes read here, and characters that are more than one byte.
const TOKENS: &[&str] = &[
    "=\n",
    "=3D",
    "=E9",
    "=\r\n",
    "=",
    "--b\n",
    "--b--\n",
    "\n\n",
    "Content-Type: multipart/mixed; boundary=b\n",
    "Content-Transfer-Encoding: base64\n",
    "Content-Transfer-Encoding: quoted-printable\n",
    "Content-Type: text/html\n",
    "Content-Type: message/rfc822\n",
    "](",
    "[",
    "]",
    "`",
    "```json\n",
    "```\n",
    "<",
    ">",
    "<a href=\"",
    "\"",
    "'",
    "\\",
    "\\u",
    "\\ud83d",
    "\\/",
    "{",
    "}",
    "[",
    ",",
    ":",
    ": ",
    "- ",
    "|\n",
    ">-\n",
    "#",
    "&amp;",
    "&#",
    "<![CDATA[",
    "]]>",
    "\"\"\"",
    "'''",
    "\\\n",
    "é",
    "€",
    "😀",
    "\u{feff}",
    "\r",
    "itms-services://?action=download-manifest&url=",
    "{{",
    "}}",
    "${",
    "%",
    "%2",
    "---\n",
];

fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
            1 => {
                let end = (at + rng.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(32)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                for _ in 0..rng.below(8) {
                    bytes.splice(at..at, piece.iter().copied());
                }
            }
            3 => bytes.truncate(at),
            _ => {
                if at < bytes.len() {
                    bytes[at] = rng.below(256) as u8;
                }
            }
        }
    }
    // the finders read text: invalid UTF-8 is replaced, as a reader would refuse it
    String::from_utf8_lossy(&bytes).into_owned()
}

fn fixtures() -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text")];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("testdata/text")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.push(text);
            }
        }
    }
    out
}

const SYNTAXES: &[Syntax] = &[
    Syntax::Prose,
    Syntax::Email,
    Syntax::Markdown,
    Syntax::Config(Format::Json),
    Syntax::Config(Format::Yaml),
    Syntax::Config(Format::Xml),
    Syntax::Config(Format::Toml),
    Syntax::Config(Format::Env),
    Syntax::Config(Format::Properties),
    Syntax::Config(Format::Ini),
];

#[test]
fn mutated_text_never_panics_in_any_finder() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 40);
    let mut rng = Rng(0x07ad_0c70_5eed);
    let mut failures = Vec::new();
    for round in 0..40 {
        for (i, fixture) in fixtures.iter().enumerate() {
            let text = mutate(&mut rng, fixture);
            for syntax in SYNTAXES {
                let result = catch_unwind(AssertUnwindSafe(|| {
                    for link in links_in(*syntax, &text) {
                        // what a finder gives must point into the text it read
                        assert!(link.offset <= text.len(), "offset past the end");
                        if let Some(l) = &link.literal {
                            assert!(l.start <= l.end && l.end <= text.len(), "literal out of the text");
                            assert!(
                                text.is_char_boundary(l.start) && text.is_char_boundary(l.end),
                                "literal inside a character"
                            );
                        }
                    }
                    let _ = otadoctor::collect::input::read_bytes("fuzz.txt", text.as_bytes());
                }));
                if result.is_err() {
                    failures.push(format!("round {round}, fixture {i}, {syntax:?}: {text:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} panics, the first:\n{}",
        failures.len(),
        failures[0]
    );
}
