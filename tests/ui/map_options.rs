use flowmap::prelude::*;

#[task]
fn scale(x: i64, factor: i64) -> i64 {
    x * factor
}

#[workflow]
fn synonym(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, parallelism = 4, partial(factor = 2))(x = xs)
}

#[workflow]
fn node_setting_as_a_map_option(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, cache = false, partial(factor = 2))(x = xs)
}

#[workflow]
fn partial_among_the_inputs(xs: Vec<i64>) -> Vec<i64> {
    map!(scale)(x = xs, partial(factor = 2))
}

#[workflow]
fn typo(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(scale, min_succes = 2, partial(factor = 2))(x = xs)
}

#[workflow]
fn zero(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, concurrency = 0, partial(factor = 2))(x = xs)
}

#[workflow]
fn negative(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, concurrency = -2, partial(factor = 2))(x = xs)
}

#[workflow]
fn fractional(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, concurrency = 1.5, partial(factor = 2))(x = xs)
}

#[workflow]
fn ratio_above_one(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(scale, min_success_ratio = 1.5, partial(factor = 2))(x = xs)
}

#[workflow]
fn ratio_zero(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(scale, min_success_ratio = 0.0, partial(factor = 2))(x = xs)
}

#[workflow]
fn both(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(scale, min_success_ratio = 0.5, min_successes = 2, partial(factor = 2))(x = xs)
}

#[workflow]
fn no_successes(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(scale, min_successes = 0, partial(factor = 2))(x = xs)
}

#[workflow]
fn duplicate(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, concurrency = 2, concurrency = 3, partial(factor = 2))(x = xs)
}

#[workflow]
fn nothing_mapped(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, partial(x = 1, factor = 2))()
}

#[workflow]
fn no_list(xs: Vec<i64>) -> Vec<i64> {
    map!(scale)()
}

#[workflow]
fn mapped_and_partial(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, partial(x = 1, factor = 2))(x = xs)
}

#[workflow]
fn not_a_name(xs: Vec<i64>) -> Vec<i64> {
    map!(|x| x)(x = xs)
}

#[workflow]
fn scaled(x: i64) -> i64 {
    scale(x, 2)
}

#[workflow]
fn dynamic_of_a_task(xs: Vec<i64>) -> Vec<i64> {
    map!(scale, dynamic = true, partial(factor = 2))(x = xs)
}

#[workflow]
fn dynamic_with_concurrency(xs: Vec<i64>) -> Vec<i64> {
    map!(scaled, dynamic = true, concurrency = 4)(x = xs)
}

#[workflow]
fn dynamic_tolerant(xs: Vec<i64>) -> Vec<Option<i64>> {
    map!(scaled, dynamic = true, min_success_ratio = 0.5)(x = xs)
}

#[workflow]
fn dynamic_not_a_bool(xs: Vec<i64>) -> Vec<i64> {
    map!(scaled, dynamic = "yes")(x = xs)
}

fn main() {}
