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

#[task]
fn total(xs: Vec<i64>) -> i64 {
    xs.iter().sum()
}

#[task]
fn describe(x: i64) -> String {
    x.to_string()
}

#[workflow]
fn too_many_positional(a: i64) -> i64 {
    double(a, a)
}

#[workflow]
fn given_twice(a: i64) -> i64 {
    add(a, a = a)
}

#[workflow]
fn tolerant_passed_as_strict(xs: Vec<i64>) -> i64 {
    total(map!(double, min_successes = 1)(x = xs))
}

#[workflow]
fn output_used_as_wrong_type(a: i64) -> i64 {
    let text = describe(a);
    double(text)
}

#[workflow]
fn scalar_where_list(a: i64) -> Vec<i64> {
    map!(double)(x = a)
}

#[workflow]
fn partial_unknown(xs: Vec<i64>) -> Vec<i64> {
    map!(add, partial(c = 1))(a = xs, b = xs)
}

#[workflow]
fn map_plain_function(xs: Vec<i64>) -> Vec<i64> {
    map!(helper)(x = xs)
}

#[workflow]
fn tolerant_bound_then_declared_strict(xs: Vec<i64>) -> (i64, Vec<i64>) {
    let ys = map!(double, concurrency = 2, min_successes = 1)(x = xs);
    (double(1), ys)
}

mod helpers {
    pub fn triple(x: i64) -> i64 {
        x * 3
    }
}

#[workflow]
fn plain_function_by_path(a: i64) -> i64 {
    let b = double(a);
    helpers::triple(b)
}

fn main() {}
