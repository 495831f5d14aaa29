//! A task's or workflow's inputs read from JSON one by one, and its outputs written as JSON: the
//! JSON side of the tuple traits (see `tuple`), used where runs take or give JSON.

use serde::ser::{SerializeMap as _, SerializeSeq};

use crate::arities::{input_arities, nested_arities};
use crate::data::Data;
use crate::tuple::{InputTuple, Nested, OutputTuple, Part, output_name};

/// Inputs that JSON fills one by one.
#[doc(hidden)]
pub trait ReadInputs: InputTuple {
    /// Reads input `i` from `d` into `partial`.
    ///
    /// # Errors
    /// As `d` fails, or when there is no input `i`.
    fn read_one<'de, D: serde::Deserializer<'de>>(partial: &mut Self::Partial, i: usize, d: D) -> Result<(), D::Error>;
}

/// Outputs written as JSON.
#[doc(hidden)]
pub trait WriteOutputs: OutputTuple {
    /// One call's outputs, port by port: the single port's value, or an array of them (a
    /// nested tuple's elements each an item), as a backend maps them to its output ports.
    ///
    /// # Errors
    /// As `s` fails.
    fn serialize_ports<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// A run's value as an object by output name (`outputs(...)`; `o0`, … past `names`).
    ///
    /// # Errors
    /// As `s` fails.
    fn serialize_named<S: serde::Serializer>(value: &Self::Value, names: &[&str], s: S) -> Result<S::Ok, S::Error>;
}

/// One element of an output tuple written port by port.
#[doc(hidden)]
pub trait WritePart: Part {
    /// Its ports' values, each an item of `seq`.
    ///
    /// # Errors
    /// As `seq` fails.
    fn serialize_ports<Q: SerializeSeq>(&self, seq: &mut Q) -> Result<(), Q::Error>;
}

macro_rules! read_inputs {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: Data),*> ReadInputs for ($($T,)*) {
            #[allow(unused_variables)]
            fn read_one<'de, D: serde::Deserializer<'de>>(
                partial: &mut Self::Partial,
                i: usize,
                d: D,
            ) -> Result<(), D::Error> {
                match i {
                    $($i => { partial.$i = Some(<$T as serde::Deserialize>::deserialize(d)?); Ok(()) })*
                    _ => Err(<D::Error as serde::de::Error>::custom("no such input")),
                }
            }
        }
    )*};
}

input_arities!(read_inputs);

impl WriteOutputs for () {
    fn serialize_ports<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
    fn serialize_named<S: serde::Serializer>(_: &(), _: &[&str], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

impl<A: Data> WriteOutputs for (A,) {
    fn serialize_ports<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
    fn serialize_named<S: serde::Serializer>(value: &A, names: &[&str], s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(&output_name(names, 0), value)?;
        map.end()
    }
}

impl<T: Data> WritePart for T {
    fn serialize_ports<Q: SerializeSeq>(&self, seq: &mut Q) -> Result<(), Q::Error> {
        seq.serialize_element(self)
    }
}

macro_rules! write_outputs {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: WritePart),*> WritePart for Nested<($($T,)*)> {
            fn serialize_ports<Q: SerializeSeq>(&self, seq: &mut Q) -> Result<(), Q::Error> {
                $(self.0.$i.serialize_ports(seq)?;)*
                Ok(())
            }
        }

        impl<$($T: WritePart),*> WriteOutputs for ($($T,)*) {
            fn serialize_ports<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(0 $(+ $T::PORTS)*))?;
                $(self.$i.serialize_ports(&mut seq)?;)*
                seq.end()
            }
            fn serialize_named<S: serde::Serializer>(value: &Self::Value, names: &[&str], s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some([$($i),*].len()))?;
                $(map.serialize_entry(&output_name(names, $i), &value.$i)?;)*
                map.end()
            }
        }
    )*};
}

nested_arities!(write_outputs);
