//! Tasks as users write them: they print, fail and panic. The command line keeps stdout for the
//! workflows' outputs (what tasks print goes to stderr while a run is in progress, above the
//! bars on a terminal) and reports every element that failed, even when its map tolerated it.
//!
//! ```sh
//! cargo run --features cli --example noisy_tasks -- run chatter            # 30 tasks print
//! cargo run --features cli --example noisy_tasks -- run chatter --json > outputs.json
//! cargo run --features cli --example noisy_tasks -- run checks             # two readings fail, tolerated
//! ```

use std::time::Duration;

use flowmap::prelude::*;

/// The ids `0..n`.
#[task]
fn count(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// Prints a line of `width` characters on stdout and one on stderr, taking `millis` to do it.
#[task]
fn chat(id: usize, width: usize, millis: u64) -> usize {
    println!("task {id} says {}", "x".repeat(width));
    std::thread::sleep(Duration::from_millis(millis));
    eprintln!("task {id} is done");
    id
}

/// How many tasks spoke.
#[task]
fn tally(ids: Vec<usize>) -> usize {
    ids.len()
}

/// `n` tasks print a line each on stdout and on stderr, four at a time.
#[workflow]
fn chatter(#[default(30)] n: usize, #[default(20)] width: usize, #[default(50)] millis: u64) -> usize {
    let ids = count(n);
    let spoke = map!(chat, concurrency = 4, partial(width = width, millis = millis))(id = ids);
    tally(spoke)
}

/// A reading, checked: a negative one is an error.
#[task(retries = 1)]
fn check(reading: i64) -> Result<i64, String> {
    if reading < 0 {
        return Err(format!("reading {reading} is below zero"));
    }
    Ok(reading)
}

/// Checks every reading; succeeds when half of them pass (the others are `null`).
#[workflow]
fn checks(#[default(vec![3, -1, 4, 1, -5, 9])] readings: Vec<i64>) -> Vec<Option<i64>> {
    map!(check, min_success_ratio = 0.5)(reading = readings)
}

fn main() -> std::process::ExitCode {
    flowmap::cli::App::new("noisy_tasks").workflow(&chatter).workflow(&checks).run()
}
