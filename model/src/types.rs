//! Structured type descriptors for the graph's interfaces.
//!
//! Every value that flows between nodes is plain serde data. With the `reflect` feature,
//! [`TypeDesc::of`] reads a type's descriptor from its `Deserialize` implementation with
//! `serde-reflection`, so user structs need no extra derive. Descriptors are exact (an `i32` is a
//! 32-bit signed integer) because a backend compiles them to Flyte's literal types and must know
//! what fits.

use serde::{Deserialize, Serialize};

/// A structured type descriptor, serialized with a `"type"` tag (`{"type":"list","items":{...}}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TypeDesc {
    /// `bool`.
    Boolean,
    /// Any Rust integer, with its width and sign.
    Integer {
        /// 8, 16, 32, 64 or 128.
        bits: u8,
        /// Whether negative values are allowed.
        signed: bool,
    },
    /// `f32` or `f64`.
    Float {
        /// 32 or 64.
        bits: u8,
    },
    /// `String` or `&str` data.
    String,
    /// `char`.
    Char,
    /// Raw bytes (`serde_bytes`).
    Bytes,
    /// `()`.
    Unit,
    /// `Vec<T>`, `VecDeque<T>`, sets: an ordered list.
    List {
        /// Element type.
        items: Box<TypeDesc>,
    },
    /// A fixed-size array `[T; N]`.
    Array {
        /// Element type.
        items: Box<TypeDesc>,
        /// Length.
        len: usize,
    },
    /// `Option<T>`.
    Optional {
        /// The type when present.
        inner: Box<TypeDesc>,
    },
    /// `HashMap<K, V>` or `BTreeMap<K, V>` (Flyte maps have string keys).
    Map {
        /// Key type.
        key: Box<TypeDesc>,
        /// Value type.
        values: Box<TypeDesc>,
    },
    /// A tuple.
    Tuple {
        /// Element types in order.
        items: Vec<TypeDesc>,
    },
    /// A serde struct with named fields.
    Struct {
        /// The struct's name.
        name: String,
        /// Fields in declaration order.
        fields: Vec<FieldDesc>,
    },
    /// A newtype, tuple or unit struct.
    TupleStruct {
        /// The struct's name.
        name: String,
        /// Field types in order (one for a newtype, none for a unit struct).
        items: Vec<TypeDesc>,
    },
    /// A serde enum.
    Enum {
        /// The enum's name.
        name: String,
        /// Variants in declaration order.
        variants: Vec<VariantDesc>,
    },
    /// A reference to a struct or enum already being described (recursive types).
    Ref {
        /// The referenced type's name.
        name: String,
    },
    /// A type whose shape could not be read from its `Deserialize` implementation.
    Opaque {
        /// `std::any::type_name` of the Rust type.
        rust: String,
        /// Why it could not be described.
        reason: String,
    },
}

/// A named field of a struct or struct variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDesc {
    /// Field name as serialized.
    pub name: String,
    /// Field type.
    #[serde(rename = "type")]
    pub ty: TypeDesc,
}

/// A variant of an enum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantDesc {
    /// Variant name as serialized.
    pub name: String,
    /// Named fields (struct variants) — empty for unit variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDesc>,
    /// Positional fields (newtype and tuple variants) — empty for unit variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<TypeDesc>,
}

impl TypeDesc {
    /// Describes `T` by tracing its `Deserialize` implementation.
    #[cfg(feature = "reflect")]
    #[must_use]
    pub fn of<T: serde::de::DeserializeOwned>() -> TypeDesc {
        use serde_reflection::{Samples, Tracer, TracerConfig};
        let mut tracer = Tracer::new(TracerConfig::default());
        let samples = Samples::new();
        let opaque = |reason: String| TypeDesc::Opaque { rust: std::any::type_name::<T>().to_owned(), reason };
        let format = match tracer.trace_type::<T>(&samples) {
            Ok((format, _)) => format,
            Err(e) => return opaque(e.to_string()),
        };
        let registry = tracer.registry_unchecked();
        reflect::Describer { registry: &registry, stack: Vec::new() }.format(&format)
    }

    /// A short human-readable rendering, used by `to_dot` and error messages: `list<integer>`.
    #[must_use]
    pub fn short(&self) -> String {
        match self {
            Self::Boolean => "boolean".into(),
            Self::Integer { .. } => "integer".into(),
            Self::Float { .. } => "float".into(),
            Self::String => "string".into(),
            Self::Char => "char".into(),
            Self::Bytes => "bytes".into(),
            Self::Unit => "unit".into(),
            Self::List { items } => format!("list<{}>", items.short()),
            Self::Array { items, len } => format!("array<{}; {len}>", items.short()),
            Self::Optional { inner } => format!("optional<{}>", inner.short()),
            Self::Map { key, values } => format!("map<{}, {}>", key.short(), values.short()),
            Self::Tuple { items } => {
                format!("tuple<{}>", items.iter().map(Self::short).collect::<Vec<_>>().join(", "))
            }
            Self::Struct { name, .. }
            | Self::TupleStruct { name, .. }
            | Self::Enum { name, .. }
            | Self::Ref { name } => name.clone(),
            Self::Opaque { rust, .. } => rust.clone(),
        }
    }
}

#[cfg(feature = "reflect")]
mod reflect {
    use std::collections::BTreeMap;

    use serde_reflection::{ContainerFormat, Format, Named, VariantFormat};

    use super::{FieldDesc, TypeDesc, VariantDesc};

    pub(super) struct Describer<'a> {
        pub(super) registry: &'a BTreeMap<String, ContainerFormat>,
        pub(super) stack: Vec<String>,
    }

    impl Describer<'_> {
        pub(super) fn format(&mut self, f: &Format) -> TypeDesc {
            let int = |bits, signed| TypeDesc::Integer { bits, signed };
            match f {
                Format::Variable(_) => TypeDesc::Opaque { rust: "?".into(), reason: "type could not be traced".into() },
                Format::TypeName(name) => self.container(name),
                Format::Unit => TypeDesc::Unit,
                Format::Bool => TypeDesc::Boolean,
                Format::I8 => int(8, true),
                Format::I16 => int(16, true),
                Format::I32 => int(32, true),
                Format::I64 => int(64, true),
                Format::I128 => int(128, true),
                Format::U8 => int(8, false),
                Format::U16 => int(16, false),
                Format::U32 => int(32, false),
                Format::U64 => int(64, false),
                Format::U128 => int(128, false),
                Format::F32 => TypeDesc::Float { bits: 32 },
                Format::F64 => TypeDesc::Float { bits: 64 },
                Format::Char => TypeDesc::Char,
                Format::Str => TypeDesc::String,
                Format::Bytes => TypeDesc::Bytes,
                Format::Option(inner) => TypeDesc::Optional { inner: Box::new(self.format(inner)) },
                Format::Seq(items) => TypeDesc::List { items: Box::new(self.format(items)) },
                Format::Map { key, value } => {
                    TypeDesc::Map { key: Box::new(self.format(key)), values: Box::new(self.format(value)) }
                }
                Format::Tuple(items) => TypeDesc::Tuple { items: self.formats(items) },
                Format::TupleArray { content, size } => {
                    TypeDesc::Array { items: Box::new(self.format(content)), len: *size }
                }
            }
        }

        fn formats(&mut self, fs: &[Format]) -> Vec<TypeDesc> {
            fs.iter().map(|f| self.format(f)).collect()
        }

        fn fields(&mut self, fs: &[Named<Format>]) -> Vec<FieldDesc> {
            fs.iter().map(|n| FieldDesc { name: n.name.clone(), ty: self.format(&n.value) }).collect()
        }

        fn container(&mut self, name: &str) -> TypeDesc {
            if self.stack.iter().any(|s| s == name) {
                return TypeDesc::Ref { name: name.to_owned() };
            }
            let Some(c) = self.registry.get(name) else {
                return TypeDesc::Opaque { rust: name.to_owned(), reason: "type was named but not traced".into() };
            };
            self.stack.push(name.to_owned());
            let name = name.to_owned();
            let desc = match c {
                ContainerFormat::UnitStruct => TypeDesc::TupleStruct { name, items: Vec::new() },
                ContainerFormat::NewTypeStruct(f) => TypeDesc::TupleStruct { name, items: vec![self.format(f)] },
                ContainerFormat::TupleStruct(fs) => TypeDesc::TupleStruct { name, items: self.formats(fs) },
                ContainerFormat::Struct(fs) => TypeDesc::Struct { name, fields: self.fields(fs) },
                ContainerFormat::Enum(variants) => TypeDesc::Enum {
                    name,
                    variants: variants
                        .values()
                        .map(|v| {
                            let mut d = VariantDesc { name: v.name.clone(), fields: Vec::new(), items: Vec::new() };
                            match &v.value {
                                VariantFormat::Variable(_) | VariantFormat::Unit => {}
                                VariantFormat::NewType(f) => d.items = vec![self.format(f)],
                                VariantFormat::Tuple(fs) => d.items = self.formats(fs),
                                VariantFormat::Struct(fs) => d.fields = self.fields(fs),
                            }
                            d
                        })
                        .collect(),
                },
            };
            self.stack.pop();
            desc
        }
    }
}

#[cfg(all(test, feature = "reflect"))]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Point {
        x: f64,
        label: Option<String>,
        tags: Vec<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Shape {
        Empty,
        Circle { r: f64 },
        Poly(Vec<(i32, i32)>),
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Tree {
        children: Vec<Tree>,
    }

    fn int64() -> TypeDesc {
        TypeDesc::Integer { bits: 64, signed: true }
    }

    #[test]
    fn scalars_and_collections() {
        assert_eq!(TypeDesc::of::<i64>(), int64());
        assert_eq!(TypeDesc::of::<u8>(), TypeDesc::Integer { bits: 8, signed: false });
        assert_eq!(TypeDesc::of::<f32>(), TypeDesc::Float { bits: 32 });
        assert_eq!(TypeDesc::of::<bool>(), TypeDesc::Boolean);
        assert_eq!(TypeDesc::of::<String>(), TypeDesc::String);
        assert_eq!(TypeDesc::of::<Vec<i64>>(), TypeDesc::List { items: Box::new(int64()) });
        assert_eq!(
            TypeDesc::of::<Vec<Option<bool>>>(),
            TypeDesc::List { items: Box::new(TypeDesc::Optional { inner: Box::new(TypeDesc::Boolean) }) }
        );
        assert_eq!(
            TypeDesc::of::<HashMap<String, i64>>(),
            TypeDesc::Map { key: Box::new(TypeDesc::String), values: Box::new(int64()) }
        );
        assert_eq!(TypeDesc::of::<(i64, bool)>(), TypeDesc::Tuple { items: vec![int64(), TypeDesc::Boolean] });
        // serde writes a fixed-size array as a tuple.
        assert_eq!(TypeDesc::of::<[u8; 3]>().short(), "tuple<integer, integer, integer>");
        assert_eq!(TypeDesc::of::<BTreeMap<String, Vec<f64>>>().short(), "map<string, list<float>>");
    }

    #[test]
    fn structs_enums_and_recursion() {
        let p = TypeDesc::of::<Point>();
        let TypeDesc::Struct { name, fields } = &p else { panic!("{p:?}") };
        assert_eq!(name, "Point");
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["x", "label", "tags"]);
        assert_eq!(fields[1].ty.short(), "optional<string>");

        let s = TypeDesc::of::<Shape>();
        let TypeDesc::Enum { variants, .. } = &s else { panic!("{s:?}") };
        let names: Vec<_> = variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Empty", "Circle", "Poly"]);
        assert_eq!(variants[1].fields[0].name, "r");

        let t = TypeDesc::of::<Tree>();
        let TypeDesc::Struct { fields, .. } = &t else { panic!("{t:?}") };
        assert_eq!(fields[0].ty, TypeDesc::List { items: Box::new(TypeDesc::Ref { name: "Tree".into() }) });
    }

    #[test]
    fn serializes_with_a_type_tag() {
        let json = serde_json::to_value(TypeDesc::of::<Vec<i64>>()).unwrap();
        assert_eq!(json, serde_json::json!({"type": "list", "items": {"type": "integer", "bits": 64, "signed": true}}));
    }
}
