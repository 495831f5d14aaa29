//! A dynamic's run in a Flyte pod: the graph its body built for the pod's inputs, as the
//! `DynamicJobSpec` flytekit 1.16 writes to `futures.pb` (see `docs/research/flyte-dynamic.md`):
//!
//! - nodes `dn0`, `dn1`, … in call order, compiled as a workflow's nodes (metadata, sorted
//!   inputs, the body's real values as literals, earlier nodes as promises, maps as ArrayNodes);
//! - outputs bound by name: a `Vec` of calls' promises as a collection of promises;
//! - `min_successes` the number of nodes;
//! - the full template of every task the nodes (and the sub-workflows they call) use, and the
//!   full template of every sub-workflow, each id with the execution's project and domain and
//!   the dynamic task's version (propeller finds tasks only here, by equal ids).

use flowmap_model::graph::{Binding, Graph, Interface, Node, TaskSpec};
use flowmap_model::types::TypeDesc;
use flowmap_runtime::__private::{ExpandedOutput, Expansion};

use super::task::Image;
use super::workflow::{Scope, binding_data, compile_node, template};
use crate::error::PackageError;
use crate::idl::flyteidl::core::{
    self, BindingData, BindingDataCollection, DynamicJobSpec, Identifier, WorkflowTemplate, binding_data,
    if_else_block, node, task_node, workflow_node,
};
use crate::package::{Package, called_workflows};

/// What the ids of the spec's tasks and workflows take from the pod's environment, as flytekit
/// sets them: the execution's project and domain, and the dynamic task's own version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ids {
    /// `$FLYTE_INTERNAL_EXECUTION_PROJECT`.
    pub(crate) project: String,
    /// `$FLYTE_INTERNAL_EXECUTION_DOMAIN`.
    pub(crate) domain: String,
    /// `$FLYTE_INTERNAL_TASK_VERSION`.
    pub(crate) version: String,
}

impl Ids {
    fn fill(&self, id: &mut Identifier) {
        id.project.clone_from(&self.project);
        id.domain.clone_from(&self.domain);
        id.version.clone_from(&self.version);
    }
}

/// The id flytekit gives node `id` (`n3`) of a dynamic's body: `dn3`.
fn renamed(id: &str) -> String {
    format!("d{id}")
}

fn rename_binding(b: &mut Binding) {
    if let Binding::Node { node, .. } | Binding::After { node } = b {
        *node = renamed(node);
    }
}

/// The graph of the body, as a workflow of no inputs: its nodes renamed, its tables the body's.
fn graph_of(dynamic: &TaskSpec, expansion: &Expansion) -> Graph {
    let mut nodes: Vec<Node> = expansion.nodes.clone();
    for n in &mut nodes {
        n.id = renamed(&n.id);
        for input in &mut n.inputs {
            rename_binding(&mut input.binding);
        }
        for after in &mut n.after {
            *after = renamed(after);
        }
    }
    Graph {
        name: dynamic.function.clone(),
        module: dynamic.module.clone(),
        interface: Interface { inputs: Vec::new(), outputs: dynamic.interface.outputs.clone() },
        nodes,
        tasks: expansion.tables.tasks.clone(),
        workflows: expansion.tables.workflows.clone(),
        format: flowmap_model::graph::GRAPH_FORMAT,
        outputs: Vec::new(),
        doc: None,
    }
}

/// The `futures.pb` of dynamic `dynamic` whose body built `expansion` (with at least one node):
/// tasks run in `image`, ids as `ids` say.
pub(crate) fn futures(
    dynamic: &TaskSpec,
    expansion: &Expansion,
    image: &Image<'_>,
    ids: &Ids,
) -> Result<DynamicJobSpec, PackageError> {
    let graph = graph_of(dynamic, expansion);
    let scope = Scope::new(&graph);
    let mut nodes = Vec::with_capacity(graph.nodes.len());
    for n in &graph.nodes {
        nodes.push(compile_node(&graph, n, &scope)?);
    }
    let mut outputs = Vec::with_capacity(expansion.outputs.len());
    for (out, port) in expansion.outputs.iter().zip(&dynamic.interface.outputs) {
        let what = || format!("output `{}`", port.name);
        let binding = match out {
            ExpandedOutput::One(b) => {
                let mut b = b.clone();
                rename_binding(&mut b);
                binding_data(&graph, &b, &port.ty, what)?
            }
            ExpandedOutput::Each(each) => {
                let item = match &port.ty {
                    TypeDesc::List { items } => items.as_ref(),
                    other => other,
                };
                let mut bindings = Vec::with_capacity(each.len());
                for b in each {
                    let mut b = b.clone();
                    rename_binding(&mut b);
                    bindings.push(binding_data(&graph, &b, item, what)?);
                }
                BindingData {
                    value: Some(binding_data::Value::Collection(BindingDataCollection { bindings })),
                    ..BindingData::default()
                }
            }
        };
        outputs.push(core::Binding { var: port.name.clone(), binding: Some(binding) });
    }
    let mut subworkflows = Vec::new();
    for name in called_workflows(&graph.nodes, &graph) {
        subworkflows.push(template(&graph.workflows[&name], &scope)?);
    }
    subworkflows.extend(scope.arms.into_inner());
    let mut package = Package::new(image.name);
    if !image.command.is_empty() {
        package = package.command(image.command[0].clone());
    }
    let mut tasks = package.templates_of(&graph)?;
    // Only those the nodes refer to (a map's, not its task's), as flytekit lists them.
    let mut referred = Vec::new();
    for n in nodes.iter().chain(subworkflows.iter().flat_map(|w| &w.nodes)) {
        task_refs(n, &mut referred);
    }
    tasks.retain(|t| t.id.as_ref().is_some_and(|id| referred.contains(&id.name)));
    for t in &mut tasks {
        if let Some(id) = &mut t.id {
            ids.fill(id);
        }
    }
    for n in &mut nodes {
        qualify(n, ids);
    }
    for w in &mut subworkflows {
        qualify_workflow(w, ids);
    }
    Ok(DynamicJobSpec {
        min_successes: i64::try_from(nodes.len()).unwrap_or(i64::MAX),
        nodes,
        outputs,
        tasks,
        subworkflows,
    })
}

/// The names of the tasks node `n` runs (inside it too).
fn task_refs(n: &core::Node, out: &mut Vec<String>) {
    match &n.target {
        Some(node::Target::TaskNode(t)) => {
            if let Some(task_node::Reference::ReferenceId(id)) = &t.reference {
                out.push(id.name.clone());
            }
        }
        Some(node::Target::ArrayNode(a)) => {
            if let Some(sub) = &a.node {
                task_refs(sub, out);
            }
        }
        Some(node::Target::BranchNode(b)) => {
            if let Some(if_else) = &b.if_else {
                let thens =
                    if_else.case.as_deref().into_iter().chain(&if_else.other).filter_map(|c| c.then_node.as_deref());
                for then in thens {
                    task_refs(then, out);
                }
                if let Some(if_else_block::Default::ElseNode(n)) = &if_else.default {
                    task_refs(n, out);
                }
            }
        }
        _ => {}
    }
}

fn qualify_workflow(w: &mut WorkflowTemplate, ids: &Ids) {
    if let Some(id) = &mut w.id {
        ids.fill(id);
    }
    for n in &mut w.nodes {
        qualify(n, ids);
    }
}

/// Fills the ids a node refers to (its task's, its sub-workflow's, those of the nodes inside it).
fn qualify(n: &mut core::Node, ids: &Ids) {
    match &mut n.target {
        Some(node::Target::TaskNode(t)) => {
            if let Some(task_node::Reference::ReferenceId(id)) = &mut t.reference {
                ids.fill(id);
            }
        }
        Some(node::Target::WorkflowNode(w)) => match &mut w.reference {
            Some(workflow_node::Reference::SubWorkflowRef(id) | workflow_node::Reference::LaunchplanRef(id)) => {
                ids.fill(id);
            }
            None => {}
        },
        Some(node::Target::ArrayNode(a)) => {
            if let Some(sub) = &mut a.node {
                qualify(sub, ids);
            }
        }
        Some(node::Target::BranchNode(b)) => {
            if let Some(if_else) = &mut b.if_else {
                if let Some(then) = if_else.case.as_mut().and_then(|c| c.then_node.as_deref_mut()) {
                    qualify(then, ids);
                }
                for then in if_else.other.iter_mut().filter_map(|o| o.then_node.as_deref_mut()) {
                    qualify(then, ids);
                }
                if let Some(if_else_block::Default::ElseNode(n)) = &mut if_else.default {
                    qualify(n, ids);
                }
            }
        }
        _ => {}
    }
}
