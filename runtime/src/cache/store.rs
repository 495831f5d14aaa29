//! The cache's store: one append-only file (`cache.log`) in the cache directory, and an index
//! of it in memory, keyed by [`CacheKey`].
//!
//! The file is a header (a format tag, and an epoch that changes when the store is cleared), then
//! batches: `FMB1`, the entry count and body length (little-endian
//! `u32`s), the XXH3-64 of the body, then the body: per entry its 16-byte key, the value's length
//! (LEB128) and the value (a call's outputs in a compact serde encoding). A batch is one append,
//! so a process killed mid-write leaves at most a torn last batch, which the next open drops;
//! a bad batch anywhere else is corruption, reported, never silently recomputed. A later entry
//! of the same key wins.
//!
//! Several processes (and runtimes) may share a store. Each keeps an index in memory, and the
//! values up to `SMALL` bytes; larger values are read from the file when looked up. Before a
//! lookup (under a shared lock of the file) it reads what others appended since, batch by batch;
//! it appends under an exclusive lock, after catching up and dropping a batch torn by a process
//! that died mid-append. Nothing is held locked between lookups and appends.
//!
//! Why not redb, the recommended embedded store: a throwaway program on this project's machine
//! (2026-11-25; 10^6 random 128-bit keys, 1-byte values, release build) measured redb 3.1 at
//! 0.9–8.6 µs per insert (by batch size), ~1 µs per lookup and 67–269 bytes per entry, and
//! fjall 2 at 1.7 µs, 2.8 µs and 48 bytes, against a budget of 2 µs per element for a first run,
//! 1 µs for a cached rerun and 64 bytes per entry. The same program's prototype of this log
//! measured 21 ns per insert, 138 ns per lookup and 18 bytes per entry. The store's own figures
//! come from `bench_map`, with the executor.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::cache::key::CacheKey;

/// The file in the cache directory.
pub const FILE: &str = "cache.log";

/// The file's first bytes: its format.
const HEADER: &[u8; 16] = b"flowmap-cache-1\n";

/// The header, then the store's epoch: a number written when the store is made or cleared, by
/// which a process that has the file open sees that it was cleared.
const START: usize = HEADER.len() + 8;

/// A new store's first bytes: the header and a fresh epoch.
fn fresh_start() -> Vec<u8> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let epoch =
        xxhash_rust::xxh3::xxh3_64(&[nanos.to_le_bytes(), u128::from(std::process::id()).to_le_bytes()].concat());
    [HEADER.as_slice(), &epoch.to_le_bytes()].concat()
}

/// Why a file is not a store.
const NOT_A_STORE: &str = "not a flowmap cache file of this format";

/// A batch's first bytes.
const BATCH: &[u8; 4] = b"FMB1";

/// A batch's header: magic, count, body length, checksum.
const BATCH_HEADER: usize = 4 + 4 + 4 + 8;

/// Why the cache could not be used. A corrupt or unreadable store is never silently recomputed.
#[derive(Clone, Debug, thiserror::Error)]
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
    /// No cache directory is known: neither `$FLOWMAP_CACHE_DIR` nor a home directory.
    #[error(
        "no cache directory is known (FLOWMAP_CACHE_DIR is not set, and there is no home directory): set \
         FLOWMAP_CACHE_DIR, or give a cache directory (`--cache-dir`, or `Runtime::builder().cache_dir(..)`)"
    )]
    NoDir,
    /// The file is not a store this version can read.
    #[error(
        "the cache at {path} is corrupt or of another format ({reason}); to start afresh, clear it (your app's \
         `cache clear`, or `flowmap::cache::clear`) or delete that file"
    )]
    Corrupt {
        /// The store's file.
        path: PathBuf,
        /// What is wrong.
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
#[non_exhaustive]
pub struct Stats {
    /// Cached calls.
    pub entries: u64,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// Keys are hashes already: their first bytes index the map.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

/// Where an entry's value is: in memory (small values), or in the file (the rest).
#[derive(Clone, Copy, Debug)]
struct Loc {
    /// An offset in `Inner::small`, or in the file.
    at: u64,
    /// The value's length; [`IN_FILE`] set when the value is read from the file.
    len: u32,
}

/// `Loc::len`'s flag for a value read from the file.
const IN_FILE: u32 = 1 << 31;

/// Values up to this size are kept in memory; larger ones are read from the file when looked up,
/// so that a store of large outputs costs its index in memory, not its size.
const SMALL: usize = 128;

type Index = HashMap<[u8; 16], Loc, BuildHasherDefault<KeyHasher>>;

/// An open store.
pub(crate) struct Store {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Open for reading and appending.
    file: File,
    /// The header and epoch last read: a different epoch means the store was cleared.
    start: [u8; START],
    /// Where the complete batches indexed so far end in the file.
    end: u64,
    /// The small values, one after another.
    small: Vec<u8>,
    /// Where each key's value is.
    index: Index,
    /// A large value being read.
    buffer: Vec<u8>,
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

/// Appends `n` as LEB128.
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a LEB128 length at `*at`.
fn get_len(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut n: usize = 0;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        n |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// Why reading batches failed.
enum ScanError {
    Io(std::io::Error),
    Corrupt(String),
}

/// Reads the batches of `file` from offset `at` (a batch's start) up to `len`, one batch at a
/// time, giving each entry to `visit` (its key, where its value is in the file, the value);
/// returns where the complete batches end. A torn last batch (a crash mid-append, or another
/// process's append in progress) ends them; a bad batch before the last is corruption.
fn scan(file: &File, mut at: u64, len: u64, mut visit: impl FnMut([u8; 16], u64, &[u8])) -> Result<u64, ScanError> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    reader.seek(SeekFrom::Start(at)).map_err(ScanError::Io)?;
    let mut body = Vec::new();
    let header = BATCH_HEADER as u64;
    while len - at >= header {
        let mut head = [0u8; BATCH_HEADER];
        reader.read_exact(&mut head).map_err(ScanError::Io)?;
        if &head[..4] != BATCH {
            return Err(ScanError::Corrupt(format!("no batch at byte {at}")));
        }
        let count = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let body_len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        let sum = u64::from_le_bytes([head[12], head[13], head[14], head[15], head[16], head[17], head[18], head[19]]);
        let start = at + header;
        if len - start < u64::from(body_len) {
            break; // torn: its body was not all written
        }
        body.resize(body_len as usize, 0);
        reader.read_exact(&mut body).map_err(ScanError::Io)?;
        let last = start + u64::from(body_len) == len;
        if xxhash_rust::xxh3::xxh3_64(&body) != sum {
            // Only the last batch can be torn by a crash.
            if last {
                break;
            }
            return Err(ScanError::Corrupt(format!("the batch at byte {at} does not match its checksum")));
        }
        let corrupt = |what: &str| ScanError::Corrupt(format!("the batch at byte {at}: {what}"));
        let mut p = 0;
        for _ in 0..count {
            let key: [u8; 16] =
                body.get(p..p + 16).and_then(|k| k.try_into().ok()).ok_or_else(|| corrupt("it ends inside a key"))?;
            p += 16;
            let n = get_len(&body, &mut p).ok_or_else(|| corrupt("it ends inside a length"))?;
            let value = body.get(p..p + n).ok_or_else(|| corrupt("it ends inside a value"))?;
            visit(key, start + p as u64, value);
            p += n;
        }
        at = start + u64::from(body_len);
    }
    Ok(at)
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Store, CacheError> {
        let path = dir.join(FILE);
        let open_err = |reason: String| CacheError::Open { path: path.clone(), reason };
        std::fs::create_dir_all(dir).map_err(|e| open_err(format!("could not make {}: {e}", dir.display())))?;
        let mut file =
            OpenOptions::new().read(true).append(true).create(true).open(&path).map_err(|e| open_err(e.to_string()))?;
        // Locked while the start is written and a torn tail cut, so that two processes creating
        // or repairing the store do not both do it.
        file.lock().map_err(|e| open_err(e.to_string()))?;
        let opened = (|| {
            match file.metadata().map_err(|e| open_err(e.to_string()))?.len() {
                0 => file.write_all(&fresh_start()).map_err(|e| open_err(e.to_string()))?,
                // Under the lock, no clear is half done: a file this short is not a store.
                len if len < START as u64 => {
                    let reason = NOT_A_STORE.to_owned();
                    return Err(CacheError::Corrupt { path: path.clone(), reason });
                }
                _ => {}
            }
            let mut inner = Inner {
                file,
                start: [0; START],
                end: 0,
                small: Vec::new(),
                index: Index::default(),
                buffer: Vec::new(),
            };
            let good = inner.catch_up().map_err(|e| catch_up_error(&path, e))?;
            inner.drop_torn(good).map_err(|e| open_err(e.to_string()))?;
            Ok(inner)
        })();
        match opened {
            Ok(inner) => {
                inner.file.unlock().map_err(|e| open_err(e.to_string()))?;
                Ok(Store { path, inner: Mutex::new(inner) })
            }
            // The file is closed, and with it its lock.
            Err(e) => Err(e),
        }
    }

    /// The store's file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, action: &'static str) -> impl Fn(String) -> CacheError + '_ {
        move |reason| CacheError::Access { path: self.path.clone(), action, reason }
    }

    /// The entries of `keys`, after reading what other processes appended; `f` gets each found
    /// key's position in `keys` and its value. Under a shared lock of the file, so that no clear
    /// or append runs meanwhile.
    pub(crate) fn get_many(&self, keys: &[CacheKey], mut f: impl FnMut(usize, &[u8])) -> Result<(), CacheError> {
        let read = self.error("read");
        let mut guard = self.inner();
        let inner = &mut *guard;
        inner.file.lock_shared().map_err(|e| read(e.to_string()))?;
        let looked = (|| {
            inner.catch_up().map_err(|e| catch_up_error(&self.path, e))?;
            for (i, k) in keys.iter().enumerate() {
                let Some(&loc) = inner.index.get(&k.0) else { continue };
                if loc.len & IN_FILE == 0 {
                    let at = loc.at as usize;
                    f(i, &inner.small[at..at + loc.len as usize]);
                } else {
                    inner.buffer.resize((loc.len & !IN_FILE) as usize, 0);
                    inner.file.seek(SeekFrom::Start(loc.at)).map_err(|e| read(e.to_string()))?;
                    inner.file.read_exact(&mut inner.buffer).map_err(|e| read(e.to_string()))?;
                    f(i, &inner.buffer);
                }
            }
            Ok(())
        })();
        let unlocked = inner.file.unlock().map_err(|e| read(e.to_string()));
        looked.and(unlocked)
    }

    /// Stores `entries` as one batch: one append, under the file's lock. Not synced to disk: a
    /// process that dies keeps what it wrote; a machine that dies may lose its last batches,
    /// which are then recomputed.
    pub(crate) fn put_many<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a CacheKey, &'a [u8])>,
    ) -> Result<(), CacheError> {
        let mut body = Vec::new();
        let mut count: u32 = 0;
        let mut at_values = Vec::new();
        for (k, v) in entries {
            body.extend_from_slice(&k.0);
            put_len(&mut body, v.len());
            at_values.push((k.0, body.len(), v.len()));
            body.extend_from_slice(v);
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        let written = self.error("written");
        let len = u32::try_from(body.len()).map_err(|_| written("a batch over 4 GiB".into()))?;
        let mut batch = Vec::with_capacity(BATCH_HEADER + body.len());
        batch.extend_from_slice(BATCH);
        batch.extend_from_slice(&count.to_le_bytes());
        batch.extend_from_slice(&len.to_le_bytes());
        batch.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&body).to_le_bytes());
        batch.extend_from_slice(&body);
        let mut inner = self.inner();
        inner.file.lock().map_err(|e| written(e.to_string()))?;
        let appended = (|| {
            let good = inner.catch_up().map_err(|e| catch_up_error(&self.path, e))?;
            if good < START as u64 {
                return Err(written("its file was cut short by something other than flowmap".into()));
            }
            inner.drop_torn(good).map_err(|e| written(e.to_string()))?;
            inner.file.write_all(&batch).map_err(|e| written(e.to_string()))?;
            Ok(good)
        })();
        let unlocked = inner.file.unlock().map_err(|e| written(e.to_string()));
        let good = appended.and_then(|good| unlocked.map(|()| good))?;
        // The batch starts where the good batches ended.
        let start = good + BATCH_HEADER as u64;
        let Inner { small, index, .. } = &mut *inner;
        for (key, at, n) in at_values {
            index.insert(key, place(small, start + at as u64, &body[at..at + n]));
        }
        inner.end = start + body.len() as u64;
        Ok(())
    }

    /// How many entries, and the file's size.
    #[cfg(test)]
    pub(crate) fn stats(&self) -> Result<Stats, CacheError> {
        let mut inner = self.inner();
        inner.catch_up().map_err(|e| catch_up_error(&self.path, e))?;
        Ok(Stats { entries: inner.index.len() as u64, bytes: inner.end })
    }
}

fn catch_up_error(path: &Path, e: ScanError) -> CacheError {
    match e {
        ScanError::Io(e) => CacheError::Access { path: path.to_owned(), action: "read", reason: e.to_string() },
        ScanError::Corrupt(reason) => CacheError::Corrupt { path: path.to_owned(), reason },
    }
}

/// Where a value at `at` in the file is kept: copied into `small` if it is small.
fn place(small: &mut Vec<u8>, at: u64, value: &[u8]) -> Loc {
    if value.len() <= SMALL {
        let loc = Loc { at: small.len() as u64, len: value.len() as u32 };
        small.extend_from_slice(value);
        loc
    } else {
        // A batch is under 4 GiB, so a value's length fits in 31 bits.
        Loc { at, len: (value.len() as u32) | IN_FILE }
    }
}

impl Inner {
    /// Indexes the complete batches appended since this process last looked; returns where the
    /// file's complete batches end.
    fn catch_up(&mut self) -> Result<u64, ScanError> {
        let len = self.file.metadata().map_err(ScanError::Io)?.len();
        let mut start = [0u8; START];
        self.file.seek(SeekFrom::Start(0)).map_err(ScanError::Io)?;
        if len < START as u64 || self.file.read_exact(&mut start).is_err() {
            // Being cleared right now (cut back, its new start not yet written): nothing to read.
            self.reset([0; START]);
            return Ok(0);
        }
        if !start.starts_with(HEADER) {
            return Err(ScanError::Corrupt(NOT_A_STORE.to_owned()));
        }
        if start != self.start || len < self.end {
            // Cleared (a new epoch) since this process last read it, or first read: start over.
            self.reset(start);
        }
        if len == self.end {
            return Ok(len);
        }
        let Inner { file, small, index, .. } = self;
        let good = scan(file, self.end, len, |key, at, value| {
            index.insert(key, place(small, at, value));
        })?;
        // A torn tail stays in the file for `drop_torn` (under the lock) to cut.
        self.end = good;
        Ok(good)
    }

    fn reset(&mut self, start: [u8; START]) {
        self.start = start;
        self.end = START as u64;
        self.small.clear();
        self.index.clear();
    }

    /// Cuts the file back to `good` if a torn batch follows it. Only under the file's lock: an
    /// append in progress elsewhere also looks torn.
    fn drop_torn(&mut self, good: u64) -> std::io::Result<()> {
        if good >= START as u64 && self.file.metadata()?.len() > good {
            self.file.set_len(good)?;
        }
        Ok(())
    }
}

/// Empties the store in `dir`; whether there was one. The file is cut back to its header under
/// its lock, not deleted, so that processes using it at the time see the store emptied (and go on
/// storing into it) rather than writing into a deleted file.
///
/// # Errors
/// The file exists and could not be emptied.
pub fn clear(dir: &Path) -> Result<bool, CacheError> {
    let path = dir.join(FILE);
    let cleared =
        |e: std::io::Error| CacheError::Access { path: path.clone(), action: "cleared", reason: e.to_string() };
    let file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(cleared(e)),
    };
    file.lock().map_err(cleared)?;
    let result = (|| {
        file.set_len(0)?;
        (&file).write_all(&fresh_start())
    })();
    let unlocked = file.unlock();
    result.and(unlocked).map_err(cleared)?;
    Ok(true)
}

/// The size of the store in `dir`, read without creating or repairing anything (under a shared
/// lock); `None` if there is none.
pub(crate) fn stats(dir: &Path) -> Result<Option<Stats>, CacheError> {
    let path = dir.join(FILE);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CacheError::Open { path, reason: e.to_string() }),
    };
    let open_err = |e: std::io::Error| CacheError::Open { path: path.clone(), reason: e.to_string() };
    // Shared: no clear or append is half done while it is read.
    file.lock_shared().map_err(open_err)?;
    let len = file.metadata().map_err(open_err)?.len();
    if len == 0 {
        // Made, and not yet started: a run opens it as an empty store.
        return Ok(Some(Stats { entries: 0, bytes: 0 }));
    }
    let mut start = [0u8; START];
    if len < START as u64 || file.read_exact(&mut start).is_err() || !start.starts_with(HEADER) {
        return Err(CacheError::Corrupt { path, reason: NOT_A_STORE.to_owned() });
    }
    let mut keys = std::collections::HashSet::<[u8; 16], BuildHasherDefault<KeyHasher>>::default();
    scan(&file, START as u64, len, |key, _, _| {
        keys.insert(key);
    })
    .map_err(|e| catch_up_error(&path, e))?;
    Ok(Some(Stats { entries: keys.len() as u64, bytes: len }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory removed when the test ends.
    struct TempDir(PathBuf);

    impl std::ops::Deref for TempDir {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl AsRef<Path> for TempDir {
        fn as_ref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("flowmap-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        TempDir(d)
    }

    fn key(i: u64) -> CacheKey {
        CacheKey(xxhash_rust::xxh3::xxh3_128(&i.to_le_bytes()).to_le_bytes())
    }

    /// The values of `keys`, in order.
    fn get(store: &Store, keys: &[CacheKey]) -> Vec<Option<Vec<u8>>> {
        let mut out = vec![None; keys.len()];
        store.get_many(keys, |i, v| out[i] = Some(v.to_vec())).unwrap();
        out
    }

    #[test]
    fn entries_are_kept_across_openings() {
        let d = dir("keep");
        {
            let store = Store::open(&d).unwrap();
            let keys: Vec<CacheKey> = (0..1000).map(key).collect();
            let values: Vec<Vec<u8>> = (0..1000u64).map(|i| i.to_le_bytes().to_vec()).collect();
            store.put_many(keys.iter().zip(values.iter().map(Vec::as_slice))).unwrap();
            assert_eq!(store.stats().unwrap().entries, 1000);
        }
        let store = Store::open(&d).unwrap();
        let got = get(&store, &[key(3), key(999), key(1000)]);
        assert_eq!(got, vec![Some(3u64.to_le_bytes().to_vec()), Some(999u64.to_le_bytes().to_vec()), None]);
        drop(store);
        clear(&d).unwrap();
        assert_eq!(Store::open(&d).unwrap().stats().unwrap().entries, 0);
    }

    #[test]
    fn a_corrupt_store_is_an_error_that_says_how_to_clear_it() {
        let d = dir("corrupt");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(FILE), b"this is not a cache file, but it is long enough to look like one".repeat(100))
            .unwrap();
        let e = Store::open(&d).unwrap_err();
        assert!(matches!(e, CacheError::Corrupt { .. }), "{e:?}");
        assert!(e.to_string().contains("clear it"), "{e}");
        clear(&d).unwrap();
        Store::open(&d).unwrap();
    }

    #[test]
    fn a_torn_last_batch_is_dropped_and_a_bad_earlier_one_is_corruption() {
        let d = dir("torn");
        {
            let store = Store::open(&d).unwrap();
            for i in 0..3u64 {
                store.put_many([(&key(i), i.to_le_bytes().as_slice())]).unwrap();
            }
        }
        let path = d.join(FILE);
        let whole = std::fs::read(&path).unwrap();
        // A crash in the middle of the last append.
        std::fs::write(&path, &whole[..whole.len() - 5]).unwrap();
        let store = Store::open(&d).unwrap();
        assert_eq!(store.stats().unwrap().entries, 2);
        assert_eq!(get(&store, &[key(1), key(2)]), vec![Some(1u64.to_le_bytes().to_vec()), None]);
        // The next append starts where the good batches end.
        store.put_many([(&key(2), b"two".as_slice())]).unwrap();
        drop(store);
        let store = Store::open(&d).unwrap();
        assert_eq!(get(&store, &[key(2)]), vec![Some(b"two".to_vec())]);
        drop(store);
        // A flipped byte inside the first batch, with good batches after it.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[START + BATCH_HEADER + 3] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let e = Store::open(&d).unwrap_err();
        assert!(matches!(&e, CacheError::Corrupt { reason, .. } if reason.contains("checksum")), "{e:?}");
    }

    #[test]
    fn large_values_are_read_from_the_file_and_small_ones_kept_in_memory() {
        let d = dir("large");
        let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let store = Store::open(&d).unwrap();
        store.put_many([(&key(1), big.as_slice()), (&key(2), b"small".as_slice())]).unwrap();
        assert_eq!(get(&store, &[key(1), key(2)]), vec![Some(big.clone()), Some(b"small".to_vec())]);
        assert_eq!(store.inner().small.len(), 5, "only the small value is in memory");
        drop(store);
        // Another opening reads the same, from the file.
        let store = Store::open(&d).unwrap();
        assert_eq!(get(&store, &[key(2), key(1)]), vec![Some(b"small".to_vec()), Some(big)]);
        assert_eq!(store.inner().small.len(), 5);
    }

    #[test]
    fn a_later_entry_of_a_key_wins() {
        let d = dir("wins");
        let store = Store::open(&d).unwrap();
        store.put_many([(&key(7), b"old".as_slice())]).unwrap();
        store.put_many([(&key(7), b"new".as_slice())]).unwrap();
        assert_eq!(get(&store, &[key(7)]), vec![Some(b"new".to_vec())]);
        drop(store);
        let store = Store::open(&d).unwrap();
        assert_eq!(get(&store, &[key(7)]), vec![Some(b"new".to_vec())]);
        assert_eq!(store.stats().unwrap().entries, 1);
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
    fn clearing_a_store_in_use_empties_it_for_every_user() {
        let d = dir("clear-in-use");
        let (a, b) = (Store::open(&d).unwrap(), Store::open(&d).unwrap());
        a.put_many([(&key(1), b"old".as_slice())]).unwrap();
        assert!(clear(&d).unwrap());
        // Both see it empty, and what they store next is in the same file.
        assert_eq!(get(&a, &[key(1)]), vec![None]);
        assert_eq!(get(&b, &[key(1)]), vec![None]);
        b.put_many([(&key(2), b"new".as_slice())]).unwrap();
        assert_eq!(get(&a, &[key(1), key(2)]), vec![None, Some(b"new".to_vec())]);
        assert_eq!(
            stats(&d).unwrap(),
            Some(Stats { entries: 1, bytes: std::fs::metadata(d.join(FILE)).unwrap().len() })
        );
        // Nothing to clear, and stats of nothing, create nothing.
        let none = dir("clear-nothing");
        assert!(!clear(&none).unwrap());
        assert_eq!(stats(&none).unwrap(), None);
        assert!(!none.exists());
    }

    #[test]
    fn two_openings_share_the_store_and_see_each_others_entries() {
        // As two processes do: each has its own file handle, index and lock.
        let d = dir("shared");
        let (a, b) = (Store::open(&d).unwrap(), Store::open(&d).unwrap());
        a.put_many([(&key(1), b"from a".as_slice())]).unwrap();
        b.put_many([(&key(2), b"from b".as_slice())]).unwrap();
        assert_eq!(get(&a, &[key(2)]), vec![Some(b"from b".to_vec())]);
        assert_eq!(get(&b, &[key(1)]), vec![Some(b"from a".to_vec())]);
        // An append torn by a process that died: the next writer cuts it before appending.
        let path = d.join(FILE);
        let good = std::fs::metadata(&path).unwrap().len();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"FMB1\x05\0\0\0partial").unwrap();
        assert_eq!(get(&a, &[key(1), key(2)]).iter().flatten().count(), 2, "the torn tail is not read");
        b.put_many([(&key(3), b"after".as_slice())]).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > good);
        drop((a, b));
        let c = Store::open(&d).unwrap();
        assert_eq!(c.stats().unwrap().entries, 3);
        assert_eq!(get(&c, &[key(3)]), vec![Some(b"after".to_vec())]);
    }

    mod hostile {
        use std::collections::HashMap;

        use proptest::prelude::*;

        use super::*;

        /// A damage to a store's file: a flipped, removed or inserted byte, or a cut.
        #[derive(Clone, Debug)]
        enum Damage {
            Flip(usize, u8),
            Remove(usize),
            Insert(usize, u8),
            Cut(usize),
        }

        fn damage() -> impl Strategy<Value = Damage> {
            prop_oneof![
                (any::<usize>(), 1..=255u8).prop_map(|(at, x)| Damage::Flip(at, x)),
                any::<usize>().prop_map(Damage::Remove),
                (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Damage::Insert(at, b)),
                any::<usize>().prop_map(Damage::Cut),
            ]
        }

        fn config() -> ProptestConfig {
            let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
            ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
        }

        proptest! {
            #![proptest_config(config())]

            /// A damaged store opens, or says it is corrupt; it never panics, and it never
            /// returns a value that was not stored under that key (each batch is checksummed).
            #[test]
            fn a_damaged_store_never_panics_nor_returns_a_wrong_value(
                batches in proptest::collection::vec(
                    proptest::collection::vec((0..64u64, proptest::collection::vec(any::<u8>(), 0..300)), 1..6),
                    1..5,
                ),
                damages in proptest::collection::vec(damage(), 1..4),
            ) {
                let d = dir(&format!("hostile-{:016x}", xxhash_rust::xxh3::xxh3_64(format!("{batches:?}{damages:?}").as_bytes())));
                // Every value stored under each key: a dropped last batch leaves an earlier one.
                let mut stored: HashMap<[u8; 16], Vec<Vec<u8>>> = HashMap::new();
                {
                    let store = Store::open(&d).unwrap();
                    for batch in &batches {
                        let entries: Vec<(CacheKey, Vec<u8>)> = batch.iter().map(|(k, v)| (key(*k), v.clone())).collect();
                        store.put_many(entries.iter().map(|(k, v)| (k, v.as_slice()))).unwrap();
                        for (k, v) in entries {
                            stored.entry(k.0).or_default().push(v);
                        }
                    }
                }
                let path = d.join(FILE);
                let mut bytes = std::fs::read(&path).unwrap();
                for damage in &damages {
                    let n = bytes.len();
                    match *damage {
                        Damage::Flip(at, x) if n > 0 => bytes[at % n] ^= x,
                        Damage::Remove(at) if n > 0 => {
                            bytes.remove(at % n);
                        }
                        Damage::Insert(at, b) => bytes.insert(at % (n + 1), b),
                        Damage::Cut(at) => bytes.truncate(at % (n + 1)),
                        _ => {}
                    }
                }
                std::fs::write(&path, &bytes).unwrap();
                let read_only = stats(&d);
                if let Ok(store) = Store::open(&d) {
                    let keys: Vec<CacheKey> = (0..64).map(key).collect();
                    let mut wrong = Vec::new();
                    store
                        .get_many(&keys, |i, v| {
                            if !stored.get(&keys[i].0).is_some_and(|all| all.iter().any(|s| s == v)) {
                                wrong.push(i);
                            }
                        })
                        .unwrap();
                    prop_assert!(wrong.is_empty(), "keys {:?} read back values never stored under them", wrong);
                    // And it takes new entries.
                    store.put_many([(&key(99), b"after".as_slice())]).unwrap();
                    prop_assert_eq!(get(&store, &[key(99)]), vec![Some(b"after".to_vec())]);
                } else {
                    // What does not open is corrupt for `stats` too.
                    prop_assert!(read_only.is_err(), "{:?}", read_only);
                }
            }
        }
    }
}
