//! Branch nodes beyond the goldens' twins: rewritten comparisons (a literal on the left, floats'
//! `<`, orderings of `bool`s), a nested `if`, an arm made a sub-workflow that reads an outside
//! node, a sub-workflow called in an arm; and what Flyte 1.16 cannot express, refused by name.

use flowmap::graph::{Arm, Binding, Graph};
use flowmap::prelude::*;
use prost::Message;

use crate::PackageError;
use crate::idl::flyteidl::admin::WorkflowSpec;
use crate::idl::flyteidl::core::{
    self, BooleanExpression, boolean_expression, comparison_expression::Operator,
    conjunction_expression::LogicalOperator, if_else_block, node, operand, primitive, task_node, workflow_node,
};

#[task]
fn half(x: f64) -> f64 {
    x / 2.0
}

#[task]
fn double(x: i64) -> i64 {
    2 * x
}

#[task]
fn negate(x: i64) -> i64 {
    -x
}

#[task]
fn note(x: i64) {
    let _ = x;
}

#[workflow]
fn twice(x: i64) -> i64 {
    let d = double(x);
    double(d)
}

#[workflow]
fn rewritten(x: f64, b: bool, c: bool) -> f64 {
    let r = if 1.5 < x {
        half(x)
    } else if x <= 0.5 {
        half(x)
    } else if b < c {
        half(x)
    } else if b >= true {
        half(x)
    } else {
        half(x)
    };
    r
}

#[workflow]
fn nested(x: i64, y: i64) -> i64 {
    let base = double(x);
    let r = if x > 0 {
        if y > base { negate(base) } else { twice(y) }
    } else {
        let d = double(base);
        negate(d)
    };
    r
}

#[workflow]
fn maybe(x: Option<i64>, y: i64) -> i64 {
    let r = if x.is_none() { double(y) } else { negate(y) };
    r
}

#[workflow]
fn no_else(x: i64) -> i64 {
    if x > 0 {
        note(x)
    }
    double(x)
}

#[workflow]
fn three(x: i64) -> i64 {
    let r = if x > 0 {
        double(x)
    } else if x < -5 {
        negate(x)
    } else {
        double(x)
    };
    r
}

/// The workflow spec of `graph`, as packaged.
fn spec_of(graph: &Graph) -> Result<(WorkflowSpec, Vec<String>), PackageError> {
    let package = crate::Package::new("img").graph(graph)?;
    let files = package.files();
    let (_, bytes) = files.iter().find(|(name, _)| name.ends_with(&format!(".{}_2.pb", graph.name))).unwrap();
    let names = files.iter().map(|(n, _)| n.clone()).collect();
    Ok((WorkflowSpec::decode(bytes.as_slice()).unwrap(), names))
}

fn branch_of(n: &core::Node) -> &core::IfElseBlock {
    let Some(node::Target::BranchNode(b)) = &n.target else { panic!("{} is not a branch node", n.id) };
    b.if_else.as_ref().unwrap()
}

/// A condition as text: `GT(.x, 1.5)`, `AND(..., ...)`.
fn show(e: &BooleanExpression) -> String {
    match e.expr.as_ref().unwrap() {
        boolean_expression::Expr::Conjunction(c) => {
            let op = LogicalOperator::try_from(c.operator).unwrap().as_str_name();
            let (l, r) = (c.left_expression.as_ref().unwrap(), c.right_expression.as_ref().unwrap());
            format!("{op}({}, {})", show(l), show(r))
        }
        boolean_expression::Expr::Comparison(c) => {
            let side = |o: &core::Operand| match o.val.as_ref().unwrap() {
                operand::Val::Var(v) => v.clone(),
                #[allow(deprecated)]
                operand::Val::Primitive(p) => match p.value.as_ref().unwrap() {
                    primitive::Value::Integer(i) => i.to_string(),
                    primitive::Value::FloatValue(f) => format!("{f:?}"),
                    primitive::Value::Boolean(b) => b.to_string(),
                    other => format!("{other:?}"),
                },
                other => format!("{other:?}"),
            };
            let op = Operator::try_from(c.operator).unwrap().as_str_name();
            format!("{op}({}, {})", side(c.left_value.as_ref().unwrap()), side(c.right_value.as_ref().unwrap()))
        }
    }
}

fn conditions(b: &core::IfElseBlock) -> Vec<String> {
    b.case.iter().map(|c| &**c).chain(&b.other).map(|c| show(c.condition.as_ref().unwrap())).collect()
}

#[test]
fn comparisons_are_written_so_that_propeller_decides_as_rust_does() {
    let (spec, _) = spec_of(rewritten.graph().unwrap()).unwrap();
    let n = &spec.template.unwrap().nodes[0];
    let vars: Vec<&str> = n.inputs.iter().map(|b| b.var.as_str()).collect();
    assert_eq!(vars, [".b", ".c", ".x"]);
    assert_eq!(
        conditions(branch_of(n)),
        [
            // `1.5 < x`: the promise on the left, as Python reflects it.
            "GT(.x, 1.5)",
            // `x <= 0.5` on floats: `0.5 >= x`, false with a NaN as in Rust.
            "GTE(0.5, .x)",
            // `b < c` on bools: `!b && c`.
            "AND(EQ(.b, false), EQ(.c, true))",
            // `b >= true`: `b || !true`.
            "OR(EQ(.b, true), EQ(true, false))",
        ]
    );
}

#[test]
fn a_nested_if_is_a_then_node_and_a_longer_arm_a_sub_workflow_reading_outside_nodes() {
    let (spec, files) = spec_of(nested.graph().unwrap()).unwrap();
    let tpl = spec.template.as_ref().unwrap();
    let n = &tpl.nodes[1];
    assert_eq!((n.id.as_str(), n.metadata.as_ref().unwrap().name.as_str()), ("n1", "r"));
    // Only the condition's operand is bound; the arms bind what they read themselves.
    assert_eq!(n.inputs.iter().map(|b| b.var.as_str()).collect::<Vec<_>>(), [".x"]);
    assert!(n.upstream_node_ids.is_empty(), "{:?}", n.upstream_node_ids);
    let outer = branch_of(n);
    assert_eq!(conditions(outer), ["GT(.x, 0)"]);
    // The nested `if`: then-node n0 of the outer branch, numbering its own then-nodes from n0.
    let inner = outer.case.as_ref().unwrap().then_node.as_ref().unwrap();
    assert_eq!((inner.id.as_str(), inner.metadata.as_ref().unwrap().name.as_str()), ("n0", "branch"));
    assert_eq!(inner.upstream_node_ids, ["n0"]);
    let inner_block = branch_of(inner);
    assert_eq!(conditions(inner_block), ["GT(.y, n0.o0)"]);
    let neg = inner_block.case.as_ref().unwrap().then_node.as_ref().unwrap();
    assert_eq!((neg.id.as_str(), neg.upstream_node_ids.as_slice()), ("n0", ["n0".to_owned()].as_slice()));
    assert!(matches!(&neg.target, Some(node::Target::TaskNode(t))
        if matches!(&t.reference, Some(task_node::Reference::ReferenceId(id)) if id.name.ends_with(".negate"))));
    let Some(if_else_block::Default::ElseNode(call)) = &inner_block.default else { panic!("an else node") };
    assert_eq!(call.id, "n1");
    let Some(node::Target::WorkflowNode(w)) = &call.target else { panic!("twice is a workflow node") };
    let Some(workflow_node::Reference::SubWorkflowRef(twice_ref)) = &w.reference else { panic!() };
    // The outer else: two statements, a sub-workflow whose input is the outside node's output.
    let Some(if_else_block::Default::ElseNode(arm)) = &outer.default else { panic!("an else node") };
    assert_eq!((arm.id.as_str(), arm.upstream_node_ids.as_slice()), ("n1", ["n0".to_owned()].as_slice()));
    assert_eq!(arm.inputs.len(), 1);
    assert_eq!(arm.inputs[0].var, "n0.o0");
    let Some(node::Target::WorkflowNode(w)) = &arm.target else { panic!("the arm is a workflow node") };
    let Some(workflow_node::Reference::SubWorkflowRef(arm_ref)) = &w.reference else { panic!() };
    assert!(arm_ref.name.ends_with(".nested.n1-1"), "{}", arm_ref.name);
    let sub = spec.sub_workflows.iter().find(|s| s.id.as_ref() == Some(arm_ref)).expect("the arm is embedded");
    let inputs = &sub.interface.as_ref().unwrap().inputs.as_ref().unwrap().variables;
    assert_eq!(inputs.keys().collect::<Vec<_>>(), ["n0.o0"]);
    let ids: Vec<&str> = sub.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["n0", "n1"]);
    assert_eq!(sub.nodes[1].upstream_node_ids, ["n0"]);
    assert!(spec.sub_workflows.iter().any(|s| s.id.as_ref() == Some(twice_ref)), "twice is embedded too");
    // Every task the arms call is packaged.
    for task in ["double_1.pb", "negate_1.pb"] {
        assert!(files.iter().any(|f| f.ends_with(task)), "{task} in {files:?}");
    }
}

/// The message of a refused graph, checked to name the workflow and node.
fn refused(graph: &Graph, node: &str) -> String {
    let e = spec_of(graph).unwrap_err();
    let PackageError::Unsupported { workflow, node: at, .. } = &e else { panic!("{e:?}") };
    assert_eq!((workflow.as_str(), at.as_str()), (graph.name.as_str(), node));
    e.to_string()
}

#[test]
fn what_flyte_cannot_express_is_refused_saying_what_to_write() {
    let msg = refused(maybe.graph().unwrap(), "n0");
    assert!(msg.contains("is_none()") && msg.contains("`#[task]`"), "{msg}");
    let msg = refused(no_else.graph().unwrap(), "n0");
    assert!(msg.contains("no `else`") && msg.contains("add `else"), "{msg}");
    // `fail!` before the last arm, and an arm that calls nothing: graphs the macro does not
    // write today, but the model allows.
    let mut g = three.graph().unwrap().clone();
    g.nodes[0].branch.as_mut().unwrap().cases[1].arm = Arm::Fail { message: "too small".into() };
    let msg = refused(&g, "n0");
    assert!(msg.contains("arm 1 is `fail!`") && msg.contains("last"), "{msg}");
    let mut g = three.graph().unwrap().clone();
    g.nodes[0].branch.as_mut().unwrap().otherwise =
        Arm::Run { nodes: Vec::new(), outputs: vec![Binding::Input { name: "x".into() }] };
    let msg = refused(&g, "n0");
    assert!(msg.contains("arm 2 calls nothing"), "{msg}");
    // As it is, the same graph compiles.
    assert!(spec_of(three.graph().unwrap()).is_ok());
}
