//! Panics of tasks are failed attempts, reported through errors, events and `tracing`: the
//! default panic hook must not also print each one (with its backtrace) to stderr. Code that runs
//! user functions marks itself with [`quiet`]; the hook flowmap installs stays silent there and
//! hands every other panic to the hook that was installed before it.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

thread_local! {
    /// Whether this thread is running user code whose panics flowmap catches.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Installs the hook, once per process.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let location = info.location().map(ToString::to_string).unwrap_or_default();
                tracing::debug!(%location, "a task panicked: {}", panic_message(info.payload()));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with its panics caught by flowmap, so not printed by the hook.
pub(crate) fn quiet<R>(f: impl FnOnce() -> R) -> R {
    let outer = QUIET.with(|q| q.replace(true));
    let _restore = Restore(outer);
    f()
}

/// Restores the flag however `quiet`'s function ends.
struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(self.0));
    }
}

pin_project_lite::pin_project! {
    /// A future whose panics flowmap catches: quiet while it is polled.
    pub(crate) struct Quiet<F> {
        #[pin]
        pub(crate) inner: F,
    }
}

impl<F: Future> Future for Quiet<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        quiet(|| inner.poll(cx))
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
