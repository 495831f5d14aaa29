//! Round trips of the literal codec over random types (every shape the model describes, nested
//! up to three deep) and random values of them: value → literal → bytes → literal → value gives
//! the value back; so does a value wrapped in a union, as Flyte may hand one over.

use flowmap_model::types::{FieldDesc, TypeDesc, VariantDesc};
use proptest::prelude::*;
use prost::Message;
use serde_json::{Value as Json, json};

use crate::idl::flyteidl::core::{Literal, Scalar, Union, literal, scalar};
use crate::literal::{from_literal, to_literal};

fn int() -> TypeDesc {
    TypeDesc::Integer { bits: 64, signed: true }
}

fn duration() -> TypeDesc {
    TypeDesc::Struct {
        name: "Duration".into(),
        fields: vec![
            FieldDesc { name: "secs".into(), ty: TypeDesc::Integer { bits: 64, signed: false } },
            FieldDesc { name: "nanos".into(), ty: TypeDesc::Integer { bits: 32, signed: false } },
        ],
    }
}

fn system_time() -> TypeDesc {
    TypeDesc::Struct {
        name: "SystemTime".into(),
        fields: vec![
            FieldDesc { name: "secs_since_epoch".into(), ty: TypeDesc::Integer { bits: 64, signed: false } },
            FieldDesc { name: "nanos_since_epoch".into(), ty: TypeDesc::Integer { bits: 32, signed: false } },
        ],
    }
}

/// Types up to `depth` levels of nesting (also used by `hostile.rs`).
pub(super) fn ty(depth: u32) -> BoxedStrategy<TypeDesc> {
    let leaf = prop_oneof![
        Just(TypeDesc::Boolean),
        Just(int()),
        Just(TypeDesc::Integer { bits: 8, signed: false }),
        Just(TypeDesc::Float { bits: 64 }),
        Just(TypeDesc::String),
        Just(TypeDesc::Char),
        Just(TypeDesc::Unit),
        Just(TypeDesc::Bytes),
        Just(duration()),
        Just(system_time()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let inner = ty(depth - 1);
    let not_optional =
        inner.clone().prop_filter("Flyte has one level of none", |t| !matches!(t, TypeDesc::Optional { .. }));
    prop_oneof![
        2 => leaf,
        1 => inner.clone().prop_map(|t| TypeDesc::List { items: Box::new(t) }),
        1 => not_optional.prop_map(|t| TypeDesc::Optional { inner: Box::new(t) }),
        1 => inner.clone().prop_map(|t| TypeDesc::Map { key: Box::new(TypeDesc::String), values: Box::new(t) }),
        1 => inner.clone().prop_map(|t| TypeDesc::Map { key: Box::new(int()), values: Box::new(t) }),
        1 => proptest::collection::vec(inner.clone(), 1..4).prop_map(|items| TypeDesc::Tuple { items }),
        1 => proptest::collection::vec(inner.clone(), 1..4).prop_map(|tys| TypeDesc::Struct {
            name: "Record".into(),
            fields: tys.into_iter().enumerate().map(|(i, ty)| FieldDesc { name: format!("f{i}"), ty }).collect(),
        }),
        1 => inner.clone().prop_map(|t| TypeDesc::TupleStruct { name: "Wrapper".into(), items: vec![t] }),
        1 => inner.prop_map(|t| TypeDesc::Enum {
            name: "Choice".into(),
            variants: vec![
                VariantDesc { name: "Nothing".into(), fields: vec![], items: vec![] },
                VariantDesc { name: "One".into(), fields: vec![], items: vec![t.clone()] },
                VariantDesc { name: "Named".into(), fields: vec![FieldDesc { name: "value".into(), ty: t }], items: vec![] },
            ],
        }),
    ]
    .boxed()
}

/// A value of `ty`, in its serde JSON form (also used by `hostile.rs`).
pub(super) fn value(ty: &TypeDesc) -> BoxedStrategy<Json> {
    match ty {
        TypeDesc::Boolean => any::<bool>().prop_map(Json::from).boxed(),
        TypeDesc::Integer { signed: false, bits: 8 } => any::<u8>().prop_map(Json::from).boxed(),
        TypeDesc::Integer { .. } => any::<i64>().prop_map(Json::from).boxed(),
        // Finite floats: JSON has no NaN.
        TypeDesc::Float { .. } => proptest::num::f64::NORMAL.prop_map(Json::from).boxed(),
        TypeDesc::String => ".{0,8}".prop_map(Json::from).boxed(),
        TypeDesc::Char => any::<char>().prop_map(|c| Json::from(c.to_string())).boxed(),
        TypeDesc::Unit => Just(Json::Null).boxed(),
        TypeDesc::Bytes => proptest::collection::vec(any::<u8>(), 0..8).prop_map(Json::from).boxed(),
        TypeDesc::Struct { name, .. } if name == "Duration" => (0..1_000_000_000u64, 0..1_000_000u32)
            // Inside msgpack a duration is seconds as a float: whole microseconds survive.
            .prop_map(|(secs, micros)| json!({"secs": secs, "nanos": micros * 1000}))
            .boxed(),
        TypeDesc::Struct { name, .. } if name == "SystemTime" => (0..4_000_000_000u64, 0..1_000_000u32)
            .prop_map(|(secs, micros)| json!({"secs_since_epoch": secs, "nanos_since_epoch": micros * 1000}))
            .boxed(),
        TypeDesc::List { items } => proptest::collection::vec(value(items), 0..4).prop_map(Json::from).boxed(),
        TypeDesc::Optional { inner } => {
            proptest::option::of(value(inner)).prop_map(|v| v.unwrap_or(Json::Null)).boxed()
        }
        TypeDesc::Map { key, values } => {
            let keys = if **key == TypeDesc::String {
                ".{0,6}".boxed()
            } else {
                any::<i64>().prop_map(|k| k.to_string()).boxed()
            };
            proptest::collection::btree_map(keys, value(values), 0..4)
                .prop_map(|m| Json::Object(m.into_iter().collect()))
                .boxed()
        }
        TypeDesc::Tuple { items } => items.iter().map(value).collect::<Vec<_>>().prop_map(Json::from).boxed(),
        TypeDesc::Struct { fields, .. } => {
            let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
            fields
                .iter()
                .map(|f| value(&f.ty))
                .collect::<Vec<_>>()
                .prop_map(move |vs| Json::Object(names.iter().cloned().zip(vs).collect()))
                .boxed()
        }
        TypeDesc::TupleStruct { items, .. } => value(&items[0]),
        TypeDesc::Enum { variants, .. } => {
            let one = variants[1].items[0].clone();
            let named = variants[2].fields[0].ty.clone();
            prop_oneof![
                Just(json!("Nothing")),
                value(&one).prop_map(|v| json!({"One": v})),
                value(&named).prop_map(|v| json!({"Named": {"value": v}})),
            ]
            .boxed()
        }
        other => panic!("no values for {other:?}"),
    }
}

/// A type and a value of it (also used by `hostile.rs`).
pub(super) fn typed_value() -> impl Strategy<Value = (TypeDesc, Json)> {
    ty(3).prop_flat_map(|t| {
        let v = value(&t);
        (Just(t), v)
    })
}

/// Floats are compared as floats: `1.0` may come back as `1`.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

proptest! {
    // 512 cases, or $PROPTEST_CASES for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn values_come_back_through_literals((t, v) in typed_value()) {
        let lit = to_literal(&v, &t).map_err(|e| TestCaseError::fail(format!("encode {t:?}: {e}")))?;
        let bytes = lit.encode_to_vec();
        let read = Literal::decode(bytes.as_slice()).unwrap();
        prop_assert_eq!(&read, &lit);
        let back = from_literal(&read, &t).map_err(|e| TestCaseError::fail(format!("decode {t:?}: {e}")))?;
        prop_assert!(same(&back, &v), "type {:?}\n  in:  {}\n  out: {}", t, v, back);
        // Wrapped in a union, as Flyte may pass a value on, it reads the same.
        let wrapped = Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::Union(Box::new(Union { value: Some(Box::new(lit)), r#type: None }))),
            }))),
            ..Literal::default()
        };
        let back = from_literal(&wrapped, &t).map_err(|e| TestCaseError::fail(format!("decode wrapped {t:?}: {e}")))?;
        prop_assert!(same(&back, &v));
    }
}
