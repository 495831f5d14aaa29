//! A graph as SVG, laid out in-process (no Graphviz needed) from its DOT text.

use flowmap_model::graph::Graph;
use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};

/// The graph as a standalone SVG document.
pub(crate) fn svg(graph: &Graph) -> Result<String, String> {
    let dot = graph.to_dot();
    let mut parser = DotParser::new(&dot);
    let ast = parser.process().map_err(|e| format!("could not read the graph's DOT text for SVG: {e}"))?;
    // The layout code is not ours: a panic in it is reported as an error, not a crash.
    std::panic::catch_unwind(move || {
        let mut builder = GraphBuilder::new();
        builder.visit_graph(&ast);
        let mut visual = builder.get();
        let mut writer = SVGWriter::new();
        visual.do_it(false, false, false, &mut writer);
        writer.finalize() + "\n"
    })
    .map_err(|_| "laying out the graph for SVG failed; try --format dot and Graphviz".to_owned())
}
