//! Placing the boxes: a layered layout, left to right.
//!
//! Each box already has its column (a node is one column right of the latest box it reads from).
//! An edge that spans several columns passes through a waypoint in each column between, so that
//! it runs between the boxes rather than through them. The boxes of a column are ordered to cross
//! few edges (barycentre sweeps, the best order found kept), then moved up or down towards the
//! boxes they connect to, keeping their order and a gap between them (a least-squares fit under
//! those constraints, column by column, in sweeps both ways).

use super::diagram::{Diagram, Edge, Shape, Vertex};
use super::text::Style;

/// The gap between boxes of a column.
const GAP: f64 = 18.0;
/// The gap next to a waypoint.
const WAYPOINT_GAP: f64 = 10.0;
/// The room an edge needs between two columns, besides its label.
const COLUMN_GAP: f64 = 44.0;
/// How far apart the edges entering a box are, at least.
const PORT_SPACING: f64 = 16.0;
/// The arrowhead's length.
pub(super) const ARROW: f64 = 7.0;
/// Sweeps of each kind.
const SWEEPS: usize = 8;

/// A point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Point {
    /// Left to right.
    pub(super) x: f64,
    /// Top to bottom.
    pub(super) y: f64,
}

/// An edge, placed.
#[derive(Clone, Debug)]
pub(super) struct Route {
    /// Where it starts, then pairs of points joined by a curve then a straight line: a waypoint's
    /// two sides, and last the start of the straight stub into the target and the arrow's tip.
    pub(super) points: Vec<Point>,
    /// Its label, drawn above the stub.
    pub(super) label: String,
    /// Dashed.
    pub(super) after: bool,
}

/// Places the diagram's boxes (adding its waypoints) and returns its edges' routes.
pub(super) fn layout(d: &mut Diagram) -> Vec<Route> {
    compact_layers(&mut d.vertices);
    let chains = chains(d);
    let links = Links::new(d.vertices.len(), &chains);
    let layers = order(&d.vertices, &links);
    grow_for_ports(d, &chains);
    let columns = place_columns(d, &layers, &chains);
    place_rows(&mut d.vertices, &layers, &links);
    for (layer, col) in layers.iter().zip(&columns) {
        for &v in layer {
            let v = &mut d.vertices[v];
            if v.shape == Shape::Waypoint {
                (v.x, v.w) = (col.0, col.1);
            }
        }
    }
    routes(d, &chains)
}

/// Renumbers the layers so that none is empty.
fn compact_layers(vertices: &mut [Vertex]) {
    let mut used: Vec<usize> = vertices.iter().map(|v| v.layer).collect();
    used.sort_unstable();
    used.dedup();
    for v in vertices {
        v.layer = used.binary_search(&v.layer).unwrap_or(0);
    }
}

/// Each edge as the boxes it passes: its source, a waypoint per column crossed, its target.
fn chains(d: &mut Diagram) -> Vec<Vec<usize>> {
    let edges = d.edges.clone();
    edges
        .iter()
        .map(|e| {
            let (from, to) = (d.vertices[e.from].layer, d.vertices[e.to].layer);
            let mut chain = vec![e.from];
            for layer in from + 1..to {
                d.vertices.push(Vertex::waypoint(layer));
                chain.push(d.vertices.len() - 1);
            }
            chain.push(e.to);
            chain
        })
        .collect()
}

/// The segments of the edges' chains (each joins boxes of neighbouring layers), both ways.
struct Links {
    /// Per box, the boxes of the layer before that it is joined to.
    before: Vec<Vec<usize>>,
    /// Per box, the boxes of the layer after that it is joined to.
    after: Vec<Vec<usize>>,
}

impl Links {
    fn new(count: usize, chains: &[Vec<usize>]) -> Self {
        let mut links = Links { before: vec![Vec::new(); count], after: vec![Vec::new(); count] };
        for w in chains.iter().flat_map(|c| c.windows(2)) {
            links.after[w[0]].push(w[1]);
            links.before[w[1]].push(w[0]);
        }
        links
    }
}

/// The boxes of each layer, top to bottom, ordered to cross few edges.
fn order(vertices: &[Vertex], links: &Links) -> Vec<Vec<usize>> {
    let count = vertices.iter().map(|v| v.layer + 1).max().unwrap_or(0);
    let mut layers = vec![Vec::new(); count];
    for (i, v) in vertices.iter().enumerate() {
        layers[v.layer].push(i);
    }
    let mut best = (crossings(&layers, links), layers.clone());
    for sweep in 0..SWEEPS {
        if sweep % 2 == 0 {
            for l in 1..count {
                sort_by_neighbours(&mut layers, l, l - 1, &links.before);
            }
        } else {
            for l in (0..count.saturating_sub(1)).rev() {
                sort_by_neighbours(&mut layers, l, l + 1, &links.after);
            }
        }
        let now = crossings(&layers, links);
        if now < best.0 {
            best = (now, layers.clone());
        }
    }
    best.1
}

/// Sorts layer `l` by the mean position of each box's neighbours (`near`) in layer `other`
/// (boxes with none keep their place).
fn sort_by_neighbours(layers: &mut [Vec<usize>], l: usize, other: usize, near: &[Vec<usize>]) {
    let pos = positions(&layers[other]);
    let mut keyed: Vec<(f64, usize)> = layers[l]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let near: Vec<f64> = near[v].iter().filter_map(|n| pos.get(n).copied()).collect();
            let key = if near.is_empty() { i as f64 } else { near.iter().sum::<f64>() / near.len() as f64 };
            (key, v)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    layers[l] = keyed.into_iter().map(|(_, v)| v).collect();
}

/// Each box's index in its layer.
fn positions(layer: &[usize]) -> std::collections::HashMap<usize, f64> {
    layer.iter().enumerate().map(|(i, &v)| (v, i as f64)).collect()
}

/// How many pairs of segments cross.
fn crossings(layers: &[Vec<usize>], links: &Links) -> usize {
    let pos: std::collections::HashMap<usize, f64> = layers.iter().flat_map(|l| positions(l)).collect();
    let mut count = 0;
    for layer in layers {
        let segments: Vec<(f64, f64)> =
            layer.iter().flat_map(|a| links.after[*a].iter().map(|b| (pos[a], pos[b]))).collect();
        for (i, (pa, pb)) in segments.iter().enumerate() {
            count += segments[i + 1..].iter().filter(|(pc, pd)| (pa - pc) * (pb - pd) < 0.0).count();
        }
    }
    count
}

/// The label of the last segment into a box, and the stub it sits on.
fn stub(e: &Edge) -> f64 {
    if e.label.is_empty() { ARROW + 6.0 } else { Style::Edge.width(&e.label) + ARROW + 10.0 }
}

/// Makes each box tall enough for the edges entering it to be apart.
fn grow_for_ports(d: &mut Diagram, chains: &[Vec<usize>]) {
    let mut incoming = vec![0_u32; d.vertices.len()];
    for chain in chains {
        if let Some(&last) = chain.last() {
            incoming[last] += 1;
        }
    }
    for (v, n) in d.vertices.iter_mut().zip(incoming) {
        if v.shape != Shape::Waypoint {
            let (.., front) = v.front();
            v.h += (PORT_SPACING * f64::from(n + 1) - front).max(0.0);
        }
    }
}

/// Sets each box's `x`, centred in its column; the columns' left edges and widths.
fn place_columns(d: &mut Diagram, layers: &[Vec<usize>], chains: &[Vec<usize>]) -> Vec<(f64, f64)> {
    let mut room = vec![0.0_f64; layers.len()];
    for (e, chain) in d.edges.iter().zip(chains) {
        if let [.., last] = chain[..] {
            let l = d.vertices[last].layer;
            room[l] = room[l].max(stub(e));
        }
    }
    let mut columns = Vec::with_capacity(layers.len());
    let mut left = 0.0;
    for (l, layer) in layers.iter().enumerate() {
        if l > 0 {
            left += COLUMN_GAP + room[l];
        }
        let width = layer.iter().map(|&v| d.vertices[v].w).fold(0.0, f64::max);
        for &v in layer {
            let v = &mut d.vertices[v];
            v.x = left + (width - v.w) / 2.0;
        }
        columns.push((left, width));
        left += width;
    }
    columns
}

/// The least gap between the centres of two neighbouring boxes of a column.
fn gap(a: &Vertex, b: &Vertex) -> f64 {
    let space = if a.shape == Shape::Waypoint || b.shape == Shape::Waypoint { WAYPOINT_GAP } else { GAP };
    a.h / 2.0 + space + b.h / 2.0
}

/// Sets each box's `y`: stacked first, then moved towards its neighbours in sweeps.
fn place_rows(vertices: &mut [Vertex], layers: &[Vec<usize>], links: &Links) {
    for layer in layers {
        let wanted = vec![0.0; layer.len()];
        fit(vertices, layer, &wanted);
    }
    for _ in 0..SWEEPS {
        for layer in layers.iter().skip(1) {
            pull(vertices, layer, &links.before);
        }
        for layer in layers.iter().rev().skip(1) {
            pull(vertices, layer, &links.after);
        }
    }
    for layer in layers.iter().skip(1) {
        pull(vertices, layer, &links.before);
    }
}

/// Moves the boxes of a layer towards the mean height of their neighbours (`near`).
fn pull(vertices: &mut [Vertex], layer: &[usize], near: &[Vec<usize>]) {
    let wanted: Vec<f64> = layer
        .iter()
        .map(|&v| {
            let ys: Vec<f64> = near[v].iter().map(|&n| vertices[n].y).collect();
            if ys.is_empty() { vertices[v].y } else { ys.iter().sum::<f64>() / ys.len() as f64 }
        })
        .collect();
    fit(vertices, layer, &wanted);
}

/// Sets the heights of a layer's boxes, in order and apart, as close as can be to `wanted` (least
/// squares): with each box's least offset from the first taken out, the positions must not
/// decrease, which pooling adjacent violators solves exactly.
fn fit(vertices: &mut [Vertex], layer: &[usize], wanted: &[f64]) {
    let mut offsets = Vec::with_capacity(layer.len());
    let mut offset = 0.0;
    for (i, &v) in layer.iter().enumerate() {
        if i > 0 {
            offset += gap(&vertices[layer[i - 1]], &vertices[v]);
        }
        offsets.push(offset);
    }
    // Blocks of (sum, count) whose means increase.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (w, o) in wanted.iter().zip(&offsets) {
        blocks.push((w - o, 1.0, 1));
        while let [.., (s1, n1, c1), (s2, n2, c2)] = blocks[..] {
            if s1 / n1 <= s2 / n2 {
                break;
            }
            blocks.truncate(blocks.len() - 2);
            blocks.push((s1 + s2, n1 + n2, c1 + c2));
        }
    }
    let mut i = 0;
    for (sum, n, count) in blocks {
        for _ in 0..count {
            vertices[layer[i]].y = sum / n + offsets[i];
            i += 1;
        }
    }
}

/// The routes of the edges: into each box, the edges enter at ports spread along its left side,
/// in the order of where they come from.
fn routes(d: &Diagram, chains: &[Vec<usize>]) -> Vec<Route> {
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); d.vertices.len()];
    for (i, chain) in chains.iter().enumerate() {
        if let Some(&last) = chain.last() {
            into[last].push(i);
        }
    }
    let mut port = vec![0.0; chains.len()];
    for (v, edges) in into.iter_mut().enumerate() {
        edges.sort_by(|&a, &b| before_last(d, &chains[a]).total_cmp(&before_last(d, &chains[b])));
        let (_, top, _, h) = d.vertices[v].front();
        let step = h / (edges.len() + 1) as f64;
        for (j, &e) in edges.iter().enumerate() {
            let y = top + step * (j + 1) as f64;
            port[e] = y;
        }
    }
    d.edges.iter().zip(chains).zip(port).map(|((e, chain), y)| route(d, e, chain, y)).collect()
}

/// The height of the box before an edge's target.
fn before_last(d: &Diagram, chain: &[usize]) -> f64 {
    chain.len().checked_sub(2).map_or(0.0, |i| d.vertices[chain[i]].y)
}

fn route(d: &Diagram, e: &Edge, chain: &[usize], port_y: f64) -> Route {
    let from = &d.vertices[e.from];
    let mut points = vec![Point { x: from.x + from.w, y: from.y }];
    for &w in &chain[1..chain.len() - 1] {
        let w = &d.vertices[w];
        points.push(Point { x: w.x, y: w.y });
        points.push(Point { x: w.x + w.w, y: w.y });
    }
    let to = &d.vertices[e.to];
    points.push(Point { x: to.x - stub(e), y: port_y });
    points.push(Point { x: to.x, y: port_y });
    Route { points, label: e.label.clone(), after: e.after }
}

#[cfg(test)]
mod tests {
    use flowmap_model::graph::Graph;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::svg::diagram::diagram;

    /// A made-up workflow: `inputs` inputs, then nodes of every kind bound to earlier boxes or
    /// constants as `pick` decides, and outputs from the last nodes.
    fn graph(inputs: usize, nodes: usize, mut pick: impl FnMut(usize) -> usize) -> Graph {
        let int = json!({"type": "integer", "bits": 64, "signed": true});
        let ins: Vec<Value> = (0..inputs).map(|i| json!({"name": format!("in{i}"), "type": int})).collect();
        let mut list = Vec::new();
        for n in 0..nodes {
            let kind = ["task", "map", "workflow"][pick(3)];
            let bindings: Vec<Value> = (0..=pick(3))
                .map(|p| {
                    let binding = match pick(4) {
                        0 if n > 0 => json!({"kind": "node", "node": format!("n{}", pick(n)), "output": "o0"}),
                        1 if inputs > 0 => json!({"kind": "input", "name": format!("in{}", pick(inputs))}),
                        2 => json!({"kind": "constant", "value": format!("<{p}&\"")}),
                        _ if n > 0 => json!({"kind": "node", "node": format!("n{}", n - 1), "output": "o0"}),
                        _ => json!({"kind": "constant", "value": p}),
                    };
                    json!({"name": format!("arg_{p}"), "binding": binding})
                })
                .collect();
            let after: Vec<String> = if n > 1 && pick(4) == 0 { vec![format!("n{}", pick(n))] } else { vec![] };
            let target = if kind == "workflow" { "workflow" } else { "task" };
            list.push(json!({
                "id": format!("n{n}"), "kind": kind,
                "target": {"kind": target, "name": format!("m::step_{}", "x".repeat(pick(12)))},
                "inputs": bindings, "outputs": [{"name": "o0", "type": int}], "after": after,
                "map": if kind == "map" { json!({"concurrency": 1 + pick(8), "min_success_ratio": null,
                    "min_successes": null, "tolerant": false, "mapped": [], "partial": []}) } else { Value::Null },
            }));
        }
        let outs: Vec<usize> = (0..nodes.min(2)).map(|i| nodes - 1 - i).collect();
        let json = json!({
            "format": 3, "name": "made_up", "module": "m",
            "interface": {"inputs": ins, "outputs": outs.iter().map(|i| json!({"name": format!("o{i}"), "type": int})).collect::<Vec<_>>()},
            "nodes": list,
            "outputs": outs.iter().map(|i| json!({"name": format!("o{i}"), "binding": {"kind": "node", "node": format!("n{i}"), "output": "o0"}})).collect::<Vec<_>>(),
        });
        serde_json::from_value(json).expect("a graph")
    }

    /// Whether two boxes overlap.
    fn overlap(a: &Vertex, b: &Vertex) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.top() < b.top() + b.h && b.top() < a.top() + a.h
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        /// Boxes never overlap, edges run left to right and end on their target's front face.
        #[test]
        fn boxes_are_apart_and_edges_run_left_to_right(inputs in 0..4_usize, nodes in 1..14_usize, seed: u64) {
            let mut state = seed | 1;
            let g = graph(inputs, nodes, |n| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                usize::try_from(state % n.max(1) as u64).unwrap_or(0)
            });
            let mut d = diagram(&g);
            let routes = layout(&mut d);
            let boxes: Vec<&Vertex> = d.vertices.iter().filter(|v| v.shape != Shape::Waypoint).collect();
            for (i, a) in boxes.iter().enumerate() {
                for b in &boxes[i + 1..] {
                    prop_assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
                }
            }
            for (r, e) in routes.iter().zip(&d.edges) {
                prop_assert!(r.points.windows(2).all(|w| w[0].x <= w[1].x + 1e-9), "{r:?}");
                let (x, top, _, h) = d.vertices[e.to].front();
                let tip = r.points[r.points.len() - 1];
                prop_assert!(tip.x == x && top < tip.y && tip.y < top + h, "{r:?} ends off {:?}", d.vertices[e.to]);
            }
        }
    }

    #[test]
    fn a_column_keeps_its_order_and_gaps_as_close_to_the_wanted_heights_as_can_be() {
        let g = graph(3, 0, |_| 0);
        let mut d = diagram(&g);
        let layer = [0, 1, 2];
        let h = d.vertices[0].h;
        // Far apart: exactly where wanted.
        fit(&mut d.vertices, &layer, &[-500.0, 0.0, 500.0]);
        assert_eq!(d.vertices.iter().map(|v| v.y).collect::<Vec<_>>(), [-500.0, 0.0, 500.0]);
        // All wanted at 0: centred on it, a gap apart.
        fit(&mut d.vertices, &layer, &[0.0, 0.0, 0.0]);
        let ys: Vec<f64> = d.vertices.iter().map(|v| v.y).collect();
        assert_eq!(ys, [-(h + GAP), 0.0, h + GAP]);
        // Wanted out of order: the order is kept.
        fit(&mut d.vertices, &layer, &[100.0, 0.0, 50.0]);
        assert!(
            d.vertices[0].y + h + GAP <= d.vertices[1].y + 1e-9 && d.vertices[1].y + h + GAP <= d.vertices[2].y + 1e-9
        );
    }
}
