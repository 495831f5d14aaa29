use flowmap::prelude::*;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[task]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn helper(x: i64) -> i64 {
    x + 1
}

#[workflow]
fn list_for_scalar(xs: Vec<i64>) -> i64 {
    double(x = xs)
}

#[workflow]
fn tolerant_declared_strict(xs: Vec<i64>) -> Vec<i64> {
    map!(double, min_success_ratio = 0.5)(x = xs)
}

#[workflow]
fn missing_input(a: i64) -> i64 {
    add(a = a)
}

#[workflow]
fn unknown_input(a: i64) -> i64 {
    double(y = a)
}

#[workflow]
fn plain_function(a: i64) -> i64 {
    helper(a)
}

#[workflow]
fn wrong_output(a: i64) -> String {
    double(a)
}

fn main() {}
