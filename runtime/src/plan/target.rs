//! What `#[task]` and `#[workflow]` implement: [`Target`] (how a call is declared in a graph),
//! [`Task`] (its typed code), [`Workflow`] (its compiled graph) and [`Defaults`].

use std::future::Future;
use std::marker::PhantomData;

use flowmap_model::Settings;
use flowmap_model::graph::{Graph, Tables, TargetKind, TargetRef, TaskSpec, qualified};

use crate::error::{BuildError, Cause, Error};
use crate::json_tuple::{ReadInputs, WriteOutputs};
use crate::plan::decl::{Declared, WorkflowDecl, add_task};
use crate::plan::kernel::{Invoke, Kernel};
use crate::plan::{Compiled, Hooks};
use crate::tuple::{InputTuple, OutputTuple};

/// Keeps [`Target`] for the code `#[task]` and `#[workflow]` generate.
#[doc(hidden)]
pub trait Sealed {}

/// A task or a workflow: something a workflow body can call and `map!` can fan out.
///
/// Implemented by `#[task]` and `#[workflow]` only (it is sealed).
#[diagnostic::on_unimplemented(
    message = "only a `#[task]` or a `#[workflow]` can be called in a workflow body",
    label = "not a `#[task]` or a `#[workflow]`",
    note = "a workflow body only wires tasks into a graph, each call a node: mark this function `#[task]`, \
            or call it inside a task"
)]
pub trait Target: Copy + Send + Sync + 'static + Sealed {
    /// Parameter types, as a tuple. (Checked to be data where they are used, through
    /// [`Runnable`], so a type that is not data is reported once, at the user's type.)
    type Input: Send + 'static;
    /// Output types: `()`, `(T,)` or a tuple of several.
    type Output: Send + 'static;
    /// The binder a call starts from (generated).
    #[doc(hidden)]
    type Args;
    /// Its typed code: a [`Kernel`] when its types are data (see [`Runnable`]).
    #[doc(hidden)]
    type Kernel: Copy + Send + Sync + 'static;
    /// Starts binding a call's inputs.
    #[doc(hidden)]
    fn args(&self) -> Self::Args;
    /// Its typed code.
    #[doc(hidden)]
    fn kernel(&self) -> Self::Kernel;
    /// Registers itself in a graph's tables.
    ///
    /// # Errors
    /// When a sub-workflow's own graph cannot be built.
    #[doc(hidden)]
    fn declare(&self, tables: &mut Tables) -> Result<Declared, BuildError>;
}

/// A target whose inputs and outputs are data, with its kernel: what graphs and the executor
/// work with. Implemented for every such [`Target`].
pub trait Runnable:
    Target<
        Input: InputTuple + ReadInputs + CacheInputs,
        Output: OutputTuple + WriteOutputs,
        Kernel: Kernel<Input = Self::Input, Output = Self::Output>,
    >
{
}

impl<T> Runnable for T where
    T: Target<
            Input: InputTuple + ReadInputs + CacheInputs,
            Output: OutputTuple + WriteOutputs,
            Kernel: Kernel<Input = Self::Input, Output = Self::Output>,
        >
{
}

/// What the cache asks of a target's inputs: their hashes, with the `cache` feature; nothing
/// without it.
#[cfg(feature = "cache")]
#[doc(hidden)]
pub use crate::cache::inputs::HashInputs as CacheInputs;

/// What the cache asks of a target's inputs: nothing without the `cache` feature.
#[cfg(not(feature = "cache"))]
#[doc(hidden)]
pub trait CacheInputs {}

#[cfg(not(feature = "cache"))]
impl<T> CacheInputs for T {}

/// A `#[task]`.
pub trait Task: Target {
    /// Whether the function is `async`.
    #[doc(hidden)]
    const ASYNC: bool;
    /// The task's settings and typed interface, as they appear in a graph's `tasks` table.
    fn spec(&self) -> TaskSpec;
    /// Starts one attempt.
    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    fn invoke(
        &self,
        input: Self::Input,
    ) -> Invoke<
        impl FnOnce() -> Result<Self::Output, Cause> + Send + 'static,
        impl Future<Output = Result<Self::Output, Cause>> + Send + 'static,
    >;
}

/// A `#[workflow]`: its compiled graph, built once.
pub trait Workflow: Runnable {
    /// The compiled graph and its plan, built on first use.
    ///
    /// # Errors
    /// When the graph cannot be built (a workflow that calls itself, a constant that does not
    /// serialize, a panic in the body).
    #[doc(hidden)]
    fn compiled() -> Result<&'static Compiled, Error>;

    /// The graph: nodes, bindings, interface, map settings and overrides (see
    /// [`flowmap_model::graph`]).
    ///
    /// # Errors
    /// As building fails: see [`Error::Build`].
    fn graph(&self) -> Result<&'static Graph, Error> {
        Self::compiled().map(|c| &c.graph)
    }
}

/// What `map!(.., dynamic = true)` maps: a workflow, whose elements Flyte then runs as a
/// dynamic node's sub-workflow nodes.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`dynamic = true` fans out a map of a workflow, and `{Self}` is not a `#[workflow]`",
    label = "not a `#[workflow]`",
    note = "on Flyte a map of a task already runs each element in a pod of its own: leave `dynamic` out"
)]
pub trait DynamicMap {}

#[diagnostic::do_not_recommend]
impl<W: Workflow> DynamicMap for W {}

/// Checks at compile time that a `dynamic = true` map maps a workflow.
#[doc(hidden)]
pub fn dynamic_map<T: DynamicMap>(_: &T) {}

/// A workflow whose every input has a `#[default(...)]`, so it can run with no arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run with defaults: some inputs have no `#[default(...)]`",
    label = "not every input of this workflow has a default",
    note = "give each parameter a `#[default(expr)]`, or give the inputs: all of them with `rt.run(&workflow, (inputs,))`, \
            or those without a default with `rt.run_with_defaults(&workflow, (Some(input), None))`"
)]
pub trait Defaults: Workflow {
    /// The default inputs.
    fn defaults() -> Self::Input;
}

/// A task as a kernel.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct TaskKernel<T>(pub T);

impl<T: Task<Input: InputTuple, Output: OutputTuple>> Kernel for TaskKernel<T> {
    type Input = T::Input;
    type Output = T::Output;
    const BLOCKING: bool = !T::ASYNC;

    fn call(
        &self,
        input: Self::Input,
        _: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<Self::Output, Cause> + Send + 'static,
        impl Future<Output = Result<Self::Output, Cause>> + Send + 'static,
    > {
        self.0.invoke(input)
    }
}

/// A sub-workflow as a kernel: each attempt runs its plan.
#[doc(hidden)]
#[derive(Debug)]
pub struct SubWorkflow<W>(PhantomData<fn() -> W>);

impl<W> SubWorkflow<W> {
    /// The kernel of workflow `W`.
    #[must_use]
    pub fn new() -> Self {
        SubWorkflow(PhantomData)
    }
}

impl<W> Default for SubWorkflow<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W> Clone for SubWorkflow<W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W> Copy for SubWorkflow<W> {}

impl<W: Workflow> Kernel for SubWorkflow<W> {
    type Input = W::Input;
    type Output = W::Output;
    const BLOCKING: bool = false;

    fn call(
        &self,
        input: Self::Input,
        hooks: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<Self::Output, Cause> + Send + 'static,
        impl Future<Output = Result<Self::Output, Cause>> + Send + 'static,
    > {
        let run = W::compiled().map(|c| hooks.run_plan(c.plan.clone(), input.into_values()));
        Invoke::<fn() -> Result<Self::Output, Cause>, _>::Async(async move {
            let outputs = run.map_err(|e| Cause::Workflow(Box::new(e)))?.await?;
            W::Output::from_values(outputs).map_err(|_| {
                Cause::Workflow(Box::new(crate::Error::Internal("a sub-workflow's outputs have the wrong types")))
            })
        })
    }
}

/// Registers workflow `W` (and everything it refers to) in `tables` as a sub-workflow.
///
/// # Errors
/// When `W`'s own graph cannot be built.
#[doc(hidden)]
pub fn declare_workflow<W: Workflow>(decl: &WorkflowDecl, tables: &mut Tables) -> Result<Declared, BuildError> {
    let compiled = W::compiled().map_err(|e| match e.build_errors() {
        // A workflow that calls itself is said once, not once per level of the cycle.
        [recursive @ BuildError::Recursive { .. }] => recursive.clone(),
        _ => BuildError::SubWorkflow { node: String::new(), workflow: decl.name.to_owned(), source: e.into() },
    })?;
    let mut graph = compiled.graph.clone();
    for (name, spec) in std::mem::take(&mut graph.tasks) {
        add_task(tables, name, spec)?;
    }
    tables.workflows.append(&mut graph.workflows);
    let name = qualified(decl.module, decl.name);
    tables.workflows.insert(name.clone(), graph);
    Ok(Declared {
        target: TargetRef { kind: TargetKind::Workflow, name },
        name: decl.name.to_owned(),
        inputs: decl.inputs,
        outputs: decl.outputs,
        settings: Settings::default(),
        plan: Some(compiled.plan.clone()),
    })
}
