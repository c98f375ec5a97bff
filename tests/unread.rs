//! Unread means not fine: when a hostile server keeps the manifest or the package from being
//! read, the run ends with exit code 1 and an error that names the resource and the real cause —
//! never "no problems". Every test goes through the CLI entry point against the test lab.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::lab::{Route, Site, package};
use support::otadoctor_args;

const HOST: &str = "ota.acme-apps.test";

fn run_with(site: &Site, input: String, extra: &[&str]) -> (support::Run, Duration) {
    let mut args = site.args(extra);
    args.push(input);
    let start = Instant::now();
    let run = otadoctor_args(&args);
    (run, start.elapsed())
}

fn run(site: &Site, extra: &[&str]) -> (support::Run, Duration) {
    run_with(site, site.link(), extra)
}

fn findings(run: &support::Run) -> Vec<Value> {
    run.json()["results"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The error findings about `resource` (`manifest`, `package`): its subject, or a per-host
/// finding that lists it among the resources it cost.
fn errors_about(run: &support::Run, resource: &str) -> Vec<Value> {
    let kind = if resource == "package" {
        "software-package"
    } else {
        resource
    };
    findings(run)
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .filter(|f| {
            f["resource"] == resource
                || f["evidence"]["resources"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|v| v == resource || v == kind))
        })
        .collect()
}

/// The one error finding with `code` about `resource`; panics with the run's output otherwise.
fn error(run: &support::Run, code: &str, resource: &str) -> Value {
    errors_about(run, resource)
        .into_iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} error about the {resource}:\n{}", run.stdout))
}

fn walk(run: &support::Run) -> Value {
    run.json()["results"][0]["facts"]["walks"][0].clone()
}

fn manifest_exchange(run: &support::Run) -> Value {
    walk(run)["manifest"]["exchanges"][0].clone()
}

fn message(finding: &Value) -> String {
    finding["message"].as_str().unwrap_or_default().to_string()
}

/// A head: the status line, then `headers`, then the blank line.
fn head(status_line: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!("{status_line}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[test]
fn a_head_of_ten_thousand_headers_is_a_broken_answer_not_no_problems() {
    let site = Site::correct(HOST);
    let mut raw = head("HTTP/1.1 200 OK", &[("content-type", "text/xml".to_string())]);
    raw.truncate(raw.len() - 2);
    for i in 0..10_000 {
        raw.extend_from_slice(format!("x-filler-{i}: {i}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(site.manifest_text().as_bytes());
    site.lab.route(Site::MANIFEST, Route::raw(raw));
    let (run, took) = run(&site, &["--timeout", "3"]);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let finding = error(&run, "NET003", "manifest");
    let text = message(&finding);
    assert!(text.contains("not valid HTTP") && text.contains("too large"), "{text}");
    assert_eq!(manifest_exchange(&run)["error"]["kind"], "invalid-response");
}

#[test]
fn a_hundred_megabyte_header_line_is_cut_at_the_head_cap() {
    let site = Site::correct(HOST);
    // the header line never ends: filler for ever after its name (more than 100 MB if read)
    let raw = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\nx-huge: ".to_vec();
    site.lab.route(Site::MANIFEST, Route::raw(raw).endless());
    let (run, took) = run(&site, &["--timeout", "3"]);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "NET003", "manifest"));
    assert!(text.contains("not valid HTTP") && text.contains("too large"), "{text}");
}

#[test]
fn an_invalid_status_line_is_a_broken_answer() {
    let site = Site::correct(HOST);
    let mut raw = head("HTTP/1.1 2000 Fine", &[("content-type", "text/xml".to_string())]);
    raw.extend_from_slice(site.manifest_text().as_bytes());
    site.lab.route(Site::MANIFEST, Route::raw(raw));
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "NET003", "manifest"));
    assert!(text.contains("not valid HTTP") && text.contains("status"), "{text}");
}

#[test]
fn two_different_content_lengths_are_a_broken_answer() {
    let site = Site::correct(HOST);
    let manifest = site.manifest_text();
    let mut raw = head(
        "HTTP/1.1 200 OK",
        &[
            ("content-type", "text/xml".to_string()),
            ("content-length", manifest.len().to_string()),
            ("content-length", (manifest.len() + 7).to_string()),
        ],
    );
    raw.extend_from_slice(manifest.as_bytes());
    site.lab.route(Site::MANIFEST, Route::raw(raw));
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "NET003", "manifest"));
    assert!(
        text.contains("not valid HTTP") && text.contains("Content-Length"),
        "{text}"
    );
}

#[test]
fn a_body_cut_short_is_a_broken_connection_not_a_tls_failure() {
    for abrupt in [false, true] {
        let site = Site::correct(HOST);
        let mut raw = head(
            "HTTP/1.1 200 OK",
            &[
                ("content-type", "text/xml".to_string()),
                ("content-length", "100000".to_string()),
            ],
        );
        raw.extend_from_slice(b"<?xml vers");
        let route = if abrupt {
            Route::raw(raw).without_close_notify()
        } else {
            Route::raw(raw)
        };
        site.lab.route(Site::MANIFEST, route);
        let (run, _) = run(&site, &["--timeout", "3"]);
        assert_eq!(run.code, 1, "close_notify sent: {}\n{}", !abrupt, run.stdout);
        let text = message(&error(&run, "NET003", "manifest"));
        assert!(text.contains("10 of 100000 bytes"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("handshake"), "{text}");
        let exchange = manifest_exchange(&run);
        assert_eq!(exchange["error"]["kind"], "body-cut-short", "{exchange}");
        assert_eq!(exchange["body_bytes"], 10);
        assert!(!run.stdout.contains("TLS handshake failed"), "{}", run.stdout);
    }
}

#[test]
fn an_http_1_0_body_ended_by_a_close_without_close_notify_is_read_as_the_device_reads_it() {
    let site = Site::correct(HOST);
    let mut raw = head("HTTP/1.0 200 OK", &[("content-type", "text/xml".to_string())]);
    raw.extend_from_slice(site.manifest_text().as_bytes());
    site.lab.route(Site::MANIFEST, Route::raw(raw).without_close_notify());
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let walk = walk(&run);
    assert_eq!(
        walk["document"]["document"]["items"][0]["metadata"]["bundle-identifier"], "com.acme.field",
        "{walk}"
    );
    let exchange = &walk["manifest"]["exchanges"][0];
    assert!(exchange["error"].is_null(), "{exchange}");
    assert_eq!(exchange["closed_without_close_notify"], true, "{exchange}");
    assert!(
        walk["package"]["bundles"][0]["info_plist"].is_object(),
        "the walk went on"
    );
}

#[test]
fn a_package_head_with_an_invalid_header_is_a_broken_answer() {
    let site = Site::correct(HOST);
    let bad_head = head(
        "HTTP/1.1 200 OK",
        &[
            ("content-length", "262144".to_string()),
            ("bad header", "x".to_string()),
        ],
    );
    site.lab.route(
        Site::PACKAGE,
        Route::ok("application/octet-stream", package(256 * 1024)).answer_head_with(Route::raw(bad_head)),
    );
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "NET003", "package"));
    assert!(text.contains("not valid HTTP") && text.contains("header"), "{text}");
    let head = &walk(&run)["assets"][0]["head"]["exchanges"][0];
    assert_eq!(head["error"]["kind"], "invalid-response", "{head}");
}

#[test]
fn a_package_get_with_an_invalid_header_is_a_broken_answer_and_the_package_is_not_read() {
    let site = Site::correct(HOST);
    let mut bad = head(
        "HTTP/1.1 206 Partial Content",
        &[
            ("content-range", "bytes 0-9/10".to_string()),
            ("bad header", "x".to_string()),
        ],
    );
    bad.extend_from_slice(b"PK\x03\x04xxxxxx");
    site.lab.route(
        Site::PACKAGE,
        Route::raw(bad).answer_head_with(Route::ok("application/octet-stream", package(256 * 1024))),
    );
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "NET003", "package"));
    assert!(text.contains("not valid HTTP") && text.contains("header"), "{text}");
    assert!(walk(&run)["package"].is_null() || walk(&run)["package"]["error"].is_object());
}

#[test]
fn a_redirect_to_a_file_url_is_an_error_and_never_read() {
    let site = Site::correct(HOST);
    site.lab
        .route(Site::MANIFEST, Route::redirect(302, "file:///etc/passwd"));
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let finding = error(&run, "HTTP003", "manifest");
    assert!(message(&finding).contains("file:///etc/passwd"), "{finding}");
    let fix = finding["fix"].as_str().unwrap_or_default();
    assert!(
        !fix.contains(&format!("directly: {}", site.url(Site::MANIFEST))),
        "the fix must not send the user back to the URL that redirects: {fix}"
    );
    let exchanges = walk(&run)["manifest"]["exchanges"].as_array().map(Vec::len);
    assert_eq!(exchanges, Some(1), "the redirect is not followed");
    assert!(!run.stdout.contains("root:x:0:0"), "/etc/passwd must never be read");
    // the human report says it too
    let mut args = site.lab.args(&[HOST]);
    args.extend(["--timeout".to_string(), "3".to_string(), site.link()]);
    let human = otadoctor_args(&args);
    assert_eq!(human.code, 1);
    assert!(human.stdout.contains("error[HTTP003 redirect]"), "{}", human.stdout);
    assert!(!human.stdout.contains("root:x:0:0"));
}

#[test]
fn a_head_that_trickles_in_is_reported_as_such_within_one_timeout() {
    let site = Site::correct(HOST);
    let raw = head(
        "HTTP/1.1 200 OK",
        &[("content-type", "text/xml".to_string()), ("x-slow", "a".repeat(200))],
    );
    site.lab
        .route(Site::MANIFEST, Route::raw(raw).trickle(Duration::from_millis(100)));
    let (run, took) = run(&site, &["--timeout", "2"]);
    assert!(
        took < Duration::from_millis(3500),
        "one --timeout for the head, took {took:?}"
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "NET004", "manifest"));
    assert!(!text.contains("first byte"), "bytes did arrive: {text}");
    assert!(text.contains("response headers"), "{text}");
}

#[test]
fn a_range_answer_for_another_range_is_refused_by_the_package_reader() {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::PACKAGE,
        Route::ok("application/octet-stream", package(256 * 1024)).wrong_content_range(1000),
    );
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = message(&error(&run, "IPA001", "package"));
    assert!(text.contains("Content-Range"), "{text}");
}

#[test]
fn a_gzip_encoded_manifest_is_decoded_as_the_installer_decodes_it() {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::MANIFEST,
        Route::ok("text/xml", gzip(site.manifest_text().as_bytes())).header("content-encoding", "gzip"),
    );
    let (run, _) = run(&site, &["--timeout", "3"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.codes(), ["SIG013", "TLS005"], "as the correct site");
    let walk = walk(&run);
    assert_eq!(
        walk["document"]["document"]["items"][0]["metadata"]["bundle-identifier"],
        "com.acme.field"
    );
}

#[test]
fn a_gzip_bomb_manifest_is_cut_at_the_manifest_cap() {
    let site = Site::correct(HOST);
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 200 * 1024);
    site.lab.route(
        Site::MANIFEST,
        Route::ok("text/xml", bomb).header("content-encoding", "gzip"),
    );
    let (run, took) = run(&site, &["--timeout", "3"]);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(run.code, 1, "{}", run.stdout);
    error(&run, "HTTP013", "manifest");
    let exchange = manifest_exchange(&run);
    assert_eq!(exchange["body_bytes"].as_u64(), Some(1024 * 1024 + 1), "{exchange}");
}

/// Every way the lab can keep a manifest from being read: the run either read it, or ends with
/// exit code 1 and an error about the manifest.
#[test]
fn no_hostile_manifest_route_ends_in_no_problems() {
    let site = Site::correct(HOST);
    let manifest = site.manifest_text();
    let ok = || Route::ok("text/xml", manifest.clone());
    let raw_manifest = |status_line: &str, headers: &[(&str, String)]| {
        let mut raw = head(status_line, headers);
        raw.extend_from_slice(manifest.as_bytes());
        raw
    };
    let routes: Vec<(&str, Route)> = vec![
        ("correct", ok()),
        ("trickled body", ok().trickle(Duration::from_millis(300))),
        ("endless body", Route::ok("text/xml", "").endless()),
        ("no length", ok().no_length()),
        ("no length, no close_notify", ok().no_length().without_close_notify()),
        ("first byte late", ok().delay(Duration::from_millis(2500))),
        ("404", Route::status(404, "text/html", "<html><body>no</body></html>")),
        ("500", Route::status(500, "text/plain", "boom")),
        ("302 to file:", Route::redirect(302, "file:///etc/passwd")),
        ("302 without Location", Route::status(302, "text/html", "<a>moved</a>")),
        ("raw: garbage", Route::raw(b"this is not HTTP at all\r\n\r\n".to_vec())),
        ("raw: empty", Route::raw(Vec::new())),
        (
            "raw: HTTP/2 preface",
            Route::raw(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()),
        ),
        ("raw: bad status", Route::raw(raw_manifest("HTTP/1.1 abc OK", &[]))),
        ("raw: bad version", Route::raw(raw_manifest("HTTX/1.1 200 OK", &[]))),
        (
            "raw: bad header",
            Route::raw(raw_manifest("HTTP/1.1 200 OK", &[("bad header", "x".to_string())])),
        ),
        (
            "raw: two lengths",
            Route::raw(raw_manifest(
                "HTTP/1.1 200 OK",
                &[
                    ("content-length", "10".to_string()),
                    ("content-length", "20".to_string()),
                ],
            )),
        ),
        (
            "raw: length not a number",
            Route::raw(raw_manifest(
                "HTTP/1.1 200 OK",
                &[("content-length", "lots".to_string())],
            )),
        ),
        (
            "raw: cut short",
            Route::raw(raw_manifest(
                "HTTP/1.1 200 OK",
                &[("content-length", "100000".to_string())],
            )),
        ),
        (
            "raw: cut short, no close_notify",
            Route::raw(raw_manifest(
                "HTTP/1.1 200 OK",
                &[("content-length", "100000".to_string())],
            ))
            .without_close_notify(),
        ),
        (
            "raw: chunked, cut short",
            Route::raw(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n400\r\n<?xml".to_vec()),
        ),
        (
            "raw: bad chunk size",
            Route::raw(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n<?xml\r\n0\r\n\r\n".to_vec()),
        ),
        (
            "raw: head trickled",
            Route::raw(raw_manifest("HTTP/1.1 200 OK", &[("x-slow", "a".repeat(100))]))
                .trickle(Duration::from_millis(100)),
        ),
        (
            "raw: head never ends",
            Route::raw(b"HTTP/1.1 200 OK\r\nx: ".to_vec()).endless(),
        ),
        (
            "raw: 10,000 headers",
            Route::raw({
                let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
                for i in 0..10_000 {
                    raw.extend_from_slice(format!("x-{i}: {i}\r\n").as_bytes());
                }
                raw.extend_from_slice(b"\r\n");
                raw
            }),
        ),
        (
            "gzip bomb",
            Route::ok("text/xml", gzip(&vec![b' '; 8 * 1024 * 1024])).header("content-encoding", "gzip"),
        ),
        ("gzip that is not gzip", ok().header("content-encoding", "gzip")),
        ("unknown encoding", ok().header("content-encoding", "zstd")),
    ];
    let mut wrong = Vec::new();
    for (name, route) in routes {
        site.lab.route(Site::MANIFEST, route);
        let (run, took) = run(&site, &["--timeout", "2"]);
        let read = walk(&run)["document"]["document"].is_object();
        let errors = errors_about(&run, "manifest");
        if took > Duration::from_secs(8) {
            wrong.push(format!("{name}: took {took:?}"));
        }
        if !read && (run.code != 1 || errors.is_empty()) {
            wrong.push(format!(
                "{name}: the manifest was not read, yet exit {} and no error about it ({:?})",
                run.code,
                run.codes()
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Every way the lab can keep the package's contents from being read: the run either read them,
/// or ends with exit code 1 and an error about the package.
#[test]
fn no_hostile_package_route_ends_in_no_problems() {
    let site = Site::correct(HOST);
    let ipa = package(256 * 1024);
    let ok = || Route::ok("application/octet-stream", ipa.clone());
    let routes: Vec<(&str, Route)> = vec![
        ("correct", ok()),
        ("no length", ok().no_length()),
        ("Range ignored", ok().no_ranges()),
        ("wrong range bytes", ok().wrong_range_bytes(1000)),
        ("wrong Content-Range", ok().wrong_content_range(1000)),
        ("trickled", ok().trickle(Duration::from_millis(300))),
        ("endless", Route::ok("application/octet-stream", "").endless()),
        ("first byte late", ok().delay(Duration::from_millis(2500))),
        ("404", Route::status(404, "text/html", "<html><body>no</body></html>")),
        ("not a zip", Route::ok("application/octet-stream", vec![b'x'; 64 * 1024])),
        ("302 to file:", Route::redirect(302, "file:///etc/passwd")),
        ("302 without Location", Route::status(302, "text/html", "<a>moved</a>")),
        (
            "HEAD: bad header",
            ok().answer_head_with(Route::raw(b"HTTP/1.1 200 OK\r\nbad header: x\r\n\r\n".to_vec())),
        ),
        ("GET: bad header", Route::raw(b"HTTP/1.1 206 OK\r\nbad header: x\r\n\r\n".to_vec()).answer_head_with(ok())),
        (
            "GET: cut short",
            Route::raw(b"HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-4095/262144\r\ncontent-length: 4096\r\n\r\nPK\x03\x04".to_vec())
                .answer_head_with(ok()),
        ),
    ];
    let mut wrong = Vec::new();
    for (name, route) in routes {
        site.lab.route(Site::PACKAGE, route);
        let (run, took) = run(&site, &["--timeout", "2"]);
        let walk = walk(&run);
        let read = walk["package"]["bundles"][0]["info_plist"].is_object() && walk["package"]["error"].is_null();
        let errors = errors_about(&run, "package");
        if took > Duration::from_secs(10) {
            wrong.push(format!("{name}: took {took:?}"));
        }
        if !read && (run.code != 1 || errors.is_empty()) {
            wrong.push(format!(
                "{name}: the package was not read, yet exit {} and no error about it ({:?})",
                run.code,
                run.codes()
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
