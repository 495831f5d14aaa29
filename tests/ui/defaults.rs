use flowmap::prelude::*;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn wrong_default_type(#[default("three")] x: i64) -> i64 {
    double(x)
}

#[workflow]
fn partly_defaulted(#[default(1)] x: i64, y: i64) -> i64 {
    double(y)
}

async fn run() {
    let rt = flowmap::Runtime::builder().build().unwrap();
    let _ = rt.run_default(&partly_defaulted).await;
}

fn main() {
    let _ = run();
}
