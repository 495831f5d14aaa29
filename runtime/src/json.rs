//! Running a workflow with inputs and outputs as JSON: what a command line, or a backend that
//! receives serialized inputs, needs.

use crate::error::Error;
use flowmap_model::graph::Port;

use crate::json_io::{JsonInputs, JsonOutputs, Named, ReadError};
use crate::options::RunOptions;
use crate::plan::Work;
use crate::plan::call::one_call;
use crate::plan::target::Workflow;
use crate::runtime::Runtime;
use crate::tuple::InputTuple;
use crate::workflow_fn::WorkflowFn;

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

impl Runtime {
    /// Runs `workflow` with its inputs as JSON ([`JsonInputs`]; an input not given takes its
    /// `#[default(...)]`), and returns its outputs, to be written as JSON: the single output, or
    /// an array of them. Inputs are read straight into their types, and outputs written straight
    /// from theirs: no tree of JSON values is built on the way.
    ///
    /// ```
    /// # use flowmap::prelude::*;
    /// # #[task] fn double(x: i64) -> i64 { 2 * x }
    /// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
    /// # async fn demo(rt: &flowmap::Runtime) -> Result<(), Box<dyn std::error::Error>> {
    /// let inputs = flowmap::JsonInputs::new().object(r#"{"xs": [1, 2]}"#);
    /// let outputs = rt.run_json(&doubled, inputs).await?;
    /// outputs.write(std::io::stdout())?; // [2,4]
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A [`JsonRunError`] naming the input, its expected type and why the JSON does not fit; or
    /// the run's own [`Error`].
    pub async fn run_json<F: WorkflowFn<A>, A: InputTuple>(
        &self,
        workflow: &F,
        inputs: JsonInputs,
    ) -> Result<JsonOutputs, JsonRunError> {
        let _ = workflow;
        self.run_json_of::<F::Marker>(inputs).await
    }

    /// Calls `target` once, with JSON inputs: a task that `workflow` (or one of its
    /// sub-workflows) calls or maps, or a workflow it maps, by qualified name (`module::name`,
    /// as in the graph's tables). For a map, this is one element's call. There are no retries,
    /// timeout or admission: this is what a container entrypoint runs, and whoever runs the
    /// container owns those.
    ///
    /// # Errors
    /// [`JsonRunError::NoTarget`] if the workflow uses no such target; an input error as for
    /// [`Runtime::run_json`]; or the call's own [`Error`].
    pub async fn call_json<F: WorkflowFn<A>, A: InputTuple>(
        &self,
        workflow: &F,
        target: &str,
        inputs: JsonInputs,
    ) -> Result<JsonOutputs, JsonRunError> {
        let _ = workflow;
        self.call_json_of::<F::Marker>(target, inputs).await
    }

    /// [`Runtime::run_json`] of the workflow whose marker is `M`.
    pub(crate) async fn run_json_of<M: Workflow>(&self, inputs: JsonInputs) -> Result<JsonOutputs, JsonRunError> {
        let compiled = M::compiled()?;
        let graph = &compiled.graph;
        let ports = &graph.interface.inputs;
        let inputs = inputs.read::<M::Input>(ports).map_err(|e| read_error(e, &graph.name, ports))?;
        let run = self.run_workflow::<M>(inputs, false, RunOptions::new()).await?;
        if compiled.named {
            let names = graph.interface.outputs.iter().map(|p| p.name.clone()).collect();
            let named = Named::<M::Output> { value: run.outputs, names };
            return Ok(JsonOutputs::new(named).with_failures(run.failures));
        }
        Ok(JsonOutputs::new(run.outputs).with_failures(run.failures))
    }

    /// [`Runtime::call_json`] of a target of the workflow whose marker is `M`.
    pub(crate) async fn call_json_of<M: Workflow>(
        &self,
        target: &str,
        inputs: JsonInputs,
    ) -> Result<JsonOutputs, JsonRunError> {
        let compiled = M::compiled()?;
        let Some(call) = one_call(compiled, target) else {
            return Err(JsonRunError::NoTarget { workflow: compiled.graph.name.clone(), target: target.to_owned() });
        };
        let Work::Call(kernel) = &call.plan.nodes[0].work else {
            return Err(Error::Internal("a one-call plan without its call").into());
        };
        let values = kernel.read_json(inputs, &call.ports).map_err(|e| read_error(e, target, &call.ports))?;
        let outputs = self
            .run_plan(&call.plan, values, false, RunOptions::new(), |values| {
                kernel.outputs_json(values).map_err(|_| Error::Internal("a call's outputs have the wrong types"))
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
