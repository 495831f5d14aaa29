//! A graph as a Mermaid flowchart (GitHub and many editors render it).

use std::fmt::Write;

use flowmap_model::graph::{Arm, Binding, Graph, Node, NodeKind};

fn esc(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// A node id as Mermaid reads it: `n1-0-0` → `n1_0_0` (a `-` would read as an edge).
fn id(node: &str) -> String {
    node.replace('-', "_")
}

/// The graph as Mermaid: inputs and outputs as rounded boxes, maps as double boxes with their
/// settings, branches as rhombi with each arm in a subgraph, an edge per binding labelled with
/// the input it feeds, dashed edges for `.after`.
pub(crate) fn mermaid(g: &Graph) -> String {
    let mut s = String::from("flowchart LR\n");
    for input in &g.interface.inputs {
        let _ = writeln!(s, "  in_{0}([\"{0}: {1}\"])", input.name, esc(&input.ty.short()));
    }
    for node in &g.nodes {
        node_lines(&mut s, node);
    }
    for (out, port) in g.outputs.iter().zip(&g.interface.outputs) {
        let _ = writeln!(s, "  out_{0}([\"{0}: {1}\"])", out.name, esc(&port.ty.short()));
        if let Binding::Node { node, .. } | Binding::After { node } = &out.binding {
            let _ = writeln!(s, "  {} --> out_{}", id(node), out.name);
        }
        if let Binding::Input { name } = &out.binding {
            let _ = writeln!(s, "  in_{name} --> out_{}", out.name);
        }
    }
    s
}

fn node_lines(s: &mut String, node: &Node) {
    let short = node.target.name.rsplit("::").next().unwrap_or(&node.target.name);
    let label = match (&node.kind, &node.map) {
        (NodeKind::Map, Some(m)) => {
            let mut extra = Vec::new();
            if let Some(c) = m.concurrency {
                extra.push(format!("concurrency={c}"));
            }
            if let Some(r) = m.min_success_ratio {
                extra.push(format!("min_success_ratio={r}"));
            }
            if let Some(k) = m.min_successes {
                extra.push(format!("min_successes={k}"));
            }
            let extra = if extra.is_empty() { String::new() } else { format!("<br/>{}", extra.join(", ")) };
            format!("{}: map({short}){extra}", node.id)
        }
        (NodeKind::Workflow, _) => format!("{}: workflow {short}", node.id),
        (NodeKind::Branch, _) => format!("{}: branch {short}", node.id),
        _ => format!("{}: {short}", node.id),
    };
    let shape = match node.kind {
        NodeKind::Map => ("[[\"", "\"]]"),
        NodeKind::Branch => ("{\"", "\"}"),
        _ => ("[\"", "\"]"),
    };
    let me = id(&node.id);
    let _ = writeln!(s, "  {me}{}{}{}", shape.0, esc(&label), shape.1);
    for input in &node.inputs {
        let from = match &input.binding {
            Binding::Input { name } => format!("in_{name}"),
            Binding::Node { node, .. } | Binding::After { node } => id(node),
            Binding::Constant { .. } => continue,
        };
        let _ = writeln!(s, "  {from} -->|{}| {me}", esc(&input.name));
    }
    for before in &node.after {
        let _ = writeln!(s, "  {} -.->|after| {me}", id(before));
    }
    let Some(branch) = &node.branch else { return };
    for (i, (when, arm)) in branch.labelled_arms().into_iter().enumerate() {
        let cluster = format!("{me}_arm{i}");
        let _ = writeln!(s, "  subgraph {cluster} [\"{}\"]", esc(&when));
        match arm {
            Arm::Run { nodes, .. } => {
                for inner in nodes {
                    node_lines(s, inner);
                }
            }
            Arm::Fail { message } => {
                let _ = writeln!(s, "  {cluster}_fail[/\"fail: {}\"/]", esc(message));
            }
            _ => {
                let _ = writeln!(s, "  {cluster}_nothing((\" \"))");
            }
        }
        s.push_str("  end\n");
        let _ = writeln!(s, "  {me} -.-> {cluster}");
    }
}
