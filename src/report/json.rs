//! `--format json`: one document, schema version 1 (see the README and CLI.md).

use serde::Serialize;

use crate::facts::Facts;
use crate::facts::InputKind;
use crate::finding::Finding;
use crate::report::{Layout, Outcome, Stream, Summary, safe_json, split_at_results};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    /// The configuration file the run read.
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<&'a str>,
    results: Vec<ResultEntry<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct ResultEntry<'a> {
    input: &'a str,
    kind: InputKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    findings: &'a [Finding],
    /// Findings suppressed (each with `suppressed`: what suppressed it); not counted.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    suppressed_findings: &'a [crate::finding::Suppressed],
    /// With `--udid`: whether the profiles let that device install the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<&'a crate::finding::DeviceAnswer>,
    /// With `--symptom`: the known messages it matched and the findings that explain it.
    #[serde(skip_serializing_if = "Option::is_none")]
    symptom: Option<&'a crate::symptom::Triage>,
    /// Device evidence: each install event, the rules that cause it and the findings that explain it.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a crate::symptom::EvidenceTriage>,
    facts: &'a Facts,
}

/// Renders every outcome as one JSON document (as `Stream` writes it).
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = Vec::new();
    let mut stream = Stream::new(Layout::Json, None, None);
    let written = outcomes
        .iter()
        .try_for_each(|o| stream.outcome(&mut out, o))
        .and_then(|()| stream.finish(&mut out, 0));
    match written {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        // writing plain data with string keys to memory cannot fail; keep a valid document anyway
        Err(e) => format!(
            "{{\"schema_version\":{SCHEMA_VERSION},\"error\":{}}}\n",
            serde_json::Value::from(format!("{e:?}"))
        ),
    }
}

/// One element of `results`, as it is written two levels deep in the document.
pub fn entry(o: &Outcome) -> Result<String, String> {
    safe_json(
        &ResultEntry {
            input: &o.input.name,
            kind: o.input.kind,
            file: o.input.file.as_deref(),
            findings: &o.findings,
            suppressed_findings: &o.suppressed,
            device: o.device.as_ref(),
            symptom: o.triage.as_ref(),
            evidence: o.evidence.as_ref(),
            facts: &o.input.facts,
        },
        2,
    )
}

/// The document around its results, cut at the results array: what comes before its first
/// element, and what follows its `]` (the summary, the end).
pub fn frame(summary: Summary, config: Option<&str>) -> Result<(String, String), String> {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "otadoctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        config,
        results: Vec::new(),
        summary,
    };
    let (head, rest) = split_at_results(&safe_json(&document, 0)?)?;
    Ok((head, rest + "\n"))
}
