//! Symptom triage: what the device showed, matched to the messages iOS shows, and the rules
//! that explain each. A rule explains the symptoms its device text names (the registry's
//! `device` column is the one source), plus a few the text implies.

use serde::Serialize;

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
    // a development or ad hoc build: Developer Mode, and only listed devices
    (&rules::DEVELOPMENT_PROFILE, &[Symptom::DeveloperMode]),
    // the installer never asks: a login page, an HTML page or a bot challenge instead of the manifest
    (&rules::AUTH_REQUIRED, &[Symptom::NothingHappens]),
    (&rules::UNEXPECTED_HTML, &[Symptom::NothingHappens]),
    (&rules::BOT_CHALLENGE, &[Symptom::NothingHappens]),
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
