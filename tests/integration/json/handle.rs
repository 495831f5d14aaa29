//! [`WorkflowHandle`]: a workflow with its type erased, as the CLI and the Flyte registry keep it.

use flowmap::Error;
use flowmap::json::{JsonInputs, JsonRunError, WorkflowHandle};
use flowmap::prelude::*;
use serde_json::json;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn doubled(#[default(vec![1, 2])] xs: Vec<i64>) -> Vec<i64> {
    map!(double)(x = xs)
}

struct Boom;

impl Boom {
    fn value() -> i64 {
        panic!("no value for this constant")
    }
}

#[workflow]
fn broken() -> i64 {
    double(Boom::value())
}

fn runtime() -> flowmap::Runtime {
    flowmap::Runtime::builder().cpus(2).build().unwrap()
}

#[test]
fn a_handle_has_the_name_and_graph_of_its_workflow() {
    let w = WorkflowHandle::new(&doubled);
    assert_eq!(w.name(), "doubled");
    assert!(std::ptr::eq(w.graph().unwrap(), doubled.graph().unwrap()));
    assert_eq!(format!("{:?}", w.clone()), r#"WorkflowHandle { name: "doubled", .. }"#);
}

#[tokio::test]
async fn a_workflow_that_does_not_build_keeps_its_name_and_error() {
    let w = WorkflowHandle::new(&broken);
    assert_eq!(w.name(), "broken");
    let e = w.graph().unwrap_err();
    assert!(matches!(e, Error::Build { workflow, .. } if workflow == "broken"), "{e:?}");
    assert!(format!("{w:?}").starts_with(r#"WorkflowHandle { name: "broken", error: Build {"#), "{w:?}");
    // Running it says why it does not build.
    let e = w.run_json(&runtime(), JsonInputs::new()).await.unwrap_err();
    assert!(matches!(e, JsonRunError::Run(Error::Build { .. })), "{e:?}");
}

#[tokio::test]
async fn a_handle_runs_its_workflow_from_json() {
    let rt = runtime();
    let w = WorkflowHandle::new(&doubled);
    let out = w.run_json(&rt, JsonInputs::new().input("xs", json!([3, 4, 5]))).await.unwrap();
    assert_eq!(out.to_value().unwrap(), json!([6, 8, 10]));
    // A missing input takes its default, as with `Runtime::run_json`.
    let out = w.run_json(&rt, JsonInputs::new()).await.unwrap();
    assert_eq!(out.to_value().unwrap(), json!([2, 4]));
    let e = w.run_json(&rt, JsonInputs::new().input("ys", json!([]))).await.unwrap_err();
    assert!(matches!(&e, JsonRunError::Unknown { input, .. } if input == "ys"), "{e:?}");
}

#[tokio::test]
async fn a_handle_calls_one_task_by_its_qualified_name() {
    let rt = runtime();
    let w = WorkflowHandle::new(&doubled);
    let out =
        w.call_json(&rt, "integration::json::handle::double", JsonInputs::new().input("x", json!(21))).await.unwrap();
    assert_eq!(out.to_value().unwrap(), json!(42));
    let e = w.call_json(&rt, "integration::json::handle::triple", JsonInputs::new()).await.unwrap_err();
    assert!(
        matches!(&e, JsonRunError::NoTarget { workflow, target } if workflow == "doubled" && target == "integration::json::handle::triple"),
        "{e:?}"
    );
}
