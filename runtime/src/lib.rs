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
//! - API: [`Runtime`], and [`Run`], a run with its options.

mod arities;
#[cfg(feature = "cache")]
pub mod cache;
mod data;
mod error;
pub mod events;
mod exec;
mod finished;
mod handle;
mod json;
mod json_io;
mod json_tuple;
mod observe;
mod options;
mod panics;
mod plan;
pub mod progress;
mod promise;
mod runtime;
#[cfg(all(test, feature = "cache"))]
mod tests;
mod tuple;
mod value;

pub use crate::data::Data;
pub use crate::error::{
    BoxError, BuildError, BuildErrors, CancelledError, Cause, Completed, ConfigError, ElementFailure, Error,
    MapFailure, NodeError, PanicError, Report, TimeoutError, ToleratedFailure,
};
pub use crate::finished::Finished;
#[doc(hidden)]
pub use crate::handle::Callable;
pub use crate::handle::WorkflowHandle;
pub use crate::json::{JsonRun, JsonRunError};
pub use crate::json_io::{JsonInput, JsonInputs, JsonOutputs};
pub use crate::options::RunOptions;
pub use crate::plan::Compiled;
pub use crate::plan::target::{Defaults, Runnable, Target, Task, Workflow};
pub use crate::promise::{Done, Promise};
pub use crate::runtime::{Reported, Run, Runtime, RuntimeBuilder, WorkflowFn};

#[doc(hidden)]
pub mod __private {
    pub use crate::error::{BoxError, BuildError, Cause, Error};
    pub use crate::plan::Compiled;
    pub use crate::plan::branch::{ArmValue, BranchBuilder, Cond};
    pub use crate::plan::builder::{GraphBuilder, MapSpec};
    pub use crate::plan::callees::{Callee, DeclareNothing, DeclareTarget};
    pub use crate::plan::compile::{CompileCell, DefaultsJson, compile, default_json};
    pub use crate::plan::condition::Scalar;
    pub use crate::plan::decl::{Declared, TaskDecl, WorkflowDecl};
    pub use crate::plan::dyn_call::{DynCall, DynNode, Lift, NodeSettings, lift, with_settings};
    pub use crate::plan::dynamic::{
        DynPart, Dynamic, DynamicBuilder, DynamicKernel, ExpandedOutput, Expansion, Many, Part as DynOutput,
    };
    pub use crate::value::{Source, Value};

    /// What calling a `#[dynamic]`'s function directly returns: nothing, as it never returns (a
    /// dynamic runs as a node of a workflow).
    #[derive(Debug)]
    pub enum NotCallable {}
    pub use crate::plan::kernel::{Invoke, Kernel};
    pub use crate::plan::target::{
        Defaults, DynamicMap, Runnable, Sealed, SubWorkflow, Target, Task, TaskKernel, Workflow, declare_workflow,
        dynamic_map,
    };
    pub use crate::promise::{After, AfterGoesOnTheCall, Done, Mapped, MappedList, Promise, SlotFor, Unset, mapped};
    pub use crate::runtime::{Run, run_of};
    pub use crate::tuple::{InputTuple, Nested, OutputTuple, Part};
    pub use flowmap_model::graph::{CompareOp, SuccessRule, Tables};
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
    pub fn task_error<E: TaskError>(error: E) -> Cause {
        error.into_cause()
    }

    /// What a task's `Err` may hold: what converts into a [`BoxError`]. A trait of its own so that
    /// a type that does not (such as `Box<dyn Error>`, neither `Send` nor `Sync`) is reported once,
    /// with what to write, rather than once per missing bound.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a task's error: it must be an error type that is `Send + Sync`",
        label = "not `Into<Box<dyn Error + Send + Sync>>`",
        note = "a failed attempt's error is sent between threads: use `String`, `anyhow::Error`, a type \
                implementing `std::error::Error + Send + Sync`, or `Box<dyn std::error::Error + Send + Sync>` \
                (not `Box<dyn std::error::Error>`)"
    )]
    pub trait TaskError {
        /// The failed attempt.
        fn into_cause(self) -> Cause;
    }

    #[diagnostic::do_not_recommend]
    impl<E: Into<BoxError>> TaskError for E {
        fn into_cause(self) -> Cause {
            Cause::Error(self.into())
        }
    }

    /// Starts binding a call of `target`. (The binder is a type parameter rather than `T::Args`:
    /// a `target` that is not a task is then reported once, not once more for its binder.)
    pub fn args<T, A>(target: &T) -> A
    where
        T: Target<Args = A>,
    {
        target.args()
    }

    /// The descriptor of a task's single output whose type is not written `Result<..>`, checked
    /// not to be a `Result` under another name (an alias), whose `Err` would be an output:
    /// `ResultProbe::<T>::new().describe()` is an error exactly when `T` is a `Result`. Its
    /// `Result` impl is inherent, so it is chosen over [`ProbeFallback`]'s method, and its bound
    /// is on a trait that nothing implements.
    #[derive(Debug)]
    pub struct ResultProbe<T>(core::marker::PhantomData<fn() -> T>);

    impl<T> ResultProbe<T> {
        /// The probe of `T`.
        #[must_use]
        pub const fn new() -> Self {
            ResultProbe(core::marker::PhantomData)
        }
    }

    impl<T> Default for ResultProbe<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T, E> ResultProbe<Result<T, E>> {
        /// An error: `T` is a `Result` not written as one.
        #[must_use]
        pub fn describe(&self) -> TypeDesc
        where
            Result<T, E>: ResultWrittenAsResult,
        {
            unreachable!("`ResultWrittenAsResult` has no impls")
        }
    }

    /// The descriptor of an output that is not a `Result`, checked to be data.
    pub trait ProbeFallback<T> {
        /// The descriptor of `T`.
        #[must_use]
        fn describe(&self) -> TypeDesc
        where
            T: Data,
        {
            crate::data::describe::<T>()
        }
    }

    impl<T> ProbeFallback<T> for ResultProbe<T> {}

    /// Never implemented: the message of a task whose return type is a `Result` under another name.
    #[diagnostic::on_unimplemented(
        message = "this task returns `{Self}` under another name, so an `Err` would count as a successful output",
        label = "a `Result` not written as `Result<..>`",
        note = "a task can fail when its signature says `Result`: write the return type as `Result<T, E>` \
                (or a `Result` alias of that name, such as `io::Result<T>` or `anyhow::Result<T>`), \
                so that an `Err` fails the attempt and is retried"
    )]
    pub trait ResultWrittenAsResult {}

    /// What `cache = true` (a task's option or a node's override) names, at the user's `cache`:
    /// it holds only when flowmap is built with its `cache` feature.
    pub fn cache_enabled<F: CacheFeatureEnabled>() {}

    /// The type [`cache_enabled`] is checked for.
    #[derive(Debug)]
    pub struct CacheFeature;

    /// Implemented for [`CacheFeature`] only with the `cache` feature: the message of
    /// `cache = true` in a program built without it.
    #[diagnostic::on_unimplemented(
        message = "`cache = true` needs flowmap's `cache` feature, which this build of flowmap does not have",
        label = "`cache = true` here, but flowmap is built without its `cache` feature",
        note = "enable flowmap's `cache` feature (a default feature): `flowmap = {{ version = \"...\", features = [\"cache\"] }}`, \
                or remove `cache = true`"
    )]
    pub trait CacheFeatureEnabled {}

    #[cfg(feature = "cache")]
    impl CacheFeatureEnabled for CacheFeature {}

    /// What a call in a workflow body names when its function is not a task or workflow: the
    /// call is generated as `use path as NotATaskOrWorkflow;` next to a glob import of this
    /// module, and a function has no item in the type namespace, so this struct stands in and
    /// is reported as not a [`Target`].
    pub mod fallback {
        /// Not a task or workflow.
        #[derive(Debug)]
        pub struct NotATaskOrWorkflow {}
    }
}
