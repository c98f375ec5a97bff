//! A real browser for the tests: headless Chromium driven through chromedriver with the W3C
//! WebDriver protocol, spoken as plain HTTP/1.1 over a loopback `TcpStream` (no client crate,
//! every call under a deadline, chromedriver's own error message returned as it gave it).
//!
//! A test loads a page, types, attaches files, clicks, waits for what the page shows, reads the
//! DOM, presses keys and takes screenshots, as a person at the browser would. Chromium runs with
//! a throwaway profile and reaches nothing but loopback: every other host goes to a proxy this
//! file runs on 127.0.0.1, which refuses it and writes down what was asked
//! (`Browser::outside_requests`), and its host resolver answers NOTFOUND for every name but
//! localhost, so no DNS query leaves the machine either. Chromium's own background traffic
//! (updates, sync, metrics, safe browsing) is switched off.
//!
//! A missing chromedriver or Chromium skips the test with a message, unless
//! `OTADOCTOR_REQUIRE_SERVERS` is set (`.ci/run` sets it and installs both). chromedriver runs in
//! its own process group, which `Drop` stops with everything in it, also when the test panics.

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::servers::signal;
use serde_json::{Value, json};

/// The key W3C WebDriver names an element reference by.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The most of one chromedriver answer this client reads (a screenshot is the largest).
const MAX_ANSWER: usize = 64 << 20;
/// How long one WebDriver call may take at most; longer than the page load timeout the
/// session is given, so that chromedriver's own timeout error comes first.
const CALL_TIMEOUT: Duration = Duration::from_secs(40);
/// The session's page load and script timeouts.
const PAGE_LOAD_MS: u64 = 20_000;
const SCRIPT_MS: u64 = 10_000;
/// How long chromedriver may take to answer `/status`, and Chromium to start a session.
const DRIVER_START: Duration = Duration::from_secs(15);
/// How often the `wait_*` helpers look again.
const POLL: Duration = Duration::from_millis(50);
/// The window, so that screenshots and layout are the same on every machine (the page's
/// viewport, what a screenshot shows, is as wide and a little shorter).
pub const WINDOW: (u32, u32) = (1280, 2000);

/// W3C key codes for `Browser::press`.
pub const TAB: char = '\u{E004}';
pub const ENTER: char = '\u{E007}';
pub const SHIFT: char = '\u{E008}';
pub const ESCAPE: char = '\u{E00C}';

/// A reference to one element of the current page, as chromedriver named it. It is stale once
/// the page navigates away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element(pub String);

impl Element {
    /// The element as a script argument (`Browser::execute`'s `args`): the script gets the node.
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

/// A headless Chromium with one WebDriver session, stopped when dropped.
pub struct Browser {
    port: u16,
    session: String,
    /// chromedriver; Chromium is its child, in its process group.
    driver: Option<Child>,
    /// The browser process's id, as chromedriver reported it (`goog:processID`).
    browser_pid: Option<u32>,
    sink: Sink,
    /// The profile and chromedriver's log; removed when dropped, after the processes stopped.
    dir: tempfile::TempDir,
}

/// Where a screenshot or other artifact of a test goes: `target/tmp/NAME`
/// (`CARGO_TARGET_TMPDIR`), kept after the run.
pub fn artifact_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with JavaScript on. `None` (the test is then
    /// skipped, and says so) when chromedriver or Chromium is not installed and
    /// `OTADOCTOR_REQUIRE_SERVERS` is not set; panics, with chromedriver's message and log,
    /// when they are installed but do not start.
    pub fn start() -> Option<Browser> {
        Browser::start_with(true)
    }

    /// The same with JavaScript off (the content setting a managed policy would set, and
    /// Blink's `scriptEnabled`: the page's scripts never run, `<noscript>` shows;
    /// chromedriver's own `execute` and keys still work), to test what a page does without
    /// scripts.
    pub fn start_without_javascript() -> Option<Browser> {
        Browser::start_with(false)
    }

    fn start_with(javascript: bool) -> Option<Browser> {
        let driver = super::servers::program("chromedriver", "chromium-driver")?;
        let mut chromium = super::servers::program("chromium", "chromium")?;
        // Debian's `chromium` is a launcher script that reads /etc/chromium.d (Google API keys,
        // extensions loaded from the network, flags of its own): run the browser it starts
        let debian = Path::new("/usr/lib/chromium/chromium");
        let mut head = [0u8; 2];
        let script = std::fs::File::open(&chromium)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
            && &head == b"#!";
        if script && debian.is_file() {
            chromium = debian.to_path_buf();
        }
        match Browser::launch(&driver, &chromium, javascript) {
            Ok(browser) => Some(browser),
            Err(why) => panic!("the browser did not start: {why}"),
        }
    }

    /// Starts chromedriver from `driver` on a free loopback port (three tries, in case another
    /// process takes the port first), then a session with Chromium from `chromium`.
    pub fn launch(driver: &Path, chromium: &Path, javascript: bool) -> Result<Browser, String> {
        let dir = tempfile::Builder::new()
            .prefix("otadoctor-browser-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let sink = Sink::start()?;
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let port = free_port()?;
            let log = dir.path().join(format!("chromedriver-{attempt}.log"));
            let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
            let mut child = Command::new(driver)
                .arg(format!("--port={port}"))
                // Chromium inherits these: no keys, so no Google service is set up with them
                .env("GOOGLE_API_KEY", "no")
                .env("GOOGLE_DEFAULT_CLIENT_ID", "no")
                .env("GOOGLE_DEFAULT_CLIENT_SECRET", "no")
                // what Chromium keeps outside the profile (its crash report database, caches)
                // stays in the temp dir too
                .env("HOME", dir.path())
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .env("XDG_CACHE_HOME", dir.path().join("cache"))
                .stdin(Stdio::null())
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err))
                // its own process group, so that Chromium and its helpers are stopped with it
                .process_group(0)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
            match wait_ready(port, &mut child) {
                Ok(()) => {
                    let mut browser = Browser {
                        port,
                        session: String::new(),
                        driver: Some(child),
                        browser_pid: None,
                        sink,
                        dir,
                    };
                    // on an error, dropping `browser` stops chromedriver
                    browser
                        .new_session(chromium, javascript)
                        .map_err(|e| format!("{e}\n{}", browser.driver_log()))?;
                    return Ok(browser);
                }
                Err(why) => {
                    stop_group(&mut child);
                    let logs = std::fs::read_to_string(&log).unwrap_or_default();
                    failures.push(format!("try {}: {why}\n{logs}", attempt + 1));
                    if !logs.contains("bind") && !logs.contains("in use") {
                        break;
                    }
                }
            }
        }
        Err(format!("chromedriver did not start:\n{}", failures.join("\n")))
    }

    fn new_session(&mut self, chromium: &Path, javascript: bool) -> Result<(), String> {
        let service = format!("http://127.0.0.1:{}", self.sink.port);
        let profile = self.dir.path().join("profile");
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            "--force-device-scale-factor=1".to_string(),
            // no scroll bar taking 15 pixels off a long page's width in a screenshot
            "--hide-scrollbars".to_string(),
            "--lang=en-US".to_string(),
            // nothing but loopback: every other host goes to the refusing proxy (loopback is
            // never proxied), and no name but localhost resolves
            format!("--proxy-server=http://127.0.0.1:{}", self.sink.port),
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1".to_string(),
            // Chromium phones nothing of its own: no background traffic, no network time, and
            // its Google services (account list, push messaging check-in) sent to the refusing
            // proxy as plain requests, which it writes down apart (`service_requests`)
            "--no-first-run".to_string(),
            "--no-default-browser-check".to_string(),
            "--no-service-autorun".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-default-apps".to_string(),
            "--disable-extensions".to_string(),
            "--disable-domain-reliability".to_string(),
            "--disable-client-side-phishing-detection".to_string(),
            "--disable-breakpad".to_string(),
            "--no-pings".to_string(),
            "--metrics-recording-only".to_string(),
            "--disable-quic".to_string(),
            format!("--gaia-url={service}/"),
            format!("--gcm-checkin-url={service}/checkin"),
            format!("--gcm-mcs-endpoint={service}/mcs"),
            format!("--gcm-registration-url={service}/register"),
            "--disable-features=Translate,OptimizationHints,OptimizationGuideModelDownloading,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,NetworkTimeServiceQuerying".to_string(),
        ];
        let mut prefs = serde_json::Map::new();
        // a search engine other than Google, so that the new tab page Chromium opens first is
        // the local one, which fetches no logo, bar or account list from www.google.com
        prefs.insert(
            "default_search_provider_data.template_url_data".into(),
            json!({ "keyword": "loopback", "short_name": "loopback", "url": format!("{service}/search?q={{searchTerms}}") }),
        );
        if !javascript {
            prefs.insert("profile.managed_default_content_settings.javascript".into(), json!(2));
            args.push("--blink-settings=scriptEnabled=false".to_string());
        }
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": { "implicit": 0, "pageLoad": PAGE_LOAD_MS, "script": SCRIPT_MS },
                    "goog:chromeOptions": {
                        "binary": chromium.display().to_string(),
                        "args": args,
                        "prefs": prefs,
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                }
            }
        });
        let answer = http(self.port, "POST", "/session", Some(&capabilities), CALL_TIMEOUT)?;
        let session = answer["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in chromedriver's answer: {answer}"))?;
        self.session = session.to_string();
        self.browser_pid = answer["capabilities"]["goog:processID"].as_u64().map(|p| p as u32);
        Ok(())
    }

    /// chromedriver's process id and the browser's (its child), to check that both are gone
    /// after `drop`.
    pub fn pids(&self) -> (Option<u32>, Option<u32>) {
        (self.driver.as_ref().map(Child::id), self.browser_pid)
    }

    /// Opens `url` and waits until the page has loaded (its `load` event), up to the session's
    /// 20 s page load timeout. An error page (a refused or unresolvable host) is a loaded page.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.command("POST", "/url", Some(json!({ "url": url }))).map(drop)
    }

    /// The URL of the page shown now (after any redirect or form submission).
    pub fn current_url(&self) -> Result<String, String> {
        string(self.command("GET", "/url", None)?)
    }

    /// Goes back one page in the history, as the Back button does.
    pub fn back(&self) -> Result<(), String> {
        self.command("POST", "/back", Some(json!({}))).map(drop)
    }

    /// Loads the page again.
    pub fn refresh(&self) -> Result<(), String> {
        self.command("POST", "/refresh", Some(json!({}))).map(drop)
    }

    /// The page's `document.title`.
    pub fn title(&self) -> Result<String, String> {
        string(self.command("GET", "/title", None)?)
    }

    /// The page's DOM now, serialised (not the bytes the server sent).
    pub fn source(&self) -> Result<String, String> {
        string(self.command("GET", "/source", None)?)
    }

    /// The first element `css` matches; an error ("no such element: …") when none does.
    pub fn find(&self, css: &str) -> Result<Element, String> {
        element(&self.command("POST", "/element", Some(by_css(css)))?)
    }

    /// Every element `css` matches, in document order (none is not an error).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>, String> {
        match self.command("POST", "/elements", Some(by_css(css)))? {
            Value::Array(items) => items.iter().map(element).collect(),
            other => Err(format!("not a list of elements: {other}")),
        }
    }

    /// How many elements `css` matches (SVG elements too: `svg g.bar`).
    pub fn count(&self, css: &str) -> Result<usize, String> {
        Ok(self.find_all(css)?.len())
    }

    /// The rendered text of the first element `css` matches, as the browser lays it out
    /// (hidden parts left out, runs of spaces as shown).
    pub fn text(&self, css: &str) -> Result<String, String> {
        self.element_text(&self.find(css)?)
    }

    /// The rendered text of every element `css` matches, in document order (the findings of
    /// a report, say).
    pub fn texts(&self, css: &str) -> Result<Vec<String>, String> {
        self.find_all(css)?.iter().map(|e| self.element_text(e)).collect()
    }

    /// The rendered text of `element`.
    pub fn element_text(&self, element: &Element) -> Result<String, String> {
        string(self.command("GET", &format!("/element/{}/text", element.0), None)?)
    }

    /// Attribute `name` of the first element `css` matches, as the markup set it (or a script
    /// changed it); `None` when it has none. What a form control holds now is `value`.
    pub fn attribute(&self, css: &str, name: &str) -> Result<Option<String>, String> {
        self.element_attribute(&self.find(css)?, name)
    }

    /// Attribute `name` of `element` (as `attribute`).
    pub fn element_attribute(&self, element: &Element, name: &str) -> Result<Option<String>, String> {
        match self.command("GET", &format!("/element/{}/attribute/{name}", element.0), None)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            other => Ok(Some(other.to_string())),
        }
    }

    /// What the form control `css` matches holds now (typed text, the chosen file's fake path),
    /// its `value` property.
    pub fn value(&self, css: &str) -> Result<String, String> {
        match self.property(css, "value")? {
            Value::String(s) => Ok(s),
            other => Err(format!("{css} has no text value: {other}")),
        }
    }

    /// DOM property `name` of the first element `css` matches (`value`, `files`, `checked`…).
    pub fn property(&self, css: &str, name: &str) -> Result<Value, String> {
        let element = self.find(css)?;
        self.command("GET", &format!("/element/{}/property/{name}", element.0), None)
    }

    /// Whether the first element `css` matches is checked (a checkbox, a radio button) or
    /// selected (an option).
    pub fn selected(&self, css: &str) -> Result<bool, String> {
        let element = self.find(css)?;
        match self.command("GET", &format!("/element/{}/selected", element.0), None)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!("not a boolean: {other}")),
        }
    }

    /// Whether the first element `css` matches is shown (not `display: none`, not hidden).
    pub fn displayed(&self, css: &str) -> Result<bool, String> {
        let element = self.find(css)?;
        match self.command("GET", &format!("/element/{}/displayed", element.0), None)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!("not a boolean: {other}")),
        }
    }

    /// Types `text` into the first element `css` matches, after what it already holds (call
    /// `clear` first to replace it). The element gets the focus and real key events.
    pub fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let element = self.find(css)?;
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .map(drop)
    }

    /// Empties the text box or text area `css` matches.
    pub fn clear(&self, css: &str) -> Result<(), String> {
        let element = self.find(css)?;
        self.command("POST", &format!("/element/{}/clear", element.0), Some(json!({})))
            .map(drop)
    }

    /// Chooses the file at `path` in the `<input type=file>` `css` matches, as picking it in the
    /// file dialog would (the path is made absolute; the file must exist).
    pub fn attach_file(&self, css: &str, path: &Path) -> Result<(), String> {
        let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !absolute.is_file() {
            return Err(format!("{}: not a file", absolute.display()));
        }
        self.type_into(css, &absolute.display().to_string())
    }

    /// Clicks the middle of the first element `css` matches (scrolled into view first); if the
    /// click starts a navigation, waits for the new page to load.
    pub fn click(&self, css: &str) -> Result<(), String> {
        self.click_element(&self.find(css)?)
    }

    /// Clicks `element` (as `click`).
    pub fn click_element(&self, element: &Element) -> Result<(), String> {
        self.command("POST", &format!("/element/{}/click", element.0), Some(json!({})))
            .map(drop)
    }

    /// Submits a form as a person does, by clicking its submit button: `css` names either the
    /// button itself or the form, whose first submit button (`button` without a type or
    /// `type=submit`, `input type=submit`) is then clicked. Scripts see a real `submit` event.
    pub fn submit(&self, css: &str) -> Result<(), String> {
        let target = self.find(css)?;
        let tag = string(self.command("GET", &format!("/element/{}/name", target.0), None)?)?;
        let button = if tag.eq_ignore_ascii_case("form") {
            let query = by_css("button:not([type]), button[type=submit], input[type=submit]");
            element(
                &self
                    .command("POST", &format!("/element/{}/element", target.0), Some(query))
                    .map_err(|e| format!("no submit button in {css}: {e}"))?,
            )?
        } else {
            target
        };
        self.click_element(&button)
    }

    /// Waits until `css` matches an element, polling; an error naming the selector, the time
    /// and the page when it does not within `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<(), String> {
        self.wait_until(timeout, &format!("an element matching {css:?}"), |b| {
            Ok(b.count(css)? > 0)
        })
    }

    /// Waits until the first element `css` matches shows `text` in its rendered text.
    pub fn wait_for_text(&self, css: &str, text: &str, timeout: Duration) -> Result<(), String> {
        self.wait_until(timeout, &format!("{text:?} in {css:?}"), |b| {
            Ok(match b.find_all(css)?.first() {
                Some(element) => b.element_text(element)?.contains(text),
                None => false,
            })
        })
    }

    /// Waits until the current URL contains `part` (a navigation to the report, say).
    pub fn wait_for_url(&self, part: &str, timeout: Duration) -> Result<(), String> {
        self.wait_until(timeout, &format!("a URL with {part:?}"), |b| {
            Ok(b.current_url()?.contains(part))
        })
    }

    /// Calls `done` every 50 ms until it says yes, it fails, or `timeout` passes (then an error
    /// that says `what` was awaited, for how long, and on which page).
    pub fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
        mut done: impl FnMut(&Browser) -> Result<bool, String>,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self)? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let url = self.current_url().unwrap_or_else(|e| format!("(no URL: {e})"));
                return Err(format!("waited {timeout:?} for {what}, on {url}"));
            }
            std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }

    /// Runs `script` as the body of a function in the page, with `args` as `arguments`
    /// (`Element::to_json` passes an element); its return value, as JSON. Works when the
    /// page's own scripts are off.
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.command("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// A PNG of the window as it is now (`WINDOW` pixels), written to `path` (folders made as
    /// needed); its bytes.
    pub fn screenshot(&self, path: &Path) -> Result<Vec<u8>, String> {
        let encoded = string(self.command("GET", "/screenshot", None)?)?;
        write_png(path, &encoded)
    }

    /// A PNG of the whole page, however long (`WINDOW` wide), through Chromium's DevTools
    /// protocol (WebDriver's screenshot is the window only); written to `path`, its bytes.
    pub fn full_page_screenshot(&self, path: &Path) -> Result<Vec<u8>, String> {
        let metrics = self.devtools("Page.getLayoutMetrics", json!({}))?;
        let size = &metrics["cssContentSize"];
        let (width, height) = (
            size["width"].as_f64().unwrap_or(f64::from(WINDOW.0)),
            size["height"].as_f64().unwrap_or(f64::from(WINDOW.1)),
        );
        let shot = self.devtools(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        )?;
        let encoded = shot["data"].as_str().ok_or_else(|| format!("no image in {shot}"))?;
        write_png(path, encoded)
    }

    /// A DevTools protocol command (`Domain.method`) through chromedriver; its result.
    pub fn devtools(&self, cmd: &str, params: Value) -> Result<Value, String> {
        self.command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// The page's console messages of level error (`console.error`, uncaught exceptions, failed
    /// loads, CSP violations) since the last call: the log is emptied by reading it.
    pub fn console_errors(&self) -> Result<Vec<String>, String> {
        let entries = self.command("POST", "/se/log", Some(json!({ "type": "browser" })))?;
        Ok(entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect())
    }

    /// The text of an `alert`, `confirm` or `prompt` open now, `None` when none is. While one
    /// is open, any other call fails with "unexpected alert open: … {Alert text : …}" and the
    /// session dismisses it: a script that should not have run and opened one is not missed.
    pub fn alert_text(&self) -> Result<Option<String>, String> {
        match self.command("GET", "/alert/text", None) {
            Ok(text) => Ok(Some(string(text)?)),
            Err(e) if e.contains("no such alert") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Closes the open `alert`, `confirm` or `prompt` (Cancel); an error when none is open.
    pub fn dismiss_alert(&self) -> Result<(), String> {
        self.command("POST", "/alert/dismiss", Some(json!({}))).map(drop)
    }

    /// Presses and releases each key of `keys` in turn, to whatever has the focus (`TAB`,
    /// `ENTER`, `ESCAPE`, or a character: `' '` toggles a focused checkbox).
    pub fn press(&self, keys: &str) -> Result<(), String> {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({ "type": "keyDown", "value": c.to_string() }),
                    json!({ "type": "keyUp", "value": c.to_string() }),
                ]
            })
            .collect();
        self.key_actions(keys, actions)
    }

    /// Moves the focus to the next element in tab order (from the top of the page when nothing
    /// has the focus).
    pub fn press_tab(&self) -> Result<(), String> {
        self.press(&TAB.to_string())
    }

    /// Moves the focus to the previous element in tab order (Shift+Tab).
    pub fn press_shift_tab(&self) -> Result<(), String> {
        let (shift, tab) = (SHIFT.to_string(), TAB.to_string());
        let actions = vec![
            json!({ "type": "keyDown", "value": shift }),
            json!({ "type": "keyDown", "value": tab }),
            json!({ "type": "keyUp", "value": tab }),
            json!({ "type": "keyUp", "value": shift }),
        ];
        // NUL releases the modifier in a key sequence
        self.key_actions(&format!("{shift}{tab}\u{E000}"), actions)
    }

    /// Sends keys: as a key sequence to the body when nothing in the page has the focus yet (a
    /// page just loaded in headless Chromium takes the first key of the actions API to focus
    /// itself, and loses it), as input actions otherwise (what a keyboard does, without
    /// WebDriver moving the focus first).
    fn key_actions(&self, sequence: &str, actions: Vec<Value>) -> Result<(), String> {
        let active = self.active_element()?;
        let tag = string(self.command("GET", &format!("/element/{}/name", active.0), None)?)?;
        if tag.eq_ignore_ascii_case("body") {
            return self
                .command(
                    "POST",
                    &format!("/element/{}/value", active.0),
                    Some(json!({ "text": sequence })),
                )
                .map(drop);
        }
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.command("POST", "/actions", Some(body))?;
        self.command("DELETE", "/actions", None).map(drop)
    }

    /// The element that has the focus (the body when none has).
    pub fn active_element(&self) -> Result<Element, String> {
        element(&self.command("GET", "/element/active", None)?)
    }

    /// The rendered text of the focused element.
    pub fn active_element_text(&self) -> Result<String, String> {
        self.element_text(&self.active_element()?)
    }

    /// Attribute `name` of the focused element (`id`, `name`, `aria-label`…).
    pub fn active_element_attribute(&self, name: &str) -> Result<Option<String>, String> {
        self.element_attribute(&self.active_element()?, name)
    }

    /// What Chromium asked for outside loopback, as the refusing proxy got it: one line per
    /// request (`GET http://host/path HTTP/1.1`, `CONNECT host:443 HTTP/1.1`). A page that
    /// fetched nothing from anywhere, in a browser that phoned nothing, leaves this empty.
    pub fn outside_requests(&self) -> Vec<String> {
        self.sink_lines(true)
    }

    /// What Chromium's own Google services asked for (`POST /ListAccounts…`, `POST /checkin`),
    /// sent to the refusing proxy as plain requests by the switches that name their servers.
    pub fn service_requests(&self) -> Vec<String> {
        self.sink_lines(false)
    }

    /// The sink's request lines: the proxied ones (an absolute URL or CONNECT) or the others.
    fn sink_lines(&self, proxied: bool) -> Vec<String> {
        let seen = self.sink.seen.lock().map(|seen| seen.clone()).unwrap_or_default();
        seen.into_iter()
            .filter(|line| {
                let target = line.split_whitespace().nth(1).unwrap_or_default();
                // a proxy is asked with an absolute URL or a host:port, a server with a path
                target.starts_with('/') != proxied
            })
            .collect()
    }

    /// chromedriver's log so far (what it did, its errors), for a failing test's message.
    pub fn driver_log(&self) -> String {
        let mut out = String::new();
        for attempt in 0..3 {
            out.push_str(
                &std::fs::read_to_string(self.dir.path().join(format!("chromedriver-{attempt}.log")))
                    .unwrap_or_default(),
            );
        }
        out
    }

    /// A WebDriver command on this session: `PATH` is below `/session/{id}`.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let full = format!("/session/{}{path}", self.session);
        http(self.port, method, &full, body.as_ref(), CALL_TIMEOUT).map_err(|e| format!("{method} {path}: {e}"))
    }

    fn stop_driver(&mut self) {
        if let Some(mut child) = self.driver.take() {
            stop_group(&mut child);
        }
    }
}

impl Drop for Browser {
    /// Ends the session (Chromium quits), then stops chromedriver's process group and whatever
    /// is left in it; then the proxy stops and the profile is removed (the fields' own drops).
    fn drop(&mut self) {
        if !self.session.is_empty() && self.driver.is_some() {
            let path = format!("/session/{}", self.session);
            let _ = http(self.port, "DELETE", &path, None, Duration::from_secs(5));
        }
        self.stop_driver();
    }
}

/// Polls chromedriver's `/status` on `port` until it says it is ready; fails if it exits first.
fn wait_ready(port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + DRIVER_START;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromedriver exited ({status})"));
        }
        if let Ok(status) = http(port, "GET", "/status", None, Duration::from_secs(2))
            && status["ready"] == Value::Bool(true)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "chromedriver did not answer on port {port} within {DRIVER_START:?}"
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// Stops the process group `child` leads: TERM, up to 3 s for the leader to exit, then KILL for
/// what is left of the group (Chromium, when chromedriver left it behind). The leader is reaped
/// only after that: until then its id, and so the group's, cannot be given to another process.
fn stop_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    signal(&group, "TERM");
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && !exited(child.id()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&group, "KILL");
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether process `pid` (a child not yet reaped) has exited: a zombie, or gone.
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "PID (NAME) STATE …": the name may hold spaces and parentheses
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// One HTTP/1.1 exchange with chromedriver on `port`, all of it within `limit`; the answer's
/// `value`, or chromedriver's error and message.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>, limit: Duration) -> Result<Value, String> {
    let deadline = Instant::now() + limit;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2).min(limit))
        .map_err(|e| format!("cannot connect to chromedriver on {address}: {e}"))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        port,
        body.len()
    );
    stream
        .set_write_timeout(Some(remaining(deadline)?))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending to chromedriver: {e}"))?;
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if let Some(total) = complete_length(&answer)
            && answer.len() >= total
        {
            break;
        }
        stream
            .set_read_timeout(Some(
                remaining(deadline).map_err(|_| format!("no answer within {limit:?}"))?,
            ))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.len() > MAX_ANSWER {
                    return Err(format!("an answer over {MAX_ANSWER} bytes"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return Err(format!("no answer within {limit:?}"));
            }
            Err(e) => return Err(format!("reading chromedriver's answer: {e}")),
        }
    }
    let (status, body) = split_answer(&answer)?;
    let doc: Value = serde_json::from_slice(&body).map_err(|e| {
        format!(
            "HTTP {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        )
    })?;
    let value = doc.get("value").cloned().unwrap_or(Value::Null);
    if status != 200 || value.get("error").is_some() {
        let error = value["error"].as_str().unwrap_or("error");
        let message = value["message"].as_str().unwrap_or_default();
        return Err(format!("{error}: {message} (HTTP {status})"));
    }
    Ok(value)
}

/// Decodes a base64 PNG and writes it to `path` (folders made as needed); its bytes.
fn write_png(path: &Path, encoded: &str) -> Result<Vec<u8>, String> {
    let png = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .map_err(|e| format!("the screenshot is not base64: {e}"))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, &png).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(png)
}

/// A `using: css selector` locator.
fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn element(value: &Value) -> Result<Element, String> {
    value[ELEMENT_KEY]
        .as_str()
        .map(|id| Element(id.to_string()))
        .ok_or_else(|| format!("not an element reference: {value}"))
}

fn string(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!("not a string: {other}")),
    }
}

fn remaining(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err("out of time".to_string())
    } else {
        Ok(left)
    }
}

/// The head's end (the index after the blank line) in `answer`, if it has arrived.
fn head_end(answer: &[u8]) -> Option<usize> {
    answer.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// The length of the whole answer when its head gives a `Content-Length`; `None` until the head
/// is in, or when the answer runs to the end of the connection.
fn complete_length(answer: &[u8]) -> Option<usize> {
    let end = head_end(answer)?;
    let head = String::from_utf8_lossy(&answer[..end]);
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .map(|len| end + len)
}

/// The status code and the body (chunked transfer decoded) of a whole answer.
fn split_answer(answer: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = head_end(answer).ok_or_else(|| {
        format!(
            "chromedriver's answer has no complete head: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        )
    })?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP status line: {:?}", head.lines().next().unwrap_or_default()))?;
    let chunked = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
        })
    });
    let mut body = answer[end..].to_vec();
    if let Some(total) = complete_length(answer) {
        body.truncate(total - end);
    } else if chunked {
        body = dechunk(&body)?;
    }
    Ok((status, body))
}

/// A chunked body's bytes.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line cut short")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("a bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            return Err("a chunk cut short".to_string());
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

/// A free loopback port: bound on :0, then released for chromedriver.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// The proxy Chromium is given: on 127.0.0.1, it answers every request and every CONNECT with
/// 403 and writes down the request line, so nothing Chromium asks for leaves the machine and
/// the test can see what was asked. The serve tests give it to `otadoctor serve` too, so that a
/// request the guard should have refused would end here, not on the network.
pub struct Sink {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    /// The proxy's URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines it refused so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn start() -> Result<Sink, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no port for the proxy: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Some(line) = refuse(stream)
                                && let Ok(mut seen) = seen.lock()
                            {
                                seen.push(line);
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
        };
        Ok(Sink {
            port,
            seen,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Sink {
    /// Stops the accepting thread (it looks at the flag every 20 ms) and waits for it.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request's head (8 KiB, 2 s at most), answers 403 and closes; the request line,
/// control characters shown escaped.
fn refuse(mut stream: TcpStream) -> Option<String> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while head_end(&head).is_none() && head.len() < 8192 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next()?.trim();
    Some(line.chars().flat_map(char::escape_debug).collect())
}
