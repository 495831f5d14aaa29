//! Building a branch node (an `if` or `match` of a workflow body): generated code starts it with
//! [`GraphBuilder::branch`], gives each case its [`Cond`] and builds its arm in a builder of its
//! own, and finishes it into one node whose inputs are every value its conditions and arms read
//! from outside.

use std::marker::PhantomData;
use std::sync::Arc;

use flowmap_model::graph::{
    Arm, Binding, Branch, Case, CompareOp, Condition, InputBinding, Node, NodeKind, Port, TargetKind, TargetRef,
};
use flowmap_model::types::TypeDesc;

use crate::arities::nested_arities;
use crate::data::Data;
use crate::error::BuildError;
use crate::plan::builder::{GraphBuilder, Outer, Scope};
use crate::plan::condition::{Compare, CondPlan, Operand, Present, Scalar, compare, present};
use crate::plan::decl::add_task;
use crate::plan::{ArmPlan, BranchPlan, NodeSettings, Plan, PlanNode, Work};
use crate::promise::{Done, Promise};
use crate::value::{Source, Value};

/// A case's condition, as generated code writes it.
#[doc(hidden)]
#[derive(Debug)]
pub struct Cond(Draft);

#[derive(Debug)]
enum Draft {
    Compare { op: CompareOp, left: Source, right: Source, compare: Compare },
    And(Box<Draft>, Box<Draft>),
    Or(Box<Draft>, Box<Draft>),
    Present { value: Source, some: bool, present: Present },
}

impl Cond {
    /// `left op right`, two values of one scalar type.
    #[must_use]
    pub fn compare<T: Scalar>(op: CompareOp, left: Promise<T>, right: Promise<T>) -> Cond {
        Cond(Draft::Compare { op, left: left.source(), right: right.source(), compare: compare::<T> })
    }

    /// `value.is_some()`.
    #[must_use]
    pub fn is_some<T: Data>(value: Promise<Option<T>>) -> Cond {
        Cond(Draft::Present { value: value.source(), some: true, present: present::<T> })
    }

    /// `value.is_none()`.
    #[must_use]
    pub fn is_none<T: Data>(value: Promise<Option<T>>) -> Cond {
        Cond(Draft::Present { value: value.source(), some: false, present: present::<T> })
    }

    /// `self && other`.
    #[must_use]
    pub fn and(self, other: Cond) -> Cond {
        Cond(Draft::And(Box::new(self.0), Box::new(other.0)))
    }

    /// `self || other`.
    #[must_use]
    pub fn or(self, other: Cond) -> Cond {
        Cond(Draft::Or(Box::new(self.0), Box::new(other.0)))
    }
}

/// What an arm's value may be: one promise, or [`Done`] (an arm with no value).
#[doc(hidden)]
pub trait ArmValue: Sized {
    /// Where the arm's outputs come from.
    fn sources(&self) -> Vec<Source>;
    /// The outputs' types.
    fn types() -> Vec<TypeDesc>;
    /// The branch node's value (`None`: a node that could not be added).
    fn of(node: Option<usize>) -> Self;
}

impl<T: Data> ArmValue for Promise<T> {
    fn sources(&self) -> Vec<Source> {
        vec![self.source()]
    }
    fn types() -> Vec<TypeDesc> {
        vec![crate::data::describe::<T>()]
    }
    fn of(node: Option<usize>) -> Self {
        Promise::new(node.map_or(Source::Unbuilt, |node| Source::Output { node, port: 0 }))
    }
}

impl ArmValue for Done {
    fn sources(&self) -> Vec<Source> {
        Vec::new()
    }
    fn types() -> Vec<TypeDesc> {
        Vec::new()
    }
    fn of(node: Option<usize>) -> Self {
        Done::of(node)
    }
}

/// An arm whose value is a tuple of promises (`(total, count)`): one output each.
macro_rules! arm_tuples {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: Data),*> ArmValue for ($(Promise<$T>,)*) {
            fn sources(&self) -> Vec<Source> {
                vec![$(self.$i.source()),*]
            }
            fn types() -> Vec<TypeDesc> {
                vec![$(crate::data::describe::<$T>()),*]
            }
            fn of(node: Option<usize>) -> Self {
                ($(Promise::new(node.map_or(Source::Unbuilt, |node| Source::Output { node, port: $i })),)*)
            }
        }
    )*};
}

nested_arities!(arm_tuples);

/// An arm as built, before the branch knows every value its arms read from outside.
enum ArmDraft {
    Run { arm: Box<GraphBuilder>, outputs: Vec<Source> },
    Fail(String),
}

/// A branch being built.
#[doc(hidden)]
pub struct BranchBuilder<P> {
    name: String,
    /// The branch node's index in its builder.
    index: usize,
    cases: Vec<(Draft, ArmDraft)>,
    otherwise: Option<ArmDraft>,
    _value: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for BranchBuilder<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BranchBuilder").field("name", &self.name).finish_non_exhaustive()
    }
}

impl GraphBuilder {
    /// Starts a branch; `name` is the `let` it is bound to (or `branch`).
    pub fn branch<P: ArmValue>(&mut self, name: &str) -> BranchBuilder<P> {
        BranchBuilder {
            name: name.to_owned(),
            index: self.nodes.len(),
            cases: Vec::new(),
            otherwise: None,
            _value: PhantomData,
        }
    }

    /// A builder for arm `case` of the branch that will be node `index`: its nodes and constants
    /// come after everything here.
    fn arm(&self, index: usize, case: usize) -> GraphBuilder {
        let mut outer = Outer { nodes: self.scope.outer.nodes.clone(), constants: self.scope.outer.constants.clone() };
        outer
            .nodes
            .extend(self.nodes.iter().map(|n| (n.id.clone(), n.outputs.iter().map(|p| p.name.clone()).collect())));
        // The branch node itself, which its arms cannot name.
        outer.nodes.push((format!("{}{index}", self.scope.prefix), Vec::new()));
        outer.constants.extend(self.constants.iter().cloned().zip(self.constant_json.iter().cloned()));
        let mut arm = GraphBuilder::new(self.workflow, self.input_names);
        arm.scope = Scope {
            base: outer.nodes.len(),
            const_base: outer.constants.len(),
            prefix: format!("{}{index}-{case}-", self.scope.prefix),
            outer: Arc::new(outer),
        };
        arm
    }
}

impl<P: ArmValue> BranchBuilder<P> {
    /// A case: `arm` builds what runs when `condition` holds (and no case before it did).
    pub fn case(&mut self, b: &mut GraphBuilder, condition: Cond, arm: impl FnOnce(&mut GraphBuilder) -> P) {
        let draft = self.run_arm(b, self.cases.len(), arm);
        self.cases.push((condition.0, draft));
    }

    /// The `else` arm.
    pub fn otherwise(&mut self, b: &mut GraphBuilder, arm: impl FnOnce(&mut GraphBuilder) -> P) {
        self.otherwise = Some(self.run_arm(b, self.cases.len(), arm));
    }

    /// An arm that fails the run with `message` (`fail!("...")`): the `else` arm.
    pub fn fail(&mut self, message: &str) {
        self.otherwise = Some(ArmDraft::Fail(message.to_owned()));
    }

    /// A case whose arm fails the run with `message`.
    pub fn case_fail(&mut self, condition: Cond, message: &str) {
        self.cases.push((condition.0, ArmDraft::Fail(message.to_owned())));
    }

    fn run_arm(&self, b: &mut GraphBuilder, case: usize, arm: impl FnOnce(&mut GraphBuilder) -> P) -> ArmDraft {
        let mut builder = b.arm(self.index, case);
        let value = arm(&mut builder);
        ArmDraft::Run { outputs: value.sources(), arm: Box::new(builder) }
    }

    /// The branch node, added to `b`; its value.
    pub fn finish(self, b: &mut GraphBuilder) -> P {
        if b.nodes.len() != self.index {
            b.errors.push(BuildError::Panicked { message: "a branch's condition added a node".into() });
            return P::of(None);
        }
        let id = format!("{}{}", b.scope.prefix, self.index);
        let mut captured = Captured::default();
        let mut plan_cases = Vec::new();
        let mut model_cases = Vec::new();
        for (draft, arm) in self.cases {
            let condition = draft.model(b);
            let plan = draft.plan(b, &mut captured);
            let (arm, planned) = captured.arm(b, arm);
            model_cases.push(Case { condition, arm });
            plan_cases.push((plan, planned));
        }
        let (otherwise, otherwise_plan) = match self.otherwise {
            Some(arm) => captured.arm(b, arm),
            None if P::types().is_empty() => (Arm::Nothing, Pending::Nothing),
            None => {
                b.errors.push(BuildError::Panicked { message: "a branch with a value has no `else`".into() });
                return P::of(None);
            }
        };
        let inputs = captured.sources.len();
        let finish = |p: Pending| match p {
            Pending::Run { nodes, outputs, constants, name } => {
                ArmPlan::Run(Arc::new(Plan::new(Arc::from(name.as_str()), inputs, nodes, outputs, constants)))
            }
            Pending::Fail(message) => ArmPlan::Fail(Arc::from(message.as_str())),
            Pending::Nothing => ArmPlan::Nothing,
        };
        let plan = BranchPlan {
            cases: plan_cases.into_iter().map(|(c, arm)| (c, finish(arm))).collect(),
            otherwise: finish(otherwise_plan),
        };
        let outputs: Vec<Port> = P::types()
            .into_iter()
            .enumerate()
            .map(|(i, ty)| Port { name: format!("o{i}"), ty, default: None })
            .collect();
        let node_inputs = captured
            .sources
            .iter()
            .map(|s| InputBinding { name: captured_name(b, *s), binding: b.binding(*s) })
            .collect();
        let mut after: Vec<usize> = captured.after.clone();
        after.sort_unstable();
        after.dedup();
        b.nodes.push(Node {
            id: id.clone(),
            kind: NodeKind::Branch,
            target: TargetRef { kind: TargetKind::Branch, name: self.name.clone() },
            inputs: node_inputs,
            outputs,
            map: None,
            overrides: flowmap_model::Settings::default(),
            after: after.iter().map(|n| b.node_id(*n)).collect(),
            branch: Some(Branch { cases: model_cases, otherwise }),
        });
        b.planned.push(PlanNode {
            id: id.into(),
            // `branch base` for one bound to `let base`; an unbound one is just `branch`.
            display: if self.name == "branch" { "branch".into() } else { format!("branch {}", self.name).into() },
            inputs: captured.sources,
            after,
            settings: NodeSettings::default(),
            work: Work::Branch(Box::new(plan)),
            json: None,
            pace: Arc::default(),
        });
        P::of(Some(b.scope.base + self.index))
    }
}

/// The name of a branch node's input that carries `source`: the workflow input's name, or the
/// node and output it comes from (`n0.o0`).
fn captured_name(b: &GraphBuilder, source: Source) -> String {
    match b.binding(source) {
        Binding::Input { name } => name,
        Binding::Node { node, output } => format!("{node}.{output}"),
        Binding::After { node } => format!("{node}.done"),
        Binding::Constant { .. } => "constant".to_owned(),
    }
}

/// An arm's plan, waiting for the branch node's final count of inputs.
enum Pending {
    Run { nodes: Vec<PlanNode>, outputs: Vec<Source>, constants: Vec<Value>, name: String },
    Fail(String),
    Nothing,
}

/// The values a branch reads from outside, in order: its node's inputs.
#[derive(Default)]
struct Captured {
    sources: Vec<Source>,
    /// Outside nodes that arms run after (`.after(..)`): the branch node runs after them.
    after: Vec<usize>,
}

impl Captured {
    /// The branch input that carries `source`.
    fn input(&mut self, source: Source) -> usize {
        match self.sources.iter().position(|s| *s == source) {
            Some(i) => i,
            None => {
                self.sources.push(source);
                self.sources.len() - 1
            }
        }
    }

    /// An arm's model and pending plan: its nodes' sources made its own (`base` and on), its
    /// inputs (anything from outside), or constants copied in.
    fn arm(&mut self, b: &mut GraphBuilder, draft: ArmDraft) -> (Arm, Pending) {
        let (mut arm, outputs) = match draft {
            ArmDraft::Run { arm, outputs } => (*arm, outputs),
            ArmDraft::Fail(message) => return (Arm::Fail { message: message.clone() }, Pending::Fail(message)),
        };
        b.errors.append(&mut arm.errors);
        for (task, spec) in std::mem::take(&mut arm.tables.tasks) {
            if let Err(e) = add_task(&mut b.tables, task, spec) {
                b.errors.push(e);
            }
        }
        b.tables.workflows.append(&mut arm.tables.workflows);
        let (base, const_base) = (arm.scope.base, arm.scope.const_base);
        let model_outputs = outputs.iter().map(|s| arm.binding(*s)).collect();
        let planned = std::mem::take(&mut arm.planned);
        let model_nodes = std::mem::take(&mut arm.nodes);
        let mut constants = arm.constants.clone();
        let mut own = |s: Source, this: &mut Captured| -> Source {
            match s {
                Source::Output { node, port } if node >= base => Source::Output { node: node - base, port },
                Source::Done(node) if node >= base => Source::Done(node - base),
                Source::Constant(c) if c >= const_base => Source::Constant(c - const_base),
                Source::Constant(c) => match arm.constant_at(c) {
                    Some((value, _)) => {
                        constants.push(value);
                        Source::Constant(constants.len() - 1)
                    }
                    None => Source::Unbuilt,
                },
                Source::Unbuilt => Source::Unbuilt,
                outside => Source::Input(this.input(outside)),
            }
        };
        let mut nodes = Vec::with_capacity(planned.len());
        let plan_outputs: Vec<Source> = outputs.iter().map(|s| own(*s, self)).collect();
        for mut node in planned {
            node.inputs = node.inputs.iter().map(|s| own(*s, self)).collect();
            let mut after = Vec::new();
            for n in node.after {
                match n.checked_sub(base) {
                    Some(local) => after.push(local),
                    None => self.after.push(n),
                }
            }
            node.after = after;
            nodes.push(node);
        }
        let model = Arm::Run { nodes: model_nodes, outputs: model_outputs };
        (model, Pending::Run { nodes, outputs: plan_outputs, constants, name: arm.workflow.to_owned() })
    }
}

impl Draft {
    fn model(&self, b: &GraphBuilder) -> Condition {
        match self {
            Draft::Compare { op, left, right, .. } => {
                Condition::Compare { op: *op, left: b.binding(*left), right: b.binding(*right) }
            }
            Draft::And(l, r) => Condition::And { left: Box::new(l.model(b)), right: Box::new(r.model(b)) },
            Draft::Or(l, r) => Condition::Or { left: Box::new(l.model(b)), right: Box::new(r.model(b)) },
            Draft::Present { value, some: true, .. } => Condition::IsSome { value: b.binding(*value) },
            Draft::Present { value, some: false, .. } => Condition::IsNone { value: b.binding(*value) },
        }
    }

    fn plan(&self, b: &GraphBuilder, captured: &mut Captured) -> CondPlan {
        let mut operand = |s: Source| match s {
            Source::Constant(c) => match b.constant_at(c) {
                Some((value, _)) => Operand::Constant(value),
                None => Operand::Input(usize::MAX),
            },
            other => Operand::Input(captured.input(other)),
        };
        match self {
            Draft::Compare { op, left, right, compare } => {
                CondPlan::Compare { op: *op, left: operand(*left), right: operand(*right), compare: *compare }
            }
            Draft::And(l, r) => CondPlan::And(Box::new(l.plan(b, captured)), Box::new(r.plan(b, captured))),
            Draft::Or(l, r) => CondPlan::Or(Box::new(l.plan(b, captured)), Box::new(r.plan(b, captured))),
            Draft::Present { value, some, present } => {
                CondPlan::Present { value: operand(*value), some: *some, present: *present }
            }
        }
    }
}
