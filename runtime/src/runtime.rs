//! The embedded runtime: its capacity, its threads, and running workflows: [`Run`], what
//! `rt.run(&my_workflow, inputs)` and `my_workflow(inputs)` return, with the options of one run,
//! awaited or waited for; and [`WorkflowFn`], the workflow function itself, what [`Runtime::run`]
//! takes and what gives `my_workflow.graph()`. (One file: the methods that make a run are
//! `Runtime`'s and a run holds its runtime, so two files would import each other.)

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
#[cfg(feature = "cache")]
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, OnceLock};

use flowmap_model::Quantity;
use flowmap_model::graph::Graph;

use crate::error::{BuildError, BuildErrors, ConfigError, Error};
use crate::events::{EventKind, Subscriber};
use crate::exec::capacity::{Capacity, fmt_bytes};
#[cfg(feature = "cache")]
use crate::exec::context::CacheConfig;
use crate::exec::context::{MAX_BLOCKING, MAX_THREADS, RunContext, Shared};
use crate::exec::drivers::{self, Drivers, Lost};
use crate::exec::scheduler::run_graph;
use crate::finished::Finished;
use crate::json_io::{ReadError, with_defaults};
use crate::observe::run_event;
use crate::options::RunOptions;
use crate::panics::{panic_message, quiet};
use crate::plan::Plan;
use crate::plan::target::{Defaults, Workflow};
use crate::progress::Progress;
use crate::tuple::{InputTuple, OutputTuple};
use crate::value::Value;

/// The embedded local runtime.
///
/// It owns its own threads, so a workflow runs the same under a multi-thread or a current-thread
/// tokio runtime (or any other executor), and its capacity decides how many elements with
/// `requests` run at once. Build one with [`Runtime::builder`] to choose the capacity, and run
/// workflows on it with [`Runtime::run`]. `my_workflow(args).await`, with no runtime named, uses
/// the global runtime ([`Runtime::global`]), sized to this machine unless configured first with
/// [`RuntimeBuilder::build_global`].
///
/// ```no_run
/// # use flowmap::prelude::*;
/// # #[task] fn double(x: i64) -> i64 { x * 2 }
/// # #[workflow] fn doubled(x: i64) -> i64 { double(x) }
/// # async fn f() -> Result<(), flowmap::Error> {
/// let rt = flowmap::Runtime::builder().cpus(4).memory("8Gi").build()?;
/// assert_eq!(rt.run(&doubled, (21,)).await?, 42);
/// # Ok(()) }
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
    tokio: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("cpus", &self.cpus())
            .field("memory", &fmt_bytes(self.memory_bytes()))
            .field("gpus", &self.gpus())
            .finish()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a tokio runtime blocks, which is not allowed inside async code; this is.
        if let Some(rt) = self.tokio.take() {
            rt.shutdown_background();
        }
        self.shared.bus.close();
    }
}

/// Configures a [`Runtime`]: capacity in CPUs, memory and GPUs.
///
/// # Threads
///
/// With `c` the runtime's CPUs ([`cpus`](Self::cpus)) and `m` this machine's, a runtime has:
/// - `min(c, m)` tokio workers (`flowmap-worker`): what tasks spawn, timers and I/O;
/// - `min(c, 256)` run drivers (`flowmap-driver-N`): each run is polled by one of them, so the
///   caller's task only waits and runs started together run in parallel, and a sync call known
///   to be short runs there in place, with no hand-off (a tokio worker could not: blocking is
///   not allowed on one);
/// - `min(c, 256)` sync pool threads (`flowmap-sync-N`): the workers of sync maps;
/// - on demand, up to 512 blocking threads (tokio's blocking pool, also named `flowmap-worker`):
///   sync calls that do not run in place, one each while it runs; an idle one ends after 10 s;
/// - on demand, up to 256 at once in all, extra sync map workers (`flowmap-sync-extra-N`) for
///   maps of tasks that request less than a CPU each, beyond the pool; they end with their map.
///
/// Between runs they all sleep: an idle runtime uses no CPU.
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct RuntimeBuilder {
    cpus: Option<u32>,
    memory: Option<String>,
    gpus: Option<u32>,
    max_in_flight: Option<usize>,
    #[cfg(feature = "cache")]
    cache_dir: Option<PathBuf>,
    #[cfg(feature = "cache")]
    cache: Option<bool>,
    #[cfg(feature = "cache")]
    overwrite_cache: bool,
}

impl RuntimeBuilder {
    /// CPU capacity: requests of all running attempts add up to at most this many cores; sync
    /// tasks that request no CPU run on this many threads (at most 256), and those that request
    /// less than a CPU on as many threads as their requests fit (20 of `cpu = "100m"` in 2 CPUs).
    /// Default: this machine's available parallelism.
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

    /// Where the cache of tasks with `cache = true` lives. The default is `$FLOWMAP_CACHE_DIR`,
    /// else the platform's cache directory (`~/.cache/flowmap` on Linux): see
    /// [`cache::default_dir`](crate::cache::default_dir).
    #[cfg(feature = "cache")]
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Whether tasks with `cache = true` use the cache (the default); `false`: they always run
    /// and nothing is stored. A run may change it: [`RunOptions::cache`].
    #[cfg(feature = "cache")]
    pub fn cache(mut self, on: bool) -> Self {
        self.cache = Some(on);
        self
    }

    /// Flyte's `overwrite_cache` for every run of this runtime (default `false`): cached tasks
    /// run and replace what the cache held. A run may change it: [`RunOptions::overwrite_cache`].
    #[cfg(feature = "cache")]
    pub fn overwrite_cache(mut self, on: bool) -> Self {
        self.overwrite_cache = on;
        self
    }

    /// Starts the runtime.
    ///
    /// # Errors
    /// [`Error::Config`] for zero CPUs, an unreadable memory quantity, or threads that cannot start.
    pub fn build(self) -> Result<Runtime, Error> {
        self.start().map_err(Error::Config)
    }

    /// Starts the runtime as the global one, which `my_workflow(args).await` (a run given no
    /// runtime) uses: call it before any such run, such as first thing in `main`.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), flowmap::Error> {
    /// flowmap::Runtime::builder().cpus(4).memory("8Gi").build_global()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::GlobalStarted`] if the global runtime has already started (by a run given
    /// no runtime, [`Runtime::global`], or an earlier call); else as [`RuntimeBuilder::build`].
    pub fn build_global(self) -> Result<&'static Runtime, Error> {
        let rt = self.build()?;
        GLOBAL.set(Ok(rt)).map_err(|_| Error::Config(ConfigError::GlobalStarted))?;
        Runtime::global()
    }

    fn start(self) -> Result<Runtime, ConfigError> {
        crate::panics::install_hook();
        let machine_cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let cpus = match self.cpus {
            Some(0) => return Err(ConfigError::ZeroCpus),
            Some(c) => c as usize,
            None => machine_cpus,
        };
        let mem_bytes = match &self.memory {
            Some(text) => {
                let q = Quantity::parse(text).map_err(|reason| ConfigError::Memory { text: text.clone(), reason })?;
                if q.is_zero() {
                    return Err(ConfigError::ZeroMemory { text: text.clone() });
                }
                u64::try_from(q.units()).map_err(|_| ConfigError::MemoryTooLarge { text: text.clone() })?
            }
            None => machine_memory(),
        };
        let max_in_flight = match self.max_in_flight {
            Some(0) => return Err(ConfigError::ZeroMaxInFlight),
            Some(n) => n,
            None => 1 << 14,
        };
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cpus.min(machine_cpus).max(1))
            .max_blocking_threads(MAX_BLOCKING)
            .thread_name("flowmap-worker")
            .enable_all()
            .build()
            .map_err(|e| ConfigError::Threads { what: "worker", source: Arc::new(e) })?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cpus.min(MAX_THREADS))
            .thread_name(|i| format!("flowmap-sync-{i}"))
            .build()
            .map_err(|e| ConfigError::Threads { what: "sync task", source: Arc::new(e) })?;
        let drivers = Drivers::start(cpus.min(MAX_THREADS), tokio.handle())
            .map_err(|e| ConfigError::Threads { what: "driver", source: Arc::new(e) })?;
        let shared = Arc::new(Shared {
            capacity: Capacity::new(cpus as u64 * 1000, mem_bytes, u64::from(self.gpus.unwrap_or(0))),
            threads: cpus.min(MAX_THREADS),
            max_in_flight,
            handle: tokio.handle().clone(),
            drivers,
            pool,
            bus: Arc::default(),
            extra_threads: AtomicUsize::new(0),
            next_run: AtomicU64::new(0),
            board: Arc::default(),
            #[cfg(feature = "cache")]
            cache: CacheConfig {
                dir: if self.cache == Some(false) { None } else { self.cache_dir.or_else(crate::cache::default_dir) },
                on: self.cache != Some(false),
                overwrite: self.overwrite_cache,
                reservations: Arc::default(),
                store: std::sync::Mutex::new(None),
            },
        });
        Ok(Runtime { shared, tokio: Some(tokio) })
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

static GLOBAL: OnceLock<Result<Runtime, ConfigError>> = OnceLock::new();

impl Runtime {
    /// A builder with this machine's capacity.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The global runtime: the one a run given no runtime uses (`my_workflow(args).await`). It
    /// is started on first use with this machine's capacity, unless
    /// [`RuntimeBuilder::build_global`] started it first.
    ///
    /// # Errors
    /// [`Error::Config`] if its threads cannot start.
    pub fn global() -> Result<&'static Runtime, Error> {
        GLOBAL.get_or_init(|| Runtime::builder().start()).as_ref().map_err(|e| Error::Config(e.clone()))
    }

    /// Receives the events of every node that starts while the subscriber lives: runs and
    /// nodes started and ended (with what their elements did), every retry and every element
    /// that failed, cache stores, and plain calls. None is ever dropped. A map's elements that
    /// succeed are counted, not sent: see [`crate::events`].
    #[must_use]
    pub fn subscribe(&self) -> Subscriber {
        self.shared.bus.subscribe(None)
    }

    /// [`Runtime::subscribe`], and also each map element's start, success and cache hit, of
    /// which at most `capacity` wait to be read at once: beyond that they are counted, and
    /// reported in their place by one [`EventKind::Skipped`]. The other events are never
    /// dropped, whatever the capacity. Costs about one event per element of every map.
    #[must_use]
    pub fn subscribe_elements(&self, capacity: usize) -> Subscriber {
        self.shared.bus.subscribe(Some(capacity))
    }

    /// Watches the progress of the nodes of every run started while the watcher lives: counts
    /// to sample at a display's pace, with no event per element. See [`Progress`].
    #[must_use]
    pub fn progress(&self) -> Progress {
        Progress::new(&self.shared.board)
    }

    /// CPU capacity in cores.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn cpus(&self) -> f64 {
        self.shared.capacity.cpu_millis() as f64 / 1000.0
    }

    /// Memory capacity in bytes.
    #[must_use]
    pub fn memory_bytes(&self) -> u64 {
        self.shared.capacity.mem_bytes()
    }

    /// GPU capacity.
    #[must_use]
    pub fn gpus(&self) -> u64 {
        self.shared.capacity.gpus()
    }

    /// A run of `workflow` on this runtime with `inputs` (a tuple in parameter order): `.await`
    /// it for the workflow's outputs, or [`wait`](Run::wait) for them; set options of the run
    /// on it first. See [`Run`].
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn double(x: i64) -> i64 { x * 2 }
    /// # #[workflow] fn doubled(x: i64) -> i64 { double(x) }
    /// # async fn f(rt: flowmap::Runtime) -> Result<(), flowmap::Error> {
    /// assert_eq!(rt.run(&doubled, (21,)).await?, 42);
    /// assert_eq!(rt.run(&doubled, (21,)).cache(false).await?, 42);
    /// # Ok(()) }
    /// ```
    pub fn run<F: WorkflowFn<A>, A: InputTuple>(&self, workflow: &F, inputs: A) -> Run<'_, F::Marker> {
        let _ = workflow;
        Run::new(Some(self), Inputs::<F::Marker>::Given(inputs))
    }

    /// A run of `workflow` with some inputs given and the others left to their
    /// `#[default(...)]`: `given` has an `Option` per input, in parameter order. As
    /// [`Runtime::run`] otherwise.
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn scale(x: i64, factor: i64) -> i64 { x * factor }
    /// #[workflow]
    /// fn scaled(x: i64, #[default(10)] factor: i64) -> i64 {
    ///     scale(x, factor)
    /// }
    /// # async fn f(rt: flowmap::Runtime) -> Result<(), flowmap::Error> {
    /// assert_eq!(rt.run_with_defaults(&scaled, (Some(4), None)).await?, 40);
    /// # Ok(()) }
    /// ```
    ///
    /// A run given `None` for an input with no default fails with [`Error::MissingInputs`].
    pub fn run_with_defaults<F: WorkflowFn<A>, A: InputTuple>(
        &self,
        workflow: &F,
        given: A::Partial,
    ) -> Run<'_, F::Marker> {
        let _ = workflow;
        Run::new(Some(self), Inputs::<F::Marker>::Partial(given))
    }

    /// A run of `workflow` with the `#[default(...)]` of every input; a workflow with an input
    /// that has none does not compile here. As [`Runtime::run`] otherwise.
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn double(x: i64) -> i64 { x * 2 }
    /// #[workflow]
    /// fn doubled(#[default(21)] x: i64) -> i64 {
    ///     double(x)
    /// }
    /// # async fn f(rt: flowmap::Runtime) -> Result<(), flowmap::Error> {
    /// assert_eq!(rt.run_default(&doubled).await?, 42);
    /// # Ok(()) }
    /// ```
    pub fn run_default<F: WorkflowFn<A, Marker: Defaults>, A: InputTuple>(&self, workflow: &F) -> Run<'_, F::Marker> {
        let _ = workflow;
        Run::new(Some(self), Inputs::<F::Marker>::Defaults(defaults_of::<F::Marker>))
    }

    /// Runs workflow `W`: here (polled by this future), or as a task of the driver threads.
    pub(crate) async fn run_workflow<W: Workflow>(
        &self,
        inputs: W::Input,
        here: bool,
        options: RunOptions,
    ) -> Result<Finished<<W::Output as OutputTuple>::Value>, Error> {
        let compiled = W::compiled()?;
        let outputs = self.run_plan(compiled.plan.clone(), inputs.into_values(), here, options, |outputs| {
            W::Output::from_values(outputs).map_err(|_| Error::Internal("a workflow's outputs have the wrong types"))
        });
        Ok(outputs.await?.map(OutputTuple::into_value))
    }

    /// Runs `plan` with `values` (here, or as a task of the driver threads), with its run events;
    /// `outputs` reads the output values. The elements its tolerant maps lost come with the
    /// outputs, or in the error's [`crate::Completed`].
    pub(crate) async fn run_plan<T>(
        &self,
        plan: Arc<Plan>,
        values: Vec<Value>,
        here: bool,
        options: RunOptions,
        outputs: impl FnOnce(Vec<Value>) -> Result<T, Error>,
    ) -> Result<Finished<T>, Error> {
        let cx = RunContext::new_run(&self.shared, options);
        let report = cx.clone();
        let (bus, id) = (&self.shared.bus, cx.run);
        run_event(bus, id, &plan.workflow, || EventKind::RunStarted);
        let run = run_graph(cx, plan.clone(), values, true);
        let values = if here {
            run.await
        } else {
            // A task of the runtime's driver threads: the caller's task only waits for it (so a
            // timeout or a `join!` around it works), and runs started together run in parallel.
            // Dropping this future cancels the run.
            match self.shared.drivers.spawn(run).await {
                Ok(outputs) => outputs,
                Err(Lost::Panicked) => Err(Error::Internal("a run panicked outside any task")),
                Err(Lost::Stopped) => Err(Error::Internal("a run was stopped: its runtime was dropped")),
            }
        };
        let result = values.and_then(outputs);
        match &result {
            Ok(_) => run_event(bus, id, &plan.workflow, || EventKind::RunSucceeded),
            Err(e) => run_event(bus, id, &plan.workflow, || EventKind::RunFailed { error: e.report().to_string() }),
        }
        let failures = report.take_tolerated();
        match result {
            Ok(outputs) => Ok(Finished { outputs, failures }),
            Err(Error::Node { workflow, node, target, source, completed }) => {
                Err(Error::Node { workflow, node, target, source, completed: completed.with_tolerated(failures) })
            }
            Err(e) => Err(e),
        }
    }
}

/// The value a run of workflow `M` gives.
pub type Output<M> = <<M as crate::Target>::Output as OutputTuple>::Value;

/// A run of workflow `M`, not started yet: what [`Runtime::run`] (and
/// [`Runtime::run_with_defaults`], [`Runtime::run_default`]) and a workflow function,
/// `my_workflow(inputs)`, return. Set options of this run on it, then `.await` it for the
/// workflow's outputs, or [`wait`](Run::wait) for them with no async runtime; nothing runs before.
///
/// ```no_run
/// # use flowmap::prelude::*;
/// # #[task(cache = true, cache_version = "1")] fn double(x: i64) -> i64 { x * 2 }
/// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
/// # async fn f() -> Result<(), flowmap::Error> {
/// let rt = flowmap::Runtime::builder().cpus(4).build()?;
/// let out = rt.run(&doubled, (vec![1, 2],)).await?;
/// // Recompute the cached tasks of this run and replace what the cache held.
/// let fresh = rt.run(&doubled, (vec![1, 2],)).overwrite_cache(true).await?;
/// // The same run, with the workflow called as a function.
/// let same = doubled(vec![1, 2]).on(&rt).await?;
/// # Ok(()) }
/// ```
///
/// **Which runtime.** `rt.run(..)` runs on `rt`, and so does `my_workflow(inputs).on(&rt)`.
/// `my_workflow(inputs)` with no runtime named runs on the global runtime ([`Runtime::global`]):
/// started on first use with this machine's capacity, or configured beforehand with
/// [`RuntimeBuilder::build_global`](crate::RuntimeBuilder::build_global).
///
/// A `Run` is [`IntoFuture`], not a `Future`: where a future is required (`join_all`,
/// `tokio::spawn`, `Handle::block_on`), give `run.into_future()`. Dropping the future cancels
/// the run.
///
/// # Errors
/// Awaited or waited for, a run fails with [`Error::Node`] naming the node, task and element
/// that failed; [`Error::Build`] if the graph cannot be built; [`Error::MissingInputs`] for
/// inputs given as `None` that have no default ([`Runtime::run_with_defaults`]); or
/// [`Error::Config`] if the global runtime, which it runs on when given no runtime, cannot start.
#[must_use = "a workflow runs when its run is awaited or waited for"]
pub struct Run<'a, M: Workflow> {
    rt: Option<&'a Runtime>,
    inputs: Inputs<M>,
    options: RunOptions,
    _workflow: PhantomData<fn() -> M>,
}

/// The inputs of a run, read when it starts.
enum Inputs<M: Workflow> {
    /// All of them.
    Given(M::Input),
    /// Some of them; the others from their `#[default(...)]`.
    Partial(<M::Input as InputTuple>::Partial),
    /// Each from its `#[default(...)]`.
    Defaults(fn() -> Result<M::Input, Error>),
}

impl<'a, M: Workflow> Run<'a, M> {
    fn new(rt: Option<&'a Runtime>, inputs: Inputs<M>) -> Self {
        Run { rt, inputs, options: RunOptions::new(), _workflow: PhantomData }
    }

    /// This run on `rt` (rather than on the global runtime, or the runtime it was made by).
    pub fn on<'b>(self, rt: &'b Runtime) -> Run<'b, M> {
        Run { rt: Some(rt), inputs: self.inputs, options: self.options, _workflow: PhantomData }
    }

    crate::options::option_setters!();

    /// This run, returning with its outputs every element that its tolerant maps lost (`None`
    /// in their outputs): see [`Finished`].
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn parse(s: String) -> Result<i64, std::num::ParseIntError> { s.parse() }
    /// # #[workflow] fn parsed(xs: Vec<String>) -> Vec<Option<i64>> { map!(parse, min_success_ratio = 0.5)(s = xs) }
    /// # async fn f(rt: flowmap::Runtime) -> Result<(), flowmap::Error> {
    /// let run = rt.run(&parsed, (vec!["1".into(), "x".into()],)).reported().await?;
    /// assert_eq!(run.outputs, [Some(1), None]);
    /// for failure in &run.failures {
    ///     eprintln!("{}", flowmap::error::Report::new(failure)); // ... node `n0` (map of task parse): element 1 failed after 1 attempt: invalid digit ...
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// A failed run's [`Completed::tolerated`](crate::Completed::tolerated) holds the elements
    /// lost before it failed.
    pub fn reported(self) -> Reported<'a, M> {
        Reported(self)
    }

    /// Runs the workflow and blocks this thread until it ends: for `fn main()` and other code
    /// without an async runtime. In async code, `.await` the run instead. Called from a sync task
    /// of a run, it drives the new run on that task's thread.
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn double(x: i64) -> i64 { x * 2 }
    /// # #[workflow] fn doubled(x: i64) -> i64 { double(x) }
    /// fn main() -> Result<(), flowmap::Error> {
    ///     let rt = flowmap::Runtime::builder().cpus(2).build()?;
    ///     assert_eq!(rt.run(&doubled, (21,)).wait()?, 42);
    ///     assert_eq!(doubled(21).wait()?, 42); // on the global runtime
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    /// As awaiting the run: see [`Run`].
    pub fn wait(self) -> Result<Output<M>, Error> {
        self.reported().wait().map(|f| f.outputs)
    }

    /// Runs it: here (polled by the returned future), or as a task of the driver threads.
    async fn start(self, here: bool) -> Result<Finished<Output<M>>, Error> {
        let rt = match self.rt {
            Some(rt) => rt,
            None => Runtime::global()?,
        };
        let inputs = match self.inputs {
            Inputs::Given(inputs) => inputs,
            Inputs::Partial(given) => fill_defaults::<M>(given)?,
            Inputs::Defaults(defaults) => defaults()?,
        };
        rt.run_workflow::<M>(inputs, here, self.options).await
    }
}

impl<'a, M: Workflow> IntoFuture for Run<'a, M> {
    type Output = Result<Output<M>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.start(false).await.map(|f| f.outputs) })
    }
}

impl<M: Workflow> fmt::Debug for Run<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("workflow", &std::any::type_name::<M>())
            .field("runtime", &self.rt)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A [`Run`] that returns with its outputs every element its tolerant maps lost:
/// [`Run::reported`]. `.await` it, or [`wait`](Reported::wait) for it.
#[must_use = "a workflow runs when its run is awaited or waited for"]
pub struct Reported<'a, M: Workflow>(Run<'a, M>);

impl<M: Workflow> Reported<'_, M> {
    /// Runs the workflow and blocks this thread until it ends: see [`Run::wait`].
    ///
    /// # Errors
    /// As awaiting the run.
    pub fn wait(self) -> Result<Finished<Output<M>>, Error> {
        // On a driver thread (a sync task running a workflow), the run is driven right here: it
        // must not wait for a driver thread that may be this one.
        drivers::wait(self.0.start(drivers::on_driver()))
    }
}

impl<'a, M: Workflow> IntoFuture for Reported<'a, M> {
    type Output = Result<Finished<Output<M>>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.0.start(false))
    }
}

impl<M: Workflow> fmt::Debug for Reported<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Reported").field(&self.0).finish()
    }
}

/// `my_workflow(inputs)`: its run, on no runtime yet.
#[doc(hidden)]
pub fn run_of<M: Workflow>(inputs: M::Input) -> Run<'static, M> {
    Run::new(None, Inputs::Given(inputs))
}

/// The inputs `given` holds, and the `#[default(...)]` of the others.
fn fill_defaults<M: Workflow>(given: <M::Input as InputTuple>::Partial) -> Result<M::Input, Error> {
    let graph = &M::compiled()?.graph;
    let ports = &graph.interface.inputs;
    with_defaults::<M::Input>(given, ports).map_err(|e| match e {
        ReadError::Missing(missing) => Error::MissingInputs {
            workflow: graph.name.clone(),
            inputs: missing.iter().map(|i| ports[*i].name.clone()).collect(),
        },
        ReadError::Input(i, source) => Error::DefaultUnreadable {
            workflow: graph.name.clone(),
            input: ports[i].name.clone(),
            source: Arc::new(source),
        },
        _ => Error::Internal("reading defaults failed otherwise than on an input"),
    })
}

/// The `#[default(...)]` of every input. A panicking default is an error of the run, not a panic
/// of the caller.
fn defaults_of<W: Defaults>() -> Result<W::Input, Error> {
    std::panic::catch_unwind(AssertUnwindSafe(|| quiet(W::defaults))).map_err(|panic| Error::Build {
        // Not `W::compiled()`: building would evaluate the default again.
        workflow: std::any::type_name::<W>().rsplit("::").next().unwrap_or_default().to_owned(),
        errors: BuildErrors(vec![BuildError::Panicked {
            message: format!("a `#[default(...)]` panicked: {}", panic_message(panic.as_ref())),
        }]),
    })
}

/// A `#[workflow]` function, taking inputs `A` (a tuple in parameter order). Implemented for
/// every workflow `fn`; bring it into scope with `use flowmap::prelude::*;` for `.graph()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flowmap workflow taking these inputs",
    label = "a `#[workflow]` function is expected here, with inputs `{A}`",
    note = "give the workflow function itself, such as `rt.run(&my_workflow, (inputs,))`, with its inputs as a tuple in parameter order"
)]
pub trait WorkflowFn<A>: Copy + Send + Sync + 'static {
    /// The workflow's marker type, which the graph builder and the executor use.
    #[doc(hidden)]
    type Marker: Workflow<Input = A>;

    /// The compiled graph: nodes, bindings, typed interface, map settings and overrides (see
    /// [`flowmap_model::graph`]). Serialize it with serde, or render it with `to_dot()`.
    ///
    /// # Errors
    /// When the graph cannot be built: see [`Error::Build`].
    fn graph(&self) -> Result<&'static Graph, Error> {
        <Self::Marker as Workflow>::compiled().map(|c| &c.graph)
    }
}

macro_rules! workflow_fns {
    ($( ($($A:ident),*) )*) => {$(
        impl<F, M, $($A: 'static),*> WorkflowFn<($($A,)*)> for F
        where
            F: Fn($($A),*) -> Run<'static, M> + Copy + Send + Sync + 'static,
            M: Workflow<Input = ($($A,)*)>,
        {
            type Marker = M;
        }
    )*};
}

workflow_fns! {
    ()
    (A0)
    (A0, A1)
    (A0, A1, A2)
    (A0, A1, A2, A3)
    (A0, A1, A2, A3, A4)
    (A0, A1, A2, A3, A4, A5)
    (A0, A1, A2, A3, A4, A5, A6)
    (A0, A1, A2, A3, A4, A5, A6, A7)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8, A9)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10)
    (A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11)
}
