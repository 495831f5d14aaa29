//! Inputs and outputs as JSON, read straight into their types and written straight from them:
//! a million-element input is never a tree of `serde_json::Value`s on the way.

use std::fmt;
use std::io;

use flowmap_model::graph::Port;
use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use serde_json::Value as Json;
use serde_json::value::RawValue;

use crate::error::{NodeError, ToleratedFailure};
use crate::json_tuple::{ReadInputs, WriteOutputs};
use crate::tuple::{InputTuple, OutputTuple};
use crate::value::Value;

/// One input of a run, as JSON: text, read straight into the input's type, or a parsed value.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum JsonInput {
    /// One JSON value as text, such as `[1, 2]`: checked to be JSON, not yet read.
    Text(Box<RawValue>),
    /// A parsed value.
    Value(Json),
}

impl JsonInput {
    /// `text` as an input, if it is one JSON value.
    ///
    /// # Errors
    /// Why `text` is not JSON.
    pub fn parse(text: &str) -> Result<JsonInput, serde_json::Error> {
        serde_json::from_str::<Box<RawValue>>(text).map(JsonInput::Text)
    }
}

impl From<Json> for JsonInput {
    fn from(value: Json) -> JsonInput {
        JsonInput::Value(value)
    }
}

impl From<Box<RawValue>> for JsonInput {
    fn from(raw: Box<RawValue>) -> JsonInput {
        JsonInput::Text(raw)
    }
}

/// The inputs of a run as JSON: an object of inputs by name, as an inputs file holds them, and
/// inputs given one by one, which win over the object's. An input given neither way takes its
/// `#[default(...)]`. Each value is read straight into its input's type.
///
/// ```
/// # fn demo() -> Result<(), serde_json::Error> {
/// use flowmap::json::{JsonInput, JsonInputs};
/// let inputs = JsonInputs::new()
///     .object(r#"{"data": [1, 2, 3], "label": "from a file"}"#)
///     .input("label", JsonInput::parse(r#""given""#)?);
/// # Ok(()) }
/// ```
#[derive(Debug, Default, Clone)]
pub struct JsonInputs {
    object: Option<String>,
    named: Vec<(String, JsonInput)>,
}

impl JsonInputs {
    /// No inputs yet: each input takes its default.
    #[must_use]
    pub fn new() -> JsonInputs {
        JsonInputs::default()
    }

    /// Reads inputs from `text`, a JSON object of inputs by name such as `{"data": [1, 2]}`.
    #[must_use]
    pub fn object(mut self, text: impl Into<String>) -> JsonInputs {
        self.object = Some(text.into());
        self
    }

    /// Gives input `name`, over any value the object has for it.
    #[must_use]
    pub fn input(mut self, name: impl Into<String>, value: impl Into<JsonInput>) -> JsonInputs {
        self.named.push((name.into(), value.into()));
        self
    }
}

/// Why JSON inputs could not be read; the position is an input's, in parameter order.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// A name that is not an input.
    Unknown(String),
    /// An input given twice, in the object or one by one.
    Twice(usize),
    /// The object is not JSON, or not an object.
    Object(serde_json::Error),
    /// An input's JSON does not fit its type.
    Input(usize, serde_json::Error),
    /// Inputs given no value and with no default.
    Missing(Vec<usize>),
}

/// What went wrong inside the object, where serde's error cannot say it.
enum Fault {
    Unknown(String),
    Twice(usize),
    Input(usize),
}

impl JsonInputs {
    /// The inputs of a workflow whose inputs are `ports`.
    pub(crate) fn read<A: ReadInputs>(self, ports: &[Port]) -> Result<A, ReadError> {
        let position = |name: &str| ports.iter().position(|p| p.name == name);
        let mut partial = A::Partial::default();
        if let Some(text) = &self.object {
            let mut fault = None;
            let mut de = serde_json::Deserializer::from_str(text);
            let visitor = Object::<A> { ports, partial: &mut partial, fault: &mut fault };
            if let Err(e) = de.deserialize_map(visitor).and_then(|()| de.end()) {
                return Err(match fault {
                    Some(Fault::Unknown(name)) => ReadError::Unknown(name),
                    Some(Fault::Twice(i)) => ReadError::Twice(i),
                    // A value that does not fit its input; not one that is not JSON.
                    Some(Fault::Input(i)) if e.is_data() => ReadError::Input(i, e),
                    Some(Fault::Input(_)) | None => ReadError::Object(e),
                });
            }
        }
        let mut given = vec![false; ports.len()];
        for (name, value) in self.named {
            let i = position(&name).ok_or(ReadError::Unknown(name))?;
            if std::mem::replace(&mut given[i], true) {
                return Err(ReadError::Twice(i));
            }
            let read = match value {
                JsonInput::Text(raw) => {
                    let mut de = serde_json::Deserializer::from_str(raw.get());
                    A::read_one(&mut partial, i, &mut de).and_then(|()| de.end())
                }
                JsonInput::Value(v) => A::read_one(&mut partial, i, v),
            };
            read.map_err(|e| ReadError::Input(i, e))?;
        }
        with_defaults::<A>(partial, ports)
    }
}

/// The inputs `partial` holds, and the `#[default(...)]` of the others (`ports` holds them).
///
/// # Errors
/// [`ReadError::Missing`]: inputs neither held nor with a default; [`ReadError::Input`]: a
/// default that does not read into its input's type.
pub(crate) fn with_defaults<A: ReadInputs>(mut partial: A::Partial, ports: &[Port]) -> Result<A, ReadError> {
    let held = A::held(&partial);
    let mut missing = Vec::new();
    for (i, port) in ports.iter().enumerate().filter(|(i, _)| !held[*i]) {
        match &port.default {
            Some(default) => A::read_one(&mut partial, i, default).map_err(|e| ReadError::Input(i, e))?,
            None => missing.push(i),
        }
    }
    A::complete(partial).ok_or(ReadError::Missing(missing))
}

/// Reads an object of inputs by name into a partial input tuple.
struct Object<'a, A: ReadInputs> {
    ports: &'a [Port],
    partial: &'a mut A::Partial,
    fault: &'a mut Option<Fault>,
}

impl<'de, A: ReadInputs> Visitor<'de> for Object<'_, A> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of inputs by name")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        let mut seen = vec![false; self.ports.len()];
        while let Some(name) = m.next_key::<String>()? {
            let Some(i) = self.ports.iter().position(|p| p.name == name) else {
                let e = de::Error::custom(format_args!("names `{name}`, which is not an input"));
                *self.fault = Some(Fault::Unknown(name));
                return Err(e);
            };
            if std::mem::replace(&mut seen[i], true) {
                *self.fault = Some(Fault::Twice(i));
                return Err(de::Error::custom(format_args!("gives input `{name}` twice")));
            }
            m.next_value_seed(Slot::<A> { partial: &mut *self.partial, i })
                .inspect_err(|_| *self.fault = Some(Fault::Input(i)))?;
        }
        Ok(())
    }
}

/// Input `i` of a partial input tuple, read where it stands in the object.
struct Slot<'a, A: ReadInputs> {
    partial: &'a mut A::Partial,
    i: usize,
}

impl<'de, A: ReadInputs> DeserializeSeed<'de> for Slot<'_, A> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        A::read_one(self.partial, self.i, d)
    }
}

/// One call's outputs written port by port (see [`WriteOutputs::serialize_ports`]).
pub(crate) struct Ports<O>(pub(crate) O);

impl<O: WriteOutputs> Serialize for Ports<O> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_ports(s)
    }
}

/// A run's value written as an object by output name (see [`WriteOutputs::serialize_named`]).
pub(crate) struct Named<O: OutputTuple> {
    pub(crate) value: O::Value,
    pub(crate) names: Vec<String>,
}

impl<O: WriteOutputs> Serialize for Named<O> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        O::serialize_named(&self.value, &names, s)
    }
}

/// A run's outputs, still typed, written as JSON on demand: the single output, or an array of
/// them (an object by name for named outputs).
pub struct JsonOutputs {
    outputs: Box<dyn WriteJson>,
    failures: Vec<ToleratedFailure>,
}

trait WriteJson: Send + Sync {
    fn write(&self, out: &mut dyn io::Write, pretty: bool) -> serde_json::Result<()>;
    fn value(&self) -> serde_json::Result<Json>;
}

impl<T: Serialize + Send + Sync> WriteJson for T {
    fn write(&self, out: &mut dyn io::Write, pretty: bool) -> serde_json::Result<()> {
        // JSON is written in pieces of a few bytes: buffered here, they are not each a call
        // through `dyn Write`.
        let mut out = io::BufWriter::with_capacity(1 << 16, out);
        if pretty {
            serde_json::to_writer_pretty(&mut out, self)?;
        } else {
            serde_json::to_writer(&mut out, self)?;
        }
        io::Write::flush(&mut out).map_err(serde_json::Error::io)
    }

    fn value(&self) -> serde_json::Result<Json> {
        serde_json::to_value(self)
    }
}

impl JsonOutputs {
    pub(crate) fn new<T: Serialize + Send + Sync + 'static>(outputs: T) -> JsonOutputs {
        JsonOutputs { outputs: Box::new(outputs), failures: Vec::new() }
    }

    pub(crate) fn with_failures(self, failures: Vec<ToleratedFailure>) -> JsonOutputs {
        JsonOutputs { failures, ..self }
    }

    /// Every element the run's tolerant maps lost (`null` in the outputs): see
    /// [`crate::Finished::failures`].
    #[must_use]
    pub fn failures(&self) -> &[ToleratedFailure] {
        &self.failures
    }

    /// Writes them as compact JSON.
    ///
    /// # Errors
    /// Writing failed, or an output has no JSON form (a map whose keys are not strings).
    pub fn write(&self, mut out: impl io::Write) -> serde_json::Result<()> {
        self.outputs.write(&mut out, false)
    }

    /// Writes them as indented JSON.
    ///
    /// # Errors
    /// As [`JsonOutputs::write`].
    pub fn write_pretty(&self, mut out: impl io::Write) -> serde_json::Result<()> {
        self.outputs.write(&mut out, true)
    }

    /// Them as a JSON value.
    ///
    /// # Errors
    /// An output has no JSON form.
    pub fn to_value(&self) -> serde_json::Result<Json> {
        self.outputs.value()
    }
}

impl fmt::Debug for JsonOutputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsonOutputs(..)")
    }
}

/// How one call of a target reads its inputs from JSON and writes its outputs: what a one-call
/// plan (a container's entrypoint) needs. Functions generic over the input and output types
/// alone, so tasks of one signature share one copy of the code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonCodec {
    read: fn(JsonInputs, &[Port]) -> Result<Vec<Value>, ReadError>,
    write: fn(Vec<Value>) -> Result<JsonOutputs, NodeError>,
}

impl JsonCodec {
    /// The codec of a call with inputs `I` and outputs `O`.
    pub(crate) fn of<I: ReadInputs, O: WriteOutputs>() -> Self {
        JsonCodec { read: read_values::<I>, write: write_values::<O> }
    }

    /// The inputs of one call, read from JSON (`ports` name them).
    pub(crate) fn read(&self, inputs: JsonInputs, ports: &[Port]) -> Result<Vec<Value>, ReadError> {
        (self.read)(inputs, ports)
    }

    /// The outputs of one call, to be written as JSON.
    pub(crate) fn write(&self, outputs: Vec<Value>) -> Result<JsonOutputs, NodeError> {
        (self.write)(outputs)
    }
}

fn read_values<I: ReadInputs>(inputs: JsonInputs, ports: &[Port]) -> Result<Vec<Value>, ReadError> {
    inputs.read::<I>(ports).map(InputTuple::into_values)
}

fn write_values<O: WriteOutputs>(outputs: Vec<Value>) -> Result<JsonOutputs, NodeError> {
    O::from_values(outputs).map(|o| JsonOutputs::new(Ports(o)))
}
