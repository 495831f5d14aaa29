//! The durable cache of task outputs: keys (`key.rs`) and the store (`store.rs`).
//!
//! Work in progress (issue 12): the executor does not use the store yet; until it does, what only
//! it will call is allowed to be unused outside tests.

pub(crate) mod key;
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod store;
