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

#[task]
fn error_is_not_an_error(x: i64) -> Result<i64, i32> {
    if x < 0 { Err(-1) } else { Ok(x) }
}

fn main() {}
