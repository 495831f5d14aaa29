//! Panics of tasks are failed attempts, reported through errors, events and `tracing`: the
//! default panic hook must not also print each one (with its backtrace) to stderr. Code that runs
//! user functions marks itself with [`quiet`]; the hook flowmap installs stays silent there and
//! hands every other panic to the hook that was installed before it.
//!
//! Where a caught panic happened is known only to the hook, not to `catch_unwind`: the hook keeps
//! it (with its message) for its thread, and [`panic_cause`] takes it on that same thread, where
//! the panic is caught. So panics of many threads at once each keep their own location.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

use crate::error::Cause;

thread_local! {
    /// Whether this thread is running user code whose panics flowmap catches.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The last quiet panic of this thread, until the code that caught it takes it.
    static LAST: RefCell<Option<Seen>> = const { RefCell::new(None) };
}

/// A quiet panic, as the hook saw it.
struct Seen {
    /// `src/main.rs:12:5`.
    location: String,
    message: String,
}

/// Installs the hook, once per process.
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let location = info.location().map(ToString::to_string);
                let message = panic_message(info.payload());
                tracing::debug!(location = location.as_deref().unwrap_or_default(), "a task panicked: {message}");
                let seen = location.map(|location| Seen { location, message });
                // A hook runs while the panicking thread holds no borrow of `LAST`; a panic
                // inside this hook would abort, so never `borrow_mut` what might be borrowed.
                LAST.with(|last| {
                    if let Ok(mut last) = last.try_borrow_mut() {
                        *last = seen;
                    }
                });
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

/// A caught panic as an attempt's failure: its message, and where it happened when this thread's
/// hook saw it (the last quiet panic of this thread, with the same message).
#[cold]
#[inline(never)]
pub(crate) fn panic_cause(panic: &(dyn Any + Send)) -> Cause {
    let message = panic_message(panic);
    let seen = LAST.with(|last| last.try_borrow_mut().ok().and_then(|mut last| last.take()));
    let location = seen.filter(|seen| seen.message == message).map(|seen| seen.location);
    Cause::panic(message, location)
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
