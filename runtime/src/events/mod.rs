//! Run events: what happened in a run, one by one, for a log, a history or a test.
//!
//! [`Runtime::subscribe`](crate::Runtime::subscribe) returns a [`Subscriber`] that receives the
//! events of every run started while it lives:
//! - runs and nodes: started, succeeded (with the node's [`Counts`]), failed; nodes of a branch's
//!   arms not taken: skipped;
//! - every failed attempt that is retried, every element that failed for good, every batch of
//!   outputs stored in the cache (or not stored);
//! - a plain call's start, success or cache hit.
//!
//! None of these is ever dropped, however slowly the subscriber reads: they are few (a handful
//! per node, and one per failure), and a lost failure would be a lie. What a map does with each
//! of its elements that succeed is counted, not sent: the node's [`Counts`] come with its
//! `NodeSucceeded` / `NodeFailed` event, and [`crate::progress`] reads the same counters live.
//!
//! A subscriber that wants every element too ([`Runtime::subscribe_elements`]) also receives
//! each map element's start, success and cache hit, of which at most `capacity` wait to be read
//! at once: beyond that they are counted and reported in their place by one
//! [`EventKind::Skipped`]. A million-element map costs little with a subscriber of the first kind,
//! and about an event per element with one of the second.
//!
//! [`Runtime::subscribe_elements`]: crate::Runtime::subscribe_elements

mod bus;

use std::sync::Arc;

pub(crate) use bus::Bus;
pub use bus::{Subscriber, TryRecvError};

/// One thing that happened in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The run it belongs to: one per `rt.run(..)`, shared by its sub-workflows.
    pub run: u64,
    /// The workflow whose node this is (a sub-workflow's own name inside it).
    pub workflow: Arc<str>,
    /// The node id (`n0`, …); `None` for run events.
    pub node: Option<Arc<str>>,
    /// What happened.
    pub kind: EventKind,
}

/// What a node's elements did: a map's, or a plain call's (one element).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Elements that succeeded (those from the cache among them).
    pub succeeded: usize,
    /// Elements that failed for good.
    pub failed: usize,
    /// Failed attempts that were retried.
    pub retried: usize,
    /// Of `succeeded`, those whose outputs came from the cache (nothing ran).
    pub cached: usize,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// `rt.run(..)` started.
    RunStarted,
    /// The run produced its outputs.
    RunSucceeded,
    /// The run failed.
    RunFailed {
        /// The error, displayed.
        error: String,
    },
    /// A node's inputs were ready and it started.
    NodeStarted {
        /// `task detect_anomalies`, `map of task detect_anomalies`, …
        target: Arc<str>,
        /// For a map, the number of elements; `None` for a plain call.
        elements: Option<usize>,
    },
    /// A node produced its outputs.
    NodeSucceeded {
        /// What its elements did.
        counts: Counts,
    },
    /// A node did not run: it is in an arm of a branch (an `if` or `match`) whose other arm was
    /// chosen. Sent for every node of every arm not taken, nested arms too, when the branch
    /// chooses.
    NodeSkipped {
        /// `task detect_anomalies`, `branch base`, …
        target: Arc<str>,
    },
    /// A node failed.
    NodeFailed {
        /// The error, displayed.
        error: String,
        /// What its elements did before it failed.
        counts: Counts,
    },
    /// An attempt of an element (or of a plain call, with `index: None`) was admitted and started.
    /// A map element's only with [`crate::Runtime::subscribe_elements`].
    ElementStarted {
        /// Element index.
        index: Option<usize>,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// An attempt succeeded. A map element's only with [`crate::Runtime::subscribe_elements`].
    ElementSucceeded {
        /// Element index.
        index: Option<usize>,
        /// The attempt that succeeded.
        attempt: u32,
    },
    /// An attempt failed and another one follows.
    ElementRetrying {
        /// Element index.
        index: Option<usize>,
        /// The attempt that failed.
        attempt: u32,
        /// Why it failed.
        error: String,
    },
    /// The element's (or plain call's) outputs were found in the cache: it did not run. A map
    /// element's only with [`crate::Runtime::subscribe_elements`].
    ElementCached {
        /// Element index.
        index: Option<usize>,
    },
    /// Outputs were stored in the cache: one batch of a map's elements, or a plain call's.
    CacheStored {
        /// How many elements (1 for a plain call).
        elements: usize,
    },
    /// Outputs could not be stored in the cache. The run goes on (its outputs are kept); a
    /// later run computes them again.
    CacheNotStored {
        /// How many elements.
        elements: usize,
        /// Why.
        error: String,
    },
    /// The element failed after all its attempts.
    ElementFailed {
        /// Element index.
        index: Option<usize>,
        /// How many attempts ran.
        attempts: u32,
        /// Why the last one failed.
        error: String,
    },
    /// Map elements' starts, successes or cache hits that a subscriber of
    /// [`crate::Runtime::subscribe_elements`] did not receive, here in their place, since its
    /// `capacity` of them were waiting to be read. Never anything else.
    Skipped {
        /// How many.
        events: u64,
    },
}

impl EventKind {
    /// Whether this is a map element's start, success or cache hit: an event sent only to
    /// subscribers of every element, and the only kind that may be skipped.
    pub(crate) fn is_element_detail(&self) -> bool {
        matches!(
            self,
            EventKind::ElementStarted { index: Some(_), .. }
                | EventKind::ElementSucceeded { index: Some(_), .. }
                | EventKind::ElementCached { index: Some(_) }
        )
    }
}
