//! The local executor: runs a [`crate::plan::Plan`] on the runtime's threads, admitting attempts
//! against its capacity and publishing events. It implements the plan's
//! [`crate::plan::Hooks`].

pub(crate) mod capacity;
pub(crate) mod context;
pub(crate) mod drivers;
pub(crate) mod graph;
