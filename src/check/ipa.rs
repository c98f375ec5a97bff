//! IPA rules: the archive itself — a zip, with one Payload/<Name>.app, readable entries, Unix
//! modes, no junk.

use crate::check::Context;
use crate::facts::{PackageError, PackageErrorKind, PackageFacts, WalkFacts};
use crate::finding::Finding;
use crate::registry as rules;
use crate::severity::Severity;

const FOUR_GIB: u64 = 4 * 1024 * 1024 * 1024;

/// Runs the IPA rules on the package of one walk.
pub fn check(walk: &WalkFacts, _ctx: &Context, out: &mut Vec<Finding>) {
    let Some(package) = &walk.package else { return };
    let p = Ipa { walk, package };
    if let Some(error) = &package.error {
        ipa_not_zip(walk, NotRead::Error { package, error }, out);
        return;
    }
    p.multiple_apps(out);
    p.no_payload_app(out);
    p.ipa_too_large(out);
    p.unsupported_compression(out);
    p.missing_unix_modes(out);
    p.junk_entries(out);
}

/// Why the package's contents were not read, as IPA001 reports it.
pub(crate) enum NotRead<'a> {
    /// The package reader's own error.
    Error {
        package: &'a PackageFacts,
        error: &'a PackageError,
    },
    /// The safety net (`check::unread_is_never_fine`): the walk fetched the package at `url` and
    /// did not read its contents, for `why`, while no other rule reported an error about it.
    Unread { url: &'a str, why: &'a str },
}

/// IPA001: the package could not be read as a zip: the reader's error, or contents the walk
/// could not read (its first bytes are not a zip, the stream broke off).
pub(crate) fn ipa_not_zip(walk: &WalkFacts, not_read: NotRead<'_>, out: &mut Vec<Finding>) {
    let (subject, message) = match not_read {
        NotRead::Error { package, error } => (super::package_subject(walk, package), not_read_words(error)),
        NotRead::Unread { url, why } => (
            crate::finding::Subject {
                resource: crate::finding::Resource::Package,
                target: url.to_string(),
                link: walk.link,
            },
            format!("the package's contents could not be read: {why}"),
        ),
    };
    out.push(Finding::new(
        &rules::IPA_NOT_ZIP,
        subject,
        message,
        "publish the .ipa that Xcode (or xcodebuild -exportArchive) exported, uploaded whole, and check the URL serves that file".to_string(),
    ));
}

struct Ipa<'a> {
    walk: &'a WalkFacts,
    package: &'a PackageFacts,
}

impl Ipa<'_> {
    fn finding(&self, rule: &'static rules::Rule, message: String, fix: String) -> Finding {
        Finding::new(rule, super::package_subject(self.walk, self.package), message, fix)
    }

    /// IPA003: Payload/ holds more than one app.
    fn multiple_apps(&self, out: &mut Vec<Finding>) {
        let apps = &self.package.apps;
        if apps.len() > 1 {
            out.push(self.finding(
                &rules::MULTIPLE_APPS,
                format!("Payload/ holds {} apps: {}", apps.len(), apps.join(", ")),
                "export one app per .ipa; an archive with several apps installs unpredictably".to_string(),
            ));
        }
    }

    /// IPA002: the archive has no Payload/<Name>.app/, and what it seems to be instead.
    fn no_payload_app(&self, out: &mut Vec<Finding>) {
        if !self.package.apps.is_empty() {
            return;
        }
        let names = &self.package.first_names;
        let top: Vec<&str> = names.iter().filter_map(|n| n.split('/').next()).collect();
        let what = if names.iter().any(|n| n.contains("/Payload/")) {
            let wrapper = names
                .iter()
                .find_map(|n| n.split_once("/Payload/").map(|(w, _)| w.to_string()))
                .unwrap_or_default();
            format!("Payload/ is inside the folder \"{wrapper}/\": the folder was zipped, not its contents")
        } else if top.iter().any(|t| t.ends_with(".app")) {
            "the archive holds a .app at its root: a zipped .app, not an IPA".to_string()
        } else if top.iter().any(|t| t.ends_with(".xcarchive"))
            || names.iter().any(|n| n.contains("Products/Applications/"))
        {
            "the archive is an .xcarchive, not an exported IPA".to_string()
        } else if names.iter().any(|n| n == "AndroidManifest.xml" || n == "classes.dex") {
            "the archive is an Android package (.apk), not an IPA".to_string()
        } else {
            format!(
                "the archive has no Payload/<Name>.app/ (it starts with {})",
                names.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            )
        };
        out.push(self.finding(
            &rules::NO_PAYLOAD_APP,
            what,
            "export an IPA (Xcode Organizer › Distribute App › Ad Hoc/Enterprise, or xcodebuild -exportArchive); by hand: mkdir Payload && cp -R Field.app Payload/ && zip -qry Field.ipa Payload".to_string(),
        ));
    }

    /// IPA004: the package is over 4 GiB, or uses zip64 records.
    fn ipa_too_large(&self, out: &mut Vec<Finding>) {
        if self.package.bytes >= FOUR_GIB {
            let mut f = self.finding(
                &rules::IPA_TOO_LARGE,
                format!("the package is {} bytes, over 4 GiB", self.package.bytes),
                "make the app smaller (on-demand resources, downloading content after install); installd refuses packages over 4 GiB".to_string(),
            );
            f.severity = Severity::Error;
            out.push(f);
        } else if self.package.zip64 {
            let mut f = self.finding(
                &rules::IPA_TOO_LARGE,
                "the package uses zip64 records".to_string(),
                "keep the IPA under 4 GiB with fewer than 65,535 entries, zipped without forcing zip64 (zip -fz- with Info-ZIP)".to_string(),
            );
            f.severity = Severity::Warning;
            out.push(f);
        }
    }

    /// IPA005: an entry uses a compression method other than stored or deflate, or is encrypted.
    fn unsupported_compression(&self, out: &mut Vec<Finding>) {
        if let Some((name, method)) = self.package.odd_methods.first() {
            out.push(self.finding(
                &rules::UNSUPPORTED_COMPRESSION,
                format!("{name}{} uses compression method {method}, not stored (0) or deflate (8)", and_others(self.package.odd_methods.len())),
                "zip the Payload with deflate (zip -r, ditto -c -k --sequesterRsrc, or Xcode's export), not 7-Zip's LZMA/BZip2/zstd".to_string(),
            ));
        }
        if let Some(name) = self.package.encrypted.first() {
            out.push(self.finding(
                &rules::UNSUPPORTED_COMPRESSION,
                format!("{name}{} is encrypted", and_others(self.package.encrypted.len())),
                "zip the Payload without a password".to_string(),
            ));
        }
    }

    /// IPA006: the zip carries no Unix modes, or the executable's mode is not executable.
    fn missing_unix_modes(&self, out: &mut Vec<Finding>) {
        let p = self.package;
        if p.files > 0 && p.without_unix_modes == p.files {
            out.push(self.finding(
                &rules::MISSING_UNIX_MODES,
                "the zip carries no Unix modes (it was made on Windows or by a tool that drops them), so the executable is not executable".to_string(),
                "zip the Payload on macOS or Linux (zip -qry Field.ipa Payload, or ditto -c -k --sequesterRsrc --keepParent), or with a tool that keeps Unix modes".to_string(),
            ));
            return;
        }
        if let Some(exe) = &p.executable
            && let Some(mode) = exe.unix_mode
            && mode & 0o111 == 0
        {
            out.push(self.finding(
                &rules::MISSING_UNIX_MODES,
                format!(
                    "the executable {} has mode {:o}: not executable",
                    exe.path,
                    mode & 0o7777
                ),
                format!(
                    "chmod +x {} before zipping (the signature covers the file's contents, not its mode, so no re-signing is needed)",
                    exe.path
                ),
            ));
        }
    }

    /// IPA007: the archive holds __MACOSX/, .DS_Store or Thumbs.db; an error inside the app.
    fn junk_entries(&self, out: &mut Vec<Finding>) {
        let junk = &self.package.junk;
        if junk.is_empty() {
            return;
        }
        // Inside the app a file outside the seal breaks it, except .DS_Store: the default
        // signing rules (rules2 in CodeResources) omit it.
        let inside: Vec<&str> = junk
            .iter()
            .filter(|j| self.package.apps.iter().any(|a| j.starts_with(&format!("{a}/"))))
            .filter(|j| !j.ends_with("/.DS_Store"))
            .map(String::as_str)
            .collect();
        let mut f = self.finding(
            &rules::JUNK_ENTRIES,
            if inside.is_empty() {
                format!(
                    "the archive holds {} ({})",
                    count(junk.len(), "junk entry", "junk entries"),
                    first_three(junk.iter().map(String::as_str))
                )
            } else {
                format!(
                    "{} inside the app ({}): files added after signing break the seal",
                    count(inside.len(), "junk entry is", "junk entries are"),
                    first_three(inside.iter().copied())
                )
            },
            "zip without Finder metadata: zip -qry -X Field.ipa Payload -x '*.DS_Store' '__MACOSX*', or ditto -c -k --norsrc".to_string(),
        );
        if !inside.is_empty() {
            f.severity = Severity::Error;
            f.device_symptom =
                "\"This app cannot be installed because its integrity could not be verified\"".to_string();
        }
        out.push(f);
    }
}

/// " (and N other entries)" after the first of `n` names; nothing when it is the only one.
fn and_others(n: usize) -> String {
    match n {
        0 | 1 => String::new(),
        2 => " (and 1 other entry)".to_string(),
        n => format!(" (and {} other entries)", n - 1),
    }
}

/// "1 thing" / "N things".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first three names, comma-separated, with "…" when there are more.
fn first_three<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut text = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        text.push_str(", …");
    }
    text
}

/// What an unreadable package is, from the reader's reason and the first bytes.
fn not_read_words(error: &PackageError) -> String {
    let why = &error.reason;
    if error.kind == PackageErrorKind::Overlap {
        return format!("the package is not a valid zip: {why}");
    }
    if error.kind != PackageErrorKind::NotZip {
        return format!("the package could not be read: {why}");
    }
    let Some(head) = &error.head else {
        return format!("the package is not a readable zip ({why})");
    };
    if head.starts_with("PK") {
        return format!(
            "the package is not a readable zip ({why}): it starts like one, so it is probably cut short or damaged"
        );
    }
    let text = head.trim_start().to_ascii_lowercase();
    let what = if text.starts_with("<!doctype html") || text.starts_with("<html") || text.contains("<body") {
        "an HTML page"
    } else if text.starts_with("version https://git-lfs") {
        "a Git LFS pointer"
    } else if text.starts_with('{') || text.starts_with('[') {
        "JSON"
    } else if text.starts_with("<?xml") {
        "XML"
    } else if head.is_empty() {
        "empty"
    } else {
        "something else"
    };
    format!("the package is not a zip: it is {what}, not the .ipa")
}
