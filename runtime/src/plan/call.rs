//! One call of a target found in a compiled workflow, as a plan of its own: what a container
//! entrypoint (a Flyte task pod) runs. The call is made once, with no retries, timeout or
//! admission: whoever runs the container owns those.

use std::sync::Arc;

use flowmap_model::graph::{Graph, NodeKind, TargetKind};

use crate::plan::{Compiled, NodeSettings, OneCall, Plan, PlanNode, Work};
use crate::value::Source;

/// The one-call plan of `target` (a qualified name), a task or mapped workflow that a node of
/// `compiled` (or of its sub-workflows) calls or maps; the first such node in body order gives
/// it. The plans of all of them are made together on first use and kept in `compiled`, which
/// lives as long as the program.
pub(crate) fn one_call(compiled: &'static Compiled, target: &str) -> Option<&'static OneCall> {
    let calls = compiled.calls.get_or_init(|| {
        let mut calls = Vec::new();
        collect(&compiled.graph, &compiled.graph, &compiled.plan, &mut calls);
        calls
    });
    calls.iter().find(|call| call.target == target)
}

/// Adds a one-call plan for each target that `graph` (planned as `plan`) calls or maps and
/// `calls` lacks, in body order, going into sub-workflows where they are called.
fn collect(top: &Graph, graph: &Graph, plan: &Plan, calls: &mut Vec<OneCall>) {
    for (node, planned) in graph.nodes.iter().zip(&plan.nodes) {
        let target = &node.target.name;
        let kernel = match (&planned.work, node.kind, planned.json) {
            (Work::Call(kernel), _, Some(json)) => Some((kernel.copy(), json)),
            (Work::Map(kernel, shape), NodeKind::Map, Some(json)) => Some((kernel.element(shape.names), json)),
            _ => None,
        };
        if let Some((kernel, json)) = kernel {
            if calls.iter().any(|call| call.target == *target) {
                continue;
            }
            let interface = match node.target.kind {
                TargetKind::Task => top.tasks.get(target).map(|t| &t.interface),
                TargetKind::Workflow => top.workflows.get(target).map(|w| &w.interface),
                TargetKind::Branch => None,
            };
            let Some(interface) = interface else { continue };
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
                    #[cfg(feature = "cache")]
                    cache: None,
                },
                work: Work::Call(kernel),
                json: Some(json),
                pace: Arc::default(),
            };
            let outputs = (0..outputs).map(|port| Source::Output { node: 0, port }).collect();
            let plan = Plan::new(Arc::from(target.as_str()), ports.len(), vec![one], outputs, Vec::new());
            calls.push(OneCall { target: target.clone(), plan: Arc::new(plan), ports, json });
            continue;
        }
        // Into sub-workflows that are called.
        if let (Work::Workflow(sub_plan), Some(sub_graph)) = (&planned.work, top.workflows.get(target)) {
            collect(top, sub_graph, sub_plan, calls);
        }
    }
}
