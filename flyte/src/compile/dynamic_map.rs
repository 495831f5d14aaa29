//! A `dynamic = true` map of a workflow in its Flyte pod: a node of the workflow per element,
//! bound to the element's values (and the partial inputs' whole values), and the map's outputs
//! as lists of the nodes' outputs. The pod writes it as a dynamic's `futures.pb`: what flytekit
//! writes for a `@dynamic` that calls the workflow in a loop (`per_region_wf` in
//! `docs/research/flyte-dynamic/`).

use flowmap_model::Settings;
use flowmap_model::graph::{
    Binding, InputBinding, Interface, MapSettings, Node, NodeKind, Port, TargetKind, TargetRef, TaskSpec,
};
use flowmap_model::types::TypeDesc;
use flowmap_runtime::__private::{ExpandedOutput, Expansion};
use serde_json::Value as Json;

use crate::registry::Found;

/// Why the map's nodes cannot be made from its inputs.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DynamicMapError {
    /// The program has no graph of the mapped workflow.
    #[error("this program has no graph of workflow `{0}`")]
    NoWorkflow(String),
    /// A mapped input is not a list.
    #[error("mapped input `{0}` is not a list")]
    NotAList(String),
    /// The mapped lists are zipped, so they must have one length.
    #[error("the mapped inputs have different lengths: {0}")]
    Lengths(String),
}

/// The dynamic's spec (its outputs are the map's lists) and the graph its pod writes for
/// `values`, the template's inputs in order (lists for mapped inputs).
pub(crate) fn expand(
    task: &str,
    found: &Found<'_>,
    map: &MapSettings,
    values: Vec<Json>,
) -> Result<(TaskSpec, Expansion), DynamicMapError> {
    let graph =
        found.tables.workflows.get(&found.target).ok_or_else(|| DynamicMapError::NoWorkflow(found.target.clone()))?;
    let ports = &found.interface.inputs;
    let mut columns = Vec::with_capacity(ports.len());
    for (port, value) in ports.iter().zip(values) {
        if map.mapped.contains(&port.name) {
            let Json::Array(items) = value else { return Err(DynamicMapError::NotAList(port.name.clone())) };
            columns.push((port, Some(items), Json::Null));
        } else {
            columns.push((port, None, value));
        }
    }
    let lens: Vec<(&str, usize)> =
        columns.iter().filter_map(|(p, items, _)| Some((p.name.as_str(), items.as_ref()?.len()))).collect();
    let n = lens.first().map_or(0, |(_, len)| *len);
    if lens.iter().any(|(_, len)| *len != n) {
        let said: Vec<String> = lens.iter().map(|(name, len)| format!("`{name}` has {len}")).collect();
        return Err(DynamicMapError::Lengths(said.join(", ")));
    }
    let nodes: Vec<Node> = (0..n)
        .map(|i| Node {
            id: format!("n{i}"),
            kind: NodeKind::Workflow,
            target: TargetRef { kind: TargetKind::Workflow, name: found.target.clone() },
            inputs: columns
                .iter()
                .map(|(port, items, whole)| {
                    let value = items.as_ref().map_or(whole, |items| &items[i]).clone();
                    InputBinding { name: port.name.clone(), binding: Binding::Constant { value } }
                })
                .collect(),
            outputs: graph.interface.outputs.clone(),
            map: None,
            overrides: Settings::default(),
            after: Vec::new(),
            branch: None,
        })
        .collect();
    let outputs = graph
        .interface
        .outputs
        .iter()
        .map(|port| {
            let each = nodes.iter().map(|node| Binding::Node { node: node.id.clone(), output: port.name.clone() });
            ExpandedOutput::Each(each.collect())
        })
        .collect();
    let lists = graph
        .interface
        .outputs
        .iter()
        .map(|p| Port { name: p.name.clone(), ty: TypeDesc::List { items: Box::new(p.ty.clone()) }, default: None })
        .collect();
    let spec = TaskSpec {
        function: task.rsplit('.').next().unwrap_or(task).to_owned(),
        module: graph.module.clone(),
        is_async: false,
        interface: Interface { inputs: Vec::new(), outputs: lists },
        settings: Settings::default(),
        doc: None,
        dynamic: true,
    };
    Ok((spec, Expansion { nodes, tables: (*found.tables).clone(), outputs }))
}
