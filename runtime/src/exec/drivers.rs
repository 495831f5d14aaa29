//! The threads that drive runs.
//!
//! Each run is a task polled by one of the runtime's driver threads: plain threads, outside any
//! tokio runtime, but inside the runtime's context (`Handle::current()`, timers, I/O and blocking
//! threads work there). So the caller's task only waits for a run, runs started together run in
//! parallel, and a short blocking call can run in place on the driver thread with no hand-off:
//! blocking is allowed there, as on any blocking thread (`Handle::block_on`, blocking clients).
//!
//! Why not tokio's workers: blocking is not allowed on one (`Handle::block_on` panics there), so
//! every sync call would go to a blocking thread. Measured for issue 19 (`bench_map`, runs
//! spawned on the workers instead): a chain of 1,024 sync calls took 25–39 µs per node against
//! about 1, and a run of one sync call 17–53 µs against 5–7; async runs were even.
//!
//! The runtime has as many drivers as CPUs (at most 256): runs started together progress in
//! parallel, even while some drivers run short sync calls in place. An idle driver sleeps on the
//! queue's condition variable; it never spins.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

thread_local! {
    /// Whether this thread is a driver thread.
    static ON_DRIVER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is one of the runtime's driver threads.
pub(crate) fn on_driver() -> bool {
    ON_DRIVER.with(Cell::get)
}

/// Blocks this thread until `future` is done: the smallest executor, for blocking entry points.
pub(crate) fn wait<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// The queue of runs ready to be polled, shared by the driver threads.
struct Queue {
    state: Mutex<State>,
    wakeup: Condvar,
}

struct State {
    ready: VecDeque<Arc<Task>>,
    /// Driver threads asleep on `wakeup`: a push wakes one only if there is one.
    sleeping: usize,
    /// Set when the runtime is dropped.
    closed: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, task: Arc<Task>) {
        let mut state = self.lock();
        if state.closed {
            // The runtime is gone: the run is dropped (after the lock is released).
            drop(state);
            return;
        }
        state.ready.push_back(task);
        let sleeping = state.sleeping > 0;
        drop(state);
        if sleeping {
            self.wakeup.notify_one();
        }
    }

    /// The next task to poll; `None` once the runtime is dropped. An idle driver sleeps at once:
    /// it never spins (measured for issue 19: looking again for 50 µs saved one wake-up, about
    /// 1 µs, per run started while a driver was idle, at the price of a busy core).
    fn pop(&self) -> Option<Arc<Task>> {
        let mut state = self.lock();
        loop {
            if state.closed {
                return None;
            }
            if let Some(task) = state.ready.pop_front() {
                return Some(task);
            }
            state.sleeping += 1;
            state = self.wakeup.wait(state).unwrap_or_else(PoisonError::into_inner);
            state.sleeping -= 1;
        }
    }
}

/// One run: its future, polled by whichever driver thread takes it from the queue.
struct Task {
    future: Mutex<Option<BoxFuture<'static, ()>>>,
    /// Whether it is in the queue (so a wake does not queue it twice).
    queued: AtomicBool,
    /// Set when the caller stopped waiting: the next poll drops the run instead.
    cancelled: AtomicBool,
    queue: Weak<Queue>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel)
            && let Some(queue) = self.queue.upgrade()
        {
            queue.push(self);
        }
    }
}

impl Task {
    /// Polls the run once, on this driver thread.
    fn run(self: Arc<Self>) {
        self.queued.store(false, Ordering::Release);
        let mut slot = self.future.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(future) = slot.as_mut() else { return };
        if self.cancelled.load(Ordering::Acquire) {
            *slot = None;
            return;
        }
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        if future.as_mut().poll(&mut cx).is_ready() {
            *slot = None;
        }
    }
}

/// The driver threads of one runtime. Dropping it stops them once their current poll ends.
pub(crate) struct Drivers {
    queue: Arc<Queue>,
}

impl fmt::Debug for Drivers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drivers").finish_non_exhaustive()
    }
}

impl Drivers {
    /// Starts `threads` driver threads in the context of `handle`.
    pub(crate) fn start(threads: usize, handle: &tokio::runtime::Handle) -> std::io::Result<Drivers> {
        let queue = Arc::new(Queue {
            state: Mutex::new(State { ready: VecDeque::new(), sleeping: 0, closed: false }),
            wakeup: Condvar::new(),
        });
        for i in 0..threads.max(1) {
            let (queue, handle) = (queue.clone(), handle.clone());
            std::thread::Builder::new().name(format!("flowmap-driver-{i}")).spawn(move || {
                let _context = handle.enter();
                ON_DRIVER.with(|d| d.set(true));
                while let Some(task) = queue.pop() {
                    task.run();
                }
            })?;
        }
        Ok(Drivers { queue })
    }

    /// Starts `future` on a driver thread; the handle gives its output, or `Err` if it panicked.
    pub(crate) fn spawn<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> RunHandle<T> {
        let (tx, rx) = oneshot::channel();
        let body = async move {
            let _ = tx.send(AssertUnwindSafe(future).catch_unwind().await.map_err(|_| Panicked));
        };
        let task = Arc::new(Task {
            future: Mutex::new(Some(Box::pin(body))),
            queued: AtomicBool::new(true),
            cancelled: AtomicBool::new(false),
            queue: Arc::downgrade(&self.queue),
        });
        self.queue.push(task.clone());
        RunHandle { rx, task }
    }
}

impl Drop for Drivers {
    fn drop(&mut self) {
        // Runs still queued are dropped here (outside the lock: dropping a run may wake another);
        // the threads end after their current poll.
        let queued = {
            let mut state = self.queue.lock();
            state.closed = true;
            std::mem::take(&mut state.ready)
        };
        self.queue.wakeup.notify_all();
        drop(queued);
    }
}

/// A run panicked outside any task (a flowmap bug).
#[derive(Debug)]
pub(crate) struct Panicked;

/// Waits for a run; dropping it cancels the run.
pub(crate) struct RunHandle<T> {
    rx: oneshot::Receiver<Result<T, Panicked>>,
    task: Arc<Task>,
}

/// Why a run gave no output.
#[derive(Debug)]
pub(crate) enum Lost {
    /// It panicked outside any task.
    Panicked,
    /// The runtime was dropped first.
    Stopped,
}

impl<T> Future for RunHandle<T> {
    type Output = Result<T, Lost>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx).map(|r| match r {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(Panicked)) => Err(Lost::Panicked),
            Err(_) => Err(Lost::Stopped),
        })
    }
}

impl<T> Drop for RunHandle<T> {
    fn drop(&mut self) {
        self.task.cancelled.store(true, Ordering::Release);
        Waker::from(self.task.clone()).wake();
    }
}
