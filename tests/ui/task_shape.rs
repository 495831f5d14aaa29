use flowmap::prelude::*;

struct Model;

impl Model {
    #[task]
    fn predict(&self, x: i64) -> i64 {
        x
    }
}

#[task]
fn generic<T: Clone>(x: T) -> T {
    x
}

#[task]
fn pattern((a, b): (i64, i64)) -> i64 {
    a + b
}

#[task]
fn defaulted(#[default(3)] x: i64) -> i64 {
    x
}

#[task]
struct NotAFunction;

#[task]
fn borrows_slice(values: &[i64]) -> usize {
    values.len()
}

#[task]
fn borrows(text: &str) -> usize {
    text.len()
}

#[task]
fn opaque(x: i64) -> impl Clone {
    x
}

fn main() {}
