//! Reading a package (an IPA): its zip index and the Info.plist of the app and of every
//! extension, through byte ranges (HTTP Range requests or a local file). Records; never judges.

use crate::collect::remote_zip::{self, RangeSource};
use crate::facts::{BundleFacts, ExecutableFacts, PackageError, PackageFacts};

/// Info.plist, decompressed, at most.
pub const INFO_PLIST_CAP: u64 = 8 * 1024 * 1024;
/// How many Info.plist files of extensions are read at most.
const MAX_BUNDLES: usize = 32;

/// Reads the package at `source` (named `name` in the facts).
pub async fn read<S: RangeSource>(source: &S, name: &str) -> PackageFacts {
    let mut facts = PackageFacts {
        source: name.to_string(),
        ..PackageFacts::default()
    };
    let mut zip = match remote_zip::open(source).await {
        Ok(z) => z,
        Err(e) => {
            facts.error = Some(match e {
                // the first bytes tell a damaged zip from something else in its place
                remote_zip::ZipReadError::NotZip(reason) => PackageError {
                    kind: "not-zip".to_string(),
                    reason,
                    head: source
                        .range(0, 511)
                        .await
                        .ok()
                        .map(|head| String::from_utf8_lossy(&head).into_owned()),
                },
                other => PackageError {
                    kind: "read".to_string(),
                    reason: other.to_string(),
                    head: None,
                },
            });
            return facts;
        }
    };
    facts.bytes = zip.extents.len;
    facts.entries = zip.entries.len();
    facts.first_names = zip.entries.iter().take(12).map(|e| e.name.clone()).collect();
    let mut apps: Vec<String> = Vec::new();
    for e in &zip.entries {
        let parts: Vec<&str> = e.name.split('/').collect();
        if parts.len() >= 2 && parts[0] == "Payload" && parts[1].ends_with(".app") {
            let app = format!("Payload/{}", parts[1]);
            if !apps.contains(&app) {
                apps.push(app);
            }
        }
        let is_file = !e.name.ends_with('/');
        if is_file {
            facts.files += 1;
            if e.unix_mode.is_none() {
                facts.without_unix_modes += 1;
            }
        }
        if e.method != 0 && e.method != 8 {
            facts.odd_methods.push((e.name.clone(), e.method));
        }
        if e.encrypted {
            facts.encrypted.push(e.name.clone());
        }
        let file_name = parts.last().copied().unwrap_or_default();
        if parts.first() == Some(&"__MACOSX") || file_name == ".DS_Store" || file_name == "Thumbs.db" {
            facts.junk.push(e.name.clone());
        }
        if e.size >= 0xffff_ffff || e.compressed_size >= 0xffff_ffff || e.header_start >= 0xffff_ffff {
            facts.zip64 = true;
        }
    }
    facts.zip64 |= zip.entries.len() >= 0xffff || facts.bytes >= 0xffff_ffff || zip.extents.zip64_records();
    facts.apps = apps.clone();
    let Some(main) = apps.first().cloned() else {
        facts.requests = zip.extents.requests;
        facts.bytes_read = zip.extents.bytes;
        return facts;
    };
    // the app, then its extensions, watch apps and App Clips
    let mut bundles = vec![(main.clone(), "app".to_string())];
    for e in &zip.entries {
        let Some(rest) = e.name.strip_prefix(&format!("{main}/")) else {
            continue;
        };
        let Some(bundle) = rest.strip_suffix("/Info.plist") else {
            continue;
        };
        let kind = match bundle.split('/').collect::<Vec<_>>().as_slice() {
            ["PlugIns", x] if x.ends_with(".appex") => "appex",
            ["Watch", x] if x.ends_with(".app") => "watch-app",
            ["AppClips", x] if x.ends_with(".app") => "app-clip",
            ["Extensions", x] if x.ends_with(".appex") => "appex",
            _ => continue,
        };
        bundles.push((format!("{main}/{bundle}"), kind.to_string()));
    }
    for (path, kind) in bundles.into_iter().take(MAX_BUNDLES) {
        let name = format!("{path}/Info.plist");
        let mut bundle = BundleFacts {
            path: path.clone(),
            kind,
            ..BundleFacts::default()
        };
        match remote_zip::read_entry(source, &mut zip, &name, INFO_PLIST_CAP).await {
            Ok(bytes) => match plist::Value::from_reader(std::io::Cursor::new(bytes)) {
                Ok(value) => bundle.info_plist = Some(crate::collect::manifest::to_json(&value)),
                Err(e) => bundle.info_plist_error = Some(format!("is not a plist ({e})")),
            },
            Err(remote_zip::ZipReadError::NoEntry(_)) => bundle.info_plist_error = Some("is missing".to_string()),
            Err(e @ remote_zip::ZipReadError::Extract(_)) => bundle.info_plist_error = Some(e.to_string()),
            Err(e) => bundle.info_plist_error = Some(format!("could not be read: {e}")),
        }
        facts.bundles.push(bundle);
    }
    let executable = facts
        .bundles
        .first()
        .and_then(|b| b.info_plist.as_ref())
        .and_then(|p| p.get("CFBundleExecutable"))
        .and_then(|v| v.as_str());
    if let Some(exe) = executable {
        let path = format!("{main}/{exe}");
        let entry = zip.entries.iter().find(|e| e.name == path);
        facts.executable = Some(ExecutableFacts {
            exists: entry.is_some(),
            unix_mode: entry.and_then(|e| e.unix_mode),
            path,
        });
    }
    facts.requests = zip.extents.requests;
    facts.bytes_read = zip.extents.bytes;
    facts
}
