//! The run API: a run is made by `rt.run(..)`, `rt.run_with_defaults(..)`, `rt.run_default(..)`
//! or the workflow function, takes the options of that run, and is awaited or waited for; its
//! JSON forms take the same options. Which runtime a run uses is shown by a GPU request: it
//! fails at once on a runtime with no GPU, and runs on one with a GPU.

#[cfg(feature = "cache")]
use std::sync::atomic::{AtomicUsize, Ordering};

use flowmap::Runtime;
use flowmap::error::ConfigError;
#[cfg(feature = "cache")]
use flowmap::json::{JsonInputs, WorkflowHandle};
use flowmap::prelude::*;
#[cfg(feature = "cache")]
use serde_json::json;

#[task(requests(gpu = "1"))]
fn on_a_gpu(x: i64) -> i64 {
    x + 1
}

#[workflow]
fn gpu_step(#[default(1)] x: i64, #[default(10)] y: i64) -> i64 {
    let _ = on_a_gpu(y);
    on_a_gpu(x)
}

fn one_gpu() -> Runtime {
    Runtime::builder().cpus(2).gpus(1).build().unwrap()
}

fn no_gpu() -> Runtime {
    Runtime::builder().cpus(2).build().unwrap()
}

/// Whether `result` is the error of a GPU request on a runtime without one.
fn no_gpu_error<T: std::fmt::Debug>(result: Result<T, flowmap::Error>) -> bool {
    let msg = result.unwrap_err().report().to_string();
    msg.contains("the runtime's whole capacity is 0 GPUs")
}

#[tokio::test]
async fn a_run_uses_the_runtime_that_made_it_or_the_one_it_is_put_on() {
    let (gpu, none) = (one_gpu(), no_gpu());
    assert_eq!(gpu.run(&gpu_step, (1, 2)).await.unwrap(), 2);
    assert!(no_gpu_error(none.run(&gpu_step, (1, 2)).await));
    // The workflow function's run, put on a runtime.
    assert_eq!(gpu_step(4, 2).on(&gpu).await.unwrap(), 5);
    assert!(no_gpu_error(gpu_step(4, 2).on(&none).await));
    // `.on` moves a run made by a runtime too.
    assert_eq!(none.run(&gpu_step, (5, 2)).on(&gpu).await.unwrap(), 6);
}

#[tokio::test]
async fn some_or_all_inputs_from_their_defaults() {
    let gpu = one_gpu();
    assert_eq!(gpu.run_default(&gpu_step).await.unwrap(), 2);
    assert_eq!(gpu.run_with_defaults(&gpu_step, (Some(7), None)).await.unwrap(), 8);
    assert_eq!(gpu.run_with_defaults(&gpu_step, (None, Some(3))).on(&gpu).await.unwrap(), 2);
    assert!(no_gpu_error(no_gpu().run_default(&gpu_step).await));
}

#[test]
fn waiting_is_running_with_no_async_runtime() {
    let gpu = one_gpu();
    assert_eq!(gpu.run(&gpu_step, (1, 2)).wait().unwrap(), 2);
    assert_eq!(gpu_step(2, 2).on(&gpu).wait().unwrap(), 3);
    assert_eq!(gpu.run_default(&gpu_step).wait().unwrap(), 2);
    let finished = gpu.run(&gpu_step, (1, 2)).reported().wait().unwrap();
    assert_eq!((finished.outputs, finished.failures.len()), (2, 0));
    assert!(no_gpu_error(no_gpu().run(&gpu_step, (1, 2)).wait()));
}

#[tokio::test]
async fn a_run_is_an_into_future_that_combinators_take_as_a_future() {
    let gpu = one_gpu();
    let runs = (0..4).map(|x| gpu.run(&gpu_step, (x, 0)).into_future());
    assert_eq!(
        futures_util::future::join_all(runs).await.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let finished = gpu.run(&gpu_step, (1, 2)).reported().await.unwrap();
    assert_eq!(finished.outputs, 2);
}

#[test]
fn the_global_runtime_takes_runs_given_no_runtime_and_is_configured_before_it_starts() {
    if std::env::var_os("FLOWMAP_GLOBAL_CHILD").is_some() {
        // A fresh process: the global runtime has not started.
        let global = Runtime::builder().cpus(2).gpus(1).build_global().unwrap();
        assert_eq!(global.gpus(), 1);
        assert_eq!(gpu_step(1, 2).wait().unwrap(), 2, "the run given no runtime is on the global one");
        let again = Runtime::builder().build_global().unwrap_err();
        assert!(matches!(again, flowmap::Error::Config(ConfigError::GlobalStarted)), "{again:?}");
        println!("global child: ok");
        return;
    }
    // Here, as in any program once a run given no runtime has run, it has started: with this
    // machine's capacity, and no GPU.
    let global = Runtime::global().unwrap();
    assert_eq!(global.gpus(), 0);
    assert!(no_gpu_error(gpu_step(1, 2).wait()));
    let e = Runtime::builder().gpus(1).build_global().unwrap_err();
    assert_eq!(
        e.report().to_string(),
        "invalid runtime configuration: the global runtime has already started: call `build_global()` before any \
         run given no runtime (`my_workflow(args).await`)"
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "run::the_global_runtime_takes_runs_given_no_runtime_and_is_configured_before_it_starts"])
        .args(["--nocapture", "--test-threads=1"])
        .env("FLOWMAP_GLOBAL_CHILD", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("global child: ok"), "{stdout}{stderr}");
}

// ---- the JSON forms take the same options (of the cache, so with the `cache` feature) ----

#[cfg(feature = "cache")]
static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cfg(feature = "cache")]
#[task(cache = true, cache_version = "1")]
fn counted(x: i64) -> i64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    x * 2
}

#[cfg(feature = "cache")]
#[workflow]
fn counted_all(xs: Vec<i64>) -> Vec<i64> {
    map!(counted)(x = xs)
}

#[cfg(feature = "cache")]
#[workflow]
fn counted_one(x: i64) -> i64 {
    counted(x)
}

#[cfg(feature = "cache")]
#[workflow]
fn counted_each(xs: Vec<i64>) -> Vec<i64> {
    map!(counted_one)(x = xs)
}

#[cfg(feature = "cache")]
#[tokio::test]
async fn json_runs_and_calls_take_the_options_of_a_run() {
    let dir = std::env::temp_dir().join(format!("flowmap-run-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rt = Runtime::builder().cpus(2).cache_dir(&dir).build().unwrap();
    let inputs = || JsonInputs::new().input("xs", json!([1, 2]));
    let runs = || RUNS.swap(0, Ordering::SeqCst);
    let out = rt.run_json(&counted_all, inputs()).await.unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!([2, 4]), 2));
    let out = rt.run_json(&counted_all, inputs()).await.unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!([2, 4]), 0), "cached");
    let out = rt.run_json(&counted_all, inputs()).cache(false).await.unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!([2, 4]), 2), "cache off for this run");
    let handle = WorkflowHandle::new(&counted_all);
    let out = handle.run_json(&rt, inputs()).overwrite_cache(true).await.unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!([2, 4]), 2), "cache overwritten");
    // A call of the task itself is never cached (a container's cache is its engine's)...
    let task = "integration::run::counted";
    let call = || JsonInputs::new().input("x", json!(2));
    let out = rt.call_json(&counted_all, task, call()).await.unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!(4), 1));
    // ...but the tasks of a mapped workflow called once are, as the call's options say.
    let sub = "integration::run::counted_one";
    assert_eq!((rt.call_json(&counted_each, sub, call()).await.unwrap().to_value().unwrap(), runs()), (json!(4), 0));
    let options = flowmap::RunOptions::new().cache(false);
    let out = WorkflowHandle::new(&counted_each).call_json(&rt, sub, call()).options(options).await.unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!(4), 1));
    let out = rt.run_json(&counted_all, inputs()).wait().unwrap();
    assert_eq!((out.to_value().unwrap(), runs()), (json!([2, 4]), 0));
    let _ = std::fs::remove_dir_all(&dir);
}
