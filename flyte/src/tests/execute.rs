//! The container entrypoint against flytekit's own files (`goldens/execute.py`): inputs that
//! flytekit wrote, and outputs and error documents compared with what `pyflyte-execute` and
//! `pyflyte-map-execute` wrote for the same task and element.

use std::time::Duration;

use flowmap::prelude::*;

use super::twins::{Reading, Summary, summarize};
use prost::Message;

use crate::execute::index_from;
use crate::idl::flyteidl::core::{ErrorDocument, LiteralMap, container_error, execution_error};
use crate::{ExecuteArgs, Executed, Registry, execute};

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn map_workflow(data: Vec<i64>) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data)
}

#[workflow]
fn summary(readings: Vec<Reading>, window: Duration) -> Summary {
    summarize(readings, window)
}

#[task]
fn fail_on_odd(x: i64) -> Result<i64, String> {
    if x % 2 == 1 { Err(format!("{x} is odd")) } else { Ok(x) }
}

#[workflow]
fn evens(xs: Vec<i64>) -> Vec<i64> {
    map!(fail_on_odd)(x = xs)
}

#[task]
fn panics(x: i64) -> i64 {
    assert!(x > 100, "x is too small");
    x
}

#[workflow]
fn panicking(x: i64) -> i64 {
    panics(x)
}

const MODULE: &str = "flowmap_flyte.tests";

fn golden(path: &str) -> String {
    format!("{}/goldens/execute/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn registry() -> Registry {
    Registry::new()
        .workflow(&map_workflow)
        .and_then(|r| r.workflow(&summary))
        .and_then(|r| r.workflow(&evens))
        .and_then(|r| r.workflow(&panicking))
        .unwrap()
}

fn args(inputs: &str, task: &str, map: Option<usize>) -> (ExecuteArgs, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("flowmap-execute-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let args = ExecuteArgs {
        inputs: inputs.to_owned(),
        output_prefix: out.display().to_string(),
        raw_output_data_prefix: out.join("raw").display().to_string(),
        task: format!("{MODULE}.{task}"),
        map: map.is_some(),
        element: map,
        ..ExecuteArgs::default()
    };
    (args, out)
}

fn read_map(path: impl AsRef<std::path::Path>) -> LiteralMap {
    LiteralMap::decode(std::fs::read(path).unwrap().as_slice()).unwrap()
}

fn read_error(path: impl AsRef<std::path::Path>) -> ErrorDocument {
    ErrorDocument::decode(std::fs::read(path).unwrap().as_slice()).unwrap()
}

#[tokio::test]
async fn a_map_element_writes_what_pyflyte_map_execute_writes() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = registry();
    for i in [0, 3] {
        let (args, out) = args(&golden("map_detect/inputs.pb"), "execute.detect_anomalies.map", Some(i));
        assert_eq!(execute(&registry, &rt, &args).await.unwrap(), Executed::Succeeded);
        assert_eq!(
            read_map(out.join("outputs.pb")),
            read_map(golden(&format!("map_detect/out{i}/outputs.pb"))),
            "element {i}"
        );
    }
    // An element past the end: Flyte's index is wrong, and a retry would not mend it.
    let (args, out) = args(&golden("map_detect/inputs.pb"), "execute.detect_anomalies.map", Some(4));
    let Executed::Failed { recoverable: false, message, code } = execute(&registry, &rt, &args).await.unwrap() else {
        panic!("element 4 of 4 ran")
    };
    assert_eq!(code, "SYSTEM:ArrayIndex");
    assert!(message.contains("element 4 of a map of 4 elements"), "{message}");
    let doc = read_error(out.join("error.pb")).error.unwrap();
    assert_eq!(doc.kind, container_error::Kind::NonRecoverable as i32);
}

#[tokio::test]
async fn a_struct_task_writes_what_pyflyte_execute_writes() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let (args, out) = args(&golden("summarize/inputs.pb"), "twins.summarize", None);
    assert_eq!(execute(&registry(), &rt, &args).await.unwrap(), Executed::Succeeded);
    assert_eq!(read_map(out.join("outputs.pb")), read_map(golden("summarize/out/outputs.pb")));
}

#[tokio::test]
async fn a_failing_task_writes_a_recoverable_user_error() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = registry();
    // flytekit's own error document for the same failure reads with the same types.
    let theirs = read_error(golden("fail_on_odd/out/error.pb")).error.unwrap();
    assert_eq!(theirs.origin, execution_error::ErrorKind::User as i32);
    assert!(theirs.message.contains("3 is odd"), "{}", theirs.message);
    let (a, out) = args(&golden("fail_on_odd/inputs.pb"), "execute.fail_on_odd.map", Some(0));
    let a = ExecuteArgs { map: false, element: None, task: format!("{MODULE}.execute.fail_on_odd"), ..a };
    let done = execute(&registry, &rt, &a).await.unwrap();
    assert!(matches!(&done, Executed::Failed { code, recoverable: true, .. } if code == "USER:TaskError"), "{done:?}");
    let doc = read_error(out.join("error.pb")).error.unwrap();
    assert_eq!(
        (doc.kind, doc.origin),
        (container_error::Kind::Recoverable as i32, execution_error::ErrorKind::User as i32)
    );
    assert_eq!(doc.message, "task `flowmap_flyte.tests.execute.fail_on_odd` failed after 1 attempt: 3 is odd");
    assert!(!out.join("outputs.pb").exists());
    // A panic too, with its own code.
    let inputs = out.join("panic-inputs.pb");
    std::fs::write(&inputs, read_map(golden("fail_on_odd/inputs.pb")).encode_to_vec()).unwrap();
    let (a, _) = args(inputs.to_str().unwrap(), "execute.panics", None);
    let done = execute(&registry, &rt, &a).await.unwrap();
    assert!(
        matches!(&done, Executed::Failed { code, recoverable: true, message } if code == "USER:Panic" && message.contains("x is too small")),
        "{done:?}"
    );
}

#[tokio::test]
async fn bad_inputs_and_unknown_tasks_are_not_retried() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = registry();
    let check = |done: Executed, code: &str, says: &str| match done {
        Executed::Failed { code: c, message, recoverable: false } => {
            assert_eq!(c, code, "{message}");
            assert!(message.contains(says), "{message}");
        }
        other => panic!("{other:?}"),
    };
    // No inputs file.
    let (a, out) = args("/nonexistent/inputs.pb", "twins.summarize", None);
    check(execute(&registry, &rt, &a).await.unwrap(), "SYSTEM:InputsNotFound", "nothing is at");
    assert!(out.join("error.pb").exists());
    // Bytes that are not a LiteralMap.
    std::fs::create_dir_all(&out).unwrap();
    let garbage = out.join("garbage.pb");
    std::fs::write(&garbage, b"\xff\xff\xff not protobuf").unwrap();
    let (a, _) = args(garbage.to_str().unwrap(), "twins.summarize", None);
    check(execute(&registry, &rt, &a).await.unwrap(), "USER:InputError", "not a LiteralMap");
    // Inputs of another task: a missing input.
    let (a, _) = args(&golden("map_detect/inputs.pb"), "twins.summarize", None);
    check(execute(&registry, &rt, &a).await.unwrap(), "USER:InputError", "the inputs have no `readings`");
    // An input of the wrong type.
    let words = serde_json::json!(["ten", "eleven"]);
    let ty = flowmap_model::types::TypeDesc::of::<Vec<String>>();
    let map = crate::literal::to_literal_map([("data_point", &words, &ty)]).unwrap();
    let wrong = out.join("wrong.pb");
    std::fs::write(&wrong, map.encode_to_vec()).unwrap();
    let (a, _) = args(wrong.to_str().unwrap(), "execute.detect_anomalies.map", Some(1));
    check(
        execute(&registry, &rt, &a).await.unwrap(),
        "USER:InputError",
        "input `data_point` does not fit its type integer: expected an integer, found a string",
    );
    // A task this program does not serve, and --map on a plain task.
    let (a, _) = args(&golden("summarize/inputs.pb"), "execute.nothing", None);
    check(execute(&registry, &rt, &a).await.unwrap(), "SYSTEM:UnknownTask", "serves no task");
    let (a, _) = args(&golden("summarize/inputs.pb"), "twins.summarize", Some(0));
    check(execute(&registry, &rt, &a).await.unwrap(), "SYSTEM:BadArguments", "is not a map template");
}

#[test]
fn the_element_index_is_the_offset_plus_the_named_variable() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    assert_eq!(index_from(env(&[])).unwrap(), 0);
    assert_eq!(
        index_from(env(&[("BATCH_JOB_ARRAY_INDEX_VAR_NAME", "FLYTE_K8S_ARRAY_INDEX"), ("FLYTE_K8S_ARRAY_INDEX", "7")]))
            .unwrap(),
        7
    );
    let both = env(&[
        ("BATCH_JOB_ARRAY_INDEX_OFFSET", "100"),
        ("BATCH_JOB_ARRAY_INDEX_VAR_NAME", "FLYTE_K8S_ARRAY_INDEX"),
        ("FLYTE_K8S_ARRAY_INDEX", "7"),
    ]);
    assert_eq!(index_from(both).unwrap(), 107);
    let bad = index_from(env(&[("BATCH_JOB_ARRAY_INDEX_VAR_NAME", "I"), ("I", "seven")])).unwrap_err();
    assert_eq!(bad.message, "$I is `seven`, not an index");
}

#[workflow]
fn flag_and_double(data_point: i64, factor: i64) -> (bool, i64) {
    (detect_anomalies(data_point), double(data_point, factor))
}

#[task]
fn double(x: i64, factor: i64) -> i64 {
    x * factor
}

#[workflow]
fn flag_all(data: Vec<i64>, factor: i64) -> (Vec<bool>, Vec<i64>) {
    map!(flag_and_double, partial(factor = factor))(data_point = data)
}

#[tokio::test]
async fn a_map_of_a_workflow_runs_the_whole_workflow_for_its_element() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = Registry::new().workflow(&flag_all).unwrap();
    // The package maps the workflow with a task template of its own.
    let package = registry.package("img").unwrap();
    let names: Vec<String> = package.files().into_iter().map(|(n, _)| n).collect();
    assert!(
        names.iter().any(|n| n.ends_with("_flowmap_flyte.tests.execute.flag_and_double.map-partial-factor_1.pb")),
        "{names:?}"
    );
    let (data, factor) = (serde_json::json!([5, 50]), serde_json::json!(3));
    let (list, int) = (flowmap_model::types::TypeDesc::of::<Vec<i64>>(), flowmap_model::types::TypeDesc::of::<i64>());
    let map = crate::literal::to_literal_map([("data_point", &data, &list), ("factor", &factor, &int)]).unwrap();
    let (a, out) = args("", "execute.flag_and_double.map-partial-factor", Some(1));
    std::fs::create_dir_all(&out).unwrap();
    let inputs = out.join("inputs.pb");
    std::fs::write(&inputs, map.encode_to_vec()).unwrap();
    let a = ExecuteArgs { inputs: inputs.display().to_string(), ..a };
    assert_eq!(execute(&registry, &rt, &a).await.unwrap(), Executed::Succeeded);
    let outputs = read_map(out.join("outputs.pb"));
    let value = |name: &str, ty| crate::literal::from_literal(&outputs.literals[name], ty).unwrap();
    assert_eq!(value("o0", &flowmap_model::types::TypeDesc::Boolean), serde_json::json!(true));
    assert_eq!(value("o1", &int), serde_json::json!(150));
}

/// Doubles a number.
///
/// The second paragraph is the rest of the description.
#[task]
fn documented(x: i64) -> i64 {
    2 * x
}

/// One documented call.
#[workflow]
fn documented_once(x: i64) -> i64 {
    documented(x)
}

#[test]
fn doc_comments_are_the_specs_descriptions() {
    use crate::idl::flyteidl::admin::{TaskSpec, WorkflowSpec, description};
    let files = Registry::new().workflow(&documented_once).unwrap().package("img").unwrap().files();
    let task = TaskSpec::decode(files[0].1.as_slice()).unwrap().description.unwrap();
    assert_eq!(task.short_description, "Doubles a number.");
    let long = task.long_description.unwrap();
    assert_eq!(
        long.content,
        Some(description::Content::Value(
            "Doubles a number.\n\nThe second paragraph is the rest of the description.".into()
        ))
    );
    let workflow = WorkflowSpec::decode(files[1].1.as_slice()).unwrap().description.unwrap();
    assert_eq!(workflow.short_description, "One documented call.");
}

#[task(cache = true, cache_version = "3", cache_ignore_inputs = ["seed"], cache_serialize = true)]
fn sampled(x: i64, seed: u64) -> i64 {
    x + i64::try_from(seed % 2).unwrap_or(0)
}

#[workflow]
fn sample(x: i64) -> i64 {
    sampled(x, seed = 7)
}

#[test]
fn cache_settings_travel_to_the_graph_and_the_task_metadata() {
    use crate::idl::flyteidl::admin::TaskSpec;
    let graph = sample.graph().unwrap();
    let json: serde_json::Value = serde_json::from_str(&graph.to_json().unwrap()).unwrap();
    let task = &json["tasks"]["flowmap_flyte::tests::execute::sampled"];
    assert_eq!(
        (&task["cache_ignore_inputs"], &task["cache_serialize"]),
        (&serde_json::json!(["seed"]), &serde_json::json!(true))
    );
    let files = Registry::new().workflow(&sample).unwrap().package("img").unwrap().files();
    let meta = TaskSpec::decode(files[0].1.as_slice()).unwrap().template.unwrap().metadata.unwrap();
    assert!(meta.discoverable && meta.cache_serializable);
    assert_eq!((meta.discovery_version.as_str(), meta.cache_ignore_input_vars), ("3", vec!["seed".to_owned()]));
}

/// Flags a point and scales it, as named outputs.
#[task(outputs(flag, scaled))]
fn flag_and_scale(data_point: i64, factor: i64) -> (bool, i64) {
    (data_point > 11, data_point * factor)
}

#[workflow(outputs(flagged, total))]
fn named_outputs(x: i64) -> (bool, i64) {
    let (flag, scaled) = flag_and_scale(x, 3);
    (flag, scaled)
}

#[tokio::test]
async fn named_outputs_are_the_interfaces_variables() {
    use crate::idl::flyteidl::admin::{TaskSpec, WorkflowSpec};
    let registry = Registry::new().workflow(&named_outputs).unwrap();
    let files = registry.package("img").unwrap().files();
    let outputs = |i: &crate::idl::flyteidl::core::TypedInterface| {
        let mut names: Vec<String> = i.outputs.as_ref().unwrap().variables.keys().cloned().collect();
        names.sort();
        names
    };
    let task = TaskSpec::decode(files[0].1.as_slice()).unwrap().template.unwrap();
    assert_eq!(outputs(task.interface.as_ref().unwrap()), ["flag", "scaled"]);
    let workflow = WorkflowSpec::decode(files[1].1.as_slice()).unwrap().template.unwrap();
    assert_eq!(outputs(workflow.interface.as_ref().unwrap()), ["flagged", "total"]);
    let bound: Vec<String> = workflow.outputs.iter().map(|b| format!("{} <- {:?}", b.var, b.binding)).collect();
    assert!(bound.iter().any(|b| b.starts_with("total <- ") && b.contains("\"scaled\"")), "{bound:?}");

    // The container writes each output under its name.
    let rt = flowmap::Runtime::builder().build().unwrap();
    let int = flowmap_model::types::TypeDesc::of::<i64>();
    let inputs = crate::literal::to_literal_map([
        ("data_point", &serde_json::json!(50), &int),
        ("factor", &serde_json::json!(3), &int),
    ])
    .unwrap();
    let (a, out) = args("", "execute.flag_and_scale", None);
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join("inputs.pb");
    std::fs::write(&path, inputs.encode_to_vec()).unwrap();
    let a = ExecuteArgs { inputs: path.display().to_string(), ..a };
    assert_eq!(execute(&registry, &rt, &a).await.unwrap(), Executed::Succeeded);
    let outputs = read_map(out.join("outputs.pb"));
    let value = |name: &str, ty| crate::literal::from_literal(&outputs.literals[name], ty).unwrap();
    assert_eq!(value("flag", &flowmap_model::types::TypeDesc::Boolean), serde_json::json!(true));
    assert_eq!(value("scaled", &int), serde_json::json!(150));
}
