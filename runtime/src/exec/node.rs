//! The typed executors behind each node: a plain call, and a map.

use std::marker::PhantomData;

use flowmap_spec::ratio::Ratio;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::error::{Cause, MapFailure, NodeError};
use crate::events::{Emitter, EventKind};
use crate::exec::attempt::run_element;
use crate::graph::EffectiveSettings;
use crate::runtime::RunContext;
use crate::target::Target;
use crate::value::{OutputTuple, Slots, Value};

/// Runs one node given its input values.
pub(crate) trait NodeExec: Send + Sync {
    fn run<'a>(
        &'a self,
        cx: &'a RunContext,
        events: &'a Emitter,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>>;
}

/// How many elements of a map must succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SuccessRule {
    /// Every element.
    All,
    /// `ceil(ratio × n)`, exactly.
    Ratio(Ratio),
    /// `min_successes`.
    AtLeast(usize),
}

impl SuccessRule {
    fn required(self, n: usize) -> Result<usize, NodeError> {
        match self {
            SuccessRule::All => Ok(n),
            SuccessRule::Ratio(r) => Ok(r.required(n)),
            SuccessRule::AtLeast(k) if k > n => Err(NodeError::TooFewElements { required: k, len: n }),
            SuccessRule::AtLeast(k) => Ok(k),
        }
    }
}

/// One call of a task or workflow.
pub(crate) struct CallExec<T, S> {
    pub(crate) target: T,
    /// `task name`, for events.
    pub(crate) display: std::sync::Arc<str>,
    pub(crate) settings: EffectiveSettings,
    pub(crate) names: &'static [&'static str],
    pub(crate) _slots: PhantomData<fn() -> S>,
}

impl<T: Target, S: Slots<Input = T::Input>> NodeExec for CallExec<T, S> {
    fn run<'a>(
        &'a self,
        cx: &'a RunContext,
        events: &'a Emitter,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>> {
        Box::pin(async move {
            let columns = S::columns(inputs, self.names)?;
            let request = cx.capacity().request(&self.settings.requests)?;
            events.emit(|| EventKind::NodeStarted { target: self.display.clone(), elements: None });
            match run_element(self.target, cx, events, &self.settings, &request, None, || S::element(&columns, 0)).await
            {
                Ok(out) => Ok(out.into_values()),
                Err(failure) => match failure.cause {
                    Cause::Workflow(inner) => Err(NodeError::Workflow(inner)),
                    _ => Err(NodeError::Failed(failure)),
                },
            }
        })
    }
}

/// A map of a task or workflow over one or more zipped lists.
pub(crate) struct MapExec<T, S> {
    pub(crate) target: T,
    /// `map of task name`, for events.
    pub(crate) display: std::sync::Arc<str>,
    pub(crate) settings: EffectiveSettings,
    pub(crate) names: &'static [&'static str],
    /// At most this many elements at once (`usize::MAX`: unbounded).
    pub(crate) window: usize,
    /// Whether each element occupies a thread (sync tasks).
    pub(crate) blocking: bool,
    pub(crate) rule: SuccessRule,
    pub(crate) tolerant: bool,
    pub(crate) _slots: PhantomData<fn() -> S>,
}

impl<T: Target, S: Slots<Input = T::Input>> MapExec<T, S> {
    /// The common length of the mapped lists, or the error naming each and its length.
    fn length(&self, columns: &S::Columns) -> Result<usize, NodeError> {
        let mapped: Vec<(String, usize)> = S::lens(columns)
            .into_iter()
            .zip(self.names)
            .filter_map(|(len, name)| Some(((*name).to_owned(), len?)))
            .collect();
        match mapped.first() {
            None => Err(NodeError::InputCount),
            Some((_, n)) if mapped.iter().all(|(_, l)| l == n) => Ok(*n),
            Some(_) => Err(NodeError::UnequalLengths { inputs: mapped }),
        }
    }

    async fn run_map(&self, cx: &RunContext, events: &Emitter, inputs: Vec<Value>) -> Result<Vec<Value>, NodeError> {
        let columns = S::columns(inputs, self.names)?;
        let n = self.length(&columns)?;
        let required = self.rule.required(n)?;
        let request = cx.capacity().request(&self.settings.requests)?;
        events.emit(|| EventKind::NodeStarted { target: self.display.clone(), elements: Some(n) });
        // A sync element holds a thread for its whole run: never more of them than the runtime's CPUs.
        let window = if self.blocking { self.window.min(cx.blocking_threads()) } else { self.window }.max(1);

        let mut outputs = T::Output::columns(n);
        let (mut succeeded, mut failed) = (0usize, 0usize);
        let mut errors = Vec::new();
        let mut in_flight = FuturesUnordered::new();
        let mut next = 0usize;
        let (columns, settings, request) = (&columns, &self.settings, &request);
        loop {
            while next < n && in_flight.len() < window {
                let i = next;
                next += 1;
                in_flight.push(async move {
                    (
                        i,
                        run_element(self.target, cx, events, settings, request, Some(i), || S::element(columns, i))
                            .await,
                    )
                });
            }
            let Some((i, result)) = in_flight.next().await else { break };
            match result {
                Ok(out) => {
                    T::Output::store(&mut outputs, i, out);
                    succeeded += 1;
                }
                Err(failure) => {
                    failed += 1;
                    if errors.len() < MapFailure::KEPT_ERRORS {
                        errors.push(failure);
                    }
                }
            }
            if n - failed < required {
                // Success is out of reach: cancel what runs, start nothing more.
                drop(in_flight);
                return Err(NodeError::MapFailed(MapFailure {
                    total: n,
                    succeeded,
                    failed,
                    required,
                    not_run: n - succeeded - failed,
                    errors,
                    partial: T::Output::option_lists(outputs),
                }));
            }
        }
        if self.tolerant {
            Ok(T::Output::option_lists(outputs))
        } else {
            T::Output::lists(outputs).ok_or(NodeError::InputCount)
        }
    }
}

impl<T: Target, S: Slots<Input = T::Input>> NodeExec for MapExec<T, S> {
    fn run<'a>(
        &'a self,
        cx: &'a RunContext,
        events: &'a Emitter,
        inputs: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, NodeError>> {
        Box::pin(self.run_map(cx, events, inputs))
    }
}
