//! What a cached node knows of the cache: its key identity and codec, from the plan
//! ([`CacheSpec`], [`CacheCodec`]), and in a run the store and the run's options with it
//! ([`NodeCache`]); and how outputs are stored.
//!
//! The codec of a plain call is built when its node is cached (see `plan::builder`), as
//! functions generic over the input and output types alone, so tasks of one signature share one
//! copy of the code.
//!
//! Outputs are stored as MessagePack with struct fields by name: self-describing, so any serde
//! type reads back (untagged enums, `serde_json::Value`, `skip_serializing_if` fields).

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cache::inputs::{HashInputs, KeyScratch};
use crate::cache::key::{CacheKey, KeyPrefix};
use crate::cache::reserve::{Reservations, Reserved};
use crate::cache::store::{CacheError, Store};
use crate::error::NodeError;
use crate::tuple::OutputTuple;
use crate::value::Value;

/// A cached task node's identity, fixed when its workflow is built.
#[derive(Clone, Debug)]
pub(crate) struct CacheSpec {
    /// The task's qualified name, for messages.
    pub(crate) task: Arc<str>,
    /// Name, version and interface, hashed.
    pub(crate) prefix: KeyPrefix,
    /// Per input, whether it is left out of the key (`cache_ignore_inputs`).
    pub(crate) skip: Arc<[bool]>,
    /// `cache_serialize`.
    pub(crate) serialize: bool,
    /// How the call's values are keyed and stored.
    pub(crate) codec: CacheCodec,
}

/// One cached node's use of the cache in one run.
#[derive(Clone, Debug)]
pub(crate) struct NodeCache {
    pub(crate) spec: CacheSpec,
    pub(crate) store: Arc<Store>,
    /// The run recomputes and replaces instead of looking up.
    pub(crate) overwrite: bool,
    /// In-flight keys, when the task has `cache_serialize`.
    pub(crate) reservations: Option<Arc<Reservations>>,
}

impl NodeCache {
    /// The key of the call whose input hashes are in `keys`.
    pub(crate) fn key(&self, keys: &KeyScratch) -> CacheKey {
        self.spec.prefix.key(&keys.hashes)
    }

    /// Reserves `key` when the task serializes its calls; `None` otherwise.
    pub(crate) fn reserve(&self, key: CacheKey) -> Option<Reserved> {
        self.reservations.as_ref().map(|r| r.reserve(key))
    }
}

/// Appends `value` in the cache's encoding.
pub(crate) fn encode<O: Serialize + ?Sized>(out: &mut Vec<u8>, value: &O) -> Result<(), String> {
    rmp_serde::encode::write_named(out, value).map_err(|e| e.to_string())
}

impl NodeCache {
    /// Reads outputs stored by [`encode`]; an entry that does not read back is corruption.
    pub(crate) fn decode<O: DeserializeOwned>(&self, bytes: &[u8]) -> Result<O, NodeError> {
        rmp_serde::from_slice(bytes).map_err(|e| {
            NodeError::Cache(CacheError::Corrupt {
                path: self.store.path().to_owned(),
                reason: format!(
                    "an entry of task `{}` does not read back as its outputs: {e}; a new `cache_version` also leaves it behind",
                    self.spec.task
                ),
            })
        })
    }
}

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
