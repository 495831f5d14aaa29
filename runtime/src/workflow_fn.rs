//! A workflow is a real `fn`: `my_workflow(inputs)` returns a [`WorkflowRun`], the run on the
//! default runtime, and the function itself is a [`WorkflowFn`], what [`crate::Runtime::run`]
//! takes and what gives `my_workflow.graph()`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use flowmap_model::graph::Graph;

use crate::error::Error;
use crate::plan::target::Workflow;
use crate::tuple::OutputTuple;

/// A boxed run of a workflow, borrowing for `'a`.
pub type RunFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The value a run of workflow `M` gives.
pub type Output<M> = <<M as crate::Target>::Output as OutputTuple>::Value;

/// A run of workflow `M` on the default runtime: what `my_workflow(inputs)` returns. Await it for
/// the workflow's outputs.
#[must_use = "a workflow runs when its run is awaited"]
pub struct WorkflowRun<M: Workflow> {
    run: RunFuture<'static, Output<M>>,
    _workflow: PhantomData<fn() -> M>,
}

impl<M: Workflow> WorkflowRun<M> {
    pub(crate) fn new(run: RunFuture<'static, Output<M>>) -> Self {
        WorkflowRun { run, _workflow: PhantomData }
    }
}

impl<M: Workflow> Future for WorkflowRun<M> {
    type Output = Result<Output<M>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.run.as_mut().poll(cx)
    }
}

impl<M: Workflow> fmt::Debug for WorkflowRun<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WorkflowRun<{}>", std::any::type_name::<M>())
    }
}

/// A `#[workflow]` function, taking inputs `A` (a tuple in parameter order). Implemented for
/// every workflow `fn`; bring it into scope with `use flowmap::prelude::*;` for `.graph()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flowmap workflow taking these inputs",
    label = "a `#[workflow]` function is expected here, with inputs `{A}`",
    note = "give the workflow function itself, such as `rt.run(&my_workflow, (inputs,))`, with its inputs as a tuple in parameter order"
)]
pub trait WorkflowFn<A>: Copy + Send + Sync + 'static {
    /// The workflow's marker type, which the graph builder and the executor use.
    #[doc(hidden)]
    type Marker: Workflow<Input = A>;

    /// The compiled graph: nodes, bindings, typed interface, map settings and overrides (see
    /// [`flowmap_model::graph`]). Serialize it with serde, or render it with `to_dot()`.
    ///
    /// # Errors
    /// When the graph cannot be built: see [`Error::Build`].
    fn graph(&self) -> Result<&'static Graph, Error> {
        <Self::Marker as Workflow>::compiled().map(|c| &c.graph)
    }
}

macro_rules! workflow_fns {
    ($( ($($A:ident),*) )*) => {$(
        impl<F, M, $($A: 'static),*> WorkflowFn<($($A,)*)> for F
        where
            F: Fn($($A),*) -> WorkflowRun<M> + Copy + Send + Sync + 'static,
            M: Workflow<Input = ($($A,)*)>,
        {
            type Marker = M;
        }
    )*};
}

workflow_fns! {
    ()
    (A0)
    (A0, A1)
    (A0, A1, A2)
    (A0, A1, A2, A3)
    (A0, A1, A2, A3, A4)
    (A0, A1, A2, A3, A4, A5)
    (A0, A1, A2, A3, A4, A5, A6)
    (A0, A1, A2, A3, A4, A5, A6, A7)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8, A9)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11)
}
