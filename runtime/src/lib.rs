//! The runtime half of [flowmap](https://docs.rs/flowmap): plans and the embedded local executor.
//!
//! Users depend on the `flowmap` facade, which re-exports this crate with the macros and the
//! model; the items under `__private` exist for the code `#[task]` and `#[workflow]` generate.
//!
//! Layers, each depending only on those before it (see ARCHITECTURE.md):
//! - base: erased values and their sources, errors, [`Data`], promises, and the tuple
//!   traits that bridge typed code and erased values;
//! - `plan`: compiling a workflow body into a plan of typed kernels (`plan::builder`,
//!   `plan::compile`), and the kernels' per-element attempts and map loops, which ask the
//!   executor for what they need through one trait (`plan::Hooks`);
//! - `exec`: the local executor: capacity, threads, events, running a plan;
//! - API: [`Runtime`].

pub mod cache;
mod data;
mod error;
pub mod events;
mod exec;
mod json;
mod json_io;
mod options;
mod panics;
mod plan;
pub mod progress;
mod promise;
mod runtime;
#[cfg(test)]
mod tests;
mod tuple;
mod value;
mod workflow_fn;

pub use crate::data::Data;
pub use crate::error::{
    BoxError, BuildError, BuildErrors, CancelledError, Cause, Completed, ConfigError, ElementFailure, Error,
    MapFailure, NodeError, PanicError, Report, TimeoutError,
};
pub use crate::events::{Event, EventKind};
pub use crate::json::JsonRunError;
pub use crate::json_io::{JsonInput, JsonInputs, JsonOutputs};
pub use crate::options::RunOptions;
pub use crate::plan::Compiled;
pub use crate::plan::target::{Defaults, Runnable, Target, Task, Workflow};
pub use crate::progress::{NodeProgress, NodeState, Progress};
pub use crate::promise::{Done, Promise};
pub use crate::runtime::{Runtime, RuntimeBuilder};
pub use crate::workflow_fn::{RunFuture, WorkflowFn, WorkflowRun};

#[doc(hidden)]
pub mod __private {
    pub use crate::error::{BoxError, BuildError, Cause, Error};
    pub use crate::plan::Compiled;
    pub use crate::plan::builder::{GraphBuilder, MapSpec};
    pub use crate::plan::compile::{CompileCell, DefaultsJson, compile, default_json};
    pub use crate::plan::decl::{Declared, TaskDecl, WorkflowDecl};
    pub use crate::plan::kernel::{Invoke, Kernel};
    pub use crate::plan::target::{
        Defaults, Runnable, Sealed, SubWorkflow, Target, Task, TaskKernel, Workflow, declare_workflow,
    };
    pub use crate::promise::{After, Done, Mapped, MappedList, Promise, SlotFor, Unset, mapped};
    pub use crate::runtime::run_on_global;
    pub use crate::tuple::{InputTuple, Nested, OutputTuple, Part};
    pub use crate::workflow_fn::WorkflowRun;
    pub use flowmap_model::graph::{SuccessRule, Tables};
    pub use flowmap_model::{Quantity, Ratio, ResourceKey, Resources, Settings};

    use crate::Data;
    use flowmap_model::types::TypeDesc;

    /// The descriptor of `T`, checked to be data; generated code spans the call at the user's
    /// type, so a type that is not data is reported there, once.
    #[must_use]
    pub fn describe<T: Data>() -> TypeDesc {
        crate::data::describe::<T>()
    }

    /// A task's `Err(e)` as a failed attempt.
    pub fn task_error<E: Into<BoxError>>(error: E) -> Cause {
        Cause::Error(error.into())
    }

    /// Starts binding a call of `target`.
    pub fn args<T: Target>(target: &T) -> T::Args {
        target.args()
    }
}
