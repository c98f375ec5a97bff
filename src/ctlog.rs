//! Certificate Transparency log lists (Apple's schema v5): which log an SCT's log id names, who
//! operates it, and whether Apple counts it. Parsing only; the CLI reads the file.

use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Apple's list as shipped (see assets/ct/README.md).
pub const SHIPPED: &str = include_str!("../assets/ct/apple_current_log_list.json");

/// One log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtLog {
    pub log_id: Vec<u8>,
    pub description: String,
    pub operator: String,
    /// `usable`, `qualified`, `readonly`, `retired`, `pending`, `rejected`.
    pub state: String,
    /// When the log entered its state (for `retired`: SCTs before it still count).
    pub state_since: Option<OffsetDateTime>,
    /// An RFC 6962 log (`logs`), not a static-CT one (`tiled_logs`).
    pub rfc6962: bool,
}

/// A log list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CtLogList {
    pub source: String,
    pub version: String,
    pub logs: Vec<CtLog>,
}

impl CtLogList {
    /// Parses a list in Apple's v5 schema (Google's v3 has the same shape for these fields).
    pub fn parse(source: &str, json: &str) -> Result<CtLogList, String> {
        let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("{source}: not JSON ({e})"))?;
        let operators = doc
            .get("operators")
            .and_then(|o| o.as_array())
            .ok_or_else(|| format!("{source}: no \"operators\" list"))?;
        let mut logs = Vec::new();
        for op in operators {
            let operator = op.get("name").and_then(|n| n.as_str()).unwrap_or("?").to_string();
            for (key, rfc6962) in [("logs", true), ("tiled_logs", false)] {
                for log in op.get(key).and_then(|l| l.as_array()).into_iter().flatten() {
                    let Some(id) = log.get("log_id").and_then(|i| i.as_str()) else {
                        continue;
                    };
                    let Ok(log_id) = base64::engine::general_purpose::STANDARD.decode(id) else {
                        continue;
                    };
                    let (state, since) = log
                        .get("state")
                        .and_then(|s| s.as_object())
                        .and_then(|s| s.iter().next())
                        .map(|(name, v)| {
                            let since = v
                                .get("timestamp")
                                .and_then(|t| t.as_str())
                                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
                            (name.clone(), since)
                        })
                        .unwrap_or_else(|| ("unknown".to_string(), None));
                    logs.push(CtLog {
                        log_id,
                        description: log
                            .get("description")
                            .and_then(|d| d.as_str())
                            .unwrap_or_default()
                            .to_string(),
                        operator: operator.clone(),
                        state,
                        state_since: since,
                        rfc6962,
                    });
                }
            }
        }
        if logs.is_empty() {
            return Err(format!("{source}: no logs in it"));
        }
        let version = doc
            .get("version")
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .unwrap_or_default();
        Ok(CtLogList {
            source: source.to_string(),
            version,
            logs,
        })
    }

    /// The list shipped with otadoctor.
    pub fn shipped() -> CtLogList {
        CtLogList::parse("Apple CT log list (shipped, version 511)", SHIPPED).unwrap_or_default()
    }

    pub fn find(&self, log_id: &[u8]) -> Option<&CtLog> {
        self.logs.iter().find(|l| l.log_id == log_id)
    }
}

impl CtLog {
    /// Whether the log is currently approved (usable, qualified or read-only).
    pub fn current(&self) -> bool {
        matches!(self.state.as_str(), "usable" | "qualified" | "readonly")
    }

    /// Whether Apple counts an SCT from this log made at `timestamp`.
    pub fn counts(&self, timestamp: OffsetDateTime) -> bool {
        match self.state.as_str() {
            "usable" | "qualified" | "readonly" => true,
            "retired" => self.state_since.is_some_and(|since| timestamp < since),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses() {
        let list = CtLogList::shipped();
        assert_eq!(list.version, "511");
        assert!(list.logs.len() > 150, "{}", list.logs.len());
        assert!(list.logs.iter().filter(|l| l.state == "usable").count() >= 40);
        assert!(list.logs.iter().all(|l| l.log_id.len() == 32));
    }
}
