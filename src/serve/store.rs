//! Checks under way and their reports, in memory only: a report is shown once and dropped, or,
//! with `--keep-reports`, kept at its permalink for that long. Bounded in count and in bytes;
//! the oldest go first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::job::{Finished, Progress};

/// How long a report that is shown once waits to be fetched.
const UNCLAIMED: Duration = Duration::from_secs(120);
/// The most runs and reports held.
const MAX_ENTRIES: usize = 1000;
/// The most report bytes held.
const MAX_BYTES: usize = 256 * 1024 * 1024;

#[derive(Clone, Default)]
pub struct Store {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

struct Entry {
    created: Instant,
    state: State,
}

enum State {
    Running(Progress),
    Report {
        body: Arc<String>,
        code: i32,
        /// Until when it stays; shown-once reports go when fetched or at this time.
        until: Instant,
        /// The wall-clock time it goes, for the page (`None`: shown once).
        kept_until: Option<SystemTime>,
    },
    Failed {
        message: String,
        until: Instant,
    },
}

/// What `status` says of a run.
pub enum RunState {
    Running(String),
    Done { code: i32 },
    Failed(String),
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// A new run: its id and where its progress line goes.
    pub fn start(&self) -> Option<(String, Progress)> {
        let id = new_id()?;
        let progress = Progress::default();
        let mut entries = self.entries.lock().ok()?;
        sweep(&mut entries);
        entries.insert(
            id.clone(),
            Entry {
                created: Instant::now(),
                state: State::Running(progress.clone()),
            },
        );
        Some((id, progress))
    }

    /// A run ended: its report kept for `keep` (or until shown once), or why it failed.
    pub fn finish(&self, id: &str, finished: Finished, keep: Option<Duration>) {
        let now = Instant::now();
        let state = match finished {
            Finished::Report { body, code } => State::Report {
                body: Arc::new(body),
                code,
                until: now + keep.unwrap_or(UNCLAIMED),
                kept_until: keep.map(|k| SystemTime::now() + k),
            },
            Finished::Failed(message) => State::Failed {
                message,
                until: now + UNCLAIMED,
            },
        };
        if let Ok(mut entries) = self.entries.lock()
            && let Some(entry) = entries.get_mut(id)
        {
            entry.state = state;
        }
    }

    /// A report of a run that was not followed (the form without JavaScript), kept for `keep`.
    pub fn keep(&self, body: String, keep: Option<Duration>) -> Option<String> {
        let (id, _) = self.start()?;
        self.finish(&id, Finished::Report { body, code: 0 }, keep);
        Some(id)
    }

    pub fn status(&self, id: &str) -> Option<RunState> {
        let mut entries = self.entries.lock().ok()?;
        sweep(&mut entries);
        let entry = entries.get(id)?;
        Some(match &entry.state {
            State::Running(progress) => RunState::Running(progress.line()),
            State::Report { code, .. } => RunState::Done { code: *code },
            State::Failed { message, .. } => {
                let message = message.clone();
                // a failure is said once
                entries.remove(id);
                RunState::Failed(message)
            }
        })
    }

    /// A report and, when kept, until when; a report shown once is dropped now.
    pub fn report(&self, id: &str) -> Option<(Arc<String>, Option<SystemTime>)> {
        let mut entries = self.entries.lock().ok()?;
        sweep(&mut entries);
        let (body, kept_until) = match &entries.get(id)?.state {
            State::Report { body, kept_until, .. } => (body.clone(), *kept_until),
            _ => return None,
        };
        if kept_until.is_none() {
            entries.remove(id);
        }
        Some((body, kept_until))
    }
}

/// Drops what expired, then the oldest reports while over the count or the bytes.
fn sweep(entries: &mut HashMap<String, Entry>) {
    let now = Instant::now();
    entries.retain(|_, e| match &e.state {
        State::Running(_) => true,
        State::Report { until, .. } | State::Failed { until, .. } => *until > now,
    });
    let size = |e: &Entry| match &e.state {
        State::Report { body, .. } => body.len(),
        _ => 0,
    };
    let mut bytes: usize = entries.values().map(size).sum();
    while entries.len() > MAX_ENTRIES || bytes > MAX_BYTES {
        let oldest = entries
            .iter()
            .filter(|(_, e)| !matches!(e.state, State::Running(_)))
            .min_by_key(|(_, e)| e.created)
            .map(|(id, _)| id.clone());
        match oldest.and_then(|id| entries.remove(&id)) {
            Some(gone) => bytes = bytes.saturating_sub(size(&gone)),
            None => break,
        }
    }
}

/// 128 random bits in hex: an address nobody guesses.
fn new_id() -> Option<String> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_shown_once_is_gone_after_it_is_read_and_a_kept_one_stays() {
        let store = Store::new();
        let (id, _) = store.start().unwrap();
        assert!(matches!(store.status(&id), Some(RunState::Running(_))));
        store.finish(
            &id,
            Finished::Report {
                body: "report".into(),
                code: 1,
            },
            None,
        );
        assert!(matches!(store.status(&id), Some(RunState::Done { code: 1 })));
        assert_eq!(store.report(&id).unwrap().0.as_str(), "report");
        assert!(store.report(&id).is_none());
        let kept = store.keep("kept".into(), Some(Duration::from_secs(60))).unwrap();
        assert!(store.report(&kept).unwrap().1.is_some());
        assert!(store.report(&kept).is_some());
        assert_eq!(kept.len(), 32);
        assert_ne!(kept, id);
    }
}
