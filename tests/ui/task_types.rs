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

fn main() {}
