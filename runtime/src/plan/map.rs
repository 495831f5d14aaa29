//! A map node: a kernel fanned out over one or more zipped lists.
//!
//! Each element's outputs are written in place into one row per element. Sync elements (with no
//! timeout) run as one blocking job: `min(elements, concurrency, Hooks::threads)` workers (the
//! last is how many of the node's requests fit in the capacity, a call with no CPU request
//! counting as one CPU: the runtime's CPUs by default, 20 for `cpu = "100m"` on 2 CPUs) take
//! chunks of rows from a queue and call the task directly, one element at a time; a map known to
//! be short stays on one thread.
//! Async elements run in "lanes": one future per in-flight slot, each running its chunk's
//! elements one after another, so a map of a million elements holds `concurrency` futures, not a
//! million. Either way at most `concurrency` elements run at any instant, a free slot takes the
//! next element at once, counts are batched per chunk, and a stop flag checked before every
//! element ends the map as soon as the required successes are out of reach.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use flowmap_model::graph::SuccessRule;
use futures_util::future::BoxFuture;
#[cfg(feature = "cache")]
use futures_util::future::Either;
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::error::Cause;
use crate::error::{ElementFailure, MapFailure, NodeError};
use crate::observe::NodeObserver;
use crate::panics::panic_cause;
use crate::panics::quiet;
use crate::plan::attempt::{run_element, run_element_blocking};
#[cfg(feature = "cache")]
use crate::plan::cached::Batch;
use crate::plan::kernel::Invoke;
use crate::plan::kernel::Kernel;
use crate::plan::target::CacheInputs;
use crate::plan::{Hooks, MapKernel, MapShape, Permit, Policy};
use crate::tuple::{InputTuple, OutputTuple};
use crate::value::Value;

/// [`MapKernel`] for a typed kernel: the per-element loop is monomorphized.
pub(crate) struct MapOf<K>(pub(crate) K);

/// What the elements of one map share while they run.
struct Tally {
    total: usize,
    required: usize,
    succeeded: AtomicUsize,
    failed: AtomicUsize,
    stop: AtomicBool,
    errors: Mutex<Vec<ElementFailure>>,
    /// What ended the map other than its elements (the cache could not be read).
    fatal: Mutex<Option<NodeError>>,
    /// Elements whose outputs came from the cache.
    #[cfg(feature = "cache")]
    cached: AtomicUsize,
    /// The node's counters, events and logs.
    observer: NodeObserver,
}

impl Tally {
    fn new(total: usize, required: usize, observer: NodeObserver) -> Self {
        Tally {
            observer,
            total,
            required,
            succeeded: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            errors: Mutex::new(Vec::new()),
            fatal: Mutex::new(None),
            #[cfg(feature = "cache")]
            cached: AtomicUsize::new(0),
        }
    }

    /// Ends the map with `error` (the first one wins).
    #[cfg(feature = "cache")]
    fn fatal(&self, error: NodeError) {
        self.fatal.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(error);
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Stores an element's outputs in its row, or records its failure; 1 for a success, so the
    /// caller counts successes per chunk.
    #[inline]
    fn record<O>(&self, slot: &mut Option<O>, result: Result<O, ElementFailure>) -> usize {
        match result {
            Ok(out) => {
                *slot = Some(out);
                1
            }
            Err(failure) => {
                self.fail(failure);
                0
            }
        }
    }

    /// Records a failed element; stops the map if success is out of reach.
    fn fail(&self, failure: ElementFailure) {
        let failed = self.failed.fetch_add(1, Ordering::SeqCst) + 1;
        // Every one is kept: a map that tolerates them reports them all.
        self.errors.lock().unwrap_or_else(PoisonError::into_inner).push(failure);
        if self.total - failed < self.required {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    /// Counts `ok` more successes (once per chunk, or per element where nothing contends).
    #[inline]
    fn succeed(&self, ok: usize) {
        self.succeeded.fetch_add(ok, Ordering::SeqCst);
        self.observer.elements_succeeded(ok);
    }

    #[inline]
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Sets the stop flag when the map's future is dropped (the run was cancelled), so workers
/// start no further element.
struct StopOnDrop(Arc<Tally>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// Rows per chunk: a few chunks per worker so they stay balanced, at most 4096 rows; at most
/// [`CACHE_BATCH`] when the map is cached, since a chunk's outputs are stored when it ends.
fn chunk_size(n: usize, workers: usize, cached: bool) -> usize {
    (n / (workers * 8).max(1)).clamp(1, if cached { CACHE_BATCH } else { 4096 })
}

/// The most elements of a cached map stored in one batch: what a killed run can lose per worker.
pub(crate) const CACHE_BATCH: usize = 256;

/// Lends out disjoint chunks of a map's rows, each with the index of its first element, to the
/// workers (sync) or lanes (async) that fill them; one lock per chunk, not per element.
struct ChunkQueue<'a, O> {
    chunk: usize,
    chunks: Mutex<std::iter::Enumerate<std::slice::ChunksMut<'a, Option<O>>>>,
}

impl<'a, O> ChunkQueue<'a, O> {
    fn new(rows: &'a mut [Option<O>], chunk: usize) -> Self {
        ChunkQueue { chunk, chunks: Mutex::new(rows.chunks_mut(chunk).enumerate()) }
    }

    /// The next chunk and the index of its first element.
    fn next(&self) -> Option<(usize, &'a mut [Option<O>])> {
        let (k, slots) = self.chunks.lock().unwrap_or_else(PoisonError::into_inner).next()?;
        Some((k * self.chunk, slots))
    }

    fn has_work(&self) -> bool {
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner).len() > 0
    }
}

/// The common length of the mapped lists, or the error naming each and its length.
fn length(lens: Vec<Option<usize>>, names: &[&str]) -> Result<usize, NodeError> {
    let mapped: Vec<(String, usize)> =
        lens.into_iter().zip(names).filter_map(|(len, name)| Some(((*name).to_owned(), len?))).collect();
    match mapped.first() {
        None => Err(NodeError::Internal("a map node has no mapped list input")),
        Some((_, n)) if mapped.iter().all(|(_, l)| l == n) => Ok(*n),
        Some(_) => Err(NodeError::UnequalLengths { inputs: mapped }),
    }
}

fn required(rule: SuccessRule, n: usize) -> Result<usize, NodeError> {
    match rule {
        SuccessRule::All => Ok(n),
        SuccessRule::Ratio(r) => Ok(r.required(n)),
        SuccessRule::AtLeast(k) => match usize::try_from(k.get()) {
            Ok(k) if k <= n => Ok(k),
            _ => Err(NodeError::TooFewElements { required: k.get(), len: n }),
        },
    }
}

impl<K: Kernel<Input: CacheInputs>> MapKernel for MapOf<K> {
    fn element(&self, names: &'static [&'static str]) -> Box<dyn crate::plan::CallKernel> {
        Box::new(crate::plan::kernel::CallOf { kernel: self.0, names })
    }

    fn run<'a>(
        &'a self,
        shape: &'a MapShape,
        policy: Policy<'a>,
        hooks: &'a Arc<dyn Hooks>,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>> {
        // A constant branch, and two futures: a sync task's map compiles no typed lanes, an async
        // task's no blocking job (a future holding both would compile both).
        let (columns, rows, tally, window) = match start::<K::Input, K::Output>(shape, &policy, inputs) {
            Ok(started) => started,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        let map = MapRun { shape, policy, hooks, tally, window, columns, rows };
        if K::BLOCKING { Box::pin(self.run_sync_map(map)) } else { Box::pin(self.run_async_map(map)) }
    }
}

type Rows<K> = Vec<Option<<K as Kernel>::Output>>;

/// A map that has started: what its elements' loops and its end share.
struct MapRun<'a, K: Kernel> {
    shape: &'a MapShape,
    policy: Policy<'a>,
    hooks: &'a Arc<dyn Hooks>,
    tally: Arc<Tally>,
    /// `concurrency`, or unbounded.
    window: usize,
    columns: <K::Input as InputTuple>::Columns,
    /// One per element, filled as elements succeed.
    rows: Rows<K>,
}

impl<K: Kernel<Input: CacheInputs>> MapOf<K> {
    /// A sync task's map: one blocking job, or lanes of boxed elements where each needs a
    /// thread of its own for its whole run (a timeout, or `cache_serialize`'s waits).
    async fn run_sync_map(&self, map: MapRun<'_, K>) -> Result<Vec<Value>, NodeError> {
        let MapRun { shape, policy, hooks, tally, window, columns, rows } = map;
        let rows = if policy.timeout.is_none() && !policy.serializes() {
            self.run_sync(hooks, &policy, window, columns, rows, &tally).await?
        } else {
            // Boxed: the lanes are compiled once per signature, not once per task.
            let run = boxed_elements(self.0, &policy, &columns);
            let window = window.min(hooks.threads());
            run_in_lanes::<K::Input, _, _, _>(&policy, window, &columns, rows, &tally, &*run).await
        };
        finish(shape, &policy, hooks, &tally, rows)
    }

    /// An async task's (or sub-workflow's) map: lanes of typed futures.
    async fn run_async_map(&self, map: MapRun<'_, K>) -> Result<Vec<Value>, NodeError> {
        let MapRun { shape, policy, hooks, tally, window, columns, rows } = map;
        let (kernel, policy_ref, columns_ref) = (self.0, &policy, &columns);
        let run = move |i: usize| run_element(kernel, policy_ref, Some(i), move || K::Input::element(columns_ref, i));
        let rows = run_in_lanes::<K::Input, _, _, _>(&policy, window, &columns, rows, &tally, &run).await;
        finish(shape, &policy, hooks, &tally, rows)
    }

    /// Sync elements as one blocking job: the executor runs it in place or on a blocking thread.
    async fn run_sync(
        &self,
        hooks: &Arc<dyn Hooks>,
        policy: &Policy<'_>,
        window: usize,
        columns: <K::Input as InputTuple>::Columns,
        mut rows: Rows<K>,
        tally: &Arc<Tally>,
    ) -> Result<Rows<K>, NodeError> {
        let n = rows.len();
        if n == 0 {
            return Ok(rows);
        }
        let workers = window.min(hooks.threads()).min(n).max(1);
        let (kernel, shared, job_hooks) = (self.0, tally.clone(), hooks.clone());
        let (retries, admitted) = (policy.retries, policy.admitted);
        #[cfg(feature = "cache")]
        let cache = policy.cache.cloned();
        let _cancel = StopOnDrop(tally.clone());
        let job = move || {
            let policy = Policy {
                hooks: &*job_hooks,
                observer: &shared.observer,
                retries,
                timeout: None,
                admitted,
                #[cfg(feature = "cache")]
                cache: cache.as_ref(),
            };
            let queue = ChunkQueue::new(&mut rows, chunk_size(n, workers, policy.cached()));
            // Nothing asked of each element but its call: no admission, no event of its own.
            let plain = !policy.admitted && !policy.observer.each_element();
            let chunk = |#[cfg(feature = "cache")] batch: &mut Option<Batch<'_, K::Output>>,
                         (start, slots): (usize, &mut [Option<K::Output>])| {
                quiet(|| {
                    let mut ok = 0;
                    #[cfg(feature = "cache")]
                    if let Some(batch) = batch.as_mut() {
                        match batch.lookup::<K::Input>(&columns, start, slots) {
                            Ok(hits) => {
                                ok += hits;
                                shared.cached.fetch_add(hits, Ordering::Relaxed);
                            }
                            Err(e) => return shared.fatal(e),
                        }
                    }
                    if !policy.cached() && plain {
                        ok += run_plain_chunk(kernel, &policy, &columns, start, slots, &shared);
                        shared.succeed(ok);
                        return;
                    }
                    for (j, slot) in slots.iter_mut().enumerate() {
                        if shared.stopped() {
                            break;
                        }
                        if slot.is_some() {
                            continue;
                        }
                        let i = start + j;
                        let result = run_element_blocking(kernel, &policy, i, None, || K::Input::element(&columns, i));
                        let one = shared.record(slot, result);
                        #[cfg(feature = "cache")]
                        if let (Some(batch), Some(out)) = (batch.as_mut(), slot.as_ref()) {
                            batch.keep(j, out);
                        }
                        ok += one;
                    }
                    #[cfg(feature = "cache")]
                    if let Some(batch) = batch.as_mut() {
                        batch.flush();
                    }
                    shared.succeed(ok);
                });
            };
            // The time the workers spent on chunks, added up: the work's own cost, without the
            // time a worker took to start.
            let busy = AtomicU64::new(0);
            let worker = || {
                let started = Instant::now();
                #[cfg(feature = "cache")]
                let mut batch = policy.cache.map(|c| Batch::new(c, &policy));
                while !shared.stopped() {
                    let Some(next) = queue.next() else { break };
                    #[cfg(feature = "cache")]
                    chunk(&mut batch, next);
                    #[cfg(not(feature = "cache"))]
                    chunk(next);
                }
                let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                busy.fetch_add(took, Ordering::Relaxed);
            };
            // A map known to finish sooner than a thread wakes stays on this one; any other starts
            // all its workers at once. Either way the time per element on one thread is recorded
            // (not the wall time times the workers: that counts their start, and a map slowed
            // once by a late worker would never be known short again).
            let pace = job_hooks.pace();
            if workers == 1 || pace.is_short(n) {
                worker();
            } else {
                job_hooks.parallel(workers, &worker);
            }
            pace.observe(Duration::from_nanos(busy.load(Ordering::Relaxed)), n);
            Box::new(rows) as Box<dyn std::any::Any + Send>
        };
        let out = hooks
            .blocking(Box::new(job), n, None, Permit::NONE)
            .await
            .result
            .map_err(|_| NodeError::Internal("a sync map's job panicked or was cancelled"))?;
        out.downcast::<Rows<K>>()
            .map(|rows| *rows)
            .map_err(|_| NodeError::Internal("a sync map's job returned the wrong type"))
    }
}

/// What a map's run starts from: its columns, one empty row per element, its tally and its
/// window (`concurrency`, or unbounded).
#[allow(clippy::type_complexity)]
fn start<I: InputTuple, O>(
    shape: &MapShape,
    policy: &Policy<'_>,
    inputs: Vec<Value>,
) -> Result<(I::Columns, Vec<Option<O>>, Arc<Tally>, usize), NodeError> {
    let columns = I::columns(inputs, &shape.mapped, shape.names)?;
    let n = length(I::lens(&columns), shape.names)?;
    let required = required(shape.rule, n)?;
    policy.observer.node_started(Some(n));
    let window = shape.concurrency.map_or(usize::MAX, |c| usize::try_from(c.get()).unwrap_or(usize::MAX));
    let tally = Arc::new(Tally::new(n, required, policy.observer.clone()));
    let rows = std::iter::repeat_with(|| None).take(n).collect();
    Ok((columns, rows, tally, window))
}

/// A map's outputs from its rows, or its failure.
fn finish<O: OutputTuple>(
    shape: &MapShape,
    policy: &Policy<'_>,
    hooks: &Arc<dyn Hooks>,
    tally: &Tally,
    rows: Vec<Option<O>>,
) -> Result<Vec<Value>, NodeError> {
    let (n, required) = (tally.total, tally.required);
    if let Some(fatal) = tally.fatal.lock().unwrap_or_else(PoisonError::into_inner).take() {
        return Err(fatal);
    }
    #[cfg(feature = "cache")]
    if policy.cached() {
        let cached = tally.cached.load(Ordering::Relaxed);
        tracing::info!(elements = n, cached, "{cached} of {n} elements from the cache");
    }
    #[cfg(not(feature = "cache"))]
    let _ = policy;
    let failed = tally.failed.load(Ordering::SeqCst);
    let succeeded = tally.succeeded.load(Ordering::SeqCst);
    let mut errors = std::mem::take(&mut *tally.errors.lock().unwrap_or_else(PoisonError::into_inner));
    // In element order, whichever worker or lane met them first.
    errors.sort_by_key(|e| e.index);
    if n - failed < required {
        errors.truncate(MapFailure::KEPT_ERRORS);
        return Err(NodeError::MapFailed(MapFailure {
            total: n,
            succeeded,
            failed,
            required,
            not_run: n - succeeded - failed,
            errors,
            partial: O::option_lists(rows),
        }));
    }
    if shape.rule.tolerant() {
        if !errors.is_empty() {
            hooks.tolerated(errors);
        }
        Ok(O::option_lists(rows))
    } else {
        O::lists(rows).ok_or(NodeError::Internal("a strict map finished with an element missing"))
    }
}

/// A sync kernel's elements as boxed futures, for [`run_in_lanes`].
#[allow(clippy::type_complexity)]
fn boxed_elements<'a, K: Kernel>(
    kernel: K,
    policy: &'a Policy<'a>,
    columns: &'a <K::Input as InputTuple>::Columns,
) -> Box<dyn Fn(usize) -> BoxFuture<'a, Result<K::Output, ElementFailure>> + Send + Sync + 'a> {
    Box::new(move |i| Box::pin(run_element(kernel, policy, Some(i), move || K::Input::element(columns, i))))
}

/// Elements as futures, `window` lanes of them, each lane running one element at a time.
///
/// `run(i)` runs element `i` with its retries. Generic over the input and output types only, and
/// over how elements run: a typed future (an async task's), or a boxed one (a sync task's with a
/// timeout, which holds a blocking thread; the caller bounds `window` by the threads).
async fn run_in_lanes<I, O, R, F>(
    policy: &Policy<'_>,
    window: usize,
    #[cfg_attr(not(feature = "cache"), allow(unused))] columns: &I::Columns,
    mut rows: Vec<Option<O>>,
    tally: &Tally,
    run: &R,
) -> Vec<Option<O>>
where
    I: InputTuple + CacheInputs,
    O: OutputTuple,
    R: Fn(usize) -> F + Sync + ?Sized,
    F: std::future::Future<Output = Result<O, ElementFailure>>,
{
    let n = rows.len();
    let window = window.min(policy.hooks.max_in_flight());
    let max_lanes = window.min(n).max(1);
    let chunk = chunk_size(n, max_lanes, policy.cached()).min(n.div_ceil(max_lanes)).max(1);
    let queue = ChunkQueue::new(&mut rows, chunk);
    // The lanes share one future, polled by one thread at a time, and they are the only
    // writers of these counts: a plain load and store (no locked add) keeps them exact. Each
    // success is counted as it is recorded, since a map that stops drops its lanes mid-chunk.
    let succeeded = |n: usize| {
        tally.succeeded.store(tally.succeeded.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        let counted = &tally.observer.counters().succeeded;
        counted.store(counted.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    };
    // An uncached map's lane: the plain loop, with nothing per element but the call.
    let plain_lane = || async {
        while !tally.stopped() {
            let Some((start, slots)) = queue.next() else { return };
            for (j, slot) in slots.iter_mut().enumerate() {
                if tally.stopped() {
                    break;
                }
                succeeded(tally.record(slot, run(start + j).await));
            }
        }
    };
    // A cached map's lane: lookups and stores per chunk, and `cache_serialize`'s waits.
    #[cfg(feature = "cache")]
    let (queue, succeeded, run) = (&queue, &succeeded, &run);
    #[cfg(feature = "cache")]
    let cached_lane = |cache| async move {
        let mut batch = Batch::<O>::new(cache, policy);
        let (mut held, mut waiting) = (Vec::new(), Vec::new());
        while !tally.stopped() {
            let Some((start, slots)) = queue.next() else { return };
            match batch.lookup::<I>(columns, start, slots) {
                Ok(hits) => {
                    succeeded(hits);
                    tally.cached.fetch_add(hits, Ordering::Relaxed);
                }
                Err(e) => return tally.fatal(e),
            }
            batch.reserve(slots, &mut held, &mut waiting);
            let mut deferred = 0;
            for (j, slot) in slots.iter_mut().enumerate() {
                if tally.stopped() {
                    break;
                }
                // Rows another caller computes, in row order: waited for below.
                if waiting.get(deferred).is_some_and(|(w, _)| *w == j) {
                    deferred += 1;
                    continue;
                }
                if slot.is_some() {
                    continue;
                }
                let one = tally.record(slot, run(start + j).await);
                if let Some(out) = slot.as_ref() {
                    batch.keep(j, out);
                }
                succeeded(one);
            }
            batch.flush();
            // `cache_serialize`: this chunk's own keys are stored; release them, then take
            // the outputs of keys others held (or compute them, if those failed).
            held.clear();
            for (j, waiter) in std::mem::take(&mut waiting) {
                waiter.released().await;
                if tally.stopped() {
                    break;
                }
                let one = match batch.fill_one(start, slots, j) {
                    Ok(true) => {
                        tally.cached.fetch_add(1, Ordering::Relaxed);
                        1
                    }
                    Ok(false) => {
                        let one = tally.record(&mut slots[j], run(start + j).await);
                        if let Some(out) = slots[j].as_ref() {
                            batch.keep(j, out);
                        }
                        one
                    }
                    Err(e) => return tally.fatal(e),
                };
                succeeded(one);
            }
            batch.flush();
        }
    };
    // Boxed: the lanes of an uncached map stay as small as its plain loop.
    #[cfg(feature = "cache")]
    let lane = || match policy.cache {
        Some(cache) => Either::Right(Box::pin(cached_lane(cache))),
        None => Either::Left(plain_lane()),
    };
    #[cfg(not(feature = "cache"))]
    let lane = plain_lane;
    // Lanes grow on demand: a new one starts only when every running lane is waiting and work
    // is left, up to the window. Elements that finish at once run in one lane like a loop;
    // elements that wait all run together, as many as the window allows.
    let mut running = FuturesUnordered::new();
    running.push(lane());
    let mut lanes = 1;
    futures_util::future::poll_fn(|ctx| {
        loop {
            match running.poll_next_unpin(ctx) {
                // Success is out of reach: returning drops the lanes, cancelling their elements.
                Poll::Ready(Some(())) if tally.stopped() => return Poll::Ready(()),
                Poll::Ready(Some(())) => {}
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending if lanes < max_lanes && queue.has_work() => {
                    running.push(lane());
                    lanes += 1;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    drop(running);
    rows
}

/// The elements of a chunk of an uncached sync map that asks nothing of each element but its call
/// (no admission, nobody subscribed to each element): the plain loop, with one `catch_unwind`
/// around a run of elements rather than one per element. A failed first attempt (an error or a
/// panic) goes on as any element does, with its retries and events, and the loop resumes after
/// it. Returns the number of successes.
fn run_plain_chunk<K: Kernel>(
    kernel: K,
    policy: &Policy<'_>,
    columns: &<K::Input as InputTuple>::Columns,
    start: usize,
    slots: &mut [Option<K::Output>],
    tally: &Tally,
) -> usize {
    let (mut j, mut ok) = (0, 0);
    while j < slots.len() {
        // The element whose first attempt failed, and how.
        let mut failed = None;
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            while j < slots.len() && !tally.stopped() {
                if slots[j].is_none() {
                    let first = match kernel.call(K::Input::element(columns, start + j), policy.hooks) {
                        Invoke::Blocking(call) => call(),
                        Invoke::Async(_) => Err(Cause::Workflow(Box::new(crate::Error::Internal(
                            "an async element ran on a blocking thread",
                        )))),
                    };
                    match first {
                        Ok(out) => {
                            slots[j] = Some(out);
                            ok += 1;
                        }
                        Err(cause) => {
                            failed = Some(cause);
                            return;
                        }
                    }
                }
                j += 1;
            }
            j = slots.len();
        }));
        let first = match caught {
            Ok(()) => match failed.take() {
                Some(cause) => cause,
                None => break,
            },
            Err(panic) => panic_cause(panic.as_ref()),
        };
        let i = start + j;
        let result = run_element_blocking(kernel, policy, i, Some(Err(first)), || K::Input::element(columns, i));
        ok += tally.record(&mut slots[j], result);
        j += 1;
    }
    ok
}
