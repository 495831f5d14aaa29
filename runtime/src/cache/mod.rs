//! The durable cache of task outputs: keys (`key.rs`).

pub(crate) mod key;
