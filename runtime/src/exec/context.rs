//! What a running graph shares: capacity, threads, the event channel, and its run id.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::broadcast;

use crate::events::Event;
use crate::exec::capacity::Capacity;
use crate::exec::drivers::Drivers;
use crate::exec::emitter::Emitter;
use crate::progress::Board;

/// The runtime's resources, shared by every run.
pub(crate) struct Shared {
    pub(crate) capacity: Capacity,
    /// Sync calls that may run at once (the runtime's CPUs).
    pub(crate) threads: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) handle: tokio::runtime::Handle,
    /// The threads that drive runs.
    pub(crate) drivers: Drivers,
    pub(crate) pool: rayon::ThreadPool,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) next_run: AtomicU64,
    /// The counters of running nodes, kept while someone watches.
    pub(crate) board: Arc<Board>,
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
