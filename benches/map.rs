//! `cargo bench --bench map`: flowmap's map against a plain loop, with divan.
//! The fuller table (all baselines, 10^3 to 10^7, memory) is `cargo run --release --example bench_map`.

use std::hint::black_box;

use flowmap::prelude::*;

#[task]
fn detect(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn sync_map(data: Vec<i64>) -> Vec<bool> {
    map!(detect)(data_point = data)
}

fn main() {
    divan::main();
}

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn input(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| i % 100).collect()
}

#[divan::bench(args = SIZES)]
fn plain_loop(bencher: divan::Bencher, n: usize) {
    bencher
        .with_inputs(|| input(n))
        .bench_local_values(|data| data.iter().map(|x| detect(black_box(*x))).collect::<Vec<bool>>());
}

#[divan::bench(args = SIZES)]
fn flowmap_sync_map(bencher: divan::Bencher, n: usize) {
    let tokio = tokio::runtime::Builder::new_current_thread().build().expect("tokio");
    let rt = flowmap::Runtime::builder().build().expect("runtime");
    bencher
        .with_inputs(|| input(n))
        .bench_local_values(|data| tokio.block_on(rt.run(&sync_map, (data,)).into_future()));
}
