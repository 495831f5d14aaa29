//! Graphviz rendering of a [`Graph`].

use std::fmt::Write;

use crate::graph::{Arm, Binding, Graph, Node, NodeKind};

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Graph {
    /// The graph in Graphviz's DOT language: workflow inputs, nodes (maps drawn as stacked boxes)
    /// and outputs, with an edge per binding labelled by the input it feeds, and a dashed edge per
    /// ordering edge (`.after(...)`).
    #[must_use]
    pub fn to_dot(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph \"{}\" {{", esc(&self.name));
        let _ = writeln!(s, "  rankdir=LR;\n  node [fontname=\"Helvetica\"];");
        for input in &self.interface.inputs {
            let _ = writeln!(
                s,
                "  \"in:{0}\" [shape=ellipse, label=\"{0}: {1}\"];",
                esc(&input.name),
                esc(&input.ty.short())
            );
        }
        for node in &self.nodes {
            self.node_dot(&mut s, node);
        }
        for (out, port) in self.outputs.iter().zip(&self.interface.outputs) {
            let _ = writeln!(
                s,
                "  \"out:{0}\" [shape=ellipse, label=\"{0}: {1}\"];",
                esc(&out.name),
                esc(&port.ty.short())
            );
            let (from, label) = match &out.binding {
                Binding::Input { name } => (format!("in:{}", esc(name)), String::new()),
                Binding::After { .. } => continue,
                Binding::Node { node, output } if self.node(node).is_some_and(|n| n.outputs.len() > 1) => {
                    (node.clone(), format!(" [label=\"{}\"]", esc(output)))
                }
                Binding::Node { node, .. } => (node.clone(), String::new()),
                Binding::Constant { .. } => continue,
            };
            let _ = writeln!(s, "  \"{from}\" -> \"out:{}\"{label};", esc(&out.name));
        }
        s.push_str("}\n");
        s
    }

    /// One node, and for a branch node the nodes of its arms, each arm in a box of its own.
    fn node_dot(&self, s: &mut String, node: &Node) {
        let short = esc(node.target.name.rsplit("::").next().unwrap_or(&node.target.name));
        let (shape, label) = match node.kind {
            NodeKind::Task => ("box", short.clone()),
            NodeKind::Workflow => ("box3d", format!("workflow {short}")),
            NodeKind::Map => {
                let m = node.map.as_ref();
                let mut extra = Vec::new();
                if let Some(c) = m.and_then(|m| m.concurrency) {
                    extra.push(format!("concurrency={c}"));
                }
                if let Some(r) = m.and_then(|m| m.min_success_ratio) {
                    extra.push(format!("min_success_ratio={r}"));
                }
                if let Some(k) = m.and_then(|m| m.min_successes) {
                    extra.push(format!("min_successes={k}"));
                }
                let extra = if extra.is_empty() { String::new() } else { format!("\\n{}", extra.join(", ")) };
                ("box", format!("map({short}){extra}"))
            }
            NodeKind::Branch => ("diamond", format!("if {short}")),
        };
        for before in &node.after {
            let _ = writeln!(s, "  \"{}\" -> \"{}\" [style=dashed, label=\"after\"];", esc(before), node.id);
        }
        let style = if node.kind == NodeKind::Map { ", peripheries=2" } else { "" };
        let _ = writeln!(s, "  \"{}\" [shape={shape}{style}, label=\"{}: {label}\"];", node.id, node.id);
        for input in &node.inputs {
            // An edge from a node with several outputs says which one.
            let mut label = esc(&input.name);
            let from = match &input.binding {
                Binding::Input { name } => format!("in:{}", esc(name)),
                Binding::Node { node, output } => {
                    if self.node(node).is_some_and(|n| n.outputs.len() > 1) {
                        label = format!("{} → {label}", esc(output));
                    }
                    node.clone()
                }
                Binding::After { node } => {
                    label = format!("{label} (after)");
                    node.clone()
                }
                Binding::Constant { value } => {
                    let id = format!("const:{}:{}", node.id, esc(&input.name));
                    let _ = writeln!(s, "  \"{id}\" [shape=plaintext, label=\"{}\"];", esc(&value.to_string()));
                    id
                }
            };
            let _ = writeln!(s, "  \"{from}\" -> \"{}\" [label=\"{label}\"];", node.id);
        }
        if let Some(branch) = &node.branch {
            for (i, (when, arm)) in branch.labelled_arms().into_iter().enumerate() {
                let cluster = format!("{}-{i}", node.id);
                let _ = writeln!(s, "  subgraph \"cluster_{cluster}\" {{\n  style=dashed; label=\"{}\";", esc(&when));
                match arm {
                    Arm::Run { nodes, .. } => {
                        for inner in nodes {
                            self.node_dot(s, inner);
                        }
                        for inner in nodes {
                            let _ =
                                writeln!(s, "  \"{}\" -> \"{}\" [style=dotted, arrowhead=none];", node.id, inner.id);
                        }
                    }
                    Arm::Fail { message } => {
                        let _ = writeln!(s, "  \"{cluster}\" [shape=octagon, label=\"fail: {}\"];", esc(message));
                        let _ = writeln!(s, "  \"{}\" -> \"{cluster}\" [style=dotted, arrowhead=none];", node.id);
                    }
                    Arm::Nothing => {
                        let _ = writeln!(s, "  \"{cluster}\" [shape=point];");
                    }
                }
                s.push_str("  }\n");
            }
        }
    }
}
