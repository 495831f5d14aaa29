//! Live progress: counts per running node that a display samples at its own pace.
//!
//! Events ([`crate::Runtime::subscribe`]) say what happened, one by one; progress is the other
//! way round: each node keeps counters (always: its observer, `observe.rs`, bumps them, per chunk
//! of elements for sync maps and per element for async ones), and while someone watches
//! ([`crate::Runtime::progress`]), [`Progress::snapshot`] reads them whenever the display
//! redraws. Nobody watching: nodes are not logged on the board.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where a node stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeState {
    /// Started, not finished.
    Running,
    /// Produced its outputs.
    Succeeded,
    /// Failed.
    Failed,
    /// Its run was cancelled (dropped) while it ran.
    Cancelled,
    /// It is in an arm of a branch that another arm was chosen over: it did not run.
    Skipped,
}

impl NodeState {
    fn from_u8(v: u8) -> NodeState {
        match v {
            0 => NodeState::Running,
            1 => NodeState::Succeeded,
            2 => NodeState::Failed,
            4 => NodeState::Skipped,
            _ => NodeState::Cancelled,
        }
    }
}

/// One node's progress, as read by [`Progress::snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeProgress {
    /// The run it belongs to (as in [`crate::events::Event::run`]).
    pub run: u64,
    /// The workflow whose node it is.
    pub workflow: Arc<str>,
    /// The node id (`n0`, …).
    pub node: Arc<str>,
    /// `task detect_anomalies`, `map of task detect_anomalies`, …
    pub target: Arc<str>,
    /// For a map, its number of elements; `None` for a plain call or a sub-workflow.
    pub elements: Option<usize>,
    /// Elements that succeeded so far (a sync map counts them a chunk at a time).
    pub succeeded: usize,
    /// Elements that failed for good.
    pub failed: usize,
    /// Failed attempts that were retried (of a map's elements, or of a plain call).
    pub retried: usize,
    /// Of `succeeded`, those whose outputs came from the cache (nothing ran).
    pub cached: usize,
    /// Where the node stands.
    pub state: NodeState,
    /// How long it has run: until now, or until it ended (for a rate of elements per second).
    pub elapsed: Duration,
}

/// The counters of one running node.
#[derive(Debug)]
pub(crate) struct Tracked {
    pub(crate) run: u64,
    pub(crate) workflow: Arc<str>,
    pub(crate) node: Arc<str>,
    pub(crate) target: Arc<str>,
    elements: AtomicUsize,
    pub(crate) succeeded: AtomicUsize,
    pub(crate) failed: AtomicUsize,
    pub(crate) retried: AtomicUsize,
    pub(crate) cached: AtomicUsize,
    state: AtomicU8,
    started: Instant,
    /// Nanoseconds from `started` to the end; [`RUNNING`] until then.
    took: AtomicU64,
}

/// `took` while the node runs.
const RUNNING: u64 = u64::MAX;

/// `elements` before a map knows its length.
const NO_ELEMENTS: usize = usize::MAX;

impl Tracked {
    /// A map node now knows its number of elements.
    pub(crate) fn set_elements(&self, n: usize) {
        self.elements.store(n, Ordering::Relaxed);
    }

    /// The node ended (or was dropped while `Running`).
    pub(crate) fn finish(&self, state: NodeState) {
        let code = match state {
            NodeState::Running => 0,
            NodeState::Succeeded => 1,
            NodeState::Failed => 2,
            NodeState::Cancelled => 3,
            NodeState::Skipped => 4,
        };
        // Only the first end counts: a node that finished is not cancelled afterwards.
        let took = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(RUNNING - 1);
        let _ = self.took.compare_exchange(RUNNING, took, Ordering::SeqCst, Ordering::SeqCst);
        let _ = self.state.compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn read(&self) -> NodeProgress {
        let elements = self.elements.load(Ordering::Relaxed);
        NodeProgress {
            run: self.run,
            workflow: self.workflow.clone(),
            node: self.node.clone(),
            target: self.target.clone(),
            elements: (elements != NO_ELEMENTS).then_some(elements),
            succeeded: self.succeeded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            cached: self.cached.load(Ordering::Relaxed),
            state: NodeState::from_u8(self.state.load(Ordering::SeqCst)),
            elapsed: match self.took.load(Ordering::SeqCst) {
                RUNNING => self.started.elapsed(),
                took => Duration::from_nanos(took),
            },
        }
    }
}

/// Marks its node `Cancelled` when dropped while still running (the run's future was dropped).
pub(crate) struct FinishOnDrop(pub(crate) Arc<Tracked>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.finish(NodeState::Cancelled);
    }
}

/// The runtime's board of tracked nodes, shared by every run.
#[derive(Debug, Default)]
pub(crate) struct Board {
    watchers: AtomicUsize,
    inner: Mutex<Log>,
}

/// The nodes started while someone watched, in start order, kept until every watcher has taken
/// them into its own list.
#[derive(Debug, Default)]
struct Log {
    nodes: VecDeque<Arc<Tracked>>,
    /// The position of `nodes[0]` among every node ever logged.
    base: u64,
    /// Per watcher, the position of the first node it has not taken yet.
    cursors: HashMap<u64, u64>,
    next_watcher: u64,
}

impl Log {
    /// Drops the nodes every watcher has taken.
    fn trim(&mut self) {
        let end = self.base + self.nodes.len() as u64;
        let first = self.cursors.values().copied().min().unwrap_or(end);
        for _ in self.base..first {
            self.nodes.pop_front();
        }
        self.base = first;
    }
}

impl Board {
    /// The counters of a node that starts, logged on the board if anyone watches.
    pub(crate) fn track(&self, run: u64, workflow: &Arc<str>, node: &Arc<str>, target: &Arc<str>) -> Arc<Tracked> {
        let tracked = Arc::new(Tracked {
            run,
            workflow: workflow.clone(),
            node: node.clone(),
            target: target.clone(),
            elements: AtomicUsize::new(NO_ELEMENTS),
            succeeded: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            retried: AtomicUsize::new(0),
            cached: AtomicUsize::new(0),
            state: AtomicU8::new(0),
            started: Instant::now(),
            took: AtomicU64::new(RUNNING),
        });
        if self.watchers.load(Ordering::Relaxed) > 0 {
            self.log().nodes.push_back(tracked.clone());
        }
        tracked
    }

    /// Whether anyone watches: nodes that never start (skipped) are logged only then.
    pub(crate) fn watched(&self) -> bool {
        self.watchers.load(Ordering::Relaxed) > 0
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A watcher of the progress of every node that starts while it lives; see the module docs.
/// Each watcher sees every node, whatever other watchers do.
///
/// ```
/// # async fn demo(rt: &flowmap_runtime::Runtime) {
/// let progress = rt.progress();
/// // … start a run, then, on a timer:
/// for node in progress.snapshot() {
///     println!("{} {}: {}/{:?}", node.node, node.target, node.succeeded, node.elements);
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Progress {
    board: Arc<Board>,
    id: u64,
    /// The nodes this watcher has taken and not yet reported ended.
    mine: Mutex<Vec<Arc<Tracked>>>,
}

impl Progress {
    pub(crate) fn new(board: &Arc<Board>) -> Progress {
        let mut log = board.log();
        let id = log.next_watcher;
        log.next_watcher += 1;
        // From the nodes that start from now on.
        let end = log.base + log.nodes.len() as u64;
        log.cursors.insert(id, end);
        board.watchers.fetch_add(1, Ordering::SeqCst);
        drop(log);
        Progress { board: board.clone(), id, mine: Mutex::new(Vec::new()) }
    }

    /// The nodes that started since this watcher was made, in start order, with their counts
    /// now. A node that has ended is in this watcher's next snapshot with its final counts, then
    /// no more.
    #[must_use]
    pub fn snapshot(&self) -> Vec<NodeProgress> {
        let mut mine = self.mine.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let mut log = self.board.log();
            let end = log.base + log.nodes.len() as u64;
            let from = log.cursors.get(&self.id).copied().unwrap_or(end);
            let skip = usize::try_from(from.saturating_sub(log.base)).unwrap_or(usize::MAX);
            mine.extend(log.nodes.iter().skip(skip).cloned());
            log.cursors.insert(self.id, end);
            log.trim();
        }
        let out: Vec<NodeProgress> = mine.iter().map(|t| t.read()).collect();
        let mut i = 0;
        mine.retain(|_| {
            i += 1;
            out[i - 1].state == NodeState::Running
        });
        out
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        let mut log = self.board.log();
        log.cursors.remove(&self.id);
        log.trim();
        self.board.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}
