//! APP rules: each bundle's Info.plist.

use serde_json::Value;

use crate::check::{Context, called};
use crate::facts::{BundleFacts, PackageFacts, WalkFacts};
use crate::finding::Finding;
use crate::registry as rules;

/// Runs the APP rules on each bundle of the walk's package.
pub fn check(walk: &WalkFacts, ctx: &Context, out: &mut Vec<Finding>) {
    let Some(package) = &walk.package else { return };
    if package.error.is_some() {
        return;
    }
    let a = App { walk, package };
    let main_id = package
        .bundles
        .first()
        .and_then(|b| b.info_str("CFBundleIdentifier"))
        .map(str::to_string);
    for (i, bundle) in package.bundles.iter().enumerate() {
        a.info_plist_unreadable(bundle, out);
        if !bundle.info_plist.as_ref().is_some_and(Value::is_object) {
            continue; // there are no keys to check
        }
        a.missing_bundle_keys(bundle, i == 0, out);
        if i == 0 {
            a.minimum_os_too_high(bundle, ctx, out);
            a.device_family_unsupported(bundle, ctx, out);
        }
        a.simulator_build(bundle, out);
        a.unsupported_platform(bundle, out);
        if i > 0 {
            a.extension_bundle_id_prefix(bundle, main_id.as_deref(), out);
        }
        a.no_64_bit_slice(bundle, out);
    }
    a.fairplay_encrypted(out);
}

/// The strings of an array value (or a lone string).
fn strings<'a>(bundle: &'a BundleFacts, key: &str) -> Vec<&'a str> {
    match bundle.info_plist.as_ref().and_then(|p| p.get(key)) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

/// CFBundleSupportedPlatforms as written, and DTPlatformName in lower case.
fn platform_keys(bundle: &BundleFacts) -> (Vec<&str>, String) {
    let platforms = strings(bundle, "CFBundleSupportedPlatforms");
    let dt = bundle
        .info_str("DTPlatformName")
        .unwrap_or_default()
        .to_ascii_lowercase();
    (platforms, dt)
}

/// Whether the platform keys name a Simulator.
fn is_simulator(platforms: &[&str], dt: &str) -> bool {
    platforms
        .iter()
        .map(|p| p.to_ascii_lowercase())
        .chain([dt.to_string()])
        .any(|p| p.ends_with("simulator"))
}

struct App<'a> {
    walk: &'a WalkFacts,
    package: &'a PackageFacts,
}

impl App<'_> {
    fn finding(&self, rule: &'static rules::Rule, message: String, fix: String) -> Finding {
        Finding::new(rule, super::package_subject(self.walk, self.package), message, fix)
    }

    /// APP001: the bundle's Info.plist is missing, unparsable or not a dictionary, or holds far
    /// more than any Info.plist (the facts keep a cut copy).
    fn info_plist_unreadable(&self, bundle: &BundleFacts, out: &mut Vec<Finding>) {
        let Some(plist) = &bundle.info_plist else {
            // stored with a method iOS cannot read, or encrypted: that is IPA005's finding
            let name = format!("{}/Info.plist", bundle.path);
            if self.package.odd_methods.iter().any(|(n, _)| *n == name) || self.package.encrypted.contains(&name) {
                return;
            }
            let why = bundle.info_plist_error.as_deref().unwrap_or("was not read");
            out.push(self.finding(
                &rules::INFO_PLIST_UNREADABLE,
                format!("{}/Info.plist of {} {why}", bundle.path, called(bundle)),
                "build the app with Xcode and export it; if Info.plist was edited after the build, edit the source Info.plist instead (plutil -lint Info.plist) and rebuild".to_string(),
            ));
            return;
        };
        if let Some(cut) = &bundle.info_plist_cut {
            out.push(self.finding(
                &rules::INFO_PLIST_UNREADABLE,
                format!(
                    "{}/Info.plist of {} holds far more than an Info.plist does, so only its first part was read ({})",
                    bundle.path,
                    called(bundle),
                    cut.describe()
                ),
                "build the app with Xcode and export it; if Info.plist was edited after the build, edit the source Info.plist instead (plutil -lint Info.plist) and rebuild".to_string(),
            ));
            return;
        }
        if plist.is_object() {
            return;
        }
        out.push(self.finding(
            &rules::INFO_PLIST_UNREADABLE,
            format!("{}/Info.plist of {} is not a dictionary", bundle.path, called(bundle)),
            "write Info.plist as a dictionary (Xcode builds it from the target's Info settings)".to_string(),
        ));
    }

    /// APP002: CFBundleIdentifier, CFBundleExecutable or CFBundleVersion is missing, or (for the
    /// app) the executable it names is not in the archive.
    fn missing_bundle_keys(&self, bundle: &BundleFacts, is_main: bool, out: &mut Vec<Finding>) {
        let plist = bundle.info_plist.as_ref();
        let problems: Vec<String> = ["CFBundleIdentifier", "CFBundleExecutable", "CFBundleVersion"]
            .into_iter()
            .filter_map(|k| match plist.and_then(|p| p.get(k)) {
                None => Some(format!("no {k}")),
                Some(Value::String(v)) if v.trim().is_empty() => Some(format!("an empty {k}")),
                Some(Value::String(_)) => None,
                Some(_) => Some(format!("a {k} that is not a string")),
            })
            .collect();
        if !problems.is_empty() {
            out.push(self.finding(
                &rules::MISSING_BUNDLE_KEYS,
                format!(
                    "{}/Info.plist of {} has {}",
                    bundle.path,
                    called(bundle),
                    problems.join(", ")
                ),
                "set the Bundle Identifier, Executable name and Build (CFBundleVersion) in the target's build settings and rebuild".to_string(),
            ));
            return;
        }
        if is_main
            && let Some(exe) = &self.package.executable
            && !exe.exists
        {
            out.push(self.finding(
                &rules::MISSING_BUNDLE_KEYS,
                format!(
                    "CFBundleExecutable names \"{}\", but {} is not in the archive",
                    bundle.info_str("CFBundleExecutable").unwrap_or_default(),
                    exe.path
                ),
                "make CFBundleExecutable the name of the binary in the .app (EXECUTABLE_NAME); do not rename either after the build".to_string(),
            ));
        }
    }

    /// APP003: MinimumOSVersion is above the iOS of the device (`--ios`).
    fn minimum_os_too_high(&self, bundle: &BundleFacts, ctx: &Context, out: &mut Vec<Finding>) {
        let minimum = bundle.info_str("MinimumOSVersion");
        if let (Some(ios), Some(min_text)) = (&ctx.device.ios, minimum)
            && let Some(min) = crate::check::version_numbers(min_text)
            && crate::check::version_cmp(&min, ios).is_gt()
        {
            let ios_text = ios.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
            out.push(self.finding(
                &rules::MINIMUM_OS_TOO_HIGH,
                format!("the app requires iOS {min_text} (MinimumOSVersion); the device runs iOS {ios_text}"),
                format!("update the device to iOS {min_text} or later, or build with a lower deployment target (IPHONEOS_DEPLOYMENT_TARGET = {ios_text}) if the app supports it"),
            ));
        }
    }

    /// APP004: UIDeviceFamily leaves out the device (`--device`); without it only an app no
    /// iPhone can install (iPad only) is worth an info.
    fn device_family_unsupported(&self, bundle: &BundleFacts, ctx: &Context, out: &mut Vec<Finding>) {
        let families: Vec<i64> = match bundle.info_plist.as_ref().and_then(|p| p.get("UIDeviceFamily")) {
            // numbers, or numbers written as strings (which iOS reads too)
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
                .collect(),
            Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
            // without the key, iOS treats the app as iPhone-only
            _ => vec![1],
        };
        let names = families
            .iter()
            .map(|f| match f {
                1 => "iPhone".to_string(),
                2 => "iPad".to_string(),
                3 => "Apple TV".to_string(),
                4 => "Apple Watch".to_string(),
                6 => "Mac".to_string(),
                7 => "Apple Vision".to_string(),
                n => format!("{n}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let names = if names.is_empty() { "empty".to_string() } else { names };
        let iphone = families.contains(&1);
        // an iPhone app also runs on an iPad (in compatibility mode)
        let ipad = iphone || families.contains(&2);
        let (refused, on) = match ctx.device.family {
            Some(crate::check::DeviceFamily::Iphone) => (!iphone, Some("an iPhone")),
            Some(crate::check::DeviceFamily::Ipad) => (!ipad, Some("an iPad")),
            None => (!iphone, None),
        };
        if !refused {
            return;
        }
        let mut f = self.finding(
            &rules::DEVICE_FAMILY_UNSUPPORTED,
            match on {
                Some(device) => format!("the app's UIDeviceFamily is {names}: it does not install on {device}"),
                None => format!("the app's UIDeviceFamily is {names}: an iPhone cannot install it"),
            },
            "add the device family to the target (TARGETED_DEVICE_FAMILY = 1,2 for iPhone and iPad) and rebuild, or install on a supported device".to_string(),
        );
        if on.is_none() {
            // no device given: what it means for iPhones, as information
            f.severity = crate::severity::Severity::Info;
        }
        out.push(f);
    }

    /// APP005: the bundle was built for the iOS Simulator.
    fn simulator_build(&self, bundle: &BundleFacts, out: &mut Vec<Finding>) {
        let (platforms, dt) = platform_keys(bundle);
        if !is_simulator(&platforms, &dt) {
            return;
        }
        out.push(self.finding(
            &rules::SIMULATOR_BUILD,
            format!(
                "{} is a Simulator build ({})",
                called(bundle),
                platform_words(&platforms, &dt)
            ),
            "archive for a device (Product › Archive, or xcodebuild archive -destination 'generic/platform=iOS') and export the IPA from that archive".to_string(),
        ));
    }

    /// APP006: the bundle was built for tvOS, visionOS, watchOS or Mac Catalyst, not iOS.
    fn unsupported_platform(&self, bundle: &BundleFacts, out: &mut Vec<Finding>) {
        let (platforms, dt) = platform_keys(bundle);
        if is_simulator(&platforms, &dt) {
            return; // APP005 says it
        }
        let said =
            |name: &str| platforms.iter().any(|p| p.eq_ignore_ascii_case(name)) || dt == name.to_ascii_lowercase();
        let watch = bundle.kind == crate::facts::BundleKind::WatchApp;
        let other = [
            ("AppleTVOS", "tvOS"),
            ("XROS", "visionOS"),
            ("WatchOS", "watchOS"),
            ("MacOSX", "macOS (Mac Catalyst)"),
        ]
        .into_iter()
        .find(|(name, _)| said(name) && !(watch && *name == "WatchOS"));
        let ios = said("iPhoneOS");
        if let Some((_, os)) = other
            && !ios
        {
            out.push(self.finding(
                &rules::UNSUPPORTED_PLATFORM,
                format!(
                    "{} is built for {os}, not iOS ({})",
                    called(bundle),
                    platform_words(&platforms, &dt)
                ),
                "archive the iOS target (destination generic/platform=iOS) and publish that IPA; other platforms are not installed over the air on an iPhone or iPad".to_string(),
            ));
        }
    }

    /// APP007: a nested bundle's id does not start with the app's id plus ".".
    fn extension_bundle_id_prefix(&self, bundle: &BundleFacts, main_id: Option<&str>, out: &mut Vec<Finding>) {
        let (Some(main), Some(id)) = (main_id, bundle.info_str("CFBundleIdentifier")) else {
            return;
        };
        if id.starts_with(&format!("{main}.")) {
            return;
        }
        out.push(self.finding(
            &rules::EXTENSION_BUNDLE_ID_PREFIX,
            format!(
                "{} has the bundle id \"{id}\", which does not start with the app's id plus a dot (\"{main}.\")",
                called(bundle)
            ),
            format!("give it an id under the app's, such as {main}.{}, in the target's build settings (and in its App ID and profile)", suffix(id)),
        ));
    }
}

impl App<'_> {
    /// APP008: a Mach-O of the package has `LC_ENCRYPTION_INFO(_64)` with a `cryptid` other than
    /// 0 in a slice: the App Store encrypted it for one account, and the re-hosted copy has no
    /// SINF the device accepts.
    fn fairplay_encrypted(&self, out: &mut Vec<Finding>) {
        let encrypted: Vec<String> = self
            .package
            .machos
            .iter()
            .filter_map(|m| {
                let archs: Vec<&str> = m
                    .slices
                    .iter()
                    .filter(|s| s.encrypted())
                    .map(|s| s.arch.as_str())
                    .collect();
                let id = m
                    .slices
                    .iter()
                    .find_map(|s| s.encryption.filter(|e| e.cryptid != 0))?
                    .cryptid;
                Some(format!(
                    "{} (cryptid {id}, {})",
                    super::macho_called(m, &self.package.bundles),
                    archs.join(", ")
                ))
            })
            .collect();
        if encrypted.is_empty() {
            return;
        }
        let (is, it) = if encrypted.len() == 1 {
            ("is", "it comes")
        } else {
            ("are", "they come")
        };
        out.push(
            self.finding(
                &rules::FAIRPLAY_ENCRYPTED,
                format!(
                    "{} {is} FairPlay-encrypted: {it} from an App Store download, which installs only from the App Store for the account that bought it",
                    super::and_list(&encrypted)
                ),
                "publish the IPA exported from your own Xcode archive (Organizer › Distribute App › Release Testing/Ad Hoc or Enterprise); a decrypted or re-signed App Store download is not yours to redistribute, and an encrypted one never installs over the air".to_string(),
            )
            .evidence("files", encrypted.len()),
        );
    }

    /// APP009: a bundle's executable (the app's, an extension's, an App Clip's; a watch app's
    /// runs on the watch) has no arm64 slice, read from its load commands.
    fn no_64_bit_slice(&self, bundle: &BundleFacts, out: &mut Vec<Finding>) {
        if bundle.kind == crate::facts::BundleKind::WatchApp {
            return;
        }
        let (platforms, dt) = platform_keys(bundle);
        if is_simulator(&platforms, &dt) {
            return; // APP005 says it
        }
        let Some(macho) = self
            .package
            .machos
            .iter()
            .find(|m| m.bundle == bundle.path && m.role == crate::facts::MachORole::Main)
        else {
            return;
        };
        if macho.error.is_some() || macho.slices.is_empty() {
            return;
        }
        if macho.slices.iter().any(crate::facts::MachOSlice::is_arm64) {
            return;
        }
        let archs: Vec<String> = macho.slices.iter().map(|s| s.arch.clone()).collect();
        let only = if archs.iter().all(|a| a.starts_with("arm") && !a.starts_with("arm64")) {
            format!("only {} (32-bit)", super::and_list(&archs))
        } else {
            format!("only {}", super::and_list(&archs))
        };
        out.push(
            self.finding(
                &rules::NO_64_BIT_SLICE,
                format!(
                    "{} has no arm64 slice, {only}: iOS 11 and later run only 64-bit code",
                    super::macho_called(macho, &self.package.bundles)
                ),
                format!(
                    "build for arm64 (ARCHS = arm64, the Xcode default; a deployment target of iOS 11 or later) and export again; `lipo -info {}` must list arm64",
                    macho.path
                ),
            )
            .evidence("architectures", archs),
        );
    }
}

/// The platform keys as written, for the message.
fn platform_words(platforms: &[&str], dt: &str) -> String {
    let mut parts = Vec::new();
    if !platforms.is_empty() {
        parts.push(format!("CFBundleSupportedPlatforms {}", platforms.join(", ")));
    }
    if !dt.is_empty() {
        parts.push(format!("DTPlatformName {dt}"));
    }
    parts.join("; ")
}

/// The last component of a bundle id, for a suggested id.
fn suffix(id: &str) -> &str {
    id.rsplit('.').next().unwrap_or(id)
}
