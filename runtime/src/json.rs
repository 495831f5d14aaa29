//! Running a workflow with inputs and outputs as JSON: what a command line, or a backend that
//! receives serialized inputs, needs.

use crate::error::Error;
use crate::json_io::{JsonInputs, JsonOutputs, ReadError};
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
        let graph = workflow.graph()?;
        let workflow = || graph.name.clone();
        let ports = &graph.interface.inputs;
        let name = |i: usize| ports[i].name.clone();
        let inputs = inputs.read::<A>(ports).map_err(|e| match e {
            ReadError::Unknown(input) => JsonRunError::Unknown {
                workflow: workflow(),
                input,
                inputs: ports.iter().map(|p| p.name.clone()).collect(),
            },
            ReadError::Twice(i) => JsonRunError::Twice { workflow: workflow(), input: name(i) },
            ReadError::Object(source) => JsonRunError::Object { workflow: workflow(), source },
            ReadError::Input(i, source) => {
                JsonRunError::Input { workflow: workflow(), input: name(i), expected: ports[i].ty.short(), source }
            }
            ReadError::Missing(missing) => JsonRunError::Missing {
                workflow: workflow(),
                missing: missing.into_iter().map(|i| (name(i), ports[i].ty.short())).collect(),
            },
        })?;
        let out = self.run_workflow::<F::Marker>(inputs, false).await?;
        Ok(JsonOutputs::new(out))
    }
}
