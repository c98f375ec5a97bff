//! SIG rules: the provisioning profile of the app and of each extension, and the code-signature
//! seal of Info.plist. Also the "will it install on this device" answer for `--udid`.

use time::OffsetDateTime;

use crate::check::{Context, called};
use crate::facts::{
    BundleFacts, CertificateRole, Facts, PackageFacts, ProfileFacts, ProfileKind, RevocationFacts, RevocationStatus,
    SignatureVerdict,
};
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
        if macho.error.is_some() || !signed_bundle {
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
