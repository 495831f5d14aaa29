//! The literal codec against literals flytekit's type engine made (goldens/literals.py), and
//! round trips of every shape.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::idl::flyteidl::core::{Literal, LiteralMap};
use crate::literal::{from_literal, to_literal};
use flowmap_model::types::TypeDesc;
use prost::Message;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    value: f64,
    at: SystemTime,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Summary {
    count: i64,
    mean: Option<f64>,
    by_sensor: BTreeMap<String, i64>,
    window: Duration,
    readings: Vec<Reading>,
}

fn at() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_704_164_645, 123_456_000)
}

fn reading() -> Reading {
    Reading { sensor: "s1".into(), value: 1.5, at: at() }
}

fn golden(name: &str) -> Literal {
    let path = format!("{}/goldens/literals/{name}.pb", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut map = LiteralMap::decode(bytes.as_slice()).unwrap();
    map.literals.remove("v").unwrap()
}

/// flytekit's literal decodes to `value`, and `value` encodes to flytekit's literal.
fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: T) {
    let ty = TypeDesc::of::<T>();
    let lit = golden(name);
    let json = from_literal(&lit, &ty).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back: T = serde_json::from_value(json).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(back, value, "{name}: decoded");
    let mine = to_literal(&serde_json::to_value(&value).unwrap(), &ty).unwrap();
    assert_eq!(mine, lit, "{name}: encoded\nmine:     {mine:?}\nflytekit: {lit:?}");
}

#[test]
fn flytekit_literals_decode_and_encode_the_same() {
    check("ints", vec![1i64, -2, 3]);
    check("optional_ints", vec![Some(1i64), None, Some(3)]);
    check("reading", reading());
    check(
        "summary",
        Summary {
            count: 2,
            mean: None,
            by_sensor: BTreeMap::from([("s1".into(), 2)]),
            window: Duration::new(90, 5_000),
            readings: vec![reading()],
        },
    );
    check("duration", Duration::new(90, 5_000));
    check("datetime", at());
    check("float_lists", BTreeMap::from([("a".to_string(), vec![1.5f64, 2.0]), ("b".to_string(), vec![])]));
    check("nested", vec![BTreeMap::from([("x".to_string(), None), ("y".to_string(), Some(reading()))])]);
    check("optional_str", Some("hi".to_string()));
    check("none_str", None::<String>);
}
