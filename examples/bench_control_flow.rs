//! What control flow costs a run, against the same run without it, in turns in one process.
//!
//! `cargo run --release --example bench_control_flow -- [--reps R]`
//!
//! - **branch**: a workflow of one call (`inc(x)`) against one whose call is in an arm of an
//!   `if` (`if x > 0 { inc(x) } else { dec(x) }`), and of a three-arm `match` on a string. Each
//!   is run 2,000 times in a row, R times (default 15) in turns; the table gives the median µs
//!   per run and the difference, which is what choosing a branch adds.

mod bench_support;

use bench_support::{median, reps};
use std::hint::black_box;
use std::time::Instant;

use flowmap::prelude::*;
use flowmap::{Runtime, WorkflowFn};

#[task]
fn inc(x: i64) -> i64 {
    x + 1
}

#[task]
fn dec(x: i64) -> i64 {
    x - 1
}

#[workflow]
fn plain(x: i64, mode: String) -> i64 {
    inc(x)
}

#[workflow]
fn branched(x: i64, mode: String) -> i64 {
    if x > 0 { inc(x) } else { dec(x) }
}

#[workflow]
fn matched(x: i64, mode: String) -> i64 {
    match mode {
        "up" => inc(x),
        "down" => dec(x),
        _ => fail!("unknown mode"),
    }
}

const RUNS: usize = 2_000;

/// µs per run of `wf`, over `RUNS` runs.
fn per_run<W: WorkflowFn<(i64, String)>>(rt: &Runtime, tokio: &tokio::runtime::Runtime, wf: &W) -> f64 {
    let start = Instant::now();
    for i in 0..RUNS {
        let out = tokio.block_on(rt.run(wf, (i as i64 + 1, "up".to_owned())).into_future()).expect("the run");
        black_box(out);
    }
    start.elapsed().as_secs_f64() * 1e6 / RUNS as f64
}

fn main() {
    let reps = reps(15);
    let rt = Runtime::builder().build().expect("a runtime");
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    // Warm up: compile the graphs, fill the caches.
    for _ in 0..2 {
        per_run(&rt, &tokio, &plain);
        per_run(&rt, &tokio, &branched);
        per_run(&rt, &tokio, &matched);
    }
    let (mut p, mut b, mut m) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        p.push(per_run(&rt, &tokio, &plain));
        b.push(per_run(&rt, &tokio, &branched));
        m.push(per_run(&rt, &tokio, &matched));
    }
    let (p, b, m) = (median(p), median(b), median(m));
    println!("| run of {RUNS}, medians of {reps} | µs per run | added by the branch (µs) |");
    println!("|---|---|---|");
    println!("| one call | {p:.2} | |");
    println!("| `if` with the call in an arm | {b:.2} | {:+.2} |", b - p);
    println!("| `match` on a string, 3 arms | {m:.2} | {:+.2} |", m - p);
}
