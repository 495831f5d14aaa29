//! The cache's store: one redb file (`cache.redb`) in the cache directory, keyed by
//! [`CacheKey`], holding each call's outputs as compact serde bytes (postcard). redb is an ACID
//! embedded store in pure Rust: a process killed mid-write leaves the file as of its last commit.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, ReadableTableMetadata, TableDefinition};

use crate::cache::key::CacheKey;

/// Every entry: key → the outputs' bytes.
const ENTRIES: TableDefinition<'static, [u8; 16], &[u8]> = TableDefinition::new("entries");

/// The file in the cache directory.
pub const FILE: &str = "cache.redb";

/// Why the cache could not be used. A corrupt or unreadable store is never silently recomputed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The directory or file could not be made or read.
    #[error("the cache at {path} could not be opened: {reason}")]
    Open {
        /// The store's file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another process has the store open.
    #[error("the cache at {path} is in use by another process; wait for it, or give this run another cache directory")]
    InUse {
        /// The store's file.
        path: PathBuf,
    },
    /// The file is not a store this version can read.
    #[error(
        "the cache at {path} is corrupt or of another format ({reason}); clear it (`APP cache clear`, or delete the file) to start afresh"
    )]
    Corrupt {
        /// The store's file.
        path: PathBuf,
        /// What redb says.
        reason: String,
    },
    /// Reading or writing entries failed.
    #[error("the cache at {path} could not be {action}: {reason}")]
    Access {
        /// The store's file.
        path: PathBuf,
        /// `read` or `written`.
        action: &'static str,
        /// Why.
        reason: String,
    },
}

/// How big a store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Cached calls.
    pub entries: u64,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// An open store.
pub(crate) struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

/// The default cache directory: `$FLOWMAP_CACHE_DIR`, else the platform's cache directory
/// (`$XDG_CACHE_HOME/flowmap` or `~/.cache/flowmap` on Linux, `~/Library/Caches/flowmap` on
/// macOS, `%LOCALAPPDATA%\flowmap` on Windows); `None` if none is known.
#[must_use]
pub fn default_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("FLOWMAP_CACHE_DIR") {
        return Some(dir);
    }
    let base = if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Caches"))
    } else if cfg!(windows) {
        var("LOCALAPPDATA")
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("flowmap"))
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Store, CacheError> {
        let path = dir.join(FILE);
        std::fs::create_dir_all(dir).map_err(|e| CacheError::Open {
            path: path.clone(),
            reason: format!("could not make {}: {e}", dir.display()),
        })?;
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => CacheError::InUse { path: path.clone() },
            redb::DatabaseError::UpgradeRequired(v) => {
                CacheError::Corrupt { path: path.clone(), reason: format!("file format {v}") }
            }
            // A file that is not a store reads as invalid data.
            redb::DatabaseError::Storage(redb::StorageError::Io(e)) if e.kind() != std::io::ErrorKind::InvalidData => {
                CacheError::Open { path: path.clone(), reason: e.to_string() }
            }
            other => CacheError::Corrupt { path: path.clone(), reason: other.to_string() },
        })?;
        let store = Store { db, path };
        // The table exists from the start, so that reads never meet its absence.
        store.write(|tx| tx.open_table(ENTRIES).map(drop).map_err(|e| e.to_string()), true)?;
        Ok(store)
    }

    fn access(&self, action: &'static str, reason: impl ToString) -> CacheError {
        let reason = reason.to_string();
        if reason.contains("corrupt") {
            CacheError::Corrupt { path: self.path.clone(), reason }
        } else {
            CacheError::Access { path: self.path.clone(), action, reason }
        }
    }

    fn write(
        &self,
        body: impl FnOnce(&redb::WriteTransaction) -> Result<(), String>,
        durable: bool,
    ) -> Result<(), CacheError> {
        let mut tx = self.db.begin_write().map_err(|e| self.access("written", e))?;
        tx.set_durability(if durable { Durability::Immediate } else { Durability::None })
            .map_err(|e| self.access("written", e))?;
        body(&tx).map_err(|e| self.access("written", e))?;
        tx.commit().map_err(|e| self.access("written", e))
    }

    /// The entries of `keys`, in order, in one read.
    pub(crate) fn get_many(&self, keys: &[CacheKey]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let tx = self.db.begin_read().map_err(|e| self.access("read", e))?;
        let table = tx.open_table(ENTRIES).map_err(|e| self.access("read", e))?;
        keys.iter()
            .map(|k| table.get(&k.0).map(|v| v.map(|v| v.value().to_vec())).map_err(|e| self.access("read", e)))
            .collect()
    }

    /// Stores `entries` in one transaction; `durable` makes it survive a crash of the machine
    /// (a killed process keeps every committed transaction either way... once a durable one
    /// follows: redb keeps non-durable commits only until the next durable one).
    pub(crate) fn put_many<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a CacheKey, &'a [u8])>,
        durable: bool,
    ) -> Result<(), CacheError> {
        self.write(
            |tx| {
                let mut table = tx.open_table(ENTRIES).map_err(|e| e.to_string())?;
                for (k, v) in entries {
                    table.insert(&k.0, v).map_err(|e| e.to_string())?;
                }
                Ok(())
            },
            durable,
        )
    }

    /// How many entries, and the file's size.
    pub(crate) fn stats(&self) -> Result<Stats, CacheError> {
        let tx = self.db.begin_read().map_err(|e| self.access("read", e))?;
        let table = tx.open_table(ENTRIES).map_err(|e| self.access("read", e))?;
        let entries = table.len().map_err(|e| self.access("read", e))?;
        let bytes = std::fs::metadata(&self.path).map(|m| m.len()).map_err(|e| self.access("read", e))?;
        Ok(Stats { entries, bytes })
    }
}

/// Deletes the store in `dir` (a later run starts an empty one).
///
/// # Errors
/// The file exists and could not be removed.
pub fn clear(dir: &Path) -> Result<(), CacheError> {
    let path = dir.join(FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CacheError::Access { path, action: "cleared", reason: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("flowmap-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn key(i: u64) -> CacheKey {
        CacheKey::of("t", "1", "{}", &i).unwrap()
    }

    #[test]
    fn entries_are_kept_across_openings() {
        let d = dir("keep");
        {
            let store = Store::open(&d).unwrap();
            let keys: Vec<CacheKey> = (0..1000).map(key).collect();
            let values: Vec<Vec<u8>> = (0..1000u64).map(|i| i.to_le_bytes().to_vec()).collect();
            store.put_many(keys.iter().zip(values.iter().map(Vec::as_slice)), true).unwrap();
            assert_eq!(store.stats().unwrap().entries, 1000);
        }
        let store = Store::open(&d).unwrap();
        let got = store.get_many(&[key(3), key(999), key(1000)]).unwrap();
        assert_eq!(got, vec![Some(3u64.to_le_bytes().to_vec()), Some(999u64.to_le_bytes().to_vec()), None]);
        drop(store);
        clear(&d).unwrap();
        assert_eq!(Store::open(&d).unwrap().stats().unwrap().entries, 0);
    }

    #[test]
    fn a_corrupt_store_is_an_error_that_says_how_to_clear_it() {
        let d = dir("corrupt");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(FILE), b"this is not a redb file, but it is long enough to look like one".repeat(100))
            .unwrap();
        let e = Store::open(&d).unwrap_err();
        assert!(matches!(e, CacheError::Corrupt { .. }), "{e:?}");
        assert!(e.to_string().contains("clear it"), "{e}");
        clear(&d).unwrap();
        Store::open(&d).unwrap();
    }

    #[test]
    fn the_default_directory_is_the_variable_or_the_platforms_cache() {
        let dir = default_dir();
        match std::env::var_os("FLOWMAP_CACHE_DIR").filter(|v| !v.is_empty()) {
            Some(var) => assert_eq!(dir, Some(PathBuf::from(var))),
            None if std::env::var_os("HOME").is_some() => {
                assert!(dir.is_some_and(|d| d.ends_with("flowmap")
                    && d.parent().is_some_and(|p| p.ends_with(".cache")
                        || p.ends_with("Caches")
                        || std::env::var_os("XDG_CACHE_HOME").is_some())));
            }
            None => {}
        }
    }

    #[test]
    fn a_store_open_elsewhere_is_in_use() {
        let d = dir("in-use");
        let _first = Store::open(&d).unwrap();
        let e = Store::open(&d).unwrap_err();
        assert!(matches!(e, CacheError::InUse { .. }), "{e:?}");
    }
}
