//! A command-line app for a program's workflows, like `pyflyte run`: list them with their
//! inputs, run one with inputs given per name as JSON, and picture its graph. The program's own
//! binary calls it:
//!
//! ```no_run
//! use flowmap::prelude::*;
//!
//! #[task]
//! fn detect_anomalies(data_point: i64) -> bool {
//!     data_point > 11
//! }
//!
//! #[workflow]
//! fn map_workflow(#[default(vec![10, 12, 11])] data: Vec<i64>) -> Vec<bool> {
//!     map!(detect_anomalies)(data_point = data)
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     flowmap::cli::App::new("anomalies").workflow(&map_workflow).run()
//! }
//! ```
//!
//! Then `anomalies list`, `anomalies run map_workflow --data '[1, 50]'` and
//! `anomalies graph map_workflow --format mermaid`. Exit codes: 0 when the command succeeded, 1
//! when a run failed, 2 for a usage error (an unknown workflow or input, JSON that does not fit
//! an input's type), 130 when Ctrl-C cancelled a run. On a terminal, `run` draws one progress
//! bar per map node and one line per plain node on stderr, sampled ten times a second.
//!
//! - `run WORKFLOW --json` prints one JSON document whatever the outcome: the outputs with the
//!   elements that tolerant maps lost (`failures`), or the
//!   error with the failed elements and the completed nodes, or `{"status": "cancelled"}`.
//! - `-v`, `-vv` or `RUST_LOG` log each node and element attempt on stderr, with the task's own
//!   `tracing` events nested under them.
//! - `graph WORKFLOW --format dot|json|mermaid|svg [-o FILE]`: SVG is laid out in-process.
//! - An input named like one of the app's own options (`inputs`, `cpus`, `memory`, `json`,
//!   `quiet`, `help`, `verbose`) is given as `--input-NAME`.

mod app;
mod bars;
mod cache;
mod capture;
#[cfg(unix)]
mod echo;
mod example;
#[cfg(feature = "flyte")]
mod flyte;
mod logs;
mod mermaid;
mod outcome;
mod svg;
#[cfg(test)]
mod tests_hostile;
mod typed;

pub use crate::app::App;
