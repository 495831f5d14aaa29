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

#[task]
fn error_is_not_send(x: i64) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(x)
}

type Res<T> = std::result::Result<T, String>;

#[task(retries = 2)]
fn result_alias(s: String) -> Res<i64> {
    s.parse::<i64>().map_err(|e| e.to_string())
}

type Fallible<T> = anyhow::Result<T>;

#[task]
fn anyhow_result_alias(s: String) -> Fallible<i64> {
    Ok(s.parse::<i64>()?)
}

fn main() {}
