//! SIG rules: the provisioning profile of the app and of each extension, the code-signature
//! seal of Info.plist, and the code signature of every Mach-O (SIG017–SIG021). Also the "will
//! it install on this device" answer for `--udid`.

use time::OffsetDateTime;

use serde_json::Value;

use crate::check::{Context, called};
use crate::codesign::{CodeSignatureFacts, SLOT_DER_ENTITLEMENTS, SLOT_ENTITLEMENTS, SLOT_REQUIREMENTS};
use crate::facts::{
    BundleFacts, CertificateRole, Facts, PackageFacts, ProfileFacts, ProfileKind, RevocationFacts, RevocationStatus,
    SignatureVerdict,
};
use crate::facts::{MachOFacts, MachORole};
use crate::finding::{DeviceAnswer, Finding, Provisioned, Resource, Subject};
use crate::registry as rules;

/// Runs the SIG rules over every package of the input and over a profile input.
pub fn check(facts: &Facts, ctx: &Context, out: &mut Vec<Finding>) {
    for walk in &facts.walks {
        let Some(package) = &walk.package else { continue };
        if package.error.is_some() || package.bundles.is_empty() {
            continue;
        }
        let subject = super::package_subject(walk, package);
        no_embedded_profile(package, &subject, out);
        missing_code_signature(package, &subject, out);
        executable_not_signed(package, &subject, out);
        seal_broken(package, &subject, out);
        code_signatures(package, &subject, out);
        let owner = |path: &str| match package.bundles.iter().find(|b| b.path == path) {
            Some(bundle) => called(bundle),
            None => path.to_string(),
        };
        signing_certificate_revoked(&package.revocation, &owner, &subject, out);
        for (i, bundle) in package.bundles.iter().enumerate() {
            info_plist_modified_after_signing(bundle, &subject, out);
            let Some(profile) = &bundle.profile else { continue };
            let p = Checked {
                subject: subject.clone(),
                profile,
                owner: format!("the profile of {}", called(bundle)),
                main: i == 0,
            };
            p.profile_rules(Some(bundle), ctx, out);
        }
    }
    if let Some(profile) = &facts.profile {
        let subject = Subject {
            resource: Resource::Profile,
            target: profile.source.clone(),
            link: None,
        };
        let p = Checked {
            subject,
            profile,
            owner: "the profile".to_string(),
            main: true,
        };
        p.profile_rules(None, ctx, out);
        signing_certificate_revoked(
            &facts.profile_revocation,
            &|_| "the profile".to_string(),
            &p.subject,
            out,
        );
    }
}

/// "has" for one, "have" for more.
fn has(items: &[String]) -> &'static str {
    if items.len() == 1 { "has" } else { "have" }
}

/// "a, b and c"
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// ` "Field Ad Hoc"`: the profile's name, after the owner in a message.
fn quoted_name(p: &ProfileFacts) -> String {
    p.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| day(t))
}

fn day(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// SIG001: a bundle of the package has no embedded.mobileprovision.
fn no_embedded_profile(package: &PackageFacts, subject: &Subject, out: &mut Vec<Finding>) {
    // bundles whose Info.plist was not read are APP001's; their profile is still checked
    let unprofiled: Vec<String> = package
        .bundles
        .iter()
        .filter(|b| b.profile.is_none() && b.profile_error.is_none())
        .map(called)
        .collect();
    if unprofiled.is_empty() {
        return;
    }
    let main_missing = package.bundles.first().is_some_and(|b| b.profile.is_none());
    let message = format!(
        "{} {} no embedded.mobileprovision",
        and_list(&unprofiled),
        has(&unprofiled)
    );
    let (message, fix) = if main_missing {
        (
            format!("{message}: it is an App Store or TestFlight build, or it was never signed for distribution"),
            "export the archive for Ad Hoc, Enterprise or Development distribution (Xcode Organizer › Distribute App, or xcodebuild -exportArchive with method ad-hoc/enterprise/development); a package downloaded from App Store Connect or TestFlight cannot be installed over the air",
        )
    } else {
        (
            format!("{message}: every extension needs a profile of its own"),
            "sign each extension with a profile for its own App ID (Xcode does it on export when each extension target has automatic signing or a profile chosen)",
        )
    };
    out.push(Finding::new(&rules::NO_EMBEDDED_PROFILE, subject.clone(), message, fix));
}

/// SIG022: a certificate that signed the package (a profile's distribution certificate, the
/// profile's signer, the code's signer) or a profile given on its own is revoked, as its OCSP
/// responder answered; `owner` names what each certificate's `bundles` entry is. One finding
/// per certificate; the other answers (good, unknown, none) are the report's, not findings.
fn signing_certificate_revoked(
    revocation: &[RevocationFacts],
    owner: &dyn Fn(&str) -> String,
    subject: &Subject,
    out: &mut Vec<Finding>,
) {
    for cert in revocation.iter().filter(|r| r.status == RevocationStatus::Revoked) {
        let owners: Vec<String> = cert.bundles.iter().map(|path| owner(path)).collect();
        let roles: Vec<String> = cert.roles.iter().map(|r| r.words().to_string()).collect();
        let mut since = String::new();
        if let Some(at) = cert.revoked_at {
            since = format!(" since {}", rfc3339(at));
        }
        if let Some(reason) = &cert.revocation_reason {
            since = if since.is_empty() {
                format!(" ({reason})")
            } else {
                format!("{since} ({reason})")
            };
        }
        let message = format!(
            "the {} \"{}\" (serial {}) of {} is revoked{since}: its OCSP responder {} says so",
            and_list(&roles),
            cert.subject,
            cert.serial,
            and_list(&owners),
            cert.responder.as_deref().unwrap_or("(unnamed)"),
        );
        let fix = if cert.roles.iter().all(|r| *r == CertificateRole::ProfileSigner) {
            "download the profile again from the Apple Developer portal (Profiles › the profile › Download: Apple signs it anew), export the app with it and publish the new package"
        } else {
            "create a new distribution certificate (Apple Developer portal › Certificates › +, or Xcode › Settings › Accounts › Manage Certificates), regenerate the profile with it, export and sign the app again and publish the new package: a revoked certificate cannot be reinstated, and installed copies stop opening"
        };
        let mut finding = Finding::new(&rules::SIGNING_CERTIFICATE_REVOKED, subject.clone(), message, fix)
            .evidence("certificate", cert.subject.clone())
            .evidence("serial", cert.serial.clone())
            .evidence("roles", roles.clone());
        if let Some(responder) = &cert.responder {
            finding = finding.evidence("responder", responder.clone());
        }
        if let Some(at) = cert.revoked_at {
            finding = finding.evidence("revoked_at", rfc3339(at));
        }
        if let Some(reason) = &cert.revocation_reason {
            finding = finding.evidence("reason", reason.clone());
        }
        out.push(finding);
    }
}

/// SIG011: a bundle of the package has no _CodeSignature/CodeResources, or one that cannot be
/// read.
fn missing_code_signature(package: &PackageFacts, subject: &Subject, out: &mut Vec<Finding>) {
    let unsealed: Vec<String> = package
        .bundles
        .iter()
        .filter(|b| b.seal.is_none())
        .map(called)
        .collect();
    if !unsealed.is_empty() {
        out.push(Finding::new(
            &rules::MISSING_CODE_SIGNATURE,
            subject.clone(),
            format!(
                "{} {} no _CodeSignature/CodeResources: {}",
                and_list(&unsealed),
                has(&unsealed),
                if unsealed.len() == 1 {
                    "it is not signed, or the signature was stripped"
                } else {
                    "they are not signed, or the signature was stripped"
                }
            ),
            "sign the app on export (Xcode Organizer › Distribute App); when re-signing by hand, sign every nested bundle, then the app (codesign --force --sign \"<identity>\" --entitlements ent.plist Payload/<App>.app)",
        ));
    }
    // a seal that is there but does not read (not a plist, too deep, too large) seals nothing
    // the device can verify; one stored in a way the archive cannot extract is IPA005's
    for bundle in &package.bundles {
        let Some(why) = bundle.seal.as_ref().and_then(|s| s.error.as_deref()) else {
            continue;
        };
        let name = format!("{}/_CodeSignature/CodeResources", bundle.path);
        if package.odd_methods.iter().any(|(n, _)| *n == name) || package.encrypted.contains(&name) {
            continue;
        }
        out.push(Finding::new(
            &rules::MISSING_CODE_SIGNATURE,
            subject.clone(),
            format!(
                "the code signature seal of {} cannot be read: _CodeSignature/CodeResources {why}",
                called(bundle)
            ),
            "sign the app again on export (Xcode Organizer › Distribute App) and publish that package; never edit files inside _CodeSignature",
        ));
    }
}

/// A CodeDirectory blob's magic (`CSMAGIC_CODEDIRECTORY`).
const CODE_DIRECTORY_MAGIC: u32 = 0xfade_0c02;

/// SIG016: a Mach-O of a signed bundle (one with a CodeResources; an unsigned bundle is SIG011's)
/// has no `LC_CODE_SIGNATURE`, or a signature without a CodeDirectory. Each file is named with
/// why; slices whose load commands were not read say nothing.
fn executable_not_signed(package: &PackageFacts, subject: &Subject, out: &mut Vec<Finding>) {
    let mut unsigned: Vec<String> = Vec::new();
    for macho in &package.machos {
        let signed_bundle = package
            .bundles
            .iter()
            .find(|b| b.path == macho.bundle)
            .is_some_and(|b| b.seal.is_some());
        if !signed_bundle {
            continue;
        }
        if let Some(error) = &macho.error {
            // bytes that are no Mach-O hold no code signature; bytes not had say nothing
            if macho.malformed {
                unsigned.push(format!("{} ({error})", super::macho_called(macho, &package.bundles)));
            }
            continue;
        }
        let mut why: Vec<String> = Vec::new();
        for slice in macho.slices.iter().filter(|s| s.commands_read) {
            let reason = match (&slice.code_signature, &slice.signature) {
                (None, _) => "no LC_CODE_SIGNATURE".to_string(),
                // a SuperBlob whose index does not read has no CodeDirectory the device can
                // find; what is wrong inside a blob that was found is SIG017's
                (Some(_), Some(sig)) => match &sig.error {
                    Some(e) if sig.blobs.is_empty() => format!("a code signature that does not read ({e})"),
                    _ if !sig.blobs.iter().any(|b| b.magic == CODE_DIRECTORY_MAGIC) => {
                        "a code signature without a CodeDirectory".to_string()
                    }
                    _ => continue,
                },
                (Some(_), None) => continue, // not read: said in the facts
            };
            why.push(if macho.fat {
                format!("{reason} in its {} slice", slice.arch)
            } else {
                reason
            });
        }
        if !why.is_empty() {
            why.dedup();
            unsigned.push(format!(
                "{} ({})",
                super::macho_called(macho, &package.bundles),
                and_list(&why)
            ));
        }
    }
    if unsigned.is_empty() {
        return;
    }
    let (has, them) = if unsigned.len() == 1 {
        ("has", "it was")
    } else {
        ("have", "they were")
    };
    out.push(
        Finding::new(
            &rules::EXECUTABLE_NOT_SIGNED,
            subject.clone(),
            format!(
                "{} {has} no code signature: {them} not signed, or changed after signing (stripped, patched, replaced)",
                and_list(&unsigned)
            ),
            "sign every Mach-O from the inside out before the bundle that holds it: frameworks and dylibs (codesign --force --sign \"<identity>\" Payload/<App>.app/Frameworks/*), then each extension and the app with its entitlements; never run strip, lipo or install_name_tool after signing",
        )
        .evidence("files", unsigned.len()),
    );
}

/// SIG010 (`--deep`): files added, removed or changed after the bundle was sealed.
fn seal_broken(package: &PackageFacts, subject: &Subject, out: &mut Vec<Finding>) {
    let Some(deep) = &package.deep else { return };
    for check in &deep.seals {
        let mut parts = Vec::new();
        for (what, names) in [
            ("changed", &check.changed),
            ("added", &check.added),
            ("removed", &check.removed),
        ] {
            if names.is_empty() {
                continue;
            }
            let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
            let more = if names.len() > 5 {
                format!(" and {} more", names.len() - 5)
            } else {
                String::new()
            };
            parts.push(format!("{what}: {}{more}", shown.join(", ")));
        }
        if parts.is_empty() {
            continue;
        }
        out.push(
            Finding::new(
                &rules::SEAL_BROKEN,
                subject.clone(),
                format!(
                    "{} does not match its seal (_CodeSignature/CodeResources) — {}",
                    check.bundle,
                    parts.join("; ")
                ),
                "change nothing inside the .app after signing: make the change in the project and export again, or re-sign the bundle after the change (codesign --force --sign \"<identity>\" --entitlements ent.plist Payload/<App>.app); check with codesign --verify --deep --strict",
            )
            .evidence("changed", check.changed.clone())
            .evidence("added", check.added.clone())
            .evidence("removed", check.removed.clone()),
        );
    }
}

/// SIG009: the Info.plist in the package differs from the hash CodeResources seals for it.
fn info_plist_modified_after_signing(bundle: &BundleFacts, subject: &Subject, out: &mut Vec<Finding>) {
    let Some(seal) = &bundle.seal else { return };
    let Some(sealed) = &seal.info_plist else { return };
    if sealed.actual.is_empty() || sealed.actual == sealed.sealed {
        return;
    }
    out.push(
        Finding::new(
            &rules::INFO_PLIST_MODIFIED_AFTER_SIGNING,
            subject.clone(),
            format!(
                "{}/Info.plist was changed after signing: its {} is {}…, CodeResources ({}) sealed {}…",
                bundle.path,
                sealed.algorithm.to_uppercase().replace("SHA", "SHA-"),
                sealed.actual.chars().take(12).collect::<String>(),
                sealed.key,
                sealed.sealed.chars().take(12).collect::<String>(),
            ),
            "do not edit Info.plist (or anything in the .app) after signing: change the source Info.plist and export again, or re-sign after the edit (codesign --force --sign \"<identity>\" --entitlements ent.plist Payload/<App>.app)",
        )
        .evidence("sealed", sealed.sealed.clone())
        .evidence("actual", sealed.actual.clone())
        .evidence("algorithm", sealed.algorithm.clone()),
    );
}

/// One profile, and where it is.
struct Checked<'a> {
    subject: Subject,
    profile: &'a ProfileFacts,
    /// "the profile of the app Field.app", or "the profile".
    owner: String,
    /// The main app's (or a profile input): the build's type is told once, from it.
    main: bool,
}

/// The fix of SIG003 and SIG004.
const RENEW_PROFILE: &str = "renew the profile in the Apple Developer portal (or let Xcode refresh it), export the app again with it and publish the new package; installed copies stop opening when their profile expires";

impl Checked<'_> {
    fn finding(&self, rule: &'static rules::Rule, message: String, fix: impl Into<String>) -> Finding {
        Finding::new(rule, self.subject.clone(), message, fix)
    }

    /// The rules of one profile, of a bundle (whose id it must cover) or given alone.
    fn profile_rules(&self, bundle: Option<&BundleFacts>, ctx: &Context, out: &mut Vec<Finding>) {
        self.profile_unreadable(out);
        if self.profile.error.is_some() {
            return; // nothing of it was read
        }
        // errors first, then what the type means for users
        self.profile_not_apple_signed(out);
        self.app_store_profile(out);
        self.device_not_provisioned(ctx, out);
        self.profile_expired(ctx, out);
        self.profile_expiring_soon(ctx, out);
        self.signing_certificates_expired(ctx, out);
        if let Some(bundle) = bundle {
            self.app_id_mismatch(bundle, out);
        }
        self.enterprise_trust_required(ctx, out);
        self.development_profile(out);
        self.developer_mode_required(ctx, out);
    }

    /// SIG015: embedded.mobileprovision is not a CMS-signed plist.
    fn profile_unreadable(&self, out: &mut Vec<Finding>) {
        let p = self.profile;
        let Some(error) = &p.error else { return };
        out.push(self.finding(
            &rules::PROFILE_UNREADABLE,
            format!("{} ({}) is not a CMS-signed plist: {error}", self.owner, p.source),
            "download the profile again from the Apple Developer portal (or let Xcode manage signing) and export again; a profile edited by hand or saved as text is not a profile",
        ));
    }

    /// SIG008: the profile's signature does not verify to Apple.
    fn profile_not_apple_signed(&self, out: &mut Vec<Finding>) {
        let sig = &self.profile.signature;
        if matches!(sig.verdict, SignatureVerdict::Apple | SignatureVerdict::ExtraAnchor) {
            return;
        }
        let why = sig.reason.as_deref().unwrap_or("its signature was not verified");
        out.push(
            self.finding(
                &rules::PROFILE_NOT_APPLE_SIGNED,
                format!("{} is not signed by Apple: {why}", self.owner),
                "use a profile as the Apple Developer portal issues it (Certificates, Identifiers & Profiles › Profiles › Download, or Xcode's automatic signing); never edit or re-sign a .mobileprovision",
            )
            .evidence("verdict", sig.verdict.as_str())
            .evidence("chain", sig.chain.clone()),
        );
    }

    /// SIG002: an App Store profile, whose build no device installs.
    fn app_store_profile(&self, out: &mut Vec<Finding>) {
        let p = self.profile;
        if p.kind != Some(ProfileKind::AppStore) {
            return;
        }
        out.push(self.finding(
            &rules::APP_STORE_PROFILE,
            format!(
                "{}{} is an App Store distribution profile (no ProvisionedDevices, not ProvisionsAllDevices): no device installs it over the air",
                self.owner,
                quoted_name(p)
            ),
            "export with an Ad Hoc profile that lists the devices (or an In-House profile for an Enterprise team): Xcode Organizer › Distribute App › Ad Hoc; for testers outside your devices, use TestFlight",
        ));
    }

    /// SIG005: with `--udid`, the device is not listed (an enterprise profile lists every
    /// device; an App Store profile none, which SIG002 says).
    fn device_not_provisioned(&self, ctx: &Context, out: &mut Vec<Finding>) {
        let p = self.profile;
        let Some(udid) = &ctx.udid else { return };
        if matches!(p.kind, Some(ProfileKind::Enterprise | ProfileKind::AppStore)) || lists(p, udid) {
            return;
        }
        let n = p.provisioned_devices.len();
        out.push(
            self.finding(
                &rules::DEVICE_NOT_PROVISIONED,
                format!(
                    "the device {udid} is not in {} ({n} device{} listed)",
                    self.owner,
                    if n == 1 { "" } else { "s" }
                ),
                format!(
                    "register {udid} (Apple Developer portal › Devices, or Xcode › Devices), add it to the profile{}, download it, export again and publish the new package",
                    quoted_name(p)
                ),
            )
            .evidence("udid", udid.clone())
            .evidence("devices", n),
        );
    }

    /// SIG003: the profile has expired.
    fn profile_expired(&self, ctx: &Context, out: &mut Vec<Finding>) {
        let Some(expires) = self.profile.expiration_date else {
            return;
        };
        if expires >= ctx.now {
            return;
        }
        out.push(
            self.finding(
                &rules::PROFILE_EXPIRED,
                format!(
                    "{} expired on {} (ExpirationDate {})",
                    self.owner,
                    day(expires),
                    rfc3339(expires)
                ),
                RENEW_PROFILE,
            )
            .evidence("expiration_date", rfc3339(expires)),
        );
    }

    /// SIG004: the profile has not expired, but will within the warning days.
    fn profile_expiring_soon(&self, ctx: &Context, out: &mut Vec<Finding>) {
        let Some(expires) = self.profile.expiration_date else {
            return;
        };
        if expires < ctx.now {
            return; // SIG003's
        }
        let left = (expires - ctx.now).whole_days();
        if left >= i64::from(ctx.expiry_warning_days) {
            return;
        }
        out.push(
            self.finding(
                &rules::PROFILE_EXPIRING_SOON,
                format!(
                    "{} expires on {}, in {left} day{}",
                    self.owner,
                    day(expires),
                    if left == 1 { "" } else { "s" }
                ),
                RENEW_PROFILE,
            )
            .evidence("expiration_date", rfc3339(expires))
            .evidence("days_left", left),
        );
    }

    /// SIG007: every certificate allowed to sign the app has expired.
    fn signing_certificates_expired(&self, ctx: &Context, out: &mut Vec<Finding>) {
        let certs = &self.profile.developer_certificates;
        let dates: Vec<OffsetDateTime> = certs.iter().filter_map(|c| c.not_after).collect();
        if certs.is_empty() || dates.len() != certs.len() || dates.iter().any(|d| *d >= ctx.now) {
            return;
        }
        let latest = dates.iter().max().copied().unwrap_or(ctx.now);
        let names: Vec<String> = certs.iter().map(|c| format!("\"{}\"", c.subject)).collect();
        out.push(self.finding(
            &rules::SIGNING_CERTIFICATES_EXPIRED,
            format!(
                "every signing certificate in {} has expired ({}; the last on {})",
                self.owner,
                and_list(&names),
                day(latest)
            ),
            "create a new distribution certificate (Apple Developer portal › Certificates, or Xcode › Settings › Accounts › Manage Certificates), regenerate the profile with it, and export and sign the app again",
        ));
    }

    /// SIG006: the application-identifier does not cover TEAMID.CFBundleIdentifier.
    fn app_id_mismatch(&self, bundle: &BundleFacts, out: &mut Vec<Finding>) {
        let Some(app_id) = &self.profile.application_identifier else {
            return;
        };
        let Some(bundle_id) = bundle
            .info_plist
            .as_ref()
            .and_then(|p| p.get("CFBundleIdentifier"))
            .and_then(|v| v.as_str())
        else {
            return;
        };
        let Some((prefix, pattern)) = app_id.split_once('.') else {
            out.push(self.finding(
                &rules::APP_ID_MISMATCH,
                format!(
                    "{} has the application-identifier \"{app_id}\", which has no team prefix",
                    self.owner
                ),
                "use a profile made for this App ID in the Apple Developer portal",
            ));
            return;
        };
        if covers(pattern, bundle_id) {
            return;
        }
        out.push(
            self.finding(
                &rules::APP_ID_MISMATCH,
                format!(
                    "{} is for \"{app_id}\", which does not cover {prefix}.{bundle_id} (CFBundleIdentifier of {})",
                    self.owner,
                    called(bundle)
                ),
                format!(
                    "sign {} with a profile for the App ID {bundle_id} (or a wildcard App ID such as {prefix}.{}*), or set its bundle id to match the profile",
                    called(bundle),
                    bundle_id.rsplit_once('.').map(|(head, _)| format!("{head}.")).unwrap_or_default()
                ),
            )
            .evidence("application_identifier", app_id.clone())
            .evidence("bundle_id", bundle_id.to_string()),
        );
    }

    /// SIG014: an enterprise build, whose developer users must trust (told once, for the app).
    /// Not under `--via mdm`: an enterprise app that MDM installs is trusted automatically (the
    /// facts' `skipped` says so).
    fn enterprise_trust_required(&self, ctx: &Context, out: &mut Vec<Finding>) {
        let p = self.profile;
        if !self.main || p.kind != Some(ProfileKind::Enterprise) || ctx.via == crate::facts::Via::Mdm {
            return;
        }
        out.push(self.finding(
            &rules::ENTERPRISE_TRUST_REQUIRED,
            format!(
                "{}{} is an enterprise (In-House) profile: on first launch the user must trust the developer{}",
                self.owner,
                quoted_name(p),
                p.team_name.as_deref().map(|t| format!(" \"{t}\"")).unwrap_or_default()
            ),
            "tell users: Settings › General › VPN & Device Management › the developer › Trust (with an internet connection; iOS 18 asks to Allow & Restart)",
        ));
    }

    /// SIG012: a development profile, installed by its listed devices only (told once, for the
    /// app).
    fn development_profile(&self, out: &mut Vec<Finding>) {
        let p = self.profile;
        if !self.main || p.kind != Some(ProfileKind::Development) {
            return;
        }
        out.push(self.finding(
            &rules::DEVELOPMENT_PROFILE,
            format!(
                "{}{} is a development profile: only its {} listed devices install the app",
                self.owner,
                quoted_name(p),
                p.provisioned_devices.len()
            ),
            "for testers, export for Ad Hoc distribution (the same device list, no debugger entitlement); development builds are for devices attached to Xcode",
        ));
    }

    /// SIG013: an ad hoc or development build, which opens on iOS 16 and later only with
    /// Developer Mode on (told once, for the app).
    fn developer_mode_required(&self, ctx: &Context, out: &mut Vec<Finding>) {
        let p = self.profile;
        if !self.main {
            return;
        }
        let before_16 = ctx
            .device
            .ios
            .as_ref()
            .is_some_and(|ios| ios.first().is_some_and(|major| *major < 16));
        if !matches!(p.kind, Some(ProfileKind::Development | ProfileKind::AdHoc)) || before_16 {
            return;
        }
        out.push(self.finding(
            &rules::DEVELOPER_MODE_REQUIRED,
            format!(
                "{} is {} profile: on iOS 16 and later the app opens only with Developer Mode on",
                self.owner,
                if p.kind == Some(ProfileKind::Development) { "a development" } else { "an ad hoc" }
            ),
            "tell users: Settings › Privacy & Security › Developer Mode › On, then restart and confirm (the switch appears once an ad hoc or development app is installed)",
        ));
    }
}

/// Whether an App ID pattern (`com.acme.field`, `com.acme.*`, `*`) covers a bundle id: exactly,
/// or by the wildcard's prefix.
pub fn covers(pattern: &str, bundle_id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => bundle_id.starts_with(prefix) && bundle_id.len() > prefix.len(),
        None => pattern == bundle_id,
    }
}

/// Whether the profile lists the device (`udid` normalised; the profile's entries compared the
/// same way).
pub fn lists(profile: &ProfileFacts, udid: &str) -> bool {
    profile
        .provisioned_devices
        .iter()
        .any(|d| crate::check::normalise_udid(d).is_some_and(|d| d == udid))
}

/// Whether the device is provisioned by every profile of the input (the app's and each
/// extension's), with the reason for each.
pub fn device_answer(facts: &Facts, ctx: &Context) -> Option<DeviceAnswer> {
    let udid = ctx.udid.clone()?;
    let mut profiles: Vec<(String, Option<&ProfileFacts>)> = Vec::new();
    for package in facts.walks.iter().filter_map(|w| w.package.as_ref()) {
        for bundle in &package.bundles {
            profiles.push((called(bundle), bundle.profile.as_ref()));
        }
    }
    if let Some(p) = &facts.profile {
        profiles.push(("the profile".to_string(), Some(p)));
    }
    if profiles.is_empty() {
        return Some(DeviceAnswer {
            udid,
            provisioned: Provisioned::Unknown,
            reasons: vec!["no package or profile was read (run without --offline, or pass --ipa)".to_string()],
        });
    }
    let mut all = true;
    let mut reasons = Vec::new();
    for (owner, profile) in profiles {
        let (ok, why) = match profile {
            None => (false, format!("{owner}: no embedded.mobileprovision")),
            Some(p) if p.error.is_some() => (false, format!("{owner}: the profile is unreadable")),
            Some(p) => match p.kind {
                Some(ProfileKind::Enterprise) => (true, format!("{owner}: enterprise profile, every device")),
                Some(ProfileKind::AppStore) => (false, format!("{owner}: App Store profile, no device")),
                kind => {
                    let listed = lists(p, &udid);
                    let what = format!(
                        "{}listed ({} profile, {} devices)",
                        if listed { "" } else { "not " },
                        kind.map_or("", ProfileKind::words),
                        p.provisioned_devices.len()
                    );
                    (listed, format!("{owner}: {what}"))
                }
            },
        };
        all &= ok;
        reasons.push(why);
    }
    Some(DeviceAnswer {
        udid,
        provisioned: if all { Provisioned::Yes } else { Provisioned::No },
        reasons,
    })
}

/// SIG017–SIG021: each Mach-O's code signature judged as installd does — against itself (the
/// CMS signature over the CodeDirectory, the hashes it binds), against the profile of its bundle
/// (signer, entitlements, team) and against the bundle (identifier). One finding per file, the
/// file named; a fat file's slices are judged together, a slice named when they differ.
fn code_signatures(package: &PackageFacts, subject: &Subject, out: &mut Vec<Finding>) {
    for signed in signed_files(package) {
        code_signature_invalid(&signed, subject, out);
        signer_not_in_profile(&signed, subject, out);
        entitlements_not_allowed(&signed, subject, out);
        signing_identifier_mismatch(&signed, subject, out);
    }
    missing_der_entitlements(package, subject, out);
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
            // --deep: the same signature with its pages and bundle files compared
            let deep = |arch: &str| {
                package
                    .deep
                    .iter()
                    .flat_map(|d| d.code.iter())
                    .find(|c| c.file == macho.path && c.arch == arch)
                    .and_then(|c| c.signature.as_ref())
            };
            let slices: Vec<(&str, &CodeSignatureFacts)> = macho
                .slices
                .iter()
                .filter_map(|s| {
                    let sig = deep(&s.arch).or(s.signature.as_ref())?;
                    Some((s.arch.as_str(), sig))
                })
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

/// Why a code signature does not hold together (SIG017): what installd's checks would refuse.
/// Empty when it does. Public for the property test (tests/codesign.rs).
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
                    "{} of its {} code pages {} from the hashes {which} lists (page {}{}): the file was changed after signing",
                    pages.differing,
                    pages.pages,
                    if pages.differing == 1 { "differs" } else { "differ" },
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

    #[test]
    fn wildcards_cover_by_prefix_and_exact_ids_exactly() {
        assert!(covers("com.acme.field", "com.acme.field"));
        assert!(!covers("com.acme.field", "com.acme.field.share"));
        assert!(covers("com.acme.*", "com.acme.field"));
        assert!(covers("*", "com.acme.field"));
        assert!(!covers("com.acme.*", "com.acme."));
        assert!(!covers("com.acme.*", "com.other.field"));
        assert!(!covers("com.acme.field", "com.acme.Field"));
    }

    #[test]
    fn udids_compare_in_both_formats_and_any_case() {
        let p = ProfileFacts {
            provisioned_devices: vec![
                "00008030-001a35e11a88802e".to_string(),
                "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".to_string(),
            ],
            ..ProfileFacts::default()
        };
        for udid in [
            "00008030-001A35E11A88802E",
            "00008030001A35E11A88802E",
            "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678",
        ] {
            let n = crate::check::normalise_udid(udid).unwrap_or_default();
            assert!(lists(&p, &n), "{udid}");
        }
        assert!(!lists(&p, "00008030-001A35E11A88802F"));
        assert_eq!(crate::check::normalise_udid("not a udid"), None);
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;
    use crate::codesign::{CmsSignature, CodeDirectory, Entitlements, SignerCertificate};
    use crate::facts::{CertificateSummary, MachOSlice, PackageFacts};
    use crate::facts::{MachOFacts, WalkFacts};
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
        let walk = walk(sig, grants());
        let package = walk.package.as_ref().expect("package");
        code_signatures(
            package,
            &Subject {
                resource: Resource::Package,
                target: package.source.clone(),
                link: None,
            },
            &mut out,
        );
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

#[cfg(test)]
mod unreadable_tests {
    use super::*;
    use crate::facts::{MachOFacts, SealFacts};
    use crate::finding::Resource;

    fn sig016(malformed: bool, error: &str) -> Vec<Finding> {
        let package = PackageFacts {
            source: "Field.ipa".into(),
            bundles: vec![BundleFacts {
                path: "Payload/Field.app".into(),
                seal: Some(SealFacts::default()),
                ..BundleFacts::default()
            }],
            machos: vec![MachOFacts {
                path: "Payload/Field.app/Field".into(),
                bundle: "Payload/Field.app".into(),
                error: Some(error.into()),
                malformed,
                ..MachOFacts::default()
            }],
            ..PackageFacts::default()
        };
        let subject = Subject {
            resource: Resource::Package,
            target: "Field.ipa".into(),
            link: None,
        };
        let mut out = Vec::new();
        executable_not_signed(&package, &subject, &mut out);
        out
    }

    #[test]
    fn bytes_that_are_no_mach_o_are_sig016_and_bytes_not_had_say_nothing() {
        let found = sig016(true, "not a Mach-O (its first bytes are 0x3c68746d)");
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("(not a Mach-O (its first bytes are 0x3c68746d))"),
            "{}",
            found[0].message
        );
        assert!(sig016(false, "its first bytes could not be fetched").is_empty());
    }
}
