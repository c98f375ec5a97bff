//! The linear-cost check the tests/linear*.rs files share: a piece of work on inputs of size n
//! and 4n; linear work takes about four times as long, quadratic sixteen, so more than eight
//! times fails.
//!
//! Wall time on a shared machine is noisy (a compiler on the other core can slow one run three
//! times), so the runs of n and 4n alternate, the best of each counts, and a ratio over eight is
//! measured again, twice: quadratic work is over eight every time, a noisy moment is not.

use std::time::{Duration, Instant};

/// Below this, a run counts as this long.
pub const FLOOR: Duration = Duration::from_millis(40);

fn timed(n: usize, work: &dyn Fn(usize)) -> Duration {
    let start = Instant::now();
    work(n);
    start.elapsed()
}

/// The best of three runs of `work(n)` and of `work(4 * n)`, alternating.
fn best_of_three(n: usize, work: &dyn Fn(usize)) -> (Duration, Duration) {
    let (mut small, mut large) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        small = small.min(timed(n, work));
        large = large.min(timed(4 * n, work));
    }
    (small, large)
}

/// Fails when `work(4 * n)` costs more than eight times `work(n)` in three measurements.
pub fn assert_linear(what: &str, n: usize, work: impl Fn(usize)) {
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (small, large) = best_of_three(n, &work);
        eprintln!("{what}: {small:?} -> {large:?}");
        if large <= small.max(FLOOR) * 8 {
            return;
        }
        seen.push(format!(
            "n = {n} took {small:?}, 4n took {large:?} ({:.1}×)",
            large.as_secs_f64() / small.as_secs_f64().max(1e-9)
        ));
    }
    panic!("{what}: not linear: {}", seen.join("; "));
}
