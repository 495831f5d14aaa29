//! The serializable graph model: what a workflow is, independent of how it runs.
//!
//! `wf.graph()` returns a [`Graph`]. Its JSON shape is stable and documented here; a later
//! backend compiles it to Flyte's IDL (a `WorkflowTemplate` with `TaskTemplate`s), so it keeps
//! everything that compilation needs: typed interfaces, bindings, map settings, overrides and the
//! task metadata (retries, timeout, cache, resources).
//!
//! ```json
//! {
//!   "format": 1,
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
//!   "tasks": {"map_tasks::detect_anomalies": { "name": "detect_anomalies", "module": "map_tasks", ... }},
//!   "workflows": {}
//! }
//! ```
//!
//! - Node ids are `n0`, `n1`, … in the order the calls appear in the workflow body.
//! - Outputs are named `o0`, `o1`, … (a task returning a tuple has one output per element).
//! - A binding is a workflow input, a node output, or a constant (its JSON value).
//! - `tasks` and `workflows` hold every task and sub-workflow reachable from this graph, keyed by
//!   qualified name (`module::name`); the graphs inside `workflows` have empty tables of their own.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::types::TypeDesc;

/// The version of the JSON shape below; bumped on any incompatible change.
pub const GRAPH_FORMAT: u32 = 1;

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

pub(crate) fn qualified(module: &str, name: &str) -> String {
    if module.is_empty() { name.to_owned() } else { format!("{module}::{name}") }
}

/// Typed inputs and outputs of a task, workflow or node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// Inputs in parameter order.
    pub inputs: Vec<Port>,
    /// Outputs `o0`, `o1`, …
    pub outputs: Vec<Port>,
}

/// One named, typed input or output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// Parameter name, or `o0`, `o1`, … for outputs.
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
}

/// Whether a target is a task or a workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A `#[task]`.
    Task,
    /// A `#[workflow]`.
    Workflow,
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
    #[serde(default, skip_serializing_if = "Overrides::is_empty")]
    pub overrides: Overrides,
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
    /// `o0`, `o1`, …
    pub name: String,
    /// Where the value comes from.
    pub binding: Binding,
}

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Binding {
    /// A workflow input.
    Input {
        /// The input's name.
        name: String,
    },
    /// An output of an earlier node.
    Node {
        /// The node's id.
        node: String,
        /// The output's name.
        output: String,
    },
    /// A constant written in the workflow body.
    Constant {
        /// Its JSON value.
        value: serde_json::Value,
    },
}

/// How a map node fans out and when it succeeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSettings {
    /// At most this many elements run at once; `null` means unbounded (limited by capacity).
    pub concurrency: Option<u32>,
    /// The exact decimal ratio of elements that must succeed, as written (`"0.75"`).
    pub min_success_ratio: Option<String>,
    /// The number of elements that must succeed.
    pub min_successes: Option<u64>,
    /// Whether failed elements are tolerated (outputs are lists of optionals).
    pub tolerant: bool,
    /// Inputs mapped element by element (zipped when several).
    pub mapped: Vec<String>,
    /// Inputs given whole to every element (`partial(...)`).
    pub partial: Vec<String>,
}

/// Resource quantities as written (`{"cpu": "500m", "mem": "2Gi"}`), checked at compile time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// CPU cores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<String>,
    /// Whole GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<String>,
    /// Scratch disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<String>,
}

impl Resources {
    /// Whether no key is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.mem.is_none() && self.gpu.is_none() && self.ephemeral_storage.is_none()
    }

    /// Sets one key by its user-facing name; `false` if the name is not a resource key.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        use flowmap_spec::resources::ResourceKey as K;
        let slot = match K::from_name(key) {
            Some(K::Cpu) => &mut self.cpu,
            Some(K::Mem) => &mut self.mem,
            Some(K::Gpu) => &mut self.gpu,
            Some(K::EphemeralStorage) => &mut self.ephemeral_storage,
            None => return false,
        };
        *slot = Some(value.to_owned());
        true
    }

    /// Each key set on `other` replaces the same key here.
    pub fn merge(&mut self, other: &Resources) {
        for (mine, theirs) in [
            (&mut self.cpu, &other.cpu),
            (&mut self.mem, &other.mem),
            (&mut self.gpu, &other.gpu),
            (&mut self.ephemeral_storage, &other.ephemeral_storage),
        ] {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
    }
}

/// A task's own settings, from `#[task(...)]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Display name (`name = "..."`, default: the function name).
    pub name: String,
    /// The module it is defined in.
    pub module: String,
    /// Whether the function is `async`.
    pub is_async: bool,
    /// Typed inputs and outputs.
    pub interface: Interface,
    /// Extra attempts after a failure.
    pub retries: u32,
    /// Per-attempt timeout, such as `"30s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Whether outputs may be cached (recorded for remote backends; not used locally yet).
    pub cache: bool,
    /// Cache version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_version: Option<String>,
    /// Resources each run requests.
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub requests: Resources,
    /// Resource limits (carried for remote backends; not enforced locally).
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub limits: Resources,
}

/// Per-node settings from `.with_overrides(...)`. Every key left out keeps the task's value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrides {
    /// Node display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Retries for this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Per-attempt timeout for this node, such as `"30s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Caching for this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
    /// Cache version for this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_version: Option<String>,
    /// Requests for this node (per element for a map).
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub requests: Resources,
    /// Limits for this node (not enforced locally).
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub limits: Resources,
    /// Container image (Flyte only; ignored locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_image: Option<String>,
    /// Whether the node may run on interruptible machines (Flyte only; ignored locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruptible: Option<bool>,
}

impl Overrides {
    /// Whether nothing is overridden.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }
}

/// The settings one element (or one plain call) runs with: the task's, overridden by the node's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EffectiveSettings {
    /// Extra attempts after a failure.
    pub retries: u32,
    /// Per-attempt timeout.
    pub timeout: Option<Duration>,
    /// Requests each attempt must be admitted for.
    pub requests: Resources,
}
