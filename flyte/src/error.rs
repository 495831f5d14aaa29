//! What can go wrong compiling a package or running a task.

use crate::literal::LiteralError;

/// Why a workflow could not be compiled to a Flyte package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The workflow did not build.
    #[error("workflow could not be built")]
    Build(#[source] flowmap_runtime::Error),
    /// A constant or default does not fit its type in Flyte.
    #[error("{what} of `{workflow}` has no Flyte literal")]
    Literal {
        /// The workflow.
        workflow: String,
        /// `input `data``, `the constant of input `x` of node n1`.
        what: String,
        /// Why.
        #[source]
        source: LiteralError,
    },
    /// Two different tasks or workflows would get the same Flyte name.
    #[error("two different {kind}s are both named `{name}` in Flyte; give one of them another `name`")]
    NameClash {
        /// `task` or `workflow`.
        kind: &'static str,
        /// The Flyte name.
        name: String,
    },
    /// The graph refers to a task or workflow it does not describe.
    #[error("`{workflow}` refers to {kind} `{name}`, which its graph does not describe")]
    Missing {
        /// The workflow.
        workflow: String,
        /// `task` or `workflow`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// The workflow uses what Flyte 1.16 cannot express (or this backend does not compile).
    #[error("node {node} of `{workflow}` is {what}, which flowmap cannot compile to Flyte 1.16: {fix}")]
    Unsupported {
        /// The workflow.
        workflow: String,
        /// The node's id.
        node: String,
        /// What it is.
        what: String,
        /// Why, and what to write instead.
        fix: String,
    },
    /// Writing the package failed.
    #[error("could not write the package to {path}")]
    Write {
        /// Where.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
