//! The order a plan's nodes may run in, computed once when the plan is built: per node how many
//! nodes it waits for, and which nodes wait for it. A run copies the counts and walks the rest,
//! so nothing of the graph's shape is rebuilt per run.

use crate::plan::PlanNode;
use crate::value::Source;

/// When each node of a plan may start: once every node it waits for has ended.
#[derive(Clone, Debug, Default)]
pub(crate) struct Schedule {
    /// Per node, how many distinct nodes it waits for: those whose outputs it reads, and those it
    /// runs after (an ordering edge).
    pub(crate) waits: Vec<usize>,
    /// The nodes that wait for none, in body order: where a run starts.
    pub(crate) roots: Vec<usize>,
    /// The nodes waiting for node `i` are `dependents[starts[i]..starts[i + 1]]`, in body order.
    starts: Vec<usize>,
    dependents: Vec<usize>,
}

impl Schedule {
    /// The schedule of `nodes`. A reference to a node that is not in the plan is no wait (reading
    /// its value fails when the node starts); a cycle leaves its nodes waiting forever, which the
    /// executor reports when nothing else runs.
    pub(crate) fn of(nodes: &[PlanNode]) -> Schedule {
        let n = nodes.len();
        let mut waits = Vec::with_capacity(n);
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let mut ups = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            ups.clear();
            ups.extend(
                node.inputs
                    .iter()
                    .filter_map(|s| match s {
                        Source::Output { node, .. } | Source::Done(node) => Some(*node),
                        _ => None,
                    })
                    .chain(node.after.iter().copied())
                    .filter(|u| *u < n),
            );
            ups.sort_unstable();
            ups.dedup();
            waits.push(ups.len());
            edges.extend(ups.iter().map(|u| (*u, i)));
        }
        // Grouped by the node waited for; each group in body order.
        edges.sort_unstable();
        let mut starts = vec![0; n + 1];
        for (u, _) in &edges {
            starts[u + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let roots = (0..n).filter(|i| waits[*i] == 0).collect();
        Schedule { waits, roots, starts, dependents: edges.into_iter().map(|(_, d)| d).collect() }
    }

    /// The nodes that wait for node `i`.
    pub(crate) fn dependents(&self, i: usize) -> &[usize] {
        &self.dependents[self.starts[i]..self.starts[i + 1]]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::plan::{NodeSettings, Plan, Work};

    fn node(inputs: Vec<Source>, after: Vec<usize>) -> PlanNode {
        let empty = Arc::new(Plan::new("empty".into(), 0, Vec::new(), Vec::new(), Vec::new()));
        PlanNode {
            id: Arc::from("n"),
            display: Arc::from("node"),
            inputs,
            after,
            settings: NodeSettings::default(),
            work: Work::Workflow(empty),
            json: None,
            pace: Arc::default(),
        }
    }

    #[test]
    fn counts_each_node_waited_for_once_and_lists_who_waits() {
        let out = |node| Source::Output { node, port: 0 };
        let nodes = vec![
            node(vec![Source::Input(0)], vec![]),
            node(vec![Source::Constant(0)], vec![]),
            // Two ports of node 0, and an ordering edge to it too: one wait.
            node(vec![out(0), Source::Output { node: 0, port: 1 }], vec![0]),
            node(vec![out(2), Source::Done(1)], vec![]),
            // Out of the plan: no wait.
            node(vec![out(9)], vec![]),
        ];
        let s = Schedule::of(&nodes);
        assert_eq!(s.waits, [0, 0, 1, 2, 0]);
        assert_eq!(s.roots, [0, 1, 4]);
        let dependents: Vec<&[usize]> = (0..nodes.len()).map(|i| s.dependents(i)).collect();
        assert_eq!(dependents, [&[2][..], &[3], &[3], &[], &[]]);
    }
}
