//! A task's own `tracing` spans carry its name: the function is the user's, untouched.
//!
//! The subscriber is the process's global one (a task runs on the runtime's threads), and the
//! other tests of this binary run beside this one: it records only the spans of this module.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flowmap::prelude::*;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the name of every span created by the code of this module.
struct SpanNames {
    names: Arc<Mutex<Vec<String>>>,
    next: AtomicU64,
}

impl Subscriber for SpanNames {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with(module_path!())
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.names.lock().unwrap().push(span.metadata().name().to_owned());
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[task]
#[tracing::instrument]
fn traced_task(x: i64) -> i64 {
    x + 1
}

#[workflow]
fn traced_workflow(xs: Vec<i64>) -> Vec<i64> {
    map!(traced_task)(x = xs)
}

#[test]
fn an_instrumented_task_s_span_is_named_after_the_task() {
    let names = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::set_global_default(SpanNames { names: names.clone(), next: AtomicU64::new(0) }).unwrap();
    let rt = flowmap::Runtime::builder().build().unwrap();
    assert_eq!(rt.run(&traced_workflow, (vec![1, 2],)).wait().unwrap(), [2, 3]);
    let names = names.lock().unwrap();
    assert_eq!(names.iter().filter(|n| *n == "traced_task").count(), 2, "{names:?}");
    assert!(names.iter().all(|n| !n.contains("__flowmap")), "{names:?}");
}
