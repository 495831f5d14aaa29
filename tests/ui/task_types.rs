use flowmap::prelude::*;

struct NotData {
    value: i64,
}

#[task]
fn takes_not_data(x: NotData) -> i64 {
    x.value
}

#[task]
fn returns_not_data(x: i64) -> NotData {
    NotData { value: x }
}

#[workflow]
fn uses_it(x: i64) -> i64 {
    let n = returns_not_data(x);
    takes_not_data(n)
}

fn main() {}
