//! What a Flyte map element pod costs flowmap before and after its task: the whole map's input
//! is read by every element, so decoding it and taking one element must stay cheap.
//!
//! `cargo run --release --features flyte --example bench_flyte -- [--reps R]`
//!
//! For a map over 100,000 integers, it times (medians of R runs, default 21):
//! - `execute` of one element (the last), end to end: read `inputs.pb` from a local file, decode
//!   the `LiteralMap`, take the element, run the task, write `outputs.pb`;
//! - decoding the whole input into JSON values, for comparison (what `execute` avoids).

mod bench_support;

use bench_support::{median, reps};
use std::time::Instant;

use flowmap::flyte::{ExecuteArgs, Executed, Registry, decode_literal_map, encode_literal_map, execute};
use flowmap::prelude::*;
use flowmap::types::TypeDesc;

#[task]
fn detect(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn detect_all(data: Vec<i64>) -> Vec<bool> {
    map!(detect)(data_point = data)
}

const N: usize = 100_000;

#[tokio::main]
async fn main() {
    let reps = reps(21);
    let data: Vec<i64> = (0..N as i64).map(|i| i % 23).collect();
    let ty = TypeDesc::of::<Vec<i64>>();
    let json = serde_json::to_value(&data).expect("JSON");
    let bytes = encode_literal_map([("data_point", &json, &ty)]).expect("a literal map");
    let dir = std::env::temp_dir().join(format!("flowmap-bench-flyte-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let inputs = dir.join("inputs.pb");
    std::fs::write(&inputs, &bytes).expect("inputs.pb");
    let registry = Registry::new().workflow(&detect_all).expect("a registry");
    let package = registry.package("bench").expect("a package");
    let task = package.task_names().find(|name| name.ends_with(".map")).map(str::to_owned).expect("the map template");
    let rt = flowmap::Runtime::builder().build().expect("a runtime");
    let args = ExecuteArgs {
        inputs: inputs.display().to_string(),
        output_prefix: dir.join("out").display().to_string(),
        task,
        map: true,
        element: Some(N - 1),
        ..ExecuteArgs::default()
    };
    let (mut element, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let started = Instant::now();
        assert_eq!(execute(&registry, &rt, &args).await.expect("outputs written"), Executed::Succeeded);
        element.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let all = decode_literal_map(&bytes, [("data_point", &ty)]).expect("decodes");
        whole.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(all["data_point"].as_array().map(Vec::len), Some(N));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("| map input of {N} integers ({} KiB), medians of {reps} | ms |", bytes.len() / 1024);
    println!("|---|---|");
    println!("| execute one element, end to end (read, decode, index, run, write) | {:.2} |", median(element));
    println!("| decode the whole input to JSON values, for comparison | {:.2} |", median(whole));
}
