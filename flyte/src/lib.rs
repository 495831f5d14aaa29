//! flowmap's Flyte backend: compiles workflows to a Flyte 1.x package (task, workflow and
//! launch-plan specs that `flytectl register files` takes), and runs a task as the container
//! of a Flyte task pod.
//!
//! Users reach it through the facade's `flyte` feature, as `flowmap::flyte`, and through the CLI
//! app's `package` and `execute` commands (features `cli` and `flyte`):
//!
//! - [`Package`] compiles workflows (task, map-template, workflow and launch-plan specs) and
//!   writes the tgz that `flytectl register files --archive` takes;
//! - [`Registry`] holds a program's workflows for [`execute`], the entrypoint every task template
//!   runs: it reads a `LiteralMap` of inputs from a blob URI, runs one task (or one map
//!   element) once, and writes `outputs.pb` or `error.pb`.
//!
//! How each option and type compiles, the container contract, and how the package differs from
//! flytekit's: `docs/flyte.md` in the repository. The compiler (`compile/`, `types.rs`,
//! `literal.rs`) reads only the graph model.

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
pub use crate::registry::{Registry, RegistryError};
pub use crate::store::{StoreError, cloud_stores};

#[cfg(test)]
mod tests;
