//! What a cached node knows of the cache: its key identity, from the plan ([`CacheSpec`]), and
//! in a run the store and the run's options with it ([`NodeCache`]); and how outputs are
//! stored.
//!
//! Outputs are stored as MessagePack with struct fields by name: self-describing, so any serde
//! type reads back (untagged enums, `serde_json::Value`, `skip_serializing_if` fields).

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cache::codec::CacheCodec;
use crate::cache::inputs::KeyScratch;
use crate::cache::key::{CacheKey, KeyPrefix};
use crate::cache::reserve::{Reservations, Reserved};
use crate::cache::store::{CacheError, Store};
use crate::error::NodeError;

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
