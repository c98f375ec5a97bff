//! The human report, cause first (issue 15): its first line is the verdict, the errors and
//! warnings (each with its device message, fix and corrected link) come before the walk, the
//! walk points at them, info findings come after it; every line fits in 100 columns unless one
//! word (a URL) is longer; `-v` adds each exchange's headers and timings, `-q` only the findings.

mod support;

use support::lab::{Route, Site};
use support::{Run, assert_snapshot, otadoctor, otadoctor_args, testdata};

const NOW: &str = "2026-11-25T12:00:00Z";
const WIDTH: usize = 100;

fn human(site: &Site, extra: &[&str], input: &str) -> Run {
    let mut args = site.lab.args(&[&site.host]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(input.to_string());
    otadoctor_args(&args)
}

/// The line at which `piece` first appears.
fn line_of(out: &str, piece: &str) -> usize {
    out.lines()
        .position(|l| l.contains(piece))
        .unwrap_or_else(|| panic!("{piece:?} not in:\n{out}"))
}

/// Every line fits in 100 columns, or is long because of one word no line could hold.
fn assert_fits(out: &str) {
    for line in out.lines() {
        let width = line.chars().count();
        if width <= WIDTH {
            continue;
        }
        let longest = line.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
        assert!(
            longest + 12 > WIDTH - 2 || line.trim_start().starts_with('│'),
            "a line of {width} columns could have been wrapped:\n{line}\nin:\n{out}"
        );
    }
}

#[test]
fn a_page_report_opens_with_the_verdict_and_its_errors_then_the_walk() {
    let page = "testdata/pages/install-broken.html";
    let run = otadoctor(&["--offline", "--now", NOW, page]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("✗ the install fails: 7 errors"), "{first}");
    assert!(
        run.stdout
            .lines()
            .nth(1)
            .unwrap_or_default()
            .contains("not checked: following the links"),
        "{}",
        run.stdout
    );
    // every error's full text before the walk's first link; the walk points back at them
    let walk = line_of(&run.stdout, "link 1 of 5");
    let heads: Vec<usize> = run
        .stdout
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("error["))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(heads.len(), 7, "{}", run.stdout);
    assert!(heads.iter().all(|&i| i < walk), "{}", run.stdout);
    assert!(line_of(&run.stdout, "↑ error[LNK006 html-entity-in-link] above") > walk);
    assert_fits(&run.stdout);
    assert_snapshot("human-install-broken.txt", &run.stdout);
}

#[test]
fn a_followed_link_shows_errors_first_and_info_after_the_walk() {
    let site = Site::correct("ota.acme-apps.test");
    site.lab
        .route(Site::PACKAGE, Route::status(404, "text/html", "<html>gone</html>"));
    let run = human(&site, &["--now", NOW], &site.link());
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(out.starts_with("✗ the install fails: "), "{out}");
    let error = line_of(out, "error[HTTP001 http-status]");
    let walk = line_of(out, "  manifest  GET ");
    let info = out
        .lines()
        .position(|l| l.starts_with("info[TLS005 private-root]"))
        .unwrap_or_else(|| panic!("{out}"));
    let host = line_of(out, "  host      ");
    assert!(error < walk && walk < host && host < info, "{out}");
    assert!(line_of(out, "↑ error[HTTP001 http-status] above") > walk);
    assert!(line_of(out, "↓ info[TLS005 private-root] below") < info);
    assert_fits(out);
    // without -v, no exchange details
    assert!(!out.contains("            > user-agent: "), "{out}");
}

#[test]
fn verbose_adds_each_exchange_headers_and_timings() {
    let site = Site::correct("ota.acme-apps.test");
    let run = human(&site, &["--now", NOW, "-v"], &site.link());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    // the manifest's request and answer
    let manifest = line_of(out, "  manifest  GET ");
    let sent = line_of(out, "> user-agent: ");
    let status = line_of(out, "< HTTP/1.1 200");
    let kind = line_of(out, "< content-type: text/xml");
    let timing = line_of(out, "time first byte ");
    assert!(
        manifest < sent && sent < status && status < kind && kind < timing,
        "{out}"
    );
    assert!(
        out.contains("> range: bytes="),
        "the package's Range request is shown:\n{out}"
    );
    assert!(
        out.contains("body starts \"<?xml"),
        "the first bytes of the manifest:\n{out}"
    );
    assert_fits(out);
    // -q and -v together make no sense
    let both = otadoctor(&["-q", "-v", "--offline", &site.link()]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[test]
fn every_report_of_the_test_inputs_fits_in_100_columns() {
    let mut inputs = Vec::new();
    for dir in ["pages", "links", "manifests", "profiles", "device", "text"] {
        let Ok(entries) = std::fs::read_dir(testdata(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_file() && entry.file_name() != "README.md" {
                inputs.push(entry.path().display().to_string());
            }
        }
    }
    assert!(inputs.len() > 40, "{}", inputs.len());
    for input in &inputs {
        let run = otadoctor(&["--offline", "--now", NOW, input]);
        if run.code == 2
            && run
                .stderr
                .contains("no itms-services link, manifest, package or profile")
        {
            continue; // a case table, not an input
        }
        assert!(run.code == 0 || run.code == 1, "{input}: {}", run.stderr);
        assert_fits(&run.stdout);
        let first = run.stdout.lines().next().unwrap_or_default();
        assert!(
            ["✓ ", "✗ ", "! ", "? "].iter().any(|v| first.starts_with(v)),
            "{input}: the first line is not a verdict: {first}"
        );
    }
}

#[test]
fn a_long_highlight_is_cut_around_its_mark_and_the_carets_still_point_at_it() {
    let query: String = (0..40).map(|i| format!("&k{i}=v{i}")).collect();
    let link = format!("itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/a.plist{query}");
    let run = otadoctor(&["--offline", &link]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("error[LNK006"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let text = lines[at + 1].strip_prefix("  │ ").expect("the highlighted text");
    let carets = lines[at + 2].strip_prefix("  │ ").expect("the carets");
    assert!(text.chars().count() <= WIDTH - 4, "{text}");
    let start = carets.find('^').expect("carets");
    let marked: String = text.chars().skip(start).take(5).collect();
    assert_eq!(marked, "&amp;", "{text}\n{carets}");
}
