//! `--format json`: one document, schema version 1 (see the README and CLI.md).

use serde::Serialize;

use crate::facts::Facts;
use crate::facts::InputKind;
use crate::finding::Finding;
use crate::report::{Outcome, Summary, safe_json};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
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
    /// With `--udid`: whether the profiles let that device install the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<&'a crate::finding::DeviceAnswer>,
    /// With `--symptom`: the known messages it matched and the findings that explain it.
    #[serde(skip_serializing_if = "Option::is_none")]
    symptom: Option<&'a crate::symptom::Triage>,
    facts: &'a Facts,
}

/// Renders every outcome as one JSON document.
pub fn render(outcomes: &[Outcome]) -> String {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "otadoctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        results: outcomes
            .iter()
            .map(|o| ResultEntry {
                input: &o.input.name,
                kind: o.input.kind,
                file: o.input.file.as_deref(),
                findings: &o.findings,
                device: o.device.as_ref(),
                symptom: o.triage.as_ref(),
                facts: &o.input.facts,
            })
            .collect(),
        summary: Summary::of(outcomes.iter().flat_map(|o| &o.findings)),
    };
    // DEL, C1 and bidirectional controls escaped as well as C0: same value, safe bytes
    match safe_json(&doc, 0) {
        Ok(s) => s + "\n",
        // Serializing plain data with string keys cannot fail; keep a valid document anyway.
        Err(e) => format!(
            "{{\"schema_version\":{SCHEMA_VERSION},\"error\":{}}}\n",
            serde_json::Value::from(e)
        ),
    }
}
