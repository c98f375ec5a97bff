//! The WebDriver client of tests/support/browser.rs, driving a real headless Chromium against a
//! small plain-HTTP server on 127.0.0.1 that this file runs: a form with a text area, a file
//! input, a checkbox and a submit button, whose POST answer echoes what arrived. With JavaScript
//! on, a script on the page sends the form itself and shows the answer in place; without, the
//! browser posts the form and shows the echo page. What the server received is checked too, so
//! typing and attaching are proven on the wire, not only in the DOM.

mod support;

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::browser::{Browser, ENTER, artifact_path};

/// One request the test server got.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    fields: Vec<Field>,
}

/// One part of a multipart/form-data body.
#[derive(Clone, Debug)]
struct Field {
    name: String,
    filename: Option<String>,
    bytes: Vec<u8>,
}

impl Received {
    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The test's web server: a thread answering on a loopback port, each connection on its own
/// thread, every request written down.
struct Site {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Site {
    fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        // the thread ends with the test process; nothing else connects to the port
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Site { port, received }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn posts(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == "POST")
            .cloned()
            .collect()
    }
}

/// The form. Its script marks the body, logs a console error, and on submit sends the form
/// with `fetch` (header `X-Sent-By: script`) and puts the answer in `#result`; `<noscript>`
/// shows only when scripts are off.
const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>driver form</title>
<style>body { font: 16px sans-serif; margin: 2em } label { display: block; margin: 1em 0 }
#result { border: 2px solid #36c; min-height: 3em; padding: 1em }</style></head>
<body>
<h1>Driver check</h1>
<noscript><p id="noscript">scripts are off</p></noscript>
<form id="form" method="post" action="/echo" enctype="multipart/form-data">
<label>Link <textarea id="link" name="link" rows="3" cols="60"></textarea></label>
<label>Package <input id="file" type="file" name="file"></label>
<label><input id="deep" type="checkbox" name="deep" value="yes"> deep</label>
<button id="go" type="submit">Check</button>
</form>
<svg id="dots" width="130" height="40" aria-hidden="true"><circle cx="20" cy="20" r="10"/>
<circle cx="60" cy="20" r="10"/><g><circle cx="100" cy="20" r="10"/></g></svg>
<div id="result"></div>
<script>
document.body.dataset.js = 'on';
console.error('the page script ran');
document.getElementById('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = document.getElementById('result');
  result.innerHTML = '<p id="progress">sending</p>';
  const answer = await fetch('/echo', { method: 'POST', body: new FormData(event.target), headers: { 'X-Sent-By': 'script' } });
  result.innerHTML = await answer.text();
  document.title = 'sent by script';
});
</script>
</body></html>
"#;

/// A page with a script a hostile manifest might have smuggled in, served with a Content
/// Security Policy that forbids it: the title stays, no alert opens, the console says why.
const CSP_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>inert</title></head><body><p id=\"hostile\">&lt;script&gt; as text</p><script>document.title = 'pwned'; alert(1);</script><img src=\"http://tracker.otadoctor-outside.invalid/pixel.png\" alt=\"\"></body></html>";

fn serve(mut stream: TcpStream, log: &Mutex<Vec<Received>>) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        assert!(data.len() < 64 << 10, "a head over 64 KiB");
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_string();
    let path = request_line.next().unwrap_or_default().to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(length < 1 << 20, "a body over 1 MiB");
    while data.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let body = &data[head_end..(head_end + length).min(data.len())];
    let fields = headers
        .get("content-type")
        .and_then(|t| t.split_once("boundary="))
        .map(|(_, b)| multipart(body, b.trim_matches('"')))
        .unwrap_or_default();
    let received = Received {
        method: method.clone(),
        path: path.clone(),
        headers,
        fields,
    };
    log.lock().unwrap().push(received.clone());
    let (status, page) = match (method.as_str(), path.as_str()) {
        ("GET", "/") => ("200 OK", FORM.to_string()),
        ("POST", "/echo") => ("200 OK", echo(&received)),
        ("GET", "/csp") => ("200 OK", CSP_PAGE.to_string()),
        _ => ("404 Not Found", "<!doctype html><title>not found</title>".to_string()),
    };
    // the page with the hostile script forbids scripts, as the HTML report does
    let csp = if path == "/csp" {
        "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
    } else {
        ""
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{csp}Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
}

/// The parts of a multipart/form-data body (binary-safe).
fn multipart(body: &[u8], boundary: &str) -> Vec<Field> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut starts = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&body[at..], &delimiter) {
        starts.push(at + i);
        at += i + delimiter.len();
    }
    starts
        .windows(2)
        .filter_map(|pair| {
            // a part: CRLF, headers, blank line, content, CRLF before the next delimiter
            let part = &body[pair[0] + delimiter.len() + 2..pair[1] - 2];
            let split = find(part, b"\r\n\r\n")?;
            let headers = String::from_utf8_lossy(&part[..split]).into_owned();
            let param = |key: &str| {
                let needle = format!("{key}=\"");
                headers
                    .split_once(&needle)
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(value, _)| value.to_string())
            };
            Some(Field {
                name: param("name")?,
                filename: param("filename"),
                bytes: part[split + 4..].to_vec(),
            })
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the echo answers: the link, the file's name and size, the checkbox, and who sent it.
/// A page of its own for the plain form post, a fragment for the script.
fn echo(received: &Received) -> String {
    let text = |name: &str| {
        received
            .field(name)
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
            .unwrap_or_else(|| "(none)".to_string())
    };
    let file = received.field("file");
    let by = if received.headers.contains_key("x-sent-by") {
        "script"
    } else {
        "form"
    };
    let list = format!(
        "<dl id=\"echo\" data-by=\"{by}\"><dt>link</dt><dd id=\"echo-link\">{}</dd><dt>file</dt><dd id=\"echo-file-name\">{}</dd><dd id=\"echo-file-size\">{}</dd><dt>deep</dt><dd id=\"echo-deep\">{}</dd></dl>",
        escape(&text("link")),
        // no file chosen: a part with an empty file name
        escape(
            file.and_then(|f| f.filename.as_deref())
                .filter(|n| !n.is_empty())
                .unwrap_or("(none)")
        ),
        file.map_or(0, |f| f.bytes.len()),
        escape(&text("deep")),
    );
    if by == "script" {
        list
    } else {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>echo</title></head><body>{list}</body></html>"
        )
    }
}

/// The link the tests type: an `&`, a `%`, and a non-ASCII letter, which must reach the server
/// byte for byte.
const LINK: &str =
    "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.example.test%2FF%C3%A4lt.plist Fältapp";
const FILE_NAME: &str = "Field App.ipa";
const FILE_SIZE: usize = 3000;

/// A package-like file of `FILE_SIZE` bytes, with CR LF and NUL in it, in a temp dir.
fn package_file(dir: &tempfile::TempDir) -> PathBuf {
    let bytes: Vec<u8> = (0..FILE_SIZE).map(|i| b"PK\x03\x04\r\n\0x"[i % 8]).collect();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The width and height a PNG's IHDR says.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (word(16), word(20))
}

#[test]
fn with_javascript_the_script_sends_the_form_and_shows_the_answer_in_place() {
    let Some(browser) = Browser::start() else { return };
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let file = package_file(&dir);

    browser.goto(&site.url("/")).unwrap();
    assert_eq!(browser.title().unwrap(), "driver form");
    assert_eq!(
        browser.attribute("body", "data-js").unwrap().as_deref(),
        Some("on"),
        "the script ran"
    );
    assert_eq!(browser.count("#noscript").unwrap(), 0, "noscript is not rendered");
    assert_eq!(browser.count("svg circle").unwrap(), 3, "SVG elements are counted");
    assert_eq!(browser.count("svg g > circle").unwrap(), 1);
    assert_eq!(browser.count(".nothing").unwrap(), 0);
    let found = browser.find("#go").unwrap();
    assert_eq!(browser.element_text(&found).unwrap(), "Check");
    assert_eq!(browser.find_all("label").unwrap().len(), 3);
    assert_eq!(browser.texts("label").unwrap(), ["Link", "Package", "deep"]);
    assert!(browser.source().unwrap().contains("id=\"dots\""));

    browser.type_into("#link", LINK).unwrap();
    assert_eq!(browser.value("#link").unwrap(), LINK);
    assert_eq!(
        browser.attribute("#link", "value").unwrap(),
        None,
        "typing sets no attribute"
    );
    browser.attach_file("#file", &file).unwrap();
    assert_eq!(
        browser.property("#file", "files").unwrap().as_array().map(Vec::len),
        Some(1)
    );
    assert!(!browser.selected("#deep").unwrap());
    browser.click("#deep").unwrap();
    assert!(browser.selected("#deep").unwrap());
    browser.submit("#form").unwrap();

    browser.wait_for("#echo", Duration::from_secs(10)).unwrap();
    browser
        .wait_for_text("#echo-link", "Fältapp", Duration::from_secs(1))
        .unwrap();
    assert_eq!(
        browser.attribute("#echo", "data-by").unwrap().as_deref(),
        Some("script")
    );
    assert_eq!(browser.text("#echo-link").unwrap(), LINK);
    assert_eq!(browser.text("#echo-file-name").unwrap(), FILE_NAME);
    assert_eq!(browser.text("#echo-file-size").unwrap(), FILE_SIZE.to_string());
    assert_eq!(browser.text("#echo-deep").unwrap(), "yes");
    // the page stayed: the script sent it, the browser did not navigate
    assert_eq!(browser.current_url().unwrap(), site.url("/"));
    assert_eq!(browser.title().unwrap(), "sent by script");

    // on the wire: one POST, by the script, with the link and the file's bytes as typed
    let posts = site.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].headers.get("x-sent-by").map(String::as_str), Some("script"));
    assert_eq!(posts[0].field("link").unwrap().bytes, LINK.as_bytes());
    let sent = posts[0].field("file").unwrap();
    assert_eq!(sent.filename.as_deref(), Some(FILE_NAME));
    assert_eq!(sent.bytes, std::fs::read(&file).unwrap());

    let errors = browser.console_errors().unwrap();
    assert!(errors.iter().any(|e| e.contains("the page script ran")), "{errors:?}");
    assert!(browser.console_errors().unwrap().is_empty(), "reading empties the log");

    let result = browser.find("#result").unwrap();
    let tag = browser.execute(
        "return arguments[0].tagName + ':' + arguments[1];",
        &[result.to_json(), 7.into()],
    );
    assert_eq!(tag.unwrap(), "DIV:7");
    assert_eq!(browser.alert_text().unwrap(), None);

    let shot = artifact_path("browser-form-javascript.png");
    let _ = std::fs::remove_file(&shot);
    let png = browser.screenshot(&shot).unwrap();
    assert_eq!(std::fs::read(&shot).unwrap(), png);
    let viewport = browser
        .execute("return [window.innerWidth, window.innerHeight];", &[])
        .unwrap();
    let (width, height) = png_size(&png);
    assert_eq!(
        serde_json::json!([width, height]),
        viewport,
        "the screenshot is the window"
    );
    assert_eq!(width, support::browser::WINDOW.0);
    assert!(png.len() > 5_000, "a page, not a blank: {} bytes", png.len());
    eprintln!("screenshot: {} ({} bytes, {width}×{height})", shot.display(), png.len());

    // the whole page, longer than the window
    browser
        .execute("document.body.style.minHeight = '3500px';", &[])
        .unwrap();
    let page = artifact_path("browser-form-full-page.png");
    let png = browser.full_page_screenshot(&page).unwrap();
    let (width, height) = png_size(&png);
    assert_eq!(width, support::browser::WINDOW.0);
    assert!(height > 3500, "{height}");
}

#[test]
fn without_javascript_the_browser_posts_the_form_and_shows_the_echo_page() {
    let Some(browser) = Browser::start_without_javascript() else {
        return;
    };
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let file = package_file(&dir);

    browser.goto(&site.url("/")).unwrap();
    assert_eq!(browser.attribute("body", "data-js").unwrap(), None, "no script ran");
    assert_eq!(browser.count("#noscript").unwrap(), 1, "noscript is rendered");
    assert_eq!(browser.text("#noscript").unwrap(), "scripts are off");
    // chromedriver's own scripts still run, and so do keys
    assert_eq!(browser.execute("return document.title;", &[]).unwrap(), "driver form");
    browser.press_tab().unwrap();
    assert_eq!(browser.active_element_attribute("id").unwrap().as_deref(), Some("link"));
    browser.type_into("#link", LINK).unwrap();
    browser.attach_file("#file", &file).unwrap();
    browser.submit("#go").unwrap();

    browser.wait_for_url("/echo", Duration::from_secs(10)).unwrap();
    browser.wait_for("#echo", Duration::from_secs(10)).unwrap();
    assert_eq!(browser.title().unwrap(), "echo");
    assert_eq!(browser.attribute("#echo", "data-by").unwrap().as_deref(), Some("form"));
    assert_eq!(browser.text("#echo-link").unwrap(), LINK);
    assert_eq!(browser.text("#echo-file-name").unwrap(), FILE_NAME);
    assert_eq!(browser.text("#echo-file-size").unwrap(), FILE_SIZE.to_string());
    assert_eq!(browser.text("#echo-deep").unwrap(), "(none)", "the box was not ticked");

    let posts = site.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        !posts[0].headers.contains_key("x-sent-by"),
        "the browser, not the script, sent it"
    );
    assert_eq!(posts[0].path, "/echo");
    assert_eq!(posts[0].field("file").unwrap().bytes, std::fs::read(&file).unwrap());
    let errors = browser.console_errors().unwrap();
    assert!(!errors.iter().any(|e| e.contains("the page script ran")), "{errors:?}");

    let shot = artifact_path("browser-form-no-javascript.png");
    let png = browser.screenshot(&shot).unwrap();
    assert_eq!(png_size(&png).0, support::browser::WINDOW.0);

    browser.back().unwrap();
    assert_eq!(browser.current_url().unwrap(), site.url("/"));
    assert_eq!(browser.count("#form").unwrap(), 1);
    browser.refresh().unwrap();
    assert_eq!(browser.title().unwrap(), "driver form");
}

#[test]
fn the_keyboard_alone_fills_and_sends_the_form() {
    let Some(browser) = Browser::start() else { return };
    let site = Site::start();
    browser.goto(&site.url("/")).unwrap();

    // tab order: the text area, the file input, the checkbox, the button; and back
    let focused = || browser.active_element_attribute("id").unwrap().unwrap_or_default();
    let active = || {
        browser
            .execute("const e = document.activeElement; return e.tagName + '#' + e.id;", &[])
            .unwrap()
    };
    assert_eq!(active(), "BODY#", "nothing has the focus");
    let mut order = Vec::new();
    for _ in 0..4 {
        browser.press_tab().unwrap();
        order.push(focused());
    }
    assert_eq!(order, ["link", "file", "deep", "go"]);
    assert_eq!(browser.active_element_text().unwrap(), "Check");
    browser.press_shift_tab().unwrap();
    assert_eq!(focused(), "deep");
    browser.press(" ").unwrap();
    assert!(browser.selected("#deep").unwrap(), "space ticks the focused box");
    browser.press_shift_tab().unwrap();
    browser.press_shift_tab().unwrap();
    assert_eq!(focused(), "link");
    browser.press("typed by keys").unwrap();
    browser.press_tab().unwrap();
    browser.press_tab().unwrap();
    browser.press_tab().unwrap();
    assert_eq!(focused(), "go");
    browser.press(&ENTER.to_string()).unwrap();

    browser
        .wait_for_text("#echo-link", "typed by keys", Duration::from_secs(10))
        .unwrap();
    assert_eq!(browser.text("#echo-deep").unwrap(), "yes");
    assert_eq!(browser.text("#echo-file-name").unwrap(), "(none)");
    let posts = site.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].field("link").unwrap().bytes, b"typed by keys");
}

#[test]
fn errors_come_back_in_time_nothing_leaves_loopback_and_drop_stops_every_process() {
    let Some(browser) = Browser::start() else { return };
    let site = Site::start();
    browser.goto(&site.url("/")).unwrap();

    let missing = browser.find("#nowhere").unwrap_err();
    assert!(missing.contains("no such element"), "{missing}");
    assert!(browser.text("#nowhere").is_err());
    let bad = browser.find("p[").unwrap_err();
    assert!(bad.contains("invalid selector"), "{bad}");
    let started = Instant::now();
    let late = browser.wait_for("#never", Duration::from_millis(300)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(late.contains("#never") && late.contains(&site.url("/")), "{late}");
    let thrown = browser
        .execute("throw new Error('thrown on purpose');", &[])
        .unwrap_err();
    assert!(thrown.contains("thrown on purpose"), "{thrown}");
    assert!(
        browser
            .attach_file("#file", std::path::Path::new("/nonexistent/x.ipa"))
            .is_err()
    );

    // an alert from the page: seen, and the next call fails saying so (the session dismisses it)
    let alert = |text: &str| {
        browser
            .execute(&format!("setTimeout(() => alert('{text}'), 0);"), &[])
            .unwrap();
        browser
            .wait_until(Duration::from_secs(5), "an alert", |b| Ok(b.alert_text()?.is_some()))
            .unwrap();
    };
    alert("from the page");
    assert_eq!(browser.alert_text().unwrap().as_deref(), Some("from the page"));
    let blocked = browser.title().unwrap_err();
    assert!(
        blocked.contains("unexpected alert open") && blocked.contains("from the page"),
        "{blocked}"
    );
    assert_eq!(browser.alert_text().unwrap(), None);
    alert("again");
    browser.dismiss_alert().unwrap();
    assert_eq!(browser.title().unwrap(), "driver form");
    assert!(browser.dismiss_alert().is_err(), "no alert to dismiss");

    // a script the page's CSP forbids does not run, and the console says it was refused; the
    // image the CSP forbids is not asked for either
    browser.console_errors().unwrap();
    browser.goto(&site.url("/csp")).unwrap();
    assert_eq!(browser.title().unwrap(), "inert");
    assert_eq!(browser.alert_text().unwrap(), None);
    assert_eq!(browser.text("#hostile").unwrap(), "<script> as text");
    let refused = browser.console_errors().unwrap();
    assert!(
        refused.iter().any(|e| e.contains("Content Security Policy")),
        "{refused:?}"
    );

    // hosts outside loopback go to the refusing proxy (no DNS, no connection out)
    assert!(
        browser.outside_requests().is_empty(),
        "{:?}",
        browser.outside_requests()
    );
    // (Chromium may try the http one over https first: either way it is asked of the proxy)
    let _ = browser.goto("http://plain.otadoctor-outside.invalid/probe");
    let _ = browser.goto("https://tls.otadoctor-outside.invalid/probe");
    let outside = browser.outside_requests();
    for host in ["plain.otadoctor-outside.invalid", "tls.otadoctor-outside.invalid:443"] {
        assert!(outside.iter().any(|r| r.contains(host)), "{host}: {outside:?}");
    }
    assert!(
        outside.iter().all(|r| r.contains(".otadoctor-outside.invalid")),
        "Chromium asked for something of its own: {outside:?}"
    );
    // localhost is loopback too, and not proxied
    browser.goto(&format!("http://localhost:{}/", site.port)).unwrap();
    assert_eq!(browser.title().unwrap(), "driver form");

    let (driver, chromium) = browser.pids();
    let (driver, chromium) = (driver.unwrap(), chromium.unwrap());
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
    };
    assert!(alive(driver) && alive(chromium));
    drop(browser);
    let deadline = Instant::now() + Duration::from_secs(5);
    while (alive(driver) || alive(chromium)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(driver), "chromedriver {driver} still runs");
    assert!(!alive(chromium), "chromium {chromium} still runs");
}
