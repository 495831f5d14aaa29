//! map! against hand-written baselines, in one run, plus graph scaling.
//!
//! `cargo run --release --example bench_map -- [--max N] [--reps R] [--cache N]`
//!
//! - ns per element: median of R runs (default 5; 3 at 10^7) of `data_point > 11`, the seed
//!   page's task, over 10^3 to `--max` elements (default 10^7); the sync map also with a
//!   subscriber reading its events on a thread of its own (against the map with none).
//! - extra B/elem: growth of the peak resident set (`VmHWM`, reset first) beyond the input and
//!   output vectors, measured in a fresh child process per variant so freed pages of earlier
//!   runs do not hide anything.
//! - graphs of 1,024 nodes: time to build the graph, and run time per node.
//! - the fixed cost of a run: a 1,000-element sync map against its elements at the 10^6 rate.
//! - a subscriber's cost: a sync map at 10^6 elements (or `--max`; alone: `--subscriber N`) with
//!   and without a subscriber reading its events, in turns in one process.
//! - the cache: a map of a cached trivial task at 10^6 elements (or `--max`), first run into an
//!   empty store and fully cached rerun, against the same map uncached; the store's bytes per
//!   entry.
//! - compile time is measured by `benches/compile_time.sh`.

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use flowmap::prelude::*;

mod bench_support;
use bench_support::{cpu_seconds, median, reset_peak, status_bytes};
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

#[task(cache = true, cache_version = "1")]
fn detect_cached(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn cached_map(data: Vec<i64>) -> Vec<bool> {
    map!(detect_cached)(data_point = data)
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

#[task]
fn inc(x: i64) -> i64 {
    x + 1
}

#[task]
async fn inc_async(x: i64) -> i64 {
    x + 1
}

/// Writes `#[workflow] fn $name(x: i64) -> i64 { $stmt × 2^k; x }`, doubling the statements once
/// per `d`, so the workflow macro sees 1,024 plain statements.
macro_rules! repeated {
    ($name:ident $x:ident [$($stmt:tt)*] [d $($rest:tt)*]) => { repeated!($name $x [$($stmt)* $($stmt)*] [$($rest)*]); };
    ($name:ident $x:ident [$($stmt:tt)*] []) => {
        #[workflow]
        fn $name($x: i64) -> i64 {
            $($stmt)*
            $x
        }
    };
}

repeated!(chain_sync x [let x = inc(x);] [d d d d d d d d d d]);
repeated!(chain_async x [let x = inc_async(x);] [d d d d d d d d d d]);
repeated!(wide_async x [inc_async(x);] [d d d d d d d d d d]);

const NODES: usize = 1024;

fn input(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| i % 100).collect()
}

struct Bench {
    tokio: tokio::runtime::Runtime,
    rt: flowmap::Runtime,
    reps: usize,
}

/// Everything measured; each runs in a child process of its own (`--run KEY N REPS`).
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    Rayon,
    Spawn,
    Buffered,
    Sync,
    SyncSubscribed,
    SyncEveryElement,
    SyncRatio,
    Async,
    Async64,
}

impl Variant {
    const ALL: [Variant; 10] = [
        Variant::Plain,
        Variant::Rayon,
        Variant::Spawn,
        Variant::Buffered,
        Variant::Sync,
        Variant::SyncSubscribed,
        Variant::SyncEveryElement,
        Variant::SyncRatio,
        Variant::Async,
        Variant::Async64,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Plain => "plain loop",
            Variant::Rayon => "rayon par_iter",
            Variant::Spawn => "tokio spawn + Semaphore(64)",
            Variant::Buffered => "futures buffered(64)",
            Variant::Sync => "flowmap sync map",
            Variant::SyncSubscribed => "sync map, rt.subscribe() read",
            Variant::SyncEveryElement => "sync map, subscribe_elements(64Ki)",
            Variant::SyncRatio => "flowmap sync map, ratio 0.99",
            Variant::Async => "flowmap async map, unbounded",
            Variant::Async64 => "flowmap async map, concurrency 64",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Rayon => "rayon",
            Variant::Spawn => "spawn",
            Variant::Buffered => "buffered",
            Variant::Sync => "sync",
            Variant::SyncSubscribed => "sync_subscribed",
            Variant::SyncEveryElement => "sync_every_element",
            Variant::SyncRatio => "sync_ratio",
            Variant::Async => "async",
            Variant::Async64 => "async64",
        }
    }

    fn from_key(key: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.key() == key)
    }

    /// The baseline a flowmap figure is compared with.
    fn baseline(self) -> Option<Variant> {
        match self {
            Variant::Sync | Variant::SyncRatio => Some(Variant::Plain),
            // What a subscriber costs: against the same map with none.
            Variant::SyncSubscribed | Variant::SyncEveryElement => Some(Variant::Sync),
            Variant::Async | Variant::Async64 => Some(Variant::Buffered),
            _ => None,
        }
    }
}

impl Bench {
    /// Median ns per element of `f`, which gets a fresh copy of the input each run.
    fn time(&self, data: &[i64], mut f: impl FnMut(Vec<i64>) -> usize) -> f64 {
        let reps = if data.len() >= 10_000_000 { self.reps.min(3) } else { self.reps };
        let runs = (0..reps)
            .map(|_| {
                let copy = data.to_vec();
                let start = Instant::now();
                let out = f(copy);
                let elapsed = start.elapsed();
                assert_eq!(out, data.len());
                elapsed.as_nanos() as f64 / data.len() as f64
            })
            .collect();
        median(runs)
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

    fn run(&self, variant: Variant, data: Vec<i64>) -> usize {
        let rt = &self.rt;
        let flowmap = match variant {
            Variant::Plain => return self.plain_loop(data),
            Variant::Rayon => return self.rayon(data),
            Variant::Spawn => return self.spawn_semaphore(data),
            Variant::Buffered => return self.buffered(data),
            Variant::Sync | Variant::SyncSubscribed | Variant::SyncEveryElement => {
                self.tokio.block_on(rt.run(&sync_map, (data,)).into_future()).map(|v| black_box(v).len())
            }
            Variant::SyncRatio => {
                self.tokio.block_on(rt.run(&sync_map_ratio, (data,)).into_future()).map(|v| black_box(v).len())
            }
            Variant::Async => {
                self.tokio.block_on(rt.run(&async_map, (data,)).into_future()).map(|v| black_box(v).len())
            }
            Variant::Async64 => {
                self.tokio.block_on(rt.run(&async_map_64, (data,)).into_future()).map(|v| black_box(v).len())
            }
        };
        flowmap.expect("the workflow runs")
    }

    /// Runs a 1,024-node workflow `reps` times: median µs per node.
    fn per_node<W: flowmap::WorkflowFn<(i64,)>>(&self, wf: &W) -> f64 {
        let runs = (0..self.reps)
            .map(|_| {
                let start = Instant::now();
                let out = self.tokio.block_on(self.rt.run(wf, (0,)).into_future()).expect("the workflow runs");
                black_box(out);
                start.elapsed().as_secs_f64() * 1e6 / NODES as f64
            })
            .collect();
        median(runs)
    }
}

/// The cache's cost per element at `n` elements of a trivial sync task (`i64 → bool`): a first
/// run into an empty store and a fully cached rerun, against the same map uncached, all timed
/// here, in turns.
fn cache_costs(b: &Bench, n: usize) {
    let data = input(n);
    // Distinct inputs, so that every element has its own entry.
    let distinct: Vec<i64> = (0..n as i64).collect();
    let (mut uncached, mut first, mut rerun) = (Vec::new(), Vec::new(), Vec::new());
    let mut store = (0, 0);
    let per_element = |start: Instant| start.elapsed().as_nanos() as f64 / n as f64;
    for rep in 0..b.reps {
        let dir = std::env::temp_dir().join(format!("flowmap-bench-cache-{}-{rep}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = flowmap::Runtime::builder().cache_dir(&dir).build().expect("flowmap runtime");
        b.tokio.block_on(rt.run(&cached_map, (vec![-1],)).into_future()).expect("warm up");
        let start = Instant::now();
        black_box(b.run(Variant::Sync, data.clone()));
        uncached.push(per_element(start));
        let start = Instant::now();
        let out = b.tokio.block_on(rt.run(&cached_map, (distinct.clone(),)).into_future()).expect("the workflow runs");
        first.push(per_element(start));
        let start = Instant::now();
        let again =
            b.tokio.block_on(rt.run(&cached_map, (distinct.clone(),)).into_future()).expect("the workflow runs");
        rerun.push(per_element(start));
        assert_eq!(out, again);
        let stats = flowmap::cache::stats(&dir).expect("the store reads").expect("a store");
        assert_eq!(stats.entries, n as u64 + 1);
        store = (stats.entries, stats.bytes);
        drop(rt);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (uncached, first, rerun) = (median(uncached), median(first), median(rerun));
    println!(
        "
cache: a map of {n} elements of a cached trivial sync task (i64 -> bool), median of {}",
        b.reps
    );
    println!("  uncached                            {uncached:>9.1} ns/elem");
    println!("  cached, first run (empty store)     {first:>9.1} ns/elem   {:>+9.1} ns/elem", first - uncached);
    println!("  cached, rerun (every element cached){rerun:>9.1} ns/elem");
    println!(
        "  store: {:.1} bytes per entry ({} entries, {} bytes)",
        store.1 as f64 / store.0 as f64,
        store.0,
        store.1
    );
}

/// What a subscriber costs a sync map of `n` elements: runs with and without one that reads every
/// event on a thread of its own, in turns in one process (the table's fresh processes vary more
/// between them than a subscriber costs).
fn subscriber_cost(b: &Bench, n: usize) {
    let data = input(n);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let timed = |samples: &mut Vec<f64>| {
        let copy = data.clone();
        let start = Instant::now();
        black_box(b.run(Variant::Sync, copy));
        samples.push(start.elapsed().as_nanos() as f64 / n as f64);
    };
    for _ in 0..b.reps.max(9) {
        timed(&mut without);
        let mut events = b.rt.subscribe();
        let reader = std::thread::spawn(move || {
            let mut read = 0;
            while let Some(event) = events.blocking_recv() {
                read += 1;
                if matches!(event.kind, flowmap::events::EventKind::RunSucceeded) {
                    break;
                }
            }
            read
        });
        timed(&mut with);
        assert!(reader.join().expect("the reader") >= 4, "run and node events were read");
    }
    let (runs, without, with) = (with.len(), median(without), median(with));
    println!(
        "\nsubscriber: a sync map of {n} elements, in turns in one process, medians of {runs}: \
         {without:.2} ns/elem without, {with:.2} with a subscriber reading every event ({:+.0}%)",
        (with / without - 1.0) * 100.0
    );
}

/// In a child process: median ns per element of `reps` runs, then the extra peak bytes per
/// element of one more run (`-` where /proc is not there).
fn run_here(variant: Variant, n: usize, reps: usize) {
    let b = bench(reps);
    // A subscriber that reads every event as it comes, on a thread of its own, for the process's
    // life.
    let subscriber = match variant {
        Variant::SyncSubscribed => Some(b.rt.subscribe()),
        Variant::SyncEveryElement => Some(b.rt.subscribe_elements(1 << 16)),
        _ => None,
    };
    if let Some(mut events) = subscriber {
        std::thread::spawn(move || while events.blocking_recv().is_some() {});
    }
    b.run(variant, input(1_000)); // start threads and build the graph first
    let data = input(n);
    // Memory first, before any large run has left freed pages for the allocator to reuse.
    let copy = data.to_vec();
    let reset = reset_peak();
    let before = status_bytes("VmRSS:");
    let out = b.run(variant, copy);
    let peak = status_bytes("VmHWM:");
    let ns = b.time(&data, |d| b.run(variant, d));
    let mem = match (reset, before, peak) {
        // Output: one byte per element (`bool` and `Option<bool>` alike).
        (true, Some(before), Some(peak)) => {
            format!("{:.1}", (peak.saturating_sub(before) as f64 - out as f64).max(0.0) / n as f64)
        }
        _ => "-".to_owned(),
    };
    println!("{ns} {mem}");
}

/// Runs `variant` in a fresh process: (ns per element, extra bytes per element).
fn run_in_child(variant: Variant, n: usize, reps: usize) -> Option<(f64, String)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe).args(["--run", variant.key(), &n.to_string(), &reps.to_string()]).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.to_owned()))
}

fn bench(reps: usize) -> Bench {
    Bench {
        tokio: tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio"),
        rt: flowmap::Runtime::builder().build().expect("flowmap runtime"),
        reps,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, key, n, reps] = args.as_slice()
        && flag == "--run"
        && let (Some(v), Ok(n), Ok(reps)) = (Variant::from_key(key), n.parse(), reps.parse())
    {
        run_here(v, n, reps);
        return;
    }
    let mut max = 10_000_000usize;
    let mut reps = 5usize;
    let mut only_cache = None;
    let mut only_subscriber = None;
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.replace('_', "").parse::<f64>().ok());
        match (pair[0].as_str(), value) {
            ("--max", Some(v)) => max = v as usize,
            ("--reps", Some(v)) => reps = (v as usize).max(1),
            ("--cache", Some(v)) => only_cache = Some(v as usize),
            ("--subscriber", Some(v)) => only_subscriber = Some(v as usize),
            _ => {
                eprintln!("usage: bench_map [--max N] [--reps R] [--cache N: only the cache, at N elements]");
                std::process::exit(2);
            }
        }
    }
    if let Some(n) = only_cache {
        cache_costs(&bench(reps), n);
        return;
    }
    if let Some(n) = only_subscriber {
        subscriber_cost(&bench(reps), n);
        return;
    }
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!("{cpus} CPUs; median of {reps} runs (3 at 10^7); each variant in a fresh process\n");
    println!("{:>10}  {:<34} {:>9} {:>18} {:>13}", "elements", "variant", "ns/elem", "vs baseline", "extra B/elem");
    for n in [1_000usize, 10_000, 100_000, 1_000_000, 10_000_000].into_iter().filter(|n| *n <= max) {
        let mut done: Vec<(Variant, f64)> = Vec::new();
        for v in Variant::ALL {
            let Some((ns, mem)) = run_in_child(v, n, reps) else {
                println!("{n:>10}  {:<34} {:>9}", v.name(), "failed");
                continue;
            };
            let vs = v
                .baseline()
                .and_then(|base| done.iter().find(|(d, _)| *d == base))
                .map_or(String::new(), |(base, base_ns)| format!("{:.1}x {}", ns / base_ns, base.key()));
            let mem = if v.baseline().is_some() { mem } else { String::new() };
            println!("{n:>10}  {:<34} {ns:>9.1} {vs:>18} {mem:>13}", v.name());
            done.push((v, ns));
        }
    }

    let b = bench(reps);
    println!("\ngraphs of {NODES} nodes: build once, then run (median of {reps})");
    let start = Instant::now();
    let built = [chain_sync.graph().map(|g| g.nodes.len()), chain_async.graph().map(|g| g.nodes.len())];
    let build_ms = start.elapsed().as_secs_f64() * 1e3 / 2.0;
    let start = Instant::now();
    let wide_nodes = wide_async.graph().map(|g| g.nodes.len());
    let wide_ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(built.iter().chain([&wide_nodes]).all(|r| matches!(r, Ok(NODES))));
    println!("  chain (sync tasks)   build {build_ms:>6.2} ms   run {:>7.2} µs/node", b.per_node(&chain_sync));
    println!("  chain (async tasks)  build {build_ms:>6.2} ms   run {:>7.2} µs/node", b.per_node(&chain_async));
    println!("  wide (async tasks)   build {wide_ms:>6.2} ms   run {:>7.2} µs/node", b.per_node(&wide_async));

    // Fixed cost of a run: a 1,000-element sync map, against the same elements at the rate of a
    // 10^6-element map, both timed here.
    let rate = b.time(&input(1_000_000), |d| b.run(Variant::Sync, d));
    let small = input(1_000);
    let mut runs: Vec<f64> = (0..(reps * 100).max(100))
        .map(|_| {
            let copy = small.clone();
            let start = Instant::now();
            black_box(b.run(Variant::Sync, copy));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let whole = median(std::mem::take(&mut runs));
    let elements = rate * 1_000.0 / 1e3;
    println!(
        "\nfixed cost of a run: 1,000-element sync map {whole:.1} µs; its elements at the 10^6 rate {elements:.1} µs; \
         fixed {:.1} µs",
        whole - elements
    );
    cache_costs(&b, max.min(1_000_000));
    subscriber_cost(&b, max.min(1_000_000));
    // An idle runtime, after all those runs, uses no CPU: its threads wait, none spins.
    if let Some(before) = cpu_seconds() {
        std::thread::sleep(std::time::Duration::from_secs(2));
        let used = cpu_seconds().unwrap_or(before) - before;
        println!("idle runtime after its runs: {:.0} ms of CPU over 2 s (/proc/self/stat, 10 ms steps)", used * 1e3);
    }
    println!(
        "compile time: benches/compile_time.sh (200 tasks, 20 workflows, against the same code without attributes)"
    );
}
