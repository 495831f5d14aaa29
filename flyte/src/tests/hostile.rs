//! Hostile input never panics: whatever bytes a task container is handed as its `inputs.pb`
//! (random bytes, a valid `LiteralMap` with bytes flipped, deleted or inserted, or one written for
//! another type), `decode_literal_map` answers `Ok` or a typed `LiteralError`.
//!
//! Types and values are drawn as in `roundtrip.rs`. 512 cases per property, or `$PROPTEST_CASES`.

use flowmap_model::types::{FieldDesc, TypeDesc, VariantDesc};
use proptest::prelude::*;
use prost::Message;
use serde_json::{Value as Json, json};

use crate::idl::flyteidl::core::{Binary, Literal, LiteralMap, Scalar, literal, scalar};
use crate::literal::{decode_literal_map, encode_literal_map};
use crate::types::MSGPACK;

use super::roundtrip::{ty, typed_value, value};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    }
}

fn int() -> TypeDesc {
    TypeDesc::Integer { bits: 64, signed: true }
}

fn uint(bits: u8) -> TypeDesc {
    TypeDesc::Integer { bits, signed: false }
}

fn duration() -> TypeDesc {
    TypeDesc::Struct {
        name: "Duration".into(),
        fields: vec![FieldDesc { name: "secs".into(), ty: uint(64) }, FieldDesc { name: "nanos".into(), ty: uint(32) }],
    }
}

fn system_time() -> TypeDesc {
    TypeDesc::Struct {
        name: "SystemTime".into(),
        fields: vec![
            FieldDesc { name: "secs_since_epoch".into(), ty: uint(64) },
            FieldDesc { name: "nanos_since_epoch".into(), ty: uint(32) },
        ],
    }
}

fn record(tys: Vec<TypeDesc>) -> TypeDesc {
    TypeDesc::Struct {
        name: "Record".into(),
        fields: tys.into_iter().enumerate().map(|(i, ty)| FieldDesc { name: format!("f{i}"), ty }).collect(),
    }
}

fn choice(t: TypeDesc) -> TypeDesc {
    TypeDesc::Enum {
        name: "Choice".into(),
        variants: vec![
            VariantDesc { name: "Nothing".into(), fields: vec![], items: vec![] },
            VariantDesc { name: "One".into(), fields: vec![], items: vec![t.clone()] },
            VariantDesc {
                name: "Named".into(),
                fields: vec![FieldDesc { name: "value".into(), ty: t }],
                items: vec![],
            },
        ],
    }
}

/// The leaf types, in the order [`confuse`] rotates them.
fn leaves() -> Vec<TypeDesc> {
    vec![
        TypeDesc::Boolean,
        int(),
        uint(8),
        TypeDesc::Float { bits: 64 },
        TypeDesc::String,
        TypeDesc::Char,
        TypeDesc::Unit,
        TypeDesc::Bytes,
        duration(),
        system_time(),
    ]
}

/// A struct of up to three fields, each of a type nested up to twice, and a value of it.
fn record_value() -> impl Strategy<Value = (TypeDesc, Json)> {
    proptest::collection::vec(ty(2), 1..4).prop_map(record).prop_flat_map(|t| {
        let v = value(&t);
        (Just(t), v)
    })
}

/// `t` with each leaf type replaced by the one `k` places further in [`leaves`]: the same
/// nesting, read as other data (a string as a time, an integer as a duration, ...).
fn confuse(t: &TypeDesc, k: usize) -> TypeDesc {
    let all = leaves();
    if let Some(i) = all.iter().position(|l| l == t) {
        return all[(i + k) % all.len()].clone();
    }
    let boxed = |t: &TypeDesc| Box::new(confuse(t, k));
    match t {
        TypeDesc::List { items } => TypeDesc::List { items: boxed(items) },
        TypeDesc::Optional { inner } => TypeDesc::Optional { inner: boxed(inner) },
        TypeDesc::Map { key, values } => TypeDesc::Map { key: key.clone(), values: boxed(values) },
        TypeDesc::Tuple { items } => TypeDesc::Tuple { items: items.iter().map(|t| confuse(t, k)).collect() },
        TypeDesc::Struct { name, fields } => TypeDesc::Struct {
            name: name.clone(),
            fields: fields.iter().map(|f| FieldDesc { name: f.name.clone(), ty: confuse(&f.ty, k) }).collect(),
        },
        TypeDesc::TupleStruct { name, items } => {
            TypeDesc::TupleStruct { name: name.clone(), items: items.iter().map(|t| confuse(t, k)).collect() }
        }
        TypeDesc::Enum { variants, .. } => choice(confuse(&variants[1].items[0], k)),
        other => other.clone(),
    }
}

/// Fixed targets besides the value's own type: each shape of the codec at least once.
fn targets() -> Vec<TypeDesc> {
    let mut out = leaves();
    out.extend([
        TypeDesc::List { items: Box::new(int()) },
        TypeDesc::Optional { inner: Box::new(TypeDesc::String) },
        TypeDesc::Map { key: Box::new(TypeDesc::String), values: Box::new(TypeDesc::Float { bits: 64 }) },
        TypeDesc::Map { key: Box::new(int()), values: Box::new(system_time()) },
        TypeDesc::Tuple { items: vec![duration(), TypeDesc::String] },
        record(vec![system_time(), duration(), TypeDesc::String, TypeDesc::Optional { inner: Box::new(int()) }]),
        TypeDesc::TupleStruct { name: "Wrapper".into(), items: vec![TypeDesc::Bytes] },
        choice(system_time()),
        TypeDesc::Ref { name: "Missing".into() },
    ]);
    out
}

/// One edit of a byte string: `(kind, position, byte)`, positions taken modulo the length.
type Edit = (u8, usize, u8);

fn mutate(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for &(kind, at, byte) in edits {
        let len = bytes.len();
        match kind % 5 {
            0 if len > 0 => bytes[at % len] ^= 1 << (byte % 8),
            1 if len > 0 => {
                bytes.remove(at % len);
            }
            2 => bytes.insert(at % (len + 1), byte),
            3 if len > 0 => bytes[at % len] = byte,
            4 => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
}

/// Decodes `bytes` as `x: ty, n: i64`: an `Ok` holds both names, an error says something.
/// Whether it decoded.
fn decode_checked(bytes: &[u8], ty: &TypeDesc) -> Result<bool, TestCaseError> {
    let n = int();
    match decode_literal_map(bytes, [("x", ty), ("n", &n)]) {
        Ok(map) => {
            prop_assert!(map.len() == 2 && map.contains_key("x") && map.contains_key("n"), "{:?}", map);
            Ok(true)
        }
        Err(e) => {
            prop_assert!(!e.reason.is_empty(), "an error without a reason for {:?}", ty);
            Ok(false)
        }
    }
}

/// The bytes of `{x: value, n: 7}`.
fn encoded(t: &TypeDesc, v: &Json) -> Result<Vec<u8>, TestCaseError> {
    let n = int();
    encode_literal_map([("x", v, t), ("n", &json!(7), &n)])
        .map_err(|e| TestCaseError::fail(format!("encode {t:?}: {e}")))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_decode_or_say_why(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        for t in targets() {
            decode_checked(&bytes, &t)?;
        }
    }

    #[test]
    fn damaged_literal_maps_decode_or_say_why(
        (t, v) in typed_value(),
        edits in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = encoded(&t, &v)?;
        // Undamaged, the map reads back: the damage below starts from valid bytes.
        prop_assert!(decode_checked(&bytes, &t)?, "{:?} does not read back", t);
        mutate(&mut bytes, &edits);
        decode_checked(&bytes, &t)?;
        for target in targets() {
            decode_checked(&bytes, &target)?;
        }
    }

    #[test]
    fn literal_maps_of_another_type_decode_or_say_why((t, v) in typed_value(), k in 1..10usize) {
        let bytes = encoded(&t, &v)?;
        let other = confuse(&t, k);
        decode_checked(&bytes, &other)?;
    }

    #[test]
    fn damaged_msgpack_decodes_or_says_why(
        (t, v) in record_value(),
        edits in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        // The payload of a struct is msgpack inside the literal: damage it there, where
        // protobuf's framing does not catch it first.
        let map = LiteralMap::decode(encoded(&t, &v)?.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut packed = match map.literals.get("x").and_then(|l| l.value.clone()) {
            Some(literal::Value::Scalar(s)) => match s.value {
                Some(scalar::Value::Binary(b)) => b.value,
                other => return Err(TestCaseError::fail(format!("{t:?} is not a binary: {other:?}"))),
            },
            other => return Err(TestCaseError::fail(format!("{t:?} is not a scalar: {other:?}"))),
        };
        mutate(&mut packed, &edits);
        let bytes = with_binary(packed, MSGPACK);
        decode_checked(&bytes, &t)?;
        decode_checked(&bytes, &confuse(&t, 1))?;
    }
}

/// A map `{x: binary(value, tag), n: 7}`.
fn with_binary(value: Vec<u8>, tag: &str) -> Vec<u8> {
    let n = encoded(&int(), &json!(1)).ok().and_then(|b| LiteralMap::decode(b.as_slice()).ok());
    let mut map = n.unwrap_or_default();
    map.literals.insert(
        "x".into(),
        Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::Binary(Binary { value, tag: tag.to_owned() })),
            }))),
            ..Literal::default()
        },
    );
    map.encode_to_vec()
}

/// msgpack nested deeper than any data type (arrays in an unknown field of a struct) is
/// refused, without running out of stack, on a test's own 2 MiB thread: found by this module
/// (rmpv's own limit, 1024 levels, overflowed a 2 MiB thread in a debug build from about 450);
/// reading is now bounded at some 127 levels.
#[test]
fn deeply_nested_msgpack_decodes_or_says_why() {
    let t = record(vec![int()]);
    for depth in [1, 100, 120, 200, 600, 5000, 100_000] {
        // {"zz": [[[...nil...]]]}
        let mut packed = vec![0x81, 0xa2, b'z', b'z'];
        packed.extend(std::iter::repeat_n(0x91, depth));
        packed.push(0xc0);
        let decoded = decode_literal_map(&with_binary(packed, MSGPACK), [("x", &t)]);
        match depth {
            ..=120 => assert!(decoded.is_ok(), "depth {depth}: {decoded:?}"),
            _ => assert!(decoded.unwrap_err().reason.contains("msgpack"), "depth {depth}"),
        }
    }
}

/// A defect found by `literal_maps_of_another_type_decode_or_say_why` and
/// `damaged_msgpack_decodes_or_says_why`: a msgpack string read as a `SystemTime` (an ISO 8601
/// time inside a struct) was sliced at byte offsets from its end, so a non-ASCII character there
/// panicked ("byte index N is not a char boundary") in `literal::from_iso`. Fixed there.
#[test]
fn non_ascii_times_in_msgpack_do_not_panic() {
    let t = record(vec![system_time()]);
    for text in ["aé12345", "2020-01-01T00:00:00é:00", "ééééé", "€€€"] {
        let mut packed = vec![0x81, 0xa2, b'f', b'0'];
        rmpv::encode::write_value(&mut packed, &rmpv::Value::from(text)).unwrap();
        let bytes = with_binary(packed, MSGPACK);
        let decoded = std::panic::catch_unwind(|| decode_literal_map(&bytes, [("x", &t)]));
        assert!(matches!(decoded, Ok(Err(_))), "{text:?}: {decoded:?}");
    }
}
