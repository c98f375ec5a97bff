//! `--format sarif`: SARIF 2.1.0, one run, for code scanning (GitHub's upload-sarif and others).
//!
//! The rules the results use are listed (in the order first used, after the results: a stream
//! learns them as it goes), each with its doc as `help` and its doc's URL as `helpUri`; every
//! finding is one result with a `physicalLocation` (GitHub rejects the whole file without one):
//! the file its input came from, else the path given with `--sarif-anchor` — at the line where
//! that file holds the input's text, when it does — and `partialFingerprints` that stay the same
//! from run to run, so code scanning tracks an alert instead of opening a new one. An input
//! without a file or an anchor is a usage error, whether or not it has findings, so a CI job
//! does not fail only on the day it goes red.

use std::path::Path;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;

use crate::facts::Input;
use crate::finding::{Finding, Suppression};
use crate::registry::{Family, Rule};
use crate::report::{Layout, Outcome, Stream, StreamError, safe_json, split_at_results};
use crate::severity::Severity;

/// The schema the document declares: the `id` of the OASIS SARIF 2.1.0 schema (errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The file name standard input is read under; it is no file a result can point at.
const STDIN_FILE: &str = "<stdin>";

/// Where results point: the file each input came from, else `--sarif-anchor`, written relative
/// to the working directory when they lie under it — or, for a file a directory scan found,
/// relative to that directory (`roots`). Shared with `--format github`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Places<'a> {
    /// `--sarif-anchor PATH`: the file results of inputs without a file point at.
    pub anchor: Option<&'a str>,
    /// The working directory, to make absolute paths relative.
    pub cwd: Option<&'a Path>,
    /// The directories scanned so far, in order: (as given, absolute `file:` URI).
    pub roots: &'a [(String, String)],
    /// The anchor file's text (its first 16 MiB), to find the line an input's text is on.
    pub anchor_text: Option<&'a str>,
}

/// The file a result points at, and its line and column when the finding has them in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The path as given, made relative to the working directory where it lies under it; for
    /// a file a directory scan found, relative to that directory.
    pub path: String,
    /// 1-based line in `path`.
    pub line: Option<usize>,
    /// 1-based column (in characters) in that line.
    pub column: Option<usize>,
    /// For a file a directory scan found: the SARIF `uriBaseId` of its directory.
    pub base: Option<String>,
}

impl Places<'_> {
    /// The file `finding` (about `input`) points at: the input's own file, with the finding's
    /// line and column when they are in that file; else the anchor, with neither (the line of a
    /// fetched page or of standard input means nothing in the anchor file); else `None`.
    pub fn place(&self, input: &Input, finding: &Finding) -> Option<Place> {
        if let Some(file) = own_file(input) {
            let location = finding.location.as_ref().filter(|l| l.file == file && l.line > 0);
            if let Some(root) = &input.facts.root {
                // already relative to the directory it was found in
                let index = self.roots.iter().position(|(r, _)| r == root).unwrap_or(0);
                return Some(Place {
                    path: file.to_string(),
                    line: location.map(|l| l.line),
                    column: location.map(|l| l.column).filter(|c| *c > 0),
                    base: Some(base_id(index)),
                });
            }
            return Some(Place {
                path: self.relative(file),
                line: location.map(|l| l.line),
                column: location.map(|l| l.column).filter(|c| *c > 0),
                base: None,
            });
        }
        self.anchor.map(|anchor| {
            // the line the anchor file holds the input (a link as given) on, if it does
            let found = self.anchor_text.and_then(|text| find_text(text, &input.name));
            Place {
                path: self.relative(anchor),
                line: found.map(|(line, _)| line),
                column: found.map(|(_, column)| column),
                base: None,
            }
        })
    }

    /// `path` relative to the working directory when it lies under it, with `/` separators.
    pub fn relative(&self, path: &str) -> String {
        let as_path = Path::new(path);
        let shown = match self.cwd {
            Some(cwd) if as_path.is_absolute() => as_path.strip_prefix(cwd).unwrap_or(as_path),
            _ => as_path,
        };
        let text = shown.to_string_lossy().replace('\\', "/");
        text.strip_prefix("./").map(str::to_string).unwrap_or(text)
    }
}

/// Where `needle` first stands in `text`: 1-based line and column (in characters); `None` for
/// an empty or absent needle. One linear search.
fn find_text(text: &str, needle: &str) -> Option<(usize, usize)> {
    if needle.trim().is_empty() {
        return None;
    }
    let at = memchr::memmem::find(text.as_bytes(), needle.as_bytes())?;
    Some(crate::text::line_and_column(text, at))
}

/// The `uriBaseId` of the `index`th directory scanned: `%SRCROOT%`, then `%SRCROOT2%`, ….
pub fn base_id(index: usize) -> String {
    if index == 0 {
        "%SRCROOT%".to_string()
    } else {
        format!("%SRCROOT{}%", index + 1)
    }
}

/// The file an input was read from; standard input is none.
fn own_file(input: &Input) -> Option<&str> {
    own_file_of(input.file.as_deref())
}

/// An input's file, unless it is standard input.
pub fn own_file_of(file: Option<&str>) -> Option<&str> {
    file.filter(|f| *f != STDIN_FILE)
}

/// What `--sarif-anchor` is for, when an input (by its name) needs it and it is missing.
pub fn missing_anchor(name: &str) -> String {
    format!(
        "--format sarif needs a file for every result to point at, and the input \"{}\" is not one \
         (a link, a URL or standard input): pass --sarif-anchor PATH, the repository file the link \
         is kept in (the page or the workflow that holds it)",
        crate::text::escape_for_terminal(&crate::text::ellipsize(name, 80))
    )
}

/// Renders every outcome as one SARIF log (as `Stream` writes it); `Err` (a usage error) when
/// an input has no file and no `--sarif-anchor` was given.
pub fn render(outcomes: &[Outcome], places: Places<'_>) -> Result<String, String> {
    let mut stream = Stream::new(
        Layout::Sarif,
        places.anchor.map(str::to_string),
        places.cwd.map(Path::to_path_buf),
    );
    stream.check_inputs(
        outcomes
            .iter()
            .map(|o| (o.input.name.as_str(), o.input.file.as_deref())),
    )?;
    let mut out = Vec::new();
    let written = outcomes
        .iter()
        .try_for_each(|o| stream.outcome(&mut out, o))
        .and_then(|()| stream.finish(&mut out, 0));
    match written {
        Ok(()) => Ok(String::from_utf8_lossy(&out).into_owned()),
        Err(StreamError::Report(e)) => Err(e),
        Err(StreamError::Write(e)) => Err(format!("cannot write the SARIF report: {e}")),
    }
}

/// The log around its results, cut at the results array: what comes before its first element,
/// and what follows its `]` — there, `originalUriBaseIds` for the directories scanned (`roots`:
/// as given, absolute `file:` URI), which are known only once every result is written.
pub fn frame(roots: &[(String, String)], rules: &[&'static Rule], rule_docs: &str) -> Result<(String, String), String> {
    let original_uri_base_ids: std::collections::BTreeMap<String, BaseUri> = roots
        .iter()
        .enumerate()
        .filter(|(_, (_, uri))| !uri.is_empty())
        .map(|(i, (_, uri))| (base_id(i), BaseUri { uri: uri.clone() }))
        .collect();
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            results: Vec::new(),
            tool: Tool {
                driver: Driver {
                    name: "otadoctor",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: crate::report::DOCS_URL,
                    rules: rules.iter().map(|rule| descriptor(rule, rule_docs)).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: true,
            }],
            column_kind: "unicodeCodePoints",
            original_uri_base_ids,
        }],
    };
    let (head, rest) = split_at_results(&safe_json(&log, 0)?)?;
    Ok((head, rest + "\n"))
}

/// One result, as it is written four levels deep in the log; `rule_index`: its rule's place in
/// the rules the log lists.
pub fn result_json(
    input: &Input,
    finding: &Finding,
    place: Place,
    rule_index: usize,
    suppression: Option<&Suppression>,
) -> Result<String, String> {
    let mut result = result(input, finding, place, rule_index);
    result.suppressions = suppression.map(|s| {
        vec![SarifSuppression {
            kind: match s {
                Suppression::InSource { .. } => "inSource",
                Suppression::External { .. } => "external",
            },
            justification: crate::text::escape_prose(&s.describe()),
        }]
    });
    safe_json(&result, 4)
}

/// SARIF's name for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `html-entity-in-link` → `HtmlEntityInLink`.
pub fn pascal_case(name: &str) -> String {
    name.split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// The finding's message, followed by its subject in parentheses unless it already names it.
pub fn message_with_subject(finding: &Finding) -> String {
    let target = &finding.subject.target;
    if target.is_empty() || finding.message.contains(target.as_str()) {
        finding.message.clone()
    } else {
        format!("{} ({target})", finding.message)
    }
}

fn descriptor(rule: &'static Rule, rule_docs: &str) -> Descriptor {
    Descriptor {
        id: rule.code,
        name: pascal_case(rule.name),
        help_uri: crate::report::rule_url(rule_docs, rule),
        short_description: Text { text: rule.summary },
        full_description: Text { text: rule.summary },
        help: Help {
            text: rule.doc,
            markdown: rule.doc,
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            family: rule.family,
            basis: rule.basis.as_str(),
            device_symptom: rule.device_symptom,
        },
    }
}

fn result<'a>(input: &'a Input, finding: &'a Finding, place: Place, rule_index: usize) -> SarifResult<'a> {
    let fingerprint = crate::report::fingerprint(finding, &place.path, place.line.unwrap_or(1));
    SarifResult {
        rule_id: finding.rule.code,
        rule_index,
        level: level(finding.severity),
        // prose a viewer shows as it is: what came from the input or the network is made
        // visible, not obeyed (a U+202E would turn the rest of the line around)
        message: OwnedText {
            text: crate::text::escape_prose(&message_with_subject(finding)),
        },
        partial_fingerprints: Fingerprints { otadoctor: fingerprint },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_for(&place.path),
                    uri_base_id: place.base,
                },
                region: place.line.map(|line| Region {
                    start_line: line,
                    start_column: place.column,
                }),
            },
        }],
        properties: ResultProperties {
            subject: &finding.subject.target,
            resource: finding.subject.resource.as_str(),
            device_symptom: &finding.device_symptom,
            fix: &finding.fix,
            basis: finding.rule.basis.as_str(),
            corrected_link: finding.corrected.as_deref(),
            input: &input.name,
        },
        suppressions: None,
    }
}

/// What a URI path may not hold as is: controls, space and the delimiters `"#%<>?[\]^`{|}`.
const NOT_IN_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// As `NOT_IN_PATH`, and `:` (a relative reference's first segment must not hold one).
const NOT_IN_RELATIVE_PATH: &AsciiSet = &NOT_IN_PATH.add(b':');

/// A path as a URI reference: relative paths stay relative, absolute ones become `file:` URIs;
/// characters a URI cannot hold are percent-encoded.
pub fn uri_for(path: &str) -> String {
    if path.starts_with('/') {
        format!("file://{}", utf8_percent_encode(path, NOT_IN_PATH))
    } else if Path::new(path).is_absolute() {
        // C:/dir/file on Windows
        format!("file:///{}", utf8_percent_encode(path, NOT_IN_PATH))
    } else {
        utf8_percent_encode(path, NOT_IN_RELATIVE_PATH).to_string()
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    /// First: a stream writes the results as the inputs are judged, and the rules they used
    /// once they are all known.
    results: Vec<SarifResult<'a>>,
    tool: Tool,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    /// After `results`: written at the end of the log, once every directory is known.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    original_uri_base_ids: std::collections::BTreeMap<String, BaseUri>,
}

/// An `artifactLocation` that gives a base id its absolute value.
#[derive(Serialize)]
struct BaseUri {
    uri: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

/// A rule: SARIF's `reportingDescriptor`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: &'static str,
    name: String,
    help_uri: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: &'static str,
}

#[derive(Serialize)]
struct OwnedText {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    family: Family,
    basis: &'static str,
    device_symptom: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: OwnedText,
    partial_fingerprints: Fingerprints,
    locations: [Location; 1],
    /// A suppressed finding: what suppressed it (SARIF's own `suppressions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<Vec<SarifSuppression>>,
    properties: ResultProperties<'a>,
}

/// A result's identity from run to run: the rule, the place and the subject, hashed (the same
/// hash as the GitLab report's `fingerprint`).
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "otadoctor/v1")]
    otadoctor: String,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
}

/// otadoctor's own fields of a result (SARIF's property bag), named as in the JSON report.
#[derive(Serialize)]
struct ResultProperties<'a> {
    subject: &'a str,
    resource: &'static str,
    device_symptom: &'a str,
    fix: &'a str,
    basis: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    corrected_link: Option<&'a str>,
    input: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_become_pascal_case() {
        assert_eq!(pascal_case("html-entity-in-link"), "HtmlEntityInLink");
        assert_eq!(pascal_case("url-not-https"), "UrlNotHttps");
        assert_eq!(pascal_case(""), "");
    }

    #[test]
    fn severities_map_to_sarif_levels() {
        assert_eq!(level(Severity::Error), "error");
        assert_eq!(level(Severity::Warning), "warning");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri_for("testdata/pages/install-broken.html"),
            "testdata/pages/install-broken.html"
        );
        assert_eq!(uri_for("dist/beta build/100%.html"), "dist/beta%20build/100%25.html");
        assert_eq!(uri_for("a:b/é.html"), "a%3Ab/%C3%A9.html");
        assert_eq!(uri_for("/srv/www/install.html"), "file:///srv/www/install.html");
    }

    #[test]
    fn absolute_paths_under_the_working_directory_become_relative() {
        let places = Places {
            anchor: None,
            cwd: Some(Path::new("/work/repo")),
            roots: &[],
            anchor_text: None,
        };
        assert_eq!(places.relative("/work/repo/dist/install.html"), "dist/install.html");
        assert_eq!(places.relative("/elsewhere/install.html"), "/elsewhere/install.html");
        assert_eq!(places.relative("./dist/install.html"), "dist/install.html");
        assert_eq!(places.relative("dist/install.html"), "dist/install.html");
    }
}
