//! Runs a plan: nodes in dependency order, independent ones concurrently; each node reaches the
//! runtime through its [`NodeHooks`] (a sub-workflow run among them, hence one file).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tracing::Instrument;

use crate::error::{CancelledError, Cause, Completed, ElementFailure, Error, NodeError, ToleratedFailure};
use crate::exec::capacity::Request;
use crate::exec::context::{MAX_THREADS, RunContext};
use crate::observe::{NodeName, NodeObserver};
use crate::panics::{panic_cause, panic_message, quiet};
use crate::plan::attempt::run_call;
use crate::plan::cached::run_cached_call;
use crate::plan::pace::Pace;
use crate::plan::{Blocked, BlockingJob, Hooks, Permit, Plan, Policy, Work};
use crate::progress::FinishOnDrop;
use crate::value::{Source, Value};

/// Runs `plan` with its inputs; returns its outputs in interface order. `alone`: nothing outside
/// this plan's run can make progress on this thread meanwhile (false inside a map).
pub(crate) fn run_graph(
    cx: RunContext,
    plan: &'static Plan,
    inputs: Vec<Value>,
    alone: bool,
) -> BoxFuture<'static, Result<Vec<Value>, Error>> {
    Box::pin(drive(cx, plan, inputs, alone))
}

async fn drive(cx: RunContext, plan: &'static Plan, inputs: Vec<Value>, alone: bool) -> Result<Vec<Value>, Error> {
    let n = plan.nodes.len();
    if inputs.len() != plan.inputs {
        return Err(Error::Internal("a workflow was given the wrong number of inputs"));
    }
    let mut waiting: Vec<usize> = Vec::with_capacity(n);
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in plan.nodes.iter().enumerate() {
        let mut ups: Vec<usize> = node
            .inputs
            .iter()
            .filter_map(|s| match s {
                Source::Output { node, .. } | Source::Done(node) => Some(*node),
                _ => None,
            })
            .chain(node.after.iter().copied())
            .collect();
        ups.sort_unstable();
        ups.dedup();
        if ups.iter().any(|u| *u >= i) {
            return Err(Error::Internal("a node reads the output of a later node"));
        }
        for u in &ups {
            dependents[*u].push(i);
        }
        waiting.push(ups.len());
    }

    // Every finished node's outputs stay here until the run ends: readers share them, and a
    // failed run hands them to the error.
    let mut outputs: Vec<Option<Vec<Value>>> = vec![None; n];
    let read = |outputs: &[Option<Vec<Value>>], s: Source| -> Option<Value> {
        match s {
            Source::Input(i) => inputs.get(i).cloned(),
            Source::Constant(c) => plan.constants.get(c).cloned(),
            Source::Output { node, port } => outputs.get(node)?.as_ref()?.get(port).cloned(),
            Source::Done(node) => outputs.get(node)?.as_ref().map(|_| Arc::new(()) as Value),
            Source::Unbuilt => None,
        }
    };
    let start = |i: usize, outputs: &[Option<Vec<Value>>], alone: bool| {
        let node = &plan.nodes[i];
        let values = node
            .inputs
            .iter()
            .map(|s| read(outputs, *s))
            .collect::<Option<Vec<Value>>>()
            .ok_or(Error::Internal("an input of a node is missing"))?;
        let span = tracing::debug_span!("node", workflow = %plan.workflow, node = %node.id, target = %node.display);
        Ok::<_, Error>(run_node(cx.clone(), plan, i, values, alone).map_result(i).instrument(span))
    };
    let mut running = FuturesUnordered::new();
    let mut ready: Vec<usize> = (0..n).filter(|i| waiting[*i] == 0).collect();
    let mut done = 0;
    loop {
        let only = alone && running.is_empty() && ready.len() == 1;
        for i in ready.drain(..) {
            running.push(start(i, &outputs, only)?);
        }
        let Some((i, result)) = running.next().await else { break };
        done += 1;
        match result {
            Ok(values) => outputs[i] = Some(values),
            Err(source) => {
                drop(running);
                return Err(node_error(plan, i, source, completed(plan, outputs)));
            }
        }
        for d in &dependents[i] {
            waiting[*d] -= 1;
            if waiting[*d] == 0 {
                ready.push(*d);
            }
        }
    }
    if done != n {
        return Err(Error::Internal("some nodes never became ready"));
    }
    // The table is dropped on return, so the caller holds the only references to its outputs.
    plan.outputs
        .iter()
        .map(|s| read(&outputs, *s))
        .collect::<Option<Vec<Value>>>()
        .ok_or(Error::Internal("a workflow output is missing"))
}

/// Tags a node's result with its index.
trait MapResult: Sized {
    fn map_result(self, i: usize) -> impl Future<Output = (usize, Result<Vec<Value>, NodeError>)>;
}

impl<F: Future<Output = Result<Vec<Value>, NodeError>>> MapResult for F {
    async fn map_result(self, i: usize) -> (usize, Result<Vec<Value>, NodeError>) {
        (i, self.await)
    }
}

/// Runs one node.
async fn run_node(
    cx: RunContext,
    plan: &'static Plan,
    i: usize,
    values: Vec<Value>,
    alone: bool,
) -> Result<Vec<Value>, NodeError> {
    let node = &plan.nodes[i];
    let request = cx.shared.capacity.request(&node.settings.requests)?;
    let threads = sync_threads(&cx, &request);
    let hooks: Arc<dyn Hooks> = Arc::new(NodeHooks { cx: cx.clone(), request, threads, alone, plan, node: i });
    let counters = cx.shared.board.track(cx.run, &plan.workflow, &node.id, &node.display);
    let _cancelled = FinishOnDrop(counters.clone());
    let at = NodeName { workflow: &plan.workflow, node: &node.id, target: &node.display };
    let observer = NodeObserver::new(counters, &cx.shared.bus, at);
    let cache = cx.cache(node.settings.cache.as_ref()).map_err(NodeError::Cache)?;
    let policy = Policy {
        hooks: &*hooks,
        observer: &observer,
        retries: node.settings.retries,
        timeout: node.settings.timeout,
        admitted: hooks.has_requests(),
        cache: cache.as_ref(),
    };
    let result = match &node.work {
        Work::Call(kernel) => {
            observer.node_started(None);
            match &cache {
                Some(cache) => run_cached_call(&**kernel, &policy, cache, &values).await,
                None => run_call(&**kernel, &policy, &values).await.map_err(NodeError::Failed),
            }
        }
        Work::Workflow(sub) => {
            observer.node_started(None);
            run_graph(cx, sub, values, alone).await.map_err(|e| NodeError::Workflow(Box::new(e)))
        }
        Work::Map(kernel, shape) => kernel.run(shape, policy, &hooks, values).await,
    };
    observer.finished(result.as_ref().map(|_| ()));
    result
}

fn completed(plan: &Plan, outputs: Vec<Option<Vec<Value>>>) -> Completed {
    Completed::new(
        plan.nodes.iter().zip(outputs).filter_map(|(node, values)| Some((node.id.to_string(), values?))).collect(),
    )
}

fn node_error(plan: &Plan, i: usize, source: NodeError, completed: Completed) -> Error {
    let node = &plan.nodes[i];
    Error::Node {
        workflow: plan.workflow.to_string(),
        node: node.id.to_string(),
        target: node.display.to_string(),
        source: Box::new(source),
        completed,
    }
}

/// How many sync calls of a node with `request` may run at once: as many as fit in the runtime's
/// capacity (a call that requests no CPU counts as one), at most [`MAX_THREADS`]. So a task with
/// the default (no) request runs on as many threads as the runtime has CPUs, and a blocking task
/// that requests `cpu = "100m"` of 2 CPUs, on 20.
fn sync_threads(cx: &RunContext, request: &Request) -> usize {
    usize::try_from(cx.shared.capacity.at_once(request)).unwrap_or(usize::MAX).clamp(1, MAX_THREADS)
}

/// A running node's access to the runtime.
pub(crate) struct NodeHooks {
    pub(crate) cx: RunContext,
    pub(crate) request: Request,
    /// How many of its sync calls may run at once ([`sync_threads`]).
    pub(crate) threads: usize,
    /// Whether this node is the only one of its run that can make progress: then a blocking
    /// call with no timeout that is known to be short runs in place, on the driver thread.
    pub(crate) alone: bool,
    /// The plan and the index of this node in it.
    pub(crate) plan: &'static Plan,
    pub(crate) node: usize,
}

impl Hooks for NodeHooks {
    fn has_requests(&self) -> bool {
        self.request != Request::NONE
    }

    fn admit(&self) -> BoxFuture<'_, Permit> {
        Box::pin(async move { Permit::holding(self.cx.shared.capacity.admit(&self.request).await) })
    }

    fn admit_blocking(&self) -> Permit {
        Permit::holding(self.cx.shared.handle.block_on(self.cx.shared.capacity.admit(&self.request)))
    }

    fn sleep(&self, after: Duration) -> BoxFuture<'static, ()> {
        let _entered = self.cx.shared.handle.enter();
        Box::pin(tokio::time::sleep(after))
    }

    fn blocking(
        &self,
        job: BlockingJob,
        units: usize,
        timeout: Option<Duration>,
        permit: Permit,
    ) -> BoxFuture<'static, Blocked> {
        let pace = self.pace();
        let run = move || {
            let out = std::panic::catch_unwind(AssertUnwindSafe(|| quiet(job)));
            // The permit is held until the call really ends, even after a timeout.
            drop(permit);
            out.map_err(|panic| panic_cause(panic.as_ref()))
        };
        if self.alone && timeout.is_none() && !self.has_requests() && pace.is_short(units) {
            // Nothing else of this run can make progress meanwhile, and the call is known to be
            // short: run it here, on the driver thread, with no hand-off. Blocking is allowed on a
            // driver thread (blocking clients, `Handle::block_on`), as on any blocking thread.
            let result = run();
            return Box::pin(std::future::ready(Blocked { result, lingering: None }));
        }
        let mut handle = self.cx.shared.handle.spawn_blocking(run);
        let _entered = self.cx.shared.handle.enter();
        Box::pin(async move {
            let joined = match timeout {
                Some(d) => match tokio::time::timeout(d, &mut handle).await {
                    Ok(joined) => joined,
                    Err(_) => {
                        let lingering = Box::pin(async move {
                            let _ = handle.await;
                        });
                        return Blocked { result: Err(Cause::timeout(d)), lingering: Some(lingering) };
                    }
                },
                None => handle.await,
            };
            Blocked { result: joined.unwrap_or_else(|e| Err(join_cause(e))), lingering: None }
        })
    }

    fn pace(&self) -> &'static Pace {
        &self.plan.nodes[self.node].pace
    }

    fn parallel(&self, workers: usize, job: &(dyn Fn() + Sync)) {
        let handle = &self.cx.shared.handle;
        // In the runtime's context, as on any of its threads: a task may use
        // `Handle::current()`, timers and I/O.
        let entered = || {
            let _entered = handle.enter();
            job();
        };
        if workers <= self.cx.shared.threads {
            self.cx.shared.pool.in_place_scope(|s| {
                for _ in 1..workers {
                    s.spawn(|_| entered());
                }
                job();
            });
            return;
        }
        // More workers than the pool has threads (calls that request less than a CPU each, such
        // as blocking I/O): each gets a thread of its own for this job, so none waits for a
        // thread of the pool while its requests fit.
        std::thread::scope(|s| {
            for i in 1..workers {
                let spawned =
                    std::thread::Builder::new().name(format!("flowmap-sync-extra-{i}")).spawn_scoped(s, entered);
                if let Err(e) = spawned {
                    // The workers already started, and this thread, take every chunk.
                    tracing::warn!(workers, started = i, "could not start a sync map worker thread: {e}");
                    break;
                }
            }
            job();
        });
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn max_in_flight(&self) -> usize {
        self.cx.shared.max_in_flight
    }

    fn tolerated(&self, failures: Vec<ElementFailure>) {
        let node = &self.plan.nodes[self.node];
        self.cx.tolerate(failures.into_iter().map(|failure| ToleratedFailure {
            workflow: self.plan.workflow.to_string(),
            node: node.id.to_string(),
            target: node.display.to_string(),
            failure: Arc::new(failure),
        }));
    }

    fn run_plan(&self, plan: &'static Plan, inputs: Vec<Value>) -> BoxFuture<'static, Result<Vec<Value>, Cause>> {
        let (cx, alone) = (self.cx.clone(), self.alone);
        run_graph(cx, plan, inputs, alone).map(|r| r.map_err(|e| Cause::Workflow(Box::new(e)))).boxed()
    }
}

/// Why a blocking call's thread did not hand back a result: it panicked, or it was cancelled
/// (the runtime shut down before it ran), which is not a panic.
fn join_cause(e: tokio::task::JoinError) -> Cause {
    if e.is_panic() {
        Cause::panic(panic_message(e.into_panic().as_ref()), None)
    } else {
        Cause::Cancelled(CancelledError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancelled_call_is_not_reported_as_a_panic() {
        let pending = tokio::spawn(std::future::pending::<()>());
        pending.abort();
        assert!(matches!(join_cause(pending.await.unwrap_err()), Cause::Cancelled(_)));
        let panicked = tokio::spawn(async { panic!("boom") });
        let Cause::Panic(p) = join_cause(panicked.await.unwrap_err()) else { panic!("not a panic") };
        assert_eq!(p.message, "boom");
    }
}
