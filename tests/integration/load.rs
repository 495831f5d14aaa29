//! Load and faults at CI size (the `load` example runs them at full size and prints figures):
//! many concurrent runs on one runtime all complete, capacity pressure never deadlocks, and a
//! large tolerant map with injected errors and panics ends with exact counts and prints nothing.

use std::process::Command;
use std::time::Duration;

use flowmap::Runtime;
use flowmap::prelude::*;

#[task]
async fn pause(x: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    x + 1
}

#[workflow]
fn paused(xs: Vec<i64>) -> Vec<i64> {
    map!(pause)(x = xs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_runs_all_complete() {
    let rt = Runtime::builder().cpus(2).build().unwrap();
    let runs = (0..200).map(|r| rt.run(&paused, ((0..200).map(|i| i + r).collect(),)).into_future());
    let outs = tokio::time::timeout(Duration::from_secs(120), futures_util::future::join_all(runs)).await.unwrap();
    for (r, out) in outs.into_iter().enumerate() {
        let expected: Vec<i64> = (0..200).map(|i| i + r as i64 + 1).collect();
        assert_eq!(out.unwrap(), expected);
    }
}

#[task(requests(cpu = "2"))]
fn whole_machine(x: i64) -> i64 {
    std::thread::sleep(Duration::from_millis(1));
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
    let small = map!(quarter_cpu, concurrency = 16)(x = xs);
    (big, small)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_of_the_whole_capacity_mixed_with_small_ones_never_deadlock() {
    let rt = Runtime::builder().cpus(2).build().unwrap();
    let runs = (0..20).map(|r| rt.run(&pressure, ((0..20).map(|i| i * r).collect(),)).into_future());
    let outs = tokio::time::timeout(Duration::from_secs(120), futures_util::future::join_all(runs))
        .await
        .expect("no deadlock: every run ends");
    assert!(outs.into_iter().all(|o| o.is_ok_and(|(a, b)| a == b)));
}

/// 1% of the elements return an error, 0.1% panic.
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

/// In a child process (so that its stderr is its own): the map, then exact counts.
#[test]
fn faults_child() {
    if std::env::var_os("FLOWMAP_FAULTS_CHILD").is_none() {
        return;
    }
    let n = 200_000;
    let rt = Runtime::builder().cpus(2).build().unwrap();
    let out = rt.run(&faults, ((0..n).collect(),)).wait().unwrap();
    let none: Vec<i64> = (0..n).filter(|i| out[*i as usize].is_none()).collect();
    let expected: Vec<i64> = (0..n).filter(|i| i % 100 == 7 || i % 1000 == 3).collect();
    assert_eq!(none, expected);
    assert!(out.iter().enumerate().all(|(i, o)| o.is_none_or(|v| v == i as i64)));
    println!("faults: {} of {n} None", none.len());
}

#[test]
fn a_large_map_with_errors_and_panics_has_exact_counts_and_prints_nothing() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "load::faults_child", "--nocapture", "--quiet"])
        .env("FLOWMAP_FAULTS_CHILD", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("faults: 2200 of 200000 None"), "{stdout}");
    // 200 panics, and not a line of them on stderr.
    assert!(!stderr.contains("panicked"), "panics were printed: {stderr}");
}
