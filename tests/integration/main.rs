//! The integration tests, one binary (each test binary links the whole crate): one module per
//! topic. The compile-fail cases are `tests/ui.rs`, a binary of their own (trybuild).
//!
//! Tests here run at once in one process, so none owns process-wide state: each has its own
//! runtime or uses the global one for what any runtime does, each cached test its own cache
//! directory, the one test that sets a global `tracing` subscriber records only its own spans,
//! and those that need their own stderr (or process) run this binary again as a child, naming
//! one test (`--exact module::test`).

mod branch;
#[cfg(feature = "cache")]
mod cache;
#[cfg(feature = "cli")]
mod cli;
mod dynamic;
mod errors;
#[cfg(feature = "cli")]
mod example;
mod executors;
#[cfg(all(feature = "cli", feature = "flyte"))]
mod flyte_cli;
mod hygiene;
mod json;
mod load;
mod map;
mod progress;
mod run;
mod semantics;
mod spans;
mod tasks;
mod workflows;
