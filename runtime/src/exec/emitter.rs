//! Publishing run events, only while someone listens.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::events::{Event, EventKind};

/// Publishes events of one node (or one run) when someone listens.
#[derive(Clone, Debug)]
pub(crate) struct Emitter {
    pub(crate) sender: broadcast::Sender<Event>,
    pub(crate) run: u64,
    pub(crate) workflow: Arc<str>,
    pub(crate) node: Option<Arc<str>>,
}

impl Emitter {
    /// Whether anyone listens; check before building an expensive event.
    pub(crate) fn active(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Publishes `kind` if anyone listens.
    pub(crate) fn emit(&self, kind: impl FnOnce() -> EventKind) {
        if self.active() {
            // `send` fails only when every receiver is gone: then nobody missed anything.
            let _ = self.sender.send(Event {
                run: self.run,
                workflow: self.workflow.clone(),
                node: self.node.clone(),
                kind: kind(),
            });
        }
    }

    /// The emitter for node `node` of the same run and workflow.
    pub(crate) fn for_node(&self, node: &str) -> Emitter {
        Emitter { node: Some(node.into()), ..self.clone() }
    }
}
