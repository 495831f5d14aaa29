//! Composing workflows: tuple outputs, constants, `partial`, zipped lists, a sub-workflow, and a
//! workflow mapped over a list.
//!
//! `cargo run --example composition`

use flowmap::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Summary {
    count: usize,
    mean: f64,
}

/// Splits a reading into its integer and fractional parts (two outputs).
#[task]
fn split(reading: f64) -> (i64, f64) {
    (reading.trunc() as i64, reading.fract())
}

/// Scales a value by a factor shared by every element.
#[task]
fn scale(value: i64, factor: i64) -> i64 {
    value * factor
}

#[task]
fn label(value: i64, name: String) -> String {
    format!("{name}={value}")
}

#[task]
fn summarize(values: Vec<i64>) -> Summary {
    let count = values.len();
    let mean = if count == 0 { 0.0 } else { values.iter().sum::<i64>() as f64 / count as f64 };
    Summary { count, mean }
}

/// A small workflow, used below as a sub-workflow and as a map target.
#[workflow]
fn scaled_whole_part(reading: f64, factor: i64) -> i64 {
    let (whole, _fraction) = split(reading);
    scale(whole, factor)
}

#[workflow]
fn pipeline(
    #[default(vec![1.5, 2.25, 10.0])] readings: Vec<f64>,
    #[default(vec!["a".into(), "b".into(), "c".into()])] names: Vec<String>,
) -> (Summary, Vec<String>, i64) {
    // Map a workflow over a list; `factor` goes whole to every element.
    let scaled = map!(scaled_whole_part, partial(factor = 10))(reading = readings);
    // Two mapped lists are zipped element by element.
    let labels = map!(label)(value = scaled, name = names);
    // A sub-workflow node with a constant input.
    let single = scaled_whole_part(7.9, 3);
    (summarize(scaled), labels, single)
}

#[tokio::main]
async fn main() -> Result<(), flowmap::Error> {
    let (summary, labels, single) = flowmap::Runtime::global()?.run_default(&pipeline).await?;
    println!("summary: {summary:?}");
    println!("labels:  {labels:?}");
    println!("single:  {single}");

    let graph = pipeline.graph()?;
    println!("\n{} nodes:", graph.nodes.len());
    for node in &graph.nodes {
        println!("  {} {:?} {}", node.id, node.kind, node.target.name);
    }
    Ok(())
}
