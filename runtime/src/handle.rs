//! [`WorkflowHandle`]: a workflow with its type erased, for front ends that keep a list of the
//! program's workflows (the command line, the Flyte registry) and run them from JSON.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use flowmap_model::graph::Graph;

use crate::error::Error;
use crate::json::JsonRunError;
use crate::json_io::{JsonInputs, JsonOutputs};
use crate::plan::target::Workflow;
use crate::runtime::Runtime;
use crate::tuple::InputTuple;
use crate::workflow_fn::WorkflowFn;

/// A boxed run (or call) with JSON inputs and outputs, borrowing for `'a`.
pub type JsonFuture<'a> = Pin<Box<dyn Future<Output = Result<JsonOutputs, JsonRunError>> + Send + 'a>>;

/// A workflow with its type erased: its name, its graph (or why it does not build), and its runs
/// and calls with JSON inputs. Made from the workflow function, `WorkflowHandle::new(&my_workflow)`.
///
/// A handle is three words: it allocates only for a workflow that does not build (its name and
/// error, shared by its clones), and a clone copies the words.
///
/// ```
/// # use flowmap::prelude::*;
/// # #[task] fn double(x: i64) -> i64 { 2 * x }
/// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
/// # async fn demo(rt: &flowmap::Runtime) -> Result<(), Box<dyn std::error::Error>> {
/// let handles = [flowmap::WorkflowHandle::new(&doubled)];
/// let w = handles.iter().find(|w| w.name() == "doubled").unwrap();
/// let outputs = w.run_json(rt, flowmap::JsonInputs::new().object(r#"{"xs": [1, 2]}"#)).await?;
/// outputs.write(std::io::stdout())?; // [2,4]
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WorkflowHandle {
    graph: Result<&'static Graph, Arc<Unbuilt>>,
    ops: &'static Ops,
}

/// A workflow that does not build: its name and why.
struct Unbuilt {
    name: String,
    error: Error,
}

/// The typed functions behind a handle, one table per workflow (no allocation).
struct Ops {
    run_json: for<'a> fn(&'a Runtime, JsonInputs) -> JsonFuture<'a>,
    call_json: for<'a> fn(&'a Runtime, &'a str, JsonInputs) -> JsonFuture<'a>,
}

/// The [`Ops`] of the workflow whose marker is `M`.
struct OpsOf<M>(PhantomData<fn() -> M>);

impl<M: Workflow> OpsOf<M> {
    const OPS: Ops = Ops { run_json: run_json::<M>, call_json: call_json::<M> };
}

fn run_json<M: Workflow>(rt: &Runtime, inputs: JsonInputs) -> JsonFuture<'_> {
    Box::pin(rt.run_json_of::<M>(inputs))
}

fn call_json<'a, M: Workflow>(rt: &'a Runtime, target: &'a str, inputs: JsonInputs) -> JsonFuture<'a> {
    Box::pin(rt.call_json_of::<M>(target, inputs))
}

impl WorkflowHandle {
    /// The handle of `workflow`, whose graph is built now (if it was not yet).
    #[must_use]
    pub fn new<F: WorkflowFn<A>, A: InputTuple>(workflow: &F) -> WorkflowHandle {
        let graph = workflow.graph().map_err(|error| {
            let name = match &error {
                Error::Build { workflow, .. } => workflow.clone(),
                _ => std::any::type_name::<F>().rsplit("::").next().unwrap_or_default().to_owned(),
            };
            Arc::new(Unbuilt { name, error })
        });
        WorkflowHandle { graph, ops: &OpsOf::<F::Marker>::OPS }
    }

    /// The workflow's name: its graph's, or for a workflow that does not build, the name its
    /// build error gives (else its function's).
    #[must_use]
    pub fn name(&self) -> &str {
        match &self.graph {
            Ok(graph) => &graph.name,
            Err(unbuilt) => &unbuilt.name,
        }
    }

    /// The compiled graph, as [`WorkflowFn::graph`] gave it when the handle was made.
    ///
    /// # Errors
    /// Why the graph does not build: see [`Error::Build`].
    pub fn graph(&self) -> Result<&'static Graph, &Error> {
        self.graph.as_ref().copied().map_err(|unbuilt| &unbuilt.error)
    }

    /// Runs the workflow with JSON inputs on `rt`: [`Runtime::run_json`].
    ///
    /// # Errors
    /// As [`Runtime::run_json`].
    pub fn run_json<'a>(&self, rt: &'a Runtime, inputs: JsonInputs) -> JsonFuture<'a> {
        (self.ops.run_json)(rt, inputs)
    }

    /// Calls one target of the workflow (a task by qualified name, or a mapped workflow) once,
    /// with JSON inputs, on `rt`: [`Runtime::call_json`].
    ///
    /// # Errors
    /// As [`Runtime::call_json`].
    pub fn call_json<'a>(&self, rt: &'a Runtime, target: &'a str, inputs: JsonInputs) -> JsonFuture<'a> {
        (self.ops.call_json)(rt, target, inputs)
    }
}

impl fmt::Debug for WorkflowHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("WorkflowHandle");
        d.field("name", &self.name());
        if let Err(error) = self.graph() {
            d.field("error", error);
        }
        d.finish_non_exhaustive()
    }
}
