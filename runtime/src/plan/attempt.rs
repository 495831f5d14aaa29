//! One element (or one plain call): admission, attempts, retries, timeout, panics.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_util::FutureExt;
use futures_util::future::{Either, select};
use tracing::Instrument;

use crate::error::{Cause, ElementFailure};
use crate::panics::{Quiet, panic_cause};
use crate::plan::kernel::{Invoke, Kernel};
use crate::plan::{Attempt, Blocked, CallKernel, Permit, Policy};
use crate::value::Value;

impl Policy<'_> {
    /// What an attempt's result means: done, or one more attempt.
    #[inline]
    fn settle<O>(
        &self,
        index: Option<usize>,
        attempt: u32,
        result: Result<O, Cause>,
    ) -> Option<Result<O, ElementFailure>> {
        match result {
            Ok(out) => {
                self.observer.succeeded(index, attempt);
                Some(Ok(out))
            }
            Err(cause) if attempt <= self.retries => {
                self.observer.retrying(index, attempt, &cause);
                None
            }
            Err(cause) => {
                self.observer.failed(index, attempt, &cause);
                Some(Err(ElementFailure { index, attempts: attempt, cause }))
            }
        }
    }

    /// An async attempt under this policy's timeout; a panic is a failed attempt.
    async fn guarded<O>(&self, future: impl Future<Output = Result<O, Cause>>) -> Result<O, Cause> {
        let caught = AssertUnwindSafe(Quiet { inner: future }).catch_unwind();
        let result = match self.timeout {
            // The timer is boxed: only attempts with a timeout pay for it. Dropping the attempt
            // on timeout cancels it.
            Some(d) => match select(Box::pin(caught), self.hooks.sleep(d)).await {
                Either::Left((caught, _)) => caught,
                Either::Right(((), _)) => return Err(Cause::timeout(d)),
            },
            None => caught.await,
        };
        result.unwrap_or_else(|panic| Err(panic_cause(panic.as_ref())))
    }

    /// A blocking call on a thread the executor picks, holding `permit` until it really ends. A
    /// call that timed out comes back with the call itself, still running.
    async fn blocking<O: Send + 'static>(
        &self,
        call: impl FnOnce() -> Result<O, Cause> + Send + 'static,
        permit: Permit,
    ) -> (Result<O, Cause>, Option<Lingering>) {
        let pace = self.hooks.pace();
        let job = move || {
            let started = Instant::now();
            let out = call();
            pace.observe(started.elapsed(), 1);
            Box::new(out) as Box<dyn Any + Send>
        };
        let Blocked { result, lingering } = self.hooks.blocking(Box::new(job), 1, self.timeout, permit).await;
        let result = result.and_then(|out| match out.downcast::<Result<O, Cause>>() {
            Ok(result) => *result,
            Err(_) => Err(Cause::Workflow(Box::new(crate::Error::Internal("a blocking call returned the wrong type")))),
        });
        (result, lingering)
    }
}

/// A timed-out blocking call that still runs on its thread.
type Lingering = futures_util::future::BoxFuture<'static, ()>;

/// Runs `kernel` on the input `input()` until an attempt succeeds or the retries are spent.
///
/// A sync attempt that timed out fails at once (its events are published), but its thread cannot
/// be stopped: the next attempt, or the next element of the lane, starts only when that thread is
/// free, so an element never runs twice at once and `concurrency` counts running calls.
pub(crate) async fn run_element<K: Kernel>(
    kernel: K,
    policy: &Policy<'_>,
    index: Option<usize>,
    input: impl Fn() -> K::Input,
) -> Result<K::Output, ElementFailure> {
    let mut n = 0;
    loop {
        n += 1;
        // Boxed: only elements with requests wait here, and a lane's future stays small.
        let mut permit = if policy.admitted { Box::pin(policy.hooks.admit()).await } else { Permit::NONE };
        policy.observer.started(index, n);
        let span = tracing::debug_span!("element", index, attempt = n);
        let (result, lingering) = attempt(kernel, policy, input(), &mut permit).instrument(span).await;
        drop(permit);
        let done = policy.settle(index, n, result);
        if let Some(call) = lingering {
            call.await;
        }
        if let Some(done) = done {
            return done;
        }
    }
}

/// One attempt of a typed kernel. A blocking call takes the permit along to its thread.
async fn attempt<K: Kernel>(
    kernel: K,
    policy: &Policy<'_>,
    input: K::Input,
    permit: &mut Permit,
) -> (Result<K::Output, Cause>, Option<Lingering>) {
    match kernel.call(input, policy.hooks) {
        Invoke::Blocking(call) => policy.blocking(call, std::mem::replace(permit, Permit::NONE)).await,
        Invoke::Async(future) => (policy.guarded(future).await, None),
    }
}

/// The same on a thread that may block: a sync element of a map with no timeout, run in place
/// (no spawn, no allocation; a panic is caught around the call). The caller runs it inside
/// `panics::quiet`, once per chunk of elements.
///
/// `first`: the result of a first attempt already made (by the plain loop of a chunk), which
/// this settles before any other.
pub(crate) fn run_element_blocking<K: Kernel>(
    kernel: K,
    policy: &Policy<'_>,
    index: usize,
    first: Option<Result<K::Output, Cause>>,
    input: impl Fn() -> K::Input,
) -> Result<K::Output, ElementFailure> {
    let mut n = 0;
    if let Some(result) = first {
        n = 1;
        if let Some(done) = policy.settle(Some(index), n, result) {
            return done;
        }
    }
    loop {
        n += 1;
        let permit = if policy.admitted { policy.hooks.admit_blocking() } else { Permit::NONE };
        policy.observer.started(Some(index), n);
        let result = match kernel.call(input(), policy.hooks) {
            Invoke::Blocking(call) => std::panic::catch_unwind(AssertUnwindSafe(call))
                .unwrap_or_else(|panic| Err(panic_cause(panic.as_ref()))),
            // Not reached: only sync kernels run here. A future would need an executor.
            Invoke::Async(_) => {
                Err(Cause::Workflow(Box::new(crate::Error::Internal("an async element ran on a blocking thread"))))
            }
        };
        drop(permit);
        if let Some(done) = policy.settle(Some(index), n, result) {
            return done;
        }
    }
}

/// A plain call node: erased, so one instance serves every target.
pub(crate) async fn run_call(
    kernel: &dyn CallKernel,
    policy: &Policy<'_>,
    inputs: &[Value],
) -> Result<Vec<Value>, ElementFailure> {
    let mut n = 0;
    loop {
        n += 1;
        let permit = if policy.admitted { policy.hooks.admit().await } else { Permit::NONE };
        policy.observer.started(None, n);
        let span = tracing::debug_span!("call", attempt = n);
        let (result, lingering) = async {
            match kernel.invoke(inputs, policy.hooks) {
                Ok(Attempt::Blocking(call)) => policy.blocking(call, permit).await,
                Ok(Attempt::Async(future)) => {
                    let result = policy.guarded(future).await;
                    drop(permit);
                    (result, None)
                }
                // Inputs of the wrong type: a flowmap bug, reported as this attempt's error.
                Err(e) => (Err(Cause::Error(Box::new(e))), None),
            }
        }
        .instrument(span)
        .await;
        match policy.settle(None, n, result) {
            // The node's last word is not held back by a call that timed out.
            Some(done) => return done,
            // A retry waits until the timed-out call's thread is free: never two at once.
            None => {
                if let Some(call) = lingering {
                    call.await;
                }
            }
        }
    }
}
