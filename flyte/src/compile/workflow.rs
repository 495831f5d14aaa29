//! Workflow templates: nodes with their bindings and metadata, maps as ArrayNodes, sub-workflow
//! calls as workflow nodes, ordering edges as `upstream_node_ids`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use flowmap_model::Settings;
use flowmap_model::graph::{Binding, Graph, Node, NodeKind, SuccessRule, TargetKind, TaskSpec};
use flowmap_model::types::TypeDesc;

use super::task::{map_name, resources};
use super::{duration, flyte_name, identifier, typed_interface};
use crate::error::PackageError;
use crate::idl::flyteidl::core::{
    self, ArrayNode, BindingData, BindingDataCollection, BindingDataMap, Literal, NodeMetadata, OutputReference,
    ResourceType, RetryStrategy, Scalar, TaskNode, TaskNodeOverrides, Void, WorkflowMetadata, WorkflowMetadataDefaults,
    WorkflowNode, WorkflowTemplate, array_node, binding_data, literal, node, node_metadata, scalar, task_node,
    workflow_node,
};
use crate::literal::to_literal;

/// What a graph's nodes refer to: the tasks and sub-workflows of the top-level graph; and the
/// sub-workflows that compiling made of branches' arms (`branch.rs`), for the spec to embed.
pub(crate) struct Scope<'a> {
    pub(crate) tasks: &'a BTreeMap<String, TaskSpec>,
    pub(crate) workflows: &'a BTreeMap<String, Graph>,
    pub(crate) arms: RefCell<Vec<WorkflowTemplate>>,
}

impl<'a> Scope<'a> {
    /// The scope of a top-level graph, with no arm made a sub-workflow yet.
    pub(crate) fn new(graph: &'a Graph) -> Scope<'a> {
        Scope { tasks: &graph.tasks, workflows: &graph.workflows, arms: RefCell::new(Vec::new()) }
    }
}

/// What a node runs, as the compiler needs it.
struct Target<'a> {
    /// Its Flyte name.
    name: String,
    /// Its name on a node (the task's display name, the workflow's name).
    short: &'a str,
    /// Input types by name.
    inputs: Vec<(&'a str, &'a TypeDesc)>,
    /// The task's settings (a workflow has none).
    settings: Settings,
}

impl Scope<'_> {
    fn target<'s>(&'s self, graph: &Graph, n: &Node) -> Result<Target<'s>, PackageError> {
        let missing = |kind| PackageError::Missing { workflow: graph.name.clone(), kind, name: n.target.name.clone() };
        Ok(match n.target.kind {
            TargetKind::Task => {
                let t = self.tasks.get(&n.target.name).ok_or_else(|| missing("task"))?;
                Target {
                    name: flyte_name(&n.target.name),
                    short: t.name(),
                    inputs: t.interface.inputs.iter().map(|p| (p.name.as_str(), &p.ty)).collect(),
                    settings: t.settings.clone(),
                }
            }
            TargetKind::Workflow => {
                let w = self.workflows.get(&n.target.name).ok_or_else(|| missing("workflow"))?;
                Target {
                    name: flyte_name(&n.target.name),
                    short: &w.name,
                    inputs: w.interface.inputs.iter().map(|p| (p.name.as_str(), &p.ty)).collect(),
                    settings: Settings::default(),
                }
            }
            // Compiled by `branch.rs` before a target is asked for.
            TargetKind::Branch => {
                return Err(PackageError::Missing {
                    workflow: graph.name.clone(),
                    kind: "branch node",
                    name: n.id.clone(),
                });
            }
        })
    }
}

/// The template of `graph` (its own nodes; sub-workflows are templates of their own).
pub(crate) fn template(graph: &Graph, scope: &Scope<'_>) -> Result<WorkflowTemplate, PackageError> {
    let mut nodes = Vec::with_capacity(graph.nodes.len());
    for n in &graph.nodes {
        nodes.push(compile_node(graph, n, scope)?);
    }
    let mut outputs = Vec::with_capacity(graph.outputs.len());
    for (out, port) in graph.outputs.iter().zip(&graph.interface.outputs) {
        let what = || format!("output `{}`", out.name);
        outputs.push(core::Binding {
            var: out.name.clone(),
            binding: Some(binding_data(graph, &out.binding, &port.ty, what)?),
        });
    }
    Ok(WorkflowTemplate {
        id: Some(identifier(ResourceType::Workflow, &flyte_name(&graph.qualified_name()))),
        metadata: Some(WorkflowMetadata::default()),
        interface: Some(typed_interface(&graph.interface)),
        nodes,
        outputs,
        metadata_defaults: Some(WorkflowMetadataDefaults::default()),
        ..WorkflowTemplate::default()
    })
}

/// A node's metadata: its name, and its task's retries and timeout with the node's overrides
/// (propeller reads the timeout from the node).
pub(super) fn metadata(name: String, effective: &Settings, overrides: &Settings) -> NodeMetadata {
    NodeMetadata {
        name,
        timeout: effective.timeout.map(duration),
        retries: Some(RetryStrategy { retries: effective.retries.unwrap_or(0) }),
        interruptible_value: overrides.interruptible.map(node_metadata::InterruptibleValue::Interruptible),
        cacheable_value: overrides.cache.map(node_metadata::CacheableValue::Cacheable),
        cache_version_value: overrides.cache_version.clone().map(node_metadata::CacheVersionValue::CacheVersion),
        ..NodeMetadata::default()
    }
}

/// The overrides that land on a task node: resources and image.
fn task_overrides(overrides: &Settings) -> TaskNodeOverrides {
    let resources = (overrides.requests.is_some() || overrides.limits.is_some())
        .then(|| resources(overrides.requests.as_ref(), overrides.limits.as_ref()));
    TaskNodeOverrides {
        resources,
        container_image: overrides.container_image.clone().unwrap_or_default(),
        ..TaskNodeOverrides::default()
    }
}

fn task_node(name: &str, overrides: &Settings) -> node::Target {
    node::Target::TaskNode(TaskNode {
        reference: Some(task_node::Reference::ReferenceId(identifier(ResourceType::Task, name))),
        overrides: Some(task_overrides(overrides)),
    })
}

pub(super) fn compile_node(graph: &Graph, n: &Node, scope: &Scope<'_>) -> Result<core::Node, PackageError> {
    if n.kind == NodeKind::Branch || n.target.kind == TargetKind::Branch {
        return super::branch::branch_node(graph, n, scope);
    }
    let target = scope.target(graph, n)?;
    let effective = target.settings.merged(&n.overrides);
    let mapped = |name: &str| n.map.as_ref().is_some_and(|m| m.mapped.iter().any(|x| x == name));
    let mut inputs = Vec::with_capacity(n.inputs.len());
    for input in &n.inputs {
        let Some((_, ty)) = target.inputs.iter().find(|(name, _)| *name == input.name) else {
            return Err(PackageError::Missing {
                workflow: graph.name.clone(),
                kind: "input",
                name: input.name.clone(),
            });
        };
        let ty = if mapped(&input.name) { TypeDesc::List { items: Box::new((*ty).clone()) } } else { (*ty).clone() };
        let what = || format!("the constant of input `{}` of node {}", input.name, n.id);
        inputs.push(core::Binding {
            var: input.name.clone(),
            binding: Some(binding_data(graph, &input.binding, &ty, what)?),
        });
    }
    // In name order, as flytekit lists them.
    inputs.sort_by(|a, b| a.var.cmp(&b.var));
    let upstream = upstream_of(n);
    let named = |default: &str| n.overrides.name.clone().unwrap_or_else(|| default.to_owned());
    Ok(match n.kind {
        NodeKind::Task => core::Node {
            id: n.id.clone(),
            metadata: Some(metadata(named(target.short), &effective, &n.overrides)),
            inputs,
            upstream_node_ids: upstream,
            target: Some(task_node(&target.name, &n.overrides)),
            ..core::Node::default()
        },
        NodeKind::Workflow => {
            let mut meta = metadata(named(target.short), &effective, &n.overrides);
            // As flytekit writes a sub-workflow node.
            meta.interruptible_value.get_or_insert(node_metadata::InterruptibleValue::Interruptible(false));
            core::Node {
                id: n.id.clone(),
                metadata: Some(meta),
                inputs,
                upstream_node_ids: upstream,
                target: Some(node::Target::WorkflowNode(WorkflowNode {
                    reference: Some(workflow_node::Reference::SubWorkflowRef(identifier(
                        ResourceType::Workflow,
                        &target.name,
                    ))),
                })),
                ..core::Node::default()
            }
        }
        NodeKind::Branch => unreachable!("compiled by branch.rs above"),
        NodeKind::Map => {
            let Some(map) = &n.map else {
                return Err(PackageError::Missing {
                    workflow: graph.name.clone(),
                    kind: "map settings of node",
                    name: n.id.clone(),
                });
            };
            let template = map_name(&target.name, map);
            if map.dynamic {
                return dynamic_map_node(graph, n, &template, inputs, upstream);
            }
            // The element's node carries the settings and overrides; the ArrayNode around it
            // only fans out.
            let sub = core::Node {
                id: template.clone(),
                metadata: Some(metadata(named(&template), &effective, &n.overrides)),
                inputs: inputs.clone(),
                target: Some(task_node(&template, &n.overrides)),
                ..core::Node::default()
            };
            let success_criteria = Some(match map.rule() {
                SuccessRule::All => array_node::SuccessCriteria::MinSuccessRatio(1.0),
                #[allow(clippy::cast_possible_truncation)]
                SuccessRule::Ratio(r) => array_node::SuccessCriteria::MinSuccessRatio(r.to_f64() as f32),
                SuccessRule::AtLeast(k) => {
                    array_node::SuccessCriteria::MinSuccesses(u32::try_from(k.get()).unwrap_or(u32::MAX))
                }
            });
            core::Node {
                id: n.id.clone(),
                metadata: Some(NodeMetadata {
                    name: template.clone(),
                    retries: Some(RetryStrategy::default()),
                    ..NodeMetadata::default()
                }),
                inputs,
                upstream_node_ids: upstream,
                target: Some(node::Target::ArrayNode(Box::new(ArrayNode {
                    node: Some(Box::new(sub)),
                    parallelism_option: map.concurrency.map(|c| array_node::ParallelismOption::Parallelism(c.get())),
                    success_criteria,
                    is_original_sub_node_interface: Some(false),
                    bound_inputs: map.partial.clone(),
                    ..ArrayNode::default()
                }))),
                ..core::Node::default()
            }
        }
    })
}

/// A `dynamic = true` map of a workflow: one task node of its dynamic template, whose pod adds
/// a node of the workflow per element. Flyte neither retries nor times a sub-workflow node, so
/// the map's node settings have nowhere to go: they are refused (its tasks' own settings
/// apply in each element).
fn dynamic_map_node(
    graph: &Graph,
    n: &Node,
    template: &str,
    inputs: Vec<core::Binding>,
    upstream: Vec<String>,
) -> Result<core::Node, PackageError> {
    let mut named_only = Settings::default();
    named_only.name.clone_from(&n.overrides.name);
    if n.overrides != named_only {
        return Err(PackageError::Unsupported {
            workflow: graph.name.clone(),
            node: n.id.clone(),
            what: format!("`.with_overrides(..)` on `map!({}, dynamic = true)`", n.target.name),
            fix: "each element is a sub-workflow node, which Flyte neither retries nor times: give the settings to                   the workflow's tasks, or leave out `dynamic` (one pod per element, with the overrides)"
                .into(),
        });
    }
    let name = n.overrides.name.clone().unwrap_or_else(|| template.to_owned());
    Ok(core::Node {
        id: n.id.clone(),
        metadata: Some(metadata(name, &Settings::default(), &n.overrides)),
        inputs,
        upstream_node_ids: upstream,
        target: Some(task_node(template, &n.overrides)),
        ..core::Node::default()
    })
}

/// The nodes `n` waits for: those its inputs come from, and its `.after(...)`, each once.
pub(super) fn upstream_of(n: &Node) -> Vec<String> {
    let mut upstream: Vec<String> = Vec::new();
    for id in n
        .inputs
        .iter()
        .filter_map(|i| match &i.binding {
            Binding::Node { node, .. } | Binding::After { node } => Some(node),
            _ => None,
        })
        .chain(&n.after)
    {
        if !upstream.contains(id) {
            upstream.push(id.clone());
        }
    }
    upstream
}

/// Where a value comes from, in Flyte's terms.
pub(super) fn binding_data(
    graph: &Graph,
    binding: &Binding,
    ty: &TypeDesc,
    what: impl FnOnce() -> String,
) -> Result<BindingData, PackageError> {
    let promise = |node_id: &str, var: &str| BindingData {
        value: Some(binding_data::Value::Promise(OutputReference {
            node_id: node_id.to_owned(),
            var: var.to_owned(),
            ..OutputReference::default()
        })),
        ..BindingData::default()
    };
    Ok(match binding {
        Binding::Input { name } => promise("", name),
        Binding::Node { node, output } => promise(node, output),
        Binding::Constant { value } => {
            let lit = to_literal(value, ty).map_err(|source| PackageError::Literal {
                workflow: graph.name.clone(),
                what: what(),
                source,
            })?;
            binding_of(lit)
        }
        // A `()` input given the end of a node: a none, there once that node has run.
        Binding::After { .. } => scalar_binding(Scalar { value: Some(scalar::Value::NoneType(Void {})) }),
    })
}

fn scalar_binding(s: Scalar) -> BindingData {
    BindingData { value: Some(binding_data::Value::Scalar(s)), ..BindingData::default() }
}

/// A literal as binding data: scalars as they are, collections and maps item by item.
fn binding_of(lit: Literal) -> BindingData {
    match lit.value {
        Some(literal::Value::Scalar(s)) => scalar_binding(*s),
        Some(literal::Value::Collection(c)) => BindingData {
            value: Some(binding_data::Value::Collection(BindingDataCollection {
                bindings: c.literals.into_iter().map(binding_of).collect(),
            })),
            ..BindingData::default()
        },
        Some(literal::Value::Map(m)) => BindingData {
            value: Some(binding_data::Value::Map(BindingDataMap {
                bindings: m.literals.into_iter().map(|(k, v)| (k, binding_of(v))).collect(),
            })),
            ..BindingData::default()
        },
        Some(literal::Value::OffloadedMetadata(_)) | None => {
            scalar_binding(Scalar { value: Some(scalar::Value::NoneType(Void {})) })
        }
    }
}
