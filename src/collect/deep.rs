//! `--deep`: the whole package, read once. Its MD5 and SHA-256 (and per-chunk digests when the
//! manifest gives `md5-size`/`sha256-size`), and every bundle's files against its
//! `_CodeSignature/CodeResources`: files added, removed or changed after signing; and every
//! signed Mach-O's code pages, Info.plist and CodeResources against its CodeDirectories.
//!
//! A remote package is first copied to a private file of the run's scratch folder in Range requests of `CHUNK` bytes
//! (each within the run's timeouts; nothing large is held in memory), then read like a local one.
//! Records; never judges (SIG010 and MAN016 do).

use std::io::{Read, Seek};

use md5::Digest as _;

use crate::collect::remote_zip::RangeSource;
use crate::collect::scratch::Scratch;
use crate::collect::seal::{Sealed, sealed_entry};
use crate::facts::{DeepFacts, DeepSignature, MachORole, PackageFacts, SealCheck};
use crate::text::hex;

/// The size of each Range request of a download.
pub const CHUNK: u64 = 8 * 1024 * 1024;
/// The most a package is downloaded for `--deep`.
pub const MAX_PACKAGE: u64 = 8 * 1024 * 1024 * 1024;
/// The most bytes inflated while checking seals (a zip bomb stops here).
const MAX_INFLATED: u64 = 16 * 1024 * 1024 * 1024;
/// The largest Mach-O whose pages are checked (held in memory while they are hashed).
const MAX_EXECUTABLE: u64 = 512 * 1024 * 1024;
/// How many names of each kind (added, removed, changed) are kept per bundle.
const MAX_NAMES: usize = 200;

/// The chunk sizes the manifest asks hashes for: (`md5-size`, `sha256-size`).
pub type ChunkSizes = (Option<u64>, Option<u64>);

/// Downloads `source` (of `len` bytes) to a file of the run's scratch folder in `CHUNK`
/// ranges, then checks it. The file is created exclusively, readable only by its owner, and is
/// removed when the check is done (and with the folder on every other way out: see `scratch`).
pub async fn check_remote<S: RangeSource>(
    source: &S,
    len: u64,
    package: &PackageFacts,
    sizes: ChunkSizes,
    scratch: &Scratch,
) -> DeepFacts {
    if len > MAX_PACKAGE {
        return failed(format!(
            "the package is {len} bytes; --deep downloads at most {MAX_PACKAGE}"
        ));
    }
    let mut file = match scratch.file("package-", ".ipa") {
        Ok(file) => file,
        Err(e) => return failed(format!("cannot make a temporary file: {e}")),
    };
    let facts = match download(source, len, file.as_file_mut()).await {
        Ok(requests) => {
            let mut facts = check_file(file.path(), package, sizes);
            facts.requests = requests;
            facts
        }
        Err(e) => failed(e),
    };
    drop(file);
    facts
}

async fn download<S: RangeSource>(source: &S, len: u64, file: &mut std::fs::File) -> Result<u32, String> {
    use std::io::Write as _;
    let mut requests = 0;
    let mut at = 0;
    while at < len {
        let end = (at + CHUNK).min(len) - 1;
        let bytes = source
            .range(at, end)
            .await
            .map_err(|e| format!("the download stopped at byte {at}: {e}"))?;
        requests += 1;
        file.write_all(&bytes)
            .map_err(|e| format!("cannot write a temporary file: {e}"))?;
        at = end + 1;
    }
    file.flush()
        .map_err(|e| format!("cannot write a temporary file: {e}"))?;
    Ok(requests)
}

fn failed(error: String) -> DeepFacts {
    DeepFacts {
        error: Some(error),
        ..DeepFacts::default()
    }
}

/// The chunk sizes of the manifest's (first) software-package asset.
pub fn chunk_sizes(document: &serde_json::Value) -> ChunkSizes {
    let asset = crate::manifest::package_asset(document).map(|(_, _, asset)| asset);
    let size = |key: &str| asset.and_then(|a| a.get(key)).and_then(serde_json::Value::as_u64);
    (size("md5-size"), size("sha256-size"))
}

/// Hashes the file at `path` and checks the seal of every bundle `package` found in it.
pub fn check_file(path: &std::path::Path, package: &PackageFacts, sizes: ChunkSizes) -> DeepFacts {
    match std::fs::File::open(path) {
        Ok(file) => check_reader(std::io::BufReader::new(file), package, sizes),
        Err(e) => failed(format!("cannot read the package: {e}")),
    }
}

/// Hashes the package `reader` holds and checks the seal of every bundle `package` found in it.
pub fn check_reader<R: Read + Seek>(mut reader: R, package: &PackageFacts, sizes: ChunkSizes) -> DeepFacts {
    let mut facts = DeepFacts::default();
    if let Err(e) = hash_whole(&mut reader, sizes, &mut facts) {
        return failed(format!("cannot read the package: {e}"));
    }
    if reader.rewind().is_err() {
        return failed("cannot read the package again".to_string());
    }
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => return failed(format!("the package does not open as a zip: {e}")),
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let mut budget = MAX_INFLATED;
    for bundle in &package.bundles {
        let Some(seal) = read_entry_capped(&mut archive, &format!("{}/_CodeSignature/CodeResources", bundle.path))
        else {
            continue;
        };
        let executable = bundle
            .info_plist
            .as_ref()
            .and_then(|p| p.get("CFBundleExecutable"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        match check_seal(&mut archive, &names, &bundle.path, &executable, &seal, &mut budget) {
            Ok(check) => facts.seals.push(check),
            Err(e) => {
                facts.error = Some(e);
                break;
            }
        }
    }
    if facts.error.is_none() {
        facts.code = check_code(&mut archive, package, &mut budget);
    }
    facts
}

/// Each signed Mach-O's code pages against its CodeDirectories, and the Info.plist and
/// CodeResources of its bundle (a framework's own) against their special slots: the signature
/// as read, with those comparisons added (`crate::codesign::check_pages`, `check_special`).
fn check_code<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    package: &PackageFacts,
    budget: &mut u64,
) -> Vec<DeepSignature> {
    let mut out = Vec::new();
    for macho in &package.machos {
        let signed: Vec<_> = macho
            .slices
            .iter()
            .filter(|s| s.signature.as_ref().is_some_and(|g| !g.directories.is_empty()))
            .collect();
        if signed.is_empty() {
            continue;
        }
        let bytes = match read_entry_within(archive, &macho.path, MAX_EXECUTABLE.min(*budget)) {
            Ok(bytes) => bytes,
            Err(e) => {
                out.push(DeepSignature {
                    file: macho.path.clone(),
                    error: Some(e),
                    ..DeepSignature::default()
                });
                continue;
            }
        };
        *budget = budget.saturating_sub(bytes.len() as u64);
        // the bundle whose Info.plist and CodeResources the signature binds
        let dir = match macho.role {
            MachORole::Main => Some(macho.bundle.clone()),
            MachORole::Framework => macho.path.rsplit_once('/').map(|(dir, _)| dir.to_string()),
            MachORole::Dylib => None,
        };
        let info = dir
            .as_ref()
            .and_then(|d| read_entry_capped(archive, &format!("{d}/Info.plist")));
        let resources = dir
            .as_ref()
            .and_then(|d| read_entry_capped(archive, &format!("{d}/_CodeSignature/CodeResources")));
        for slice in signed {
            let Some(mut signature) = slice.signature.clone() else {
                continue;
            };
            let start = usize::try_from(slice.offset).unwrap_or(usize::MAX);
            let end = usize::try_from(slice.offset.saturating_add(slice.size)).unwrap_or(usize::MAX);
            let slice_bytes = bytes.get(start..end.min(bytes.len())).unwrap_or_default();
            crate::codesign::check_pages(&mut signature, slice_bytes);
            if let Some(info) = &info {
                crate::codesign::check_special(&mut signature, crate::codesign::SPECIAL_INFO_PLIST, info);
            }
            if let Some(resources) = &resources {
                crate::codesign::check_special(&mut signature, crate::codesign::SPECIAL_CODE_RESOURCES, resources);
            }
            out.push(DeepSignature {
                file: macho.path.clone(),
                arch: slice.arch.clone(),
                error: None,
                signature: Some(signature),
            });
        }
    }
    out
}

/// A whole entry, refused past `cap` bytes inflated.
fn read_entry_within<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
    cap: u64,
) -> Result<Vec<u8>, String> {
    let file = archive
        .by_name(name)
        .map_err(|e| format!("{name} cannot be read: {e}"))?;
    let mut out = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{name} cannot be read: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!(
            "it inflates to more than {} MiB: its pages were not checked",
            cap >> 20
        ));
    }
    Ok(out)
}

/// A digest that can be fed and finished: MD5 (md-5) and SHA-256 (ring) behind one face.
trait Digester {
    fn fresh() -> Self;
    fn feed(&mut self, data: &[u8]);
    fn hex(self) -> String;
}

impl Digester for md5::Md5 {
    fn fresh() -> Self {
        md5::Md5::new()
    }
    fn feed(&mut self, data: &[u8]) {
        self.update(data);
    }
    fn hex(self) -> String {
        hex(&self.finalize())
    }
}

struct Sha256(ring::digest::Context);

impl Digester for Sha256 {
    fn fresh() -> Self {
        Sha256(ring::digest::Context::new(&ring::digest::SHA256))
    }
    fn feed(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    fn hex(self) -> String {
        hex(self.0.finish().as_ref())
    }
}

/// One digest of the whole stream, and one per `chunk` bytes when a chunk size is given.
struct Digests<D: Digester> {
    whole: D,
    chunk: Option<u64>,
    current: D,
    filled: u64,
    chunks: Vec<String>,
}

impl<D: Digester> Digests<D> {
    fn new(chunk: Option<u64>) -> Self {
        Digests {
            whole: D::fresh(),
            chunk: chunk.filter(|c| *c > 0),
            current: D::fresh(),
            filled: 0,
            chunks: Vec::new(),
        }
    }

    fn feed(&mut self, data: &[u8]) {
        self.whole.feed(data);
        let Some(size) = self.chunk else { return };
        let mut rest = data;
        while !rest.is_empty() {
            let take = usize::try_from((size - self.filled).min(rest.len() as u64)).unwrap_or(rest.len());
            self.current.feed(&rest[..take]);
            self.filled += take as u64;
            rest = &rest[take..];
            if self.filled == size {
                let done = std::mem::replace(&mut self.current, D::fresh());
                self.chunks.push(done.hex());
                self.filled = 0;
            }
        }
    }

    /// The whole digest, and (chunk size, chunk digests) when chunks were asked for.
    fn finish(mut self) -> (String, Option<(u64, Vec<String>)>) {
        if self.filled > 0 {
            self.chunks.push(self.current.hex());
        }
        (self.whole.hex(), self.chunk.map(|size| (size, self.chunks)))
    }
}

fn hash_whole<R: Read>(file: &mut R, sizes: ChunkSizes, facts: &mut DeepFacts) -> std::io::Result<()> {
    let mut md5 = Digests::<md5::Md5>::new(sizes.0);
    let mut sha256 = Digests::<Sha256>::new(sizes.1);
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.feed(&buf[..n]);
        sha256.feed(&buf[..n]);
        facts.bytes += n as u64;
    }
    (facts.md5, facts.md5s) = md5.finish();
    (facts.sha256, facts.sha256s) = sha256.finish();
    Ok(())
}

/// A small entry (CodeResources), at most 16 MiB inflated.
fn read_entry_capped<R: Read + Seek>(archive: &mut zip::ZipArchive<R>, name: &str) -> Option<Vec<u8>> {
    let file = archive.by_name(name).ok()?;
    let mut out = Vec::new();
    file.take(16 * 1024 * 1024).read_to_end(&mut out).ok()?;
    Some(out)
}

/// One rule of `rules2` (or `rules`): a pattern, and what a match means.
struct SealRule {
    pattern: regex::Regex,
    omit: bool,
    weight: f64,
}

fn seal_rules(dict: &plist::Dictionary) -> Vec<SealRule> {
    let rules = dict
        .get("rules2")
        .or_else(|| dict.get("rules"))
        .and_then(plist::Value::as_dictionary);
    let Some(rules) = rules else { return Vec::new() };
    rules
        .iter()
        .filter_map(|(pattern, value)| {
            // the regex crate reads Apple's patterns (POSIX extended, no look-around)
            let pattern = regex::Regex::new(pattern).ok()?;
            let flag = |k: &str| {
                value
                    .as_dictionary()
                    .and_then(|d| d.get(k))
                    .and_then(plist::Value::as_boolean)
                    .unwrap_or(false)
            };
            let weight = value
                .as_dictionary()
                .and_then(|d| d.get("weight"))
                .and_then(|w| w.as_real().or_else(|| w.as_signed_integer().map(|i| i as f64)))
                .unwrap_or(1.0);
            // `<key>^.*</key><false/>`: such a rule excludes what it matches
            let excluded = matches!(value, plist::Value::Boolean(false));
            Some(SealRule {
                pattern,
                omit: flag("omit") || excluded,
                weight,
            })
        })
        .collect()
}

/// The rule that decides for `path`: the heaviest match.
fn rule_for<'r>(rules: &'r [SealRule], path: &str) -> Option<&'r SealRule> {
    rules
        .iter()
        .filter(|r| r.pattern.is_match(path))
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
}

fn check_seal<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    names: &[String],
    bundle: &str,
    executable: &str,
    code_resources: &[u8],
    budget: &mut u64,
) -> Result<SealCheck, String> {
    let mut check = SealCheck {
        bundle: bundle.to_string(),
        ..SealCheck::default()
    };
    let Ok(plist::Value::Dictionary(dict)) = crate::collect::bounded::read_plist(code_resources) else {
        return Ok(check); // SIG009's reader says why
    };
    let files = dict
        .get("files2")
        .or_else(|| dict.get("files"))
        .and_then(plist::Value::as_dictionary)
        .cloned()
        .unwrap_or_default();
    let rules = seal_rules(&dict);
    let nested_code: Vec<String> = files
        .iter()
        .filter(|(_, v)| matches!(sealed_entry(v).0, Sealed::NestedCode))
        .map(|(k, _)| format!("{k}/"))
        .collect();
    let prefix = format!("{bundle}/");
    // every file of this bundle, by its path inside the bundle
    let present: std::collections::BTreeSet<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix(&prefix))
        .filter(|n| !n.is_empty() && !n.ends_with('/'))
        .collect();
    for (path, value) in &files {
        let (sealed, optional) = sealed_entry(value);
        // nested code is sealed as its folder; a file by its own entry
        let here = present.contains(path.as_str())
            || (matches!(sealed, Sealed::NestedCode) && present.iter().any(|p| p.starts_with(&format!("{path}/"))));
        if matches!(sealed, Sealed::Other) {
            continue;
        }
        if !here {
            if !optional && check.removed.len() < MAX_NAMES {
                check.removed.push(path.clone());
            }
            continue;
        }
        if let Some((algorithm, expected)) = sealed.digest() {
            let actual = hash_entry(archive, &format!("{prefix}{path}"), algorithm, budget)?;
            check.checked += 1;
            if actual != expected && check.changed.len() < MAX_NAMES {
                check.changed.push(path.clone());
            }
        }
    }
    for path in &present {
        if files.contains_key(path)
            || path.starts_with("_CodeSignature/")
            || *path == executable
            || nested_code.iter().any(|n| path.starts_with(n.as_str()))
        {
            continue;
        }
        let decided = rule_for(&rules, path);
        // a `nested` rule seals code by its own signature and anything else by its hash, so
        // only `omit` leaves a file out (nested bundles' files were skipped above)
        let omitted = match decided {
            Some(r) => r.omit,
            // without rules: what Xcode's default rules leave out of files2
            None => matches!(*path, "Info.plist" | "PkgInfo") || path.ends_with(".DS_Store"),
        };
        if !omitted && check.added.len() < MAX_NAMES {
            check.added.push(path.to_string());
        }
    }
    Ok(check)
}

fn hash_entry<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
    algorithm: &'static ring::digest::Algorithm,
    budget: &mut u64,
) -> Result<Vec<u8>, String> {
    let file = archive
        .by_name(name)
        .map_err(|e| format!("{name} cannot be read: {e}"))?;
    let mut reader = file.take(*budget + 1);
    let mut context = ring::digest::Context::new(algorithm);
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| format!("{name} cannot be read: {e}"))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        context.update(&buf[..n]);
    }
    if total > *budget {
        return Err(format!(
            "the package inflates to more than {MAX_INFLATED} bytes: the deep check stopped at {name}"
        ));
    }
    *budget -= total;
    Ok(context.finish().as_ref().to_vec())
}
