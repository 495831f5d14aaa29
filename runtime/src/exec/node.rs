//! Runs one node of a plan: its settings, its observer (counters, events, logs) and its cache, then its work (a
//! call, a sub-workflow or a map) with the executor's services ([`NodeHooks`]).

use std::sync::Arc;

use crate::error::{Error, NodeError};
use crate::exec::capacity::Request;
use crate::exec::context::{MAX_THREADS, RunContext};
use crate::exec::hooks::{NodeHooks, RunPlan};
use crate::observe::{NodeObserver, node_skipped};
use crate::plan::attempt::run_call;
#[cfg(feature = "cache")]
use crate::plan::cached::run_cached_call;
use crate::plan::{ArmPlan, CallKernel, Hooks, Plan, Policy, Work};
use crate::progress::FinishOnDrop;
use crate::value::Value;

/// Runs node `i` of `plan` with its input values. `alone`: nothing else of its run can make
/// progress meanwhile. `run`: how a sub-workflow's plan runs (the scheduler's entry point).
pub(crate) async fn run_node(
    cx: RunContext,
    plan: Arc<Plan>,
    i: usize,
    values: Vec<Value>,
    alone: bool,
    run: RunPlan,
) -> Result<Vec<Value>, NodeError> {
    let node = &plan.nodes[i];
    let request = cx.shared.capacity.request(&node.settings.requests)?;
    let threads = sync_threads(&cx, &request);
    let hooks = NodeHooks { cx: cx.clone(), request, threads, alone, plan: plan.clone(), node: i, run };
    let counters = cx.shared.board.track(cx.run, &plan.workflow, &node.id, &node.display);
    let _cancelled = FinishOnDrop(counters.clone());
    let observer = NodeObserver::new(counters, &cx.shared.bus);
    #[cfg(feature = "cache")]
    let cache = cx.cache(node.settings.cache.as_ref()).map_err(NodeError::Cache)?;
    let policy = |hooks| Policy {
        hooks,
        observer: &observer,
        retries: node.settings.retries,
        timeout: node.settings.timeout,
        admitted: hooks.has_requests(),
        #[cfg(feature = "cache")]
        cache: cache.as_ref(),
    };
    let result = match &node.work {
        Work::Call(kernel) => {
            observer.node_started(None);
            call(&**kernel, &policy(&hooks), &values).await
        }
        Work::Workflow(sub) => {
            observer.node_started(None);
            run(cx, sub.clone(), values, alone).await.map_err(|e: Error| NodeError::Workflow(Box::new(e)))
        }
        Work::Branch(branch) => {
            observer.node_started(None);
            match branch.choose(&values) {
                Err(_) => Err(NodeError::Internal("a branch's condition read a value of another type")),
                Ok(chosen) => {
                    for (_, arm) in branch.arms().enumerate().filter(|(i, _)| *i != chosen) {
                        skip_arm(&cx, arm);
                    }
                    match branch.arms().nth(chosen) {
                        Some(ArmPlan::Run(arm)) => {
                            run(cx, arm.clone(), values, alone).await.map_err(|e| NodeError::Arm(Box::new(e)))
                        }
                        Some(ArmPlan::Fail(message)) => Err(NodeError::Fail { message: message.to_string() }),
                        Some(ArmPlan::Nothing) | None => Ok(Vec::new()),
                    }
                }
            }
        }
        Work::Map(kernel, shape) => {
            // A map hands its hooks to the threads of its sync workers: shared, not borrowed.
            let hooks: Arc<dyn Hooks> = Arc::new(hooks);
            kernel.run(shape, policy(&*hooks), &hooks, values).await
        }
    };
    observer.finished(result.as_ref().map(|_| ()));
    result
}

/// Reports every node of an arm not taken skipped, with the nodes of the branches in it.
fn skip_arm(cx: &RunContext, arm: &ArmPlan) {
    let ArmPlan::Run(plan) = arm else { return };
    let shared = &cx.shared;
    if !shared.board.watched() && !shared.bus.listening() {
        return;
    }
    for node in &plan.nodes {
        node_skipped(&shared.board, &shared.bus, cx.run, &plan.workflow, &node.id, &node.display);
        if let Work::Branch(inner) = &node.work {
            for arm in inner.arms() {
                skip_arm(cx, arm);
            }
        }
    }
}

/// A plain call's node: its outputs from the cache when the run uses it for this node.
async fn call(kernel: &dyn CallKernel, policy: &Policy<'_>, values: &[Value]) -> Result<Vec<Value>, NodeError> {
    #[cfg(feature = "cache")]
    if let Some(cache) = policy.cache {
        return run_cached_call(kernel, policy, cache, values).await;
    }
    run_call(kernel, policy, values).await.map_err(NodeError::Failed)
}

/// How many sync calls of a node with `request` may run at once: as many as fit in the runtime's
/// capacity (a call that requests no CPU counts as one), at most [`MAX_THREADS`]. So a task with
/// the default (no) request runs on as many threads as the runtime has CPUs, and a blocking task
/// that requests `cpu = "100m"` of 2 CPUs, on 20.
fn sync_threads(cx: &RunContext, request: &Request) -> usize {
    usize::try_from(cx.shared.capacity.at_once(request)).unwrap_or(usize::MAX).clamp(1, MAX_THREADS)
}
