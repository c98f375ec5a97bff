//! `--deep`'s download of a remote package: a file created exclusively, readable only by its
//! owner, in a folder of the run's own (0700), and gone on every way out: the end of the run,
//! and SIGINT, SIGTERM and SIGHUP in the middle of the download (exit 130, 143, 129). The real
//! binary, against the lab, with `TMPDIR` pointing at a folder of the test's own.

#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::lab::{Route, Site, package};

const HOST: &str = "ota.acme-apps.test";

/// A correct site whose package answers every request after a pause: the download is under
/// way long enough to look at it and to interrupt it.
fn slow_site() -> Site {
    let site = Site::correct(HOST);
    site.lab.route(
        Site::PACKAGE,
        Route::ok("application/octet-stream", package(256 * 1024)).delay(Duration::from_millis(400)),
    );
    site
}

fn start(site: &Site, tmp: &Path) -> Child {
    let mut args = site.args(&["--deep"]);
    args.push(site.link());
    Command::new(env!("CARGO_BIN_EXE_otadoctor"))
        .args(&args)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("otadoctor runs")
}

/// A fresh, empty folder for the run's temporary files.
fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp");
    dir
}

/// What otadoctor left in `tmp`.
fn left(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

/// Waits for the run's first temporary entry and returns it with what it holds.
fn wait_for_download(tmp: &Path, child: &mut Child) -> (PathBuf, Vec<PathBuf>) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(entry) = left(tmp).into_iter().next() {
            let inside = if entry.is_dir() { left(&entry) } else { Vec::new() };
            if !entry.is_dir() || !inside.is_empty() {
                return (entry, inside);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before its download started");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    panic!("no download started");
}

fn wait(child: &mut Child) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("the run did not end after the signal");
}

#[test]
fn the_download_is_private_and_gone_when_the_run_ends() {
    let site = slow_site();
    let tmp = fresh("deep-scratch-end");
    let mut child = start(&site, &tmp);
    let (entry, inside) = wait_for_download(&tmp, &mut child);
    assert!(
        entry.is_dir(),
        "a folder of the run's own, not a file among others: {entry:?}"
    );
    assert_eq!(mode(&entry), 0o700, "{entry:?}");
    assert_eq!(inside.len(), 1, "{inside:?}");
    assert_eq!(mode(&inside[0]), 0o600, "{inside:?}");
    let code = wait(&mut child);
    assert!(matches!(code, Some(0 | 1)), "{code:?}");
    assert_eq!(left(&tmp), Vec::<PathBuf>::new(), "nothing left behind");
}

#[test]
fn a_signal_in_the_middle_of_the_download_leaves_nothing_behind() {
    let site = slow_site();
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let tmp = fresh(&format!("deep-scratch-{signal}"));
        let mut child = start(&site, &tmp);
        let (entry, _) = wait_for_download(&tmp, &mut child);
        let sent = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        assert_eq!(wait(&mut child), Some(code), "SIG{signal}: the conventional exit code");
        assert_eq!(
            left(&tmp),
            Vec::<PathBuf>::new(),
            "SIG{signal}: {entry:?} is gone with everything in it"
        );
    }
}
