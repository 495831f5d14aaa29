//! Generates the protobuf types of `flowmap-flyte` from Flyte's `.proto` files.
//!
//! `cargo run -- PROTOS_DIR OUT_DIR`; `../regenerate.sh` fetches the pinned protos and runs it.
//! Comments are disabled: no upstream text is copied into the generated code.

use std::path::PathBuf;

/// The files flowmap needs; their imports come with them.
const FILES: &[&str] = &[
    "flyteidl/admin/task.proto",
    "flyteidl/admin/workflow.proto",
    "flyteidl/admin/launch_plan.proto",
    "flyteidl/core/errors.proto",
    "flyteidl/core/literals.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(protos), Some(out)) = (args.next().map(PathBuf::from), args.next().map(PathBuf::from)) else {
        return Err("usage: flowmap-flyteidl-gen PROTOS_DIR OUT_DIR".into());
    };
    let files = protox::compile(FILES, [&protos])?;
    std::fs::create_dir_all(&out)?;
    prost_build::Config::new()
        .out_dir(&out)
        .disable_comments(["."])
        // Maps encode in key order, so that a package is the same bytes every time.
        .btree_map(["."])
        .compile_fds(files)?;
    Ok(())
}
