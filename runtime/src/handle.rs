//! [`WorkflowHandle`]: a workflow with its type erased, for front ends that keep a list of the
//! program's workflows (the command line, the Flyte registry) and run them from JSON.

use std::fmt;
use std::sync::Arc;

use flowmap_model::graph::{Graph, Interface, Tables, TaskSpec};

use crate::error::Error;
use crate::json::{Expand, ExpandResult, JsonRun, Start, expand_of, start_of};
use crate::json_io::JsonInputs;
use crate::plan::Compiled;
use crate::plan::call::calls;
use crate::plan::target::Workflow;
use crate::runtime::{Runtime, WorkflowFn};
use crate::tuple::InputTuple;

/// A workflow with its type erased: its name, its graph (or why it does not build), and its runs
/// and calls with JSON inputs. Made from the workflow function, `WorkflowHandle::new(&my_workflow)`.
///
/// A handle is five words: it allocates only for a workflow that does not build (its name and
/// error, shared by its clones), and a clone copies the words.
///
/// ```
/// # use flowmap::prelude::*;
/// # #[task] fn double(x: i64) -> i64 { 2 * x }
/// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
/// # async fn demo(rt: &flowmap::Runtime) -> Result<(), Box<dyn std::error::Error>> {
/// use flowmap::json::{JsonInputs, WorkflowHandle};
/// let handles = [WorkflowHandle::new(&doubled)];
/// let w = handles.iter().find(|w| w.name() == "doubled").unwrap();
/// let outputs = w.run_json(rt, JsonInputs::new().object(r#"{"xs": [1, 2]}"#)).await?;
/// outputs.write(std::io::stdout())?; // [2,4]
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WorkflowHandle {
    graph: Result<&'static Graph, Arc<Unbuilt>>,
    start: Start,
    expand: Expand,
    compiled: fn() -> Result<&'static Compiled, Error>,
}

/// A target that [`WorkflowHandle::call_json`] can call: its qualified name, interface and, for
/// a task, its spec.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Callable {
    /// The qualified name (`module::name`).
    pub name: &'static str,
    /// Its inputs and outputs.
    pub interface: &'static Interface,
    /// A task's spec; `None` for a workflow.
    pub spec: Option<&'static TaskSpec>,
    /// The tables it was found with: a workflow's graph (by its name), those of the workflows it
    /// calls, and their tasks.
    pub tables: &'static Tables,
}

/// A workflow that does not build: its name and why.
struct Unbuilt {
    name: String,
    error: Error,
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
        WorkflowHandle {
            graph,
            start: start_of::<F::Marker>(),
            expand: expand_of::<F::Marker>(),
            compiled: <F::Marker as Workflow>::compiled,
        }
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

    /// A run of the workflow with JSON inputs on `rt`: as [`Runtime::run_json`].
    pub fn run_json<'a>(&self, rt: &'a Runtime, inputs: JsonInputs) -> JsonRun<'a> {
        JsonRun::new(rt, self.start, None, inputs)
    }

    /// A call of one target of the workflow (a task by qualified name, or a mapped workflow),
    /// once, with JSON inputs, on `rt`: as [`Runtime::call_json`].
    pub fn call_json<'a>(&self, rt: &'a Runtime, target: &'a str, inputs: JsonInputs) -> JsonRun<'a> {
        JsonRun::new(rt, self.start, Some(target), inputs)
    }

    /// The body of `target`, a `#[dynamic]` the workflow calls (by qualified name), run with
    /// JSON inputs: the graph it builds, not run (what a Flyte pod writes as `futures.pb`).
    /// `Ok(None)` when the target is not a dynamic; `Ok(Some(Err(cause)))` when the body
    /// panicked or its graph does not build.
    ///
    /// # Errors
    /// As [`Runtime::call_json`] for inputs that do not fit, or a target the workflow does not
    /// use.
    #[doc(hidden)]
    pub fn expand_json(&self, target: &str, inputs: JsonInputs) -> ExpandResult {
        (self.expand)(target, inputs)
    }

    /// Every target [`WorkflowHandle::call_json`] can call: each task the workflow calls and
    /// each task or workflow it maps, in its sub-workflows, its branches' arms and the bodies
    /// of its dynamics too (a dynamic's body names them; it is not run). Empty for a workflow
    /// that does not build.
    #[doc(hidden)]
    #[must_use]
    pub fn callables(&self) -> Vec<Callable> {
        let Ok(compiled) = (self.compiled)() else { return Vec::new() };
        calls(compiled)
            .iter()
            .map(|c| Callable { name: &c.target, interface: &c.interface, spec: c.spec.as_ref(), tables: &c.tables })
            .collect()
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
