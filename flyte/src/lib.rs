//! flowmap's Flyte backend: compiles workflows to a Flyte 1.x package (task, workflow and
//! launch-plan specs that `flytectl register files` takes), and runs a task as the container
//! of a Flyte task pod.
//!
//! Users reach it through the facade's `flyte` feature, as `flowmap::flyte`. The compiler
//! (`compile/`, `types.rs`, `literal.rs`) reads only the graph model.

mod compile;
mod error;
mod idl;
mod literal;
mod package;
mod shape;
mod types;

pub use crate::error::PackageError;
pub use crate::literal::LiteralError;
pub use crate::package::Package;

#[cfg(test)]
mod tests;
