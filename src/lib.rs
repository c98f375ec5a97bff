//! otadoctor: replays what an iPhone does with an itms-services link and reports, with stable
//! rule codes, every reason the over-the-air install would fail.
//!
//! Three stages, data flowing one way: `collect` (all I/O) → `facts::Facts` → `check` (pure
//! rules) → `finding::Finding`s → `report`. `run` is the one pipeline through them; `cli` turns a command line into its options.

pub mod bounded;
pub mod check;
pub mod cli;
pub mod cms;
pub mod codesign;
pub mod collect;
pub mod config;
pub mod ctlog;
pub mod demo;
pub mod device;
pub mod facts;
pub mod finding;
pub mod generate;
pub mod link;
pub mod manifest;
pub mod registry;
pub mod report;
pub mod run;
pub mod serve;
pub mod severity;
pub mod symptom;
pub mod text;
pub mod x509;
