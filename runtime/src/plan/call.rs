//! One call of a target found in a compiled workflow, as a plan of its own: what a container
//! entrypoint (a Flyte task pod) runs. The call is made once, with no retries, timeout or
//! admission: whoever runs the container owns those.

use std::sync::Arc;

use flowmap_model::graph::{Arm, Node, NodeKind, Tables, TargetKind};

use crate::json_io::JsonCodec;
use crate::plan::{ArmPlan, CallKernel, Compiled, NodeSettings, OneCall, Plan, PlanNode, Work};
use crate::value::Source;

/// The one-call plan of `target` (a qualified name), a task or mapped workflow that a node of
/// `compiled` calls or maps: in its sub-workflows, the arms of its branches and the bodies of
/// its dynamics too; the first such node in body order gives it. The plans of all of them are
/// made together on first use and kept in `compiled`, which lives as long as the program.
pub(crate) fn one_call(compiled: &'static Compiled, target: &str) -> Option<&'static OneCall> {
    calls(compiled).iter().find(|call| call.target == target)
}

/// Every one-call plan of `compiled` (see [`one_call`]).
pub(crate) fn calls(compiled: &'static Compiled) -> &'static [OneCall] {
    compiled.calls.get_or_init(|| {
        let graph = &compiled.graph;
        let mut found = Found { calls: Vec::new(), dynamics: Vec::new() };
        let tables = Arc::new(Tables { tasks: graph.tasks.clone(), workflows: graph.workflows.clone() });
        found.collect(&tables, &graph.nodes, &compiled.plan.nodes);
        found.calls
    })
}

/// What the walk has found.
struct Found {
    calls: Vec<OneCall>,
    /// The dynamics whose callees were walked: a dynamic that calls itself is walked once.
    dynamics: Vec<String>,
}

impl Found {
    /// Adds a one-call plan for each target that `nodes` (planned as `planned`, with their
    /// targets in `tables`) call or map and that is not found yet, in body order, going into
    /// sub-workflows, arms and dynamics' callees where they are.
    fn collect(&mut self, tables: &Arc<Tables>, nodes: &[Node], planned: &[PlanNode]) {
        for (node, planned) in nodes.iter().zip(planned) {
            let target = &node.target.name;
            match (&planned.work, node.kind, planned.json) {
                (Work::Call(kernel), _, Some(json)) => {
                    self.add(tables, node, planned, kernel.copy(), json);
                    if let Some(callees) = kernel.callees()
                        && !self.dynamics.contains(target)
                    {
                        self.dynamics.push(target.clone());
                        self.collect(&Arc::new(callees.tables), &callees.nodes, &callees.planned);
                    }
                }
                (Work::Map(kernel, shape), NodeKind::Map, Some(json)) => {
                    self.add(tables, node, planned, kernel.element(shape.names), json);
                }
                (Work::Workflow(sub_plan), _, _) => {
                    if let Some(sub_graph) = tables.workflows.get(target) {
                        self.collect(tables, &sub_graph.nodes, &sub_plan.nodes);
                    }
                }
                (Work::Branch(branch), _, _) => {
                    let Some(model) = &node.branch else { continue };
                    let arms = model.cases.iter().map(|c| &c.arm).chain(std::iter::once(&model.otherwise));
                    for (arm, plan) in arms.zip(branch.arms()) {
                        if let (Arm::Run { nodes, .. }, ArmPlan::Run(plan)) = (arm, plan) {
                            self.collect(tables, nodes, &plan.nodes);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Adds the one-call plan of `node`'s target, running `kernel`, unless it is found already.
    fn add(
        &mut self,
        tables: &Arc<Tables>,
        node: &Node,
        planned: &PlanNode,
        kernel: Box<dyn CallKernel>,
        json: JsonCodec,
    ) {
        let target = &node.target.name;
        if self.calls.iter().any(|call| call.target == *target) {
            return;
        }
        let (interface, spec) = match node.target.kind {
            TargetKind::Task => match tables.tasks.get(target) {
                Some(spec) => (spec.interface.clone(), Some(spec.clone())),
                None => return,
            },
            TargetKind::Workflow => match tables.workflows.get(target) {
                Some(graph) => (graph.interface.clone(), None),
                None => return,
            },
            TargetKind::Branch => return,
        };
        let (inputs, outputs) = (interface.inputs.len(), interface.outputs.len());
        let display = planned.display.strip_prefix("map of ").unwrap_or(&planned.display);
        let one = PlanNode {
            id: planned.id.clone(),
            display: Arc::from(display),
            inputs: (0..inputs).map(Source::Input).collect(),
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
        let plan = Plan::new(Arc::from(target.as_str()), inputs, vec![one], outputs, Vec::new());
        self.calls.push(OneCall {
            target: target.clone(),
            plan: Arc::new(plan),
            interface,
            spec,
            json,
            tables: tables.clone(),
        });
    }
}
