//! `#[dynamic]` in a Flyte pod against flytekit 1.16.31's own `futures.pb`
//! (`docs/research/flyte-dynamic/`, made by its `make.sh` from the Python twins in
//! `dyn/workflows.py`): the Rust twins below run through the container entrypoint with the same
//! inputs and environment, and what they write is compared message by message after
//! normalizing names (flytekit's module `dyn.workflows` is ours `flowmap_flyte.tests.dynamic`),
//! images, container arguments, and the order of `upstream_node_ids` (a set in flytekit). Every
//! other difference is undone below, each with its reason (listed in `docs/flyte.md`).

use std::collections::BTreeMap;

use flowmap::prelude::*;
use prost::Message;

use super::golden::{diff, plain};
use crate::execute::execute_with;
use crate::idl::flyteidl::core::{
    self, DynamicJobSpec, LiteralMap, TaskTemplate, binding_data, node, node_metadata, task_node, task_template,
    workflow_node,
};
use crate::{ExecuteArgs, Executed, Registry};

/// flytekit's `Report` dataclass.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Report {
    region: String,
    day: String,
    pub(super) rows: i64,
}

// flytekit's `report` is also `interruptible=True`, which a flowmap task cannot say (only a
// node's override can): see `accept_interruptible`.
#[task(retries = 2, timeout = "5m", cache = true, cache_version = "1")]
fn report(region: String, day: String) -> Report {
    let rows = i64::try_from(region.len()).unwrap_or_default();
    Report { region, day, rows }
}

#[task]
fn step(x: String) -> String {
    x + "!"
}

/// Stands for flytekit's `count(reports)` (see `a_tuple_output_binds_each_output`).
#[task]
fn tally(regions: Vec<String>) -> i64 {
    i64::try_from(regions.len()).unwrap_or_default()
}

#[workflow]
pub(super) fn region_wf(region: String, day: String) -> Report {
    report(region, day)
}

#[dynamic]
fn per_region(regions: Vec<String>, day: String) -> Vec<Report> {
    regions.iter().map(|r| report(r.clone(), day.clone())).collect()
}

/// flytekit's `chain` returns `seed` itself for `n = 0`; a Rust body returns promises, so the
/// twin starts with a call (the same three nodes for `n = 3`).
#[dynamic(retries = 1)]
fn chain(seed: String, n: i64) -> String {
    let mut x = step(seed);
    for _ in 1..n {
        x = step(x);
    }
    x
}

#[dynamic]
fn per_region_wf(regions: Vec<String>, day: String) -> Vec<Report> {
    regions.iter().map(|r| region_wf(r.clone(), day.clone())).collect()
}

#[dynamic]
fn per_region_map(regions: Vec<String>, day: String) -> Vec<Report> {
    map!(report, partial(day = day))(region = regions)
}

#[dynamic]
fn pair_nodes(regions: Vec<String>, day: String) -> (Vec<Report>, i64) {
    let reports: Vec<_> = regions.iter().map(|r| report(r.clone(), day.clone())).collect();
    (reports, tally(regions))
}

/// flytekit's `overrides` also gives each node its id (`node_name=f"report-{r}"`), which a
/// flowmap override cannot (see `overrides_land_where_flytekit_writes_them`).
#[dynamic]
fn overrides(regions: Vec<String>, day: String) -> Vec<Report> {
    regions
        .iter()
        .map(|r| {
            report(r.clone(), day.clone()).with_overrides(
                retries = 5,
                timeout = "1m",
                interruptible = false,
                requests(cpu = "1", mem = "1Gi"),
            )
        })
        .collect()
}

#[task]
fn count(reports: Vec<Report>) -> i64 {
    i64::try_from(reports.len()).unwrap_or_default()
}

/// A dynamic that calls another, then a task on its output.
#[dynamic]
fn nested(regions: Vec<String>, day: String) -> i64 {
    count(per_region(regions, day))
}

#[workflow]
#[allow(clippy::type_complexity)]
fn main_wf(
    regions: Vec<String>,
    day: String,
    seed: String,
    n: i64,
) -> (Vec<Report>, String, Vec<Report>, Vec<Report>, Vec<Report>, i64, Vec<Report>, i64) {
    let a = per_region(regions, day);
    let b = chain(seed, n);
    let c = per_region_wf(regions, day);
    let d = per_region_map(regions, day);
    let (e, f) = pair_nodes(regions, day);
    let g = overrides(regions, day);
    let h = nested(regions, day);
    (a, b, c, d, e, f, g, h)
}

const MODULE: &str = "flowmap_flyte.tests.dynamic";

pub(super) fn research(path: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("docs/research/flyte-dynamic");
    dir.join(path).display().to_string()
}

/// The environment of make.py's pod-like runs (`exec/*/cmd.txt`), with the image variable our
/// dynamic templates carry.
pub(super) fn env(name: &str) -> Option<String> {
    let value = match name {
        "FLYTE_INTERNAL_EXECUTION_PROJECT" => "flowproj",
        "FLYTE_INTERNAL_EXECUTION_DOMAIN" => "development",
        "FLYTE_INTERNAL_EXECUTION_ID" => "a1b2c3",
        "FLYTE_INTERNAL_TASK_PROJECT" => "taskproj",
        "FLYTE_INTERNAL_TASK_DOMAIN" => "taskdomain",
        "FLYTE_INTERNAL_TASK_VERSION" => "v42",
        "FLOWMAP_FLYTE_IMAGE" => "ghcr.io/me/flows:v1",
        _ => return None,
    };
    Some(value.to_owned())
}

/// Runs dynamic `task` in a pod on the inputs of `case`, with environment `var`: how it ended
/// and the output directory.
async fn pod(case: &str, task: &str, var: &(dyn Fn(&str) -> Option<String> + Sync)) -> (Executed, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("flowmap-dynamic-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let args = ExecuteArgs {
        inputs: research(&format!("exec/{case}/inputs.pb")),
        output_prefix: out.display().to_string(),
        raw_output_data_prefix: out.join("raw").display().to_string(),
        task: format!("{MODULE}.{task}"),
        ..ExecuteArgs::default()
    };
    let rt = flowmap::Runtime::builder().build().unwrap();
    let registry = Registry::new().workflow(&main_wf).unwrap();
    (execute_with(&registry, &rt, &args, var).await.unwrap(), out)
}

pub(super) fn read_futures(path: impl AsRef<std::path::Path>) -> DynamicJobSpec {
    DynamicJobSpec::decode(std::fs::read(path).unwrap().as_slice()).unwrap()
}

/// Ours and flytekit's `futures.pb` of `case`, normalized.
async fn both(case: &str, task: &str) -> (DynamicJobSpec, DynamicJobSpec) {
    both_with(case, task, |_, _| {}).await
}

/// [`both`], with `prepare` undoing a difference of the twins first.
async fn both_with(
    case: &str,
    task: &str,
    prepare: fn(&mut DynamicJobSpec, &mut DynamicJobSpec),
) -> (DynamicJobSpec, DynamicJobSpec) {
    let (executed, out) = pod(case, task, &env).await;
    assert!(matches!(executed, Executed::Expanded { .. }), "{case}: {executed:?}");
    assert!(!out.join("outputs.pb").exists(), "{case}: a dynamic that expands writes no outputs.pb");
    // For flyte/check/run.sh, which reads them with flyteidl and flytekit.
    if let Ok(dir) = std::env::var("FLOWMAP_WRITE_FUTURES") {
        std::fs::copy(out.join("futures.pb"), std::path::Path::new(&dir).join(format!("{case}.pb"))).unwrap();
    }
    let (mut mine, mut theirs) =
        (read_futures(out.join("futures.pb")), read_futures(research(&format!("exec/{case}/futures.pb"))));
    normalize(&mut mine);
    normalize(&mut theirs);
    prepare(&mut mine, &mut theirs);
    accept_task_differences(&mut mine, &theirs);
    accept_interruptible(&mut mine, &theirs);
    (mine, theirs)
}

pub(super) fn assert_same(case: &str, mine: &DynamicJobSpec, theirs: &DynamicJobSpec) {
    assert!(mine == theirs, "{case} differs from flytekit's:\n{}", diff(mine, theirs));
}

/// Plain names everywhere (see `golden::plain`), no images or container arguments, upstream
/// ids in order.
pub(super) fn normalize(spec: &mut DynamicJobSpec) {
    fn fix(n: &mut core::Node) {
        n.id = plain(&n.id);
        if let Some(m) = &mut n.metadata {
            m.name = plain(&m.name);
        }
        match &mut n.target {
            Some(node::Target::TaskNode(t)) => {
                if let Some(task_node::Reference::ReferenceId(id)) = &mut t.reference {
                    id.name = plain(&id.name);
                }
            }
            Some(node::Target::WorkflowNode(w)) => {
                if let Some(workflow_node::Reference::SubWorkflowRef(id)) = &mut w.reference {
                    id.name = plain(&id.name);
                }
            }
            Some(node::Target::ArrayNode(a)) => {
                if let Some(sub) = &mut a.node {
                    fix(sub);
                }
            }
            _ => {}
        }
        n.upstream_node_ids.sort();
    }
    spec.nodes.iter_mut().for_each(fix);
    for t in &mut spec.tasks {
        let id = t.id.as_mut().unwrap();
        id.name = plain(&id.name);
        if let Some(task_template::Target::Container(c)) = &mut t.target {
            c.image.clear();
            c.args.clear();
        }
    }
    spec.tasks.sort_by(|a, b| a.id.as_ref().unwrap().name.cmp(&b.id.as_ref().unwrap().name));
    for w in &mut spec.subworkflows {
        let id = w.id.as_mut().unwrap();
        id.name = plain(&id.name);
        w.nodes.iter_mut().for_each(fix);
    }
}

/// The pod plugin runs `container` tasks and the runtime is flowmap's (as in
/// `golden::accept_task_differences`); a map template's interface is the same, but flowmap's
/// `task_type_version`, set to 1 as flytekit's, is checked by `golden`.
pub(super) fn accept_task_differences(mine: &mut DynamicJobSpec, theirs: &DynamicJobSpec) {
    assert_eq!(
        mine.tasks.iter().map(name).collect::<Vec<_>>(),
        theirs.tasks.iter().map(name).collect::<Vec<_>>(),
        "the same task templates"
    );
    for (m, t) in mine.tasks.iter_mut().zip(&theirs.tasks) {
        assert_eq!((m.r#type.as_str(), t.r#type.as_str()), ("container", "python-task"));
        m.r#type.clone_from(&t.r#type);
        let runtime = m.metadata.as_mut().unwrap().runtime.as_mut().unwrap();
        assert_eq!(runtime.flavor, "rust");
        *runtime = t.metadata.as_ref().unwrap().runtime.clone().unwrap();
    }
}

fn name(t: &TaskTemplate) -> String {
    t.id.as_ref().unwrap().name.clone()
}

/// flytekit's `report` is `interruptible=True`: its template's metadata says so, and flytekit
/// copies it into each node's metadata. A flowmap task has no `interruptible` setting (a node
/// override does), so ours has neither: taken from flytekit's here, once checked absent.
pub(super) fn accept_interruptible(mine: &mut DynamicJobSpec, theirs: &DynamicJobSpec) {
    for (m, t) in mine.tasks.iter_mut().zip(&theirs.tasks) {
        let (mm, tm) = (m.metadata.as_mut().unwrap(), t.metadata.as_ref().unwrap());
        if tm.interruptible_value.is_some() && mm.interruptible_value.is_none() {
            mm.interruptible_value.clone_from(&tm.interruptible_value);
        }
    }
    fn fix(m: &mut core::Node, t: &core::Node) {
        let (mm, tm) = (m.metadata.as_mut().unwrap(), t.metadata.as_ref().unwrap());
        if tm.interruptible_value == Some(node_metadata::InterruptibleValue::Interruptible(true))
            && mm.interruptible_value.is_none()
        {
            mm.interruptible_value.clone_from(&tm.interruptible_value);
        }
        if let (Some(node::Target::ArrayNode(ma)), Some(node::Target::ArrayNode(ta))) = (&mut m.target, &t.target)
            && let (Some(ms), Some(ts)) = (ma.node.as_deref_mut(), ta.node.as_deref())
        {
            fix(ms, ts);
        }
    }
    for (m, t) in mine.nodes.iter_mut().zip(&theirs.nodes) {
        fix(m, t);
    }
    for (mw, tw) in mine.subworkflows.iter_mut().zip(&theirs.subworkflows) {
        for (m, t) in mw.nodes.iter_mut().zip(&tw.nodes) {
            fix(m, t);
        }
    }
}

#[tokio::test]
async fn per_region_writes_flytekits_futures_for_one_and_three_regions() {
    for case in ["per_region_1", "per_region_3"] {
        let (mine, theirs) = both(case, "per_region").await;
        assert_same(case, &mine, &theirs);
    }
    // What is compared: a collection of promises even for one node, ids with the execution's
    // project and domain and the dynamic's version.
    let (mine, _) = both("per_region_1", "per_region").await;
    assert_eq!(mine.min_successes, 1);
    let Some(binding_data::Value::Collection(c)) = mine.outputs[0].binding.as_ref().unwrap().value.as_ref() else {
        panic!("a one-element collection")
    };
    assert_eq!(c.bindings.len(), 1);
    let id = mine.tasks[0].id.as_ref().unwrap();
    assert_eq!((id.project.as_str(), id.domain.as_str(), id.version.as_str()), ("flowproj", "development", "v42"));
}

#[tokio::test]
async fn an_empty_body_writes_outputs_not_futures() {
    let (executed, out) = pod("per_region_0", "per_region", &env).await;
    assert_eq!(executed, Executed::Succeeded);
    assert!(!out.join("futures.pb").exists());
    let read = |p: std::path::PathBuf| LiteralMap::decode(std::fs::read(p).unwrap().as_slice()).unwrap();
    assert_eq!(read(out.join("outputs.pb")), read(research("exec/per_region_0/outputs.pb").into()));
}

#[tokio::test]
async fn a_chain_binds_each_call_to_the_one_before() {
    let (mine, theirs) = both("chain_3", "chain").await;
    assert_eq!(
        mine.nodes.iter().map(|n| n.upstream_node_ids.clone()).collect::<Vec<_>>(),
        [vec![], vec!["dn0".to_owned()], vec!["dn1".to_owned()]]
    );
    assert_same("chain_3", &mine, &theirs);
}

/// flowmap names a sub-workflow's nodes `n0`, … wherever it is called; flytekit compiles
/// `region_wf` lazily inside the pod, under the dynamic's prefix, so its nodes are `dn0`, ….
#[tokio::test]
async fn sub_workflow_calls_embed_the_sub_workflow() {
    let (mut mine, theirs) = both("per_region_wf_2", "per_region_wf").await;
    assert_eq!(mine.subworkflows.len(), 1);
    undo_sub_workflow_ids(&mut mine);
    assert_same("per_region_wf_2", &mine, &theirs);
}

/// Names the nodes of `spec`'s one sub-workflow as flytekit does (`dn0` for our `n0`).
pub(super) fn undo_sub_workflow_ids(spec: &mut DynamicJobSpec) {
    let w = &mut spec.subworkflows[0];
    let d = |id: &mut String| {
        assert!(id.starts_with('n'), "{id}");
        *id = format!("d{id}");
    };
    for n in &mut w.nodes {
        d(&mut n.id);
        n.upstream_node_ids.iter_mut().for_each(d);
    }
    for b in w.nodes.iter_mut().flat_map(|n| n.inputs.iter_mut()).chain(w.outputs.iter_mut()) {
        if let Some(binding_data::Value::Promise(p)) = b.binding.as_mut().and_then(|b| b.value.as_mut())
            && !p.node_id.is_empty()
        {
            d(&mut p.node_id);
        }
    }
}

/// A map is one ArrayNode, as a static map; flowmap's map template is named for its task and
/// bound inputs (`report.map-partial-day`), flytekit's for a hash (`map_report_<md5>-arraynode`):
/// `plain` reads both as `map:report`.
#[tokio::test]
async fn a_map_is_one_array_node() {
    let (mine, theirs) = both("per_region_map_3", "per_region_map").await;
    assert_eq!(mine.min_successes, 1);
    assert_same("per_region_map_3", &mine, &theirs);
}

/// flytekit's `pair_nodes` passes the list of report promises to `count`, a binding Rust cannot
/// write (a task's input is one value or one promise); the twin's second output comes from
/// `tally(regions)`. Everything else is compared: the report nodes, both outputs, the ids.
#[tokio::test]
async fn a_tuple_output_binds_each_output() {
    let (mine, theirs) = both_with("pair_nodes_2", "pair_nodes", |mine, theirs| {
        assert_eq!(mine.min_successes, 3);
        let (m2, t2) = (mine.nodes.pop().unwrap(), theirs.nodes.pop().unwrap());
        assert_eq!((m2.id.as_str(), t2.id.as_str()), ("dn2", "dn2"));
        assert_eq!(m2.metadata.as_ref().unwrap().name, "tally");
        assert!(m2.upstream_node_ids.is_empty());
        assert_eq!(t2.upstream_node_ids, ["dn0", "dn1"]);
        mine.tasks.retain(|t| name(t) != "tally");
        theirs.tasks.retain(|t| name(t) != "count");
        // The min_successes of three nodes, the third compared apart.
        mine.min_successes -= 1;
        theirs.min_successes -= 1;
    })
    .await;
    assert_same("pair_nodes_2", &mine, &theirs);
}

/// `.with_overrides(..)` in the body: retries, timeout and `interruptible` in the node's
/// metadata, requests in its task node's overrides, as flytekit writes them. flowmap has no
/// `node_name` override (its `name` is the node's display name, `metadata.name`): flytekit's ids
/// `report-eu`, `report-us` are ours `dn0`, `dn1`, undone here.
#[tokio::test]
async fn overrides_land_where_flytekit_writes_them() {
    let (mine, theirs) = both_with("overrides_2", "overrides", |mine, theirs| {
        let ids: Vec<&str> = theirs.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["report-eu", "report-us"]);
        for (i, n) in theirs.nodes.iter_mut().enumerate() {
            n.id = format!("dn{i}");
        }
        let Some(binding_data::Value::Collection(c)) = theirs.outputs[0].binding.as_mut().unwrap().value.as_mut()
        else {
            panic!("a collection of promises")
        };
        for (i, b) in c.bindings.iter_mut().enumerate() {
            let Some(binding_data::Value::Promise(p)) = &mut b.value else { panic!("a promise") };
            p.node_id = format!("dn{i}");
        }
        // What is compared, beyond the ids: the overrides are there, not only equal.
        let meta = mine.nodes[0].metadata.as_ref().unwrap();
        assert_eq!(meta.retries.unwrap().retries, 5);
        assert_eq!(meta.timeout.unwrap().seconds, 60);
        assert_eq!(meta.interruptible_value, Some(node_metadata::InterruptibleValue::Interruptible(false)));
        let Some(node::Target::TaskNode(t)) = &mine.nodes[1].target else { panic!("a task node") };
        let requests = &t.overrides.as_ref().unwrap().resources.as_ref().unwrap().requests;
        assert_eq!(requests.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(), ["1", "1Gi"]);
    })
    .await;
    assert_same("overrides_2", &mine, &theirs);
}

/// A dynamic's node in a dynamic is a plain task node, its template in `tasks`; flytekit's
/// template carries its serialization settings in `_F_SS_C`, ours the image in
/// `$FLOWMAP_FLYTE_IMAGE` (as when packaged).
#[tokio::test]
async fn a_dynamic_in_a_dynamic_is_a_task_node() {
    let (mine, theirs) = both_with("nested_2", "nested", |mine, theirs| {
        let env = |spec: &mut DynamicJobSpec| {
            let per_region = spec.tasks.iter_mut().find(|t| name(t) == "per_region").unwrap();
            let Some(task_template::Target::Container(c)) = &mut per_region.target else { panic!("a container") };
            std::mem::take(&mut c.env).into_iter().map(|e| e.key).collect::<Vec<_>>()
        };
        assert_eq!(env(mine), ["FLOWMAP_FLYTE_IMAGE"]);
        assert_eq!(env(theirs), ["_F_SS_C"]);
    })
    .await;
    assert_eq!(mine.nodes[1].upstream_node_ids, ["dn0"]);
    assert_same("nested_2", &mine, &theirs);
}

/// Without `$FLOWMAP_FLYTE_IMAGE`, the pod cannot write its tasks' templates: an error, not
/// retried (flytekit fails the same way without `_F_SS_C`); without Flyte's variables, the
/// ids have only their names (as flytekit's `per_region_1_ss_only`).
#[tokio::test]
async fn the_environment_gives_the_image_and_the_ids() {
    let none = |_: &str| None;
    let (executed, out) = pod("per_region_1", "per_region", &none).await;
    let Executed::Failed { code, recoverable: false, .. } = executed else { panic!("{executed:?}") };
    assert_eq!(code, "SYSTEM:NoImage");
    assert!(out.join("error.pb").exists());
    let image_only = |name: &str| (name == "FLOWMAP_FLYTE_IMAGE").then(|| "img".to_owned());
    let (executed, out) = pod("per_region_1", "per_region", &image_only).await;
    assert_eq!(executed, Executed::Expanded { nodes: 1 });
    let mine = read_futures(out.join("futures.pb"));
    let theirs = read_futures(research("exec/per_region_1_ss_only/futures.pb"));
    let ids = |s: &DynamicJobSpec| {
        let id = s.tasks[0].id.clone().unwrap();
        (id.project, id.domain, id.version)
    };
    assert_eq!(ids(&mine), ids(&theirs));
    assert_eq!(ids(&mine), (String::new(), String::new(), String::new()));
}

/// The package registers a dynamic as a plain task template whose container names the image of
/// its tasks; flytekit's has no marker either (`package/05_…per_region_1`).
#[test]
fn the_package_registers_a_dynamic_as_a_plain_task() {
    let files = crate::Package::new("ghcr.io/me/flows:v1").workflow(&main_wf).unwrap().files();
    let specs: BTreeMap<String, crate::idl::flyteidl::admin::TaskSpec> = files
        .iter()
        .filter(|(n, _)| n.ends_with("_1.pb"))
        .map(|(_, b)| {
            let spec = crate::idl::flyteidl::admin::TaskSpec::decode(b.as_slice()).unwrap();
            (plain(&name(spec.template.as_ref().unwrap())), spec)
        })
        .collect();
    let tpl = specs["per_region"].template.as_ref().unwrap();
    assert_eq!((tpl.r#type.as_str(), tpl.task_type_version, tpl.custom.is_none()), ("container", 0, true));
    let Some(task_template::Target::Container(c)) = &tpl.target else { panic!("a container") };
    assert_eq!(c.env.len(), 1);
    assert_eq!((c.env[0].key.as_str(), c.env[0].value.as_str()), ("FLOWMAP_FLYTE_IMAGE", "ghcr.io/me/flows:v1"));
    assert_eq!(specs["chain"].template.as_ref().unwrap().metadata.as_ref().unwrap().retries.unwrap().retries, 1);
    // The tasks a dynamic calls are not known when packaging: only those the workflow calls.
    assert!(!specs.contains_key("report"), "{:?}", specs.keys());
}
