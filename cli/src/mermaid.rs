//! A graph as a Mermaid flowchart (GitHub and many editors render it).

use std::fmt::Write;

use flowmap_model::graph::{Binding, Graph, NodeKind};

fn esc(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// The graph as Mermaid: inputs and outputs as rounded boxes, maps as double boxes with their
/// settings, an edge per binding labelled with the input it feeds, dashed edges for `.after`.
pub(crate) fn mermaid(g: &Graph) -> String {
    let mut s = String::from("flowchart LR\n");
    for input in &g.interface.inputs {
        let _ = writeln!(s, "  in_{0}([\"{0}: {1}\"])", input.name, esc(&input.ty.short()));
    }
    for node in &g.nodes {
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
            _ => format!("{}: {short}", node.id),
        };
        let shape = if node.kind == NodeKind::Map { ("[[\"", "\"]]") } else { ("[\"", "\"]") };
        let _ = writeln!(s, "  {}{}{}{}", node.id, shape.0, esc(&label), shape.1);
        for input in &node.inputs {
            let from = match &input.binding {
                Binding::Input { name } => format!("in_{name}"),
                Binding::Node { node, .. } | Binding::After { node } => node.clone(),
                Binding::Constant { .. } => continue,
            };
            let _ = writeln!(s, "  {from} -->|{}| {}", esc(&input.name), node.id);
        }
        for before in &node.after {
            let _ = writeln!(s, "  {before} -.->|after| {}", node.id);
        }
    }
    for (out, port) in g.outputs.iter().zip(&g.interface.outputs) {
        let _ = writeln!(s, "  out_{0}([\"{0}: {1}\"])", out.name, esc(&port.ty.short()));
        if let Binding::Node { node, .. } | Binding::After { node } = &out.binding {
            let _ = writeln!(s, "  {node} --> out_{}", out.name);
        }
        if let Binding::Input { name } = &out.binding {
            let _ = writeln!(s, "  in_{name} --> out_{}", out.name);
        }
    }
    s
}
