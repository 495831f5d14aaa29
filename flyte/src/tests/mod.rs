//! Tests that read the crate's private protobuf types.

mod execute;
mod golden;
mod hostile;
mod literals;
mod registry;
mod roundtrip;
mod twins;
