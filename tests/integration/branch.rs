//! Branch nodes as generated code will build them for `if`/`match` (written here by hand against
//! the graph builder), run on the local runtime: only the chosen arm runs.

use flowmap::__private::{
    BranchBuilder, CompareOp, CompileCell, Compiled, Cond, Declared, Error, GraphBuilder, Promise, Run, Sealed,
    Settings, SubWorkflow, Tables, Target, Workflow, WorkflowDecl, compile, declare_workflow, run_of,
};
use flowmap::graph::{Arm, Binding, NodeKind};
use flowmap::prelude::*;

use std::sync::atomic::{AtomicUsize, Ordering};

static BIG_CALLS: AtomicUsize = AtomicUsize::new(0);

#[task]
fn big(x: i64) -> i64 {
    BIG_CALLS.fetch_add(1, Ordering::SeqCst);
    x * 100
}

#[task]
fn small(x: i64) -> i64 {
    x - 1
}

#[task]
fn seven(x: i64) -> i64 {
    x + 7
}

/// `if x > 5 && y < 3 { big(small(x)) } else if x == 0 { seven(x) } else { small(x) }`, and with
/// `fail!` for the `else` when `failing`.
macro_rules! route {
    ($marker:ident, $run:ident, $name:literal, $failing:expr) => {
        #[derive(Clone, Copy, Debug)]
        struct $marker;

        const _: () = {
            const DECL: WorkflowDecl =
                WorkflowDecl { name: $name, module: module_path!(), inputs: &["x", "y"], outputs: &[], doc: "" };

            fn build(b: &mut GraphBuilder, (x, y): (Promise<i64>, Promise<i64>)) -> Promise<i64> {
                let mut branch: BranchBuilder<Promise<i64>> = b.branch("base");
                let (five, three) = (b.constant(5_i64), b.constant(3_i64));
                let cond = Cond::compare(CompareOp::Gt, x, five).and(Cond::compare(CompareOp::Lt, y, three));
                branch.case(b, cond, |b| {
                    let s = b.call(small {}, (x,), Settings::default(), Vec::new());
                    b.call(big {}, (s,), Settings::default(), Vec::new())
                });
                let zero = b.constant(0_i64);
                branch.case(b, Cond::compare(CompareOp::Eq, x, zero), |b| {
                    b.call(seven {}, (x,), Settings::default(), Vec::new())
                });
                if $failing {
                    branch.fail("x is in no range");
                } else {
                    branch.otherwise(b, |b| b.call(small {}, (x,), Settings::default(), Vec::new()));
                }
                branch.finish(b)
            }

            impl Sealed for $marker {}

            impl Target for $marker {
                type Input = (i64, i64);
                type Output = (i64,);
                type Args = ();
                type Kernel = SubWorkflow<$marker>;
                fn args(&self) {}
                fn kernel(&self) -> Self::Kernel {
                    SubWorkflow::new()
                }
                fn declare(&self, tables: &mut Tables) -> Result<Declared, flowmap::__private::BuildError> {
                    declare_workflow::<$marker>(&DECL, tables)
                }
            }

            impl Workflow for $marker {
                fn compiled() -> Result<&'static Compiled, Error> {
                    static CELL: CompileCell = CompileCell::new();
                    CELL.get($name, || compile::<(i64, i64), (i64,)>(&DECL, || vec![None, None], build))
                }
            }
        };

        fn $run(x: i64, y: i64) -> Run<'static, $marker> {
            run_of::<$marker>((x, y))
        }
    };
}

route!(Route, route, "route", false);
route!(RouteOrFail, route_or_fail, "route_or_fail", true);

#[tokio::test]
async fn only_the_arm_whose_condition_holds_runs() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    BIG_CALLS.store(0, Ordering::SeqCst);
    assert_eq!(rt.run(&route, (7, 1)).await.unwrap(), 600);
    assert_eq!(BIG_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(rt.run(&route, (0, 9)).await.unwrap(), 7);
    assert_eq!(rt.run(&route, (3, 9)).await.unwrap(), 2);
    // `&&` needs both: x > 5 but y is not < 3.
    assert_eq!(rt.run(&route, (7, 3)).await.unwrap(), 6);
    assert_eq!(BIG_CALLS.load(Ordering::SeqCst), 1, "a skipped arm ran");
}

#[tokio::test]
async fn a_failing_arm_fails_the_run_with_its_message() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&route_or_fail, (0, 0)).await.unwrap(), 7);
    let e = rt.run(&route_or_fail, (3, 0)).await.unwrap_err();
    let mut chain = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let chain = chain.join(": ");
    assert!(chain.contains("x is in no range"), "{chain}");
    assert!(chain.contains("n0"), "{chain}");
}

#[test]
fn the_graph_holds_each_arm_with_its_nodes_and_bindings() {
    let g = route.graph().unwrap();
    assert_eq!(g.nodes.len(), 1);
    let n = &g.nodes[0];
    assert_eq!(n.kind, NodeKind::Branch);
    assert_eq!(n.target.name, "base");
    let names: Vec<&str> = n.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
    let branch = n.branch.as_ref().unwrap();
    assert_eq!(branch.cases.len(), 2);
    let Arm::Run { nodes, outputs } = &branch.cases[0].arm else { panic!("{:?}", branch.cases[0].arm) };
    let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n0-0-0", "n0-0-1"]);
    assert_eq!(nodes[0].inputs[0].binding, Binding::Input { name: "x".into() });
    assert_eq!(nodes[1].inputs[0].binding, Binding::Node { node: "n0-0-0".into(), output: "o0".into() });
    assert_eq!(outputs, &[Binding::Node { node: "n0-0-1".into(), output: "o0".into() }]);
    let show = |b: &Binding| match b {
        Binding::Input { name } => name.clone(),
        Binding::Constant { value } => value.to_string(),
        other => format!("{other:?}"),
    };
    assert_eq!(branch.cases[0].condition.display(&show), "x > 5 && y < 3");
    assert_eq!(branch.cases[1].condition.display(&show), "x == 0");
    assert!(matches!(&branch.otherwise, Arm::Run { nodes, .. } if nodes[0].id == "n0-2-0"));
    assert_eq!(g.outputs[0].binding, Binding::Node { node: "n0".into(), output: "o0".into() });
    assert!(g.tasks.keys().any(|t| t.ends_with("::big")), "{:?}", g.tasks.keys());
    let failing = route_or_fail.graph().unwrap();
    let otherwise = &failing.nodes[0].branch.as_ref().unwrap().otherwise;
    assert_eq!(otherwise, &Arm::Fail { message: "x is in no range".into() });
}

#[task]
fn fast(x: i64) -> i64 {
    x * 2
}

#[task]
fn slow(x: i64) -> i64 {
    x * 3
}

/// The example, with `if`: a branch bound to `base`, then one on a string, failing.
#[workflow]
fn routed(x: i64, y: i64, mode: String) -> i64 {
    let base = if x > 5 && y < 3 {
        let s = small(x);
        seven(s)
    } else if x == 0 {
        seven(x)
    } else {
        small(x)
    };
    if mode == "fast" {
        fast(base)
    } else if mode == "slow" {
        slow(base)
    } else {
        fail!("unknown mode")
    }
}

#[tokio::test]
async fn if_in_a_workflow_runs_the_arm_that_holds() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&routed, (7, 1, "fast".into())).await.unwrap(), 26);
    assert_eq!(rt.run(&routed, (0, 9, "slow".into())).await.unwrap(), 21);
    assert_eq!(rt.run(&routed, (3, 9, "slow".into())).await.unwrap(), 6);
    let e = rt.run(&routed, (3, 9, "other".into())).await.unwrap_err();
    let cause = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
    assert_eq!(cause, "unknown mode", "{e}");
    let g = routed.graph().unwrap();
    let kinds: Vec<NodeKind> = g.nodes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NodeKind::Branch, NodeKind::Branch]);
    assert_eq!(g.nodes[0].target.name, "base");
    assert_eq!(g.nodes[1].inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["mode", "n0.o0"]);
}

#[task]
fn classify(x: i64) -> String {
    if x < 0 { "negative".into() } else { "natural".into() }
}

#[task]
fn split_sum(x: i64) -> (i64, i64) {
    (x / 2, x - x / 2)
}

#[task]
fn maybe_half(x: i64) -> Option<i64> {
    (x % 2 == 0).then_some(x / 2)
}

/// The example as written there: `match` on a string, with `_ => fail!(..)`.
#[workflow]
fn matched(x: i64, mode: String) -> i64 {
    let base = if x > 5 { seven(x) } else { small(x) };
    match mode.as_str() {
        "fast" => fast(base),
        "slow" | "slower" => slow(base),
        _ => fail!("unknown mode"),
    }
}

/// `match` on integer ranges with a guard, on a call's result, on an `Option`, on a `bool`, and
/// arms whose value is a tuple.
#[workflow]
fn matches_of_every_kind(x: i64, flag: bool) -> (i64, i64, i64, i64) {
    let (low, high) = match x {
        ..0 => fail!("x is negative"),
        0 => (seven(x), seven(x)),
        1..=9 if flag => split_sum(x),
        1..=9 => (small(x), small(x)),
        _ => {
            let s = seven(x);
            (s, fast(s))
        }
    };
    let named = match classify(x) {
        "negative" => slow(x),
        _ => fast(x),
    };
    let half = match maybe_half(x) {
        None => seven(x),
        Some(_) => small(x),
    };
    let picked = match flag {
        true => fast(half),
        false => slow(half),
    };
    (low, high, named, picked)
}

#[tokio::test]
async fn match_in_a_workflow_runs_the_arm_whose_pattern_matches() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&matched, (7, "fast".into())).await.unwrap(), 28);
    assert_eq!(rt.run(&matched, (2, "slower".into())).await.unwrap(), 3);
    let e = rt.run(&matched, (2, "other".into())).await.unwrap_err();
    let cause = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
    assert_eq!(cause, "unknown mode", "{e}");

    // x = 0: seven twice; classify -> "natural" -> fast(0); maybe_half(0) = Some(0) -> small -> -1;
    // flag -> fast(-1).
    assert_eq!(rt.run(&matches_of_every_kind, (0, true)).await.unwrap(), (7, 7, 0, -2));
    // x = 5, flag: split_sum; half None -> seven(5) = 12 -> fast = 24.
    assert_eq!(rt.run(&matches_of_every_kind, (5, true)).await.unwrap(), (2, 3, 10, 24));
    // x = 5, no flag: the unguarded range; slow(12) = 36.
    assert_eq!(rt.run(&matches_of_every_kind, (5, false)).await.unwrap(), (4, 4, 10, 36));
    // x = 12: the `_` block; maybe_half = Some(6) -> small(12) = 11 -> slow = 33.
    assert_eq!(rt.run(&matches_of_every_kind, (12, false)).await.unwrap(), (19, 38, 24, 33));
    let e = rt.run(&matches_of_every_kind, (-4, false)).await.unwrap_err();
    let cause = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
    assert_eq!(cause, "x is negative", "{e}");

    let g = matches_of_every_kind.graph().unwrap();
    let kinds: Vec<NodeKind> = g.nodes.iter().map(|n| n.kind).collect();
    use NodeKind::{Branch, Task};
    // The call a `match` is on comes before its branch.
    assert_eq!(kinds, [Branch, Task, Branch, Task, Branch, Branch]);
    let first = g.nodes[0].branch.as_ref().unwrap();
    assert_eq!(first.cases.len(), 4);
    assert_eq!(first.cases[0].arm, Arm::Fail { message: "x is negative".into() });
    assert_eq!(g.nodes[0].outputs.len(), 2);
    // A `match` on a `bool` naming both values: the last arm is the `else`.
    assert_eq!(g.nodes[5].branch.as_ref().unwrap().cases.len(), 1);
}

/// Every node of each arm not taken is reported skipped, once, when the branch chooses: to
/// subscribers and to progress watchers. Nested branches' arms too.
#[tokio::test]
async fn the_arms_not_taken_are_reported_skipped() {
    use flowmap::events::EventKind;
    use flowmap::progress::NodeState;
    let rt = flowmap::Runtime::builder().build().unwrap();
    let mut events = rt.subscribe();
    let progress = rt.progress();
    // x = 7, y = 1: case 0 of `base` (n0-0-0, n0-0-1 run); "slow": case 1 of n1.
    assert_eq!(rt.run(&routed, (7, 1, "slow".into())).await.unwrap(), 39);
    let mut skipped = Vec::new();
    let mut started = Vec::new();
    while let Ok(e) = events.try_recv() {
        match e.kind {
            EventKind::NodeSkipped { target } => skipped.push(format!("{} {target}", e.node.unwrap())),
            EventKind::NodeStarted { .. } => started.push(e.node.unwrap().to_string()),
            _ => {}
        }
    }
    skipped.sort();
    assert_eq!(skipped, ["n0-1-0 task seven", "n0-2-0 task small", "n1-0-0 task fast"]);
    started.sort();
    assert_eq!(started, ["n0", "n0-0-0", "n0-0-1", "n1", "n1-1-0"]);
    let states: Vec<(String, NodeState)> =
        progress.snapshot().into_iter().map(|n| (n.node.to_string(), n.state)).collect();
    assert!(states.contains(&("n0-1-0".into(), NodeState::Skipped)), "{states:?}");
    assert!(states.contains(&("n0-0-1".into(), NodeState::Succeeded)), "{states:?}");
    assert_eq!(states.iter().filter(|(_, s)| *s == NodeState::Skipped).count(), 3, "{states:?}");
}

#[workflow]
fn nested(x: i64, flag: bool) -> i64 {
    if x > 0 {
        if flag { fast(x) } else { slow(x) }
    } else {
        let s = small(x);
        match flag {
            true => seven(s),
            false => fast(s),
        }
    }
}

#[tokio::test]
async fn a_nested_branch_in_an_arm_not_taken_is_skipped_with_its_arms() {
    use flowmap::events::EventKind;
    let rt = flowmap::Runtime::builder().build().unwrap();
    let mut events = rt.subscribe();
    assert_eq!(rt.run(&nested, (3, true)).await.unwrap(), 6);
    assert_eq!(rt.run(&nested, (-3, true)).await.unwrap(), 3);
    assert_eq!(rt.run(&nested, (-3, false)).await.unwrap(), -8);
    let mut skipped: Vec<(u64, String)> = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EventKind::NodeSkipped { .. } = e.kind {
            skipped.push((e.run, e.node.unwrap().to_string()));
        }
    }
    let runs: Vec<u64> = {
        let mut r: Vec<u64> = skipped.iter().map(|(r, _)| *r).collect();
        r.dedup();
        r
    };
    assert_eq!(runs.len(), 3, "{skipped:?}");
    let of = |run: u64| {
        let mut v: Vec<&str> = skipped.iter().filter(|(r, _)| *r == run).map(|(_, n)| n.as_str()).collect();
        v.sort_unstable();
        v
    };
    // x > 0, flag: the inner `else` and the whole outer `else` (small, the match and its arms).
    assert_eq!(of(runs[0]), ["n0-0-0-1-0", "n0-1-0", "n0-1-1", "n0-1-1-0-0", "n0-1-1-1-0"]);
    // x <= 0, flag: the outer `if` arm (its branch and both arms), and the match's `false` arm.
    assert_eq!(of(runs[1]), ["n0-0-0", "n0-0-0-0-0", "n0-0-0-1-0", "n0-1-1-1-0"]);
    assert_eq!(of(runs[2]), ["n0-0-0", "n0-0-0-0-0", "n0-0-0-1-0", "n0-1-1-0-0"]);
}

/// A sub-workflow with a branch, mapped: each element chooses its own arm.
#[workflow]
fn signed(x: i64) -> i64 {
    if x >= 0 { fast(x) } else { slow(x) }
}

#[workflow]
fn signed_all(xs: Vec<i64>) -> Vec<i64> {
    map!(signed, concurrency = 2)(x = xs)
}

#[tokio::test]
async fn a_branch_in_a_mapped_sub_workflow_chooses_per_element() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&signed_all, (vec![1, -1, 0, -5, 7],)).await.unwrap(), [2, -3, 0, -15, 14]);
    assert_eq!(rt.run(&signed_all, (vec![],)).await.unwrap(), Vec::<i64>::new());
}

/// Arms whose value is an input or a literal, with no node of their own.
#[workflow]
fn clamp_low(x: i64) -> i64 {
    let low = if x < 0 { 0 } else { x };
    fast(low)
}

#[tokio::test]
async fn an_arm_may_be_an_input_or_a_literal() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&clamp_low, (-4,)).await.unwrap(), 0);
    assert_eq!(rt.run(&clamp_low, (4,)).await.unwrap(), 8);
}

static LOG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[task]
async fn note(tag: String, step: String) {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    LOG.lock().unwrap().push(format!("{tag}-{step}"));
}

#[task]
fn read_log(tag: String) -> String {
    let log = LOG.lock().unwrap();
    format!("{tag}:{}", log.iter().filter(|l| l.starts_with(&tag)).count())
}

/// `.after` into an arm (from a node outside it) and out of a branch (on its value).
#[workflow]
fn ordered_branch(tag: String, go: bool) -> (String, String) {
    let first = note(tag, "first");
    let seen = if go { read_log(tag).after(first) } else { read_log("none") };
    let second = note(tag, "second").after(seen);
    (seen, read_log(tag).after(second))
}

#[tokio::test]
async fn after_works_into_an_arm_and_after_a_branch() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    // `seen` counted `first` (it waited for its 20 ms), the last read both notes.
    assert_eq!(rt.run(&ordered_branch, ("ob1".into(), true)).await.unwrap(), ("ob1:1".into(), "ob1:2".into()));
    assert_eq!(rt.run(&ordered_branch, ("ob2".into(), false)).await.unwrap(), ("none:0".into(), "ob2:2".into()));
    let g = ordered_branch.graph().unwrap();
    // The arm's `.after(first)` makes the branch node wait for `first`.
    assert_eq!(g.nodes[1].after, ["n0"]);
    assert_eq!(g.nodes[2].after, ["n1"]);
}

static CACHED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[task(cache = true, cache_version = "1")]
fn costly(x: i64) -> i64 {
    CACHED_CALLS.fetch_add(1, Ordering::SeqCst);
    x + 1000
}

#[workflow]
fn cached_arm(x: i64) -> i64 {
    let y = if x > 0 { costly(x) } else { small(x) };
    costly(y)
}

#[tokio::test]
async fn a_cached_task_in_an_arm_is_looked_up_like_any_other() {
    let dir = std::env::temp_dir().join(format!("flowmap-branch-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rt = flowmap::Runtime::builder().cache_dir(&dir).build().unwrap();
    let before = CACHED_CALLS.load(Ordering::SeqCst);
    assert_eq!(rt.run(&cached_arm, (5,)).await.unwrap(), 2005);
    assert_eq!(CACHED_CALLS.load(Ordering::SeqCst) - before, 2);
    // Again: both from the cache. Then the other arm: only the node after the branch runs, for
    // its new input.
    assert_eq!(rt.run(&cached_arm, (5,)).await.unwrap(), 2005);
    assert_eq!(CACHED_CALLS.load(Ordering::SeqCst) - before, 2);
    assert_eq!(rt.run(&cached_arm, (-5,)).await.unwrap(), 994);
    assert_eq!(CACHED_CALLS.load(Ordering::SeqCst) - before, 3);
    let _ = std::fs::remove_dir_all(&dir);
}
