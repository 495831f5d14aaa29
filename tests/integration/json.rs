//! Running a workflow with JSON inputs and outputs, as a command line or a backend does.

use flowmap::json::{JsonInput, JsonInputs, JsonRunError};
use flowmap::prelude::*;
use serde_json::json;

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > 11
}

#[task]
fn count_true(flags: Vec<bool>) -> (usize, usize) {
    (flags.iter().filter(|f| **f).count(), flags.len())
}

#[workflow]
fn anomalies(#[default(vec![10, 12, 11])] data: Vec<i64>, label: String) -> (String, usize, usize) {
    let flags = map!(detect_anomalies)(data_point = data);
    let (hits, total) = count_true(flags);
    (label, hits, total)
}

#[tokio::test]
async fn inputs_and_outputs_travel_as_json() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let run = |inputs: JsonInputs| async { rt.run_json(&anomalies, inputs).await.unwrap().to_value().unwrap() };
    let given = JsonInputs::new().input("data", json!([1, 50, 99])).input("label", json!("run"));
    assert_eq!(run(given).await, json!(["run", 2, 3]));
    // A missing input takes its default.
    assert_eq!(run(JsonInputs::new().input("label", json!("defaults"))).await, json!(["defaults", 1, 3]));
    // An object of inputs by name; inputs given one by one win over it.
    let object = JsonInputs::new().object(r#"{"label": "file", "data": [50]}"#);
    assert_eq!(run(object.clone()).await, json!(["file", 1, 1]));
    assert_eq!(run(object.input("label", json!("flag"))).await, json!(["flag", 1, 1]));
    // Text is read straight into the input's type; the outputs are written straight from theirs.
    let text = JsonInput::parse(" [1, 50, 99, 7] ").unwrap();
    let inputs = JsonInputs::new().input("data", text).input("label", json!("text"));
    let out = rt.run_json(&anomalies, inputs).await.unwrap();
    let (mut compact, mut pretty) = (Vec::new(), Vec::new());
    out.write(&mut compact).unwrap();
    out.write_pretty(&mut pretty).unwrap();
    assert_eq!(String::from_utf8(compact).unwrap(), r#"["text",2,4]"#);
    assert_eq!(String::from_utf8(pretty).unwrap(), "[\n  \"text\",\n  2,\n  4\n]");
    assert!(JsonInput::parse("[1, 2").is_err());
}

#[tokio::test]
async fn a_bad_input_is_named_with_its_expected_type() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let error = |inputs: JsonInputs| async { rt.run_json(&anomalies, inputs).await.unwrap_err() };
    let e = error(JsonInputs::new().input("data", json!("ten")).input("label", json!("x"))).await;
    assert!(
        matches!(&e, JsonRunError::Input { input, expected, .. } if input == "data" && expected == "list<integer>"),
        "{e:?}"
    );
    assert_eq!(
        flowmap::error::Report::new(&e).to_string(),
        "input `data` of `anomalies` takes a value of type list<integer>: invalid type: string \"ten\", expected a sequence"
    );
    // Text, and values inside an object, are read with their position.
    let e = error(JsonInputs::new().input("data", JsonInput::parse(r#"[1, "x"]"#).unwrap()).input("label", json!("x")))
        .await;
    assert_eq!(
        flowmap::error::Report::new(&e).to_string(),
        "input `data` of `anomalies` takes a value of type list<integer>: invalid type: string \"x\", expected i64 at line 1 column 7"
    );
    let e = error(JsonInputs::new().object(r#"{"label": "l", "data": [1, "x"]}"#)).await;
    assert_eq!(
        flowmap::error::Report::new(&e).to_string(),
        "input `data` of `anomalies` takes a value of type list<integer>: invalid type: string \"x\", expected i64 at line 1 column 30"
    );
    // Every missing input is named at once.
    let e = error(JsonInputs::new().object("{}")).await;
    assert_eq!(
        e.to_string(),
        "input `label` of `anomalies` is not given and has no default; `label` takes a value of type string"
    );
    let e = error(JsonInputs::new().input("label", json!("x")).input("label", json!("y"))).await;
    assert_eq!(e.to_string(), "input `label` of `anomalies` is given twice");
    let e = error(JsonInputs::new().object(r#"{"label": "x", "label": "y"}"#)).await;
    assert_eq!(e.to_string(), "input `label` of `anomalies` is given twice");
    let e = error(JsonInputs::new().object(r#"{"lable": "x"}"#)).await;
    assert_eq!(e.to_string(), "`anomalies` has no input `lable`; its inputs are: data, label");
    let e = error(JsonInputs::new().input("lable", json!("x"))).await;
    assert_eq!(e.to_string(), "`anomalies` has no input `lable`; its inputs are: data, label");
    for object in ["[1]", "{\"label\": ", "{\"label\": \"x\"} trailing"] {
        let e = error(JsonInputs::new().object(object)).await;
        assert!(matches!(e, JsonRunError::Object { .. }), "{object}: {e:?}");
    }
}

#[task]
fn join(a: String, b: String, c: i64) -> String {
    format!("{a}{b}{c}")
}

#[workflow]
fn three(a: String, b: String, c: i64) -> String {
    join(a, b, c)
}

#[tokio::test]
async fn every_missing_input_is_named() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let e = rt.run_json(&three, JsonInputs::new().input("b", json!("x"))).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "inputs `a` and `c` of `three` are not given and have no default; `a` takes a value of type string, `c` \
         takes a value of type integer"
    );
    let e = rt.run_json(&three, JsonInputs::new()).await.unwrap_err();
    assert!(e.to_string().starts_with("inputs `a`, `b` and `c` of `three` are not given"), "{e}");
}

#[workflow]
fn labelled(data_point: i64, label: String) -> (String, bool) {
    (label, detect_anomalies(data_point))
}

#[workflow]
fn all_labelled(points: Vec<i64>, label: String) -> (Vec<String>, Vec<bool>) {
    map!(labelled, partial(label = label))(data_point = points)
}

#[workflow]
fn labelled_once(point: i64) -> (String, bool) {
    labelled(data_point = point, label = "once")
}

#[tokio::test]
async fn one_call_of_a_task_or_of_a_mapped_workflow_runs_on_its_own() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    // A task that `anomalies` maps: one element's call.
    let out = rt
        .call_json(&anomalies, "integration::json::detect_anomalies", JsonInputs::new().input("data_point", json!(50)))
        .await
        .unwrap();
    assert_eq!(out.to_value().unwrap(), json!(true));
    // A task it calls once, with two outputs.
    let out = rt
        .call_json(
            &anomalies,
            "integration::json::count_true",
            JsonInputs::new().object(r#"{"flags": [true, false, true]}"#),
        )
        .await
        .unwrap();
    assert_eq!(out.to_value().unwrap(), json!([2, 3]));
    // A mapped sub-workflow: one element runs the whole sub-workflow.
    let inputs = JsonInputs::new().input("data_point", json!(3)).input("label", json!("low"));
    let out = rt.call_json(&all_labelled, "integration::json::labelled", inputs).await.unwrap();
    assert_eq!(out.to_value().unwrap(), json!(["low", false]));
    // A task inside a called sub-workflow.
    let inputs = JsonInputs::new().input("data_point", json!(30));
    let out = rt.call_json(&labelled_once, "integration::json::detect_anomalies", inputs).await.unwrap();
    assert_eq!(out.to_value().unwrap(), json!(true));
    // What the workflow does not use, and inputs that do not fit.
    let e = rt.call_json(&anomalies, "integration::json::nothing", JsonInputs::new()).await.unwrap_err();
    assert_eq!(e.to_string(), "`anomalies` uses no task or mapped workflow `integration::json::nothing`");
    let e = rt.call_json(&anomalies, "integration::json::detect_anomalies", JsonInputs::new()).await.unwrap_err();
    assert!(
        e.to_string().starts_with("input `data_point` of `integration::json::detect_anomalies` is not given"),
        "{e}"
    );
}

/// The erased workflow handle the CLI and the Flyte registry keep.
mod handle;
