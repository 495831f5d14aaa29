//! What a running graph shares: capacity, threads, the event channel, and its run id.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::sync::broadcast;

use crate::events::Event;
use crate::exec::capacity::Capacity;
use crate::exec::emitter::Emitter;

/// The runtime's resources, shared by every run.
pub(crate) struct Shared {
    pub(crate) capacity: Capacity,
    /// Sync calls that may run at once (the runtime's CPUs).
    pub(crate) threads: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) pool: rayon::ThreadPool,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) next_run: AtomicU64,
}

/// One run's view of the runtime.
#[derive(Clone)]
pub(crate) struct RunContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) run: u64,
}

impl fmt::Debug for RunContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunContext")
            .field("run", &self.run)
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

impl RunContext {
    /// A context for a new run.
    pub(crate) fn new_run(shared: &Arc<Shared>) -> RunContext {
        RunContext { shared: shared.clone(), run: shared.next_run.fetch_add(1, Ordering::Relaxed) + 1 }
    }

    /// The emitter for run events of `workflow` in this run.
    pub(crate) fn emitter(&self, workflow: &Arc<str>) -> Emitter {
        Emitter { sender: self.shared.events.clone(), run: self.run, workflow: workflow.clone(), node: None }
    }
}

/// How a blocking call may run in place on the thread that polls a run, decided from the
/// caller's context when the run is first polled (and kept for the runs nested in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InlineMode {
    /// Outside any tokio runtime: a plain call.
    Direct,
    /// In a multi-thread tokio runtime: inside `block_in_place`, so the thread may block and the
    /// runtime's other tasks move to another thread.
    BlockInPlace,
    /// In a current-thread runtime: never in place; the call goes to a blocking thread.
    Never,
}

thread_local! {
    /// The mode of the run being polled on this thread, if any.
    static POLLING: Cell<Option<InlineMode>> = const { Cell::new(None) };
}

impl InlineMode {
    /// The mode of the run being polled here.
    pub(crate) fn current() -> InlineMode {
        POLLING.with(Cell::get).unwrap_or(InlineMode::Never)
    }

    fn of_caller() -> InlineMode {
        match tokio::runtime::Handle::try_current() {
            Err(_) => InlineMode::Direct,
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => InlineMode::BlockInPlace,
            Ok(_) => InlineMode::Never,
        }
    }
}

/// A run, polled on the caller's thread inside the runtime's context (its timers, I/O and
/// blocking threads), with no hand-off to another thread to start or to finish it.
pub(crate) struct Driven<F> {
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) inner: F,
}

impl<F: Future + Unpin> Future for Driven<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let outer = POLLING.with(Cell::get);
        let mode = outer.unwrap_or_else(InlineMode::of_caller);
        /// Restores the outer mode however the poll ends.
        struct Restore(Option<InlineMode>);
        impl Drop for Restore {
            fn drop(&mut self) {
                POLLING.with(|p| p.set(self.0));
            }
        }
        let _restore = Restore(outer);
        POLLING.with(|p| p.set(Some(mode)));
        let _entered = self.handle.enter();
        Pin::new(&mut self.inner).poll(cx)
    }
}
