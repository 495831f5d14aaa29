//! Structured type descriptors for the graph's interfaces.
//!
//! Every value that flows between nodes is plain serde data. [`TypeDesc::of`] reads a type's
//! descriptor from its `Deserialize` implementation (see `trace.rs`), so user structs need no
//! extra derive. Descriptors are exact (an `i32` is a
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
    /// Whether this is `std::time::Duration` as serde describes it (`{"secs", "nanos"}`).
    #[must_use]
    pub fn is_duration(&self) -> bool {
        matches!(self, Self::Struct { name, fields } if name == "Duration"
            && fields.iter().map(|f| f.name.as_str()).eq(["secs", "nanos"]))
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
            Self::Opaque { rust, .. } => without_paths(rust),
        }
    }
}

/// A Rust type name without its module paths: `Vec<my_crate::Shape>` for
/// `alloc::vec::Vec<my_crate::Shape>` becomes `Vec<Shape>`.
fn without_paths(rust: &str) -> String {
    let mut out = String::with_capacity(rust.len());
    let mut segment = String::new();
    let mut chars = rust.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear();
        } else {
            out += &segment;
            segment.clear();
            out.push(c);
        }
    }
    out + &segment
}

#[cfg(test)]
mod tests {
    #[test]
    fn opaque_types_are_shown_without_their_paths() {
        assert_eq!(super::without_paths("alloc::vec::Vec<my_crate::io::Shape>"), "Vec<Shape>");
        assert_eq!(super::without_paths("(a::B, c::D<e::F>)"), "(B, D<F>)");
        assert_eq!(super::without_paths("Shape"), "Shape");
    }

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

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Unit {
        Celsius,
        Fahrenheit,
        Custom { name: String, factor: f64 },
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Reading {
        unit: Unit,
        maybe: Option<Unit>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum List {
        Cons(i32, Box<List>),
        Nil,
    }

    /// The variant names of the first enum found in `t`, depth first.
    fn variants(t: &TypeDesc) -> Vec<String> {
        match t {
            TypeDesc::Enum { variants, .. } => variants.iter().map(|v| v.name.clone()).collect(),
            TypeDesc::List { items: t } | TypeDesc::Optional { inner: t } => variants(t),
            TypeDesc::Map { values, .. } => variants(values),
            TypeDesc::Tuple { items } => items.iter().map(variants).find(|v| !v.is_empty()).unwrap_or_default(),
            TypeDesc::Struct { fields, .. } => {
                fields.iter().map(|f| variants(&f.ty)).find(|v| !v.is_empty()).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    #[test]
    fn every_variant_is_listed_wherever_the_enum_appears() {
        let all = ["Celsius", "Fahrenheit", "Custom"];
        assert_eq!(variants(&TypeDesc::of::<Unit>()), all);
        assert_eq!(variants(&TypeDesc::of::<Vec<Unit>>()), all, "in a list");
        assert_eq!(variants(&TypeDesc::of::<Option<Unit>>()), all, "in an option");
        assert_eq!(variants(&TypeDesc::of::<Vec<Option<Unit>>>()), all, "in a tolerant map's output");
        assert_eq!(variants(&TypeDesc::of::<BTreeMap<String, Unit>>()), all, "in a map");
        assert_eq!(variants(&TypeDesc::of::<(i64, Unit)>()), all, "in a tuple");
        let r = TypeDesc::of::<Reading>();
        assert_eq!(variants(&r), all, "in a struct field");
        let TypeDesc::Struct { fields, .. } = &r else { panic!("{r:?}") };
        assert_eq!(variants(&fields[1].ty), all, "the same enum twice in one struct");
        let TypeDesc::List { items } = TypeDesc::of::<Vec<Unit>>() else { panic!("not a list") };
        let TypeDesc::Enum { variants: vs, .. } = *items else { panic!("not an enum") };
        assert_eq!(vs[2].fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["name", "factor"]);
    }

    #[test]
    fn a_recursive_enum_is_described_with_a_reference() {
        let l = TypeDesc::of::<List>();
        let TypeDesc::Enum { variants, .. } = &l else { panic!("{l:?}") };
        assert_eq!(variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["Cons", "Nil"]);
        assert_eq!(variants[0].items, vec![int(32), TypeDesc::Ref { name: "List".into() }]);
    }

    fn int(bits: u8) -> TypeDesc {
        TypeDesc::Integer { bits, signed: true }
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Flattened {
        id: i64,
        #[serde(flatten)]
        rest: BTreeMap<String, String>,
    }

    #[derive(Deserialize)]
    #[serde(tag = "kind")]
    #[allow(dead_code)]
    enum Tagged {
        A { x: i64 },
        B,
    }

    #[test]
    fn types_that_read_any_value_say_why() {
        for (t, rust) in [
            (TypeDesc::of::<serde_json::Value>(), "serde_json::value::Value"),
            (TypeDesc::of::<Flattened>(), "Flattened"),
            (TypeDesc::of::<Tagged>(), "Tagged"),
        ] {
            let TypeDesc::Opaque { rust: r, reason } = &t else { panic!("{t:?}") };
            assert!(r.ends_with(rust), "{r}");
            assert!(reason.contains("travels as generic JSON"), "{reason}");
        }
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Meters(f64);

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Pair(i64, String);

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Marker;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Everything {
        boxed: Box<Meters>,
        twice: Option<Option<bool>>,
        pair: Pair,
        marker: Marker,
        count: std::num::NonZeroU32,
        nested: HashMap<String, Vec<Option<Unit>>>,
        letter: char,
    }

    #[test]
    fn newtypes_tuple_structs_boxes_and_nested_collections_are_described() {
        let t = TypeDesc::of::<Everything>();
        let TypeDesc::Struct { fields, .. } = &t else { panic!("{t:?}") };
        let ty = |name: &str| &fields.iter().find(|f| f.name == name).unwrap().ty;
        assert_eq!(
            *ty("boxed"),
            TypeDesc::TupleStruct { name: "Meters".into(), items: vec![TypeDesc::Float { bits: 64 }] }
        );
        assert_eq!(ty("twice").short(), "optional<optional<boolean>>");
        assert_eq!(ty("pair").short(), "Pair");
        assert_eq!(*ty("marker"), TypeDesc::TupleStruct { name: "Marker".into(), items: vec![] });
        assert_eq!(*ty("count"), TypeDesc::Integer { bits: 32, signed: false });
        assert_eq!(variants(ty("nested")), ["Celsius", "Fahrenheit", "Custom"]);
        assert_eq!(*ty("letter"), TypeDesc::Char);
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Parsed {
        address: std::net::IpAddr,
        socket: std::net::SocketAddr,
        name: String,
    }

    /// Parses a number only.
    #[allow(dead_code)]
    struct Strict;

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            if text.starts_with('#') { Ok(Strict) } else { Err(serde::de::Error::custom("expected `#…`")) }
        }
    }

    #[test]
    fn a_type_that_parses_its_text_is_a_string_on_the_wire() {
        let t = TypeDesc::of::<Parsed>();
        let TypeDesc::Struct { fields, .. } = &t else { panic!("{t:?}") };
        assert_eq!(fields[0].ty, TypeDesc::String, "an address is written as a string");
        assert_eq!(fields[2].ty, TypeDesc::String);
        // No sample fits: opaque, saying why.
        let t = TypeDesc::of::<Strict>();
        let TypeDesc::Opaque { reason, .. } = &t else { panic!("{t:?}") };
        assert!(reason.contains("refused the value made up to trace it"), "{reason}");
    }
}
