//! flowmap's Flyte backend: compiles workflows to a Flyte 1.x package (task, workflow and
//! launch-plan specs that `flytectl register files` takes), and runs a task as the container
//! of a Flyte task pod.
//!
//! Users reach it through the facade's `flyte` feature, as `flowmap::flyte`. The compiler
//! (`compile/`, `types.rs`, `literal.rs`) reads only the graph model.

mod compile;
mod error;
mod execute;
mod idl;
mod literal;
mod package;
mod registry;
mod shape;
pub(crate) mod store;
mod types;

pub use crate::error::PackageError;
pub use crate::execute::{ExecuteArgs, ExecuteError, Executed, execute};
pub use crate::literal::{LiteralError, decode_literal_map, encode_literal_map};
pub use crate::package::Package;
pub use crate::registry::Registry;
pub use crate::store::StoreError;

#[cfg(test)]
mod tests;
