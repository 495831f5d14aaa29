//! Kernels: the typed code of a node, erased only where that costs nothing per element.
//!
//! A [`Kernel`] is a task's function (or a sub-workflow) with typed inputs and outputs. A plain
//! call goes through [`CallOf`], erased once per target; a map keeps the kernel's types for its
//! per-element loop (see `plan::map`).

use std::future::Future;

use futures_util::FutureExt;

use flowmap_model::graph::Port;

#[cfg(feature = "cache")]
use crate::cache::key::CacheKey;
#[cfg(feature = "cache")]
use crate::cache::node::{NodeCache, encode};
use crate::error::{Cause, NodeError};
use crate::json_io::{JsonInputs, JsonOutputs, ReadError};
use crate::plan::{Attempt, CallKernel, Hooks};
#[cfg(feature = "cache")]
use crate::tuple::KeyScratch;
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

    fn read_json(&self, inputs: JsonInputs, ports: &[Port]) -> Result<Vec<Value>, ReadError> {
        inputs.read::<K::Input>(ports).map(InputTuple::into_values)
    }

    fn outputs_json(&self, outputs: Vec<Value>) -> Result<JsonOutputs, NodeError> {
        K::Output::from_values(outputs).map(|o| JsonOutputs::new(crate::json_io::Ports(o)))
    }

    #[cfg(feature = "cache")]
    fn cache_key(&self, cache: &NodeCache, inputs: &[Value]) -> Result<Option<CacheKey>, NodeError> {
        let input = K::Input::from_values(inputs, self.names)?;
        let mut keys = KeyScratch::default();
        match input.hashes(&cache.spec.skip, &mut keys) {
            Ok(()) => Ok(Some(cache.key(&keys))),
            Err(e) => {
                tracing::warn!(task = %cache.spec.task, "{e}; the call runs uncached");
                Ok(None)
            }
        }
    }

    #[cfg(feature = "cache")]
    fn encode_outputs(&self, outputs: &[Value]) -> Result<Vec<u8>, String> {
        let outputs = K::Output::from_values(outputs.to_vec()).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        encode(&mut bytes, &outputs)?;
        Ok(bytes)
    }

    #[cfg(feature = "cache")]
    fn decode_outputs(&self, cache: &NodeCache, bytes: &[u8]) -> Result<Vec<Value>, NodeError> {
        cache.decode::<K::Output>(bytes).map(OutputTuple::into_values)
    }

    fn invoke(&self, inputs: &[Value], hooks: &dyn Hooks) -> Result<Attempt, NodeError> {
        let input = K::Input::from_values(inputs, self.names)?;
        Ok(match self.kernel.call(input, hooks) {
            Invoke::Blocking(call) => Attempt::Blocking(Box::new(move || call().map(OutputTuple::into_values))),
            Invoke::Async(future) => Attempt::Async(future.map(|r| r.map(OutputTuple::into_values)).boxed()),
        })
    }
}
