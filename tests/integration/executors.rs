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
    check(rt.block_on(chain(1).into_future()).unwrap());
}

#[test]
fn inside_a_task_of_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    check(rt.block_on(async { tokio::spawn(chain(1).into_future()).await.unwrap() }).unwrap());
}

#[test]
fn under_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    check(rt.block_on(chain(1).into_future()).unwrap());
}

/// The smallest executor: poll, park until woken.
fn block_on<F: IntoFuture>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future.into_future());
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

// ---- a run never blocks its caller's task for long ---------------------------------------------

/// Meets another call: returns whether the other one arrived while this one waited.
fn rendezvous(place: &'static (std::sync::Mutex<usize>, std::sync::Condvar)) -> bool {
    let (count, changed) = place;
    let mut n = count.lock().unwrap();
    *n += 1;
    changed.notify_all();
    let target = n.div_ceil(2) * 2;
    let (n, _) = changed.wait_timeout_while(n, std::time::Duration::from_secs(10), |n| *n < target).unwrap();
    *n >= target
}

static JOINED: (std::sync::Mutex<usize>, std::sync::Condvar) = (std::sync::Mutex::new(0), std::sync::Condvar::new());

#[task]
fn meet_in_join(x: i64) -> bool {
    let _ = x;
    rendezvous(&JOINED)
}

#[workflow]
fn one_meeting(x: i64) -> bool {
    meet_in_join(x)
}

#[test]
fn two_runs_joined_in_one_task_run_at_once() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for _ in 0..3 {
        // If either run held the task's thread while its sync call waits, the other could not start.
        let (a, b) = rt.block_on(async { tokio::join!(one_meeting(1), one_meeting(2)) });
        assert_eq!((a.unwrap(), b.unwrap()), (true, true));
    }
}

#[task]
fn sleeps(ms: u64) -> u64 {
    std::thread::sleep(std::time::Duration::from_millis(ms));
    ms
}

#[workflow]
fn slow(ms: u64) -> u64 {
    sleeps(ms)
}

#[test]
fn a_deadline_on_a_run_fires_while_its_sync_call_runs() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        // Fast calls first, so the node's calls are known to be short...
        for _ in 0..3 {
            assert_eq!(slow(0).await.unwrap(), 0);
        }
        // ...then a slow one: the caller's timeout still fires.
        let out = tokio::time::timeout(std::time::Duration::from_millis(50), slow(2_000)).await;
        assert!(out.is_err(), "the run held its caller's thread: {out:?}");
    });
}

static PAIRED: (std::sync::Mutex<usize>, std::sync::Condvar) = (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A slow element (1 ms, far above the pace's "short" bar, so no run of it is ever taken
/// inline) that also waits for its partner.
#[task]
fn meet_in_map(x: i64) -> bool {
    let _ = x;
    std::thread::sleep(std::time::Duration::from_millis(1));
    rendezvous(&PAIRED)
}

#[workflow]
fn pairs(xs: Vec<i64>) -> Vec<bool> {
    map!(meet_in_map, concurrency = 2)(x = xs)
}

#[tokio::test]
async fn a_small_sync_map_of_slow_elements_runs_them_together() {
    let rt = flowmap::Runtime::builder().cpus(2).build().unwrap();
    for _ in 0..2 {
        assert_eq!(rt.run(&pairs, (vec![1, 2],)).await.unwrap(), [true, true]);
    }
}

// ---- the driver threads ------------------------------------------------------------------------

#[task]
async fn inner_step(x: i64) -> i64 {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    x + 1
}

#[workflow]
fn nested(x: i64) -> i64 {
    inner_step(x)
}

/// A task that runs another workflow and waits for it.
#[task]
async fn runs_inner(x: i64) -> Result<i64, flowmap::Error> {
    nested(x).await
}

#[workflow]
fn outer(x: i64) -> i64 {
    runs_inner(x)
}

#[test]
fn many_runs_at_once_that_wait_for_runs_of_their_own_all_finish() {
    // Far more runs than driver threads, each waiting for a nested run: none may starve another.
    let flowmap_rt = flowmap::Runtime::builder().cpus(2).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outs =
        rt.block_on(futures_util::future::join_all((0..200).map(|x| flowmap_rt.run(&outer, (x,)).into_future())));
    let outs: Vec<i64> = outs.into_iter().map(Result::unwrap).collect();
    assert_eq!(outs, (1..=200).collect::<Vec<_>>());
}

static FINISHED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[task]
async fn finishes_late(x: i64) -> i64 {
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    FINISHED.store(true, std::sync::atomic::Ordering::SeqCst);
    x
}

#[workflow]
fn late(x: i64) -> i64 {
    finishes_late(x)
}

#[test]
fn dropping_a_run_cancels_it() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let out = tokio::time::timeout(std::time::Duration::from_millis(20), late(1)).await;
        assert!(out.is_err(), "the run finished before its deadline");
        // Long after the run would have finished, had it not been cancelled.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    });
    assert!(!FINISHED.load(std::sync::atomic::Ordering::SeqCst), "the dropped run went on");
}

// ---- blocking entry points ---------------------------------------------------------------------

#[workflow]
fn doubled_total(#[default(vec![1, 2, 3])] xs: Vec<i64>) -> i64 {
    let doubled = map!(blocks, concurrency = 2)(x = xs);
    sum(doubled)
}

#[task]
fn sum(xs: Vec<i64>) -> i64 {
    xs.iter().sum()
}

/// A sync task that runs a whole workflow and waits for it, from inside a run.
#[task]
fn runs_a_workflow_blocking(x: i64) -> Result<i64, flowmap::Error> {
    flowmap::Runtime::global()?.run(&doubled_total, (vec![x, x],)).wait()
}

#[workflow]
fn blocking_inside(xs: Vec<i64>) -> Vec<i64> {
    map!(runs_a_workflow_blocking)(x = xs)
}

#[test]
fn block_on_runs_a_workflow_from_plain_code_with_no_runtime() {
    let rt = flowmap::Runtime::builder().cpus(2).build().unwrap();
    // `blocks` gives (x + 1) * 10.
    assert_eq!(rt.run(&doubled_total, (vec![1, 2],)).wait().unwrap(), 50);
    assert_eq!(rt.run_default(&doubled_total).wait().unwrap(), 90);
    // From tasks of a run, more of them than driver threads, each waiting for a workflow of its own.
    for _ in 0..3 {
        assert_eq!(
            rt.run(&blocking_inside, ((0..8).collect(),)).wait().unwrap(),
            (0..8).map(|x| 2 * (x + 1) * 10).collect::<Vec<_>>()
        );
    }
}

// ---- panics of tasks are not printed ------------------------------------------------------------

#[task]
fn panics_on_odd(x: i64) -> i64 {
    assert!(x % 2 == 0, "odd element {x}");
    x
}

#[task]
async fn panics_on_odd_async(x: i64) -> i64 {
    assert!(x % 2 == 0, "odd async element {x}");
    x
}

#[workflow]
fn tolerant_panics(xs: Vec<i64>) -> (Vec<Option<i64>>, Vec<Option<i64>>) {
    let sync = map!(panics_on_odd, min_success_ratio = 0.1)(x = xs);
    let not_sync = map!(panics_on_odd_async, min_success_ratio = 0.1)(x = xs);
    (sync, not_sync)
}

#[test]
fn tolerated_panics_print_nothing_while_other_panics_still_do() {
    if std::env::var_os("FLOWMAP_PANIC_CHILD").is_some() {
        let rt = flowmap::Runtime::builder().build().unwrap();
        let expected = [Some(0), None, Some(2), None, Some(4), None];
        for _ in 0..2 {
            let (a, b) = rt.run(&tolerant_panics, ((0..6).collect(),)).wait().unwrap();
            assert_eq!((a.as_slice(), b.as_slice()), (&expected[..], &expected[..]));
        }
        let _ = std::panic::catch_unwind(|| panic!("a panic outside flowmap"));
        return;
    }
    // In a child process, whose stderr is the real one.
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "executors::tolerated_panics_print_nothing_while_other_panics_still_do", "--nocapture"])
        .env("FLOWMAP_PANIC_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("odd element") && !stderr.contains("odd async element"), "{stderr}");
    assert!(stderr.contains("a panic outside flowmap"), "other panics still print: {stderr}");
}
