//! Reading every Mach-O of a package through the package's range reader (a remote IPA by HTTP
//! Range, a local one by file reads): the main executable of each bundle (the app, its
//! extensions, watch app and App Clip), every framework and dylib in a bundle's `Frameworks/`.
//!
//! What it costs, by design:
//! * **Load commands, always**: the first bytes of each entry — the local header and the first
//!   `HEAD_COMPRESSED` bytes of its data, all entries in one multi-range request — inflated as
//!   far as they go; more only when the load commands run further (a fat file's later slices, in
//!   a stored entry, are read where they are).
//! * **Signatures**: a stored entry needs only `[slice offset + dataoff, + datasize)` (at most
//!   `SIGNATURE_CAP`); a deflated one has no random access: the whole entry is fetched and inflated
//!   up to the signature, while the compressed executables read so stay under `SIGNATURE_BUDGET`
//!   (`--deep`: each up to `DEEP_ENTRY_CAP`). What is skipped is said, with why.
//!
//! Records; never judges (the SIG and APP rules do).

use std::collections::HashMap;
use std::io::Read;

use crate::collect::macho_parse::{self, Parse};
use crate::collect::remote_zip::{self, Entry, RangeSource, RemoteZip};
use crate::facts::{BundleFacts, MachOFacts, MachOReading, MachORole, SignatureRead};

/// Compressed bytes fetched first from each Mach-O entry (more only when its load commands need
/// them).
pub const HEAD_COMPRESSED: u64 = 8 * 1024;
/// The most bytes of a slice's start inflated for its load commands (header and `sizeofcmds`).
pub const HEAD_CAP: u64 = macho_parse::MAX_LOAD_COMMANDS_SIZE as u64 + 32;
/// The most bytes of one slice's code signature read: a signature holds 52 bytes per 4 KiB
/// page with SHA-1 and SHA-256 CodeDirectories, about 2 MiB for a 150 MiB executable, 13 MiB
/// for 1 GiB. A larger one is not read (and said so), never read in part.
pub const SIGNATURE_CAP: u32 = 16 * 1024 * 1024;
/// Deflated executables are fetched whole for their signatures while their compressed sizes
/// together stay under this (`--deep`: no total).
pub const SIGNATURE_BUDGET: u64 = 64 * 1024 * 1024;
/// With `--deep`, a deflated executable larger than this (compressed) is still not fetched.
pub const DEEP_ENTRY_CAP: u64 = 512 * 1024 * 1024;
/// The most Mach-O files read in one package.
pub const MAX_MACHOS: usize = 256;
/// A framework's Info.plist, compressed, at most (read for its `CFBundleExecutable`).
const FRAMEWORK_PLIST_CAP: u64 = 64 * 1024;
/// Slack for a local header's extra field before an entry's data.
const LOCAL_SLACK: u64 = 128;
/// Rounds of requests for the load commands.
const HEAD_ROUNDS: usize = 4;
/// Bytes inflated at most from one entry (a claimed size past this is not believed).
const INFLATE_LIMIT: u64 = 2 * 1024 * 1024 * 1024;

/// How far a slice's load commands are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SliceState {
    /// These many bytes from its start are wanted next.
    Want(u64),
    Done,
    /// In a deflated fat file, past the first bytes: read only if the entry is inflated whole.
    Deferred,
}

struct Item {
    facts: MachOFacts,
    entry: Entry,
    data_start: Option<u64>,
    /// Compressed bytes wanted from the data's start.
    want: u64,
    container: bool,
    slices: Vec<SliceState>,
    done: bool,
}

impl Item {
    fn new(entry: &Entry, bundle: &str, role: MachORole) -> Item {
        Item {
            facts: MachOFacts {
                path: entry.name.clone(),
                bundle: bundle.to_string(),
                role,
                method: entry.method,
                compressed_size: entry.compressed_size,
                size: entry.size,
                ..MachOFacts::default()
            },
            entry: entry.clone(),
            data_start: None,
            want: HEAD_COMPRESSED.min(entry.compressed_size),
            container: false,
            slices: Vec::new(),
            done: false,
        }
    }

    fn fail(&mut self, why: String) {
        self.facts.error = Some(why);
        self.done = true;
    }

    /// Fails on what its bytes say (not a Mach-O, cut short, bad load commands), as opposed to
    /// bytes that could not be had.
    fn malformed(&mut self, why: String) {
        self.facts.malformed = true;
        self.fail(why);
    }

    /// The file spans this item needs next.
    fn spans(&self) -> Vec<(u64, u64)> {
        if self.done {
            return Vec::new();
        }
        let Some(ds) = self.data_start else {
            let hs = self.entry.header_start;
            let end = hs
                .saturating_add(30 + self.entry.name.len() as u64 + LOCAL_SLACK)
                .saturating_add(self.want);
            return vec![(hs, end)];
        };
        if !self.container || self.entry.method != 0 {
            return vec![(ds, ds.saturating_add(self.want))];
        }
        self.facts
            .slices
            .iter()
            .zip(&self.slices)
            .filter_map(|(slice, state)| match state {
                SliceState::Want(n) => {
                    let start = ds.saturating_add(slice.offset);
                    Some((start, start.saturating_add(*n)))
                }
                _ => None,
            })
            .collect()
    }

    /// Reads what the fetched bytes allow; `last`: no more rounds follow.
    fn advance(&mut self, zip: &RemoteZip, last: bool) {
        if self.done {
            return;
        }
        let ds = match self.data_start {
            Some(ds) => ds,
            None => match data_start(zip, &self.entry) {
                Ok(Some(ds)) => {
                    self.data_start = Some(ds);
                    ds
                }
                Ok(None) if last => return self.fail("its first bytes could not be fetched".to_string()),
                Ok(None) => return,
                Err(e) => return self.fail(e),
            },
        };
        if self.entry.encrypted {
            return self.fail("the zip entry is encrypted".to_string());
        }
        if self.entry.method != 0 && self.entry.method != 8 {
            return self.fail(format!("compression method {}: cannot be read", self.entry.method));
        }
        let compressed = self.entry.compressed_size;
        if !self.container {
            let have = zip.extents.contiguous(ds, ds.saturating_add(self.want.min(compressed)));
            let all = have.len() as u64 >= compressed;
            let bytes = self.inflated(have, HEAD_CAP);
            match macho_parse::container(&bytes, self.entry.size) {
                Parse::Done(c) => {
                    self.container = true;
                    self.facts.fat = c.fat;
                    self.slices = c
                        .slices
                        .iter()
                        .map(|s| {
                            if s.offset < bytes.len() as u64 || self.entry.method == 0 {
                                SliceState::Want(HEAD_COMPRESSED.min(s.size))
                            } else {
                                SliceState::Deferred
                            }
                        })
                        .collect();
                    self.facts.slices = c.slices;
                    self.read_slices(&bytes, zip, ds, last);
                }
                Parse::NeedMore(_) if all => self.malformed(format!("cut short: {} bytes", self.entry.size)),
                Parse::NeedMore(n) => self.grow(n, last),
                Parse::Bad(e) => self.malformed(e),
            }
            return;
        }
        let prefix = if self.entry.method == 8 {
            let have = zip.extents.contiguous(ds, ds.saturating_add(self.want.min(compressed)));
            self.inflated(have, INFLATE_LIMIT.min(self.want.saturating_mul(1032)))
        } else {
            Vec::new()
        };
        self.read_slices(&prefix, zip, ds, last);
    }

    /// The inflated start of the entry from its first compressed bytes (`have`), at most `cap`.
    fn inflated(&self, have: Vec<u8>, cap: u64) -> Vec<u8> {
        if self.entry.method == 0 {
            return have;
        }
        let mut out = Vec::new();
        // a cut stream ends in an error after the bytes it could give: those are kept
        let _ = flate2::read::DeflateDecoder::new(&have[..])
            .take(cap)
            .read_to_end(&mut out);
        out
    }

    /// Wants more compressed bytes: exactly `n` for a stored entry, four times as many for a
    /// deflated one.
    fn grow(&mut self, n: u64, last: bool) {
        if last {
            return self.fail("its load commands were not fetched".to_string());
        }
        let next = if self.entry.method == 0 {
            n.max(self.want)
        } else {
            self.want.saturating_mul(4)
        };
        self.want = next.min(self.entry.compressed_size);
    }

    /// Reads each slice's load commands: from the inflated prefix (`prefix`, a deflated entry)
    /// or from the slice's own bytes (a stored one).
    fn read_slices(&mut self, prefix: &[u8], zip: &RemoteZip, ds: u64, last: bool) {
        let stored = self.entry.method == 0;
        for i in 0..self.facts.slices.len() {
            let SliceState::Want(n) = self.slices[i] else { continue };
            let slice = &mut self.facts.slices[i];
            let bytes = if stored {
                let start = ds.saturating_add(slice.offset);
                zip.extents.contiguous(start, start.saturating_add(n))
            } else {
                let start = usize::try_from(slice.offset).unwrap_or(usize::MAX);
                prefix.get(start..).unwrap_or_default().to_vec()
            };
            match macho_parse::load_commands(&bytes, slice) {
                Parse::Done(()) => self.slices[i] = SliceState::Done,
                Parse::NeedMore(more) => {
                    let compressed_all = !stored
                        && zip.extents.contiguous(ds, ds.saturating_add(self.want)).len() as u64
                            >= self.entry.compressed_size;
                    if last || compressed_all {
                        let why = format!("the load commands of the {} slice were not fetched", slice.arch);
                        return self.fail(why);
                    }
                    if stored {
                        // not fetched yet, or the commands run further
                        self.slices[i] = SliceState::Want(more.max(n));
                    } else {
                        self.want = self.want.saturating_mul(4).min(self.entry.compressed_size);
                    }
                }
                Parse::Bad(e) => return self.malformed(e),
            }
        }
        if self.slices.iter().all(|s| !matches!(s, SliceState::Want(_))) {
            self.done = true;
        }
    }
}

/// Where an entry's data starts, from its local header (`None`: not fetched yet).
fn data_start(zip: &RemoteZip, entry: &Entry) -> Result<Option<u64>, String> {
    let head = zip
        .extents
        .contiguous(entry.header_start, entry.header_start.saturating_add(30));
    if head.len() < 30 {
        return Ok(None);
    }
    if head[..4] != *b"PK\x03\x04" {
        return Err("its local header is not where the central directory says".to_string());
    }
    let n = u64::from(u16::from_le_bytes([head[26], head[27]]));
    let m = u64::from(u16::from_le_bytes([head[28], head[29]]));
    Ok(Some(entry.header_start.saturating_add(30 + n + m)))
}

/// The Mach-O files of the bundles: (entry, bundle path, role), main executables first.
fn candidates<'z>(
    zip: &'z RemoteZip,
    bundles: &[BundleFacts],
    framework_executables: &HashMap<String, String>,
) -> Vec<(&'z Entry, String, MachORole)> {
    let by_name: HashMap<&str, &Entry> = zip.entries.iter().map(|e| (e.name.as_str(), e)).collect();
    let mut out: Vec<(&Entry, String, MachORole)> = Vec::new();
    for bundle in bundles {
        let Some(exe) = bundle.info_str("CFBundleExecutable") else {
            continue;
        };
        if let Some(entry) = by_name.get(format!("{}/{exe}", bundle.path).as_str()) {
            out.push((entry, bundle.path.clone(), MachORole::Main));
        }
    }
    for bundle in bundles {
        for (folder, exe) in frameworks(zip, &bundle.path) {
            let name = framework_executables.get(&folder).cloned().unwrap_or(exe);
            if let Some(entry) = by_name.get(format!("{folder}/{name}").as_str()) {
                out.push((entry, bundle.path.clone(), MachORole::Framework));
            }
        }
        let prefix = format!("{}/Frameworks/", bundle.path);
        for e in &zip.entries {
            let Some(rest) = e.name.strip_prefix(&prefix) else {
                continue;
            };
            if !rest.contains('/') && rest.ends_with(".dylib") {
                out.push((e, bundle.path.clone(), MachORole::Dylib));
            }
        }
    }
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    out.retain(|(e, _, _)| seen.insert(e.name.as_str()));
    out
}

/// The frameworks directly in a bundle's `Frameworks/`: (folder path, its name without
/// `.framework`).
fn frameworks(zip: &RemoteZip, bundle: &str) -> Vec<(String, String)> {
    let prefix = format!("{bundle}/Frameworks/");
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for e in &zip.entries {
        let Some(rest) = e.name.strip_prefix(&prefix) else {
            continue;
        };
        let Some((folder, _)) = rest.split_once('/') else {
            continue;
        };
        let Some(name) = folder.strip_suffix(".framework") else {
            continue;
        };
        let path = format!("{prefix}{folder}");
        if !name.is_empty() && seen.insert(path.clone()) {
            out.push((path, name.to_string()));
        }
    }
    out.truncate(MAX_MACHOS);
    out
}

/// Reads the Mach-Os of `bundles` (already read) from the opened package; `deep` lifts the cap on
/// the signatures of deflated executables.
pub async fn read<S: RangeSource>(
    source: &S,
    zip: &mut RemoteZip,
    bundles: &[BundleFacts],
    deep: bool,
) -> (Vec<MachOFacts>, MachOReading) {
    read_within(source, zip, bundles, deep, SIGNATURE_BUDGET).await
}

/// `read` with the cap on the compressed executables fetched for their signatures as given.
pub async fn read_within<S: RangeSource>(
    source: &S,
    zip: &mut RemoteZip,
    bundles: &[BundleFacts],
    deep: bool,
    budget: u64,
) -> (Vec<MachOFacts>, MachOReading) {
    let mut reading = MachOReading {
        signature_cap: (!deep).then_some(budget),
        ..MachOReading::default()
    };
    let (requests, bytes) = (zip.extents.requests, zip.extents.bytes);
    // round 0: the framework Info.plists, and the first bytes of every Mach-O known by name
    let plists: Vec<String> = bundles
        .iter()
        .flat_map(|b| frameworks(zip, &b.path))
        .map(|(folder, _)| format!("{folder}/Info.plist"))
        .collect();
    let wanted_plists: std::collections::HashSet<&str> = plists.iter().map(String::as_str).collect();
    let mut guessed = candidates(zip, bundles, &HashMap::new());
    guessed.truncate(MAX_MACHOS);
    let mut items: Vec<Item> = guessed
        .into_iter()
        .map(|(e, bundle, role)| Item::new(e, &bundle, role))
        .collect();
    let mut spans: Vec<(u64, u64)> = zip
        .entries
        .iter()
        .filter(|e| wanted_plists.contains(e.name.as_str()) && e.compressed_size <= FRAMEWORK_PLIST_CAP)
        .map(|e| {
            let end = e
                .header_start
                .saturating_add(30 + e.name.len() as u64 + LOCAL_SLACK)
                .saturating_add(e.compressed_size);
            (e.header_start, end)
        })
        .collect();
    spans.extend(items.iter().flat_map(Item::spans));
    if let Some(e) = remote_zip::fetch_spans(source, zip, spans, remote_zip::MERGE_GAP).await {
        reading
            .skipped
            .push(format!("a request for the Mach-Os' first bytes failed: {e}"));
    }
    // each framework's executable as its Info.plist names it
    let mut named: HashMap<String, String> = HashMap::new();
    let sizes: HashMap<String, u64> = zip
        .entries
        .iter()
        .filter(|e| wanted_plists.contains(e.name.as_str()))
        .map(|e| (e.name.clone(), e.compressed_size))
        .collect();
    for plist in &plists {
        if sizes.get(plist).is_none_or(|&size| size > FRAMEWORK_PLIST_CAP) {
            continue;
        }
        let Ok(bytes) = remote_zip::read_entry(source, zip, plist, FRAMEWORK_PLIST_CAP * 16).await else {
            continue;
        };
        let exe = crate::collect::bounded::read_plist(&bytes).ok().and_then(|v| {
            v.as_dictionary()?
                .get("CFBundleExecutable")?
                .as_string()
                .filter(|s| !s.is_empty() && !s.contains('/'))
                .map(str::to_string)
        });
        if let (Some(exe), Some(folder)) = (exe, plist.strip_suffix("/Info.plist")) {
            named.insert(folder.to_string(), exe);
        }
    }
    let mut wanted = candidates(zip, bundles, &named);
    if wanted.len() > MAX_MACHOS {
        reading.skipped.push(format!(
            "{} Mach-O files past the first {MAX_MACHOS} (otadoctor reads no more in one package)",
            wanted.len() - MAX_MACHOS
        ));
        wanted.truncate(MAX_MACHOS);
    }
    let mut kept: Vec<Item> = Vec::with_capacity(wanted.len());
    for (e, bundle, role) in wanted {
        match items.iter().position(|i| i.entry.name == e.name) {
            Some(at) => kept.push(items.swap_remove(at)),
            None => kept.push(Item::new(e, &bundle, role)),
        }
    }
    let mut items = kept;
    for round in 0..HEAD_ROUNDS {
        let last = round + 1 == HEAD_ROUNDS;
        for item in &mut items {
            item.advance(zip, false);
        }
        let spans: Vec<(u64, u64)> = items.iter().flat_map(Item::spans).collect();
        if spans.is_empty() {
            break;
        }
        if let Some(e) = remote_zip::fetch_spans(source, zip, spans, remote_zip::MERGE_GAP).await {
            reading.skipped.push(format!("a request for load commands failed: {e}"));
        }
        if last {
            for item in &mut items {
                item.advance(zip, true);
            }
        }
    }
    reading.header_requests = zip.extents.requests - requests;
    reading.header_bytes = zip.extents.bytes - bytes;
    signatures(source, zip, &mut items, deep, budget, &mut reading).await;
    let machos: Vec<MachOFacts> = items.into_iter().map(|i| i.facts).collect();
    (machos, reading)
}

/// A signature window of a slice: (slice index, offset in the file, length).
type Window = (usize, u64, u64);

/// The signature windows of an item's slices whose load commands were read.
fn windows(item: &Item) -> Vec<Window> {
    item.facts
        .slices
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let cs = s.code_signature?;
            let len = cs.datasize.min(SIGNATURE_CAP);
            Some((i, s.offset + u64::from(cs.dataoff), u64::from(len)))
        })
        .collect()
}

async fn signatures<S: RangeSource>(
    source: &S,
    zip: &mut RemoteZip,
    items: &mut [Item],
    deep: bool,
    budget: u64,
    reading: &mut MachOReading,
) {
    let (requests, bytes) = (zip.extents.requests, zip.extents.bytes);
    let mut spans: Vec<(u64, u64)> = Vec::new();
    let mut whole: Vec<bool> = vec![false; items.len()];
    let mut used = 0u64;
    for (n, item) in items.iter_mut().enumerate() {
        if let Some(e) = &item.facts.error {
            item.facts.signature_read = SignatureRead::Skipped(format!("the Mach-O did not read: {e}"));
            continue;
        }
        let Some(ds) = item.data_start else { continue };
        if let Some(large) = item
            .facts
            .slices
            .iter()
            .find_map(|s| s.code_signature.filter(|cs| cs.datasize > SIGNATURE_CAP))
        {
            let why = format!(
                "its LC_CODE_SIGNATURE says {}, more than the {} otadoctor reads of one signature",
                crate::text::size(u64::from(large.datasize)),
                crate::text::size(u64::from(SIGNATURE_CAP))
            );
            reading.skipped.push(format!("{}: {why}", item.facts.path));
            item.facts.signature_read = SignatureRead::Skipped(why);
            continue;
        }
        let deferred = item.slices.contains(&SliceState::Deferred);
        let wins = windows(item);
        if wins.is_empty() && !deferred {
            item.facts.signature_read = SignatureRead::Absent;
            continue;
        }
        if item.entry.method == 0 {
            spans.extend(wins.iter().map(|(_, at, len)| (ds + at, ds + at + len)));
            continue;
        }
        let compressed = item.entry.compressed_size;
        let over = if deep {
            (compressed > DEEP_ENTRY_CAP).then(|| {
                format!(
                    "deflated, {} compressed: larger than the {} MiB otadoctor fetches for one signature, even with --deep",
                    crate::text::size(compressed),
                    DEEP_ENTRY_CAP >> 20
                )
            })
        } else {
            (used.saturating_add(compressed) > budget).then(|| {
                format!(
                    "deflated, {} compressed: reading its signature means fetching it whole, past the cap of {} of compressed executables read (--deep reads it)",
                    crate::text::size(compressed),
                    crate::text::size(budget)
                )
            })
        };
        if let Some(why) = over {
            reading.skipped.push(format!("{}: {why}", item.facts.path));
            item.facts.signature_read = SignatureRead::Skipped(why);
            continue;
        }
        used += compressed;
        whole[n] = true;
        let have = zip.extents.contiguous(ds, ds + compressed).len() as u64;
        spans.push((ds + have, ds + compressed));
    }
    let failed = remote_zip::fetch_spans(source, zip, spans, remote_zip::MERGE_GAP).await;
    for (n, item) in items.iter_mut().enumerate() {
        let Some(ds) = item.data_start else { continue };
        if item.facts.error.is_some() || matches!(item.facts.signature_read, SignatureRead::Skipped(_)) {
            continue;
        }
        if item.entry.method == 0 {
            let wins = windows(item);
            if wins.is_empty() {
                continue;
            }
            let mut short = None;
            for (i, at, len) in wins {
                let bytes = zip.extents.contiguous(ds + at, ds + at + len);
                if (bytes.len() as u64) < len {
                    short = Some(format!(
                        "the request for its signature failed{}",
                        failed.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                    ));
                    continue;
                }
                item.facts.slices[i].signature = Some(crate::codesign::read(&bytes));
            }
            item.facts.signature_read = match short {
                Some(why) => {
                    reading.skipped.push(format!("{}: {why}", item.facts.path));
                    SignatureRead::Skipped(why)
                }
                None => SignatureRead::Read,
            };
            continue;
        }
        if !whole[n] {
            continue;
        }
        let compressed = zip.extents.contiguous(ds, ds + item.entry.compressed_size);
        if (compressed.len() as u64) < item.entry.compressed_size {
            let why = format!(
                "the request for the whole entry failed{}",
                failed.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            );
            reading.skipped.push(format!("{}: {why}", item.facts.path));
            item.facts.signature_read = SignatureRead::Skipped(why);
            continue;
        }
        inflate_signatures(item, &compressed);
        if let SignatureRead::Skipped(why) = &item.facts.signature_read {
            reading.skipped.push(format!("{}: {why}", item.facts.path));
        }
    }
    reading.signature_requests = zip.extents.requests - requests;
    reading.signature_bytes = zip.extents.bytes - bytes;
}

/// Inflates a deflated entry once, front to back: the load commands of slices not read yet, then
/// each slice's signature, in file order.
fn inflate_signatures(item: &mut Item, compressed: &[u8]) {
    let mut stream = Inflater {
        decoder: flate2::read::DeflateDecoder::new(compressed),
        pos: 0,
    };
    let mut order: Vec<usize> = (0..item.facts.slices.len()).collect();
    order.sort_by_key(|&i| item.facts.slices[i].offset);
    let mut any = false;
    for i in order {
        let slice = &mut item.facts.slices[i];
        if item.slices[i] == SliceState::Deferred {
            // the header, then as many bytes as the load commands need: no further, the
            // signature may follow soon after
            match deferred_commands(&mut stream, slice) {
                Ok(()) => item.slices[i] = SliceState::Done,
                Err(e) => {
                    item.facts.error = Some(e);
                    break;
                }
            }
        }
        let Some(cs) = slice.code_signature else { continue };
        if cs.datasize > SIGNATURE_CAP {
            item.facts.signature_read = SignatureRead::Skipped(format!(
                "the {} slice's LC_CODE_SIGNATURE says {}, more than the {} otadoctor reads of one signature",
                slice.arch,
                crate::text::size(u64::from(cs.datasize)),
                crate::text::size(u64::from(SIGNATURE_CAP))
            ));
            return;
        }
        let at = slice.offset + u64::from(cs.dataoff);
        match stream.read_at(at, u64::from(cs.datasize)) {
            Ok(bytes) => {
                slice.signature = Some(crate::codesign::read(&bytes));
                any = true;
            }
            Err(e) => {
                item.facts.signature_read = SignatureRead::Skipped(e);
                return;
            }
        }
    }
    item.facts.signature_read = if let Some(e) = &item.facts.error {
        SignatureRead::Skipped(format!("the Mach-O did not read: {e}"))
    } else if any {
        SignatureRead::Read
    } else {
        SignatureRead::Absent
    };
}

/// Reads a slice's load commands from the inflating stream, asking it for exactly the bytes
/// they need (a header's worth, then `sizeofcmds`).
fn deferred_commands(stream: &mut Inflater<'_>, slice: &mut crate::facts::MachOSlice) -> Result<(), String> {
    let mut bytes = stream.read_at(slice.offset, 32.min(slice.size))?;
    loop {
        match macho_parse::load_commands(&bytes, slice) {
            Parse::Done(()) => return Ok(()),
            Parse::NeedMore(n) if n > bytes.len() as u64 && n <= HEAD_CAP.min(slice.size) => {
                let more = stream.read_at(slice.offset + bytes.len() as u64, n - bytes.len() as u64)?;
                bytes.extend(more);
            }
            Parse::NeedMore(_) => return Err(format!("the {} slice is cut short", slice.arch)),
            Parse::Bad(e) => return Err(e),
        }
    }
}

/// One pass over a deflate stream: bytes at increasing offsets.
struct Inflater<'a> {
    decoder: flate2::read::DeflateDecoder<&'a [u8]>,
    pos: u64,
}

impl Inflater<'_> {
    /// `len` bytes at `at` (never before what was read already).
    fn read_at(&mut self, at: u64, len: u64) -> Result<Vec<u8>, String> {
        if at < self.pos {
            return Err(format!("slices overlap at byte {at}"));
        }
        if at.saturating_add(len) > INFLATE_LIMIT {
            return Err(format!(
                "byte {at} is past the {} GiB otadoctor inflates",
                INFLATE_LIMIT >> 30
            ));
        }
        let mut skip = at - self.pos;
        let mut scratch = vec![0u8; 64 * 1024];
        while skip > 0 {
            let want = usize::try_from(skip.min(scratch.len() as u64)).unwrap_or(scratch.len());
            match self.decoder.read(&mut scratch[..want]) {
                Ok(0) => return Err(format!("the entry inflates to fewer than {at} bytes")),
                Ok(n) => {
                    skip -= n as u64;
                    self.pos += n as u64;
                }
                Err(e) => return Err(format!("the entry does not inflate: {e}")),
            }
        }
        let mut out = Vec::new();
        match (&mut self.decoder).take(len).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 == len => {
                self.pos += len;
                Ok(out)
            }
            Ok(_) => Err(format!("the entry inflates to fewer than {} bytes", at + len)),
            Err(e) => Err(format!("the entry does not inflate: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::collect::remote_zip::LocalFile;

    /// A thin arm64 Mach-O of `size` bytes (incompressible past its header) with a SuperBlob of
    /// 64 bytes at its end.
    fn executable(size: usize) -> Vec<u8> {
        let mut blob = Vec::new();
        for v in [0xfade_0cc0u32, 64, 0] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
        blob.resize(64, 0);
        let at = (size - 64) as u32 / 16 * 16;
        let mut out = Vec::new();
        for v in [0xfeed_facfu32, 0x0100_000c, 0, 2, 1, 16, 0, 0, 0x1d, 16, at, 64] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let mut x = 0x2545_f491u32;
        while out.len() < size {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            out.push(x as u8);
        }
        out[at as usize..at as usize + 64].copy_from_slice(&blob);
        out
    }

    fn package(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            zip.start_file(name.to_string(), deflated).expect("entry");
            zip.write_all(bytes).expect("write");
        }
        zip.finish().expect("zip").into_inner()
    }

    fn read_with(bytes: Vec<u8>, deep: bool, budget: u64) -> (Vec<MachOFacts>, MachOReading) {
        let source = LocalFile::new(bytes);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(async {
            let mut zip = remote_zip::open(&source).await.expect("a zip");
            let bundle = BundleFacts {
                path: "Payload/Field.app".to_string(),
                info_plist: Some(serde_json::json!({"CFBundleExecutable": "Field"})),
                ..BundleFacts::default()
            };
            read_within(&source, &mut zip, &[bundle], deep, budget).await
        })
    }

    #[test]
    fn past_the_cap_a_signature_is_skipped_with_why_and_deep_reads_it() {
        let files = [
            ("Payload/Field.app/Field", executable(96 * 1024)),
            ("Payload/Field.app/Frameworks/Kit.framework/Kit", executable(96 * 1024)),
            ("Payload/Field.app/Frameworks/libz.dylib", executable(64 * 1024)),
        ];
        let bytes = package(&files);
        // room for the first executable only
        let (machos, reading) = read_with(bytes.clone(), false, 120 * 1024);
        assert_eq!(machos.len(), 3);
        assert_eq!(machos[0].signature_read, SignatureRead::Read);
        assert_eq!(machos[0].slices[0].signature.as_ref().map(|s| s.bytes), Some(64));
        for m in &machos[1..] {
            let SignatureRead::Skipped(why) = &m.signature_read else {
                panic!("{m:?}")
            };
            assert!(why.contains("--deep reads it"), "{why}");
            // the load commands are read all the same
            assert!(m.slices[0].commands_read && m.slices[0].code_signature.is_some());
        }
        assert_eq!(reading.skipped.len(), 2, "{reading:?}");
        assert_eq!(reading.signature_cap, Some(120 * 1024));
        let (machos, reading) = read_with(bytes, true, 120 * 1024);
        assert!(
            machos.iter().all(|m| m.signature_read == SignatureRead::Read),
            "{machos:?}"
        );
        assert!(reading.skipped.is_empty() && reading.signature_cap.is_none());
    }
}
