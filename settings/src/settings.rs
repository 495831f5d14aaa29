//! The one table of task options and node overrides.
//!
//! Every option a user writes in `#[task(...)]` or `.with_overrides(...)` is one line of
//! [`for_each_setting!`](crate::for_each_setting): its key, its typed value, where it may be written, an example and its
//! meaning. Everything else is derived from that line:
//!
//! - `flowmap-macros` reads and checks the value (by its type), lists the keys for "did you
//!   mean", and generates the typed value;
//! - `flowmap-model` generates the `Settings` struct of the graph (a task's settings, a node's
//!   overrides) with its JSON shape and its merge rule;
//! - [`SETTINGS`] gives the key lists, and `task_options_table!()` / `node_options_table!()` the
//!   option tables of the macros' docs.
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
    /// An example, as written in Rust (`retries = 3`).
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
            name: ::std::string::String, task: true, node: true, example: "name = \"my-task\"",
                doc: "Display name: of the task (default: the function name), or of one node.";
            retries: u32, task: true, node: true, example: "retries = 3",
                doc: "How many times a failed attempt is tried again; per element for a map.";
            timeout: ::core::time::Duration, task: true, node: true, example: "timeout = \"30s\"",
                doc: "Per-attempt time limit, such as \"30s\", \"5m\" or \"1h 30m\"; a timed-out attempt fails.";
            cache: bool, task: true, node: true, example: "cache = true",
                doc: "Whether outputs may be reused for the same inputs (recorded for remote backends).";
            cache_version: ::std::string::String, task: true, node: true, example: "cache_version = \"1\"",
                doc: "Cache version: changing it invalidates cached outputs.";
            cache_ignore_inputs: ::std::vec::Vec<::std::string::String>, task: true, node: false, example: "cache_ignore_inputs = [\"seed\"]",
                doc: "Inputs left out of the cache key (Flyte's `cache_ignore_input_vars`): calls that differ only in them share outputs.";
            cache_serialize: bool, task: true, node: false, example: "cache_serialize = true",
                doc: "Whether identical calls run once while the others wait for its cached outputs (Flyte's `cache_serializable`).";
            requests: $crate::resources::Resources, task: true, node: true, example: "requests(cpu = \"1\", mem = \"2Gi\")",
                doc: "Resources each attempt needs (cpu, mem, gpu, ephemeral_storage); admitted against the runtime's capacity.";
            limits: $crate::resources::Resources, task: true, node: true, example: "limits(mem = \"4Gi\")",
                doc: "Resource ceilings (same keys); carried for remote backends, not enforced locally.";
            container_image: ::std::string::String, task: false, node: true, example: "container_image = \"ghcr.io/org/image:tag\"",
                doc: "Container image of this node (Flyte only; ignored locally).";
            interruptible: bool, task: false, node: true, example: "interruptible = true",
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

/// One row of an options table in the docs, if the setting is listed there.
#[doc(hidden)]
#[macro_export]
macro_rules! __settings_doc_row {
    (true $key:ident $ex:literal $doc:literal) => {
        concat!("| `", stringify!($key), "` | `", $ex, "` | ", $doc, " |\n")
    };
    (false $key:ident $ex:literal $doc:literal) => {
        ""
    };
}

macro_rules! doc_tables {
    ($($key:ident : $ty:ty, task: $task:tt, node: $node:tt, example: $ex:literal, doc: $doc:literal;)*) => {
        /// The task options as a Markdown table, for the docs of `#[task]`.
        #[macro_export]
        macro_rules! task_options_table {
            () => {
                concat!(
                    "| option | example | meaning |\n|---|---|---|\n",
                    $($crate::__settings_doc_row!($task $key $ex $doc)),*
                )
            };
        }

        /// The override keys as a Markdown table, for the docs of `#[workflow]`.
        #[macro_export]
        macro_rules! node_options_table {
            () => {
                concat!(
                    "| key | example | meaning |\n|---|---|---|\n",
                    $($crate::__settings_doc_row!($node $key $ex $doc)),*
                )
            };
        }
    };
}

for_each_setting!(doc_tables);

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
pub const ALIASES: &[(&str, &str)] = &[
    ("retry", "retries"),
    ("resources", "requests"),
    ("request", "requests"),
    ("limit", "limits"),
    // flytekit's names.
    ("cache_ignore_input_vars", "cache_ignore_inputs"),
    ("cache_serializable", "cache_serialize"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_table() {
        assert_eq!(
            task_keys(),
            [
                "name",
                "retries",
                "timeout",
                "cache",
                "cache_version",
                "cache_ignore_inputs",
                "cache_serialize",
                "requests",
                "limits"
            ]
        );
        // Every setting but those of a task's cache identity may be overridden per node.
        let task_only: Vec<&str> = SETTINGS.iter().filter(|s| !s.node).map(|s| s.key).collect();
        assert_eq!(task_only, ["cache_ignore_inputs", "cache_serialize"]);
        assert!(ALIASES.iter().all(|(_, k)| SETTINGS.iter().any(|s| s.key == *k)));
    }
}
