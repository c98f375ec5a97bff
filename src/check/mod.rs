//! Rules: pure functions from facts (and the context clock and options) to findings.
//! No I/O and no clock reads here; `Context::now` is the only time there is.

pub mod lnk;
pub mod repair;
pub mod url;

use time::OffsetDateTime;

use crate::facts::Facts;
use crate::finding::Finding;

/// What the rules may know besides the facts.
#[derive(Debug, Clone)]
pub struct Context {
    /// The clock for every date check (`--now`, or the time the run started).
    pub now: OffsetDateTime,
}

/// Runs every rule over the facts of one input, in the order links were found.
pub fn run(facts: &Facts, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, link) in facts.links.iter().enumerate() {
        lnk::check(link, index, ctx, &mut out);
    }
    out
}
