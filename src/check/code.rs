//! SIG017–SIG021: each Mach-O's code signature judged as installd does — against itself (the
//! CMS signature over the CodeDirectory, the hashes it binds), against the profile of its bundle
//! (signer, entitlements, team) and against the bundle (identifier). One finding per file, the
//! file named; a fat file's slices are judged together, a slice named when they differ.

use serde_json::Value;

use crate::codesign::{CodeSignatureFacts, SLOT_DER_ENTITLEMENTS, SLOT_ENTITLEMENTS, SLOT_REQUIREMENTS};
use crate::facts::{BundleFacts, MachOFacts, MachORole, PackageFacts, ProfileFacts, ProfileKind, WalkFacts};
use crate::finding::{Finding, Subject};
use crate::registry as rules;

/// Runs the code signature rules over the package of a walk.
pub fn check(walk: &WalkFacts, out: &mut Vec<Finding>) {
    let Some(package) = &walk.package else { return };
    if package.error.is_some() || package.machos.is_empty() {
        return;
    }
    let subject = super::package_subject(walk, package);
    for signed in signed_files(package) {
        code_signature_invalid(&signed, &subject, out);
        signer_not_in_profile(&signed, &subject, out);
        entitlements_not_allowed(&signed, &subject, out);
        signing_identifier_mismatch(&signed, &subject, out);
    }
    missing_der_entitlements(package, &subject, out);
}

/// A Mach-O whose signature was read: the file, its bundle, and each slice's signature.
struct Signed<'a> {
    macho: &'a MachOFacts,
    bundle: Option<&'a BundleFacts>,
    /// (the slice's architecture, its signature)
    slices: Vec<(&'a str, &'a CodeSignatureFacts)>,
}

impl Signed<'_> {
    /// `Payload/Field.app/Field`, as the messages name it.
    fn file(&self) -> String {
        format!("\"{}\"", self.macho.path)
    }

    fn profile(&self) -> Option<&ProfileFacts> {
        self.bundle
            .and_then(|b| b.profile.as_ref())
            .filter(|p| p.error.is_none())
    }

    /// What `judge` finds in each slice, a slice named when a fat file's slices differ.
    fn per_slice(&self, judge: impl Fn(&CodeSignatureFacts) -> Vec<String>) -> Vec<String> {
        let found: Vec<(&str, Vec<String>)> = self.slices.iter().map(|(arch, sig)| (*arch, judge(sig))).collect();
        let all_same = found.windows(2).all(|w| w[0].1 == w[1].1);
        let mut out: Vec<String> = Vec::new();
        for (arch, problems) in &found {
            for p in problems {
                let p = if all_same || !self.macho.fat {
                    p.clone()
                } else {
                    format!("{p} (its {arch} slice)")
                };
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }
}

/// Every Mach-O with at least one slice whose signature was read and holds a CodeDirectory
/// (no signature, or none that reads, is SIG016's).
fn signed_files(package: &PackageFacts) -> Vec<Signed<'_>> {
    package
        .machos
        .iter()
        .filter(|m| m.error.is_none())
        .filter_map(|macho| {
            let slices: Vec<(&str, &CodeSignatureFacts)> = macho
                .slices
                .iter()
                .filter_map(|s| s.signature.as_ref().map(|sig| (s.arch.as_str(), sig)))
                .filter(|(_, sig)| sig.error.is_none() && !sig.directories.is_empty())
                .collect();
            if slices.is_empty() {
                return None;
            }
            let bundle = package.bundles.iter().find(|b| b.path == macho.bundle);
            Some(Signed { macho, bundle, slices })
        })
        .collect()
}

/// "a, b and c"
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Why a code signature does not hold together (SIG017): what installd's checks would refuse.
/// Empty when it does. Public for the property test.
pub fn signature_problems(sig: &CodeSignatureFacts) -> Vec<String> {
    let mut problems = Vec::new();
    for cd in &sig.directories {
        let which = if cd.slot == 0 {
            "its CodeDirectory".to_string()
        } else {
            format!("its alternate CodeDirectory (slot {:#x})", cd.slot)
        };
        if let Some(e) = &cd.error {
            problems.push(format!("{which} does not read: {e}"));
            continue;
        }
        for slot in &cd.special {
            // the blobs inside the signature must be bound; the bundle's files when hashed
            let inside = matches!(slot.slot, SLOT_REQUIREMENTS | SLOT_ENTITLEMENTS | SLOT_DER_ENTITLEMENTS);
            if slot.listed && !slot.matches {
                problems.push(format!("the {} differ from the hash {which} lists", plural(&slot.name)));
            } else if !slot.listed && inside && slot.slot != SLOT_REQUIREMENTS {
                problems.push(format!("the {} are not bound by {which}", plural(&slot.name)));
            }
        }
        if let Some(pages) = &cd.pages {
            if let Some(e) = &pages.error {
                problems.push(format!("the file is shorter than {which} covers ({e})"));
            } else if pages.differing > 0 {
                let first: Vec<String> = pages.first_differing.iter().map(u32::to_string).collect();
                problems.push(format!(
                    "{} of its {} code pages differ from the hashes {which} lists (page {}{}): the file was changed after signing",
                    pages.differing,
                    pages.pages,
                    first.join(", "),
                    if pages.differing as usize > first.len() { ", …" } else { "" }
                ));
            }
        }
    }
    match &sig.cms {
        None if sig.adhoc() => {} // no signer at all: SIG018's
        None => problems.push("its CodeDirectory is not signed: there is no CMS signature".to_string()),
        Some(cms) => {
            if let Some(e) = &cms.error {
                problems.push(format!("its CMS signature cannot be checked: {e}"));
            } else {
                if !cms.signature_verifies {
                    problems.push("its CMS signature does not verify with the signer's key".to_string());
                }
                match cms.message_digest {
                    Some(true) => {}
                    Some(false) => problems.push(
                        "its CodeDirectory is not the one that was signed: it was changed after signing".to_string(),
                    ),
                    None => problems.push("its CMS signature signs no message digest".to_string()),
                }
                if cms.cdhashes == Some(false) {
                    problems
                        .push("the signed cdhashes attribute does not list the CodeDirectories present".to_string());
                }
                if cms.hash_agility == Some(false) {
                    problems.push(
                        "the signed hash-agility attribute does not name the CodeDirectories present".to_string(),
                    );
                }
            }
        }
    }
    problems
}

/// "entitlements" stay, "Info.plist" becomes "Info.plist's bytes".
fn plural(name: &str) -> String {
    match name {
        "entitlements" | "DER entitlements" | "requirements" => name.to_string(),
        other => format!("{other}'s bytes"),
    }
}

/// SIG017: the signature does not hold together (see [`signature_problems`]).
fn code_signature_invalid(signed: &Signed<'_>, subject: &Subject, out: &mut Vec<Finding>) {
    let problems = signed.per_slice(signature_problems);
    if problems.is_empty() {
        return;
    }
    let pages = problems
        .iter()
        .any(|p| p.contains("code pages") || p.contains("shorter than"));
    let device = if pages {
        "\"Unable to Install\": this app cannot be installed because its integrity could not be verified (0xe800800f: the signature is valid but does not match the expected hash)"
    } else {
        "\"Unable to Install\": this app cannot be installed because its integrity could not be verified (0xe8008014: the executable contains an invalid signature)"
    };
    out.push(
        Finding::new(
            &rules::CODE_SIGNATURE_INVALID,
            subject.clone(),
            format!("the code signature of {} is invalid: {}", signed.file(), and_list(&problems)),
            "sign again after the last change to the file, from the inside out (frameworks first, then extensions, then the app): codesign --force --sign \"<identity>\" --entitlements <entitlements.plist> <file>; never strip, patch or re-zip a binary after signing, and check with codesign --verify --strict --verbose=4",
        )
        .device(device)
        .evidence("file", signed.macho.path.clone()),
    );
}

/// SIG018: the certificate that signed the file is not one of its bundle's profile's
/// DeveloperCertificates (or there is none: an ad hoc signature).
fn signer_not_in_profile(signed: &Signed<'_>, subject: &Subject, out: &mut Vec<Finding>) {
    let Some(profile) = signed.profile() else { return };
    let allowed: Vec<&str> = profile
        .developer_certificates
        .iter()
        .filter(|c| !c.sha256.is_empty())
        .map(|c| c.sha256.as_str())
        .collect();
    if allowed.is_empty() {
        return;
    }
    let problems = signed.per_slice(|sig| match &sig.cms {
        None if sig.adhoc() => vec!["it is signed ad hoc, with no certificate".to_string()],
        Some(cms) if cms.error.is_none() => match &cms.signer {
            Some(signer) if !allowed.contains(&signer.sha256.as_str()) => {
                let team = signer
                    .team
                    .as_deref()
                    .map(|t| format!(", team {t}"))
                    .unwrap_or_default();
                vec![format!(
                    "it was signed by \"{}\" (serial {}{team})",
                    signer.subject, signer.serial
                )]
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    });
    if problems.is_empty() {
        return;
    }
    let names: Vec<String> = profile
        .developer_certificates
        .iter()
        .filter(|c| c.error.is_none())
        .map(|c| format!("\"{}\"", c.subject))
        .collect();
    let owner = signed
        .bundle
        .map(super::called)
        .unwrap_or_else(|| "its bundle".to_string());
    out.push(
        Finding::new(
            &rules::SIGNER_NOT_IN_PROFILE,
            subject.clone(),
            format!(
                "{}: {}, which is not one of the DeveloperCertificates of the profile of {owner} ({})",
                signed.file(),
                and_list(&problems),
                and_list(&names)
            ),
            "sign every Mach-O (frameworks and extensions too) with a certificate the profile lists, or make a new profile in the developer account that includes the signing certificate, and export again",
        )
        .evidence("file", signed.macho.path.clone()),
    );
}

/// Whether the profile's `granted` value covers the `claimed` one, as iOS resolves them: a `*`
/// grants anything, a string ending in `*` is a prefix (`A1B2C3D4E5.*`), a list grants each of
/// its items, a claimed list needs each item granted, claiming `false` is always allowed.
fn granted(claimed: &Value, granted_value: &Value) -> bool {
    match (claimed, granted_value) {
        (_, Value::String(g)) if g == "*" => true,
        (Value::Bool(false), _) => true,
        (Value::Array(items), _) => items.iter().all(|c| granted(c, granted_value)),
        (Value::String(c), Value::String(g)) => match g.strip_suffix('*') {
            Some(prefix) => c.starts_with(prefix),
            None => c == g,
        },
        (_, Value::Array(grants)) => grants.iter().any(|g| granted(claimed, g)),
        (c, g) => c == g,
    }
}

/// A value as a message quotes it: strings quoted, lists of strings listed.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    crate::text::ellipsize(&text, 120)
}

/// SIG019: entitlements the signature claims that the bundle's profile does not grant.
fn entitlements_not_allowed(signed: &Signed<'_>, subject: &Subject, out: &mut Vec<Finding>) {
    if signed.macho.role != MachORole::Main {
        return;
    }
    let Some(profile) = signed.profile() else { return };
    let Some(Value::Object(grants)) = &profile.entitlements else {
        return;
    };
    let mut debug_build = false;
    let problems = signed.per_slice(|sig| {
        let Some(Value::Object(claims)) = sig.effective_entitlements() else {
            return Vec::new();
        };
        let mut refused = Vec::new();
        if let Some(g) = grants.get("application-identifier")
            && !claims.contains_key("application-identifier")
        {
            refused.push(format!(
                "no application-identifier (the profile grants {}): the device cannot tell which app it is",
                shown(g)
            ));
        }
        for (key, claimed) in claims {
            match grants.get(key) {
                Some(g) if granted(claimed, g) => {}
                Some(g) => refused.push(format!("{key} {} (the profile grants {})", shown(claimed), shown(g))),
                None if claimed == &Value::Bool(false) => {}
                None => refused.push(format!("{key} {} (the profile does not grant it)", shown(claimed))),
            }
        }
        refused
    });
    if problems.is_empty() {
        return;
    }
    if problems.iter().any(|p| p.starts_with("get-task-allow true")) {
        debug_build = matches!(profile.kind, Some(ProfileKind::AdHoc | ProfileKind::Enterprise));
    }
    let kind = profile.kind.map(ProfileKind::words).unwrap_or("distribution");
    let mut message = format!(
        "{} is signed with entitlements the {kind} profile does not grant: {}",
        signed.file(),
        and_list(&problems)
    );
    if debug_build {
        message.push_str(&format!(
            "; get-task-allow true is a development build's: an {kind} profile never allows it"
        ));
    }
    out.push(
        Finding::new(
            &rules::ENTITLEMENTS_NOT_ALLOWED,
            subject.clone(),
            message,
            format!(
                "export the archive again for {kind} distribution (Xcode Organizer › Distribute App) so the entitlements come from the profile, or enable the capability on the App ID and download a new profile; when re-signing by hand, pass an entitlements file holding only what the profile's Entitlements grant (security cms -D -i embedded.mobileprovision shows them)"
            ),
        )
        .evidence("file", signed.macho.path.clone()),
    );
}

/// SIG020: entitlements signed as XML only, or DER entitlements that do not read or do not say
/// what the XML ones do. One finding for the package, every file named.
fn missing_der_entitlements(package: &PackageFacts, subject: &Subject, out: &mut Vec<Finding>) {
    let mut missing: Vec<String> = Vec::new();
    let mut differing: Vec<String> = Vec::new();
    for signed in signed_files(package) {
        for (_, sig) in &signed.slices {
            let Some(xml) = &sig.entitlements else { continue };
            match &sig.der_entitlements {
                None => missing.push(signed.file()),
                Some(der) if der.error.is_some() => differing.push(format!(
                    "{} (its DER entitlements do not read: {})",
                    signed.file(),
                    der.error.as_deref().unwrap_or_default()
                )),
                Some(der) if xml.value.is_some() && der.value != xml.value => differing.push(format!(
                    "{} (its DER entitlements differ from its XML ones)",
                    signed.file()
                )),
                Some(_) => {}
            }
        }
    }
    missing.dedup();
    differing.dedup();
    if missing.is_empty() && differing.is_empty() {
        return;
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "{} {} signed entitlements only as XML, without the DER entitlements iOS 15 and later require",
            and_list(&missing),
            if missing.len() == 1 { "has" } else { "have" }
        ));
    }
    if !differing.is_empty() {
        parts.push(format!("the DER entitlements are wrong in {}", and_list(&differing)));
    }
    out.push(
        Finding::new(
            &rules::MISSING_DER_ENTITLEMENTS,
            subject.clone(),
            parts.join("; "),
            "sign again with Xcode 13 or later (codesign adds the DER entitlements itself; with an older macOS pass --generate-entitlement-der), or update the re-signing tool (fastlane sigh resign, zsign, isign) to one that writes them",
        )
        .evidence("files", missing.len() + differing.len()),
    );
}

/// SIG021: a bundle executable's CodeDirectory identifier is not the bundle's
/// CFBundleIdentifier, or a file's team id is not its bundle's profile's.
fn signing_identifier_mismatch(signed: &Signed<'_>, subject: &Subject, out: &mut Vec<Finding>) {
    let bundle_id = signed
        .bundle
        .filter(|_| signed.macho.role == MachORole::Main)
        .and_then(|b| b.info_str("CFBundleIdentifier"));
    let team = signed.profile().and_then(|p| p.team_identifier.first());
    let problems = signed.per_slice(|sig| {
        let Some(cd) = sig.primary().filter(|d| d.error.is_none()) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        if let Some(id) = bundle_id.filter(|id| *id != cd.identifier) {
            found.push(format!(
                "its signing identifier is \"{}\", the bundle's CFBundleIdentifier \"{id}\"",
                cd.identifier
            ));
        }
        if let (Some(team), false) = (team, sig.adhoc()) {
            match &cd.team_id {
                Some(t) if t != team => {
                    found.push(format!("its team id is {t}, the profile's {team}"));
                }
                None => found.push(format!("it has no team id, the profile's is {team}")),
                Some(_) => {}
            }
        }
        found
    });
    if problems.is_empty() {
        return;
    }
    out.push(
        Finding::new(
            &rules::SIGNING_IDENTIFIER_MISMATCH,
            subject.clone(),
            format!("{}: {}", signed.file(), and_list(&problems)),
            "sign the bundle again after the last change to its Info.plist (a changed CFBundleIdentifier needs a new signature, and a profile for the new id), with a certificate of the profile's team: codesign --force --sign \"<identity>\" --entitlements <entitlements.plist> Payload/<App>.app",
        )
        .evidence("file", signed.macho.path.clone()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codesign::{CmsSignature, CodeDirectory, Entitlements, SignerCertificate};
    use crate::facts::{CertificateSummary, MachOSlice, PackageFacts};
    use serde_json::json;

    /// A package whose app (com.acme.field, team A1B2C3D4E5) is signed with `sig`, its profile
    /// allowing certificate "aa" and granting `grants`.
    fn walk(sig: CodeSignatureFacts, grants: Value) -> WalkFacts {
        let profile = ProfileFacts {
            kind: Some(ProfileKind::AdHoc),
            team_identifier: vec!["A1B2C3D4E5".into()],
            entitlements: Some(grants),
            developer_certificates: vec![CertificateSummary {
                subject: "Apple Distribution: Acme".into(),
                sha256: "aa".into(),
                ..CertificateSummary::default()
            }],
            ..ProfileFacts::default()
        };
        let bundle = BundleFacts {
            path: "Payload/Field.app".into(),
            info_plist: Some(json!({"CFBundleIdentifier": "com.acme.field"})),
            profile: Some(profile),
            ..BundleFacts::default()
        };
        let macho = MachOFacts {
            path: "Payload/Field.app/Field".into(),
            bundle: "Payload/Field.app".into(),
            slices: vec![MachOSlice {
                arch: "arm64".into(),
                signature: Some(sig),
                ..MachOSlice::default()
            }],
            ..MachOFacts::default()
        };
        WalkFacts {
            package: Some(PackageFacts {
                source: "Field.ipa".into(),
                bundles: vec![bundle],
                machos: vec![macho],
                ..PackageFacts::default()
            }),
            ..WalkFacts::default()
        }
    }

    /// A signature that holds together, signed by certificate "aa".
    fn good() -> CodeSignatureFacts {
        let ents = json!({"application-identifier": "A1B2C3D4E5.com.acme.field", "get-task-allow": false});
        CodeSignatureFacts {
            directories: vec![CodeDirectory {
                identifier: "com.acme.field".into(),
                team_id: Some("A1B2C3D4E5".into()),
                ..CodeDirectory::default()
            }],
            entitlements: Some(Entitlements {
                value: Some(ents.clone()),
                error: None,
            }),
            der_entitlements: Some(Entitlements {
                value: Some(ents),
                error: None,
            }),
            cms: Some(CmsSignature {
                signer: Some(SignerCertificate {
                    subject: "Apple Distribution: Acme".into(),
                    sha256: "aa".into(),
                    ..SignerCertificate::default()
                }),
                signature_verifies: true,
                message_digest: Some(true),
                cdhashes: Some(true),
                ..CmsSignature::default()
            }),
            ..CodeSignatureFacts::default()
        }
    }

    fn grants() -> Value {
        json!({"application-identifier": "A1B2C3D4E5.*", "get-task-allow": false, "keychain-access-groups": ["A1B2C3D4E5.*"]})
    }

    fn codes(sig: CodeSignatureFacts) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        check(&walk(sig, grants()), &mut out);
        out.into_iter().map(|f| (f.rule.code, f.message)).collect()
    }

    #[test]
    fn a_correct_signature_raises_nothing() {
        assert_eq!(codes(good()), vec![]);
    }

    #[test]
    fn sig017_raised_for_a_changed_code_directory() {
        let mut sig = good();
        if let Some(cms) = &mut sig.cms {
            cms.message_digest = Some(false);
        }
        let found = codes(sig);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "SIG017");
        assert!(found[0].1.contains("\"Payload/Field.app/Field\"") && found[0].1.contains("changed after signing"));
    }

    #[test]
    fn sig018_raised_for_another_signer_and_for_ad_hoc() {
        let mut sig = good();
        if let Some(signer) = sig.cms.as_mut().and_then(|c| c.signer.as_mut()) {
            signer.sha256 = "bb".into();
            signer.subject = "Apple Development: Someone".into();
        }
        let found = codes(sig);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["SIG018"], "{found:?}");
        assert!(found[0].1.contains("Apple Development: Someone"));
        let mut adhoc = good();
        adhoc.cms = None;
        adhoc.directories[0].flags = crate::codesign::CS_ADHOC;
        let found = codes(adhoc);
        // ad hoc: no team id judged, no SIG017
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["SIG018"], "{found:?}");
        assert!(found[0].1.contains("ad hoc"));
    }

    #[test]
    fn sig019_raised_for_get_task_allow_and_an_ungranted_key() {
        let mut sig = good();
        let ents = json!({"application-identifier": "A1B2C3D4E5.com.acme.field", "get-task-allow": true, "aps-environment": "development"});
        sig.der_entitlements = Some(Entitlements {
            value: Some(ents.clone()),
            error: None,
        });
        sig.entitlements = Some(Entitlements {
            value: Some(ents),
            error: None,
        });
        let found = codes(sig);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["SIG019"], "{found:?}");
        assert!(
            found[0].1.contains("get-task-allow true (the profile grants false)"),
            "{}",
            found[0].1
        );
        assert!(
            found[0]
                .1
                .contains("aps-environment \"development\" (the profile does not grant it)")
        );
        assert!(found[0].1.contains("never allows it"));
    }

    #[test]
    fn sig020_raised_for_xml_only_entitlements() {
        let mut sig = good();
        sig.der_entitlements = None;
        let found = codes(sig);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["SIG020"], "{found:?}");
        let mut sig = good();
        sig.der_entitlements = Some(Entitlements {
            value: Some(json!({"application-identifier": "A1B2C3D4E5.com.acme.field"})),
            error: None,
        });
        let found = codes(sig);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["SIG020"], "{found:?}");
        assert!(found[0].1.contains("differ from its XML ones"), "{found:?}");
    }

    #[test]
    fn sig021_raised_for_identifier_and_team() {
        let mut sig = good();
        sig.directories[0].identifier = "com.acme.other".into();
        sig.directories[0].team_id = Some("Z9Y8X7W6V5".into());
        let found = codes(sig);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["SIG021"], "{found:?}");
        assert!(
            found[0]
                .1
                .contains("\"com.acme.other\", the bundle's CFBundleIdentifier \"com.acme.field\"")
        );
        assert!(found[0].1.contains("team id is Z9Y8X7W6V5, the profile's A1B2C3D4E5"));
    }

    #[test]
    fn wildcards_and_team_prefixes_grant_as_ios_resolves_them() {
        assert!(granted(&json!("A1B2C3D4E5.com.example.field"), &json!("A1B2C3D4E5.*")));
        assert!(!granted(&json!("Z9Y8X7W6V5.com.example.field"), &json!("A1B2C3D4E5.*")));
        assert!(granted(&json!(["A1B2C3D4E5.shared"]), &json!(["A1B2C3D4E5.*"])));
        assert!(!granted(
            &json!(["A1B2C3D4E5.shared", "other"]),
            &json!(["A1B2C3D4E5.*"])
        ));
        assert!(granted(&json!(["applinks:example.org"]), &json!("*")));
        assert!(granted(&json!("production"), &json!("production")));
        assert!(!granted(&json!("development"), &json!("production")));
        assert!(granted(&json!(false), &json!(true)));
        assert!(!granted(&json!(true), &json!(false)));
        assert!(granted(&json!("group.a"), &json!(["group.a", "group.b"])));
    }
}
