//! Tests that read the crate's private protobuf types.

mod branch;
mod dynamic;
mod dynamic_map;
mod execute;
mod golden;
mod hostile;
mod inner;
mod literals;
mod registry;
mod roundtrip;
mod twins;
