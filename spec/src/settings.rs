//! The one table of task options and node overrides.
//!
//! Every option a user writes in `#[task(...)]` or `.with_overrides(...)` is one line of
//! [`for_each_setting!`]: its key, its typed value, where it may be written, an example and its
//! meaning. Everything else is derived from that line:
//!
//! - `flowmap-macros` reads and checks the value (by its type), lists the keys for "did you
//!   mean", and generates the typed value;
//! - `flowmap-model` generates the `Settings` struct of the graph (a task's settings, a node's
//!   overrides) with its JSON shape and its merge rule;
//! - [`SETTINGS`] gives the docs and the key lists.
//!
//! Adding an option is one line here, plus the code that honours it (the local executor, or a
//! remote backend).

/// Where a setting may be written, and what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettingInfo {
    /// The key users write.
    pub key: &'static str,
    /// Whether `#[task(...)]` takes it.
    pub task: bool,
    /// Whether `.with_overrides(...)` takes it.
    pub node: bool,
    /// An example value, as written in Rust.
    pub example: &'static str,
    /// What it means.
    pub doc: &'static str,
}

/// Calls `$callback! { key: Type, task: bool, node: bool, example: "...", doc: "..."; ... }` with
/// the whole table. Types are the typed values the graph keeps: `String`, `u32`, `bool`,
/// [`std::time::Duration`], [`crate::resources::Resources`].
#[macro_export]
macro_rules! for_each_setting {
    ($callback:ident) => {
        $callback! {
            name: ::std::string::String, task: true, node: true, example: "\"my-task\"",
                doc: "Display name: of the task (default: the function name), or of one node.";
            retries: u32, task: true, node: true, example: "3",
                doc: "How many times a failed attempt is tried again; per element for a map.";
            timeout: ::core::time::Duration, task: true, node: true, example: "\"30s\"",
                doc: "Per-attempt time limit, such as \"30s\", \"5m\" or \"1h 30m\"; a timed-out attempt fails.";
            cache: bool, task: true, node: true, example: "true",
                doc: "Whether outputs may be reused for the same inputs (recorded for remote backends).";
            cache_version: ::std::string::String, task: true, node: true, example: "\"1\"",
                doc: "Cache version: changing it invalidates cached outputs.";
            requests: $crate::resources::Resources, task: true, node: true, example: "(cpu = \"1\", mem = \"2Gi\")",
                doc: "Resources each attempt needs (cpu, mem, gpu, ephemeral_storage); admitted against the runtime's capacity.";
            limits: $crate::resources::Resources, task: true, node: true, example: "(mem = \"4Gi\")",
                doc: "Resource ceilings (same keys); carried for remote backends, not enforced locally.";
            container_image: ::std::string::String, task: false, node: true, example: "\"ghcr.io/org/image:tag\"",
                doc: "Container image of this node (Flyte only; ignored locally).";
            interruptible: bool, task: false, node: true, example: "true",
                doc: "Whether this node may run on interruptible machines (Flyte only; ignored locally).";
        }
    };
}

macro_rules! info_table {
    ($($key:ident : $ty:ty, task: $task:literal, node: $node:literal, example: $ex:literal, doc: $doc:literal;)*) => {
        /// Every setting, in table order.
        pub const SETTINGS: &[SettingInfo] = &[$(SettingInfo {
            key: stringify!($key),
            task: $task,
            node: $node,
            example: $ex,
            doc: $doc,
        }),*];
    };
}

for_each_setting!(info_table);

/// The keys `#[task(...)]` takes.
#[must_use]
pub fn task_keys() -> Vec<&'static str> {
    SETTINGS.iter().filter(|s| s.task).map(|s| s.key).collect()
}

/// The keys `.with_overrides(...)` takes.
#[must_use]
pub fn node_keys() -> Vec<&'static str> {
    SETTINGS.iter().filter(|s| s.node).map(|s| s.key).collect()
}

/// Common misspellings and synonyms of setting keys, and the key meant.
pub const ALIASES: &[(&str, &str)] =
    &[("retry", "retries"), ("resources", "requests"), ("request", "requests"), ("limit", "limits")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_table() {
        assert_eq!(task_keys(), ["name", "retries", "timeout", "cache", "cache_version", "requests", "limits"]);
        assert_eq!(node_keys().len(), SETTINGS.len());
        assert!(ALIASES.iter().all(|(_, k)| SETTINGS.iter().any(|s| s.key == *k)));
    }
}
