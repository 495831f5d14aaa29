//! Workflows that decide at run time: `if` and `match` on promises (branch nodes, Flyte's
//! `conditional`) and a `#[dynamic]` whose body makes a node per value (Flyte's `@dynamic`).
//!
//! `cargo run --example control_flow`

use flowmap::prelude::*;

#[task]
fn big(x: i64) -> i64 {
    x * 100
}

#[task]
fn small(x: i64) -> i64 {
    x - 1
}

#[task]
fn fast(x: i64) -> i64 {
    x * 2
}

#[task]
fn slow(x: i64) -> i64 {
    std::thread::sleep(std::time::Duration::from_millis(50));
    x * 3
}

/// The base by size, then the speed by mode; an unknown mode fails the run.
#[workflow]
fn route(x: i64, y: i64, mode: String) -> i64 {
    let base = if x > 5 && y < 3 {
        big(x)
    } else if x == 0 {
        let s = small(x);
        big(s)
    } else {
        small(x)
    };
    match mode.as_str() {
        "fast" => fast(base),
        "slow" | "careful" => slow(base),
        _ => fail!("unknown mode"),
    }
}

#[task]
fn report(region: String, day: String) -> String {
    format!("report for {region} on {day}")
}

/// A node per region: how many is known only when the workflow runs.
#[dynamic]
fn per_region(regions: Vec<String>, day: String) -> Vec<String> {
    regions.iter().map(|r| report(r.clone(), day.clone())).collect()
}

#[workflow]
fn daily(regions: Vec<String>, day: String) -> Vec<String> {
    per_region(regions, day)
}

#[tokio::main]
async fn main() -> Result<(), flowmap::Error> {
    println!("route(7, 1, fast)   = {}", route(7, 1, "fast".into()).await?);
    println!("route(0, 9, slow)   = {}", route(0, 9, "slow".into()).await?);
    match route(3, 9, "sideways".into()).await {
        Ok(v) => println!("route(3, 9, sideways) = {v}"),
        Err(e) => println!("route(3, 9, sideways) failed: {}", e.report()),
    }
    for line in daily(vec!["eu".into(), "us".into(), "ap".into()], "monday".into()).await? {
        println!("{line}");
    }
    println!("\n{}", route.graph()?.to_dot());
    Ok(())
}
