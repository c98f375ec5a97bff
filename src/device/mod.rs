//! What the device itself says: the error codes installd, appstored, CFNetwork and the MDM agent
//! report, and the log lines of an over-the-air install. Pure data and parsing, used by the
//! log reader (`collect::evidence`), the DEV rules (`check::dev`) and `otadoctor explain`.

pub mod codes;
pub mod events;
pub mod explain;
