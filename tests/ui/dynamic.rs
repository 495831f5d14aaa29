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

fn main() {}
