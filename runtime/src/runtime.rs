//! The embedded runtime: its capacity, its threads, and running workflows.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, OnceLock};

use flowmap_model::Quantity;
use tokio::sync::broadcast;

use crate::error::{BuildError, BuildErrors, ConfigError, Error};
use crate::events::{Event, EventKind};
use crate::exec::capacity::{Capacity, fmt_bytes};
use crate::exec::context::{CacheConfig, MAX_BLOCKING, MAX_THREADS, RunContext, Shared};
use crate::exec::drivers::{self, Drivers, Lost};
use crate::exec::scheduler::run_graph;
use crate::finished::Finished;
use crate::json_io::{ReadError, with_defaults};
use crate::options::RunOptions;
use crate::panics::panic_message;
use crate::panics::quiet;
use crate::plan::Plan;
use crate::plan::target::{Defaults, Workflow};
use crate::progress::Progress;
use crate::tuple::{InputTuple, OutputTuple};
use crate::value::Value;
use crate::workflow_fn::{Output, RunFuture, WorkflowFn, WorkflowRun};

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
    event_capacity: Option<usize>,
    max_in_flight: Option<usize>,
    cache_dir: Option<PathBuf>,
    cache: Option<bool>,
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

    /// How many events a subscriber may fall behind before it is told it lagged
    /// (`RecvError::Lagged`). Default: 65 536.
    pub fn event_capacity(mut self, events: usize) -> Self {
        self.event_capacity = Some(events);
        self
    }

    /// Where the cache of tasks with `cache = true` lives. The default is `$FLOWMAP_CACHE_DIR`,
    /// else the platform's cache directory (`~/.cache/flowmap` on Linux): see
    /// [`cache::default_dir`](crate::cache::default_dir).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Whether tasks with `cache = true` use the cache (the default); `false`: they always run
    /// and nothing is stored. A run may change it: [`RunOptions::cache`].
    pub fn cache(mut self, on: bool) -> Self {
        self.cache = Some(on);
        self
    }

    /// Flyte's `overwrite_cache` for every run of this runtime (default `false`): cached tasks
    /// run and replace what the cache held. A run may change it: [`RunOptions::overwrite_cache`].
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
        let event_capacity = match self.event_capacity {
            Some(0) => return Err(ConfigError::ZeroEventCapacity),
            Some(n) => n,
            None => 1 << 16,
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
            extra_threads: AtomicUsize::new(0),
            events: broadcast::channel(event_capacity).0,
            next_run: AtomicU64::new(0),
            board: Arc::default(),
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

    /// The default runtime that `my_workflow(args).await` uses, started on first use.
    ///
    /// # Errors
    /// [`Error::Config`] if its threads cannot start.
    pub fn global() -> Result<&'static Runtime, Error> {
        GLOBAL.get_or_init(|| Runtime::builder().start()).as_ref().map_err(|e| Error::Config(e.clone()))
    }

    /// Receives the events of every run started after this call: run, node and element
    /// started / succeeded / failed / retrying, with node ids, element indices and attempts.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.shared.events.subscribe()
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

    /// Runs `workflow` with `inputs` (a tuple in parameter order) and returns its output.
    ///
    /// # Errors
    /// [`Error::Node`] naming the node, task and element that failed; [`Error::Build`] if the
    /// graph cannot be built.
    pub async fn run<F: WorkflowFn<A>, A>(&self, workflow: &F, inputs: A) -> Result<Output<F::Marker>, Error> {
        let _ = workflow;
        Ok(self.run_workflow::<F::Marker>(inputs, false, RunOptions::new()).await?.outputs)
    }

    /// [`Runtime::run`] with options of this run: see [`RunOptions`].
    ///
    /// # Errors
    /// As [`Runtime::run`].
    pub async fn run_with<F: WorkflowFn<A>, A>(
        &self,
        workflow: &F,
        inputs: A,
        options: RunOptions,
    ) -> Result<Output<F::Marker>, Error> {
        let _ = workflow;
        Ok(self.run_workflow::<F::Marker>(inputs, false, options).await?.outputs)
    }

    /// [`Runtime::run_with`], returning with the outputs every element that the run's tolerant
    /// maps lost (`None` in their outputs): see [`Finished`].
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn parse(s: String) -> Result<i64, std::num::ParseIntError> { s.parse() }
    /// # #[workflow] fn parsed(xs: Vec<String>) -> Vec<Option<i64>> { map!(parse, min_success_ratio = 0.5)(s = xs) }
    /// # async fn f(rt: flowmap::Runtime) -> Result<(), flowmap::Error> {
    /// let run = rt.run_reported(&parsed, (vec!["1".into(), "x".into()],), flowmap::RunOptions::new()).await?;
    /// assert_eq!(run.outputs, [Some(1), None]);
    /// for failure in &run.failures {
    ///     eprintln!("{}", flowmap::Report::new(failure)); // ... node `n0` (map of task parse): element 1 failed after 1 attempt: invalid digit ...
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Runtime::run`]; a failed run's [`Completed::tolerated`](crate::Completed::tolerated)
    /// holds the elements lost before it failed.
    pub async fn run_reported<F: WorkflowFn<A>, A>(
        &self,
        workflow: &F,
        inputs: A,
        options: RunOptions,
    ) -> Result<Finished<Output<F::Marker>>, Error> {
        let _ = workflow;
        self.run_workflow::<F::Marker>(inputs, false, options).await
    }

    /// Runs `workflow` with `inputs` and blocks this thread until it ends: for `fn main()` and
    /// other code without an async runtime. In async code, use [`Runtime::run`] and `.await`.
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn double(x: i64) -> i64 { x * 2 }
    /// # #[workflow] fn doubled(x: i64) -> i64 { double(x) }
    /// fn main() -> Result<(), flowmap::Error> {
    ///     let rt = flowmap::Runtime::builder().cpus(2).build()?;
    ///     assert_eq!(rt.block_on(&doubled, (21,))?, 42);
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    /// As [`Runtime::run`].
    pub fn block_on<F: WorkflowFn<A>, A>(&self, workflow: &F, inputs: A) -> Result<Output<F::Marker>, Error> {
        let _ = workflow;
        // On a driver thread (a sync task running a workflow), the run is driven right here: it
        // must not wait for a driver thread that may be this one.
        drivers::wait(self.run_workflow::<F::Marker>(inputs, drivers::on_driver(), RunOptions::new()))
            .map(|f| f.outputs)
    }

    /// [`Runtime::block_on`] with options of this run: see [`RunOptions`].
    ///
    /// # Errors
    /// As [`Runtime::run`].
    pub fn block_on_with<F: WorkflowFn<A>, A>(
        &self,
        workflow: &F,
        inputs: A,
        options: RunOptions,
    ) -> Result<Output<F::Marker>, Error> {
        let _ = workflow;
        drivers::wait(self.run_workflow::<F::Marker>(inputs, drivers::on_driver(), options)).map(|f| f.outputs)
    }

    /// [`Runtime::run_reported`], blocking this thread until the run ends.
    ///
    /// # Errors
    /// As [`Runtime::run_reported`].
    pub fn block_on_reported<F: WorkflowFn<A>, A>(
        &self,
        workflow: &F,
        inputs: A,
        options: RunOptions,
    ) -> Result<Finished<Output<F::Marker>>, Error> {
        let _ = workflow;
        drivers::wait(self.run_workflow::<F::Marker>(inputs, drivers::on_driver(), options))
    }

    /// [`Runtime::block_on`] with the `#[default(...)]` of every input.
    ///
    /// # Errors
    /// As [`Runtime::run`].
    pub fn block_on_default<F: WorkflowFn<A, Marker: Defaults>, A>(
        &self,
        workflow: &F,
    ) -> Result<Output<F::Marker>, Error> {
        self.block_on(workflow, defaults_of::<F::Marker>()?)
    }

    /// Runs workflow `W`: here (polled by this future), or as a task of the driver threads.
    pub(crate) async fn run_workflow<W: Workflow>(
        &self,
        inputs: W::Input,
        here: bool,
        options: RunOptions,
    ) -> Result<Finished<Output<W>>, Error> {
        let compiled = W::compiled()?;
        let outputs = self.run_plan(&compiled.plan, inputs.into_values(), here, options, |outputs| {
            W::Output::from_values(outputs).map_err(|_| Error::Internal("a workflow's outputs have the wrong types"))
        });
        Ok(outputs.await?.map(OutputTuple::into_value))
    }

    /// Runs `plan` with `values` (here, or as a task of the driver threads), with its run events;
    /// `outputs` reads the output values. The elements its tolerant maps lost come with the
    /// outputs, or in the error's [`crate::Completed`].
    pub(crate) async fn run_plan<T>(
        &self,
        plan: &'static Plan,
        values: Vec<Value>,
        here: bool,
        options: RunOptions,
        outputs: impl FnOnce(Vec<Value>) -> Result<T, Error>,
    ) -> Result<Finished<T>, Error> {
        let cx = RunContext::new_run(&self.shared, options);
        let report = cx.clone();
        let events = cx.emitter(&plan.workflow);
        events.emit(|| EventKind::RunStarted);
        let run = run_graph(cx, plan, values, true);
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
            Ok(_) => events.emit(|| EventKind::RunSucceeded),
            Err(e) => events.emit(|| EventKind::RunFailed { error: e.report().to_string() }),
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

    /// Runs `workflow` with some inputs given and the others left to their `#[default(...)]`:
    /// `given` has an `Option` per input, in parameter order.
    ///
    /// ```no_run
    /// # use flowmap::prelude::*;
    /// # #[task] fn scale(x: i64, factor: i64) -> i64 { x * factor }
    /// #[workflow]
    /// fn scaled(x: i64, #[default(10)] factor: i64) -> i64 {
    ///     scale(x, factor)
    /// }
    /// # async fn f(rt: flowmap::Runtime) -> Result<(), flowmap::Error> {
    /// assert_eq!(rt.run_with_defaults(&scaled, (Some(4), None), flowmap::RunOptions::new()).await?, 40);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::MissingInputs`] for inputs given as `None` that have no default; else as
    /// [`Runtime::run`].
    pub async fn run_with_defaults<F: WorkflowFn<A>, A: InputTuple>(
        &self,
        workflow: &F,
        given: A::Partial,
        options: RunOptions,
    ) -> Result<Output<F::Marker>, Error> {
        let inputs = fill_defaults(workflow, given)?;
        Ok(self.run_workflow::<F::Marker>(inputs, false, options).await?.outputs)
    }

    /// [`Runtime::run_with_defaults`], blocking this thread until the run ends.
    ///
    /// # Errors
    /// As [`Runtime::run_with_defaults`].
    pub fn block_on_with_defaults<F: WorkflowFn<A>, A: InputTuple>(
        &self,
        workflow: &F,
        given: A::Partial,
        options: RunOptions,
    ) -> Result<Output<F::Marker>, Error> {
        let inputs = fill_defaults(workflow, given)?;
        drivers::wait(self.run_workflow::<F::Marker>(inputs, drivers::on_driver(), options)).map(|f| f.outputs)
    }

    /// Runs `workflow` with the `#[default(...)]` of every input.
    ///
    /// # Errors
    /// As [`Runtime::run`].
    pub fn run_default<'a, F: WorkflowFn<A, Marker: Defaults>, A>(
        &'a self,
        workflow: &'a F,
    ) -> RunFuture<'a, Output<F::Marker>> {
        // A plain fn returning a boxed future, so a workflow without defaults is reported once.
        let _ = workflow;
        let defaults = defaults_of::<F::Marker>();
        Box::pin(async move { Ok(self.run_workflow::<F::Marker>(defaults?, false, RunOptions::new()).await?.outputs) })
    }
}

/// The inputs `given` holds, and the `#[default(...)]` of the others.
fn fill_defaults<F: WorkflowFn<A>, A: InputTuple>(workflow: &F, given: A::Partial) -> Result<A, Error> {
    let graph = workflow.graph()?;
    let ports = &graph.interface.inputs;
    with_defaults::<A>(given, ports).map_err(|e| match e {
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

/// `my_workflow(args)`: runs on the default runtime.
#[doc(hidden)]
pub fn run_on_global<W: Workflow>(inputs: W::Input) -> WorkflowRun<W> {
    WorkflowRun::new(Box::pin(async move {
        Ok(Runtime::global()?.run_workflow::<W>(inputs, false, RunOptions::new()).await?.outputs)
    }))
}
