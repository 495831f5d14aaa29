//! Compiling a workflow: run its body against a [`GraphBuilder`] once, keep the graph and the
//! plan. A panic while building is a [`BuildError`], and a workflow that calls itself is refused.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use flowmap_model::graph::{GRAPH_FORMAT, Graph, Interface, OutputBinding};

use crate::error::{BuildError, BuildErrors, Error};
use crate::panics::panic_message;
use crate::panics::quiet;
use crate::plan::builder::GraphBuilder;
use crate::plan::decl::{WorkflowDecl, output_name, output_ports, ports};
use crate::plan::{Compiled, Plan};
use crate::tuple::{InputTuple, OutputTuple};

/// The JSON of each input's `#[default(...)]`, in parameter order (`None`: no default).
#[doc(hidden)]
pub type DefaultsJson = Vec<Option<Result<serde_json::Value, BuildError>>>;

/// Serializes one `#[default(...)]` value for the graph.
///
/// # Errors
/// When the value does not serialize.
#[doc(hidden)]
pub fn default_json<T: serde::Serialize>(input: &str, value: &T) -> Result<serde_json::Value, BuildError> {
    serde_json::to_value(value).map_err(|source| BuildError::Default {
        input: input.to_owned(),
        ty: std::any::type_name::<T>(),
        source: source.into(),
    })
}

/// Builds workflow `W`'s graph and plan by running its body; the defaults are evaluated here
/// too, so a panic in either is a build error.
///
/// # Errors
/// Everything that went wrong, each a [`BuildError`].
#[doc(hidden)]
#[allow(clippy::type_complexity)]
pub fn compile<I: InputTuple, O: OutputTuple>(
    decl: &WorkflowDecl,
    defaults: fn() -> DefaultsJson,
    body: fn(&mut GraphBuilder, I::Promises) -> O::Promises,
) -> Result<Compiled, BuildErrors> {
    // Everything that runs user code (the body, constants, defaults, type descriptors) is inside.
    std::panic::catch_unwind(AssertUnwindSafe(|| quiet(|| build::<I, O>(decl, defaults, body))))
        .unwrap_or_else(|panic| Err(BuildErrors(vec![BuildError::Panicked { message: panic_message(panic.as_ref()) }])))
}

fn build<I: InputTuple, O: OutputTuple>(
    decl: &WorkflowDecl,
    defaults: fn() -> DefaultsJson,
    body: fn(&mut GraphBuilder, I::Promises) -> O::Promises,
) -> Result<Compiled, BuildErrors> {
    let mut b = GraphBuilder::new(decl.name, decl.inputs);
    let out_sources = O::sources(body(&mut b, I::input_promises()));
    let mut inputs = ports(decl.inputs, I::types());
    let defaults = std::panic::catch_unwind(defaults).unwrap_or_else(|panic| {
        b.errors.push(BuildError::Panicked {
            message: format!("a `#[default(...)]` panicked: {}", panic_message(panic.as_ref())),
        });
        Vec::new()
    });
    for (port, default) in inputs.iter_mut().zip(defaults) {
        match default {
            Some(Ok(v)) => port.default = Some(v),
            Some(Err(e)) => b.errors.push(e),
            None => {}
        }
    }
    if !b.errors.is_empty() {
        return Err(BuildErrors(b.errors));
    }
    // Every node that could not be added recorded an error, so no output is `Source::Unbuilt` here.
    let outputs = out_sources
        .iter()
        .enumerate()
        .map(|(i, s)| OutputBinding { name: output_name(decl.outputs, i), binding: b.binding(*s) })
        .collect();
    let graph = Graph {
        format: GRAPH_FORMAT,
        name: decl.name.to_owned(),
        module: decl.module.to_owned(),
        interface: Interface { inputs, outputs: output_ports(decl.outputs, O::types()) },
        nodes: b.nodes,
        outputs,
        tasks: b.tables.tasks,
        workflows: b.tables.workflows,
        doc: (!decl.doc.is_empty()).then(|| decl.doc.to_owned()),
    };
    let plan = Plan::new(decl.name.into(), decl.inputs.len(), b.planned, out_sources, b.constants);
    Ok(Compiled { graph, plan: Arc::new(plan), named: !decl.outputs.is_empty(), calls: OnceLock::new() })
}

/// Holds a workflow's compiled graph, built once; refuses a workflow that calls itself.
#[doc(hidden)]
#[derive(Debug)]
pub struct CompileCell {
    cell: OnceLock<Result<Compiled, BuildErrors>>,
}

thread_local! {
    /// The cells being built on this thread, innermost last.
    static BUILDING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Removes a cell from [`BUILDING`] however its build ends (a panic included).
struct Building(usize);

impl Drop for Building {
    fn drop(&mut self) {
        BUILDING.with(|b| b.borrow_mut().retain(|k| *k != self.0));
    }
}

impl CompileCell {
    /// An empty cell.
    #[must_use]
    pub const fn new() -> Self {
        CompileCell { cell: OnceLock::new() }
    }

    /// The compiled graph, building it with `build` the first time.
    ///
    /// # Errors
    /// The build error (kept: every later call gets it too), or [`BuildError::Recursive`] for a
    /// workflow that calls itself.
    pub fn get(
        &'static self,
        name: &str,
        build: impl FnOnce() -> Result<Compiled, BuildErrors>,
    ) -> Result<&'static Compiled, Error> {
        let key = std::ptr::from_ref(self) as usize;
        let result = match self.cell.get() {
            Some(r) => r,
            None => {
                if BUILDING.with(|b| b.borrow().contains(&key)) {
                    return Err(Error::Build {
                        workflow: name.to_owned(),
                        errors: BuildErrors(vec![BuildError::Recursive { workflow: name.to_owned() }]),
                    });
                }
                BUILDING.with(|b| b.borrow_mut().push(key));
                let _building = Building(key);
                self.cell.get_or_init(build)
            }
        };
        result.as_ref().map_err(|errors| Error::Build { workflow: name.to_owned(), errors: errors.clone() })
    }
}

impl Default for CompileCell {
    fn default() -> Self {
        Self::new()
    }
}
