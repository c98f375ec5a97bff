//! The served pages: the form, the report with its way back and permalink, errors.
//!
//! The form works without JavaScript (a plain multipart POST answered with the report); the
//! script only adds the file drop on the whole page and the live progress line. The page's one
//! style and one script are allowed by their SHA-256 in the Content-Security-Policy, nothing
//! else runs or loads.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::ServeOptions;
use crate::text::xml_escape;

/// The policy of a served report: the report's own (`report::html::CSP`: nothing loaded, no
/// script, its inline style) and no framing, no base, no form.
pub const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The policy of an error page (its style is inline).
pub const ERROR_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A scenario of the practice site, listed under the form with `--demo`.
#[derive(Debug, Clone)]
pub struct Example {
    pub title: String,
    pub expect: String,
    pub link: String,
}

/// The form page, made once.
pub struct Page {
    form: String,
    pub csp: String,
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fff; --dim: #5f5f65; --line: #c7c7cc;
  --panel: #f5f5f7; --accent: #0b57a8; --error: #b3261e; --focus: #f0a500; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8ed; --bg: #161618; --dim: #a1a1a6; --line: #48484a; --panel: #232326;
    --accent: #7ab4ff; --error: #ff8a80; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
p.lead { margin: 0 0 1.5rem; color: var(--dim); }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
.help { display: block; color: var(--dim); font-size: .9rem; margin: .25rem 0 0; }
textarea, input, select { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: .5rem .6rem; width: 100%; }
textarea { min-height: 9rem; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9rem; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 1.25rem 0 0; padding: 0 1rem 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 0 1rem; }
.drop { border: 2px dashed var(--line); border-radius: 8px; padding: .75rem; margin-top: .5rem; background: var(--panel); }
.drop.over { border-color: var(--accent); }
button { font: inherit; font-weight: 600; margin-top: 1.25rem; padding: .6rem 1.4rem; border-radius: 6px;
  border: 1px solid var(--accent); background: var(--accent); color: var(--bg); cursor: pointer; }
button.small { margin: 0; padding: .2rem .7rem; font-size: .9rem; }
button[disabled] { opacity: .6; cursor: progress; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
#progress { margin-top: 1rem; padding: .6rem .8rem; border-radius: 6px; background: var(--panel);
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9rem; overflow-wrap: anywhere; }
#progress.error { color: var(--error); }
ul.examples { list-style: none; padding: 0; margin: 0; }
ul.examples li { border-top: 1px solid var(--line); padding: .5rem 0; }
ul.examples form { display: inline; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; overflow-wrap: anywhere; }
footer { margin-top: 2.5rem; color: var(--dim); font-size: .9rem; border-top: 1px solid var(--line); padding-top: 1rem; }
@media print { form, footer, .drop { display: none; } }
"#;

/// The page's script: the file drop on the whole page, and the check run in the background with
/// its progress line shown, then the report opened. Without it the form posts as it is.
const SCRIPT: &str = r#"
(function () {
  'use strict';
  var status = document.getElementById('progress');
  var files = document.getElementById('files');
  var drop = document.getElementById('drop');
  function say(text, failed) {
    status.hidden = false;
    status.textContent = text;
    status.className = failed ? 'error' : '';
    status.setAttribute('role', failed ? 'alert' : 'status');
  }
  drop.hidden = false;
  document.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  document.addEventListener('dragleave', function (e) { if (!e.relatedTarget) { drop.classList.remove('over'); } });
  document.addEventListener('drop', function (e) {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files.length) {
      files.files = e.dataTransfer.files;
      var names = [];
      for (var i = 0; i < files.files.length; i++) { names.push(files.files[i].name); }
      say(names.length + ' file' + (names.length > 1 ? 's' : '') + ' ready: ' + names.join(', '));
    }
  });
  function follow(run, buttons) {
    fetch(run.status, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (s) {
      if (s.state === 'running') {
        say(s.progress || 'Checking…');
        setTimeout(function () { follow(run, buttons); }, 250);
      } else if (s.state === 'done') {
        say('Done: opening the report…');
        window.location.assign(run.report);
      } else {
        fail(s.error || 'the check failed', buttons);
      }
    }).catch(function (e) { fail(String(e), buttons); });
  }
  function fail(text, buttons) {
    buttons.forEach(function (b) { b.disabled = false; });
    say('Could not check: ' + text, true);
  }
  Array.prototype.forEach.call(document.querySelectorAll('form.check'), function (form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var buttons = Array.prototype.slice.call(document.querySelectorAll('form.check button'));
      buttons.forEach(function (b) { b.disabled = true; });
      say('Starting the check…');
      fetch('/api/runs', { method: 'POST', body: new FormData(form), credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (answer) {
          if (!answer.ok) { fail(answer.body.error || 'the server refused', buttons); return; }
          follow(answer.body, buttons);
        })
        .catch(function (e) { fail(String(e), buttons); });
    });
  });
})();
"#;

/// What the device showed, offered in the symptom box.
const SYMPTOMS: &[&str] = &[
    "Cannot connect to host",
    "Unable to Download App",
    "Unable to Install",
    "Integrity could not be verified",
    "This app cannot be installed because its integrity could not be verified",
    "Untrusted Enterprise Developer",
    "Nothing happens when I tap the link",
    "The app icon stays grey (Waiting…)",
];

fn hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

impl Page {
    pub fn new(examples: Vec<Example>, options: &ServeOptions) -> Page {
        let csp = format!(
            "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            hash(SCRIPT),
            hash(STYLE)
        );
        Page {
            form: form(&examples, options),
            csp,
        }
    }

    pub fn form(&self) -> String {
        self.form.clone()
    }

    /// The form page again, with why the last request failed above it.
    pub fn failure(&self, message: &str) -> String {
        let alert = format!(
            "<p id=\"progress\" class=\"error\" role=\"alert\">Could not check: {}</p>\n",
            xml_escape(message)
        );
        self.form
            .replacen("<p id=\"progress\" role=\"status\" hidden></p>\n", &alert, 1)
    }
}

fn document(title: &str, style: &str, script: Option<&str>, body: &str) -> String {
    let script = script.map_or_else(String::new, |s| format!("<script>{s}</script>\n"));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n<main>\n{body}</main>\n{script}</body>\n</html>\n",
        xml_escape(title)
    )
}

fn form(examples: &[Example], options: &ServeOptions) -> String {
    let mut body = String::new();
    body.push_str(
        "<h1>otadoctor</h1>\n<p class=\"lead\">Why does an iPhone refuse to install an app over the air? \
         Paste what you have, or choose a file: otadoctor follows the install as the device does and says \
         what breaks it, what the device shows and how to fix it.</p>\n",
    );
    body.push_str(
        "<form class=\"check\" method=\"post\" action=\"/check\" enctype=\"multipart/form-data\">\n\
         <label for=\"input\">Link, address, ticket or device log</label>\n\
         <textarea id=\"input\" name=\"input\" rows=\"8\" spellcheck=\"false\" autocomplete=\"off\" \
         aria-describedby=\"input-help\"></textarea>\n\
         <span class=\"help\" id=\"input-help\">An itms-services:// link, the https address of a download page or \
         manifest, a support ticket or e-mail that quotes them, a device log (Console, sysdiagnose, \
         idevicesyslog) or an error code such as 0xe8008015.</span>\n\
         <label for=\"files\">Files</label>\n\
         <input type=\"file\" id=\"files\" name=\"files\" multiple aria-describedby=\"files-help\">\n\
         <span class=\"help\" id=\"files-help\">A manifest (.plist), a package (.ipa), a provisioning profile \
         (.mobileprovision), a screenshot or photo of a QR code (.png, .jpg), a download page (.html) or a log. \
         Uploads are read for this check only and deleted when it ends.</span>\n\
         <div class=\"drop\" id=\"drop\" hidden>You can also drop files anywhere on this page.</div>\n\
         <fieldset>\n<legend>The device (optional)</legend>\n<div class=\"grid\">\n<div>\n\
         <label for=\"ios\">iOS version</label>\n\
         <input id=\"ios\" name=\"ios\" inputmode=\"decimal\" placeholder=\"17.4\" autocomplete=\"off\" \
         aria-describedby=\"ios-help\">\n<span class=\"help\" id=\"ios-help\">Checked against the app's minimum.</span>\n</div>\n<div>\n\
         <label for=\"device\">Device</label>\n<select id=\"device\" name=\"device\">\n\
         <option value=\"\">Any</option>\n<option value=\"iphone\">iPhone</option>\n<option value=\"ipad\">iPad</option>\n\
         </select>\n</div>\n<div>\n\
         <label for=\"udid\">UDID</label>\n\
         <input id=\"udid\" name=\"udid\" spellcheck=\"false\" autocomplete=\"off\" aria-describedby=\"udid-help\">\n\
         <span class=\"help\" id=\"udid-help\">Checked against the provisioning profiles.</span>\n</div>\n</div>\n\
         <label for=\"symptom\">What the device showed</label>\n\
         <input id=\"symptom\" name=\"symptom\" list=\"symptoms\" autocomplete=\"off\" aria-describedby=\"symptom-help\">\n\
         <span class=\"help\" id=\"symptom-help\">The findings that explain it come first.</span>\n\
         <datalist id=\"symptoms\">\n",
    );
    for symptom in SYMPTOMS {
        body.push_str(&format!("<option value=\"{}\">\n", xml_escape(symptom)));
    }
    body.push_str(
        "</datalist>\n</fieldset>\n<button type=\"submit\" id=\"submit\">Check</button>\n</form>\n\
         <p id=\"progress\" role=\"status\" hidden></p>\n",
    );
    if !examples.is_empty() {
        body.push_str(
            "<h2 id=\"examples\">The practice site</h2>\n<p>A made-up OTA site runs beside this server, with the \
             usual breakages. Check one of its links:</p>\n<ul class=\"examples\" aria-labelledby=\"examples\">\n",
        );
        for example in examples {
            body.push_str(&format!(
                "<li><form class=\"check\" method=\"post\" action=\"/check\" enctype=\"multipart/form-data\">\
                 <input type=\"hidden\" name=\"input\" value=\"{link}\">\
                 <button class=\"small\" type=\"submit\" aria-label=\"Check {title}\">Check</button></form> \
                 {title} <span class=\"help\">expect {expect} · <code>{link}</code></span></li>\n",
                link = xml_escape(&example.link),
                title = xml_escape(&example.title),
                expect = xml_escape(&example.expect),
            ));
        }
        body.push_str("</ul>\n");
    }
    let kept = match options.keep_reports {
        Some(keep) => format!("Reports are kept at their own address for {}.", duration_words(keep)),
        None => "Reports are shown once and not kept.".to_string(),
    };
    body.push_str(&format!(
        "<footer>\n<p>Each client may start {} checks a minute and run {} at once; a request may be up to {} MiB. \
         This server does not fetch private, loopback or link-local addresses{}. {kept}</p>\n\
         <p>For ticket systems: <code>POST /api/check</code> with a JSON body <code>{{\"input\": \"…\"}}</code> \
         (or this form's fields as multipart) returns what <code>otadoctor check --format json</code> writes.</p>\n\
         <p>otadoctor {}</p>\n</footer>\n",
        options.rate,
        options.client_runs,
        options.max_upload / 1024 / 1024,
        if options.allow_private.is_empty() {
            ""
        } else {
            " but those it was told to allow"
        },
        env!("CARGO_PKG_VERSION"),
    ));
    document("otadoctor", STYLE, Some(SCRIPT), &body)
}

/// A report as served: the way back to the form, and the permalink while the report is kept.
pub fn served_report(report: &str, permalink: Option<(&str, SystemTime)>) -> String {
    let link = match permalink {
        Some((id, until)) => {
            let until = time::OffsetDateTime::from(until)
                .replace_nanosecond(0)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            format!(
                " · permalink <a href=\"/r/{id}\">/r/{id}</a> (kept until {})",
                xml_escape(&until),
                id = xml_escape(id)
            )
        }
        None => String::new(),
    };
    let nav = format!("<nav aria-label=\"otadoctor serve\"><a href=\"/\">← New check</a>{link}</nav>\n");
    match report.find("<main>\n") {
        Some(at) => {
            let at = at + "<main>\n".len();
            format!("{}{nav}{}", &report[..at], &report[at..])
        }
        None => report.to_string(),
    }
}

/// A page that says what went wrong, and the way back.
pub fn error_page(status: u16, message: &str) -> String {
    document(
        &format!("otadoctor: {status}"),
        "body{font:16px/1.5 sans-serif;margin:2rem}",
        None,
        &format!(
            "<h1>{status}</h1>\n<p role=\"alert\">{}</p>\n<p><a href=\"/\">Back to the form</a></p>\n",
            xml_escape(message)
        ),
    )
}

/// "30 minutes", "2 hours", "7 days".
pub fn duration_words(d: Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s.is_multiple_of(86_400) && s >= 86_400 {
        (s / 86_400, "day")
    } else if s.is_multiple_of(3600) && s >= 3600 {
        (s / 3600, "hour")
    } else if s.is_multiple_of(60) && s >= 60 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_report_keeps_the_reports_own_policy() {
        assert!(REPORT_CSP.starts_with(crate::report::html::CSP));
    }

    #[test]
    fn the_nav_goes_inside_main_and_the_id_is_escaped() {
        let report = "<html><body>\n<main>\n<h1>otadoctor report</h1>\n</main></body></html>";
        let served = served_report(report, Some(("<x>", SystemTime::UNIX_EPOCH)));
        assert!(served.contains("<main>\n<nav aria-label=\"otadoctor serve\"><a href=\"/\">← New check</a>"));
        assert!(served.contains("/r/&lt;x&gt;"));
        assert!(served.contains("1970-01-01T00:00:00Z"));
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(Duration::from_secs(90)), "90 seconds");
        assert_eq!(duration_words(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(duration_words(Duration::from_secs(86_400)), "1 day");
    }
}
