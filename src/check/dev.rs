//! DEV: what only the device's own evidence shows — a log line or an error code whose cause no
//! server-side check can see (a full device, a restriction, a stuck queue, another team's app
//! already installed), and the codes otadoctor does not know yet.

use std::collections::BTreeMap;

use crate::device::codes::{self, Code};
use crate::device::events::{EventKind, device_rule};
use crate::facts::{DeviceEvent, EvidenceFacts, Facts};
use crate::finding::{Finding, Location, Resource, Subject};
use crate::registry::{self as rules, Rule};

pub fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(evidence) = &facts.evidence else { return };
    // one finding per rule and code (or bundle id), naming every line it is on
    let mut seen: BTreeMap<(&'static str, String), Vec<&DeviceEvent>> = BTreeMap::new();
    for event in &evidence.events {
        if event.kind == EventKind::AlreadyQueued {
            let key = event.bundle_id.clone().unwrap_or_default();
            seen.entry(("DEV001", key)).or_default().push(event);
        }
        for code in &event.codes {
            if let Some(rule) = device_rule(*code) {
                seen.entry((rule, code.display())).or_default().push(event);
            }
        }
    }
    for ((rule, _), events) in seen {
        let on = On {
            evidence,
            events: &events,
        };
        out.push(match rule {
            "DEV001" => install_already_queued(&on),
            "DEV002" => device_storage_full(&on),
            "DEV003" => install_prohibited(&on),
            "DEV004" => installed_app_id_differs(&on),
            _ => unknown_device_error(&on),
        });
    }
}

/// The events one finding is about.
struct On<'a> {
    evidence: &'a EvidenceFacts,
    events: &'a [&'a DeviceEvent],
}

impl On<'_> {
    /// "line 3: ", "lines 2, 3: ", or nothing for a bare code.
    fn at(&self) -> String {
        let lines: Vec<String> = self.events.iter().map(|e| e.line.to_string()).collect();
        if self.evidence.format == crate::facts::EvidenceFormat::Code {
            String::new()
        } else if lines.len() == 1 {
            format!("line {}: ", lines[0])
        } else {
            format!("lines {}: ", lines.join(", "))
        }
    }

    fn first(&self) -> &DeviceEvent {
        self.events[0]
    }

    /// The first event's code that raises `rule`.
    fn code(&self, rule: &Rule) -> Option<Code> {
        self.first()
            .codes
            .iter()
            .find(|c| device_rule(**c) == Some(rule.code))
            .copied()
    }

    /// The finding, with the lines, the log's words and the code as evidence.
    fn finding(&self, rule: &'static Rule, target: String, message: String, fix: &str) -> Finding {
        let first = self.first();
        let mut finding = Finding::new(
            rule,
            Subject {
                resource: Resource::Device,
                target,
                link: None,
            },
            message,
            fix,
        )
        .evidence("lines", self.events.iter().map(|e| e.line).collect::<Vec<_>>())
        .evidence("log_text", first.text.clone());
        if let Some(code) = self.code(rule) {
            finding = finding.evidence("code", code.display());
        }
        if let Some(file) = &self.evidence.file {
            finding.location = Some(Location {
                file: file.clone(),
                line: first.line,
                column: 1,
            });
        }
        finding
    }
}

/// DEV001: the device ignored the manifest, an install of the same bundle id being queued.
fn install_already_queued(on: &On<'_>) -> Finding {
    let rule = &rules::INSTALL_ALREADY_QUEUED;
    let id = on.first().bundle_id.clone().unwrap_or_else(|| "this app".to_string());
    let by = on
        .first()
        .process
        .as_deref()
        .map(|p| format!("{p} "))
        .unwrap_or_default();
    on.finding(
        rule,
        id.clone(),
        format!(
            "{}{by}ignored the manifest: an install of {id} is already queued on the device (\"Ignore manifest download, already have bundleID\")",
            on.at()
        ),
        &format!(
            "on the device, delete the waiting icon of {id} (touch and hold › Remove App), or restart the device; then tap the link again"
        ),
    )
}

/// DEV002: installd reports no space.
fn device_storage_full(on: &On<'_>) -> Finding {
    let rule = &rules::DEVICE_STORAGE_FULL;
    let code = code_text(on.code(rule));
    on.finding(
        rule,
        code.clone(),
        format!("{}installd reports no space on the device: {code}", on.at()),
        "free storage on the device (Settings › General › iPhone Storage): about twice the package's size",
    )
}

/// DEV003: a restriction forbids installing apps.
fn install_prohibited(on: &On<'_>) -> Finding {
    let rule = &rules::INSTALL_PROHIBITED;
    let code = code_text(on.code(rule));
    on.finding(
        rule,
        code.clone(),
        format!(
            "{}installd refuses: installing apps is prohibited by a restriction on the device: {code}",
            on.at()
        ),
        "allow app installs: Screen Time › Content & Privacy Restrictions › iTunes & App Store Purchases › Installing Apps, or the MDM restriction allowAppInstallation",
    )
}

/// DEV004: the installed app of this bundle id has another application-identifier.
fn installed_app_id_differs(on: &On<'_>) -> Finding {
    let rule = &rules::INSTALLED_APP_ID_DIFFERS;
    let code = code_text(on.code(rule));
    on.finding(
        rule,
        code.clone(),
        format!(
            "{}the app already installed with this bundle id has another application-identifier (another team or App ID prefix), so the upgrade is refused: {code}",
            on.at()
        ),
        "delete the installed app from the device first, or sign this build with the installed app's team",
    )
}

/// DEV005: a code the table does not know, decoded.
fn unknown_device_error(on: &On<'_>) -> Finding {
    let rule = &rules::UNKNOWN_DEVICE_ERROR;
    let code = on.code(rule);
    let described = code.map(codes::describe_unknown).unwrap_or_default();
    on.finding(
        rule,
        code_text(code),
        format!("{}an error otadoctor does not know yet: {described}", on.at()),
        "search the code in the forms given here; the event's own words are in the log line",
    )
}

fn code_text(code: Option<Code>) -> String {
    code.map(Code::display).unwrap_or_default()
}
