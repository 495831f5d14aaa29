//! `key = value` option lists, shared by `#[task(...)]`, `.with_overrides(...)` and `map!(...)`:
//! parsing into a small tree that keeps every token, then typed readers that check each value.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use flowmap_spec::resources::ResourceKey;

use crate::ctxt::Ctxt;

/// One `key = value` or `key(items...)`.
pub(crate) struct OptItem {
    pub(crate) key: Ident,
    pub(crate) value: OptValue,
}

pub(crate) enum OptValue {
    Expr(Expr),
    List(Vec<OptItem>),
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
            let items = Punctuated::<OptItem, Token![,]>::parse_terminated(&content)?;
            Ok(OptItem { key, value: OptValue::List(items.into_iter().collect()) })
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
        .or_else(|| flowmap_spec::closest(&name, valid))
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
        OptValue::List(_) => item.key.to_token_stream(),
    }
}

/// A string literal.
pub(crate) fn string(cx: &mut Ctxt, item: &OptItem, example: &str) -> Option<LitStr> {
    match lit(&item.value) {
        Some(Lit::Str(s)) => Some(s.clone()),
        _ => {
            cx.error(
                span_of(item),
                format!("`{}` takes a string literal, such as `{} = {example}`", item.key, item.key),
            );
            None
        }
    }
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
pub(crate) fn timeout(cx: &mut Ctxt, item: &OptItem) -> Option<LitStr> {
    let s = string(cx, item, "\"30s\"")?;
    match flowmap_spec::duration::parse_timeout(&s.value()) {
        Ok(_) => Some(s),
        Err(e) => {
            cx.error(&s, e);
            None
        }
    }
}

/// A checked `requests(...)` or `limits(...)` list: each key once, each value a quantity.
pub(crate) fn resources(cx: &mut Ctxt, item: &OptItem) -> Vec<(ResourceKey, LitStr)> {
    let OptValue::List(entries) = &item.value else {
        cx.error(
            span_of(item),
            format!("`{}` takes a list of resources, such as `{}(cpu = \"1\", mem = \"2Gi\")`", item.key, item.key),
        );
        return Vec::new();
    };
    let mut out: Vec<(ResourceKey, LitStr)> = Vec::new();
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
        if out.iter().any(|(k, _)| *k == key) {
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
            Ok(_) => out.push((key, text)),
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

/// Requests above limits for the same resource.
pub(crate) fn check_requests_within_limits(
    cx: &mut Ctxt,
    requests: &[(ResourceKey, LitStr)],
    limits: &[(ResourceKey, LitStr)],
) {
    for (key, req) in requests {
        let Some((_, lim)) = limits.iter().find(|(k, _)| k == key) else { continue };
        let (Ok(r), Ok(l)) = (key.check(&req.value()), key.check(&lim.value())) else { continue };
        if r.exceeds(&l) {
            cx.error(
                req,
                format!(
                    "requests {} = \"{}\" is above limits {} = \"{}\"; a request must fit within its limit",
                    key.name(),
                    req.value(),
                    key.name(),
                    lim.value()
                ),
            );
        }
    }
}

/// The settings shared by `#[task(...)]` and `.with_overrides(...)`.
#[derive(Default)]
pub(crate) struct Settings {
    pub(crate) name: Option<LitStr>,
    pub(crate) retries: Option<u32>,
    pub(crate) timeout: Option<LitStr>,
    pub(crate) cache: Option<bool>,
    pub(crate) cache_version: Option<LitStr>,
    pub(crate) requests: Vec<(ResourceKey, LitStr)>,
    pub(crate) limits: Vec<(ResourceKey, LitStr)>,
    pub(crate) container_image: Option<LitStr>,
    pub(crate) interruptible: Option<bool>,
}

pub(crate) const TASK_OPTIONS: &[&str] =
    &["name", "retries", "timeout", "cache", "cache_version", "requests", "limits"];
pub(crate) const OVERRIDE_KEYS: &[&str] =
    &["name", "retries", "timeout", "cache", "cache_version", "requests", "limits", "container_image", "interruptible"];
const SETTING_ALIASES: &[(&str, &str)] =
    &[("retry", "retries"), ("resources", "requests"), ("request", "requests"), ("limit", "limits")];

/// Reads task options (`overrides == false`) or override keys (`true`).
pub(crate) fn settings(cx: &mut Ctxt, items: &[OptItem], overrides: bool) -> Settings {
    let (valid, what) = if overrides { (OVERRIDE_KEYS, "override") } else { (TASK_OPTIONS, "task option") };
    check_duplicates(cx, items, what);
    let mut s = Settings::default();
    for item in items {
        let key = item.key.to_string();
        if !valid.contains(&key.as_str()) {
            unknown(cx, what, &item.key, valid, SETTING_ALIASES);
            continue;
        }
        match key.as_str() {
            "name" => s.name = string(cx, item, "\"my-task\""),
            "retries" => {
                s.retries = integer(cx, item, 0, "retries is how many times a failed attempt is tried again")
                    .and_then(|v| u32::try_from(v).ok());
            }
            "timeout" => s.timeout = timeout(cx, item),
            "cache" => s.cache = boolean(cx, item),
            "cache_version" => s.cache_version = string(cx, item, "\"1\""),
            "requests" => s.requests = resources(cx, item),
            "limits" => s.limits = resources(cx, item),
            "container_image" => s.container_image = string(cx, item, "\"ghcr.io/org/image:tag\""),
            "interruptible" => s.interruptible = boolean(cx, item),
            _ => {}
        }
    }
    check_requests_within_limits(cx, &s.requests, &s.limits);
    s
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
