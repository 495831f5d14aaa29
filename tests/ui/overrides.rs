use flowmap::prelude::*;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn unknown_key(x: i64) -> i64 {
    double(x).with_overrides(retry = 2)
}

#[workflow]
fn bad_values(x: i64) -> i64 {
    double(x).with_overrides(timeout = "soon", cache = "yes", container_image = 3)
}

#[workflow]
fn bad_resources(xs: Vec<i64>) -> Vec<i64> {
    map!(double)(x = xs).with_overrides(requests(cpu = "4", memory = "1Gi"), limits(cpu = "2", gpu = 0.5))
}

#[workflow]
fn not_after_a_call(x: i64) -> i64 {
    x.with_overrides(retries = 1)
}

fn main() {}
