//! How a flowmap type travels in Flyte: the one classification that the type compiler
//! (`types.rs`) and the literal codec (`literal.rs`) share.

use flowmap_model::types::{FieldDesc, TypeDesc};

/// What a [`TypeDesc`] is in Flyte's type system.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape<'a> {
    /// `simple: BOOLEAN`.
    Boolean,
    /// `simple: INTEGER` (64-bit signed in Flyte).
    Integer,
    /// `simple: FLOAT`.
    Float,
    /// `simple: STRING` (also `char`).
    String,
    /// `simple: NONE`, for `()`.
    None,
    /// `simple: DURATION`, for `std::time::Duration`.
    Duration,
    /// `simple: DATETIME`, for `std::time::SystemTime`.
    Datetime,
    /// `collection_type`, for lists and arrays.
    List(&'a TypeDesc),
    /// `union_type` of the inner type and `none`.
    Optional(&'a TypeDesc),
    /// `map_value_type`, for maps with string keys.
    Map(&'a TypeDesc),
    /// `simple: STRUCT`, the value as msgpack bytes: structs, enums, tuples, maps with other
    /// keys, bytes, and what the model could not describe.
    Struct,
}

fn field_names(fields: &[FieldDesc]) -> Vec<&str> {
    fields.iter().map(|f| f.name.as_str()).collect()
}

/// Whether `ty` is `std::time::SystemTime` as serde describes it.
fn is_system_time(name: &str, fields: &[FieldDesc]) -> bool {
    name == "SystemTime" && field_names(fields) == ["secs_since_epoch", "nanos_since_epoch"]
}

/// The shape of `ty`.
pub(crate) fn shape(ty: &TypeDesc) -> Shape<'_> {
    match ty {
        TypeDesc::Boolean => Shape::Boolean,
        TypeDesc::Integer { .. } => Shape::Integer,
        TypeDesc::Float { .. } => Shape::Float,
        TypeDesc::String | TypeDesc::Char => Shape::String,
        TypeDesc::Unit => Shape::None,
        TypeDesc::List { items } | TypeDesc::Array { items, .. } => Shape::List(items),
        // Flyte has one level of "none": `Option<Option<T>>` travels as its own msgpack value.
        TypeDesc::Optional { inner } if matches!(**inner, TypeDesc::Optional { .. }) => Shape::Struct,
        TypeDesc::Optional { inner } => Shape::Optional(inner),
        TypeDesc::Map { key, values } if **key == TypeDesc::String => Shape::Map(values),
        TypeDesc::Struct { .. } if ty.is_duration() => Shape::Duration,
        TypeDesc::Struct { name, fields } if is_system_time(name, fields) => Shape::Datetime,
        TypeDesc::Map { .. }
        | TypeDesc::Bytes
        | TypeDesc::Tuple { .. }
        | TypeDesc::Struct { .. }
        | TypeDesc::TupleStruct { .. }
        | TypeDesc::Enum { .. }
        | TypeDesc::Ref { .. }
        | TypeDesc::Opaque { .. } => Shape::Struct,
    }
}
