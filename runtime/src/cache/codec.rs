//! A cached plain call's codec: its key from its input values, and its outputs to and from the
//! cache's encoding. Built when a node is cached (see `plan::builder`), as functions generic over
//! the input and output types alone, so tasks of one signature share one copy of the code.

use crate::cache::inputs::{HashInputs, KeyScratch};
use crate::cache::key::CacheKey;
use crate::cache::node::{NodeCache, encode};
use crate::error::NodeError;
use crate::tuple::OutputTuple;
use crate::value::Value;

/// A call's cache key from its input values and parameter names (`None`: not encodable).
type KeyFn = fn(&NodeCache, &[Value], &[&str]) -> Result<Option<CacheKey>, NodeError>;

/// How a cached call's values meet the cache.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CacheCodec {
    /// The parameter names, for errors.
    names: &'static [&'static str],
    key: KeyFn,
    encode: fn(&[Value]) -> Result<Vec<u8>, String>,
    decode: fn(&NodeCache, &[u8]) -> Result<Vec<Value>, NodeError>,
}

impl CacheCodec {
    /// The codec of a call with inputs `I` (named `names`) and outputs `O`.
    pub(crate) fn of<I: HashInputs, O: OutputTuple>(names: &'static [&'static str]) -> Self {
        CacheCodec { names, key: key::<I>, encode: encode_outputs::<O>, decode: decode_outputs::<O> }
    }

    /// The cache key of a call with these inputs; `None` (with a warning logged) when an input
    /// cannot be encoded, so the call runs uncached.
    pub(crate) fn key(&self, cache: &NodeCache, inputs: &[Value]) -> Result<Option<CacheKey>, NodeError> {
        (self.key)(cache, inputs, self.names)
    }

    /// A call's outputs in the cache's encoding.
    pub(crate) fn encode(&self, outputs: &[Value]) -> Result<Vec<u8>, String> {
        (self.encode)(outputs)
    }

    /// A call's outputs from the cache's encoding.
    pub(crate) fn decode(&self, cache: &NodeCache, bytes: &[u8]) -> Result<Vec<Value>, NodeError> {
        (self.decode)(cache, bytes)
    }
}

fn key<I: HashInputs>(cache: &NodeCache, inputs: &[Value], names: &[&str]) -> Result<Option<CacheKey>, NodeError> {
    let input = I::from_values(inputs, names)?;
    let mut keys = KeyScratch::default();
    match input.hashes(&cache.spec.skip, &mut keys) {
        Ok(()) => Ok(Some(cache.key(&keys))),
        Err(e) => {
            tracing::warn!(task = %cache.spec.task, "{e}; the call runs uncached");
            Ok(None)
        }
    }
}

fn encode_outputs<O: OutputTuple>(outputs: &[Value]) -> Result<Vec<u8>, String> {
    let outputs = O::from_values(outputs.to_vec()).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    encode(&mut bytes, &outputs)?;
    Ok(bytes)
}

fn decode_outputs<O: OutputTuple>(cache: &NodeCache, bytes: &[u8]) -> Result<Vec<Value>, NodeError> {
    cache.decode::<O>(bytes).map(OutputTuple::into_values)
}
