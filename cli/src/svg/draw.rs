//! Writing the placed diagram as SVG: edges first, boxes over them, a heading above, and a
//! `viewBox` just around what was drawn.

use std::fmt::Write;

use super::diagram::{Diagram, Line, STACK, Shape, Vertex, text_height};
use super::layout::{ARROW, Point, Route};
use super::text::{Style, esc};

/// The space around the drawing.
const MARGIN: f64 = 12.0;
/// The fonts asked for, in order.
pub(super) const FONTS: &str = "Helvetica, Arial, 'Liberation Sans', sans-serif";
const EDGE_COLOUR: &str = "#64748b";
const AFTER_COLOUR: &str = "#94a3b8";

/// The area drawn on so far.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    min: Point,
    max: Point,
}

impl Bounds {
    fn new() -> Self {
        Bounds {
            min: Point { x: f64::INFINITY, y: f64::INFINITY },
            max: Point { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY },
        }
    }

    fn add(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.min = Point { x: self.min.x.min(x), y: self.min.y.min(y) };
        self.max = Point { x: self.max.x.max(x + w), y: self.max.y.max(y + h) };
    }
}

/// A number as SVG wants it: at most one decimal.
fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

/// How a kind of box is painted: fill, stroke, dashes, corner radius (`None`: a pill).
#[derive(Clone, Copy)]
struct Paint {
    fill: &'static str,
    stroke: &'static str,
    dash: Option<&'static str>,
    radius: Option<f64>,
}

fn paint(shape: Shape) -> Paint {
    let (fill, stroke, dash, radius) = match shape {
        Shape::Input => ("#e0f2fe", "#0284c7", None, None),
        Shape::Output => ("#dcfce7", "#16a34a", None, None),
        Shape::Constant => ("#f8fafc", "#94a3b8", Some("3 2"), None),
        Shape::Task => ("#ffffff", "#475569", None, Some(3.0)),
        Shape::Workflow => ("#f5f3ff", "#7c3aed", Some("6 3"), Some(12.0)),
        Shape::Map => ("#fffbeb", "#d97706", None, Some(3.0)),
        Shape::MapWorkflow => ("#fffbeb", "#7c3aed", Some("6 3"), Some(12.0)),
        Shape::Branch => ("#fdf2f8", "#db2777", None, Some(3.0)),
        Shape::Waypoint => ("none", "none", None, None),
    };
    Paint { fill, stroke, dash, radius }
}

/// The colour of a line of text, by its class.
fn ink(class: &str) -> &'static str {
    match class {
        "tag" | "default" => "#6b7280",
        "setting" => "#92400e",
        "override" => "#be185d",
        "literal" => "#334155",
        "arm" => "#831843",
        _ => "#111827",
    }
}

/// The diagram as a standalone SVG document.
pub(super) fn draw(d: &Diagram, routes: &[Route]) -> String {
    let mut bounds = Bounds::new();
    let mut body = String::new();
    for r in routes {
        edge(&mut body, &mut bounds, r);
    }
    for v in d.vertices.iter().filter(|v| v.shape != Shape::Waypoint) {
        vertex(&mut body, &mut bounds, v);
    }
    if !bounds.min.x.is_finite() {
        bounds.add(0.0, 0.0, 0.0, 0.0);
    }
    heading(&mut body, &mut bounds, &d.name);
    let (x, y) = (bounds.min.x - MARGIN, bounds.min.y - MARGIN);
    let (w, h) =
        ((bounds.max.x - bounds.min.x + 2.0 * MARGIN).ceil(), (bounds.max.y - bounds.min.y + 2.0 * MARGIN).ceil());
    let title = esc(&format!("workflow {}", d.name));
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{} {} {} {}\" width=\"100%\" \
         style=\"max-width: {}px; height: auto\" font-family=\"{FONTS}\" role=\"img\" aria-label=\"{title}\">",
        n(x),
        n(y),
        n(w),
        n(h),
        n(w)
    );
    let _ = writeln!(s, "<title>{title}</title>");
    let _ = writeln!(
        s,
        "<rect class=\"background\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        n(x),
        n(y),
        n(w),
        n(h)
    );
    s.push_str(&body);
    s.push_str("</svg>\n");
    s
}

/// The workflow's name, above the drawing at its left.
fn heading(s: &mut String, bounds: &mut Bounds, name: &str) {
    let style = Style::Heading;
    let (x, baseline) = (bounds.min.x, bounds.min.y - 12.0);
    let _ = writeln!(
        s,
        "<text class=\"heading\" x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" fill=\"#111827\">\
         <tspan font-weight=\"normal\" fill=\"#6b7280\">workflow </tspan>{}</text>",
        n(x),
        n(baseline),
        n(style.size()),
        esc(name)
    );
    let w = Style::Heading.width("workflow ") / 1.08 + style.width(name);
    bounds.add(x, baseline - style.size(), w, style.size());
}

fn edge(s: &mut String, bounds: &mut Bounds, r: &Route) {
    let [start, rest @ ..] = &r.points[..] else { return };
    let mut path = format!("M{},{}", n(start.x), n(start.y));
    let mut prev = *start;
    bounds.add(start.x, start.y, 0.0, 0.0);
    for (i, pair) in rest.chunks(2).enumerate() {
        let [a, b] = pair else { continue };
        let bend = ((a.x - prev.x) / 2.0).max(12.0);
        let last = i + 1 == rest.len() / 2;
        // The last line stops inside the arrowhead, which makes its tip.
        let end = if last { b.x - ARROW + 1.0 } else { b.x };
        let _ = write!(
            path,
            " C{},{} {},{} {},{} L{},{}",
            n(prev.x + bend),
            n(prev.y),
            n(a.x - bend),
            n(a.y),
            n(a.x),
            n(a.y),
            n(end),
            n(b.y)
        );
        bounds.add(a.x, a.y, 0.0, 0.0);
        bounds.add(b.x, b.y, 0.0, 0.0);
        prev = *b;
    }
    let (colour, dash) = if r.after { (AFTER_COLOUR, " stroke-dasharray=\"4 3\"") } else { (EDGE_COLOUR, "") };
    let class = if r.after { "edge after" } else { "edge" };
    let _ = writeln!(s, "<g class=\"{class}\">");
    let _ = writeln!(s, "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.3\"{dash}/>");
    let tip = prev;
    let _ = writeln!(
        s,
        "<polygon points=\"{},{} {},{} {},{}\" fill=\"{colour}\"/>",
        n(tip.x),
        n(tip.y),
        n(tip.x - ARROW),
        n(tip.y - 3.5),
        n(tip.x - ARROW),
        n(tip.y + 3.5)
    );
    if !r.label.is_empty() {
        let style = Style::Edge;
        let (x, y) = (tip.x - ARROW - 3.0, tip.y - 4.0);
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"end\" fill=\"#475569\">{}</text>",
            n(x),
            n(y),
            n(style.size()),
            esc(&r.label)
        );
        let w = style.width(&r.label);
        bounds.add(x - w, y - style.size(), w, style.size());
    }
    s.push_str("</g>\n");
}

fn vertex(s: &mut String, bounds: &mut Bounds, v: &Vertex) {
    let p = paint(v.shape);
    let _ = writeln!(s, "<g class=\"{}\" data-id=\"{}\">", v.shape.class(), esc(&v.id));
    let (x, top, w, h) = v.front();
    if v.shape.stacked() {
        // The copies behind are solid even for a workflow's: dashes on dashes blur.
        let behind = Paint { dash: None, ..p };
        for offset in [STACK, STACK / 2.0] {
            rect(s, &behind, x + offset, top - offset, w, h);
        }
    }
    rect(s, &p, x, top, w, h);
    bounds.add(v.x, v.top(), v.w, v.h);
    let cx = x + w / 2.0;
    let mut y = top + (h - text_height(&v.lines)) / 2.0;
    for line in &v.lines {
        text_line(s, cx, y, line);
        y += line.style.line_height();
    }
    s.push_str("</g>\n");
}

fn rect(s: &mut String, p: &Paint, x: f64, y: f64, w: f64, h: f64) {
    let r = p.radius.unwrap_or(h / 2.0).min(h / 2.0);
    let dash = p.dash.map(|d| format!(" stroke-dasharray=\"{d}\"")).unwrap_or_default();
    let _ = writeln!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.3\"{dash}/>",
        n(x),
        n(y),
        n(w),
        n(h),
        n(r),
        p.fill,
        p.stroke
    );
}

/// One line of a box's text, centred at `cx`, in the band starting at `top`.
fn text_line(s: &mut String, cx: f64, top: f64, line: &Line) {
    let size = line.style.size();
    let baseline = top + line.style.line_height() / 2.0 + size * 0.35;
    let weight = if line.style.bold() { " font-weight=\"bold\"" } else { "" };
    let _ = writeln!(
        s,
        "<text class=\"{}\" x=\"{}\" y=\"{}\" font-size=\"{}\"{weight} text-anchor=\"middle\" fill=\"{}\">{}</text>",
        line.class,
        n(cx),
        n(baseline),
        n(size),
        ink(line.class),
        esc(&line.text)
    );
}
