//! `key = value` option lists, shared by `#[task(...)]`, `.with_overrides(...)` and `map!(...)`:
//! parsing into a small tree that keeps every token, then typed readers that check each value.
//! Which keys exist, and which reader each uses, is `crate::settings`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use std::time::Duration;

use flowmap_settings::quantity::Quantity;
use flowmap_settings::resources::ResourceKey;

use crate::ctxt::Ctxt;

/// One `key = value` or `key(items...)`.
pub(crate) struct OptItem {
    pub(crate) key: Ident,
    pub(crate) value: OptValue,
}

pub(crate) enum OptValue {
    Expr(Expr),
    List(Vec<OptItem>),
    /// `key(a, b)` whose items are not `name = value`: `outputs(total, mean)`.
    Exprs(Vec<Expr>),
}

impl Parse for OptItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Ok(OptItem { key, value: OptValue::Expr(input.parse()?) })
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let fork = content.fork();
            if let Ok(items) = Punctuated::<OptItem, Token![,]>::parse_terminated(&fork) {
                syn::parse::discouraged::Speculative::advance_to(&content, &fork);
                return Ok(OptItem { key, value: OptValue::List(items.into_iter().collect()) });
            }
            let items = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
            Ok(OptItem { key, value: OptValue::Exprs(items.into_iter().collect()) })
        } else {
            Err(syn::Error::new(
                key.span(),
                format!("expected `{key} = value` or `{key}(...)`: options are written `name = value`"),
            ))
        }
    }
}

/// A comma-separated option list.
pub(crate) struct OptList(pub(crate) Vec<OptItem>);

impl Parse for OptList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(OptList(Punctuated::<OptItem, Token![,]>::parse_terminated(input)?.into_iter().collect()))
    }
}

/// "unknown option `x`" with the valid names and the nearest one.
pub(crate) fn unknown(cx: &mut Ctxt, what: &str, key: &Ident, valid: &[&str], aliases: &[(&str, &str)]) {
    let name = key.to_string();
    let hint = aliases
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, real)| *real)
        .or_else(|| flowmap_settings::closest(&name, valid))
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    let list = valid.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    cx.error(key, format!("unknown {what} `{name}`{hint}\nthe {what}s are: {list}"));
}

/// Rejects a key given twice.
pub(crate) fn check_duplicates(cx: &mut Ctxt, items: &[OptItem], what: &str) {
    for (i, item) in items.iter().enumerate() {
        if items[..i].iter().any(|prev| prev.key == item.key) {
            cx.error(&item.key, format!("{what} `{}` is given twice; give it once", item.key));
        }
    }
}

fn lit(value: &OptValue) -> Option<&Lit> {
    match value {
        OptValue::Expr(Expr::Lit(ExprLit { lit, .. })) => Some(lit),
        _ => None,
    }
}

fn span_of(item: &OptItem) -> TokenStream {
    match &item.value {
        OptValue::Expr(e) => e.to_token_stream(),
        OptValue::List(_) | OptValue::Exprs(_) => item.key.to_token_stream(),
    }
}

/// `outputs(total, mean)`: the names of a task's or workflow's outputs, each a plain identifier
/// given once.
pub(crate) fn output_names(cx: &mut Ctxt, item: &OptItem) -> Option<Vec<Ident>> {
    let what = "`outputs` lists the names of the outputs, such as `outputs(total, mean)`";
    let exprs: Vec<Expr> = match &item.value {
        OptValue::Exprs(exprs) => exprs.clone(),
        // `outputs()`, or a single name that parsed as an option list.
        OptValue::List(items) if items.is_empty() => Vec::new(),
        OptValue::List(items) => {
            for i in items {
                cx.error(&i.key, format!("{what}: an output name has no value"));
            }
            return None;
        }
        OptValue::Expr(e) => {
            cx.error(e, what);
            return None;
        }
    };
    let mut names: Vec<Ident> = Vec::new();
    let mut wrong = false;
    for e in &exprs {
        let name = match e {
            Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident(),
            _ => None,
        };
        let Some(name) = name else {
            cx.error(e, "an output name is a plain identifier, such as `total`");
            wrong = true;
            continue;
        };
        let shown = name.to_string().trim_start_matches("r#").to_owned();
        if names.iter().any(|n| n.to_string().trim_start_matches("r#") == shown) {
            cx.error(name, format!("output `{shown}` is named twice; each output has its own name"));
            wrong = true;
            continue;
        }
        names.push(name.clone());
    }
    // Counted against the outputs only when each name is right, so one mistake is said once.
    (!wrong).then_some(names)
}

/// A string literal.
pub(crate) fn string(cx: &mut Ctxt, item: &OptItem, example: &str) -> Option<LitStr> {
    match lit(&item.value) {
        Some(Lit::Str(s)) => Some(s.clone()),
        _ => {
            cx.error(span_of(item), format!("`{}` takes a string literal, such as `{example}`", item.key));
            None
        }
    }
}

/// A list of string literals, `["a", "b"]`.
pub(crate) fn strings(cx: &mut Ctxt, item: &OptItem, example: &str) -> Option<Vec<LitStr>> {
    let items = match &item.value {
        OptValue::Expr(Expr::Array(array)) => &array.elems,
        _ => {
            cx.error(span_of(item), format!("`{}` takes a list of string literals, such as `{example}`", item.key));
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        match e {
            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => out.push(s.clone()),
            other => cx.error(other, format!("`{}` takes string literals, such as `{example}`", item.key)),
        }
    }
    Some(out)
}

/// A boolean literal.
pub(crate) fn boolean(cx: &mut Ctxt, item: &OptItem) -> Option<bool> {
    match lit(&item.value) {
        Some(Lit::Bool(b)) => Some(b.value),
        _ => {
            cx.error(span_of(item), format!("`{}` takes `true` or `false`", item.key));
            None
        }
    }
}

/// A whole number literal in `min..=u32::MAX`; negative numbers are named as such.
pub(crate) fn integer(cx: &mut Ctxt, item: &OptItem, min: u64, what: &str) -> Option<u64> {
    let key = &item.key;
    let negative = matches!(&item.value, OptValue::Expr(Expr::Unary(u)) if matches!(u.op, syn::UnOp::Neg(_)));
    match lit(&item.value) {
        Some(Lit::Int(i)) => match i.base10_parse::<u32>() {
            Ok(v) if u64::from(v) >= min => Some(u64::from(v)),
            Ok(v) => {
                cx.error(i, format!("`{key} = {v}` is not allowed: {what}"));
                None
            }
            Err(_) => {
                cx.error(i, format!("`{key}` is too large; it takes a whole number up to {}", u32::MAX));
                None
            }
        },
        _ if negative => {
            cx.error(span_of(item), format!("`{key}` cannot be negative: {what}"));
            None
        }
        _ => {
            cx.error(span_of(item), format!("`{key}` takes a whole number literal: {what}"));
            None
        }
    }
}

/// A timeout string, checked.
pub(crate) fn timeout(cx: &mut Ctxt, item: &OptItem) -> Option<Duration> {
    let s = string(cx, item, "\"30s\"")?;
    match flowmap_settings::duration::parse_timeout(&s.value()) {
        Ok(d) => Some(d),
        Err(e) => {
            cx.error(&s, e);
            None
        }
    }
}

/// A checked `requests(...)` or `limits(...)` list: each key once, each value a quantity.
pub(crate) fn resources(cx: &mut Ctxt, item: &OptItem) -> Vec<(ResourceKey, LitStr, Quantity)> {
    let OptValue::List(entries) = &item.value else {
        cx.error(
            span_of(item),
            format!("`{}` takes a list of resources, such as `{}(cpu = \"1\", mem = \"2Gi\")`", item.key, item.key),
        );
        return Vec::new();
    };
    let mut out: Vec<(ResourceKey, LitStr, Quantity)> = Vec::new();
    for e in entries {
        let Some(key) = ResourceKey::from_name(&e.key.to_string()) else {
            unknown(
                cx,
                "resource",
                &e.key,
                &ResourceKey::NAMES,
                &[("memory", "mem"), ("storage", "ephemeral_storage"), ("disk", "ephemeral_storage")],
            );
            continue;
        };
        if out.iter().any(|(k, _, _)| *k == key) {
            cx.error(&e.key, format!("resource `{}` is given twice in `{}`", key.name(), item.key));
            continue;
        }
        let text = match lit(&e.value) {
            Some(Lit::Str(s)) => s.clone(),
            Some(Lit::Int(i)) if key != ResourceKey::Mem && key != ResourceKey::EphemeralStorage => {
                LitStr::new(i.base10_digits(), i.span())
            }
            Some(Lit::Float(f)) if key == ResourceKey::Cpu => LitStr::new(f.base10_digits(), f.span()),
            Some(Lit::Float(f)) if key == ResourceKey::Gpu => {
                cx.error(f, format!("`gpu = {f}`: GPUs are requested whole, such as `gpu = \"1\"`"));
                continue;
            }
            _ => {
                cx.error(
                    span_of(e),
                    format!("`{}` takes a quantity string, such as `{} = {}`", key.name(), key.name(), example(key)),
                );
                continue;
            }
        };
        match key.check(&text.value()) {
            Ok(q) => out.push((key, text, q)),
            Err(msg) => cx.error(&text, msg),
        }
    }
    out
}

fn example(key: ResourceKey) -> &'static str {
    match key {
        ResourceKey::Cpu => "\"500m\"",
        ResourceKey::Mem => "\"2Gi\"",
        ResourceKey::Gpu => "\"1\"",
        ResourceKey::EphemeralStorage => "\"10Gi\"",
    }
}

/// Parses `tokens` as an option list, recording a parse error.
pub(crate) fn parse_list(cx: &mut Ctxt, tokens: TokenStream) -> Vec<OptItem> {
    match syn::parse2::<OptList>(tokens) {
        Ok(list) => list.0,
        Err(e) => {
            cx.push(e);
            Vec::new()
        }
    }
}
