//! The literal codec: a value, in its serde JSON form, to a Flyte `Literal` and back, guided by
//! its flowmap type. Structs travel as msgpack bytes (tag `msgpack`), as flytekit sends
//! dataclasses; inside them a `Duration` is a number of seconds and a `SystemTime` an ISO 8601
//! string, as mashumaro writes `timedelta` and `datetime`.
//!
//! Decoding accepts what Flyte may hand a task: plain values, values wrapped in a union, and a
//! bare `none` where an optional is expected (propeller writes one for a failed map element).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flowmap_model::types::TypeDesc;
use rmpv::Value as Mp;
use serde_json::{Map as JsonMap, Number, Value as Json};

use crate::idl::flyteidl::core::{
    Binary, Literal, LiteralCollection, LiteralMap, LiteralType, Primitive, Scalar, Union, Void, literal, literal_type,
    primitive, scalar,
};
use crate::shape::{Shape, shape};
use crate::types::{MSGPACK, union_of};

/// How deep rmpv may read a msgpack value from a literal (it counts about two per level of
/// nesting): some 127 levels, far deeper than any data type, and far from what overflows a
/// thread's stack.
const MAX_DEPTH: usize = 256;

/// Why a value and a type, or a literal and a type, do not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", if path.is_empty() { String::new() } else { format!("at {path}: ") })]
pub struct LiteralError {
    /// Where in the value: `[3].sensor`, empty at the top.
    pub path: String,
    /// What does not fit.
    pub reason: String,
}

fn fail<T>(reason: impl Into<String>) -> Result<T, LiteralError> {
    Err(LiteralError { path: String::new(), reason: reason.into() })
}

/// Prefixes an error's path with `step` (`[3]`, `.name`).
fn at<T>(step: impl FnOnce() -> String, r: Result<T, LiteralError>) -> Result<T, LiteralError> {
    r.map_err(|mut e| {
        e.path = step() + &e.path;
        e
    })
}

/// The types named on the way down, for `Ref`s (recursive types); and the union variant types
/// already built.
#[derive(Default)]
struct Cx {
    defs: Vec<(String, TypeDesc)>,
    unions: Vec<(TypeDesc, [LiteralType; 2])>,
}

impl Cx {
    /// The definition a `Ref` names (`None` for any other type); named types are remembered.
    fn resolve(&mut self, ty: &TypeDesc) -> Result<Option<TypeDesc>, LiteralError> {
        match ty {
            TypeDesc::Ref { name } => match self.defs.iter().rev().find(|(n, _)| n == name) {
                Some((_, def)) => Ok(Some(def.clone())),
                None => fail(format!("type `{name}` is referred to but not described")),
            },
            TypeDesc::Struct { name, .. } | TypeDesc::TupleStruct { name, .. } | TypeDesc::Enum { name, .. } => {
                if !self.defs.iter().any(|(n, _)| n == name) {
                    self.defs.push((name.clone(), ty.clone()));
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// The union variant types of `Option<inner>`: `[some, none]`.
    fn variants(&mut self, inner: &TypeDesc) -> [LiteralType; 2] {
        if let Some((_, v)) = self.unions.iter().find(|(t, _)| t == inner) {
            return v.clone();
        }
        let v = match union_of(inner).r#type {
            Some(literal_type::Type::UnionType(u)) => {
                let mut v = u.variants.into_iter();
                [v.next().unwrap_or_default(), v.next().unwrap_or_default()]
            }
            _ => Default::default(),
        };
        self.unions.push((inner.clone(), v.clone()));
        v
    }
}

/// `value` (the serde JSON form of a value of type `ty`) as a literal.
///
/// # Errors
/// The value does not have the type's shape, or does not fit Flyte's (an integer beyond 64-bit
/// signed, a time before 1970).
pub(crate) fn to_literal(value: &Json, ty: &TypeDesc) -> Result<Literal, LiteralError> {
    encode(&mut Cx::default(), value, ty)
}

/// `literal` as the serde JSON form of a value of type `ty`.
///
/// # Errors
/// The literal does not have the type's shape, or its msgpack bytes do not decode.
pub(crate) fn from_literal(literal: &Literal, ty: &TypeDesc) -> Result<Json, LiteralError> {
    decode(&mut Cx::default(), literal, ty)
}

/// Inputs or outputs as a `LiteralMap`, by name.
///
/// # Errors
/// As [`to_literal`], with the name in the path.
pub(crate) fn to_literal_map<'a>(
    values: impl IntoIterator<Item = (&'a str, &'a Json, &'a TypeDesc)>,
) -> Result<LiteralMap, LiteralError> {
    let mut literals = std::collections::BTreeMap::new();
    for (name, value, ty) in values {
        literals.insert(name.to_owned(), at(|| name.to_owned(), to_literal(value, ty))?);
    }
    Ok(LiteralMap { literals })
}

fn scalar(value: scalar::Value) -> Literal {
    Literal { value: Some(literal::Value::Scalar(Box::new(Scalar { value: Some(value) }))), ..Literal::default() }
}

fn primitive(value: primitive::Value) -> Literal {
    scalar(scalar::Value::Primitive(Primitive { value: Some(value) }))
}

fn none() -> Literal {
    scalar(scalar::Value::NoneType(Void {}))
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

fn expected<T>(what: &str, v: &Json) -> Result<T, LiteralError> {
    fail(format!("expected {what}, found {}", kind(v)))
}

fn integer(v: &Json) -> Result<i64, LiteralError> {
    match v {
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Ok(i),
            (None, Some(u)) => fail(format!("{u} does not fit Flyte's 64-bit signed integers")),
            _ => expected("an integer", v),
        },
        _ => expected("an integer", v),
    }
}

/// A float; `null` is how serde_json writes NaN and the infinities, which travel as NaN.
fn float(v: &Json) -> Result<f64, LiteralError> {
    match v {
        Json::Number(n) => n.as_f64().map_or_else(|| expected("a float", v), Ok),
        Json::Null => Ok(f64::NAN),
        _ => expected("a float", v),
    }
}

fn field<'v>(object: &'v JsonMap<String, Json>, name: &str) -> Result<&'v Json, LiteralError> {
    object.get(name).map_or_else(|| fail(format!("missing field `{name}`")), Ok)
}

/// A `Duration` from its serde form `{secs, nanos}`.
fn duration_of(v: &Json) -> Result<Duration, LiteralError> {
    let Json::Object(o) = v else { return expected("a duration {secs, nanos}", v) };
    let secs = field(o, "secs")?.as_u64().map_or_else(|| fail("`secs` is not a whole number"), Ok)?;
    let nanos = field(o, "nanos")?.as_u64().and_then(|n| u32::try_from(n).ok());
    let nanos = nanos.filter(|n| *n < 1_000_000_000).map_or_else(|| fail("`nanos` is out of range"), Ok)?;
    Ok(Duration::new(secs, nanos))
}

fn duration_json(d: Duration) -> Json {
    serde_json::json!({"secs": d.as_secs(), "nanos": d.subsec_nanos()})
}

/// A `SystemTime` from its serde form `{secs_since_epoch, nanos_since_epoch}`.
fn time_of(v: &Json) -> Result<SystemTime, LiteralError> {
    let Json::Object(o) = v else { return expected("a time {secs_since_epoch, nanos_since_epoch}", v) };
    let secs =
        field(o, "secs_since_epoch")?.as_u64().map_or_else(|| fail("`secs_since_epoch` is not a whole number"), Ok)?;
    let nanos = field(o, "nanos_since_epoch")?.as_u64().and_then(|n| u32::try_from(n).ok());
    let nanos = nanos.filter(|n| *n < 1_000_000_000).map_or_else(|| fail("`nanos_since_epoch` is out of range"), Ok)?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos)).map_or_else(|| fail("the time is out of range"), Ok)
}

fn time_json(t: SystemTime) -> Result<Json, LiteralError> {
    let d = t.duration_since(UNIX_EPOCH).map_or_else(|_| fail("times before 1970 are not supported"), Ok)?;
    Ok(serde_json::json!({"secs_since_epoch": d.as_secs(), "nanos_since_epoch": d.subsec_nanos()}))
}

fn encode(cx: &mut Cx, v: &Json, ty: &TypeDesc) -> Result<Literal, LiteralError> {
    let resolved = cx.resolve(ty)?;
    let ty = resolved.as_ref().unwrap_or(ty);
    Ok(match shape(ty) {
        Shape::Boolean => match v {
            Json::Bool(b) => primitive(primitive::Value::Boolean(*b)),
            _ => return expected("a boolean", v),
        },
        Shape::Integer => primitive(primitive::Value::Integer(integer(v)?)),
        Shape::Float => primitive(primitive::Value::FloatValue(float(v)?)),
        Shape::String => match v {
            Json::String(s) => primitive(primitive::Value::StringValue(s.clone())),
            _ => return expected("a string", v),
        },
        Shape::None => match v {
            Json::Null => none(),
            _ => return expected("null", v),
        },
        Shape::Duration => {
            let d = prost_types::Duration::try_from(duration_of(v)?);
            primitive(primitive::Value::Duration(d.map_or_else(|_| fail("the duration is too long"), Ok)?))
        }
        Shape::Datetime => primitive(primitive::Value::Datetime(prost_types::Timestamp::from(time_of(v)?))),
        Shape::List(items) => {
            let Json::Array(values) = v else { return expected("a list", v) };
            let mut literals = Vec::with_capacity(values.len());
            for (i, item) in values.iter().enumerate() {
                literals.push(at(|| format!("[{i}]"), encode(cx, item, items))?);
            }
            Literal { value: Some(literal::Value::Collection(LiteralCollection { literals })), ..Literal::default() }
        }
        Shape::Map(values) => {
            let Json::Object(entries) = v else { return expected("a map", v) };
            let mut literals = std::collections::BTreeMap::new();
            for (k, item) in entries {
                literals.insert(k.clone(), at(|| format!("[{k:?}]"), encode(cx, item, values))?);
            }
            Literal { value: Some(literal::Value::Map(LiteralMap { literals })), ..Literal::default() }
        }
        Shape::Optional(inner) => {
            let [some, nothing] = cx.variants(inner);
            let (value, r#type) = if v.is_null() { (none(), nothing) } else { (encode(cx, v, inner)?, some) };
            scalar(scalar::Value::Union(Box::new(Union { value: Some(Box::new(value)), r#type: Some(r#type) })))
        }
        Shape::Struct => {
            let mut bytes = Vec::new();
            let packed = to_msgpack(cx, v, ty)?;
            rmpv::encode::write_value(&mut bytes, &packed).map_or_else(|e| fail(format!("msgpack: {e}")), Ok)?;
            scalar(scalar::Value::Binary(Binary { value: bytes, tag: MSGPACK.to_owned() }))
        }
    })
}

/// The value inside a union wrapper, or the literal itself.
fn unwrap_union(lit: &Literal) -> &Literal {
    match &lit.value {
        Some(literal::Value::Scalar(s)) => match &s.value {
            Some(scalar::Value::Union(u)) => u.value.as_deref().map_or(lit, unwrap_union),
            _ => lit,
        },
        _ => lit,
    }
}

fn scalar_of(lit: &Literal) -> Option<&scalar::Value> {
    match &lit.value {
        Some(literal::Value::Scalar(s)) => s.value.as_ref(),
        _ => None,
    }
}

fn primitive_of(lit: &Literal) -> Option<&primitive::Value> {
    match scalar_of(lit) {
        Some(scalar::Value::Primitive(p)) => p.value.as_ref(),
        _ => None,
    }
}

fn is_none(lit: &Literal) -> bool {
    matches!(scalar_of(lit), Some(scalar::Value::NoneType(_)))
}

fn literal_kind(lit: &Literal) -> &'static str {
    match &lit.value {
        None => "an empty literal",
        Some(literal::Value::Collection(_)) => "a collection",
        Some(literal::Value::Map(_)) => "a map",
        Some(literal::Value::OffloadedMetadata(_)) => "an offloaded literal",
        Some(literal::Value::Scalar(s)) => match &s.value {
            None => "an empty scalar",
            Some(scalar::Value::Primitive(p)) => match &p.value {
                None => "an empty primitive",
                Some(primitive::Value::Integer(_)) => "an integer",
                Some(primitive::Value::FloatValue(_)) => "a float",
                Some(primitive::Value::StringValue(_)) => "a string",
                Some(primitive::Value::Boolean(_)) => "a boolean",
                Some(primitive::Value::Datetime(_)) => "a datetime",
                Some(primitive::Value::Duration(_)) => "a duration",
            },
            Some(scalar::Value::Blob(_)) => "a blob",
            Some(scalar::Value::Binary(_)) => "a binary",
            Some(scalar::Value::Schema(_)) => "a schema",
            Some(scalar::Value::NoneType(_)) => "none",
            Some(scalar::Value::Error(_)) => "an error",
            Some(scalar::Value::Generic(_)) => "a generic struct",
            Some(scalar::Value::StructuredDataset(_)) => "a structured dataset",
            Some(scalar::Value::Union(_)) => "a union",
        },
    }
}

fn mismatch<T>(what: &str, lit: &Literal) -> Result<T, LiteralError> {
    fail(format!("expected {what}, found {}", literal_kind(lit)))
}

fn decode(cx: &mut Cx, lit: &Literal, ty: &TypeDesc) -> Result<Json, LiteralError> {
    let resolved = cx.resolve(ty)?;
    let ty = resolved.as_ref().unwrap_or(ty);
    let lit = unwrap_union(lit);
    Ok(match shape(ty) {
        Shape::Optional(inner) => {
            if is_none(lit) {
                Json::Null
            } else {
                decode(cx, lit, inner)?
            }
        }
        Shape::Boolean => match primitive_of(lit) {
            Some(primitive::Value::Boolean(b)) => Json::Bool(*b),
            _ => return mismatch("a boolean", lit),
        },
        Shape::Integer => match primitive_of(lit) {
            Some(primitive::Value::Integer(i)) => Json::from(*i),
            _ => return mismatch("an integer", lit),
        },
        Shape::Float => match primitive_of(lit) {
            Some(primitive::Value::FloatValue(f)) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
            #[allow(clippy::cast_precision_loss)]
            Some(primitive::Value::Integer(i)) => Json::from(*i as f64),
            _ => return mismatch("a float", lit),
        },
        Shape::String => match primitive_of(lit) {
            Some(primitive::Value::StringValue(s)) => Json::String(s.clone()),
            _ => return mismatch("a string", lit),
        },
        Shape::None => {
            if is_none(lit) {
                Json::Null
            } else {
                return mismatch("none", lit);
            }
        }
        Shape::Duration => match primitive_of(lit) {
            Some(primitive::Value::Duration(d)) => match Duration::try_from(*d) {
                Ok(d) => duration_json(d),
                Err(_) => return fail("negative durations are not supported"),
            },
            _ => return mismatch("a duration", lit),
        },
        Shape::Datetime => match primitive_of(lit) {
            Some(primitive::Value::Datetime(t)) => match SystemTime::try_from(*t) {
                Ok(t) => time_json(t)?,
                Err(_) => return fail("the time is out of range"),
            },
            _ => return mismatch("a datetime", lit),
        },
        Shape::List(items) => match &lit.value {
            Some(literal::Value::Collection(c)) => {
                let mut out = Vec::with_capacity(c.literals.len());
                for (i, item) in c.literals.iter().enumerate() {
                    out.push(at(|| format!("[{i}]"), decode(cx, item, items))?);
                }
                Json::Array(out)
            }
            _ => return mismatch("a collection", lit),
        },
        Shape::Map(values) => match &lit.value {
            Some(literal::Value::Map(m)) => {
                let mut out = JsonMap::new();
                for (k, item) in &m.literals {
                    out.insert(k.clone(), at(|| format!("[{k:?}]"), decode(cx, item, values))?);
                }
                Json::Object(out)
            }
            _ => return mismatch("a map", lit),
        },
        Shape::Struct => match scalar_of(lit) {
            Some(scalar::Value::Binary(b)) if b.tag == MSGPACK || b.tag.is_empty() => {
                // Nesting is bounded: a hostile input must not overflow the stack.
                let packed = rmpv::decode::read_value_with_max_depth(&mut b.value.as_slice(), MAX_DEPTH)
                    .map_or_else(|e| fail(format!("msgpack: {e}")), Ok)?;
                from_msgpack(cx, &packed, ty)?
            }
            Some(scalar::Value::Binary(b)) => return fail(format!("binary tagged `{}`, not `msgpack`", b.tag)),
            // Older flytekit sent dataclasses as JSON in a protobuf Struct.
            Some(scalar::Value::Generic(s)) => struct_json(s),
            _ => return mismatch("a msgpack binary", lit),
        },
    })
}

/// A protobuf `Struct` as JSON.
fn struct_json(s: &prost_types::Struct) -> Json {
    Json::Object(s.fields.iter().map(|(k, v)| (k.clone(), value_json(v))).collect())
}

fn value_json(v: &prost_types::Value) -> Json {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::NumberValue(n)) => Number::from_f64(*n).map_or(Json::Null, Json::Number),
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::StructValue(s)) => struct_json(s),
        Some(Kind::ListValue(l)) => Json::Array(l.values.iter().map(value_json).collect()),
    }
}

/// A number of seconds, as mashumaro writes a `timedelta`.
#[allow(clippy::cast_precision_loss)]
fn seconds(d: Duration) -> f64 {
    d.as_secs() as f64 + f64::from(d.subsec_nanos()) / 1e9
}

fn from_seconds(s: f64) -> Result<Duration, LiteralError> {
    // Python's timedelta counts microseconds: a float of seconds is read to the nearest one.
    let micros = (s * 1e6).round();
    if !(0.0..=1.8e19).contains(&micros) {
        return fail(format!("{s} seconds is not a duration flowmap can hold"));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Duration::from_micros(micros as u64))
}

/// ISO 8601 in UTC with microseconds, as Python's `datetime.isoformat()` writes an aware time.
fn iso(t: SystemTime) -> String {
    let text = humantime::format_rfc3339_micros(t).to_string();
    let text = text.strip_suffix('Z').unwrap_or(&text).to_owned();
    let text = text.strip_suffix(".000000").map(str::to_owned).unwrap_or(text);
    text + "+00:00"
}

/// Reads an ISO 8601 time with `Z`, an offset such as `+02:00`, or none (UTC).
fn from_iso(text: &str) -> Result<SystemTime, LiteralError> {
    let bad = || LiteralError { path: String::new(), reason: format!("`{text}` is not an ISO 8601 time") };
    let (local, offset_secs): (&str, i64) = if let Some(t) = text.strip_suffix('Z') {
        (t, 0)
    } else if let [.., sign @ (b'+' | b'-'), _, _, b':', _, _] = text.as_bytes()
        && text.len() > 6
    {
        // The offset's sign and colon are ASCII, so these cuts are at char boundaries; its digits
        // are checked by `get`, never sliced blindly.
        let (t, off) = text.split_at(text.len() - 6);
        let sign = if *sign == b'-' { -1 } else { 1 };
        let hours: i64 = off.get(1..3).and_then(|h| h.parse().ok()).ok_or_else(bad)?;
        let minutes: i64 = off.get(4..6).and_then(|m| m.parse().ok()).ok_or_else(bad)?;
        (t, sign * (hours * 3600 + minutes * 60))
    } else {
        (text, 0)
    };
    let utc = humantime::parse_rfc3339_weak(local).map_err(|_| bad())?;
    let shift = Duration::from_secs(offset_secs.unsigned_abs());
    let t = if offset_secs >= 0 { utc.checked_sub(shift) } else { utc.checked_add(shift) };
    t.ok_or_else(bad)
}

fn mp_int(v: &Json) -> Result<Mp, LiteralError> {
    match v {
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Ok(Mp::from(i)),
            (None, Some(u)) => Ok(Mp::from(u)),
            _ => expected("an integer", v),
        },
        _ => expected("an integer", v),
    }
}

/// `v` of type `ty` as msgpack, as mashumaro would write the equivalent dataclass.
fn to_msgpack(cx: &mut Cx, v: &Json, ty: &TypeDesc) -> Result<Mp, LiteralError> {
    let resolved = cx.resolve(ty)?;
    let ty = resolved.as_ref().unwrap_or(ty);
    Ok(match ty {
        TypeDesc::Boolean => Mp::Boolean(v.as_bool().map_or_else(|| expected("a boolean", v), Ok)?),
        TypeDesc::Integer { .. } => mp_int(v)?,
        TypeDesc::Float { .. } => Mp::F64(float(v)?),
        TypeDesc::String | TypeDesc::Char => Mp::from(v.as_str().map_or_else(|| expected("a string", v), Ok)?),
        TypeDesc::Unit => Mp::Nil,
        TypeDesc::Bytes => {
            let Json::Array(items) = v else { return expected("bytes", v) };
            let bytes: Option<Vec<u8>> = items.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect();
            Mp::Binary(bytes.map_or_else(|| expected("bytes", v), Ok)?)
        }
        TypeDesc::List { items } | TypeDesc::Array { items, .. } => {
            let Json::Array(values) = v else { return expected("a list", v) };
            let mut out = Vec::with_capacity(values.len());
            for (i, item) in values.iter().enumerate() {
                out.push(at(|| format!("[{i}]"), to_msgpack(cx, item, items))?);
            }
            Mp::Array(out)
        }
        TypeDesc::Tuple { items } => {
            let Json::Array(values) = v else { return expected("a tuple", v) };
            if values.len() != items.len() {
                return fail(format!("expected {} items, found {}", items.len(), values.len()));
            }
            let mut out = Vec::with_capacity(values.len());
            for (i, (item, t)) in values.iter().zip(items).enumerate() {
                out.push(at(|| format!("[{i}]"), to_msgpack(cx, item, t))?);
            }
            Mp::Array(out)
        }
        TypeDesc::Optional { inner } => {
            if v.is_null() {
                Mp::Nil
            } else {
                to_msgpack(cx, v, inner)?
            }
        }
        TypeDesc::Map { key, values } => {
            let Json::Object(entries) = v else { return expected("a map", v) };
            let mut out = Vec::with_capacity(entries.len());
            for (k, item) in entries {
                let k_mp = match **key {
                    TypeDesc::Integer { .. } => k
                        .parse::<i64>()
                        .map(Mp::from)
                        .or_else(|_| k.parse::<u64>().map(Mp::from))
                        .map_or_else(|_| fail(format!("map key `{k}` is not an integer")), Ok)?,
                    _ => Mp::from(k.as_str()),
                };
                out.push((k_mp, at(|| format!("[{k:?}]"), to_msgpack(cx, item, values))?));
            }
            Mp::Map(out)
        }
        TypeDesc::Struct { .. } if matches!(shape(ty), Shape::Duration) => Mp::F64(seconds(duration_of(v)?)),
        TypeDesc::Struct { .. } if matches!(shape(ty), Shape::Datetime) => Mp::from(iso(time_of(v)?)),
        TypeDesc::Struct { fields, .. } => {
            let Json::Object(o) = v else { return expected("a struct", v) };
            let mut out = Vec::with_capacity(o.len());
            for f in fields {
                // A field serde skipped (`skip_serializing_if`) is left out here too.
                if let Some(item) = o.get(&f.name) {
                    out.push((Mp::from(f.name.as_str()), at(|| format!(".{}", f.name), to_msgpack(cx, item, &f.ty))?));
                }
            }
            // Keys the description does not know (`flatten`) travel as they are.
            for (k, item) in o.iter().filter(|(k, _)| !fields.iter().any(|f| &f.name == *k)) {
                out.push((Mp::from(k.as_str()), json_to_mp(item)));
            }
            Mp::Map(out)
        }
        TypeDesc::TupleStruct { items, .. } => match items.as_slice() {
            [] => Mp::Nil,
            [only] => to_msgpack(cx, v, only)?,
            _ => to_msgpack(cx, v, &TypeDesc::Tuple { items: items.clone() })?,
        },
        TypeDesc::Enum { variants, .. } => match v {
            Json::String(name) => Mp::from(name.as_str()),
            Json::Object(o) if o.len() == 1 => {
                let (name, inner) = o.iter().next().map_or_else(|| fail("an empty enum value"), Ok)?;
                let variant = variants.iter().find(|x| &x.name == name);
                let Some(variant) = variant else { return fail(format!("no variant `{name}`")) };
                let inner_ty = variant_type(variant);
                let inner = at(|| format!(".{name}"), to_msgpack(cx, inner, &inner_ty))?;
                Mp::Map(vec![(Mp::from(name.as_str()), inner)])
            }
            _ => return expected("an enum variant", v),
        },
        TypeDesc::Ref { .. } | TypeDesc::Opaque { .. } => json_to_mp(v),
    })
}

/// The type of an enum variant's content, as serde lays it out.
fn variant_type(v: &flowmap_model::types::VariantDesc) -> TypeDesc {
    if !v.fields.is_empty() {
        TypeDesc::Struct { name: v.name.clone(), fields: v.fields.clone() }
    } else {
        match v.items.as_slice() {
            [only] => only.clone(),
            items => TypeDesc::Tuple { items: items.to_vec() },
        }
    }
}

fn json_to_mp(v: &Json) -> Mp {
    match v {
        Json::Null => Mp::Nil,
        Json::Bool(b) => Mp::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Mp::from(i),
            (None, Some(u)) => Mp::from(u),
            _ => Mp::F64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Mp::from(s.as_str()),
        Json::Array(items) => Mp::Array(items.iter().map(json_to_mp).collect()),
        Json::Object(o) => Mp::Map(o.iter().map(|(k, v)| (Mp::from(k.as_str()), json_to_mp(v))).collect()),
    }
}

fn mp_to_json(v: &Mp) -> Result<Json, LiteralError> {
    Ok(match v {
        Mp::Nil => Json::Null,
        Mp::Boolean(b) => Json::Bool(*b),
        Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(i), _) => Json::from(i),
            (None, Some(u)) => Json::from(u),
            _ => return fail("an integer out of range"),
        },
        Mp::F32(f) => Number::from_f64(f64::from(*f)).map_or(Json::Null, Json::Number),
        Mp::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Mp::String(s) => Json::String(s.as_str().map_or_else(|| fail("a string that is not UTF-8"), Ok)?.to_owned()),
        Mp::Binary(b) => Json::Array(b.iter().map(|x| Json::from(*x)).collect()),
        Mp::Array(items) => Json::Array(items.iter().map(mp_to_json).collect::<Result<_, _>>()?),
        Mp::Map(entries) => {
            let mut out = JsonMap::new();
            for (k, item) in entries {
                out.insert(mp_key(k)?, mp_to_json(item)?);
            }
            Json::Object(out)
        }
        Mp::Ext(..) => return fail("a msgpack extension type"),
    })
}

/// A msgpack map key as JSON's string key.
fn mp_key(k: &Mp) -> Result<String, LiteralError> {
    match k {
        Mp::String(s) => s.as_str().map(str::to_owned).map_or_else(|| fail("a key that is not UTF-8"), Ok),
        Mp::Integer(i) => Ok(i.to_string()),
        Mp::Boolean(b) => Ok(b.to_string()),
        _ => fail("a map key that is neither a string nor a number"),
    }
}

fn mp_expected<T>(what: &str, v: &Mp) -> Result<T, LiteralError> {
    let found = match v {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "a boolean",
        Mp::Integer(_) => "an integer",
        Mp::F32(_) | Mp::F64(_) => "a float",
        Mp::String(_) => "a string",
        Mp::Binary(_) => "bytes",
        Mp::Array(_) => "an array",
        Mp::Map(_) => "a map",
        Mp::Ext(..) => "an extension",
    };
    fail(format!("expected {what}, found {found} in msgpack"))
}

/// msgpack written for type `ty` (by flowmap or flytekit) as `ty`'s serde JSON form.
fn from_msgpack(cx: &mut Cx, v: &Mp, ty: &TypeDesc) -> Result<Json, LiteralError> {
    let resolved = cx.resolve(ty)?;
    let ty = resolved.as_ref().unwrap_or(ty);
    Ok(match ty {
        TypeDesc::Float { .. } => match v {
            Mp::F32(_) | Mp::F64(_) | Mp::Integer(_) => {
                let f = v.as_f64().or_else(|| v.as_i64().map(|i| i as f64)).unwrap_or(f64::NAN);
                Number::from_f64(f).map_or(Json::Null, Json::Number)
            }
            Mp::Nil => Json::Null,
            _ => return mp_expected("a float", v),
        },
        TypeDesc::List { items } | TypeDesc::Array { items, .. } => {
            let Mp::Array(values) = v else { return mp_expected("an array", v) };
            let mut out = Vec::with_capacity(values.len());
            for (i, item) in values.iter().enumerate() {
                out.push(at(|| format!("[{i}]"), from_msgpack(cx, item, items))?);
            }
            Json::Array(out)
        }
        TypeDesc::Tuple { items } => {
            let Mp::Array(values) = v else { return mp_expected("an array", v) };
            let mut out = Vec::with_capacity(values.len());
            for (i, (item, t)) in values.iter().zip(items).enumerate() {
                out.push(at(|| format!("[{i}]"), from_msgpack(cx, item, t))?);
            }
            Json::Array(out)
        }
        TypeDesc::Optional { inner } => match v {
            Mp::Nil => Json::Null,
            _ => from_msgpack(cx, v, inner)?,
        },
        TypeDesc::Map { values, .. } => {
            let Mp::Map(entries) = v else { return mp_expected("a map", v) };
            let mut out = JsonMap::new();
            for (k, item) in entries {
                let key = mp_key(k)?;
                let value = at(|| format!("[{key:?}]"), from_msgpack(cx, item, values))?;
                out.insert(key, value);
            }
            Json::Object(out)
        }
        TypeDesc::Struct { .. } if matches!(shape(ty), Shape::Duration) => {
            let s = v.as_f64().or_else(|| v.as_i64().map(|i| i as f64));
            duration_json(from_seconds(s.map_or_else(|| mp_expected("seconds", v), Ok)?)?)
        }
        TypeDesc::Struct { .. } if matches!(shape(ty), Shape::Datetime) => {
            let Some(text) = v.as_str() else { return mp_expected("an ISO 8601 time", v) };
            time_json(from_iso(text)?)?
        }
        TypeDesc::Struct { fields, .. } => {
            let Mp::Map(entries) = v else { return mp_expected("a map of fields", v) };
            let mut out = JsonMap::new();
            for (k, item) in entries {
                let key = mp_key(k)?;
                let value = match fields.iter().find(|f| f.name == key) {
                    Some(f) => at(|| format!(".{key}"), from_msgpack(cx, item, &f.ty))?,
                    None => mp_to_json(item)?,
                };
                out.insert(key, value);
            }
            Json::Object(out)
        }
        TypeDesc::TupleStruct { items, .. } => match items.as_slice() {
            [] => Json::Null,
            [only] => from_msgpack(cx, v, only)?,
            _ => from_msgpack(cx, v, &TypeDesc::Tuple { items: items.clone() })?,
        },
        TypeDesc::Enum { variants, .. } => match v {
            Mp::String(_) => mp_to_json(v)?,
            Mp::Map(entries) if entries.len() == 1 => {
                let (k, inner) = &entries[0];
                let name = mp_key(k)?;
                let Some(variant) = variants.iter().find(|x| x.name == name) else {
                    return fail(format!("no variant `{name}`"));
                };
                let inner_ty = variant_type(variant);
                let inner = at(|| format!(".{name}"), from_msgpack(cx, inner, &inner_ty))?;
                Json::Object(JsonMap::from_iter([(name, inner)]))
            }
            _ => return mp_expected("an enum variant", v),
        },
        _ => mp_to_json(v)?,
    })
}

/// Values in their serde JSON form, by name with their types, as the bytes of a `LiteralMap`:
/// what a task container's `inputs.pb` or `outputs.pb` holds.
///
/// # Errors
/// A value does not have its type's shape, or does not fit Flyte's (an integer beyond 64-bit
/// signed, a time before 1970); the error's path starts with the name.
pub fn encode_literal_map<'a>(
    values: impl IntoIterator<Item = (&'a str, &'a Json, &'a TypeDesc)>,
) -> Result<Vec<u8>, LiteralError> {
    use prost::Message;
    to_literal_map(values).map(|m| m.encode_to_vec())
}

/// The bytes of a `LiteralMap` read back, each named literal with its type in `types`, as serde
/// JSON values.
///
/// # Errors
/// The bytes are not a `LiteralMap`, a name is missing, or a literal does not fit its type.
pub fn decode_literal_map<'a>(
    bytes: &[u8],
    types: impl IntoIterator<Item = (&'a str, &'a TypeDesc)>,
) -> Result<std::collections::BTreeMap<String, Json>, LiteralError> {
    use prost::Message;
    let map = LiteralMap::decode(bytes).map_or_else(|e| fail(format!("not a LiteralMap: {e}")), Ok)?;
    let mut out = std::collections::BTreeMap::new();
    for (name, ty) in types {
        let Some(lit) = map.literals.get(name) else { return fail(format!("no literal `{name}`")) };
        out.insert(name.to_owned(), at(|| name.to_owned(), from_literal(lit, ty))?);
    }
    Ok(out)
}
