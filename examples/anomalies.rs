//! The seed workflows of Flyte's map-task page as a command-line app.
//!
//! ```sh
//! cargo run --features cli --example anomalies -- list
//! cargo run --features cli --example anomalies -- run map_workflow --data '[1, 50]'
//! cargo run --features cli --example anomalies -- graph map_workflow_with_additional_params --format mermaid
//! ```

use flowmap::prelude::*;

const THRESHOLD: i64 = 11;

/// Whether a data point is above the threshold.
#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > THRESHOLD
}

/// Applies the anomaly detection to each data point.
#[workflow]
fn map_workflow(#[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data)
}

/// One element at a time; succeeds when at least 75% of the elements do.
#[workflow]
fn map_workflow_with_additional_params(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<Option<bool>> {
    map!(detect_anomalies, concurrency = 1, min_success_ratio = 0.75)(data_point = data)
}

fn main() -> std::process::ExitCode {
    flowmap::cli::App::new("anomalies").workflow(&map_workflow).workflow(&map_workflow_with_additional_params).run()
}
