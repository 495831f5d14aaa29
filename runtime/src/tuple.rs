//! The tuple traits that bridge typed code (a task's parameters and outputs) and erased
//! [`Value`]s. Every element of a map is handled by monomorphized code, so erasure costs one
//! downcast per node input, not per element.

use std::sync::Arc;

use flowmap_model::types::TypeDesc;

use crate::arities::{input_arities, nested_arities};
use crate::data::Data;
use crate::error::NodeError;
use crate::promise::{Done, Mapped, Promise, Unset, mapped};
use crate::value::{Source, Value};

/// The value inside, moved out when this is the last reference, cloned otherwise.
fn take<T: Data>(value: Value, port: &str) -> Result<T, NodeError> {
    let typed = downcast::<T>(value, port)?;
    Ok(Arc::try_unwrap(typed).unwrap_or_else(|shared| (*shared).clone()))
}

fn downcast<T: Data>(value: Value, port: &str) -> Result<Arc<T>, NodeError> {
    value
        .downcast::<T>()
        .map_err(|_| NodeError::InputType { input: port.to_owned(), expected: std::any::type_name::<T>() })
}

/// The name of output `i`: its name in `names` (`outputs(...)`), or `o{i}`.
pub(crate) fn output_name(names: &[&str], i: usize) -> String {
    names.get(i).map_or_else(|| format!("o{i}"), |n| (*n).to_owned())
}

/// Output `port` of node `node`, or [`Source::Unbuilt`] for a node that could not be added.
fn output(node: Option<usize>, port: usize) -> Source {
    node.map_or(Source::Unbuilt, |node| Source::Output { node, port })
}

/// One input of a map: the whole value for every element (`partial`), or one list item per
/// element (mapped).
#[doc(hidden)]
#[derive(Debug)]
pub enum Column<T> {
    /// Every element gets a clone.
    Whole(Arc<T>),
    /// Element `i` gets item `i`.
    Each(Arc<Vec<T>>),
}

impl<T: Data> Column<T> {
    fn read(value: Value, mapped: bool, port: &str) -> Result<Self, NodeError> {
        if mapped {
            downcast::<Vec<T>>(value, port).map(Column::Each)
        } else {
            downcast(value, port).map(Column::Whole)
        }
    }

    fn len(&self) -> Option<usize> {
        match self {
            Column::Whole(_) => None,
            Column::Each(list) => Some(list.len()),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> T {
        match self {
            Column::Whole(v) => (**v).clone(),
            Column::Each(list) => list[i].clone(),
        }
    }
}

/// The inputs of a task or workflow as a tuple in parameter order.
#[doc(hidden)]
pub trait InputTuple: Send + Sized + 'static {
    /// One promise per input, for the workflow body.
    type Promises;
    /// The inputs of a map: one [`Column`] per input.
    type Columns: Send + Sync + 'static;
    /// Input types in order.
    fn types() -> Vec<TypeDesc>;
    /// The promises of a workflow's own inputs.
    fn input_promises() -> Self::Promises;
    /// The slots of a map over every input, each read from the workflow input of its position.
    type MappedSlots: Slots<Input = Self>;
    /// [`InputTuple::MappedSlots`]: what declares a target's map without values.
    fn mapped_slots() -> Self::MappedSlots;
    /// Erases each value.
    fn into_values(self) -> Vec<Value>;
    /// Rebuilds the inputs of a plain call; `names` are the parameter names, for errors.
    fn from_values(values: &[Value], names: &[&str]) -> Result<Self, NodeError>;
    /// Inputs given one by one (some with their defaults): an `Option` per input.
    type Partial: Default + Send;
    /// Which inputs `partial` holds, in order.
    fn held(partial: &Self::Partial) -> Vec<bool>;
    /// The inputs, once `partial` holds each.
    fn complete(partial: Self::Partial) -> Option<Self>;
    /// Reads a map's columns; `mapped[i]` says whether input `i` is a mapped list.
    fn columns(values: Vec<Value>, mapped: &[bool], names: &[&str]) -> Result<Self::Columns, NodeError>;
    /// The length of each mapped column, by position (`None` for a whole value).
    fn lens(columns: &Self::Columns) -> Vec<Option<usize>>;
    /// The input of element `i`.
    fn element(columns: &Self::Columns, i: usize) -> Self;
}

/// The outputs of a task or workflow: `()` for none, `(T,)` for one, `(A, B, ..)` for several.
#[doc(hidden)]
pub trait OutputTuple: serde::Serialize + serde::de::DeserializeOwned + Sized + Send + Sync + 'static {
    /// What a call returns in a workflow body: `Promise<T>` for one output, a tuple for several.
    type Promises;
    /// What a map with every element required returns: `Promise<Vec<T>>`, ...
    type ListPromises;
    /// What a map tolerating failures returns: `Promise<Vec<Option<T>>>`, ...
    type OptionListPromises;
    /// What running the workflow returns: `T` for one output, the tuple for several.
    type Value: serde::Serialize + Send + Sync + 'static;
    /// Output types in order.
    fn types() -> Vec<TypeDesc>;
    /// Types of a strict map's outputs (`Vec<T>`).
    fn list_types() -> Vec<TypeDesc>;
    /// Types of a tolerant map's outputs (`Vec<Option<T>>`).
    fn option_list_types() -> Vec<TypeDesc>;
    /// Promises for the outputs of node `node` (`None`: a node that could not be added).
    fn promises(node: Option<usize>) -> Self::Promises;
    /// Promises for the outputs of strict map node `node`.
    fn list_promises(node: Option<usize>) -> Self::ListPromises;
    /// Promises for the outputs of tolerant map node `node`.
    fn option_list_promises(node: Option<usize>) -> Self::OptionListPromises;
    /// The sources of a workflow body's tail expression.
    fn sources(promises: Self::Promises) -> Vec<Source>;
    /// Erases each output.
    fn into_values(self) -> Vec<Value>;
    /// Rebuilds the outputs from their erased values.
    fn from_values(values: Vec<Value>) -> Result<Self, NodeError>;
    /// The user-facing value: the single output itself, or the tuple.
    fn into_value(self) -> Self::Value;
    /// A map's rows (one per element, `None` where it failed) as erased `Vec<Option<T>>`, one per
    /// output: a tolerant map's outputs, and the partial outputs of a failed map.
    fn option_lists(rows: Vec<Option<Self>>) -> Vec<Value>;
    /// A map's rows as erased `Vec<T>`, one per output; `None` if an element is missing.
    fn lists(rows: Vec<Option<Self>>) -> Option<Vec<Value>>;
}

/// A filled input slot of a binder: a whole value or a mapped list.
#[doc(hidden)]
pub trait Slot: Copy + Send + Sync + 'static {
    /// The parameter type.
    type Elem: Data;
    /// Whether it is mapped.
    const MAPPED: bool;
    /// Where it comes from; `None` for a slot never given.
    fn source(&self) -> Option<Source>;
}

impl<T: Data> Slot for Promise<T> {
    type Elem = T;
    const MAPPED: bool = false;
    fn source(&self) -> Option<Source> {
        Some(Promise::source(self))
    }
}

impl<T: Data> Slot for Mapped<T> {
    type Elem = T;
    const MAPPED: bool = true;
    fn source(&self) -> Option<Source> {
        Some(Mapped::source(self))
    }
}

/// The end of a call with no outputs, given to a `()` input.
impl Slot for Done {
    type Elem = ();
    const MAPPED: bool = false;
    fn source(&self) -> Option<Source> {
        Some(Done::source(self))
    }
}

/// A slot never given. `__flowmap_finish` refuses it at compile time ("missing input"); this impl
/// only keeps that error from being followed by a second one about the same call.
impl<T: Data> Slot for Unset<T> {
    type Elem = T;
    const MAPPED: bool = false;
    fn source(&self) -> Option<Source> {
        None
    }
}

/// The filled slots of a call, in parameter order.
#[doc(hidden)]
pub trait Slots: Send + Sync + 'static {
    /// The target's input tuple.
    type Input: InputTuple;
    /// Each slot's source (`None` if never given) and whether it is mapped.
    fn sources(&self) -> Vec<(Option<Source>, bool)>;
}

macro_rules! tuples {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: Data),*> InputTuple for ($($T,)*) {
            type Promises = ($(Promise<$T>,)*);
            type Columns = ($(Column<$T>,)*);
            fn types() -> Vec<TypeDesc> { vec![$(crate::data::describe::<$T>()),*] }
            #[allow(clippy::unused_unit)]
            fn input_promises() -> Self::Promises { ($(Promise::new(Source::Input($i)),)*) }
            type MappedSlots = ($(Mapped<$T>,)*);
            #[allow(clippy::unused_unit)]
            fn mapped_slots() -> Self::MappedSlots { ($(mapped(Promise::<Vec<$T>>::new(Source::Input($i))),)*) }
            #[allow(clippy::unused_unit)]
            fn into_values(self) -> Vec<Value> { vec![$(Arc::new(self.$i) as Value),*] }
            #[allow(unused_variables, clippy::unused_unit)]
            fn from_values(values: &[Value], names: &[&str]) -> Result<Self, NodeError> {
                Ok(($(
                    (*downcast::<$T>(
                        values.get($i).cloned().ok_or(NodeError::Internal("a call has too few inputs"))?,
                        names.get($i).copied().unwrap_or("?"),
                    )?).clone(),
                )*))
            }
            type Partial = ($(Option<$T>,)*);
            #[allow(unused_variables)]
            fn held(partial: &Self::Partial) -> Vec<bool> { vec![$(partial.$i.is_some()),*] }
            #[allow(unused_variables, clippy::unused_unit)]
            fn complete(partial: Self::Partial) -> Option<Self> { Some(($(partial.$i?,)*)) }
            #[allow(unused_variables, unused_mut, clippy::unused_unit)]
            fn columns(values: Vec<Value>, mapped: &[bool], names: &[&str]) -> Result<Self::Columns, NodeError> {
                let mut values = values.into_iter();
                Ok(($(
                    Column::<$T>::read(
                        values.next().ok_or(NodeError::Internal("a map has too few inputs"))?,
                        mapped.get($i).copied().unwrap_or(false),
                        names.get($i).copied().unwrap_or("?"),
                    )?,
                )*))
            }
            #[allow(unused_variables)]
            fn lens(columns: &Self::Columns) -> Vec<Option<usize>> { vec![$(columns.$i.len()),*] }
            #[allow(unused_variables, clippy::unused_unit)]
            #[inline]
            fn element(columns: &Self::Columns, i: usize) -> Self { ($(columns.$i.get(i),)*) }
        }

        impl<$($T: Slot),*> Slots for ($($T,)*) {
            type Input = ($($T::Elem,)*);
            fn sources(&self) -> Vec<(Option<Source>, bool)> { vec![$((self.$i.source(), $T::MAPPED)),*] }
        }
    )*};
}

input_arities!(tuples);

impl OutputTuple for () {
    type Promises = Done;
    type ListPromises = Done;
    type OptionListPromises = Done;
    type Value = ();
    fn types() -> Vec<TypeDesc> {
        Vec::new()
    }
    fn list_types() -> Vec<TypeDesc> {
        Vec::new()
    }
    fn option_list_types() -> Vec<TypeDesc> {
        Vec::new()
    }
    fn promises(node: Option<usize>) -> Done {
        Done::of(node)
    }
    fn list_promises(node: Option<usize>) -> Done {
        Done::of(node)
    }
    fn option_list_promises(node: Option<usize>) -> Done {
        Done::of(node)
    }
    fn sources(_: Done) -> Vec<Source> {
        Vec::new()
    }
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
    fn from_values(_: Vec<Value>) -> Result<(), NodeError> {
        Ok(())
    }
    fn into_value(self) {}
    fn option_lists(_: Vec<Option<()>>) -> Vec<Value> {
        Vec::new()
    }
    fn lists(rows: Vec<Option<()>>) -> Option<Vec<Value>> {
        rows.iter().all(Option::is_some).then(Vec::new)
    }
}

impl<A: Data> OutputTuple for (A,) {
    type Promises = Promise<A>;
    type ListPromises = Promise<Vec<A>>;
    type OptionListPromises = Promise<Vec<Option<A>>>;
    type Value = A;
    fn types() -> Vec<TypeDesc> {
        vec![crate::data::describe::<A>()]
    }
    fn list_types() -> Vec<TypeDesc> {
        vec![crate::data::describe::<Vec<A>>()]
    }
    fn option_list_types() -> Vec<TypeDesc> {
        vec![crate::data::describe::<Vec<Option<A>>>()]
    }
    fn promises(node: Option<usize>) -> Promise<A> {
        Promise::new(output(node, 0))
    }
    fn list_promises(node: Option<usize>) -> Self::ListPromises {
        Promise::new(output(node, 0))
    }
    fn option_list_promises(node: Option<usize>) -> Self::OptionListPromises {
        Promise::new(output(node, 0))
    }
    fn sources(p: Promise<A>) -> Vec<Source> {
        vec![p.source()]
    }
    fn into_values(self) -> Vec<Value> {
        vec![Arc::new(self.0)]
    }
    fn from_values(values: Vec<Value>) -> Result<(A,), NodeError> {
        let v = values.into_iter().next().ok_or(NodeError::Internal("an output is missing"))?;
        Ok((take(v, "o0")?,))
    }
    fn into_value(self) -> A {
        self.0
    }
    fn option_lists(rows: Vec<Option<(A,)>>) -> Vec<Value> {
        // Same layout as `Vec<Option<A>>`: collected in place, no new allocation.
        let list: Vec<Option<A>> = rows.into_iter().map(|r| r.map(|(a,)| a)).collect();
        vec![Arc::new(list)]
    }
    fn lists(rows: Vec<Option<(A,)>>) -> Option<Vec<Value>> {
        if rows.iter().any(Option::is_none) {
            return None;
        }
        let mut all = Vec::with_capacity(rows.len());
        all.extend(rows.into_iter().flatten().map(|(a,)| a));
        Some(vec![Arc::new(all)])
    }
}

/// A task's outputs written as a tuple inside its output tuple, such as `(i64, i64)` in
/// `-> (usize, (i64, i64))`: its elements are outputs of their own (one port each, in order), and
/// a workflow body gets a tuple of promises for it, which it can destructure or return as it is.
/// Serialized as the tuple itself.
#[doc(hidden)]
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Nested<T>(pub T);

/// One element of a task's output tuple: a value on one port (any [`Data`]), or a [`Nested`]
/// tuple of them on one port each.
#[doc(hidden)]
pub trait Part: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + Sized + 'static {
    /// How many ports it has.
    const PORTS: usize;
    /// Its promise in a workflow body: `Promise<T>`, or a tuple of them.
    type Promise;
    /// Its promise as the output of a strict map: `Promise<Vec<T>>`, ...
    type ListPromise;
    /// Its promise as the output of a tolerant map: `Promise<Vec<Option<T>>>`, ...
    type OptionListPromise;
    /// What a run returns for it.
    type Value: serde::Serialize + Send + Sync + 'static;
    /// A map's rows gathered per port: `Vec<T>`, ...
    type Lists;
    /// A map's rows gathered per port, `None` where an element failed: `Vec<Option<T>>`, ...
    type OptionLists;
    /// Its ports' types, in order.
    fn types(out: &mut Vec<TypeDesc>);
    /// Its ports' types as a strict map's outputs.
    fn list_types(out: &mut Vec<TypeDesc>);
    /// Its ports' types as a tolerant map's outputs.
    fn option_list_types(out: &mut Vec<TypeDesc>);
    /// Its promise, from port `*port` on (advanced past its ports).
    fn promise(node: Option<usize>, port: &mut usize) -> Self::Promise;
    /// Its promise as a strict map's output.
    fn list_promise(node: Option<usize>, port: &mut usize) -> Self::ListPromise;
    /// Its promise as a tolerant map's output.
    fn option_list_promise(node: Option<usize>, port: &mut usize) -> Self::OptionListPromise;
    /// The sources of its promise, in port order.
    fn sources(promise: Self::Promise, out: &mut Vec<Source>);
    /// Erases it, one value per port.
    fn into_values(self, out: &mut Vec<Value>);
    /// Rebuilds it from its ports' values, from port `*port` on.
    fn from_values(values: &mut std::vec::IntoIter<Value>, port: &mut usize) -> Result<Self, NodeError>;
    /// The user-facing value.
    fn into_value(self) -> Self::Value;
    /// Empty lists for `capacity` rows.
    fn lists(capacity: usize) -> Self::Lists;
    /// Appends a row.
    fn push(self, lists: &mut Self::Lists);
    /// The lists, erased, one per port.
    fn finish(lists: Self::Lists, out: &mut Vec<Value>);
    /// Empty optional lists for `capacity` rows.
    fn option_lists(capacity: usize) -> Self::OptionLists;
    /// Appends a row; `None` for an element that failed.
    fn push_option(row: Option<Self>, lists: &mut Self::OptionLists);
    /// The optional lists, erased, one per port.
    fn finish_options(lists: Self::OptionLists, out: &mut Vec<Value>);
}

impl<T: Data> Part for T {
    const PORTS: usize = 1;
    type Promise = Promise<T>;
    type ListPromise = Promise<Vec<T>>;
    type OptionListPromise = Promise<Vec<Option<T>>>;
    type Value = T;
    type Lists = Vec<T>;
    type OptionLists = Vec<Option<T>>;
    fn types(out: &mut Vec<TypeDesc>) {
        out.push(crate::data::describe::<T>());
    }
    fn list_types(out: &mut Vec<TypeDesc>) {
        out.push(crate::data::describe::<Vec<T>>());
    }
    fn option_list_types(out: &mut Vec<TypeDesc>) {
        out.push(crate::data::describe::<Vec<Option<T>>>());
    }
    fn promise(node: Option<usize>, port: &mut usize) -> Promise<T> {
        *port += 1;
        Promise::new(output(node, *port - 1))
    }
    fn list_promise(node: Option<usize>, port: &mut usize) -> Promise<Vec<T>> {
        *port += 1;
        Promise::new(output(node, *port - 1))
    }
    fn option_list_promise(node: Option<usize>, port: &mut usize) -> Promise<Vec<Option<T>>> {
        *port += 1;
        Promise::new(output(node, *port - 1))
    }
    fn sources(promise: Promise<T>, out: &mut Vec<Source>) {
        out.push(promise.source());
    }
    fn into_values(self, out: &mut Vec<Value>) {
        out.push(Arc::new(self));
    }
    fn from_values(values: &mut std::vec::IntoIter<Value>, port: &mut usize) -> Result<Self, NodeError> {
        let v = values.next().ok_or(NodeError::Internal("an output is missing"))?;
        *port += 1;
        let typed = value_at::<T>(v, *port - 1)?;
        Ok(Arc::try_unwrap(typed).unwrap_or_else(|shared| (*shared).clone()))
    }
    #[inline]
    fn into_value(self) -> T {
        self
    }
    fn lists(capacity: usize) -> Vec<T> {
        Vec::with_capacity(capacity)
    }
    #[inline]
    fn push(self, lists: &mut Vec<T>) {
        lists.push(self);
    }
    fn finish(lists: Vec<T>, out: &mut Vec<Value>) {
        out.push(Arc::new(lists));
    }
    fn option_lists(capacity: usize) -> Vec<Option<T>> {
        Vec::with_capacity(capacity)
    }
    #[inline]
    fn push_option(row: Option<Self>, lists: &mut Vec<Option<T>>) {
        lists.push(row);
    }
    fn finish_options(lists: Vec<Option<T>>, out: &mut Vec<Value>) {
        out.push(Arc::new(lists));
    }
}

/// Output port `port`'s value as a `T`.
fn value_at<T: Data>(value: Value, port: usize) -> Result<Arc<T>, NodeError> {
    value
        .downcast::<T>()
        .map_err(|_| NodeError::InputType { input: format!("o{port}"), expected: std::any::type_name::<T>() })
}

macro_rules! nested_parts {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: Part),*> Part for Nested<($($T,)*)> {
            const PORTS: usize = 0 $(+ $T::PORTS)*;
            type Promise = ($($T::Promise,)*);
            type ListPromise = ($($T::ListPromise,)*);
            type OptionListPromise = ($($T::OptionListPromise,)*);
            type Value = ($($T::Value,)*);
            type Lists = ($($T::Lists,)*);
            type OptionLists = ($($T::OptionLists,)*);
            fn types(out: &mut Vec<TypeDesc>) { $($T::types(out);)* }
            fn list_types(out: &mut Vec<TypeDesc>) { $($T::list_types(out);)* }
            fn option_list_types(out: &mut Vec<TypeDesc>) { $($T::option_list_types(out);)* }
            fn promise(node: Option<usize>, port: &mut usize) -> Self::Promise { ($($T::promise(node, port),)*) }
            fn list_promise(node: Option<usize>, port: &mut usize) -> Self::ListPromise {
                ($($T::list_promise(node, port),)*)
            }
            fn option_list_promise(node: Option<usize>, port: &mut usize) -> Self::OptionListPromise {
                ($($T::option_list_promise(node, port),)*)
            }
            fn sources(promise: Self::Promise, out: &mut Vec<Source>) { $($T::sources(promise.$i, out);)* }
            fn into_values(self, out: &mut Vec<Value>) { $(self.0.$i.into_values(out);)* }
            fn from_values(values: &mut std::vec::IntoIter<Value>, port: &mut usize) -> Result<Self, NodeError> {
                Ok(Nested(($($T::from_values(values, port)?,)*)))
            }
            fn into_value(self) -> Self::Value { ($(self.0.$i.into_value(),)*) }
            fn lists(capacity: usize) -> Self::Lists { ($($T::lists(capacity),)*) }
            #[inline]
            fn push(self, lists: &mut Self::Lists) { $(self.0.$i.push(&mut lists.$i);)* }
            fn finish(lists: Self::Lists, out: &mut Vec<Value>) { $($T::finish(lists.$i, out);)* }
            fn option_lists(capacity: usize) -> Self::OptionLists { ($($T::option_lists(capacity),)*) }
            #[inline]
            fn push_option(row: Option<Self>, lists: &mut Self::OptionLists) {
                match row {
                    Some(Nested(row)) => { $($T::push_option(Some(row.$i), &mut lists.$i);)* }
                    None => { $($T::push_option(None, &mut lists.$i);)* }
                }
            }
            fn finish_options(lists: Self::OptionLists, out: &mut Vec<Value>) { $($T::finish_options(lists.$i, out);)* }
        }

        impl<$($T: Part),*> OutputTuple for ($($T,)*) {
            type Promises = ($($T::Promise,)*);
            type ListPromises = ($($T::ListPromise,)*);
            type OptionListPromises = ($($T::OptionListPromise,)*);
            type Value = ($($T::Value,)*);
            fn types() -> Vec<TypeDesc> {
                let mut out = Vec::new();
                $($T::types(&mut out);)*
                out
            }
            fn list_types() -> Vec<TypeDesc> {
                let mut out = Vec::new();
                $($T::list_types(&mut out);)*
                out
            }
            fn option_list_types() -> Vec<TypeDesc> {
                let mut out = Vec::new();
                $($T::option_list_types(&mut out);)*
                out
            }
            fn promises(node: Option<usize>) -> Self::Promises {
                let mut port = 0;
                ($($T::promise(node, &mut port),)*)
            }
            fn list_promises(node: Option<usize>) -> Self::ListPromises {
                let mut port = 0;
                ($($T::list_promise(node, &mut port),)*)
            }
            fn option_list_promises(node: Option<usize>) -> Self::OptionListPromises {
                let mut port = 0;
                ($($T::option_list_promise(node, &mut port),)*)
            }
            fn sources(p: Self::Promises) -> Vec<Source> {
                let mut out = Vec::new();
                $($T::sources(p.$i, &mut out);)*
                out
            }
            fn into_values(self) -> Vec<Value> {
                let mut out = Vec::new();
                $(self.$i.into_values(&mut out);)*
                out
            }
            fn into_value(self) -> Self::Value { ($(self.$i.into_value(),)*) }
            fn from_values(values: Vec<Value>) -> Result<Self, NodeError> {
                let (mut values, mut port) = (values.into_iter(), 0);
                Ok(($($T::from_values(&mut values, &mut port)?,)*))
            }
            fn option_lists(rows: Vec<Option<Self>>) -> Vec<Value> {
                let mut lists = ($($T::option_lists(rows.len()),)*);
                for row in rows {
                    match row {
                        Some(row) => { $($T::push_option(Some(row.$i), &mut lists.$i);)* }
                        None => { $($T::push_option(None, &mut lists.$i);)* }
                    }
                }
                let mut out = Vec::new();
                $($T::finish_options(lists.$i, &mut out);)*
                out
            }
            fn lists(rows: Vec<Option<Self>>) -> Option<Vec<Value>> {
                let mut lists = ($($T::lists(rows.len()),)*);
                for row in rows {
                    let row = row?;
                    $(row.$i.push(&mut lists.$i);)*
                }
                let mut out = Vec::new();
                $($T::finish(lists.$i, &mut out);)*
                Some(out)
            }
        }
    )*};
}

nested_arities!(nested_parts);
