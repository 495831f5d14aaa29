//! Run events: what a progress bar or a log needs, published to every subscriber.
//!
//! `rt.subscribe()` returns a `tokio::sync::broadcast::Receiver<Event>`. Events are built only
//! while someone listens. A subscriber that falls more than the channel's capacity behind is
//! told so by `RecvError::Lagged(n)` with the number of events it missed: nothing is dropped
//! without notice.

use std::sync::Arc;

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
    NodeSucceeded,
    /// A node failed.
    NodeFailed {
        /// The error, displayed.
        error: String,
    },
    /// An attempt of an element (or of a plain call, with `index: None`) was admitted and started.
    ElementStarted {
        /// Element index.
        index: Option<usize>,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// An attempt succeeded.
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
    /// The element's (or plain call's) outputs were found in the cache: it did not run.
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
}
