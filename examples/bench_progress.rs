//! What live progress costs a 1,000,000-element map, in one run against a baseline.
//!
//! `cargo run --release --example bench_progress -- [--reps R]`
//!
//! For each map (sync, async) it times `rt.run` with nobody watching, then with a
//! [`flowmap::progress::Progress`] watcher sampled ten times a second by another thread, as the CLI's bars
//! are; the two alternate, R times each (default 15), and the table gives medians and the
//! slowdown. The command line's own cost (reading 10^6 inputs as JSON, printing 10^6 outputs) is
//! not progress and is not counted here.

mod bench_support;

use bench_support::{median, reps};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use flowmap::Runtime;
use flowmap::prelude::*;
use flowmap::progress::Progress;

#[task]
fn detect(data_point: i64) -> bool {
    data_point > 11
}

#[task]
async fn detect_async(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn sync_map(data: Vec<i64>) -> Vec<bool> {
    map!(detect)(data_point = data)
}

#[workflow]
fn async_map(data: Vec<i64>) -> Vec<bool> {
    map!(detect_async)(data_point = data)
}

const N: i64 = 1_000_000;

/// Samples `progress` every 100 ms until `stop`, as the CLI does; returns how many samples saw a node.
fn sampler(progress: Progress, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut seen = 0;
        while !stop.load(Ordering::Relaxed) {
            seen += progress.snapshot().len();
            std::thread::sleep(Duration::from_millis(100));
        }
        seen + progress.snapshot().len()
    })
}

fn main() {
    let reps = reps(15);
    let rt = Runtime::builder().build().expect("a runtime");
    let data: Vec<i64> = (0..N).map(|i| i % 23).collect();
    println!("| map of 10^6 | no watcher (ms) | progress sampled at 10 Hz (ms) | slowdown |");
    println!("|---|---|---|---|");
    for (name, sync) in [("sync", true), ("async", false)] {
        let run = |data: Vec<i64>| {
            let started = Instant::now();
            let out = if sync { rt.run(&sync_map, (data,)).wait() } else { rt.run(&async_map, (data,)).wait() };
            let elapsed = started.elapsed().as_secs_f64() * 1e3;
            assert_eq!(out.expect("the map runs").len(), N as usize);
            elapsed
        };
        run(data.clone());
        let (mut plain, mut watched) = (Vec::new(), Vec::new());
        let mut samples = 0;
        for _ in 0..reps {
            plain.push(run(data.clone()));
            let stop = Arc::new(AtomicBool::new(false));
            let watcher = sampler(rt.progress(), stop.clone());
            watched.push(run(data.clone()));
            stop.store(true, Ordering::Relaxed);
            samples += watcher.join().expect("the sampler");
        }
        assert!(samples > 0, "the watcher saw the map");
        let (p, w) = (median(plain), median(watched));
        println!("| {name} | {p:.2} | {w:.2} | {:+.1}% |", (w / p - 1.0) * 100.0);
    }
}
