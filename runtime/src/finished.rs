//! [`Finished`]: what a run that succeeded returns besides its outputs.

use crate::error::ToleratedFailure;

/// A run that succeeded: its outputs, and every element its tolerant maps lost on the way.
///
/// A map with `min_success_ratio` or `min_successes` succeeds with `None` where an element
/// failed for good; [`Finished::failures`] says which element, of which node, after how many
/// attempts and why. A run made [`reported`](crate::Run::reported) returns it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished<O> {
    /// The workflow's outputs, as [`Runtime::run`](crate::Runtime::run) returns them.
    pub outputs: O,
    /// Every element that failed for good in a map that tolerated it (sub-workflows'
    /// included), in the order their maps ended; empty when none did.
    pub failures: Vec<ToleratedFailure>,
}

impl<O> Finished<O> {
    /// The outputs of `self`, with its failures applied to `f`'s result unchanged.
    pub(crate) fn map<T>(self, f: impl FnOnce(O) -> T) -> Finished<T> {
        Finished { outputs: f(self.outputs), failures: self.failures }
    }
}
