//! No format lets a control or bidirectional character from the input or the network reach the
//! terminal or the log as it is: a hostile server (its headers, a redirect) and a hostile file
//! name go through every format, and the bytes written hold none, while JSON and SARIF still
//! parse to the very strings the server sent (they are escaped as `\uXXXX`, not changed).

mod support;

use serde_json::Value;
use support::lab::{Route, Site};

const HOST: &str = "ota.acme-apps.test";

/// What a hostile server puts in its headers: ESC and a colour sequence, BEL, DEL, a C1
/// control (CSI), the right-to-left override and isolate, the Arabic letter mark.
const HOSTILE: &str = "x\u{1b}[31my\u{7}z\u{7f}d\u{9b}c\u{202e}evil\u{2066}i\u{61c}m\u{200f}";
/// What HTTP lets through of it (a header value holds no C0 control nor DEL): the C1 control
/// and the bidirectional ones, as UTF-8.
const HOSTILE_HEADER: &str = "text/x\u{9b}c\u{202e}lmx\u{2066}i\u{61c}m\u{200f}";

/// Control and bidirectional characters, but the line break (and the tab, which prose may hold).
fn unsafe_chars(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|(_, c)| *c != '\n' && *c != '\t')
        .filter(|(_, c)| {
            c.is_control()
                || matches!(
                    c,
                    '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                )
        })
        .collect()
}

/// Every string in a JSON value.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

#[test]
fn no_format_writes_a_control_or_bidi_character_from_a_hostile_server_or_file_name() {
    let site = Site::correct(HOST);
    // the manifest: served as a hostile type, and with a hostile header
    site.lab.route(
        Site::MANIFEST,
        Route::ok(HOSTILE_HEADER, site.manifest_text()).header("x-note", HOSTILE_HEADER),
    );
    // a redirect whose target names the hostile text (percent-encoded on the wire, decoded in
    // the findings' words) and a link pointing at it
    let hostile_path = format!("/app/{}.plist", otadoctor::text::encode_component(HOSTILE));
    site.lab
        .route(&hostile_path, Route::status(404, HOSTILE_HEADER, "gone"));
    let hostile_link = otadoctor::check::repair::canonical_link(&site.url(&hostile_path));
    // a page in a file whose name holds ESC, BEL, DEL, a C1 control and U+202E
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("output-escaping");
    std::fs::create_dir_all(&dir).expect("dir");
    let file_name = format!("inst{HOSTILE}.html");
    let page = dir.join(&file_name);
    std::fs::write(
        &page,
        format!(
            "<!doctype html><html><body><a href=\"{}\">Install</a>\n<a href=\"{}\">Beta</a></body></html>\n",
            site.link().replace('&', "&amp;"),
            hostile_link.replace('&', "&amp;")
        ),
    )
    .expect("page");
    let page = page.display().to_string();
    let mut failures = Vec::new();
    for format in ["human", "json", "sarif", "github", "markdown", "html"] {
        let mut args = site.args(&[]);
        args.retain(|a| a != "json");
        args.retain(|a| a != "--format");
        args.extend(["--format".to_string(), format.to_string()]);
        args.extend(["--sarif-anchor".to_string(), format!("deploy/{file_name}")]);
        args.extend([page.clone(), hostile_link.clone(), "-".to_string()]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        // a hostile line on standard input too (it names the input in every format)
        let stdin = format!(
            "{}\n",
            site.link().replace("manifest.plist", &format!("{HOSTILE}.plist"))
        );
        let run = support::otadoctor_with(&argv, &stdin, false, false);
        assert_eq!(
            run.code, 1,
            "{format}: exit 1 for the 404\n{}\n{}",
            run.stdout, run.stderr
        );
        let found = unsafe_chars(&run.stdout);
        if !found.is_empty() {
            let mut kinds: Vec<char> = found.iter().map(|(_, c)| *c).collect();
            kinds.sort();
            kinds.dedup();
            failures.push(format!(
                "{format}: {} raw characters, of these kinds: {kinds:?}",
                found.len()
            ));
        }
        assert!(
            unsafe_chars(&run.stderr).is_empty(),
            "{format}: stderr {:?}",
            run.stderr
        );
        if format == "json" || format == "sarif" {
            let doc: Value = serde_json::from_str(&run.stdout).expect("the document parses");
            let mut all = Vec::new();
            strings(&doc, &mut all);
            // the values are the ones the server and the file system gave, to the character
            assert!(
                all.iter().any(|s| *s == page || s.ends_with(&file_name)),
                "{format}: the file name, as it is"
            );
            if format == "json" {
                assert!(
                    all.iter().any(|s| s == HOSTILE_HEADER),
                    "json: the header value, as it is"
                );
                assert!(
                    all.iter().any(|s| s.contains(HOSTILE)),
                    "json: the hostile URL, decoded"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "raw control or bidi characters written:\n{}",
        failures.join("\n")
    );
}
