//! # flowmap
//!
//! Typed data workflows for Rust: Flyte's tasks, workflows and map tasks, checked by the Rust
//! compiler and run by an embedded runtime.
//!
//! ```
//! use flowmap::prelude::*;
//!
//! const THRESHOLD: i64 = 11;
//!
//! #[task]
//! fn detect_anomalies(data_point: i64) -> bool {
//!     data_point > THRESHOLD
//! }
//!
//! #[workflow]
//! fn map_workflow(#[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>) -> Vec<bool> {
//!     map!(detect_anomalies)(data_point = data)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flowmap::Error> {
//! assert!(detect_anomalies(12)); // a task is still a plain function
//! let out = map_workflow(vec![5, 50]).await?; // a workflow runs on the embedded runtime
//! assert_eq!(out, [false, true]);
//! # Ok(()) }
//! ```
//!
//! - [`task`] turns a function (sync or `async`, returning `T` or `Result<T, E>`) into a task.
//! - [`workflow`] compiles a function body into a typed node graph ([`graph::Graph`]).
//! - [`map!`] fans a task or workflow out over lists, with `concurrency`, `min_success_ratio`,
//!   `min_successes` and `partial(...)`.
//! - [`Runtime`] runs workflows in-process, with a capacity for resource `requests`:
//!   `rt.run(&my_workflow, (inputs,))` is a [`Run`], with the options of that run, awaited or
//!   waited for (see [Running](#running)).
//! - [`docs::semantics`]: what the local runtime guarantees, rule by rule;
//!   [`docs::architecture`]: the crates and their layers.
//!
//! ## Tasks
//!
//! `#[task(name = "...", retries = N, timeout = "30s", cache = true, cache_version = "1",
//! requests(cpu = "1", mem = "2Gi", gpu = "1", ephemeral_storage = "1Gi"), limits(...))]`.
//! Inputs and outputs are plain serde data ([`Data`]); a tuple return is several outputs.
//! A task that returns `Err` or panics fails its attempt; it is retried up to `retries` times.
//!
//! A sync task runs where it may block: on a blocking thread, or in place on the runtime thread
//! driving the run when nothing else of the run could progress and its calls are known to be
//! short. Its `timeout` fails the attempt when it
//! expires, but the thread cannot be interrupted: the call finishes in the background, keeping
//! its requested capacity until it ends, and its result is dropped. An async task's attempt is
//! cancelled on timeout. See [`task`] for every option.
//!
//! ## Workflows
//!
//! The body is wiring only: each call of a task, workflow or `map!` adds a node; parameters and
//! results are [`Promise`]s. `let` bindings, tuple outputs, constants and `#[default(expr)]`
//! inputs work; `if`, loops, arithmetic or `.await` on promises are compile errors. Overrides
//! follow a call: `.with_overrides(requests(mem = "2Gi"), retries = 2, timeout = "1m")`, and
//! apply to that node only.
//!
//! ## Local execution
//!
//! Nodes run in dependency order, independent ones concurrently. A map runs at most
//! `concurrency` elements at once (a rolling window); failed elements become `None` when
//! failures are tolerated, and the node fails as soon as the required successes are out of
//! reach. `requests` are admitted against the runtime's capacity; `limits` are carried in the
//! graph for remote backends and not enforced locally. Every rule: [`docs::semantics`].
//!
//! ## Running
//!
//! | | on the global runtime | on `rt` |
//! |---|---|---|
//! | inputs in parameter order | `my_workflow(a, b)` | `rt.run(&my_workflow, (a, b))`, or `my_workflow(a, b).on(&rt)` |
//! | some inputs, the others from their `#[default]` | | `rt.run_with_defaults(&my_workflow, (Some(a), None))` |
//! | every input from its `#[default]` | | `rt.run_default(&my_workflow)` |
//! | inputs and outputs as JSON | | `rt.run_json(&my_workflow, inputs)`, `rt.call_json(..)`: [`json`] |
//!
//! Each is a run not started yet ([`Run`], or [`json::JsonRun`]): set options of this run on it
//! (`.cache(false)`, `.overwrite_cache(true)`, `.options(RunOptions)`), then `.await` it, or
//! `.wait()` for it in code with no async runtime (`fn main()`); `.reported()` returns with the
//! outputs every element a tolerant map lost ([`Finished`]).
//!
//! **The global runtime.** `my_workflow(a, b).await`, a run given no runtime, runs on
//! [`Runtime::global`]: started on first use, with this machine's CPUs and memory. To choose
//! its capacity, call [`RuntimeBuilder::build_global`] before any such run, or build a
//! [`Runtime`] of your own and run on it.
//!
//! ## Features
//!
//! - `cache` (default): the durable cache of tasks with `cache = true` (`flowmap::cache`,
//!   `RunOptions::cache`, `RuntimeBuilder::cache_dir`, ...). Without it the cache's code and
//!   dependencies are not built, and `cache = true` is a compile error that names this feature.
//! - `cli`: a command-line app for the program's workflows (`flowmap::cli`); it enables `cache`.
//! - `flyte`: compile workflows to Flyte packages, and the task container's entrypoint
//!   (`flowmap::flyte`); `s3`, `gcs`, `azure`: the blob store of the cluster (each enables `flyte`).
//!
//! ## Errors
//!
//! [`Error`] says where a run failed (workflow, node, task); its [`source`](std::error::Error::source)
//! chain leads, one level at a time, to the task's own error and its root cause. Print the whole
//! chain with [`Error::report`] (or `{:#}` with anyhow). The types it holds are in [`error`].

pub use flowmap_macros::{dynamic, fail, map, task, workflow};
pub use flowmap_model::{graph, types};
#[cfg(feature = "cache")]
pub use flowmap_runtime::cache;
pub use flowmap_runtime::{
    Data, Defaults, Done, Error, Finished, Promise, Reported, Run, RunOptions, Runtime, RuntimeBuilder, Target, Task,
    Workflow, WorkflowFn,
};
pub use flowmap_runtime::{events, progress};

/// Why a run failed, in detail: what [`Error`] holds, down to the task's own error, and
/// [`Report`](error::Report), which prints the whole chain.
pub mod error {
    pub use flowmap_runtime::{
        BoxError, BuildError, BuildErrors, CancelledError, Cause, Completed, ConfigError, ElementFailure, MapFailure,
        NodeError, PanicError, Report, TimeoutError, ToleratedFailure,
    };
}

/// Running workflows with inputs and outputs as JSON, as a command line or a backend that
/// receives serialized inputs does: [`Runtime::run_json`], [`Runtime::call_json`], and
/// [`WorkflowHandle`](json::WorkflowHandle), a workflow with its type erased.
pub mod json {
    pub use flowmap_runtime::{JsonInput, JsonInputs, JsonOutputs, JsonRun, JsonRunError, WorkflowHandle};
}

/// Flyte: compile workflows to a Flyte 1.x package, and run tasks as Flyte containers (the
/// `flyte` feature).
#[cfg(feature = "flyte")]
pub mod flyte {
    pub use flowmap_flyte::*;
}

/// A command-line app for the program's workflows (the `cli` feature).
#[cfg(feature = "cli")]
pub mod cli {
    pub use flowmap_cli::App;
}

/// Guides: the rules of the local runtime, and how the crates fit together.
pub mod docs {
    #[doc = include_str!("../docs/semantics.md")]
    pub mod semantics {}

    #[doc = include_str!("../ARCHITECTURE.md")]
    pub mod architecture {}
}

/// `use flowmap::prelude::*;` brings the macros, and `.graph()` on workflow functions.
pub mod prelude {
    pub use flowmap_macros::{dynamic, fail, map, task, workflow};
    pub use flowmap_runtime::WorkflowFn as _;
}

#[doc(hidden)]
pub mod __private {
    pub use flowmap_runtime::__private::*;
}

/// The README's quick start, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
