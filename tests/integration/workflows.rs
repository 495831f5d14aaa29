//! `#[workflow]`: arguments, bindings, tuple outputs, constants, defaults, sub-workflows, and
//! running under both tokio flavors and on a configured runtime.

use flowmap::prelude::*;
use serde::{Deserialize, Serialize};

#[task]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[task]
fn mul(a: i64, b: i64) -> i64 {
    a * b
}

#[task]
fn div_rem(a: i64, b: i64) -> (i64, i64) {
    (a / b, a % b)
}

#[task]
async fn slow_inc(x: i64) -> i64 {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    x + 1
}

#[task]
fn describe(label: String, values: Vec<i64>) -> String {
    format!("{label}: {values:?}")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Stats {
    count: usize,
    total: i64,
}

#[task]
fn stats(values: Vec<i64>) -> Stats {
    Stats { count: values.len(), total: values.iter().sum() }
}

#[task]
fn fail_if_negative(x: i64) -> Result<i64, String> {
    if x < 0 { Err(format!("{x} is negative")) } else { Ok(x) }
}

/// Positional and named arguments, a promise used twice, a constant.
#[workflow]
fn arithmetic(x: i64, y: i64) -> i64 {
    let s = add(x, y);
    let p = mul(a = s, b = s);
    add(p, 1)
}

/// Tuple destructuring and a tuple tail.
#[workflow]
fn quotient(a: i64, b: i64) -> (i64, i64) {
    let (q, r) = div_rem(a, b);
    (r, q)
}

/// A workflow called inside a workflow is a sub-workflow node.
#[workflow]
fn nested(x: i64) -> i64 {
    let inner = arithmetic(x, 2);
    slow_inc(inner)
}

#[workflow]
fn with_defaults(#[default(3)] x: i64, #[default(String::from("n"))] label: String) -> String {
    let doubled = mul(x, 2);
    describe(label, map!(add, partial(b = doubled))(a = vec![1, 2, 3]))
}

#[workflow]
fn structs(values: Vec<i64>) -> Stats {
    stats(values)
}

#[workflow]
fn failing(x: i64) -> i64 {
    fail_if_negative(x)
}

#[workflow]
fn needs_input(x: i64) -> i64 {
    add(x, 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_under_multi_thread_tokio() {
    assert_eq!(arithmetic(2, 3).await.unwrap(), 26);
    assert_eq!(quotient(17, 5).await.unwrap(), (2, 3));
    assert_eq!(nested(1).await.unwrap(), 11);
}

#[tokio::test(flavor = "current_thread")]
async fn runs_under_current_thread_tokio() {
    assert_eq!(arithmetic(1, 1).await.unwrap(), 5);
    assert_eq!(nested(0).await.unwrap(), 6);
    assert_eq!(structs(vec![1, 2, 3]).await.unwrap(), Stats { count: 3, total: 6 });
}

#[test]
fn runs_when_the_callers_runtime_has_no_timer_or_io_driver() {
    // flowmap runs on its own runtime; the caller's only has to poll the returned future.
    let bare = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(bare.block_on(arithmetic(3, 4).into_future()).unwrap(), 50);
}

#[tokio::test]
async fn a_configured_runtime_runs_with_inputs_or_defaults() {
    let rt = flowmap::Runtime::builder().cpus(4).memory("8Gi").build().unwrap();
    assert_eq!(rt.cpus(), 4.0);
    assert_eq!(rt.memory_bytes(), 8 << 30);
    assert_eq!(rt.run(&arithmetic, (2, 3)).await.unwrap(), 26);
    assert_eq!(rt.run_default(&with_defaults).await.unwrap(), "n: [7, 8, 9]");
    assert_eq!(rt.run(&with_defaults, (1, "m".into())).await.unwrap(), "m: [3, 4, 5]");
}

#[test]
fn runtime_builder_rejects_bad_settings() {
    let e = flowmap::Runtime::builder().memory("lots").build().unwrap_err();
    assert!(matches!(e, flowmap::Error::Config(_)));
    assert!(e.report().to_string().contains("\"lots\" is not a resource quantity"), "{e}");
    assert!(flowmap::Runtime::builder().cpus(0).build().unwrap_err().report().to_string().contains("at least one CPU"));
}

#[tokio::test]
async fn a_task_error_names_workflow_node_and_task() {
    let err = failing(-4).await.unwrap_err();
    let msg = err.report().to_string();
    assert_eq!(err.node(), Some("n0"));
    assert!(msg.contains("workflow `failing`"), "{msg}");
    assert!(msg.contains("node `n0`"), "{msg}");
    assert!(msg.contains("task fail_if_negative"), "{msg}");
    assert!(msg.contains("-4 is negative"), "{msg}");
    assert_eq!(failing(4).await.unwrap(), 4);
}

#[tokio::test]
async fn a_failing_sub_workflow_reports_the_inner_node() {
    #[workflow]
    fn outer(x: i64) -> i64 {
        let y = add(x, 1);
        failing(y)
    }
    let msg = outer(-5).await.unwrap_err().report().to_string();
    assert!(msg.contains("workflow `outer` failed at node `n1` (workflow failing)"), "{msg}");
    assert!(msg.contains("workflow `failing` failed at node `n0`"), "{msg}");
}

#[test]
fn the_graph_of_a_workflow() {
    let g = arithmetic.graph().unwrap();
    let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n0", "n1", "n2"]);
    let json = serde_json::to_value(&g.nodes[1].inputs).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"name": "a", "binding": {"kind": "node", "node": "n0", "output": "o0"}},
            {"name": "b", "binding": {"kind": "node", "node": "n0", "output": "o0"}}
        ])
    );
    let last = serde_json::to_value(&g.nodes[2].inputs[1]).unwrap();
    assert_eq!(last, serde_json::json!({"name": "b", "binding": {"kind": "constant", "value": 1}}));
    assert_eq!(
        serde_json::to_value(&g.outputs).unwrap(),
        serde_json::json!([{"name": "o0", "binding": {"kind": "node", "node": "n2", "output": "o0"}}])
    );
    assert!(g.tasks.contains_key("integration::workflows::add") && g.tasks.contains_key("integration::workflows::mul"));

    let n = nested.graph().unwrap();
    assert_eq!(n.nodes[0].kind, flowmap::graph::NodeKind::Workflow);
    assert_eq!(n.nodes[0].target.name, "integration::workflows::arithmetic");
    assert!(n.workflows.contains_key("integration::workflows::arithmetic"));
    assert!(n.tasks.contains_key("integration::workflows::add"), "tasks of sub-workflows are listed too");

    let q = quotient.graph().unwrap();
    assert_eq!(
        serde_json::to_value(&q.outputs).unwrap(),
        serde_json::json!([
            {"name": "o0", "binding": {"kind": "node", "node": "n0", "output": "o1"}},
            {"name": "o1", "binding": {"kind": "node", "node": "n0", "output": "o0"}}
        ])
    );
}

#[test]
fn defaults_and_struct_types_are_in_the_interface() {
    let g = with_defaults.graph().unwrap();
    assert_eq!(g.interface.inputs[0].default, Some(serde_json::json!(3)));
    assert_eq!(g.interface.inputs[1].default, Some(serde_json::json!("n")));
    assert_eq!(needs_input.graph().unwrap().interface.inputs[0].default, None);

    let s = structs.graph().unwrap();
    assert_eq!(
        serde_json::to_value(&s.interface.outputs[0].ty).unwrap(),
        serde_json::json!({"type": "struct", "name": "Stats", "fields": [
            {"name": "count", "type": {"type": "integer", "bits": 64, "signed": false}},
            {"name": "total", "type": {"type": "integer", "bits": 64, "signed": true}}
        ]})
    );
}

#[test]
fn the_graph_round_trips_through_json_and_renders_to_dot() {
    let g = with_defaults.graph().unwrap();
    let text = g.to_json().unwrap();
    let back: flowmap::graph::Graph = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, g);
    let dot = g.to_dot();
    assert!(dot.starts_with("digraph \"with_defaults\" {"), "{dot}");
    assert!(dot.contains("\"in:x\" -> \"n0\" [label=\"a\"]"), "{dot}");
    assert!(dot.contains("map(add)"), "{dot}");
    assert!(dot.contains("\"n1\" -> \"n2\" [label=\"values\"]"), "{dot}");

    // Edges from a node with several outputs say which output.
    let dot = quotient.graph().unwrap().to_dot();
    assert!(dot.contains("\"n0\" -> \"out:o0\" [label=\"o1\"]"), "{dot}");
    assert!(dot.contains("\"n0\" -> \"out:o1\" [label=\"o0\"]"), "{dot}");
    let dot = multi_output_edges.graph().unwrap().to_dot();
    assert!(dot.contains("\"n0\" -> \"n1\" [label=\"o1 → a\"]"), "{dot}");
}

#[workflow]
fn multi_output_edges(a: i64, b: i64) -> i64 {
    let (q, r) = div_rem(a, b);
    add(r, q)
}

/// Writes a workflow of `2^k` chained calls; the workflow macro sees the expanded statements.
macro_rules! chained {
    ($name:ident $x:ident [$($stmt:tt)*] [d $($rest:tt)*]) => { chained!($name $x [$($stmt)* $($stmt)*] [$($rest)*]); };
    ($name:ident $x:ident [$($stmt:tt)*] []) => {
        #[workflow]
        fn $name($x: i64) -> i64 {
            $($stmt)*
            add($x, 0)
        }
    };
}

chained!(sixteen_adds x [let x = add(x, 1);] [d d d d]);

#[tokio::test]
async fn a_workflow_written_by_macro_rules_compiles_and_runs() {
    assert_eq!(sixteen_adds(0).await.unwrap(), 16);
    assert_eq!(sixteen_adds.graph().unwrap().nodes.len(), 17);
}

/// A tuple inside a task's output tuple: its elements are outputs of their own.
#[task]
fn bounds(xs: Vec<i64>) -> (usize, (i64, i64)) {
    (xs.len(), (xs.iter().copied().min().unwrap_or(0), xs.iter().copied().max().unwrap_or(0)))
}

#[workflow]
fn bounds_destructured(xs: Vec<i64>) -> (usize, (i64, i64)) {
    let (n, (lo, hi)) = bounds(xs);
    (n, (lo, hi))
}

#[workflow]
fn bounds_bound_whole(xs: Vec<i64>) -> (usize, (i64, i64)) {
    let (n, range) = bounds(xs);
    (n, range)
}

#[workflow]
fn bounds_returned(xs: Vec<i64>) -> (usize, (i64, i64)) {
    bounds(xs)
}

/// The nested outputs feed other calls, and a plain tuple output stands as a nested one.
#[workflow]
fn bounds_used(xs: Vec<i64>) -> (i64, (i64, i64), (usize, (i64, i64))) {
    let (n, (lo, hi)) = bounds(xs);
    let width = add(hi, mul(lo, -1));
    (width, div_rem(hi, 2), (n, (hi, lo)))
}

/// A map of such a task: a list per port, nested as the outputs are.
#[workflow]
fn bounds_mapped(xss: Vec<Vec<i64>>) -> (Vec<usize>, (Vec<i64>, Vec<i64>)) {
    map!(bounds)(xs = xss)
}

#[workflow]
fn bounds_mapped_tolerant(xss: Vec<Vec<i64>>) -> (Vec<Option<usize>>, (Vec<Option<i64>>, Vec<Option<i64>>)) {
    map!(bounds, min_successes = 1)(xs = xss)
}

#[tokio::test]
async fn nested_tuple_outputs_run() {
    let xs = vec![4, -2, 9];
    assert_eq!(bounds_destructured(xs.clone()).await.unwrap(), (3, (-2, 9)));
    assert_eq!(bounds_bound_whole(xs.clone()).await.unwrap(), (3, (-2, 9)));
    assert_eq!(bounds_returned(xs.clone()).await.unwrap(), (3, (-2, 9)));
    assert_eq!(bounds_used(xs).await.unwrap(), (11, (4, 1), (3, (9, -2))));
    let xss = vec![vec![1, 5], vec![], vec![7]];
    assert_eq!(bounds_mapped(xss.clone()).await.unwrap(), (vec![2, 0, 1], (vec![1, 0, 7], vec![5, 0, 7])));
    assert_eq!(
        bounds_mapped_tolerant(xss).await.unwrap(),
        (vec![Some(2), Some(0), Some(1)], (vec![Some(1), Some(0), Some(7)], vec![Some(5), Some(0), Some(7)]))
    );
}

#[test]
fn nested_tuple_outputs_are_one_port_each() {
    let task = &bounds_returned.graph().unwrap().tasks["integration::workflows::bounds"];
    let names: Vec<&str> = task.interface.outputs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["o0", "o1", "o2"]);
    let int64 = serde_json::json!({"type": "integer", "bits": 64, "signed": true});
    assert_eq!(serde_json::to_value(&task.interface.outputs[2].ty).unwrap(), int64);
    // Destructured and put back, or returned whole: the same graph.
    for wf in
        [bounds_destructured.graph().unwrap(), bounds_bound_whole.graph().unwrap(), bounds_returned.graph().unwrap()]
    {
        assert_eq!(wf.interface.outputs.len(), 3);
        assert_eq!(
            serde_json::to_value(&wf.outputs).unwrap(),
            serde_json::json!([
                {"name": "o0", "binding": {"kind": "node", "node": "n0", "output": "o0"}},
                {"name": "o1", "binding": {"kind": "node", "node": "n0", "output": "o1"}},
                {"name": "o2", "binding": {"kind": "node", "node": "n0", "output": "o2"}}
            ])
        );
    }
    let used = bounds_used.graph().unwrap();
    assert_eq!(
        serde_json::to_value(&used.nodes[1].inputs[0]).unwrap(),
        serde_json::json!({"name": "a", "binding": {"kind": "node", "node": "n0", "output": "o1"}})
    );
    let out: Vec<String> = used.outputs.iter().map(|o| serde_json::to_string(&o.binding).unwrap()).collect();
    assert_eq!(out.len(), 6);
    assert!(out[5].contains("\"output\":\"o1\""), "{out:?}");
    let mapped = bounds_mapped.graph().unwrap();
    assert_eq!(mapped.nodes[0].outputs.len(), 3);
}

// ---- named outputs: `outputs(...)` on a task or workflow ---------------------------------------

#[task(outputs(total, mean))]
fn summary(values: Vec<i64>) -> (i64, f64) {
    let total: i64 = values.iter().sum();
    (total, total as f64 / values.len().max(1) as f64)
}

#[task(outputs(doubled))]
fn named_double(x: i64) -> i64 {
    x * 2
}

#[workflow(outputs(total, mean, twice))]
fn named_summary(values: Vec<i64>) -> (i64, f64, i64) {
    let (total, mean) = summary(values);
    (total, mean, named_double(total))
}

#[workflow]
fn named_outputs_mapped(xss: Vec<Vec<i64>>) -> (Vec<i64>, Vec<f64>) {
    map!(summary)(values = xss)
}

#[tokio::test]
async fn named_outputs_run_and_name_the_ports() {
    assert_eq!(named_summary(vec![1, 2, 3]).await.unwrap(), (6, 2.0, 12));
    assert_eq!(named_outputs_mapped(vec![vec![2], vec![1, 3]]).await.unwrap(), (vec![2, 4], vec![2.0, 2.0]));

    let g = named_summary.graph().unwrap();
    let names = |ports: &[flowmap::graph::Port]| ports.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&g.interface.outputs), ["total", "mean", "twice"]);
    assert_eq!(names(&g.tasks["integration::workflows::summary"].interface.outputs), ["total", "mean"]);
    assert_eq!(names(&g.nodes[0].outputs), ["total", "mean"]);
    assert_eq!(
        serde_json::to_value(&g.outputs).unwrap(),
        serde_json::json!([
            {"name": "total", "binding": {"kind": "node", "node": "n0", "output": "total"}},
            {"name": "mean", "binding": {"kind": "node", "node": "n0", "output": "mean"}},
            {"name": "twice", "binding": {"kind": "node", "node": "n1", "output": "doubled"}}
        ])
    );
    assert_eq!(
        serde_json::to_value(&g.nodes[1].inputs[0]).unwrap(),
        serde_json::json!({"name": "x", "binding": {"kind": "node", "node": "n0", "output": "total"}})
    );
    assert!(g.to_dot().contains("label=\"total → x\""), "{}", g.to_dot());
    let m = named_outputs_mapped.graph().unwrap();
    assert_eq!(names(&m.nodes[0].outputs), ["total", "mean"]);
    assert_eq!(names(&m.interface.outputs), ["o0", "o1"], "the workflow's own outputs are not named");

    // As JSON: an object by name; unnamed outputs stay an array.
    let rt = flowmap::Runtime::builder().build().unwrap();
    let out =
        rt.run_json(&named_summary, flowmap::json::JsonInputs::new().object(r#"{"values": [1, 2, 3]}"#)).await.unwrap();
    assert_eq!(out.to_value().unwrap(), serde_json::json!({"total": 6, "mean": 2.0, "twice": 12}));
    let out = rt.run_json(&quotient, flowmap::json::JsonInputs::new().object(r#"{"a": 7, "b": 2}"#)).await.unwrap();
    assert_eq!(out.to_value().unwrap(), serde_json::json!([1, 3]));
    // One call (what a container runs) writes its outputs by port, in order.
    let one = rt
        .call_json(
            &named_summary,
            "integration::workflows::summary",
            flowmap::json::JsonInputs::new().object(r#"{"values": [4]}"#),
        )
        .await
        .unwrap();
    assert_eq!(one.to_value().unwrap(), serde_json::json!([4, 4.0]));
    let one = rt
        .call_json(
            &bounds_returned,
            "integration::workflows::bounds",
            flowmap::json::JsonInputs::new().object(r#"{"xs": [4, 1]}"#),
        )
        .await
        .unwrap();
    assert_eq!(one.to_value().unwrap(), serde_json::json!([2, 1, 4]), "a nested tuple's elements are ports");
}
