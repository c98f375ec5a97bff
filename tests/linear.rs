//! Linear cost: every parser and check that walks text or a tree from the input costs about its
//! size (or n log n), never its square. Each test runs one hot spot in-process on a hostile input
//! of size n and 4n and fails when the larger costs more than eight times as long: linear work
//! takes about four times, quadratic work sixteen. Times are the best of three, and times under
//! a floor count as the floor, so a fast run on a busy machine does not fail.

use otadoctor::check::Context;
use otadoctor::facts::{LinkContext, ManifestFacts, ParseError, WalkFacts};
use otadoctor::finding::{Resource, Subject};
use time::macros::datetime;

mod support;
use support::linear::assert_linear;

/// A link in a page.
const LINK: &str = "<a href=\"itms-services://?action=download-manifest&amp;url=https://h.example.net/m.plist\">x</a>";

fn manifest_with_metadata(entries: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n<key>items</key>\n<array>\n<dict>\n<key>metadata</key>\n<dict>\n{entries}</dict>\n</dict>\n</array>\n</dict>\n</plist>\n"
    )
    .into_bytes()
}

#[test]
fn the_key_lines_of_a_manifest_cost_its_size() {
    // collect::manifest::key_lines asked roxmltree for each key's line from the start of the text
    assert_linear("distinct keys", 3_000, |n| {
        let entries: String = (0..n)
            .map(|i| format!("<key>key{i}</key>\n<string>{}</string>\n", "v".repeat(60)))
            .collect();
        let facts = otadoctor::collect::manifest::read("m.plist", &manifest_with_metadata(&entries));
        assert!(facts.document.is_some());
    });
}

#[test]
fn duplicate_keys_cost_their_size() {
    assert_linear("duplicate keys", 3_000, |n| {
        let entries = format!("<key>k</key>\n<string>{}</string>\n", "v".repeat(60)).repeat(n);
        let facts = otadoctor::collect::manifest::read("m.plist", &manifest_with_metadata(&entries));
        assert!(facts.document.is_some());
    });
}

#[test]
fn the_links_of_a_page_cost_its_size() {
    // each link's line and column was counted from the start of the page
    assert_linear("links on lines of their own", 1_500, |n| {
        let page = format!("<html><body>\n{}</body></html>", format!("{LINK}\n").repeat(n));
        let input = otadoctor::collect::input::page_input("p.html", "p.html", &page);
        assert_eq!(input.facts.links.len(), n);
    });
}

#[test]
fn the_links_of_a_page_on_one_line_cost_its_size() {
    // the columns too: a minified page is one line
    assert_linear("links on one line", 3_000, |n| {
        let page = format!("<html><body>{}</body></html>", LINK.repeat(n));
        let input = otadoctor::collect::input::page_input("p.html", "p.html", &page);
        assert_eq!(input.facts.links.len(), n);
    });
}

#[test]
fn the_string_literals_of_one_long_statement_cost_its_size() {
    // each literal's target was the statement text before it, searched backwards and counted
    assert_linear("literals in one call", 1_000, |n| {
        let script = format!("f({});", "'abcdefgh',".repeat(n));
        let found = otadoctor::collect::js::string_literals(&script);
        assert_eq!(found.len(), n);
    });
}

#[test]
fn the_string_literals_after_a_long_indentation_cost_their_size() {
    // and each trimmed the statement's indentation again
    assert_linear("literals after a long indentation", 500, |n| {
        let script = format!("{}{}", " ".repeat(40 * n), "'a' ".repeat(n));
        let found = otadoctor::collect::js::string_literals(&script);
        assert_eq!(found.len(), n);
    });
}

#[test]
fn a_run_of_underscores_in_a_url_costs_its_length() {
    // every "__" in the run read the rest of the run again
    let subject = Subject {
        resource: Resource::Manifest,
        target: String::new(),
        link: None,
    };
    let ctx = Context::at(datetime!(2026-11-25 12:00:00 UTC));
    assert_linear("underscores", 8_000, |n| {
        let url = format!("https://cdn.acme.io/{}.plist", "_".repeat(n));
        let mut out = Vec::new();
        otadoctor::check::url::check(&url, &subject, None, &ctx, &mut out);
    });
}

#[test]
fn a_line_full_of_ampersands_costs_its_length() {
    // MAN001's fix escapes each raw "&"; each one looked for a ";" up to the end of the line
    let ctx = Context::at(datetime!(2026-11-25 12:00:00 UTC));
    assert_linear("ampersands", 50_000, |n| {
        let line = format!("<string>{}</string>", "&a".repeat(n));
        let walk = WalkFacts {
            manifest_url: "m.plist".to_string(),
            document: Some(ManifestFacts {
                parse_error: Some(ParseError {
                    message: "xmlParseEntityRef: no name".to_string(),
                    line: Some(1),
                    column: Some(9),
                    source_line: Some(line),
                }),
                ..ManifestFacts::default()
            }),
            ..WalkFacts::default()
        };
        let mut out = Vec::new();
        otadoctor::check::man::check(&walk, &ctx, &mut out);
        assert_eq!(out.len(), 1);
    });
}

#[test]
fn unknown_keys_cost_their_number_and_length() {
    // each key is compared with the known ones by edit distance: long keys must not cost their
    // length times the known keys' (they are too long to be a typo of any)
    let ctx = Context::at(datetime!(2026-11-25 12:00:00 UTC));
    assert_linear("many keys", 4_000, |n| {
        let metadata: serde_json::Map<String, serde_json::Value> = (0..n)
            .map(|i| (format!("titel{i}"), serde_json::Value::Bool(true)))
            .collect();
        let walk = WalkFacts {
            manifest_url: "m.plist".to_string(),
            document: Some(ManifestFacts {
                document: Some(serde_json::json!({"items": [{"metadata": metadata}]})),
                ..ManifestFacts::default()
            }),
            ..WalkFacts::default()
        };
        let mut out = Vec::new();
        otadoctor::check::man::check(&walk, &ctx, &mut out);
    });
    assert_linear("one long key", 20_000, |n| {
        let key = "x".repeat(n);
        let walk = WalkFacts {
            manifest_url: "m.plist".to_string(),
            document: Some(ManifestFacts {
                document: Some(serde_json::json!({"items": [{"metadata": {key: true}}]})),
                ..ManifestFacts::default()
            }),
            ..WalkFacts::default()
        };
        let mut out = Vec::new();
        otadoctor::check::man::check(&walk, &ctx, &mut out);
    });
}

#[test]
fn html_attribute_links_keep_their_context() {
    // a guard for the page test above: what it counts are attribute links
    let page = "<a href=\"itms-services://?action=download-manifest&amp;url=https://h/m.plist\">x</a>";
    let found = otadoctor::collect::html::find_links(page);
    assert!(matches!(found[0].context, LinkContext::HtmlAttribute { .. }));
}

/// Lines of source code with literals, concatenations, sinks, names and template tags, about
/// 140 bytes each.
fn source_lines(n: usize) -> String {
    let mut text = String::with_capacity(n * 150);
    for i in 0..n {
        match i % 4 {
            0 => text.push_str(&format!(
                "const link{i} = 'itms-services://?action=download-manifest&url=' + encodeURIComponent(m{i}); // c\n"
            )),
            1 => text.push_str(&format!(
                "el{i}.innerHTML = `<a href=\"itms-services://?action=download-manifest&amp;url=${{u{i}}}\">{{{{ t }}}}</a>`;\n"
            )),
            2 => text.push_str(&format!("window.open(link{}, '_self'); x = \"%s {{}} #{{y}}\" + f(a, (b), [c]);\n", i - 2)),
            _ => text.push_str(&format!("/* {i} */ if (a{i} <= b) {{ s = ['a', \"b\", `c${{d}}`].join(''); }}\n")),
        }
    }
    text
}

#[test]
fn the_literals_of_source_code_cost_its_size() {
    use otadoctor::collect::find::{Syntax, code::Language, links_in};
    // n lines of about 140 bytes: 4 MiB and 16 MiB
    let n = 4 * 1024 * 1024 / 140;
    assert_linear("JavaScript literals, sinks and template tags", n, |n| {
        let text = source_lines(n);
        let found = links_in(Syntax::Source(Language::JavaScript), &text);
        assert!(found.len() >= n / 2);
    });
}

#[test]
fn the_tags_of_a_template_cost_its_size() {
    use otadoctor::collect::find::{Syntax, links_in, markup::Engine};
    let line = "<p>{{ a }}</p><a href=\"itms-services://?action=download-manifest&amp;url={{ u | urlencode }}\">{% if x %}i{% endif %}</a>\n";
    let n = 4 * 1024 * 1024 / line.len();
    assert_linear("template tags in attributes and text", n / 4, |n| {
        let text = line.repeat(n);
        let found = links_in(Syntax::Template(Engine::Jinja), &text);
        assert_eq!(found.len(), n);
    });
}

#[test]
fn hostile_source_costs_its_size() {
    use otadoctor::collect::find::{Syntax, code::Language, links_in};
    for (what, unit) in [
        ("unclosed brackets", "((((["),
        ("unclosed interpolations", "`${ ${ "),
        ("format calls", "\"%s\",\"%s\","),
        ("assignments", "aaaaaaaaaa="),
        ("concatenations", "'a' + f(((("),
    ] {
        assert_linear(what, 40_000, |n| {
            let text = unit.repeat(n);
            let _ = links_in(Syntax::Source(Language::JavaScript), &text);
            let _ = links_in(Syntax::Source(Language::Python), &text);
        });
    }
}

/// A text of `n` links in the shapes a ticket holds them: in a sentence, alone on a line,
/// wrapped by a mail client, with `&amp;`.
fn ticket_text(n: usize) -> String {
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("Ticket {i}: the customer taps itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2F{i}%2Fm.plist and nothing happens.\n"),
            1 => format!("Try this:\nitms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2F{i}%2Fm.plist\nThanks\n"),
            2 => format!("Wrapped: itms-services://?action=download-manifest&url=\n  https%3A%2F%2Fota.acme-apps.io%2F{i}%2Fm.plist\n"),
            _ => format!("Broken: itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/{i}/m.plist please\n"),
        })
        .collect()
}

#[test]
fn a_text_of_many_links_costs_its_size_through_the_whole_pipeline() {
    // issue 12: a 16 MiB text with 100,000 links is found, checked and reported in linear time
    // (a 100,000-link text is benches/large_text.rs; this is its regression guard)
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("linear-text");
    std::fs::create_dir_all(&dir).expect("dir");
    assert_linear("links in a text, found, checked and reported", 1_500, |n| {
        let path = dir.join(format!("ticket-{n}.txt"));
        std::fs::write(&path, ticket_text(n)).expect("text");
        let mut options =
            otadoctor::run::Options::new(vec![path.display().to_string()], datetime!(2026-11-25 12:00:00 UTC));
        options.collect.offline = true;
        let outcomes = otadoctor::run::diagnose(&options, &mut std::io::empty(), None).expect("diagnose");
        assert_eq!(outcomes.len(), n);
        let report = otadoctor::run::ReportOptions::new(otadoctor::run::Format::Json, false);
        let json = otadoctor::run::render(&outcomes, 1, &report).expect("render");
        assert!(json.len() > n * 500);
    });
}

#[test]
fn a_directory_scan_costs_its_files() {
    // issue 12: a tree of 4n files costs about four times a tree of n (the walk, the byte search,
    // the files that match)
    let base = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("linear-tree");
    let tree = |n: usize| {
        let root = base.join(format!("tree-{n}"));
        if !root.join("done").is_file() {
            let _ = std::fs::remove_dir_all(&root);
            for i in 0..n {
                let dir = root.join(format!("d{}", i / 50));
                std::fs::create_dir_all(&dir).expect("dir");
                let (name, text) = if i % 20 == 0 {
                    (
                        format!("f{i}.txt"),
                        format!(
                            "see itms-services://?action=download-manifest&url=https%3A%2F%2Fh.example.net%2F{i}.plist\n"
                        ),
                    )
                } else {
                    (format!("f{i}.rs"), format!("fn f{i}() -> u32 {{ {i} }}\n").repeat(40))
                };
                std::fs::write(dir.join(name), text).expect("file");
            }
            std::fs::write(root.join("done"), "").expect("marker");
        }
        root.display().to_string()
    };
    let (small, large) = (tree(400), tree(1_600));
    let package = otadoctor::collect::PackageOptions::default();
    assert_linear("a directory scan", 400, |n| {
        let root = if n == 400 { &small } else { &large };
        let inputs = otadoctor::collect::tree::read(root, &package);
        assert_eq!(inputs.len(), 1 + n / 20);
    });
}
