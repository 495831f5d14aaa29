//! `graph --format svg`: a picture for a design document, read back as XML.

use flowmap::prelude::*;
use flowmap_cli::App;
use roxmltree::{Document, Node};

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > 11
}

#[task]
fn tag(flags: Vec<Option<bool>>, note: String) -> String {
    format!("{note}: {}", flags.len())
}

#[task]
fn count(flags: Vec<bool>) -> String {
    flags.iter().filter(|f| **f).count().to_string()
}

#[task]
fn shout(word: String) -> String {
    word.to_uppercase()
}

#[workflow]
fn loud(word: String) -> String {
    shout(word)
}

/// A map with settings and overrides, a task with a constant full of markup, a sub-workflow.
#[workflow]
fn pictured(#[default(vec![10, 12])] data: Vec<i64>) -> (String, String) {
    let flags = map!(detect_anomalies, concurrency = 4, min_success_ratio = 0.75)(data_point = data)
        .with_overrides(requests(mem = "2Gi"), retries = 3);
    let note = tag(flags, "a<&\"b");
    (note, loud("</svg>"))
}

/// A longer chain, so that the picture is wider than tall.
#[workflow]
fn chain(data: Vec<i64>) -> String {
    let flags = map!(detect_anomalies)(data_point = data);
    let note = count(flags);
    let note = shout(note);
    let note = loud(note);
    shout(note)
}

/// A branch bound to `level`, with a block arm, and a `match` failing in its `_` arm.
#[workflow]
fn routed(x: i64, mode: String) -> String {
    let level = if x > 11 && x < 100 {
        let flag = detect_anomalies(x);
        count(vec![true]).after(flag)
    } else {
        shout("low")
    };
    match mode {
        "loud" => shout(level),
        _ => fail!("unknown mode"),
    }
}

/// `graph WORKFLOW --format FORMAT`'s output.
fn render(workflow: &str, format: &str) -> String {
    let app = App::new("pictures").workflow(&pictured).workflow(&chain).workflow(&routed);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = app.run_from(["app", "graph", workflow, "--format", format], &mut out, &mut err);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).unwrap()
}

/// `graph WORKFLOW --format svg`'s output.
fn picture(workflow: &str) -> String {
    let app = App::new("pictures").workflow(&pictured).workflow(&chain);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = app.run_from(["app", "graph", workflow, "--format", "svg"], &mut out, &mut err);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).unwrap()
}

fn parse(svg: &str) -> Document<'_> {
    Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML ({e}): {svg}"))
}

fn number(node: Node, attribute: &str) -> f64 {
    node.attribute(attribute).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{attribute} of {node:?}"))
}

fn has_class(node: Node, class: &str) -> bool {
    node.attribute("class").is_some_and(|c| c.split(' ').any(|c| c == class))
}

/// The group drawing the box of a node, input or output, by its id.
fn group<'a>(doc: &'a Document<'a>, id: &str) -> Node<'a, 'a> {
    doc.descendants()
        .find(|n| n.has_tag_name("g") && n.attribute("data-id") == Some(id))
        .unwrap_or_else(|| panic!("no box for {id}"))
}

/// The texts of a group, one per line.
fn texts(node: Node) -> Vec<String> {
    node.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|t| t.descendants().filter(Node::is_text).filter_map(|n| n.text()).collect())
        .collect()
}

fn rects<'a>(node: Node<'a, 'a>) -> Vec<Node<'a, 'a>> {
    node.children().filter(|n| n.has_tag_name("rect")).collect()
}

#[test]
fn the_view_box_fits_the_drawing_and_the_picture_scales() {
    for workflow in ["pictured", "chain"] {
        let svg = picture(workflow);
        let doc = parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("height"), None, "no fixed height: {svg}");
        assert!(matches!(root.attribute("width"), None | Some("100%")), "no fixed width: {svg}");
        let view: Vec<f64> =
            root.attribute("viewBox").expect("a viewBox").split_whitespace().map(|v| v.parse().unwrap()).collect();
        let [vx, vy, vw, vh] = view[..] else { panic!("{view:?}") };
        // Where the boxes are (the background covers the viewBox: it is not drawn content).
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for r in doc.descendants().filter(|n| n.has_tag_name("rect") && !has_class(*n, "background")) {
            let (x, y) = (number(r, "x"), number(r, "y"));
            (x0, y0) = (x0.min(x), y0.min(y));
            (x1, y1) = (x1.max(x + number(r, "width")), y1.max(y + number(r, "height")));
        }
        assert!(vx <= x0 && vy <= y0 && vx + vw >= x1 && vy + vh >= y1, "everything drawn is in view: {svg}");
        // A margin and the heading above the boxes, no more.
        assert!(vh <= (y1 - y0) + 70.0, "{workflow}: the viewBox is {vh} high for {} of boxes", y1 - y0);
        assert!(vw <= (x1 - x0) + 40.0, "{workflow}: the viewBox is {vw} wide for {} of boxes", x1 - x0);
        if workflow == "chain" {
            assert!(vw > 2.0 * vh, "a chain is drawn left to right: {vw} x {vh}");
        }
        assert!(root.attribute("font-family").is_some_and(|f| f.ends_with("sans-serif")), "{svg}");
    }
}

#[test]
fn boxes_are_sized_to_their_text() {
    let svg = picture("pictured");
    let doc = parse(&svg);
    for id in ["data", "n0", "n1", "n2", "o0", "o1"] {
        let g = group(&doc, id);
        let longest = texts(g).iter().map(|t| t.chars().count()).max().unwrap_or(0);
        let width = number(rects(g)[0], "width");
        // Sans-serif text of 10 to 13 px is 5 to 8 px a character; a box pads it by 12 px a side.
        let most = 8.0 * longest as f64 + 30.0;
        assert!(width <= most, "the box of {id} is {width} wide for {longest} characters: {svg}");
    }
}

#[test]
fn maps_sub_workflows_tasks_and_constants_are_drawn_apart() {
    let svg = picture("pictured");
    let doc = parse(&svg);
    let (map, task, sub) = (group(&doc, "n0"), group(&doc, "n1"), group(&doc, "n2"));
    assert!(has_class(map, "map") && has_class(task, "task") && has_class(sub, "workflow"), "{svg}");
    assert!(rects(map).len() > 1 && rects(task).len() == 1, "a map is a stack of boxes: {svg}");
    assert_ne!(rects(map)[0].attribute("fill"), rects(task)[0].attribute("fill"));
    assert!(rects(sub)[0].attribute("stroke-dasharray").is_some(), "a sub-workflow is dashed: {svg}");
    assert!(rects(task)[0].attribute("stroke-dasharray").is_none());
    assert!(has_class(group(&doc, "data"), "input") && has_class(group(&doc, "o0"), "output"));
    // The map's settings and overrides, as written.
    let lines = texts(map).join("\n");
    for written in [
        "map · n0",
        "detect_anomalies",
        "concurrency = 4",
        "min_success_ratio = 0.75",
        "requests(mem = \"2Gi\")",
        "retries = 3",
    ] {
        assert!(lines.contains(written), "the map shows `{written}`: {lines}");
    }
    assert_eq!(texts(sub)[..2], ["workflow · n2", "loud"]);
    // Constants are small pills with their literal, escaped in the document.
    let constants: Vec<String> =
        doc.descendants().filter(|n| has_class(*n, "constant")).flat_map(|g| texts(g)).collect();
    assert_eq!(constants, [r#""a<&\"b""#, r#""</svg>""#], "{svg}");
    assert!(!svg.contains("a<&") && !svg.contains("\"</svg>"), "{svg}");
}

#[test]
fn a_branch_is_drawn_with_each_arm_and_what_chooses_it() {
    let svg = render("routed", "svg");
    let doc = parse(&svg);
    let (level, mode) = (group(&doc, "n0"), group(&doc, "n1"));
    assert!(has_class(level, "branch") && has_class(mode, "branch"), "{svg}");
    assert_eq!(
        texts(level),
        ["branch · n0", "level", "if x > 11 && x < 100 → detect_anomalies, count", "else → shout"],
        "{svg}"
    );
    assert_eq!(texts(mode), ["branch · n1", "branch", "if mode == \"loud\" → shout", "else → fail!(\"unknown mode\")"]);
    // The second branch reads the first's value.
    let edges = doc.descendants().filter(|n| has_class(*n, "edge")).count();
    assert!(edges >= 3, "x into n0, mode and n0 into n1: {svg}");

    let mermaid = render("routed", "mermaid");
    for line in [
        "  n0{\"n0: branch level\"}",
        "  subgraph n0_arm0 [\"if x > 11 && x < 100\"]",
        "  n0_0_0[\"n0-0-0: detect_anomalies\"]",
        "  in_x -->|data_point| n0_0_0",
        "  n0 -.-> n0_arm1",
        "  n1_arm1_fail[/\"fail: unknown mode\"/]",
        "  n0 -->|n0.o0| n1",
    ] {
        assert!(mermaid.lines().any(|l| l == line), "no `{line}` in:\n{mermaid}");
    }
}
