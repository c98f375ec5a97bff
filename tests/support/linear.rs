//! The linear-cost check the tests/linear*.rs files share: a piece of work on inputs of size n
//! and 4n, best of three runs each; linear work takes about four times as long, quadratic
//! sixteen, so more than eight times fails.

use std::time::{Duration, Instant};

/// Below this, a run counts as this long.
pub const FLOOR: Duration = Duration::from_millis(40);

/// The best of three runs of `work(n)`.
fn best_of_three(n: usize, work: &dyn Fn(usize)) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            work(n);
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Fails when `work(4 * n)` costs more than eight times `work(n)`.
pub fn assert_linear(what: &str, n: usize, work: impl Fn(usize)) {
    let small = best_of_three(n, &work);
    let large = best_of_three(4 * n, &work);
    eprintln!("{what}: {small:?} -> {large:?}");
    assert!(
        large <= small.max(FLOOR) * 8,
        "{what}: n = {n} took {small:?}, 4n took {large:?} ({:.1}×): not linear",
        large.as_secs_f64() / small.as_secs_f64().max(1e-9)
    );
}
