//! The plan: a compiled workflow ready to run. Built from the workflow body by
//! [`builder::GraphBuilder`] together with its [`flowmap_model::graph::Graph`], it holds per node
//! where each input comes from, the node's effective settings and its kernel.
//!
//! This file holds the plan's data and the interfaces between the plan and whoever runs it:
//! [`CallKernel`] and [`MapKernel`] (what a node computes, called by the executor) and [`Hooks`]
//! (what a kernel asks of the executor). It names nothing of the executor.
//!
//! Files, each using only those above it: this one; `kernel` (typed kernels); `attempt`
//! (attempts, retries, timeouts); `cached` (typed cache lookups and stores); `map` (the map
//! loops); `decl` (what a target declares); `target` (the traits generated code implements); `builder` (the graph builder); `compile`.
//! Below them all, `schedule` (when each node may start) and `pace` (how long its blocking calls
//! take); beside them, `call` (one call of a target as a plan of its own), `dynamic` (a
//! `#[dynamic]`'s body and kernel), `dyn_call` (the calls in that body) and `callees` (what a dynamic's body may call).

pub(crate) mod attempt;
pub(crate) mod branch;
pub(crate) mod builder;
#[cfg(feature = "cache")]
pub(crate) mod cached;
pub(crate) mod call;
pub(crate) mod callees;
pub(crate) mod compile;
pub(crate) mod condition;
pub(crate) mod decl;
pub(crate) mod dyn_call;
pub(crate) mod dynamic;
pub(crate) mod expansion;
pub(crate) mod kernel;
pub(crate) mod map;
pub(crate) mod pace;
pub(crate) mod schedule;
pub(crate) mod target;

use std::any::Any;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use flowmap_model::Resources;
use flowmap_model::graph::{Graph, Interface, Node, SuccessRule, Tables, TaskSpec};
use futures_util::future::BoxFuture;

#[cfg(feature = "cache")]
use crate::cache::node::{CacheSpec, NodeCache};
use crate::error::{Cause, ElementFailure, NodeError};
use crate::json_io::JsonCodec;
use crate::observe::NodeObserver;
use crate::plan::condition::CondPlan;
use crate::value::{Source, Value};

/// A workflow's nodes in body order, its outputs and its constants.
pub struct Plan {
    /// The workflow's name.
    pub(crate) workflow: Arc<str>,
    pub(crate) inputs: usize,
    pub(crate) nodes: Vec<PlanNode>,
    pub(crate) outputs: Vec<Source>,
    pub(crate) constants: Vec<Value>,
    /// When each node may start, computed once from `nodes`.
    pub(crate) schedule: schedule::Schedule,
}

impl Plan {
    /// A plan of `nodes`, with its schedule.
    pub(crate) fn new(
        workflow: Arc<str>,
        inputs: usize,
        nodes: Vec<PlanNode>,
        outputs: Vec<Source>,
        constants: Vec<Value>,
    ) -> Plan {
        let schedule = schedule::Schedule::of(&nodes);
        Plan { workflow, inputs, nodes, outputs, constants, schedule }
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("workflow", &self.workflow)
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

/// One node.
pub(crate) struct PlanNode {
    /// `n0`, `n1`, …
    pub(crate) id: Arc<str>,
    /// `task detect_anomalies`, `map of task detect_anomalies`, …
    pub(crate) display: Arc<str>,
    /// Where each input comes from, in parameter order.
    pub(crate) inputs: Vec<Source>,
    /// Earlier nodes this one runs after though no value flows from them.
    pub(crate) after: Vec<usize>,
    /// The task's settings merged with the node's overrides, as the executor uses them.
    pub(crate) settings: NodeSettings,
    /// What it runs.
    pub(crate) work: Work,
    /// How a call of its target reads and writes JSON (a task's or a mapped target's), for
    /// one-call plans.
    pub(crate) json: Option<JsonCodec>,
    /// How long its blocking calls take, learned from its runs.
    pub(crate) pace: Arc<pace::Pace>,
}

/// What a node runs.
pub(crate) enum Work {
    /// One call of a task.
    Call(Box<dyn CallKernel>),
    /// One run of a sub-workflow.
    Workflow(Arc<Plan>),
    /// A task or workflow over lists.
    Map(Box<dyn MapKernel>, MapShape),
    /// An `if` or `match`: the first case whose condition holds runs its arm.
    Branch(Box<BranchPlan>),
}

/// A branch node's cases, each a condition on the node's inputs and an arm, and what runs when
/// none holds.
pub(crate) struct BranchPlan {
    pub(crate) cases: Vec<(CondPlan, ArmPlan)>,
    pub(crate) otherwise: ArmPlan,
}

impl BranchPlan {
    /// The arm of the first case that holds for the node's inputs, or the `else` arm: its
    /// index among [`BranchPlan::arms`].
    pub(crate) fn choose(&self, inputs: &[Value]) -> Result<usize, condition::WrongType> {
        for (i, (condition, _)) in self.cases.iter().enumerate() {
            if condition.holds(inputs)? {
                return Ok(i);
            }
        }
        Ok(self.cases.len())
    }

    /// Every arm: the cases', then the `else`.
    pub(crate) fn arms(&self) -> impl Iterator<Item = &ArmPlan> {
        self.cases.iter().map(|(_, arm)| arm).chain(std::iter::once(&self.otherwise))
    }
}

/// What an arm of a branch runs.
pub(crate) enum ArmPlan {
    /// A plan whose inputs are the branch node's.
    Run(Arc<Plan>),
    /// `fail!("...")`: the node fails with this message.
    Fail(Arc<str>),
    /// Nothing: an `if` with no `else`.
    Nothing,
}

/// The effective settings of a node.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeSettings {
    /// Extra attempts after a failure.
    pub(crate) retries: u32,
    /// Per-attempt timeout.
    pub(crate) timeout: Option<Duration>,
    /// What each attempt must be admitted for.
    pub(crate) requests: Resources,
    /// A task with `cache = true` (and not `cache = false` on the node): its key identity.
    #[cfg(feature = "cache")]
    pub(crate) cache: Option<CacheSpec>,
}

impl NodeSettings {
    /// What the executor honours of a task's settings merged with a node's overrides.
    pub(crate) fn of(settings: &flowmap_model::Settings) -> NodeSettings {
        NodeSettings {
            retries: settings.retries.unwrap_or(0),
            timeout: settings.timeout,
            requests: settings.requests.clone().unwrap_or_default(),
            #[cfg(feature = "cache")]
            cache: None,
        }
    }
}

/// A workflow's graph and its plan.
pub struct Compiled {
    /// The serializable graph.
    pub graph: Graph,
    pub(crate) plan: Arc<Plan>,
    /// Whether its outputs are named (`#[workflow(outputs(...))]`): a JSON run writes them as an
    /// object by name.
    pub(crate) named: bool,
    /// One call of each target its nodes call or map, as a plan of its own: made on first use
    /// ([`call::one_call`]), kept as long as the workflow's compiled value.
    pub(crate) calls: OnceLock<Vec<OneCall>>,
}

/// A one-node plan calling one target (a task, or a workflow that is mapped), with the target's
/// interface: what a container entrypoint runs ([`call::one_call`]).
pub(crate) struct OneCall {
    /// The target's qualified name.
    pub(crate) target: String,
    /// The plan: one node, reading the plan's inputs in order.
    pub(crate) plan: Arc<Plan>,
    /// The target's inputs and outputs.
    pub(crate) interface: Interface,
    /// A task's spec (`None` for a workflow).
    pub(crate) spec: Option<TaskSpec>,
    /// The tables the target was found with: its sub-workflows' graphs and their tasks.
    pub(crate) tables: Arc<Tables>,
    /// How the call reads and writes JSON.
    pub(crate) json: JsonCodec,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").field("graph", &self.graph).finish_non_exhaustive()
    }
}

/// An erased blocking call of a plain call node.
pub(crate) type ErasedBlocking = Box<dyn FnOnce() -> Result<Vec<Value>, Cause> + Send>;
/// An erased async attempt of a plain call node.
pub(crate) type ErasedFuture = BoxFuture<'static, Result<Vec<Value>, Cause>>;

/// A plain call's kernel with erased inputs and outputs: one instance per target, shared by
/// every call of it.
pub(crate) trait CallKernel: Send + Sync {
    /// Starts one attempt with the node's input values.
    fn invoke(&self, inputs: &[Value], hooks: &dyn Hooks) -> Result<Attempt, NodeError>;
    /// The same kernel, for another plan.
    fn copy(&self) -> Box<dyn CallKernel>;
    /// A dynamic's body run with the node's input values: the graph it builds, not run
    /// ([`kernel::Kernel::expand`]). `None` for any other kernel.
    fn expand(&self, inputs: &[Value]) -> Option<Result<expansion::Expansion, Cause>> {
        let _ = inputs;
        None
    }
    /// A dynamic's callees ([`kernel::Kernel::callees`]); `None` for any other kernel.
    fn callees(&self) -> Option<Callees> {
        None
    }
}

/// Every task and workflow a dynamic's body names, each declared by a node that is never run
/// (see [`callees`]): where a pod finds a task that only a dynamic calls.
#[doc(hidden)]
pub struct Callees {
    /// A call node and a map node of each callee.
    pub(crate) nodes: Vec<Node>,
    /// Their plans, in the same order.
    pub(crate) planned: Vec<PlanNode>,
    /// The callees' tasks and workflows (and everything these call).
    pub(crate) tables: Tables,
}

impl fmt::Debug for Callees {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callees").field("nodes", &self.nodes).field("tables", &self.tables).finish_non_exhaustive()
    }
}

/// One erased attempt of a plain call.
pub(crate) enum Attempt {
    /// A sync task's call.
    Blocking(ErasedBlocking),
    /// An async task's future.
    Async(ErasedFuture),
}

/// What a map node needs besides its kernel.
#[derive(Clone, Debug)]
pub(crate) struct MapShape {
    /// Parameter names, in order.
    pub(crate) names: &'static [&'static str],
    /// Whether each input is a mapped list.
    pub(crate) mapped: Vec<bool>,
    /// `concurrency`.
    pub(crate) concurrency: Option<NonZeroU32>,
    /// How many elements must succeed.
    pub(crate) rule: SuccessRule,
}

/// A map's kernel, erased once per mapped target.
pub(crate) trait MapKernel: Send + Sync {
    /// One element's call, as a plain call of the mapped target.
    fn element(&self, names: &'static [&'static str]) -> Box<dyn CallKernel>;
    /// Runs the map over `inputs` (one value per input, lists for mapped inputs).
    fn run<'a>(
        &'a self,
        shape: &'a MapShape,
        policy: Policy<'a>,
        hooks: &'a Arc<dyn Hooks>,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>>;
}

/// How the attempts of one node's elements run.
#[derive(Clone, Copy)]
pub(crate) struct Policy<'a> {
    pub(crate) hooks: &'a dyn Hooks,
    /// The node's counters, events and logs.
    pub(crate) observer: &'a NodeObserver,
    /// Extra attempts after a failure.
    pub(crate) retries: u32,
    /// Per-attempt timeout.
    pub(crate) timeout: Option<Duration>,
    /// Whether attempts are admitted against the capacity.
    pub(crate) admitted: bool,
    /// The cache, for a cached task's node when the run uses it.
    #[cfg(feature = "cache")]
    pub(crate) cache: Option<&'a NodeCache>,
}

impl Policy<'_> {
    /// Whether the node's elements use the cache in this run.
    pub(crate) fn cached(&self) -> bool {
        #[cfg(feature = "cache")]
        return self.cache.is_some();
        #[cfg(not(feature = "cache"))]
        false
    }

    /// Whether identical calls wait for each other (`cache_serialize`, with the cache in use).
    pub(crate) fn serializes(&self) -> bool {
        #[cfg(feature = "cache")]
        return self.cache.is_some_and(|c| c.reservations.is_some());
        #[cfg(not(feature = "cache"))]
        false
    }
}

/// A blocking call, erased: runs on some thread and returns its boxed result.
pub type BlockingJob = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

/// The end of a blocking call: its result, and for a call that timed out, the call itself, still
/// running on its thread (awaiting it waits until the thread is free again).
#[doc(hidden)]
pub struct Blocked {
    /// The call's boxed result, or why it has none.
    pub result: Result<Box<dyn Any + Send>, Cause>,
    /// A timed-out call that still runs.
    pub lingering: Option<BoxFuture<'static, ()>>,
}

impl fmt::Debug for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocked")
            .field("ok", &self.result.is_ok())
            .field("lingering", &self.lingering.is_some())
            .finish()
    }
}

/// Capacity held by one attempt; given back when dropped.
#[doc(hidden)]
pub struct Permit(#[allow(dead_code)] Option<Box<dyn Send + Sync>>);

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Permit(held)" } else { "Permit(none)" })
    }
}

impl Permit {
    /// Holds nothing.
    pub(crate) const NONE: Permit = Permit(None);

    pub(crate) fn holding(guard: impl Send + Sync + 'static) -> Permit {
        Permit(Some(Box::new(guard)))
    }
}

/// The executor's side of one node's run.
#[doc(hidden)]
pub trait Hooks: Send + Sync {
    /// Whether the node's attempts must be admitted against the capacity.
    fn has_requests(&self) -> bool;
    /// Waits until the node's requests fit in what is free, and takes them.
    fn admit(&self) -> BoxFuture<'_, Permit>;
    /// The same, on a thread that may block.
    fn admit_blocking(&self) -> Permit;
    /// A timer.
    fn sleep(&self, after: Duration) -> BoxFuture<'static, ()>;
    /// Runs a blocking call of `units` units of work (a call, or the elements of a sync map) off
    /// the async threads, or in place when nothing else of the run could use this thread and the
    /// node's calls are known to be short; either way holding `permit` until the call really
    /// ends. A panic is `Cause::Panic`; a call past `timeout` is `Cause::Timeout` (its thread runs
    /// on, still holding the permit, and its result is dropped).
    fn blocking(
        &self,
        job: BlockingJob,
        units: usize,
        timeout: Option<Duration>,
        permit: Permit,
    ) -> BoxFuture<'static, Blocked>;
    /// How long this node's blocking work takes, learned from its runs: the work records itself
    /// here (per call, or per element of a sync map on one thread), and the executor runs it in
    /// place only when it is known to be short.
    fn pace(&self) -> Arc<pace::Pace>;
    /// Runs `job` on `workers` threads at once (this one among them) and returns when all have.
    fn parallel(&self, workers: usize, job: &(dyn Fn() + Sync));
    /// How many of this node's sync calls may run at once: as many of its requests as fit in
    /// the runtime's capacity, a call that requests no CPU counting as one CPU (so, with no
    /// request, the runtime's CPUs), at most 256.
    fn threads(&self) -> usize;
    /// The most elements of one map in flight when its `concurrency` is not given.
    fn max_in_flight(&self) -> usize;
    /// Reports the elements that failed for good in this node, a map that tolerated them and
    /// succeeded: the run keeps them for its report.
    fn tolerated(&self, failures: Vec<ElementFailure>);
    /// Runs a sub-workflow's plan in this run.
    fn run_plan(&self, plan: Arc<Plan>, inputs: Vec<Value>) -> BoxFuture<'static, Result<Vec<Value>, Cause>>;
}
