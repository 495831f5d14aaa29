//! One call of a target found in a compiled workflow, as a plan of its own: what a container
//! entrypoint (a Flyte task pod) runs. The call is made once, with no retries, timeout or
//! admission: whoever runs the container owns those.

use std::sync::{Arc, Mutex, PoisonError};

use flowmap_model::graph::{Graph, NodeKind, Port, TargetKind};

use crate::plan::{Compiled, NodeSettings, Plan, PlanNode, Work, pace::Pace};
use crate::value::Source;

/// A one-node plan calling `target` (a task, or a workflow that is mapped), with the target's
/// input ports and its kernel's view of the values.
pub(crate) struct OneCall {
    /// The plan: one node, reading the plan's inputs in order.
    pub(crate) plan: Plan,
    /// The target's inputs.
    pub(crate) ports: Vec<Port>,
}

/// Finds a node of `compiled` (or of its sub-workflows) that calls or maps `target` (a
/// qualified name), and makes a plan of one call of it: once per workflow and target, as
/// compiled workflows are made once.
pub(crate) fn one_call(compiled: &'static Compiled, target: &str) -> Option<&'static OneCall> {
    type Made = Vec<(usize, String, &'static OneCall)>;
    static MADE: Mutex<Made> = Mutex::new(Vec::new());
    let key = std::ptr::from_ref(compiled) as usize;
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, call)) = made.iter().find(|(k, t, _)| *k == key && t == target) {
        return Some(call);
    }
    let call: &'static OneCall = Box::leak(Box::new(find(&compiled.graph, &compiled.graph, &compiled.plan, target)?));
    made.push((key, target.to_owned(), call));
    Some(call)
}

fn find(top: &Graph, graph: &Graph, plan: &Plan, target: &str) -> Option<OneCall> {
    for (node, planned) in graph.nodes.iter().zip(&plan.nodes) {
        let kernel = match (&planned.work, node.kind) {
            (Work::Call(kernel), _) if node.target.name == target => Some(kernel.copy()),
            (Work::Map(kernel, shape), NodeKind::Map) if node.target.name == target => {
                Some(kernel.element(shape.names))
            }
            _ => None,
        };
        if let Some(kernel) = kernel {
            let interface = match node.target.kind {
                TargetKind::Task => &top.tasks.get(target)?.interface,
                TargetKind::Workflow => &top.workflows.get(target)?.interface,
            };
            let (ports, outputs) = (interface.inputs.clone(), interface.outputs.len());
            let display = planned.display.strip_prefix("map of ").unwrap_or(&planned.display);
            let one = PlanNode {
                id: planned.id.clone(),
                display: Arc::from(display),
                inputs: (0..ports.len()).map(Source::Input).collect(),
                after: Vec::new(),
                settings: NodeSettings {
                    retries: 0,
                    timeout: None,
                    requests: flowmap_model::Resources::default(),
                    cache: None,
                },
                work: Work::Call(kernel),
                pace: Pace::default(),
            };
            let plan = Plan {
                workflow: Arc::from(target),
                inputs: ports.len(),
                nodes: vec![one],
                outputs: (0..outputs).map(|port| Source::Output { node: 0, port }).collect(),
                constants: Vec::new(),
            };
            return Some(OneCall { plan, ports });
        }
        // Into sub-workflows, called or mapped.
        if let (Work::Workflow(sub_plan), Some(sub_graph)) = (&planned.work, top.workflows.get(&node.target.name))
            && let Some(found) = find(top, sub_graph, sub_plan, target)
        {
            return Some(found);
        }
    }
    None
}
