//! What a running graph shares: capacity, threads, the event channel, and its run id.

use std::fmt;
#[cfg(feature = "cache")]
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

#[cfg(feature = "cache")]
use crate::cache::CacheError;
#[cfg(feature = "cache")]
use crate::cache::node::{CacheSpec, NodeCache};
#[cfg(feature = "cache")]
use crate::cache::reserve::Reservations;
#[cfg(feature = "cache")]
use crate::cache::store::Store;
use crate::error::ToleratedFailure;
use crate::events::Bus;
use crate::exec::capacity::Capacity;
use crate::exec::drivers::Drivers;
use crate::options::RunOptions;
use crate::progress::Board;

/// The most threads of each kind (run drivers, the sync pool, extra sync map workers) a runtime
/// starts, whatever its CPUs: each idle worker of a pool looks for work in every other's queue,
/// so thousands of them on a small machine spin for seconds at startup (`--cpus 2000` on 2 cores
/// took 18 s). Above it, CPUs still count for admission (`requests`), not for threads. Also the
/// most sync calls of one node that run at once, however small their requests.
pub(crate) const MAX_THREADS: usize = 256;

/// The most threads of tokio's blocking pool (tokio's own default, made explicit): sync calls
/// that do not run in place, one thread each while they run (a timed-out one until it really
/// ends), and the first worker of each sync map. Beyond it, calls wait for a thread, first come
/// first served. An idle one ends after tokio's 10 s.
pub(crate) const MAX_BLOCKING: usize = 512;

/// The runtime's resources, shared by every run.
pub(crate) struct Shared {
    pub(crate) capacity: Capacity,
    /// The threads of the sync pool (the runtime's CPUs, at most [`MAX_THREADS`]).
    pub(crate) threads: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) handle: tokio::runtime::Handle,
    /// The threads that drive runs.
    pub(crate) drivers: Drivers,
    /// The sync pool: workers of sync maps (the runtime's CPUs, at most [`MAX_THREADS`]).
    pub(crate) pool: rayon::ThreadPool,
    /// The runtime's event subscribers.
    pub(crate) bus: Arc<Bus>,
    /// Threads of sync map workers started beyond the pool's, running now (at most
    /// [`MAX_THREADS`]).
    pub(crate) extra_threads: AtomicUsize,
    pub(crate) next_run: AtomicU64,
    /// The counters of running nodes, kept while someone watches.
    pub(crate) board: Arc<Board>,
    #[cfg(feature = "cache")]
    pub(crate) cache: CacheConfig,
}

/// The runtime's cache settings.
#[cfg(feature = "cache")]
#[derive(Debug)]
pub(crate) struct CacheConfig {
    /// The cache directory; `None` when it is off, or when no directory is known.
    pub(crate) dir: Option<PathBuf>,
    /// Whether cached tasks use the cache by default.
    pub(crate) on: bool,
    /// `overwrite_cache` by default.
    pub(crate) overwrite: bool,
    /// In-flight keys of `cache_serialize` tasks, shared by every run.
    pub(crate) reservations: Arc<Reservations>,
    /// The store, once a run has opened it: kept open for the runtime's life, so that a run
    /// does not read the whole file again.
    pub(crate) store: Mutex<Option<Arc<Store>>>,
}

#[cfg(feature = "cache")]
impl CacheConfig {
    /// The store in `dir`, opened on first use.
    fn store(&self, dir: &std::path::Path) -> Result<Arc<Store>, CacheError> {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = &*store {
            return Ok(open.clone());
        }
        let open = Arc::new(Store::open(dir)?);
        *store = Some(open.clone());
        Ok(open)
    }
}

/// One run's view of the runtime.
#[derive(Clone)]
pub(crate) struct RunContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) run: u64,
    /// The run's options (without the `cache` feature, it has none).
    #[cfg_attr(not(feature = "cache"), allow(dead_code))]
    pub(crate) options: RunOptions,
    /// The elements its tolerant maps lost, in the order the maps ended (sub-workflows' too).
    pub(crate) tolerated: Arc<Mutex<Vec<ToleratedFailure>>>,
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
    /// A context for a new run.
    pub(crate) fn new_run(shared: &Arc<Shared>, options: RunOptions) -> RunContext {
        RunContext {
            shared: shared.clone(),
            run: shared.next_run.fetch_add(1, Ordering::Relaxed) + 1,
            options,
            tolerated: Arc::default(),
        }
    }

    /// Records the elements a tolerant map lost.
    pub(crate) fn tolerate(&self, failures: impl IntoIterator<Item = ToleratedFailure>) {
        self.tolerated.lock().unwrap_or_else(PoisonError::into_inner).extend(failures);
    }

    /// The elements the run's tolerant maps lost so far, taken.
    pub(crate) fn take_tolerated(&self) -> Vec<ToleratedFailure> {
        std::mem::take(&mut *self.tolerated.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The cache as node `spec` uses it in this run; `None` when the run does not use it.
    ///
    /// # Errors
    /// The store cannot be opened or read, or no cache directory is known.
    #[cfg(feature = "cache")]
    pub(crate) fn cache(&self, spec: Option<&CacheSpec>) -> Result<Option<NodeCache>, CacheError> {
        let config = &self.shared.cache;
        let Some(spec) = spec else { return Ok(None) };
        if !self.options.cache.unwrap_or(config.on) {
            return Ok(None);
        }
        let Some(dir) = &config.dir else { return Err(CacheError::NoDir) };
        Ok(Some(NodeCache {
            spec: spec.clone(),
            store: config.store(dir)?,
            overwrite: self.options.overwrite_cache.unwrap_or(config.overwrite),
            reservations: spec.serialize.then(|| config.reservations.clone()),
        }))
    }
}
