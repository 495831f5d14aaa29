//! The runtime half of [flowmap](https://docs.rs/flowmap): the serializable graph model
//! ([`graph`]), structured types ([`types`]), and the embedded local executor ([`Runtime`]).
//!
//! Users depend on the `flowmap` facade, which re-exports this crate with the macros; the items
//! under `__private` exist for the code `#[task]` and `#[workflow]` generate.

mod builder;
mod dot;
mod error;
pub mod events;
mod exec;
pub mod graph;
mod promise;
mod runtime;
mod target;
pub mod types;
mod value;

pub use crate::builder::Compiled;
pub use crate::error::{BoxError, Cause, Completed, ElementFailure, Error, MapFailure, NodeError};
pub use crate::events::{Event, EventKind};
pub use crate::promise::Promise;
pub use crate::runtime::{RunFuture, Runtime, RuntimeBuilder, WorkflowRun};
pub use crate::target::{Defaults, Runnable, Target, Task, Workflow};
pub use crate::types::Data;
pub use crate::value::{InputTuple, OutputTuple};

#[doc(hidden)]
pub mod __private {
    pub use crate::builder::{
        CompileCell, Compiled, DefaultsJson, GraphBuilder, MapSpec, Tables, TaskDecl, WorkflowDecl, compile,
        default_json, workflow_info,
    };
    pub use crate::error::{BoxError, Cause, Error};
    pub use crate::graph::{Overrides, Resources, TaskSpec};
    pub use crate::promise::{Mapped, MappedList, Promise, SlotFor, Source, Unset, mapped};
    pub use crate::runtime::{RunContext, WorkflowRun, run_on_global, run_subworkflow};
    pub use crate::target::{Defaults, Invoke, Runnable, Target, TargetInfo, Task, Workflow};
    pub use crate::types::Data;
    pub use crate::value::{InputTuple, OutputTuple};

    /// The descriptor of `T`, checked to be data; generated code spans the call at the user's
    /// type, so a type that is not data is reported there, once.
    #[must_use]
    pub fn describe<T: Data>() -> crate::types::TypeDesc {
        crate::types::TypeDesc::of::<T>()
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
