//! Dynamic workflows (`#[dynamic]`, Flyte's `@dynamic`): a node whose body runs when the node
//! runs, with its inputs' real values, and builds a graph of its own that then runs in the same
//! run: each inner node in its events, progress and errors.
//!
//! The macro rewrites the body's calls into calls (`DynCall`, `DynNode`, in `plan::dyn_call`)
//! that add a node to the body's [`DynamicBuilder`] when the callee is a task or workflow, and
//! call the function itself when it is a plain function; real values given to a call become
//! constants of the graph. The body's value is made of [`DynPart`]s: promises, and for a `Vec` output a list
//! of promises ([`Many`]). [`DynamicKernel`] builds the graph and runs it on each attempt, so a
//! retry runs the body again.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use flowmap_model::graph::TaskSpec;

pub use crate::plan::expansion::{ExpandedOutput, Expansion};

use crate::data::Data;
use crate::error::{BuildError, BuildErrors, Cause, Error};
use crate::panics::{panic_cause, quiet};
use crate::plan::builder::GraphBuilder;
use crate::plan::kernel::{Invoke, Kernel};
use crate::plan::target::Target;
use crate::plan::{Callees, Hooks, Plan};
use crate::promise::Promise;
use crate::tuple::{InputTuple, OutputTuple};
use crate::value::{Source, Value};

/// The graph a dynamic node's body builds, shared by every call in the body (closures
/// included): each call borrows it only while it adds its node.
#[doc(hidden)]
#[derive(Debug)]
pub struct DynamicBuilder {
    b: RefCell<GraphBuilder>,
}

impl DynamicBuilder {
    /// Runs `f` with the builder.
    ///
    /// # Panics
    /// When called inside another call's `f`; generated code evaluates a call's arguments
    /// before it borrows the builder, so it never is.
    pub fn with<R>(&self, f: impl FnOnce(&mut GraphBuilder) -> R) -> R {
        f(&mut self.b.borrow_mut())
    }
}

/// The promises of a `Vec` output of a dynamic body: one per element (`.collect()` of calls), or
/// one of the whole list (a `map!`).
#[doc(hidden)]
#[derive(Debug)]
pub enum Many<T> {
    /// A promise per element.
    Each(Vec<Promise<T>>),
    /// A promise of the list.
    Whole(Promise<Vec<T>>),
}

impl<T> FromIterator<Promise<T>> for Many<T> {
    fn from_iter<I: IntoIterator<Item = Promise<T>>>(iter: I) -> Self {
        Many::Each(iter.into_iter().collect())
    }
}

/// Values, not promises, collected as a dynamic body's output: said at the `collect()`.
impl<T: ValuesNotPromises> FromIterator<T> for Many<T> {
    fn from_iter<I: IntoIterator<Item = T>>(_: I) -> Self {
        Many::Each(Vec::new())
    }
}

/// Never implemented: the message of a dynamic body that collects values where promises go.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `#[dynamic]` returns the promises of calls, but these are `{Self}` values",
    label = "values, not promises",
    note = "a task passed by name (`.map(double)`) is called as a plain function, not added as a node: write \
            `.map(|x| double(x))`, so that each call is a node of the graph"
)]
pub trait ValuesNotPromises {}

impl<T> From<Vec<Promise<T>>> for Many<T> {
    fn from(each: Vec<Promise<T>>) -> Self {
        Many::Each(each)
    }
}

impl<T> From<Promise<Vec<T>>> for Many<T> {
    fn from(whole: Promise<Vec<T>>) -> Self {
        Many::Whole(whole)
    }
}

/// One output of a dynamic body: where its value comes from, and how it is read back.
#[doc(hidden)]
pub trait DynPart<O>: Send + 'static {
    /// Adds the sources of this output to `out`.
    fn part(&self) -> Part;
    /// The output's value, from the values of its sources (taken from `values`, in order).
    fn take(&self, values: &mut std::vec::IntoIter<Value>) -> Option<O>;
}

impl<T: Data> DynPart<T> for Promise<T> {
    fn part(&self) -> Part {
        Part::One(self.source())
    }
    fn take(&self, values: &mut std::vec::IntoIter<Value>) -> Option<T> {
        values.next()?.downcast_ref::<T>().cloned()
    }
}

impl<T: Data> DynPart<Vec<T>> for Many<T> {
    fn part(&self) -> Part {
        match self {
            Many::Each(each) => Part::Each(each.iter().map(Promise::source).collect()),
            Many::Whole(whole) => Part::One(whole.source()),
        }
    }
    fn take(&self, values: &mut std::vec::IntoIter<Value>) -> Option<Vec<T>> {
        match self {
            Many::Each(each) => each.iter().map(|_| values.next()?.downcast_ref::<T>().cloned()).collect(),
            Many::Whole(_) => values.next()?.downcast_ref::<Vec<T>>().cloned(),
        }
    }
}

/// Where one output of a dynamic body comes from.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Part {
    /// One source: the output's value.
    One(Source),
    /// A source per element of the output's list.
    Each(Vec<Source>),
}

/// Every source of `parts`, output after output: what [`Dynamic::assemble`] reads back.
fn flat(parts: &[Part]) -> Vec<Source> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::One(s) => out.push(*s),
            Part::Each(each) => out.extend(each.iter().copied()),
        }
    }
    out
}

/// A `#[dynamic]`.
pub trait Dynamic: Target {
    /// What the body returns: a [`DynPart`] per output.
    #[doc(hidden)]
    type Returned: Send + 'static;
    /// The function's name: the inner graph's nodes are reported under it.
    #[doc(hidden)]
    const NAME: &'static str;
    /// The dynamic's settings and typed interface, as they appear in a graph's `tasks` table.
    fn spec(&self) -> TaskSpec;
    /// Runs the body, adding its nodes to `d`.
    #[doc(hidden)]
    fn body(&self, input: Self::Input, d: &DynamicBuilder) -> Self::Returned;
    /// Where each output comes from, in order.
    #[doc(hidden)]
    fn outputs(returned: &Self::Returned) -> Vec<Part>;
    /// The outputs, from the values of the sources of [`Dynamic::outputs`], in order.
    #[doc(hidden)]
    fn assemble(returned: &Self::Returned, values: Vec<Value>) -> Option<Self::Output>;
    /// Declares into `d` every task and workflow the body names (see `plan::callees`).
    #[doc(hidden)]
    fn callees(d: &DynamicBuilder) {
        let _ = d;
    }
}

/// A dynamic as a kernel: each attempt runs the body, then the graph it built.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct DynamicKernel<D>(pub D);

impl<D: Dynamic<Input: InputTuple, Output: OutputTuple>> Kernel for DynamicKernel<D> {
    type Input = D::Input;
    type Output = D::Output;
    const BLOCKING: bool = false;

    fn call(
        &self,
        input: Self::Input,
        hooks: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<Self::Output, Cause> + Send + 'static,
        impl Future<Output = Result<Self::Output, Cause>> + Send + 'static,
    > {
        let built = build(&self.0, input);
        let run = built.map(|(plan, returned)| (hooks.run_plan(plan, Vec::new()), returned));
        Invoke::<fn() -> Result<Self::Output, Cause>, _>::Async(async move {
            let (run, returned) = run?;
            let values = run.await?;
            D::assemble(&returned, values).ok_or_else(|| {
                Cause::Workflow(Box::new(Error::Internal("a dynamic node's outputs have the wrong types")))
            })
        })
    }

    const EXPANDS: bool = true;

    fn expand(&self, input: Self::Input) -> Option<Result<Expansion, Cause>> {
        Some(expand(&self.0, input))
    }

    fn callees(&self) -> Option<Callees> {
        let d = DynamicBuilder { b: RefCell::new(GraphBuilder::new(D::NAME, &[])) };
        // A callee that cannot be declared (a workflow that does not build) is left out: the
        // pod that asks for it says it serves no such task.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| quiet(|| D::callees(&d))));
        let b = d.b.into_inner();
        Some(Callees { nodes: b.nodes, planned: b.planned, tables: b.tables })
    }
}

/// Runs the body of `dynamic` with `input` into a builder; a panic in the body or a graph that
/// cannot be built is an error.
fn run_body<D: Dynamic>(dynamic: &D, input: D::Input) -> Result<(GraphBuilder, D::Returned), Cause> {
    let name = D::NAME;
    let d = DynamicBuilder { b: RefCell::new(GraphBuilder::new(name, &[])) };
    let returned = std::panic::catch_unwind(AssertUnwindSafe(|| quiet(|| dynamic.body(input, &d))))
        .map_err(|panic| panic_cause(panic.as_ref()))?;
    let b = d.b.into_inner();
    if !b.errors.is_empty() {
        return Err(Cause::Workflow(Box::new(Error::Build {
            workflow: name.to_owned(),
            errors: BuildErrors(b.errors),
        })));
    }
    Ok((b, returned))
}

/// The error of a body whose outputs were not all built.
fn unbuilt(name: &str) -> Cause {
    let errors = BuildErrors(vec![BuildError::Panicked { message: "an output of the body was not built".into() }]);
    Cause::Workflow(Box::new(Error::Build { workflow: name.to_owned(), errors }))
}

/// Runs the body of `dynamic` with `input`, and gives the graph it built (not run).
fn expand<D: Dynamic>(dynamic: &D, input: D::Input) -> Result<Expansion, Cause> {
    let (b, returned) = run_body(dynamic, input)?;
    let parts = D::outputs(&returned);
    if flat(&parts).iter().any(|s| matches!(s, Source::Unbuilt)) {
        return Err(unbuilt(D::NAME));
    }
    let outputs = parts
        .into_iter()
        .map(|part| match part {
            Part::One(s) => ExpandedOutput::One(b.binding(s)),
            Part::Each(each) => ExpandedOutput::Each(each.into_iter().map(|s| b.binding(s)).collect()),
        })
        .collect();
    Ok(Expansion { nodes: b.nodes, tables: b.tables, outputs })
}

/// Runs the body of `dynamic` with `input` into a plan of no inputs whose outputs are the
/// body's; a panic in the body or a graph that cannot be built fails the attempt.
fn build<D: Dynamic>(dynamic: &D, input: D::Input) -> Result<(Arc<Plan>, D::Returned), Cause> {
    let (b, returned) = run_body(dynamic, input)?;
    let sources = flat(&D::outputs(&returned));
    if sources.iter().any(|s| matches!(s, Source::Unbuilt)) {
        return Err(unbuilt(D::NAME));
    }
    Ok((Arc::new(Plan::new(Arc::from(D::NAME), 0, b.planned, sources, b.constants)), returned))
}
