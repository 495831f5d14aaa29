//! `map!(workflow, dynamic = true)` on Flyte: one task node of a dynamic template, whose pod
//! writes a node of the workflow per element. For `regions` and a `day` it writes what flytekit
//! 1.16.31 writes for `per_region_wf` (a `@dynamic` calling `region_wf` in a loop;
//! `docs/research/flyte-dynamic/exec/per_region_wf_2`), but for the sub-workflow's node ids (as
//! for a `#[dynamic]`'s, see `sub_workflow_calls_embed_the_sub_workflow`).

use std::collections::BTreeMap;

use flowmap::prelude::*;
use prost::Message;

use super::dynamic::{
    Report, accept_interruptible, accept_task_differences, assert_same, env, normalize, read_futures, region_wf,
    research, undo_sub_workflow_ids,
};
use super::golden::plain;
use crate::execute::execute_with;
use crate::idl::flyteidl::admin;
use crate::idl::flyteidl::core::{LiteralMap, literal, node, task_template};
use crate::{Executed, PackageError, Registry};

#[workflow]
fn fanned(regions: Vec<String>, day: String) -> Vec<Report> {
    map!(region_wf, dynamic = true, partial(day = day))(region = regions)
}

#[workflow]
fn fanned_with_retries(regions: Vec<String>, day: String) -> Vec<Report> {
    map!(region_wf, dynamic = true, partial(day = day))(region = regions).with_overrides(retries = 2)
}

const TEMPLATE: &str = "flowmap_flyte.tests.dynamic.region_wf.map-partial-day-dynamic";

/// Runs the dynamic map's template in a pod on flytekit's inputs of `case` (its `regions` are
/// our mapped `region`): how it ended and the output directory.
async fn pod(case: &str) -> (Executed, std::path::PathBuf) {
    let (args, out) = super::pod_args("dynamic-map", TEMPLATE);
    let theirs = std::fs::read(research(&format!("exec/{case}/inputs.pb"))).unwrap();
    let mut inputs = LiteralMap::decode(theirs.as_slice()).unwrap();
    let regions = inputs.literals.remove("regions").unwrap();
    inputs.literals.insert("region".into(), regions);
    std::fs::write(out.join("inputs.pb"), inputs.encode_to_vec()).unwrap();
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = Registry::new().workflow(&fanned).unwrap();
    (execute_with(&registry, &rt, &args, &env).await.unwrap(), out)
}

#[tokio::test]
async fn a_dynamic_map_writes_flytekits_futures_of_a_loop_over_the_workflow() {
    let (executed, out) = pod("per_region_wf_2").await;
    assert_eq!(executed, Executed::Expanded { nodes: 2 });
    if let Ok(dir) = std::env::var("FLOWMAP_WRITE_FUTURES") {
        std::fs::copy(out.join("futures.pb"), std::path::Path::new(&dir).join("dynamic_map_2.pb")).unwrap();
    }
    let mut mine = read_futures(out.join("futures.pb"));
    let mut theirs = read_futures(research("exec/per_region_wf_2/futures.pb"));
    normalize(&mut mine);
    normalize(&mut theirs);
    accept_task_differences(&mut mine, &theirs);
    accept_interruptible(&mut mine, &theirs);
    undo_sub_workflow_ids(&mut mine);
    assert_same("dynamic map of 2", &mine, &theirs);
}

#[tokio::test]
async fn an_empty_dynamic_map_writes_empty_outputs() {
    let (executed, out) = pod("per_region_0").await;
    assert_eq!(executed, Executed::Succeeded);
    let outputs = LiteralMap::decode(std::fs::read(out.join("outputs.pb")).unwrap().as_slice()).unwrap();
    let Some(literal::Value::Collection(c)) = &outputs.literals["o0"].value else { panic!("a list: {outputs:?}") };
    assert!(c.literals.is_empty());
    assert!(!out.join("futures.pb").exists());
}

/// The workflow's node is a task node of the dynamic template (not an ArrayNode); the template is
/// list-typed as a map's, runs without `--map`, and carries the image its pod writes into
/// `futures.pb`.
#[test]
fn the_package_has_a_task_node_of_a_dynamic_template() {
    let files = crate::Package::new("ghcr.io/me/flows:v1").workflow(&fanned).unwrap().files();
    let tasks: BTreeMap<String, admin::TaskSpec> = files
        .iter()
        .filter(|(n, _)| n.ends_with("_1.pb"))
        .map(|(_, b)| {
            let spec = admin::TaskSpec::decode(b.as_slice()).unwrap();
            (spec.template.as_ref().unwrap().id.as_ref().unwrap().name.clone(), spec)
        })
        .collect();
    assert_eq!(tasks.keys().collect::<Vec<_>>(), [TEMPLATE], "only the dynamic template: its pod writes the rest");
    let tpl = tasks[TEMPLATE].template.as_ref().unwrap();
    assert_eq!(tpl.task_type_version, 0);
    let Some(task_template::Target::Container(c)) = &tpl.target else { panic!("a container") };
    assert!(!c.args.iter().any(|a| a == "--map"), "{:?}", c.args);
    assert_eq!(c.env[0].key, "FLOWMAP_FLYTE_IMAGE");
    let inputs = &tpl.interface.as_ref().unwrap().inputs.as_ref().unwrap().variables;
    assert_eq!(inputs.keys().collect::<Vec<_>>(), ["day", "region"]);
    let workflow = files.iter().find(|(n, _)| n.ends_with("_2.pb")).unwrap();
    let spec = admin::WorkflowSpec::decode(workflow.1.as_slice()).unwrap();
    let nodes = &spec.template.unwrap().nodes;
    let Some(node::Target::TaskNode(t)) = &nodes[0].target else { panic!("a task node: {:?}", nodes[0].target) };
    let Some(crate::idl::flyteidl::core::task_node::Reference::ReferenceId(id)) = &t.reference else { panic!() };
    assert_eq!(id.name, TEMPLATE);
    assert_eq!(plain(&id.name), "map:region_wf");
}

#[test]
fn node_settings_on_a_dynamic_map_are_refused() {
    let e = crate::Package::new("img").workflow(&fanned_with_retries).unwrap_err();
    let PackageError::Unsupported { what, fix, .. } = &e else { panic!("{e:?}") };
    assert!(what.contains("dynamic = true"), "{what}");
    assert!(fix.contains("leave out `dynamic`"), "{fix}");
}

#[test]
fn locally_a_dynamic_map_runs_as_any_map() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let reports = rt.run(&fanned, (vec!["eu".into(), "asia".into()], "mon".into())).wait().unwrap();
    assert_eq!(reports.iter().map(|r| r.rows).collect::<Vec<_>>(), [2, 4]);
    let graph = fanned.graph().unwrap();
    assert!(graph.nodes[0].map.as_ref().unwrap().dynamic);
}

#[task]
fn join(a: String, b: String) -> String {
    a + &b
}

#[workflow]
fn joined(a: String, b: String) -> String {
    join(a, b)
}

#[workflow]
fn zipped(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    map!(joined, dynamic = true)(a = a, b = b)
}

/// Mapped lists of two lengths are the inputs' fault: not retried.
#[tokio::test]
async fn mapped_lists_of_two_lengths_are_an_input_error() {
    let (args, out) = super::pod_args("dynamic-map", "flowmap_flyte.tests.dynamic_map.joined.map-dynamic");
    let list = flowmap::types::TypeDesc::List { items: Box::new(flowmap::types::TypeDesc::String) };
    let (a, b) = (serde_json::json!(["x", "y"]), serde_json::json!(["z"]));
    let bytes = crate::literal::encode_literal_map([("a", &a, &list), ("b", &b, &list)]).unwrap();
    std::fs::write(out.join("inputs.pb"), bytes).unwrap();
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = Registry::new().workflow(&zipped).unwrap();
    let executed = execute_with(&registry, &rt, &args, &env).await.unwrap();
    let Executed::Failed { code, message, .. } = executed else { panic!("{executed:?}") };
    assert_eq!(code, "USER:InputError");
    assert!(message.contains("`a` has 2, `b` has 1"), "{message}");
}
