//! The durable cache of task outputs: keys (`key`), the store (`store`), reservations of
//! in-flight calls for `cache_serialize` (`reserve`), and one node's use of them in a run
//! (`node`). The typed lookups and stores of a node's elements are in `plan::cached`.
//!
//! The public face is this module's re-exports, as `flowmap::cache`: where the cache lives, its
//! size, and clearing it.

pub(crate) mod key;
pub(crate) mod node;
pub(crate) mod reserve;
pub(crate) mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

pub use crate::cache::key::{CacheKey, KeyError};
pub use crate::cache::store::{CacheError, FILE, Stats, clear, default_dir};

use crate::cache::store::Store;

/// The entries in the store in `dir`, and its size; `None` if there is no store there. Reads
/// only: creates, locks and repairs nothing.
///
/// # Errors
/// The store cannot be read, or is corrupt.
pub fn stats(dir: &Path) -> Result<Option<Stats>, CacheError> {
    store::stats(dir)
}

/// The store in `dir`, shared by every runtime of this process that uses it.
pub(crate) fn open(dir: &Path) -> Result<Arc<Store>, CacheError> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Weak<Store>>>> = OnceLock::new();
    let mut open = OPEN.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
    let id = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    if let Some(store) = open.get(&id).and_then(Weak::upgrade) {
        return Ok(store);
    }
    let store = Arc::new(Store::open(dir)?);
    open.retain(|_, s| s.strong_count() > 0);
    open.insert(id, Arc::downgrade(&store));
    Ok(store)
}
