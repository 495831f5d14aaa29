//! The three workflows of Flyte's "Map tasks" page, in Rust, run with their defaults.
//!
//! `cargo run --example map_tasks`

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

/// The same map, with each element requesting 2Gi of memory.
#[workflow]
fn map_workflow_with_resource_overrides(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data).with_overrides(requests(mem = "2Gi"))
}

/// One element at a time; succeeds when at least 75% of the elements do.
#[workflow]
fn map_workflow_with_additional_params(
    #[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>,
) -> Vec<Option<bool>> {
    map!(detect_anomalies, concurrency = 1, min_success_ratio = 0.75)(data_point = data)
}

#[tokio::main]
async fn main() -> Result<(), flowmap::Error> {
    let rt = flowmap::Runtime::global()?;
    println!("runtime: {rt:?}\n");

    let out = rt.run_default(&map_workflow).await?;
    println!("map_workflow                         -> {out:?}");

    let out = rt.run_default(&map_workflow_with_resource_overrides).await?;
    println!("map_workflow_with_resource_overrides -> {out:?}");

    let out = rt.run_default(&map_workflow_with_additional_params).await?;
    println!("map_workflow_with_additional_params  -> {out:?}");

    println!("\nThe graph of map_workflow_with_additional_params, for Graphviz (`dot -Tsvg`):");
    print!("{}", map_workflow_with_additional_params.graph()?.to_dot());
    Ok(())
}
