//! The local executor: runs a compiled graph in dependency order, independent nodes concurrently.

pub(crate) mod attempt;
pub(crate) mod capacity;
pub(crate) mod node;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tracing::Instrument;

use crate::builder::Compiled;
use crate::error::{Completed, Error, NodeError};
use crate::events::EventKind;
use crate::promise::Source;
use crate::runtime::RunContext;
use crate::value::Value;

/// Runs `compiled` with its inputs; returns its outputs in interface order.
pub(crate) async fn run_graph(
    cx: &RunContext,
    compiled: &'static Compiled,
    inputs: Vec<Value>,
) -> Result<Vec<Value>, Error> {
    let plan = &compiled.plan;
    let n = plan.nodes.len();
    let internal = |m: &str| Error::Internal(format!("workflow `{}`: {m}", compiled.graph.name));
    if inputs.len() != compiled.graph.interface.inputs.len() {
        return Err(internal("wrong number of inputs"));
    }

    let mut waiting: Vec<usize> = Vec::with_capacity(n);
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, p) in plan.nodes.iter().enumerate() {
        let mut ups: Vec<usize> = p
            .inputs
            .iter()
            .filter_map(|s| if let Source::Output { node, .. } = s { Some(*node) } else { None })
            .collect();
        ups.sort_unstable();
        ups.dedup();
        if ups.iter().any(|u| *u >= i) {
            return Err(internal("a node reads the output of a later node"));
        }
        for u in &ups {
            dependents[*u].push(i);
        }
        waiting.push(ups.len());
    }

    // Every finished node's outputs stay here until the run ends: readers share them (map and
    // call inputs read through the `Arc`, no copy), and a failed run hands them to the error.
    let mut outputs: Vec<Option<Vec<Value>>> = vec![None; n];
    let read = |outputs: &[Option<Vec<Value>>], s: Source| -> Option<Value> {
        match s {
            Source::Input(i) => inputs.get(i).cloned(),
            Source::Constant(c) => plan.constants.get(c).cloned(),
            Source::Output { node, port } => outputs.get(node)?.as_ref()?.get(port).cloned(),
        }
    };

    let start = |i: usize, outputs: &[Option<Vec<Value>>]| {
        let node = &plan.nodes[i];
        let values = node
            .inputs
            .iter()
            .map(|s| read(outputs, *s))
            .collect::<Option<Vec<Value>>>()
            .ok_or_else(|| internal(&format!("an input of node {} is missing", node.id)))?;
        let span =
            tracing::debug_span!("node", workflow = %compiled.graph.name, node = %node.id, target = %node.display);
        let events = cx.emitter(&compiled.graph.name).for_node(&node.id);
        Ok::<_, Error>(async move { (i, node.exec.run(cx, &events, values).await) }.instrument(span))
    };
    let events = cx.emitter(&compiled.graph.name);
    let mut running = FuturesUnordered::new();
    let ready: Vec<usize> = (0..n).filter(|i| waiting[*i] == 0).collect();
    for i in ready {
        running.push(start(i, &outputs)?);
    }
    let mut done = 0;
    while let Some((i, result)) = running.next().await {
        done += 1;
        let node_events = events.for_node(&plan.nodes[i].id);
        let values = match result {
            Ok(values) => {
                node_events.emit(|| EventKind::NodeSucceeded);
                values
            }
            Err(source) => {
                drop(running);
                let error = node_error(compiled, i, source, completed(compiled, outputs));
                node_events.emit(|| EventKind::NodeFailed { error: error.to_string() });
                return Err(error);
            }
        };
        outputs[i] = Some(values);
        for d in dependents[i].clone() {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                running.push(start(d, &outputs)?);
            }
        }
    }
    drop(running);
    if done != n {
        return Err(internal("some nodes never became ready"));
    }
    // The table is dropped on return, so the caller holds the only references to its outputs.
    plan.outputs
        .iter()
        .map(|s| read(&outputs, *s))
        .collect::<Option<Vec<Value>>>()
        .ok_or_else(|| internal("a workflow output is missing"))
}

fn completed(compiled: &Compiled, outputs: Vec<Option<Vec<Value>>>) -> Completed {
    Completed::new(
        compiled.plan.nodes.iter().zip(outputs).filter_map(|(node, values)| Some((node.id.clone(), values?))).collect(),
    )
}

fn node_error(compiled: &Compiled, i: usize, source: NodeError, completed: Completed) -> Error {
    let node = &compiled.plan.nodes[i];
    Error::Node {
        workflow: compiled.graph.name.clone(),
        node: node.id.clone(),
        target: node.display.clone(),
        source: Box::new(source),
        completed,
    }
}
