//! MAN rules: the manifest plist — parse, encoding, schema, typos, hashes, images — and the
//! manifest against the package it points at.

use serde_json::Value;

use crate::check::Context;
use crate::check::http::package_size;
use crate::facts::{AssetFetch, BundleFacts, ManifestFacts, PackageFacts, WalkFacts};
use crate::finding::{Finding, Location, Resource, Subject};
use crate::manifest::ListedAsset;
use crate::registry as rules;
use crate::text::edit_distance;

/// The asset kinds Apple's schema knows.
pub const ASSET_KINDS: &[&str] = &[
    "software-package",
    "display-image",
    "full-size-image",
    "asset-pack-manifest",
    "newsstand-image",
];
const ROOT_KEYS: &[&str] = &["items"];
const ITEM_KEYS: &[&str] = &["assets", "metadata"];
const ASSET_KEYS: &[&str] = &[
    "kind",
    "url",
    "md5",
    "md5-size",
    "md5s",
    "sha256",
    "sha256-size",
    "sha256s",
    "needs-shine",
];
const METADATA_KEYS: &[&str] = &[
    "bundle-identifier",
    "bundle-version",
    "kind",
    "title",
    "subtitle",
    "platform-identifier",
    "sizeInBytes",
    "items",
];

/// Runs the MAN rules on the manifest of one walk, item by item and asset by asset.
pub fn check(walk: &WalkFacts, _ctx: &Context, out: &mut Vec<Finding>) {
    let Some(facts) = &walk.document else { return };
    let m = Man { walk, facts };
    m.manifest_encoding(out);
    m.manifest_not_plist(out);
    let Some(doc) = &facts.document else { return };
    m.manifest_binary_plist(out);
    m.unknown_key(doc, ROOT_KEYS, "the manifest", "", out);
    // the items that are dicts, numbered in the raw array as the key lines, the listed assets
    // and the package asset are
    let items: Vec<(usize, &Value)> = doc
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, item)| item.is_object())
        .collect();
    let dicts: Vec<&Value> = items.iter().map(|(_, item)| *item).collect();
    m.missing_items(doc, &dicts, out);
    if items.is_empty() {
        return;
    }
    m.multiple_items(&dicts, out);
    for &(i, item) in &items {
        let path = format!("items[{i}]");
        let place = if items.len() > 1 {
            format!("item {}", i + 1)
        } else {
            "the item".to_string()
        };
        m.unknown_key(item, ITEM_KEYS, &place, &path, out);
        m.missing_assets(item, &place, out);
        if let Some(assets) = item.get("assets").and_then(Value::as_array) {
            for (j, asset) in assets.iter().enumerate() {
                let path = format!("{path}.assets[{j}]");
                m.unknown_key(asset, ASSET_KEYS, &format!("an asset of {place}"), &path, out);
                m.removed_keys(Holder::Asset, asset, &place, &path, out);
                m.unknown_asset_kind(asset, &place, &path, out);
            }
            m.missing_software_package(assets, &place, out);
            m.multiple_software_packages(assets, &place, out);
            m.missing_images(assets, &place, out);
        }
        m.missing_metadata(item, &place, out);
        if let Some(meta) = item.get("metadata").filter(|meta| meta.is_object()) {
            let path = format!("{path}.metadata");
            m.unknown_key(meta, METADATA_KEYS, &format!("the metadata of {place}"), &path, out);
            m.metadata_kind_not_software(meta, &place, &path, out);
            m.missing_title(meta, &place, &path, out);
            m.missing_bundle_identifier(meta, &place, &path, out);
            m.removed_keys(Holder::Metadata, meta, &place, &path, out);
            m.unknown_platform_identifier(meta, &place, &path, out);
        }
    }
}

/// The MAN rules on one asset of the manifest that need what fetching it gave: MAN017 (hash
/// chunks against the package's size) and MAN020 (the icon's PNG). The asset's URL is the URL
/// family's (`url::check_asset`).
pub fn check_asset(walk: &WalkFacts, listed: &ListedAsset<'_>, out: &mut Vec<Finding>) {
    let Some(facts) = &walk.document else { return };
    let m = Man { walk, facts };
    let fetched = walk
        .assets
        .iter()
        .find(|f| f.item == listed.item && f.asset == listed.index);
    let path = format!("items[{}].assets[{}]", listed.item, listed.index);
    m.hash_chunks_inconsistent(listed.value, listed.kind, fetched, &path, out);
    m.image_not_png(walk, listed, fetched, out);
}

struct Man<'a> {
    walk: &'a WalkFacts,
    facts: &'a ManifestFacts,
}

/// Where a key that iOS no longer reads was found (MAN018).
#[derive(Clone, Copy)]
enum Holder {
    Asset,
    Metadata,
}

impl Man<'_> {
    fn subject(&self) -> Subject {
        Subject {
            resource: Resource::Manifest,
            target: self.walk.manifest_url.clone(),
            link: self.walk.link,
        }
    }

    fn finding(&self, rule: &'static rules::Rule, message: String, fix: String, line: Option<usize>) -> Finding {
        let mut f = Finding::new(rule, self.subject(), message, fix);
        if let Some(line) = line {
            f.location = Some(Location {
                file: self.walk.manifest_url.clone(),
                line,
                column: 1,
            });
        }
        f
    }

    /// The line of the `<key>` at `path` (`items[0].metadata.kind`).
    fn line(&self, path: &str) -> Option<usize> {
        self.facts.key_lines.get(path).copied()
    }

    /// The line of the first occurrence of `needle` in the manifest text.
    fn line_of(&self, needle: &str) -> Option<usize> {
        let text = self.facts.text.as_ref()?;
        text.find(needle).map(|at| crate::text::line_and_column(text, at).0)
    }

    /// MAN002: the manifest's bytes are not plain UTF-8, or not what its XML declaration says.
    fn manifest_encoding(&self, out: &mut Vec<Finding>) {
        let f = self.facts;
        let problem = if f.utf8_bom {
            Some("the manifest starts with a UTF-8 byte order mark (EF BB BF)".to_string())
        } else if let Some(utf16) = &f.utf16 {
            Some(format!("the manifest is {utf16}, not UTF-8"))
        } else if let Some(declared) = &f.declared_encoding {
            let d = declared.to_ascii_lowercase().replace('_', "-");
            let says_utf8 = d == "utf-8" || d == "utf8";
            if says_utf8 && !f.valid_utf8 {
                Some(format!("encoding=\"{declared}\", but the bytes are not UTF-8"))
            } else if !(says_utf8 || d == "us-ascii" || d == "ascii") && f.valid_utf8 && !f.ascii {
                Some(format!("encoding=\"{declared}\", but the bytes are UTF-8"))
            } else {
                None
            }
        } else {
            None
        };
        if let Some(message) = problem {
            out.push(self.finding(
                &rules::MANIFEST_ENCODING,
                message,
                "save the manifest as UTF-8 without a byte order mark, declared as <?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_string(),
                Some(1).filter(|_| self.facts.text.is_some()),
            ));
        }
    }

    /// MAN001: the manifest did not parse as a plist, or holds far more than any manifest (the
    /// facts keep a cut copy).
    fn manifest_not_plist(&self, out: &mut Vec<Finding>) {
        let f = self.facts;
        if let Some(cut) = f.document.as_ref().and(f.document_cut.as_ref()) {
            out.push(
                self.finding(
                    &rules::MANIFEST_NOT_PLIST,
                    format!(
                        "the manifest holds far more than a manifest does, so only its first part was read ({})",
                        cut.describe()
                    ),
                    "publish the manifest the build writes: one item with its assets and metadata, a few kilobytes"
                        .to_string(),
                    None,
                ),
            );
            return;
        }
        if f.document.is_some() {
            return;
        }
        // an HTML page, a challenge or an LFS pointer in its place is an HTTP finding, not a broken plist
        let served_other = self.walk.manifest.as_ref().and_then(|f| f.last()).is_some_and(|e| {
            crate::check::http::is_html(e) || e.body_head.starts_with("version https://git-lfs.github.com/spec/")
        });
        if served_other {
            return;
        }
        let (message, line, fix) = match &f.parse_error {
            Some(e) => {
                let place = match (e.line, e.column) {
                    (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
                    _ => String::new(),
                };
                let mut fix = "fix the XML so it parses: plutil -lint manifest.plist shows the same place".to_string();
                if let Some(source) = &e.source_line
                    && let Some(escaped) = escape_raw_ampersands(source)
                {
                    fix = format!(
                        "escape \"&\" as \"&amp;\" inside <string> (pre-signed URLs are full of them):\n{}",
                        escaped.trim()
                    );
                }
                let message = e
                    .message
                    .rsplit_once(" at ")
                    .filter(|(_, pos)| pos.contains(':'))
                    .map_or(e.message.as_str(), |(m, _)| m);
                (
                    format!("the manifest is not a valid plist{place}: {message}"),
                    e.line,
                    fix,
                )
            }
            None => (
                "the manifest is not a plist".to_string(),
                None,
                "serve an XML plist (<?xml …?><plist version=\"1.0\">…) at this URL".to_string(),
            ),
        };
        let mut finding = self.finding(&rules::MANIFEST_NOT_PLIST, message, fix, line);
        if let Some(e) = &f.parse_error
            && let Some(source) = &e.source_line
        {
            let col = e.column.unwrap_or(1).saturating_sub(1);
            let start = source.char_indices().nth(col).map_or(source.len(), |(i, _)| i);
            let end = source[start..].chars().next().map_or(start, |c| start + c.len_utf8());
            // show the line without its indentation
            let indent = source.len() - source.trim_start().len();
            let shown = source.trim();
            let (start, end) = (
                start.saturating_sub(indent).min(shown.len()),
                end.saturating_sub(indent).min(shown.len()),
            );
            finding = finding.highlight(shown, start..end.max(start), "here");
        }
        // the column, also where the line is not kept (a manifest of one line of a megabyte)
        if let Some(e) = &f.parse_error
            && let Some(location) = finding.location.as_mut()
        {
            location.column = e.column.unwrap_or(1);
        }
        out.push(finding);
    }

    /// MAN003: the manifest is a binary plist.
    fn manifest_binary_plist(&self, out: &mut Vec<Finding>) {
        if self.facts.format != crate::facts::ManifestFormat::Binary {
            return;
        }
        out.push(self.finding(
            &rules::MANIFEST_BINARY_PLIST,
            "the manifest is a binary plist".to_string(),
            "nothing to fix for the phone; an XML manifest is easier to read and diff (plutil -convert xml1 manifest.plist)".to_string(),
            None,
        ));
    }

    /// MAN013: a key of the dict at `path` is not in `known` but is a typo of one that is.
    fn unknown_key(&self, value: &Value, known: &[&str], place: &str, path: &str, out: &mut Vec<Finding>) {
        let Some(map) = value.as_object() else { return };
        for key in map.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            if let Some(meant) = nearest_key(key, known) {
                out.push(self.finding(
                    &rules::UNKNOWN_KEY,
                    format!("{place} has the key \"{key}\", which iOS does not know: did you mean \"{meant}\"?"),
                    format!("rename the key to \"{meant}\"; iOS reads it as missing"),
                    self.line(&join(path, key)),
                ));
            }
        }
    }

    /// MAN004: the manifest has no items array of dicts.
    fn missing_items(&self, doc: &Value, items: &[&Value], out: &mut Vec<Finding>) {
        if !items.is_empty() {
            return;
        }
        let what = match doc.get("items") {
            None => "the manifest has no \"items\" key".to_string(),
            Some(Value::Array(a)) if a.is_empty() => "\"items\" is an empty array".to_string(),
            Some(Value::Array(_)) => "\"items\" holds no dict".to_string(),
            Some(_) => "\"items\" is not an array".to_string(),
        };
        out.push(self.finding(
            &rules::MISSING_ITEMS,
            what,
            "give the manifest an items array with one dict per app: {assets, metadata}".to_string(),
            self.line_of("<key>items</key>"),
        ));
    }

    /// MAN023: the manifest has more than one item.
    fn multiple_items(&self, items: &[&Value], out: &mut Vec<Finding>) {
        if items.len() <= 1 {
            return;
        }
        out.push(self.finding(
            &rules::MULTIPLE_ITEMS,
            format!(
                "the manifest has {} items: one tap installs {} apps, and each is checked",
                items.len(),
                items.len()
            ),
            "nothing to fix if several apps are meant; otherwise publish one manifest per app".to_string(),
            None,
        ));
    }

    /// MAN005: an item has no assets array.
    fn missing_assets(&self, item: &Value, place: &str, out: &mut Vec<Finding>) {
        if item.get("assets").and_then(Value::as_array).is_some() {
            return;
        }
        out.push(
            self.finding(
                &rules::MISSING_ASSETS,
                format!("{place} has no \"assets\" array"),
                "add assets with at least the software-package: {kind: software-package, url: https://…/App.ipa}"
                    .to_string(),
                None,
            ),
        );
    }

    /// MAN018: a key iOS no longer reads: needs-shine on an asset, sizeInBytes or items in
    /// metadata.
    fn removed_keys(&self, holder: Holder, value: &Value, place: &str, path: &str, out: &mut Vec<Finding>) {
        let keys: &[&str] = match holder {
            Holder::Asset => &["needs-shine"],
            Holder::Metadata => &["sizeInBytes", "items"],
        };
        for key in keys.iter().copied().filter(|k| value.get(*k).is_some()) {
            let message = match holder {
                Holder::Asset => format!("an asset of {place} has \"{key}\", which iOS ignores"),
                Holder::Metadata => format!("the metadata of {place} has {key}, which iOS ignores"),
            };
            out.push(self.finding(
                &rules::REMOVED_KEYS,
                message,
                format!("remove {key}"),
                self.line(&join(path, key)),
            ));
        }
    }

    /// MAN008: an asset's kind is not one Apple's schema knows.
    fn unknown_asset_kind(&self, asset: &Value, place: &str, path: &str, out: &mut Vec<Finding>) {
        let Some(kind) = asset.get("kind").and_then(Value::as_str) else {
            return;
        };
        if ASSET_KINDS.contains(&kind) {
            return;
        }
        let normal = kind.trim().to_ascii_lowercase().replace('_', "-");
        let nearest = ASSET_KINDS
            .iter()
            .map(|k| (edit_distance(&normal, k), *k))
            .min()
            .filter(|(d, _)| *d <= 3);
        let fix = match nearest {
            Some((_, k)) => format!("write \"{k}\""),
            None => "use one of software-package, display-image, full-size-image".to_string(),
        };
        out.push(self.finding(
            &rules::UNKNOWN_ASSET_KIND,
            format!("{place} has an asset of kind \"{kind}\", which iOS does not know"),
            fix,
            self.line(&join(path, "kind")),
        ));
    }

    /// MAN006: an item has no software-package asset.
    fn missing_software_package(&self, assets: &[Value], place: &str, out: &mut Vec<Finding>) {
        if kinds(assets).any(|k| k == "software-package") {
            return;
        }
        out.push(self.finding(
            &rules::MISSING_SOFTWARE_PACKAGE,
            format!("{place} has no asset of kind software-package"),
            "add {kind: software-package, url: https://…/App.ipa} to the assets".to_string(),
            None,
        ));
    }

    /// MAN007: an item has more than one software-package asset.
    fn multiple_software_packages(&self, assets: &[Value], place: &str, out: &mut Vec<Finding>) {
        let packages = kinds(assets).filter(|k| *k == "software-package").count();
        if packages <= 1 {
            return;
        }
        out.push(self.finding(
            &rules::MULTIPLE_SOFTWARE_PACKAGES,
            format!("{place} has {packages} software-package assets"),
            "keep one software-package per item; put other apps in items of their own".to_string(),
            None,
        ));
    }

    /// MAN019: an item lacks the display-image or the full-size-image asset.
    fn missing_images(&self, assets: &[Value], place: &str, out: &mut Vec<Finding>) {
        let missing: Vec<&str> = ["display-image", "full-size-image"]
            .into_iter()
            .filter(|image| !kinds(assets).any(|k| k == *image))
            .collect();
        if missing.is_empty() {
            return;
        }
        out.push(self.finding(
            &rules::MISSING_IMAGES,
            format!("{place} has no {} asset", missing.join(" and no ")),
            "add a display-image (57×57 PNG) and a full-size-image (512×512 PNG), both https".to_string(),
            None,
        ));
    }

    /// MAN009: an item has no metadata dict.
    fn missing_metadata(&self, item: &Value, place: &str, out: &mut Vec<Finding>) {
        if item.get("metadata").is_some_and(Value::is_object) {
            return;
        }
        out.push(self.finding(
            &rules::MISSING_METADATA,
            format!("{place} has no \"metadata\" dict"),
            "add metadata with bundle-identifier, bundle-version, kind = software and title".to_string(),
            None,
        ));
    }

    /// MAN010: the metadata's kind is missing or not "software".
    fn metadata_kind_not_software(&self, meta: &Value, place: &str, path: &str, out: &mut Vec<Finding>) {
        match meta.get("kind").and_then(Value::as_str) {
            Some("software") => {}
            Some(other) => out.push(self.finding(
                &rules::METADATA_KIND_NOT_SOFTWARE,
                format!("metadata.kind of {place} is \"{other}\", not \"software\""),
                "write <key>kind</key><string>software</string> in metadata".to_string(),
                self.line(&join(path, "kind")),
            )),
            None => out.push(self.finding(
                &rules::METADATA_KIND_NOT_SOFTWARE,
                format!("the metadata of {place} has no kind"),
                "add <key>kind</key><string>software</string> to metadata".to_string(),
                None,
            )),
        }
    }

    /// MAN011: the metadata's title is missing, empty or not a string.
    fn missing_title(&self, meta: &Value, place: &str, path: &str, out: &mut Vec<Finding>) {
        if let Some(message) = not_a_string(meta, "title", place) {
            out.push(self.finding(
                &rules::MISSING_TITLE,
                message,
                "add <key>title</key> with the app's name (the install prompt shows it)".to_string(),
                self.line(&join(path, "title")),
            ));
        }
    }

    /// MAN012: the metadata's bundle-identifier is missing, empty or not a string.
    fn missing_bundle_identifier(&self, meta: &Value, place: &str, path: &str, out: &mut Vec<Finding>) {
        if let Some(message) = not_a_string(meta, "bundle-identifier", place) {
            out.push(self.finding(
                &rules::MISSING_BUNDLE_IDENTIFIER,
                message,
                "add <key>bundle-identifier</key> with the app's CFBundleIdentifier, exactly".to_string(),
                self.line(&join(path, "bundle-identifier")),
            ));
        }
    }

    /// MAN021: the metadata's platform-identifier is not com.apple.platform.iphoneos.
    fn unknown_platform_identifier(&self, meta: &Value, place: &str, path: &str, out: &mut Vec<Finding>) {
        let Some(platform) = meta.get("platform-identifier").and_then(Value::as_str) else {
            return;
        };
        if platform == "com.apple.platform.iphoneos" {
            return;
        }
        out.push(self.finding(
            &rules::UNKNOWN_PLATFORM_IDENTIFIER,
            format!("platform-identifier of {place} is \"{platform}\""),
            "write com.apple.platform.iphoneos, or leave the key out (it is not in Apple's schema)".to_string(),
            self.line(&join(path, "platform-identifier")),
        ));
    }

    /// MAN020: an icon that is not a PNG of its size.
    fn image_not_png(
        &self,
        walk: &WalkFacts,
        listed: &ListedAsset<'_>,
        fetched: Option<&AssetFetch>,
        out: &mut Vec<Finding>,
    ) {
        let Some(png) = fetched.and_then(|f| f.png) else {
            return;
        };
        let kind = listed.kind;
        let want = if kind == "display-image" { 57 } else { 512 };
        let message = if !png.is_png {
            format!("the {kind} is not a PNG")
        } else if png.width != want || png.height != want {
            format!("the {kind} is {}×{}, not {want}×{want}", png.width, png.height)
        } else {
            return;
        };
        let url = listed.value.get("url").and_then(Value::as_str).unwrap_or_default();
        let subject = Subject {
            resource: Resource::Icon,
            target: url.to_string(),
            link: walk.link,
        };
        out.push(Finding::new(
            &rules::IMAGE_NOT_PNG,
            subject,
            message,
            format!("serve a {want}×{want} PNG"),
        ));
    }

    /// MAN017: the chunk hashes of the package asset do not fit their chunk size or the package.
    fn hash_chunks_inconsistent(
        &self,
        asset: &Value,
        kind: &str,
        fetched: Option<&AssetFetch>,
        path: &str,
        out: &mut Vec<Finding>,
    ) {
        if kind != "software-package" {
            return;
        }
        let size = fetched.and_then(|f| package_size(f.head.as_ref(), f.get.as_ref()));
        for (size_key, list_key) in [("md5-size", "md5s"), ("sha256-size", "sha256s")] {
            if let Some(v) = asset.get(size_key).filter(|v| !v.is_u64()) {
                out.push(self.finding(
                    &rules::HASH_CHUNKS_INCONSISTENT,
                    format!("{size_key} is {v}, not an <integer> number of bytes"),
                    format!("write <key>{size_key}</key><integer>…</integer>, the chunk size in bytes"),
                    self.line(&join(path, size_key)),
                ));
                continue;
            }
            let chunk = asset.get(size_key).and_then(Value::as_u64);
            let list = asset.get(list_key).and_then(Value::as_array).map(Vec::len);
            let message = match (chunk, list, size) {
                (None, None, _) => None,
                (Some(_), None, _) => Some(format!("the package asset has {size_key} but no {list_key}")),
                (None, Some(_), _) => Some(format!("the package asset has {list_key} but no {size_key}")),
                (Some(0), Some(_), _) => Some(format!("{size_key} is 0")),
                (Some(chunk), Some(n), Some(size)) => {
                    let expected = size.div_ceil(chunk);
                    (expected != n as u64).then(|| {
                        format!("{list_key} has {n} hashes, but a {size}-byte package in {chunk}-byte chunks needs {expected}")
                    })
                }
                (Some(_), Some(_), None) => None,
            };
            if let Some(message) = message {
                out.push(
                    self.finding(
                        &rules::HASH_CHUNKS_INCONSISTENT,
                        message,
                        "regenerate the hashes from the package you publish, or remove them (they are optional)"
                            .to_string(),
                        self.line(&join(path, list_key))
                            .or_else(|| self.line(&join(path, size_key))),
                    ),
                );
            }
        }
    }
}

/// MAN014, MAN015, MAN022 and (`--deep`) MAN016: the manifest against the package it points at,
/// when the package was read.
pub fn check_against_package(walk: &WalkFacts, out: &mut Vec<Finding>) {
    let Some(package) = walk.package.as_ref().filter(|p| p.error.is_none()) else {
        return;
    };
    let Some(manifest) = &walk.document else { return };
    let Some(document) = &manifest.document else {
        return;
    };
    let against = AgainstPackage {
        walk,
        manifest,
        package,
    };
    if let Some(meta) = document
        .get("items")
        .and_then(|items| items.get(0))
        .and_then(|item| item.get("metadata"))
        && let Some(app) = package.bundles.first()
    {
        against.bundle_id_mismatch(meta, app, out);
        against.title_differs_from_app(meta, app, out);
        against.bundle_version_mismatch(meta, app, out);
    }
    against.hash_mismatch(document, out);
}

/// The manifest of a walk and the package it led to.
struct AgainstPackage<'a> {
    walk: &'a WalkFacts,
    manifest: &'a ManifestFacts,
    package: &'a PackageFacts,
}

impl AgainstPackage<'_> {
    fn subject(&self) -> Subject {
        Subject {
            resource: Resource::Manifest,
            target: self.walk.manifest_url.clone(),
            link: self.walk.link,
        }
    }

    /// Where the key at `path` (`items[0].metadata.title`) is written.
    fn at(&self, path: &str) -> Option<Location> {
        self.manifest.key_lines.get(path).map(|&line| Location {
            file: self.walk.manifest_url.clone(),
            line,
            column: 1,
        })
    }

    /// A finding about the metadata key `key`, with the package as evidence.
    fn metadata_finding(&self, rule: &'static rules::Rule, key: &str, message: String, fix: String) -> Finding {
        let mut f = Finding::new(rule, self.subject(), message, fix);
        f.location = self.at(&format!("items[0].metadata.{key}"));
        f.evidence
            .insert("package".to_string(), Value::String(self.package.source.clone()));
        f
    }

    /// MAN014: the manifest's bundle-identifier is not the app's CFBundleIdentifier.
    fn bundle_id_mismatch(&self, meta: &Value, app: &BundleFacts, out: &mut Vec<Finding>) {
        let (Some(said), Some(is)) = (
            meta.get("bundle-identifier").and_then(Value::as_str),
            app.info_str("CFBundleIdentifier"),
        ) else {
            return;
        };
        if said == is {
            return;
        }
        let case = if said.eq_ignore_ascii_case(is) {
            " (they differ only in case, and the comparison is exact)"
        } else {
            ""
        };
        out.push(self.metadata_finding(
            &rules::BUNDLE_ID_MISMATCH,
            "bundle-identifier",
            format!("the manifest's bundle-identifier is \"{said}\", the app's CFBundleIdentifier is \"{is}\"{case}"),
            format!(
                "write <key>bundle-identifier</key><string>{is}</string> in the manifest (or publish the IPA built for {said})"
            ),
        ));
    }

    /// MAN022: the manifest's title and the app's display name have nothing in common.
    fn title_differs_from_app(&self, meta: &Value, app: &BundleFacts, out: &mut Vec<Finding>) {
        let Some(title) = meta.get("title").and_then(Value::as_str) else {
            return;
        };
        let Some((key, name)) = ["CFBundleDisplayName", "CFBundleName"]
            .into_iter()
            .find_map(|k| app.info_str(k).filter(|n| !n.trim().is_empty()).map(|n| (k, n)))
        else {
            return;
        };
        if !far_apart(title, name) {
            return;
        }
        out.push(self.metadata_finding(
            &rules::TITLE_DIFFERS_FROM_APP,
            "title",
            format!("the manifest's title is \"{title}\"; the app is called \"{name}\" ({key})"),
            format!("write a title that names the app, such as <key>title</key><string>{name}</string>"),
        ));
    }

    /// MAN015: the manifest's bundle-version is neither the app's build nor its version.
    fn bundle_version_mismatch(&self, meta: &Value, app: &BundleFacts, out: &mut Vec<Finding>) {
        let Some(said) = meta.get("bundle-version").and_then(Value::as_str) else {
            return;
        };
        let build = app.info_str("CFBundleVersion");
        let short = app.info_str("CFBundleShortVersionString");
        let known = [build, short].into_iter().flatten().collect::<Vec<_>>();
        if known.is_empty() || known.contains(&said) {
            return;
        }
        out.push(self.metadata_finding(
            &rules::BUNDLE_VERSION_MISMATCH,
            "bundle-version",
            format!(
                "the manifest's bundle-version is \"{said}\"; the app is {}",
                match (short, build) {
                    (Some(s), Some(b)) => format!("{s} (build {b})"),
                    (Some(v), None) | (None, Some(v)) => v.to_string(),
                    (None, None) => String::new(),
                }
            ),
            format!(
                "write <key>bundle-version</key><string>{}</string> in the manifest",
                short.or(build).unwrap_or_default()
            ),
        ));
    }

    /// MAN016 (`--deep`): the manifest's md5/md5s/sha256/sha256s against the package.
    fn hash_mismatch(&self, document: &Value, out: &mut Vec<Finding>) {
        let Some(deep) = self.package.deep.as_ref().filter(|d| d.error.is_none()) else {
            return;
        };
        let Some((i, a, asset)) = crate::manifest::package_asset(document) else {
            return;
        };
        let mut wrong: Vec<String> = Vec::new();
        for (key, actual) in [("md5", &deep.md5), ("sha256", &deep.sha256)] {
            if let Some(said) = asset.get(key).and_then(Value::as_str)
                && !said.trim().eq_ignore_ascii_case(actual)
            {
                let said: String = said.trim().chars().take(12).collect();
                wrong.push(format!("{key} {said}… is not the package's"));
            }
        }
        for (key, actual) in [("md5s", &deep.md5s), ("sha256s", &deep.sha256s)] {
            let (Some(said), Some((size, actual))) = (asset.get(key).and_then(Value::as_array), actual) else {
                continue;
            };
            let said: Vec<&str> = said.iter().filter_map(Value::as_str).map(str::trim).collect();
            let bad: Vec<usize> = (0..said.len().max(actual.len()))
                .filter(|&n| match (said.get(n), actual.get(n)) {
                    (Some(s), Some(a)) => !s.eq_ignore_ascii_case(a),
                    _ => true,
                })
                .collect();
            if let Some(first) = bad.first() {
                wrong.push(format!(
                    "{key}: {} of {} chunks of {size} bytes differ from the package (the first is chunk {})",
                    bad.len(),
                    actual.len().max(said.len()),
                    first + 1
                ));
            }
        }
        if wrong.is_empty() {
            return;
        }
        let mut f = Finding::new(
            &rules::HASH_MISMATCH,
            self.subject(),
            format!("the manifest's hashes do not match the package: {}", wrong.join("; ")),
            "regenerate the hashes from the exact .ipa you publish (md5 -q App.ipa; shasum -a 256 App.ipa), or remove them: they are optional",
        );
        f.location = self.at(&format!("items[{i}].assets[{a}].url"));
        f.evidence
            .insert("package".to_string(), Value::String(self.package.source.clone()));
        f.evidence
            .insert("package_md5".to_string(), Value::String(deep.md5.clone()));
        f.evidence
            .insert("package_sha256".to_string(), Value::String(deep.sha256.clone()));
        out.push(f);
    }
}

/// Whether a title and a display name have nothing in common: neither contains the other and
/// they share no word (letters and digits, case ignored). "Field Service" and "Field" are close.
fn far_apart(title: &str, name: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (t, n) = (words(title), words(name));
    if t.is_empty() || n.is_empty() {
        return false;
    }
    let (tj, nj) = (t.concat(), n.concat());
    !(tj.contains(&nj) || nj.contains(&tj) || t.iter().any(|w| n.contains(w)))
}

/// The kinds of the assets that have one.
fn kinds(assets: &[Value]) -> impl Iterator<Item = &str> {
    assets.iter().filter_map(|a| a.get("kind").and_then(Value::as_str))
}

/// What is wrong with the metadata's string `key` (MAN011, MAN012): missing, empty or not a
/// string; `None` when it is a non-blank string.
fn not_a_string(meta: &Value, key: &str, place: &str) -> Option<String> {
    match meta.get(key) {
        None => Some(format!("the metadata of {place} has no {key}")),
        Some(Value::String(v)) if v.trim().is_empty() => Some(format!("the {key} in the metadata of {place} is empty")),
        Some(Value::String(_)) => None,
        Some(_) => Some(format!("the {key} in the metadata of {place} is not a string")),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The known key a typo stands for: the same words in another case or separator style
/// (`bundleIdentifier`, `bundle_identifier`, `URL`), a trailing space, a well-known alias
/// (`CFBundleIdentifier`, `bundleID`), or at most two edits away (one for short keys).
fn nearest_key<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let normal = normalise_key(key);
    let alias = match normal.as_str() {
        "bundle-id" | "cfbundle-identifier" | "bundleid" | "identifier" => Some("bundle-identifier"),
        "cfbundle-version" | "cfbundle-short-version-string" | "version" => Some("bundle-version"),
        "name" | "app-name" | "cfbundle-name" | "cfbundle-display-name" => Some("title"),
        _ => None,
    };
    if let Some(alias) = alias.and_then(|a| known.iter().find(|k| **k == a)) {
        return Some(alias);
    }
    let length = normal.chars().count();
    known
        .iter()
        .map(|candidate| (normalise_key(candidate), *candidate))
        // more than two edits apart by length alone: no distance to compute (a long key costs
        // nothing)
        .filter(|(candidate, _)| length.abs_diff(candidate.chars().count()) <= 2)
        .map(|(candidate, known)| (edit_distance(&normal, &candidate), known))
        .filter(|(d, candidate)| *d <= if candidate.len() <= 4 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `bundleIdentifier`, `Bundle_Identifier `, `URL` → `bundle-identifier`, `url`.
fn normalise_key(key: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in key.trim().chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('-');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c == '_' || c == ' ' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
    }
    out
}

/// The line with each raw `&` (one that does not start an entity) written `&amp;`. Looks at
/// most 9 bytes past each `&`, so a line full of them costs its length.
fn escape_raw_ampersands(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut changed = false;
    for (i, c) in line.char_indices() {
        if c == '&' {
            // an entity name is at most 8 bytes, then its `;`
            let rest = line.as_bytes().get(i + 1..).unwrap_or_default();
            let name = rest.iter().take(9).position(|b| *b == b';').map(|end| &rest[..end]);
            let entity = name.is_some_and(|e| {
                [&b"amp"[..], b"lt", b"gt", b"quot", b"apos"].contains(&e) || (e.starts_with(b"#") && e.len() > 1)
            });
            if !entity {
                out.push_str("&amp;");
                changed = true;
                continue;
            }
        }
        out.push(c);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_map_to_known_keys() {
        assert_eq!(
            nearest_key("bundle-identifer", METADATA_KEYS),
            Some("bundle-identifier")
        );
        assert_eq!(
            nearest_key("bundleIdentifier", METADATA_KEYS),
            Some("bundle-identifier")
        );
        assert_eq!(nearest_key("url ", ASSET_KEYS), Some("url"));
        assert_eq!(nearest_key("x-custom-build", METADATA_KEYS), None);
        assert_eq!(nearest_key("URL", ASSET_KEYS), Some("url"));
        assert_eq!(nearest_key("bundleID", METADATA_KEYS), Some("bundle-identifier"));
        assert_eq!(
            nearest_key("CFBundleIdentifier", METADATA_KEYS),
            Some("bundle-identifier")
        );
    }

    #[test]
    fn raw_ampersands_are_escaped_and_entities_kept() {
        assert_eq!(
            escape_raw_ampersands("a?x=1&y=2&amp;z").as_deref(),
            Some("a?x=1&amp;y=2&amp;z")
        );
        assert_eq!(escape_raw_ampersands("a&amp;b"), None);
    }
}
