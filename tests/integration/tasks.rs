//! `#[task]`: direct calls, async tasks, `Result` tasks, options recorded in the spec.

use flowmap::prelude::*;
use flowmap::{Task, graph::TaskSpec};

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > 11
}

/// Doubles asynchronously.
#[task]
async fn double_async(x: i64) -> i64 {
    tokio::task::yield_now().await;
    x * 2
}

#[task]
fn parse_number(text: String) -> Result<i64, String> {
    text.trim().parse::<i64>().map_err(|e| format!("`{text}` is not a number: {e}"))
}

#[task]
fn read_len(path: String) -> std::io::Result<u64> {
    Ok(path.len() as u64)
}

#[task]
fn split(x: i64) -> (i64, String) {
    (x, x.to_string())
}

// `cache = true` needs the `cache` feature.
#[cfg(feature = "cache")]
#[task(
    name = "tuned",
    retries = 3,
    timeout = "1m 30s",
    cache = true,
    cache_version = "2",
    requests(cpu = "500m", mem = "2Gi", gpu = "1", ephemeral_storage = "1Gi"),
    limits(cpu = "1", mem = "4Gi")
)]
fn tuned(x: i64) -> i64 {
    x
}

#[test]
fn a_task_stays_a_plain_function() {
    assert!(detect_anomalies(12));
    assert!(!detect_anomalies(11));
    let f: fn(i64) -> bool = detect_anomalies;
    assert!(f(100));
    assert_eq!(parse_number(" 42 ".into()), Ok(42));
    assert!(parse_number("x".into()).unwrap_err().contains("not a number"));
    assert_eq!(read_len("abc".into()).unwrap(), 3);
    assert_eq!(split(7), (7, "7".to_owned()));
}

#[tokio::test]
async fn an_async_task_returns_its_future() {
    let fut = double_async(21);
    assert_eq!(fut.await, 42);
}

/// A task's spec, from its node struct (what a workflow body names).
fn spec(t: &impl Task) -> TaskSpec {
    t.spec()
}

#[cfg(feature = "cache")]
#[test]
fn options_are_recorded_typed() {
    use flowmap::graph::ResourceKey::{Cpu, EphemeralStorage, Gpu, Mem};
    let s = spec(&tuned {});
    assert_eq!(s.name(), "tuned");
    assert_eq!(s.function, "tuned");
    assert_eq!(s.module, "integration::tasks");
    let o = &s.settings;
    assert_eq!(o.retries, Some(3));
    assert_eq!(o.timeout, Some(std::time::Duration::from_secs(90)));
    assert_eq!(o.cache, Some(true));
    assert_eq!(o.cache_version.as_deref(), Some("2"));
    let requests = o.requests.as_ref().unwrap();
    assert_eq!(requests.get(Cpu).unwrap().millis(), 500);
    assert_eq!(requests.get(Mem).unwrap().units(), 2 << 30);
    assert_eq!(requests.get(Gpu).unwrap().units(), 1);
    assert_eq!(requests.get(EphemeralStorage).unwrap().text(), "1Gi");
    let limits = o.limits.as_ref().unwrap();
    assert_eq!((limits.get(Cpu).unwrap().text(), limits.get(Mem).unwrap().text()), ("1", "4Gi"));
    assert!(!s.is_async);

    // In the graph, settings are written as the user wrote them.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["timeout"], "1m 30s");
    assert_eq!(
        json["requests"],
        serde_json::json!({"cpu": "500m", "mem": "2Gi", "gpu": "1", "ephemeral_storage": "1Gi"})
    );
    assert_eq!(serde_json::from_value::<TaskSpec>(json).unwrap(), s, "a task spec reads back from its JSON");

    let d = spec(&detect_anomalies {});
    assert_eq!(d.name(), "detect_anomalies");
    assert!(d.settings.is_empty(), "a task without options has no settings: {:?}", d.settings);
    assert!(spec(&double_async {}).is_async);
}

#[test]
fn interfaces_are_typed() {
    let s = spec(&split {});
    let json = serde_json::to_value(&s.interface).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "inputs": [{"name": "x", "type": {"type": "integer", "bits": 64, "signed": true}}],
            "outputs": [
                {"name": "o0", "type": {"type": "integer", "bits": 64, "signed": true}},
                {"name": "o1", "type": {"type": "string"}}
            ]
        })
    );
    let p = spec(&parse_number {});
    assert_eq!(p.interface.outputs.len(), 1, "Result<T, E> has the single output T");
    assert_eq!(p.interface.outputs[0].ty, flowmap::types::TypeDesc::Integer { bits: 64, signed: true });
}

// ---- a task is a real function; its name collides with nothing ------------------------------------

#[task]
fn total(values: Vec<i64>) -> i64 {
    values.iter().sum()
}

/// Plain code in the same module, with a local named like the task.
fn report(values: &[i64]) -> String {
    let total: i64 = values.iter().sum();
    format!("total = {total}")
}

/// A workflow whose parameter is named like the task it calls.
#[workflow]
fn sum_all(total: Vec<i64>) -> i64 {
    total(total)
}

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[tokio::test]
async fn a_task_is_a_real_function_and_its_name_is_free_for_locals() {
    assert_eq!(report(&[1, 2, 3]), "total = 6");
    assert_eq!(total(vec![1, 2]), 3);
    let doubled: Vec<i64> = (0..4).map(double).collect();
    assert_eq!(doubled, [0, 2, 4, 6]);
    let total = sum_all(vec![4, 5]).await.unwrap();
    assert_eq!(total, 9);
    let sum_all = 1;
    assert_eq!(sum_all, 1, "a local named like a workflow");
}

// ---- whether a task can fail is read from its signature: `Result` spelled as such -------------

static IO_ATTEMPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ANYHOW_ATTEMPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `io::Result<T>`: an alias, but spelled `Result`, so `Err` fails the attempt.
#[task(retries = 2)]
fn parse_io(s: String) -> std::io::Result<i64> {
    IO_ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    s.parse::<i64>().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// `anyhow::Result<T>` likewise.
#[task(retries = 1)]
fn parse_anyhow(s: String) -> anyhow::Result<i64> {
    ANYHOW_ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(s.parse::<i64>()?)
}

/// An alias of a type that is not a `Result` is a plain output.
type Count = usize;

#[task]
fn count_chars(s: String) -> Count {
    s.chars().count()
}

#[workflow]
fn parse_io_one(s: String) -> i64 {
    parse_io(s)
}

#[workflow]
fn parse_anyhow_all(texts: Vec<String>) -> (Vec<Option<i64>>, Vec<usize>) {
    let parsed = map!(parse_anyhow, min_successes = 1)(s = texts);
    (parsed, map!(count_chars)(s = texts))
}

#[tokio::test]
async fn an_err_of_a_result_alias_spelled_result_fails_and_is_retried() {
    let err = parse_io_one("x".into()).await.unwrap_err();
    assert!(err.report().to_string().contains("failed after 3 attempts"), "{}", err.report());
    assert_eq!(IO_ATTEMPTS.load(std::sync::atomic::Ordering::Relaxed), 3);
    assert_eq!(parse_io_one("7".into()).await.unwrap(), 7);

    // A tolerant map counts the failure as a failure: `None`, after its retries.
    let (parsed, counts) = parse_anyhow_all(vec!["1".into(), "two".into(), "3".into()]).await.unwrap();
    assert_eq!(parsed, [Some(1), None, Some(3)]);
    assert_eq!(counts, [1, 3, 1]);
    assert_eq!(ANYHOW_ATTEMPTS.load(std::sync::atomic::Ordering::Relaxed), 4, "1 + 2 attempts + 1");
    let s = spec(&count_chars {});
    assert_eq!(s.interface.outputs[0].ty, flowmap::types::TypeDesc::Integer { bits: 64, signed: false });
}
