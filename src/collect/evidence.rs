//! Device evidence: a device log (a Console copy, `log show` or a sysdiagnose excerpt,
//! `idevicesyslog`), an installer tool's output (`ideviceinstaller`, `ios-deploy`), Xcode's error
//! message, a ticket that quotes them, or a bare error code — read into install events.
//!
//! Each line is read once: a known line prefix (time, process) is taken off, then the message is
//! matched against the OTA install's known log lines (`device::events`) and searched for error
//! codes (`device::codes`). Only lines that say something about an install become events; a log
//! of a busy device is mostly other processes' lines, passed over at the cost of a few `contains`.

use std::sync::LazyLock;

use regex::Regex;

use crate::device::codes::{self, Code, Domain};
use crate::device::events::EventKind;
use crate::facts::{DeviceEvent, EvidenceFacts, EvidenceFormat};

/// The most events kept of one text; the rest are counted.
pub const MAX_EVENTS: usize = 200;
/// The most characters of a line kept in an event.
const MAX_TEXT: usize = 400;
/// The most URLs of each kind kept (and followed).
const MAX_URLS: usize = 8;
/// How many lines after a failure its codes may follow (Xcode's message is a block).
const BLOCK_LINES: usize = 12;
/// Lines longer than this are read only up to it (a log line is not megabytes long).
const MAX_LINE: usize = 16 * 1024;

/// The processes of an over-the-air install: a line from one of them is read even when it
/// matches no known message (an error code in it is an event).
const INSTALL_PROCESSES: &[&str] = &[
    "appstored",
    "itunesstored",
    "installd",
    "installcoordinationd",
    "dmd",
    "mdmd",
    "mobile_installation_proxy",
    "streaming_zip_conduit",
    "online-auth-agent",
    "misagent",
];

/// A line's prefix in each format, and what it gives: (time, process, message).
struct Prefixes {
    console: Regex,
    log_show: Regex,
    syslog: Regex,
}

static PREFIXES: LazyLock<Option<Prefixes>> = LazyLock::new(|| {
    Some(Prefixes {
        // Console.app's Copy: type, time, process, message, separated by tabs
        console: Regex::new(r"^(?:default|info|debug|error|fault|notice)\t(\S+)\t([^\t]+)\t(.*)$").ok()?,
        // `log show`: date time, thread, type, activity, pid, ttl, then "process: message"
        log_show: Regex::new(
            r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d{4})?)\s+0x[0-9a-fA-F]+\s+\w+\s+0x[0-9a-fA-F]+\s+\d+\s+\d+\s+([^:\s]+):\s?(.*)$",
        )
        .ok()?,
        // syslog: `Dec  4 10:41:22 iPhone appstored(AppStoreDaemon)[123] <Notice>: message`, and
        // `log show --style syslog`: `2026-12-04 10:41:22.123456+0100  localhost appstored[123]: message`
        syslog: Regex::new(
            r"^((?:[A-Z][a-z]{2}\s+\d{1,2}|\d{4}-\d\d-\d\d) \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d{4})?)\s+\S+\s+([A-Za-z0-9_.\-]+)(?:\([^)]*\))?\[\d+\](?:\s*<\w+>)?:\s?(.*)$",
        )
        .ok()?,
    })
});

/// The words of every known install line (`kind_of` looks at each in turn; this finds whether
/// any is there in one pass).
static EVENT_WORDS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"Could not load download manifest|Ignore manifest download|already have bundleID|BundleValidator|verify_signer_identity|MISValidateSignatureAndCopyInfo failed|non-matching application-identifier|Running HEAD operation|LoadExternalDownloadManifestOperation|download manifest|manifest URL|Install failed|Unable to install|\[ !! \] Error|Failed to install|AMDevice",
    )
    .ok()
});

/// What is found in one line: its codes, and URLs and ids.
struct Tokens {
    /// What every code's spelling holds: `0x`, `-40`, or a domain's name.
    hint: Regex,
    hex: Regex,
    signed: Regex,
    domain_code: Regex,
    url: Regex,
    bundle_after: Regex,
    validator: Regex,
}

static TOKENS: LazyLock<Option<Tokens>> = LazyLock::new(|| {
    Some(Tokens {
        hint: Regex::new(r"(?i)0xe8|-40|domain|devicemanagement").ok()?,
        hex: Regex::new(r"(?i)\b0x(e800[0-9a-f]{4})\b").ok()?,
        // installd's codes as signed decimals: -402653184 ..= -402587649
        signed: Regex::new(r"(?:^|[^0-9A-Za-z_.])(-40(?:2[5-6]\d{5}))\b").ok()?,
        // `Domain=X Code=N`, `X error N`, `X Code=N`, `X:N`, `X N`
        domain_code: Regex::new(
            r"(?i)\b((?:com\.apple\.dt\.)?MobileDeviceErrorDomain|MIInstallerErrorDomain|ASDErrorDomain|SSErrorDomain|NSURLErrorDomain|kCFStreamErrorDomainSSL|(?:com\.apple\.)?DeviceManagement\.error|IXUserPresentableErrorDomain)(?:\s+|\s*[:=,]\s*)(?:(?:error|code)\s*[:=]?\s*)?(-?\d{1,10})\b",
        )
        .ok()?,
        url: Regex::new(r#"(?i)\bhttps?://[^\s"'<>\\{}|^`)\]]+"#).ok()?,
        bundle_after: Regex::new(r"(?i)bundle\s?ID:?\s*([A-Za-z0-9][A-Za-z0-9.\-_]*[A-Za-z0-9])").ok()?,
        validator: Regex::new(
            r"(?i)Failed bundleIdentifier:?\s*([A-Za-z0-9][A-Za-z0-9.\-_]*[A-Za-z0-9])\s+does not match expected(?:\s+bundleIdentifier)?:?\s*([A-Za-z0-9][A-Za-z0-9.\-_]*[A-Za-z0-9])",
        )
        .ok()?,
    })
});

/// Reads device evidence from a text. `None` when it holds none: no install event and no code.
pub fn read(text: &str) -> Option<EvidenceFacts> {
    let prefixes = PREFIXES.as_ref()?;
    let tokens = TOKENS.as_ref()?;
    let mut facts = EvidenceFacts::default();
    let mut formats: [usize; 7] = [0; 7];
    let mut dropped = 0usize;
    // Xcode writes `Domain: X` on one line and `Code: N` on the next
    let mut xcode_domain: Option<(Domain, usize)> = None;
    // the last line that added to the last event (a block goes on from there)
    let mut last_touched = 0usize;
    for (index, raw) in text.lines().enumerate() {
        facts.lines = index + 1;
        let raw = cap(raw, MAX_LINE);
        let line = Line::split(prefixes, raw.trim_end_matches('\r'));
        if let Some(f) = line.format.or_else(|| tool_line(line.message)) {
            formats[format_index(f)] += 1;
        }
        let number = index + 1;
        let message = line.message.trim();
        // Xcode's two-line domain and code
        if let Some(domain) = message.strip_prefix("Domain:").and_then(|d| Domain::named(d.trim())) {
            xcode_domain = Some((domain, number));
            formats[format_index(EvidenceFormat::Xcode)] += 1;
            continue;
        }
        let mut extra: Option<Code> = None;
        if let (Some(code), Some((domain, at))) = (message.strip_prefix("Code:"), xcode_domain)
            && at + 1 == number
        {
            extra = codes::parse(&format!("{} {}", domain.name(), code.trim()));
            xcode_domain = None;
        }
        let Some(event) = event_of(tokens, &line, message, number, extra) else {
            continue;
        };
        if let Some(f) = event_format(message) {
            formats[format_index(f)] += 1;
        }
        if let Some(url) = &event.url {
            let list = match event.kind {
                EventKind::PackageHead => &mut facts.package_urls,
                _ => &mut facts.manifest_urls,
            };
            if matches!(
                event.kind,
                EventKind::ManifestLoadFailed | EventKind::ManifestRequested | EventKind::PackageHead
            ) && list.len() < MAX_URLS
                && !list.contains(url)
            {
                list.push(url.clone());
            }
        }
        for id in event.bundle_id.iter().chain(event.expected_bundle_id.iter()) {
            if facts.bundle_ids.len() < MAX_URLS && !facts.bundle_ids.contains(id) {
                facts.bundle_ids.push(id.clone());
            }
        }
        // a code on the lines after a failure that had none (Xcode's `Domain:`/`Code:` block,
        // `MobileDeviceErrorCode = "(0xE8008015)"`) is that failure's: one event, not two
        // and Xcode repeats its block: the same failure again is the same event
        if let Some(last) = facts.events.last_mut()
            && last.kind.is_failure()
            && event.line <= last_touched + BLOCK_LINES
            && ((event.kind == EventKind::ErrorCode
                && (last.codes.is_empty() || event.codes.iter().all(|c| last.codes.contains(c))))
                || (event.kind == EventKind::InstallFailed
                    && event.codes.is_empty()
                    && event.kind == last.kind
                    && event.text == last.text))
        {
            for code in event.codes {
                if !last.codes.contains(&code) {
                    last.codes.push(code);
                }
            }
            last_touched = event.line;
            continue;
        }
        last_touched = event.line;
        if facts.events.len() < MAX_EVENTS {
            facts.events.push(event);
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        facts.cut = Some(format!(
            "{dropped} more events after the first {MAX_EVENTS} were not kept"
        ));
    }
    // in prose (no line of a log, a tool or Xcode), words alone are no evidence: "unable to
    // install" in a ticket is what the user saw (`--symptom`), not a logged failure
    if formats.iter().all(|&n| n == 0) {
        facts
            .events
            .retain(|e| !(e.kind == EventKind::InstallFailed && e.codes.is_empty()));
    }
    // a log with no install event is still evidence (that it shows none is the answer); a
    // text that is no log and holds no event is not
    let log_lines: usize = formats[..5].iter().sum();
    let non_empty = text.lines().filter(|l| !l.trim().is_empty()).count();
    if facts.events.is_empty() && (log_lines == 0 || log_lines * 2 < non_empty) {
        return None;
    }
    facts.format = most_seen(&formats);
    Some(facts)
}

/// Evidence of a bare error code (or a symbolic name) given as an input.
pub fn of_code(text: &str) -> Option<EvidenceFacts> {
    let text = text.trim();
    let code = codes::parse(text).or_else(|| codes::by_name(text).map(|e| e.code))?;
    Some(EvidenceFacts {
        format: EvidenceFormat::Code,
        lines: 1,
        events: vec![DeviceEvent {
            line: 1,
            time: None,
            process: None,
            kind: EventKind::ErrorCode,
            text: cap(text, MAX_TEXT).to_string(),
            codes: vec![code],
            url: None,
            bundle_id: None,
            expected_bundle_id: None,
        }],
        ..EvidenceFacts::default()
    })
}

/// One line with its known prefix taken off.
struct Line<'a> {
    format: Option<EvidenceFormat>,
    time: Option<&'a str>,
    process: Option<&'a str>,
    message: &'a str,
}

impl<'a> Line<'a> {
    fn split(prefixes: &Prefixes, raw: &'a str) -> Line<'a> {
        // each format's first character: a Console copy's type word and a tab, a date's digit,
        // a month's capital (prose is passed over without running a pattern)
        let first = raw.bytes().next().unwrap_or(b' ');
        for (re, format, could) in [
            (
                &prefixes.console,
                EvidenceFormat::Console,
                first.is_ascii_lowercase() && raw.contains('\t'),
            ),
            (&prefixes.log_show, EvidenceFormat::LogShow, first.is_ascii_digit()),
            (
                &prefixes.syslog,
                EvidenceFormat::Syslog,
                first.is_ascii_digit() || first.is_ascii_uppercase(),
            ),
        ] {
            if !could {
                continue;
            }
            if let Some(c) = re.captures(raw)
                && let (Some(time), Some(process), Some(message)) = (c.get(1), c.get(2), c.get(3))
            {
                return Line {
                    format: Some(format),
                    time: Some(time.as_str()),
                    process: Some(process.as_str().trim()),
                    message: message.as_str(),
                };
            }
        }
        Line {
            format: None,
            time: None,
            process: None,
            message: raw,
        }
    }

    /// Whether installd wrote the line.
    fn is_installd(&self) -> bool {
        self.process
            .is_some_and(|p| p.split(['(', ' ']).next().unwrap_or(p).eq_ignore_ascii_case("installd"))
    }

    /// Whether the process that wrote the line takes part in an install.
    fn by_installer(&self) -> bool {
        self.process.is_some_and(|p| {
            let name = p.split(['(', ' ']).next().unwrap_or(p);
            INSTALL_PROCESSES.iter().any(|known| name.eq_ignore_ascii_case(known))
        })
    }
}

/// The event a line shows, if any.
fn event_of(
    tokens: &Tokens,
    line: &Line<'_>,
    message: &str,
    number: usize,
    extra: Option<Code>,
) -> Option<DeviceEvent> {
    let mut codes = codes_in(tokens, message);
    if let Some(code) = extra
        && !codes.contains(&code)
    {
        codes.push(code);
    }
    let url = tokens
        .url
        .find(message)
        .map(|m| m.as_str().trim_end_matches(['.', ',', ';', ':', '"', '\'']).to_string());
    let names_manifest = url.as_deref().is_some_and(|u| {
        u.to_ascii_lowercase()
            .split(['?', '#'])
            .next()
            .unwrap_or(u)
            .ends_with(".plist")
    });
    let kind = kind_of(
        message,
        &codes,
        line.by_installer() && names_manifest,
        line.is_installd(),
    )?;
    let (mut bundle_id, mut expected_bundle_id) = (None, None);
    match kind {
        EventKind::BundleIdMismatch => {
            if let Some(c) = tokens.validator.captures(message) {
                bundle_id = c.get(1).map(|m| m.as_str().to_string());
                expected_bundle_id = c.get(2).map(|m| m.as_str().to_string());
            }
        }
        EventKind::AlreadyQueued => {
            bundle_id = tokens
                .bundle_after
                .captures(message)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string());
        }
        _ => {}
    }
    Some(DeviceEvent {
        line: number,
        time: line.time.map(str::to_string),
        process: line
            .process
            .map(|p| p.split(['(', ' ']).next().unwrap_or(p).to_string()),
        kind,
        text: cap(message, MAX_TEXT).to_string(),
        codes,
        url,
        bundle_id,
        expected_bundle_id,
    })
}

/// What a message says happened, by the install's known log lines, then by its codes.
/// `installer_names_manifest`: the line is an install process's and names a `.plist` URL.
/// `installd`: the line is installd's (a code on it is an install's failure).
fn kind_of(message: &str, codes: &[Code], installer_names_manifest: bool, installd: bool) -> Option<EventKind> {
    // one search for every known line's words first: most lines hold none of them
    if codes.is_empty() && !installer_names_manifest && !EVENT_WORDS.as_ref().is_some_and(|re| re.is_match(message)) {
        return None;
    }
    let has = |needle: &str| message.contains(needle);
    let kind = if has("Could not load download manifest") {
        EventKind::ManifestLoadFailed
    } else if has("Ignore manifest download") || has("already have bundleID") {
        EventKind::AlreadyQueued
    } else if has("BundleValidator") && has("Failed bundleIdentifier") {
        EventKind::BundleIdMismatch
    } else if has("verify_signer_identity") || has("MISValidateSignatureAndCopyInfo failed") {
        EventKind::SignatureRejected
    } else if has("non-matching application-identifier") {
        EventKind::ProfileAppIdMismatch
    } else if has("Running HEAD operation") {
        EventKind::PackageHead
    } else if ((has("LoadExternalDownloadManifestOperation") || has("download manifest") || has("manifest URL"))
        && message.to_ascii_lowercase().contains("http")
        && !has("rror"))
        || (installer_names_manifest && codes.is_empty())
    {
        EventKind::ManifestRequested
    } else if has("ERROR: Install failed")
        || has("Install failed")
        || has("Unable to install")
        || has("[ !! ] Error")
        || has("Failed to install")
        || (has("AMDevice") && has("failed"))
        || (installd && codes.iter().any(|c| c.is_installd()))
    {
        EventKind::InstallFailed
    } else if codes.iter().any(|c| c.domain == Domain::DeviceManagement)
        || codes.iter().any(|c| c.domain == Domain::Asd && c.value == 850)
    {
        EventKind::MdmCommandFailed
    } else if !codes.is_empty()
        && codes
            .iter()
            .all(|c| matches!(c.domain, Domain::NsUrl | Domain::CfStreamSsl))
    {
        EventKind::NetworkError
    } else if !codes.is_empty() {
        EventKind::ErrorCode
    } else {
        return None;
    };
    Some(kind)
}

/// The line format a known message belongs to, when its own words say (installer tools print
/// no prefix).
fn event_format(message: &str) -> Option<EvidenceFormat> {
    if message.contains("ERROR: Install failed") || message.starts_with("Install: ") {
        Some(EvidenceFormat::Ideviceinstaller)
    } else if message.contains("[ !! ] Error") || message.contains("AMDeviceSecureInstallApplication") {
        Some(EvidenceFormat::IosDeploy)
    } else if message.contains("MobileDeviceErrorCode") {
        Some(EvidenceFormat::Xcode)
    } else {
        None
    }
}

/// An installer tool's own progress line: `ideviceinstaller`'s `Install: VerifyingApplication
/// (40%)`, `Copying 'App.ipa' to device...`, `Installing 'com.acme.field'`; ios-deploy's
/// `[ 40%] VerifyingApplication`, `[....] Waiting for iOS device`.
fn tool_line(message: &str) -> Option<EvidenceFormat> {
    let m = message.trim_start();
    if m.starts_with("Install: ")
        || m.starts_with("Installing '")
        || (m.starts_with("Copying '") && m.contains("to device"))
    {
        Some(EvidenceFormat::Ideviceinstaller)
    } else if m.starts_with("[....]")
        || (m.starts_with('[') && m.get(4..6) == Some("%]"))
        || m.starts_with("------ Install phase")
    {
        Some(EvidenceFormat::IosDeploy)
    } else {
        None
    }
}

/// Every error code in a message, once each, in order.
fn codes_in(tokens: &Tokens, message: &str) -> Vec<Code> {
    let mut found: Vec<(usize, Code)> = Vec::new();
    // every spelling holds one of these: most lines of a ticket or a log hold none
    if !tokens.hint.is_match(message) {
        return Vec::new();
    }
    for m in tokens.hex.find_iter(message) {
        if let Some(code) = codes::parse(m.as_str()) {
            found.push((m.start(), code));
        }
    }
    for c in tokens.signed.captures_iter(message) {
        if let Some(m) = c.get(1)
            && let Some(code) = codes::parse(m.as_str())
        {
            found.push((m.start(), code));
        }
    }
    for c in tokens.domain_code.captures_iter(message) {
        if let (Some(domain), Some(number), Some(whole)) = (c.get(1), c.get(2), c.get(0))
            && let Some(code) = codes::parse(&format!("{} {}", domain.as_str(), number.as_str()))
        {
            found.push((whole.start(), code));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    let mut out: Vec<Code> = Vec::new();
    for (_, code) in found {
        if !out.contains(&code) {
            out.push(code);
        }
    }
    out
}

fn format_index(format: EvidenceFormat) -> usize {
    match format {
        EvidenceFormat::Console => 0,
        EvidenceFormat::LogShow => 1,
        EvidenceFormat::Syslog => 2,
        EvidenceFormat::Ideviceinstaller => 3,
        EvidenceFormat::IosDeploy => 4,
        EvidenceFormat::Xcode => 5,
        EvidenceFormat::Code | EvidenceFormat::Text => 6,
    }
}

fn most_seen(counts: &[usize; 7]) -> EvidenceFormat {
    const ORDER: [EvidenceFormat; 6] = [
        EvidenceFormat::Console,
        EvidenceFormat::LogShow,
        EvidenceFormat::Syslog,
        EvidenceFormat::Ideviceinstaller,
        EvidenceFormat::IosDeploy,
        EvidenceFormat::Xcode,
    ];
    ORDER
        .iter()
        .copied()
        .filter(|f| counts[format_index(*f)] > 0)
        .max_by_key(|f| (counts[format_index(*f)], std::cmp::Reverse(format_index(*f))))
        .unwrap_or(EvidenceFormat::Text)
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syslog_line_gives_its_process_time_and_event() {
        let log = "Dec  4 10:41:22 iPhone itunesstored[123] <Warning>: LoadExternalDownloadManifestOperation: Ignore manifest download, already have bundleID: com.acme.field\n";
        let facts = read(log).expect("evidence");
        assert_eq!(facts.format, EvidenceFormat::Syslog);
        let event = &facts.events[0];
        assert_eq!(event.kind, EventKind::AlreadyQueued);
        assert_eq!(event.process.as_deref(), Some("itunesstored"));
        assert_eq!(event.time.as_deref(), Some("Dec  4 10:41:22"));
        assert_eq!(event.bundle_id.as_deref(), Some("com.acme.field"));
    }

    #[test]
    fn codes_are_found_in_every_spelling_once() {
        let t = TOKENS.as_ref().expect("tokens");
        let codes = codes_in(
            t,
            "Failed to verify code signature of /x : 0xe8008015 (A valid provisioning profile …) -402620395 Error Domain=ASDErrorDomain Code=507",
        );
        assert_eq!(
            codes,
            [
                Code::new(Domain::MobileInstallation, 0xe800_8015),
                Code::new(Domain::Asd, 507)
            ]
        );
        assert!(codes_in(t, "pid 12345, port 443, build 402620395, 0x16b38b000").is_empty());
    }

    #[test]
    fn a_text_without_install_events_is_no_evidence() {
        assert!(read("Hi team, the link does nothing\nthanks\n").is_none());
        assert!(read("").is_none());
        // a log whose lines are all other processes': evidence with no event
        let quiet = read("Dec  4 10:41:22 iPhone SpringBoard[55] <Notice>: Lock screen shown\n").expect("a log");
        assert!(quiet.events.is_empty());
        assert_eq!(quiet.format, EvidenceFormat::Syslog);
    }

    #[test]
    fn long_lines_and_multibyte_text_are_cut_at_char_boundaries() {
        let line = format!("installd: {} 0xe8008015", "é".repeat(20_000));
        let facts = read(&line);
        // the code is past the line cap: the line is read only up to it
        assert!(facts.is_none());
        let line = format!("ERROR: Install failed 0xe8008015 {}", "é".repeat(1_000));
        let facts = read(&line).expect("evidence");
        assert!(facts.events[0].text.len() <= MAX_TEXT);
    }
}
