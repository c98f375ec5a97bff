//! Following a link the way the device does: the manifest (and the same request as a browser,
//! to compare), then every asset of the manifest at once — the package (HEAD, then a ranged GET
//! of its first bytes) and the icons. Independent requests run concurrently.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::collect::Collector;
use crate::collect::net::{INSTALLER_USER_AGENT, IPAD_USER_AGENT, MDM_AGENT_USER_AGENT};
use crate::collect::net::{PAGE_CAP, Request, SAFARI_USER_AGENT};
use crate::collect::{html, manifest, png};
use crate::facts::{AssetFetch, Facts, PageFacts, WalkFacts};
use crate::facts::{Input, InputKind};
use crate::facts::{IpadPage, ProfileKind, SeenLink, Via};
use crate::finding::Location;
use crate::text::lines_and_columns;

/// The bytes read from the start of a package: enough to tell a zip, HTML or an LFS pointer.
pub const PACKAGE_HEAD: u64 = 4096;
/// The bytes read of an icon.
pub const ICON_CAP: u64 = 256 * 1024;

/// Goes out on the network for one input: follows its links, or fetches its URL, or the
/// assets of its manifest.
pub async fn collect(c: Collector, input: &mut Input) {
    match input.kind {
        InputKind::Link | InputKind::Page => follow_links(c, &mut input.facts).await,
        InputKind::Manifest => {
            if let Some(walk) = input.facts.walks.first_mut() {
                fetch_assets_and_package(c, walk).await;
            }
        }
        // a local package goes out only to ask about its signing certificates
        InputKind::Package => {
            for package in input.facts.walks.iter_mut().filter_map(|w| w.package.as_mut()) {
                crate::collect::ocsp::check_package(&c, package).await;
            }
        }
        InputKind::Profile => crate::collect::ocsp::check_profile(&c, &mut input.facts).await,
        InputKind::Directory => {}
        InputKind::Url => fetch_url_input(c, input).await,
        InputKind::Evidence => follow_evidence(c, &mut input.facts).await,
    }
    note_mdm_trust(input);
}

/// What `--via mdm` notes of an input that has links: the link is not tapped.
pub const MDM_LINKS_NOTE: &str = "the LNK rules (how a link is written for Safari) are not run under --via mdm: no link is tapped; \
     the MDM server sends the manifest URL (the link's url parameter, decoded once) as the InstallApplication command's ManifestURL";

/// What `--via mdm` notes of an input whose package is an enterprise build.
pub const MDM_TRUST_NOTE: &str = "SIG014 (enterprise-trust-required) is not raised under --via mdm: an enterprise app that MDM installs \
     is trusted without the user's Trust step in Settings";

/// Makes an input one that an MDM command carries (`--via mdm`): its facts say so; an http(s)
/// URL is the command's manifest URL itself (asked for as a manifest, never as a page), so its
/// walk is there from the start and its URL is checked offline too; links are read for their
/// manifest URL only.
pub fn as_mdm_input(input: &mut Input) {
    input.facts.via = Via::Mdm;
    if input.kind == InputKind::Url {
        input.facts.walks = vec![WalkFacts {
            manifest_url: input.name.trim().to_string(),
            ..WalkFacts::default()
        }];
    }
    if !input.facts.links.is_empty() && !input.facts.skipped.iter().any(|s| s == MDM_LINKS_NOTE) {
        input.facts.skipped.push(MDM_LINKS_NOTE.to_string());
    }
}

/// Under `--via mdm`, notes that the enterprise trust step does not apply when a package of
/// the input is an enterprise build (once).
pub fn note_mdm_trust(input: &mut Input) {
    let facts = &mut input.facts;
    if facts.via != Via::Mdm || facts.skipped.iter().any(|s| s == MDM_TRUST_NOTE) {
        return;
    }
    let enterprise = facts
        .walks
        .iter()
        .filter_map(|w| w.package.as_ref())
        .flat_map(|p| p.bundles.iter())
        .filter_map(|b| b.profile.as_ref())
        .any(|p| p.kind == Some(ProfileKind::Enterprise));
    if enterprise {
        facts.skipped.push(MDM_TRUST_NOTE.to_string());
    }
}

/// Device evidence: its links are followed, then the manifest URLs the log names that no link
/// of it leads to, as the device fetched them.
async fn follow_evidence(c: Collector, facts: &mut Facts) {
    follow_links(c.clone(), facts).await;
    let named: Vec<String> = facts
        .evidence
        .as_ref()
        .map(|e| e.manifest_urls.clone())
        .unwrap_or_default();
    let mut set = JoinSet::new();
    for url in named {
        if facts.walks.iter().any(|w| w.manifest_url == url) {
            continue;
        }
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            continue;
        }
        set.spawn(walk(c.clone(), url, None));
    }
    let mut walks: Vec<WalkFacts> = set.join_all().await;
    walks.sort_by(|a, b| a.manifest_url.cmp(&b.manifest_url));
    facts.walks.extend(walks);
}

/// The most links of one input that are followed (a page with thousands of links is checked
/// offline in full, but only its first links go out to the network).
pub const MAX_FOLLOWED_LINKS: usize = 32;
/// The most walks of one input under way at once.
const CONCURRENT_WALKS: usize = 8;

/// Follows every link whose manifest URL iOS could fetch, a few at a time, in link order.
async fn follow_links(c: Collector, facts: &mut Facts) {
    let mut set = JoinSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_WALKS));
    if facts.links.len() > MAX_FOLLOWED_LINKS {
        facts.skipped.push(format!(
            "links {}–{} not followed: otadoctor follows the first {MAX_FOLLOWED_LINKS} links of an input (they are still checked)",
            MAX_FOLLOWED_LINKS + 1,
            facts.links.len()
        ));
    }
    for (index, link) in facts.links.iter().enumerate().take(MAX_FOLLOWED_LINKS) {
        let url = link.parsed.manifest_url.clone().unwrap_or_default();
        if link.dynamic
            || link
                .parsed
                .scheme
                .as_deref()
                .is_none_or(|s| !s.eq_ignore_ascii_case("itms-services"))
        {
            continue;
        }
        let lower = url.trim_start().to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            facts.skipped.push(format!(
                "link {}: not followed, the phone gets no http(s) manifest URL from it",
                index + 1
            ));
            continue;
        }
        let (c, permits, via) = (c.clone(), permits.clone(), facts.via);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            walk_as(c, url, Some(index), via).await
        });
    }
    let mut walks: Vec<WalkFacts> = set.join_all().await;
    walks.sort_by_key(|w| w.link);
    facts.walks = walks;
}

/// The manifest at `url` (as the installer and as a browser), then its assets.
pub async fn walk(c: Collector, url: String, link: Option<usize>) -> WalkFacts {
    walk_as(c, url, link, Via::Link).await
}

/// The manifest at `url` as the path `via` asks for it, then its assets: a tapped link's
/// manifest is asked for by the installer and, to compare, by Safari; an MDM command's by the
/// MDM agent (no browser is involved) and, to compare, by the installer of a tapped link.
pub async fn walk_as(c: Collector, url: String, link: Option<usize>, via: Via) -> WalkFacts {
    let (agent, other) = match via {
        Via::Link => (INSTALLER_USER_AGENT, SAFARI_USER_AGENT),
        Via::Mdm => (MDM_AGENT_USER_AGENT, INSTALLER_USER_AGENT),
    };
    let as_agent = c.net.fetch(Request {
        user_agent: agent,
        ..Request::get(&url, "manifest", PAGE_CAP + 1)
    });
    let as_other = c.net.fetch(Request {
        user_agent: other,
        ..Request::get(&url, "manifest", PAGE_CAP + 1)
    });
    let ((fetch, body), (other_fetch, _)) = tokio::join!(as_agent, as_other);
    let mut walk = WalkFacts {
        link,
        manifest_url: url.clone(),
        ..WalkFacts::default()
    };
    // read only what came whole: a 2xx, not cut at the cap, and no error on the way
    let ok = fetch
        .last()
        .is_some_and(|e| e.status.is_some_and(|s| (200..300).contains(&s)) && !e.body_truncated && e.error.is_none());
    if ok {
        walk.document = Some(manifest::read(&url, &body));
    }
    walk.manifest = Some(fetch);
    match via {
        Via::Link => walk.manifest_as_browser = Some(other_fetch),
        Via::Mdm => walk.manifest_as_installer = Some(other_fetch),
    }
    fetch_assets_and_package(c, &mut walk).await;
    walk
}

/// Fetches the manifest's assets as the installer does (package HEAD then GET, icons) and, at
/// the same time, starts reading the package's contents through Range requests: the contents
/// do not wait for the HEAD and first-bytes round trips. What the installer's requests showed
/// then decides whether that read stands (see `read_package`).
pub async fn fetch_assets_and_package(c: Collector, walk: &mut WalkFacts) {
    let package_url = match (&walk.package, walk.document.as_ref().and_then(|d| d.document.as_ref())) {
        (None, Some(document)) => crate::manifest::package_asset(document)
            .and_then(|(_, _, asset)| asset.get("url")?.as_str())
            .map(|url| url.trim().to_string())
            .filter(|u| {
                u.to_ascii_lowercase().starts_with("https://") || u.to_ascii_lowercase().starts_with("http://")
            }),
        _ => None,
    };
    let early = async {
        let url = package_url?;
        let source = crate::collect::remote_zip::HttpRanges::new(c.net.clone(), url.clone());
        let mut package =
            crate::collect::ipa::read_with(&source, &url, &c.package.profile_anchors, c.package.deep).await;
        keep_range_reads(&source, &mut package);
        Some((url.clone(), package))
    };
    let ((), early) = tokio::join!(fetch_assets(c.clone(), walk), early);
    read_package(c.clone(), walk, early).await;
    if let Some(package) = walk.package.as_mut() {
        crate::collect::ocsp::check_package(&c, package).await;
    }
}

/// Decides what is known of the package's contents: the read started beside the installer's
/// requests (`early`: its URL and result) when the package GET answered 206 with a zip from
/// that same URL; a new Range read from where redirects led; one stream when Range is ignored;
/// nothing when the first bytes are not a zip.
async fn read_package(c: Collector, walk: &mut WalkFacts, early: Option<(String, crate::facts::PackageFacts)>) {
    if walk.package.is_some() {
        return; // --ipa stands in for it
    }
    let Some(asset) = walk.assets.iter().find(|a| a.kind == "software-package") else {
        return;
    };
    let Some(get) = asset.get.as_ref().and_then(|f| f.last()) else {
        return;
    };
    let why_not = match get.status {
        Some(206) if get.body_magic.starts_with("504b0304") => None,
        Some(206) => Some("its first bytes are not a zip".to_string()),
        Some(200) if get.body_magic.starts_with("504b0304") => {
            // Range ignored: the package is read as one stream, up to a cap
            let url = get.url.clone();
            read_streamed(c, walk, &url).await;
            return;
        }
        Some(200) => Some("its first bytes are not a zip".to_string()),
        _ => Some("the package could not be fetched".to_string()),
    };
    if let Some(why) = why_not {
        walk.package_not_read = Some(why);
        return;
    }
    let url = get.url.clone();
    let source = crate::collect::remote_zip::HttpRanges::new(c.net.clone(), url.clone());
    let mut package = match early {
        Some((early_url, package)) if early_url == url => package,
        _ => crate::collect::ipa::read_with(&source, &url, &c.package.profile_anchors, c.package.deep).await,
    };
    if c.package.deep && package.error.is_none() {
        let sizes = chunk_sizes(walk);
        package.deep =
            Some(crate::collect::deep::check_remote(&source, package.bytes, &package, sizes, &c.package.scratch).await);
    }
    keep_range_reads(&source, &mut package);
    walk.package = Some(package);
}

/// The Range requests `source` made, added to the package's facts (the report's timeline
/// draws them).
fn keep_range_reads(source: &crate::collect::remote_zip::HttpRanges, package: &mut crate::facts::PackageFacts) {
    let (exchanges, dropped) = source.take_log();
    package.range_reads.extend(exchanges);
    package.range_reads_not_kept = package.range_reads_not_kept.saturating_add(dropped);
}

/// The `md5-size`/`sha256-size` of the walk's manifest.
pub fn chunk_sizes(walk: &WalkFacts) -> crate::collect::deep::ChunkSizes {
    walk.document
        .as_ref()
        .and_then(|d| d.document.as_ref())
        .map_or((None, None), crate::collect::deep::chunk_sizes)
}

/// A package whose server ignores Range is read as one GET, up to this many bytes.
pub const STREAM_CAP: u64 = 64 * 1024 * 1024;

/// Reads a package from a server that ignores Range: one GET, kept in memory up to
/// `STREAM_CAP`; a larger package is not read (it is never downloaded whole).
async fn read_streamed(c: Collector, walk: &mut WalkFacts, url: &str) {
    let (fetch, body) = c.net.fetch(Request::get(url, "package", STREAM_CAP)).await;
    let Some(last) = fetch.last() else {
        walk.package_not_read = Some("the package could not be fetched".to_string());
        return;
    };
    if last.body_truncated || last.error.is_some() {
        walk.package_not_read = Some(match &last.error {
            None => format!(
                "the server ignores Range requests and the package is larger than {} MiB: otadoctor reads no further",
                STREAM_CAP / 1024 / 1024
            ),
            Some(_) => "the server ignores Range requests and the package stream broke off".to_string(),
        });
        // the phone downloads it whole: only otadoctor's own cap kept it from being read
        walk.package_too_large_to_stream = last.error.is_none();
        return;
    }
    let received = body.len() as u64;
    let kept = c.package.deep.then(|| body.clone());
    let source = crate::collect::remote_zip::LocalFile::new(body);
    let mut package = crate::collect::ipa::read_with(&source, url, &c.package.profile_anchors, c.package.deep).await;
    if let Some(bytes) = kept
        && package.error.is_none()
    {
        let sizes = chunk_sizes(walk);
        let mut deep = crate::collect::deep::check_reader(std::io::Cursor::new(bytes), &package, sizes);
        deep.requests = 1;
        package.deep = Some(deep);
    }
    // what crossed the network: one request for all of it
    package.requests = 1;
    package.bytes_read = received;
    package.streamed = true;
    walk.package = Some(package);
}

/// Fetches every asset of the walk's manifest, concurrently; non-http(s) URLs are never read.
pub async fn fetch_assets(c: Collector, walk: &mut WalkFacts) {
    let Some(document) = walk.document.as_ref().and_then(|d| d.document.as_ref()) else {
        return;
    };
    let mut set = JoinSet::new();
    let mut beyond = Vec::new();
    for (order, (item, asset, kind, url)) in crate::manifest::assets(document).into_iter().enumerate() {
        if order >= MAX_FETCHED_ASSETS {
            // a hostile manifest may list thousands: they are checked, not fetched
            beyond.push(AssetFetch {
                item,
                asset,
                kind,
                url,
                not_fetched: Some(format!(
                    "not fetched: otadoctor fetches the first {MAX_FETCHED_ASSETS} assets of a manifest"
                )),
                ..AssetFetch::default()
            });
            continue;
        }
        let c = c.clone();
        set.spawn(async move { (order, fetch_asset(c, item, asset, kind, url).await) });
    }
    let mut assets: Vec<(usize, AssetFetch)> = set.join_all().await;
    assets.sort_by_key(|(order, _)| *order);
    walk.assets = assets.into_iter().map(|(_, a)| a).chain(beyond).collect();
}

/// The most assets of one manifest that are fetched (a real one lists a package and two icons
/// per item).
pub const MAX_FETCHED_ASSETS: usize = 16;

async fn fetch_asset(c: Collector, item: usize, asset: usize, kind: String, url: String) -> AssetFetch {
    let mut facts = AssetFetch {
        item,
        asset,
        kind: kind.clone(),
        url: url.clone(),
        ..AssetFetch::default()
    };
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        facts.not_fetched =
            Some("not an http(s) URL: otadoctor never reads it (and neither does the phone)".to_string());
        return facts;
    }
    match kind.as_str() {
        "software-package" => {
            // the installer sends HEAD first, then GET; we read only the first bytes
            let head = Request {
                method: reqwest::Method::HEAD,
                ..Request::get(trimmed, "package", 0)
            };
            let (head_fetch, _) = c.net.fetch(head).await;
            let ranged = Request {
                headers: vec![("range".to_string(), format!("bytes=0-{}", PACKAGE_HEAD - 1))],
                ..Request::get(trimmed, "package", PACKAGE_HEAD)
            };
            let (get_fetch, _) = c.net.fetch(ranged).await;
            facts.head = Some(head_fetch);
            facts.get = Some(get_fetch);
        }
        "display-image" | "full-size-image" => {
            let (get_fetch, body) = c.net.fetch(Request::get(trimmed, "icon", ICON_CAP)).await;
            if get_fetch
                .last()
                .is_some_and(|e| e.status.is_some_and(|s| (200..300).contains(&s)))
            {
                facts.png = Some(png::header(&body));
            }
            facts.get = Some(get_fetch);
        }
        _ => facts.not_fetched = Some(format!("asset kind \"{kind}\" is not fetched")),
    }
    facts
}

/// An http(s) input: a download page (then its links are followed), or a manifest. A page is
/// asked for twice at once: as Safari on an iPhone, and as Safari on an iPad asks by default
/// (a Mac's User-Agent), whose links are kept beside it to compare. Under `--via mdm` the URL
/// is the command's manifest URL: it is walked as a manifest, as the MDM agent asks for it.
async fn fetch_url_input(c: Collector, input: &mut Input) {
    let url = input.name.trim().to_string();
    if input.facts.via == Via::Mdm {
        input.kind = InputKind::Manifest;
        input.facts.walks = vec![walk_as(c.clone(), url, None, Via::Mdm).await];
        return;
    }
    let as_iphone = c.net.fetch(Request {
        user_agent: SAFARI_USER_AGENT,
        ..Request::get(&url, "page", PAGE_CAP + 1)
    });
    let as_ipad = c.net.fetch(Request {
        user_agent: IPAD_USER_AGENT,
        ..Request::get(&url, "page", PAGE_CAP + 1)
    });
    let ((fetch, body), (ipad_fetch, ipad_body)) = tokio::join!(as_iphone, as_ipad);
    let ok = answered_2xx(&fetch);
    let text = String::from_utf8_lossy(&body).into_owned();
    let head = text
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    let looks_like_plist = body.starts_with(b"bplist") || head.contains("<plist") || head.contains("<!doctype plist");
    if ok && looks_like_plist {
        // a manifest URL: walk it as the installer would (asked again with its User-Agent)
        input.kind = InputKind::Manifest;
        input.facts.walks = vec![walk(c.clone(), url, None).await];
        return;
    }
    input.kind = InputKind::Page;
    let mut page = PageFacts {
        source: url.clone(),
        bytes: body.len(),
        links_found: 0,
        fetch: Some(fetch),
        as_ipad: Some(ipad_page(ipad_fetch, &ipad_body)),
    };
    if ok {
        let found = html::find_links(&text);
        let offsets: Vec<usize> = found.iter().map(|f| f.offset).collect();
        let places = lines_and_columns(&text, &offsets);
        for (found, (line, column)) in found.into_iter().zip(places) {
            let location = Location {
                file: url.clone(),
                line,
                column,
            };
            input.facts.links.push(found.into_facts(Some(location)));
        }
    }
    page.links_found = input.facts.links.len();
    if let Some(ipad) = &page.as_ipad
        && !ipad.scripts_read.is_empty()
    {
        input.facts.skipped.push(format!(
            "the page's scripts read {}: what they show on an iPad is decided in the browser, not known from a fetch",
            ipad.scripts_read.join(", ")
        ));
    }
    input.facts.page = Some(page);
    follow_links(c, &mut input.facts).await;
}

/// Whether device evidence names something to follow: a link, or a manifest URL.
fn evidence_goes_out(input: &Input) -> bool {
    !input.facts.links.is_empty()
        || input
            .facts
            .evidence
            .as_ref()
            .is_some_and(|e| !e.manifest_urls.is_empty())
}

/// Whether the fetch ended in a 2xx with no error on the way.
fn answered_2xx(fetch: &crate::facts::Fetch) -> bool {
    fetch
        .last()
        .is_some_and(|e| e.status.is_some_and(|s| (200..300).contains(&s)) && e.error.is_none())
}

/// What a script reads to tell an iPad from a Mac or an iPhone.
const DEVICE_PROBES: &[&str] = &[
    "navigator.userAgent",
    "navigator.platform",
    "navigator.maxTouchPoints",
    "navigator.userAgentData",
];

/// The page as the iPad got it: its links, found as the page's own are, and what its scripts
/// read to tell devices apart.
fn ipad_page(fetch: crate::facts::Fetch, body: &[u8]) -> IpadPage {
    let mut ipad = IpadPage {
        fetch,
        ..IpadPage::default()
    };
    if !answered_2xx(&ipad.fetch) {
        return ipad;
    }
    let text = String::from_utf8_lossy(body);
    let found = html::find_links(&text);
    let offsets: Vec<usize> = found.iter().map(|f| f.offset).collect();
    let places = lines_and_columns(&text, &offsets);
    for (found, (line, column)) in found.into_iter().zip(places) {
        let link = found.into_facts(None);
        ipad.links.push(SeenLink {
            text: link.text,
            scheme: link.parsed.scheme,
            manifest_url: link.parsed.manifest_url,
            dynamic: link.dynamic,
            line,
            column,
        });
    }
    // one pass over the text per name: linear in the page's size
    ipad.scripts_read = DEVICE_PROBES
        .iter()
        .filter(|probe| text.contains(*probe))
        .map(|probe| probe.to_string())
        .collect();
    ipad
}

/// Marks a run that did not go out: what would have been fetched.
pub fn note_offline(input: &mut Input) {
    note_revocation_offline(input);
    let several = input.facts.links.len() > 1;
    let what = match input.kind {
        InputKind::Link | InputKind::Page if input.facts.links.is_empty() => return,
        InputKind::Link | InputKind::Page if several => {
            "following the links: fetching the manifests, TLS, the packages (--offline)"
        }
        InputKind::Link | InputKind::Page => "following the link: fetching the manifest, TLS, the package (--offline)",
        InputKind::Manifest if input.facts.walks.first().is_some_and(|w| w.package.is_some()) => {
            "fetching the icons (--offline; the package is --ipa)"
        }
        InputKind::Manifest => "fetching the package and the icons (--offline)",
        InputKind::Package | InputKind::Profile | InputKind::Directory => return,
        InputKind::Url => "fetching the URL (--offline)",
        InputKind::Evidence if !evidence_goes_out(input) => return,
        InputKind::Evidence => "following the links and manifest URLs the evidence names (--offline)",
    };
    input.facts.skipped.push(what.to_string());
}

/// What `--offline` notes of an input whose package names signing certificates.
pub const REVOCATION_OFFLINE: &str = "revocation not checked (--offline)";

/// What a directory scan without `--follow` notes of a package or profile it found.
pub const REVOCATION_NOT_FOLLOWED: &str =
    "revocation not checked: found in a directory scan, which is checked offline (--follow)";

/// Under `--offline`, notes that the signing certificates' revocation was not asked (once),
/// when a package of the input has any.
pub fn note_revocation_offline(input: &mut Input) {
    note_revocation_not_asked(input, REVOCATION_OFFLINE);
}

/// Notes `why` the signing certificates' revocation was not asked (once), when a package or
/// profile of the input has any.
fn note_revocation_not_asked(input: &mut Input, why: &str) {
    let has_certificates = input
        .facts
        .walks
        .iter()
        .filter_map(|w| w.package.as_ref())
        .any(|p| !crate::collect::ocsp::candidates(p).is_empty())
        || input
            .facts
            .profile
            .as_ref()
            .is_some_and(|p| !crate::collect::ocsp::profile_candidates(p, &p.source).is_empty());
    if has_certificates && !input.facts.skipped.iter().any(|s| s == why) {
        input.facts.skipped.push(why.to_string());
    }
}

/// Marks an input found in a directory scan that does not go out (no `--follow`): what would
/// have been fetched, and why not. The offline checks ran in full.
pub fn note_not_followed(input: &mut Input) {
    let what = match input.kind {
        InputKind::Link | InputKind::Page if input.facts.links.is_empty() => return,
        InputKind::Link | InputKind::Page if input.facts.links.len() > 1 => "the links are not followed",
        InputKind::Link | InputKind::Page => "the link is not followed",
        InputKind::Manifest if input.facts.walks.first().is_some_and(|w| w.package.is_some()) => {
            "the icons are not fetched"
        }
        InputKind::Manifest => "the package and the icons are not fetched",
        InputKind::Package | InputKind::Profile => {
            note_revocation_not_asked(input, REVOCATION_NOT_FOLLOWED);
            return;
        }
        InputKind::Directory | InputKind::Url => return,
        InputKind::Evidence if !evidence_goes_out(input) => return,
        InputKind::Evidence => "the links and manifest URLs the evidence names are not followed",
    };
    input.facts.skipped.push(format!(
        "{what}: found in a directory scan, which is checked offline (--follow)"
    ));
}
