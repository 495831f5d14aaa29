//! What the command-line app costs a 1,000,000-element map, in one process against baselines.
//!
//! `cargo run --release --features cli --example bench_cli -- [--reps R]`
//!
//! Under a terminal (for example `script -qec '...' /dev/null`) the CLI draws its bars, as a user
//! sees them. Four ways to run the same map of 10^6 inputs, alternating, R times each (default 10):
//! - `rt.run`: the inputs already in memory, the outputs not written;
//! - `no CLI`: what a program of one's own does with the same JSON: read the inputs file into the
//!   typed inputs with serde_json, start a runtime, run, write the outputs as pretty JSON;
//! - `CLI`: `App::run_from(["run", WF, "--inputs", FILE])` with progress on;
//! - `CLI -q`: the same without progress.
//!
//! Outputs go to a buffer in memory, so that a terminal's speed is not measured.

mod bench_support;

use bench_support::{median, reps};
use std::io::Write;
use std::time::Instant;

use flowmap::Runtime;
use flowmap::prelude::*;

#[task]
fn detect(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn detect_all(data: Vec<i64>) -> Vec<bool> {
    map!(detect)(data_point = data)
}

const N: i64 = 1_000_000;

#[derive(serde::Deserialize)]
struct Inputs {
    data: Vec<i64>,
}

fn timed(f: impl FnOnce() -> usize) -> f64 {
    let started = Instant::now();
    let written = f();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    assert!(written > 0, "nothing was written");
    ms
}

fn main() {
    let reps = reps(10);
    let data: Vec<i64> = (0..N).map(|i| i % 23).collect();
    let path = std::env::temp_dir().join(format!("flowmap-bench-cli-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&serde_json::json!({ "data": data })).expect("JSON"))
        .expect("write the inputs file");
    let file = path.to_str().expect("a UTF-8 path").to_owned();
    let app = flowmap::cli::App::new("bench_cli").workflow(&detect_all);
    let rt = Runtime::builder().build().expect("a runtime");

    let direct = || {
        timed(|| {
            let out = rt.run(&detect_all, (data.clone(),)).wait().expect("the map runs");
            out.len()
        })
    };
    let own = || {
        timed(|| {
            let text = std::fs::read_to_string(&file).expect("read");
            let inputs: Inputs = serde_json::from_str(&text).expect("inputs");
            // A program starts its own runtime, as the CLI does.
            let rt = Runtime::builder().build().expect("a runtime");
            let out = rt.run(&detect_all, (inputs.data,)).wait().expect("the map runs");
            let mut buf = Vec::new();
            serde_json::to_writer_pretty(&mut buf, &out).expect("write");
            writeln!(buf).expect("write");
            buf.len()
        })
    };
    let cli = |quiet: bool| {
        timed(|| {
            let mut args = vec!["bench_cli", "run", "detect_all", "--inputs", &file];
            if quiet {
                args.push("-q");
            }
            let mut buf = Vec::new();
            let code = app.run_from(args, &mut buf, &mut std::io::stderr());
            assert_eq!(code, 0, "the CLI run failed");
            buf.len()
        })
    };
    // Warm up each, and check that the CLI writes what a program of one's own writes.
    direct();
    own();
    cli(false);
    cli(true);
    let (mut a, mut b, mut c, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        a.push(direct());
        b.push(own());
        c.push(cli(false));
        d.push(cli(true));
    }
    let _ = std::fs::remove_file(&path);
    let (a, b, c, d) = (median(a), median(b), median(c), median(d));
    println!("| map of 10^6, medians of {reps} | ms | vs no CLI |");
    println!("|---|---|---|");
    println!("| rt.run, inputs in memory | {a:.2} | |");
    println!("| no CLI: JSON file -> rt.run -> JSON | {b:.2} | |");
    println!("| CLI, progress on | {c:.2} | {:+.1}% |", (c / b - 1.0) * 100.0);
    println!("| CLI -q | {d:.2} | {:+.1}% |", (d / b - 1.0) * 100.0);
}
