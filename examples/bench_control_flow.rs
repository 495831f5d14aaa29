//! What control flow costs a run, against the same run without it, in turns in one process.
//!
//! `cargo run --release --example bench_control_flow -- [--reps R]`
//!
//! - **branch**: a workflow of one call (`inc(x)`) against one whose call is in an arm of an
//!   `if` (`if x > 0 { inc(x) } else { dec(x) }`), and of a three-arm `match` on a string. Each
//!   is run 2,000 times in a row, R times (default 15) in turns; the table gives the median µs
//!   per run and the difference, which is what choosing a branch adds.
//! - **dynamic**: a `#[dynamic]` whose body adds 1,000 task nodes (`(0..n).map(|i| inc(i))`):
//!   the time its body takes to add them (timed inside the body), and the whole run (body, plan,
//!   the 1,000 nodes), R times; medians.

mod bench_support;

use bench_support::{median, reps};
use std::hint::black_box;
use std::time::Instant;

use std::sync::atomic::{AtomicU64, Ordering};

use flowmap::prelude::*;
use flowmap::{Promise, Runtime, WorkflowFn};

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

/// Nanoseconds the last body of `thousand` took to add its nodes.
static BODY_NS: AtomicU64 = AtomicU64::new(0);

#[dynamic]
fn thousand(n: i64) -> Vec<i64> {
    let start = Instant::now();
    let out: Vec<Promise<i64>> = (0..n).map(|i| inc(i)).collect();
    BODY_NS.store(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

#[workflow]
fn dynamic_wf(n: i64) -> Vec<i64> {
    thousand(n)
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

    let (mut body, mut run) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let start = Instant::now();
        let out = tokio.block_on(rt.run(&dynamic_wf, (1000,)).into_future()).expect("the run");
        run.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(out.len(), 1000);
        body.push(BODY_NS.load(Ordering::Relaxed) as f64 / 1e6);
    }
    println!();
    println!("| dynamic of 1,000 task nodes, medians of {reps} | ms |");
    println!("|---|---|");
    println!("| body adding the 1,000 nodes | {:.3} |", median(body));
    println!("| whole run (body, plan, nodes) | {:.3} |", median(run));
}
