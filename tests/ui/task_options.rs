use flowmap::prelude::*;

#[task(retry = 3)]
fn unknown_option(x: i64) -> i64 {
    x
}

#[task(timeout = "soon", retries = 2, retries = 3)]
fn bad_duration_and_duplicate(x: i64) -> i64 {
    x
}

#[task(requests(mem = "2Gx", gpu = 1.5, disk = "1Gi"))]
fn bad_quantities(x: i64) -> i64 {
    x
}

#[task(requests(mem = "8Gi"), limits(mem = "4Gi"))]
fn requests_above_limits(x: i64) -> i64 {
    x
}

fn main() {}
