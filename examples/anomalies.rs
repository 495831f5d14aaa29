//! The seed workflows of Flyte's map-task page as a command-line app.
//!
//! ```sh
//! cargo run --features cli --example anomalies -- list
//! cargo run --features cli --example anomalies -- run map_workflow --data '[1, 50]'
//! cargo run --features cli --example anomalies -- graph map_workflow_with_additional_params --format mermaid
//! cargo run --features cli --example anomalies -- run sweep --ids '[1, -2, 3]'   # a failing map: exit code 1
//! cargo run --features cli --example anomalies -- run sweep                      # twice: the second reads every sensor from the cache
//! cargo run --features cli --example anomalies -- cache stats
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

/// Reads one sensor, slowly as real I/O is; a negative id is a broken sensor. Cached: a rerun
/// reads only the sensors it has no reading of (`millis` only sets the delay, so it is not part
/// of the cache key).
#[task(retries = 1, cache = true, cache_version = "1", cache_ignore_inputs = ["millis"])]
async fn read_sensor(id: i64, millis: u64) -> Result<i64, String> {
    // With `-v`, this line shows under its node and element.
    tracing::info!(id, "reading sensor");
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
    if id < 0 {
        return Err(format!("sensor {id} does not answer"));
    }
    Ok(id * 10)
}

/// Reads every sensor, four at a time; one broken sensor fails the run.
#[workflow]
fn sweep(
    #[default(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])] ids: Vec<i64>,
    #[default(100)] millis: u64,
) -> Vec<i64> {
    map!(read_sensor, concurrency = 4, partial(millis = millis))(id = ids)
}

/// How many points were anomalies, and their share.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Summary {
    points: i64,
    anomalies: i64,
    share: Option<f64>,
}

/// Counts the anomalies among the flags.
#[task]
fn summarize(flags: Vec<bool>) -> Summary {
    let anomalies = flags.iter().filter(|f| **f).count();
    #[allow(clippy::cast_precision_loss)]
    let share = (!flags.is_empty()).then(|| anomalies as f64 / flags.len() as f64);
    Summary { points: flags.len() as i64, anomalies: anomalies as i64, share }
}

/// Detects the anomalies, then sums them up.
#[workflow]
fn anomaly_summary(#[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>) -> Summary {
    let flags = map!(detect_anomalies)(data_point = data);
    summarize(flags)
}

/// Counts the flags that are set, and all of them: two named outputs.
#[task(outputs(anomalies, points))]
fn count_flags(flags: Vec<bool>) -> (usize, usize) {
    (flags.iter().filter(|f| **f).count(), flags.len())
}

/// Detects the anomalies, then counts them; its outputs are named, so `run` prints them by name.
#[workflow(outputs(anomalies, points))]
fn anomaly_counts(#[default(vec![10, 12, 11, 10, 13, 12, 100, 11, 12, 10])] data: Vec<i64>) -> (usize, usize) {
    let flags = map!(detect_anomalies)(data_point = data);
    count_flags(flags)
}

fn main() -> std::process::ExitCode {
    flowmap::cli::App::new("anomalies")
        .workflow(&map_workflow)
        .workflow(&map_workflow_with_additional_params)
        .workflow(&sweep)
        .workflow(&anomaly_summary)
        .workflow(&anomaly_counts)
        .run()
}
