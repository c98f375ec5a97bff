//! HTTP rules: how each resource is served to the installer.

use crate::check::{Context, Step, refused_for_client_certificate, steps};
use crate::facts::{Exchange, Facts, Fetch, Via};
use crate::finding::{Finding, Resource};
use crate::registry as rules;
use crate::severity::Severity;

/// Runs the HTTP rules: on each request of the installer's path, then on the package's HEAD and
/// GET together, then on the manifest as a browser gets it.
pub fn check(facts: &Facts, ctx: &Context, out: &mut Vec<Finding>) {
    for step in steps(facts) {
        let agent = agent(&step, ctx.via);
        let Some(last) = step.fetch.last() else { continue };
        if last.status.is_none() {
            continue;
        }
        let login = redirected_to_login(step.fetch);
        redirect(&step, login.is_some(), out);
        if step.is_head() {
            continue; // HEAD is judged against the GET (HTTP008)
        }
        if refused_for_client_certificate(facts, last) {
            continue; // a refusal for want of a client certificate is TLS018's
        }
        // An answer gets the first of these that applies, so a login page is not also reported
        // as HTML, nor a challenge as a refusal.
        let _ = auth_required(&step, last, login.as_deref(), agent, out)
            || bot_challenge(&step, last, out)
            || git_lfs_pointer(&step, last, out)
            || unexpected_html(&step, last, out)
            || response_too_large(&step, last, out)
            || unexpected_content_type(&step, last, out)
            || iis_missing_mime_map(&step, last, out)
            || http_status(&step, last, ctx.via, out);
    }
    for walk in &facts.walks {
        for asset in walk.assets.iter().filter(|a| a.kind == "software-package") {
            if let (Some(head), Some(get)) = (&asset.head, &asset.get) {
                let step = Step {
                    walk: Some(walk),
                    resource: Resource::Package,
                    url: &asset.url,
                    kind: &asset.kind,
                    fetch: get,
                };
                head_not_supported(&step, head, get, out);
                missing_content_length(&step, head, get, out);
                range_not_supported(&step, head, get, out);
            }
        }
        user_agent_dependent(walk, out);
    }
    page_hides_link_from_ipad(facts, out);
}

/// Who asks for the step's resource: the installer, or under `--via mdm` the MDM agent for the
/// manifest.
fn agent(step: &Step<'_>, via: Via) -> &'static str {
    match (via, step.resource) {
        (Via::Mdm, Resource::Manifest) => "the MDM agent",
        _ => "the installer",
    }
}

/// HTTP003: the resource answers with redirects (an error for the package, or when they loop).
fn redirect(step: &Step<'_>, to_login: bool, out: &mut Vec<Finding>) {
    if to_login || step.resource == Resource::Page {
        return;
    }
    let hops: Vec<&Exchange> = step.fetch.redirects().collect();
    if hops.is_empty() || (step.is_head() && step.resource == Resource::Package) {
        return;
    }
    let chain: Vec<String> = hops
        .iter()
        .map(|e| {
            format!(
                "{} {} → {}",
                e.status.unwrap_or_default(),
                e.url,
                e.header("location").unwrap_or("?")
            )
        })
        .collect();
    let last = step.fetch.last();
    let final_url = last.map(|e| e.url.clone()).unwrap_or_default();
    let limit = last.and_then(|e| match e.error {
        Some(crate::facts::NetError::TooManyRedirects { limit }) => Some(limit),
        _ => None,
    });
    // a redirect that leads nowhere the installer goes: to file:, data: or any scheme but
    // http(s) (never followed, never read), or a 3xx without a Location
    let dead_end = last.and_then(|e| match &e.error {
        Some(crate::facts::NetError::RedirectNotFollowed { location }) => Some(format!(
            "the {} redirects to {location} ({} from {}), which is not an http(s) URL: neither the phone nor otadoctor follows it",
            noun(step),
            e.status.unwrap_or_default(),
            e.url
        )),
        None if e.status.is_some_and(|s| (300..400).contains(&s)) && e.header("location").is_none() => Some(format!(
            "the {} answers {} without a Location header ({}): the redirect leads nowhere",
            noun(step),
            e.status.unwrap_or_default(),
            e.url
        )),
        _ => None,
    });
    let looped = limit.is_some();
    let message = if let Some(limit) = limit {
        format!(
            "the {} redirects more than {limit} times (a loop?): {}",
            noun(step),
            chain.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        )
    } else if let Some(dead_end) = &dead_end {
        dead_end.clone()
    } else {
        format!("the {} redirects: {}", noun(step), chain.join(", "))
    };
    let fix = if looped {
        "the redirects never end: fix the server's rewrite or redirect rules so this URL answers 200 with the file"
            .to_string()
    } else if dead_end.is_some() {
        format!(
            "make {final_url} answer 200 with the {} itself (remove or correct the redirect rule that sends it elsewhere), or put the {}'s real https URL in the {}",
            noun(step),
            noun(step),
            step.written_in()
        )
    } else {
        format!("put the final URL in the {} directly: {final_url}", step.written_in())
    };
    let mut finding = step.finding(&rules::REDIRECT, message, fix);
    // an icon that leads nowhere leaves the placeholder blank; the manifest or the package
    // ends the install
    if step.resource == Resource::Package || looped || (dead_end.is_some() && step.resource == Resource::Manifest) {
        finding.severity = Severity::Error;
    }
    if step.resource == Resource::Package {
        finding.device_symptom = "\"Unable to Download App\", or the icon sits at \"Waiting…\" forever".to_string();
    } else if looped || dead_end.is_some() {
        finding.device_symptom = "nothing happens, or \"Cannot Connect to …\"".to_string();
    }
    out.push(finding.evidence("redirects", chain));
}

/// HTTP004: the installer is asked to sign in: a redirect to a login page, or an answer that
/// demands credentials.
fn auth_required(step: &Step<'_>, last: &Exchange, login: Option<&str>, agent: &str, out: &mut Vec<Finding>) -> bool {
    if let Some(login) = login {
        out.push(step.finding(
            &rules::AUTH_REQUIRED,
            format!("the {} redirects to a login page ({login})", noun(step)),
            auth_fix(step),
        ));
        return true;
    }
    let Some(status) = last.status.filter(|_| refused(last)) else {
        return false;
    };
    // a challenge page is HTTP006's, and S3's own 403 is HTTP001's
    if challenge(last).is_some() || s3_refusal(last).is_some() {
        return false;
    }
    if !(status == 401 || status == 407 || last.header("www-authenticate").is_some() || status == 403) {
        return false;
    }
    let how = match last.header("www-authenticate") {
        Some(scheme) => format!("{status} with WWW-Authenticate: {scheme}"),
        None => status.to_string(),
    };
    out.push(step.finding(
        &rules::AUTH_REQUIRED,
        format!("the {} answers {how} to {agent}", noun(step)),
        auth_fix(step),
    ));
    true
}

/// HTTP006: the answer is a WAF or CDN challenge the installer cannot solve.
fn bot_challenge(step: &Step<'_>, e: &Exchange, out: &mut Vec<Finding>) -> bool {
    let challenged = if body_judged(step, e) {
        // a 2xx is a challenge only when the CDN says so or the body is an HTML challenge page
        e.header("cf-mitigated").is_some() || (is_html(e) && challenge(e).is_some())
    } else {
        refused(e) && challenge(e).is_some()
    };
    if !challenged {
        return false;
    }
    let marker = challenge(e).unwrap_or_default();
    out.push(step.finding(
        &rules::BOT_CHALLENGE,
        format!("the {} answers {} with a bot challenge ({marker})", noun(step), e.status.unwrap_or_default()),
        "exempt the manifest, package and icon paths from bot protection (Cloudflare: a WAF custom rule with the Skip action for these paths; Bot Fight Mode cannot be skipped, so turn it off or serve the files from a host without it)".to_string(),
    ));
    true
}

/// HTTP011: the body is a Git LFS pointer file, not the file.
fn git_lfs_pointer(step: &Step<'_>, last: &Exchange, out: &mut Vec<Finding>) -> bool {
    if !(body_judged(step, last) && last.body_head.starts_with("version https://git-lfs.github.com/spec/")) {
        return false;
    }
    out.push(step.finding(
        &rules::GIT_LFS_POINTER,
        format!("the {} is a Git LFS pointer ({} bytes), not the file", noun(step), last.body_bytes),
        "serve the real file: download it with git lfs pull before publishing, or use the host's LFS media URL (GitHub: media.githubusercontent.com/media/…)".to_string(),
    ));
    true
}

/// HTTP005: the body is an HTML page where a plist, an IPA or a PNG was expected.
fn unexpected_html(step: &Step<'_>, last: &Exchange, out: &mut Vec<Finding>) -> bool {
    if !(body_judged(step, last) && is_html(last)) {
        return false;
    }
    let title = last
        .body_head
        .to_ascii_lowercase()
        .find("<title>")
        .map(|i| {
            last.body_head[i + 7..]
                .split('<')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|t| !t.is_empty());
    let message = match title {
        Some(t) => format!(
            "the {} is an HTML page (\"{}\"), not {}",
            noun(step),
            crate::text::ellipsize(&t, 60),
            expected(step)
        ),
        None => format!("the {} is an HTML page, not {}", noun(step), expected(step)),
    };
    out.push(step.finding(
        &rules::UNEXPECTED_HTML,
        message,
        format!("make the URL serve the raw file: not a preview or share page, not a single-page app's index.html fallback, not a login page; the {} must hold the file's own URL", step.written_in()),
    ));
    true
}

/// HTTP013: the manifest fills the whole read cap, so it is not a manifest.
fn response_too_large(step: &Step<'_>, last: &Exchange, out: &mut Vec<Finding>) -> bool {
    if !(body_judged(step, last) && step.resource == Resource::Manifest && last.body_bytes >= last.body_cap) {
        return false;
    }
    out.push(step.finding(
        &rules::RESPONSE_TOO_LARGE,
        format!(
            "the manifest is larger than {} (read no further): not a manifest",
            crate::text::size(last.body_cap.saturating_sub(1))
        ),
        "point the link at the manifest plist (a few KB), not at the package or a page".to_string(),
    ));
    true
}

/// HTTP007: the Content-Type is outside the usual set for the resource.
fn unexpected_content_type(step: &Step<'_>, last: &Exchange, out: &mut Vec<Finding>) -> bool {
    if !body_judged(step, last) {
        return false;
    }
    let Some(ct) = last.header("content-type") else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let usual: &[&str] = match step.resource {
        Resource::Manifest => &[
            "text/xml",
            "application/xml",
            "application/x-plist",
            "text/plain",
            "application/octet-stream",
        ],
        Resource::Package => &["application/octet-stream", "application/x-itunes-ipa"],
        Resource::Icon => &["image/png"],
        _ => return false,
    };
    if usual.contains(&mime.as_str()) {
        return false;
    }
    let recommended = match step.resource {
        Resource::Manifest => "text/xml",
        Resource::Package => "application/octet-stream",
        _ => "image/png",
    };
    out.push(step.finding(
        &rules::UNEXPECTED_CONTENT_TYPE,
        format!("the {} is served as {mime}", noun(step)),
        format!("serve it as {recommended} (nginx: types {{ {recommended} {}; }}; Apache: AddType {recommended} .{}; IIS: a mimeMap)", extension(step), extension(step)),
    ));
    true
}

/// HTTP002: IIS answers 404 for a .plist or .ipa path, as it does for an extension without a
/// MIME map.
fn iis_missing_mime_map(step: &Step<'_>, last: &Exchange, out: &mut Vec<Finding>) -> bool {
    let path = last
        .url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(last.status == Some(404)
        && server(last).contains("microsoft-iis")
        && (path.ends_with(".plist") || path.ends_with(".ipa")))
    {
        return false;
    }
    out.push(step.finding(
        &rules::IIS_MISSING_MIME_MAP,
        format!("IIS answers 404 for {}: it serves no file whose extension has no MIME type", last.url),
        "add the MIME maps to web.config:\n<system.webServer><staticContent>\n  <mimeMap fileExtension=\".plist\" mimeType=\"text/xml\" />\n  <mimeMap fileExtension=\".ipa\" mimeType=\"application/octet-stream\" />\n</staticContent></system.webServer>".to_string(),
    ));
    true
}

/// HTTP001: the resource did not answer 2xx.
fn http_status(step: &Step<'_>, last: &Exchange, via: Via, out: &mut Vec<Finding>) -> bool {
    let Some(status) = last.status.filter(|_| refused(last)) else {
        return false;
    };
    if let Some((code, detail)) = s3_refusal(last) {
        out.push(
            step.finding(
                &rules::HTTP_STATUS,
                format!(
                    "the {} answers 403 from S3: {code}{}",
                    noun(step),
                    detail.map(|d| format!(" ({d})")).unwrap_or_default()
                ),
                s3_fix(&code),
            )
            .device(status_device(step))
            .evidence("status", status),
        );
        return true;
    }
    let fix = status_fix(status, &server(last), last);
    let mdm_manifest = via == Via::Mdm && step.resource == Resource::Manifest;
    let device = match status {
        // what the MDM server reports when the manifest URL answers 404
        404 | 410 if mdm_manifest => format!(
            "{}: DeviceManagement.error 2604 \"Could not validate manifest.\"",
            crate::check::MDM_RESULT
        ),
        _ => status_device(step).to_string(),
    };
    let to = if mdm_manifest { "the MDM agent" } else { "the installer" };
    out.push(
        step.finding(
            &rules::HTTP_STATUS,
            format!("the {} answers {status} to {to}: {}", noun(step), last.url),
            fix,
        )
        .device(device)
        .evidence("status", status),
    );
    true
}

/// HTTP008: HEAD on the package fails, or disagrees with GET on the size.
fn head_not_supported(step: &Step<'_>, head: &Fetch, get: &Fetch, out: &mut Vec<Finding>) {
    let Some((h, g, get_status)) = package_answers(head, get) else {
        return;
    };
    let total = range_total(g).or_else(|| if get_status == 200 { content_length(g) } else { None });
    match (h.status, &h.error) {
        (Some(hs), _) if !(200..300).contains(&hs) => out.push(step.finding(
            &rules::HEAD_NOT_SUPPORTED,
            format!("HEAD on the package answers {hs} while GET answers {get_status}"),
            "allow HEAD for the package path: nginx and Apache allow it unless a rule limits methods; an S3 pre-signed URL is valid for one method only, so serve the IPA from an object readable under an unguessable key, or through CloudFront".to_string(),
        )),
        (None, Some(error)) => out.push(step.finding(
            &rules::HEAD_NOT_SUPPORTED,
            format!("HEAD on the package got no answer ({}) while GET works", error),
            "make the server answer HEAD for the package path like GET, without a body".to_string(),
        )),
        (Some(_), _) => {
            if let (Some(hl), Some(total)) = (content_length(h), total)
                && hl != total {
                    out.push(step.finding(
                        &rules::HEAD_NOT_SUPPORTED,
                        format!("HEAD says the package is {hl} bytes, GET says {total}"),
                        "make HEAD report the same Content-Length as GET (a proxy or function that answers HEAD itself often gets it wrong)".to_string(),
                    ));
                }
        }
        (None, None) => {}
    }
}

/// HTTP009: the package is served without Content-Length.
fn missing_content_length(step: &Step<'_>, head: &Fetch, get: &Fetch, out: &mut Vec<Finding>) {
    let Some((h, g, get_status)) = package_answers(head, get) else {
        return;
    };
    // iOS learns the size from HEAD; when HEAD failed (HTTP008) only a full GET can tell
    let head_ok = h.status.is_some_and(|s| (200..300).contains(&s));
    let missing = if head_ok {
        content_length(h).is_none()
    } else {
        get_status == 200 && content_length(g).is_none()
    };
    if missing {
        let chunked = h
            .header("transfer-encoding")
            .or(g.header("transfer-encoding"))
            .is_some_and(|t| t.contains("chunked"));
        out.push(step.finding(
            &rules::MISSING_CONTENT_LENGTH,
            format!("the package is served without Content-Length{}", if chunked { " (chunked)" } else { "" }),
            "serve the IPA as a static file so the server sends Content-Length (not through a script or a compressing proxy)".to_string(),
        ));
    }
}

/// HTTP010: the package server answers a Range request with the whole file.
fn range_not_supported(step: &Step<'_>, head: &Fetch, get: &Fetch, out: &mut Vec<Finding>) {
    let Some((_, g, get_status)) = package_answers(head, get) else {
        return;
    };
    let asked_range = g.request_headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("range"));
    if asked_range && get_status == 200 {
        out.push(step.finding(
            &rules::RANGE_NOT_SUPPORTED,
            "the package server answered a Range request with the whole file (200, not 206)".to_string(),
            "serve the IPA as a static file (nginx, Apache, S3 and CloudFront support Range by default); a script must implement Range itself".to_string(),
        ));
    }
}

/// HTTP012: the installer's User-Agent gets a different manifest answer than a browser's.
/// Under `--via mdm` the manifest is asked for by the MDM agent and compared with what the
/// installer of a tapped link gets.
fn user_agent_dependent(walk: &crate::facts::WalkFacts, out: &mut Vec<Finding>) {
    let (other, mdm) = match (&walk.manifest_as_browser, &walk.manifest_as_installer) {
        (Some(browser), _) => (browser, false),
        (None, Some(installer)) => (installer, true),
        (None, None) => return,
    };
    let (Some(installer), Some(browser)) = (walk.manifest.as_ref().and_then(Fetch::last), other.last()) else {
        return;
    };
    let (Some(a), Some(b)) = (installer.status, browser.status) else {
        return;
    };
    let what = |e: &Exchange| {
        if is_html(e) {
            "an HTML page"
        } else if e.body_head.starts_with("bplist") || e.body_head.contains("<plist") {
            "a plist"
        } else if e.body_head.trim_start().starts_with('<') {
            "XML that is not a plist"
        } else {
            "other content"
        }
    };
    let (first, second) = if mdm {
        ("the MDM agent", "the installer of a tapped link")
    } else {
        ("the installer", "a browser")
    };
    let differs = if a != b {
        Some(format!("{first} gets {a}, {second} gets {b}"))
    } else if what(installer) != what(browser) {
        Some(format!(
            "{first} gets {}, {second} gets {}",
            what(installer),
            what(browser)
        ))
    } else {
        None
    };
    let Some(differs) = differs else { return };
    let subject = crate::finding::Subject {
        resource: Resource::Manifest,
        target: walk.manifest_url.clone(),
        link: walk.link,
    };
    let fix = if mdm {
        format!(
            "serve the manifest the same to every client: a User-Agent allow-list or bot rule must let the MDM agent through (it sends \"{}\")",
            installer.user_agent
        )
    } else {
        "serve the manifest the same to every client; exempt it from User-Agent rules (bot filters, mobile redirects, SPA routing)".to_string()
    };
    let mut finding = crate::finding::Finding::new(
        &rules::USER_AGENT_DEPENDENT,
        subject,
        format!("the manifest depends on the User-Agent: {differs}"),
        fix,
    );
    if mdm {
        finding.device_symptom = format!(
            "{}: the MDM agent is answered otherwise than a tapped link's installer, so the install works from a link and fails by MDM",
            crate::check::MDM_RESULT
        );
    }
    out.push(finding);
}

/// The first few of `items`, and how many more.
fn listed(items: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut text = items.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// HTTP014: the download page served to iPadOS Safari's default desktop-class User-Agent (a
/// Mac's) has no itms-services link, or others, than the page served to an iPhone. Links are
/// compared by the manifest URL the device would fetch (a link built by a script, by its fixed
/// text), not by how they are written: the same manifest URL written another way is the same
/// link; a link the iPad gets besides the iPhone's is not a hidden one.
fn page_hides_link_from_ipad(facts: &Facts, out: &mut Vec<Finding>) {
    let Some(page) = &facts.page else { return };
    let (Some(phone), Some(ipad)) = (page.fetch.as_ref().and_then(Fetch::last), page.as_ipad.as_ref()) else {
        return;
    };
    if !phone.status.is_some_and(|s| (200..300).contains(&s)) {
        return;
    }
    let install = |scheme: Option<&str>| scheme.is_some_and(|s| s.trim().eq_ignore_ascii_case("itms-services"));
    let key = |text: &str, manifest_url: Option<&str>, dynamic: bool| match (dynamic, manifest_url) {
        (false, Some(url)) => url.to_string(),
        _ => format!("{text} (built by a script)"),
    };
    let phone_links: Vec<String> = facts
        .links
        .iter()
        .filter(|l| install(l.parsed.scheme.as_deref()))
        .map(|l| key(&l.text, l.parsed.manifest_url.as_deref(), l.dynamic))
        .collect();
    if phone_links.is_empty() {
        return; // nothing to hide: the iPhone's page has no install link either
    }
    let Some(ipad_last) = ipad.fetch.last() else { return };
    let Some(ipad_status) = ipad_last.status else {
        return; // no answer at all (a network failure): nothing to compare
    };
    let ipad_links: Vec<String> = ipad
        .links
        .iter()
        .filter(|l| install(l.scheme.as_deref()))
        .map(|l| key(&l.text, l.manifest_url.as_deref(), l.dynamic))
        .collect();
    // sets: a page of thousands of links costs its size, not its size squared
    let phone_set: std::collections::BTreeSet<&String> = phone_links.iter().collect();
    let ipad_set: std::collections::BTreeSet<&String> = ipad_links.iter().collect();
    let missing: Vec<&String> = phone_set.iter().filter(|l| !ipad_set.contains(*l)).copied().collect();
    if missing.is_empty() {
        return;
    }
    let ua = "iPadOS Safari's default desktop-class User-Agent (a Mac's)";
    let phone_count = match phone_links.len() {
        1 => "1 install link".to_string(),
        n => format!("{n} install links"),
    };
    let other_links = (200..300).contains(&ipad_status) && ipad_set.iter().any(|l| !phone_set.contains(*l));
    let mut message = if !(200..300).contains(&ipad_status) {
        format!("the page answers {ipad_status} to {ua}, and an iPhone gets it with {phone_count}")
    } else if ipad_links.is_empty() {
        format!("the page served to {ua} has no itms-services link; the iPhone's has {phone_count}")
    } else {
        let others: Vec<&str> = ipad_set
            .iter()
            .filter(|l| !phone_set.contains(*l))
            .map(|l| l.as_str())
            .collect();
        let missing = listed(&missing.iter().map(|m| m.as_str()).collect::<Vec<_>>());
        if others.is_empty() {
            format!("the page served to {ua} leaves out links the iPhone's has: {missing}")
        } else {
            format!(
                "the page served to {ua} links to other manifests ({}) than the iPhone's ({missing})",
                listed(&others)
            )
        }
    };
    if !ipad.scripts_read.is_empty() {
        message.push_str(&format!(
            "; its scripts also read {}, whose effect on an iPad a fetch cannot show",
            ipad.scripts_read.join(", ")
        ));
    }
    let subject = crate::finding::Subject {
        resource: Resource::Page,
        target: page.source.clone(),
        link: None,
    };
    let mut finding = crate::finding::Finding::new(
        &rules::PAGE_HIDES_LINK_FROM_IPAD,
        subject,
        message,
            "give a Macintosh User-Agent the same install link: iPadOS 13 and later ask for pages as a Mac (\"Request Desktop Website\" is on by default), so detect an iPad in the page's script (navigator.maxTouchPoints > 1 on a \"Macintosh\"), not on the server, or show the link to every visitor (a real Mac cannot open it and does no harm)",
        )
    .evidence("ipad_user_agent", ipad_last.user_agent.clone())
    .evidence("ipad_status", ipad_status)
    .evidence("iphone_manifest_urls", phone_links.clone())
    .evidence("ipad_manifest_urls", ipad_links);
    if other_links {
        finding.device_symptom =
            "on an iPad the download page's button installs another manifest's app, or fails".to_string();
    }
    out.push(finding);
}

fn noun(step: &Step<'_>) -> String {
    match step.resource {
        Resource::Manifest => "manifest".to_string(),
        Resource::Package => "package".to_string(),
        Resource::Icon => step.kind.to_string(),
        Resource::Page => "page".to_string(),
        Resource::Link => "link".to_string(),
        Resource::Profile => "profile".to_string(),
        Resource::Device => "device".to_string(),
    }
}

/// The login page a redirect chain leads to: a Location whose path has a sign-in segment
/// (`/login`, `/sso/…`, `/oauth2/authorize`); hosts and query strings are not looked at, so a
/// signed CDN URL is never taken for a login.
fn redirected_to_login(fetch: &Fetch) -> Option<String> {
    const SIGN_IN: &[&str] = &[
        "login",
        "signin",
        "sign-in",
        "sign_in",
        "logon",
        "sso",
        "saml",
        "saml2",
        "oauth",
        "oauth2",
        "auth",
        "authorize",
        "adfs",
        "openid-connect",
        "cas",
    ];
    fetch
        .redirects()
        .filter_map(|e| e.header("location"))
        .map(str::to_string)
        .find(|location| {
            let base = reqwest::Url::parse(&fetch.exchanges[0].url).ok();
            let path = base
                .and_then(|b| b.join(location.trim()).ok())
                .map(|u| u.path().to_ascii_lowercase())
                .unwrap_or_default();
            path.split('/').any(|segment| {
                let stem = segment.split('.').next().unwrap_or(segment);
                SIGN_IN.contains(&stem)
            })
        })
}

/// Whether the request failed: no 2xx, and not a chain that ends on a redirect (a loop, or a
/// non-http location), which is HTTP003's.
fn refused(e: &Exchange) -> bool {
    e.status.is_some_and(|s| !(200..400).contains(&s))
}

/// Whether the step got a 2xx whose body is judged: the download page is HTML by design, so only
/// its status counts.
fn body_judged(step: &Step<'_>, e: &Exchange) -> bool {
    step.resource != Resource::Page && e.status.is_some_and(|s| (200..300).contains(&s))
}

/// The `Server` header, lower case ("" when there is none).
fn server(e: &Exchange) -> String {
    e.header("server").unwrap_or_default().to_ascii_lowercase()
}

fn auth_fix(step: &Step<'_>) -> String {
    format!(
        "the installer sends no cookies and no credentials: serve the {} without authentication (protect the download page instead), behind an unguessable or pre-signed URL",
        noun(step)
    )
}

/// The marker that shows a WAF or CDN challenge, if any.
fn challenge(e: &Exchange) -> Option<String> {
    if let Some(v) = e.header("cf-mitigated") {
        return Some(format!("cf-mitigated: {v}"));
    }
    let body = e.body_head.to_ascii_lowercase();
    let markers = [
        "challenge-platform",
        "cf-browser-verification",
        "cf_chl_",
        "just a moment...",
        "attention required! | cloudflare",
        "captcha",
        "_incapsula_resource",
        "awswafintegration",
        "aws-waf-token",
        "ddos-guard",
        "sucuri website firewall",
    ];
    markers
        .iter()
        .find(|m| body.contains(*m))
        .map(|m| format!("the body holds \"{m}\""))
}

/// Whether the body is an HTML page.
pub fn is_html(e: &Exchange) -> bool {
    let head = e
        .body_head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<head")
        || head.starts_with("<body")
        || (head.starts_with('<')
            && !head.starts_with("<?xml")
            && !head.starts_with("<plist")
            && !head.starts_with("<!doctype plist")
            && (head.contains("<html") || head.contains("<body")))
}

fn expected(step: &Step<'_>) -> &'static str {
    match step.resource {
        Resource::Manifest => "a plist",
        Resource::Package => "an IPA",
        Resource::Icon => "a PNG",
        _ => "the file",
    }
}

fn extension(step: &Step<'_>) -> &'static str {
    match step.resource {
        Resource::Manifest => "plist",
        Resource::Package => "ipa",
        _ => "png",
    }
}

/// What the phone shows when this step's request fails.
fn status_device(step: &Step<'_>) -> &'static str {
    match step.resource {
        Resource::Package => "\"Unable to Download App\": the app could not be installed at this time",
        Resource::Icon => "a blank or default icon while the app installs",
        Resource::Page => "the download page does not open",
        _ => "nothing happens, or \"Cannot Connect to …\"",
    }
}

/// S3's own refusal: a 403 with an S3 error body and no WWW-Authenticate.
fn s3_refusal(e: &Exchange) -> Option<(String, Option<String>)> {
    s3_error(e).filter(|_| e.status == Some(403) && e.header("www-authenticate").is_none())
}

/// The `<Code>` (and `<Message>`) of an S3 XML error body.
fn s3_error(e: &Exchange) -> Option<(String, Option<String>)> {
    let body = &e.body_head;
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))?;
        Some(body[start..start + end].trim().to_string())
    };
    let code = tag("Code").filter(|_| body.contains("<Error>"))?;
    Some((code, tag("Message")))
}

fn s3_fix(code: &str) -> String {
    match code {
        "SignatureDoesNotMatch" => "the signature does not fit the request: presign exactly this URL for GET, and put it in the manifest without re-encoding it".to_string(),
        "ExpiredToken" | "TokenRefreshRequired" => "the URL was signed with temporary credentials that have expired: sign with credentials that outlive the link".to_string(),
        _ => "S3 refuses the installer: presign the URL for long enough (up to 7 days), or make the object readable (a bucket policy for this prefix, or CloudFront with an origin access control); an expired pre-signed URL answers AccessDenied too".to_string(),
    }
}

/// A fix for a non-2xx status that names the server when it can.
fn status_fix(status: u16, server: &str, last: &Exchange) -> String {
    let cloudfront =
        last.header("x-amz-cf-id").is_some() || last.header("via").is_some_and(|v| v.contains("CloudFront"));
    let s3 = server.contains("amazons3") || last.header("x-amz-request-id").is_some();
    match status {
        404 | 410 if s3 || cloudfront => "upload the file to that key (keys are case-sensitive), or fix the URL; with CloudFront, invalidate the cached 404 after uploading".to_string(),
        404 | 410 if server.contains("nginx") => "check the location and root/alias for this path in the nginx config, and that the file is there and readable by the nginx user".to_string(),
        404 | 410 if server.contains("apache") => "check DocumentRoot/Alias for this path and that the file is there and readable; .htaccess rewrites can hide it".to_string(),
        404 | 410 if server.contains("microsoft-iis") => "check the virtual directory and that the file exists; IIS also answers 404 for extensions without a MIME map".to_string(),
        404 | 410 => "publish the file at this URL, or correct the URL".to_string(),
        s if s >= 500 => "the server failed: look at its error log for this request".to_string(),
        _ => "make the server answer 200 with the file to a plain GET with no cookies".to_string(),
    }
}

/// The package's HEAD and GET answers and the GET's status, when the GET delivered the file (a
/// 2xx that is no HTML or challenge page): the package rules judge nothing else.
fn package_answers<'a>(head: &'a Fetch, get: &'a Fetch) -> Option<(&'a Exchange, &'a Exchange, u16)> {
    let (h, g) = (head.last()?, get.last()?);
    let get_status = g.status.filter(|s| (200..300).contains(s))?;
    if is_html(g) || challenge(g).is_some() {
        return None;
    }
    Some((h, g, get_status))
}

fn content_length(e: &Exchange) -> Option<u64> {
    e.header("content-length").and_then(|v| v.trim().parse().ok())
}

/// The whole size from `Content-Range: bytes a-b/TOTAL`.
pub fn range_total(e: &Exchange) -> Option<u64> {
    e.header("content-range")
        .and_then(|v| v.rsplit('/').next())
        .and_then(|t| t.trim().parse().ok())
}

/// The package size as the server states it (HEAD Content-Length, or the range's total).
pub fn package_size(head: Option<&Fetch>, get: Option<&Fetch>) -> Option<u64> {
    let get_last = get.and_then(Fetch::last);
    get_last
        .filter(|e| e.status == Some(206))
        .and_then(range_total)
        .or_else(|| {
            head.and_then(Fetch::last)
                .filter(|e| e.status.is_some_and(|s| (200..300).contains(&s)))
                .and_then(content_length)
        })
        .or_else(|| get_last.filter(|e| e.status == Some(200)).and_then(content_length))
}
