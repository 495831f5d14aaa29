use flowmap::prelude::*;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[dynamic]
async fn is_async(xs: Vec<i64>) -> Vec<i64> {
    xs.iter().map(|x| double(*x)).collect()
}

#[dynamic]
fn fallible(xs: Vec<i64>) -> Result<Vec<i64>, String> {
    Ok(xs.iter().map(|x| double(*x)).collect())
}

#[dynamic(cache = true, cache_version = "1")]
fn cached(xs: Vec<i64>) -> Vec<i64> {
    xs.iter().map(|x| double(*x)).collect()
}

#[dynamic]
fn by_name(xs: Vec<i64>) -> Vec<i64> {
    xs.into_iter().map(double).collect()
}

#[dynamic]
fn wrong_input(names: Vec<String>) -> Vec<i64> {
    names.into_iter().map(|n| double(n)).collect()
}

#[dynamic]
fn wrong_output(x: i64) -> String {
    double(x)
}

fn helper(x: i64) -> i64 {
    x + 1
}

#[dynamic]
fn overrides_on_a_plain_function(x: i64) -> i64 {
    let y = helper(x).with_overrides(retries = 2);
    double(y)
}

#[dynamic]
fn after_on_a_plain_function(x: i64) -> i64 {
    let first = double(x);
    let y = helper(x).after(first);
    double(y)
}

#[dynamic]
fn bad_overrides(x: i64) -> i64 {
    double(x).with_overrides(retry = 2, timeout = "soon", requests(cpu = "4", memory = "1Gi"))
}

#[dynamic]
fn overrides_twice(x: i64) -> i64 {
    double(x).with_overrides(retries = 1).with_overrides(timeout = "1m")
}

#[dynamic]
fn overrides_on_a_promise(x: i64) -> i64 {
    let y = double(x);
    y.with_overrides(retries = 1)
}

#[dynamic]
fn after_on_a_promise(x: i64) -> i64 {
    let y = double(x);
    let z = double(x);
    y.after(z)
}

#[dynamic]
fn after_nothing(x: i64) -> i64 {
    double(x).after()
}

#[dynamic]
fn after_a_value(x: i64) -> i64 {
    double(x).after(x)
}

#[dynamic]
fn map_after_a_value(xs: Vec<i64>) -> Vec<i64> {
    map!(double)(x = xs.clone()).with_overrides(retries = 1).after(xs)
}

#[dynamic]
fn node_setting_as_a_map_option(xs: Vec<i64>) -> Vec<i64> {
    map!(double, retries = 1)(x = xs)
}

fn main() {}
