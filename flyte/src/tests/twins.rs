//! Rust twins of the Python types and tasks of `goldens/golden/workflows.py` that several tests
//! use.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use flowmap::prelude::*;

/// `Reading` of the Python goldens.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Reading {
    sensor: String,
    value: f64,
    at: SystemTime,
}

/// `Summary` of the Python goldens.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Summary {
    count: i64,
    mean: Option<f64>,
    by_sensor: BTreeMap<String, i64>,
}

#[task]
pub(super) fn summarize(readings: Vec<Reading>, window: Duration) -> Summary {
    let _ = window;
    let mut by_sensor = BTreeMap::new();
    for r in &readings {
        *by_sensor.entry(r.sensor.clone()).or_insert(0) += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let mean = (!readings.is_empty()).then(|| readings.iter().map(|r| r.value).sum::<f64>() / readings.len() as f64);
    Summary { count: i64::try_from(readings.len()).unwrap_or(i64::MAX), mean, by_sensor }
}
