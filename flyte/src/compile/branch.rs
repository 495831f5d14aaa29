//! Branch nodes (`if` in a workflow body) as Flyte `BranchNode`s, as flytekit 1.16 writes
//! `conditional(...)`:
//!
//! - the branch node binds only its conditions' operands, named `.x` (workflow input `x`) and
//!   `n0.o0` (output `o0` of node `n0`), in name order; its `upstream_node_ids` are the nodes of
//!   those operands; its metadata is the branch's name and empty retries;
//! - the first case is `case`, the next ones `other`, the `else` an `else_node`, or
//!   `error { failed_node_id: <branch name>, message }` for `else { fail!("...") }`;
//! - an arm that is one call is its then-node; any other arm (several statements, a call whose
//!   outputs are not the branch's as they are) is a sub-workflow of its own, embedded in the
//!   spec, called by the then-node. Then-nodes are numbered `n0`, `n1`, … per branch, across its
//!   arms in order (Propeller renames them `<branch>-<then>`);
//! - comparisons are written with the promise on the left of a literal (as Python reflects
//!   `5 < x` into `x > 5`), literals as the deprecated `primitive` (the only operand Propeller
//!   1.16 reads), typed as the promise they are compared with.
//!
//! Where Propeller 1.16 would not do what Rust does, the condition is rewritten to an equivalent
//! one (`<`/`<=` on floats, orderings of `bool`s), or the branch is refused with
//! [`PackageError::Unsupported`] saying what to write instead. Each difference from flytekit is
//! listed in `docs/flyte.md`.

use std::collections::BTreeMap;

use flowmap_model::graph::{
    Arm, Binding, CompareOp, Condition, Graph, InputBinding, Interface, Node, NodeKind, OutputBinding, Port,
    TargetKind, TargetRef,
};
use flowmap_model::types::TypeDesc;

use super::workflow::{Scope, binding_data, compile_node, template, upstream_of};
use super::{flyte_name, identifier};
use crate::error::PackageError;
use crate::idl::flyteidl::core::{
    self, BooleanExpression, BranchNode, ComparisonExpression, ConjunctionExpression, IfBlock, IfElseBlock,
    NodeMetadata, Operand, Primitive, ResourceType, RetryStrategy, WorkflowNode, boolean_expression,
    comparison_expression::Operator, conjunction_expression::LogicalOperator, if_else_block, literal, node,
    node_metadata, operand, scalar, workflow_node,
};
use crate::literal::to_literal;
use crate::shape::{Shape, shape};

/// Branch node `n` of `graph`.
pub(super) fn branch_node(graph: &Graph, n: &Node, scope: &Scope<'_>) -> Result<core::Node, PackageError> {
    let unsupported = |what: String, fix: &str| PackageError::Unsupported {
        workflow: graph.name.clone(),
        node: n.id.clone(),
        what,
        fix: fix.to_owned(),
    };
    let Some(branch) = &n.branch else {
        return Err(PackageError::Missing {
            workflow: graph.name.clone(),
            kind: "cases of branch",
            name: n.id.clone(),
        });
    };
    let Some((first, others)) = branch.cases.split_first() else {
        return Err(unsupported(
            "a branch with no case".to_owned(),
            "Flyte's branch node needs a first condition; write an `if`",
        ));
    };
    let mut conditions = Conditions { graph, node: n, inputs: BTreeMap::new() };
    let mut then_ids = 0..;
    let mut then = |case: usize, arm: &Arm| -> Result<core::Node, PackageError> {
        match arm {
            Arm::Run { nodes, outputs } => {
                let id = format!("n{}", then_ids.next().unwrap_or_default());
                then_node(graph, n, case, nodes, outputs, id, scope)
            }
            Arm::Fail { .. } => Err(unsupported(
                format!("a branch whose arm {case} is `fail!`"),
                "Flyte fails a branch only in its last `else` (`error`), and every other arm must run a node; \
                 move the failing case last, as `else { fail!(\"...\") }`, or fail in a `#[task]`",
            )),
            Arm::Nothing => Err(unsupported(
                format!("a branch whose arm {case} does nothing"),
                "every arm of a Flyte branch runs a node; call a task in it",
            )),
        }
    };
    let mut block = |case: usize, condition: &Condition| -> Result<IfBlock, PackageError> {
        let arm = if case == 0 { &first.arm } else { &others[case - 1].arm };
        Ok(IfBlock { condition: Some(conditions.expression(condition)?), then_node: Some(Box::new(then(case, arm)?)) })
    };
    // Conditions and then-nodes in source order, as flytekit numbers them.
    let case = block(0, &first.condition)?;
    let mut other = Vec::with_capacity(others.len());
    for (i, c) in others.iter().enumerate() {
        other.push(block(i + 1, &c.condition)?);
    }
    let default = match &branch.otherwise {
        Arm::Fail { message } => if_else_block::Default::Error(core::Error {
            failed_node_id: n.target.name.clone(),
            message: message.clone(),
        }),
        Arm::Nothing => {
            return Err(unsupported(
                "an `if` with no `else`".to_owned(),
                "Flyte's branch node needs an `else` (a node, or a failure); add `else { ... }` that calls a task, \
                 or `else { fail!(\"...\") }`",
            ));
        }
        arm => if_else_block::Default::ElseNode(Box::new(then(branch.cases.len(), arm)?)),
    };
    let mut upstream: Vec<String> = Vec::new();
    let mut inputs = Vec::with_capacity(conditions.inputs.len());
    for (var, binding) in conditions.inputs {
        if let Binding::Node { node, .. } = &binding
            && !upstream.contains(node)
        {
            upstream.push(node.clone());
        }
        let data = binding_data(graph, &binding, &TypeDesc::Unit, String::new)?;
        inputs.push(core::Binding { var, binding: Some(data) });
    }
    Ok(core::Node {
        id: n.id.clone(),
        metadata: Some(NodeMetadata {
            name: n.target.name.clone(),
            retries: Some(RetryStrategy::default()),
            ..NodeMetadata::default()
        }),
        inputs,
        upstream_node_ids: upstream,
        target: Some(node::Target::BranchNode(Box::new(BranchNode {
            if_else: Some(Box::new(IfElseBlock { case: Some(Box::new(case)), other, default: Some(default) })),
        }))),
        ..core::Node::default()
    })
}

/// The conditions of one branch node, and the inputs they bind (by variable name).
struct Conditions<'g> {
    graph: &'g Graph,
    node: &'g Node,
    inputs: BTreeMap<String, Binding>,
}

/// One side of a comparison, typed.
enum Side {
    Var(String),
    Literal(Primitive),
}

impl Conditions<'_> {
    fn unsupported(&self, what: String, fix: &str) -> PackageError {
        PackageError::Unsupported {
            workflow: self.graph.name.clone(),
            node: self.node.id.clone(),
            what,
            fix: fix.to_owned(),
        }
    }

    fn expression(&mut self, c: &Condition) -> Result<BooleanExpression, PackageError> {
        Ok(match c {
            Condition::And { left, right } => {
                conjunction(LogicalOperator::And, self.expression(left)?, self.expression(right)?)
            }
            Condition::Or { left, right } => {
                conjunction(LogicalOperator::Or, self.expression(left)?, self.expression(right)?)
            }
            Condition::IsNone { .. } | Condition::IsSome { .. } => {
                return Err(self.unsupported(
                    "a branch on `is_none()` / `is_some()`".to_owned(),
                    "Propeller 1.16 compares only primitive values, and an `Option` is a union (flytekit's \
                     `is_none()` does not register either); compute a `bool` in a `#[task]` (`x.is_some()`) and \
                     branch on it",
                ));
            }
            Condition::Compare { op, left, right } => self.comparison(*op, left, right)?,
        })
    }

    fn comparison(
        &mut self,
        op: CompareOp,
        left: &Binding,
        right: &Binding,
    ) -> Result<BooleanExpression, PackageError> {
        // The promise on the left of a literal, as Python reflects `5 < x` into `x > 5`.
        let (op, left, right) = match (left, right) {
            (Binding::Constant { .. }, Binding::Constant { .. }) => {
                return Err(self.unsupported(
                    "a comparison of two constants".to_owned(),
                    "a Flyte condition reads at least one value of the workflow; compare a promise",
                ));
            }
            (Binding::Constant { .. }, _) => (mirrored(op), right, left),
            _ => (op, left, right),
        };
        let Some(ty) = type_of(self.graph, left) else {
            return Err(PackageError::Missing {
                workflow: self.graph.name.clone(),
                kind: "value compared by branch",
                name: self.node.id.clone(),
            });
        };
        let kind = shape(&ty);
        if !matches!(
            kind,
            Shape::Boolean | Shape::Integer | Shape::Float | Shape::String | Shape::Duration | Shape::Datetime
        ) {
            return Err(self.unsupported(
                format!("a comparison of `{}`", ty.short()),
                "Propeller 1.16 compares only integers, floats, strings, booleans, durations and times",
            ));
        }
        let (l, r) = (self.side(left, &ty)?, self.side(right, &ty)?);
        let cmp = |op, l: &Side, r: &Side| comparison(op, l, r);
        Ok(match (kind, op) {
            // Propeller defines no ordering of booleans; `false < true` as Rust orders them.
            (Shape::Boolean, CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge) => {
                let (t, f) = (Side::Literal(boolean(true)), Side::Literal(boolean(false)));
                let (l_is, r_is) = if matches!(op, CompareOp::Lt | CompareOp::Le) { (&f, &t) } else { (&t, &f) };
                let join = if matches!(op, CompareOp::Lt | CompareOp::Gt) {
                    LogicalOperator::And
                } else {
                    LogicalOperator::Or
                };
                conjunction(join, cmp(Operator::Eq, &l, l_is), cmp(Operator::Eq, &r, r_is))
            }
            // Propeller's LT is "not GT and not EQ", which a NaN satisfies; Rust's `<` does not.
            // `b > a` is false with a NaN, as `a < b` is in Rust.
            (Shape::Float, CompareOp::Lt) => cmp(Operator::Gt, &r, &l),
            (Shape::Float, CompareOp::Le) => cmp(Operator::Gte, &r, &l),
            (_, op) => cmp(operator(op), &l, &r),
        })
    }

    /// An operand: a literal of type `ty`, or an input of the branch node.
    fn side(&mut self, b: &Binding, ty: &TypeDesc) -> Result<Side, PackageError> {
        Ok(match b {
            Binding::Constant { value } => {
                let lit = to_literal(value, ty).map_err(|source| PackageError::Literal {
                    workflow: self.graph.name.clone(),
                    what: format!("a constant compared by branch {}", self.node.id),
                    source,
                })?;
                match lit.value {
                    Some(literal::Value::Scalar(s)) => match s.value {
                        Some(scalar::Value::Primitive(p)) => Side::Literal(p),
                        _ => return Err(self.unsupported("a comparison of a non-primitive constant".to_owned(), "")),
                    },
                    _ => return Err(self.unsupported("a comparison of a non-primitive constant".to_owned(), "")),
                }
            }
            Binding::Input { name } => {
                let var = format!(".{name}");
                self.inputs.insert(var.clone(), b.clone());
                Side::Var(var)
            }
            Binding::Node { node, output } => {
                let var = format!("{node}.{output}");
                self.inputs.insert(var.clone(), b.clone());
                Side::Var(var)
            }
            Binding::After { .. } => {
                return Err(self
                    .unsupported("a comparison of the end of a node".to_owned(), "compare values that tasks return"));
            }
        })
    }
}

fn boolean(b: bool) -> Primitive {
    Primitive { value: Some(crate::idl::flyteidl::core::primitive::Value::Boolean(b)) }
}

/// `a op b` as `b op' a`.
fn mirrored(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

fn operator(op: CompareOp) -> Operator {
    match op {
        CompareOp::Eq => Operator::Eq,
        CompareOp::Ne => Operator::Neq,
        CompareOp::Lt => Operator::Lt,
        CompareOp::Le => Operator::Lte,
        CompareOp::Gt => Operator::Gt,
        CompareOp::Ge => Operator::Gte,
    }
}

fn operand(side: &Side) -> Operand {
    #[allow(deprecated)] // The only operand Propeller 1.16 reads, and what flytekit writes.
    let val = match side {
        Side::Var(v) => operand::Val::Var(v.clone()),
        Side::Literal(p) => operand::Val::Primitive(p.clone()),
    };
    Operand { val: Some(val) }
}

fn comparison(op: Operator, left: &Side, right: &Side) -> BooleanExpression {
    BooleanExpression {
        expr: Some(boolean_expression::Expr::Comparison(ComparisonExpression {
            operator: op as i32,
            left_value: Some(operand(left)),
            right_value: Some(operand(right)),
        })),
    }
}

fn conjunction(op: LogicalOperator, left: BooleanExpression, right: BooleanExpression) -> BooleanExpression {
    BooleanExpression {
        expr: Some(boolean_expression::Expr::Conjunction(Box::new(ConjunctionExpression {
            operator: op as i32,
            left_expression: Some(Box::new(left)),
            right_expression: Some(Box::new(right)),
        }))),
    }
}

/// The type of a value `graph` reads: a workflow input, or an output of a node (at any depth of
/// its branches' arms); `()` for the end of a node.
fn type_of(graph: &Graph, b: &Binding) -> Option<TypeDesc> {
    fn find<'a>(nodes: &'a [Node], id: &str) -> Option<&'a Node> {
        nodes.iter().find_map(|n| {
            if n.id == id {
                return Some(n);
            }
            let branch = n.branch.as_ref()?;
            branch.cases.iter().map(|c| &c.arm).chain([&branch.otherwise]).find_map(|arm| match arm {
                Arm::Run { nodes, .. } => find(nodes, id),
                _ => None,
            })
        })
    }
    match b {
        Binding::Input { name } => graph.interface.inputs.iter().find(|p| &p.name == name).map(|p| p.ty.clone()),
        Binding::Node { node, output } => {
            find(&graph.nodes, node)?.outputs.iter().find(|p| &p.name == output).map(|p| p.ty.clone())
        }
        Binding::After { .. } => Some(TypeDesc::Unit),
        Binding::Constant { .. } => None,
    }
}

/// The then-node of arm `case` of branch `n`: its one call as it is, when the call's outputs
/// are the branch's; otherwise a workflow node calling the arm as a sub-workflow.
fn then_node(
    graph: &Graph,
    n: &Node,
    case: usize,
    nodes: &[Node],
    outputs: &[Binding],
    id: String,
    scope: &Scope<'_>,
) -> Result<core::Node, PackageError> {
    if let [only] = nodes
        && only.outputs.len() == n.outputs.len()
        && only.outputs.iter().zip(&n.outputs).all(|(a, b)| a.name == b.name)
        && outputs.len() == n.outputs.len()
        && outputs
            .iter()
            .zip(&only.outputs)
            .all(|(o, p)| matches!(o, Binding::Node { node, output } if *node == only.id && *output == p.name))
    {
        let mut then = compile_node(graph, only, scope)?;
        then.id = id;
        return Ok(then);
    }
    if nodes.is_empty() {
        return Err(PackageError::Unsupported {
            workflow: graph.name.clone(),
            node: n.id.clone(),
            what: format!("a branch whose arm {case} calls nothing (its value is an input or a constant)"),
            fix: "every arm of a Flyte branch runs a node; call a task in it".to_owned(),
        });
    }
    let (sub, call) = arm_workflow(graph, n, case, nodes, outputs)?;
    let tpl = template(&sub, scope)?;
    {
        let mut arms = scope.arms.borrow_mut();
        if !arms.iter().any(|t| t.id == tpl.id) {
            arms.push(tpl);
        }
    }
    let mut inputs = Vec::with_capacity(call.inputs.len());
    for input in &call.inputs {
        let ty = type_of(graph, &input.binding).unwrap_or(TypeDesc::Unit);
        inputs.push(core::Binding {
            var: input.name.clone(),
            binding: Some(binding_data(graph, &input.binding, &ty, String::new)?),
        });
    }
    inputs.sort_by(|a, b| a.var.cmp(&b.var));
    Ok(core::Node {
        id,
        metadata: Some(NodeMetadata {
            name: sub.name.clone(),
            retries: Some(RetryStrategy::default()),
            // As flytekit writes a sub-workflow node.
            interruptible_value: Some(node_metadata::InterruptibleValue::Interruptible(false)),
            ..NodeMetadata::default()
        }),
        inputs,
        upstream_node_ids: upstream_of(&call),
        target: Some(node::Target::WorkflowNode(WorkflowNode {
            reference: Some(workflow_node::Reference::SubWorkflowRef(identifier(
                ResourceType::Workflow,
                &flyte_name(&sub.qualified_name()),
            ))),
        })),
        ..core::Node::default()
    })
}

/// Arm `case` of branch `n` as a workflow of its own, named `{workflow}.{branch id}-{case}`: its
/// nodes numbered `n0`, `n1`, … as a workflow's, what they read from outside as its inputs
/// (named `x` for workflow input `x`, `n0.o0` for an output of node `n0`), the branch's outputs
/// as its outputs. With it, the node that calls it (its inputs bound to those outside values,
/// after the outside nodes the arm's nodes run after).
fn arm_workflow(
    graph: &Graph,
    n: &Node,
    case: usize,
    nodes: &[Node],
    outputs: &[Binding],
) -> Result<(Graph, Node), PackageError> {
    let mut arm = ArmScope { prefix: format!("{}-{case}-", n.id), inputs: Vec::new(), after: Vec::new() };
    let mut own = nodes.to_vec();
    for node in &mut own {
        arm.node(node);
    }
    let mut outs = Vec::with_capacity(outputs.len());
    for (port, b) in n.outputs.iter().zip(outputs) {
        let mut b = b.clone();
        arm.binding(&mut b);
        outs.push(OutputBinding { name: port.name.clone(), binding: b });
    }
    let mut ports = Vec::with_capacity(arm.inputs.len());
    let mut call_inputs = Vec::with_capacity(arm.inputs.len());
    for (name, outside) in arm.inputs {
        let Some(ty) = type_of(graph, &outside) else {
            return Err(PackageError::Missing {
                workflow: graph.name.clone(),
                kind: "value read by branch",
                name: n.id.clone(),
            });
        };
        ports.push(Port { name: name.clone(), ty, default: None });
        call_inputs.push(InputBinding { name, binding: outside });
    }
    let sub = Graph {
        format: graph.format,
        name: format!("{}.{}-{case}", graph.name, n.id),
        module: graph.module.clone(),
        interface: Interface { inputs: ports, outputs: n.outputs.clone() },
        nodes: own,
        outputs: outs,
        tasks: BTreeMap::new(),
        workflows: BTreeMap::new(),
        doc: None,
    };
    let call = Node {
        id: String::new(),
        kind: NodeKind::Workflow,
        target: TargetRef { kind: TargetKind::Workflow, name: sub.qualified_name() },
        inputs: call_inputs,
        outputs: n.outputs.clone(),
        map: None,
        overrides: flowmap_model::Settings::default(),
        after: arm.after,
        branch: None,
    };
    Ok((sub, call))
}

/// Renames an arm's nodes as a workflow's, and collects what they read from outside.
struct ArmScope {
    /// `n1-0-`: the ids of the arm's own nodes (and of nodes in their arms) start with it.
    prefix: String,
    /// The arm workflow's inputs: name, and the outside value.
    inputs: Vec<(String, Binding)>,
    /// Outside nodes that the arm's nodes run after though no value flows.
    after: Vec<String>,
}

impl ArmScope {
    /// `n1-0-3` as `n3` (and `n1-0-3-1-0`, in an arm of a branch in this arm, as `n3-1-0`).
    fn own(&self, id: &str) -> Option<String> {
        id.strip_prefix(&self.prefix).map(|rest| format!("n{rest}"))
    }

    fn input(&mut self, name: String, outside: Binding) -> Binding {
        if !self.inputs.iter().any(|(n, _)| *n == name) {
            self.inputs.push((name.clone(), outside));
        }
        Binding::Input { name }
    }

    fn binding(&mut self, b: &mut Binding) {
        let renamed = match &*b {
            Binding::Input { name } => self.input(name.clone(), b.clone()),
            Binding::Node { node, output } => match self.own(node) {
                Some(node) => Binding::Node { node, output: output.clone() },
                None => self.input(format!("{node}.{output}"), b.clone()),
            },
            Binding::After { node } => match self.own(node) {
                Some(node) => Binding::After { node },
                None => self.input(format!("{node}.done"), b.clone()),
            },
            Binding::Constant { .. } => return,
        };
        *b = renamed;
    }

    fn condition(&mut self, c: &mut Condition) {
        match c {
            Condition::Compare { left, right, .. } => {
                self.binding(left);
                self.binding(right);
            }
            Condition::And { left, right } | Condition::Or { left, right } => {
                self.condition(left);
                self.condition(right);
            }
            Condition::IsNone { value } | Condition::IsSome { value } => self.binding(value),
        }
    }

    fn node(&mut self, n: &mut Node) {
        if let Some(id) = self.own(&n.id) {
            n.id = id;
        }
        for input in &mut n.inputs {
            self.binding(&mut input.binding);
        }
        let mut after = Vec::with_capacity(n.after.len());
        for id in std::mem::take(&mut n.after) {
            match self.own(&id) {
                Some(own) => after.push(own),
                None if !self.after.contains(&id) => self.after.push(id),
                None => {}
            }
        }
        n.after = after;
        if let Some(branch) = &mut n.branch {
            for case in &mut branch.cases {
                self.condition(&mut case.condition);
                self.arm(&mut case.arm);
            }
            self.arm(&mut branch.otherwise);
        }
    }

    fn arm(&mut self, arm: &mut Arm) {
        if let Arm::Run { nodes, outputs } = arm {
            for n in nodes {
                self.node(n);
            }
            for b in outputs {
                self.binding(b);
            }
        }
    }
}
