//! Load: many concurrent runs on one runtime, capacity pressure, and a large map with injected
//! faults. Prints a table.
//!
//! `cargo run --release --example load -- [--runs 1000] [--elements 1000] [--faults 1e7]`
//!
//! - concurrent runs: `--runs` runs at once of a workflow mapping an async task over
//!   `--elements` elements; each element waits 20 ms, so every element of every run is in
//!   flight at once. Reports the wall time, the most elements in flight, and the growth of the
//!   peak resident set per in-flight element.
//! - capacity pressure: 50 runs at once, each mapping a task that requests the whole capacity
//!   (2 CPUs) and one that requests a quarter of a CPU; all must finish (a deadlock would hang).
//! - faults: a tolerant map of `--faults` elements where 1% of the elements return an error
//!   and 0.1% panic: exact counts, extra peak memory per element beyond the input and output
//!   vectors, and what the panics printed on stderr (run in a child process: nothing).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flowmap::prelude::*;

mod bench_support;
use bench_support::{reset_peak, status_bytes};

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

#[task]
async fn wait_a_bit(x: i64) -> i64 {
    let now = IN_FLIGHT.fetch_add(1, Ordering::Relaxed) + 1;
    MOST_IN_FLIGHT.fetch_max(now, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(20)).await;
    IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    x + 1
}

#[workflow]
fn waiting_map(xs: Vec<i64>) -> Vec<i64> {
    map!(wait_a_bit)(x = xs)
}

#[task(requests(cpu = "2"))]
async fn whole_machine(x: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    x
}

#[task(requests(cpu = "250m"))]
async fn quarter_cpu(x: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    x
}

#[workflow]
fn pressure(xs: Vec<i64>) -> (Vec<i64>, Vec<i64>) {
    let big = map!(whole_machine)(x = xs);
    let small = map!(quarter_cpu)(x = xs);
    (big, small)
}

/// 1% of the elements fail with an error, 0.1% panic.
#[task]
fn faulty(x: i64) -> Result<i64, String> {
    if x % 100 == 7 {
        return Err(format!("element {x} is bad"));
    }
    if x % 1000 == 3 {
        panic!("element {x} panicked");
    }
    Ok(x)
}

#[workflow]
fn faults(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(faulty, min_success_ratio = 0.9)(x = xs)
}

fn concurrent_runs(runs: usize, elements: usize) {
    let rt = flowmap::Runtime::builder().build().expect("runtime");
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let inputs: Vec<Vec<i64>> = (0..runs).map(|r| (0..elements as i64).map(|i| i + r as i64).collect()).collect();
    // Warm up: threads started, graph built.
    tokio.block_on(rt.run(&waiting_map, (vec![1],)).into_future()).expect("warm-up run");
    MOST_IN_FLIGHT.store(0, Ordering::Relaxed);
    let reset = reset_peak();
    let before = status_bytes("VmRSS:");
    let started = Instant::now();
    let outs = tokio.block_on(async {
        let all = inputs.into_iter().map(|xs| rt.run(&waiting_map, (xs,)).into_future());
        futures_util::future::join_all(all).await
    });
    let took = started.elapsed();
    let peak = status_bytes("VmHWM:");
    let done = outs.iter().filter(|o| o.as_ref().is_ok_and(|v| v.len() == elements)).count();
    let most = MOST_IN_FLIGHT.load(Ordering::Relaxed);
    // The outputs (8 bytes per element) are still held: not counted as overhead.
    let per = match (reset, before, peak) {
        (true, Some(b), Some(p)) => {
            format!("{:.0}", (p.saturating_sub(b) as f64 - (runs * elements * 8) as f64).max(0.0) / most.max(1) as f64)
        }
        _ => "-".into(),
    };
    println!(
        "{:<44} {:>12} {:>14} {:>18}",
        format!("{runs} runs x {elements}-element async map"),
        format!("{done}/{runs} done"),
        format!("{:.2} s", took.as_secs_f64()),
        format!("{most} in flight, {per} B each")
    );
    assert_eq!(done, runs, "every run completes");
}

fn capacity_pressure() {
    let rt = flowmap::Runtime::builder().cpus(2).build().expect("runtime");
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    let started = Instant::now();
    let outs = tokio.block_on(async {
        let all = (0..50).map(|r| rt.run(&pressure, ((0..40).map(|i| i + r).collect(),)).into_future());
        tokio::time::timeout(Duration::from_secs(120), futures_util::future::join_all(all)).await
    });
    let done = outs.as_ref().map_or(0, |outs| outs.iter().filter(|o| o.is_ok()).count());
    println!(
        "{:<44} {:>12} {:>14} {:>18}",
        "50 runs: 2-CPU and 250m requests on 2 CPUs",
        format!("{done}/50 done"),
        format!("{:.2} s", started.elapsed().as_secs_f64()),
        if outs.is_ok() { "no deadlock" } else { "TIMED OUT" }
    );
    assert_eq!(done, 50, "every run completes");
}

/// Runs the faults section here (in the child process): prints `n none panics ms extra`.
fn faults_here(n: usize) {
    let rt = flowmap::Runtime::builder().build().expect("runtime");
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    tokio.block_on(rt.run(&faults, (vec![1, 2],)).into_future()).expect("warm-up run");
    let xs: Vec<i64> = (0..n as i64).collect();
    let reset = reset_peak();
    let before = status_bytes("VmRSS:");
    let started = Instant::now();
    let out = tokio.block_on(rt.run(&faults, (xs,)).into_future()).expect("the tolerant map succeeds");
    let took = started.elapsed();
    let peak = status_bytes("VmHWM:");
    let none: Vec<usize> = out.iter().enumerate().filter(|(_, o)| o.is_none()).map(|(i, _)| i).collect();
    let expected: Vec<usize> = (0..n).filter(|i| i % 100 == 7 || i % 1000 == 3).collect();
    assert!(none == expected, "exactly the faulty elements are None");
    assert!(out.iter().enumerate().all(|(i, o)| o.is_none_or(|v| v == i as i64)));
    let extra = match (reset, before, peak) {
        // The input was moved into the run; the output is 16 bytes per element.
        (true, Some(b), Some(p)) => {
            format!("{:.1}", (p.saturating_sub(b) as f64 - (n * 16) as f64).max(0.0) / n as f64)
        }
        _ => "-".into(),
    };
    println!("{n} {} {:.0} {extra}", none.len(), took.as_secs_f64() * 1e3);
}

fn faults_in_child(n: usize) {
    let exe = std::env::current_exe().expect("own path");
    let out = std::process::Command::new(exe).args(["--faults-here", &n.to_string()]).output().expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the faults run failed: {stdout}{stderr}");
    let parts: Vec<&str> = stdout.split_whitespace().collect();
    let [n, none, ms, extra] = parts[..] else { panic!("unexpected child output: {stdout}") };
    println!(
        "{:<44} {:>12} {:>14} {:>18}",
        format!("tolerant map of {n}, 1% errors, 0.1% panics"),
        format!("{none} None"),
        format!("{:.2} s", ms.parse::<f64>().unwrap_or(0.0) / 1e3),
        format!("{extra} B/elem extra")
    );
    println!(
        "  stderr of that run: {} bytes{}",
        stderr.len(),
        if stderr.is_empty() { " (panics print nothing)" } else { "" }
    );
    assert!(stderr.is_empty(), "panics printed: {stderr}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, n] = args.as_slice()
        && flag == "--faults-here"
    {
        faults_here(n.parse().expect("a number of elements"));
        return;
    }
    let (mut runs, mut elements, mut fault_elements) = (1000usize, 1000usize, 10_000_000usize);
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.replace('_', "").parse::<f64>().ok()).map(|v| v as usize);
        match (pair[0].as_str(), value) {
            ("--runs", Some(v)) => runs = v.max(1),
            ("--elements", Some(v)) => elements = v,
            ("--faults", Some(v)) => fault_elements = v,
            _ => {
                eprintln!("usage: load [--runs N] [--elements N] [--faults N]");
                std::process::exit(2);
            }
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!("{cpus} CPUs\n");
    println!("{:<44} {:>12} {:>14} {:>18}", "load", "outcome", "wall time", "");
    concurrent_runs(runs, elements);
    capacity_pressure();
    faults_in_child(fault_elements);
}
