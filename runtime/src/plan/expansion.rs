//! What a dynamic's body built, in the model's terms: apart from the dynamic's code, so that the
//! kernels (which may give one) and `dynamic.rs` (which makes one) both point here.

use flowmap_model::graph::{Binding, Node, Tables};

/// The graph a dynamic's body built for some input values, in the model's terms: its nodes
/// (`n0`, `n1`, … in call order, each bound to earlier nodes or to constants, the body's real
/// values), the tasks and workflows they call, and where each output comes from. What a Flyte
/// pod writes as `futures.pb` (see [`crate::WorkflowHandle::expand_json`]).
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Expansion {
    /// The nodes, in call order.
    pub nodes: Vec<Node>,
    /// The tasks and workflows the nodes call.
    pub tables: Tables,
    /// Each output of the dynamic, in order.
    pub outputs: Vec<ExpandedOutput>,
}

/// Where one output of a dynamic's body comes from.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub enum ExpandedOutput {
    /// One value: a node's output, or a constant.
    One(Binding),
    /// A list, one element from each binding (a `Vec` of calls' promises).
    Each(Vec<Binding>),
}
