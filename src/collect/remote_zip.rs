//! Reading parts of a zip (an IPA) through byte ranges, without downloading it: one suffix
//! request for the tail (end of central directory and the central directory), then one request
//! per needed entry, sized to cover its local header and data. The `zip` crate parses; it reads
//! through `View`, a `Read + Seek` over the ranges fetched so far, which fails a read outside
//! them with `Missing`; the async driver fetches that range and tries again. The same code reads
//! a local file (its "ranges" are file reads).
//!
//! This module reads and records; it does not judge the package.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

/// The tail fetched first: enough for the end records and a small central directory.
pub const TAIL: u64 = 64 * 1024;
/// Extra bytes asked for past an entry's data start estimate (local header name and extra field).
const HEADER_SLACK: u64 = 1024;
/// The most range requests one operation may make before it gives up.
const MAX_ROUNDS: usize = 8;

/// A source of byte ranges.
pub trait RangeSource {
    /// The last `n` bytes, and the total length of the file.
    fn suffix(&self, n: u64) -> impl std::future::Future<Output = Result<(Vec<u8>, u64), String>> + Send;
    /// Bytes `start..=end`.
    fn range(&self, start: u64, end: u64) -> impl std::future::Future<Output = Result<Vec<u8>, String>> + Send;
    /// Several ranges `start..=end` (sorted, apart), in one request where the source allows it
    /// (HTTP: one `Range` header with them all, answered `multipart/byteranges`).
    fn ranges(&self, spans: &[(u64, u64)]) -> impl std::future::Future<Output = Ranges> + Send;
}

/// What a `ranges` call brought: the parts (where each starts, its bytes), the requests it
/// took, and why a span was not fetched, if one was not.
#[derive(Debug, Default)]
pub struct Ranges {
    pub parts: Vec<(u64, Vec<u8>)>,
    pub requests: u32,
    /// Bytes received besides the parts: multipart headers and boundaries, and the body of an
    /// answer that did not give the ranges.
    pub overhead: u64,
    pub error: Option<String>,
}

/// The spans not held by `parts`, fetched one request each; the rest of a `ranges` call.
async fn each_range<S: RangeSource>(source: &S, spans: &[(u64, u64)], out: &mut Ranges) {
    for &(start, end) in spans {
        let held = out
            .parts
            .iter()
            .any(|(at, bytes)| *at <= start && at.saturating_add(bytes.len() as u64) > end);
        if held {
            continue;
        }
        out.requests += 1;
        match source.range(start, end).await {
            Ok(bytes) => out.parts.push((start, bytes)),
            Err(e) => out.error = Some(e),
        }
    }
}

/// A read outside the ranges fetched so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    pub start: u64,
    pub len: u64,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bytes {}..{} not fetched yet", self.start, self.start + self.len)
    }
}

impl std::error::Error for Missing {}

/// The ranges of the file fetched so far.
#[derive(Debug, Clone, Default)]
pub struct Extents {
    pub len: u64,
    chunks: BTreeMap<u64, Vec<u8>>,
    /// Requests made and bytes received, for the facts.
    pub requests: u32,
    pub bytes: u64,
}

impl Extents {
    /// Records a fetched range (one request of `bytes.len()` bytes).
    pub fn insert(&mut self, start: u64, bytes: Vec<u8>) {
        self.requests += 1;
        self.insert_part(start, bytes);
    }

    /// Records a fetched range that came with others in one request (a multipart answer).
    pub fn insert_part(&mut self, start: u64, bytes: Vec<u8>) {
        self.bytes += bytes.len() as u64;
        // a chunk at the same start that reaches further stays
        if self.chunks.get(&start).is_none_or(|had| had.len() < bytes.len()) {
            self.chunks.insert(start, bytes);
        }
    }

    /// Whether one fetched chunk holds all of `start..end`.
    fn covers(&self, start: u64, end: u64) -> bool {
        self.at(start).is_some_and(|b| b.len() as u64 >= end - start)
    }

    /// The fetched bytes at `pos`, as far as one chunk reaches: of the chunks that start at or
    /// before `pos` (the nearest `AT_LOOKBACK`; a large chunk may hold smaller ones fetched
    /// before it), the one that reaches furthest.
    fn at(&self, pos: u64) -> Option<&[u8]> {
        const AT_LOOKBACK: usize = 64;
        let mut best: Option<&[u8]> = None;
        for (start, bytes) in self.chunks.range(..=pos).rev().take(AT_LOOKBACK) {
            let Ok(offset) = usize::try_from(pos - start) else {
                continue;
            };
            if offset < bytes.len() && best.is_none_or(|b| b.len() < bytes.len() - offset) {
                best = Some(&bytes[offset..]);
            }
        }
        best
    }

    /// Where the bytes still to fetch of `start..end` end: before a fetched chunk (one of the
    /// first 64 that start inside) that holds everything from its start to `end`.
    fn uncovered_end(&self, start: u64, end: u64) -> u64 {
        let mut out = end;
        for (at, bytes) in self.chunks.range(start.saturating_add(1)..end).take(64) {
            if at.saturating_add(bytes.len() as u64) >= end {
                out = out.min(*at);
            }
        }
        out
    }

    /// The bytes fetched from `start` on, as far as they run without a gap, up to `end`
    /// (exclusive): joined across chunks that touch or overlap.
    pub fn contiguous(&self, start: u64, end: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pos = start;
        while pos < end {
            let Some(bytes) = self.at(pos) else { break };
            let take = usize::try_from((end - pos).min(bytes.len() as u64)).unwrap_or(bytes.len());
            out.extend_from_slice(&bytes[..take]);
            pos += take as u64;
        }
        out
    }

    /// Whether the fetched records use zip64: an end-of-central-directory-64 record, or a
    /// central header whose size or offset fields say 0xFFFFFFFF (the real value is in a zip64
    /// extra field).
    pub fn zip64_records(&self) -> bool {
        self.chunks.values().any(|bytes| {
            bytes.windows(4).enumerate().any(|(i, w)| {
                if w == b"PK\x06\x06" {
                    return true;
                }
                if w != b"PK\x01\x02" || bytes.len() < i + 46 {
                    return false;
                }
                let field = |at: usize| {
                    u32::from_le_bytes([bytes[i + at], bytes[i + at + 1], bytes[i + at + 2], bytes[i + at + 3]])
                };
                field(20) == u32::MAX || field(24) == u32::MAX || field(42) == u32::MAX
            })
        })
    }

    pub fn view(&self) -> View<'_> {
        View { extents: self, pos: 0 }
    }
}

/// `Read + Seek` over the fetched ranges.
pub struct View<'a> {
    extents: &'a Extents,
    pos: u64,
}

impl Read for View<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.extents.len || buf.is_empty() {
            return Ok(0);
        }
        match self.extents.at(self.pos) {
            Some(bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                self.pos += n as u64;
                Ok(n)
            }
            None => Err(std::io::Error::other(Missing {
                start: self.pos,
                len: buf.len() as u64,
            })),
        }
    }
}

impl Seek for View<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let next = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.extents.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            next.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// The missing range behind a zip error, if that is what it is.
fn missing(e: &zip::result::ZipError) -> Option<Missing> {
    match e {
        zip::result::ZipError::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref::<Missing>()).copied(),
        _ => None,
    }
}

/// One entry of the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub compressed_size: u64,
    pub size: u64,
    pub header_start: u64,
    /// The compression method's number (0 stored, 8 deflate).
    pub method: u16,
    pub encrypted: bool,
    pub unix_mode: Option<u32>,
}

/// A zip opened through ranges: the fetched extents and the entries.
#[derive(Debug, Clone)]
pub struct RemoteZip {
    pub extents: Extents,
    pub entries: Vec<Entry>,
}

/// Why a zip could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipReadError {
    #[error("{0}")]
    Source(String),
    #[error("not a zip: {0}")]
    NotZip(String),
    #[error("cannot be extracted: {0}")]
    Extract(String),
    #[error("no entry named {0}")]
    NoEntry(String),
    #[error("{0} is larger than {1} bytes once decompressed")]
    TooLarge(String, u64),
    #[error("the zip needs more than {MAX_ROUNDS} range requests for this")]
    TooManyRounds,
}

/// Opens the zip: one suffix request for the tail; one more for a central directory that does
/// not fit in it.
pub async fn open<S: RangeSource>(source: &S) -> Result<RemoteZip, ZipReadError> {
    let (tail, total) = source.suffix(TAIL).await.map_err(ZipReadError::Source)?;
    let mut extents = Extents {
        len: total,
        ..Extents::default()
    };
    let tail_start = total.saturating_sub(tail.len() as u64);
    extents.insert(tail_start, tail);
    for _ in 0..MAX_ROUNDS {
        match zip::ZipArchive::new(extents.view()) {
            Ok(archive) => {
                let mut entries = Vec::with_capacity(archive.len());
                for i in 0..archive.len() {
                    // the central directory record only: no local header is read
                    let Ok(f) = archive.by_index_data(i) else { continue };
                    entries.push(Entry {
                        name: String::from_utf8_lossy(f.name_raw()).into_owned(),
                        compressed_size: f.compressed_size(),
                        size: f.size(),
                        header_start: f.header_start(),
                        method: compression_number(f.compression()),
                        encrypted: f.encrypted(),
                        // only a Unix (or Darwin) host's attributes hold a mode; the zip crate
                        // invents one (664) from DOS attributes, which says nothing about the file
                        unix_mode: matches!(f.system(), zip::System::Unix | zip::System::OsDarwin)
                            .then(|| f.unix_mode())
                            .flatten()
                            .filter(|m| *m != 0),
                    });
                }
                return Ok(RemoteZip { extents, entries });
            }
            Err(e) => match missing(&e) {
                // the central directory starts before the tail: fetch all of it at once
                Some(m) => {
                    let end = tail_start.max(m.start + m.len).min(total).saturating_sub(1);
                    let bytes = source.range(m.start, end).await.map_err(ZipReadError::Source)?;
                    extents.insert(m.start, bytes);
                }
                None => return Err(ZipReadError::NotZip(e.to_string())),
            },
        }
    }
    Err(ZipReadError::TooManyRounds)
}

/// The method's number (0 stored, 8 deflate; others are read as unsupported).
fn compression_number(m: zip::CompressionMethod) -> u16 {
    #[allow(deprecated)]
    match m {
        zip::CompressionMethod::Stored => 0,
        zip::CompressionMethod::Deflated => 8,
        zip::CompressionMethod::Unsupported(n) => n,
        _ => u16::MAX,
    }
}

/// Reads entry `name`, at most `cap` bytes decompressed: one range request covering its local
/// header and data.
pub async fn read_entry<S: RangeSource>(
    source: &S,
    zip: &mut RemoteZip,
    name: &str,
    cap: u64,
) -> Result<Vec<u8>, ZipReadError> {
    let entry = zip
        .entries
        .iter()
        .find(|e| e.name == name)
        .cloned()
        .ok_or_else(|| ZipReadError::NoEntry(name.to_string()))?;
    // compressed data can be smaller than what it inflates to, never much larger: an entry whose
    // stored size is far above the cap is refused before anything is fetched
    if entry.compressed_size > cap.saturating_add(cap / 8).saturating_add(1024) {
        return Err(ZipReadError::TooLarge(name.to_string(), cap));
    }
    for _ in 0..MAX_ROUNDS {
        let attempt: Result<std::convert::Infallible, zip::result::ZipError> = {
            let mut archive =
                zip::ZipArchive::new(zip.extents.view()).map_err(|e| ZipReadError::NotZip(e.to_string()))?;
            match archive.by_name(name) {
                Ok(file) => {
                    let mut out = Vec::new();
                    match file.take(cap + 1).read_to_end(&mut out) {
                        Ok(_) if out.len() as u64 > cap => return Err(ZipReadError::TooLarge(name.to_string(), cap)),
                        Ok(_) => return Ok(out),
                        Err(e) => Err(zip::result::ZipError::Io(e)),
                    }
                }
                Err(e) => Err(e),
            }
        };
        let Err(e) = attempt;
        match missing(&e) {
            Some(m) => {
                // one request from the local header to the end of the data (name and extra field
                // lengths are only known from the local header, so ask for some slack)
                let start = entry.header_start.min(m.start);
                let end = entry_end(entry.header_start, name, entry.compressed_size)
                    .max(m.start + m.len)
                    .min(zip.extents.len)
                    .saturating_sub(1);
                let bytes = source.range(start, end).await.map_err(ZipReadError::Source)?;
                zip.extents.insert(start, bytes);
            }
            None => return Err(ZipReadError::Extract(e.to_string())),
        }
    }
    Err(ZipReadError::TooManyRounds)
}

/// Where an entry's data ends at most: its local header (with slack for the name and extra
/// field) and its compressed data.
fn entry_end(header_start: u64, name: &str, compressed_size: u64) -> u64 {
    header_start
        .saturating_add(30 + name.len() as u64 + HEADER_SLACK)
        .saturating_add(compressed_size)
}

/// Gaps between needed entries up to this size are fetched rather than paid for with another
/// request.
pub const MERGE_GAP: u64 = 64 * 1024;
/// A merged request is never larger than this.
const MERGE_MAX: u64 = 8 * 1024 * 1024;

/// Fetches the named entries (local header and data) in as few requests as their layout
/// allows: entries closer than `MERGE_GAP` share a request. Entries not in the zip, larger than
/// `cap` compressed, or already fetched are left to `read_entry`. A failed request is left to
/// `read_entry` too (it asks again and reports the failure for that entry).
pub async fn prefetch<S: RangeSource>(source: &S, zip: &mut RemoteZip, names: &[String], cap: u64) {
    let mut spans: Vec<(u64, u64)> = zip
        .entries
        .iter()
        .filter(|e| names.contains(&e.name) && e.compressed_size <= cap)
        .map(|e| {
            let end = entry_end(e.header_start, &e.name, e.compressed_size).min(zip.extents.len);
            (e.header_start, end)
        })
        .filter(|(start, end)| start < end && !zip.extents.covers(*start, *end))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 + MERGE_GAP && end.max(last.1) - last.0 <= MERGE_MAX => {
                last.1 = last.1.max(end);
            }
            _ => merged.push((start, end)),
        }
    }
    for (start, end) in merged {
        if let Ok(bytes) = source.range(start, end - 1).await {
            zip.extents.insert(start, bytes);
        }
    }
}

/// Fetches the byte spans `[start, end)` in as few requests as their layout allows: spans
/// closer than `gap` become one range (never larger than `MERGE_MAX`), and the ranges go in one
/// multi-range request where the source allows it. Returns why a request failed, if one did;
/// the spans it was for stay unfetched.
pub async fn fetch_spans<S: RangeSource>(
    source: &S,
    zip: &mut RemoteZip,
    mut spans: Vec<(u64, u64)>,
    gap: u64,
) -> Option<String> {
    let len = zip.extents.len;
    spans.retain_mut(|(start, end)| {
        *end = (*end).min(len);
        // what was fetched already at the span's start is not asked for again
        for _ in 0..8 {
            match zip.extents.at(*start) {
                Some(bytes) if *start < *end => *start = start.saturating_add(bytes.len() as u64),
                _ => break,
            }
        }
        // nor what was fetched already at its end
        if *start < *end {
            *end = zip.extents.uncovered_end(*start, *end);
        }
        start < end
    });
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(gap) && end.max(last.1) - last.0 <= MERGE_MAX => {
                last.1 = last.1.max(end);
            }
            _ => merged.push((start, end)),
        }
    }
    let inclusive: Vec<(u64, u64)> = merged.iter().map(|(start, end)| (*start, end - 1)).collect();
    let got = source.ranges(&inclusive).await;
    zip.extents.requests += got.requests;
    zip.extents.bytes += got.overhead;
    for (start, bytes) in got.parts {
        zip.extents.insert_part(start, bytes);
    }
    got.error
}

/// A local file (or bytes in memory) as a range source: each range is a read of the file.
pub enum LocalFile {
    Path(std::path::PathBuf),
    Bytes(Vec<u8>),
}

impl LocalFile {
    pub fn new(bytes: Vec<u8>) -> LocalFile {
        LocalFile::Bytes(bytes)
    }

    fn len(&self) -> Result<u64, String> {
        match self {
            LocalFile::Path(p) => std::fs::metadata(p)
                .map(|m| m.len())
                .map_err(|e| format!("{}: {e}", p.display())),
            LocalFile::Bytes(b) => Ok(b.len() as u64),
        }
    }

    fn read_at(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let len = self.len()?;
        if start >= len || end < start {
            return Err(format!("bytes {start}-{end} are past the end"));
        }
        let end = end.min(len - 1);
        let want = usize::try_from(end - start + 1).map_err(|e| e.to_string())?;
        match self {
            LocalFile::Bytes(b) => {
                let s = usize::try_from(start).map_err(|e| e.to_string())?;
                Ok(b[s..s + want].to_vec())
            }
            LocalFile::Path(p) => {
                let mut f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
                f.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
                let mut out = vec![0u8; want];
                f.read_exact(&mut out).map_err(|e| e.to_string())?;
                Ok(out)
            }
        }
    }
}

impl RangeSource for LocalFile {
    async fn suffix(&self, n: u64) -> Result<(Vec<u8>, u64), String> {
        let total = self.len()?;
        if total == 0 {
            return Err("the file is empty".to_string());
        }
        Ok((self.read_at(total.saturating_sub(n), total - 1)?, total))
    }

    async fn range(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        self.read_at(start, end)
    }

    /// One read per span (a file has no requests to save).
    async fn ranges(&self, spans: &[(u64, u64)]) -> Ranges {
        let mut out = Ranges::default();
        each_range(self, spans, &mut out).await;
        out
    }
}

/// An http(s) URL as a range source: `Range` requests through the run's client; a server that
/// ignores Range (answers 200) is an error here, never a download of the whole file.
pub struct HttpRanges {
    pub net: std::sync::Arc<crate::collect::net::Net>,
    pub url: String,
    /// Set once the server answered a multi-range request with something else than the
    /// ranges (a 200, an error): from then on, one range per request.
    pub no_multirange: std::sync::atomic::AtomicBool,
    /// The Range requests made, for the report's timeline (their bodies' first bytes not kept),
    /// up to `MAX_LOGGED`; and how many more were made.
    log: std::sync::Mutex<(Vec<crate::facts::Exchange>, u32)>,
}

/// The most Range requests of one package kept in the facts (a `--deep` read of a large
/// package makes hundreds): the rest are counted.
pub const MAX_LOGGED: usize = 200;

/// The most ranges asked in one request (servers cap them: nginx and Apache answer many
/// ranges whole or with an error).
pub const MAX_RANGES_PER_REQUEST: usize = 32;
/// The most bytes of part headers a multipart answer may add per range.
const PART_OVERHEAD: u64 = 256;

impl HttpRanges {
    pub fn new(net: std::sync::Arc<crate::collect::net::Net>, url: String) -> HttpRanges {
        HttpRanges {
            net,
            url,
            no_multirange: std::sync::atomic::AtomicBool::new(false),
            log: std::sync::Mutex::new((Vec::new(), 0)),
        }
    }

    /// Keeps the exchanges of one Range request for the facts.
    fn record(&self, fetch: &crate::facts::Fetch) {
        if let Ok(mut log) = self.log.lock() {
            for exchange in &fetch.exchanges {
                if log.0.len() < MAX_LOGGED {
                    let mut kept = exchange.clone();
                    // a slice of a zip: its first bytes mean nothing as text
                    kept.body_head.clear();
                    log.0.push(kept);
                } else {
                    log.1 = log.1.saturating_add(1);
                }
            }
        }
    }

    /// The Range requests made so far (taken: the log starts again), and how many more were
    /// made than kept.
    pub fn take_log(&self) -> (Vec<crate::facts::Exchange>, u32) {
        self.log
            .lock()
            .map(|mut log| std::mem::take(&mut *log))
            .unwrap_or_default()
    }

    /// One request for several ranges: its parts (a `multipart/byteranges` answer, or one
    /// range when the server joined them), or why it did not give them.
    /// Also how many bytes the answer's body held (for the facts: a refused or multipart answer
    /// costs more than its parts).
    async fn multi(&self, spans: &[(u64, u64)]) -> (Result<Vec<(u64, Vec<u8>)>, String>, u64) {
        let list: Vec<String> = spans.iter().map(|(a, b)| format!("{a}-{b}")).collect();
        let asked = format!("bytes={}", list.join(","));
        let want: u64 = spans.iter().map(|(a, b)| b - a + 1).sum();
        let cap = want + PART_OVERHEAD * spans.len() as u64 + 1024;
        let request = crate::collect::net::Request {
            headers: vec![("range".to_string(), asked.clone())],
            ..crate::collect::net::Request::get(&self.url, "package", cap)
        };
        let (fetch, body) = self.net.fetch(request).await;
        self.record(&fetch);
        let received = body.len() as u64;
        (Self::parts_of(&fetch, body, &asked, spans.len()), received)
    }

    /// The parts of a multi-range answer.
    fn parts_of(
        fetch: &crate::facts::Fetch,
        body: Vec<u8>,
        asked: &str,
        ranges: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let last = fetch.last().ok_or("no answer")?;
        if let Some(error) = &last.error {
            return Err(format!("{asked}: {error}"));
        }
        if last.status != Some(206) {
            return Err(format!("the server answers {:?} to a multi-range request", last.status));
        }
        let media = last.header("content-type").unwrap_or_default();
        if let Some(boundary) = boundary(media) {
            return multipart_parts(&body, &boundary, ranges * 2);
        }
        let header = last.header("content-range").unwrap_or_default();
        let said = ContentRange::parse(header).ok_or_else(|| format!("no usable Content-Range (\"{header}\")"))?;
        if said.last - said.first + 1 != body.len() as u64 {
            return Err(format!("Content-Range: {header}, but {} bytes", body.len()));
        }
        Ok(vec![(said.first, body)])
    }

    /// One Range request: the body and what its Content-Range says it is (first byte, last
    /// byte, total length), or why it cannot be used.
    async fn get(&self, range: &str, cap: u64) -> Result<(Vec<u8>, ContentRange), String> {
        let request = crate::collect::net::Request {
            headers: vec![("range".to_string(), range.to_string())],
            ..crate::collect::net::Request::get(&self.url, "package", cap)
        };
        let (fetch, body) = self.net.fetch(request).await;
        self.record(&fetch);
        let last = fetch.last().ok_or("no answer")?;
        // an answer that broke off or was not valid HTTP is no answer, whatever its status
        if let Some(error) = &last.error {
            return Err(format!("{range}: {error}"));
        }
        match last.status {
            Some(206) => {}
            Some(200) => return Err("the server ignores Range requests (200, not 206)".to_string()),
            Some(s) => return Err(format!("the server answers {s} to a Range request")),
            None => return Err("no answer".to_string()),
        }
        let header = last.header("content-range").unwrap_or_default();
        let said = ContentRange::parse(header)
            .ok_or_else(|| format!("the answer to {range} has no usable Content-Range (\"{header}\")"))?;
        if said.last.saturating_sub(said.first) + 1 != body.len() as u64 {
            return Err(format!(
                "the answer to {range} says Content-Range: {header}, but holds {} bytes",
                body.len()
            ));
        }
        Ok((body, said))
    }
}

/// `Content-Range: bytes FIRST-LAST/TOTAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ContentRange {
    first: u64,
    last: u64,
    total: u64,
}

impl ContentRange {
    fn parse(header: &str) -> Option<ContentRange> {
        let (range, total) = header.trim().strip_prefix("bytes ")?.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        let said = ContentRange {
            first: first.trim().parse().ok()?,
            last: last.trim().parse().ok()?,
            total: total.trim().parse().ok()?,
        };
        (said.first <= said.last && said.last < said.total).then_some(said)
    }
}

impl RangeSource for HttpRanges {
    async fn suffix(&self, n: u64) -> Result<(Vec<u8>, u64), String> {
        let asked = format!("bytes=-{n}");
        let (body, said) = self.get(&asked, n).await?;
        // the last bytes, or the whole file when it is shorter than asked
        if said.last + 1 != said.total || said.first != said.total.saturating_sub(n) {
            return Err(format!(
                "asked for the last {n} bytes ({asked}), the server answered bytes {}-{}/{} (Content-Range): not the bytes asked for",
                said.first, said.last, said.total
            ));
        }
        Ok((body, said.total))
    }

    async fn range(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let want = end - start + 1;
        let asked = format!("bytes={start}-{end}");
        let (body, said) = self.get(&asked, want).await?;
        if said.first != start {
            return Err(format!(
                "asked for {asked}, the server answered bytes {}-{}/{} (Content-Range): not the bytes asked for",
                said.first, said.last, said.total
            ));
        }
        if body.len() as u64 != want {
            return Err(format!("asked for {want} bytes at {start}, got {}", body.len()));
        }
        Ok(body)
    }

    /// The spans in as few requests as the server allows: up to `MAX_RANGES_PER_REQUEST` in
    /// one multi-range request; spans its answer left out (a server that ignores or refuses
    /// multi-range) one request each.
    async fn ranges(&self, spans: &[(u64, u64)]) -> Ranges {
        use std::sync::atomic::Ordering;
        let mut out = Ranges::default();
        if spans.len() > 1 && !self.no_multirange.load(Ordering::Relaxed) {
            for group in spans.chunks(MAX_RANGES_PER_REQUEST) {
                if group.len() == 1 || self.no_multirange.load(Ordering::Relaxed) {
                    break;
                }
                out.requests += 1;
                let (answer, received) = self.multi(group).await;
                match answer {
                    Ok(parts) => {
                        let held: u64 = parts.iter().map(|(_, bytes)| bytes.len() as u64).sum();
                        out.overhead += received.saturating_sub(held);
                        out.parts.extend(parts);
                    }
                    Err(_) => {
                        out.overhead += received;
                        self.no_multirange.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        each_range(self, spans, &mut out).await;
        out
    }
}

/// The `boundary` of a `multipart/byteranges` media type.
fn boundary(media: &str) -> Option<String> {
    let mut params = media.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("multipart/byteranges") {
        return None;
    }
    params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// The parts of a `multipart/byteranges` body (RFC 9110 §14.6): each `--boundary`, its headers
/// (a Content-Range), a blank line and exactly the bytes the Content-Range says. At most
/// `max_parts`; one pass over the body.
fn multipart_parts(body: &[u8], boundary: &str, max_parts: usize) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let delimiter = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
    let mut parts = Vec::new();
    let mut pos = 0usize;
    loop {
        let at = finder
            .find(&body[pos..])
            .ok_or("a multipart answer without its closing boundary")?;
        pos += at + delimiter.len();
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        if parts.len() >= max_parts {
            return Err(format!("a multipart answer with more than {max_parts} parts"));
        }
        let end = memchr::memmem::find(&body[pos..], b"\r\n\r\n").ok_or("a part without the end of its headers")?;
        let headers = String::from_utf8_lossy(&body[pos..pos + end]);
        pos += end + 4;
        let range = headers
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim().eq_ignore_ascii_case("content-range").then(|| value.trim())
            })
            .and_then(ContentRange::parse)
            .ok_or("a part without a usable Content-Range")?;
        let len = usize::try_from(range.last - range.first + 1).map_err(|e| e.to_string())?;
        let bytes = body
            .get(pos..pos.saturating_add(len))
            .ok_or("a part shorter than its Content-Range")?;
        parts.push((range.first, bytes.to_vec()));
        pos += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An IPA-shaped zip: Info.plist and a profile first, then a large stored binary, then
    /// `extra` small entries.
    fn ipa(binary: usize, extra: usize, large_file: bool) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflate = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(large_file);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(large_file);
        zip.start_file("Payload/Field.app/Info.plist", deflate).expect("entry");
        zip.write_all(b"<?xml version=\"1.0\"?><plist><dict><key>CFBundleIdentifier</key><string>com.acme.field</string></dict></plist>").expect("write");
        zip.start_file("Payload/Field.app/embedded.mobileprovision", stored)
            .expect("entry");
        zip.write_all(&[0x30; 3000]).expect("write");
        zip.start_file("Payload/Field.app/Field", stored).expect("entry");
        zip.write_all(&vec![0u8; binary]).expect("write");
        for i in 0..extra {
            zip.start_file(
                format!("Payload/Field.app/Assets/resource-with-a-rather-long-name-{i:06}.png"),
                stored,
            )
            .expect("entry");
            zip.write_all(b"x").expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn multipart_answers_are_read_part_by_part_and_broken_ones_refused() {
        assert_eq!(boundary("multipart/byteranges; boundary=\"b1\"").as_deref(), Some("b1"));
        assert_eq!(boundary("application/octet-stream"), None);
        let body = b"\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-3/100\r\n\r\nabcd\r\n--b1\r\ncontent-range: bytes 50-51/100\r\n\r\n--\r\n--b1--\r\n";
        let parts = multipart_parts(body, "b1", 4).expect("parts");
        assert_eq!(parts, vec![(0, b"abcd".to_vec()), (50, b"--".to_vec())]);
        // a part longer than the body, no closing boundary, too many parts, no Content-Range
        let cut = b"--b1\r\ncontent-range: bytes 0-99/100\r\n\r\nabc";
        assert!(multipart_parts(cut, "b1", 4).is_err());
        assert!(multipart_parts(b"--b1\r\ncontent-range: bytes 0-0/9\r\n\r\nx", "b1", 4).is_err());
        assert!(multipart_parts(body, "b1", 1).is_err());
        assert!(multipart_parts(b"--b1\r\nx: y\r\n\r\nab--b1--", "b1", 4).is_err());
    }

    #[test]
    fn a_chunk_inside_a_larger_one_does_not_hide_it() {
        let mut extents = Extents {
            len: 1000,
            ..Extents::default()
        };
        extents.insert(0, vec![1; 1000]);
        extents.insert(100, vec![2; 10]);
        assert_eq!(extents.contiguous(0, 1000).len(), 1000);
        assert!(extents.covers(200, 900));
    }

    #[test]
    fn two_requests_read_an_entry_in_front_of_a_large_binary() {
        let bytes = ipa(8 * 1024 * 1024, 20, false);
        let source = LocalFile::new(bytes.clone());
        let mut zip = block_on(open(&source)).expect("opens");
        assert_eq!(zip.extents.requests, 1, "the tail holds the whole central directory");
        assert_eq!(zip.entries.len(), 23);
        let plist = block_on(read_entry(&source, &mut zip, "Payload/Field.app/Info.plist", 1 << 20)).expect("reads");
        assert!(plist.starts_with(b"<?xml"));
        assert_eq!(zip.extents.requests, 2);
        assert!(
            zip.extents.bytes < 80 * 1024,
            "{} bytes of {}",
            zip.extents.bytes,
            bytes.len()
        );
    }

    #[test]
    fn a_large_central_directory_is_fetched_in_one_more_request() {
        let bytes = ipa(1024, 3000, false);
        let source = LocalFile::new(bytes);
        let zip = block_on(open(&source)).expect("opens");
        assert_eq!(zip.entries.len(), 3003);
        assert_eq!(
            zip.extents.requests, 2,
            "the tail, then the rest of the central directory at once"
        );
    }

    #[test]
    fn zip64_entries_read_the_same() {
        let bytes = ipa(64 * 1024, 5, true);
        let source = LocalFile::new(bytes);
        let mut zip = block_on(open(&source)).expect("opens");
        let plist = block_on(read_entry(&source, &mut zip, "Payload/Field.app/Info.plist", 1 << 20)).expect("reads");
        assert!(plist.ends_with(b"</plist>"));
    }

    #[test]
    fn bombs_and_garbage_end_with_an_error() {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflate = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("Payload/Field.app/Info.plist", deflate).expect("entry");
        zip.write_all(&vec![b'a'; 20 * 1024 * 1024]).expect("write");
        let bomb = zip.finish().expect("finish").into_inner();
        assert!(bomb.len() < 200 * 1024, "a small file");
        let source = LocalFile::new(bomb);
        let mut opened = block_on(open(&source)).expect("opens");
        let read = block_on(read_entry(
            &source,
            &mut opened,
            "Payload/Field.app/Info.plist",
            8 << 20,
        ));
        assert!(matches!(read, Err(ZipReadError::TooLarge(_, _))), "{read:?}");
        let html = LocalFile::new(b"<!doctype html><html>not a zip</html>".to_vec());
        assert!(matches!(block_on(open(&html)), Err(ZipReadError::NotZip(_))));
        let truncated = ipa(1024, 2, false);
        let cut = LocalFile::new(truncated[..truncated.len() - 10].to_vec());
        assert!(block_on(open(&cut)).is_err());
    }
}
