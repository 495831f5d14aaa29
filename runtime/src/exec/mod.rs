//! The local executor: runs a [`crate::plan::Plan`] on the runtime's threads, admitting attempts
//! against its capacity and publishing events. It implements the plan's
//! [`crate::plan::Hooks`].
//!
//! Files, each using only those above it: `capacity` (admission), `emitter` (events), `drivers`
//! (the threads that poll runs), `context` (what a run shares), `hooks` (the executor's services
//! to a running node), `node` (running one node), `scheduler` (running a plan, node by node).

pub(crate) mod capacity;
pub(crate) mod context;
pub(crate) mod drivers;
pub(crate) mod hooks;
pub(crate) mod node;
pub(crate) mod scheduler;
