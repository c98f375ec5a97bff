//! Reading a package (an IPA): its zip index and the Info.plist of the app and of every
//! extension, through byte ranges (HTTP Range requests or a local file). Records; never judges.

use crate::collect::bounded;
use crate::collect::profile::{self, ExtraAnchor, PROFILE_CAP};
use crate::collect::remote_zip::{self, RangeSource};
use crate::collect::seal;
use crate::facts::{
    BundleFacts, BundleKind, ExecutableFacts, PackageError, PackageErrorKind, PackageFacts, SealFacts, SealedHash,
};
use crate::text::hex;

/// Info.plist, decompressed, at most.
pub const INFO_PLIST_CAP: u64 = 8 * 1024 * 1024;
/// `_CodeSignature/CodeResources`, decompressed, at most (a seal of tens of thousands of files).
pub const CODE_RESOURCES_CAP: u64 = 16 * 1024 * 1024;
/// How many Info.plist files of extensions are read at most.
const MAX_BUNDLES: usize = 32;

/// Reads the package at `source` (named `name` in the facts), with the load commands of every
/// Mach-O and the signatures within the cap (`collect::macho`).
pub async fn read<S: RangeSource>(source: &S, name: &str, anchors: &[ExtraAnchor]) -> PackageFacts {
    read_with(source, name, anchors, false).await
}

/// `read`, and with `deep` every Mach-O's signature whatever the compressed executables weigh.
pub async fn read_with<S: RangeSource>(source: &S, name: &str, anchors: &[ExtraAnchor], deep: bool) -> PackageFacts {
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
                    kind: PackageErrorKind::NotZip,
                    reason,
                    head: source
                        .range(0, 511)
                        .await
                        .ok()
                        .map(|head| String::from_utf8_lossy(&head).into_owned()),
                },
                other => PackageError {
                    kind: PackageErrorKind::Read,
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
    if let Some(reason) = overlap(&zip.entries) {
        facts.error = Some(PackageError {
            kind: PackageErrorKind::Overlap,
            reason,
            head: None,
        });
        facts.requests = zip.extents.requests;
        facts.bytes_read = zip.extents.bytes;
        return facts;
    }
    facts.apps = apps.clone();
    let Some(main) = apps.first().cloned() else {
        facts.requests = zip.extents.requests;
        facts.bytes_read = zip.extents.bytes;
        return facts;
    };
    // the app, then its extensions, watch apps and App Clips
    let mut bundles = vec![(main.clone(), BundleKind::App)];
    for e in &zip.entries {
        let Some(rest) = e.name.strip_prefix(&format!("{main}/")) else {
            continue;
        };
        let Some(bundle) = rest.strip_suffix("/Info.plist") else {
            continue;
        };
        let kind = match bundle.split('/').collect::<Vec<_>>().as_slice() {
            ["PlugIns", x] if x.ends_with(".appex") => BundleKind::Appex,
            ["Watch", x] if x.ends_with(".app") => BundleKind::WatchApp,
            ["AppClips", x] if x.ends_with(".app") => BundleKind::AppClip,
            ["Extensions", x] if x.ends_with(".appex") => BundleKind::Appex,
            _ => continue,
        };
        bundles.push((format!("{main}/{bundle}"), kind));
    }
    bundles.truncate(MAX_BUNDLES);
    // the three files of each bundle, fetched together where they lie close
    let wanted: Vec<String> = bundles
        .iter()
        .flat_map(|(path, _)| {
            [
                format!("{path}/Info.plist"),
                format!("{path}/embedded.mobileprovision"),
                format!("{path}/_CodeSignature/CodeResources"),
            ]
        })
        .collect();
    remote_zip::prefetch(source, &mut zip, &wanted, CODE_RESOURCES_CAP).await;
    for (path, kind) in bundles {
        let name = format!("{path}/Info.plist");
        let mut bundle = BundleFacts {
            path: path.clone(),
            kind,
            ..BundleFacts::default()
        };
        let mut info_plist_bytes = None;
        match remote_zip::read_entry(source, &mut zip, &name, INFO_PLIST_CAP).await {
            Ok(bytes) => {
                match bounded::read_plist(&bytes) {
                    Ok(value) => {
                        let (json, cut) = bounded::to_json(&value);
                        bundle.info_plist = Some(json);
                        bundle.info_plist_cut = cut;
                    }
                    Err(e @ bounded::PlistError::Plist(_)) => {
                        bundle.info_plist_error = Some(format!("is not a plist ({e})"))
                    }
                    Err(e) => bundle.info_plist_error = Some(format!("is not a plist Xcode writes: {e}")),
                }
                info_plist_bytes = Some(bytes);
            }
            Err(remote_zip::ZipReadError::NoEntry(_)) => bundle.info_plist_error = Some("is missing".to_string()),
            Err(e @ remote_zip::ZipReadError::Extract(_)) => bundle.info_plist_error = Some(e.to_string()),
            Err(e) => bundle.info_plist_error = Some(format!("could not be read: {e}")),
        }
        let profile_name = format!("{path}/embedded.mobileprovision");
        match remote_zip::read_entry(source, &mut zip, &profile_name, PROFILE_CAP).await {
            Ok(bytes) => bundle.profile = Some(profile::read(&profile_name, &bytes, anchors)),
            Err(remote_zip::ZipReadError::NoEntry(_)) => {}
            // stored in a way that cannot be extracted (IPA005 tells why): the reader's trouble
            Err(e @ remote_zip::ZipReadError::Extract(_)) => bundle.profile_error = Some(e.to_string()),
            Err(e @ remote_zip::ZipReadError::TooLarge(..)) => {
                bundle.profile = Some(crate::facts::ProfileFacts {
                    source: profile_name,
                    error: Some(e.to_string()),
                    ..Default::default()
                });
            }
            Err(e) => bundle.profile_error = Some(format!("could not be read: {e}")),
        }
        let seal_name = format!("{path}/_CodeSignature/CodeResources");
        match remote_zip::read_entry(source, &mut zip, &seal_name, CODE_RESOURCES_CAP).await {
            Ok(bytes) => bundle.seal = Some(seal(&bytes, info_plist_bytes.as_deref())),
            Err(remote_zip::ZipReadError::NoEntry(_)) => {}
            Err(e) => {
                bundle.seal = Some(SealFacts {
                    error: Some(e.to_string()),
                    ..SealFacts::default()
                });
            }
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
    let (machos, reading) = crate::collect::macho::read(source, &mut zip, &facts.bundles, deep).await;
    facts.machos = machos;
    facts.macho_reading = Some(reading);
    facts.requests = zip.extents.requests;
    facts.bytes_read = zip.extents.bytes;
    facts
}

/// Two entries whose bytes overlap (by their local header, name and data, a lower bound as the
/// local extra field is not known): the trick of non-recursive zip bombs, refused by iOS.
fn overlap(entries: &[remote_zip::Entry]) -> Option<String> {
    let mut spans: Vec<(u64, u64, &str)> = entries
        .iter()
        .map(|e| {
            let end = e
                .header_start
                .saturating_add(30 + e.name.len() as u64)
                .saturating_add(e.compressed_size);
            (e.header_start, end, e.name.as_str())
        })
        .collect();
    spans.sort_unstable();
    spans.windows(2).find_map(|w| {
        let ((_, end, a), (start, _, b)) = (w[0], w[1]);
        (start < end).then(|| format!("the entries {a} and {b} share bytes (from offset {start}): overlapping entries, as zip bombs build them"))
    })
}

/// Reads CodeResources and compares the hash it seals for Info.plist with the file's.
/// `files2` (hash2: SHA-256, else hash: SHA-1) first, then the older `files` (SHA-1).
pub fn seal(code_resources: &[u8], info_plist: Option<&[u8]>) -> SealFacts {
    let mut facts = SealFacts::default();
    let dict = match bounded::read_plist(code_resources) {
        Ok(plist::Value::Dictionary(d)) => d,
        Ok(_) => {
            facts.error = Some("is a plist but not a dictionary".to_string());
            return facts;
        }
        Err(e @ bounded::PlistError::Plist(_)) => {
            facts.error = Some(format!("is not a plist ({e})"));
            return facts;
        }
        Err(e) => {
            facts.error = Some(format!("is not a plist Xcode writes: {e}"));
            return facts;
        }
    };
    let files2 = dict.get("files2").and_then(plist::Value::as_dictionary);
    let files = dict.get("files").and_then(plist::Value::as_dictionary);
    facts.sealed_files = files2.or(files).map_or(0, plist::Dictionary::len);
    // files2 first; Xcode's rules leave Info.plist out of it, so then the older files
    let sealed = [("files2", files2), ("files", files)]
        .into_iter()
        .find_map(|(name, dict)| match seal::sealed_entry(dict?.get("Info.plist")?).0 {
            seal::Sealed::Sha256(h) => Some((name, "sha256", &ring::digest::SHA256, h)),
            seal::Sealed::Sha1(h) => Some((name, "sha1", &ring::digest::SHA1_FOR_LEGACY_USE_ONLY, h)),
            _ => None,
        });
    if let Some((name, algorithm, digest, hash)) = sealed {
        let key = match (name, algorithm) {
            ("files2", "sha256") => "files2.hash2",
            ("files2", _) => "files2.hash",
            _ => "files",
        };
        facts.info_plist = Some(SealedHash {
            key: key.to_string(),
            algorithm: algorithm.to_string(),
            sealed: hex(&hash),
            actual: info_plist
                .map(|bytes| hex(ring::digest::digest(digest, bytes).as_ref()))
                .unwrap_or_default(),
        });
    }
    facts
}
