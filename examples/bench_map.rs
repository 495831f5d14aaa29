//! map! against hand-written baselines, in one run: ns per element and extra memory per element.
//!
//! `cargo run --release --example bench_map -- [--max N] [--reps R]`
//!
//! Each figure is the median of R runs (default 5; 3 at 10^7). The task is the seed page's
//! `data_point > 11`. Memory is the growth of the peak resident set (VmHWM, reset before each
//! measured run) beyond the input and output vectors, per element.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use flowmap::prelude::*;
use futures_util::stream::{self, StreamExt};
use rayon::prelude::*;

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
fn sync_map_ratio(data: Vec<i64>) -> Vec<Option<bool>> {
    map!(detect, min_success_ratio = 0.99)(data_point = data)
}

#[workflow]
fn async_map(data: Vec<i64>) -> Vec<bool> {
    map!(detect_async)(data_point = data)
}

#[workflow]
fn async_map_64(data: Vec<i64>) -> Vec<bool> {
    map!(detect_async, concurrency = 64)(data_point = data)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Reads a `/proc/self/status` field in bytes (Linux); `None` elsewhere.
fn status_bytes(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
}

/// Resets the peak resident set to the current one (Linux: `echo 5 > /proc/self/clear_refs`).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Bench {
    tokio: tokio::runtime::Runtime,
    rt: flowmap::Runtime,
    reps: usize,
}

impl Bench {
    /// Median ns per element of `f`, which gets a fresh copy of the input each run.
    fn time(&self, data: &[i64], mut f: impl FnMut(Vec<i64>) -> usize) -> f64 {
        let reps = if data.len() >= 10_000_000 { self.reps.min(3) } else { self.reps };
        let runs = (0..reps)
            .map(|_| {
                let input = data.to_vec();
                let start = Instant::now();
                let out = f(input);
                let elapsed = start.elapsed();
                assert_eq!(out, data.len());
                elapsed.as_nanos() as f64 / data.len() as f64
            })
            .collect();
        median(runs)
    }

    /// Extra peak bytes per element of one run of `f`, beyond input and `out_bytes` of output.
    fn memory(&self, data: &[i64], out_bytes: usize, mut f: impl FnMut(Vec<i64>) -> usize) -> Option<f64> {
        let input = data.to_vec();
        if !reset_peak() {
            return None;
        }
        let before = status_bytes("VmRSS:")?;
        f(input);
        let peak = status_bytes("VmHWM:")?;
        let extra = peak.saturating_sub(before) as f64 - (out_bytes * data.len()) as f64;
        Some(extra.max(0.0) / data.len() as f64)
    }

    fn plain_loop(&self, data: Vec<i64>) -> usize {
        let out: Vec<bool> = data.iter().map(|x| detect(black_box(*x))).collect();
        black_box(out).len()
    }

    fn rayon(&self, data: Vec<i64>) -> usize {
        let out: Vec<bool> = data.par_iter().map(|x| detect(black_box(*x))).collect();
        black_box(out).len()
    }

    fn spawn_semaphore(&self, data: Vec<i64>) -> usize {
        self.tokio.block_on(async {
            let permits = Arc::new(tokio::sync::Semaphore::new(64));
            let handles: Vec<_> = data
                .into_iter()
                .map(|x| {
                    let permits = permits.clone();
                    tokio::spawn(async move {
                        let _permit = permits.acquire().await;
                        detect(black_box(x))
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(h.await.unwrap_or(false));
            }
            black_box(out).len()
        })
    }

    fn buffered(&self, data: Vec<i64>) -> usize {
        self.tokio.block_on(async {
            let out: Vec<bool> =
                stream::iter(data).map(|x| async move { detect(black_box(x)) }).buffered(64).collect().await;
            black_box(out).len()
        })
    }

    fn flowmap<W>(&self, wf: &W, data: Vec<i64>) -> usize
    where
        W: flowmap::Workflow<Input = (Vec<i64>,)>,
        <W::Output as flowmap::OutputTuple>::Value: Len,
    {
        let out = self.tokio.block_on(self.rt.run(wf, (data,))).expect("the workflow runs");
        black_box(out).len()
    }
}

trait Len {
    fn len(&self) -> usize;
}
impl<T> Len for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

fn main() {
    let mut max = 10_000_000usize;
    let mut reps = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.replace('_', "").parse::<f64>().ok());
        match (a.as_str(), value) {
            ("--max", Some(v)) => max = v as usize,
            ("--reps", Some(v)) => reps = (v as usize).max(1),
            _ => {
                eprintln!("usage: bench_map [--max N] [--reps R]");
                std::process::exit(2);
            }
        }
    }
    let b = Bench {
        tokio: tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio"),
        rt: flowmap::Runtime::builder().build().expect("flowmap runtime"),
        reps,
    };
    println!(
        "machine: {} CPUs; median of {reps} runs (3 at 10^7); ns per element",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("{:>10}  {:<34} {:>10} {:>12} {:>14}", "elements", "variant", "ns/elem", "vs baseline", "extra B/elem");
    let sizes = [1_000usize, 10_000, 100_000, 1_000_000, 10_000_000];
    for &n in sizes.iter().filter(|&&n| n <= max) {
        let data: Vec<i64> = (0..n as i64).map(|i| i % 100).collect();
        let plain = b.time(&data, |d| b.plain_loop(d));
        let rayon = b.time(&data, |d| b.rayon(d));
        let spawn = b.time(&data, |d| b.spawn_semaphore(d));
        let buffered = b.time(&data, |d| b.buffered(d));
        let rows: [(&str, f64, Option<(&str, f64)>, Option<f64>); 8] = [
            ("plain loop", plain, None, None),
            ("rayon par_iter", rayon, None, None),
            ("tokio spawn + Semaphore(64)", spawn, None, None),
            ("futures buffered(64)", buffered, None, None),
            (
                "flowmap sync map",
                b.time(&data, |d| b.flowmap(&sync_map, d)),
                Some(("plain loop", plain)),
                b.memory(&data, 1, |d| b.flowmap(&sync_map, d)),
            ),
            (
                "flowmap sync map, ratio 0.99",
                b.time(&data, |d| b.flowmap(&sync_map_ratio, d)),
                Some(("plain loop", plain)),
                b.memory(&data, 1, |d| b.flowmap(&sync_map_ratio, d)),
            ),
            (
                "flowmap async map, unbounded",
                b.time(&data, |d| b.flowmap(&async_map, d)),
                Some(("buffered", buffered)),
                b.memory(&data, 1, |d| b.flowmap(&async_map, d)),
            ),
            (
                "flowmap async map, concurrency 64",
                b.time(&data, |d| b.flowmap(&async_map_64, d)),
                Some(("buffered", buffered)),
                b.memory(&data, 1, |d| b.flowmap(&async_map_64, d)),
            ),
        ];
        for (name, ns, baseline, mem) in rows {
            let vs = baseline.map_or(String::new(), |(which, base)| format!("{:.1}x {which}", ns / base));
            let mem = mem.map_or(String::new(), |m| format!("{m:.1}"));
            println!("{n:>10}  {name:<34} {ns:>10.1} {vs:>12} {mem:>14}");
        }
    }
}
