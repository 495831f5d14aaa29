//! A workflow runs under any executor, and a sync task may block wherever the run is polled: a
//! sync call that runs in place on the polling thread is still on a thread where blocking is
//! allowed (`Handle::block_on`, creating and dropping a runtime, as blocking clients do).

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use flowmap::prelude::*;

/// What blocking clients do inside: start a runtime, block on it, drop it.
#[task]
fn blocks(x: i64) -> i64 {
    let inner = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let y = inner.block_on(async move { x + 1 });
    drop(inner);
    // And block on the handle of the runtime this task runs under.
    tokio::runtime::Handle::current().block_on(async move { y * 10 })
}

#[task]
async fn waits(x: i64) -> i64 {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    x
}

#[task]
fn three(x: i64) -> Vec<i64> {
    vec![x / 20, x / 20 + 1, x / 20 + 2]
}

/// Each node is alone when it runs, so its sync calls may run in place on the polling thread.
#[workflow]
fn chain(x: i64) -> (i64, Vec<i64>) {
    let a = blocks(x);
    let b = waits(a);
    let list = map!(blocks)(x = three(b));
    (b, list)
}

const EXPECTED: (i64, [i64; 3]) = (20, [20, 30, 40]);

fn check(out: (i64, Vec<i64>)) {
    assert_eq!((out.0, out.1.as_slice()), (EXPECTED.0, &EXPECTED.1[..]));
}

#[test]
fn under_a_multi_thread_block_on() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    check(rt.block_on(chain(1)).unwrap());
}

#[test]
fn inside_a_task_of_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    check(rt.block_on(async { tokio::spawn(chain(1)).await.unwrap() }).unwrap());
}

#[test]
fn under_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    check(rt.block_on(chain(1)).unwrap());
}

/// The smallest executor: poll, park until woken.
fn block_on<F: Future>(future: F) -> F::Output {
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

#[test]
fn under_no_tokio_runtime_at_all() {
    check(block_on(chain(1)).unwrap());
}
