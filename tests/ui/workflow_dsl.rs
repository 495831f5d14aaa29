use flowmap::prelude::*;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

fn helper(x: i64) -> i64 {
    x + 1
}

#[workflow]
fn branches(x: i64) -> i64 {
    if x > 3 { double(x) } else { double(1) }
}

#[workflow]
fn arithmetic(x: i64) -> i64 {
    let y = double(x);
    y + 1
}

#[workflow]
fn awaits(x: i64) -> i64 {
    double(x).await
}

#[workflow]
async fn async_workflow(x: i64) -> i64 {
    double(x)
}

#[workflow]
fn map_options(xs: Vec<i64>) -> Vec<i64> {
    map!(double, parallelism = 4)(x = xs)
}

#[workflow]
fn map_numbers(xs: Vec<i64>) -> Vec<Option<i64>> {
    let a = map!(double, concurrency = 0)(x = xs);
    let b = map!(double, min_success_ratio = 1.5)(x = xs);
    map!(double, min_success_ratio = 0.5, min_successes = 2)(x = xs)
}

#[workflow]
fn map_without_lists(xs: Vec<i64>) -> Vec<i64> {
    map!(double)()
}

#[workflow]
fn repeated(x: i64) -> i64 {
    double(x = x, x = x)
}

fn main() {
    let _ = helper(1);
}
