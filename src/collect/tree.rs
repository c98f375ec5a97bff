//! A directory as an input: walked like a source tree, and every file in it that holds
//! something to check read as a file argument would be.
//!
//! The walk is the `ignore` crate's (ripgrep's): `.gitignore`, `.ignore` and git's excludes are
//! respected — in a git checkout or not (a tarball, a CI artefact) — hidden entries are not
//! entered and symbolic links are not followed (either may lead out of the tree or into a
//! copy of it). Files are read on several threads. Each file is first searched for a few bytes,
//! without parsing: `itms` (any case: itms-services and its near misses), `services:/`,
//! `download-manifest` or `download_manifest`, or a manifest plist (`<plist` or `bplist`, with
//! `items`); a file named `.ipa` is a package and a `.mobileprovision` a profile whatever
//! their bytes, and so is a zip whose first entry is under `Payload/` (an IPA renamed .zip);
//! other zips (a .jar, a .docx) are binary files. Only those files are read as inputs, through `input::read_found` — the same
//! path as a file argument, so every finder works in a scan. Binary files (a NUL in the first
//! 8 KiB) and files over the 16 MiB cap of a local input are skipped, and so are images (PNG,
//! JPEG: icons and assets; their QR codes are read only from an image given as an argument);
//! what was skipped is counted, with examples, in the directory's facts.
//!
//! Paths are shown relative to the directory (`web/install.html`), with `/` separators, in
//! every input's file and locations; the inputs come in path order, after the directory's own.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use regex::bytes::Regex;

use crate::collect::PackageOptions;
use crate::collect::input::{InputError, MAX_LOCAL_INPUT, read_found};
use crate::facts::{Facts, Input, InputKind, ScanFacts, ScanSkip, ScanSkipReason};

/// What makes a text file worth reading: an install scheme or a near miss of it (`itms`,
/// `services:/` for `ims-services://`), or the action of a mangled one (`download-manifest`,
/// `download_manifest`), in any case. Searched in the bytes folded by `fold` (ASCII letters
/// lower-cased, and every other byte moved the same way), where a case-sensitive search finds
/// three literals fast: `_` folds to DEL (0x7f). What else folds onto a pattern's bytes (a
/// control character) only adds a file that the finders then read for nothing.
static LINK_BYTES: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?-u)itms|services:/|download[\x2d\x7f]manifest").ok());

/// ASCII case folding for the search: `b | 0x20` maps `A`–`Z` onto `a`–`z` and leaves the
/// lower-case letters, digits, `-`, `:`, `/` and every byte ≥ 0x80 as they are.
fn fold(bytes: &[u8], folded: &mut Vec<u8>) {
    folded.clear();
    folded.extend(bytes.iter().map(|b| b | 0x20));
}

/// The bytes read first of every file: a NUL in them makes the file binary.
const HEAD: usize = 8 * 1024;

/// The examples kept of each reason a file was skipped.
const EXAMPLES: usize = 5;

/// Reads the directory `dir` (as given on the command line): its own input first, with what
/// the scan found and skipped, then the inputs of every file that holds something to check, in
/// path order. Never an error: what cannot be read is counted as skipped.
pub fn read(dir: &str, package: &PackageOptions) -> Vec<Input> {
    let root = Path::new(dir);
    let scan = Scan::default();
    let mut walker = ignore::WalkBuilder::new(root);
    walker
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .parents(true)
        .ignore(true)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true);
    let hidden = std::sync::Arc::new(Mutex::new(Tally::default()));
    {
        let hidden = hidden.clone();
        let root = root.to_path_buf();
        walker.filter_entry(move |entry| {
            let name = entry.file_name().to_string_lossy();
            if entry.depth() == 0 || !name.starts_with('.') {
                return true;
            }
            // git's own folder is no part of the tree
            if name != ".git"
                && let Ok(mut tally) = hidden.lock()
            {
                tally.note(&shown(&root, entry.path()));
            }
            false
        });
    }
    walker.build_parallel().run(|| {
        let scan = &scan;
        let mut buffers = Buffers::default();
        Box::new(move |entry| {
            scan.visit(root, entry, &mut buffers, package);
            ignore::WalkState::Continue
        })
    });
    let Scan {
        files,
        matched,
        bytes_read,
        found,
        skipped,
    } = scan;
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut skipped = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Ok(hidden) = hidden.lock() {
        skipped.push((ScanSkipReason::Hidden, hidden.clone()));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let inputs: usize = found.iter().map(|(_, inputs)| inputs.len()).sum();
    let facts = ScanFacts {
        root: dir.to_string(),
        root_uri: root_uri(root),
        files: files.into_inner(),
        matched: matched.into_inner(),
        checked: found.len(),
        inputs,
        bytes_read: bytes_read.into_inner(),
        skipped: tallies(skipped),
        follow: false,
        offline: false,
    };
    let mut out = Vec::with_capacity(inputs + 1);
    out.push(Input {
        name: dir.to_string(),
        kind: InputKind::Directory,
        file: Some(dir.to_string()),
        facts: Facts {
            scan: Some(facts),
            ..Facts::default()
        },
    });
    for (_, inputs) in found {
        for mut input in inputs {
            input.facts.root = Some(dir.to_string());
            out.push(input);
        }
    }
    out
}

/// What the walk's threads gather.
#[derive(Default)]
struct Scan {
    files: AtomicUsize,
    matched: AtomicUsize,
    bytes_read: AtomicU64,
    /// Each file that gave inputs: its shown path and its inputs.
    found: Mutex<Vec<(String, Vec<Input>)>>,
    skipped: Mutex<Vec<(ScanSkipReason, Tally)>>,
}

/// How many of one reason, and the first few.
#[derive(Debug, Clone, Default)]
struct Tally {
    count: usize,
    examples: Vec<String>,
}

impl Tally {
    fn note(&mut self, example: &str) {
        self.count += 1;
        self.examples.push(example.to_string());
        // the first few by path, whatever order the threads saw them in
        if self.examples.len() > EXAMPLES * 4 {
            self.examples.sort();
            self.examples.truncate(EXAMPLES);
        }
    }
}

/// The tallies by reason, in the order of the reasons, each with its first examples by path.
fn tallies(raw: Vec<(ScanSkipReason, Tally)>) -> Vec<ScanSkip> {
    let mut by_reason: std::collections::BTreeMap<ScanSkipReason, Tally> = std::collections::BTreeMap::new();
    for (reason, tally) in raw {
        let entry = by_reason.entry(reason).or_default();
        entry.count += tally.count;
        entry.examples.extend(tally.examples);
    }
    by_reason
        .into_iter()
        .filter(|(_, t)| t.count > 0)
        .map(|(reason, mut tally)| {
            tally.examples.sort();
            tally.examples.truncate(EXAMPLES);
            ScanSkip {
                reason,
                count: tally.count,
                examples: tally.examples,
            }
        })
        .collect()
}

/// A walk thread's buffers, used again for every file: its bytes, and the same folded.
#[derive(Default)]
struct Buffers {
    bytes: Vec<u8>,
    folded: Vec<u8>,
}

/// What the search decided about one file.
enum Verdict {
    /// Nothing to check in it.
    Nothing,
    /// Read it as an input: its bytes, or `None` for a package (read in ranges).
    Read(Option<Vec<u8>>),
    Skip(ScanSkipReason, Option<String>),
}

impl Scan {
    fn skip(&self, reason: ScanSkipReason, example: String) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
        match skipped.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, tally)) => tally.note(&example),
            None => {
                let mut tally = Tally::default();
                tally.note(&example);
                skipped.push((reason, tally));
            }
        }
    }

    /// One entry of the walk.
    fn visit(
        &self,
        root: &Path,
        entry: Result<ignore::DirEntry, ignore::Error>,
        buffers: &mut Buffers,
        package: &PackageOptions,
    ) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                self.skip(ScanSkipReason::Unreadable, e.to_string());
                return;
            }
        };
        let path = entry.path();
        let shown = shown(root, path);
        if entry.path_is_symlink() {
            self.skip(ScanSkipReason::Symlink, shown);
            return;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            return;
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        let verdict = match self.search(path, buffers) {
            Ok(verdict) => verdict,
            Err(e) => Verdict::Skip(ScanSkipReason::Unreadable, Some(e.to_string())),
        };
        let bytes = match verdict {
            Verdict::Nothing => return,
            Verdict::Skip(reason, why) => {
                let example = match why {
                    Some(why) => format!("{shown}: {why}"),
                    None => shown,
                };
                self.skip(reason, example);
                return;
            }
            Verdict::Read(bytes) => bytes,
        };
        self.matched.fetch_add(1, Ordering::Relaxed);
        match read_found(path, &shown, bytes.as_deref(), package) {
            // a page that only mentions the scheme: nothing to check (as a file argument, the
            // report would say it holds no link)
            Ok(inputs)
                if inputs
                    .iter()
                    .all(|i| i.kind == InputKind::Page && i.facts.links.is_empty()) =>
            {
                self.skip(ScanSkipReason::NoLink, shown)
            }
            Ok(inputs) => self
                .found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((shown, inputs)),
            Err(InputError::NoLinks(_) | InputError::Empty(_)) => self.skip(ScanSkipReason::NoLink, shown),
            Err(InputError::Unrecognised { .. }) => self.skip(ScanSkipReason::NotText, shown),
            Err(InputError::TooLarge { .. }) => self.skip(ScanSkipReason::TooLarge, shown),
            Err(e) => self.skip(ScanSkipReason::Unreadable, format!("{shown}: {e}")),
        }
    }

    /// Whether a file holds something to check, by its name and a byte search.
    fn search(&self, path: &Path, buffers: &mut Buffers) -> std::io::Result<Verdict> {
        let Buffers { bytes: buffer, folded } = buffers;
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if extension == "ipa" {
            return Ok(Verdict::Read(None));
        }
        let profile = extension == "mobileprovision" || extension == "provisionprofile";
        let file = std::fs::File::open(path)?;
        if file.metadata()?.len() > MAX_LOCAL_INPUT {
            return Ok(Verdict::Skip(ScanSkipReason::TooLarge, None));
        }
        buffer.clear();
        let mut file = file.take(MAX_LOCAL_INPUT + 1);
        // the head first: a binary file is not read further
        (&mut file).take(HEAD as u64).read_to_end(buffer)?;
        if renamed_package(buffer) {
            // a zip whose first entry is Payload/…: an IPA under another name (App.zip)
            return Ok(Verdict::Read(None));
        }
        if crate::collect::qr::sniff(buffer).is_some() {
            // an icon or an asset: a tree is full of them, and decoding each would be slow
            self.bytes_read.fetch_add(buffer.len() as u64, Ordering::Relaxed);
            return Ok(Verdict::Skip(ScanSkipReason::Image, None));
        }
        let binary_plist = buffer.starts_with(b"bplist");
        if !profile && !binary_plist && memchr::memchr(0, buffer).is_some() {
            self.bytes_read.fetch_add(buffer.len() as u64, Ordering::Relaxed);
            return Ok(Verdict::Skip(ScanSkipReason::Binary, None));
        }
        file.read_to_end(buffer)?;
        self.bytes_read.fetch_add(buffer.len() as u64, Ordering::Relaxed);
        if buffer.len() as u64 > MAX_LOCAL_INPUT {
            return Ok(Verdict::Skip(ScanSkipReason::TooLarge, None));
        }
        let wanted = profile
            || (binary_plist && has(buffer, b"items"))
            || (!binary_plist && {
                fold(buffer, folded);
                LINK_BYTES.as_ref().is_some_and(|re| re.is_match(folded))
            })
            || (has(buffer, b"<plist") && has(buffer, b"items"));
        if !wanted {
            return Ok(Verdict::Nothing);
        }
        // (`folded` holds this file: a file without items got here by the link search)
        if !profile && !has(buffer, b"items") && is_plist(path, buffer) && !install_words(folded) {
            // a plist that is no manifest and names no install link: an Info.plist listing
            // itms-apps or itms-beta among the schemes it may open
            return Ok(Verdict::Skip(ScanSkipReason::NoLink, None));
        }
        Ok(Verdict::Read(Some(std::mem::take(buffer))))
    }
}

/// Whether the bytes start a zip whose first entry is under `Payload/`, as an IPA's is.
fn renamed_package(head: &[u8]) -> bool {
    if !head.starts_with(b"PK\x03\x04") || head.len() < 30 {
        return false;
    }
    let name_len = usize::from(u16::from_le_bytes([head[26], head[27]]));
    head.get(30..30 + name_len)
        .is_some_and(|name| name.starts_with(b"Payload/"))
}

/// Whether a file is a plist, by its name or its first bytes.
fn is_plist(path: &Path, bytes: &[u8]) -> bool {
    let named = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("plist"));
    let head = &bytes[..bytes.len().min(1024)];
    named || head.starts_with(b"bplist") || has(head, b"<plist") || has(head, b"<!DOCTYPE plist")
}

/// Whether folded bytes name an install link, not only an App Store scheme: `itms-services`,
/// `download-manifest` or `download_manifest`.
fn install_words(folded: &[u8]) -> bool {
    has(folded, b"itms-services") || has(folded, b"download-manifest") || has(folded, b"download\x7fmanifest")
}

/// Whether `needle` is in `haystack`.
fn has(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// `path` relative to the scanned directory, with `/` separators.
fn shown(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let text = relative.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// The directory as an absolute `file:` URI ending in `/`; empty when it cannot be resolved.
fn root_uri(root: &Path) -> String {
    std::fs::canonicalize(root)
        .ok()
        .and_then(|absolute| url::Url::from_directory_path(absolute).ok())
        .map(|u| u.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(text: &str) -> bool {
        let mut folded = Vec::new();
        fold(text.as_bytes(), &mut folded);
        LINK_BYTES.as_ref().is_some_and(|re| re.is_match(&folded))
    }

    #[test]
    fn the_byte_search_finds_every_spelling_the_finders_read() {
        for text in [
            "itms-services://?action=download-manifest&url=x",
            "ITMS-SERVICES://?ACTION=DOWNLOAD-MANIFEST",
            "Itms-Servies://?x",
            "ims-services://?action=x",
            "itmsservices://x",
            "x://?action=Download_Manifest&url=y",
            "x://?action=download-manifest",
        ] {
            assert!(wanted(text), "{text}");
        }
    }

    #[test]
    fn the_byte_search_passes_over_ordinary_text() {
        for text in [
            "items: [1, 2, 3]",
            "services:\n  web:\n    image: nginx",
            "fn download(manifest: &str) {}",
            "download manifest",
            "",
        ] {
            assert!(!wanted(text), "{text}");
        }
    }

    #[test]
    fn a_zip_is_a_package_when_its_first_entry_is_under_payload() {
        let header = |name: &[u8]| {
            let mut bytes = b"PK\x03\x04".to_vec();
            bytes.resize(26, 0);
            bytes.extend_from_slice(&(name.len() as u16).to_le_bytes());
            bytes.extend_from_slice(&[0, 0]);
            bytes.extend_from_slice(name);
            bytes
        };
        assert!(renamed_package(&header(b"Payload/")));
        assert!(renamed_package(&header(b"Payload/Field.app/Info.plist")));
        assert!(!renamed_package(&header(b"META-INF/MANIFEST.MF")));
        assert!(!renamed_package(&header(b"Payload")));
        assert!(!renamed_package(&header(b"Payload/")[..31]));
        assert!(!renamed_package(b"PK\x03\x04"));
    }

    #[test]
    fn folding_keeps_the_bytes_the_patterns_need() {
        let mut folded = Vec::new();
        fold("AZaz09-:/_é".as_bytes(), &mut folded);
        assert_eq!(&folded[..9], b"azaz09-:/");
        assert_eq!(folded[9], 0x7f);
        // bytes of a multi-byte character stay at or above 0x80
        assert!(folded[10..].iter().all(|b| *b >= 0x80));
    }
}
