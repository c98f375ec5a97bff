//! Rules: pure functions from facts (and the context clock and options) to findings.
//! No I/O and no clock reads here; `Context::now` is the only time there is.

pub mod app;
pub mod dev;
pub mod http;
pub mod ipa;
pub mod lnk;
pub mod man;
pub mod net;
pub mod repair;
pub mod sig;
pub mod tls;
pub mod url;

use time::OffsetDateTime;

use crate::facts::{BundleKind, Exchange, Facts, Fetch, NetError, Via, WalkFacts};
use crate::finding::{Finding, Resource, Subject};
use crate::registry::Rule;

/// What the rules may know besides the facts.
#[derive(Debug, Clone)]
pub struct Context {
    /// The clock for every date check (`--now`, or the time the run started).
    pub now: OffsetDateTime,
    /// The CT log list (shipped, or --ct-log-list).
    pub ct_logs: std::sync::Arc<crate::ctlog::CtLogList>,
    /// The device the install is for (`--ios`, `--device`), where given.
    pub device: Device,
    /// The device's UDID (`--udid`), normalised by `normalise_udid`.
    pub udid: Option<String>,
    /// A profile expiring within this many days is a warning (`--expiry-warning`).
    pub expiry_warning_days: u32,
    /// `--via`: the path the install takes — a link tapped in Safari, or an MDM command (then
    /// the LNK rules and SIG014 do not apply, and what the device shows is the MDM server's
    /// command result).
    pub via: Via,
}

/// A UDID in the form profiles list it, upper case: 40 hex digits, or 8 hex, a hyphen and 16 hex
/// (the hyphen added when left out). `None` when it is neither.
pub fn normalise_udid(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_uppercase();
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    match t.len() {
        40 if hex(&t) => Some(t),
        25 if t.as_bytes()[8] == b'-' && hex(&t[..8]) && hex(&t[9..]) => Some(t),
        24 if hex(&t) => Some(format!("{}-{}", &t[..8], &t[8..])),
        _ => None,
    }
}

/// What is known of the device: its iOS version and its family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// `--ios 17.4`: the version as numbers.
    pub ios: Option<Vec<u32>>,
    pub family: Option<DeviceFamily>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceFamily {
    Iphone,
    Ipad,
}

/// A dotted version as numbers (`17.4.1` → [17, 4, 1]); `None` when it is not one.
pub fn version_numbers(text: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = text.trim().split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty() && p.len() <= 4)
}

/// Compares versions with missing parts as 0 (`17` = `17.0.0`).
pub fn version_cmp(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

impl Context {
    /// A context at `now` with the shipped CT log list.
    pub fn at(now: OffsetDateTime) -> Context {
        static SHIPPED: std::sync::OnceLock<std::sync::Arc<crate::ctlog::CtLogList>> = std::sync::OnceLock::new();
        Context {
            now,
            ct_logs: SHIPPED
                .get_or_init(|| std::sync::Arc::new(crate::ctlog::CtLogList::shipped()))
                .clone(),
            device: Device::default(),
            udid: None,
            expiry_warning_days: 30,
            via: Via::Link,
        }
    }
}

/// Runs every rule over the facts of one input, family by family where the facts are: each
/// link (LNK, then URL on its manifest URL), each walk (the manifest, each of its assets, the
/// package and its bundles, the manifest against the package), then SIG, NET, TLS and HTTP over
/// the whole input.
pub fn run(facts: &Facts, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, link) in facts.links.iter().enumerate() {
        let start = out.len();
        let repaired = repair::LinkRepair::of(link);
        // under MDM no link is tapped: only its manifest URL is sent
        if ctx.via == Via::Link {
            lnk::check_repaired(link, index, &repaired, ctx, &mut out);
        }
        url::check_repaired_link(link, index, &repaired, ctx, &mut out);
        for finding in &mut out[start..] {
            if finding.location.is_none() {
                finding.location = link.location.clone();
            }
        }
    }
    for walk in &facts.walks {
        if ctx.via == Via::Mdm && walk.link.is_none() && walk.manifest_url.contains("://") {
            // the MDM command's manifest URL, given as such: the URL rules on it
            let subject = Subject {
                resource: Resource::Manifest,
                target: walk.manifest_url.clone(),
                link: None,
            };
            url::check(&walk.manifest_url, &subject, None, ctx, &mut out);
        }
        man::check(walk, ctx, &mut out);
        let document = walk.document.as_ref().and_then(|d| d.document.as_ref());
        for listed in document.map(crate::manifest::listed_assets).unwrap_or_default() {
            url::check_asset(walk, &listed, ctx, &mut out);
            man::check_asset(walk, &listed, &mut out);
        }
        ipa::check(walk, ctx, &mut out);
        app::check(walk, ctx, &mut out);
        man::check_against_package(walk, &mut out);
    }
    sig::check(facts, ctx, &mut out);
    dev::check(facts, &mut out);
    net::check(facts, ctx, &mut out);
    tls::check(facts, ctx, &mut out);
    http::check(facts, ctx, &mut out);
    unread_is_never_fine(facts, &mut out);
    if ctx.via == Via::Mdm {
        for finding in &mut out {
            finding.device_symptom = mdm_device(&finding.device_symptom);
        }
    }
    out
}

/// How every device text under `--via mdm` begins: an MDM install shows no dialog on the
/// device; the command's result (or the MDM server's webhook) carries the error.
pub const MDM_RESULT: &str = "in the MDM server's command result, not on the phone";

/// A finding's device text for the MDM path: a rule that knows the MDM error says it itself
/// (it begins with `MDM_RESULT`); any other text is what a tapped link would show, kept after
/// where an MDM install reports it.
pub fn mdm_device(tapped: &str) -> String {
    if tapped.starts_with(MDM_RESULT) {
        return tapped.to_string();
    }
    format!("{MDM_RESULT} (the device shows no install dialog); from a tapped link: {tapped}")
}

/// The safety net: a manifest the walk fetched, or a package whose URL it fetched, that was not
/// read always ends in an error about it — "no problems" is never said of what was not read.
/// The rules above give the cause in their own words; when none of them reported an error about
/// the resource (a case nobody foresaw), NET003 says the manifest was not read, and IPA001 that
/// the package's contents were not, with what the facts show. Two exceptions, where the phone
/// may well succeed: a host whose TLS handshake failed is the TLS rules' to judge (TLS003 is a
/// warning because iOS accepts ECDHE-CBC suites that otadoctor's TLS stack does not offer), and
/// a package too large to download whole from a server that ignores Range is otadoctor's own
/// limit (HTTP010 reports the ignored Range; the phone downloads the file). A manifest refused
/// for want of a client certificate is TLS018's, which names the host, not the manifest. A
/// request the run's guard refused (`otadoctor serve`) was never sent: the verdict says it was
/// not checked (`report::not_checked`), no rule blames the site for it.
fn unread_is_never_fine(facts: &Facts, out: &mut Vec<Finding>) {
    let tls_failed = net::tls_failed_hosts(facts);
    for walk in &facts.walks {
        if let (Some(fetch), None) = (&walk.manifest, &walk.document)
            && let Some(last) = fetch.last()
            && !tls_failed.contains(&net::host_port(last))
            && !refused_for_client_certificate(facts, last)
            && !last.error.as_ref().is_some_and(NetError::is_refused)
            && !reported(out, walk, Resource::Manifest, "manifest")
        {
            let step = Step {
                walk: Some(walk),
                resource: Resource::Manifest,
                url: &walk.manifest_url,
                kind: "manifest",
                fetch,
            };
            net::manifest_not_read(&step, last, out);
        }
        let Some(asset) = walk.assets.iter().find(|a| a.kind == "software-package") else {
            continue;
        };
        let Some(last) = asset.get.as_ref().and_then(Fetch::last) else {
            continue;
        };
        let error = walk.package.as_ref().and_then(|p| p.error.as_ref());
        let unread = walk.package.is_none() || error.is_some();
        if !unread
            || last.error.as_ref().is_some_and(NetError::is_refused)
            || walk.package_too_large_to_stream
            || tls_failed.contains(&net::host_port(last))
            || reported(out, walk, Resource::Package, "software-package")
        {
            continue;
        }
        let why = walk
            .package_not_read
            .as_deref()
            .or(error.map(|e| e.reason.as_str()))
            .unwrap_or("the package was not read");
        ipa::ipa_not_zip(walk, ipa::NotRead::Unread { url: &asset.url, why }, out);
    }
}

/// Whether an error about the walk's `resource` was reported: with it as the subject, or per
/// host with it (`kind`) among the resources the cause cost.
fn reported(out: &[Finding], walk: &WalkFacts, resource: Resource, kind: &str) -> bool {
    out.iter().any(|f| {
        f.severity == crate::severity::Severity::Error
            && f.subject.link == walk.link
            && (f.subject.resource == resource
                || f.evidence
                    .get("resources")
                    .and_then(|r| r.as_array())
                    .is_some_and(|r| r.iter().any(|v| v == kind)))
    })
}

/// What a bundle is called in a message: "the app" or "the extension Share.appex".
pub(crate) fn called(bundle: &crate::facts::BundleFacts) -> String {
    let last = bundle.path.rsplit('/').next().unwrap_or(&bundle.path);
    match bundle.kind {
        BundleKind::App => format!("the app {last}"),
        BundleKind::WatchApp => format!("the watch app {last}"),
        BundleKind::AppClip => format!("the App Clip {last}"),
        BundleKind::Appex => format!("the extension {last}"),
    }
}

/// A Mach-O in a message: "the executable Payload/Field.app/Field of the app Field.app", "the
/// framework Payload/Field.app/Frameworks/Kit.framework/Kit". The path is the one in the zip,
/// so it can be pasted into `codesign` or `lipo` after unzipping.
pub(crate) fn macho_called(macho: &crate::facts::MachOFacts, bundles: &[crate::facts::BundleFacts]) -> String {
    use crate::facts::MachORole;
    match macho.role {
        MachORole::Main => match bundles.iter().find(|b| b.path == macho.bundle) {
            Some(bundle) => format!("the executable {} of {}", macho.path, called(bundle)),
            None => format!("the executable {}", macho.path),
        },
        MachORole::Framework => format!("the framework {}", macho.path),
        MachORole::Dylib => format!("the dylib {}", macho.path),
    }
}

/// "a, b and c"
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether `e` is a server's refusal of a request that carries no client certificate: a 400 or
/// 403 without WWW-Authenticate from a host whose handshake asked for a certificate and went on
/// without one (nginx `ssl_verify_client on` answers "400 No required SSL certificate was sent";
/// an optional client certificate with an access rule answers 403). TLS018 names the cause, so
/// the HTTP rules leave such an answer to it.
pub fn refused_for_client_certificate(facts: &Facts, e: &Exchange) -> bool {
    let Some(target) = &e.host else { return false };
    matches!(e.status, Some(400 | 403))
        && e.header("www-authenticate").is_none()
        && facts.hosts.iter().any(|h| {
            h.host == target.host
                && h.port == target.port
                && h.probe.as_ref().is_some_and(|p| {
                    p.handshake_failure.is_none() && p.tls.as_ref().is_some_and(|t| t.client_certificate_requested)
                })
        })
}

/// The subject of a finding about the package's contents (IPA and APP rules).
fn package_subject(walk: &WalkFacts, package: &crate::facts::PackageFacts) -> Subject {
    Subject {
        resource: Resource::Package,
        target: package.source.clone(),
        link: walk.link,
    }
}

/// One request of the walk, as the network rules see it.
#[derive(Clone, Copy)]
pub struct Step<'a> {
    /// The walk it belongs to (`None` for the download page itself).
    pub walk: Option<&'a WalkFacts>,
    pub resource: Resource,
    /// The URL as the manifest or link gave it (the finding's subject).
    pub url: &'a str,
    /// `manifest`, `page`, or the asset kind.
    pub kind: &'a str,
    pub fetch: &'a Fetch,
}

impl Step<'_> {
    pub fn finding(&self, rule: &'static Rule, message: String, fix: String) -> Finding {
        let subject = Subject {
            resource: self.resource,
            target: self.url.to_string(),
            link: self.walk.and_then(|w| w.link),
        };
        Finding::new(rule, subject, message, fix)
    }

    /// Where the URL of this step was written.
    pub fn written_in(&self) -> &'static str {
        match self.resource {
            Resource::Manifest | Resource::Page => "link",
            _ => "manifest",
        }
    }

    /// Whether this is the package's HEAD.
    pub fn is_head(&self) -> bool {
        self.fetch.exchanges.first().is_some_and(|e| e.method == "HEAD")
    }
}

/// Every request the installer's path made: the page, each manifest, each asset's HEAD and GET.
/// (The manifest asked for with a browser's User-Agent is only a comparison, not a step.)
pub fn steps(facts: &Facts) -> impl Iterator<Item = Step<'_>> {
    let page = facts.page.iter().filter_map(|p| {
        p.fetch.as_ref().map(|fetch| Step {
            walk: None,
            resource: Resource::Page,
            url: &p.source,
            kind: "page",
            fetch,
        })
    });
    let walks = facts.walks.iter().flat_map(|walk| {
        let manifest = walk.manifest.iter().map(move |fetch| Step {
            walk: Some(walk),
            resource: Resource::Manifest,
            url: &walk.manifest_url,
            kind: "manifest",
            fetch,
        });
        let assets = walk.assets.iter().flat_map(move |asset| {
            let resource = asset_resource(&asset.kind);
            asset.head.iter().chain(asset.get.iter()).map(move |fetch| Step {
                walk: Some(walk),
                resource,
                url: &asset.url,
                kind: &asset.kind,
                fetch,
            })
        });
        manifest.chain(assets)
    });
    page.chain(walks)
}

/// The resource an asset kind stands for.
pub fn asset_resource(kind: &str) -> Resource {
    match kind {
        "display-image" | "full-size-image" | "newsstand-image" => Resource::Icon,
        _ => Resource::Package,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{HandshakeFailure, HostFacts, HostRef, ProbeFacts, TlsSeen};

    fn host(asked: bool, failure: Option<HandshakeFailure>) -> HostFacts {
        HostFacts {
            host: "ota.example.com".to_string(),
            port: 443,
            probe: Some(ProbeFacts {
                tls: Some(TlsSeen {
                    client_certificate_requested: asked,
                    ..TlsSeen::default()
                }),
                handshake_failure: failure,
                ..ProbeFacts::default()
            }),
            ..HostFacts::default()
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)]) -> Exchange {
        Exchange {
            status: Some(status),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            host: Some(HostRef {
                host: "ota.example.com".to_string(),
                port: 443,
            }),
            ..Exchange::default()
        }
    }

    fn facts(host: HostFacts) -> Facts {
        Facts {
            hosts: vec![std::sync::Arc::new(host)],
            ..Facts::default()
        }
    }

    #[test]
    fn a_400_or_403_after_a_certificate_request_is_a_client_certificate_refusal() {
        let asked = facts(host(true, None));
        assert!(refused_for_client_certificate(&asked, &answer(400, &[])));
        assert!(refused_for_client_certificate(&asked, &answer(403, &[])));
    }

    #[test]
    fn other_answers_are_not_client_certificate_refusals() {
        let asked = facts(host(true, None));
        assert!(!refused_for_client_certificate(&asked, &answer(404, &[])));
        assert!(!refused_for_client_certificate(
            &asked,
            &answer(403, &[("www-authenticate", "Basic realm=\"builds\"")])
        ));
        // no certificate request, or a handshake that failed (TLS018 names that one already)
        assert!(!refused_for_client_certificate(
            &facts(host(false, None)),
            &answer(400, &[])
        ));
        let failed = facts(host(true, Some(HandshakeFailure::ClientCertificate)));
        assert!(!refused_for_client_certificate(&failed, &answer(400, &[])));
    }
}
