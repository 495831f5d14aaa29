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

#[task(cache = true, cache_version = "1", cache_ignore_inputs = ["sed", "x"], cache_serialize = true)]
fn ignored_input_not_a_parameter(x: i64, seed: u64) -> i64 {
    x + seed as i64
}

#[task(cache = true)]
fn cached_without_a_version(x: i64) -> i64 {
    x
}

#[task(cache_serialize = true, cache_ignore_inputs = ["x"], cache_version = "2")]
fn cache_options_without_a_cache(x: i64) -> i64 {
    x
}

#[task(cache = true, cache_version = " ", cache_ignore_inputs = ["x", "x"])]
fn empty_version_and_an_input_ignored_twice(x: i64) -> i64 {
    x
}

#[task(cache = true, cache_version = 1)]
fn a_version_that_is_not_a_string(x: i64) -> i64 {
    x
}

#[task(cache = true, cache_version = "1", cache_ignore_inputs = "seed")]
fn ignored_inputs_not_a_list(x: i64, seed: u64) -> i64 {
    x + seed as i64
}

#[task(outputs(total))]
fn fewer_names_than_outputs(values: Vec<i64>) -> (i64, f64) {
    (values.iter().sum(), 0.0)
}

#[task(outputs(total, total))]
fn a_name_given_twice(values: Vec<i64>) -> (i64, f64) {
    (values.iter().sum(), 0.0)
}

#[task(outputs("total", mean + 1))]
fn names_that_are_not_identifiers(values: Vec<i64>) -> (i64, f64) {
    (values.iter().sum(), 0.0)
}

#[task(outputs(n, range))]
fn a_named_nested_tuple(values: Vec<i64>) -> (usize, (i64, i64)) {
    (values.len(), (0, 0))
}

#[task(outputs = "total")]
fn outputs_not_a_list(values: Vec<i64>) -> i64 {
    values.iter().sum()
}

fn main() {}
