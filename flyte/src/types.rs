//! Flowmap types as Flyte literal types: `simple`, `collection_type`, `map_value_type`,
//! `union_type`, and structs as flytekit describes dataclasses (a JSON schema in `metadata`, field
//! types in `structure.dataclass_type`, msgpack values).

use std::collections::BTreeMap;

use flowmap_model::types::TypeDesc;
use serde_json::{Value as Json, json};

use crate::idl::flyteidl::core::{
    LiteralType, SimpleType, TypeAnnotation, TypeStructure, UnionType, literal_type::Type,
};
use crate::shape::{Shape, shape};

/// The tag of msgpack-encoded binary literals, as flytekit writes it.
pub(crate) const MSGPACK: &str = "msgpack";

fn simple(t: SimpleType) -> LiteralType {
    LiteralType { r#type: Some(Type::Simple(t as i32)), ..LiteralType::default() }
}

/// The Flyte type of `ty`.
pub(crate) fn literal_type(ty: &TypeDesc) -> LiteralType {
    match shape(ty) {
        Shape::Boolean => simple(SimpleType::Boolean),
        Shape::Integer => simple(SimpleType::Integer),
        Shape::Float => simple(SimpleType::Float),
        Shape::String => simple(SimpleType::String),
        Shape::None => simple(SimpleType::None),
        Shape::Duration => simple(SimpleType::Duration),
        Shape::Datetime => simple(SimpleType::Datetime),
        Shape::List(items) => {
            LiteralType { r#type: Some(Type::CollectionType(Box::new(literal_type(items)))), ..LiteralType::default() }
        }
        Shape::Map(values) => {
            LiteralType { r#type: Some(Type::MapValueType(Box::new(literal_type(values)))), ..LiteralType::default() }
        }
        Shape::Optional(inner) => union_of(inner),
        Shape::Struct => struct_type(ty),
    }
}

/// `Option<inner>`: a union of `inner` and `none`, each variant tagged as flytekit tags it.
pub(crate) fn union_of(inner: &TypeDesc) -> LiteralType {
    // A variant's structure is its tag alone, as flytekit writes it (a struct's field types are
    // in the struct's own type, not its variant's).
    let mut some = literal_type(inner);
    some.structure = Some(TypeStructure { tag: tag(inner).to_owned(), ..TypeStructure::default() });
    let mut none = simple(SimpleType::None);
    none.structure = Some(TypeStructure { tag: "none".to_owned(), ..TypeStructure::default() });
    LiteralType { r#type: Some(Type::UnionType(UnionType { variants: vec![some, none] })), ..LiteralType::default() }
}

/// The name flytekit gives a union variant of this type (its type transformer's name).
pub(crate) fn tag(ty: &TypeDesc) -> &'static str {
    match shape(ty) {
        Shape::Boolean => "bool",
        Shape::Integer => "int",
        Shape::Float => "float",
        Shape::String => "str",
        Shape::None => "none",
        Shape::Duration => "timedelta",
        Shape::Datetime => "datetime",
        Shape::List(_) => "Typed List",
        Shape::Map(_) => "Typed Dict",
        Shape::Optional(_) | Shape::Struct => "Object-Dataclass-Transformer",
    }
}

/// A struct-shaped type: `simple: STRUCT` with its JSON schema, and its fields' types for a
/// struct with named fields.
fn struct_type(ty: &TypeDesc) -> LiteralType {
    let dataclass_type: BTreeMap<String, LiteralType> = match ty {
        TypeDesc::Struct { fields, .. } => fields.iter().map(|f| (f.name.clone(), literal_type(&f.ty))).collect(),
        _ => BTreeMap::new(),
    };
    let annotation = json!({"cache-key-metadata": {"serialization-format": MSGPACK}});
    LiteralType {
        r#type: Some(Type::Simple(SimpleType::Struct as i32)),
        metadata: Some(to_struct(&schema(ty))),
        annotation: Some(TypeAnnotation { annotations: Some(to_struct(&annotation)) }),
        structure: (!dataclass_type.is_empty()).then(|| TypeStructure { tag: String::new(), dataclass_type }),
    }
}

/// The JSON schema of `ty`, shaped as flytekit's (mashumaro's) for the same Python types.
pub(crate) fn schema(ty: &TypeDesc) -> Json {
    match ty {
        TypeDesc::Boolean => json!({"type": "boolean"}),
        TypeDesc::Integer { .. } => json!({"type": "integer"}),
        TypeDesc::Float { .. } => json!({"type": "number"}),
        TypeDesc::String | TypeDesc::Char => json!({"type": "string"}),
        TypeDesc::Unit => json!({"type": "null"}),
        TypeDesc::Bytes => json!({"type": "string", "format": "binary"}),
        TypeDesc::List { items } | TypeDesc::Array { items, .. } => json!({"type": "array", "items": schema(items)}),
        TypeDesc::Optional { inner } => json!({"anyOf": [schema(inner), {"type": "null"}]}),
        TypeDesc::Map { key, values } => {
            json!({"type": "object", "additionalProperties": schema(values), "propertyNames": schema(key)})
        }
        TypeDesc::Tuple { items } => {
            json!({"type": "array", "prefixItems": items.iter().map(schema).collect::<Vec<_>>()})
        }
        TypeDesc::Struct { .. } if matches!(shape(ty), Shape::Duration) => {
            json!({"type": "number", "format": "time-delta"})
        }
        TypeDesc::Struct { .. } if matches!(shape(ty), Shape::Datetime) => {
            json!({"type": "string", "format": "date-time"})
        }
        TypeDesc::Struct { name, fields } => json!({
            "title": name,
            "type": "object",
            "additionalProperties": false,
            "properties": fields.iter().map(|f| (f.name.clone(), schema(&f.ty))).collect::<serde_json::Map<_, _>>(),
            "required": fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        }),
        TypeDesc::TupleStruct { name, items } => match items.as_slice() {
            [only] => schema(only),
            _ => json!({"title": name, "type": "array", "prefixItems": items.iter().map(schema).collect::<Vec<_>>()}),
        },
        TypeDesc::Enum { name, variants } => json!({
            "title": name,
            "oneOf": variants.iter().map(|v| {
                if v.fields.is_empty() && v.items.is_empty() {
                    json!({"const": v.name})
                } else {
                    let inner = if v.fields.is_empty() {
                        match v.items.as_slice() {
                            [only] => schema(only),
                            items => json!({"type": "array", "prefixItems": items.iter().map(schema).collect::<Vec<_>>()}),
                        }
                    } else {
                        schema(&TypeDesc::Struct { name: v.name.clone(), fields: v.fields.clone() })
                    };
                    json!({"type": "object", "properties": {v.name.clone(): inner}, "required": [v.name], "additionalProperties": false})
                }
            }).collect::<Vec<_>>(),
        }),
        TypeDesc::Ref { name } => json!({"title": name, "type": "object"}),
        TypeDesc::Opaque { rust, .. } => json!({"title": rust}),
    }
}

/// A JSON object as a protobuf `Struct` (anything else is wrapped as `{"value": ..}`).
pub(crate) fn to_struct(value: &Json) -> prost_types::Struct {
    match to_value(value).kind {
        Some(prost_types::value::Kind::StructValue(s)) => s,
        other => {
            prost_types::Struct { fields: BTreeMap::from([("value".to_owned(), prost_types::Value { kind: other })]) }
        }
    }
}

/// A JSON value as a protobuf `Value`.
pub(crate) fn to_value(value: &Json) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        #[allow(clippy::cast_precision_loss)]
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(items) => Kind::ListValue(prost_types::ListValue { values: items.iter().map(to_value).collect() }),
        Json::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}
