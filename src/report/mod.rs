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
