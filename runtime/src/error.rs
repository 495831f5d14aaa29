//! Typed errors. Every message says what happened and where: workflow, node id, task, element
//! index, attempts and cause. A failed map keeps the outputs its elements already computed.

use std::fmt;
use std::time::Duration;

use crate::value::Value;

/// The error a task returns, boxed: any `E: Into<BoxError>` (`String`, `io::Error`, `anyhow::Error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a workflow run, or building its graph, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node failed.
    #[error("workflow `{workflow}` failed at node `{node}` ({target}): {source}")]
    Node {
        /// The workflow's name.
        workflow: String,
        /// The node's id (`n0`, `n1`, …).
        node: String,
        /// What the node runs: `task detect_anomalies`, `map of task detect_anomalies`, …
        target: String,
        /// What went wrong.
        #[source]
        source: Box<NodeError>,
        /// The outputs of the nodes that had finished: nothing computed is lost.
        completed: Completed,
    },
    /// The workflow's graph could not be built.
    #[error("workflow `{workflow}` could not be compiled into a graph: {message}")]
    Build {
        /// The workflow's name.
        workflow: String,
        /// What is wrong.
        message: String,
    },
    /// `Runtime::builder()` was given a bad setting, or the runtime could not start.
    #[error("invalid runtime configuration: {0}")]
    Config(String),
    /// A bug in flowmap: please report it.
    #[error("internal error in flowmap: {0}")]
    Internal(String),
}

impl Error {
    /// The failure of the map node at the root of this error, if it is one: counts, first
    /// errors and the outputs of the elements that succeeded.
    #[must_use]
    pub fn map_failure(&self) -> Option<&MapFailure> {
        match self {
            Error::Node { source, .. } => match &**source {
                NodeError::MapFailed(m) => Some(m),
                NodeError::Workflow(inner) => inner.map_failure(),
                _ => None,
            },
            _ => None,
        }
    }

    /// The outputs of the nodes of this workflow that finished before it failed.
    #[must_use]
    pub fn completed(&self) -> Option<&Completed> {
        match self {
            Error::Node { completed, .. } => Some(completed),
            _ => None,
        }
    }

    /// The id of the node that failed (`n0`, …), for errors raised by a node.
    #[must_use]
    pub fn node(&self) -> Option<&str> {
        match self {
            Error::Node { node, .. } => Some(node),
            _ => None,
        }
    }
}

/// The outputs of the nodes that finished before a run failed, by node id and output index.
#[derive(Clone, Default)]
pub struct Completed {
    nodes: Vec<(String, Vec<Value>)>,
}

impl Completed {
    pub(crate) fn new(nodes: Vec<(String, Vec<Value>)>) -> Self {
        Completed { nodes }
    }

    /// The ids of the nodes that finished, in body order.
    pub fn nodes(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|(id, _)| id.as_str())
    }

    /// Output `port` (0 for a single output) of node `node`, if it finished and has type `T`.
    #[must_use]
    pub fn output<T: 'static>(&self, node: &str, port: usize) -> Option<&T> {
        let (_, values) = self.nodes.iter().find(|(id, _)| id == node)?;
        values.get(port)?.downcast_ref::<T>()
    }
}

impl fmt::Debug for Completed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.nodes()).finish()
    }
}

/// What went wrong in one node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// A plain task call failed after all its attempts.
    #[error("{0}")]
    Failed(ElementFailure),
    /// Too few elements of a map succeeded.
    #[error("{0}")]
    MapFailed(MapFailure),
    /// Mapped inputs of different lengths; no element ran.
    #[error("mapped inputs have different lengths ({}); no element ran", lengths(.inputs))]
    UnequalLengths {
        /// Each mapped input and its length.
        inputs: Vec<(String, usize)>,
    },
    /// `min_successes` is larger than the list.
    #[error("min_successes = {required} but the mapped list has only {len} elements; no element ran")]
    TooFewElements {
        /// `min_successes`.
        required: usize,
        /// The list length.
        len: usize,
    },
    /// A request larger than the runtime's whole capacity: it could never start.
    #[error(
        "requests {resource} = \"{requested}\" but the runtime's whole capacity is {capacity}; \
         lower the request or raise the capacity with Runtime::builder()"
    )]
    Unschedulable {
        /// `cpu`, `mem` or `gpu`.
        resource: &'static str,
        /// The request as written.
        requested: String,
        /// The capacity, readable.
        capacity: String,
    },
    /// A sub-workflow failed.
    #[error("sub-workflow failed: {0}")]
    Workflow(Box<Error>),
    /// An input did not have the type the node expects (a graph built by hand, or a flowmap bug).
    #[error("input `{input}` does not hold a `{expected}`")]
    InputType {
        /// The input's name.
        input: String,
        /// The expected Rust type.
        expected: &'static str,
    },
    /// A node was given the wrong number of inputs (a flowmap bug).
    #[error("wrong number of inputs")]
    InputCount,
    /// A resource string in the graph could not be read.
    #[error("invalid resource request: {0}")]
    InvalidRequest(String),
    /// A bug in flowmap: please report it.
    #[error("internal error in flowmap: {0}")]
    Internal(String),
}

fn lengths(inputs: &[(String, usize)]) -> String {
    inputs.iter().map(|(n, l)| format!("`{n}` has {l}")).collect::<Vec<_>>().join(", ")
}

/// One element (or one plain call) that failed after all its attempts.
#[derive(Debug)]
pub struct ElementFailure {
    /// The element's index in the mapped list; `None` for a plain call.
    pub index: Option<usize>,
    /// How many attempts ran.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub cause: Cause,
}

impl fmt::Display for ElementFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.attempts == 1 { "" } else { "s" };
        match self.index {
            Some(i) => write!(f, "element {i} failed after {} attempt{s}: {}", self.attempts, self.cause),
            None => write!(f, "failed after {} attempt{s}: {}", self.attempts, self.cause),
        }
    }
}

impl std::error::Error for ElementFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Cause::Error(e) => Some(e.as_ref()),
            Cause::Workflow(e) => Some(e.as_ref()),
            Cause::Panic(_) | Cause::Timeout(_) => None,
        }
    }
}

/// Why one attempt failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Cause {
    /// The task returned `Err`.
    Error(BoxError),
    /// The task panicked; the panic message.
    Panic(String),
    /// The attempt ran longer than its timeout.
    Timeout(Duration),
    /// A mapped or called sub-workflow failed.
    Workflow(Box<Error>),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Error(e) => write!(f, "{e}"),
            Cause::Panic(m) => write!(f, "panicked: {m}"),
            Cause::Timeout(d) => write!(f, "timed out after {}", flowmap_spec::duration::format(*d)),
            Cause::Workflow(e) => write!(f, "{e}"),
        }
    }
}

/// A map node that ended with fewer successes than required.
#[derive(Debug)]
pub struct MapFailure {
    /// Elements in the mapped list.
    pub total: usize,
    /// Elements that succeeded before the node stopped.
    pub succeeded: usize,
    /// Elements that failed (after their retries).
    pub failed: usize,
    /// Successes required.
    pub required: usize,
    /// Elements cancelled while running or never started, once success became impossible.
    pub not_run: usize,
    /// The first failures, in the order they happened (at most [`MapFailure::KEPT_ERRORS`]).
    pub errors: Vec<ElementFailure>,
    /// The outputs already computed: one erased `Vec<Option<T>>` per output of the target.
    pub(crate) partial: Vec<Value>,
}

impl MapFailure {
    /// How many element failures are kept.
    pub const KEPT_ERRORS: usize = 10;

    /// The outputs the elements computed before the node failed, for output `port` of a target
    /// whose `port`-th output type is `T`: `Some(v)` at the index of each element that succeeded.
    #[must_use]
    pub fn partial_outputs<T: 'static>(&self, port: usize) -> Option<&Vec<Option<T>>> {
        self.partial.get(port)?.downcast_ref::<Vec<Option<T>>>()
    }
}

impl fmt::Display for MapFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} elements succeeded but {} are required ({} failed, {} not run)",
            self.succeeded, self.total, self.required, self.failed, self.not_run
        )?;
        for e in &self.errors {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}
