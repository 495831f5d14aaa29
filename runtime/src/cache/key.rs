//! Cache keys: what identifies one call's outputs across processes, builds and machines. Their
//! definition, and the canonical encoding of values, are documented on the `cache` module.

use serde::ser::{self, Serialize};
use xxhash_rust::xxh3::xxh3_128;

/// The key of one call's outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CacheKey(pub(crate) [u8; 16]);

/// What every key of one cached task (or node) shares: its identity, hashed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyPrefix([u8; 16]);

const MAGIC: &[u8] = b"flowmap-cache-v1";

fn string(out: &mut Vec<u8>, s: &str) {
    out.push(5);
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl KeyPrefix {
    /// The prefix of task `name`'s keys at `version`, with `interface` its typed interface as
    /// written in the graph (a change of types changes every key).
    pub(crate) fn new(name: &str, version: &str, interface: &str) -> KeyPrefix {
        let mut out = MAGIC.to_vec();
        string(&mut out, name);
        string(&mut out, version);
        string(&mut out, &format!("{:032x}", xxh3_128(interface.as_bytes())));
        KeyPrefix(xxh3_128(&out).to_le_bytes())
    }

    /// The key of a call whose inputs hash to `inputs`, in parameter order (`None` for an
    /// ignored input).
    pub(crate) fn key(&self, inputs: &[Option<InputHash>]) -> CacheKey {
        // The identity and at most 12 entries of 17 bytes: no allocation per call.
        let mut buf = [0u8; 16 + 17 * 12];
        buf[..16].copy_from_slice(&self.0);
        let mut at = 16;
        for input in inputs.iter().take(12) {
            match input {
                Some(h) => {
                    buf[at] = 1;
                    buf[at + 1..at + 17].copy_from_slice(&h.0);
                    at += 17;
                }
                None => at += 1,
            }
        }
        CacheKey(xxh3_128(&buf[..at]).to_le_bytes())
    }
}

/// The hash of one input value's canonical encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InputHash(pub(crate) [u8; 16]);

impl InputHash {
    /// The hash of `value`, encoded into `scratch` (reused between calls).
    pub(crate) fn of<T: Serialize + ?Sized>(scratch: &mut Vec<u8>, value: &T) -> Result<InputHash, KeyError> {
        scratch.clear();
        encode(scratch, value)?;
        Ok(InputHash(xxh3_128(scratch).to_le_bytes()))
    }
}

impl CacheKey {
    /// The key as 32 hex digits.
    #[cfg(test)]
    pub(crate) fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Appends the canonical encoding of `value` to `out`.
///
/// # Errors
/// The value's `Serialize` failed.
pub(crate) fn encode<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), KeyError> {
    value.serialize(&mut Canonical { out })
}

/// A value's `Serialize` failed while its key was computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value could not be encoded for its cache key: {0}")]
pub struct KeyError(String);

impl ser::Error for KeyError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        KeyError(msg.to_string())
    }
}

/// The canonical encoder.
struct Canonical<'a> {
    out: &'a mut Vec<u8>,
}

impl Canonical<'_> {
    fn len(&mut self, tag: u8, len: usize) {
        self.out.push(tag);
        self.out.extend_from_slice(&(len as u64).to_le_bytes());
    }

    fn int(&mut self, v: i128) {
        self.out.push(3);
        self.out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A sequence being encoded: its items are counted, then the count is patched in.
struct Seq<'a, 'b> {
    c: &'b mut Canonical<'a>,
    at: usize,
    n: u64,
}

impl<'a, 'b> Seq<'a, 'b> {
    fn start(c: &'b mut Canonical<'a>) -> Self {
        c.out.push(6);
        let at = c.out.len();
        c.out.extend_from_slice(&0u64.to_le_bytes());
        Seq { c, at, n: 0 }
    }

    fn item<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        self.n += 1;
        v.serialize(&mut *self.c)
    }

    fn end(self) {
        self.c.out[self.at..self.at + 8].copy_from_slice(&self.n.to_le_bytes());
    }
}

/// A map (or struct) being encoded: entries are encoded apart, sorted, then written.
struct Map<'a, 'b> {
    c: &'b mut Canonical<'a>,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    key: Vec<u8>,
    /// For a variant's content: the name that wraps the map, as a one-entry map.
    variant: Option<&'static str>,
}

impl<'a, 'b> Map<'a, 'b> {
    fn start(c: &'b mut Canonical<'a>, variant: Option<&'static str>) -> Self {
        Map { c, entries: Vec::new(), key: Vec::new(), variant }
    }

    fn entry_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), KeyError> {
        self.key.clear();
        encode(&mut self.key, k)
    }

    fn entry_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        let mut value = Vec::new();
        encode(&mut value, v)?;
        self.entries.push((std::mem::take(&mut self.key), value));
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, v: &T) -> Result<(), KeyError> {
        self.key.clear();
        string(&mut self.key, name);
        self.entry_value(v)
    }

    fn end(mut self) {
        self.entries.sort_unstable();
        if let Some(name) = self.variant {
            self.c.len(7, 1);
            string(self.c.out, name);
        }
        self.c.len(7, self.entries.len());
        for (k, v) in self.entries {
            self.c.out.extend_from_slice(&k);
            self.c.out.extend_from_slice(&v);
        }
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Canonical<'a> {
    type Ok = ();
    type Error = KeyError;
    type SerializeSeq = Seq<'a, 'b>;
    type SerializeTuple = Seq<'a, 'b>;
    type SerializeTupleStruct = Seq<'a, 'b>;
    type SerializeTupleVariant = Variant<'a, 'b>;
    type SerializeMap = Map<'a, 'b>;
    type SerializeStruct = Map<'a, 'b>;
    type SerializeStructVariant = Map<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), KeyError> {
        self.out.push(if v { 2 } else { 1 });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), KeyError> {
        self.int(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), KeyError> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), KeyError> {
        match i128::try_from(v) {
            Ok(i) => self.int(i),
            Err(_) => {
                self.out.push(8);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), KeyError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), KeyError> {
        self.out.push(4);
        let bits = if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() };
        self.out.extend_from_slice(&bits.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), KeyError> {
        string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), KeyError> {
        string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), KeyError> {
        self.len(6, v.len());
        for b in v {
            self.int((*b).into());
        }
        Ok(())
    }
    fn serialize_none(self) -> Result<(), KeyError> {
        self.out.push(0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), KeyError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), KeyError> {
        self.out.push(0);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), KeyError> {
        self.out.push(0);
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), KeyError> {
        string(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<(), KeyError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), KeyError> {
        self.len(7, 1);
        string(self.out, variant);
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a, 'b>, KeyError> {
        Ok(Seq::start(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a, 'b>, KeyError> {
        Ok(Seq::start(self))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'a, 'b>, KeyError> {
        Ok(Seq::start(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<'a, 'b>, KeyError> {
        self.len(7, 1);
        string(self.out, variant);
        Ok(Variant(Seq::start(self)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Map<'a, 'b>, KeyError> {
        Ok(Map::start(self, None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Map<'a, 'b>, KeyError> {
        Ok(Map::start(self, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Map<'a, 'b>, KeyError> {
        Ok(Map::start(self, Some(variant)))
    }
}

/// A tuple variant's items.
struct Variant<'a, 'b>(Seq<'a, 'b>);

impl ser::SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        self.item(v)
    }
    fn end(self) -> Result<(), KeyError> {
        Seq::end(self);
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        self.item(v)
    }
    fn end(self) -> Result<(), KeyError> {
        Seq::end(self);
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Seq<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        self.item(v)
    }
    fn end(self) -> Result<(), KeyError> {
        Seq::end(self);
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Variant<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        self.0.item(v)
    }
    fn end(self) -> Result<(), KeyError> {
        self.0.end();
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), KeyError> {
        self.entry_key(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), KeyError> {
        self.entry_value(v)
    }
    fn end(self) -> Result<(), KeyError> {
        Map::end(self);
        Ok(())
    }
}

impl ser::SerializeStruct for Map<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), KeyError> {
        self.field(name, v)
    }
    fn end(self) -> Result<(), KeyError> {
        Map::end(self);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Map<'_, '_> {
    type Ok = ();
    type Error = KeyError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), KeyError> {
        self.field(name, v)
    }
    fn end(self) -> Result<(), KeyError> {
        Map::end(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    fn bytes<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, v).unwrap();
        out
    }

    #[test]
    fn maps_encode_the_same_whatever_their_order() {
        // Many HashMaps of the same entries: each has its own random iteration order.
        let entries: Vec<(String, i64)> = (0..50).map(|i| (format!("k{i}"), i)).collect();
        let sorted: BTreeMap<String, i64> = entries.iter().cloned().collect();
        for _ in 0..20 {
            let hashed: HashMap<String, i64> = entries.iter().cloned().collect();
            assert_eq!(bytes(&hashed), bytes(&sorted));
        }
        // A struct and a map with the same JSON encode the same.
        #[derive(serde::Serialize)]
        struct Point {
            y: i64,
            x: i64,
        }
        let map: BTreeMap<&str, i64> = [("x", 1), ("y", 2)].into();
        assert_eq!(bytes(&Point { y: 2, x: 1 }), bytes(&map));
        assert_eq!(bytes(&serde_json::json!({"y": 2, "x": 1})), bytes(&map));
    }

    #[test]
    fn different_values_encode_differently() {
        let all: Vec<Vec<u8>> = vec![
            bytes(&0i64),
            bytes(&1i64),
            bytes(&1.0f64),
            bytes(&"1"),
            bytes(&true),
            bytes(&()),
            bytes(&vec![1i64]),
            bytes(&vec![vec![1i64]]),
            bytes(&(1i64, 2i64)),
            bytes(&(2i64, 1i64)),
            bytes(&["a", "b"]),
            bytes(&["ab"]),
            bytes(&BTreeMap::from([("a", 1i64)])),
            bytes(&BTreeMap::from([("a", 2i64)])),
            bytes(&u128::MAX),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // Same JSON, same bytes: widths and `Some` do not matter.
        assert_eq!(bytes(&1u8), bytes(&1i64));
        assert_eq!(bytes(&Some(5i64)), bytes(&5i64));
        assert_eq!(bytes(&f32::NAN), bytes(&f64::NAN));
    }

    fn key(name: &str, version: &str, interface: &str, inputs: &[Option<i64>]) -> CacheKey {
        let hashes: Vec<Option<InputHash>> =
            inputs.iter().map(|v| v.map(|v| InputHash::of(&mut Vec::new(), &v).unwrap())).collect();
        KeyPrefix::new(name, version, interface).key(&hashes)
    }

    #[test]
    fn keys_are_stable_across_processes_and_builds() {
        // The documented layout, hashed: a change of these values is a change of every user's
        // cache keys, and must come with a new format tag.
        const IFACE: &str = r#"{"inputs":[],"outputs":[]}"#;
        let k = key("anomalies::detect_anomalies", "1", IFACE, &[Some(12)]);
        assert_eq!(k.hex(), expected_hex());
        // And as it was when format v1 was defined (2026-11-25): XXH3 is a fixed function, so
        // no build or machine may change it.
        assert_eq!(k.hex(), PINNED);
        // Each part of the identity changes the key.
        assert_ne!(key("anomalies::detect", "1", IFACE, &[Some(12)]), k);
        assert_ne!(key("anomalies::detect_anomalies", "2", IFACE, &[Some(12)]), k);
        assert_ne!(key("anomalies::detect_anomalies", "1", r#"{"inputs":[1],"outputs":[]}"#, &[Some(12)]), k);
        assert_ne!(key("anomalies::detect_anomalies", "1", IFACE, &[Some(13)]), k);
        // An ignored input keeps its place: ignoring `a` of (a=1, b=2) is not ignoring `b` of
        // (a=2, b=1).
        assert_ne!(key("t", "1", IFACE, &[None, Some(2)]), key("t", "1", IFACE, &[Some(2), None]));
        assert_eq!(key("t", "1", IFACE, &[None, Some(2)]), key("t", "1", IFACE, &[None, Some(2)]));
    }

    const PINNED: &str = "b620ab53d8f60919c177a6e303a29096";

    /// The key above, computed independently from the documented layout.
    fn expected_hex() -> String {
        let mut ident = MAGIC.to_vec();
        string(&mut ident, "anomalies::detect_anomalies");
        string(&mut ident, "1");
        string(&mut ident, &format!("{:032x}", xxh3_128(br#"{"inputs":[],"outputs":[]}"#)));
        let mut input = vec![3];
        input.extend_from_slice(&12i128.to_le_bytes());
        let mut all = xxh3_128(&ident).to_le_bytes().to_vec();
        all.push(1);
        all.extend_from_slice(&xxh3_128(&input).to_le_bytes());
        xxh3_128(&all).to_le_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}
