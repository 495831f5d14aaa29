//! Tests that read the crate's private protobuf types.

mod golden;
mod literals;
