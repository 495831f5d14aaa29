//! The package of the golden workflows against flytekit's (`goldens/make.sh` packages
//! `goldens/golden/workflows.py`, whose twins these are). Files are paired by what they hold and
//! compared message by message, ignoring only names, images and container arguments; the
//! differences that remain are each undone below with the reason, and listed in the crate docs.

use std::collections::BTreeMap;
use std::time::Duration;

use flowmap::prelude::*;

use super::twins::{Reading, Summary, summarize};
use prost::Message;

use crate::idl::flyteidl::admin::{LaunchPlan, TaskSpec, WorkflowSpec};
use crate::idl::flyteidl::core::{self, array_node, if_else_block, node, task_node, task_template, workflow_node};

const THRESHOLD: i64 = 11;

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > THRESHOLD
}

#[workflow]
fn map_workflow(#[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data)
}

#[workflow]
fn map_workflow_with_resource_overrides(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data).with_overrides(requests(mem = "2Gi"))
}

#[workflow]
fn map_workflow_with_additional_params(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<Option<bool>> {
    map!(detect_anomalies, concurrency = 1, min_success_ratio = 0.75)(data_point = data)
}

#[task]
fn scale(x: f64, factor: f64) -> f64 {
    x * factor
}

#[task]
fn total(xs: Vec<f64>) -> f64 {
    xs.iter().sum()
}

#[workflow]
fn scaled_total(xs: Vec<f64>, #[default(2.0)] factor: f64) -> f64 {
    let scaled = map!(scale, partial(factor = factor))(x = xs);
    total(scaled)
}

#[workflow]
fn outer(xs: Vec<f64>) -> f64 {
    scaled_total(xs = xs, factor = 3.0)
}

#[task]
fn first_large(values: Vec<i64>, above: i64) -> Option<i64> {
    values.into_iter().find(|v| *v > above)
}

#[workflow]
fn structs(readings: Vec<Reading>, window: Duration, values: Vec<i64>) -> (Summary, Option<i64>) {
    (summarize(readings, window), first_large(values = values, above = 10))
}

#[task(retries = 2, timeout = "30s", cache = true, cache_version = "1")]
fn write(path: String) {
    let _ = path;
}

#[task(requests(cpu = "2", mem = "1Gi", gpu = "1"), limits(mem = "2Gi", gpu = "1"))]
fn read(path: String) -> i64 {
    path.len() as i64
}

#[workflow]
fn ordered(#[default("/tmp/x".to_owned())] path: String) -> i64 {
    let w = write(path);
    read(path).after(w)
}

#[task(retries = 3, timeout = "5m", cache = true, cache_version = "2", requests(cpu = "1"))]
fn fetch(url: String) -> String {
    url
}

#[workflow]
fn fetch_all(urls: Vec<String>) -> Vec<Option<String>> {
    map!(fetch, concurrency = 8, min_successes = 2)(url = urls).with_overrides(
        retries = 1,
        timeout = "90s",
        requests(cpu = "500m", mem = "1Gi"),
        limits(mem = "2Gi"),
        container_image = "ghcr.io/me/fetch:v2",
        interruptible = true,
        name = "fetch-each",
    )
}

#[workflow]
fn fetch_one(#[default("https://example.com".to_owned())] url: String
) -> String {
    fetch(url).with_overrides(retries = 5, interruptible = true)
}

#[task]
fn double(x: i64) -> i64 {
    2 * x
}

#[task]
fn negate(x: i64) -> i64 {
    -x
}

#[task]
fn is_even(x: i64) -> bool {
    x % 2 == 0
}

#[workflow]
fn compared(x: i64, y: i64) -> i64 {
    let picked = if x == y {
        double(x)
    } else if x < 0 {
        negate(x)
    } else {
        double(y)
    };
    picked
}

#[workflow]
fn joined(x: i64, y: i64) -> i64 {
    let j = if x > 5 && y < 3 || x == 0 {
        double(x)
    } else if x >= 2 && (y <= 1 || x != y) {
        negate(y)
    } else {
        fail!("no case holds")
    };
    j
}

#[workflow]
fn flagged(x: i64) -> i64 {
    let even = is_even(x);
    let f = if even {
        double(x)
    } else if !even {
        negate(x)
    } else {
        fail!("neither")
    };
    f
}

#[workflow]
fn staged(x: i64) -> i64 {
    let s = if x > 0 {
        let d = double(x);
        negate(d)
    } else {
        negate(x)
    };
    s
}

#[workflow]
fn fed(x: i64) -> i64 {
    let v = if x > 10 { double(x) } else { negate(x) };
    double(v)
}

fn ours() -> crate::Package {
    crate::Package::new("ghcr.io/me/anomalies:v1")
        .workflow(&map_workflow)
        .and_then(|p| p.workflow(&map_workflow_with_resource_overrides))
        .and_then(|p| p.workflow(&map_workflow_with_additional_params))
        .and_then(|p| p.workflow(&scaled_total))
        .and_then(|p| p.workflow(&outer))
        .and_then(|p| p.workflow(&structs))
        .and_then(|p| p.workflow(&ordered))
        .and_then(|p| p.workflow(&fetch_all))
        .and_then(|p| p.workflow(&fetch_one))
        .and_then(|p| p.workflow(&compared))
        .and_then(|p| p.workflow(&joined))
        .and_then(|p| p.workflow(&flagged))
        .and_then(|p| p.workflow(&staged))
        .and_then(|p| p.workflow(&fed))
        .unwrap()
}

/// A package's files decoded, by kind.
#[derive(Default)]
struct Decoded {
    tasks: Vec<TaskSpec>,
    workflows: Vec<WorkflowSpec>,
    launch_plans: Vec<LaunchPlan>,
}

fn decode(files: Vec<(String, Vec<u8>)>) -> Decoded {
    let mut d = Decoded::default();
    for (name, bytes) in files {
        match name.rsplit('_').next() {
            Some("1.pb") => d.tasks.push(TaskSpec::decode(bytes.as_slice()).unwrap()),
            Some("2.pb") => d.workflows.push(WorkflowSpec::decode(bytes.as_slice()).unwrap()),
            Some("3.pb") => d.launch_plans.push(LaunchPlan::decode(bytes.as_slice()).unwrap()),
            _ => panic!("unexpected file {name}"),
        }
    }
    d
}

fn goldens() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/goldens/package", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// The plain name of a task or workflow: `detect_anomalies` for flytekit's
/// `golden.workflows.detect_anomalies` and for ours `flowmap_flyte.tests.golden.detect_anomalies`;
/// a map template is `map:` its task and its interface, which tells its variants apart.
pub(super) fn plain(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    // flytekit: `map_{task}_{hash}-arraynode`.
    if let Some(rest) = last.strip_prefix("map_").and_then(|r| r.strip_suffix("-arraynode")) {
        return format!("map:{}", rest.rsplit_once('_').map_or(rest, |(task, _)| task));
    }
    // ours: `{task}.map[-partial-...][-optional]`.
    if last == "map" || last.starts_with("map-") {
        let task = name[..name.len() - last.len() - 1].rsplit('.').next().unwrap_or_default();
        return format!("map:{task}");
    }
    last.to_owned()
}

/// Renames every Flyte name in a package to its plain name (map templates: with their
/// interface), and clears images and container arguments.
fn normalize(d: &mut Decoded) {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for t in &d.tasks {
        let tpl = t.template.as_ref().unwrap();
        let name = tpl.id.as_ref().unwrap().name.clone();
        let mut plain = plain(&name);
        if plain.starts_with("map:") {
            let bytes = tpl.interface.as_ref().unwrap().encode_to_vec();
            let fnv =
                bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
            plain = format!("{plain}#{fnv:016x}");
        }
        renames.insert(name, plain);
    }
    for w in &d.workflows {
        let name = w.template.as_ref().unwrap().id.as_ref().unwrap().name.clone();
        renames.insert(name.clone(), plain(&name));
    }
    let rename = |s: &mut String| {
        if let Some(p) = renames.get(s.as_str()) {
            *s = p.clone();
        }
    };
    for t in &mut d.tasks {
        let tpl = t.template.as_mut().unwrap();
        rename(&mut tpl.id.as_mut().unwrap().name);
        if let Some(task_template::Target::Container(c)) = &mut tpl.target {
            c.image.clear();
            c.args.clear();
        }
    }
    let fix_nodes = |nodes: &mut Vec<core::Node>| {
        fn fix(n: &mut core::Node, rename: &dyn Fn(&mut String)) {
            rename(&mut n.id);
            if let Some(m) = &mut n.metadata {
                rename(&mut m.name);
            }
            match &mut n.target {
                Some(node::Target::TaskNode(t)) => {
                    if let Some(task_node::Reference::ReferenceId(id)) = &mut t.reference {
                        rename(&mut id.name);
                    }
                }
                Some(node::Target::WorkflowNode(w)) => {
                    if let Some(workflow_node::Reference::SubWorkflowRef(id)) = &mut w.reference {
                        rename(&mut id.name);
                    }
                }
                Some(node::Target::ArrayNode(a)) => {
                    if let Some(sub) = &mut a.node {
                        fix(sub, rename);
                    }
                }
                Some(node::Target::BranchNode(b)) => {
                    for then in then_nodes(b) {
                        fix(then, rename);
                    }
                }
                _ => {}
            }
            // flytekit lists a branch node's upstream nodes from a set, in no fixed order
            // (Propeller sorts them): compared as sets.
            n.upstream_node_ids.sort();
        }
        for n in nodes {
            fix(n, &rename);
        }
    };
    for w in &mut d.workflows {
        for tpl in w.template.iter_mut().chain(w.sub_workflows.iter_mut()) {
            rename(&mut tpl.id.as_mut().unwrap().name);
            fix_nodes(&mut tpl.nodes);
        }
    }
    for lp in &mut d.launch_plans {
        rename(&mut lp.id.as_mut().unwrap().name);
        rename(&mut lp.spec.as_mut().unwrap().workflow_id.as_mut().unwrap().name);
    }
}

/// The then-nodes and the else node of a branch node.
fn then_nodes(b: &mut core::BranchNode) -> Vec<&mut core::Node> {
    let Some(if_else) = b.if_else.as_mut() else { return Vec::new() };
    let mut nodes: Vec<&mut core::Node> = Vec::new();
    if let Some(case) = if_else.case.as_mut()
        && let Some(then) = case.then_node.as_mut()
    {
        nodes.push(then);
    }
    nodes.extend(if_else.other.iter_mut().filter_map(|o| o.then_node.as_deref_mut()));
    if let Some(if_else_block::Default::ElseNode(n)) = if_else.default.as_mut() {
        nodes.push(n);
    }
    nodes
}

fn by_name<T>(items: Vec<T>, name: impl Fn(&T) -> String) -> BTreeMap<String, T> {
    items.into_iter().map(|t| (name(&t), t)).collect()
}

#[test]
fn the_package_matches_flytekits_message_by_message() {
    // For flyte/check/run.sh, which checks the package with Flyte's own Python code.
    if let Ok(path) = std::env::var("FLOWMAP_WRITE_PACKAGE") {
        ours().write_tgz(path).unwrap();
    }
    let mut mine = decode(ours().files());
    let mut theirs = decode(goldens());
    normalize(&mut mine);
    normalize(&mut theirs);
    let task_name = |t: &TaskSpec| t.template.as_ref().unwrap().id.as_ref().unwrap().name.clone();
    let wf_name = |w: &WorkflowSpec| w.template.as_ref().unwrap().id.as_ref().unwrap().name.clone();
    let lp_name = |l: &LaunchPlan| l.id.as_ref().unwrap().name.clone();
    let (mine_tasks, their_tasks) = (by_name(mine.tasks, task_name), by_name(theirs.tasks, task_name));
    let mut differences = Vec::new();
    let mut mine_tasks = mine_tasks;
    let (fetch_mine, fetch_theirs) = accept_min_successes(&mut mine_tasks, &their_tasks);
    let only = |a: &BTreeMap<String, TaskSpec>, b: &BTreeMap<String, TaskSpec>| {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect::<Vec<_>>()
    };
    let (only_mine, only_theirs) = (only(&mine_tasks, &their_tasks), only(&their_tasks, &mine_tasks));
    assert_eq!((only_mine, only_theirs), (vec![], vec![]), "the same task templates");
    for (name, mut m) in mine_tasks {
        let t = &their_tasks[&name];
        accept_task_differences(&mut m, t);
        if &m != t {
            differences.push(format!("task {name}:\n{}", diff(&m, t)));
        }
    }
    let (mine_wfs, mut their_wfs) = (by_name(mine.workflows, wf_name), by_name(theirs.workflows, wf_name));
    let mut their_lps = by_name(theirs.launch_plans, lp_name);
    accept_arm_entity(&mut their_wfs, &mut their_lps);
    assert_eq!(mine_wfs.keys().collect::<Vec<_>>(), their_wfs.keys().collect::<Vec<_>>(), "the same workflows");
    for (name, mut m) in mine_wfs {
        let t = &their_wfs[&name];
        if name == "fetch_all" {
            accept_min_successes_node(&mut m, &fetch_mine, &fetch_theirs);
        }
        if name == "staged" {
            accept_arm_name(&mut m);
        }
        if &m != t {
            differences.push(format!("workflow {name}:\n{}", diff(&m, t)));
        }
    }
    let mine_lps = by_name(mine.launch_plans, lp_name);
    assert_eq!(mine_lps.keys().collect::<Vec<_>>(), their_lps.keys().collect::<Vec<_>>(), "the same launch plans");
    for (name, m) in mine_lps {
        let t = &their_lps[&name];
        if &m != t {
            differences.push(format!("launch plan {name}:\n{}", diff(&m, t)));
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n\n"));
}

/// The lines where two messages' pretty forms differ, with the line above each for context.
pub(super) fn diff(mine: &impl std::fmt::Debug, theirs: &impl std::fmt::Debug) -> String {
    let (m, t) = (format!("{mine:#?}"), format!("{theirs:#?}"));
    let (m, t): (Vec<&str>, Vec<&str>) = (m.lines().collect(), t.lines().collect());
    let mut out = Vec::new();
    for i in 0..m.len().max(t.len()) {
        let (a, b) = (m.get(i).copied().unwrap_or("<end>"), t.get(i).copied().unwrap_or("<end>"));
        if a != b {
            out.push(format!(
                "  at line {i} (after `{}`):\n    ours:     {}\n    flytekit: {}",
                m.get(i.wrapping_sub(1)).copied().unwrap_or("").trim(),
                a.trim(),
                b.trim()
            ));
            if out.len() == 3 {
                break;
            }
        }
    }
    out.join("\n")
}

/// flytekit 1.16.31 drops `min_successes` (`map_task(fetch, min_successes=2)` gets
/// `min_success_ratio: 1.0`, and its template's output is `list<str>`, as if every element were
/// required). Ours keeps the rule: the ArrayNode has `min_successes: 2`, and the map template's
/// output is a list of optionals. Here ours takes flytekit's interface, so that the rest of the
/// template is still compared.
fn accept_min_successes(
    mine: &mut BTreeMap<String, TaskSpec>,
    theirs: &BTreeMap<String, TaskSpec>,
) -> (String, String) {
    let key = |map: &BTreeMap<String, TaskSpec>| map.keys().find(|k| k.starts_with("map:fetch#")).cloned().unwrap();
    let (m_key, t_key) = (key(mine), key(theirs));
    let mut m = mine.remove(&m_key).unwrap();
    let tpl = m.template.as_mut().unwrap();
    let t = theirs[&t_key].template.as_ref().unwrap();
    let output = |i: &core::TypedInterface| format!("{:?}", i.outputs.as_ref().unwrap().variables["o0"].r#type);
    assert!(output(tpl.interface.as_ref().unwrap()).contains("UnionType"), "ours: a list of optionals");
    assert!(!output(t.interface.as_ref().unwrap()).contains("UnionType"), "flytekit's: a plain list");
    tpl.interface.clone_from(&t.interface);
    tpl.id.as_mut().unwrap().name.clone_from(&t_key);
    mine.insert(t_key.clone(), m);
    (m_key, t_key)
}

/// The ArrayNode of `fetch_all`: ours has `min_successes: 2` where flytekit's has
/// `min_success_ratio: 1.0` (see [`accept_min_successes`]), and refers to its map template by
/// its own name.
fn accept_min_successes_node(mine: &mut WorkflowSpec, m_key: &str, t_key: &str) {
    let tpl = mine.template.as_mut().unwrap();
    let n = &mut tpl.nodes[0];
    n.metadata.as_mut().unwrap().name = t_key.to_owned();
    let Some(node::Target::ArrayNode(a)) = &mut n.target else { panic!("fetch_all's n0 is an ArrayNode") };
    assert_eq!(a.success_criteria, Some(array_node::SuccessCriteria::MinSuccesses(2)));
    a.success_criteria = Some(array_node::SuccessCriteria::MinSuccessRatio(1.0));
    let sub = a.node.as_mut().unwrap();
    assert_eq!(sub.id, m_key);
    sub.id = t_key.to_owned();
    let Some(node::Target::TaskNode(t)) = &mut sub.target else { panic!("a task node") };
    let Some(task_node::Reference::ReferenceId(id)) = &mut t.reference else { panic!("a reference") };
    id.name = t_key.to_owned();
}

/// flytekit needs a `@workflow` for an arm of several statements (`staged_arm`), and packages it
/// as a workflow of its own with a launch plan, besides embedding it in `staged`'s spec. flowmap
/// makes the arm a sub-workflow of `staged` alone. Here flytekit's separate entity is dropped,
/// once it is found to be the very template embedded in `staged`, where it is compared.
fn accept_arm_entity(workflows: &mut BTreeMap<String, WorkflowSpec>, launch_plans: &mut BTreeMap<String, LaunchPlan>) {
    let arm = workflows.remove("staged_arm").expect("flytekit packages staged_arm as a workflow");
    assert!(launch_plans.remove("staged_arm").is_some(), "and gives it a launch plan");
    let embedded = &workflows["staged"].sub_workflows;
    assert_eq!(embedded.len(), 1);
    assert_eq!(Some(&embedded[0]), arm.template.as_ref(), "staged_arm is the template embedded in staged");
}

/// flowmap names the sub-workflow of an arm by its workflow, branch node and case
/// (`staged.n0-0`), where flytekit has the name of the user's `@workflow` (`staged_arm`); the
/// then-node calling it is named as it.
fn accept_arm_name(mine: &mut WorkflowSpec) {
    let [sub] = mine.sub_workflows.as_mut_slice() else { panic!("staged embeds one sub-workflow") };
    let id = sub.id.as_mut().unwrap();
    assert!(id.name.ends_with(".staged.n0-0"), "{}", id.name);
    let full = std::mem::replace(&mut id.name, "staged_arm".to_owned());
    let n = &mut mine.template.as_mut().unwrap().nodes[0];
    let Some(node::Target::BranchNode(b)) = &mut n.target else { panic!("staged's n0 is a branch node") };
    let then = b.if_else.as_mut().unwrap().case.as_mut().unwrap().then_node.as_mut().unwrap();
    assert_eq!(then.metadata.as_ref().unwrap().name, "staged.n0-0");
    "staged_arm".clone_into(&mut then.metadata.as_mut().unwrap().name);
    let Some(node::Target::WorkflowNode(w)) = &mut then.target else { panic!("a workflow node") };
    let Some(workflow_node::Reference::SubWorkflowRef(r)) = &mut w.reference else { panic!("a sub-workflow") };
    assert_eq!(r.name, full);
    "staged_arm".clone_into(&mut r.name);
}

/// Differences in task templates that are by design: each is listed in the crate docs.
fn accept_task_differences(mine: &mut TaskSpec, theirs: &TaskSpec) {
    let (m, t) = (mine.template.as_mut().unwrap(), theirs.template.as_ref().unwrap());
    // The pod plugin runs `container` tasks; `python-task` names flytekit's own executor.
    assert_eq!((m.r#type.as_str(), t.r#type.as_str()), ("container", "python-task"));
    m.r#type.clone_from(&t.r#type);
    // The runtime is flowmap's, not flytekit's.
    let runtime = m.metadata.as_mut().unwrap().runtime.as_mut().unwrap();
    assert_eq!((runtime.flavor.as_str(), runtime.r#type), ("rust", 0));
    *runtime = t.metadata.as_ref().unwrap().runtime.clone().unwrap();
}
