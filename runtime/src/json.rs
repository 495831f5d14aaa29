//! Running a workflow with inputs and outputs as JSON: what a command line, or a backend that
//! receives serialized inputs, needs.

use serde_json::Value as Json;

use crate::error::Error;
use crate::runtime::Runtime;
use crate::tuple::InputTuple;
use crate::workflow_fn::WorkflowFn;

/// Why a run with JSON inputs gave no JSON output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonRunError {
    /// More or fewer inputs than the workflow takes.
    #[error("`{workflow}` takes {expected} input{}, {given} given", if *.expected == 1 { "" } else { "s" })]
    Count {
        /// The workflow.
        workflow: String,
        /// Its number of inputs.
        expected: usize,
        /// The number given.
        given: usize,
    },
    /// An input was not given and has no `#[default(...)]`.
    #[error("input `{input}` of `{workflow}` is not given and has no default; it takes a value of type {expected}")]
    Missing {
        /// The workflow.
        workflow: String,
        /// The input.
        input: String,
        /// Its type, readable (`list<integer>`).
        expected: String,
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
    /// The outputs could not be written as JSON.
    #[error("the outputs of `{workflow}` could not be written as JSON")]
    Output {
        /// The workflow.
        workflow: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

impl Runtime {
    /// Runs `workflow` with its inputs as JSON, one per input in parameter order (`None` takes
    /// the input's `#[default(...)]`), and returns its outputs as JSON: the single output, or an
    /// array of them.
    ///
    /// # Errors
    /// A [`JsonRunError`] naming the input, its expected type and why the JSON does not fit; or
    /// the run's own [`Error`].
    pub async fn run_json<F: WorkflowFn<A>, A: InputTuple>(
        &self,
        workflow: &F,
        inputs: Vec<Option<Json>>,
    ) -> Result<Json, JsonRunError> {
        let graph = workflow.graph()?;
        let name = || graph.name.clone();
        let ports = &graph.interface.inputs;
        if inputs.len() != ports.len() {
            return Err(JsonRunError::Count { workflow: name(), expected: ports.len(), given: inputs.len() });
        }
        let mut values = Vec::with_capacity(ports.len());
        for (port, given) in ports.iter().zip(inputs) {
            match given.or_else(|| port.default.clone()) {
                Some(v) => values.push(v),
                None => {
                    return Err(JsonRunError::Missing {
                        workflow: name(),
                        input: port.name.clone(),
                        expected: port.ty.short(),
                    });
                }
            }
        }
        let inputs = A::from_json(values).map_err(|(i, source)| JsonRunError::Input {
            workflow: name(),
            input: ports[i].name.clone(),
            expected: ports[i].ty.short(),
            source,
        })?;
        let out = self.run_workflow::<F::Marker>(inputs, false).await?;
        serde_json::to_value(out).map_err(|source| JsonRunError::Output { workflow: name(), source })
    }
}
