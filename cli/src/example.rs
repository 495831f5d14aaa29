//! An example value for a type, for help texts and error messages: what a person would type
//! on the command line (JSON, or a bare form that `typed.rs` reads).

use flowmap_model::types::TypeDesc;

/// A value of type `ty` as a user would type it; `None` for a type whose shape is not known
/// (any JSON its `Deserialize` accepts).
pub(crate) fn example(ty: &TypeDesc) -> Option<String> {
    if ty.is_duration() {
        return Some("30s".into());
    }
    match ty {
        TypeDesc::Ref { .. } | TypeDesc::Opaque { .. } => None,
        TypeDesc::String => Some("hello".into()),
        TypeDesc::Char => Some("x".into()),
        TypeDesc::Optional { inner } => example(inner),
        TypeDesc::Enum { variants, .. }
            if variants.first().is_some_and(|v| v.fields.is_empty() && v.items.is_empty()) =>
        {
            variants.first().map(|v| v.name.clone())
        }
        _ => Some(json(ty)),
    }
}

/// A JSON value of type `ty`, if its shape is known.
pub(crate) fn json_example(ty: &TypeDesc) -> Option<String> {
    (!matches!(ty, TypeDesc::Ref { .. } | TypeDesc::Opaque { .. })).then(|| json(ty))
}

/// A JSON value of type `ty`.
fn json(ty: &TypeDesc) -> String {
    if ty.is_duration() {
        return r#"{"secs": 30, "nanos": 0}"#.into();
    }
    match ty {
        TypeDesc::Boolean => "true".into(),
        TypeDesc::Integer { .. } => "1".into(),
        TypeDesc::Float { .. } => "1.5".into(),
        TypeDesc::String | TypeDesc::Char => "\"a\"".into(),
        TypeDesc::Bytes => "[0, 1]".into(),
        TypeDesc::Unit => "null".into(),
        TypeDesc::List { items } | TypeDesc::Array { items, .. } => format!("[{}, {}]", json(items), json(items)),
        TypeDesc::Optional { inner } => json(inner),
        TypeDesc::Map { values, .. } => format!("{{\"key\": {}}}", json(values)),
        TypeDesc::Tuple { items } | TypeDesc::TupleStruct { items, .. } if items.len() != 1 => {
            format!("[{}]", items.iter().map(json).collect::<Vec<_>>().join(", "))
        }
        TypeDesc::TupleStruct { items, .. } => json(&items[0]),
        TypeDesc::Tuple { .. } => "[]".into(),
        TypeDesc::Struct { fields, .. } => format!(
            "{{{}}}",
            fields.iter().map(|f| format!("\"{}\": {}", f.name, json(&f.ty))).collect::<Vec<_>>().join(", ")
        ),
        TypeDesc::Enum { variants, .. } => match variants.first() {
            Some(v) if v.fields.is_empty() && v.items.is_empty() => format!("\"{}\"", v.name),
            Some(v) if !v.fields.is_empty() => format!(
                "{{\"{}\": {{{}}}}}",
                v.name,
                v.fields.iter().map(|f| format!("\"{}\": {}", f.name, json(&f.ty))).collect::<Vec<_>>().join(", ")
            ),
            Some(v) => format!("{{\"{}\": {}}}", v.name, json(&v.items[0])),
            None => "null".into(),
        },
        TypeDesc::Ref { .. } | TypeDesc::Opaque { .. } => "{}".into(),
    }
}

/// `such as --flag 'example'` for an input of type `ty` given by `--flag`, or that it takes JSON.
pub(crate) fn such_as(flag: &str, ty: &TypeDesc) -> String {
    match example(ty) {
        Some(e) => format!("such as --{flag} {}", quoted(&e)),
        None => format!("as JSON that `{}` reads, such as --{flag} '{{...}}'", ty.short()),
    }
}

/// `text` as a shell word: bare if it needs no quotes.
pub(crate) fn quoted(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/@+".contains(c)) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_json_of_the_type() {
        let list = TypeDesc::List { items: Box::new(TypeDesc::Integer { bits: 64, signed: true }) };
        assert_eq!(example(&list).unwrap(), "[1, 1]");
        let opt = TypeDesc::Optional { inner: Box::new(TypeDesc::String) };
        assert_eq!(example(&opt).unwrap(), "hello");
        assert!(serde_json::from_str::<serde_json::Value>(&example(&list).unwrap()).is_ok());
        // A type whose shape is unknown (an internally tagged enum) has no example that parses.
        let tagged = TypeDesc::Opaque { rust: "my::Shape".into(), reason: String::new() };
        assert_eq!(example(&tagged), None);
        assert_eq!(such_as("shape", &tagged), "as JSON that `Shape` reads, such as --shape '{...}'");
        assert_eq!(quoted("[1, 1]"), "'[1, 1]'");
        assert_eq!(quoted("30s"), "30s");
    }
}
