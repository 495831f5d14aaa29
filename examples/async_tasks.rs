//! Async tasks, retries, timeouts and tolerated failures, with the errors flowmap reports.
//!
//! `cargo run --example async_tasks`

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use flowmap::prelude::*;

static CALLS: AtomicU32 = AtomicU32::new(0);

/// Pretends to fetch a page: every third call fails once, so a retry recovers it.
#[task(retries = 2, timeout = "2s")]
async fn fetch(url: String) -> Result<usize, String> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    if CALLS.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
        return Err(format!("{url}: connection reset"));
    }
    Ok(url.len())
}

/// Fails for good on some inputs.
#[task]
async fn parse(text: String) -> Result<i64, std::num::ParseIntError> {
    text.parse()
}

/// Never finishes in time.
#[task(timeout = "50ms")]
async fn stuck(x: i64) -> i64 {
    tokio::time::sleep(Duration::from_secs(60)).await;
    x
}

#[workflow]
fn crawl(urls: Vec<String>) -> Vec<usize> {
    map!(fetch, concurrency = 4)(url = urls)
}

#[workflow]
fn parse_most(texts: Vec<String>) -> Vec<Option<i64>> {
    map!(parse, min_success_ratio = 0.5)(text = texts)
}

#[workflow]
fn parse_all(texts: Vec<String>) -> Vec<i64> {
    map!(parse)(text = texts)
}

#[workflow]
fn too_slow(x: i64) -> i64 {
    stuck(x)
}

#[tokio::main]
async fn main() -> Result<(), flowmap::Error> {
    let urls: Vec<String> = (0..8).map(|i| format!("https://example.invalid/{i}")).collect();
    println!("crawl        -> {:?}", crawl(urls).await?);

    let texts: Vec<String> = ["1", "two", "3", "4"].map(String::from).into();
    println!("parse_most   -> {:?}", parse_most(texts.clone()).await?);

    match parse_all(texts).await {
        Ok(v) => println!("parse_all    -> {v:?}"),
        Err(e) => {
            println!("parse_all    -> error: {e}");
            if let Some(m) = e.map_failure() {
                println!("               kept outputs: {:?}", m.partial_outputs::<i64>(0));
            }
        }
    }

    match too_slow(1).await {
        Ok(v) => println!("too_slow     -> {v}"),
        Err(e) => println!("too_slow     -> error: {e}"),
    }
    Ok(())
}
