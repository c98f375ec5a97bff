//! Reports: render findings and facts. Nothing here decides what is wrong.

pub mod human;
pub mod json;

use serde::Serialize;

use crate::collect::input::Input;
use crate::finding::{Finding, Severity};

/// One input with its findings, ready to render.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub input: Input,
    pub findings: Vec<Finding>,
    /// With `--udid`: whether the package's profiles let that device install it.
    pub device: Option<crate::check::sig::DeviceAnswer>,
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
}
