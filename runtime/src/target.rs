//! What `#[task]` and `#[workflow]` implement: [`Target`] (callable in a workflow body and in
//! `map!`), [`Task`], [`Workflow`] and [`Defaults`].

use std::future::Future;

use crate::builder::{Compiled, Tables};
use crate::error::{Cause, Error};
use crate::graph::{EffectiveSettings, Graph, TargetRef, TaskSpec};
use crate::runtime::RunContext;
use crate::value::{InputTuple, OutputTuple};

/// How one attempt runs: a blocking closure (sync tasks, run off the async reactor) or a future.
#[doc(hidden)]
#[derive(Debug)]
pub enum Invoke<B, F> {
    /// A sync task's call, run on a blocking thread.
    Blocking(B),
    /// An async task's future, or a sub-workflow run.
    Async(F),
}

/// What a target tells the graph builder about itself.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct TargetInfo {
    /// Its entry in the graph's tables.
    pub target: TargetRef,
    /// Short display name (`detect_anomalies`).
    pub name: String,
    /// Parameter names in order.
    pub inputs: &'static [&'static str],
    /// Its own retries, timeout and requests (nothing for workflows).
    pub settings: EffectiveSettings,
    /// Whether an attempt blocks a thread (a sync task).
    pub blocking: bool,
}

/// A task or a workflow: something a workflow body can call and `map!` can fan out.
///
/// Implemented by `#[task]` and `#[workflow]`; not meant to be implemented by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flowmap task or workflow",
    label = "only `#[task]` and `#[workflow]` functions can be called in a workflow body",
    note = "a workflow body only wires tasks together; put plain Rust code inside a `#[task]` function"
)]
pub trait Target: Copy + Send + Sync + 'static {
    /// Parameter types, as a tuple. (Checked to be data where they are used, through
    /// [`Runnable`], so a type that is not data is reported once, at the user's type.)
    type Input: Send + 'static;
    /// Output types: `()`, `(T,)` or a tuple of several.
    type Output: Send + 'static;
    /// The binder a call starts from (generated).
    #[doc(hidden)]
    type Args;
    /// Starts binding a call's inputs.
    #[doc(hidden)]
    fn args(&self) -> Self::Args;
    /// Registers itself in the graph's tables.
    ///
    /// # Errors
    /// A message when the target's own graph cannot be built.
    #[doc(hidden)]
    fn info(&self, tables: &mut Tables) -> Result<TargetInfo, String>;
    /// Starts one attempt.
    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    fn invoke(
        &self,
        cx: &RunContext,
        input: Self::Input,
    ) -> Invoke<
        impl FnOnce() -> Result<Self::Output, Cause> + Send + 'static,
        impl Future<Output = Result<Self::Output, Cause>> + Send + 'static,
    >;
}

/// A target whose inputs and outputs are data: what graphs and the executor work with.
/// Implemented for every such [`Target`].
pub trait Runnable: Target<Input: InputTuple, Output: OutputTuple> {}

impl<T: Target<Input: InputTuple, Output: OutputTuple>> Runnable for T {}

/// A `#[task]`.
pub trait Task: Target {
    /// The task's settings and typed interface, as they appear in a graph's `tasks` table.
    fn spec(&self) -> TaskSpec;
}

/// A `#[workflow]`: its compiled graph, built once.
pub trait Workflow: Runnable {
    /// The compiled graph and its execution plan, built on first use.
    ///
    /// # Errors
    /// When the graph cannot be built (a workflow that calls itself, a constant that does not
    /// serialize).
    #[doc(hidden)]
    fn compiled(&self) -> Result<&'static Compiled, Error>;

    /// The graph: nodes, bindings, interface, map settings and overrides (see [`crate::graph`]).
    ///
    /// # Errors
    /// As [`Workflow::compiled`].
    fn graph(&self) -> Result<&'static Graph, Error> {
        self.compiled().map(|c| &c.graph)
    }
}

/// A workflow whose every input has a `#[default(...)]`, so it can run with no arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run with defaults: some inputs have no `#[default(...)]`",
    label = "not every input of this workflow has a default",
    note = "give each parameter a `#[default(expr)]`, or call `rt.run(&workflow, (inputs,))`"
)]
pub trait Defaults: Workflow {
    /// The default inputs.
    fn defaults(&self) -> Self::Input;
}
