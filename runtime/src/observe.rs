//! One observer per running node: its counters, its events and its logs, in one place.
//!
//! The kernels' attempts and map loops tell their node's [`NodeObserver`] what happened; it
//! counts (always: [`crate::progress`] reads the counters, and a node's end event carries them),
//! publishes the events someone subscribed to, and logs failures. Whether anyone subscribes, and
//! to every element, is read once when the node starts, so an element that succeeds costs one
//! predictable branch when nobody listens to each element.

use std::sync::Arc;
use std::sync::atomic::Ordering;

#[cfg(feature = "cache")]
use crate::cache::CacheError;
use crate::error::{Cause, NodeError, Report};
use crate::events::{Bus, Counts, Event, EventKind};
use crate::progress::{Board, NodeState, Tracked};

/// What one node reports while it runs; cloned into the threads of a sync map.
#[derive(Clone, Debug)]
pub(crate) struct NodeObserver {
    counters: Arc<Tracked>,
    /// The runtime's subscribers, if there were any when the node started.
    bus: Option<Arc<Bus>>,
    /// Whether a subscriber wants each map element's start, success and cache hit.
    elements: bool,
}

impl NodeObserver {
    /// The observer of a node whose counters are `counters`.
    pub(crate) fn new(counters: Arc<Tracked>, bus: &Arc<Bus>) -> NodeObserver {
        let listening = bus.listening();
        NodeObserver { counters, elements: listening && bus.wants_elements(), bus: listening.then(|| bus.clone()) }
    }

    /// Whether a subscriber wants each map element's start, success and cache hit.
    #[inline]
    pub(crate) fn each_element(&self) -> bool {
        self.elements
    }

    /// The node's counters.
    pub(crate) fn counters(&self) -> &Tracked {
        &self.counters
    }

    fn publish(&self, kind: impl FnOnce() -> EventKind) {
        if let Some(bus) = &self.bus {
            bus.publish(Event {
                run: self.counters.run,
                workflow: self.counters.workflow.clone(),
                node: Some(self.counters.node.clone()),
                kind: kind(),
            });
        }
    }

    /// Whether the start or success of element `index` (a map's, or a plain call: `None`) is
    /// published.
    #[inline]
    fn detail(&self, index: Option<usize>) -> bool {
        if index.is_some() { self.elements } else { self.bus.is_some() }
    }

    /// The node started; a map has `elements`.
    pub(crate) fn node_started(&self, elements: Option<usize>) {
        if let Some(n) = elements {
            self.counters.set_elements(n);
        }
        self.publish(|| EventKind::NodeStarted { target: self.counters.target.clone(), elements });
    }

    /// An attempt started.
    #[inline]
    pub(crate) fn started(&self, index: Option<usize>, attempt: u32) {
        if self.detail(index) {
            self.publish(|| EventKind::ElementStarted { index, attempt });
        }
    }

    /// An attempt succeeded. A plain call's success is counted here; a map counts its
    /// elements' in batches ([`NodeObserver::elements_succeeded`]).
    #[inline]
    pub(crate) fn succeeded(&self, index: Option<usize>, attempt: u32) {
        if index.is_none() {
            self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
        }
        if self.detail(index) {
            self.publish(|| EventKind::ElementSucceeded { index, attempt });
        }
    }

    /// `n` more elements of a map succeeded (counted per chunk, from any thread).
    #[inline]
    pub(crate) fn elements_succeeded(&self, n: usize) {
        self.counters.succeeded.fetch_add(n, Ordering::Relaxed);
    }

    /// An attempt failed and another follows.
    pub(crate) fn retrying(&self, index: Option<usize>, attempt: u32, cause: &Cause) {
        self.counters.retried.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(?index, attempt, %cause, "attempt failed; retrying");
        self.publish(|| EventKind::ElementRetrying { index, attempt, error: cause.to_string() });
    }

    /// An element (or the plain call) failed after its last attempt. Cold and out of line: the
    /// per-element code of a map stays as small as it was.
    #[cold]
    #[inline(never)]
    pub(crate) fn failed(&self, index: Option<usize>, attempts: u32, cause: &Cause) {
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
        let Tracked { workflow, node, target, .. } = &*self.counters;
        let what = index.map_or_else(|| "the call".to_owned(), |i| format!("element {i}"));
        let s = if attempts == 1 { "" } else { "s" };
        tracing::warn!(
            "{workflow}.{node} ({target}): {what} failed after {attempts} attempt{s}: {}",
            Report::new(cause.as_error())
        );
        self.publish(|| EventKind::ElementFailed { index, attempts, error: cause.to_string() });
    }

    /// Elements (or the plain call, `None`) whose outputs came from the cache. A plain call's is
    /// its success too; a map counts its successes itself.
    #[cfg(feature = "cache")]
    pub(crate) fn cached(&self, hits: impl ExactSizeIterator<Item = Option<usize>>) {
        self.counters.cached.fetch_add(hits.len(), Ordering::Relaxed);
        for index in hits {
            if index.is_none() {
                self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
            }
            if self.detail(index) {
                self.publish(|| EventKind::ElementCached { index });
            }
        }
    }

    /// The outcome of storing the outputs of `elements` elements in the cache. One that failed
    /// is logged: the run goes on.
    #[cfg(feature = "cache")]
    pub(crate) fn stored(&self, elements: usize, stored: Result<(), CacheError>) {
        match stored {
            Ok(()) => self.publish(|| EventKind::CacheStored { elements }),
            Err(e) => {
                tracing::warn!("{e}; the run goes on, and these outputs will be computed again next time");
                self.publish(|| EventKind::CacheNotStored { elements, error: e.to_string() });
            }
        }
    }

    /// What the node's elements did so far.
    pub(crate) fn counts(&self) -> Counts {
        let c = &self.counters;
        Counts {
            succeeded: c.succeeded.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            cached: c.cached.load(Ordering::Relaxed),
        }
    }

    /// The node ended.
    pub(crate) fn finished(&self, result: Result<(), &NodeError>) {
        self.counters.finish(if result.is_ok() { NodeState::Succeeded } else { NodeState::Failed });
        match result {
            Ok(()) => self.publish(|| EventKind::NodeSucceeded { counts: self.counts() }),
            Err(e) => {
                self.publish(|| EventKind::NodeFailed { error: Report::new(e).to_string(), counts: self.counts() })
            }
        }
    }
}

/// Reports node `node` of `workflow` skipped (in an arm not taken), to progress watchers and
/// subscribers, if there are any.
pub(crate) fn node_skipped(
    board: &Board,
    bus: &Bus,
    run: u64,
    workflow: &Arc<str>,
    node: &Arc<str>,
    target: &Arc<str>,
) {
    if board.watched() {
        board.track(run, workflow, node, target).finish(NodeState::Skipped);
    }
    if bus.listening() {
        bus.publish(Event {
            run,
            workflow: workflow.clone(),
            node: Some(node.clone()),
            kind: EventKind::NodeSkipped { target: target.clone() },
        });
    }
}

/// Publishes a run's event (started, succeeded, failed) if anyone subscribes.
pub(crate) fn run_event(bus: &Bus, run: u64, workflow: &Arc<str>, kind: impl FnOnce() -> EventKind) {
    if bus.listening() {
        bus.publish(Event { run, workflow: workflow.clone(), node: None, kind: kind() });
    }
}
