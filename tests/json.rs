//! Running a workflow with JSON inputs and outputs, as a command line or a backend does.

use flowmap::JsonRunError;
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
    let out = rt.run_json(&anomalies, vec![Some(json!([1, 50, 99])), Some(json!("run"))]).await.unwrap();
    assert_eq!(out, json!(["run", 2, 3]));
    // A missing input takes its default.
    let out = rt.run_json(&anomalies, vec![None, Some(json!("defaults"))]).await.unwrap();
    assert_eq!(out, json!(["defaults", 1, 3]));
}

#[tokio::test]
async fn a_bad_input_is_named_with_its_expected_type() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let e = rt.run_json(&anomalies, vec![Some(json!("ten")), Some(json!("x"))]).await.unwrap_err();
    assert!(
        matches!(&e, JsonRunError::Input { input, expected, .. } if input == "data" && expected == "list<integer>"),
        "{e:?}"
    );
    assert_eq!(
        flowmap::Report::new(&e).to_string(),
        "input `data` of `anomalies` takes a value of type list<integer>: invalid type: string \"ten\", expected a sequence"
    );
    let e = rt.run_json(&anomalies, vec![None, None]).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "input `label` of `anomalies` is not given and has no default; it takes a value of type string"
    );
    let e = rt.run_json(&anomalies, vec![None]).await.unwrap_err();
    assert_eq!(e.to_string(), "`anomalies` takes 2 inputs, 1 given");
}
