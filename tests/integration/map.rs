//! `map!`: the seed page's three workflows, success rules, `partial`, zipped inputs, mapping a
//! workflow, and overrides that stay on their node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flowmap::prelude::*;

const THRESHOLD: i64 = 11;

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > THRESHOLD
}

#[workflow]
fn map_workflow(#[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data)
}

#[workflow]
fn map_workflow_with_resource_overrides(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data).with_overrides(requests(mem = "2Gi"))
}

#[workflow]
fn map_workflow_with_additional_params(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<Option<bool>> {
    map!(detect_anomalies, concurrency = 1, min_success_ratio = 0.75)(data_point = data)
}

const EXPECTED: [bool; 10] = [false, true, false, false, true, true, true, false, true, false];

#[tokio::test]
async fn the_seed_workflows_run_with_their_defaults() {
    let rt = flowmap::Runtime::global().unwrap();
    assert_eq!(rt.run_default(&map_workflow).await.unwrap(), EXPECTED);
    assert_eq!(rt.run_default(&map_workflow_with_resource_overrides).await.unwrap(), EXPECTED);
    let tolerant = rt.run_default(&map_workflow_with_additional_params).await.unwrap();
    assert_eq!(tolerant, EXPECTED.map(Some));
}

#[test]
fn the_seed_graphs_record_map_settings_and_overrides() {
    let g = map_workflow_with_additional_params.graph().unwrap();
    let n = &g.nodes[0];
    assert_eq!(n.kind, flowmap::graph::NodeKind::Map);
    assert_eq!(
        serde_json::to_value(n.map.as_ref().unwrap()).unwrap(),
        serde_json::json!({
            "concurrency": 1, "min_success_ratio": "0.75", "min_successes": null,
            "tolerant": true, "mapped": ["data_point"], "partial": []
        })
    );
    assert_eq!(n.outputs[0].ty.short(), "list<optional<boolean>>");
    let dot = g.to_dot();
    assert!(dot.contains(r#"label="n0: map(detect_anomalies)\nconcurrency=1, min_success_ratio=0.75""#), "{dot}");

    let o = &map_workflow_with_resource_overrides.graph().unwrap().nodes[0];
    assert_eq!(serde_json::to_value(&o.overrides).unwrap(), serde_json::json!({"requests": {"mem": "2Gi"}}));
    assert_eq!(o.map.as_ref().unwrap().concurrency, None);
    assert!(!o.map.as_ref().unwrap().tolerant);
    assert!(map_workflow.graph().unwrap().nodes[0].overrides.is_empty());
}

/// Fails for negative inputs.
#[task]
fn non_negative(x: i64) -> Result<i64, String> {
    if x < 0 { Err(format!("{x} < 0")) } else { Ok(x) }
}

#[workflow]
fn three_quarters(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(non_negative, min_success_ratio = 0.75)(x = xs)
}

#[workflow]
fn at_least_two(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(non_negative, min_successes = 2)(x = xs)
}

#[workflow]
fn strict(xs: Vec<i64>) -> Vec<i64> {
    map!(non_negative)(x = xs)
}

#[workflow]
fn ratio_of_one(xs: Vec<i64>) -> Vec<i64> {
    map!(non_negative, min_success_ratio = 1.0)(x = xs)
}

#[tokio::test]
async fn failed_elements_become_none_when_tolerated() {
    // 10 elements, 2 fail: 8 >= ceil(0.75 * 10) = 8.
    let xs = vec![1, -2, 3, 4, 5, 6, -7, 8, 9, 10];
    let out = three_quarters(xs).await.unwrap();
    assert_eq!(out, [Some(1), None, Some(3), Some(4), Some(5), Some(6), None, Some(8), Some(9), Some(10)]);
    assert_eq!(at_least_two(vec![-1, 2, 3]).await.unwrap(), [None, Some(2), Some(3)]);
    assert_eq!(ratio_of_one(vec![1, 2]).await.unwrap(), [1, 2]);
}

#[tokio::test]
async fn too_many_failures_fail_the_node_with_counts_and_errors() {
    // 3 failures of 10: at most 7 can succeed, 8 are required.
    let err = three_quarters(vec![1, -2, 3, -4, 5, 6, -7, 8, 9, 10]).await.unwrap_err();
    let m = err.map_failure().expect("a map failure");
    assert_eq!((m.total, m.required, m.failed), (10, 8, 3));
    assert_eq!(m.succeeded + m.failed + m.not_run, 10);
    assert!(m.errors.iter().all(|e| e.index.is_some() && e.attempts == 1));
    let msg = err.report().to_string();
    assert!(msg.contains("map of task non_negative"), "{msg}");
    assert!(msg.contains("are required"), "{msg}");
    assert!(msg.contains("< 0"), "{msg}");
    // What succeeded before the failure is kept.
    let partial = m.partial_outputs::<i64>(0).unwrap();
    assert_eq!(partial.len(), 10);
    for (i, v) in partial.iter().enumerate() {
        if let Some(v) = v {
            assert_eq!(*v, [1, -2, 3, -4, 5, 6, -7, 8, 9, 10][i]);
        }
    }

    let strict_err = strict(vec![1, -1]).await.unwrap_err();
    assert_eq!(strict_err.map_failure().unwrap().required, 2);
}

#[tokio::test]
async fn empty_lists_succeed_and_min_successes_above_the_length_is_an_error() {
    assert_eq!(strict(vec![]).await.unwrap(), Vec::<i64>::new());
    assert_eq!(three_quarters(vec![]).await.unwrap(), Vec::<Option<i64>>::new());
    let e = at_least_two(vec![1]).await.unwrap_err().report().to_string();
    assert!(e.contains("min_successes = 2 but the mapped list has only 1 element; no element ran"), "{e}");
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MAX_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

#[task]
async fn tracked(x: i64) -> i64 {
    let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
    MAX_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(5)).await;
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    x
}

#[workflow]
fn one_at_a_time(xs: Vec<i64>) -> Vec<i64> {
    map!(tracked, concurrency = 1)(x = xs)
}

#[tokio::test]
async fn concurrency_one_runs_one_element_at_a_time() {
    let out = one_at_a_time((0..8).collect()).await.unwrap();
    assert_eq!(out, (0..8).collect::<Vec<_>>());
    assert_eq!(MAX_IN_FLIGHT.load(Ordering::SeqCst), 1);
}

#[task]
fn scale(x: i64, factor: i64, offsets: Vec<i64>) -> i64 {
    x * factor + offsets.iter().sum::<i64>()
}

#[task]
fn pair(a: i64, b: String) -> String {
    format!("{a}{b}")
}

#[workflow]
fn with_partial(xs: Vec<i64>, factor: i64) -> Vec<i64> {
    map!(scale, partial(factor = factor, offsets = vec![1, 2]))(x = xs)
}

#[workflow]
fn zipped(a: Vec<i64>, b: Vec<String>) -> Vec<String> {
    map!(pair)(a, b)
}

#[tokio::test]
async fn partial_inputs_go_whole_to_every_element() {
    assert_eq!(with_partial(vec![1, 2, 3], 10).await.unwrap(), [13, 23, 33]);
    let g = with_partial.graph().unwrap();
    let m = g.nodes[0].map.as_ref().unwrap();
    assert_eq!(m.mapped, ["x"]);
    assert_eq!(m.partial, ["factor", "offsets"]);
}

#[tokio::test]
async fn several_mapped_inputs_are_zipped() {
    let out = zipped(vec![1, 2], vec!["a".into(), "b".into()]).await.unwrap();
    assert_eq!(out, ["1a", "2b"]);
    let err = zipped(vec![1, 2, 3], vec!["a".into()]).await.unwrap_err().report().to_string();
    assert!(err.contains("mapped inputs have different lengths (`a` has 3, `b` has 1); no element ran"), "{err}");
}

#[workflow]
fn inc_then_check(x: i64) -> bool {
    let y = scale(x, 1, vec![1]);
    detect_anomalies(y)
}

#[workflow]
fn map_over_workflow(xs: Vec<i64>) -> Vec<bool> {
    map!(inc_then_check, concurrency = 2)(x = xs)
}

#[tokio::test]
async fn a_workflow_can_be_mapped() {
    assert_eq!(map_over_workflow(vec![10, 11, 12]).await.unwrap(), [false, true, true]);
    let g = map_over_workflow.graph().unwrap();
    assert_eq!(g.nodes[0].kind, flowmap::graph::NodeKind::Map);
    assert_eq!(g.nodes[0].target.kind, flowmap::graph::TargetKind::Workflow);
    assert!(g.workflows.contains_key("integration::map::inc_then_check"));
}

static ATTEMPTS: Mutex<Option<HashMap<i64, u32>>> = Mutex::new(None);

/// For an odd input, fails on the first attempt and succeeds on the second; even inputs succeed.
#[task]
fn flaky(x: i64) -> Result<i64, String> {
    let mut guard = ATTEMPTS.lock().unwrap();
    let n = guard.get_or_insert_with(HashMap::new).entry(x).or_insert(0);
    *n += 1;
    if x % 2 == 1 && *n == 1 { Err(format!("first attempt for {x}")) } else { Ok(x) }
}

#[workflow]
fn overrides_stay_on_their_node(a: Vec<i64>, b: Vec<i64>) -> (Vec<Option<i64>>, Vec<Option<i64>>) {
    let retried = map!(flaky, min_successes = 1)(x = a).with_overrides(retries = 1, requests(mem = "1Gi"));
    let plain = map!(flaky, min_successes = 1)(x = b);
    (retried, plain)
}

#[tokio::test]
async fn overrides_apply_to_their_node_only() {
    let (retried, plain) = overrides_stay_on_their_node(vec![1, 2], vec![101, 102]).await.unwrap();
    assert_eq!(retried, [Some(1), Some(2)], "retries = 1 on this node gives each element a second attempt");
    assert_eq!(plain, [None, Some(102)], "the other node of the same task keeps retries = 0");
    let g = overrides_stay_on_their_node.graph().unwrap();
    assert_eq!(g.nodes[0].overrides.retries, Some(1));
    let mem = g.nodes[0].overrides.requests.as_ref().and_then(|r| r.get(flowmap::graph::ResourceKey::Mem));
    assert_eq!(mem.map(flowmap::graph::Quantity::text), Some("1Gi"));
    assert!(g.nodes[1].overrides.is_empty());
    assert_eq!(g.tasks["integration::map::flaky"].settings.retries, None, "the task itself is unchanged");
}

#[workflow]
fn too_big(xs: Vec<i64>) -> Vec<bool> {
    map!(detect_anomalies)(data_point = xs).with_overrides(requests(mem = "64Gi"))
}

#[tokio::test]
async fn a_request_above_capacity_fails_at_once() {
    let rt = flowmap::Runtime::builder().cpus(2).memory("4Gi").build().unwrap();
    let e = rt.run(&too_big, (vec![1, 2],)).await.unwrap_err().report().to_string();
    assert!(e.contains("requests mem = \"64Gi\" but the runtime's whole capacity is 4Gi of memory"), "{e}");
    // The seed's 2Gi override runs on a 4Gi runtime.
    assert_eq!(rt.run_default(&map_workflow_with_resource_overrides).await.unwrap(), EXPECTED);
}

#[task]
fn div_rem(a: i64, b: i64) -> Result<(i64, i64), String> {
    if b == 0 { Err(format!("{a} / 0")) } else { Ok((a / b, a % b)) }
}

#[workflow]
fn many_outputs(a: Vec<i64>, b: i64) -> (Vec<i64>, Vec<i64>) {
    map!(div_rem, partial(b = b))(a = a)
}

#[workflow]
fn many_outputs_tolerant(a: Vec<i64>, b: Vec<i64>) -> (Vec<Option<i64>>, Vec<Option<i64>>) {
    map!(div_rem, min_successes = 1)(a = a, b = b)
}

#[tokio::test]
async fn a_task_with_several_outputs_maps_to_one_list_per_output() {
    assert_eq!(many_outputs(vec![7, 9, 10], 4).await.unwrap(), (vec![1, 2, 2], vec![3, 1, 2]));
    let (q, r) = many_outputs_tolerant(vec![7, 9, 10], vec![2, 0, 3]).await.unwrap();
    assert_eq!(q, [Some(3), None, Some(3)]);
    assert_eq!(r, [Some(1), None, Some(1)]);
    let err = many_outputs(vec![1, 2], 0).await.unwrap_err();
    let m = err.map_failure().unwrap();
    assert_eq!(m.partial_outputs::<i64>(1).map(Vec::len), Some(2), "partial outputs per output");
    let g = many_outputs_tolerant.graph().unwrap();
    let types: Vec<String> = g.nodes[0].outputs.iter().map(|p| p.ty.short()).collect();
    assert_eq!(types, ["list<optional<integer>>", "list<optional<integer>>"]);
}
