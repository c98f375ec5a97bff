//! Reading nested input within bounds: the ground floor's `crate::bounded`, where the pure
//! readers (the code signature's entitlements, beside the collectors) use it too.

pub use crate::bounded::*;
