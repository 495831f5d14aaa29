//! Runs a plan: its nodes in the order of its [`Schedule`](crate::plan::schedule::Schedule),
//! independent ones concurrently, keeping every node's outputs until the run ends. Each node runs
//! through [`run_node`]; a sub-workflow's plan runs here again, through the [`RunPlan`] pointer
//! this file hands down (so the files of the executor point one way).

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tracing::Instrument;

use crate::error::{Completed, Error, NodeError};
use crate::exec::context::RunContext;
use crate::exec::hooks::RunPlan;
use crate::exec::node::run_node;
use crate::plan::Plan;
use crate::value::{Source, Value};

/// Runs `plan` with its inputs; returns its outputs in interface order. `alone`: nothing outside
/// this plan's run can make progress on this thread meanwhile (false inside a map).
pub(crate) fn run_graph(
    cx: RunContext,
    plan: Arc<Plan>,
    inputs: Vec<Value>,
    alone: bool,
) -> BoxFuture<'static, Result<Vec<Value>, Error>> {
    Box::pin(drive(cx, plan, inputs, alone))
}

/// [`run_graph`], as the nodes of a run see it.
const RUN_GRAPH: RunPlan = run_graph;

async fn drive(cx: RunContext, plan: Arc<Plan>, inputs: Vec<Value>, alone: bool) -> Result<Vec<Value>, Error> {
    let n = plan.nodes.len();
    if inputs.len() != plan.inputs {
        return Err(Error::Internal("a workflow was given the wrong number of inputs"));
    }
    let schedule = &plan.schedule;
    // How many nodes each one still waits for; a node is ready at 0.
    let mut waiting = schedule.waits.clone();

    // Every finished node's outputs stay here until the run ends: readers share them, and a
    // failed run hands them to the error.
    let mut outputs: Vec<Option<Vec<Value>>> = vec![None; n];
    let read = |outputs: &[Option<Vec<Value>>], s: Source| -> Option<Value> {
        match s {
            Source::Input(i) => inputs.get(i).cloned(),
            Source::Constant(c) => plan.constants.get(c).cloned(),
            Source::Output { node, port } => outputs.get(node)?.as_ref()?.get(port).cloned(),
            Source::Done(node) => outputs.get(node)?.as_ref().map(|_| Arc::new(()) as Value),
            Source::Unbuilt => None,
        }
    };
    let start = |i: usize, outputs: &[Option<Vec<Value>>], alone: bool| {
        let node = &plan.nodes[i];
        let values = node
            .inputs
            .iter()
            .map(|s| read(outputs, *s))
            .collect::<Option<Vec<Value>>>()
            .ok_or(Error::Internal("an input of a node is missing"))?;
        let span = tracing::debug_span!("node", workflow = %plan.workflow, node = %node.id, target = %node.display);
        Ok::<_, Error>(run_node(cx.clone(), plan.clone(), i, values, alone, RUN_GRAPH).map_result(i).instrument(span))
    };
    let mut running = FuturesUnordered::new();
    let mut ready: Vec<usize> = schedule.roots.clone();
    let mut done = 0;
    loop {
        let (i, result) = if alone && running.is_empty() && ready.len() == 1 {
            // The one node of the run that can make progress (a chain's next link): awaited
            // right here, with no task of its own.
            let i = ready[0];
            ready.clear();
            start(i, &outputs, true)?.await
        } else {
            for i in ready.drain(..) {
                running.push(start(i, &outputs, false)?);
            }
            let Some(next) = running.next().await else { break };
            next
        };
        done += 1;
        match result {
            Ok(values) => outputs[i] = Some(values),
            Err(source) => {
                drop(running);
                return Err(node_error(&plan, i, source, completed(&plan, outputs)));
            }
        }
        for d in schedule.dependents(i) {
            waiting[*d] -= 1;
            if waiting[*d] == 0 {
                ready.push(*d);
            }
        }
    }
    if done != n {
        return Err(Error::Internal("some nodes never became ready"));
    }
    // The table is dropped on return, so the caller holds the only references to its outputs.
    plan.outputs
        .iter()
        .map(|s| read(&outputs, *s))
        .collect::<Option<Vec<Value>>>()
        .ok_or(Error::Internal("a workflow output is missing"))
}

/// Tags a node's result with its index.
trait MapResult: Sized {
    fn map_result(self, i: usize) -> impl Future<Output = (usize, Result<Vec<Value>, NodeError>)>;
}

impl<F: Future<Output = Result<Vec<Value>, NodeError>>> MapResult for F {
    async fn map_result(self, i: usize) -> (usize, Result<Vec<Value>, NodeError>) {
        (i, self.await)
    }
}

fn completed(plan: &Plan, outputs: Vec<Option<Vec<Value>>>) -> Completed {
    Completed::new(
        plan.nodes.iter().zip(outputs).filter_map(|(node, values)| Some((node.id.to_string(), values?))).collect(),
    )
}

fn node_error(plan: &Plan, i: usize, source: NodeError, completed: Completed) -> Error {
    let node = &plan.nodes[i];
    Error::Node {
        workflow: plan.workflow.to_string(),
        node: node.id.to_string(),
        target: node.display.to_string(),
        source: Box::new(source),
        completed,
    }
}
