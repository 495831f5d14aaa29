//! `docs/semantics.md` (`flowmap::docs::semantics`), row by row: each test is named for the rule
//! it proves and would fail if the rule broke. Waiting is done with barriers and channels, not sleeps: a test that needs N
//! elements in flight at once blocks until they are, and `guard` turns a hang into a failure.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use flowmap::Runtime;
use flowmap::events::EventKind;
use flowmap::prelude::*;
use tokio::sync::Barrier;

/// Fails the test if `f` does not finish in 30 s (a rule that blocks forever is broken).
async fn guard<F: IntoFuture>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f).await.expect("blocked: the rule under test does not hold")
}

/// Counts elements in flight and the most seen at once.
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
    started: AtomicUsize,
}

impl Gauge {
    const fn new() -> Self {
        Gauge { now: AtomicUsize::new(0), max: AtomicUsize::new(0), started: AtomicUsize::new(0) }
    }
    fn enter(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

// ---- order ---------------------------------------------------------------------------------

#[task]
async fn finish_in_reverse(x: u64) -> u64 {
    // Later elements finish first.
    tokio::time::sleep(Duration::from_millis(40 - 4 * x)).await;
    x
}

#[workflow]
fn reverse(xs: Vec<u64>) -> Vec<u64> {
    map!(finish_in_reverse)(x = xs)
}

#[tokio::test]
async fn order_outputs_follow_input_order_not_completion_order() {
    assert_eq!(reverse((0..10).collect()).await.unwrap(), (0..10).collect::<Vec<_>>());
}

static MEET: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(2));

#[task]
async fn meet(x: i64) -> i64 {
    MEET.wait().await;
    x
}

#[workflow]
fn two_independent(a: i64, b: i64) -> (i64, i64) {
    (meet(a), meet(b))
}

#[tokio::test]
async fn order_independent_nodes_run_concurrently() {
    // Each node waits for the other: this finishes only if both run at once.
    assert_eq!(guard(two_independent(1, 2)).await.unwrap(), (1, 2));
}

// ---- ordering edges ------------------------------------------------------------------------

/// What the writers below wrote, by key.
static MARKERS: LazyLock<Mutex<std::collections::HashMap<String, String>>> = LazyLock::new(Default::default);

/// A side effect with no output, which takes a while.
#[task]
async fn write_marker(key: String, text: String) {
    tokio::time::sleep(Duration::from_millis(30)).await;
    MARKERS.lock().unwrap().insert(key, text);
}

#[task]
fn read_marker(key: String) -> Result<String, String> {
    MARKERS.lock().unwrap().get(&key).cloned().ok_or_else(|| format!("no marker `{key}` yet"))
}

/// The same read, taking the write's `()` as an input.
#[task]
fn read_marker_when(key: String, written: ()) -> Result<String, String> {
    let () = written;
    read_marker(key)
}

#[workflow]
fn write_then_read(key: String) -> String {
    let w = write_marker(key, "hello");
    read_marker(key).after(w)
}

#[workflow]
fn write_then_read_unit(key: String) -> String {
    let w = write_marker(key, "hi");
    read_marker_when(key, w)
}

#[workflow]
fn after_a_constant(key: String) -> String {
    let fixed = String::from("not a call");
    read_marker(key).after(fixed)
}

#[tokio::test]
async fn ordering_after_runs_a_node_only_once_the_named_calls_have_ended() {
    for i in 0..5 {
        assert_eq!(guard(write_then_read(format!("a{i}"))).await.unwrap(), "hello");
        assert_eq!(guard(write_then_read_unit(format!("b{i}"))).await.unwrap(), "hi");
    }
    let g = write_then_read.graph().unwrap();
    assert_eq!(g.nodes[1].after, ["n0"]);
    let json = serde_json::to_value(g).unwrap();
    assert_eq!(json["nodes"][1]["after"], serde_json::json!(["n0"]));
    assert!(g.to_dot().contains("\"n0\" -> \"n1\" [style=dashed, label=\"after\"]"), "{}", g.to_dot());
    let unit = write_then_read_unit.graph().unwrap();
    assert_eq!(
        serde_json::to_value(&unit.nodes[1].inputs[1].binding).unwrap(),
        serde_json::json!({"kind": "after", "node": "n0"})
    );
    let e = after_a_constant.graph().unwrap_err();
    assert!(
        e.report().to_string().contains("one of its arguments is a constant, not the result of a call"),
        "{}",
        e.report()
    );
}

// ---- concurrency ---------------------------------------------------------------------------

static WINDOW: Gauge = Gauge::new();
static WINDOW_FULL: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(3));

#[task]
async fn windowed(i: usize) -> usize {
    WINDOW.enter();
    if i < 3 {
        // The first three meet: three must be in flight together.
        WINDOW_FULL.wait().await;
    }
    if i == 1 || i == 2 {
        // Rolling, not batches: elements 1 and 2 wait until element 3 has started, which
        // happens only if element 0's slot is refilled while they still run.
        while WINDOW.started() < 4 {
            tokio::task::yield_now().await;
        }
    }
    WINDOW.leave();
    i
}

#[workflow]
fn window_of_three(xs: Vec<usize>) -> Vec<usize> {
    map!(windowed, concurrency = 3)(i = xs)
}

#[tokio::test]
async fn concurrency_is_a_rolling_window_of_exactly_n_unlike_flytekit_local_runs() {
    let out = guard(window_of_three((0..12).collect())).await.unwrap();
    assert_eq!(out, (0..12).collect::<Vec<_>>());
    assert_eq!(WINDOW.max(), 3, "at most, and at some instant exactly, 3 elements ran at once");
}

static ALL_TOGETHER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(20));

#[task]
async fn wait_for_all(i: usize) -> usize {
    ALL_TOGETHER.wait().await;
    i
}

#[workflow]
fn unbounded(xs: Vec<usize>) -> Vec<usize> {
    map!(wait_for_all)(i = xs)
}

#[tokio::test]
async fn concurrency_omitted_runs_twenty_waiting_elements_together() {
    assert_eq!(guard(unbounded((0..20).collect())).await.unwrap().len(), 20);
}

/// A meeting of `n` blocking calls: each waits until all `n` have arrived. A meeting that is not
/// full after 10 s is given up (every later call passes at once) and reported, so a failure does
/// not hang the test.
struct Meeting {
    n: usize,
    arrived: Mutex<usize>,
    all_here: std::sync::Condvar,
    given_up: AtomicBool,
    in_flight: Gauge,
}

impl Meeting {
    const fn new(n: usize) -> Self {
        Meeting {
            n,
            arrived: Mutex::new(0),
            all_here: std::sync::Condvar::new(),
            given_up: AtomicBool::new(false),
            in_flight: Gauge::new(),
        }
    }

    /// Blocks this thread, as blocking I/O would, until the meeting is full.
    fn attend(&self) {
        self.in_flight.enter();
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.all_here.notify_all();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while *arrived < self.n && !self.given_up.load(Ordering::SeqCst) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                self.given_up.store(true, Ordering::SeqCst);
                self.all_here.notify_all();
                break;
            }
            arrived = self.all_here.wait_timeout(arrived, left).unwrap().0;
        }
        drop(arrived);
        self.in_flight.leave();
    }

    /// The most calls in flight at once, and whether the meeting was full.
    fn outcome(&self) -> (usize, bool) {
        (self.in_flight.max(), !self.given_up.load(Ordering::SeqCst))
    }
}

static SIXTEEN_SYNC: Meeting = Meeting::new(16);

#[task(requests(cpu = "100m"))]
fn blocks_a_tenth_of_a_cpu(i: usize) -> usize {
    SIXTEEN_SYNC.attend();
    i
}

#[workflow]
fn sixteen_blocking(xs: Vec<usize>) -> Vec<usize> {
    map!(blocks_a_tenth_of_a_cpu, concurrency = 16)(i = xs)
}

#[tokio::test]
async fn concurrency_of_sync_elements_follows_their_cpu_requests_not_the_thread_pool() {
    // 16 calls of 100m fit 20 times in 2 CPUs: all 16 run at once, on 2 CPUs' worth of threads.
    let rt = Runtime::builder().cpus(2).build().unwrap();
    assert_eq!(rt.run(&sixteen_blocking, ((0..16).collect(),)).await.unwrap(), (0..16).collect::<Vec<_>>());
    assert_eq!(SIXTEEN_SYNC.outcome(), (16, true), "(most in flight, all 16 met)");
}

static SIXTEEN_TIMED: Meeting = Meeting::new(16);

#[task(requests(cpu = "100m"), timeout = "60s")]
fn blocks_a_tenth_of_a_cpu_with_a_timeout(i: usize) -> usize {
    SIXTEEN_TIMED.attend();
    i
}

#[workflow]
fn sixteen_blocking_timed(xs: Vec<usize>) -> Vec<usize> {
    map!(blocks_a_tenth_of_a_cpu_with_a_timeout, concurrency = 16)(i = xs)
}

#[tokio::test]
async fn concurrency_of_sync_elements_with_a_timeout_follows_their_cpu_requests_too() {
    let rt = Runtime::builder().cpus(2).build().unwrap();
    assert_eq!(rt.run(&sixteen_blocking_timed, ((0..16).collect(),)).await.unwrap().len(), 16);
    assert_eq!(SIXTEEN_TIMED.outcome(), (16, true), "(most in flight, all 16 met)");
}

static SIXTEEN_ASYNC: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(16));

#[task(requests(cpu = "100m"))]
async fn waits_on_a_tenth_of_a_cpu(i: usize) -> usize {
    SIXTEEN_ASYNC.wait().await;
    i
}

#[workflow]
fn sixteen_waiting(xs: Vec<usize>) -> Vec<usize> {
    map!(waits_on_a_tenth_of_a_cpu, concurrency = 16)(i = xs)
}

#[tokio::test]
async fn concurrency_of_async_elements_follows_their_cpu_requests() {
    let rt = Runtime::builder().cpus(2).build().unwrap();
    assert_eq!(guard(rt.run(&sixteen_waiting, ((0..16).collect(),))).await.unwrap().len(), 16);
}

static TWO_OF_TWO_CPUS: Meeting = Meeting::new(2);

#[task]
fn blocks_a_whole_cpu(i: usize) -> usize {
    TWO_OF_TWO_CPUS.attend();
    i
}

#[workflow]
fn sixteen_without_requests(xs: Vec<usize>) -> Vec<usize> {
    map!(blocks_a_whole_cpu, concurrency = 16)(i = xs)
}

#[tokio::test]
async fn concurrency_of_sync_elements_without_requests_is_the_runtimes_cpus() {
    // No request counts as one CPU each: 2 at once on 2 CPUs, whatever the `concurrency`.
    let rt = Runtime::builder().cpus(2).build().unwrap();
    assert_eq!(rt.run(&sixteen_without_requests, ((0..16).collect(),)).await.unwrap().len(), 16);
    assert_eq!(TWO_OF_TWO_CPUS.outcome(), (2, true), "(most in flight, 2 met)");
}

// ---- required successes, failed element, success ------------------------------------------

#[task]
fn fail_on_negative(x: i64) -> Result<i64, String> {
    if x < 0 { Err(format!("{x} is negative")) } else { Ok(x) }
}

#[workflow]
fn eight_tenths(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(fail_on_negative, min_success_ratio = 0.8)(x = xs)
}

#[workflow]
fn three_of(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(fail_on_negative, min_successes = 3)(x = xs)
}

#[tokio::test]
async fn required_successes_are_exact_where_flyte_float32_asks_nine_of_ten() {
    // ceil(0.8 × 10) = 8 exactly; Flyte computes ceil(0.8f32 × 10) = 9 and would fail this.
    let xs = vec![0, 1, 2, 3, 4, 5, 6, 7, -8, -9];
    let out = eight_tenths(xs).await.unwrap();
    assert_eq!(out.iter().filter(|o| o.is_some()).count(), 8);
    // One more failure and 8 are out of reach.
    let err = eight_tenths(vec![0, 1, 2, 3, 4, 5, 6, -7, -8, -9]).await.unwrap_err();
    assert_eq!(err.map_failure().unwrap().required, 8);
}

#[tokio::test]
async fn failed_element_is_none_at_its_index() {
    let out = three_of(vec![5, -1, 7, 8, -2]).await.unwrap();
    assert_eq!(out, [Some(5), None, Some(7), Some(8), None]);
}

#[tokio::test]
async fn success_is_reaching_min_successes_once_every_element_ended() {
    assert_eq!(three_of(vec![1, 2, 3, -4]).await.unwrap(), [Some(1), Some(2), Some(3), None]);
    // 3 of 3 required: the one failure makes success impossible. How many others had already
    // succeeded depends on scheduling; the counts always add up.
    let err = three_of(vec![1, 2, -3]).await.unwrap_err();
    let m = err.map_failure().unwrap();
    assert_eq!((m.failed, m.required, m.total), (1, 3, 3));
    assert_eq!(m.succeeded + m.failed + m.not_run, 3);
}

#[tokio::test]
async fn min_successes_larger_than_the_list_is_a_clear_error() {
    let msg = three_of(vec![1, 2]).await.unwrap_err().report().to_string();
    assert!(msg.contains("min_successes = 3 but the mapped list has only 2 elements; no element ran"), "{msg}");
}

#[tokio::test]
async fn min_successes_survives_serialization_unlike_flytekit() {
    let g = three_of.graph().unwrap();
    let back: flowmap::graph::Graph = serde_json::from_str(&g.to_json().unwrap()).unwrap();
    let m = back.nodes[0].map.as_ref().unwrap();
    assert_eq!(m.min_successes.map(std::num::NonZeroU64::get), Some(3));
    assert!(m.tolerant);
    let r = eight_tenths.graph().unwrap().nodes[0].map.clone().unwrap();
    assert_eq!(r.min_success_ratio.map(|r| r.to_string()).as_deref(), Some("0.8"));
    assert_eq!(serde_json::to_value(&r).unwrap()["min_success_ratio"], "0.8", "the ratio is written as the decimal");
}

// ---- empty list ----------------------------------------------------------------------------

#[workflow]
fn strict(xs: Vec<i64>) -> Vec<i64> {
    map!(fail_on_negative)(x = xs)
}

#[tokio::test]
async fn empty_list_succeeds_with_an_empty_output() {
    assert!(strict(vec![]).await.unwrap().is_empty());
    assert!(eight_tenths(vec![]).await.unwrap().is_empty());
}

// ---- early failure -------------------------------------------------------------------------

static EARLY: Gauge = Gauge::new();
static CANCELLED: AtomicBool = AtomicBool::new(false);

struct SetOnDrop(&'static AtomicBool);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[task]
async fn first_fails_second_hangs(i: usize) -> Result<usize, String> {
    EARLY.enter();
    if i == 0 {
        // Let element 1 start before failing.
        while EARLY.started() < 2 {
            tokio::task::yield_now().await;
        }
        return Err("element 0 is broken".into());
    }
    let _cancelled = SetOnDrop(&CANCELLED);
    std::future::pending::<()>().await;
    Ok(i)
}

#[workflow]
fn early(xs: Vec<usize>) -> Vec<usize> {
    map!(first_fails_second_hangs, concurrency = 2)(i = xs)
}

#[tokio::test]
async fn early_failure_cancels_running_elements_and_never_starts_pending_ones() {
    let err = guard(early((0..10).collect())).await.unwrap_err();
    assert!(CANCELLED.load(Ordering::SeqCst), "the running element was cancelled");
    assert_eq!(EARLY.started(), 2, "no pending element started");
    let m = err.map_failure().unwrap();
    assert_eq!((m.total, m.succeeded, m.failed, m.required, m.not_run), (10, 0, 1, 10, 9));
    assert_eq!(m.errors.len(), 1);
    assert_eq!((m.errors[0].index, m.errors[0].attempts), (Some(0), 1));
    assert!(err.report().to_string().contains("element 0 failed after 1 attempt: element 0 is broken"), "{err}");
}

static SERIAL: Gauge = Gauge::new();

#[task]
fn count_and_fail(i: usize) -> Result<usize, String> {
    SERIAL.enter();
    SERIAL.leave();
    if i == 0 { Err("first".into()) } else { Ok(i) }
}

#[workflow]
fn serial(xs: Vec<usize>) -> Vec<usize> {
    map!(count_and_fail, concurrency = 1)(i = xs)
}

#[tokio::test]
async fn early_failure_with_concurrency_one_runs_no_other_element() {
    assert!(serial((0..5).collect()).await.is_err());
    assert_eq!(SERIAL.started(), 1);
}

// ---- retries -------------------------------------------------------------------------------

static TRIES: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Element `i` fails its first `i` attempts.
#[task(retries = 2)]
fn fails_i_times(i: usize) -> Result<usize, String> {
    let mut tries = TRIES.lock().unwrap();
    if tries.len() <= i {
        tries.resize(i + 1, 0);
    }
    tries[i] += 1;
    if (tries[i] as usize) <= i { Err(format!("attempt {} of element {i}", tries[i])) } else { Ok(i) }
}

#[workflow]
fn retried(xs: Vec<usize>) -> Vec<Option<usize>> {
    map!(fails_i_times, min_successes = 1)(i = xs)
}

#[tokio::test]
async fn retries_are_per_element_and_each_attempt_is_independent() {
    let rt = Runtime::builder().build().unwrap();
    let mut events = rt.subscribe();
    let out = rt.run(&retried, (vec![0, 1, 2, 3],)).await.unwrap();
    // Elements 0..=2 succeed within 1 + 2 attempts; element 3 needs 4 and fails.
    assert_eq!(out, [Some(0), Some(1), Some(2), None]);
    assert_eq!(*TRIES.lock().unwrap(), [1, 2, 3, 3]);

    let mut retrying = Vec::new();
    let mut failed = Vec::new();
    while let Ok(e) = events.try_recv() {
        match e.kind {
            EventKind::ElementRetrying { index, attempt, .. } => retrying.push((index.unwrap(), attempt)),
            EventKind::ElementFailed { index, attempts, error } => failed.push((index.unwrap(), attempts, error)),
            _ => {}
        }
    }
    retrying.sort_unstable();
    assert_eq!(retrying, [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2)]);
    assert_eq!(failed, [(3, 3, "attempt 3 of element 3".to_owned())]);
}

// ---- timeout -------------------------------------------------------------------------------

static OVERSTAYING: Gauge = Gauge::new();

/// A sync call that outlives its timeout: its thread runs on after the attempt failed.
#[task(timeout = "20ms")]
fn overstays(x: i64) -> i64 {
    OVERSTAYING.enter();
    std::thread::sleep(Duration::from_millis(60));
    OVERSTAYING.leave();
    x
}

#[workflow]
fn overstaying(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(overstays, concurrency = 2, min_successes = 1)(x = xs)
}

#[tokio::test]
async fn timeout_a_sync_call_still_running_after_its_timeout_counts_against_concurrency() {
    let rt = Runtime::builder().cpus(4).build().unwrap();
    let err = guard(rt.run(&overstaying, (vec![1; 6],))).await.unwrap_err();
    assert_eq!(err.map_failure().map(|m| m.failed), Some(6), "every attempt timed out");
    assert_eq!(OVERSTAYING.started(), 6);
    assert!(OVERSTAYING.max() <= 2, "{} calls ran at once with concurrency = 2", OVERSTAYING.max());
}

static RETRIED: Gauge = Gauge::new();

#[task(retries = 2, timeout = "20ms")]
fn overstays_and_retries(x: i64) -> i64 {
    RETRIED.enter();
    std::thread::sleep(Duration::from_millis(60));
    RETRIED.leave();
    x
}

#[workflow]
fn retried_overstay(x: i64) -> i64 {
    overstays_and_retries(x)
}

#[tokio::test]
async fn timeout_a_retry_starts_only_when_the_timed_out_call_has_ended() {
    let err = guard(retried_overstay(1)).await.unwrap_err();
    assert!(err.report().to_string().contains("failed after 3 attempts: timed out after 20ms"), "{}", err.report());
    assert_eq!(RETRIED.started(), 3);
    assert_eq!(RETRIED.max(), 1, "two attempts of one call ran at once");
}

static TIMED_OUT_DROPPED: AtomicBool = AtomicBool::new(false);

#[task(timeout = "50ms")]
async fn never_done(x: i64) -> i64 {
    let _dropped = SetOnDrop(&TIMED_OUT_DROPPED);
    std::future::pending::<()>().await;
    x
}

#[task]
async fn also_never_done(x: i64) -> i64 {
    std::future::pending::<()>().await;
    x
}

#[workflow]
fn times_out(x: i64) -> i64 {
    never_done(x)
}

#[workflow]
fn times_out_by_override(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(also_never_done, min_successes = 1)(x = xs).with_overrides(timeout = "20ms", retries = 1)
}

#[tokio::test]
async fn timeout_fails_the_attempt_and_cancels_an_async_one() {
    let err = guard(times_out(1)).await.unwrap_err();
    assert!(err.report().to_string().contains("failed after 1 attempt: timed out after 50ms"), "{err}");
    assert!(TIMED_OUT_DROPPED.load(Ordering::SeqCst), "the timed-out future was dropped");

    let err = guard(times_out_by_override(vec![1, 2])).await.unwrap_err();
    let m = err.map_failure().unwrap();
    assert_eq!(m.failed, 2);
    assert!(m.errors.iter().all(|e| e.attempts == 2 && matches!(e.cause, flowmap::error::Cause::Timeout(_))), "{err}");
}

type Handoff = (Mutex<std::sync::mpsc::Sender<i64>>, Mutex<std::sync::mpsc::Receiver<i64>>);

static HANDOFF: LazyLock<Handoff> = LazyLock::new(|| {
    let (tx, rx) = std::sync::mpsc::channel();
    (Mutex::new(tx), Mutex::new(rx))
});

/// A sync task that blocks its thread until an async task hands it a value.
#[task]
fn blocking_wait(x: i64) -> Result<i64, String> {
    let rx = HANDOFF.1.lock().unwrap();
    rx.recv_timeout(Duration::from_secs(20)).map(|v| v + x).map_err(|e| format!("never handed a value: {e}"))
}

#[task]
async fn hand_over(x: i64) -> i64 {
    tokio::task::yield_now().await;
    HANDOFF.0.lock().unwrap().send(x).unwrap();
    x
}

#[workflow]
fn sync_beside_async(a: i64, b: i64) -> (i64, i64) {
    (blocking_wait(a), hand_over(b))
}

#[tokio::test]
async fn a_blocked_sync_task_never_stalls_async_ones() {
    // One worker thread: if the sync task ran on it, the async task could never hand it a value.
    let rt = Runtime::builder().cpus(1).build().unwrap();
    assert_eq!(guard(rt.run(&sync_beside_async, (1, 10))).await.unwrap(), (11, 10));
}

// ---- panics --------------------------------------------------------------------------------

const BOOM_LINE: u32 = line!() + 4;

#[task]
fn panics_on_three(x: i64) -> i64 {
    assert!(x != 3, "boom at {x}");
    x
}

#[workflow]
fn panicky(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(panics_on_three, min_success_ratio = 0.5)(x = xs)
}

#[workflow]
fn panicky_strict(xs: Vec<i64>) -> Vec<i64> {
    map!(panics_on_three)(x = xs)
}

#[tokio::test]
async fn panics_are_element_failures_with_their_message() {
    assert_eq!(panicky(vec![1, 3, 4]).await.unwrap(), [Some(1), None, Some(4)]);
    let err = panicky_strict(vec![3]).await.unwrap_err();
    let at = format!("element 0 failed after 1 attempt: panicked at {}:{BOOM_LINE}:5: boom at 3", file!());
    assert!(err.report().to_string().contains(&at), "{}", err.report());
}

// ---- inputs --------------------------------------------------------------------------------

static ZIPPED: Gauge = Gauge::new();

#[task]
fn join(a: i64, b: String, sep: String, extra: Vec<i64>) -> String {
    ZIPPED.enter();
    ZIPPED.leave();
    format!("{a}{sep}{b}{sep}{}", extra.len())
}

#[workflow]
fn zip(a: Vec<i64>, b: Vec<String>, extra: Vec<i64>) -> Vec<String> {
    map!(join, partial(sep = "-", extra = extra))(a = a, b = b)
}

#[tokio::test]
async fn inputs_are_zipped_and_partial_lists_go_whole_to_every_element() {
    let out = zip(vec![1, 2], vec!["x".into(), "y".into()], vec![7, 8, 9]).await.unwrap();
    assert_eq!(out, ["1-x-3", "2-y-3"]);
}

#[tokio::test]
async fn unequal_lengths_fail_before_any_element_runs_instead_of_truncating_like_flytekit() {
    let before = ZIPPED.started();
    let err = zip(vec![1, 2, 3], vec!["x".into()], vec![]).await.unwrap_err();
    assert!(err.report().to_string().contains("(`a` has 3, `b` has 1); no element ran"), "{err}");
    assert_eq!(ZIPPED.started(), before);
}

// ---- requests and limits -------------------------------------------------------------------

#[task(requests(mem = "1G", cpu = "250m"))]
fn needs_one_gigabyte(x: i64) -> i64 {
    x
}

#[workflow]
fn one_gigabyte(xs: Vec<i64>) -> Vec<i64> {
    map!(needs_one_gigabyte)(x = xs)
}

#[tokio::test]
async fn requests_equal_to_the_whole_capacity_fit() {
    let rt = Runtime::builder().cpus(1).memory("1G").build().unwrap();
    assert_eq!(rt.memory_bytes(), 1_000_000_000);
    assert_eq!(guard(rt.run(&one_gigabyte, (vec![1, 2, 3],))).await.unwrap(), [1, 2, 3]);
    let exact = Runtime::builder().memory("1e9").build().unwrap();
    assert_eq!(exact.memory_bytes(), 1_000_000_000, "memory(\"1e9\") is 10^9 bytes");
    assert_eq!(guard(exact.run(&one_gigabyte, (vec![4],))).await.unwrap(), [4]);
}

static ADMITTED: Gauge = Gauge::new();
static PAIR: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(2));

#[task(requests(mem = "2Gi"), limits(mem = "2Gi"))]
async fn needs_two_gi(i: usize) -> usize {
    ADMITTED.enter();
    if i < 2 {
        PAIR.wait().await;
    }
    tokio::task::yield_now().await;
    ADMITTED.leave();
    i
}

#[workflow]
fn memory_bound(xs: Vec<usize>) -> Vec<usize> {
    map!(needs_two_gi)(i = xs)
}

#[tokio::test]
async fn requests_admit_elements_by_capacity_two_2gi_on_4gi() {
    let rt = Runtime::builder().memory("4Gi").build().unwrap();
    let out = guard(rt.run(&memory_bound, ((0..10).collect(),))).await.unwrap();
    assert_eq!(out.len(), 10);
    assert_eq!(ADMITTED.max(), 2, "exactly two 2Gi elements fit in 4Gi");
}

#[tokio::test]
async fn limits_are_carried_in_the_graph_for_remote_backends() {
    let g = memory_bound.graph().unwrap();
    let limits = g.tasks["integration::semantics::needs_two_gi"].settings.limits.as_ref().unwrap();
    assert_eq!(limits.get(flowmap::graph::ResourceKey::Mem).map(flowmap::graph::Quantity::text), Some("2Gi"));
}

#[task(requests(gpu = "1"))]
fn needs_a_gpu(x: i64) -> i64 {
    x
}

#[workflow]
fn gpu_map(xs: Vec<i64>) -> Vec<i64> {
    map!(needs_a_gpu)(x = xs)
}

#[tokio::test]
async fn requests_larger_than_the_whole_capacity_fail_at_once() {
    let none = Runtime::builder().build().unwrap();
    let msg = guard(none.run(&gpu_map, (vec![1, 2],))).await.unwrap_err().report().to_string();
    assert!(msg.contains("requests gpu = \"1\" but the runtime's whole capacity is 0 GPUs"), "{msg}");
    let one = Runtime::builder().gpus(1).build().unwrap();
    assert_eq!(guard(one.run(&gpu_map, (vec![1, 2],))).await.unwrap(), [1, 2]);
}

// ---- errors and events ---------------------------------------------------------------------

#[tokio::test]
async fn errors_say_workflow_node_task_element_attempts_and_cause() {
    let err = strict(vec![1, -2]).await.unwrap_err();
    let msg = err.report().to_string();
    for part in
        ["workflow `strict`", "node `n0`", "map of task fail_on_negative", "element 1", "1 attempt", "-2 is negative"]
    {
        assert!(msg.contains(part), "`{part}` missing from: {msg}");
    }
    let m = err.map_failure().unwrap();
    assert_eq!(m.partial_outputs::<i64>(0).unwrap()[1], None);
}

#[task]
async fn fail_on_negative_async(x: i64) -> Result<i64, String> {
    fail_on_negative(x)
}

#[workflow]
fn tolerant_both_kinds(xs: Vec<i64>) -> (Vec<Option<i64>>, Vec<Option<i64>>) {
    let a = map!(fail_on_negative, min_success_ratio = 0.5)(x = xs);
    let b = map!(fail_on_negative_async, min_success_ratio = 0.5)(x = xs);
    (a, b)
}

/// What one subscriber received of the two maps of `tolerant_both_kinds`, read after the run.
#[derive(Debug, Default)]
struct Received {
    failed: Vec<(String, usize)>,
    detail: usize,
    skipped: u64,
    counts: Vec<flowmap::events::Counts>,
}

fn received(events: &mut flowmap::events::Subscriber) -> Received {
    let mut r = Received::default();
    while let Ok(e) = events.try_recv() {
        match e.kind {
            EventKind::ElementFailed { index, .. } => r.failed.push((e.node.unwrap().to_string(), index.unwrap())),
            EventKind::ElementStarted { index: Some(_), .. } | EventKind::ElementSucceeded { index: Some(_), .. } => {
                r.detail += 1;
            }
            EventKind::Skipped { events } => r.skipped += events,
            EventKind::NodeSucceeded { counts } => r.counts.push(counts),
            _ => {}
        }
    }
    r.failed.sort();
    r
}

#[tokio::test]
async fn no_element_failure_is_dropped_for_a_slow_subscriber_at_any_capacity() {
    let rt = Runtime::builder().build().unwrap();
    // Nobody reads until the run ends: the slowest subscriber there is.
    let mut plain = rt.subscribe();
    let mut by_capacity: Vec<(usize, flowmap::events::Subscriber)> =
        [0, 1, 100, 1 << 20].into_iter().map(|c| (c, rt.subscribe_elements(c))).collect();
    let n = 10_000usize;
    let xs: Vec<i64> = (0..n as i64).map(|i| if i % 1000 == 7 { -1 } else { i }).collect();
    let (a, b) = rt.run(&tolerant_both_kinds, (xs,)).await.unwrap();
    assert_eq!(a.iter().flatten().count(), n - 10);
    assert_eq!(b.iter().flatten().count(), n - 10);
    let expected: Vec<(String, usize)> =
        ["n0", "n1"].iter().flat_map(|node| (0..10).map(move |k| ((*node).to_owned(), k * 1000 + 7))).collect();

    let plain = received(&mut plain);
    assert_eq!(plain.failed, expected, "a plain subscriber gets every failure");
    assert_eq!((plain.detail, plain.skipped), (0, 0), "and no element's start or success");
    for counts in &plain.counts {
        assert_eq!((counts.succeeded, counts.failed, counts.retried, counts.cached), (n - 10, 10, 0, 0));
    }
    assert_eq!(plain.counts.len(), 2);

    // Each map publishes a start per element and a success per element that succeeded.
    let detail = 2 * (n + n - 10);
    for (capacity, events) in &mut by_capacity {
        let r = received(events);
        assert_eq!(r.failed, expected, "capacity {capacity}: every failure");
        assert_eq!(r.detail as u64 + r.skipped, detail as u64, "capacity {capacity}: the rest sent or counted");
        assert!(r.detail <= *capacity, "capacity {capacity}: at most that many waited");
        assert_eq!(r.counts.len(), 2);
    }
    assert_eq!(by_capacity[3].1.try_recv().unwrap_err(), flowmap::events::TryRecvError::Empty);
}

#[tokio::test]
async fn events_report_run_node_and_element_progress() {
    let rt = Runtime::builder().build().unwrap();
    let mut rx = rt.subscribe();
    rt.run(&eight_tenths, (vec![1, 2, -3],)).await.unwrap_err();
    let mut kinds = Vec::new();
    while let Ok(e) = rx.try_recv() {
        assert_eq!(&*e.workflow, "eight_tenths");
        kinds.push(e.kind);
    }
    assert_eq!(kinds.first(), Some(&EventKind::RunStarted));
    assert!(matches!(kinds.last(), Some(EventKind::RunFailed { .. })));
    assert!(
        kinds.contains(&EventKind::NodeStarted { target: "map of task fail_on_negative".into(), elements: Some(3) })
    );
    assert!(kinds.iter().any(|k| matches!(k, EventKind::ElementFailed { index: Some(2), attempts: 1, .. })));
    assert!(kinds.iter().any(|k| matches!(k, EventKind::NodeFailed { .. })));
}

static SYNC_FINISHED: AtomicBool = AtomicBool::new(false);
type Release = (Mutex<std::sync::mpsc::Sender<()>>, Mutex<std::sync::mpsc::Receiver<()>>);

static RELEASE: LazyLock<Release> = LazyLock::new(|| {
    let (tx, rx) = std::sync::mpsc::channel();
    (Mutex::new(tx), Mutex::new(rx))
});

/// Blocks its thread until released; a timeout cannot interrupt it.
#[task(timeout = "20ms")]
fn blocks_until_released(x: i64) -> i64 {
    let _ = RELEASE.1.lock().unwrap().recv_timeout(Duration::from_secs(20));
    SYNC_FINISHED.store(true, Ordering::SeqCst);
    x
}

#[workflow]
fn sync_timeout(x: i64) -> i64 {
    blocks_until_released(x)
}

#[tokio::test]
async fn timeout_of_a_sync_task_fails_the_attempt_while_its_thread_finishes_in_the_background() {
    let err = guard(sync_timeout(1)).await.unwrap_err();
    assert!(err.report().to_string().contains("timed out after 20ms"), "{err}");
    assert!(!SYNC_FINISHED.load(Ordering::SeqCst), "the attempt failed before the call returned");
    RELEASE.0.lock().unwrap().send(()).unwrap();
}

#[task]
fn plus_one(x: i64) -> i64 {
    x + 1
}

#[workflow]
fn second_node_fails(x: i64) -> i64 {
    let y = plus_one(x);
    let z = plus_one(y);
    fail_on_negative(z)
}

#[tokio::test]
async fn bad_input_loses_no_computed_result_the_error_keeps_finished_outputs() {
    let err = second_node_fails(-5).await.unwrap_err();
    assert_eq!(err.node(), Some("n2"));
    let done = err.completed().expect("a node error");
    // n2 reads n1, which reads n0: both finished before n2 failed, and the error keeps them.
    assert_eq!(done.nodes().collect::<Vec<_>>(), ["n0", "n1"]);
    assert_eq!(done.output::<i64>("n0", 0), Some(&-4));
    assert_eq!(done.output::<i64>("n1", 0), Some(&-3));
    assert_eq!(done.output::<String>("n0", 0), None, "a wrong type is None, not a panic");
    assert_eq!(done.output::<i64>("n2", 0), None, "the failed node has no output");
}
