//! `otadoctor explain <code>`: a device error in all its forms, what it means, the rules whose
//! causes produce it, what otadoctor does not check, where the entry comes from, and the
//! command to run next. Text and JSON; the command line decides which and the exit code.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::codes::{self, Code, DeviceError, SourceKind};
use crate::registry::{self, Rule};

/// What an `explain` argument names.
#[derive(Debug, Clone, Copy)]
pub enum Explained {
    /// A rule, by code or name (rules come first).
    Rule(&'static Rule),
    /// A device error the table knows.
    Known(&'static DeviceError),
    /// A well-formed code the table does not know.
    Unknown(Code),
    /// Neither a rule nor a code.
    NotFound,
}

/// Reads an `explain` argument: a rule first, then a code in any spelling, then a symbolic name.
pub fn lookup(key: &str) -> Explained {
    if let Some(rule) = registry::lookup(key) {
        return Explained::Rule(rule);
    }
    if let Some(code) = codes::parse(key) {
        return match codes::find(code) {
            Some(entry) => Explained::Known(entry),
            None => Explained::Unknown(code),
        };
    }
    match codes::by_name(key) {
        Some(entry) => Explained::Known(entry),
        None => Explained::NotFound,
    }
}

/// Every spelling of a code a log, a tool or a user writes: installd's hex, signed and unsigned
/// decimal; a domain code as `Domain code` and `Error Domain=… Code=…`.
pub fn forms(code: Code) -> Vec<String> {
    match code.signed() {
        Some(signed) => vec![
            format!("{:#010x}", code.value),
            signed.to_string(),
            code.value.to_string(),
        ],
        None => vec![
            format!("{} {}", code.domain.name(), code.value),
            format!("Error Domain={} Code={}", code.domain.name(), code.value),
        ],
    }
}

/// How a source is marked for people.
pub fn kind_label(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Apple => "Apple",
        SourceKind::Tool => "tool table",
        SourceKind::Report => "reported",
    }
}

/// The registered rules of an entry, in its order (an unregistered code is skipped: the table's
/// tests keep that from happening).
fn rules(entry: &DeviceError) -> Vec<&'static Rule> {
    entry.rules.iter().filter_map(|code| registry::lookup(code)).collect()
}

/// The commands to run next, chosen from the entry's rules: the package rules want the package
/// (with `--udid`, `--ios`, `--device`, `--deep` when a rule needs them), the chain rules the
/// install link, the device rules their own doc; the entry's own commands (an MDM manifest) first.
pub fn next_steps(entry: &DeviceError) -> Vec<String> {
    let mut out: Vec<String> = entry.next.iter().map(|s| (*s).to_string()).collect();
    let codes = entry.rules;
    let has = |code: &str| codes.contains(&code);
    let family = |prefix: &str| {
        codes
            .iter()
            .any(|c| c.starts_with(prefix) && c[prefix.len()..].bytes().all(|b| b.is_ascii_digit()))
    };
    let package = family("IPA")
        || family("APP")
        || family("SIG")
        || has("MAN014")
        || has("MAN015")
        || has("MAN016")
        || has("HTTP011");
    let chain = family("LNK")
        || family("URL")
        || family("NET")
        || family("TLS")
        || family("HTTP")
        || codes
            .iter()
            .any(|c| c.starts_with("MAN") && !matches!(*c, "MAN014" | "MAN015" | "MAN016"));
    let mut flags = String::new();
    if has("SIG005") {
        flags.push_str("--udid <UDID> ");
    }
    if has("APP003") {
        flags.push_str("--ios <VERSION> ");
    }
    if has("APP004") {
        flags.push_str("--device iphone|ipad ");
    }
    if has("SIG010") || has("MAN016") {
        flags.push_str("--deep ");
    }
    if package {
        out.push(format!(
            "otadoctor {flags}App.ipa   # the package itself: its archive, Info.plist, profile and seal"
        ));
        out.push(format!(
            "otadoctor {flags}'<install link>'   # the same, on the package the link installs"
        ));
    } else if chain && entry.next.is_empty() {
        out.push(
            "otadoctor '<install link>'   # follows the link like the device: names the host and the check that fails"
                .to_string(),
        );
    }
    for code in codes.iter().filter(|c| c.starts_with("DEV")) {
        out.push(format!("otadoctor explain {code}   # what to do on the device"));
    }
    if out.is_empty() && !entry.unchecked.is_empty() {
        out.push("check by hand, as \"Not checked by otadoctor\" says".to_string());
    }
    out
}

/// The entry for people.
pub fn human(entry: &DeviceError) -> String {
    let code = entry.code;
    let mut out = String::new();
    let _ = writeln!(out, "{}", code.display());
    let _ = writeln!(out, "  forms     {}", forms(code).join(" · "));
    for also in entry.also {
        let other = Code::new(code.domain, *also);
        let _ = writeln!(out, "  also      {} (the same meaning)", forms(other).join(" · "));
    }
    let _ = writeln!(out, "  domain    {}: {}", code.domain.name(), code.domain.about());
    if !entry.name.is_empty() {
        let _ = writeln!(out, "  name      {}", entry.name);
    }
    let _ = writeln!(out, "  message   {}", entry.message);
    let _ = writeln!(out, "  meaning   {}", entry.meaning);
    let rules = rules(entry);
    if !rules.is_empty() {
        let _ = writeln!(out, "\nRules to check:");
        for rule in &rules {
            let _ = writeln!(
                out,
                "  {:<7}  {} — {} · otadoctor explain {}",
                rule.code, rule.name, rule.summary, rule.code
            );
        }
    }
    if !entry.unchecked.is_empty() {
        let _ = writeln!(out, "\nNot checked by otadoctor:\n  {}", entry.unchecked);
    }
    let _ = writeln!(out, "\nSources:");
    for source in entry.sources {
        let _ = writeln!(out, "  [{}] {} <{}>", kind_label(source.kind), source.title, source.url);
    }
    let _ = writeln!(out, "\nNext:");
    for step in next_steps(entry) {
        let _ = writeln!(out, "  {step}");
    }
    out
}

/// The code's fields as JSON (without the document's `schema_version`).
fn code_json(code: Code) -> Value {
    let mut value = json!({
        "domain": code.domain.name(),
        "value": code.value,
        "display": code.display(),
        "forms": forms(code),
    });
    if let (Some(signed), Some(object)) = (code.signed(), value.as_object_mut()) {
        object.insert("hex".into(), json!(format!("{:#010x}", code.value)));
        object.insert("signed".into(), json!(signed));
    }
    value
}

/// The entry as JSON fields (the caller adds `schema_version`).
pub fn json(entry: &DeviceError) -> Value {
    json!({
        "kind": "device_error",
        "known": true,
        "code": code_json(entry.code),
        "also": entry.also.iter().map(|v| code_json(Code::new(entry.code.domain, *v))).collect::<Vec<_>>(),
        "name": entry.name,
        "message": entry.message,
        "meaning": entry.meaning,
        "rules": rules(entry).iter().map(|r| json!({
            "code": r.code,
            "name": r.name,
            "summary": r.summary,
            "explain": format!("otadoctor explain {}", r.code),
        })).collect::<Vec<_>>(),
        "unchecked": entry.unchecked,
        "sources": entry.sources,
        "next": next_steps(entry),
    })
}

/// A code the table does not know, as JSON fields.
pub fn unknown_json(code: Code) -> Value {
    json!({
        "kind": "device_error",
        "known": false,
        "code": code_json(code),
        "description": codes::describe_unknown(code),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::codes::Domain;

    #[test]
    fn rules_come_first_then_codes_then_names() {
        assert!(matches!(lookup("LNK006"), Explained::Rule(r) if r.code == "LNK006"));
        assert!(matches!(lookup("install-prohibited"), Explained::Rule(r) if r.code == "DEV003"));
        assert!(matches!(lookup("-402653033"), Explained::Known(e) if e.name == "InstallProhibited"));
        assert!(matches!(lookup("kAMDInstallProhibitedError"), Explained::Known(e) if e.code.value == 0xe800_0097));
        assert!(matches!(lookup("INSTPROXY_E_INSTALL_PROHIBITED"), Explained::Known(e) if e.code.value == 0xe800_0097));
        assert!(matches!(lookup("0xe80080ab"), Explained::Unknown(c) if c.value == 0xe800_80ab));
        assert!(matches!(lookup("ASDErrorDomain 512"), Explained::Unknown(c) if c.domain == Domain::Asd));
        assert!(matches!(lookup("no such thing"), Explained::NotFound));
    }

    #[test]
    fn next_steps_follow_the_rules() {
        let find = |text: &str| codes::find(codes::parse(text).expect("a code")).expect("in the table");
        let provisioning = next_steps(find("0xe8008015"));
        assert!(
            provisioning[0].starts_with("otadoctor --udid <UDID> App.ipa"),
            "{provisioning:?}"
        );
        let os = next_steps(find("0xe800007e"));
        assert!(os[0].starts_with("otadoctor --ios <VERSION> App.ipa"), "{os:?}");
        let tls = next_steps(find("NSURLErrorDomain -1202"));
        assert_eq!(tls.len(), 1);
        assert!(tls[0].starts_with("otadoctor '<install link>'"), "{tls:?}");
        let mdm = next_steps(find("ASDErrorDomain 850"));
        assert!(mdm[0].starts_with("otadoctor --via mdm "), "{mdm:?}");
        let storage = next_steps(find("0xe80000c0"));
        assert_eq!(storage, ["otadoctor explain DEV002   # what to do on the device"]);
        let hand = next_steps(find("0xe8008024"));
        assert_eq!(hand.len(), 1);
        assert!(hand[0].starts_with("check by hand"), "{hand:?}");
        let identifier = next_steps(find("0xe80000c5"));
        assert!(identifier[0].starts_with("otadoctor "), "{identifier:?}");
    }

    #[test]
    fn forms_are_every_spelling_parse_reads_back() {
        for entry in codes::ALL {
            for form in forms(entry.code) {
                assert_eq!(codes::parse(&form), Some(entry.code), "{form}");
            }
        }
    }
}
