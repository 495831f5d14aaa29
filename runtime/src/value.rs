//! Type-erased values between nodes, and the tuple traits that bridge them to typed code.
//!
//! A node's inputs and outputs travel as [`Value`]s (`Arc<dyn Any>`), one per port; every element
//! of a map is handled by monomorphized code, so erasure costs one downcast per node input, not
//! per element.

use std::any::Any;
use std::sync::Arc;

use crate::error::NodeError;
use crate::promise::{Mapped, Promise, Source, Unset};
use crate::types::{Data, TypeDesc};

/// One value on one port.
pub type Value = Arc<dyn Any + Send + Sync>;

/// The value inside, moved out when this is the last reference, cloned otherwise.
pub(crate) fn take<T: Data>(value: Value, port: &str) -> Result<T, NodeError> {
    let typed = value
        .downcast::<T>()
        .map_err(|_| NodeError::InputType { input: port.to_owned(), expected: std::any::type_name::<T>() })?;
    Ok(Arc::try_unwrap(typed).unwrap_or_else(|shared| (*shared).clone()))
}

fn downcast<T: Data>(value: Value, port: &str) -> Result<Arc<T>, NodeError> {
    value
        .downcast::<T>()
        .map_err(|_| NodeError::InputType { input: port.to_owned(), expected: std::any::type_name::<T>() })
}

/// The inputs of a task or workflow as a tuple in parameter order.
#[doc(hidden)]
pub trait InputTuple: Send + 'static {
    /// One promise per input, for the workflow body.
    type Promises;
    /// Input types in order.
    fn types() -> Vec<TypeDesc>;
    /// The promises of a workflow's own inputs.
    fn input_promises() -> Self::Promises;
    /// Erases each value.
    fn into_values(self) -> Vec<Value>;
}

/// The outputs of a task or workflow: `()` for none, `(T,)` for one, `(A, B, ..)` for several.
#[doc(hidden)]
pub trait OutputTuple: Sized + Send + 'static {
    /// What a call returns in a workflow body: `Promise<T>` for one output, a tuple for several.
    type Promises;
    /// What a map with every element required returns: `Promise<Vec<T>>`, ...
    type ListPromises;
    /// What a map tolerating failures returns: `Promise<Vec<Option<T>>>`, ...
    type OptionListPromises;
    /// What running the workflow returns: `T` for one output, the tuple for several.
    type Value;
    /// Output types in order.
    fn types() -> Vec<TypeDesc>;
    /// Types of a strict map's outputs (`Vec<T>`).
    fn list_types() -> Vec<TypeDesc>;
    /// Types of a tolerant map's outputs (`Vec<Option<T>>`).
    fn option_list_types() -> Vec<TypeDesc>;
    /// Promises for the outputs of node `node`.
    fn promises(node: usize) -> Self::Promises;
    /// Promises for the outputs of strict map node `node`.
    fn list_promises(node: usize) -> Self::ListPromises;
    /// Promises for the outputs of tolerant map node `node`.
    fn option_list_promises(node: usize) -> Self::OptionListPromises;
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

/// One input column of a map: the whole value for every element, or one list item per element.
#[doc(hidden)]
pub trait Column: Send + Sync + Sized + 'static {
    /// The element type.
    type Elem;
    /// Reads the column from its erased value.
    fn from_value(value: Value, port: &str) -> Result<Self, NodeError>;
    /// The list length of a mapped column.
    fn len(&self) -> Option<usize>;
    /// The value for element `i`.
    fn get(&self, i: usize) -> Self::Elem;
}

/// A `partial(...)` input or a plain call's input: every element gets a clone.
#[doc(hidden)]
#[derive(Debug)]
pub struct Whole<T>(Arc<T>);

/// A mapped input: element `i` gets item `i`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Each<T>(Arc<Vec<T>>);

impl<T: Data> Column for Whole<T> {
    type Elem = T;
    fn from_value(value: Value, port: &str) -> Result<Self, NodeError> {
        downcast(value, port).map(Whole)
    }
    fn len(&self) -> Option<usize> {
        None
    }
    fn get(&self, _: usize) -> T {
        (*self.0).clone()
    }
}

impl<T: Data> Column for Each<T> {
    type Elem = T;
    fn from_value(value: Value, port: &str) -> Result<Self, NodeError> {
        downcast(value, port).map(Each)
    }
    fn len(&self) -> Option<usize> {
        Some(self.0.len())
    }
    fn get(&self, i: usize) -> T {
        self.0[i].clone()
    }
}

/// A filled input slot of a binder: a whole value or a mapped list.
#[doc(hidden)]
pub trait Slot: Copy + Send + Sync + 'static {
    /// The parameter type.
    type Elem: Data;
    /// How elements read it.
    type Column: Column<Elem = Self::Elem>;
    /// Whether it is mapped.
    const MAPPED: bool;
    /// Where it comes from; `None` for a slot never given.
    fn source(&self) -> Option<Source>;
}

impl<T: Data> Slot for Promise<T> {
    type Elem = T;
    type Column = Whole<T>;
    const MAPPED: bool = false;
    fn source(&self) -> Option<Source> {
        Some(Promise::source(self))
    }
}

impl<T: Data> Slot for Mapped<T> {
    type Elem = T;
    type Column = Each<T>;
    const MAPPED: bool = true;
    fn source(&self) -> Option<Source> {
        Some(Mapped::source(self))
    }
}

/// A slot never given. `__flowmap_finish` refuses it at compile time ("missing input"); this impl
/// only keeps that error from being followed by a second one about the same call.
impl<T: Data> Slot for Unset<T> {
    type Elem = T;
    type Column = Whole<T>;
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
    /// The input columns.
    type Columns: Send + Sync + 'static;
    /// Each slot's source (`None` if never given) and whether it is mapped.
    fn sources(&self) -> Vec<(Option<Source>, bool)>;
    /// Reads the columns from the erased inputs; `names` are the parameter names.
    fn columns(values: Vec<Value>, names: &[&str]) -> Result<Self::Columns, NodeError>;
    /// The length of each mapped column, by position.
    fn lens(columns: &Self::Columns) -> Vec<Option<usize>>;
    /// The input of element `i`.
    fn element(columns: &Self::Columns, i: usize) -> Self::Input;
}

macro_rules! tuples {
    ($( ($($T:ident $S:ident $i:tt),*) )*) => {$(
        impl<$($T: Data),*> InputTuple for ($($T,)*) {
            type Promises = ($(Promise<$T>,)*);
            fn types() -> Vec<TypeDesc> { vec![$(TypeDesc::of::<$T>()),*] }
            #[allow(clippy::unused_unit)]
            fn input_promises() -> Self::Promises { ($(Promise::new(Source::Input($i)),)*) }
            #[allow(clippy::unused_unit)]
            fn into_values(self) -> Vec<Value> { vec![$(Arc::new(self.$i) as Value),*] }
        }

        impl<$($S: Slot),*> Slots for ($($S,)*) {
            type Input = ($($S::Elem,)*);
            type Columns = ($($S::Column,)*);
            fn sources(&self) -> Vec<(Option<Source>, bool)> { vec![$((self.$i.source(), $S::MAPPED)),*] }
            #[allow(unused_variables, unused_mut, clippy::unused_unit)]
            fn columns(values: Vec<Value>, names: &[&str]) -> Result<Self::Columns, NodeError> {
                let mut values = values.into_iter();
                Ok(($(
                    $S::Column::from_value(
                        values.next().ok_or_else(|| NodeError::InputCount)?,
                        names.get($i).copied().unwrap_or("?"),
                    )?,
                )*))
            }
            #[allow(unused_variables)]
            fn lens(columns: &Self::Columns) -> Vec<Option<usize>> { vec![$(columns.$i.len()),*] }
            #[allow(unused_variables, clippy::unused_unit)]
            fn element(columns: &Self::Columns, i: usize) -> Self::Input { ($(columns.$i.get(i),)*) }
        }
    )*};
}

tuples! {
    ()
    (A0 S0 0)
    (A0 S0 0, A1 S1 1)
    (A0 S0 0, A1 S1 1, A2 S2 2)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5, A6 S6 6)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5, A6 S6 6, A7 S7 7)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5, A6 S6 6, A7 S7 7, A8 S8 8)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5, A6 S6 6, A7 S7 7, A8 S8 8, A9 S9 9)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5, A6 S6 6, A7 S7 7, A8 S8 8, A9 S9 9, A10 S10 10)
    (A0 S0 0, A1 S1 1, A2 S2 2, A3 S3 3, A4 S4 4, A5 S5 5, A6 S6 6, A7 S7 7, A8 S8 8, A9 S9 9, A10 S10 10, A11 S11 11)
}

impl OutputTuple for () {
    type Promises = ();
    type ListPromises = ();
    type OptionListPromises = ();
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
    fn promises(_: usize) {}
    fn list_promises(_: usize) {}
    fn option_list_promises(_: usize) {}
    fn sources((): ()) -> Vec<Source> {
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
        vec![TypeDesc::of::<A>()]
    }
    fn list_types() -> Vec<TypeDesc> {
        vec![TypeDesc::of::<Vec<A>>()]
    }
    fn option_list_types() -> Vec<TypeDesc> {
        vec![TypeDesc::of::<Vec<Option<A>>>()]
    }
    fn promises(node: usize) -> Promise<A> {
        Promise::new(Source::Output { node, port: 0 })
    }
    fn list_promises(node: usize) -> Self::ListPromises {
        Promise::new(Source::Output { node, port: 0 })
    }
    fn option_list_promises(node: usize) -> Self::OptionListPromises {
        Promise::new(Source::Output { node, port: 0 })
    }
    fn sources(p: Promise<A>) -> Vec<Source> {
        vec![p.source()]
    }
    fn into_values(self) -> Vec<Value> {
        vec![Arc::new(self.0)]
    }
    fn from_values(values: Vec<Value>) -> Result<(A,), NodeError> {
        let v = values.into_iter().next().ok_or(NodeError::InputCount)?;
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

macro_rules! multi_outputs {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: Data),*> OutputTuple for ($($T,)*) {
            type Promises = ($(Promise<$T>,)*);
            type ListPromises = ($(Promise<Vec<$T>>,)*);
            type OptionListPromises = ($(Promise<Vec<Option<$T>>>,)*);
            type Value = ($($T,)*);
            fn types() -> Vec<TypeDesc> { vec![$(TypeDesc::of::<$T>()),*] }
            fn list_types() -> Vec<TypeDesc> { vec![$(TypeDesc::of::<Vec<$T>>()),*] }
            fn option_list_types() -> Vec<TypeDesc> { vec![$(TypeDesc::of::<Vec<Option<$T>>>()),*] }
            fn promises(node: usize) -> Self::Promises { ($(Promise::new(Source::Output { node, port: $i }),)*) }
            fn list_promises(node: usize) -> Self::ListPromises { ($(Promise::new(Source::Output { node, port: $i }),)*) }
            fn option_list_promises(node: usize) -> Self::OptionListPromises {
                ($(Promise::new(Source::Output { node, port: $i }),)*)
            }
            fn sources(p: Self::Promises) -> Vec<Source> { vec![$(p.$i.source()),*] }
            fn into_values(self) -> Vec<Value> { vec![$(Arc::new(self.$i) as Value),*] }
            fn into_value(self) -> Self { self }
            fn from_values(values: Vec<Value>) -> Result<Self, NodeError> {
                let mut values = values.into_iter();
                Ok(($(take::<$T>(values.next().ok_or(NodeError::InputCount)?, concat!("o", $i))?,)*))
            }
            fn option_lists(rows: Vec<Option<Self>>) -> Vec<Value> {
                let mut lists = ($(Vec::<Option<$T>>::with_capacity(rows.len()),)*);
                for row in rows {
                    match row {
                        Some(row) => { $(lists.$i.push(Some(row.$i));)* }
                        None => { $(lists.$i.push(None);)* }
                    }
                }
                vec![$(Arc::new(lists.$i) as Value),*]
            }
            fn lists(rows: Vec<Option<Self>>) -> Option<Vec<Value>> {
                let mut lists = ($(Vec::<$T>::with_capacity(rows.len()),)*);
                for row in rows {
                    let row = row?;
                    $(lists.$i.push(row.$i);)*
                }
                Some(vec![$(Arc::new(lists.$i) as Value),*])
            }
        }
    )*};
}

multi_outputs! {
    (A0 0, A1 1)
    (A0 0, A1 1, A2 2)
    (A0 0, A1 1, A2 2, A3 3)
    (A0 0, A1 1, A2 2, A3 3, A4 4)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7)
}
