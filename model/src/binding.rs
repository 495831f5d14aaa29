//! Where a node's input (or a workflow's output, or a condition's operand) comes from.

use serde::{Deserialize, Serialize};

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Binding {
    /// A workflow input.
    Input {
        /// The input's name.
        name: String,
    },
    /// An output of an earlier node.
    Node {
        /// The node's id.
        node: String,
        /// The output's name.
        output: String,
    },
    /// A constant written in the workflow body.
    Constant {
        /// Its JSON value.
        value: serde_json::Value,
    },
    /// The end of an earlier node with no outputs: the value `()` (a unit input), there once that
    /// node has run.
    After {
        /// The node's id.
        node: String,
    },
}
