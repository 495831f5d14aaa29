//! The durable cache: `cache = true` tasks run once per key, across runs and processes; maps
//! cache per element; a killed run resumes where its cache stopped.
//!
//! Every test has its own cache directory and its own tasks (the tests of this file run at once).
//! Child processes are this test binary run again with `FLOWMAP_CACHE_CHILD` set: see `child_process`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use flowmap::events::EventKind;
use flowmap::prelude::*;
use flowmap::{RunOptions, Runtime};

/// A fresh cache directory for one test.
/// A cache directory that is removed when the test ends.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("log"));
    }
}

fn dir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("flowmap-cache-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    TempDir(d)
}

fn rt(dir: &Path) -> Runtime {
    Runtime::builder().cpus(2).cache_dir(dir).build().unwrap()
}

// ---- calls counted per task ----

static SQUARES: AtomicUsize = AtomicUsize::new(0);

#[task(cache = true, cache_version = "1")]
fn square(x: i64) -> i64 {
    SQUARES.fetch_add(1, Ordering::SeqCst);
    x * x
}

#[workflow]
fn squares(xs: Vec<i64>) -> Vec<i64> {
    map!(square)(x = xs)
}

#[workflow]
fn squares_v2(xs: Vec<i64>) -> Vec<i64> {
    map!(square)(x = xs).with_overrides(cache_version = "2")
}

#[workflow]
fn squares_uncached(xs: Vec<i64>) -> Vec<i64> {
    map!(square)(x = xs).with_overrides(cache = false)
}

#[test]
fn a_cached_map_runs_each_element_once_then_only_what_changed() {
    let d = dir("square");
    let rt = rt(&d);
    let xs: Vec<i64> = (0..1000).collect();
    let expected: Vec<i64> = xs.iter().map(|x| x * x).collect();
    assert_eq!(rt.run(&squares, (xs.clone(),)).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 1000);
    // Same inputs: no calls, same outputs.
    assert_eq!(rt.run(&squares, (xs.clone(),)).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 0);
    // Three inputs changed: exactly three calls.
    let mut changed = xs.clone();
    for i in [3, 500, 999] {
        changed[i] = -changed[i] - 1;
    }
    let out = rt.run(&squares, (changed.clone(),)).wait().unwrap();
    assert_eq!(out, changed.iter().map(|x| x * x).collect::<Vec<_>>());
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 3);
    // Another cache_version (a node override): every element again, once.
    assert_eq!(rt.run(&squares_v2, (xs.clone(),)).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 1000);
    assert_eq!(rt.run(&squares_v2, (xs.clone(),)).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 0);
    // `cache = false` on the node: every element runs.
    assert_eq!(rt.run(&squares_uncached, (xs.clone(),)).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 1000);
    // A runtime with the cache off, and a run with it off.
    let off = Runtime::builder().cpus(2).cache_dir(&*d).cache(false).build().unwrap();
    assert_eq!(off.run(&squares, (xs.clone(),)).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 1000);
    assert_eq!(rt.run(&squares, (xs.clone(),)).cache(false).wait().unwrap(), expected);
    assert_eq!(SQUARES.swap(0, Ordering::SeqCst), 1000);
    // And another process, with the same cache directory, makes no call.
    let out = child("square", &d, &[]);
    assert!(out.contains("calls=0 "), "{out}");
    assert!(out.contains(&format!("sum={}", expected.iter().sum::<i64>())), "{out}");
}

// ---- async tasks, plain calls, events ----

static TITLES: AtomicUsize = AtomicUsize::new(0);

#[task(cache = true, cache_version = "1")]
async fn title(word: String) -> String {
    TITLES.fetch_add(1, Ordering::SeqCst);
    tokio::task::yield_now().await;
    word.to_uppercase()
}

#[workflow]
fn titles(words: Vec<String>, one: String) -> (Vec<String>, String) {
    let many = map!(title)(word = words);
    let single = title(word = one);
    (many, single)
}

#[tokio::test]
async fn async_tasks_and_plain_calls_are_cached_and_hits_are_events() {
    let d = dir("title");
    let rt = rt(&d);
    let words: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let first = rt.run(&titles, (words.clone(), "d".into())).await.unwrap();
    assert_eq!(TITLES.swap(0, Ordering::SeqCst), 4);
    // Each map element's cache hit is an event for a subscriber of every element.
    let mut events = rt.subscribe_elements(1024);
    let second = rt.run(&titles, (words.clone(), "d".into())).await.unwrap();
    assert_eq!(TITLES.swap(0, Ordering::SeqCst), 0);
    assert_eq!(first, second);
    assert_eq!(second, (vec!["A".to_owned(), "B".into(), "C".into()], "D".to_owned()));
    let mut cached = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EventKind::ElementCached { index } = e.kind {
            cached.push(index);
        }
        assert!(!matches!(e.kind, EventKind::ElementStarted { .. }), "nothing runs: {e:?}");
    }
    cached.sort();
    assert_eq!(cached, vec![None, Some(0), Some(1), Some(2)]);
    // A plain call that is new runs and is stored; the event says so.
    let mut events = rt.subscribe();
    rt.run(&titles, (vec![], "e".into())).await.unwrap();
    assert_eq!(TITLES.swap(0, Ordering::SeqCst), 1);
    let stored: usize = std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|e| match e.kind {
            EventKind::CacheStored { elements } => Some(elements),
            _ => None,
        })
        .sum();
    assert_eq!(stored, 1);
}

// ---- cache_ignore_inputs ----

static SCORES: AtomicUsize = AtomicUsize::new(0);

#[task(cache = true, cache_version = "1", cache_ignore_inputs = ["verbose"])]
fn score(x: i64, verbose: bool) -> i64 {
    SCORES.fetch_add(1, Ordering::SeqCst);
    let _ = verbose;
    x + 1
}

#[workflow]
fn scores(xs: Vec<i64>, verbose: bool) -> Vec<i64> {
    map!(score, partial(verbose = verbose))(x = xs)
}

#[test]
fn ignored_inputs_are_left_out_of_the_key() {
    let d = dir("score");
    let rt = rt(&d);
    assert_eq!(rt.run(&scores, (vec![1, 2, 3], false)).wait().unwrap(), vec![2, 3, 4]);
    assert_eq!(SCORES.swap(0, Ordering::SeqCst), 3);
    // `verbose` differs: the same key.
    assert_eq!(rt.run(&scores, (vec![1, 2, 3], true)).wait().unwrap(), vec![2, 3, 4]);
    assert_eq!(SCORES.swap(0, Ordering::SeqCst), 0);
    // `x` differs: a new key.
    assert_eq!(rt.run(&scores, (vec![1, 2, 4], true)).wait().unwrap(), vec![2, 3, 5]);
    assert_eq!(SCORES.swap(0, Ordering::SeqCst), 1);
}

// ---- cache_serialize ----

static SLOW_SERIAL: AtomicUsize = AtomicUsize::new(0);
static SLOW_PARALLEL: AtomicUsize = AtomicUsize::new(0);

#[task(cache = true, cache_version = "1", cache_serialize = true)]
async fn slow_serial(x: i64) -> i64 {
    SLOW_SERIAL.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    x * 10
}

#[task(cache = true, cache_version = "1")]
async fn slow_parallel(x: i64) -> i64 {
    SLOW_PARALLEL.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    x * 10
}

#[workflow]
fn one_serial(x: i64) -> i64 {
    slow_serial(x = x)
}

#[workflow]
fn one_parallel(x: i64) -> i64 {
    slow_parallel(x = x)
}

#[workflow]
fn many_serial(xs: Vec<i64>) -> Vec<i64> {
    map!(slow_serial)(x = xs)
}

#[tokio::test]
async fn cache_serialize_runs_identical_concurrent_calls_once() {
    let d = dir("serial");
    let rt = rt(&d);
    let runs = (0..8).map(|_| rt.run(&one_serial, (7,)).into_future());
    let outs = futures_util::future::join_all(runs).await;
    assert!(outs.into_iter().all(|o| o.unwrap() == 70));
    assert_eq!(SLOW_SERIAL.swap(0, Ordering::SeqCst), 1);
    // Without `cache_serialize`, the same eight runs all miss at once and all run.
    let runs = (0..8).map(|_| rt.run(&one_parallel, (7,)).into_future());
    let outs = futures_util::future::join_all(runs).await;
    assert!(outs.into_iter().all(|o| o.unwrap() == 70));
    assert_eq!(SLOW_PARALLEL.swap(0, Ordering::SeqCst), 8);
    // In a map, duplicate elements (and two maps at once) run once per distinct input.
    let xs = vec![1, 2, 1, 2, 1, 3];
    let (a, b) = tokio::join!(rt.run(&many_serial, (xs.clone(),)), rt.run(&many_serial, (xs.clone(),)));
    assert_eq!(a.unwrap(), vec![10, 20, 10, 20, 10, 30]);
    assert_eq!(b.unwrap(), vec![10, 20, 10, 20, 10, 30]);
    assert_eq!(SLOW_SERIAL.swap(0, Ordering::SeqCst), 3);
}

// ---- overwrite ----

static GENERATION: AtomicUsize = AtomicUsize::new(1);

#[task(cache = true, cache_version = "1")]
fn stamped(x: i64) -> String {
    format!("{x}@{}", GENERATION.load(Ordering::SeqCst))
}

#[workflow]
fn stamp(xs: Vec<i64>) -> Vec<String> {
    map!(stamped)(x = xs)
}

#[test]
fn overwrite_recomputes_and_replaces() {
    let d = dir("stamp");
    let rt = rt(&d);
    assert_eq!(rt.run(&stamp, (vec![1, 2],)).wait().unwrap(), ["1@1", "2@1"]);
    GENERATION.store(2, Ordering::SeqCst);
    assert_eq!(rt.run(&stamp, (vec![1, 2],)).wait().unwrap(), ["1@1", "2@1"], "cached");
    let fresh = rt.run(&stamp, (vec![1, 2],)).overwrite_cache(true).wait().unwrap();
    assert_eq!(fresh, ["1@2", "2@2"]);
    assert_eq!(rt.run(&stamp, (vec![1, 2],)).wait().unwrap(), ["1@2", "2@2"], "replaced");
    // A runtime that overwrites by default, and a run that says otherwise.
    GENERATION.store(3, Ordering::SeqCst);
    let over = Runtime::builder().cpus(1).cache_dir(&*d).overwrite_cache(true).build().unwrap();
    let kept = over.run(&stamp, (vec![1],)).options(RunOptions::new().overwrite_cache(false)).wait().unwrap();
    assert_eq!(kept, ["1@2"]);
    assert_eq!(over.run(&stamp, (vec![1],)).wait().unwrap(), ["1@3"]);
}

// ---- failures: tolerant maps store successes; a failed map keeps what succeeded ----

static FLAKY: AtomicUsize = AtomicUsize::new(0);
static BROKEN: AtomicI64 = AtomicI64::new(7);

#[task(cache = true, cache_version = "1")]
fn flaky(x: i64) -> Result<i64, String> {
    FLAKY.fetch_add(1, Ordering::SeqCst);
    if x == BROKEN.load(Ordering::SeqCst) || x % 5 == 4 { Err(format!("{x} fails")) } else { Ok(x) }
}

#[workflow]
fn tolerant(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(flaky, min_success_ratio = 0.1)(x = xs)
}

#[workflow]
fn strict(xs: Vec<i64>) -> Vec<i64> {
    map!(flaky)(x = xs)
}

#[test]
fn only_successes_are_stored_and_a_failed_map_resumes() {
    let d = dir("flaky");
    let rt = rt(&d);
    let xs: Vec<i64> = (0..20).collect();
    let out = rt.run(&tolerant, (xs.clone(),)).wait().unwrap();
    assert_eq!(out.iter().filter(|o| o.is_none()).count(), 5, "{out:?}");
    assert_eq!(FLAKY.swap(0, Ordering::SeqCst), 20);
    // The failures were not stored: they run again, and only they.
    assert_eq!(rt.run(&tolerant, (xs.clone(),)).wait().unwrap(), out);
    assert_eq!(FLAKY.swap(0, Ordering::SeqCst), 5);
    // A strict map over elements that mostly succeed: it fails, but keeps what succeeded.
    let ys: Vec<i64> = (100..140).filter(|x| x % 5 != 4).chain([7]).collect();
    assert!(rt.run(&strict, (ys.clone(),)).wait().is_err());
    let first = FLAKY.swap(0, Ordering::SeqCst);
    assert!(first >= 1, "{first}");
    // Fixed: only the element that failed (and any the failure stopped) runs.
    BROKEN.store(-1, Ordering::SeqCst);
    let out = rt.run(&strict, (ys.clone(),)).wait().unwrap();
    assert_eq!(out, ys);
    let stored_before = first - 1;
    assert_eq!(FLAKY.swap(0, Ordering::SeqCst), ys.len() - stored_before);
}

// ---- a corrupt store is an error, never a silent recomputation ----

static GUARDED: AtomicUsize = AtomicUsize::new(0);

#[task(cache = true, cache_version = "1")]
fn guarded(x: i64) -> i64 {
    GUARDED.fetch_add(1, Ordering::SeqCst);
    x
}

#[workflow]
fn guard_all(xs: Vec<i64>) -> Vec<i64> {
    map!(guarded)(x = xs)
}

#[test]
fn a_corrupt_store_fails_the_run_and_says_how_to_clear_it() {
    let d = dir("corrupt");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(flowmap::cache::FILE), "not a cache at all, but long enough to look like one").unwrap();
    let rt = rt(&d);
    let e = rt.run(&guard_all, (vec![1, 2],)).wait().unwrap_err();
    let report = e.report().to_string();
    assert!(report.contains("corrupt") && report.contains("cache clear"), "{report}");
    assert!(report.contains(&d.display().to_string()), "{report}");
    assert_eq!(GUARDED.load(Ordering::SeqCst), 0, "nothing ran");
    assert!(flowmap::cache::stats(&d).is_err());
    assert!(flowmap::cache::clear(&d).unwrap());
    assert_eq!(rt.run(&guard_all, (vec![1, 2],)).wait().unwrap(), vec![1, 2]);
    assert_eq!(entries(&d), 2);
}

// ---- crash and resume ----

/// Elements of the crash test.
const CRASH_N: i64 = 100_000;

/// Where a child records each execution (8 bytes each), so that executions are counted across
/// processes, killed ones included.
fn record_execution() {
    use std::io::Write;
    use std::sync::OnceLock;
    static LOG: OnceLock<Option<std::sync::Mutex<std::fs::File>>> = OnceLock::new();
    let log = LOG.get_or_init(|| {
        let path = std::env::var_os("FLOWMAP_CACHE_EXEC_LOG")?;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
        Some(std::sync::Mutex::new(file))
    });
    if let Some(log) = log {
        log.lock().unwrap().write_all(&[0; 8]).unwrap();
    }
}

#[task(cache = true, cache_version = "1")]
fn checked(x: i64) -> i64 {
    record_execution();
    // Some work, so that a run takes long enough to be killed half way.
    let mut h = x as u64;
    for _ in 0..2000 {
        h = h.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    }
    std::hint::black_box(h);
    x * 3
}

#[workflow]
fn checked_all(xs: Vec<i64>) -> Vec<i64> {
    map!(checked)(x = xs)
}

/// Starts this binary's `child_process` test in a new process with `role`.
fn spawn_child(role: &str, dir: &Path, env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "cache::child_process", "--nocapture", "--test-threads=1"])
        .env("FLOWMAP_CACHE_CHILD", role)
        .env("FLOWMAP_CACHE_DIR", dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Runs this binary's `child_process` test in a new process with `role`; returns its output.
fn child(role: &str, dir: &Path, env: &[(&str, &str)]) -> String {
    let out = spawn_child(role, dir, env).wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child {role} failed: {text}");
    text
}

/// The child's side: does nothing in a normal test run.
#[test]
fn child_process() {
    let Ok(role) = std::env::var("FLOWMAP_CACHE_CHILD") else { return };
    // The default directory: `FLOWMAP_CACHE_DIR`, set by the parent.
    let rt = Runtime::builder().cpus(2).build().unwrap();
    match role.as_str() {
        "square" => {
            let out = rt.run(&squares, ((0..1000).collect(),)).wait().unwrap();
            println!("calls={} sum={}", SQUARES.load(Ordering::SeqCst), out.iter().sum::<i64>());
        }
        "crash" => {
            let first: i64 = std::env::var("FLOWMAP_CACHE_FIRST").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
            let xs: Vec<i64> = (first..first + CRASH_N).collect();
            let out = rt.run(&checked_all, (xs.clone(),)).wait().unwrap();
            assert!(out.iter().zip(&xs).all(|(o, x)| *o == x * 3), "wrong outputs");
            println!("done");
        }
        other => panic!("unknown role {other}"),
    }
}

/// The entries of the store in `dir`.
fn entries(dir: &Path) -> u64 {
    flowmap::cache::stats(dir).unwrap().map_or(0, |s| s.entries)
}

fn executions(log: &Path) -> u64 {
    std::fs::metadata(log).map_or(0, |m| m.len() / 8)
}

/// Starts a crash child and kills it once it has executed `at` elements; returns how many it had.
fn kill_at(dir: &Path, log: &Path, first: i64, at: u64) -> u64 {
    let first = first.to_string();
    let log_path = log.to_str().unwrap();
    let mut c = spawn_child("crash", dir, &[("FLOWMAP_CACHE_EXEC_LOG", log_path), ("FLOWMAP_CACHE_FIRST", &first)]);
    let started = std::time::Instant::now();
    while executions(log) < at {
        assert!(c.try_wait().unwrap().is_none(), "the child ended before it was killed");
        assert!(started.elapsed() < Duration::from_secs(120), "the child made no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    c.kill().unwrap(); // SIGKILL
    c.wait().unwrap();
    executions(log)
}

#[test]
fn a_killed_run_resumes_where_its_cache_stopped() {
    let d = dir("crash");
    let log = d.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let before = kill_at(&d, &log, 0, CRASH_N as u64 / 2);
    assert!(before < CRASH_N as u64, "killed before the end: {before}");
    let stored = entries(&d);
    assert!(stored > 0 && stored <= before, "stored {stored} of {before} executed");
    // The second run executes only what the first did not store.
    child("crash", &d, &[("FLOWMAP_CACHE_EXEC_LOG", log.to_str().unwrap()), ("FLOWMAP_CACHE_FIRST", "0")]);
    let total = executions(&log);
    let again = total - before;
    eprintln!("killed after {before} executions with {stored} stored; the second run executed {again}; {total} in all");
    assert_eq!(again, CRASH_N as u64 - stored, "the second run executed exactly the elements not stored");
    // What the kill lost: elements run but not yet stored, at most one batch per worker (2).
    assert!(before - stored <= 2 * 256, "lost {} executions", before - stored);
    assert!(total <= CRASH_N as u64 + 2 * 256, "{total}");
    assert_eq!(entries(&d), CRASH_N as u64);
}

#[test]
fn the_store_opens_cleanly_after_twenty_kills() {
    let d = dir("kills");
    let log = d.with_extension("log");
    let _ = std::fs::remove_file(&log);
    for round in 0..20 {
        // New elements each round, killed after a few thousand executions.
        let at = executions(&log) + 2000 + round * 100;
        kill_at(&d, &log, round as i64 * CRASH_N, at);
        let stats = flowmap::cache::stats(&d).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(stats.is_some_and(|s| s.entries > 0), "round {round}");
    }
    let stored = entries(&d);
    assert!(stored <= executions(&log));
    // And a run after the last kill opens it, and completes.
    child("crash", &d, &[("FLOWMAP_CACHE_EXEC_LOG", log.to_str().unwrap()), ("FLOWMAP_CACHE_FIRST", "0")]);
    assert!(entries(&d) >= stored + CRASH_N as u64 - 20_000);
}

// ---- `cache = true` from a node's overrides needs a version too ----

#[task]
fn plain_double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn cached_by_override(xs: Vec<i64>) -> Vec<i64> {
    map!(plain_double)(x = xs).with_overrides(cache = true)
}

#[workflow]
fn cached_by_override_with_version(xs: Vec<i64>) -> Vec<i64> {
    map!(plain_double)(x = xs).with_overrides(cache = true, cache_version = "1")
}

#[test]
fn a_node_cached_by_its_overrides_needs_a_version() {
    let d = dir("override");
    let rt = rt(&d);
    let e = rt.run(&cached_by_override, (vec![1],)).wait().unwrap_err();
    let report = e.report().to_string();
    assert!(report.contains("`cache = true` needs a `cache_version`") && report.contains("n0"), "{report}");
    assert_eq!(rt.run(&cached_by_override_with_version, (vec![1, 2],)).wait().unwrap(), vec![2, 4]);
    assert_eq!(entries(&d), 2);
}
