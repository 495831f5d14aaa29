//! A task that only a dynamic calls runs in a pod of its own: `futures.pb` names its template
//! (`execute --task NAME`), and the registry finds it through the dynamic's body, which names
//! what it may call. So do maps in a dynamic body (of a task, with a partial input, and of a
//! workflow), a dynamic inside a dynamic, and a task only a branch's arm calls.

use flowmap::prelude::*;
use prost::Message;
use serde_json::{Value as Json, json};

use crate::execute::execute_with;
use crate::idl::flyteidl::core::LiteralMap;
use crate::literal::{decode_literal_map, encode_literal_map};
use crate::{ExecuteArgs, Executed, Registry};

#[task]
fn shout(word: String) -> String {
    word.to_uppercase()
}

#[task]
fn padded(word: String, pad: i64) -> i64 {
    i64::try_from(word.len()).unwrap_or_default() + pad
}

#[workflow]
fn shout_twice(word: String) -> String {
    shout(shout(word))
}

#[dynamic]
fn shout_each(words: Vec<String>) -> Vec<String> {
    words.iter().map(|w| shout(w.clone())).collect()
}

mod helpers {
    use super::*;

    #[task]
    pub(super) fn exclaim(word: String) -> String {
        word + "!"
    }
}

#[dynamic]
fn fan_out(words: Vec<String>, pad: i64) -> (Vec<String>, Vec<i64>, Vec<String>, String) {
    use helpers::exclaim;
    /// A plain helper inside the body: called as a function, not a node.
    fn first(words: &[String]) -> String {
        words.first().cloned().unwrap_or_default()
    }
    let loud = shout_each(words.clone());
    let sizes = map!(padded, partial(pad = pad))(word = words.clone());
    let twice = map!(shout_twice)(word = words.clone());
    (loud, sizes, twice, exclaim(first(&words)))
}

#[task]
fn small(x: i64) -> i64 {
    x + 1
}

#[task]
fn big(x: i64) -> i64 {
    x * 100
}

#[workflow]
#[allow(clippy::type_complexity)]
fn routed(words: Vec<String>, pad: i64, x: i64) -> (Vec<String>, Vec<i64>, Vec<String>, String, i64) {
    let (loud, sizes, twice, first) = fan_out(words, pad);
    let y = if x > 5 { big(x) } else { small(x) };
    (loud, sizes, twice, first, y)
}

const MODULE: &str = "flowmap_flyte.tests.inner";

/// Runs template `task` (of this module) in a pod with `inputs` (JSON by name), element
/// `element` for a map template: how it ended, and its outputs by name when it wrote them.
async fn pod(task: &str, inputs: Json, element: Option<usize>) -> (Executed, Option<Json>) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("flowmap-inner-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let registry = Registry::new().workflow(&routed).unwrap();
    let task = format!("{MODULE}.{task}");
    let found = registry.find(&task);
    let (Some(found), Json::Object(given)) = (found, inputs) else {
        panic!("template `{task}` is not found, or its inputs are not an object")
    };
    // A map template's inputs are lists where the element's are values.
    let mapped = |name: &str| found.map.as_ref().is_some_and(|m| m.mapped.iter().any(|n| n == name));
    let types: Vec<_> = found
        .interface
        .inputs
        .iter()
        .map(|p| {
            let ty = if mapped(&p.name) {
                flowmap::types::TypeDesc::List { items: Box::new(p.ty.clone()) }
            } else {
                p.ty.clone()
            };
            (p.name.clone(), ty)
        })
        .collect();
    let values = types.iter().map(|(name, ty)| (name.as_str(), &given[name], ty));
    std::fs::write(out.join("inputs.pb"), encode_literal_map(values).unwrap()).unwrap();
    let outputs: Vec<_> = found.interface.outputs.iter().map(|p| (p.name.clone(), p.ty.clone())).collect();
    let args = ExecuteArgs {
        inputs: out.join("inputs.pb").display().to_string(),
        output_prefix: out.display().to_string(),
        raw_output_data_prefix: out.join("raw").display().to_string(),
        task,
        map: element.is_some(),
        element,
        ..ExecuteArgs::default()
    };
    let rt = flowmap::Runtime::builder().build().unwrap();
    let var = |name: &str| (name == "FLOWMAP_FLYTE_IMAGE").then(|| "img".to_owned());
    let executed = execute_with(&registry, &rt, &args, &var).await.unwrap();
    let written = std::fs::read(out.join("outputs.pb")).ok().map(|bytes| {
        LiteralMap::decode(bytes.as_slice()).unwrap();
        let types = outputs.iter().map(|(name, ty)| (name.as_str(), ty));
        serde_json::to_value(decode_literal_map(&bytes, types).unwrap()).unwrap()
    });
    (executed, written)
}

#[tokio::test]
async fn a_task_only_a_dynamic_calls_runs_in_its_own_pod() {
    let (executed, outputs) = pod("shout", json!({"word": "hi"}), None).await;
    assert!(matches!(executed, Executed::Succeeded), "{executed:?}");
    assert_eq!(outputs, Some(json!({"o0": "HI"})));
    // Named by a `use` in the body.
    let (_, outputs) = pod("helpers.exclaim", json!({"word": "hi"}), None).await;
    assert_eq!(outputs, Some(json!({"o0": "hi!"})));
}

#[tokio::test]
async fn maps_in_a_dynamic_body_run_one_element_per_pod() {
    let words = json!(["a", "bcd"]);
    let (executed, outputs) = pod("padded.map-partial-pad", json!({"word": words, "pad": 10}), Some(1)).await;
    assert!(matches!(executed, Executed::Succeeded), "{executed:?}");
    assert_eq!(outputs, Some(json!({"o0": 13})));
    // A map of a workflow runs the whole workflow for its element.
    let (_, outputs) = pod("shout_twice.map", json!({"word": words}), Some(0)).await;
    assert_eq!(outputs, Some(json!({"o0": "A"})));
}

#[tokio::test]
async fn a_dynamic_inside_a_dynamic_expands_in_its_own_pod() {
    let (executed, outputs) = pod("shout_each", json!({"words": ["a", "b"]}), None).await;
    assert!(matches!(executed, Executed::Expanded { nodes: 2 }), "{executed:?}");
    assert_eq!(outputs, None);
}

#[tokio::test]
async fn a_task_only_an_arm_calls_runs_in_its_own_pod() {
    let (_, outputs) = pod("big", json!({"x": 7}), None).await;
    assert_eq!(outputs, Some(json!({"o0": 700})));
    let (_, outputs) = pod("small", json!({"x": 1}), None).await;
    assert_eq!(outputs, Some(json!({"o0": 2})));
}

#[test]
fn what_a_body_does_not_name_is_not_found() {
    let registry = Registry::new().workflow(&routed).unwrap();
    // The helper inside the body is a plain function; a map template maps at least one input
    // the task has.
    for name in ["first", "fan_out.first", "padded.map-partial-word-pad", "padded.map-partial-nope", "shout.mapx"] {
        assert!(registry.find(&format!("{MODULE}.{name}")).is_none(), "{name} is found");
    }
    assert!(registry.find(&format!("{MODULE}.padded.map-partial-pad-optional")).is_some());
}
