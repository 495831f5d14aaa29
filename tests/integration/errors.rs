//! Errors are typed and chained: each level says only its own part, `source()` leads down to the
//! task's own error, and nothing panics out of building or running a workflow.

use std::error::Error as _;
use std::sync::{Condvar, LazyLock, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use flowmap::Error;
use flowmap::error::{BuildError, NodeError};
use flowmap::prelude::*;

const MISSING: &str = "/nonexistent/flowmap/config.toml";

#[task]
fn read_with_anyhow(path: String) -> anyhow::Result<String> {
    std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))
}

#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error("could not open the data file")]
    Open(#[source] std::io::Error),
}

#[task]
fn read_with_thiserror(path: String) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(LoadError::Open)
}

#[workflow]
fn load_anyhow(path: String) -> String {
    read_with_anyhow(path)
}

#[workflow]
fn load_thiserror(path: String) -> String {
    read_with_thiserror(path)
}

#[workflow]
fn load_in_a_map(paths: Vec<String>) -> Vec<String> {
    map!(read_with_thiserror)(path = paths)
}

/// Every level of the chain, as displayed.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    levels(e).map(ToString::to_string).collect()
}

fn levels<'a>(e: &'a (dyn std::error::Error + 'static)) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e: &&'a (dyn std::error::Error + 'static)| (*e).source())
}

/// No level repeats the text of the level below it.
fn assert_no_repeats(levels: &[String]) {
    for pair in levels.windows(2) {
        assert!(!pair[0].contains(&pair[1]), "{:?} repeats {:?}", pair[0], pair[1]);
    }
}

fn io_error_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    levels(e).find_map(|e| e.downcast_ref::<std::io::Error>())
}

#[tokio::test]
async fn the_chain_reaches_an_io_error_inside_a_thiserror_enum() {
    let err = load_thiserror(MISSING.into()).await.unwrap_err();
    let levels = chain(&err);
    assert_no_repeats(&levels);
    assert_eq!(levels[0], "workflow `load_thiserror` failed at node `n0` (task read_with_thiserror)");
    assert_eq!(levels[1], "failed after 1 attempt");
    assert_eq!(levels[2], "could not open the data file");
    let io = io_error_in(&err).expect("the io::Error is reachable through source()");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(levels.last(), Some(&io.to_string()), "the root cause is the last level");
    // The whole chain, once, for people.
    let report = err.report().to_string();
    assert!(report.ends_with(&format!("could not open the data file: {io}")), "{report}");
    // anyhow prints the same chain with `{:#}`.
    assert_eq!(format!("{:#}", anyhow::Error::new(err)), report);
}

#[tokio::test]
async fn the_chain_reaches_the_root_cause_inside_anyhow() {
    let err = load_anyhow(MISSING.into()).await.unwrap_err();
    let levels = chain(&err);
    assert_no_repeats(&levels);
    assert_eq!(levels[2], format!("reading {MISSING}"));
    let root = std::fs::read_to_string(MISSING).unwrap_err().to_string();
    assert_eq!(levels.last(), Some(&root), "{levels:?}");
}

#[tokio::test]
async fn a_map_failure_leads_to_its_first_failed_element() {
    let err = load_in_a_map(vec![MISSING.into()]).await.unwrap_err();
    let levels = chain(&err);
    assert_no_repeats(&levels);
    assert_eq!(levels[1], "0 of 1 elements succeeded but 1 is required (1 failed: element 0; 0 not run)");
    assert_eq!(levels[2], "element 0 failed after 1 attempt");
    assert!(io_error_in(&err).is_some(), "{levels:?}");
}

// ---- panics while building ----------------------------------------------------------------

struct Boom;

impl Boom {
    fn value() -> i64 {
        panic!("no value for this constant")
    }
}

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn panics_in_a_constant() -> i64 {
    double(Boom::value())
}

#[workflow]
fn panics_in_a_default(#[default(Boom::value())] x: i64) -> i64 {
    double(x)
}

#[workflow]
fn uses_a_broken_one() -> i64 {
    panics_in_a_constant()
}

fn only_panic(e: &Error) -> &str {
    match e.build_errors() {
        [BuildError::Panicked { message }] => message,
        other => panic!("expected one panic, got {other:?}"),
    }
}

#[test]
fn a_panic_while_building_is_a_build_error_every_time_and_not_a_false_recursion() {
    for _ in 0..2 {
        let e = panics_in_a_constant.graph().unwrap_err();
        assert!(matches!(e, Error::Build { .. }));
        assert_eq!(only_panic(&e), "no value for this constant");
    }
    // A parent of the broken workflow reports it as a sub-workflow, not as "calls itself".
    let e = uses_a_broken_one.graph().unwrap_err();
    let [BuildError::SubWorkflow { node, workflow, source }] = e.build_errors() else { panic!("{e:?}") };
    assert_eq!((node.as_str(), workflow.as_str()), ("n0", "panics_in_a_constant"));
    assert_eq!(only_panic(source), "no value for this constant");
}

#[tokio::test]
async fn a_panicking_default_is_an_error_of_the_run() {
    let e = panics_in_a_default.graph().unwrap_err();
    assert_eq!(only_panic(&e), "a `#[default(...)]` panicked: no value for this constant");
    let rt = flowmap::Runtime::builder().build().unwrap();
    let e = rt.run_default(&panics_in_a_default).await.unwrap_err();
    assert_eq!(only_panic(&e), "a `#[default(...)]` panicked: no value for this constant");
    assert_eq!(e.to_string(), "workflow `panics_in_a_default` could not be built into a graph");
}

// ---- a timed-out sync attempt keeps its capacity ------------------------------------------

/// Calls so far, calls running now, and whether two ever ran at once.
type Calls = Mutex<(usize, usize, bool)>;
static OVERLAP: LazyLock<(Calls, Condvar)> = LazyLock::new(|| (Mutex::new((0, 0, false)), Condvar::new()));

#[task(requests(mem = "1Gi"), timeout = "20ms")]
fn holds_all_memory(x: i64) -> i64 {
    let (state, changed) = &*OVERLAP;
    let mut s = state.lock().unwrap();
    s.0 += 1;
    s.1 += 1;
    s.2 |= s.1 >= 2;
    changed.notify_all();
    if s.0 == 1 {
        // The first call outlives its timeout. If the second one starts meanwhile, the capacity
        // was given back too early: the two run at once.
        s = changed.wait_timeout_while(s, Duration::from_millis(500), |s| s.1 < 2).unwrap().0;
    }
    s.1 -= 1;
    x
}

#[workflow]
fn two_big_elements(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(holds_all_memory, min_successes = 1)(x = xs)
}

#[tokio::test]
async fn a_timed_out_sync_attempt_keeps_its_capacity_until_its_thread_ends() {
    let rt = flowmap::Runtime::builder().cpus(2).memory("1Gi").build().unwrap();
    let out = rt.run(&two_big_elements, (vec![1, 2],)).await.unwrap();
    assert_eq!(out, [None, Some(2)], "the first element timed out, the second ran");
    assert!(!OVERLAP.0.lock().unwrap().2, "the second element started while the first still held its 1Gi");
}

#[test]
fn node_errors_name_their_kind() {
    let e = NodeError::TooFewElements { required: 3, len: 2 };
    assert!(e.source().is_none());
}

// ---- recursion ---------------------------------------------------------------------------------

#[workflow]
fn rec(x: i64) -> i64 {
    let y = double(x);
    rec(y)
}

#[workflow]
fn ping(x: i64) -> i64 {
    pong(x)
}

#[workflow]
fn pong(x: i64) -> i64 {
    ping(x)
}

#[test]
fn a_workflow_that_calls_itself_is_said_once() {
    let e = rec.graph().unwrap_err();
    assert_eq!(
        e.report().to_string(),
        "workflow `rec` could not be built into a graph: `rec` calls itself, directly or through a sub-workflow; \
         a workflow graph must be finite"
    );
    let e = ping.graph().unwrap_err();
    assert!(matches!(e.build_errors(), [BuildError::Recursive { workflow }] if workflow == "ping"), "{e:?}");
    // Asked again, on the same thread: the same answer.
    assert!(matches!(rec.graph().unwrap_err().build_errors(), [BuildError::Recursive { .. }]));
}

#[task]
fn fails_on_odd(x: i64) -> Result<i64, String> {
    if x % 2 == 1 { Err(format!("{x} is odd")) } else { Ok(x) }
}

#[workflow]
fn evens(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(fails_on_odd, min_successes = 4, concurrency = 1)(x = xs)
}

#[tokio::test]
async fn a_failed_map_names_its_failed_elements_then_the_first_cause() {
    let err = evens(vec![0, 1, 2, 3, 4]).await.unwrap_err();
    assert_eq!(
        err.report().to_string(),
        "workflow `evens` failed at node `n0` (map of task fails_on_odd): \
         2 of 5 elements succeeded but 4 are required (2 failed: elements 1, 3; 1 not run): \
         element 1 failed after 1 attempt: 1 is odd"
    );
}

// ---- task names --------------------------------------------------------------------------------

#[task(name = "step")]
fn step_a(x: i64) -> i64 {
    x + 1
}

#[task(name = "step")]
fn step_b(x: i64) -> String {
    x.to_string()
}

#[workflow]
fn two_steps(x: i64) -> String {
    let y = step_a(x);
    step_b(y)
}

mod left {
    use flowmap::prelude::*;

    #[task]
    pub fn same(x: i64) -> i64 {
        x + 1
    }
}

mod right {
    use flowmap::prelude::*;

    #[task]
    pub fn same(x: i64) -> i64 {
        x * 2
    }
}

#[workflow]
fn same_names_in_two_modules(x: i64) -> i64 {
    let y = left::same(x);
    right::same(y)
}

#[tokio::test]
async fn two_tasks_with_one_name_are_an_error_naming_both() {
    let e = two_steps.graph().unwrap_err();
    assert_eq!(
        e.report().to_string(),
        "workflow `two_steps` could not be built into a graph: two tasks are named `integration::errors::step`: \
         `integration::errors::step_a` and `integration::errors::step_b`; give one of them another `name = \"...\"`"
    );
    // The same function name in two modules is two tasks.
    let g = same_names_in_two_modules.graph().unwrap();
    assert_eq!(
        g.tasks.keys().collect::<Vec<_>>(),
        ["integration::errors::left::same", "integration::errors::right::same"]
    );
    assert_eq!(same_names_in_two_modules(5).await.unwrap(), 12);
}

#[task(requests(mem = "256Mi"), limits(mem = "512Mi", cpu = "1"))]
fn bounded(x: i64) -> i64 {
    x
}

#[workflow]
fn over_the_limit(xs: Vec<i64>) -> Vec<i64> {
    map!(bounded)(x = xs).with_overrides(requests(mem = "1Gi"))
}

#[workflow]
fn within_a_raised_limit(xs: Vec<i64>) -> Vec<i64> {
    map!(bounded)(x = xs).with_overrides(requests(mem = "1Gi"), limits(mem = "2Gi"))
}

#[test]
fn a_request_override_above_the_tasks_limit_does_not_build() {
    let e = over_the_limit.graph().unwrap_err();
    assert!(
        matches!(e.build_errors(), [BuildError::RequestAboveLimit { node, key: "mem", request, limit, .. }]
            if node == "n0" && request == "1Gi" && limit == "512Mi"),
        "{e:?}"
    );
    assert_eq!(
        e.build_errors()[0].to_string(),
        "node n0 (bounded): requests mem = \"1Gi\" is above limits mem = \"512Mi\"; a request must fit within its \
         limit: lower the request, or raise the limit with `.with_overrides(limits(mem = \"...\"))`"
    );
    // Raising the limit in the same overrides is fine.
    within_a_raised_limit.graph().unwrap();
}

// Tolerated failures: a map that tolerates failed elements succeeds, and the run says which
// elements failed, where, after how many attempts and why.

#[derive(Debug, thiserror::Error)]
#[error("could not read sensor {0}")]
struct SensorError(i64, #[source] std::io::Error);

#[task(retries = 1)]
fn probe(id: i64) -> Result<i64, SensorError> {
    if id < 0 {
        return Err(SensorError(id, std::io::Error::other("no answer")));
    }
    Ok(id)
}

#[workflow]
fn probe_all(ids: Vec<i64>) -> Vec<Option<i64>> {
    map!(probe, min_success_ratio = 0.5)(id = ids)
}

#[task]
fn count_readings(readings: Vec<Option<i64>>) -> Result<usize, String> {
    let n = readings.iter().flatten().count();
    if n < 3 { Err(format!("only {n} readings")) } else { Ok(n) }
}

/// A tolerant map in a sub-workflow, then a task that fails when too few readings came back.
#[workflow]
fn probe_and_count(ids: Vec<i64>) -> usize {
    let readings = probe_all(ids);
    count_readings(readings)
}

#[test]
fn a_successful_run_reports_every_element_its_tolerant_maps_lost() {
    let rt = flowmap::Runtime::builder().cpus(2).build().unwrap();
    let run = rt.run(&probe_all, (vec![1, -2, 3, -4],)).reported().wait().unwrap();
    assert_eq!(run.outputs, [Some(1), None, Some(3), None]);
    let mut lost: Vec<_> =
        run.failures.iter().map(|f| (f.node.as_str(), f.failure.index, f.failure.attempts)).collect();
    lost.sort_unstable();
    assert_eq!(lost, [("n0", Some(1), 2), ("n0", Some(3), 2)]);
    let failure = &run.failures[0];
    assert_eq!((failure.workflow.as_str(), failure.target.as_str()), ("probe_all", "map of task probe"));
    // The whole chain, down to the task's own error and its source.
    let index = failure.failure.index.unwrap();
    let id = -i64::try_from(index).unwrap() - 1;
    assert_eq!(
        flowmap::error::Report::new(failure).to_string(),
        format!(
            "workflow `probe_all` node `n0` (map of task probe): element {index} failed after 2 attempts: \
             could not read sensor {id}: no answer"
        )
    );
    // Nothing lost, nothing reported.
    let run = rt.run(&probe_all, (vec![1, 2],)).reported().wait().unwrap();
    assert!(run.failures.is_empty());
}

#[test]
fn a_failed_run_keeps_the_elements_lost_before_it_failed() {
    let rt = flowmap::Runtime::builder().cpus(2).build().unwrap();
    // In a sub-workflow: reported with the sub-workflow's name.
    let run = rt.run(&probe_and_count, (vec![1, 2, 3, -4],)).reported().wait().unwrap();
    assert_eq!(run.outputs, 3);
    assert_eq!(run.failures.len(), 1);
    assert_eq!((run.failures[0].workflow.as_str(), run.failures[0].failure.index), ("probe_all", Some(3)));
    let e = rt.run(&probe_and_count, (vec![1, -2, 3, -4],)).wait().unwrap_err();
    assert_eq!(e.node(), Some("n1"), "{e}");
    let tolerated = e.completed().unwrap().tolerated();
    let mut lost: Vec<_> = tolerated.iter().map(|f| f.failure.index).collect();
    lost.sort_unstable();
    assert_eq!(lost, [Some(1), Some(3)]);
}

// Some inputs from Rust, the rest from their `#[default(...)]`.

#[task]
fn scale(x: i64, factor: i64, offset: i64) -> i64 {
    x * factor + offset
}

#[workflow]
fn scaled(x: i64, #[default(10)] factor: i64, #[default(1)] offset: i64) -> i64 {
    scale(x, factor, offset)
}

#[test]
fn some_inputs_given_the_rest_from_their_defaults() {
    let rt = flowmap::Runtime::builder().cpus(2).build().unwrap();
    assert_eq!(rt.run_with_defaults(&scaled, (Some(4), None, None)).wait().unwrap(), 41);
    assert_eq!(rt.run_with_defaults(&scaled, (Some(4), Some(2), None)).wait().unwrap(), 9);
    assert_eq!(rt.run_with_defaults(&scaled, (Some(4), None, Some(0))).wait().unwrap(), 40);
    // An input without a default must be given.
    let e = rt.run_with_defaults(&scaled, (None, Some(2), None)).wait().unwrap_err();
    assert!(matches!(&e, Error::MissingInputs { inputs, .. } if inputs == &["x"]), "{e:?}");
    assert_eq!(
        e.to_string(),
        "workflow `scaled` needs input `x`: it has no `#[default(...)]`; give it as `Some(value)`"
    );
    let runner = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let async_run = runner.block_on(rt.run_with_defaults(&scaled, (Some(1), None, None)).into_future());
    assert_eq!(async_run.unwrap(), 11);
}

// ---- panics while running: where -------------------------------------------------------------

const INDEX_LINE: u32 = line!() + 5;

#[task]
fn out_of_bounds(i: usize) -> i64 {
    let empty: Vec<i64> = Vec::new();
    empty[i]
}

#[workflow]
fn index_past_the_end(i: usize) -> i64 {
    out_of_bounds(i)
}

#[tokio::test]
async fn a_panic_says_where_it_happened_as_std_does() {
    let e = index_past_the_end(3).await.unwrap_err();
    let report = e.report().to_string();
    // The column is rustc's to choose (the indexing expression's).
    let location = format!("{}:{INDEX_LINE}:", file!());
    let at = format!("panicked at {location}");
    assert!(report.contains(&at), "{report}");
    assert!(report.ends_with(": index out of bounds: the len is 0 but the index is 3"), "{report}");
    let mut level: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut panic = None;
    while let Some(l) = level {
        panic = panic.or(l.downcast_ref::<flowmap::error::PanicError>());
        level = l.source();
    }
    let panic = panic.expect("a PanicError in the chain");
    assert!(panic.location.as_ref().is_some_and(|l| l.starts_with(&location)), "{panic:?}");
    assert_eq!(panic.message, "index out of bounds: the len is 0 but the index is 3");
}

const ONE_PAST_LINE: u32 = line!() + 7;
const TWO_PAST_LINE: u32 = line!() + 7;

/// Every third element succeeds; the others panic, at one of two places.
fn two_places(i: usize) -> usize {
    match i % 3 {
        0 => i,
        1 => panic!("one past {}", i - 1),
        _ => panic!("two past {}", i - 2),
    }
}

#[task]
fn sync_two_places(i: usize) -> usize {
    two_places(i)
}

#[task]
async fn async_two_places(i: usize) -> usize {
    tokio::task::yield_now().await;
    two_places(i)
}

#[workflow]
fn both_kinds_panic(xs: Vec<usize>) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let a = map!(sync_two_places, min_success_ratio = 0.3)(i = xs);
    let b = map!(async_two_places, min_success_ratio = 0.3)(i = xs);
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn panics_of_many_threads_at_once_each_keep_their_own_place() {
    let rt = flowmap::Runtime::builder().cpus(8).build().unwrap();
    let mut events = rt.subscribe();
    let n = 3 * 400;
    let (a, b) = rt.run(&both_kinds_panic, ((0..n).collect(),)).await.unwrap();
    assert_eq!(a.iter().flatten().count(), n / 3);
    assert_eq!(b.iter().flatten().count(), n / 3);
    let mut failed = 0;
    while let Ok(e) = events.try_recv() {
        if let flowmap::events::EventKind::ElementFailed { index: Some(i), error, .. } = e.kind {
            let (line, column, message) = match i % 3 {
                1 => (ONE_PAST_LINE, 14, format!("one past {}", i - 1)),
                _ => (TWO_PAST_LINE, 14, format!("two past {}", i - 2)),
            };
            assert_eq!(error, format!("panicked at {}:{line}:{column}: {message}", file!()));
            failed += 1;
        }
    }
    assert_eq!(failed, 2 * (n - n / 3));
}
