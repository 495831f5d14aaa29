//! What the picture shows, before it is placed: a box per workflow input, constant, node and
//! workflow output, each with its lines of text and its layer (column), and an edge per binding.

use std::collections::HashMap;

use flowmap_model::graph::{Arm, Binding, Graph, MapSettings, Node, NodeKind, Port, TargetKind};

use super::text::{Style, shorten, wrap};

/// How a box is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A workflow input: a blue pill.
    Input,
    /// A workflow output: a green pill.
    Output,
    /// A constant written in the body: a small grey pill with its literal.
    Constant,
    /// A task call: a plain box.
    Task,
    /// A sub-workflow call: a rounded, dashed box.
    Workflow,
    /// A map of a task: a stack of boxes.
    Map,
    /// A map of a workflow: a stack of rounded, dashed boxes.
    MapWorkflow,
    /// A branch (`if`, `match`): a pink box listing each arm and what chooses it.
    Branch,
    /// Where an edge crosses a column it does not stop in; not drawn.
    Waypoint,
}

impl Shape {
    /// The CSS classes of the box's group, which name what it is.
    pub(super) fn class(self) -> &'static str {
        match self {
            Shape::Input => "node input",
            Shape::Output => "node output",
            Shape::Constant => "node constant",
            Shape::Task => "node task",
            Shape::Workflow => "node workflow",
            Shape::Map => "node map",
            Shape::MapWorkflow => "node map workflow",
            Shape::Branch => "node branch",
            Shape::Waypoint => "waypoint",
        }
    }

    /// Whether it is drawn as a stack of boxes.
    pub(super) fn stacked(self) -> bool {
        matches!(self, Shape::Map | Shape::MapWorkflow)
    }
}

/// One line of text in a box.
#[derive(Clone, Debug)]
pub(super) struct Line {
    /// The text, unescaped.
    pub(super) text: String,
    /// Its font.
    pub(super) style: Style,
    /// Its CSS class (`tag`, `title`, `port`, `setting`, `override`, `default`, `literal`).
    pub(super) class: &'static str,
}

impl Line {
    fn new(text: impl Into<String>, style: Style, class: &'static str) -> Self {
        Line { text: text.into(), style, class }
    }
}

/// Space between a box's border and its text.
pub(super) const PAD_X: f64 = 12.0;
/// Space above and below a box's text.
pub(super) const PAD_Y: f64 = 7.0;
/// How far a stack's copies reach up and to the right.
pub(super) const STACK: f64 = 8.0;
/// Settings and overrides are wrapped to lines about this wide (or as wide as the title).
const DETAIL_WIDTH: f64 = 220.0;
/// A branch's arm lines are cut to this many characters.
const ARM_CHARS: usize = 64;
/// Constants and defaults are cut to this many characters.
const LITERAL_CHARS: usize = 32;

/// A box of the picture.
#[derive(Clone, Debug)]
pub(super) struct Vertex {
    /// How it is drawn.
    pub(super) shape: Shape,
    /// The node's id (`n0`), the input's or output's name, for the group's `data-id`.
    pub(super) id: String,
    /// Its text, top to bottom.
    pub(super) lines: Vec<Line>,
    /// Its column, left to right.
    pub(super) layer: usize,
    /// Width and height.
    pub(super) w: f64,
    /// Height.
    pub(super) h: f64,
    /// Left edge, once placed.
    pub(super) x: f64,
    /// Vertical centre, once placed.
    pub(super) y: f64,
}

impl Vertex {
    fn new(shape: Shape, id: &str, lines: Vec<Line>, layer: usize) -> Self {
        let text_w = lines.iter().map(|l| l.style.width(&l.text)).fold(0.0, f64::max);
        let pad_x = if shape == Shape::Constant { PAD_X * 0.75 } else { PAD_X };
        let pad_y = if shape == Shape::Constant { PAD_Y * 0.5 } else { PAD_Y };
        let stack = if shape.stacked() { STACK } else { 0.0 };
        let w = (text_w + 2.0 * pad_x).ceil() + stack;
        let h = (text_height(&lines) + 2.0 * pad_y).ceil() + stack;
        Vertex { shape, id: id.to_owned(), lines, layer, w, h, x: 0.0, y: 0.0 }
    }

    /// A point an edge passes through in `layer`.
    pub(super) fn waypoint(layer: usize) -> Self {
        Vertex { shape: Shape::Waypoint, id: String::new(), lines: Vec::new(), layer, w: 0.0, h: 0.0, x: 0.0, y: 0.0 }
    }

    /// The top edge.
    pub(super) fn top(&self) -> f64 {
        self.y - self.h / 2.0
    }

    /// The front face's left, top, width and height: the whole box but for a stack, whose
    /// copies behind are drawn up and to the right of it.
    pub(super) fn front(&self) -> (f64, f64, f64, f64) {
        let stack = if self.shape.stacked() { STACK } else { 0.0 };
        (self.x, self.top() + stack, self.w - stack, self.h - stack)
    }
}

/// The height of some lines of text.
pub(super) fn text_height(lines: &[Line]) -> f64 {
    lines.iter().map(|l| l.style.line_height()).sum()
}

/// A binding: a value (or, dashed, only an ordering) flowing from one box into another.
#[derive(Clone, Debug)]
pub(super) struct Edge {
    /// The box it leaves.
    pub(super) from: usize,
    /// The box it enters.
    pub(super) to: usize,
    /// The input it feeds (with the output it comes from when its node has several).
    pub(super) label: String,
    /// An ordering edge (`.after(...)`, or a unit input) rather than a value.
    pub(super) after: bool,
}

/// Boxes and edges.
#[derive(Clone, Debug, Default)]
pub(super) struct Diagram {
    /// The workflow's name.
    pub(super) name: String,
    /// Inputs, then per node the node and its constants, then outputs.
    pub(super) vertices: Vec<Vertex>,
    /// One per binding and ordering edge.
    pub(super) edges: Vec<Edge>,
}

/// The boxes and edges picturing `g`.
pub(super) fn diagram(g: &Graph) -> Diagram {
    let mut b = Builder { d: Diagram { name: g.name.clone(), ..Diagram::default() }, ..Builder::default() };
    for input in &g.interface.inputs {
        let v = b.add(Vertex::new(Shape::Input, &input.name, input_lines(input), 0));
        b.inputs.insert(input.name.clone(), v);
    }
    for node in &g.nodes {
        b.node(g, node);
    }
    let last = b.d.vertices.iter().map(|v| v.layer).max().unwrap_or(0) + 1;
    for (i, out) in g.outputs.iter().enumerate() {
        let port = g.interface.outputs.get(i);
        let text = port.map_or_else(|| out.name.clone(), |p| format!("{}: {}", out.name, p.ty.short()));
        let v = b.add(Vertex::new(Shape::Output, &out.name, vec![Line::new(text, Style::Port, "port")], last));
        b.bind(g, v, &out.binding, "");
    }
    b.d
}

#[derive(Default)]
struct Builder {
    d: Diagram,
    inputs: HashMap<String, usize>,
    nodes: HashMap<String, usize>,
}

impl Builder {
    fn add(&mut self, v: Vertex) -> usize {
        self.d.vertices.push(v);
        self.d.vertices.len() - 1
    }

    /// The box a binding comes from (none for a constant, or a reference to nothing).
    fn source(&self, binding: &Binding) -> Option<usize> {
        match binding {
            Binding::Input { name } => self.inputs.get(name).copied(),
            Binding::Node { node, .. } | Binding::After { node } => self.nodes.get(node).copied(),
            Binding::Constant { .. } => None,
        }
    }

    fn node(&mut self, g: &Graph, node: &Node) {
        let sources = node.inputs.iter().map(|i| &i.binding).filter_map(|b| self.source(b));
        let after = node.after.iter().filter_map(|id| self.nodes.get(id).copied());
        let layer = sources.chain(after).map(|v| self.d.vertices[v].layer + 1).max().unwrap_or(1).max(1);
        let v = self.add(Vertex::new(node_shape(node), &node.id, node_lines(node), layer));
        self.nodes.insert(node.id.clone(), v);
        for input in &node.inputs {
            self.bind(g, v, &input.binding, &input.name);
        }
        for before in &node.after {
            if let Some(from) = self.nodes.get(before).copied() {
                self.d.edges.push(Edge { from, to: v, label: "after".into(), after: true });
            }
        }
    }

    /// An edge into box `to` for its input `name`, from a new constant box if the binding is one.
    fn bind(&mut self, g: &Graph, to: usize, binding: &Binding, name: &str) {
        let mut label = name.to_owned();
        let from = match binding {
            Binding::Constant { value } => {
                let layer = self.d.vertices[to].layer.saturating_sub(1);
                let text = shorten(&literal(value), LITERAL_CHARS);
                self.add(Vertex::new(Shape::Constant, name, vec![Line::new(text, Style::Detail, "literal")], layer))
            }
            Binding::Node { node, output } if g.node(node).is_some_and(|n| n.outputs.len() > 1) => {
                label = if name.is_empty() { output.clone() } else { format!("{output} → {name}") };
                let Some(from) = self.source(binding) else { return };
                from
            }
            _ => {
                let Some(from) = self.source(binding) else { return };
                from
            }
        };
        let after = matches!(binding, Binding::After { .. });
        if after {
            label = if name.is_empty() { "after".into() } else { format!("{name} (after)") };
        }
        self.d.edges.push(Edge { from, to, label, after });
    }
}

fn node_shape(node: &Node) -> Shape {
    match (node.kind, node.target.kind) {
        (NodeKind::Map, TargetKind::Workflow) => Shape::MapWorkflow,
        (NodeKind::Map, TargetKind::Task | TargetKind::Branch) => Shape::Map,
        (NodeKind::Workflow, _) => Shape::Workflow,
        (NodeKind::Branch, _) => Shape::Branch,
        (NodeKind::Task, _) => Shape::Task,
    }
}

fn input_lines(input: &Port) -> Vec<Line> {
    let mut lines = vec![Line::new(format!("{}: {}", input.name, input.ty.short()), Style::Port, "port")];
    if let Some(default) = &input.default {
        let text = format!("default {}", shorten(&literal(default), LITERAL_CHARS));
        lines.push(Line::new(text, Style::Detail, "default"));
    }
    lines
}

/// A node's lines: its kind and id, its target's name, its map settings and its overrides.
fn node_lines(node: &Node) -> Vec<Line> {
    let kind = match node_shape(node) {
        Shape::Map => "map",
        Shape::MapWorkflow => "map of workflow",
        Shape::Workflow => "workflow",
        Shape::Branch => "branch",
        _ => "task",
    };
    let name = node.target.name.rsplit("::").next().unwrap_or(&node.target.name);
    let width = DETAIL_WIDTH.max(Style::Title.width(name));
    let mut lines =
        vec![Line::new(format!("{kind} · {}", node.id), Style::Tag, "tag"), Line::new(name, Style::Title, "title")];
    let settings = node.map.as_ref().map(map_settings).unwrap_or_default();
    lines.extend(wrap(&settings, Style::Detail, width).into_iter().map(|t| Line::new(t, Style::Detail, "setting")));
    let overrides = overrides(node);
    lines.extend(wrap(&overrides, Style::Detail, width).into_iter().map(|t| Line::new(t, Style::Detail, "override")));
    if let Some(branch) = &node.branch {
        for (when, arm) in branch.labelled_arms() {
            let text = shorten(&format!("{when} → {}", arm_summary(arm)), ARM_CHARS);
            lines.push(Line::new(text, Style::Detail, "arm"));
        }
    }
    lines
}

/// What an arm runs, in a few words: its nodes' targets (`small, seven`), `fail!("...")`, or
/// `nothing`.
fn arm_summary(arm: &Arm) -> String {
    match arm {
        Arm::Run { nodes, .. } if nodes.is_empty() => "its inputs".to_owned(),
        Arm::Run { nodes, .. } => nodes
            .iter()
            .map(|n| {
                let name = n.target.name.rsplit("::").next().unwrap_or(&n.target.name);
                match n.kind {
                    NodeKind::Map => format!("map({name})"),
                    NodeKind::Branch => format!("branch {name}"),
                    _ => name.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        Arm::Fail { message } => format!("fail!({})", serde_json::Value::from(message.as_str())),
        _ => "nothing".to_owned(),
    }
}

/// A map's settings as written in `map!(...)`.
fn map_settings(m: &MapSettings) -> Vec<String> {
    let mut items = Vec::new();
    if let Some(c) = m.concurrency {
        items.push(format!("concurrency = {c}"));
    }
    if let Some(r) = m.min_success_ratio {
        items.push(format!("min_success_ratio = {r}"));
    }
    if let Some(k) = m.min_successes {
        items.push(format!("min_successes = {k}"));
    }
    if !m.partial.is_empty() {
        items.push(format!("partial({})", m.partial.join(", ")));
    }
    items
}

/// A node's overrides as written in `.with_overrides(...)`: `retries = 3`, `requests(mem = "2Gi")`.
fn overrides(node: &Node) -> Vec<String> {
    let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(&node.overrides) else { return Vec::new() };
    keys.iter()
        .map(|(key, value)| match value {
            serde_json::Value::Object(inner) => {
                let inner: Vec<String> = inner.iter().map(|(k, v)| format!("{k} = {}", literal(v))).collect();
                format!("{key}({})", inner.join(", "))
            }
            v => format!("{key} = {}", literal(v)),
        })
        .collect()
}

/// A JSON value as it reads best in a picture: compact, with a space after each comma and colon.
fn literal(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => format!("[{}]", items.iter().map(literal).collect::<Vec<_>>().join(", ")),
        serde_json::Value::Object(keys) => {
            let keys: Vec<String> =
                keys.iter().map(|(k, v)| format!("{}: {}", serde_json::Value::from(k.as_str()), literal(v))).collect();
            format!("{{{}}}", keys.join(", "))
        }
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_like_code() {
        let v = serde_json::json!({"a\"b": [1, 2.5, null, "x<y"], "c": {}});
        assert_eq!(literal(&v), r#"{"a\"b": [1, 2.5, null, "x<y"], "c": {}}"#);
    }
}
