//! Typed errors. Every message says what happened and where: workflow, node id, task, element
//! index, attempts and cause. Each level's `Display` says only its own part; the level below is
//! its `source()`, down to the task's own error, so `{:#}` (anyhow) or [`Error::report`] prints
//! the whole chain once. A failed run keeps every output already computed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::value::Value;

/// The error a task returns, boxed: any `E: Into<BoxError>` (`String`, `io::Error`, `anyhow::Error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a workflow run, or building its graph, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node failed.
    #[error("workflow `{workflow}` failed at node `{node}` ({target})")]
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
    #[error("workflow `{workflow}` could not be built into a graph")]
    Build {
        /// The workflow's name.
        workflow: String,
        /// Everything that is wrong, in body order (at least one).
        #[source]
        errors: BuildErrors,
    },
    /// A run with some inputs left to their defaults ([`crate::Runtime::run_with_defaults`]):
    /// these were not given and have no `#[default(...)]`.
    #[error(
        "workflow `{workflow}` needs input{} {}: {} no `#[default(...)]`; give {} as `Some(value)`",
        if inputs.len() == 1 { "" } else { "s" },
        inputs.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", "),
        if inputs.len() == 1 { "it has" } else { "they have" },
        if inputs.len() == 1 { "it" } else { "them" }
    )]
    MissingInputs {
        /// The workflow's name.
        workflow: String,
        /// The inputs not given, in parameter order.
        inputs: Vec<String>,
    },
    /// A `#[default(...)]` whose JSON form does not read back into its type (its `Serialize`
    /// and `Deserialize` disagree).
    #[error("the default of input `{input}` of workflow `{workflow}` does not read back into its type")]
    DefaultUnreadable {
        /// The workflow's name.
        workflow: String,
        /// The input's name.
        input: String,
        /// Why.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// `Runtime::builder()` was given a bad setting, or the runtime could not start.
    #[error("invalid runtime configuration")]
    Config(#[source] ConfigError),
    /// A bug in flowmap: please report it.
    #[error("internal error in flowmap: {0}")]
    Internal(&'static str),
}

/// Everything wrong with one workflow's graph: each problem with its causes, `; `-separated.
#[derive(Clone, Debug)]
pub struct BuildErrors(pub Vec<BuildError>);

impl fmt::Display for BuildErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", Report(e))?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildErrors {}

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

    /// What was wrong when the graph could not be built.
    #[must_use]
    pub fn build_errors(&self) -> &[BuildError] {
        match self {
            Error::Build { errors, .. } => &errors.0,
            _ => &[],
        }
    }

    /// The whole chain in one line, each level once: `workflow `w` failed at node `n0` (task
    /// read): failed after 1 attempt: No such file or directory (os error 2)`.
    #[must_use]
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }
}

/// [`Error::report`]: displays an error and each of its sources, separated by `: `.
#[derive(Debug)]
pub struct Report<'a>(&'a (dyn std::error::Error + 'static));

impl<'a> Report<'a> {
    /// The report of any error, such as a [`crate::JsonRunError`].
    #[must_use]
    pub fn new(error: &'a (dyn std::error::Error + 'static)) -> Self {
        Report(error)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

/// One thing wrong with a workflow's graph, found while building it.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The workflow calls itself, directly or through sub-workflows.
    #[error("`{workflow}` calls itself, directly or through a sub-workflow; a workflow graph must be finite")]
    Recursive {
        /// The workflow that calls itself.
        workflow: String,
    },
    /// An input of a call was not given (the macro rejects this; a hand-built call can do it).
    #[error("node {node}: input `{input}` of `{target}` is not given")]
    MissingInput {
        /// The node's id.
        node: String,
        /// The input's name.
        input: String,
        /// The task or workflow called.
        target: String,
    },
    /// A constant in the workflow body could not be serialized into the graph.
    #[error("a constant of type `{ty}` cannot be serialized")]
    Constant {
        /// Its Rust type.
        ty: &'static str,
        /// Why.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// A `#[default(...)]` could not be serialized into the graph.
    #[error("the default of input `{input}` (type `{ty}`) cannot be serialized")]
    Default {
        /// The input's name.
        input: String,
        /// Its Rust type.
        ty: &'static str,
        /// Why.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// A sub-workflow's own graph could not be built.
    #[error("node {node}: sub-workflow `{workflow}` could not be built")]
    SubWorkflow {
        /// The node's id.
        node: String,
        /// The sub-workflow's name.
        workflow: String,
        /// Why.
        #[source]
        source: Arc<Error>,
    },
    /// Two different tasks of one graph have the same name (`name = "..."` in one module).
    #[error("two tasks are named `{name}`: `{first}` and `{second}`; give one of them another `name = \"...\"`")]
    DuplicateTaskName {
        /// The name they share, qualified by the module.
        name: String,
        /// The function of the first.
        first: String,
        /// The function of the second.
        second: String,
    },
    /// `.after(...)` names something that is not the result of a call of this workflow.
    #[error("node {node}: `.after(...)` waits for calls, but one of its arguments is {what}, not the result of a call")]
    AfterNotACall {
        /// The node's id.
        node: String,
        /// What was given: the workflow input `path`, a constant.
        what: String,
    },
    /// A node's `requests` (with its overrides) is above its `limits` for a resource: the macro
    /// checks a task's own options, this the task's merged with a node's `.with_overrides(...)`.
    #[error(
        "node {node} ({target}): requests {key} = \"{request}\" is above limits {key} = \"{limit}\"; a request must fit \
         within its limit: lower the request, or raise the limit with `.with_overrides(limits({key} = \"...\"))`"
    )]
    RequestAboveLimit {
        /// The node's id.
        node: String,
        /// The task it calls.
        target: String,
        /// The resource: `cpu`, `mem`, `gpu`, `ephemeral_storage`.
        key: &'static str,
        /// The request, as written.
        request: String,
        /// The limit, as written.
        limit: String,
    },
    /// `cache = true` from a node's overrides, on a task with no `cache_version`.
    #[error(
        "node {node} ({target}): `cache = true` needs a `cache_version` too: add `cache_version = \"1\"` to the task, \
         or to this node's `.with_overrides(..)`"
    )]
    CacheWithoutVersion {
        /// The node's id.
        node: String,
        /// The task it calls.
        target: String,
    },
    /// A `map!` with no mapped list (the macro rejects this).
    #[error("node {node}: the map of `{target}` has no mapped list input")]
    NothingMapped {
        /// The node's id.
        node: String,
        /// The task or workflow mapped.
        target: String,
    },
    /// The workflow body, a constant or a default panicked while the graph was built.
    #[error("building the graph panicked: {message}")]
    Panicked {
        /// The panic message.
        message: String,
    },
}

/// A bad `Runtime::builder()` setting, or threads that could not start.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `cpus(0)`.
    #[error("cpus(0): a runtime needs at least one CPU")]
    ZeroCpus,
    /// `memory(...)` is not a quantity.
    #[error("memory(\"{text}\") is not a memory quantity: {reason}")]
    Memory {
        /// The text given.
        text: String,
        /// Why it does not parse.
        reason: String,
    },
    /// `memory("0")`.
    #[error("memory(\"{text}\") is zero: a runtime needs some memory")]
    ZeroMemory {
        /// The text given.
        text: String,
    },
    /// `memory(...)` above what a `u64` of bytes holds.
    #[error("memory(\"{text}\") is too large")]
    MemoryTooLarge {
        /// The text given.
        text: String,
    },
    /// `max_in_flight(0)`.
    #[error("max_in_flight(0): a map needs room for one element")]
    ZeroMaxInFlight,
    /// `build_global()` once the global runtime had started: it is started once, by the first
    /// run given no runtime, `Runtime::global()`, or `build_global()`.
    #[error(
        "the global runtime has already started: call `build_global()` before any run given no runtime (`my_workflow(args).await`)"
    )]
    GlobalStarted,
    /// The operating system refused to start the runtime's threads.
    #[error("could not start the runtime's {what} threads")]
    Threads {
        /// Which threads: `worker` or `sync task`.
        what: &'static str,
        /// Why.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
}

/// The outputs of the nodes that finished before a run failed, by node id and output index.
#[derive(Clone, Default)]
pub struct Completed {
    nodes: Vec<(String, Vec<Value>)>,
    tolerated: Arc<Vec<ToleratedFailure>>,
}

impl Completed {
    pub(crate) fn new(nodes: Vec<(String, Vec<Value>)>) -> Self {
        Completed { nodes, tolerated: Arc::default() }
    }

    /// The same, with the elements the run's tolerant maps had lost before it failed.
    pub(crate) fn with_tolerated(self, tolerated: Vec<ToleratedFailure>) -> Self {
        Completed { tolerated: Arc::new(tolerated), ..self }
    }

    /// The elements that failed for good in maps that tolerated them, anywhere in the run,
    /// before it failed (set on the error a run returns, not on those of its sub-workflows).
    #[must_use]
    pub fn tolerated(&self) -> &[ToleratedFailure] {
        &self.tolerated
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
    #[error(transparent)]
    Failed(ElementFailure),
    /// Too few elements of a map succeeded.
    #[error(transparent)]
    MapFailed(MapFailure),
    /// Mapped inputs of different lengths; no element ran.
    #[error("mapped inputs have different lengths ({}); no element ran", lengths(.inputs))]
    UnequalLengths {
        /// Each mapped input and its length.
        inputs: Vec<(String, usize)>,
    },
    /// `min_successes` is larger than the list.
    #[error("min_successes = {required} but the mapped list has only {len} element{}; no element ran", if *.len == 1 { "" } else { "s" })]
    TooFewElements {
        /// `min_successes`.
        required: u64,
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
    #[error("its sub-workflow failed")]
    Workflow(#[source] Box<Error>),
    /// The arm a branch node took failed.
    #[error("the arm it took failed")]
    Arm(#[source] Box<Error>),
    /// A branch node took an arm that fails (`fail!("...")`).
    #[error("{message}")]
    Fail {
        /// The message of `fail!`.
        message: String,
    },
    /// An input did not have the type the node expects (a flowmap bug).
    #[error("input `{input}` does not hold a `{expected}`")]
    InputType {
        /// The input's name.
        input: String,
        /// The expected Rust type.
        expected: &'static str,
    },
    /// The cache could not be read (a task with `cache = true`): nothing ran that the cache
    /// might hold.
    #[cfg(feature = "cache")]
    #[error("the task cache could not be used")]
    Cache(#[source] crate::cache::CacheError),
    /// A bug in flowmap: please report it.
    #[error("internal error in flowmap: {0}")]
    Internal(&'static str),
}

fn lengths(inputs: &[(String, usize)]) -> String {
    inputs.iter().map(|(n, l)| format!("`{n}` has {l}")).collect::<Vec<_>>().join(", ")
}

/// One element (or one plain call) that failed after all its attempts.
#[derive(Debug)]
#[non_exhaustive]
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
            Some(i) => write!(f, "element {i} failed after {} attempt{s}", self.attempts),
            None => write!(f, "failed after {} attempt{s}", self.attempts),
        }
    }
}

impl std::error::Error for ElementFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause.as_error())
    }
}

/// Why one attempt failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Cause {
    /// The task returned `Err`: its own error.
    Error(BoxError),
    /// The task panicked.
    Panic(PanicError),
    /// The attempt ran longer than its timeout.
    Timeout(TimeoutError),
    /// A mapped or called sub-workflow failed.
    Workflow(Box<Error>),
    /// The attempt was cancelled before it finished (the run was dropped or shut down).
    Cancelled(CancelledError),
}

impl Cause {
    /// A panic with this message, at `location` when it is known.
    pub(crate) fn panic(message: String, location: Option<String>) -> Cause {
        Cause::Panic(PanicError { message, location })
    }

    /// A timeout after `after`.
    pub(crate) fn timeout(after: Duration) -> Cause {
        Cause::Timeout(TimeoutError { after })
    }

    /// The error itself, so `source()` chains reach the task's own error (not this wrapper).
    #[must_use]
    pub fn as_error(&self) -> &(dyn std::error::Error + 'static) {
        match self {
            Cause::Error(e) => e.as_ref(),
            Cause::Panic(e) => e,
            Cause::Timeout(e) => e,
            Cause::Workflow(e) => e.as_ref(),
            Cause::Cancelled(e) => e,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_error(), f)
    }
}

/// A task panicked: `panicked at src/main.rs:12:5: index out of bounds ...`, as std prints it
/// (`panicked: ...` when where is not known).
#[derive(Debug, thiserror::Error)]
#[error("panicked{}: {message}", .location.as_ref().map(|l| format!(" at {l}")).unwrap_or_default())]
#[non_exhaustive]
pub struct PanicError {
    /// The panic message.
    pub message: String,
    /// Where it panicked, `file:line:column`, when the panic hook saw it.
    pub location: Option<String>,
}

/// An attempt ran past its timeout.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {}", flowmap_settings::duration::format(*.after))]
#[non_exhaustive]
pub struct TimeoutError {
    /// The timeout.
    pub after: Duration,
}

/// An attempt was cancelled before it finished.
#[derive(Debug, thiserror::Error)]
#[error("cancelled before it finished")]
#[non_exhaustive]
pub struct CancelledError;

/// A map node that ended with fewer successes than required.
#[derive(Debug)]
#[non_exhaustive]
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
        let verb = if self.required == 1 { "is" } else { "are" };
        write!(
            f,
            "{} of {} elements succeeded but {} {verb} required ({} failed",
            self.succeeded, self.total, self.required, self.failed
        )?;
        // Which ones (the first few); the first failure itself is this error's source.
        let mut indices: Vec<usize> = self.errors.iter().filter_map(|e| e.index).collect();
        indices.sort_unstable();
        let indices: Vec<String> = indices.iter().map(ToString::to_string).collect();
        if !indices.is_empty() {
            let more = if self.failed > indices.len() { ", …" } else { "" };
            write!(f, ": element{} {}{more}", if self.failed == 1 { "" } else { "s" }, indices.join(", "))?;
        }
        write!(f, "; {} not run)", self.not_run)
    }
}

impl std::error::Error for MapFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.errors.first().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// An element that failed for good in a map that tolerated it (`min_success_ratio` or
/// `min_successes`): the map succeeded with `None` at its index, and the run went on. A run
/// reports every one of them: [`crate::Finished::failures`] when it succeeds, and
/// [`Completed::tolerated`] when it fails later.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ToleratedFailure {
    /// The workflow the map node belongs to (a sub-workflow's own name inside it).
    pub workflow: String,
    /// The map node's id (`n0`, `n1`, …).
    pub node: String,
    /// What the node runs: `map of task check`.
    pub target: String,
    /// The element's index, its attempts and the cause of its last attempt.
    pub failure: Arc<ElementFailure>,
}

impl fmt::Display for ToleratedFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workflow `{}` node `{}` ({}): {}", self.workflow, self.node, self.target, self.failure)
    }
}

impl std::error::Error for ToleratedFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.failure.cause.as_error())
    }
}
