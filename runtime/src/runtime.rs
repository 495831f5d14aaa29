//! The embedded runtime: its capacity, its threads, and running workflows.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use flowmap_spec::quantity::Quantity;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::error::{Cause, Error};
use crate::events::{Emitter, Event, EventKind};
use crate::exec::capacity::{Capacity, fmt_bytes};
use crate::exec::run_graph;
use crate::target::{Defaults, Workflow};
use crate::value::{InputTuple, OutputTuple};

/// What a running graph shares: capacity, threads, the event channel, and its run id.
#[doc(hidden)]
#[derive(Clone)]
pub struct RunContext {
    shared: Arc<Shared>,
    run: u64,
}

struct Shared {
    capacity: Capacity,
    blocking_threads: usize,
    max_in_flight: usize,
    handle: tokio::runtime::Handle,
    pool: rayon::ThreadPool,
    events: broadcast::Sender<Event>,
    next_run: AtomicU64,
}

impl fmt::Debug for RunContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunContext")
            .field("run", &self.run)
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

impl RunContext {
    pub(crate) fn capacity(&self) -> &Capacity {
        &self.shared.capacity
    }

    pub(crate) fn blocking_threads(&self) -> usize {
        self.shared.blocking_threads
    }

    pub(crate) fn handle(&self) -> &tokio::runtime::Handle {
        &self.shared.handle
    }

    /// The threads sync map elements run on (as many as the runtime's CPUs).
    pub(crate) fn pool(&self) -> &rayon::ThreadPool {
        &self.shared.pool
    }

    /// At most this many elements of one map are in flight (an unbounded map's window).
    pub(crate) fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight
    }

    /// The emitter for run events of `workflow` in this run.
    pub(crate) fn emitter(&self, workflow: &str) -> Emitter {
        Emitter { sender: self.shared.events.clone(), run: self.run, workflow: workflow.into(), node: None }
    }

    /// A context for a new run.
    fn new_run(&self) -> RunContext {
        RunContext { shared: self.shared.clone(), run: self.shared.next_run.fetch_add(1, Ordering::Relaxed) + 1 }
    }
}

/// The embedded local runtime.
///
/// It owns its own threads, so a workflow runs the same under a multi-thread or a current-thread
/// tokio runtime (or any other executor), and its capacity decides how many elements with
/// `requests` run at once. `my_workflow(args).await` uses a default runtime sized to this
/// machine; build one with [`Runtime::builder`] to choose the capacity.
///
/// ```no_run
/// # async fn f() -> Result<(), flowmap_runtime::Error> {
/// let rt = flowmap_runtime::Runtime::builder().cpus(4).memory("8Gi").build()?;
/// # Ok(()) }
/// ```
pub struct Runtime {
    cx: RunContext,
    tokio: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("cpus", &(self.cx.capacity().cpu_millis() as f64 / 1000.0))
            .field("memory", &fmt_bytes(self.cx.capacity().mem_bytes()))
            .field("gpus", &self.cx.capacity().gpus())
            .finish()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a tokio runtime blocks, which is not allowed inside async code; this is.
        if let Some(rt) = self.tokio.take() {
            rt.shutdown_background();
        }
    }
}

/// Configures a [`Runtime`]: capacity in CPUs, memory and GPUs.
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct RuntimeBuilder {
    cpus: Option<u32>,
    memory: Option<String>,
    gpus: Option<u32>,
    event_capacity: Option<usize>,
    max_in_flight: Option<usize>,
}

impl RuntimeBuilder {
    /// CPU capacity: requests of all running attempts add up to at most this many cores; sync
    /// tasks run on this many threads. Default: this machine's available parallelism.
    pub fn cpus(mut self, cpus: u32) -> Self {
        self.cpus = Some(cpus);
        self
    }

    /// Memory capacity, as a Kubernetes quantity (`"8Gi"`, `"512Mi"`). Default: this machine's
    /// total memory.
    pub fn memory(mut self, memory: impl Into<String>) -> Self {
        self.memory = Some(memory.into());
        self
    }

    /// GPU capacity. Default: 0.
    pub fn gpus(mut self, gpus: u32) -> Self {
        self.gpus = Some(gpus);
        self
    }

    /// The most elements of one map that are in flight at once when its `concurrency` is not
    /// given. Default: 16 384. Each in-flight element of an async map holds its future, so this
    /// bounds a huge map's memory; set it higher if elements must all wait for each other.
    pub fn max_in_flight(mut self, elements: usize) -> Self {
        self.max_in_flight = Some(elements);
        self
    }

    /// How many events a subscriber may fall behind before it is told it lagged
    /// (`RecvError::Lagged`). Default: 65 536.
    pub fn event_capacity(mut self, events: usize) -> Self {
        self.event_capacity = Some(events);
        self
    }

    /// Starts the runtime.
    ///
    /// # Errors
    /// [`Error::Config`] for zero CPUs, an unreadable memory quantity, or threads that cannot start.
    pub fn build(self) -> Result<Runtime, Error> {
        let machine_cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let cpus = match self.cpus {
            Some(0) => return Err(Error::Config("cpus(0): a runtime needs at least one CPU".into())),
            Some(c) => c as usize,
            None => machine_cpus,
        };
        let mem_bytes = match &self.memory {
            Some(text) => {
                let q = Quantity::parse(text).map_err(|e| Error::Config(format!("memory: {e}")))?;
                if q.is_zero() {
                    return Err(Error::Config("memory(\"0\"): a runtime needs some memory".into()));
                }
                u64::try_from(q.units()).map_err(|_| Error::Config(format!("memory \"{text}\" is too large")))?
            }
            None => machine_memory(),
        };
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cpus.min(machine_cpus).max(1))
            .thread_name("flowmap-worker")
            .enable_time()
            .build()
            .map_err(|e| Error::Config(format!("could not start the runtime's threads: {e}")))?;
        let event_capacity = match self.event_capacity {
            Some(0) => {
                return Err(Error::Config("event_capacity(0): the event channel needs room for one event".into()));
            }
            Some(n) => n,
            None => 1 << 16,
        };
        let max_in_flight = match self.max_in_flight {
            Some(0) => return Err(Error::Config("max_in_flight(0): a map needs room for one element".into())),
            Some(n) => n,
            None => 1 << 14,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cpus)
            .thread_name(|i| format!("flowmap-sync-{i}"))
            .build()
            .map_err(|e| Error::Config(format!("could not start the sync task threads: {e}")))?;
        let cx = RunContext {
            shared: Arc::new(Shared {
                capacity: Capacity::new(cpus as u64 * 1000, mem_bytes, u64::from(self.gpus.unwrap_or(0))),
                blocking_threads: cpus,
                max_in_flight,
                handle: tokio.handle().clone(),
                pool,
                events: broadcast::channel(event_capacity).0,
                next_run: AtomicU64::new(0),
            }),
            run: 0,
        };
        Ok(Runtime { cx, tokio: Some(tokio) })
    }
}

/// Total memory from `/proc/meminfo`; where that cannot be read, 8 GiB (set it with `.memory()`).
fn machine_memory() -> u64 {
    const FALLBACK: u64 = 8 << 30;
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        })
        .unwrap_or(FALLBACK)
}

/// Aborts the spawned run when the caller stops waiting for it.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

static GLOBAL: OnceLock<Result<Runtime, String>> = OnceLock::new();

impl Runtime {
    /// A builder with this machine's capacity.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The default runtime that `my_workflow(args).await` uses, started on first use.
    ///
    /// # Errors
    /// [`Error::Config`] if its threads cannot start.
    pub fn global() -> Result<&'static Runtime, Error> {
        GLOBAL
            .get_or_init(|| Runtime::builder().build().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Config(e.clone()))
    }

    /// Receives the events of every run started after this call: run, node and element
    /// started / succeeded / failed / retrying, with node ids, element indices and attempts.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.cx.shared.events.subscribe()
    }

    /// CPU capacity in cores.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn cpus(&self) -> f64 {
        self.cx.capacity().cpu_millis() as f64 / 1000.0
    }

    /// Memory capacity in bytes.
    #[must_use]
    pub fn memory_bytes(&self) -> u64 {
        self.cx.capacity().mem_bytes()
    }

    /// GPU capacity.
    #[must_use]
    pub fn gpus(&self) -> u64 {
        self.cx.capacity().gpus()
    }

    /// Runs `workflow` with `inputs` (a tuple in parameter order) and returns its output.
    ///
    /// # Errors
    /// [`Error::Node`] naming the node, task and element that failed; [`Error::Build`] if the
    /// graph cannot be built.
    pub async fn run<W: Workflow>(
        &self,
        workflow: &W,
        inputs: W::Input,
    ) -> Result<<W::Output as OutputTuple>::Value, Error> {
        let compiled = workflow.compiled()?;
        let values = inputs.into_values();
        let cx = self.cx.new_run();
        let events = cx.emitter(&compiled.graph.name);
        events.emit(|| EventKind::RunStarted);
        let run = AbortOnDrop(self.cx.handle().spawn(async move { run_graph(&cx, compiled, values).await }));
        let result = match run.await {
            Ok(outputs) => outputs.and_then(|outputs| {
                W::Output::from_values(outputs)
                    .map_err(|e| Error::Internal(format!("outputs of `{}`: {e}", compiled.graph.name)))
            }),
            Err(e) => Err(Error::Internal(format!("the run of `{}` stopped: {e}", compiled.graph.name))),
        };
        match &result {
            Ok(_) => events.emit(|| EventKind::RunSucceeded),
            Err(e) => events.emit(|| EventKind::RunFailed { error: e.to_string() }),
        }
        result.map(OutputTuple::into_value)
    }

    /// Runs `workflow` with the `#[default(...)]` of every input.
    ///
    /// # Errors
    /// As [`Runtime::run`].
    pub fn run_default<'a, W: Defaults>(&'a self, workflow: &'a W) -> RunFuture<'a, <W::Output as OutputTuple>::Value> {
        // A plain fn returning a boxed future, so a workflow without defaults is reported once.
        Box::pin(self.run(workflow, workflow.defaults()))
    }
}

/// A boxed run of a workflow, borrowing for `'a`.
pub type RunFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The future a direct workflow call returns: `my_workflow(args).await`.
pub type WorkflowRun<T> = RunFuture<'static, T>;

/// `my_workflow(args)`: runs on the default runtime.
#[doc(hidden)]
pub fn run_on_global<W: Workflow>(workflow: W, inputs: W::Input) -> WorkflowRun<<W::Output as OutputTuple>::Value> {
    Box::pin(async move { Runtime::global()?.run(&workflow, inputs).await })
}

/// A sub-workflow run inside a parent's run (a workflow node, or an element of a map).
#[doc(hidden)]
pub async fn run_subworkflow<W: Workflow>(workflow: W, cx: RunContext, inputs: W::Input) -> Result<W::Output, Cause> {
    let compiled = workflow.compiled().map_err(|e| Cause::Workflow(Box::new(e)))?;
    let outputs = run_graph(&cx, compiled, inputs.into_values()).await.map_err(|e| Cause::Workflow(Box::new(e)))?;
    W::Output::from_values(outputs).map_err(|e| Cause::Workflow(Box::new(Error::Internal(e.to_string()))))
}
