//! Live progress: counts a display samples while a run goes on, with no event per element.

use std::sync::atomic::{AtomicU32, Ordering};

use flowmap::Runtime;
use flowmap::prelude::*;
use flowmap::progress::{NodeProgress, NodeState};
use tokio::sync::Semaphore;

/// Elements from 3 on wait here until the test lets them go.
static GATE: Semaphore = Semaphore::const_new(0);
static FLAKY: AtomicU32 = AtomicU32::new(0);

#[task(retries = 1)]
async fn gated(x: i64) -> Result<i64, String> {
    if x >= 3 {
        GATE.acquire().await.map_err(|e| e.to_string())?.forget();
    }
    // Element 1 fails once, then succeeds on its retry; a negative element fails for good.
    if x == 1 && FLAKY.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err("flaky".into());
    }
    if x < 0 { Err(format!("{x} is negative")) } else { Ok(x) }
}

#[workflow]
fn gated_map(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(gated, min_success_ratio = 0.5)(x = xs)
}

async fn until(progress: &flowmap::progress::Progress, done: impl Fn(&NodeProgress) -> bool) -> NodeProgress {
    for _ in 0..10_000 {
        if let Some(node) = progress.snapshot().into_iter().find(|n| done(n)) {
            return node;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!("the progress never showed the expected counts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_map_shows_its_counts_then_its_end() {
    let rt = Runtime::builder().build().unwrap();
    let before = rt.progress();
    assert_eq!(before.snapshot(), [], "nothing runs yet");

    let progress = rt.progress();
    let rt = std::sync::Arc::new(rt);
    let run = tokio::spawn({
        let rt = rt.clone();
        async move { rt.run(&gated_map, (vec![0, 1, 2, -1, 3, 4],)).await }
    });
    // 0, 1 (after a retry) and 2 succeed; -1 fails for good; 3 and 4 wait at the gate.
    let node = until(&progress, |n| n.succeeded == 3 && n.failed == 1).await;
    assert_eq!(node.elements, Some(6));
    assert_eq!(node.retried, 2, "element 1 once, element -1 once before it failed for good");
    assert_eq!(node.state, NodeState::Running);
    assert_eq!(&*node.target, "map of task gated");
    assert_eq!((&*node.workflow, &*node.node), ("gated_map", "n0"));

    GATE.add_permits(2);
    let out = run.await.unwrap().unwrap();
    assert_eq!(out, [Some(0), Some(1), Some(2), None, Some(3), Some(4)]);
    let last = progress.snapshot();
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!((last[0].succeeded, last[0].failed, last[0].state), (5, 1, NodeState::Succeeded));
    assert_eq!(progress.snapshot(), [], "an ended node is shown once more, then no more");
}

#[tokio::test]
async fn a_sync_map_counts_every_element_by_its_end() {
    let rt = Runtime::builder().build().unwrap();
    let progress = rt.progress();
    rt.run(&doubled, ((0..10_000).collect(),)).await.unwrap();
    let last = progress.snapshot();
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!((last[0].elements, last[0].succeeded, last[0].state), (Some(10_000), 10_000, NodeState::Succeeded));
}

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn doubled(xs: Vec<i64>) -> Vec<i64> {
    map!(double)(x = xs)
}

#[tokio::test]
async fn nobody_watching_nothing_is_kept() {
    let rt = Runtime::builder().build().unwrap();
    rt.run(&doubled, (vec![0, 3, 4],)).await.unwrap();
    assert_eq!(rt.progress().snapshot(), [], "a run before the watcher is not tracked");
}

#[tokio::test]
async fn every_watcher_sees_every_node_to_its_end() {
    let rt = Runtime::builder().build().unwrap();
    let (bars, mine) = (rt.progress(), rt.progress());
    rt.run(&doubled, ((0..100).collect(),)).await.unwrap();
    // The first watcher's snapshot does not take the ended node from the second.
    let first = bars.snapshot();
    let second = mine.snapshot();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(second, first);
    assert_eq!(second[0].state, NodeState::Succeeded);
    // Each reports an ended node once.
    assert_eq!((bars.snapshot(), mine.snapshot()), (vec![], vec![]));
    // A watcher made later sees only what starts after it; a dropped one holds nothing back.
    drop(bars);
    let late = rt.progress();
    rt.run(&doubled, (vec![1],)).await.unwrap();
    assert_eq!(late.snapshot().len(), 1);
    assert_eq!(mine.snapshot().len(), 1);
}
