//! The calls of a `#[dynamic]` body, as the macro rewrites them: `f(a, b)` into
//! [`DynCall::dyn_call`], and `f(a, b).with_overrides(..).after(..)` into [`DynNode::dyn_node`].
//! Of a task or workflow, each adds a node to the body's [`DynamicBuilder`]; of a plain function,
//! `dyn_call` calls it, and `dyn_node` is a compile error (its target goes through
//! [`with_settings`]). Real values given
//! to a call become constants of the graph ([`Lift`]).

use flowmap_model::Settings;

use crate::__private::fallback::NotATaskOrWorkflow;
use crate::arities::paired_input_arities;
use crate::data::Data;
use crate::plan::builder::GraphBuilder;
use crate::plan::dynamic::DynamicBuilder;
use crate::plan::target::{Runnable, Target};
use crate::promise::{Done, Promise};
use crate::tuple::OutputTuple;
use crate::value::Source;

/// A value given to an input of type `T` in a dynamic body: a promise of it, or the value
/// itself (a constant of the graph).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this input expects `{T}`, but the value given is a `{Self}`",
    label = "expected a `{T}`, or the result of an earlier call giving one",
    note = "in a `#[dynamic]` body, an input takes a value of its type or the result of an earlier call"
)]
pub trait Lift<T> {
    /// The promise of the value: a constant added to `b` when it is a value.
    fn lift(self, b: &mut GraphBuilder) -> Promise<T>;
}

impl<T: Data> Lift<T> for T {
    fn lift(self, b: &mut GraphBuilder) -> Promise<T> {
        b.constant(self)
    }
}

impl<T> Lift<T> for Promise<T> {
    fn lift(self, _: &mut GraphBuilder) -> Promise<T> {
        self
    }
}

impl Lift<()> for Done {
    fn lift(self, _: &mut GraphBuilder) -> Promise<()> {
        Promise::new(self.source())
    }
}

/// `value` as a promise of a `T` (an argument of a `map!` in a dynamic body).
#[doc(hidden)]
pub fn lift<T, L: Lift<T>>(b: &mut GraphBuilder, value: L) -> Promise<T> {
    value.lift(b)
}

/// A call in a dynamic body: of a target (it adds a node), or of a plain function `f` (it calls
/// it).
#[doc(hidden)]
pub trait DynCall<A, F> {
    /// What the call returns: the node's promises, or the function's value.
    type Out;
    /// Makes the call.
    fn dyn_call(self, d: &DynamicBuilder, args: A, f: F) -> Self::Out;
}

/// A call in a dynamic body followed by `.with_overrides(..)` or `.after(..)`: of a target, it
/// adds a node with those settings and ordering edges; of a plain function `f`, there is no node
/// to set: the macro passes the target through [`with_settings`], an error then.
#[doc(hidden)]
pub trait DynNode<A, F> {
    /// What the call returns: the node's promises (or, for a plain function, an error reported
    /// by [`with_settings`], the function's value, so that nothing else is reported).
    type Out;
    /// Makes the call, its node with `overrides`, run after the calls of `after`.
    fn dyn_node(self, d: &DynamicBuilder, args: A, f: F, overrides: Settings, after: Vec<Source>) -> Self::Out;
}

/// What `.with_overrides(..)` and `.after(..)` may follow in a dynamic body: a task or workflow
/// (a `map!` is checked by the macro). A plain function, which `NotATaskOrWorkflow` stands for,
/// is not one: the message.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`.with_overrides(...)` and `.after(...)` go after a call of a task or workflow, but this calls a \
               plain function, which runs in the body and is no node of the graph",
    label = "not a `#[task]`, a `#[workflow]` or a `#[dynamic]`",
    note = "only a call of a `#[task]`, a `#[workflow]`, a `#[dynamic]` or a `map!(...)` is a node: remove \
            `.with_overrides(...)`/`.after(...)`, or make this function a `#[task]`"
)]
pub trait NodeSettings {}

impl<T: Runnable> NodeSettings for T {}

/// `target`, checked to take node settings ([`NodeSettings`]).
#[doc(hidden)]
pub fn with_settings<T: NodeSettings>(target: T) -> T {
    target
}

macro_rules! dyn_calls {
    ($( ($($A:ident $I:ident $i:tt),*) )*) => {$(
        impl<T, $($A, $I: Data,)* F> DynNode<($($A,)*), F> for T
        where
            T: Runnable + Target<Input = ($($I,)*)>,
            $($A: Lift<$I>,)*
        {
            type Out = <T::Output as OutputTuple>::Promises;
            #[allow(unused_variables, clippy::unused_unit)]
            fn dyn_node(self, d: &DynamicBuilder, args: ($($A,)*), _: F, overrides: Settings, after: Vec<Source>) -> Self::Out {
                d.with(|b| {
                    let slots = ($(args.$i.lift(b),)*);
                    b.call(self, slots, overrides, after)
                })
            }
        }

        impl<T, $($A, $I: Data,)* F> DynCall<($($A,)*), F> for T
        where
            T: Runnable + Target<Input = ($($I,)*)>,
            $($A: Lift<$I>,)*
        {
            type Out = <T::Output as OutputTuple>::Promises;
            fn dyn_call(self, d: &DynamicBuilder, args: ($($A,)*), f: F) -> Self::Out {
                self.dyn_node(d, args, f, Settings::default(), Vec::new())
            }
        }

        impl<$($A,)* R, F: FnOnce($($A),*) -> R> DynNode<($($A,)*), F> for NotATaskOrWorkflow {
            type Out = R;
            #[allow(unused_variables, clippy::unused_unit)]
            fn dyn_node(self, _: &DynamicBuilder, args: ($($A,)*), f: F, _: Settings, _: Vec<Source>) -> R {
                f($(args.$i),*)
            }
        }

        impl<$($A,)* R, F: FnOnce($($A),*) -> R> DynCall<($($A,)*), F> for NotATaskOrWorkflow {
            type Out = R;
            #[allow(unused_variables, clippy::unused_unit)]
            fn dyn_call(self, _: &DynamicBuilder, args: ($($A,)*), f: F) -> R {
                f($(args.$i),*)
            }
        }
    )*};
}

paired_input_arities!(dyn_calls);
