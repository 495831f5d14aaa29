//! Kernels: the typed code of a node, erased only where that costs nothing per element.
//!
//! A [`Kernel`] is a task's function (or a sub-workflow) with typed inputs and outputs. A plain
//! call goes through [`CallOf`], erased once per target; a map keeps the kernel's types for its
//! per-element loop (see `plan::map`).

use std::future::Future;

use futures_util::FutureExt;

use crate::error::{Cause, NodeError};
use crate::plan::expansion::Expansion;
use crate::plan::{Attempt, CallKernel, Callees, Hooks};
use crate::tuple::{InputTuple, OutputTuple};
use crate::value::Value;

/// How one attempt runs: a blocking call (a sync task, run off the async threads) or a future.
#[doc(hidden)]
#[derive(Debug)]
pub enum Invoke<B, F> {
    /// A sync task's call.
    Blocking(B),
    /// An async task's future, or a sub-workflow run.
    Async(F),
}

/// A typed unit of work: what one element of a map, or one plain call, runs.
#[doc(hidden)]
pub trait Kernel: Copy + Send + Sync + 'static {
    /// Inputs, as a tuple.
    type Input: InputTuple;
    /// Outputs, as a tuple.
    type Output: OutputTuple;
    /// Whether an attempt occupies a thread (a sync task).
    const BLOCKING: bool;
    /// Starts one attempt.
    #[allow(clippy::type_complexity)]
    fn call(
        &self,
        input: Self::Input,
        hooks: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<Self::Output, Cause> + Send + 'static,
        impl Future<Output = Result<Self::Output, Cause>> + Send + 'static,
    >;
    /// Whether [`Kernel::expand`] gives a graph (a `#[dynamic]`'s kernel).
    const EXPANDS: bool = false;
    /// A dynamic's body run with `input`: the graph it builds, not run. `None` for any other
    /// kernel.
    fn expand(&self, input: Self::Input) -> Option<Result<Expansion, Cause>> {
        let _ = input;
        None
    }
    /// What a dynamic's body may call, each declared once (see `plan::callees`). `None` for
    /// any other kernel.
    fn callees(&self) -> Option<Callees> {
        None
    }
}

/// [`CallKernel`] for a typed kernel.
pub(crate) struct CallOf<K> {
    pub(crate) kernel: K,
    pub(crate) names: &'static [&'static str],
}

impl<K: Kernel> CallKernel for CallOf<K> {
    fn copy(&self) -> Box<dyn CallKernel> {
        Box::new(CallOf { kernel: self.kernel, names: self.names })
    }

    fn expand(&self, inputs: &[Value]) -> Option<Result<Expansion, Cause>> {
        if !K::EXPANDS {
            return None;
        }
        match K::Input::from_values(inputs, self.names) {
            Ok(input) => self.kernel.expand(input),
            Err(e) => Some(Err(Cause::Error(Box::new(e)))),
        }
    }

    fn callees(&self) -> Option<Callees> {
        self.kernel.callees()
    }

    fn invoke(&self, inputs: &[Value], hooks: &dyn Hooks) -> Result<Attempt, NodeError> {
        let input = K::Input::from_values(inputs, self.names)?;
        let invoke = self.kernel.call(input, hooks);
        // A constant branch: a sync task's code never names the future arm, nor an async task's
        // the blocking arm, so neither is compiled for a task that cannot take it.
        if K::BLOCKING {
            match invoke {
                Invoke::Blocking(call) => Ok(Attempt::Blocking(Box::new(move || call().map(OutputTuple::into_values)))),
                Invoke::Async(_) => Err(NodeError::Internal("a sync task made a future")),
            }
        } else {
            match invoke {
                Invoke::Async(future) => Ok(Attempt::Async(future.map(|r| r.map(OutputTuple::into_values)).boxed())),
                Invoke::Blocking(_) => Err(NodeError::Internal("an async task made a blocking call")),
            }
        }
    }
}
