//! flowmap's graph model: what a workflow is, independent of how it runs.
//!
//! - [`graph`]: the compiled workflow ([`graph::Graph`]): nodes, bindings, typed interfaces, map
//!   settings, branches (`if`/`match`: [`graph::Branch`], [`graph::Condition`]), overrides, and the tasks and sub-workflows it uses. Its JSON shape is stable and
//!   documented there; a graph written as JSON reads back.
//! - [`types`]: structured type descriptors of inputs and outputs.
//! - [`Settings`]: task options and node overrides, generated from the one table in
//!   [`flowmap_settings::settings`].
//! - [`graph::Graph::to_dot`]: Graphviz rendering.
//!
//! It depends on serde (and `serde_json` for constants and defaults) and `flowmap-settings` only:
//! the local runtime, the command-line app and the Flyte compiler all read it, and none of them
//! is needed to use it.

mod binding;
mod condition;
mod dot;
pub mod graph;
mod settings;
mod trace;
pub mod types;

pub use crate::settings::Settings;
pub use flowmap_settings::quantity::Quantity;
pub use flowmap_settings::ratio::Ratio;
pub use flowmap_settings::resources::{ResourceKey, Resources};
