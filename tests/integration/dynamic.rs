//! `#[dynamic]`: a node whose body runs with its inputs' values and builds the graph that then
//! runs in the same run.

use std::sync::atomic::{AtomicUsize, Ordering};

use flowmap::events::EventKind;
use flowmap::prelude::*;

#[task]
fn report(region: String, day: String) -> String {
    format!("{region} on {day}")
}

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[task]
fn total(xs: Vec<i64>) -> i64 {
    xs.iter().sum()
}

/// The example: a node per region.
#[dynamic]
fn per_region(regions: Vec<String>, day: String) -> Vec<String> {
    regions.iter().map(|r| report(r.clone(), day.clone())).collect()
}

#[workflow]
fn daily(regions: Vec<String>, day: String) -> Vec<String> {
    per_region(regions, day)
}

#[tokio::test]
async fn a_dynamic_adds_a_node_per_value_and_runs_them() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let mut events = rt.subscribe();
    let out = rt.run(&daily, (vec!["eu".into(), "us".into(), "ap".into()], "monday".into())).await.unwrap();
    assert_eq!(out, ["eu on monday", "us on monday", "ap on monday"]);
    let mut inner = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EventKind::NodeSucceeded { .. } = e.kind
            && &*e.workflow == "per_region"
        {
            inner.push(e.node.unwrap().to_string());
        }
    }
    inner.sort();
    assert_eq!(inner, ["n0", "n1", "n2"]);
    // The graph holds the dynamic as a task marked dynamic; its inner nodes are known only when it runs.
    let g = daily.graph().unwrap();
    assert_eq!(g.nodes.len(), 1);
    let spec = g.tasks.values().find(|t| t.function == "per_region").unwrap();
    assert!(spec.dynamic);
}

#[tokio::test]
async fn an_empty_dynamic_returns_an_empty_list() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&daily, (vec![], "monday".into())).await.unwrap(), Vec::<String>::new());
}

/// Chained calls, a plain helper, a `map!`, a sub-workflow, several outputs.
fn limit(xs: &[i64]) -> usize {
    xs.len().min(3)
}

#[workflow]
fn doubled_total(xs: Vec<i64>) -> i64 {
    let d = map!(double)(x = xs);
    total(d)
}

#[dynamic]
fn shaped(xs: Vec<i64>, twice: bool) -> (i64, Vec<i64>) {
    let mut firsts = Vec::new();
    for x in xs.iter().take(limit(&xs)) {
        let once = double(*x);
        firsts.push(if twice { double(once) } else { once });
    }
    let all = map!(double)(x = xs.clone());
    let sum = if xs.is_empty() { total(vec![]) } else { doubled_total(xs) };
    let _ = all;
    (sum, firsts)
}

#[workflow]
fn shaped_wf(xs: Vec<i64>, twice: bool) -> (i64, Vec<i64>) {
    shaped(xs, twice)
}

#[tokio::test]
async fn a_dynamic_body_is_ordinary_rust_around_calls() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&shaped_wf, (vec![1, 2, 3, 4], true)).await.unwrap(), (20, vec![4, 8, 12]));
    assert_eq!(rt.run(&shaped_wf, (vec![5], false)).await.unwrap(), (10, vec![10]));
    assert_eq!(rt.run(&shaped_wf, (vec![], false)).await.unwrap(), (0, vec![]));
}

/// A `Vec` output from a `map!`, and a dynamic mapped over lists.
#[dynamic]
fn doubled(xs: Vec<i64>) -> Vec<i64> {
    map!(double, concurrency = 2)(x = xs)
}

#[workflow]
fn doubled_lists(lists: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    map!(doubled)(xs = lists)
}

#[tokio::test]
async fn a_dynamic_returns_a_map_and_can_be_mapped() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let out = rt.run(&doubled_lists, (vec![vec![1, 2], vec![], vec![3]],)).await.unwrap();
    assert_eq!(out, [vec![2, 4], vec![], vec![6]]);
}

#[task]
fn check(x: i64) -> Result<i64, String> {
    if x < 0 { Err(format!("{x} is negative")) } else { Ok(x) }
}

#[dynamic]
fn checked(xs: Vec<i64>) -> Vec<i64> {
    xs.into_iter().map(|x| check(x)).collect()
}

#[workflow]
fn checked_wf(xs: Vec<i64>) -> Vec<i64> {
    checked(xs)
}

#[tokio::test]
async fn a_failed_inner_node_fails_the_dynamic_naming_both() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&checked_wf, (vec![1, 2],)).await.unwrap(), [1, 2]);
    let e = rt.run(&checked_wf, (vec![1, -2, 3],)).await.unwrap_err();
    let chain = e.report().to_string();
    assert!(chain.contains("workflow `checked_wf` failed at node `n0` (dynamic checked)"), "{chain}");
    assert!(chain.contains("workflow `checked` failed at node `n1` (task check)"), "{chain}");
    assert!(chain.contains("-2 is negative"), "{chain}");
}

static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);

#[task]
fn flaky(x: i64) -> Result<i64, String> {
    if ATTEMPTS.fetch_add(1, Ordering::SeqCst) == 0 { Err("first attempt fails".into()) } else { Ok(x) }
}

static BODIES: AtomicUsize = AtomicUsize::new(0);

#[dynamic(retries = 1)]
fn retried(x: i64) -> i64 {
    BODIES.fetch_add(1, Ordering::SeqCst);
    flaky(x)
}

#[workflow]
fn retried_wf(x: i64) -> i64 {
    retried(x)
}

#[tokio::test]
async fn a_retry_of_a_dynamic_runs_its_body_again() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&retried_wf, (7,)).await.unwrap(), 7);
    assert_eq!(BODIES.load(Ordering::SeqCst), 2);
    assert_eq!(ATTEMPTS.load(Ordering::SeqCst), 2);
}

#[dynamic]
fn panicking(x: i64) -> i64 {
    assert!(x >= 0, "x must not be negative");
    double(x)
}

#[workflow]
fn panicking_wf(x: i64) -> i64 {
    panicking(x)
}

#[tokio::test]
async fn a_panic_in_the_body_fails_the_attempt() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&panicking_wf, (2,)).await.unwrap(), 4);
    let e = rt.run(&panicking_wf, (-1,)).await.unwrap_err();
    assert!(e.report().to_string().contains("x must not be negative"), "{}", e.report());
}

#[dynamic]
fn many(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| double(i)).collect()
}

#[workflow]
fn many_wf(n: usize) -> Vec<i64> {
    many(n)
}

#[tokio::test]
async fn a_dynamic_of_a_thousand_nodes_runs_each() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let out = rt.run(&many_wf, (1000,)).await.unwrap();
    assert_eq!(out.len(), 1000);
    assert_eq!(out[999], 1998);
    assert_eq!(rt.run(&many_wf, (1,)).await.unwrap(), [0]);
}

/// A Flyte package holds a dynamic as a plain task template (its pod writes `futures.pb`); a
/// `map!` of a dynamic is refused, naming it.
#[cfg(feature = "flyte")]
#[test]
fn a_flyte_package_holds_a_dynamic_and_refuses_a_map_of_one() {
    let package = flowmap::flyte::Package::new("img").workflow(&daily).unwrap();
    assert!(package.task_names().any(|n| n.ends_with(".per_region")), "{:?}", package.task_names().collect::<Vec<_>>());
    let Err(e) = flowmap::flyte::Package::new("img").workflow(&doubled_lists) else { panic!("a map of a dynamic") };
    let text = e.to_string();
    assert!(text.contains("a `map!` of `#[dynamic]` `doubled`"), "{text}");
}

static FAILED_TWICE: AtomicUsize = AtomicUsize::new(0);

/// Fails its first two attempts.
#[task]
fn fails_twice(x: i64) -> Result<i64, String> {
    let attempt = FAILED_TWICE.fetch_add(1, Ordering::SeqCst) + 1;
    if attempt <= 2 { Err(format!("attempt {attempt} fails")) } else { Ok(x) }
}

/// `.with_overrides(..)` on a call in a dynamic body: the node gets them, as in a workflow body.
#[dynamic]
fn overridden(x: i64) -> i64 {
    fails_twice(x).with_overrides(retries = 2, timeout = "1m", requests(cpu = 1, mem = "1Gi"), name = "patient")
}

#[workflow]
fn overridden_wf(x: i64) -> i64 {
    overridden(x)
}

#[tokio::test]
async fn retries_given_by_with_overrides_in_a_dynamic_body_retry_the_inner_node() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let mut events = rt.subscribe();
    assert_eq!(rt.run(&overridden_wf, (5,)).await.unwrap(), 5);
    assert_eq!(FAILED_TWICE.load(Ordering::SeqCst), 3, "two failed attempts, then one that succeeds");
    let (mut retried, mut shown) = (0, Vec::new());
    while let Ok(e) = events.try_recv() {
        match e.kind {
            EventKind::ElementRetrying { .. } if &*e.workflow == "overridden" => retried += 1,
            EventKind::NodeStarted { target, .. } if &*e.workflow == "overridden" => shown.push(target.to_string()),
            _ => {}
        }
    }
    assert_eq!(retried, 2);
    // `name = ".."` names the node.
    assert_eq!(shown, ["task patient"]);
}

/// Without the override, the same task is not retried: the override is what retries it.
static FAILED_ONCE: AtomicUsize = AtomicUsize::new(0);

#[task]
fn fails_once(x: i64) -> Result<i64, String> {
    if FAILED_ONCE.fetch_add(1, Ordering::SeqCst) == 0 { Err("the first attempt fails".into()) } else { Ok(x) }
}

#[dynamic]
fn not_overridden(x: i64) -> i64 {
    fails_once(x)
}

#[workflow]
fn not_overridden_wf(x: i64) -> i64 {
    not_overridden(x)
}

#[tokio::test]
async fn without_the_override_the_inner_node_is_not_retried() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let e = rt.run(&not_overridden_wf, (5,)).await.unwrap_err();
    assert!(e.report().to_string().contains("the first attempt fails"), "{}", e.report());
    assert_eq!(FAILED_ONCE.load(Ordering::SeqCst), 1);
}

/// Each element's first attempt fails.
static SEEN: std::sync::Mutex<Vec<i64>> = std::sync::Mutex::new(Vec::new());

#[task]
fn first_attempt_fails(x: i64) -> Result<i64, String> {
    let mut seen = SEEN.lock().unwrap();
    if seen.contains(&x) {
        return Ok(x * 10);
    }
    seen.push(x);
    Err(format!("first attempt of {x}"))
}

/// A `map!` in a dynamic body takes `.with_overrides(..)` too: `retries` per element.
#[dynamic]
fn overridden_map(xs: Vec<i64>) -> Vec<i64> {
    map!(first_attempt_fails, concurrency = 2)(x = xs).with_overrides(retries = 1)
}

#[workflow]
fn overridden_map_wf(xs: Vec<i64>) -> Vec<i64> {
    overridden_map(xs)
}

#[tokio::test]
async fn a_map_in_a_dynamic_body_takes_overrides() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&overridden_map_wf, (vec![1, 2, 3],)).await.unwrap(), [10, 20, 30]);
    assert_eq!(SEEN.lock().unwrap().len(), 3);
}

/// What each `note` call wrote, by key.
static NOTES: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

#[task]
fn note(key: String, tag: String) {
    NOTES.lock().unwrap().push((key, tag));
}

#[task]
fn notes(key: String) -> Vec<String> {
    NOTES.lock().unwrap().iter().filter(|(k, _)| *k == key).map(|(_, t)| t.clone()).collect()
}

/// `.after(..)` in a dynamic body: a node runs once the calls named have ended, though no value
/// flows from them; a `Done`, a promise or a `Vec` of them, on a call or a `map!`.
#[dynamic]
fn ordered(key: String, n: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let first = note(key.clone(), "first".to_owned());
    let second = note(key.clone(), "second".to_owned()).after(first);
    let mut all = vec![first, second];
    for i in 0..n {
        let next = note(key.clone(), format!("more {i}")).after(&all);
        all.push(next);
    }
    let read = notes(key.clone()).after(all);
    let keys = vec![key.clone(), key];
    (read, map!(notes)(key = keys).with_overrides(retries = 0).after(read))
}

#[workflow]
fn ordered_wf(key: String, n: usize) -> (Vec<String>, Vec<Vec<String>>) {
    ordered(key, n)
}

#[tokio::test]
async fn after_in_a_dynamic_body_orders_calls_that_pass_no_value() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    for round in 0..3 {
        let key = format!("k{round}");
        let mut events = rt.subscribe();
        let (read, mapped) = rt.run(&ordered_wf, (key.clone(), 2)).await.unwrap();
        assert_eq!(read, ["first", "second", "more 0", "more 1"]);
        assert_eq!(mapped, [read.clone(), read]);
        // Each inner node starts only once every node it is after has succeeded.
        let mut order = Vec::new();
        while let Ok(e) = events.try_recv() {
            if &*e.workflow != "ordered" {
                continue;
            }
            let node = e.node.map(|n| n.to_string()).unwrap_or_default();
            match e.kind {
                EventKind::NodeStarted { .. } => order.push(format!("start {node}")),
                EventKind::NodeSucceeded { .. } => order.push(format!("end {node}")),
                _ => {}
            }
        }
        let at = |what: &str| order.iter().position(|e| e == what).unwrap_or_else(|| panic!("{what}: {order:?}"));
        for (node, afters) in [("n1", &["n0"][..]), ("n2", &["n0", "n1"]), ("n3", &["n0", "n1", "n2"])] {
            for after in afters {
                assert!(at(&format!("end {after}")) < at(&format!("start {node}")), "{node} after {after}: {order:?}");
            }
        }
        assert!(at("end n3") < at("start n4") && at("end n4") < at("start n5"), "{order:?}");
    }
}
