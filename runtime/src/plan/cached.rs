//! A cached node's typed lookups and stores. A map keys a chunk of its elements at once, looks
//! the chunk up in one pass over the store's index, runs what was not found, and stores the new
//! outputs as one batch (one append); a plain call does the same for one key.

use std::marker::PhantomData;
use std::ops::Range;

use crate::cache::inputs::{HashInputs, KeyScratch};
use crate::cache::key::CacheKey;
use crate::cache::node::{NodeCache, encode};
use crate::cache::reserve::{Reservation, Reserved, Waiter};
use crate::error::NodeError;
use crate::plan::attempt::run_call;
use crate::plan::{CallKernel, Policy};
use crate::tuple::OutputTuple;
use crate::value::Value;

/// What one worker (or lane) of a cached map keeps between the elements of its chunks.
pub(crate) struct Batch<'a, O: OutputTuple> {
    cache: &'a NodeCache,
    policy: &'a Policy<'a>,
    keys: KeyScratch,
    /// The key of each row of the current chunk; `None` where an input could not be encoded.
    rows: Vec<Option<CacheKey>>,
    /// The rows being looked up, and their keys.
    wanted: Vec<(usize, CacheKey)>,
    found: Vec<usize>,
    /// Outputs to store, encoded one after another into `values`.
    values: Vec<u8>,
    pending: Vec<(CacheKey, Range<usize>)>,
    _outputs: PhantomData<fn(O)>,
}

impl<'a, O: OutputTuple> Batch<'a, O> {
    pub(crate) fn new(cache: &'a NodeCache, policy: &'a Policy<'a>) -> Self {
        Batch {
            cache,
            policy,
            keys: KeyScratch::default(),
            rows: Vec::new(),
            wanted: Vec::new(),
            found: Vec::new(),
            values: Vec::new(),
            pending: Vec::new(),
            _outputs: PhantomData,
        }
    }

    /// Keys the rows of the chunk whose first element is `start`, and fills those the cache
    /// holds (unless the run overwrites); returns how many it filled.
    pub(crate) fn lookup<I: HashInputs>(
        &mut self,
        columns: &I::Columns,
        start: usize,
        slots: &mut [Option<O>],
    ) -> Result<usize, NodeError> {
        self.rows.clear();
        for j in 0..slots.len() {
            let key = match I::element_hashes(columns, start + j, &self.cache.spec.skip, &mut self.keys) {
                Ok(()) => Some(self.cache.key(&self.keys)),
                Err(e) => {
                    tracing::warn!(task = %self.cache.spec.task, index = start + j, "{e}; the element runs uncached");
                    None
                }
            };
            self.rows.push(key);
        }
        if self.cache.overwrite { Ok(0) } else { self.fill(start, slots, 0..slots.len()) }
    }

    /// Fills the empty rows of `among` that the cache holds; returns how many.
    fn fill(&mut self, start: usize, slots: &mut [Option<O>], among: Range<usize>) -> Result<usize, NodeError> {
        self.wanted.clear();
        self.found.clear();
        for j in among {
            if let (Some(key), None) = (self.rows[j], &slots[j]) {
                self.wanted.push((j, key));
            }
        }
        if self.wanted.is_empty() {
            return Ok(0);
        }
        let keys: Vec<CacheKey> = self.wanted.iter().map(|(_, k)| *k).collect();
        let mut bad = None;
        let (cache, wanted, found) = (self.cache, &self.wanted, &mut self.found);
        cache
            .store
            .get_many(&keys, |i, bytes| {
                let row = wanted[i].0;
                match cache.decode::<O>(bytes) {
                    Ok(out) => {
                        slots[row] = Some(out);
                        found.push(row);
                    }
                    Err(e) => bad = bad.take().or(Some(e)),
                }
            })
            .map_err(NodeError::Cache)?;
        if let Some(e) = bad {
            return Err(e);
        }
        self.policy.observer.cached(self.found.iter().map(|row| Some(start + row)));
        Ok(self.found.len())
    }

    /// For `cache_serialize`: reserves the keys of the rows still to run. Rows whose key another
    /// caller (or an earlier row) holds go to `waiting`, in row order, to be waited for once this
    /// chunk's own rows are stored and released.
    pub(crate) fn reserve(&self, slots: &[Option<O>], held: &mut Vec<Reservation>, waiting: &mut Vec<(usize, Waiter)>) {
        for (j, (key, slot)) in self.rows.iter().zip(slots).enumerate() {
            if let (Some(key), None) = (key, slot) {
                match self.cache.reserve(*key) {
                    Some(Reserved::Mine(r)) => held.push(r),
                    Some(Reserved::Theirs(w)) => waiting.push((j, w)),
                    None => {}
                }
            }
        }
    }

    /// Fills row `j` from the cache if it is there now; whether it is.
    pub(crate) fn fill_one(&mut self, start: usize, slots: &mut [Option<O>], j: usize) -> Result<bool, NodeError> {
        self.fill(start, slots, j..j + 1).map(|n| n == 1)
    }

    /// Row `j`'s new outputs, to be stored with the chunk.
    pub(crate) fn keep(&mut self, j: usize, out: &O) {
        let Some(key) = self.rows.get(j).copied().flatten() else { return };
        let from = self.values.len();
        match encode(&mut self.values, out) {
            Ok(()) => self.pending.push((key, from..self.values.len())),
            Err(e) => {
                self.values.truncate(from);
                tracing::warn!(task = %self.cache.spec.task, "outputs not cached: {e}");
            }
        }
    }

    /// Stores the kept outputs as one batch. A store that cannot be written is logged and
    /// published (`CacheNotStored`); the outputs themselves are kept by the map.
    pub(crate) fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let n = self.pending.len();
        let entries = self.pending.iter().map(|(k, r)| (k, &self.values[r.clone()]));
        let stored = self.cache.store.put_many(entries);
        self.pending.clear();
        self.values.clear();
        self.policy.observer.stored(n, stored);
    }
}

impl<O: OutputTuple> Drop for Batch<'_, O> {
    /// A cancelled map still stores what its elements computed.
    fn drop(&mut self) {
        self.flush();
    }
}

/// A plain call of a cached task: its outputs from the cache, or the call, then stored.
pub(crate) async fn run_cached_call(
    kernel: &dyn CallKernel,
    policy: &Policy<'_>,
    cache: &NodeCache,
    inputs: &[Value],
) -> Result<Vec<Value>, NodeError> {
    let codec = cache.spec.codec;
    let Some(key) = codec.key(cache, inputs)? else {
        return run_call(kernel, policy, inputs).await.map_err(NodeError::Failed);
    };
    let lookup = || -> Result<Option<Vec<Value>>, NodeError> {
        let mut hit = None;
        cache.store.get_many(&[key], |_, bytes| hit = Some(codec.decode(cache, bytes))).map_err(NodeError::Cache)?;
        let hit = hit.transpose()?;
        if hit.is_some() {
            tracing::info!("outputs from the cache");
            policy.observer.cached(std::iter::once(None));
        }
        Ok(hit)
    };
    if !cache.overwrite
        && let Some(hit) = lookup()?
    {
        return Ok(hit);
    }
    let _held = match cache.reserve(key) {
        Some(Reserved::Mine(r)) => Some(r),
        Some(Reserved::Theirs(waiter)) => {
            // Another call computes it: take its outputs, or compute them if it failed.
            waiter.released().await;
            if let Some(hit) = lookup()? {
                return Ok(hit);
            }
            None
        }
        None => None,
    };
    let outputs = run_call(kernel, policy, inputs).await.map_err(NodeError::Failed)?;
    match codec.encode(&outputs) {
        Ok(bytes) => policy.observer.stored(1, cache.store.put_many([(&key, bytes.as_slice())])),
        Err(e) => tracing::warn!(task = %cache.spec.task, "outputs not cached: {e}"),
    }
    Ok(outputs)
}
