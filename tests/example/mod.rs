//! The built `anomalies` example, for the tests that run it as a separate process.
//!
//! `cargo test` (with no target named) builds the examples before it runs any test, so the
//! binary is beside the test's own (`target/<profile>/examples/`). `cargo test --test cli`
//! alone does not rebuild it: build it first (`cargo build --features cli --example anomalies`).

use std::path::PathBuf;

/// The example binary's path.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let bin = dir.join("examples").join(format!("anomalies{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is missing: run `cargo test --workspace` (it builds the examples)", bin.display());
    bin
}
