//! Reports: render findings and facts. Nothing here decides what is wrong.

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use serde::Serialize;

use crate::facts::Input;
use crate::finding::Finding;
use crate::severity::Severity;

/// One input with its findings, ready to render.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub input: Input,
    pub findings: Vec<Finding>,
    /// With `--udid`: whether the package's profiles let that device install it.
    pub device: Option<crate::finding::DeviceAnswer>,
    /// With `--symptom`: what it matched and which findings explain it (they come first).
    pub triage: Option<crate::symptom::Triage>,
}

/// How many findings of each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }

    pub fn total(self) -> usize {
        self.error + self.warning + self.info
    }

    /// "2 errors · 1 warning", or "no problems found", as the human output writes it (uncoloured).
    pub fn words(self) -> String {
        if self.total() == 0 {
            return "no problems found".to_string();
        }
        [
            (self.error, "error", "errors"),
            (self.warning, "warning", "warnings"),
            (self.info, "info", "info"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

/// JSON as `serde_json::to_string_pretty` writes it (two-space indents), starting `level`
/// indents deep, with one difference in the bytes and none in the value: DEL, the C1 controls
/// and the bidirectional controls are written as `\uXXXX` escapes, as serde_json already writes
/// the C0 controls. A document read from a hostile server then holds no byte that moves a
/// terminal's cursor or turns a log line around, and parses to the same strings.
pub fn safe_json<T: Serialize + ?Sized>(value: &T, level: usize) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut bytes,
        SafeFormatter {
            level,
            has_value: false,
        },
    );
    value
        .serialize(&mut serializer)
        .map_err(|e| format!("cannot write the report: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write the report: {e}"))
}

/// The formatter of `safe_json`: serde_json's `PrettyFormatter`, with a starting level and the
/// extra escapes.
struct SafeFormatter {
    level: usize,
    has_value: bool,
}

impl SafeFormatter {
    fn indent<W: ?Sized + std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        for _ in 0..self.level {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for SafeFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if crate::text::is_unsafe_char(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // every such character is in the Basic Multilingual Plane: one escape
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_json_is_serde_json_pretty_with_more_escapes() {
        let value = serde_json::json!({
            "a": [1, {"b": [], "c": {}}, "x\u{1b}y"],
            "d": "plain",
            "e": [[]],
        });
        assert_eq!(safe_json(&value, 0).ok(), serde_json::to_string_pretty(&value).ok());
        let hostile = "a\u{7f}b\u{9b}c\u{202e}d\u{61c}e\u{2066}é";
        let written = safe_json(&hostile, 0).unwrap_or_default();
        assert_eq!(written, "\"a\\u007fb\\u009bc\\u202ed\\u061ce\\u2066é\"");
        assert_eq!(serde_json::from_str::<String>(&written).ok().as_deref(), Some(hostile));
    }

    #[test]
    fn a_deeper_start_indents_every_line() {
        let value = serde_json::json!({"a": [1]});
        assert_eq!(
            safe_json(&value, 2).ok().as_deref(),
            Some("{\n      \"a\": [\n        1\n      ]\n    }")
        );
    }
}
