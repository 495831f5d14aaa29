//! The durable cache of the outputs of tasks with `cache = true`: where it lives
//! ([`default_dir`]), its size ([`stats`]), and emptying it ([`clear`]). How a run uses it is in
//! the README's "Caching and resuming"; below are the key's definition and the store's format.
//!
//! # The key
//!
//! A call's outputs are stored under a key: the 128-bit XXH3 hash of 16 bytes of identity
//! followed by one entry per input, in parameter order:
//!
//! - the identity is the XXH3-128 of the bytes `flowmap-cache-v1`, then the task's name, its
//!   `cache_version` and the XXH3-128 (32 hex digits) of its typed interface as the graph JSON
//!   writes it, each as an encoded string (below);
//! - an input's entry is the byte `1` and the XXH3-128 of the input value's canonical encoding,
//!   or the byte `0` alone for an input in `cache_ignore_inputs`.
//!
//! Hashes are written little-endian. Hashing each input on its own lets a map hash a `partial`
//! input once, not once per element.
//!
//! The canonical encoding is a byte form of a value's serde data model, the same for values that
//! serialize to the same JSON whatever the order a map iterates in:
//!
//! | value | bytes |
//! |---|---|
//! | null, `()`, `None`, unit structs | `0` |
//! | `false` / `true` | `1` / `2` |
//! | an integer | `3`, then the value as a little-endian `i128`; above `i128::MAX`, `8` and a `u128` |
//! | a float (`f32` widened) | `4`, then the `f64`'s bits, little-endian (every NaN as one) |
//! | a string, `char` | `5`, the length in bytes as a little-endian `u64`, the UTF-8 bytes |
//! | a sequence, tuple, bytes | `6`, the length as a `u64`, each item |
//! | a map, struct, struct variant's fields | `7`, the length as a `u64`, then the entries sorted by their encoded key, each its key then its value |
//!
//! `Some(v)` and newtype structs are `v`; a unit variant is its name as a string; a newtype,
//! tuple or struct variant is a one-entry map from its name to its content. Struct fields are
//! keyed by name, so a field skipped by `skip_serializing_if` is simply absent.
//!
//! The key is stable across processes, builds and machines of the same flowmap version, with one
//! exception: the interface of a type flowmap cannot describe (an opaque type) is written with
//! `std::any::type_name`, which a new compiler may spell differently.
//!
//! # The store
//!
//! One file, `cache.log`: a 16-byte format tag and an 8-byte epoch (new when the store is
//! cleared), then batches, each `FMB1`, the entry count and body length (little-endian `u32`s),
//! the XXH3-64 of the body, and the body: per entry its 16-byte key, the value's length (LEB128)
//! and the value, the call's outputs as MessagePack with struct fields by name.

// Files: `key` (keys), `store` (the file), `reserve` (in-flight calls of `cache_serialize`
// tasks), `node` (one node's use of them in a run). The typed lookups and stores of a node's
// elements are in `plan::cached`.

pub(crate) mod inputs;
pub(crate) mod key;
pub(crate) mod node;
pub(crate) mod reserve;
pub(crate) mod store;

use std::path::Path;

pub use crate::cache::key::KeyError;
pub use crate::cache::store::{CacheError, FILE, Stats, clear, default_dir};

/// The entries in the store in `dir`, and its size; `None` if there is no store there. Reads
/// only: creates and repairs nothing.
///
/// # Errors
/// The store cannot be read, or is corrupt.
pub fn stats(dir: &Path) -> Result<Option<Stats>, CacheError> {
    store::stats(dir)
}
