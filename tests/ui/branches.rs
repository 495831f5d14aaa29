use flowmap::prelude::*;

#[derive(Clone, Debug, PartialEq, PartialOrd, serde::Serialize, serde::Deserialize)]
struct Point {
    x: i64,
    y: i64,
}

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[task]
fn name(x: i64) -> String {
    x.to_string()
}

#[task]
fn origin() -> Point {
    Point { x: 0, y: 0 }
}

#[workflow]
fn arms_of_two_types(x: i64) -> i64 {
    let y = if x > 3 { double(x) } else { name(x) };
    double(y)
}

#[workflow]
fn struct_compared(p: Point) -> i64 {
    let o = origin();
    if p == o { double(1) } else { double(2) }
}

#[workflow]
fn list_compared(xs: Vec<i64>, ys: Vec<i64>) -> i64 {
    if xs < ys { double(1) } else { double(2) }
}

#[workflow]
fn literal_of_another_type(x: i64) -> i64 {
    if x == "three" { double(1) } else { double(2) }
}

#[workflow]
fn arm_binds_a_name(x: i64) -> i64 {
    match x {
        0 => double(1),
        other => double(other),
    }
}

#[workflow]
fn arm_is_not_a_literal(x: i64) -> i64 {
    match x {
        Some(3) => double(1),
        _ => double(2),
    }
}

#[workflow]
fn match_without_a_rest(mode: String) -> i64 {
    match mode {
        "fast" => double(1),
        "slow" => double(2),
    }
}

#[workflow]
fn fail_without_a_literal(x: i64) -> i64 {
    if x > 3 { double(x) } else { fail!(format!("bad {}", 3)) }
}

#[workflow]
fn condition_is_a_call(x: i64) -> i64 {
    if double(x) > 3 { double(x) } else { double(1) }
}

#[workflow]
fn condition_computes(x: i64) -> i64 {
    if x + 1 > 3 { double(x) } else { double(1) }
}

#[workflow]
fn arm_after_the_rest(x: i64) -> i64 {
    match x {
        _ => double(1),
        3 => double(2),
    }
}

#[task]
fn fails_in_a_task(x: i64) -> i64 {
    if x < 0 {
        fail!("negative");
    }
    x
}

fn main() {}
