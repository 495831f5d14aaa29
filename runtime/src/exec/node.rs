//! The typed executors behind each node: a plain call, and a map.
//!
//! A map writes each element's outputs in place into one row per element. Sync elements (with no
//! timeout) run on the runtime's thread pool: `min(concurrency, cpus)` workers take chunks of
//! rows from a queue and call the task directly, one element at a time. Async elements run in
//! "lanes": one future per in-flight slot, each running its chunk's elements one after another,
//! so a map of a million elements holds `concurrency` futures, not a million. Either way at most
//! `concurrency` elements run at any instant, a free slot takes the next element at once, counts
//! are batched per chunk, and a stop flag checked before every element ends the map as soon as
//! the required successes are out of reach.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use flowmap_spec::ratio::Ratio;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::error::{Cause, ElementFailure, MapFailure, NodeError};
use crate::events::{Emitter, EventKind};
use crate::exec::attempt::{run_element, run_element_blocking};
use crate::exec::capacity::Request;
use crate::graph::EffectiveSettings;
use crate::runtime::RunContext;
use crate::target::Runnable;
use crate::value::{OutputTuple, Slots, Value};

/// Runs one node given its input values.
pub(crate) trait NodeExec: Send + Sync {
    fn run<'a>(
        &'a self,
        cx: &'a RunContext,
        events: &'a Emitter,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>>;
}

/// How many elements of a map must succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SuccessRule {
    /// Every element.
    All,
    /// `ceil(ratio × n)`, exactly.
    Ratio(Ratio),
    /// `min_successes`.
    AtLeast(usize),
}

impl SuccessRule {
    fn required(self, n: usize) -> Result<usize, NodeError> {
        match self {
            SuccessRule::All => Ok(n),
            SuccessRule::Ratio(r) => Ok(r.required(n)),
            SuccessRule::AtLeast(k) if k > n => Err(NodeError::TooFewElements { required: k, len: n }),
            SuccessRule::AtLeast(k) => Ok(k),
        }
    }
}

/// One call of a task or workflow.
pub(crate) struct CallExec<T, S> {
    pub(crate) target: T,
    /// `task name`, for events.
    pub(crate) display: Arc<str>,
    pub(crate) settings: EffectiveSettings,
    pub(crate) names: &'static [&'static str],
    pub(crate) _slots: PhantomData<fn() -> S>,
}

impl<T: Runnable, S: Slots<Input = T::Input>> NodeExec for CallExec<T, S> {
    fn run<'a>(
        &'a self,
        cx: &'a RunContext,
        events: &'a Emitter,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>> {
        Box::pin(async move {
            let columns = S::columns(inputs, self.names)?;
            let request = cx.capacity().request(&self.settings.requests)?;
            events.emit(|| EventKind::NodeStarted { target: self.display.clone(), elements: None });
            let listening = events.active().then_some(events);
            match run_element(self.target, cx, listening, &self.settings, &request, None, || S::element(&columns, 0))
                .await
            {
                Ok(out) => Ok(out.into_values()),
                Err(failure) => match failure.cause {
                    Cause::Workflow(inner) => Err(NodeError::Workflow(inner)),
                    _ => Err(NodeError::Failed(failure)),
                },
            }
        })
    }
}

/// A map of a task or workflow over one or more zipped lists.
pub(crate) struct MapExec<T, S> {
    pub(crate) target: T,
    /// `map of task name`, for events.
    pub(crate) display: Arc<str>,
    pub(crate) settings: EffectiveSettings,
    pub(crate) names: &'static [&'static str],
    /// At most this many elements at once (`usize::MAX`: unbounded).
    pub(crate) window: usize,
    /// Whether each element occupies a thread (sync tasks).
    pub(crate) blocking: bool,
    pub(crate) rule: SuccessRule,
    pub(crate) tolerant: bool,
    pub(crate) _slots: PhantomData<fn() -> S>,
}

/// What the elements of one map share while they run.
struct Tally {
    total: usize,
    required: usize,
    succeeded: AtomicUsize,
    failed: AtomicUsize,
    stop: AtomicBool,
    errors: Mutex<Vec<ElementFailure>>,
}

impl Tally {
    fn new(total: usize, required: usize) -> Self {
        Tally {
            total,
            required,
            succeeded: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            errors: Mutex::new(Vec::new()),
        }
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
        {
            let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
            if errors.len() < MapFailure::KEPT_ERRORS {
                errors.push(failure);
            }
        }
        if self.total - failed < self.required {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    #[inline]
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Sets the stop flag when the map's future is dropped (the run was cancelled), so pool
/// workers start no further element.
struct StopOnDrop(Arc<Tally>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// Rows per chunk: a few chunks per worker so they stay balanced, at most 4096 rows.
fn chunk_size(n: usize, workers: usize) -> usize {
    (n / (workers * 8).max(1)).clamp(1, 4096)
}

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

impl<T: Runnable, S: Slots<Input = T::Input>> MapExec<T, S> {
    /// The common length of the mapped lists, or the error naming each and its length.
    fn length(&self, columns: &S::Columns) -> Result<usize, NodeError> {
        let mapped: Vec<(String, usize)> = S::lens(columns)
            .into_iter()
            .zip(self.names)
            .filter_map(|(len, name)| Some(((*name).to_owned(), len?)))
            .collect();
        match mapped.first() {
            None => Err(NodeError::Internal("a map node has no mapped list input".into())),
            Some((_, n)) if mapped.iter().all(|(_, l)| l == n) => Ok(*n),
            Some(_) => Err(NodeError::UnequalLengths { inputs: mapped }),
        }
    }

    async fn run_map(&self, cx: &RunContext, events: &Emitter, inputs: Vec<Value>) -> Result<Vec<Value>, NodeError> {
        let columns = S::columns(inputs, self.names)?;
        let n = self.length(&columns)?;
        let required = self.rule.required(n)?;
        let request = cx.capacity().request(&self.settings.requests)?;
        events.emit(|| EventKind::NodeStarted { target: self.display.clone(), elements: Some(n) });
        let listening = events.active().then(|| events.clone());

        let tally = Arc::new(Tally::new(n, required));
        let rows: Vec<Option<T::Output>> = std::iter::repeat_with(|| None).take(n).collect();
        let rows = if self.blocking && self.settings.timeout.is_none() {
            self.run_on_pool(cx, listening, request, columns, rows, &tally).await?
        } else {
            self.run_in_lanes(cx, listening.as_ref(), &request, &columns, rows, &tally).await
        };

        let failed = tally.failed.load(Ordering::SeqCst);
        let succeeded = tally.succeeded.load(Ordering::SeqCst);
        if n - failed < required {
            let errors = std::mem::take(&mut *tally.errors.lock().unwrap_or_else(PoisonError::into_inner));
            return Err(NodeError::MapFailed(MapFailure {
                total: n,
                succeeded,
                failed,
                required,
                not_run: n - succeeded - failed,
                errors,
                partial: T::Output::option_lists(rows),
            }));
        }
        if self.tolerant {
            Ok(T::Output::option_lists(rows))
        } else {
            T::Output::lists(rows)
                .ok_or_else(|| NodeError::Internal("a strict map finished with an element missing".into()))
        }
    }

    /// Sync elements on the runtime's pool; the async side waits for one blocking hand-off.
    async fn run_on_pool(
        &self,
        cx: &RunContext,
        events: Option<Emitter>,
        request: Request,
        columns: S::Columns,
        mut rows: Vec<Option<T::Output>>,
        tally: &Arc<Tally>,
    ) -> Result<Vec<Option<T::Output>>, NodeError> {
        let n = rows.len();
        if n == 0 {
            return Ok(rows);
        }
        let workers = self.window.min(cx.blocking_threads()).min(n).max(1);
        let chunk = chunk_size(n, workers);
        let (target, settings, pool_cx, shared) = (self.target, self.settings.clone(), cx.clone(), tally.clone());
        let _cancel = StopOnDrop(tally.clone());
        let job = cx.handle().spawn_blocking(move || {
            let queue = ChunkQueue::new(&mut rows, chunk);
            let worker = || {
                while !shared.stopped() {
                    let Some((start, slots)) = queue.next() else { return };
                    let mut ok = 0;
                    for (j, slot) in slots.iter_mut().enumerate() {
                        if shared.stopped() {
                            break;
                        }
                        let i = start + j;
                        let element = || S::element(&columns, i);
                        let result =
                            run_element_blocking(target, &pool_cx, events.as_ref(), &settings, &request, i, element);
                        ok += shared.record(slot, result);
                    }
                    shared.succeeded.fetch_add(ok, Ordering::SeqCst);
                }
            };
            pool_cx.pool().scope(|s| {
                for _ in 0..workers {
                    s.spawn(|_| worker());
                }
            });
            rows
        });
        job.await.map_err(|e| NodeError::Internal(format!("a sync map worker stopped: {e}")))
    }

    /// Elements as futures, `window` lanes of them, each lane running one element at a time.
    async fn run_in_lanes(
        &self,
        cx: &RunContext,
        events: Option<&Emitter>,
        request: &Request,
        columns: &S::Columns,
        mut rows: Vec<Option<T::Output>>,
        tally: &Tally,
    ) -> Vec<Option<T::Output>> {
        let n = rows.len();
        let mut window = self.window.min(cx.max_in_flight());
        if self.blocking {
            // A sync element with a timeout holds a blocking thread for its whole run.
            window = window.min(cx.blocking_threads());
        }
        let max_lanes = window.min(n).max(1);
        let chunk = chunk_size(n, max_lanes).min(n.div_ceil(max_lanes)).max(1);
        let queue = ChunkQueue::new(&mut rows, chunk);
        let lane = || async {
            while !tally.stopped() {
                let Some((start, slots)) = queue.next() else { return };
                let mut ok = 0;
                for (j, slot) in slots.iter_mut().enumerate() {
                    if tally.stopped() {
                        break;
                    }
                    let i = start + j;
                    let element = || S::element(columns, i);
                    let result = run_element(self.target, cx, events, &self.settings, request, Some(i), element).await;
                    ok += tally.record(slot, result);
                }
                tally.succeeded.fetch_add(ok, Ordering::SeqCst);
            }
        };
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
}

impl<T: Runnable, S: Slots<Input = T::Input>> NodeExec for MapExec<T, S> {
    fn run<'a>(
        &'a self,
        cx: &'a RunContext,
        events: &'a Emitter,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>> {
        Box::pin(self.run_map(cx, events, inputs))
    }
}
