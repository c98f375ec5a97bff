//! The run's private scratch folder, for `--deep` downloads.
//!
//! The folder is made on first use, with mode 0700, under the system's temporary folder
//! (`TMPDIR`); each file in it is created exclusively (`O_EXCL`) with mode 0600. Both come from
//! `tempfile`, which also removes them when they are dropped. The folder goes on every way out:
//! when the run ends (`Scratch` is dropped or `remove`d), when its deadline cuts it short (the
//! pipeline calls `remove`), and on SIGINT, SIGTERM or SIGHUP, which no destructor sees: a
//! watcher thread, started with the first folder, removes every live scratch folder and exits
//! with the conventional code (130, 143, 129).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The scratch folder of one run (none until a file is asked for).
#[derive(Debug, Default)]
pub struct Scratch {
    dir: Mutex<Option<tempfile::TempDir>>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// A new file in the run's folder (made now if this is the first file): created
    /// exclusively, readable only by its owner, removed when the handle is dropped.
    pub fn file(&self, prefix: &str, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
        let mut dir = self
            .dir
            .lock()
            .map_err(|_| std::io::Error::other("the scratch folder is unusable"))?;
        let path = match dir.as_ref() {
            Some(made) => made.path().to_path_buf(),
            None => {
                let made = tempfile::Builder::new().prefix("otadoctor-").tempdir()?;
                let path = made.path().to_path_buf();
                private(&path)?;
                watch(path.clone());
                *dir = Some(made);
                path
            }
        };
        tempfile::Builder::new()
            .prefix(prefix)
            .suffix(suffix)
            .tempfile_in(&path)
    }

    /// The folder, once made.
    pub fn path(&self) -> Option<PathBuf> {
        self.dir.lock().ok()?.as_ref().map(|d| d.path().to_path_buf())
    }

    /// Removes the folder and what is in it, now (files still open elsewhere go with it).
    pub fn remove(&self) {
        let taken = match self.dir.lock() {
            Ok(mut dir) => dir.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(dir) = taken {
            unwatch(dir.path());
            let _ = dir.close();
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Mode 0700, whatever the umask or `tempfile`'s default.
#[cfg(unix)]
fn private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Every scratch folder of the process that still exists.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// The signal watcher, started once.
static WATCHER: OnceLock<()> = OnceLock::new();

fn watch(path: PathBuf) {
    match LIVE.lock() {
        Ok(mut live) => live.push(path),
        Err(poisoned) => poisoned.into_inner().push(path),
    }
    WATCHER.get_or_init(start_watcher);
}

fn unwatch(path: &Path) {
    let mut live = match LIVE.lock() {
        Ok(live) => live,
        Err(poisoned) => poisoned.into_inner(),
    };
    live.retain(|p| p != path);
}

/// Removes every live scratch folder (after a signal).
fn remove_live() {
    let live = match LIVE.lock() {
        Ok(mut live) => std::mem::take(&mut *live),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    for path in live {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// Installs handlers for SIGINT, SIGTERM and SIGHUP before returning (so no signal can come
/// between the folder and its handler), then waits for them on a thread of its own: it answers
/// even while every worker of the run is busy hashing. tokio's signal handling is already in
/// the tree (a self-pipe: the handler itself only writes a byte).
#[cfg(unix)]
fn start_watcher() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_io().build() else {
        return;
    };
    let signals = {
        let _context = runtime.enter();
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        )
    };
    let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = signals else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("otadoctor-signals".to_string())
        .spawn(move || {
            let code = runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => 130,
                    _ = terminate.recv() => 143,
                    _ = hangup.recv() => 129,
                }
            });
            remove_live();
            std::process::exit(code);
        });
}

#[cfg(not(unix))]
fn start_watcher() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_and_go_with_the_folder() {
        let scratch = Scratch::new();
        assert!(scratch.path().is_none(), "nothing is made before it is needed");
        let file = scratch.file("package-", ".ipa").expect("a scratch file");
        let dir = scratch.path().expect("the folder");
        assert!(file.path().starts_with(&dir));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
            assert_eq!(mode(&dir), Some(0o700));
            assert_eq!(mode(file.path()), Some(0o600));
        }
        scratch.remove();
        assert!(!dir.exists());
        drop(file);
        assert!(!dir.exists());
    }
}
