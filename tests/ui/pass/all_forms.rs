//! Every accepted form of the surface compiles.
use flowmap::prelude::*;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[task]
fn unit() {}

#[task(name = "n", retries = 2, timeout = "30s", cache = true, cache_version = "1", requests(cpu = "1", mem = "2Gi", gpu = "1", ephemeral_storage = "1Gi"), limits(cpu = 2, mem = "4Gi"))]
fn options(x: i64) -> i64 {
    x
}

#[task]
async fn async_task(p: Point) -> Result<f64, String> {
    Ok(p.x + p.y)
}

#[task]
fn io_result(path: String) -> std::io::Result<u64> {
    Ok(path.len() as u64)
}

#[task(retries = 1)]
fn anyhow_result(x: i64) -> anyhow::Result<i64> {
    anyhow::ensure!(x >= 0, "{x} is negative");
    Ok(x)
}

/// An alias of a type that is not a `Result` is an output like any other.
type Count = u64;

#[task]
fn aliased_output(text: String) -> Count {
    text.len() as u64
}

#[task]
fn boxed_error(x: i64) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    Ok(x)
}

#[task]
fn pair(a: i64, b: String) -> (i64, String) {
    (a, b)
}

mod tasks {
    use flowmap::prelude::*;

    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    pub struct Config {
        pub scale: i64,
    }

    /// A task in another module, called by path.
    #[task]
    pub fn scaled(x: i64, config: Config) -> i64 {
        x * config.scale
    }
}

#[workflow]
fn inner(x: i64) -> i64 {
    let y = tasks::scaled(x, tasks::Config { scale: 2 });
    options(y)
}

#[workflow]
fn no_inputs() -> i64 {
    options(1)
}

#[workflow]
fn no_outputs(x: i64) {
    unit();
    options(x);
}

#[workflow]
fn calls_workflows_without_inputs() -> i64 {
    let a = no_inputs();
    no_outputs(a);
    a
}

#[workflow]
fn all_forms(#[default(vec![1, 2])] xs: Vec<i64>, p: Point) -> (Vec<i64>, Vec<Option<i64>>, f64, String) {
    unit();
    let (a, b) = pair(1, String::from("s"));
    let c = pair(a = a, b = b);
    let _ = c.0;
    let sum = async_task(p);
    let ys = map!(inner, concurrency = 2)(x = xs).with_overrides(retries = 1);
    let zs = map!(options, min_successes = 1)(xs).with_overrides(requests(mem = "1Gi"), name = "z", timeout = "1m", cache = false, cache_version = "2", container_image = "img", interruptible = true, limits(cpu = "1"));
    let _ = inner(x = 3);
    (ys, zs, sum, c.1)
}

#[task]
fn bounds(xs: Vec<i64>) -> (usize, (i64, i64)) {
    (xs.len(), (0, 1))
}

#[task]
fn min_max(xs: Vec<i64>) -> (i64, i64) {
    (xs.iter().copied().min().unwrap_or(0), xs.iter().copied().max().unwrap_or(0))
}

/// Nested tuple outputs: destructured, bound whole, or a tuple output standing as one.
#[workflow]
fn nested_tuples(xs: Vec<i64>) -> ((usize, (i64, i64)), (usize, (i64, i64)), (i64, (i64, i64))) {
    let (n, (lo, hi)) = bounds(xs);
    let (_, range) = bounds(xs);
    ((n, (lo, hi)), (n, range), (lo, min_max(xs)))
}

fn main() {}
