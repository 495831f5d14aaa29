//! [`TypeDesc::of`]: a type's descriptor, read from its `Deserialize` implementation.
//!
//! A tracing deserializer stands in for the data: each `deserialize_*` call the type makes is
//! recorded, and a value is made up to go on (a sequence or a map holds one element, an option is
//! `Some`). An enum shows one variant per pass, so tracing is repeated, each pass taking the next
//! variant not seen yet of every enum, at any depth, until every variant of every enum has been
//! seen. A recursive type is cut where it refers to itself: there, sequences and maps are empty,
//! options are `None`, and the descriptor says `Ref`. A type that parses its text (an address, a
//! date, a UUID) refuses most strings: where a string is refused, the pass is made again with the
//! next of a few common samples there, and the type is a string on the wire. A type that reads
//! "any" value (such as
//! `serde_json::Value`, a `#[serde(flatten)]` struct or an internally tagged enum) cannot be
//! traced this way and is described as `Opaque`, with the reason.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use crate::types::{FieldDesc, TypeDesc, VariantDesc};

/// A slot not traced yet. If it stays so, the descriptor says why.
fn unknown() -> TypeDesc {
    TypeDesc::Opaque {
        rust: "?".to_owned(),
        reason: "this part of the type was never reached while tracing it (it appears only inside itself)".to_owned(),
    }
}

/// Passes at most; an enum-heavy type needs as many as its largest enum has variants.
const MAX_PASSES: usize = 256;
/// Nesting at most before a type is taken for an unbounded recursion.
const MAX_DEPTH: usize = 128;

impl TypeDesc {
    /// Describes `T` by tracing its `Deserialize` implementation.
    #[must_use]
    pub fn of<T: DeserializeOwned>() -> TypeDesc {
        let mut tracer = Tracer::default();
        let mut root = unknown();
        for _ in 0..MAX_PASSES {
            tracer.stack.clear();
            tracer.variants_in_progress.clear();
            tracer.progress = false;
            tracer.strings = 0;
            tracer.last_string = None;
            if let Err(e) = T::deserialize(Tracing { tracer: &mut tracer, slot: &mut root }) {
                // A string its type parses (a date, a UUID, an address): try the next sample there.
                if let Some(at) = tracer.last_string.filter(|at| tracer.retry_string(*at)) {
                    let _ = at;
                    continue;
                }
                return TypeDesc::Opaque { rust: std::any::type_name::<T>().to_owned(), reason: e.0 };
            }
            if tracer.complete() || !tracer.progress {
                break;
            }
        }
        tracer.describe(&root, &mut Vec::new())
    }
}

/// Why a type could not be traced.
#[derive(Debug)]
struct Untraceable(String);

impl fmt::Display for Untraceable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Untraceable {}

impl de::Error for Untraceable {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Untraceable(format!("its `Deserialize` refused the value made up to trace it: {msg}"))
    }
}

/// A named struct or enum, as traced so far.
#[derive(Debug)]
enum Container {
    Struct(Vec<FieldDesc>),
    TupleStruct(Vec<TypeDesc>),
    Enum { names: &'static [&'static str], seen: BTreeMap<usize, VariantDesc> },
}

#[derive(Debug, Default)]
struct Tracer {
    containers: BTreeMap<&'static str, Container>,
    /// The containers being traced, outermost first.
    stack: Vec<&'static str>,
    /// Whether this pass saw a variant not seen before.
    progress: bool,
    /// The enum variants being traced, outermost first.
    variants_in_progress: Vec<(&'static str, usize)>,
    /// Which sample each string read of a pass gets, by its place in the pass.
    string_samples: Vec<usize>,
    /// String reads so far in this pass, and the place of the last one.
    strings: usize,
    last_string: Option<usize>,
}

/// Strings made up for types that parse their text, tried in turn where one is refused.
const STRING_SAMPLES: &[&str] = &[
    "",
    "0",
    "1970-01-01T00:00:00Z",
    "1970-01-01",
    "00:00:00",
    "00000000-0000-0000-0000-000000000000",
    "127.0.0.1",
    "127.0.0.1:80",
    "http://localhost/",
    "1s",
    "a",
];

impl Tracer {
    /// The string for the next string read of this pass.
    fn next_string(&mut self) -> &'static str {
        let at = self.strings;
        self.strings += 1;
        self.last_string = Some(at);
        if self.string_samples.len() <= at {
            self.string_samples.resize(at + 1, 0);
        }
        STRING_SAMPLES[self.string_samples[at]]
    }

    /// Takes the next sample for string read `at`; `false` when none is left.
    fn retry_string(&mut self, at: usize) -> bool {
        match self.string_samples.get_mut(at) {
            Some(k) if *k + 1 < STRING_SAMPLES.len() => {
                *k += 1;
                true
            }
            _ => false,
        }
    }

    fn complete(&self) -> bool {
        self.containers.values().all(|c| match c {
            Container::Enum { names, seen } => seen.len() >= names.len(),
            _ => true,
        })
    }

    /// Whether the type being traced refers to itself here: then nothing more is traced inside.
    fn cut(&self) -> bool {
        let Some(last) = self.stack.last() else { return false };
        self.stack[..self.stack.len() - 1].contains(last)
    }

    fn enter(&mut self, name: &'static str) -> Result<(), Untraceable> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Untraceable(format!("`{name}` nests itself without end (no `Vec`, `Option` or map between)")));
        }
        self.stack.push(name);
        Ok(())
    }

    /// The descriptor of a traced slot, containers expanded, recursion as `Ref`.
    fn describe(&self, t: &TypeDesc, path: &mut Vec<String>) -> TypeDesc {
        let boxed = |d: TypeDesc| Box::new(d);
        match t {
            TypeDesc::List { items } => TypeDesc::List { items: boxed(self.describe(items, path)) },
            TypeDesc::Array { items, len } => TypeDesc::Array { items: boxed(self.describe(items, path)), len: *len },
            TypeDesc::Optional { inner } => TypeDesc::Optional { inner: boxed(self.describe(inner, path)) },
            TypeDesc::Map { key, values } => {
                TypeDesc::Map { key: boxed(self.describe(key, path)), values: boxed(self.describe(values, path)) }
            }
            TypeDesc::Tuple { items } => {
                TypeDesc::Tuple { items: items.iter().map(|i| self.describe(i, path)).collect() }
            }
            TypeDesc::Ref { name } => self.container(name, path),
            other => other.clone(),
        }
    }

    fn container(&self, name: &str, path: &mut Vec<String>) -> TypeDesc {
        if path.iter().any(|p| p == name) {
            return TypeDesc::Ref { name: name.to_owned() };
        }
        let Some(c) = self.containers.get(name) else { return TypeDesc::Ref { name: name.to_owned() } };
        path.push(name.to_owned());
        let fields = |fs: &[FieldDesc], path: &mut Vec<String>| -> Vec<FieldDesc> {
            fs.iter().map(|f| FieldDesc { name: f.name.clone(), ty: self.describe(&f.ty, path) }).collect()
        };
        let desc = match c {
            Container::Struct(fs) => TypeDesc::Struct { name: name.to_owned(), fields: fields(fs, path) },
            Container::TupleStruct(items) => TypeDesc::TupleStruct {
                name: name.to_owned(),
                items: items.iter().map(|i| self.describe(i, path)).collect(),
            },
            Container::Enum { seen, .. } => TypeDesc::Enum {
                name: name.to_owned(),
                variants: seen
                    .values()
                    .map(|v| VariantDesc {
                        name: v.name.clone(),
                        fields: fields(&v.fields, path),
                        items: v.items.iter().map(|i| self.describe(i, path)).collect(),
                    })
                    .collect(),
            },
        };
        path.pop();
        desc
    }
}

/// The deserializer for one value, recording its shape in `slot`.
struct Tracing<'a> {
    tracer: &'a mut Tracer,
    slot: &'a mut TypeDesc,
}

macro_rules! scalars {
    ($($method:ident => $visit:ident($($value:expr)?), $desc:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
            *self.slot = $desc;
            visitor.$visit($($value)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Tracing<'_> {
    type Error = Untraceable;

    scalars! {
        deserialize_bool => visit_bool(false), TypeDesc::Boolean;
        deserialize_i8 => visit_i8(1), TypeDesc::Integer { bits: 8, signed: true };
        deserialize_i16 => visit_i16(1), TypeDesc::Integer { bits: 16, signed: true };
        deserialize_i32 => visit_i32(1), TypeDesc::Integer { bits: 32, signed: true };
        deserialize_i64 => visit_i64(1), TypeDesc::Integer { bits: 64, signed: true };
        deserialize_i128 => visit_i128(1), TypeDesc::Integer { bits: 128, signed: true };
        deserialize_u8 => visit_u8(1), TypeDesc::Integer { bits: 8, signed: false };
        deserialize_u16 => visit_u16(1), TypeDesc::Integer { bits: 16, signed: false };
        deserialize_u32 => visit_u32(1), TypeDesc::Integer { bits: 32, signed: false };
        deserialize_u64 => visit_u64(1), TypeDesc::Integer { bits: 64, signed: false };
        deserialize_u128 => visit_u128(1), TypeDesc::Integer { bits: 128, signed: false };
        deserialize_f32 => visit_f32(0.0), TypeDesc::Float { bits: 32 };
        deserialize_f64 => visit_f64(0.0), TypeDesc::Float { bits: 64 };
        deserialize_char => visit_char('a'), TypeDesc::Char;

        deserialize_bytes => visit_bytes(&[]), TypeDesc::Bytes;
        deserialize_byte_buf => visit_byte_buf(Vec::new()), TypeDesc::Bytes;
        deserialize_unit => visit_unit(), TypeDesc::Unit;
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        *self.slot = TypeDesc::String;
        let sample = self.tracer.next_string();
        let result = visitor.visit_str(sample);
        if result.is_ok() {
            self.tracer.last_string = None;
        }
        result
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        self.deserialize_str(visitor)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Untraceable> {
        Err(Untraceable(
            "it reads any self-describing value (such as `serde_json::Value`, a `#[serde(flatten)]` field or an \
             internally tagged enum), so its shape is not known ahead: it travels as generic JSON"
                .to_owned(),
        ))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        let mut inner = match std::mem::replace(self.slot, unknown()) {
            TypeDesc::Optional { inner } => *inner,
            _ => unknown(),
        };
        let result = if self.tracer.cut() {
            visitor.visit_none()
        } else {
            visitor.visit_some(Tracing { tracer: self.tracer, slot: &mut inner })
        };
        *self.slot = TypeDesc::Optional { inner: Box::new(inner) };
        result
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Untraceable> {
        self.tracer.containers.entry(name).or_insert(Container::TupleStruct(Vec::new()));
        *self.slot = TypeDesc::Ref { name: name.to_owned() };
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Untraceable> {
        *self.slot = TypeDesc::Ref { name: name.to_owned() };
        self.tracer.enter(name)?;
        let mut inner = match self.tracer.containers.get_mut(name) {
            Some(Container::TupleStruct(items)) if items.len() == 1 => items.pop().unwrap_or(unknown()),
            _ => unknown(),
        };
        let result = visitor.visit_newtype_struct(Tracing { tracer: self.tracer, slot: &mut inner });
        self.tracer.containers.insert(name, Container::TupleStruct(vec![inner]));
        self.tracer.stack.pop();
        result
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        let mut items = match std::mem::replace(self.slot, unknown()) {
            TypeDesc::List { items } => *items,
            _ => unknown(),
        };
        let len = usize::from(!self.tracer.cut());
        let result = visitor.visit_seq(Elements { tracer: self.tracer, slots: Slots::Same(&mut items), left: len });
        *self.slot = TypeDesc::List { items: Box::new(items) };
        result
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Untraceable> {
        let mut items = match std::mem::replace(self.slot, unknown()) {
            TypeDesc::Tuple { items } if items.len() == len => items,
            _ => vec![unknown(); len],
        };
        let result = visitor.visit_seq(Elements { tracer: self.tracer, slots: Slots::Each(&mut items, 0), left: len });
        *self.slot = TypeDesc::Tuple { items };
        result
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Untraceable> {
        *self.slot = TypeDesc::Ref { name: name.to_owned() };
        self.tracer.enter(name)?;
        let mut items = match self.tracer.containers.remove(name) {
            Some(Container::TupleStruct(items)) if items.len() == len => items,
            _ => vec![unknown(); len],
        };
        let result = visitor.visit_seq(Elements { tracer: self.tracer, slots: Slots::Each(&mut items, 0), left: len });
        self.tracer.containers.insert(name, Container::TupleStruct(items));
        self.tracer.stack.pop();
        result
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        let (mut key, mut values) = match std::mem::replace(self.slot, unknown()) {
            TypeDesc::Map { key, values } => (*key, *values),
            _ => (unknown(), unknown()),
        };
        let left = usize::from(!self.tracer.cut());
        let result = visitor.visit_map(Entries { tracer: self.tracer, key: &mut key, values: &mut values, left });
        *self.slot = TypeDesc::Map { key: Box::new(key), values: Box::new(values) };
        result
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Untraceable> {
        *self.slot = TypeDesc::Ref { name: name.to_owned() };
        self.tracer.enter(name)?;
        let mut items = match self.tracer.containers.remove(name) {
            Some(Container::Struct(fs)) if fs.len() == fields.len() => fs.into_iter().map(|f| f.ty).collect(),
            _ => vec![unknown(); fields.len()],
        };
        let len = fields.len();
        let result = visitor.visit_seq(Elements { tracer: self.tracer, slots: Slots::Each(&mut items, 0), left: len });
        let fs = fields.iter().zip(items).map(|(n, ty)| FieldDesc { name: (*n).to_owned(), ty }).collect();
        self.tracer.containers.insert(name, Container::Struct(fs));
        self.tracer.stack.pop();
        result
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Untraceable> {
        *self.slot = TypeDesc::Ref { name: name.to_owned() };
        if variants.is_empty() {
            return Err(Untraceable(format!("`{name}` has no variants, so it has no value")));
        }
        self.tracer.enter(name)?;
        let (index, mut variant) = {
            let entry = self
                .tracer
                .containers
                .entry(name)
                .or_insert_with(|| Container::Enum { names: variants, seen: BTreeMap::new() });
            let Container::Enum { seen, .. } = entry else {
                return Err(Untraceable(format!("`{name}` is both a struct and an enum")));
            };
            // Inside itself, a variant not being traced already (one seen before first: it ended);
            // else the next one not seen yet.
            let busy = |i: &usize| self.tracer.variants_in_progress.contains(&(name, *i));
            let index = if self.tracer.stack[..self.tracer.stack.len() - 1].contains(&name) {
                let seen_free = seen.keys().copied().find(|i| !busy(i));
                seen_free.or_else(|| (0..variants.len()).find(|i| !busy(i))).unwrap_or(0)
            } else {
                (0..variants.len()).find(|i| !seen.contains_key(i)).unwrap_or(0)
            };
            let variant = seen.remove(&index).unwrap_or_else(|| VariantDesc {
                name: variants[index].to_owned(),
                fields: Vec::new(),
                items: Vec::new(),
            });
            (index, variant)
        };
        self.tracer.variants_in_progress.push((name, index));
        let result = visitor.visit_enum(Variant { tracer: &mut *self.tracer, index, variant: &mut variant });
        self.tracer.variants_in_progress.pop();
        if let Some(Container::Enum { seen, .. }) = self.tracer.containers.get_mut(name)
            && seen.insert(index, variant).is_none()
        {
            self.tracer.progress = true;
        }
        self.tracer.stack.pop();
        result
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        visitor.visit_u32(0)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Untraceable> {
        visitor.visit_unit()
    }
}

/// Where the elements of a sequence go: one slot for all (a list), or one each (a tuple).
enum Slots<'a> {
    Same(&'a mut TypeDesc),
    Each(&'a mut Vec<TypeDesc>, usize),
}

struct Elements<'a, 'b> {
    tracer: &'a mut Tracer,
    slots: Slots<'b>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_> {
    type Error = Untraceable;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Untraceable> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let slot = match &mut self.slots {
            Slots::Same(slot) => &mut **slot,
            Slots::Each(items, next) => {
                let i = *next;
                *next += 1;
                match items.get_mut(i) {
                    Some(slot) => slot,
                    None => return Ok(None),
                }
            }
        };
        seed.deserialize(Tracing { tracer: self.tracer, slot }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct Entries<'a> {
    tracer: &'a mut Tracer,
    key: &'a mut TypeDesc,
    values: &'a mut TypeDesc,
    left: usize,
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = Untraceable;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Untraceable> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(Tracing { tracer: self.tracer, slot: self.key }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Untraceable> {
        seed.deserialize(Tracing { tracer: self.tracer, slot: self.values })
    }
}

struct Variant<'a> {
    tracer: &'a mut Tracer,
    index: usize,
    variant: &'a mut VariantDesc,
}

impl<'de, 'a> de::EnumAccess<'de> for Variant<'a> {
    type Error = Untraceable;
    type Variant = Variant<'a>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Variant<'a>), Untraceable> {
        let index = u32::try_from(self.index).map_err(|_| Untraceable("too many variants".to_owned()))?;
        let value = seed.deserialize(index.into_deserializer())?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_> {
    type Error = Untraceable;

    fn unit_variant(self) -> Result<(), Untraceable> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Untraceable> {
        if self.variant.items.len() != 1 {
            self.variant.items = vec![unknown()];
        }
        seed.deserialize(Tracing { tracer: self.tracer, slot: &mut self.variant.items[0] })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Untraceable> {
        if self.variant.items.len() != len {
            self.variant.items = vec![unknown(); len];
        }
        visitor.visit_seq(Elements { tracer: self.tracer, slots: Slots::Each(&mut self.variant.items, 0), left: len })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Untraceable> {
        let mut items: Vec<TypeDesc> = if self.variant.fields.len() == fields.len() {
            self.variant.fields.drain(..).map(|f| f.ty).collect()
        } else {
            vec![unknown(); fields.len()]
        };
        let result =
            visitor.visit_seq(Elements { tracer: self.tracer, slots: Slots::Each(&mut items, 0), left: fields.len() });
        self.variant.fields = fields.iter().zip(items).map(|(n, ty)| FieldDesc { name: (*n).to_owned(), ty }).collect();
        result
    }
}
