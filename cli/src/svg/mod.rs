//! A graph as SVG, drawn here from the graph model (no Graphviz needed): a picture for a design
//! document. Workflow inputs and outputs are pills, task calls boxes, maps stacks of boxes with
//! their settings, sub-workflows rounded dashed boxes, constants small grey pills with their
//! literal; overrides are written under their node. The `viewBox` fits what is drawn and the
//! picture scales to its container.

mod diagram;
mod draw;
mod layout;
mod text;

use flowmap_model::graph::Graph;

/// The graph as a standalone SVG document.
pub(crate) fn svg(graph: &Graph) -> String {
    let mut d = diagram::diagram(graph);
    let routes = layout::layout(&mut d);
    draw::draw(&d, &routes)
}
