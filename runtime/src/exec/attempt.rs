//! One element (or one plain call): admission, attempts, retries, timeout, panics.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tracing::Instrument;

use crate::error::{Cause, ElementFailure};
use crate::events::{Emitter, EventKind};
use crate::exec::capacity::Request;
use crate::graph::EffectiveSettings;
use crate::runtime::RunContext;
use crate::target::{Invoke, Runnable};

/// Runs `target` on the input `input()` until an attempt succeeds or the retries are spent.
/// `events` is `None` when nobody listens (checked once per node, not per element).
pub(crate) async fn run_element<T: Runnable>(
    target: T,
    cx: &RunContext,
    events: Option<&Emitter>,
    settings: &EffectiveSettings,
    request: &Request,
    index: Option<usize>,
    input: impl Fn() -> T::Input,
) -> Result<T::Output, ElementFailure> {
    let mut attempt_no = 0;
    loop {
        attempt_no += 1;
        // Boxed: only elements with requests wait here, and the lane's future stays small.
        let permit = if *request == Request::NONE { None } else { Some(Box::pin(cx.capacity().admit(request)).await) };
        emit(events, || EventKind::ElementStarted { index, attempt: attempt_no });
        let span = tracing::debug_span!("element", index, attempt = attempt_no);
        let result = attempt(target, cx, settings, input()).instrument(span).await;
        drop(permit);
        match settle(events, settings, index, attempt_no, result) {
            Settled::Done(out) => return out,
            Settled::Retry => {}
        }
    }
}

/// The same on a thread that may block: a sync element of a map with no timeout, run in place
/// (no spawn, no allocation; a panic is caught around the call).
pub(crate) fn run_element_blocking<T: Runnable>(
    target: T,
    cx: &RunContext,
    events: Option<&Emitter>,
    settings: &EffectiveSettings,
    request: &Request,
    index: usize,
    input: impl Fn() -> T::Input,
) -> Result<T::Output, ElementFailure> {
    let mut attempt_no = 0;
    loop {
        attempt_no += 1;
        let permit = (*request != Request::NONE).then(|| cx.handle().block_on(cx.capacity().admit(request)));
        emit(events, || EventKind::ElementStarted { index: Some(index), attempt: attempt_no });
        let result = match target.invoke(cx, input()) {
            Invoke::Blocking(call) => std::panic::catch_unwind(AssertUnwindSafe(call))
                .unwrap_or_else(|panic| Err(Cause::Panic(panic_message(panic.as_ref())))),
            Invoke::Async(future) => cx
                .handle()
                .block_on(AssertUnwindSafe(future).catch_unwind())
                .unwrap_or_else(|panic| Err(Cause::Panic(panic_message(panic.as_ref())))),
        };
        drop(permit);
        match settle(events, settings, Some(index), attempt_no, result) {
            Settled::Done(out) => return out,
            Settled::Retry => {}
        }
    }
}

enum Settled<O> {
    Done(Result<O, ElementFailure>),
    Retry,
}

/// What an attempt's result means: done, or one more attempt.
#[inline]
fn settle<O>(
    events: Option<&Emitter>,
    settings: &EffectiveSettings,
    index: Option<usize>,
    attempt_no: u32,
    result: Result<O, Cause>,
) -> Settled<O> {
    match result {
        Ok(out) => {
            emit(events, || EventKind::ElementSucceeded { index, attempt: attempt_no });
            Settled::Done(Ok(out))
        }
        Err(cause) if attempt_no <= settings.retries => {
            tracing::debug!(?index, attempt = attempt_no, %cause, "attempt failed; retrying");
            emit(events, || EventKind::ElementRetrying { index, attempt: attempt_no, error: cause.to_string() });
            Settled::Retry
        }
        Err(cause) => {
            emit(events, || EventKind::ElementFailed { index, attempts: attempt_no, error: cause.to_string() });
            Settled::Done(Err(ElementFailure { index, attempts: attempt_no, cause }))
        }
    }
}

#[inline]
fn emit(events: Option<&Emitter>, kind: impl FnOnce() -> EventKind) {
    if let Some(e) = events {
        e.emit(kind);
    }
}

async fn attempt<T: Runnable>(
    target: T,
    cx: &RunContext,
    settings: &EffectiveSettings,
    input: T::Input,
) -> Result<T::Output, Cause> {
    match target.invoke(cx, input) {
        Invoke::Blocking(call) => {
            // A sync task runs on a blocking thread. On timeout the attempt fails at once, but the
            // thread cannot be stopped: it finishes in the background and its result is dropped.
            let handle = cx.handle().spawn_blocking(move || std::panic::catch_unwind(AssertUnwindSafe(call)));
            let joined = match settings.timeout {
                Some(d) => Box::pin(tokio::time::timeout(d, handle)).await.map_err(|_| Cause::Timeout(d))?,
                None => handle.await,
            };
            match joined {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => Err(Cause::Panic(panic_message(panic.as_ref()))),
                Err(join) => Err(Cause::Panic(join.to_string())),
            }
        }
        Invoke::Async(future) => {
            // An async attempt that times out is dropped, which cancels it.
            let future = AssertUnwindSafe(future).catch_unwind();
            // The timer is boxed: only attempts with a timeout pay for it.
            let caught = match settings.timeout {
                Some(d) => Box::pin(tokio::time::timeout(d, future)).await.map_err(|_| Cause::Timeout(d))?,
                None => future.await,
            };
            caught.unwrap_or_else(|panic| Err(Cause::Panic(panic_message(panic.as_ref()))))
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
