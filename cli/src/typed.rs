//! Inputs as people type them on a command line: JSON, or for some types the bare text a
//! person would write. `--name 42` is the string `"42"` for a string input, `--mode incremental`
//! a unit variant of an enum (its name as serialized, or the only one that matches
//! ignoring case), `--delay 60s` a `Duration` (`"1h 30m"`, `"250ms"`), `--sep x` a `char`. Other
//! types take JSON.

use std::time::Duration;

use flowmap_model::types::TypeDesc;
use flowmap_runtime::JsonInput;
use serde_json::Value as Json;

/// The value of `text`, given for an input of type `ty`.
///
/// # Errors
/// Why `text` is not JSON, when it is not one of the bare forms either.
pub(crate) fn input(ty: &TypeDesc, text: &str) -> Result<JsonInput, serde_json::Error> {
    match serde_json::from_str::<Json>(text) {
        // Anything but a JSON string or `null` is text, for a string input: `--name 42`.
        Ok(Json::String(_) | Json::Null) => JsonInput::parse(text),
        Ok(_) if text_like(ty) => Ok(JsonInput::Value(Json::String(text.to_owned()))),
        Ok(_) => JsonInput::parse(text),
        Err(e) => bare(ty, text).map(JsonInput::Value).ok_or(e),
    }
}

/// Whether a bare word is the value itself for `ty`: a string or a char.
fn text_like(ty: &TypeDesc) -> bool {
    match ty {
        TypeDesc::String | TypeDesc::Char => true,
        TypeDesc::Optional { inner } => text_like(inner),
        _ => false,
    }
}

/// `text` in one of the bare forms of `ty`, as JSON.
fn bare(ty: &TypeDesc, text: &str) -> Option<Json> {
    match ty {
        TypeDesc::String | TypeDesc::Char => Some(Json::String(text.to_owned())),
        TypeDesc::Optional { inner } => bare(inner, text),
        TypeDesc::Enum { variants, .. } => {
            let units = || variants.iter().filter(|v| v.fields.is_empty() && v.items.is_empty());
            let exact = units().find(|v| v.name == text);
            let mut folded = units().filter(|v| v.name.eq_ignore_ascii_case(text));
            let only = match (folded.next(), folded.next()) {
                (Some(v), None) => Some(v),
                _ => None,
            };
            exact.or(only).map(|v| Json::String(v.name.clone()))
        }
        _ if ty.is_duration() => flowmap_settings::duration::parse(text).ok().map(duration_json),
        _ => None,
    }
}

/// The bare forms `ty` takes besides JSON, in words: `one of its variants full, incremental`.
pub(crate) fn bare_forms(ty: &TypeDesc) -> Option<String> {
    match ty {
        TypeDesc::Optional { inner } => bare_forms(inner),
        TypeDesc::Enum { variants, .. } => {
            let units: Vec<&str> = variants
                .iter()
                .filter(|v| v.fields.is_empty() && v.items.is_empty())
                .map(|v| v.name.as_str())
                .collect();
            (!units.is_empty()).then(|| format!("one of its variants {}", units.join(", ")))
        }
        _ if ty.is_duration() => Some("a duration such as 30s, 1m 30s or 250ms".into()),
        _ => None,
    }
}

/// The value name of an input of type `ty` in `--help`: `TEXT`, `VARIANT`, `DURATION` or `JSON`.
pub(crate) fn value_name(ty: &TypeDesc) -> &'static str {
    match ty {
        TypeDesc::Optional { inner } => value_name(inner),
        TypeDesc::String | TypeDesc::Char => "TEXT",
        TypeDesc::Enum { variants, .. } if variants.iter().all(|v| v.fields.is_empty() && v.items.is_empty()) => {
            "VARIANT"
        }
        _ if ty.is_duration() => "DURATION",
        _ => "JSON",
    }
}

/// A `Duration` as serde writes it.
fn duration_json(d: Duration) -> Json {
    serde_json::json!({"secs": d.as_secs(), "nanos": d.subsec_nanos()})
}

/// A value of type `ty` (such as a default) as a person would type it: a duration as `1m 30s`,
/// a string or a unit variant bare when it reads back the same; else compact JSON.
pub(crate) fn typed(ty: &TypeDesc, value: &Json) -> String {
    if ty.is_duration()
        && let (Some(secs), Some(nanos)) = (value["secs"].as_u64(), value["nanos"].as_u64())
        && let Ok(nanos) = u32::try_from(nanos)
    {
        return flowmap_settings::duration::format(Duration::new(secs, nanos));
    }
    if let Json::String(s) = value
        && let Ok(JsonInput::Value(read)) = input(ty, s)
        && read == *value
        && !s.is_empty()
        && !s.contains(char::is_whitespace)
    {
        return s.clone();
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowmap_model::types::{FieldDesc, VariantDesc};

    fn value(ty: &TypeDesc, text: &str) -> Json {
        match input(ty, text).unwrap_or_else(|e| panic!("{text}: {e}")) {
            JsonInput::Value(v) => v,
            JsonInput::Text(raw) => serde_json::from_str(raw.get()).unwrap(),
            other => panic!("{text}: an input neither text nor a value: {other:?}"),
        }
    }

    fn mode() -> TypeDesc {
        let unit = |name: &str| VariantDesc { name: name.into(), fields: vec![], items: vec![] };
        TypeDesc::Enum { name: "Mode".into(), variants: vec![unit("full"), unit("incremental"), unit("Full")] }
    }

    fn duration() -> TypeDesc {
        let int = TypeDesc::Integer { bits: 64, signed: false };
        let field = |name: &str| FieldDesc { name: name.into(), ty: int.clone() };
        TypeDesc::Struct { name: "Duration".into(), fields: vec![field("secs"), field("nanos")] }
    }

    #[test]
    fn strings_and_chars_may_be_bare_whatever_they_look_like() {
        assert_eq!(value(&TypeDesc::String, "42"), "42");
        assert_eq!(value(&TypeDesc::String, "hello world"), "hello world");
        assert_eq!(value(&TypeDesc::String, "\"quoted\""), "quoted");
        assert_eq!(value(&TypeDesc::String, "[1]"), "[1]");
        assert_eq!(value(&TypeDesc::Char, "x"), "x");
        let opt = TypeDesc::Optional { inner: Box::new(TypeDesc::String) };
        assert_eq!(value(&opt, "null"), Json::Null);
        assert_eq!(value(&opt, "7"), "7");
    }

    #[test]
    fn unit_variants_by_name_or_the_only_match_ignoring_case() {
        assert_eq!(value(&mode(), "incremental"), "incremental");
        assert_eq!(value(&mode(), "INCREMENTAL"), "incremental");
        // `full` and `Full` both match `FULL`: no guess.
        assert!(input(&mode(), "FULL").is_err());
        assert_eq!(value(&mode(), "Full"), "Full");
        assert!(input(&mode(), "partial").is_err());
    }

    #[test]
    fn durations_as_people_write_them() {
        assert_eq!(value(&duration(), "60s"), serde_json::json!({"secs": 60, "nanos": 0}));
        assert_eq!(value(&duration(), "1m 30.5s"), serde_json::json!({"secs": 90, "nanos": 500_000_000}));
        assert_eq!(value(&duration(), r#"{"secs": 1, "nanos": 0}"#), serde_json::json!({"secs": 1, "nanos": 0}));
        assert!(input(&duration(), "soon").is_err());
        assert_eq!(typed(&duration(), &serde_json::json!({"secs": 90, "nanos": 0})), "1m 30s");
    }

    #[test]
    fn values_are_shown_as_typed_when_they_read_back_the_same() {
        assert_eq!(typed(&TypeDesc::String, &Json::String("hi".into())), "hi");
        assert_eq!(typed(&TypeDesc::String, &Json::String("two words".into())), "\"two words\"");
        assert_eq!(typed(&TypeDesc::String, &Json::String(String::new())), "\"\"");
        assert_eq!(typed(&mode(), &Json::String("full".into())), "full");
        assert_eq!(typed(&TypeDesc::Integer { bits: 64, signed: true }, &serde_json::json!(3)), "3");
        // `null` as a string is the string, not JSON null.
        let opt = TypeDesc::Optional { inner: Box::new(TypeDesc::String) };
        assert_eq!(typed(&opt, &Json::String("null".into())), "\"null\"");
    }
}
