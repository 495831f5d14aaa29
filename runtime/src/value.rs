//! Type-erased values between nodes, and where each comes from.

use std::any::Any;
use std::sync::Arc;

/// One value on one port. Readers share it; a node that is its last reader moves it out.
pub type Value = Arc<dyn Any + Send + Sync>;

/// Where a value of a workflow body comes from.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The n-th workflow input.
    Input(usize),
    /// Output `port` of node `node`.
    Output {
        /// Node index (body order).
        node: usize,
        /// Output index.
        port: usize,
    },
    /// The n-th constant of the graph.
    Constant(usize),
    /// The end of node `n`, a call with no outputs: the value `()`, there once it has run.
    Done(usize),
    /// The output of a call that could not be added to the graph; building reports why.
    Unbuilt,
}
