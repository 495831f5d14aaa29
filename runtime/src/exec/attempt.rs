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
use crate::target::{Invoke, Target};

/// Runs `target` on the input `input()` until an attempt succeeds or the retries are spent.
pub(crate) async fn run_element<T: Target>(
    target: T,
    cx: &RunContext,
    events: &Emitter,
    settings: &EffectiveSettings,
    request: &Request,
    index: Option<usize>,
    input: impl Fn() -> T::Input,
) -> Result<T::Output, ElementFailure> {
    let mut attempt_no = 0;
    loop {
        attempt_no += 1;
        let permit = cx.capacity().admit(request).await;
        events.emit(|| EventKind::ElementStarted { index, attempt: attempt_no });
        let span = tracing::debug_span!("element", index, attempt = attempt_no);
        let result = attempt(target, cx, settings, input()).instrument(span).await;
        drop(permit);
        match result {
            Ok(out) => {
                events.emit(|| EventKind::ElementSucceeded { index, attempt: attempt_no });
                return Ok(out);
            }
            Err(cause) if attempt_no <= settings.retries => {
                tracing::debug!(?index, attempt = attempt_no, %cause, "attempt failed; retrying");
                events.emit(|| EventKind::ElementRetrying { index, attempt: attempt_no, error: cause.to_string() });
            }
            Err(cause) => {
                events.emit(|| EventKind::ElementFailed { index, attempts: attempt_no, error: cause.to_string() });
                return Err(ElementFailure { index, attempts: attempt_no, cause });
            }
        }
    }
}

async fn attempt<T: Target>(
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
                Some(d) => tokio::time::timeout(d, handle).await.map_err(|_| Cause::Timeout(d))?,
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
            let caught = match settings.timeout {
                Some(d) => tokio::time::timeout(d, future).await.map_err(|_| Cause::Timeout(d))?,
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
