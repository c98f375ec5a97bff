//! What a rule reports: a `Finding` about a `Subject`, with a `Severity`.

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::registry::Rule;
use crate::severity::Severity;

/// Which resource of the install a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resource {
    /// The itms-services link itself.
    Link,
    /// The manifest plist (its URL, its content).
    Manifest,
    /// The `software-package` (IPA).
    Package,
    /// A `display-image` or `full-size-image`.
    Icon,
    /// A download page that holds links.
    Page,
    /// A provisioning profile given on its own.
    Profile,
    /// The device's own evidence: a log, an installer tool's output, an error code.
    Device,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Link => "link",
            Resource::Manifest => "manifest",
            Resource::Package => "package",
            Resource::Device => "device",
            Resource::Icon => "icon",
            Resource::Page => "page",
            Resource::Profile => "profile",
        }
    }

    /// The words for this resource's URL in a message.
    pub fn url_noun(self) -> &'static str {
        match self {
            Resource::Link => "link",
            Resource::Manifest => "manifest URL",
            Resource::Package => "package URL",
            Resource::Icon => "icon URL",
            Resource::Page => "page URL",
            Resource::Profile => "profile",
            Resource::Device => "device evidence",
        }
    }
}

/// What a finding is about: a resource, the text or URL that names it, and which link of
/// the input it belongs to (a page can hold several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub resource: Resource,
    pub target: String,
    pub link: Option<usize>,
}

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// `file:line:column`, or the file alone for a place with no line (a QR code in an image).
    pub fn describe(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// A span of the subject's text to point at, with a short label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Highlight {
    /// The text the span is in (what the human output prints above the carets).
    pub text: String,
    /// Byte range in `text`.
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// One problem found in one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub subject: Subject,
    pub message: String,
    pub device_symptom: String,
    pub fix: String,
    /// A corrected form of the input (a link) that passes the rules, where the tool can build one.
    pub corrected: Option<String>,
    pub highlight: Option<Highlight>,
    pub location: Option<Location>,
    pub evidence: serde_json::Map<String, serde_json::Value>,
}

impl Finding {
    /// A finding with the rule's severity for this subject and its usual device symptom.
    pub fn new(rule: &'static Rule, subject: Subject, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        let severity = if rule.by_subject && subject.resource == Resource::Icon {
            rule.severity.lowered()
        } else {
            rule.severity
        };
        Finding {
            rule,
            severity,
            subject,
            message: message.into(),
            device_symptom: rule.device_symptom.to_string(),
            fix: fix.into(),
            corrected: None,
            highlight: None,
            location: None,
            evidence: serde_json::Map::new(),
        }
    }

    pub fn device(mut self, symptom: impl Into<String>) -> Finding {
        self.device_symptom = symptom.into();
        self
    }

    pub fn corrected(mut self, corrected: Option<String>) -> Finding {
        self.corrected = corrected;
        self
    }

    pub fn highlight(mut self, text: &str, range: std::ops::Range<usize>, label: impl Into<String>) -> Finding {
        let end = range.end.min(text.len());
        let start = range.start.min(end);
        if text.is_char_boundary(start) && text.is_char_boundary(end) {
            self.highlight = Some(Highlight {
                text: text.to_string(),
                start,
                end,
                label: label.into(),
            });
        }
        self
    }

    pub fn evidence(mut self, key: &str, value: impl Into<serde_json::Value>) -> Finding {
        self.evidence.insert(key.to_string(), value.into());
        self
    }
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Finding", 14)?;
        s.serialize_field("code", self.rule.code)?;
        s.serialize_field("name", self.rule.name)?;
        s.serialize_field("severity", &self.severity)?;
        s.serialize_field("family", &self.rule.family)?;
        s.serialize_field("basis", &self.rule.basis)?;
        s.serialize_field("subject", &self.subject.target)?;
        s.serialize_field("resource", &self.subject.resource)?;
        s.serialize_field("link_index", &self.subject.link)?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("device_symptom", &self.device_symptom)?;
        s.serialize_field("fix", &self.fix)?;
        s.serialize_field("corrected_link", &self.corrected)?;
        s.serialize_field("location", &self.location)?;
        s.serialize_field("evidence", &self.evidence)?;
        s.end()
    }
}

/// Why a finding is not counted: a comment in the file it is located in, or the
/// configuration file's `[per-path-ignores]`. A suppressed finding is still reported, as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suppression {
    /// `otadoctor: ignore[…]` on the finding's line or the line before.
    InSource { comment: String, file: String, line: usize },
    /// A `[per-path-ignores]` glob of the configuration file.
    External { config: String, pattern: String },
}

impl Suppression {
    /// "otadoctor: ignore[LNK006] (a.html:3)", "tests/** in otadoctor.toml".
    pub fn describe(&self) -> String {
        match self {
            Suppression::InSource { comment, file, line } => format!("{comment} ({file}:{line})"),
            Suppression::External { config, pattern } => format!("per-path-ignores \"{pattern}\" in {config}"),
        }
    }
}

/// A finding with what suppressed it (`--format json`: the finding's fields and `suppressed`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    pub suppressed: Suppression,
}

/// The answer for `--udid`: will this package's profiles let the device install it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceAnswer {
    pub udid: String,
    pub provisioned: Provisioned,
    /// Why, one line per profile.
    pub reasons: Vec<String>,
}

/// Whether every profile of the input lets the device install the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provisioned {
    Yes,
    No,
    /// No package or profile was read.
    Unknown,
}
