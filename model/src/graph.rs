//! The serializable graph model: what a workflow is, independent of how it runs.
//!
//! `wf.graph()` returns a [`Graph`]. Its JSON shape is stable and documented here; a later
//! backend compiles it to Flyte's IDL (a `WorkflowTemplate` with `TaskTemplate`s), so it keeps
//! everything that compilation needs: typed interfaces, bindings, map settings, overrides and the
//! task metadata (retries, timeout, cache, resources).
//!
//! ```json
//! {
//!   "format": 3,
//!   "name": "map_workflow", "module": "map_tasks",
//!   "interface": {
//!     "inputs":  [{"name": "data", "type": {"type": "list", "items": {"type": "integer", "bits": 64, "signed": true}},
//!                  "default": [10, 12, 11]}],
//!     "outputs": [{"name": "o0", "type": {"type": "list", "items": {"type": "boolean"}}}]
//!   },
//!   "nodes": [{
//!     "id": "n0", "kind": "map",
//!     "target": {"kind": "task", "name": "map_tasks::detect_anomalies"},
//!     "inputs": [{"name": "data_point", "binding": {"kind": "input", "name": "data"}}],
//!     "outputs": [{"name": "o0", "type": {"type": "list", "items": {"type": "boolean"}}}],
//!     "map": {"concurrency": null, "min_success_ratio": null, "min_successes": null,
//!             "tolerant": false, "mapped": ["data_point"], "partial": []},
//!     "overrides": {"requests": {"mem": "2Gi"}}
//!   }],
//!   "outputs": [{"name": "o0", "binding": {"kind": "node", "node": "n0", "output": "o0"}}],
//!   "tasks": {"map_tasks::detect_anomalies": {
//!     "function": "detect_anomalies", "module": "map_tasks", "is_async": false,
//!     "interface": {"inputs": [...], "outputs": [...]}, "retries": 2, "timeout": "30s"
//!   }},
//!   "workflows": {}
//! }
//! ```
//!
//! - Node ids are `n0`, `n1`, … in the order the calls appear in the workflow body.
//! - Outputs are named `o0`, `o1`, … (a task returning a tuple has one output per element, and a
//!   tuple inside that tuple one per element of its own), or as `outputs(total, mean)` names them.
//! - A binding is a workflow input, a node output, a constant (its JSON value), or `after` (the
//!   end of a node with no outputs, given to a `()` input).
//! - `after` lists the nodes a node runs after though no value flows from them (`.after(...)`).
//! - A task's settings and a node's `overrides` use the keys users write (see
//!   [`Settings`]); keys left out are absent.
//! - `tasks` and `workflows` hold every task and sub-workflow reachable from this graph, keyed by
//!   qualified name (`module::name`); the graphs inside `workflows` have empty tables of their own.

use std::collections::BTreeMap;
use std::num::{NonZeroU32, NonZeroU64};

use serde::{Deserialize, Serialize};

pub use crate::binding::Binding;
pub use crate::condition::{CompareOp, Condition};

pub use crate::settings::Settings;
use crate::types::TypeDesc;
/// The values of [`Settings`] and of map settings, where a graph holds them.
pub use flowmap_settings::{quantity::Quantity, ratio::Ratio, resources::ResourceKey, resources::Resources};

/// The version of the JSON shape below; bumped on any incompatible change. Format 2: a task's
/// `function` and its settings under the keys users write (typed when read), map ratios and
/// counts checked when read. Format 3: branch nodes (`kind: "branch"`, `branch` with its cases
/// and arms) and dynamic tasks (`dynamic: true`).
pub const GRAPH_FORMAT: u32 = 3;

/// A compiled workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// [`GRAPH_FORMAT`].
    pub format: u32,
    /// The workflow's name (the function name).
    pub name: String,
    /// The module it is defined in (`module_path!()`).
    pub module: String,
    /// Typed inputs (with defaults) and outputs.
    pub interface: Interface,
    /// Nodes in body order.
    pub nodes: Vec<Node>,
    /// Where each workflow output comes from, in interface order.
    pub outputs: Vec<OutputBinding>,
    /// Every task reachable from this graph, by qualified name.
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskSpec>,
    /// Every sub-workflow reachable from this graph, by qualified name.
    #[serde(default)]
    pub workflows: BTreeMap<String, Graph>,
    /// The workflow function's doc comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl Graph {
    /// `module::name`, the key of this graph in a parent's `workflows` table.
    #[must_use]
    pub fn qualified_name(&self) -> String {
        qualified(&self.module, &self.name)
    }

    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The graph as pretty JSON.
    ///
    /// # Errors
    /// Only if a constant or default failed to serialize, which the builder already rules out.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

/// `module::name` (just `name` at a crate's root).
#[must_use]
pub fn qualified(module: &str, name: &str) -> String {
    if module.is_empty() { name.to_owned() } else { format!("{module}::{name}") }
}

/// Typed inputs and outputs of a task, workflow or node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// Inputs in parameter order.
    pub inputs: Vec<Port>,
    /// Outputs `o0`, `o1`, …, or as `outputs(...)` names them.
    pub outputs: Vec<Port>,
}

/// One named, typed input or output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// Parameter name; for outputs `o0`, `o1`, …, or as `outputs(...)` names them.
    pub name: String,
    /// Structured type.
    #[serde(rename = "type")]
    pub ty: TypeDesc,
    /// The default value of a workflow input (`#[default(expr)]`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
}

/// What a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// One call of a task.
    Task,
    /// One call of a workflow (a sub-workflow node).
    Workflow,
    /// A task or workflow mapped over lists (Flyte's ArrayNode).
    Map,
    /// An `if` or `match` (Flyte's BranchNode): see [`Node::branch`].
    Branch,
}

/// Whether a target is a task or a workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A `#[task]`.
    Task,
    /// A `#[workflow]`.
    Workflow,
    /// No table entry: a branch node's own cases ([`Node::branch`]). Its name is the branch's,
    /// as the body names it (the `let` it is bound to), or `branch`.
    Branch,
}

/// A reference into the graph's `tasks` or `workflows` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRef {
    /// Task or workflow.
    pub kind: TargetKind,
    /// Qualified name (`module::name`).
    pub name: String,
}

/// One node of the graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// `n0`, `n1`, … in body order.
    pub id: String,
    /// Task call, sub-workflow call, or map.
    pub kind: NodeKind,
    /// What it runs.
    pub target: TargetRef,
    /// One binding per input of the target, in parameter order.
    pub inputs: Vec<InputBinding>,
    /// The node's outputs (for a map: lists of the target's outputs).
    pub outputs: Vec<Port>,
    /// Map settings, for map nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<MapSettings>,
    /// Per-node overrides (`.with_overrides(...)`); they apply to this node only.
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub overrides: Settings,
    /// Nodes this one runs after though no value flows from them (`.after(...)`, Flyte's
    /// `a >> b`), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// A branch node's cases and arms. Its `inputs` are every value its conditions and arms
    /// read from outside the branch, named as the arms' nodes bind them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<Branch>,
}

/// The binding of one input of a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputBinding {
    /// The target's parameter name.
    pub name: String,
    /// Where the value comes from.
    pub binding: Binding,
}

/// The binding of one workflow output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputBinding {
    /// `o0`, `o1`, …, or as `#[workflow(outputs(...))]` names them.
    pub name: String,
    /// Where the value comes from.
    pub binding: Binding,
}

/// A branch node's cases, in order, and what runs when none holds: an `if` or `match` of a
/// workflow body (Flyte's `conditional`). The first case whose condition holds runs its arm; the
/// other arms' nodes are skipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// `if`, then each `else if` (or each `match` arm but the last `_`), in order.
    pub cases: Vec<Case>,
    /// The `else` (or `_`) arm.
    pub otherwise: Arm,
}

impl Branch {
    /// Each arm with what chooses it, as a picture labels it: `if x > 5 && n0.o0 < 3`, ...,
    /// `else`.
    #[must_use]
    pub fn labelled_arms(&self) -> Vec<(String, &Arm)> {
        let show = |b: &Binding| match b {
            Binding::Input { name } => name.clone(),
            Binding::Node { node, output } => format!("{node}.{output}"),
            Binding::Constant { value } => value.to_string(),
            Binding::After { node } => node.clone(),
        };
        let cases = self.cases.iter().map(|c| (format!("if {}", c.condition.display(&show)), &c.arm));
        cases.chain(std::iter::once(("else".to_owned(), &self.otherwise))).collect()
    }
}

/// One condition and the arm it guards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// When the arm runs (the cases before it did not hold).
    pub condition: Condition,
    /// What runs.
    pub arm: Arm,
}

/// What an arm of a branch does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Arm {
    /// Runs nodes. Their ids are the branch node's id, the case's index and their own
    /// (`n1-0-0`), and they may bind the workflow's inputs, the outputs of nodes before the
    /// branch and each other's outputs.
    Run {
        /// In body order.
        nodes: Vec<Node>,
        /// The branch node's outputs, from this arm.
        outputs: Vec<Binding>,
    },
    /// Fails the run with a message (`fail!("...")`, Flyte's `.else_().fail(...)`).
    Fail {
        /// What the failure says.
        message: String,
    },
    /// Does nothing: an `if` with no `else`, whose value (none) is not used.
    Nothing,
}

/// How a map node fans out and when it succeeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSettings {
    /// At most this many elements run at once; `null` means unbounded (limited by capacity).
    pub concurrency: Option<NonZeroU32>,
    /// The exact decimal ratio of elements that must succeed, as written (`"0.75"`).
    pub min_success_ratio: Option<Ratio>,
    /// The number of elements that must succeed.
    pub min_successes: Option<NonZeroU64>,
    /// Whether failed elements are tolerated (outputs are lists of optionals).
    pub tolerant: bool,
    /// Inputs mapped element by element (zipped when several).
    pub mapped: Vec<String>,
    /// Inputs given whole to every element (`partial(...)`).
    pub partial: Vec<String>,
    /// A map of a workflow that Flyte runs as a dynamic node (`map!(wf, dynamic = true)`): a
    /// sub-workflow node per element, each of its tasks in a pod of its own, where a plain map
    /// of a workflow runs each element's whole workflow in one pod. Locally both run the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dynamic: bool,
}

/// How many elements of a map must succeed: `map!`'s `min_success_ratio` / `min_successes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuccessRule {
    /// Every element (neither option given).
    All,
    /// `ceil(ratio × n)`, computed exactly.
    Ratio(Ratio),
    /// `min_successes`: at least this many.
    AtLeast(NonZeroU64),
}

impl SuccessRule {
    /// Whether failed elements may be tolerated, which makes the map's outputs lists of
    /// optionals: anything but every element (a ratio of exactly 1 is every element).
    #[must_use]
    pub fn tolerant(self) -> bool {
        match self {
            SuccessRule::All => false,
            SuccessRule::Ratio(r) => !r.is_one(),
            SuccessRule::AtLeast(_) => true,
        }
    }
}

impl MapSettings {
    /// The success rule these settings describe.
    #[must_use]
    pub fn rule(&self) -> SuccessRule {
        match (self.min_successes, self.min_success_ratio) {
            (Some(k), _) => SuccessRule::AtLeast(k),
            (None, Some(r)) => SuccessRule::Ratio(r),
            (None, None) => SuccessRule::All,
        }
    }
}

/// A task: its identity, typed interface and settings, as in a graph's `tasks` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The function's name.
    pub function: String,
    /// The module it is defined in (`module_path!()`).
    pub module: String,
    /// Whether the function is `async`.
    pub is_async: bool,
    /// Typed inputs and outputs.
    pub interface: Interface,
    /// Its `#[task(...)]` options; `name` is the display name when it differs from the function.
    #[serde(flatten)]
    pub settings: Settings,
    /// The task function's doc comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// A `#[dynamic]`: its body runs when its node runs and builds the graph that then runs
    /// (Flyte's `@dynamic`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dynamic: bool,
}

impl TaskSpec {
    /// The display name: `name = "..."`, or the function's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.settings.name.as_deref().unwrap_or(&self.function)
    }

    /// `module::name`, the task's key in a graph's `tasks` table.
    #[must_use]
    pub fn qualified_name(&self) -> String {
        qualified(&self.module, self.name())
    }
}

/// The tasks and sub-workflows a graph refers to, by qualified name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    /// Tasks.
    pub tasks: BTreeMap<String, TaskSpec>,
    /// Sub-workflows (whose own tables are empty: everything is listed at the top).
    pub workflows: BTreeMap<String, Graph>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented shape, complete: it reads into the model with no runtime, and writes back
    /// to the same JSON.
    const MAP_WORKFLOW: &str = r#"{
      "format": 3,
      "name": "map_workflow", "module": "map_tasks",
      "interface": {
        "inputs":  [{"name": "data", "type": {"type": "list", "items": {"type": "integer", "bits": 64, "signed": true}},
                     "default": [10, 12, 11]}],
        "outputs": [{"name": "o0", "type": {"type": "list", "items": {"type": "boolean"}}}]
      },
      "nodes": [{
        "id": "n0", "kind": "map",
        "target": {"kind": "task", "name": "map_tasks::detect_anomalies"},
        "inputs": [{"name": "data_point", "binding": {"kind": "input", "name": "data"}}],
        "outputs": [{"name": "o0", "type": {"type": "list", "items": {"type": "boolean"}}}],
        "map": {"concurrency": 4, "min_success_ratio": "0.75", "min_successes": null,
                "tolerant": true, "mapped": ["data_point"], "partial": []},
        "overrides": {"requests": {"mem": "2Gi"}}
      }],
      "outputs": [{"name": "o0", "binding": {"kind": "node", "node": "n0", "output": "o0"}}],
      "tasks": {"map_tasks::detect_anomalies": {
        "function": "detect_anomalies", "module": "map_tasks", "is_async": false,
        "interface": {
          "inputs": [{"name": "data_point", "type": {"type": "integer", "bits": 64, "signed": true}}],
          "outputs": [{"name": "o0", "type": {"type": "boolean"}}]
        },
        "retries": 2, "timeout": "30s"
      }},
      "workflows": {}
    }"#;

    #[test]
    fn the_documented_json_reads_back_into_the_model() {
        let g: Graph = serde_json::from_str(MAP_WORKFLOW).unwrap();
        let map = g.node("n0").and_then(|n| n.map.as_ref()).unwrap();
        assert_eq!(map.rule(), SuccessRule::Ratio(Ratio::parse("0.75").unwrap()));
        assert!(map.rule().tolerant());
        let task = &g.tasks["map_tasks::detect_anomalies"];
        assert_eq!(task.settings.timeout, Some(std::time::Duration::from_secs(30)));
        assert_eq!(task.qualified_name(), "map_tasks::detect_anomalies");
        let back: serde_json::Value = serde_json::from_str(&g.to_json().unwrap()).unwrap();
        let original: serde_json::Value = serde_json::from_str(MAP_WORKFLOW).unwrap();
        assert_eq!(back, original);
    }

    #[test]
    fn bad_values_are_refused_when_read() {
        for (bad, why) in [
            (r#""concurrency": 4"#, r#""concurrency": 0"#),
            (r#""min_success_ratio": "0.75""#, r#""min_success_ratio": "1.5""#),
            (r#""timeout": "30s""#, r#""timeout": "soon""#),
            (r#""mem": "2Gi""#, r#""mem": "2Gx""#),
        ] {
            let text = MAP_WORKFLOW.replace(bad, why);
            assert!(serde_json::from_str::<Graph>(&text).is_err(), "{why} was accepted");
        }
    }

    /// A branch node as the JSON writes it: its conditions, its arms' nodes (bound to the
    /// workflow's inputs and to each other), a failing arm; DOT draws each arm in a box.
    #[test]
    fn a_branch_reads_back_and_draws_its_arms() {
        let text = r#"{
          "format": 3, "name": "route", "module": "m",
          "interface": {
            "inputs": [{"name": "x", "type": {"type": "integer", "bits": 64, "signed": true}},
                       {"name": "mode", "type": {"type": "string"}}],
            "outputs": [{"name": "o0", "type": {"type": "integer", "bits": 64, "signed": true}}]
          },
          "nodes": [{
            "id": "n0", "kind": "branch", "target": {"kind": "branch", "name": "base"},
            "inputs": [{"name": "x", "binding": {"kind": "input", "name": "x"}}],
            "outputs": [{"name": "o0", "type": {"type": "integer", "bits": 64, "signed": true}}],
            "branch": {
              "cases": [{
                "condition": {"kind": "and",
                  "left": {"kind": "compare", "op": "gt", "left": {"kind": "input", "name": "x"},
                           "right": {"kind": "constant", "value": 5}},
                  "right": {"kind": "compare", "op": "ne", "left": {"kind": "input", "name": "mode"},
                            "right": {"kind": "constant", "value": "slow"}}},
                "arm": {"kind": "run", "nodes": [{
                  "id": "n0-0-0", "kind": "task", "target": {"kind": "task", "name": "m::big"},
                  "inputs": [{"name": "x", "binding": {"kind": "input", "name": "x"}}],
                  "outputs": [{"name": "o0", "type": {"type": "integer", "bits": 64, "signed": true}}]
                }], "outputs": [{"kind": "node", "node": "n0-0-0", "output": "o0"}]}
              }],
              "otherwise": {"kind": "fail", "message": "x is too small"}
            }
          }],
          "outputs": [{"name": "o0", "binding": {"kind": "node", "node": "n0", "output": "o0"}}],
          "tasks": {}, "workflows": {}
        }"#;
        let g: Graph = serde_json::from_str(text).unwrap();
        let branch = g.nodes[0].branch.as_ref().unwrap();
        let show = |b: &Binding| match b {
            Binding::Input { name } => name.clone(),
            Binding::Constant { value } => value.to_string(),
            _ => "?".to_owned(),
        };
        assert_eq!(branch.cases[0].condition.display(&show), r#"x > 5 && mode != "slow""#);
        assert_eq!(branch.otherwise, Arm::Fail { message: "x is too small".into() });
        let back: serde_json::Value = serde_json::from_str(&g.to_json().unwrap()).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(text).unwrap());
        let dot = g.to_dot();
        assert!(dot.contains(r#""n0" [shape=diamond, label="n0: if base"];"#), "{dot}");
        assert!(dot.contains(r#"subgraph "cluster_n0-0" {"#), "{dot}");
        assert!(dot.contains(r#"label="if x > 5 && mode != \"slow\"";"#), "{dot}");
        assert!(dot.contains(r#""n0-0-0" [shape=box, label="n0-0-0: big"];"#), "{dot}");
        assert!(dot.contains(r#""n0-1" [shape=octagon, label="fail: x is too small"];"#), "{dot}");
    }
}
