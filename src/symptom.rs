//! Symptom triage: what the device showed, matched to the messages iOS shows, and the rules
//! that explain each. A rule explains the symptoms its device text names (the registry's
//! `device` column is the one source), plus a few the text implies.

use serde::Serialize;

use crate::device::codes;
use crate::device::events::EventKind;
use crate::facts::{DeviceEvent, Facts};
use crate::finding::Finding;
use crate::registry::{self as rules, Rule};

/// A message (or a silence) the device shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Symptom {
    /// "Cannot Connect to “host”"
    CannotConnect,
    /// "Unable to Download App — “App” could not be installed at this time", or a stuck "Waiting…"
    UnableToDownload,
    /// "Unable to Install — This app cannot be installed because its integrity could not be verified"
    UnableToInstall,
    /// "Untrusted Enterprise Developer"
    UntrustedDeveloper,
    /// "Developer Mode Required"
    DeveloperMode,
    /// The app installs but does not open, or stops opening.
    WontOpen,
    /// Tapping the link does nothing.
    NothingHappens,
}

impl Symptom {
    pub const ALL: &'static [Symptom] = &[
        Symptom::CannotConnect,
        Symptom::UnableToDownload,
        Symptom::UnableToInstall,
        Symptom::UntrustedDeveloper,
        Symptom::DeveloperMode,
        Symptom::WontOpen,
        Symptom::NothingHappens,
    ];

    /// What the device shows, in its words.
    pub fn message(self) -> &'static str {
        match self {
            Symptom::CannotConnect => "Cannot Connect to …",
            Symptom::UnableToDownload => "Unable to Download App (could not be installed at this time)",
            Symptom::UnableToInstall => "Unable to Install (integrity could not be verified)",
            Symptom::UntrustedDeveloper => "Untrusted Enterprise Developer",
            Symptom::DeveloperMode => "Developer Mode Required",
            Symptom::WontOpen => "the app does not open",
            Symptom::NothingHappens => "nothing happens",
        }
    }

    /// Lower-case phrases that name this symptom, in the device's words or a user's.
    fn phrases(self) -> &'static [&'static str] {
        match self {
            Symptom::CannotConnect => &[
                "cannot connect",
                "can't connect",
                "could not connect",
                "unable to connect",
            ],
            Symptom::UnableToDownload => &[
                "unable to download",
                "could not be installed at this time",
                "cannot be installed at this time",
                "can't be installed at this time",
                "waiting…",
                "waiting...",
                "stuck on waiting",
                "never completes",
                "never finishes",
            ],
            Symptom::UnableToInstall => &[
                "unable to install",
                "integrity could not be verified",
                "integrity can't be verified",
                "cannot be installed because",
            ],
            Symptom::UntrustedDeveloper => &[
                "untrusted enterprise developer",
                "untrusted developer",
                "untrusted enterprise",
            ],
            Symptom::DeveloperMode => &["developer mode"],
            Symptom::WontOpen => &[
                "does not open",
                "doesn't open",
                "won't open",
                "stops opening",
                "does not launch",
                "doesn't launch",
                "won't launch",
                "crashes on launch",
                "closes immediately",
            ],
            Symptom::NothingHappens => &[
                "nothing happens",
                "nothing happened",
                "does nothing",
                "do nothing",
                "nothing installs",
                "doesn't do anything",
                "does not do anything",
                "no prompt",
                "no popup",
                "no pop-up",
                "no dialog",
            ],
        }
    }
}

/// The symptoms a text names (curly quotes and case do not matter).
pub fn named_in(text: &str) -> Vec<Symptom> {
    let normal = text.to_lowercase().replace(['’', '‘'], "'").replace(['“', '”'], "\"");
    Symptom::ALL
        .iter()
        .copied()
        .filter(|s| s.phrases().iter().any(|p| normal.contains(p)))
        .collect()
}

/// Symptoms a rule implies beyond what its device text names.
static IMPLIED: &[(&Rule, &[Symptom])] = &[
    // an expired profile or signing certificate: installed copies stop opening too
    (&rules::PROFILE_EXPIRED, &[Symptom::WontOpen]),
    (&rules::SIGNING_CERTIFICATES_EXPIRED, &[Symptom::WontOpen]),
    // a revoked certificate: installed copies (enterprise apps) stop opening at the next OCSP check
    (&rules::SIGNING_CERTIFICATE_REVOKED, &[Symptom::WontOpen]),
    // a development or ad hoc build: Developer Mode, and only listed devices
    (&rules::DEVELOPMENT_PROFILE, &[Symptom::DeveloperMode]),
    // the installer never asks: a login page, an HTML page or a bot challenge instead of the manifest
    (&rules::AUTH_REQUIRED, &[Symptom::NothingHappens]),
    (&rules::UNEXPECTED_HTML, &[Symptom::NothingHappens]),
    (&rules::BOT_CHALLENGE, &[Symptom::NothingHappens]),
    // where these fail, they fail as the manifest fetch does: a chain the phone cannot complete,
    // a manifest URL cut at "#" or read with "+" asks for a file that is not there (404)
    (&rules::INCOMPLETE_CHAIN, &[Symptom::CannotConnect]),
    (&rules::MANIFEST_FRAGMENT_NOT_ENCODED, &[Symptom::CannotConnect]),
    (&rules::PLUS_IN_MANIFEST_URL, &[Symptom::CannotConnect]),
    // the installer's own answer differs: the manifest it gets (Cannot Connect) or the package
    (
        &rules::USER_AGENT_DEPENDENT,
        &[Symptom::CannotConnect, Symptom::UnableToDownload],
    ),
    // a download that fails part way, or a manifest key read as missing
    (&rules::MISSING_CONTENT_LENGTH, &[Symptom::UnableToDownload]),
    (&rules::UNKNOWN_KEY, &[Symptom::UnableToDownload]),
    // installd picks one app, or refuses the package
    (&rules::MULTIPLE_APPS, &[Symptom::UnableToInstall]),
];

/// The symptoms a rule explains: those its device text names, and those it implies.
pub fn of_rule(rule: &Rule) -> Vec<Symptom> {
    let mut out = named_in(rule.device_symptom);
    let implied = IMPLIED
        .iter()
        .filter(|(r, _)| r.code == rule.code)
        .flat_map(|(_, symptoms)| symptoms.iter());
    for s in implied {
        if !out.contains(s) {
            out.push(*s);
        }
    }
    out.sort();
    out
}

/// What `--symptom` found: the symptoms named, and which findings explain them.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    /// The text as given.
    pub text: String,
    /// The known messages it matched (empty: it matched none).
    pub matched: Vec<Symptom>,
    /// Codes of the findings that explain it, most severe first (they lead the findings).
    pub explained_by: Vec<String>,
    /// When no finding explains it: what to check on the device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub check_on_device: Vec<&'static str>,
}

/// What to check on the phone when the server side explains nothing.
pub const DEVICE_CHECKS: &[&str] = &[
    "open the link in Safari: in-app browsers (Gmail, Outlook, Slack, Teams, LinkedIn) do not open itms-services links",
    "for ad hoc and development builds on iOS 16 and later: Settings › Privacy & Security › Developer Mode is on (the phone restarts to turn it on)",
    "no App Store copy of the same app is installed (delete it first: the installer skips an app it already has from the App Store)",
    "app installs are allowed: Screen Time › Content & Privacy Restrictions › iTunes & App Store Purchases › Installing Apps, and no MDM restriction",
    "enough free storage, and the phone's date and time set automatically",
];

/// Whether `finding` explains one of `symptoms`: its rule does, or its own device text does.
pub fn explains(finding: &Finding, symptoms: &[Symptom]) -> bool {
    of_rule(finding.rule)
        .iter()
        .chain(named_in(&finding.device_symptom).iter())
        .any(|s| symptoms.contains(s))
}

/// Triage for `text`: moves the findings that explain it first (most severe first, the order
/// within each group kept otherwise) and says which they are.
pub fn triage(text: &str, findings: &mut [Finding]) -> Triage {
    let matched = named_in(text);
    findings.sort_by_key(|f| (!explains(f, &matched), std::cmp::Reverse(f.severity)));
    let explained_by: Vec<String> = findings
        .iter()
        .filter(|f| explains(f, &matched))
        .map(|f| f.rule.code.to_string())
        .collect();
    let check_on_device = if explained_by.is_empty() {
        DEVICE_CHECKS.to_vec()
    } else {
        Vec::new()
    };
    Triage {
        text: text.to_string(),
        matched,
        explained_by,
        check_on_device,
    }
}

/// What device evidence showed, event by event: the rules that can cause each, and the findings
/// of this run that explain it (those come first among the findings).
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceTriage {
    pub events: Vec<EventVerdict>,
    /// Failure events no finding explains.
    pub unexplained: usize,
}

/// One event of device evidence, judged.
#[derive(Debug, Clone, Serialize)]
pub struct EventVerdict {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    pub kind: EventKind,
    pub summary: &'static str,
    /// The log's own words (capped).
    pub text: String,
    pub codes: Vec<CodeNote>,
    /// Whether the event is a failure (the others are steps the device took).
    pub failure: bool,
    /// The rules whose causes produce it.
    pub causes: Vec<&'static str>,
    /// Codes of this run's findings that explain it.
    pub explained_by: Vec<String>,
    /// What else the evidence and the run show about it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An error code of an event, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct CodeNote {
    /// As the domain writes it: `0xe8008015 (-402620395)`, `ASDErrorDomain 507`.
    pub code: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub name: &'static str,
    pub meaning: String,
    /// Whether otadoctor's table knows it.
    pub known: bool,
}

/// The rules that can cause an event: its kind's, and each of its codes'.
pub fn causes_of(event: &DeviceEvent) -> Vec<&'static str> {
    let mut causes: Vec<&'static str> = event.kind.causes().to_vec();
    for code in &event.codes {
        if let Some(rule) = crate::device::events::device_rule(*code)
            && !causes.contains(&rule)
        {
            causes.push(rule);
        }
        if let Some(entry) = codes::find(*code) {
            for rule in entry.rules {
                if !causes.contains(rule) {
                    causes.push(rule);
                }
            }
        }
    }
    causes
}

/// Whether `finding` explains `event`: its rule causes it (a DEV finding only the events on
/// its own lines).
fn explains_event(finding: &Finding, event: &DeviceEvent, causes: &[&str]) -> bool {
    if !causes.contains(&finding.rule.code) {
        return false;
    }
    if finding.rule.family != crate::registry::Family::Dev {
        return true;
    }
    finding
        .evidence
        .get("lines")
        .and_then(|l| l.as_array())
        .is_some_and(|lines| lines.iter().any(|l| l.as_u64() == Some(event.line as u64)))
}

/// Triage of device evidence: each event with the findings that explain it; those findings are
/// moved first (most severe first), the order within each group kept otherwise.
pub fn evidence_triage(facts: &Facts, findings: &mut [Finding]) -> Option<EvidenceTriage> {
    let evidence = facts.evidence.as_ref()?;
    let mut verdicts = Vec::new();
    let mut explaining = vec![false; findings.len()];
    for event in &evidence.events {
        let causes = causes_of(event);
        let mut explained_by: Vec<String> = Vec::new();
        for (i, f) in findings.iter().enumerate() {
            if explains_event(f, event, &causes) {
                explaining[i] = true;
                if !explained_by.iter().any(|c| c == f.rule.code) {
                    explained_by.push(f.rule.code.to_string());
                }
            }
        }
        let codes = event
            .codes
            .iter()
            .map(|c| match codes::find(*c) {
                Some(entry) => CodeNote {
                    code: c.display(),
                    name: entry.name,
                    meaning: entry.meaning.to_string(),
                    known: true,
                },
                None => CodeNote {
                    code: c.display(),
                    name: "",
                    meaning: codes::describe_unknown(*c),
                    known: false,
                },
            })
            .collect();
        let notes = notes_on(facts, event, &explained_by);
        verdicts.push(EventVerdict {
            line: event.line,
            process: event.process.clone(),
            kind: event.kind,
            summary: event.kind.summary(),
            text: event.text.clone(),
            codes,
            failure: event.kind.is_failure(),
            causes,
            explained_by,
            notes,
        });
    }
    // the findings that explain an event first, most severe first
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| (!explaining[i], std::cmp::Reverse(findings[i].severity)));
    let sorted: Vec<Finding> = order.iter().map(|&i| findings[i].clone()).collect();
    findings.clone_from_slice(&sorted);
    let unexplained = verdicts
        .iter()
        .filter(|v| v.failure && v.explained_by.is_empty())
        .count();
    Some(EvidenceTriage {
        events: verdicts,
        unexplained,
    })
}

/// What else can be said of an event: a bundle id that is not the followed manifest's, and why
/// nothing explains it when nothing does.
fn notes_on(facts: &Facts, event: &DeviceEvent, explained_by: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    let manifests: Vec<(&str, &str)> = facts
        .walks
        .iter()
        .filter_map(|w| {
            let document = w.document.as_ref()?.document.as_ref()?;
            let id = document
                .get("items")?
                .get(0)?
                .get("metadata")?
                .get("bundle-identifier")?
                .as_str()?;
            Some((w.manifest_url.as_str(), id))
        })
        .collect();
    let named = event.expected_bundle_id.as_deref().or(event.bundle_id.as_deref());
    if let Some(named) = named {
        for (url, id) in &manifests {
            if *id == named {
                notes.push(format!("the manifest at {url} is for {named} too"));
            } else {
                notes.push(format!(
                    "the log is about {named}, but the manifest at {url} installs {id}: is this the log of this link?"
                ));
            }
        }
    }
    if event.kind == EventKind::PackageHead
        && let Some(url) = &event.url
    {
        let listed: Vec<&str> = facts
            .walks
            .iter()
            .filter_map(|w| {
                let document = w.document.as_ref()?.document.as_ref()?;
                let (_, _, asset) = crate::manifest::package_asset(document)?;
                asset.get("url")?.as_str().map(str::trim)
            })
            .collect();
        if listed.contains(&url.as_str()) {
            notes.push("the manifest otadoctor followed lists this package".to_string());
        } else if let Some(other) = listed.first() {
            notes.push(format!(
                "the manifest otadoctor followed lists another package ({other}): is this the log of this link?"
            ));
        }
    }
    if event.kind.is_failure() && explained_by.is_empty() {
        let walked = !facts.walks.is_empty();
        let bare = facts
            .evidence
            .as_ref()
            .is_some_and(|e| e.format == crate::facts::EvidenceFormat::Code);
        let offline = facts.skipped.iter().any(|s| s.contains("--offline"));
        notes.push(if offline {
            "nothing checked explains it: otadoctor ran --offline; run it without --offline, or on the install link or page".to_string()
        } else if bare {
            "a code alone: run otadoctor on the install link or page (with --udid, and the IPA with --deep) to see which cause it is".to_string()
        } else if !walked {
            "nothing checked explains it: the evidence names no install link or manifest URL; run otadoctor on the install link or page (and --udid, the IPA with --deep)".to_string()
        } else {
            "nothing otadoctor checked explains it: see what the code means, and check the device".to_string()
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_messages_are_recognised_in_a_users_words() {
        assert_eq!(named_in("Cannot Connect to “ota.acme.io”"), [Symptom::CannotConnect]);
        assert_eq!(named_in("unable to download app"), [Symptom::UnableToDownload]);
        assert_eq!(
            named_in("“Field” could not be installed at this time."),
            [Symptom::UnableToDownload]
        );
        assert_eq!(
            named_in("This app cannot be installed because its integrity could not be verified."),
            [Symptom::UnableToInstall]
        );
        assert_eq!(
            named_in("Untrusted Enterprise Developer"),
            [Symptom::UntrustedDeveloper]
        );
        assert_eq!(
            named_in("I tap the button and nothing happens"),
            [Symptom::NothingHappens]
        );
        assert!(named_in("my cat is orange").is_empty());
    }

    #[test]
    fn every_error_rule_explains_a_symptom() {
        let silent: Vec<&str> = crate::registry::ALL
            .iter()
            .filter(|r| r.severity == crate::severity::Severity::Error && of_rule(r).is_empty())
            .map(|r| r.code)
            .collect();
        assert!(silent.is_empty(), "error rules that explain no symptom: {silent:?}");
    }
}
