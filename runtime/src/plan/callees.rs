//! What a `#[dynamic]` may call, known without running its body: each task and workflow named
//! by a call in the body, declared once. A Flyte pod that runs a task only a dynamic calls finds
//! it here ([`super::call::one_call`]), since no compiled workflow has a node of it.
//!
//! The macro lists every call of the body in `Dynamic::callees`, as
//! `(&Callee(path {})).declare(d)`: a target whose types are data is declared
//! ([`DeclareTarget`]); anything else declares nothing ([`DeclareNothing`], found one autoref
//! later), whether a plain function (whose path names [`NotATaskOrWorkflow`] there, as in
//! [`super::dyn_call::DynCall`]) or a target the body's own call already reports.
//!
//! [`NotATaskOrWorkflow`]: crate::__private::fallback::NotATaskOrWorkflow

use flowmap_model::Settings;
use flowmap_model::graph::SuccessRule;

use crate::plan::builder::MapSpec;
use crate::plan::dynamic::DynamicBuilder;
use crate::plan::target::Runnable;
use crate::tuple::{InputTuple, Slots};

/// A callee of a dynamic body, as the body names it.
#[doc(hidden)]
#[derive(Debug)]
pub struct Callee<T>(pub T);

/// A target whose types are data: declared without values, by a call of it and a map of it
/// over every input, so that a pod finds both its plain template and its map template's
/// element.
#[doc(hidden)]
pub trait DeclareTarget {
    /// Adds the declaration to `d`.
    fn declare(&self, d: &DynamicBuilder);
}

impl<T> DeclareTarget for Callee<T>
where
    T: Runnable<Input: InputTuple<Promises: Slots<Input = T::Input>>>,
{
    fn declare(&self, d: &DynamicBuilder) {
        d.with(|b| {
            // Inputs are read from positions of a workflow that is never run: the one-call
            // plans made from these nodes read their own inputs.
            b.call(self.0, T::Input::input_promises(), Settings::default(), Vec::new());
            let spec = MapSpec { concurrency: None, rule: SuccessRule::All, dynamic: false };
            b.map(self.0, T::Input::mapped_slots(), spec, Settings::default(), Vec::new());
        });
    }
}

/// Anything else: nothing to declare.
#[doc(hidden)]
pub trait DeclareNothing {
    /// Declares nothing.
    fn declare(&self, d: &DynamicBuilder);
}

impl<T> DeclareNothing for &Callee<T> {
    fn declare(&self, _: &DynamicBuilder) {}
}
