//! The executor's services to a running node: [`NodeHooks`], its side of [`plan::Hooks`]
//! (admission, timers, blocking threads, parallel workers, sub-workflow runs).
//!
//! [`plan::Hooks`]: crate::plan::Hooks

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::error::{CancelledError, Cause, ElementFailure, Error, ToleratedFailure};
use crate::exec::capacity::Request;
use crate::exec::context::{MAX_THREADS, RunContext};
use crate::panics::{panic_cause, panic_message, quiet};
use crate::plan::pace::Pace;
use crate::plan::{Blocked, BlockingJob, Hooks, Permit, Plan};
use crate::value::Value;

/// Runs a plan in a run (the scheduler's `run_graph`): handed down to nodes and their hooks, which
/// run sub-workflows with it without naming the scheduler.
pub(crate) type RunPlan = fn(RunContext, Arc<Plan>, Vec<Value>, bool) -> BoxFuture<'static, Result<Vec<Value>, Error>>;

/// A running node's access to the runtime.
pub(crate) struct NodeHooks {
    pub(crate) cx: RunContext,
    pub(crate) request: Request,
    /// How many of its sync calls may run at once.
    pub(crate) threads: usize,
    /// Whether this node is the only one of its run that can make progress: then a blocking
    /// call with no timeout that is known to be short runs in place, on the driver thread.
    pub(crate) alone: bool,
    /// The plan and the index of this node in it.
    pub(crate) plan: Arc<Plan>,
    pub(crate) node: usize,
    /// How a sub-workflow's plan runs.
    pub(crate) run: RunPlan,
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

    fn pace(&self) -> Arc<Pace> {
        self.plan.nodes[self.node].pace.clone()
    }

    fn parallel(&self, workers: usize, job: &(dyn Fn() + Sync)) {
        let handle = &self.cx.shared.handle;
        // In the runtime's context, as on any of its threads: a task may use
        // `Handle::current()`, timers and I/O.
        let entered = || {
            let _entered = handle.enter();
            job();
        };
        let shared = &self.cx.shared;
        let pool = |workers: usize| {
            shared.pool.in_place_scope(|s| {
                for _ in 1..workers {
                    s.spawn(|_| entered());
                }
                job();
            });
        };
        if workers <= shared.threads {
            return pool(workers);
        }
        // More workers than the pool has threads (calls that request less than a CPU each, such
        // as blocking I/O): each gets a thread of its own for this job, so none waits for a
        // thread of the pool while its requests fit; all the runtime's jobs together have at
        // most `MAX_THREADS` such threads at once.
        let extra = ExtraThreads::take(&shared.extra_threads, workers - 1);
        if extra.taken == 0 {
            // Other maps hold them all: this one makes do with the pool.
            return pool(shared.threads);
        }
        std::thread::scope(|s| {
            for i in 1..=extra.taken {
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

    fn run_plan(&self, plan: Arc<Plan>, inputs: Vec<Value>) -> BoxFuture<'static, Result<Vec<Value>, Cause>> {
        let (cx, alone) = (self.cx.clone(), self.alone);
        (self.run)(cx, plan, inputs, alone).map(|r| r.map_err(|e| Cause::Workflow(Box::new(e)))).boxed()
    }
}

/// Extra threads of sync map workers taken from the runtime's allowance (at most [`MAX_THREADS`]
/// at once); given back when dropped.
struct ExtraThreads<'a> {
    count: &'a AtomicUsize,
    taken: usize,
}

impl<'a> ExtraThreads<'a> {
    /// Up to `wanted` threads, as many as are left.
    fn take(count: &'a AtomicUsize, wanted: usize) -> ExtraThreads<'a> {
        let mut taken = 0;
        let _ = count.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            taken = wanted.min(MAX_THREADS.saturating_sub(used));
            Some(used + taken)
        });
        ExtraThreads { count, taken }
    }
}

impl Drop for ExtraThreads<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(self.taken, Ordering::AcqRel);
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

    #[test]
    fn extra_threads_are_bounded_for_the_whole_runtime_and_given_back() {
        let count = AtomicUsize::new(0);
        let a = ExtraThreads::take(&count, MAX_THREADS - 10);
        let b = ExtraThreads::take(&count, 50);
        assert_eq!((a.taken, b.taken), (MAX_THREADS - 10, 10));
        assert_eq!(ExtraThreads::take(&count, 5).taken, 0, "none left");
        drop(a);
        assert_eq!(ExtraThreads::take(&count, 5).taken, 5);
        drop(b);
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }

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
