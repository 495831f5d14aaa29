//! Tests that read the crate's private protobuf types.

mod execute;
mod golden;
mod literals;
mod roundtrip;
mod twins;
