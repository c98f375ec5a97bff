//! `otadoctor serve`: the page, the JSON API against `check --format json`, uploads, limits,
//! tokens and the network guard, through the real binary on loopback.

mod support;

use std::net::Ipv4Addr;

use serde_json::json;
use support::lab::{Route, Site};
use support::serve::{Serve, http, lab_args, without_timings};

const HOST: &str = "ota.acme-apps.io";
const NOW: &str = "2026-11-25T12:00:00Z";

/// `serve` for a lab site: its trust and pins, the tests' clock, and `extra`.
fn serve_for(site: &Site, extra: &[&str]) -> Serve {
    let mut args = lab_args(&site.lab.args(&[HOST]));
    args.push(format!("--now={NOW}"));
    args.push("--timeout=5".to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    Serve::start(&args)
}

/// The same check on the command line, in-process: `check --format json` with the lab's
/// options, `args` and `stdin`.
fn cli_json(site: &Site, args: &[&str], stdin: &str) -> serde_json::Value {
    let mut all = site.lab.args(&[HOST]);
    all.extend(["--timeout", "5", "--format", "json", "--no-config"].map(String::from));
    all.extend(args.iter().map(|s| s.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = support::otadoctor_with(&all, stdin, false, false);
    assert!(run.code < 2, "{}", run.stderr);
    run.json()
}

#[test]
fn the_page_is_a_form_that_works_without_script_under_a_strict_policy() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let page = serve.get("/");
    assert_eq!(page.status, 200);
    let html = page.text();
    for needed in [
        "<form class=\"check\" method=\"post\" action=\"/check\" enctype=\"multipart/form-data\">",
        "<label for=\"input\">",
        "<textarea id=\"input\" name=\"input\"",
        "<input type=\"file\" id=\"files\" name=\"files\" multiple",
        "<label for=\"ios\">",
        "<select id=\"device\" name=\"device\">",
        "<label for=\"udid\">",
        "<label for=\"symptom\">",
        "<button type=\"submit\" id=\"submit\">Check</button>",
        "role=\"status\"",
    ] {
        assert!(html.contains(needed), "{needed} not in the page");
    }
    // the policy allows exactly the page's own script and style, by hash; nothing else
    // the operator's log: one line per request, no body, no query string
    let token = "3f1c0e0c9a7d4b2e8f6a5d4c3b2a1908";
    let _ = http(serve.addr, "GET", &format!("/nothing?secret={token}"), &[], b"");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = serve.log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    let words: Vec<&str> = lines[0].split(' ').collect();
    assert!(
        time::OffsetDateTime::parse(words[0], &time::format_description::well_known::Rfc3339).is_ok(),
        "{log}"
    );
    assert_eq!(words[1..5], ["127.0.0.1", "GET", "/", "200"], "{log}");
    assert!(lines[1].contains(" GET /nothing 404 ") && !log.contains(token), "{log}");
    let csp = page.header("content-security-policy").expect("CSP").to_string();
    let inline = |open: &str, close: &str| {
        let start = html.find(open).expect(open) + open.len();
        let end = start + html[start..].find(close).expect(close);
        html[start..end].to_string()
    };
    for (open, close, directive) in [
        ("<script>", "</script>", "script-src"),
        ("<style>", "</style>", "style-src"),
    ] {
        let digest = ring::digest::digest(&ring::digest::SHA256, inline(open, close).as_bytes());
        use base64::Engine as _;
        let hash = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
        );
        let allowed = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with(directive))
            .expect(directive);
        assert_eq!(allowed, format!("{directive} {hash}"), "{csp}");
        assert_eq!(html.matches(open).count(), 1);
    }
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(serve.get("/nothing").status, 404);
    assert_eq!(http(serve.addr, "GET", "/api/check", &[], b"").status, 405);
}

#[test]
fn the_api_returns_what_check_format_json_returns() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let link = site.link();
    let reply = serve.api(&json!({ "input": link, "ios": "17.4", "symptom": "Unable to Download App" }));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let served = reply.json();
    assert_eq!(served["schema_version"], 1);
    let cli = cli_json(
        &site,
        &["--ios", "17.4", "--symptom", "Unable to Download App", "-"],
        &link,
    );
    assert_eq!(without_timings(&served), without_timings(&cli));
    assert_eq!(reply.header("otadoctor-exit-code"), Some("0"));
    // a broken site: the same findings, and the exit code 1 in the header
    site.lab
        .route(Site::PACKAGE, Route::status(404, "text/html", "<h1>gone</h1>"));
    let reply = serve.api(&json!({ "input": link }));
    let cli = cli_json(&site, &["-"], &link);
    assert_eq!(without_timings(&reply.json()), without_timings(&cli));
    assert_eq!(reply.header("otadoctor-exit-code"), Some("1"));
    let codes = support::Run {
        code: 1,
        stdout: reply.text(),
        stderr: String::new(),
    }
    .codes();
    assert!(codes.contains(&"HTTP001".to_string()), "{codes:?}");
}

#[test]
fn an_uploaded_manifest_is_checked_under_its_own_name_and_removed_after() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let manifest = site.manifest_text();
    let reply = serve.multipart(
        "/api/check",
        &[("device", "iphone")],
        &[("manifest.plist", manifest.as_bytes())],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let served = reply.json();
    assert_eq!(served["results"][0]["input"], "manifest.plist");
    // the command line on the same file, named the same
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.plist");
    std::fs::write(&path, &manifest).unwrap();
    let cli = cli_json(&site, &["--device", "iphone", &path.display().to_string()], "");
    let mut cli = without_timings(&cli);
    let shown = path.display().to_string();
    let text = serde_json::to_string(&cli).unwrap().replace(&shown, "manifest.plist");
    cli = serde_json::from_str(&text).unwrap();
    assert_eq!(without_timings(&served), cli);
    assert!(
        !reply.text().contains(&serve.tmp.path().display().to_string()),
        "the server's folder shows"
    );
    assert!(serve.leftovers().is_empty(), "uploads left: {:?}", serve.leftovers());
}

#[test]
fn an_uploaded_package_and_manifest_are_checked_together_as_the_command_line_does() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    // a real IPA of 3 MiB, read in place (through ranges on the upload), and a manifest saved
    // under another name (recognised by its content)
    let ipa = support::lab::package(3 * 1024 * 1024);
    let reply = serve.multipart(
        "/api/check",
        &[("udid", "00008110-000A1C2E3F45801E")],
        &[("Field.ipa", &ipa), ("install.html", site.manifest_text().as_bytes())],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let served = reply.json();
    let dir = tempfile::tempdir().unwrap();
    let (ipa_path, other) = (dir.path().join("Field.ipa"), dir.path().join("install.html"));
    std::fs::write(&ipa_path, &ipa).unwrap();
    std::fs::write(&other, site.manifest_text()).unwrap();
    let cli = cli_json(
        &site,
        &[
            "--udid",
            "00008110-000A1C2E3F45801E",
            &ipa_path.display().to_string(),
            &other.display().to_string(),
        ],
        "",
    );
    let shown = format!("{}/", dir.path().display());
    let cli: serde_json::Value = serde_json::from_str(
        &serde_json::to_string(&without_timings(&cli))
            .unwrap()
            .replace(&shown, ""),
    )
    .unwrap();
    assert_eq!(without_timings(&served), cli);
    assert_eq!(served["results"][0]["input"], "Field.ipa");
    assert_eq!(served["results"][0]["kind"], "package");
    let package = &served["results"][0]["facts"]["walks"][0]["package"];
    assert!(package["bytes"].as_u64().unwrap() > 3_000_000, "{package}");
    assert!(
        package["bytes_read"].as_u64().unwrap() < 1_000_000,
        "read in place, not whole: {package}"
    );
    assert!(serve.leftovers().is_empty(), "uploads left: {:?}", serve.leftovers());
}

#[test]
fn nothing_in_a_request_is_read_as_a_local_file() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("secret.plist");
    std::fs::write(
        &secret,
        support::lab::manifest("https://x.invalid/SECRET.ipa", "", "", "com.secret.app", "SECRET-TITLE"),
    )
    .unwrap();
    let path = secret.display().to_string();
    for body in [
        json!({ "input": path }),
        json!({ "input": format!("file://{path}") }),
        json!({ "input": format!("itms-services://?action=download-manifest&url=file://{path}") }),
        json!({ "input": "x", "files": [{ "name": path, "content": "aXRtcy1zZXJ2aWNlczovLw==" }] }),
    ] {
        let reply = serve.api(&body);
        let text = reply.text();
        assert!(!text.contains("SECRET"), "{body}: {text}");
        assert!(!text.contains("com.secret.app"), "{body}: {text}");
    }
    // a file named like a path is kept under its last component
    let reply =
        serve.api(&json!({ "files": [{ "name": "../../../etc/passwd", "content": "aXRtcy1zZXJ2aWNlczovLw==" }] }));
    assert!(!reply.text().contains("root:"), "{}", reply.text());
}

#[test]
fn bad_requests_get_clear_answers() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let empty = serve.api(&json!({ "input": "  " }));
    assert_eq!(empty.status, 400);
    assert!(empty.json()["error"].as_str().unwrap().starts_with("nothing to check"));
    let unknown = serve.api(&json!({ "input": site.link(), "deadline": "9999" }));
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("unknown field"), "{}", unknown.text());
    let ios = serve.api(&json!({ "input": site.link(), "ios": "seventeen" }));
    assert_eq!(ios.status, 400, "{}", ios.text());
    assert!(ios.text().contains("--ios"), "{}", ios.text());
    // an option smuggled in a value stays a value
    let smuggled = serve.api(&json!({ "input": site.link(), "symptom": "x --offline --ca-file=/etc/passwd" }));
    assert_eq!(smuggled.status, 200, "{}", smuggled.text());
    let xml = http(
        serve.addr,
        "POST",
        "/api/check",
        &[("Content-Type", "application/xml")],
        b"<x/>",
    );
    assert_eq!(xml.status, 415);
    let not_json = http(
        serve.addr,
        "POST",
        "/api/check",
        &[("Content-Type", "application/json")],
        b"{",
    );
    assert_eq!(not_json.status, 400);
}

#[test]
fn a_plain_text_body_is_the_text_box() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let ticket = format!("Hi, the install link {} does nothing. Thanks", site.link());
    let reply = http(
        serve.addr,
        "POST",
        "/api/check",
        &[("Content-Type", "text/plain; charset=utf-8")],
        ticket.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let cli = cli_json(&site, &["-"], &ticket);
    assert_eq!(without_timings(&reply.json()), without_timings(&cli));
    // more text than a text input may hold: said as such
    let big = vec![b'a'; 17 * 1024 * 1024];
    let reply = http(
        serve.addr,
        "POST",
        "/api/check",
        &[("Content-Type", "text/plain")],
        &big,
    );
    assert_eq!(reply.status, 413);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("the text is larger than 16 MiB")
    );
}

#[test]
fn uploads_over_the_cap_are_refused_before_they_are_read_whole() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &["--max-upload=1"]);
    let big = vec![b'a'; 2 * 1024 * 1024];
    // announced too large: refused on the head
    let reply = serve.multipart("/api/check", &[], &[("App.ipa", &big)]);
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert!(reply.json()["error"].as_str().unwrap().contains("1 MiB"));
    // not announced (chunked): refused when the count passes the cap
    let (content_type, body) = support::serve::multipart(&[], &[("App.ipa", &big)]);
    let mut chunked = Vec::new();
    for chunk in body.chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = http(
        serve.addr,
        "POST",
        "/api/check",
        &[
            ("Content-Type", &content_type),
            ("Transfer-Encoding", "chunked"),
            ("Content-Length", ""),
        ],
        &chunked,
    );
    assert!(
        reply.status == 413 || reply.status == 400,
        "{} {}",
        reply.status,
        reply.text()
    );
    // the form page says it as a page
    let reply = serve.multipart("/check", &[], &[("App.ipa", &big)]);
    assert_eq!(reply.status, 413);
    assert!(reply.text().contains("<p role=\"alert\">"), "{}", reply.text());
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(serve.leftovers().is_empty(), "uploads left: {:?}", serve.leftovers());
}

#[test]
fn each_client_gets_its_rate_and_no_more() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &["--rate=2"]);
    let link = site.link();
    assert_eq!(serve.api(&json!({ "input": link })).status, 200);
    assert_eq!(serve.api(&json!({ "input": link })).status, 200);
    let third = serve.api(&json!({ "input": link }));
    assert_eq!(third.status, 429, "{}", third.text());
    let retry: u64 = third.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(third.json()["error"].as_str().unwrap().contains("too many checks"));
    // the page is still served
    assert_eq!(serve.get("/").status, 200);
}

#[test]
fn a_client_runs_no_more_checks_at_once_than_allowed() {
    let site = Site::correct(HOST);
    // the manifest takes 2 s to answer: the first check is still running when the second comes
    site.lab.route(
        Site::MANIFEST,
        Route {
            first_byte_delay: std::time::Duration::from_secs(2),
            ..Route::ok("text/xml", site.manifest_text().into_bytes())
        },
    );
    let serve = serve_for(&site, &["--client-runs=1"]);
    let link = site.link();
    let addr = serve.addr;
    let first = std::thread::spawn(move || {
        http(
            addr,
            "POST",
            "/api/check",
            &[("Content-Type", "application/json")],
            json!({ "input": link }).to_string().as_bytes(),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let second = serve.api(&json!({ "input": site.link() }));
    assert_eq!(second.status, 429, "{}", second.text());
    assert!(
        second.text().contains("already has as many checks running"),
        "{}",
        second.text()
    );
    assert_eq!(first.join().unwrap().status, 200);
    assert_eq!(serve.api(&json!({ "input": site.link() })).status, 200);
}

#[test]
fn a_token_is_required_when_a_token_file_is_given() {
    let site = Site::correct(HOST);
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "# support desk\n3f1c0e0c9a7d4b2e8f6a5d4c3b2a1908\n").unwrap();
    let serve = serve_for(&site, &[&format!("--token-file={}", tokens.display())]);
    let page = serve.get("/");
    assert_eq!(page.status, 401);
    assert!(
        page.header("www-authenticate")
            .unwrap()
            .starts_with("Basic realm=\"otadoctor\"")
    );
    let body = json!({ "input": site.link() }).to_string();
    let with = |auth: &str| {
        http(
            serve.addr,
            "POST",
            "/api/check",
            &[("Content-Type", "application/json"), ("Authorization", auth)],
            body.as_bytes(),
        )
    };
    assert_eq!(with("Bearer 3f1c0e0c9a7d4b2e8f6a5d4c3b2a1908").status, 200);
    assert_eq!(with("Bearer 3f1c0e0c9a7d4b2e8f6a5d4c3b2a1909").status, 401);
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode("desk:3f1c0e0c9a7d4b2e8f6a5d4c3b2a1908");
    let page = http(
        serve.addr,
        "GET",
        "/",
        &[("Authorization", &format!("Basic {basic}"))],
        b"",
    );
    assert_eq!(page.status, 200);
    // a short token is refused at start
    std::fs::write(&tokens, "short\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            &format!("--token-file={}", tokens.display()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16 characters"));
}

#[test]
fn a_post_from_another_site_is_refused() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let body = json!({ "input": site.link() }).to_string();
    for headers in [
        vec![("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "cross-site")],
    ] {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend(headers);
        let reply = http(serve.addr, "POST", "/api/check", &all, body.as_bytes());
        assert_eq!(reply.status, 403, "{}", reply.text());
    }
    let origin = format!("http://{}", serve.addr);
    let same = http(
        serve.addr,
        "POST",
        "/api/check",
        &[
            ("Content-Type", "application/json"),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        body.as_bytes(),
    );
    assert_eq!(same.status, 200, "{}", same.text());
}

#[test]
fn the_form_without_script_answers_with_the_report_or_its_permalink() {
    let site = Site::correct(HOST);
    let serve = serve_for(&site, &[]);
    let reply = serve.multipart("/check", &[("input", &site.link())], &[]);
    assert_eq!(reply.status, 200);
    let html = reply.text();
    assert!(html.contains("<nav aria-label=\"otadoctor serve\"><a href=\"/\">← New check</a></nav>"));
    // the correct site: only info findings (its private root, an ad hoc build)
    assert!(html.contains("data-verdict=\"clean\""), "{html}");
    assert_eq!(
        reply.header("content-security-policy"),
        Some(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    );
    // kept: the answer is a redirect to the permalink, which can be read again
    let kept = serve_for(&site, &["--keep-reports=1h"]);
    let reply = kept.multipart("/check", &[("input", &site.link())], &[]);
    assert_eq!(reply.status, 303);
    let location = reply.header("location").unwrap().to_string();
    assert!(location.starts_with("/r/") && location.len() == 35, "{location}");
    for _ in 0..2 {
        let report = kept.get(&location);
        assert_eq!(report.status, 200);
        assert!(report.text().contains(&format!("permalink <a href=\"{location}\">")));
    }
    assert_eq!(kept.get("/r/00000000000000000000000000000000").status, 404);
}

#[test]
fn a_started_run_shows_progress_and_its_report_once() {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::MANIFEST,
        Route {
            first_byte_delay: std::time::Duration::from_millis(1500),
            ..Route::ok("text/xml", site.manifest_text().into_bytes())
        },
    );
    let serve = serve_for(&site, &[]);
    let reply = serve.multipart("/api/runs", &[("input", &site.link())], &[]);
    assert_eq!(reply.status, 202, "{}", reply.text());
    let run = reply.json();
    let status = run["status"].as_str().unwrap().to_string();
    let mut progress = Vec::new();
    let report = loop {
        let now = serve.get(&status).json();
        match now["state"].as_str().unwrap() {
            "running" => progress.push(now["progress"].as_str().unwrap_or_default().to_string()),
            "done" => break now["report"].as_str().unwrap().to_string(),
            other => panic!("{other}: {now}"),
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        progress
            .iter()
            .any(|p| p.contains("GET https://") && p.contains("manifest.plist")),
        "{progress:?}"
    );
    let first = serve.get(&report);
    assert_eq!(first.status, 200);
    assert!(first.text().contains("<svg"), "the report has its pictures");
    assert_eq!(serve.get(&report).status, 404, "a report is shown once");
}

// ---- the network guard, through the server

/// The server's options that send every request but the lab's to a refusing proxy on loopback
/// (`names` and loopback reached directly): if the guard let an address through that it should
/// refuse, the request would end at the proxy, which the test then sees, not on the network.
fn behind_a_sink(sink: &support::browser::Sink, names: &[&str]) -> Vec<String> {
    let mut direct = vec!["127.0.0.1", "::1", "localhost"];
    direct.extend_from_slice(names);
    vec![
        format!("--proxy={}", sink.url()),
        format!("--no-proxy={}", direct.join(",")),
    ]
}

/// The API's verdict on `input`: the JSON report.
fn refused(serve: &Serve, input: &str) -> serde_json::Value {
    let reply = serve.api(&json!({ "input": input }));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn errors_of(doc: &serde_json::Value) -> Vec<String> {
    let mut errors = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(e) = m.get("error").filter(|e| !e.is_null()) {
                    out.push(e.to_string());
                }
                m.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(doc, &mut errors);
    errors
}

#[test]
fn private_loopback_link_local_and_metadata_addresses_are_refused() {
    let site = Site::correct(HOST);
    let sink = support::browser::Sink::start().unwrap();
    let proxy = behind_a_sink(&sink, &[HOST]);
    let serve = serve_for(&site, &[&proxy[0], &proxy[1]]);
    let port = site.lab.addr.port();
    let before = site.lab.connections();
    for (url, words) in [
        (format!("https://127.0.0.1:{port}/app/manifest.plist"), "loopback"),
        ("https://10.1.2.3/app/manifest.plist".to_string(), "private"),
        ("https://169.254.169.254/latest/meta-data/".to_string(), "metadata"),
        (format!("https://[::1]:{port}/app/manifest.plist"), "loopback"),
        (
            format!("https://[::ffff:127.0.0.1]:{port}/app/manifest.plist"),
            "loopback",
        ),
        ("https://168.63.129.16/machine".to_string(), "metadata"),
    ] {
        let link = otadoctor::check::repair::canonical_link(&url);
        let doc = refused(&serve, &link);
        let errors = errors_of(&doc).join("\n");
        assert!(
            errors.contains("\"kind\":\"refused\"") && errors.contains(words),
            "{url}: {errors}\n{doc:#}"
        );
        let codes = support::Run {
            code: 0,
            stdout: doc.to_string(),
            stderr: String::new(),
        }
        .codes();
        assert!(
            !codes.iter().any(|c| c == "NET003" || c == "NET001"),
            "{url}: {codes:?}"
        );
    }
    assert_eq!(site.lab.connections(), before, "a refused address was connected to");
    assert_eq!(sink.seen(), Vec::<String>::new(), "a refused address was asked for");
}

#[test]
fn a_name_that_resolves_to_a_private_address_is_refused() {
    let site = Site::correct(HOST);
    site.lab.dns_answer("ota.public-looking.example", Ipv4Addr::LOCALHOST);
    // no pin for this name: the lab's DNS server answers it with 127.0.0.1
    let sink = support::browser::Sink::start().unwrap();
    let mut args = vec![
        format!("--dns-server={}", site.lab.dns),
        format!("--ca-file={}", site.lab.pki.root_file()),
        format!("--now={NOW}"),
    ];
    args.extend(behind_a_sink(&sink, &["ota.public-looking.example"]));
    let serve = Serve::start(&args);
    let url = format!(
        "https://ota.public-looking.example:{}/app/manifest.plist",
        site.lab.addr.port()
    );
    let before = site.lab.connections();
    let doc = refused(&serve, &otadoctor::check::repair::canonical_link(&url));
    let errors = errors_of(&doc).join("\n");
    assert!(
        errors.contains("\"kind\":\"refused\"") && errors.contains("127.0.0.1"),
        "{errors}\n{doc:#}"
    );
    assert_eq!(site.lab.connections(), before);
    assert_eq!(sink.seen(), Vec::<String>::new());
    // allowed: the same link is fetched
    let allowed = Serve::start(&[
        format!("--dns-server={}", site.lab.dns),
        format!("--ca-file={}", site.lab.pki.root_file()),
        format!("--now={NOW}"),
        "--allow-private=127.0.0.0/8".to_string(),
    ]);
    let doc = refused(&allowed, &otadoctor::check::repair::canonical_link(&url));
    assert!(!errors_of(&doc).join("\n").contains("refused"), "{doc:#}");
    assert!(site.lab.connections() > before);
}

#[test]
fn a_redirect_from_an_allowed_host_to_a_private_one_is_refused() {
    let site = Site::correct(HOST);
    site.lab
        .route("/go", Route::redirect(302, "https://10.20.30.40/app/manifest.plist"));
    let sink = support::browser::Sink::start().unwrap();
    let proxy = behind_a_sink(&sink, &[HOST]);
    let serve = serve_for(&site, &[&proxy[0], &proxy[1]]);
    let doc = refused(&serve, &otadoctor::check::repair::canonical_link(&site.url("/go")));
    let errors = errors_of(&doc).join("\n");
    assert!(
        errors.contains("\"kind\":\"refused\"") && errors.contains("10.20.30.40"),
        "{errors}\n{doc:#}"
    );
    assert!(
        site.lab.requests().iter().any(|r| r.path == "/go"),
        "the first hop is fetched"
    );
    assert_eq!(sink.seen(), Vec::<String>::new(), "the refused hop was asked for");
}

#[test]
fn allowed_ranges_are_fetched() {
    let site = Site::correct(HOST);
    let port = site.lab.addr.port();
    let url = format!("https://127.0.0.1:{port}/app/manifest.plist");
    let link = otadoctor::check::repair::canonical_link(&url);
    let serve = serve_for(&site, &["--allow-private=127.0.0.1/32, ::1"]);
    let before = site.lab.requests().len();
    let doc = refused(&serve, &link);
    assert!(!errors_of(&doc).join("\n").contains("refused"), "{doc:#}");
    assert!(site.lab.requests().len() > before);
    assert!(
        serve.banner.iter().any(|l| l.contains("127.0.0.1/32")),
        "{:?}",
        serve.banner
    );
    // a bad range is said at start
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args(["serve", "--listen", "127.0.0.1:0", "--allow-private", "10.0.0.0/33"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-private"));
}
