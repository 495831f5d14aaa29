//! Generated code is hygienic: it compiles where the call site defines its own `Result`, `Ok`,
//! `Option`, `Some`, `None`, `Vec`, `String` and `Box`, and it triggers no warning under the
//! strictest lints (`cargo clippy --all-targets` in CI checks this file).

#![deny(warnings, clippy::all, clippy::pedantic, unused_qualifications)]
#![allow(dead_code, clippy::needless_pass_by_value)]

use flowmap::prelude::*;

// Shadow the prelude at the call site: generated code must not use these names unqualified.
struct Result;
struct Option;
struct Vec;
struct String;
struct Box;
#[allow(non_upper_case_globals)]
const Ok: () = ();
#[allow(non_upper_case_globals)]
const Some: () = ();
#[allow(non_upper_case_globals)]
const None: () = ();

type Strings = std::vec::Vec<std::string::String>;

/// A sync task returning a value.
#[task]
fn length(text: std::string::String) -> usize {
    text.len()
}

/// A fallible sync task with options.
#[task(retries = 1, timeout = "10s", requests(cpu = "1", mem = "1Gi"), limits(mem = "2Gi"))]
fn parse(text: std::string::String) -> core::result::Result<i64, std::string::String> {
    text.parse().map_err(|e: std::num::ParseIntError| e.to_string())
}

/// An async task with two outputs.
#[task]
async fn split(x: i64) -> (i64, bool) {
    tokio::task::yield_now().await;
    (x / 2, x % 2 == 0)
}

/// A task with no output.
#[task]
fn log(_x: i64) {}

/// A sub-workflow.
#[workflow]
fn halves(x: i64) -> (i64, bool) {
    let (half, even) = split(x);
    (half, even)
}

// Tasks named like the identifiers generated code uses: none of them collides.

/// Named like a formatter argument.
#[task]
fn f(x: i64) -> i64 {
    x + 1
}

/// Named like a context argument.
#[task]
fn cx(x: i64) -> i64 {
    x + 2
}

/// Named like an input argument.
#[task]
fn input(x: i64) -> i64 {
    x + 3
}

/// Named like a value binding.
#[task]
fn value(x: i64) -> i64 {
    x + 4
}

/// Named like an error binding.
#[task]
fn e(x: i64) -> core::result::Result<i64, std::string::String> {
    if x < 0 { Err(std::string::String::from("negative")) } else { core::result::Result::Ok(x) }
}

/// Named like the graph tables argument.
#[task]
fn tables(x: i64) -> i64 {
    x + 5
}

/// Parameters named like the tasks they feed, and like generated locals.
#[workflow]
fn every_generated_name(
    f: i64,
    value: i64,
    slot: std::string::String,
    xs: std::vec::Vec<i64>,
) -> (i64, i64, std::vec::Vec<i64>, usize) {
    let input = input(cx(f(f)));
    let tables = tables(e(value));
    let mapped = map!(value, concurrency = 1)(x = xs);
    (input, tables, mapped, length(text = slot))
}

/// A workflow with no inputs (its defaults are the empty tuple).
#[workflow]
fn constant_only() -> usize {
    length(std::string::String::from("four"))
}

/// Every form: positional and named inputs, constants, defaults, maps with options and
/// partial inputs, overrides, sub-workflows, tuple outputs.
#[workflow]
fn everything(
    #[default(vec!["1".to_owned(), "22".to_owned()])] texts: Strings,
    #[default(3)] extra: i64,
) -> (std::vec::Vec<usize>, std::vec::Vec<core::option::Option<i64>>, i64, bool) {
    let lengths = map!(length, concurrency = 2)(text = texts);
    let numbers = map!(parse, min_success_ratio = 0.5)(texts).with_overrides(retries = 2, requests(mem = "512Mi"));
    let (half, even) = halves(x = extra);
    log(half);
    let _ = map!(split, min_successes = 1)(x = vec![1, 2]);
    (lengths, numbers, half, even)
}

#[tokio::test]
async fn generated_code_is_hygienic_and_runs() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let (lengths, numbers, half, even) = rt.run_default(&everything).await.unwrap();
    assert_eq!(lengths, [1, 2]);
    assert_eq!(numbers, [core::option::Option::Some(1), core::option::Option::Some(22)]);
    assert_eq!((half, even), (1, false));
    assert_eq!(length("abc".into()), 3);
    assert_eq!(rt.run_default(&constant_only).await.unwrap(), 4);
    let out = rt.run(&every_generated_name, (1, 2, std::string::String::from("ab"), std::vec![10])).await.unwrap();
    assert_eq!(out, (7, 7, std::vec![14], 2));
    assert_eq!(split(4).await, (2, true));
    let _ = (Result, Option, Vec, String, Box, Ok, Some, None);
}
