//! Running a workflow with inputs and outputs as JSON: what a command line, or a backend that
//! receives serialized inputs, needs.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use flowmap_model::graph::Port;

use crate::error::{Cause, Error};
use crate::exec::drivers;
use crate::json_io::{JsonInputs, JsonOutputs, Named, ReadError};
use crate::options::RunOptions;
use crate::plan::Work;
use crate::plan::call::one_call;
use crate::plan::expansion::Expansion;
use crate::plan::target::Workflow;
use crate::runtime::{Runtime, WorkflowFn};
use crate::tuple::InputTuple;

/// Why a run with JSON inputs gave no JSON output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonRunError {
    /// A name that is not one of the workflow's inputs.
    #[error("`{workflow}` has no input `{input}`; its inputs are: {}", inputs.join(", "))]
    Unknown {
        /// The workflow.
        workflow: String,
        /// The name given.
        input: String,
        /// The workflow's inputs.
        inputs: Vec<String>,
    },
    /// An input given twice.
    #[error("input `{input}` of `{workflow}` is given twice")]
    Twice {
        /// The workflow.
        workflow: String,
        /// The input.
        input: String,
    },
    /// The object of inputs is not JSON, or not an object.
    #[error("the inputs of `{workflow}` are not a JSON object of inputs by name")]
    Object {
        /// The workflow.
        workflow: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// Inputs that were not given and have no `#[default(...)]`.
    #[error(
        "{} of `{workflow}` {} not given and {} no default; {}",
        words(missing.iter().map(|(name, _)| format!("`{name}`")), "input", "inputs"),
        if missing.len() == 1 { "is" } else { "are" },
        if missing.len() == 1 { "has" } else { "have" },
        missing.iter().map(|(name, ty)| format!("`{name}` takes a value of type {ty}")).collect::<Vec<_>>().join(", ")
    )]
    Missing {
        /// The workflow.
        workflow: String,
        /// Each missing input and its type, readable (`list<integer>`).
        missing: Vec<(String, String)>,
    },
    /// An input's JSON does not fit its type.
    #[error("input `{input}` of `{workflow}` takes a value of type {expected}")]
    Input {
        /// The workflow.
        workflow: String,
        /// The input.
        input: String,
        /// Its type, readable (`list<integer>`).
        expected: String,
        /// Why the JSON does not fit.
        #[source]
        source: serde_json::Error,
    },
    /// No node of the workflow calls or maps this target.
    #[error("`{workflow}` uses no task or mapped workflow `{target}`")]
    NoTarget {
        /// The workflow.
        workflow: String,
        /// The target asked for.
        target: String,
    },
    /// The run failed.
    #[error(transparent)]
    Run(#[from] Error),
}

/// `input `a``, `inputs `a` and `b``, `inputs `a`, `b` and `c``.
fn words(names: impl Iterator<Item = String>, one: &str, many: &str) -> String {
    let names: Vec<String> = names.collect();
    match names.as_slice() {
        [only] => format!("{one} {only}"),
        [init @ .., last] => format!("{many} {} and {last}", init.join(", ")),
        [] => many.to_owned(),
    }
}

/// A run (or a call of one target) with JSON inputs, not started yet: what
/// [`Runtime::run_json`], [`Runtime::call_json`] and the same methods of a
/// [`WorkflowHandle`](crate::WorkflowHandle) return. Set options of this run on it, as on a
/// [`Run`](crate::Run), then `.await` it for the outputs, or [`wait`](JsonRun::wait) for them
/// with no async runtime; nothing runs before.
///
/// A `JsonRun` is [`IntoFuture`]: where a future is required, give `run.into_future()`.
/// Dropping the future cancels the run.
///
/// # Errors
/// Awaited or waited for: a [`JsonRunError`] naming the input, its expected type and why the
/// JSON does not fit; [`JsonRunError::NoTarget`] for a call of a target the workflow does not
/// use; or the run's own [`Error`].
#[must_use = "a workflow runs when its run is awaited or waited for"]
pub struct JsonRun<'a> {
    rt: &'a Runtime,
    start: Start,
    target: Option<&'a str>,
    inputs: JsonInputs,
    options: RunOptions,
}

/// Starts a run (or, given a target, a call) of one workflow, typed inside: one per workflow,
/// so that a [`JsonRun`] (and a handle) holds a plain `fn` pointer. `here`: whether the returned
/// future drives the run itself, rather than the runtime's driver threads.
pub(crate) type Start = for<'a> fn(
    rt: &'a Runtime,
    target: Option<&'a str>,
    inputs: JsonInputs,
    options: RunOptions,
    here: bool,
) -> Pin<Box<dyn Future<Output = Result<JsonOutputs, JsonRunError>> + Send + 'a>>;

/// The [`Start`] of the workflow whose marker is `M`.
pub(crate) fn start_of<M: Workflow>() -> Start {
    |rt, target, inputs, options, here| {
        Box::pin(async move {
            match target {
                None => rt.run_json_of::<M>(inputs, options, here).await,
                Some(target) => rt.call_json_of::<M>(target, inputs, options, here).await,
            }
        })
    }
}

/// A dynamic's body run with JSON inputs: the graph it builds (see
/// [`crate::WorkflowHandle::expand_json`]). One per workflow, as [`Start`].
pub(crate) type Expand = fn(target: &str, inputs: JsonInputs) -> ExpandResult;

/// What [`Expand`] gives: `Ok(None)` for a target that is not a dynamic; `Ok(Some(Err(_)))`
/// for a body that panicked or built no graph.
pub(crate) type ExpandResult = Result<Option<Result<Expansion, Cause>>, JsonRunError>;

/// The [`Expand`] of the workflow whose marker is `M`.
pub(crate) fn expand_of<M: Workflow>() -> Expand {
    |target, inputs| {
        let compiled = M::compiled()?;
        let Some(call) = one_call(compiled, target) else {
            return Err(JsonRunError::NoTarget { workflow: compiled.graph.name.clone(), target: target.to_owned() });
        };
        let Some(Work::Call(kernel)) = call.plan.nodes.first().map(|n| &n.work) else { return Ok(None) };
        if !call.spec.as_ref().is_some_and(|t| t.dynamic) {
            return Ok(None);
        }
        let ports = &call.interface.inputs;
        let values = call.json.read(inputs, ports).map_err(|e| read_error(e, target, ports))?;
        Ok(kernel.expand(&values))
    }
}

impl<'a> JsonRun<'a> {
    /// A run (`target: None`) or a call of the workflow that `start` starts.
    pub(crate) fn new(rt: &'a Runtime, start: Start, target: Option<&'a str>, inputs: JsonInputs) -> Self {
        JsonRun { rt, start, target, inputs, options: RunOptions::new() }
    }

    crate::options::option_setters!();

    /// Runs it and blocks this thread until it ends: for code without an async runtime (see
    /// [`Run::wait`](crate::Run::wait)).
    ///
    /// # Errors
    /// As awaiting the run: see [`JsonRun`].
    pub fn wait(self) -> Result<JsonOutputs, JsonRunError> {
        // On a driver thread, the run is driven right here (see `Run::wait`).
        drivers::wait((self.start)(self.rt, self.target, self.inputs, self.options, drivers::on_driver()))
    }
}

impl<'a> IntoFuture for JsonRun<'a> {
    type Output = Result<JsonOutputs, JsonRunError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        (self.start)(self.rt, self.target, self.inputs, self.options, false)
    }
}

impl fmt::Debug for JsonRun<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonRun")
            .field("target", &self.target)
            .field("inputs", &self.inputs)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A run of `workflow` with its inputs as JSON ([`JsonInputs`]; an input not given takes its
    /// `#[default(...)]`), whose outputs are to be written as JSON: the single output, or an
    /// array of them. Inputs are read straight into their types, and outputs written straight
    /// from theirs: no tree of JSON values is built on the way. See [`JsonRun`] for its options.
    ///
    /// ```
    /// # use flowmap::prelude::*;
    /// # #[task] fn double(x: i64) -> i64 { 2 * x }
    /// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
    /// # async fn demo(rt: &flowmap::Runtime) -> Result<(), Box<dyn std::error::Error>> {
    /// let inputs = flowmap::json::JsonInputs::new().object(r#"{"xs": [1, 2]}"#);
    /// let outputs = rt.run_json(&doubled, inputs).await?;
    /// outputs.write(std::io::stdout())?; // [2,4]
    /// # Ok(()) }
    /// ```
    pub fn run_json<F: WorkflowFn<A>, A: InputTuple>(&self, workflow: &F, inputs: JsonInputs) -> JsonRun<'_> {
        let _ = workflow;
        JsonRun::new(self, start_of::<F::Marker>(), None, inputs)
    }

    /// A call of `target`, once, with JSON inputs: a task that `workflow` (or one of its
    /// sub-workflows) calls or maps, or a workflow it maps, by qualified name (`module::name`,
    /// as in the graph's tables). For a map, this is one element's call. There are no retries,
    /// timeout, admission or cache for the call itself: this is what a container entrypoint
    /// runs, and whoever runs the container owns those (the options of the run, see
    /// [`JsonRun`], apply to the tasks that a called workflow runs). A call of a target the
    /// workflow does not use fails with [`JsonRunError::NoTarget`].
    pub fn call_json<'a, F: WorkflowFn<A>, A: InputTuple>(
        &'a self,
        workflow: &F,
        target: &'a str,
        inputs: JsonInputs,
    ) -> JsonRun<'a> {
        let _ = workflow;
        JsonRun::new(self, start_of::<F::Marker>(), Some(target), inputs)
    }

    /// [`Runtime::run_json`] of the workflow whose marker is `M`.
    async fn run_json_of<M: Workflow>(
        &self,
        inputs: JsonInputs,
        options: RunOptions,
        here: bool,
    ) -> Result<JsonOutputs, JsonRunError> {
        let compiled = M::compiled()?;
        let graph = &compiled.graph;
        let ports = &graph.interface.inputs;
        let inputs = inputs.read::<M::Input>(ports).map_err(|e| read_error(e, &graph.name, ports))?;
        let run = self.run_workflow::<M>(inputs, here, options).await?;
        if compiled.named {
            let names = graph.interface.outputs.iter().map(|p| p.name.clone()).collect();
            let named = Named::<M::Output> { value: run.outputs, names };
            return Ok(JsonOutputs::new(named).with_failures(run.failures));
        }
        Ok(JsonOutputs::new(run.outputs).with_failures(run.failures))
    }

    /// [`Runtime::call_json`] of a target of the workflow whose marker is `M`.
    async fn call_json_of<M: Workflow>(
        &self,
        target: &str,
        inputs: JsonInputs,
        options: RunOptions,
        here: bool,
    ) -> Result<JsonOutputs, JsonRunError> {
        let compiled = M::compiled()?;
        let Some(call) = one_call(compiled, target) else {
            return Err(JsonRunError::NoTarget { workflow: compiled.graph.name.clone(), target: target.to_owned() });
        };
        let ports = &call.interface.inputs;
        let values = call.json.read(inputs, ports).map_err(|e| read_error(e, target, ports))?;
        let outputs = self
            .run_plan(call.plan.clone(), values, here, options, |values| {
                call.json.write(values).map_err(|_| Error::Internal("a call's outputs have the wrong types"))
            })
            .await?;
        Ok(outputs.outputs)
    }
}

/// A [`ReadError`] in the terms of the workflow (or target) `name` whose inputs are `ports`.
fn read_error(e: ReadError, name: &str, ports: &[Port]) -> JsonRunError {
    let workflow = || name.to_owned();
    let input = |i: usize| ports[i].name.clone();
    match e {
        ReadError::Unknown(input) => JsonRunError::Unknown {
            workflow: workflow(),
            input,
            inputs: ports.iter().map(|p| p.name.clone()).collect(),
        },
        ReadError::Twice(i) => JsonRunError::Twice { workflow: workflow(), input: input(i) },
        ReadError::Object(source) => JsonRunError::Object { workflow: workflow(), source },
        ReadError::Input(i, source) => {
            JsonRunError::Input { workflow: workflow(), input: input(i), expected: ports[i].ty.short(), source }
        }
        ReadError::Missing(missing) => JsonRunError::Missing {
            workflow: workflow(),
            missing: missing.into_iter().map(|i| (input(i), ports[i].ty.short())).collect(),
        },
    }
}
