//! URL rules: hygiene of every URL in the chain — the manifest URL a link carries, and the URL
//! of every asset of a manifest.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::check::Context;
use crate::check::repair::{self, Intent, host_range, needs_encoding};
use crate::facts::{LinkFacts, WalkFacts};
use crate::finding::{Finding, Resource, Subject};
use crate::manifest::ListedAsset;
use crate::registry as rules;

/// The URL rules on the manifest URL of a link, when the link reads as an install link and its
/// URL is all written out (not built by a script).
pub fn check_link(link: &LinkFacts, index: usize, ctx: &Context, out: &mut Vec<Finding>) {
    check_repaired_link(link, index, &repair::LinkRepair::of(link), ctx, out);
}

/// As `check_link`, with the link's repair worked out already (`check::run` works it out once
/// for the LNK and the URL rules).
pub fn check_repaired_link(
    link: &LinkFacts,
    index: usize,
    repaired: &repair::LinkRepair,
    ctx: &Context,
    out: &mut Vec<Finding>,
) {
    if !crate::check::lnk::reads_as_install_link(link) {
        return;
    }
    if link.dynamic {
        check_template_link(link, index, ctx, out);
        return;
    }
    let (Some(Intent { effective, .. }), Some(corrected)) = (&repaired.intent, &repaired.corrected) else {
        return;
    };
    let subject = Subject {
        resource: Resource::Manifest,
        target: effective.clone(),
        link: Some(index),
    };
    check(effective, &subject, Some(corrected), ctx, out);
}

/// A link a template or a program completes at run time: only what its fixed text decides is
/// checked — the manifest URL's scheme, when it is written out before the first value
/// (`url=http://{{host}}/m.plist` is http whatever the host).
fn check_template_link(link: &LinkFacts, index: usize, ctx: &Context, out: &mut Vec<Finding>) {
    let Some(param) = link.parsed.param("url") else {
        return;
    };
    let value_start = param.start + param.raw_name.len() + 1;
    if value_start > param.end {
        return;
    }
    let first_value = link
        .values
        .iter()
        .map(|v| v.start)
        .find(|s| *s >= value_start && *s <= param.end)
        .unwrap_or(param.end);
    let Some(fixed) = link.text.get(value_start..first_value) else {
        return;
    };
    let fixed = crate::text::percent_decode_once(fixed);
    let Some(scheme) = scheme(&fixed) else {
        return;
    };
    if !fixed[scheme.len()..].starts_with(':') || scheme.eq_ignore_ascii_case("https") {
        return;
    }
    let subject = Subject {
        resource: Resource::Manifest,
        target: link.parsed.manifest_url.clone().unwrap_or_default(),
        link: Some(index),
    };
    let u = UrlCheck {
        url: subject.target.as_str(),
        subject: &subject,
        noun: subject.resource.url_noun(),
        link_fix: None,
        via: ctx.via,
    };
    u.url_not_https(out);
}

/// The URL rules on one asset of a manifest: URL002 when it has no URL string, else every rule
/// on its URL.
pub fn check_asset(walk: &WalkFacts, listed: &ListedAsset<'_>, ctx: &Context, out: &mut Vec<Finding>) {
    let kind = listed.kind;
    let resource = crate::check::asset_resource(kind);
    match listed.value.get("url") {
        Some(serde_json::Value::String(url)) => {
            let subject = Subject {
                resource,
                target: url.clone(),
                link: walk.link,
            };
            check(url, &subject, None, ctx, out);
        }
        other => {
            let subject = Subject {
                resource,
                target: format!("{kind} asset"),
                link: walk.link,
            };
            url_not_absolute(Written::NoText { kind, value: other }, &subject, out);
        }
    }
}

/// Runs every URL rule on `url`, the URL of `subject`.
/// `link_fix` is the corrected itms-services link when `url` came from one: mechanical
/// repairs (encoding, punycode) are shown in it.
pub fn check(url: &str, subject: &Subject, link_fix: Option<&str>, ctx: &Context, out: &mut Vec<Finding>) {
    let u = UrlCheck {
        url,
        subject,
        noun: subject.resource.url_noun(),
        link_fix,
        via: ctx.via,
    };
    let placeholder = u.url_placeholder(out);
    if !placeholder {
        if url_not_absolute(Written::Text(url), subject, out) {
            return;
        }
        u.url_invalid_characters(out);
    }
    u.url_not_https(out);
    // Only http(s) URLs are worth reading further: any other scheme is URL001 and nothing else.
    let parsed = ::url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    if let Some(parsed) = &parsed {
        u.url_host_not_public_name(parsed, out);
        u.url_credentials(parsed, out);
        u.url_scheme_port_mismatch(parsed, out);
        u.url_preview_page(parsed, out);
        u.url_signature_expiry(parsed, ctx.now, out);
    }
    u.url_non_ascii_host(out);
}

/// A URL as its source writes it: the text, or, for an asset, the `url` entry that holds none.
enum Written<'a> {
    Text(&'a str),
    /// `value` is the asset's `url` entry when it is there but not a string.
    NoText {
        kind: &'a str,
        value: Option<&'a serde_json::Value>,
    },
}

/// URL002: the URL is missing, relative, has no host, or has whitespace around it. Returns true
/// when there is no URL to read further.
fn url_not_absolute(written: Written<'_>, subject: &Subject, out: &mut Vec<Finding>) -> bool {
    let url = match written {
        Written::Text(url) => url,
        Written::NoText { kind, value } => {
            let what = if value.is_some() {
                "a url that is not a string"
            } else {
                "no url"
            };
            out.push(Finding::new(
                &rules::URL_NOT_ABSOLUTE,
                subject.clone(),
                format!("the {kind} asset has {what}"),
                "give the asset its absolute https URL".to_string(),
            ));
            return true;
        }
    };
    let noun = subject.resource.url_noun();
    let finding = |message: String, fix: String| Finding::new(&rules::URL_NOT_ABSOLUTE, subject.clone(), message, fix);
    let trimmed = url.trim();
    if trimmed.len() != url.len() && !trimmed.is_empty() {
        let start = url.len() - url.trim_start().len();
        out.push(
            finding(
                format!("the {noun} has whitespace around it"),
                format!("remove the whitespace: {trimmed}"),
            )
            .highlight(
                url,
                if start > 0 { 0..start } else { trimmed.len()..url.len() },
                "whitespace",
            ),
        );
    }
    let Some(scheme) = scheme(url) else {
        out.push(finding(
            format!(
                "the {noun} \"{}\" {}",
                trimmed,
                if trimmed.starts_with("//") {
                    "is scheme-relative: it has no scheme"
                } else {
                    "is relative: it has no scheme and no host"
                }
            ),
            "write the absolute URL, starting with https:// and the host name".to_string(),
        ));
        return true;
    };
    let after = &trimmed[scheme.len() + 1..];
    let host_missing = !after.starts_with("//") || host_range(trimmed).is_none_or(|(s, e)| s == e);
    if host_missing && (scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        out.push(finding(
            format!("the {noun} \"{}\" has no host", trimmed),
            "write it as https://host/path".to_string(),
        ));
        return true;
    }
    false
}

/// The scheme of `url` (before its first colon), when it is a valid one.
fn scheme(url: &str) -> Option<&str> {
    let s = url.trim();
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let valid = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(scheme)
}

struct UrlCheck<'a> {
    url: &'a str,
    subject: &'a Subject,
    noun: &'static str,
    link_fix: Option<&'a str>,
    /// The install's path: an MDM command refuses a manifest URL that is not https itself.
    via: crate::facts::Via,
}

impl UrlCheck<'_> {
    fn finding(&self, rule: &'static rules::Rule, message: String, fix: String) -> Finding {
        Finding::new(rule, self.subject.clone(), message, fix)
    }

    /// URL001: the scheme is not https.
    fn url_not_https(&self, out: &mut Vec<Finding>) {
        let Some(scheme) = scheme(self.url) else { return };
        if scheme.eq_ignore_ascii_case("https") {
            return;
        }
        let rest = &self.url.trim()[scheme.len()..];
        let mdm_manifest = self.via == crate::facts::Via::Mdm && self.subject.resource == Resource::Manifest;
        let (message, fix, device) = if mdm_manifest {
            // the InstallApplication command is refused before anything is fetched
            (
                format!(
                    "the {} uses \"{scheme}:\": an MDM InstallApplication command's ManifestURL must begin with https:",
                    self.noun
                ),
                format!(
                    "serve the manifest over https with a certificate the device trusts, and send https{} as the ManifestURL",
                    &self.url.trim()[scheme.len()..]
                ),
                if scheme.eq_ignore_ascii_case("http") {
                    format!(
                        "{}: ASDErrorDomain 850 \"The manifest URL isn't external\" (the command fails; nothing is fetched)",
                        crate::check::MDM_RESULT
                    )
                } else {
                    format!(
                        "{}: the command is refused (its ManifestURL must begin with https:)",
                        crate::check::MDM_RESULT
                    )
                },
            )
        } else if scheme.eq_ignore_ascii_case("http") {
            (
                format!("the {} uses http, not https", self.noun),
                format!("serve it over https with a certificate iOS trusts, and write https{rest}"),
                match self.subject.resource {
                    Resource::Manifest => "\"Cannot Connect to …\" (iOS 7.1 and later refuse an http manifest)",
                    Resource::Package => "\"Unable to Download App\"",
                    _ => "the icon stays grey while installing",
                }
                .to_string(),
            )
        } else {
            (
                format!(
                    "the {} uses \"{scheme}:\", which the installer never fetches",
                    self.noun
                ),
                "serve the file over https and write its https URL".to_string(),
                "nothing happens, or \"Unable to Download App\"".to_string(),
            )
        };
        let start = self.url.len() - self.url.trim_start().len();
        out.push(
            self.finding(&rules::URL_NOT_HTTPS, message, fix)
                .device(device)
                .highlight(self.url, start..start + scheme.len(), "must be https"),
        );
    }

    /// URL003: a character iOS's URL parser refuses, or a "%" that starts no escape.
    fn url_invalid_characters(&self, out: &mut Vec<Finding>) {
        let trimmed = self.url.trim();
        let offset = self.url.len() - self.url.trim_start().len();
        let host = host_range(trimmed);
        let in_host = |i: usize| host.is_some_and(|(s, e)| i >= s && i < e);
        let bytes = trimmed.as_bytes();
        let bad_escape =
            |i: usize| !(bytes.len() >= i + 3 && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit());
        let bad = trimmed.char_indices().find(|&(i, c)| {
            // a non-ASCII host is URL006's (punycode), not an invalid character
            let idn_host = !c.is_ascii() && in_host(i);
            (needs_encoding(c) && !idn_host) || (c == '%' && bad_escape(i))
        });
        let Some((i, c)) = bad else { return };
        let shown = match c {
            ' ' => "a space".to_string(),
            '%' => "a \"%\" not followed by two hex digits".to_string(),
            c if c.is_control() => format!("the control character {}", c.escape_unicode()),
            c if !c.is_ascii() => format!("the raw non-ASCII character \"{c}\""),
            c => format!("\"{c}\""),
        };
        let mut fix = format!("percent-encode it: {}", repair::repair_url(trimmed));
        if let Some(link) = self.link_fix {
            if c == ' ' {
                fix.push_str("\niOS decodes url= once, so a %20 must be written %2520 in the link:");
            } else {
                fix.push_str("\nthe corrected link:");
            }
            fix.push_str(&format!("\n{link}"));
        }
        out.push(
            self.finding(
                &rules::URL_INVALID_CHARACTERS,
                format!("the {} contains {shown}", self.noun),
                fix,
            )
            .corrected(self.link_fix.map(str::to_string))
            .highlight(self.url, offset + i..offset + i + c.len_utf8(), "not allowed in a URL"),
        );
    }

    /// URL004: the host is an IP literal, localhost, a single label or an internal name.
    fn url_host_not_public_name(&self, parsed: &::url::Url, out: &mut Vec<Finding>) {
        let Some(host) = parsed.host() else { return };
        let why = match host {
            ::url::Host::Ipv4(_) | ::url::Host::Ipv6(_) => {
                "an IP address: certificates rarely cover one, and MDM requires a host name".to_string()
            }
            ::url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name == "localhost" || name.ends_with(".localhost") {
                    "\"localhost\": on the phone that is the phone itself".to_string()
                } else if !name.contains('.') {
                    format!("the single-label name \"{name}\", which resolves only inside one network")
                } else if let Some(suffix) = [".local", ".internal", ".lan", ".home.arpa", ".localdomain", ".intranet"]
                    .iter()
                    .find(|s| name.ends_with(*s))
                {
                    format!("\"{name}\": {suffix} names resolve only inside one network")
                } else {
                    return;
                }
            }
        };
        out.push(self.finding(
            &rules::URL_HOST_NOT_PUBLIC_NAME,
            format!("the {} host is {why}", self.noun),
            "use a public DNS name with a certificate for it; keep internal names only for devices that are always on that network".to_string(),
        ));
    }

    /// URL005: the URL carries user:password@.
    fn url_credentials(&self, parsed: &::url::Url, out: &mut Vec<Finding>) {
        if parsed.username().is_empty() && parsed.password().is_none() {
            return;
        }
        let mut clean = parsed.clone();
        let _ = clean.set_username("");
        let _ = clean.set_password(None);
        out.push(self.finding(
            &rules::URL_CREDENTIALS,
            format!(
                "the {} carries credentials (\"{}{}@\")",
                self.noun,
                parsed.username(),
                if parsed.password().is_some() { ":…" } else { "" }
            ),
            format!(
                "the installer has no browser session and handles each request alone: serve the file without authentication, behind an unguessable or signed URL ({clean})"
            ),
        ));
    }

    /// URL006: the host is not ASCII (it must be written in punycode).
    fn url_non_ascii_host(&self, out: &mut Vec<Finding>) {
        let trimmed = self.url.trim();
        let Some((start, end)) = host_range(trimmed) else {
            return;
        };
        let host = &trimmed[start..end];
        if host.is_ascii() {
            return;
        }
        let offset = self.url.len() - self.url.trim_start().len();
        let mut fix = match ::url::Host::parse(host) {
            Ok(::url::Host::Domain(ascii)) => format!("write the host in punycode: {ascii}"),
            _ => "write the host in punycode (IDNA)".to_string(),
        };
        if let Some(link) = self.link_fix {
            fix.push_str(&format!(", as in:\n{link}"));
        }
        out.push(
            self.finding(
                &rules::URL_NON_ASCII_HOST,
                format!("the {} host \"{host}\" is not ASCII", self.noun),
                fix,
            )
            .corrected(self.link_fix.map(str::to_string))
            .highlight(self.url, offset + start..offset + end, "write in punycode"),
        );
    }

    /// URL009: http on port 443 or https on port 80.
    fn url_scheme_port_mismatch(&self, parsed: &::url::Url, out: &mut Vec<Finding>) {
        let (scheme, port) = (parsed.scheme(), parsed.port());
        let (should, port) = match (scheme, port) {
            ("http", Some(443)) => ("https", 443),
            ("https", Some(80)) => ("http", 80),
            _ => return,
        };
        let host = parsed.host_str().unwrap_or_default();
        out.push(self.finding(
            &rules::URL_SCHEME_PORT_MISMATCH,
            format!("the {} says {scheme} on port {port}, which is the {should} port", self.noun),
            format!(
                "the server behind a TLS-terminating proxy built this URL: pass X-Forwarded-Proto and the public host to it, and write https://{host}/…"
            ),
        ));
    }

    /// URL007: a share or preview page of a file host, not the raw file.
    fn url_preview_page(&self, parsed: &::url::Url, out: &mut Vec<Finding>) {
        let Some(host) = parsed.host_str() else { return };
        let host = host.to_ascii_lowercase();
        let path = parsed.path();
        let query = |k: &str| parsed.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        let on = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        let (service, fix) = if on("dropbox.com") && !host.starts_with("dl.") {
            if query("dl").as_deref() == Some("1") || query("raw").as_deref() == Some("1") {
                return;
            }
            let mut direct = parsed.clone();
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "dl")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            direct
                .query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("dl", "1");
            (
                "a Dropbox share page",
                format!("use the direct download form (it still redirects; a plain web server is safer): {direct}"),
            )
        } else if (host == "drive.google.com" || host == "docs.google.com") && !path.starts_with("/uc") {
            let id = path
                .split('/')
                .skip_while(|s| *s != "d")
                .nth(1)
                .map(str::to_string)
                .or_else(|| query("id"));
            let direct = id.map_or_else(
                || "https://drive.google.com/uc?export=download&id=<file id>".to_string(),
                |id| format!("https://drive.google.com/uc?export=download&id={id}"),
            );
            (
                "a Google Drive preview page",
                format!(
                    "Google Drive serves a warning page for large files; host the file on a web server, or at least use {direct}"
                ),
            )
        } else if host == "1drv.ms" || on("onedrive.live.com") || (on("sharepoint.com") && path.contains("/:")) {
            (
                "a OneDrive or SharePoint share page",
                "use the file's direct download URL (SharePoint: add download=1), or host it on a web server"
                    .to_string(),
            )
        } else if host == "github.com" && path.split('/').nth(3) == Some("blob") {
            let segments: Vec<&str> = path.split('/').collect();
            let raw = format!(
                "https://raw.githubusercontent.com/{}/{}/{}",
                segments[1],
                segments[2],
                segments[4..].join("/")
            );
            ("a GitHub file page", format!("use the raw file: {raw}"))
        } else if host == "gitlab.com" && path.contains("/-/blob/") {
            (
                "a GitLab file page",
                format!(
                    "use the raw file: {}",
                    self.url.trim().replacen("/-/blob/", "/-/raw/", 1)
                ),
            )
        } else if host == "bitbucket.org" && path.split('/').nth(3) == Some("src") {
            (
                "a Bitbucket file page",
                format!("use the raw file: {}", self.url.trim().replacen("/src/", "/raw/", 1)),
            )
        } else {
            return;
        };
        out.push(self.finding(
            &rules::URL_PREVIEW_PAGE,
            format!("the {} is {service}, not the file itself", self.noun),
            fix,
        ));
    }

    /// URL008: a pre-signed URL has expired, expires within 24 hours, or asks for longer than
    /// SigV4 allows.
    fn url_signature_expiry(&self, parsed: &::url::Url, now: OffsetDateTime, out: &mut Vec<Finding>) {
        let amz_expires = parsed
            .query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Expires"));
        if let Some(seconds) = amz_expires.and_then(|(_, v)| v.trim().parse::<i64>().ok())
            && seconds > SIGV4_MAX_EXPIRES
        {
            out.push(
                self.finding(
                    &rules::URL_SIGNATURE_EXPIRY,
                    format!(
                        "the {}'s X-Amz-Expires is {seconds} s, over the {SIGV4_MAX_EXPIRES} s (7 days) SigV4 allows: S3 refuses it",
                        self.noun
                    ),
                    "presign for at most 7 days (aws s3 presign --expires-in 604800) and send a fresh link when it runs out, or serve the file without a signature".to_string(),
                )
                .evidence("x_amz_expires", seconds),
            );
            return;
        }
        let Some((scheme, expires)) = signed_url_expiry(parsed) else {
            return;
        };
        let left = expires - now;
        let message = if left.is_negative() {
            format!(
                "the {}'s {scheme} signature expired {} ago ({})",
                self.noun,
                human_duration(-left),
                rfc3339(expires)
            )
        } else if left.whole_hours() < 24 {
            format!(
                "the {}'s {scheme} signature expires in {} ({})",
                self.noun,
                human_duration(left),
                rfc3339(expires)
            )
        } else {
            return;
        };
        out.push(
            self.finding(
                &rules::URL_SIGNATURE_EXPIRY,
                message,
                "sign the URL when the link is sent, for as long as people may install (days, not minutes), or serve the file without a signature".to_string(),
            )
            .evidence("expires", rfc3339(expires)),
        );
    }

    /// URL010: unexpanded template text or a documentation domain in the URL. Returns true when
    /// one was found.
    fn url_placeholder(&self, out: &mut Vec<Finding>) -> bool {
        let url = self.url;
        let mut hit: Option<(usize, usize)> = None;
        // (each search only when the text can hold it: a URL is checked for each of 100,000
        // links in a text)
        if url.contains(['$', '{']) {
            for (open, close) in [("${", "}"), ("$(", ")"), ("{{", "}}")] {
                if let Some(i) = url.find(open) {
                    hit = hit.or(Some((i, template_end(url, i, open.len(), close))));
                }
            }
        }
        // Upper-case YOUR_… is always a placeholder; lower case only with a placeholder noun,
        // so real names such as your-dentist.de pass.
        if url.contains("YOUR") {
            for pat in ["YOUR_", "YOUR-", "[YOUR", "<YOUR", "{YOUR"] {
                if let Some(i) = url.find(pat) {
                    hit = hit.or(Some((i, word_end(url, i))));
                }
            }
        }
        let lower = url.to_ascii_lowercase();
        if lower.contains("your") {
            for noun in ["domain", "server", "host", "bucket", "company", "cdn", "site"] {
                for sep in ["-", "_", ""] {
                    if let Some(i) = lower.find(&format!("your{sep}{noun}")) {
                        hit = hit.or(Some((i, word_end(url, i))));
                    }
                }
            }
        }
        if let Some(i) = lower.find("__url__") {
            hit = hit.or(Some((i, i + "__url__".len())));
        }
        if hit.is_none() {
            hit = dunder_placeholder(url)
                .or_else(|| brace_placeholder(url))
                .or_else(|| encoded_braces(url));
        }
        if hit.is_none()
            && let Some((s, e)) = host_range(url.trim())
        {
            let offset = url.len() - url.trim_start().len();
            let host = url.trim()[s..e].to_ascii_lowercase();
            let host = host.trim_end_matches('.');
            let documentation = ["example.com", "example.net", "example.org"]
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")))
                || host.ends_with(".example");
            if documentation {
                let text = &url[offset + s..offset + e];
                out.push(
                    self.finding(
                        &rules::URL_PLACEHOLDER,
                        format!(
                            "the {} host \"{text}\" is a documentation domain (RFC 2606), never a real server",
                            self.noun
                        ),
                        "put the real host name in the template or the build step that writes the link".to_string(),
                    )
                    .highlight(url, offset + s..offset + e, "reserved for examples"),
                );
                return true;
            }
        }
        let Some((start, end)) = hit else { return false };
        let text = &url[start..end];
        out.push(
            self.finding(
                &rules::URL_PLACEHOLDER,
                format!("the {} still holds the template text \"{text}\"", self.noun),
                "fill in the real value when the link or manifest is generated (check the build step's variables)"
                    .to_string(),
            )
            .highlight(url, start..end, "placeholder"),
        );
        true
    }
}

/// Where template text opened at `i` ends: after its closing bracket when there is one on the
/// same stretch of text (`{{ version }}`), else at the next URL separator.
fn template_end(url: &str, i: usize, skip: usize, close: &str) -> usize {
    let rest = &url[i + skip..];
    match rest.find(close) {
        Some(n) if n <= 80 && !rest[..n].contains(['/', '?', '&', '#']) => i + skip + n + close.len(),
        _ => i + skip + rest.find(['/', '?', '&', '#', '.']).unwrap_or(rest.len()),
    }
}

/// The end of the word (host label or path segment) that starts at `i`.
fn word_end(url: &str, i: usize) -> usize {
    i + url[i..]
        .find(['/', '?', '&', '#', '.', ':', '='])
        .unwrap_or(url.len() - i)
}

/// `__NAME__` with an upper-case name. Each run of name characters is read once: when the `__`
/// opening it does not start a placeholder, no later `__` inside the same run can (they share its
/// end and see less of it), so the search goes on after the run.
fn dunder_placeholder(url: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = url.get(from..).and_then(|rest| rest.find("__")).map(|n| from + n) {
        let name_len = url[i + 2..]
            .bytes()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
            .count();
        let name = &url[i + 2..i + 2 + name_len];
        if let Some(inner) = name.strip_suffix("__")
            && !inner.is_empty()
            && inner.bytes().any(|c| c.is_ascii_uppercase())
        {
            return Some((i, i + 2 + name_len));
        }
        from = i + 2 + name_len;
    }
    None
}

/// `%7B%7Bname%7D%7D`: a `{{name}}` that a template engine URL-encoded instead of expanding.
fn encoded_braces(url: &str) -> Option<(usize, usize)> {
    let lower = url.to_ascii_lowercase();
    let start = lower.find("%7b%7b")?;
    let name_len = lower[start + 6..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .count();
    let close = start + 6 + name_len;
    (name_len > 0 && lower[close..].starts_with("%7d%7d")).then_some((start, close + 6))
}

/// `{name}` (Python format strings, URI templates).
fn brace_placeholder(url: &str) -> Option<(usize, usize)> {
    let i = url.find('{')?;
    let len = url[i + 1..].find('}')?;
    let name = &url[i + 1..i + 1 + len];
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .then_some((i, i + len + 2))
}

/// The longest `X-Amz-Expires` AWS Signature Version 4 accepts (7 days).
const SIGV4_MAX_EXPIRES: i64 = 604_800;

/// When a pre-signed URL stops working, and which scheme signed it.
fn signed_url_expiry(parsed: &::url::Url) -> Option<(&'static str, OffsetDateTime)> {
    let get = |k: &str| {
        parsed
            .query_pairs()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.into_owned())
    };
    let compact = format_description!("[year][month][day]T[hour][minute][second]Z");
    for (scheme, date, expires) in [
        ("AWS SigV4", "X-Amz-Date", "X-Amz-Expires"),
        ("Google Cloud Storage", "X-Goog-Date", "X-Goog-Expires"),
    ] {
        if let (Some(d), Some(e)) = (get(date), get(expires)) {
            let signed = time::PrimitiveDateTime::parse(&d, &compact).ok()?.assume_utc();
            let seconds: i64 = e.trim().parse().ok()?;
            // past the calendar's end (year 9999): it never expires as far as anyone can tell
            return Some((scheme, signed.checked_add(time::Duration::seconds(seconds))?));
        }
    }
    if let Some(e) = parsed
        .query_pairs()
        .find(|(n, _)| n == "Expires")
        .map(|(_, v)| v.into_owned())
    {
        let epoch: i64 = e.trim().parse().ok()?;
        return Some(("Expires=", OffsetDateTime::from_unix_timestamp(epoch).ok()?));
    }
    if get("sig").is_some()
        && let Some(se) = get("se")
    {
        let at = OffsetDateTime::parse(&se, &Rfc3339).ok().or_else(|| {
            let date = time::Date::parse(&se, format_description!("[year]-[month]-[day]")).ok()?;
            Some(date.midnight().assume_utc())
        })?;
        return Some(("Azure SAS", at));
    }
    None
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// "3 h 20 min", "2 days", "45 s".
pub fn human_duration(d: time::Duration) -> String {
    let days = d.whole_days();
    let hours = d.whole_hours() % 24;
    let minutes = d.whole_minutes() % 60;
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{} s", d.whole_seconds()),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, _, _) => "1 day".to_string(),
        (d, _, _) => format!("{d} days"),
    }
}
