//! An example JSON value for a type, for help texts and error messages.

use flowmap_model::types::TypeDesc;

/// A JSON value of type `ty`, written as a user would type it.
pub(crate) fn example(ty: &TypeDesc) -> String {
    match ty {
        TypeDesc::Boolean => "true".into(),
        TypeDesc::Integer { .. } => "1".into(),
        TypeDesc::Float { .. } => "1.5".into(),
        TypeDesc::String | TypeDesc::Char => "\"a\"".into(),
        TypeDesc::Bytes => "[0, 1]".into(),
        TypeDesc::Unit => "null".into(),
        TypeDesc::List { items } | TypeDesc::Array { items, .. } => format!("[{}, {}]", example(items), example(items)),
        TypeDesc::Optional { inner } => example(inner),
        TypeDesc::Map { values, .. } => format!("{{\"key\": {}}}", example(values)),
        TypeDesc::Tuple { items } | TypeDesc::TupleStruct { items, .. } if items.len() != 1 => {
            format!("[{}]", items.iter().map(example).collect::<Vec<_>>().join(", "))
        }
        TypeDesc::TupleStruct { items, .. } => example(&items[0]),
        TypeDesc::Tuple { .. } => "[]".into(),
        TypeDesc::Struct { fields, .. } => format!(
            "{{{}}}",
            fields.iter().map(|f| format!("\"{}\": {}", f.name, example(&f.ty))).collect::<Vec<_>>().join(", ")
        ),
        TypeDesc::Enum { variants, .. } => match variants.first() {
            Some(v) if v.fields.is_empty() && v.items.is_empty() => format!("\"{}\"", v.name),
            Some(v) if !v.fields.is_empty() => format!(
                "{{\"{}\": {{{}}}}}",
                v.name,
                v.fields.iter().map(|f| format!("\"{}\": {}", f.name, example(&f.ty))).collect::<Vec<_>>().join(", ")
            ),
            Some(v) => format!("{{\"{}\": {}}}", v.name, example(&v.items[0])),
            None => "null".into(),
        },
        TypeDesc::Ref { .. } | TypeDesc::Opaque { .. } => "{}".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_json_of_the_type() {
        let list = TypeDesc::List { items: Box::new(TypeDesc::Integer { bits: 64, signed: true }) };
        assert_eq!(example(&list), "[1, 1]");
        let opt = TypeDesc::Optional { inner: Box::new(TypeDesc::String) };
        assert_eq!(example(&opt), "\"a\"");
        assert!(serde_json::from_str::<serde_json::Value>(&example(&list)).is_ok());
    }
}
