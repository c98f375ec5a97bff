//! `otadoctor manifest App.ipa --url https://…/App.ipa`: a correct manifest for a package, and
//! with `--page` a minimal install page whose link passes every check.
//!
//! What the manifest says comes from the package's own Info.plist, read by the package reader
//! every check uses (`collect::input::read_local_package`): the bundle id (CFBundleIdentifier),
//! the version (CFBundleShortVersionString, else CFBundleVersion) and the title
//! (CFBundleDisplayName, else CFBundleName; `--title` replaces it). Every URL given must be an
//! absolute https URL; it is written as the URL parser serialises it (percent-encoded once:
//! a space becomes `%20`, an existing `%20` stays). Strings are XML-escaped in the manifest and
//! HTML-escaped in the page, whose link is `check::repair::canonical_link` of the manifest's
//! URL with `&` written `&amp;` in the attribute.
//!
//! Before anything is written, the manifest is read back and checked with the package standing
//! in for its URL (`check::run`, offline), and the page's link too: one with an error of its own
//! is never written (exit 2); its warnings and infos are notes on standard error. What the checks
//! say about the package itself (its profile, its signature) is not the manifest's to fix: its
//! errors and warnings are notes too.

use std::io::Write;
use std::path::PathBuf;

use time::OffsetDateTime;

use crate::check::{self, Context};
use crate::collect::PackageOptions;
use crate::collect::input::read_local_package;
use crate::facts::{Facts, PackageFacts, WalkFacts};
use crate::finding::Finding;
use crate::registry::Family;
use crate::severity::Severity;
use crate::text::{is_xml_char as xml_char, xml_escape as escape};

/// What `otadoctor manifest` is asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The package file.
    pub ipa: PathBuf,
    /// `--url`: where the package will be served.
    pub url: String,
    /// `--title`: instead of the app's name.
    pub title: Option<String>,
    /// `--display-image`, `--full-size-image`: the icons' URLs.
    pub display_image: Option<String>,
    pub full_size_image: Option<String>,
    /// `--page`: also write an install page (`Some("-")`: to standard output).
    pub page: Option<String>,
    /// `--manifest-url`: where the manifest will be served (the page's link carries it).
    pub manifest_url: Option<String>,
    /// `-o`: where the manifest goes (`None`: standard output).
    pub output: Option<PathBuf>,
    /// `--profile-ca`: roots the package's profiles may chain to (for the notes).
    pub profile_ca: Vec<PathBuf>,
}

/// What the manifest says about the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMetadata {
    pub bundle_identifier: String,
    pub bundle_version: String,
    pub title: String,
}

/// The manifest's assets: the package and, when given, the two icons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    pub package: String,
    pub display_image: Option<String>,
    pub full_size_image: Option<String>,
}

/// Runs the command: writes the manifest (and the page), notes on `stderr`. `Err` is a usage
/// error or an unreadable package (exit 2), with its message.
pub fn command(
    request: &Request,
    now: OffsetDateTime,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, String> {
    if request.page.as_deref() == Some("-") && request.output.is_none() {
        return Err(
            "--page without FILE writes the page to standard output, and so would the manifest: give the manifest a file with -o FILE (or the page one: --page FILE)"
                .to_string(),
        );
    }
    if request.page.is_some() && request.manifest_url.is_none() {
        return Err(
            "--page needs --manifest-url URL: where the manifest will be served, which the page's link carries (otadoctor cannot know where you will upload it)"
                .to_string(),
        );
    }
    let assets = Assets {
        package: https_url("--url", &request.url)?,
        display_image: request
            .display_image
            .as_deref()
            .map(|u| https_url("--display-image", u))
            .transpose()?,
        full_size_image: request
            .full_size_image
            .as_deref()
            .map(|u| https_url("--full-size-image", u))
            .transpose()?,
    };
    let manifest_url = request
        .manifest_url
        .as_deref()
        .map(|u| https_url("--manifest-url", u))
        .transpose()?;
    let name = request.ipa.display().to_string();
    if !request.ipa.is_file() {
        return Err(format!("{name}: no such file (give the package, App.ipa)"));
    }
    let package = read_local_package(&name, &package_options(&request.profile_ca)?, (None, None));
    if request.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err("--title is empty".to_string());
    }
    let meta = app_metadata(&package, request.title.as_deref()).map_err(|e| format!("{name}: {e}"))?;
    for (what, value) in [
        ("the bundle identifier", &meta.bundle_identifier),
        ("the title", &meta.title),
    ] {
        if let Some(c) = value.chars().find(|c| !xml_char(*c)) {
            return Err(format!(
                "{what} holds {}, which an XML plist cannot carry",
                c.escape_unicode()
            ));
        }
    }
    let manifest = manifest(&meta, &assets);
    let ctx = Context::at(now);
    let findings = self_check(&manifest, &name, package, &ctx);
    let (own, package_notes): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|f| matches!(f.rule.family, Family::Man | Family::Url));
    let line = |f: &Finding| {
        format!(
            "{} {} {}: {}",
            f.severity.as_str(),
            f.rule.code,
            f.rule.name,
            crate::text::escape_for_terminal(&f.message)
        )
    };
    let blocking: Vec<String> = own.iter().filter(|f| f.severity == Severity::Error).map(line).collect();
    if !blocking.is_empty() {
        return Err(format!(
            "the manifest would not pass its own checks, so nothing was written: {}",
            blocking.join("; ")
        ));
    }
    let page = match &manifest_url {
        Some(url) if request.page.is_some() => {
            let page = page(&meta, url);
            if let Some(problem) = check_page(&page, url, &ctx) {
                return Err(format!(
                    "the page would not pass its own checks, so nothing was written: {problem}"
                ));
            }
            Some(page)
        }
        _ => None,
    };
    // what the checks say but does not stop the manifest: its warnings and infos (no icons, a
    // host only an office network resolves), and the package's own problems, which are not the
    // manifest's to fix but are worth knowing before the upload
    for f in &own {
        let _ = writeln!(stderr, "otadoctor: note: the manifest gets {}", line(f));
    }
    for f in package_notes.iter().filter(|f| f.severity >= Severity::Warning) {
        let _ = writeln!(stderr, "otadoctor: note: the package has {}", line(f));
    }
    match &request.output {
        Some(path) => write_file(path, &manifest)?,
        None => stdout.write_all(manifest.as_bytes()).map_err(|e| e.to_string())?,
    }
    if let Some(page) = page {
        match request.page.as_deref() {
            Some("-") | None => stdout.write_all(page.as_bytes()).map_err(|e| e.to_string())?,
            Some(file) => write_file(&PathBuf::from(file), &page)?,
        }
    }
    let mut wrote = Vec::new();
    if let Some(path) = &request.output {
        wrote.push(format!("the manifest to {}", path.display()));
    }
    if let Some(file) = request.page.as_deref().filter(|f| *f != "-") {
        wrote.push(format!("the page to {file}"));
    }
    if !wrote.is_empty() {
        let _ = writeln!(
            stderr,
            "otadoctor: wrote {} for {} {} (\"{}\")",
            crate::text::and_list(&wrote),
            crate::text::escape_for_terminal(&meta.bundle_identifier),
            crate::text::escape_for_terminal(&meta.bundle_version),
            crate::text::escape_for_terminal(&meta.title)
        );
    }
    Ok(crate::run::EXIT_OK)
}

fn write_file(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// How the package is read: `--profile-ca` roots for the notes on its profiles.
fn package_options(profile_ca: &[PathBuf]) -> Result<PackageOptions, String> {
    let mut anchors = Vec::new();
    for path in profile_ca {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| format!("--profile-ca {name}: {e}"))?;
        let ders = crate::collect::net::tls::pem_certificates(&name, &text).map_err(|e| format!("--profile-ca {e}"))?;
        anchors.extend(ders.into_iter().map(|d| crate::collect::profile::ExtraAnchor {
            name: name.clone(),
            der: d.to_vec(),
        }));
    }
    Ok(PackageOptions {
        profile_anchors: anchors,
        ..PackageOptions::default()
    })
}

/// `value` as an absolute https URL, serialised by the URL parser (encoded once); else why not.
pub fn https_url(option: &str, value: &str) -> Result<String, String> {
    let shown = crate::text::escape_for_terminal(value);
    if value.trim() != value || value.is_empty() {
        return Err(format!("{option} \"{shown}\": an https URL without spaces around it"));
    }
    let url = url::Url::parse(value).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => {
            format!("{option} \"{shown}\" is relative: give the absolute https URL the phone will fetch")
        }
        e => format!("{option} \"{shown}\" is not a URL ({e})"),
    })?;
    if url.scheme() != "https" {
        return Err(format!(
            "{option} \"{shown}\" is {}, not https: iOS fetches manifests, packages and icons over https only",
            url.scheme()
        ));
    }
    // the parser would read a host out of "https:///App.ipa" (f.ipa): not what was meant
    let after_scheme = value.get("https://".len()..).unwrap_or("");
    if url.host_str().is_none_or(str::is_empty)
        || !value.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        || after_scheme.starts_with(['/', '\\'])
    {
        return Err(format!("{option} \"{shown}\" has no host: write https://host/path"));
    }
    Ok(url.to_string())
}

/// The app's bundle id, version and name, from the main app's Info.plist (the name: `title`
/// when given); else why not.
pub fn app_metadata(package: &PackageFacts, title: Option<&str>) -> Result<AppMetadata, String> {
    if let Some(error) = &package.error {
        return Err(format!("cannot read the package: {}", error.reason));
    }
    let Some(app) = package.bundles.first() else {
        return Err("no app in the package (an IPA holds Payload/<Name>.app)".to_string());
    };
    if app.info_plist.is_none() {
        return Err(format!(
            "{}/Info.plist cannot be read{}",
            app.path,
            app.info_plist_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
    }
    let text = |key: &str| {
        app.info_str(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let bundle_identifier =
        text("CFBundleIdentifier").ok_or_else(|| format!("{}/Info.plist has no CFBundleIdentifier", app.path))?;
    let bundle_version = text("CFBundleShortVersionString")
        .or_else(|| text("CFBundleVersion"))
        .ok_or_else(|| {
            format!(
                "{}/Info.plist has neither CFBundleShortVersionString nor CFBundleVersion",
                app.path
            )
        })?;
    let title = title
        .map(|t| t.trim().to_string())
        .or_else(|| text("CFBundleDisplayName"))
        .or_else(|| text("CFBundleName"))
        .ok_or_else(|| {
            format!(
                "{}/Info.plist has neither CFBundleDisplayName nor CFBundleName: give --title",
                app.path
            )
        })?;
    Ok(AppMetadata {
        bundle_identifier,
        bundle_version,
        title,
    })
}

/// The manifest: XML, one item with the package (and the icons) and the app's metadata.
pub fn manifest(meta: &AppMetadata, assets: &Assets) -> String {
    let asset = |kind: &str, url: &str| {
        format!(
            "\t\t\t\t<dict>\n\t\t\t\t\t<key>kind</key>\n\t\t\t\t\t<string>{kind}</string>\n\t\t\t\t\t<key>url</key>\n\t\t\t\t\t<string>{}</string>\n\t\t\t\t</dict>\n",
            escape(url)
        )
    };
    let mut list = asset("software-package", &assets.package);
    if let Some(url) = &assets.display_image {
        list.push_str(&asset("display-image", url));
    }
    if let Some(url) = &assets.full_size_image {
        list.push_str(&asset("full-size-image", url));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>items</key>
	<array>
		<dict>
			<key>assets</key>
			<array>
{list}			</array>
			<key>metadata</key>
			<dict>
				<key>bundle-identifier</key>
				<string>{}</string>
				<key>bundle-version</key>
				<string>{}</string>
				<key>kind</key>
				<string>software</string>
				<key>title</key>
				<string>{}</string>
			</dict>
		</dict>
	</array>
</dict>
</plist>
"#,
        escape(&meta.bundle_identifier),
        escape(&meta.bundle_version),
        escape(&meta.title)
    )
}

/// A minimal install page: UTF-8, a viewport for phones, the app's name and version, and one
/// `<a href>` whose link carries `manifest_url` encoded once (`&` written `&amp;`).
pub fn page(meta: &AppMetadata, manifest_url: &str) -> String {
    let link = crate::check::repair::canonical_link(manifest_url);
    let title = escape(&meta.title);
    format!(
        r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Install {title}</title>
</head>
<body>
<h1>{title}</h1>
<p>Version {}</p>
<p><a href="{}">Install {title}</a></p>
<p>Open this page in Safari on the iPhone or iPad, then tap Install.</p>
</body>
</html>
"#,
        escape(&meta.bundle_version),
        escape(&link)
    )
}

/// Every finding on the manifest read back from its bytes, with the package standing in for
/// its URL (what `otadoctor check --offline manifest.plist --ipa App.ipa` reports).
fn self_check(manifest: &str, name: &str, package: PackageFacts, ctx: &Context) -> Vec<crate::finding::Finding> {
    let walk = WalkFacts {
        manifest_url: "manifest.plist".to_string(),
        document: Some(crate::collect::manifest::read("manifest.plist", manifest.as_bytes())),
        package: Some(PackageFacts {
            source: name.to_string(),
            ..package
        }),
        ..WalkFacts::default()
    };
    check::run(
        &Facts {
            walks: vec![walk],
            ..Facts::default()
        },
        ctx,
    )
}

/// The first error the page's link gets, read from the page as a browser does.
fn check_page(page: &str, manifest_url: &str, ctx: &Context) -> Option<String> {
    let input = crate::collect::input::page_input("install.html", "install.html", page);
    if input.facts.links.len() != 1 || input.facts.links[0].parsed.manifest_url.as_deref() != Some(manifest_url) {
        return Some(format!("its link does not carry {manifest_url}"));
    }
    check::run(&input.facts, ctx)
        .into_iter()
        .find(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}: {}", f.rule.code, f.rule.name, f.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_written_encoded_once() {
        assert_eq!(
            https_url("--url", "https://OTA.acme.io/beta build/Field.ipa").as_deref(),
            Ok("https://ota.acme.io/beta%20build/Field.ipa")
        );
        // an escape already there stays one escape
        assert_eq!(
            https_url("--url", "https://ota.acme.io/beta%20build/Field.ipa").as_deref(),
            Ok("https://ota.acme.io/beta%20build/Field.ipa")
        );
        assert_eq!(
            https_url("--url", "https://ota.acme.io/f.plist?a=1&b=2").as_deref(),
            Ok("https://ota.acme.io/f.plist?a=1&b=2")
        );
        assert!(https_url("--url", "http://ota.acme.io/F.ipa").is_err());
        assert!(https_url("--url", "F.ipa").is_err());
        assert!(https_url("--url", "https:///F.ipa").is_err());
    }

    #[test]
    fn manifest_strings_are_escaped_and_the_page_link_is_an_attribute() {
        let meta = AppMetadata {
            bundle_identifier: "com.acme.field".to_string(),
            bundle_version: "4.2".to_string(),
            title: "A & <B>".to_string(),
        };
        let assets = Assets {
            package: "https://h.io/F.ipa?x=1&y=2".to_string(),
            display_image: None,
            full_size_image: None,
        };
        let text = manifest(&meta, &assets);
        assert!(text.contains("<string>A &amp; &lt;B&gt;</string>"));
        assert!(text.contains("<string>https://h.io/F.ipa?x=1&amp;y=2</string>"));
        assert!(!text.contains("display-image"));
        let html = page(&meta, "https://h.io/m.plist");
        assert!(html.contains(
            "<a href=\"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fh.io%2Fm.plist\">Install A &amp; &lt;B&gt;</a>"
        ));
    }

    #[test]
    fn xml_carries_text_but_not_controls() {
        assert!("Café\t日本\n".chars().all(xml_char));
        assert!(!xml_char('\u{1}'));
        assert!(!xml_char('\u{ffff}'));
    }
}
