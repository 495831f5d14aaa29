//! Task options and node overrides, read from the one table in `flowmap_settings::settings`: each
//! setting's value type says how it is read from the user's tokens and how it is generated.

use std::time::Duration;

use flowmap_settings::quantity::Quantity;
use flowmap_settings::resources::{ResourceKey, Resources};
use flowmap_settings::settings::{ALIASES, SETTINGS};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::LitStr;

use crate::ctxt::Ctxt;
use crate::options::{self, OptItem};

/// The value type of a setting: how it is read and how it is generated.
pub(crate) trait SettingValue {
    /// What the macro keeps of it: the typed value and the tokens to blame.
    type Parsed;
    /// Reads and checks the value of `item`; an error at the user's token otherwise.
    fn read(cx: &mut Ctxt, item: &OptItem, example: &str, doc: &str) -> Option<Self::Parsed>;
    /// The typed value as Rust code.
    fn tokens(parsed: &Self::Parsed) -> TokenStream;
}

impl SettingValue for String {
    type Parsed = LitStr;
    fn read(cx: &mut Ctxt, item: &OptItem, example: &str, _: &str) -> Option<LitStr> {
        options::string(cx, item, example)
    }
    fn tokens(s: &LitStr) -> TokenStream {
        quote!(::std::string::String::from(#s))
    }
}

impl SettingValue for u32 {
    type Parsed = u32;
    fn read(cx: &mut Ctxt, item: &OptItem, _: &str, doc: &str) -> Option<u32> {
        let mut what = doc.to_owned();
        if let Some(first) = what.get_mut(..1) {
            first.make_ascii_lowercase();
        }
        options::integer(cx, item, 0, &format!("`{}` is {what}", item.key)).and_then(|v| u32::try_from(v).ok())
    }
    fn tokens(v: &u32) -> TokenStream {
        quote!(#v)
    }
}

impl SettingValue for bool {
    type Parsed = bool;
    fn read(cx: &mut Ctxt, item: &OptItem, _: &str, _: &str) -> Option<bool> {
        options::boolean(cx, item)
    }
    fn tokens(v: &bool) -> TokenStream {
        quote!(#v)
    }
}

impl SettingValue for Duration {
    type Parsed = Duration;
    fn read(cx: &mut Ctxt, item: &OptItem, _: &str, _: &str) -> Option<Duration> {
        options::timeout(cx, item)
    }
    fn tokens(d: &Duration) -> TokenStream {
        let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
        quote!(::core::time::Duration::new(#secs, #nanos))
    }
}

impl SettingValue for Vec<String> {
    type Parsed = Vec<LitStr>;
    fn read(cx: &mut Ctxt, item: &OptItem, example: &str, _: &str) -> Option<Vec<LitStr>> {
        options::strings(cx, item, example)
    }
    fn tokens(items: &Vec<LitStr>) -> TokenStream {
        quote!(::std::vec![#(::std::string::String::from(#items)),*])
    }
}

/// A checked `requests(...)` / `limits(...)` entry: its key, the user's literal and its value.
pub(crate) type Resource = (ResourceKey, LitStr, Quantity);

impl SettingValue for Resources {
    type Parsed = Vec<Resource>;
    fn read(cx: &mut Ctxt, item: &OptItem, _: &str, _: &str) -> Option<Vec<Resource>> {
        Some(options::resources(cx, item))
    }
    fn tokens(entries: &Vec<Resource>) -> TokenStream {
        let entries = entries.iter().map(|(key, text, q)| {
            let key = format_ident!("{}", key_variant(*key));
            let nanos = Literal::u128_unsuffixed(q.nanos());
            quote! {
                (
                    ::flowmap::__private::ResourceKey::#key,
                    ::flowmap::__private::Quantity::from_checked(#text, #nanos),
                )
            }
        });
        quote!(::flowmap::__private::Resources::from_entries([#(#entries),*]))
    }
}

fn key_variant(key: ResourceKey) -> &'static str {
    match key {
        ResourceKey::Cpu => "Cpu",
        ResourceKey::Mem => "Mem",
        ResourceKey::Gpu => "Gpu",
        ResourceKey::EphemeralStorage => "EphemeralStorage",
    }
}

/// Where settings are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `#[task(...)]`.
    Task,
    /// `.with_overrides(...)`.
    Node,
}

impl Place {
    fn what(self) -> &'static str {
        match self {
            Place::Task => "task option",
            Place::Node => "override",
        }
    }

    fn allows(self, key: &str) -> bool {
        SETTINGS.iter().any(|s| s.key == key && if self == Place::Task { s.task } else { s.node })
    }

    /// The keys written here, for "did you mean": the table's, and a task's `outputs(...)` (read
    /// apart, since it names the interface rather than setting how the task runs).
    fn keys(self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = SETTINGS.iter().filter(|s| self.allows(s.key)).map(|s| s.key).collect();
        if self == Place::Task {
            keys.push("outputs");
        }
        keys
    }
}

macro_rules! macro_settings {
    ($($key:ident : $ty:ty, task: $task:literal, node: $node:literal, example: $ex:literal, doc: $doc:literal;)*) => {
        /// The settings read from one `#[task(...)]` or `.with_overrides(...)`.
        #[derive(Default)]
        pub(crate) struct Settings {
            $(pub(crate) $key: Option<<$ty as SettingValue>::Parsed>,)*
            /// The user's `cache` key of `cache = true`: the generated code checks there that
            /// flowmap was built with its `cache` feature.
            pub(crate) cache_on: Option<proc_macro2::Span>,
        }

        impl Settings {
            /// Reads `item` if its key is a setting; `false` if it is not.
            fn read_item(&mut self, cx: &mut Ctxt, item: &OptItem) -> bool {
                match item.key.to_string().as_str() {
                    $(stringify!($key) => self.$key = <$ty as SettingValue>::read(cx, item, $ex, $doc),)*
                    _ => return false,
                }
                true
            }

            /// The settings as a `flowmap::Settings` value.
            pub(crate) fn tokens(&self) -> TokenStream {
                let mut fields = Vec::new();
                $(
                    if let Some(v) = &self.$key {
                        let v = <$ty as SettingValue>::tokens(v);
                        let k = format_ident!("{}", stringify!($key));
                        fields.push(quote!(__settings.#k = ::core::option::Option::Some(#v);));
                    }
                )*
                // Field by field, not a struct expression: `Settings` is `#[non_exhaustive]`, so a
                // new option is not a breaking change.
                if fields.is_empty() {
                    return quote!(<::flowmap::__private::Settings as ::core::default::Default>::default());
                }
                // `cache = true` without flowmap's `cache` feature: an error at the user's `cache`
                // (this macro cannot see the features of the crate its code is compiled against).
                let check = self.cache_on.map(|at| {
                    quote_spanned! {at=>
                        const _: fn() = ::flowmap::__private::cache_enabled::<::flowmap::__private::CacheFeature>;
                    }
                });
                quote!({
                    #check
                    let mut __settings = <::flowmap::__private::Settings as ::core::default::Default>::default();
                    #(#fields)*
                    __settings
                })
            }
        }
    };
}

flowmap_settings::for_each_setting!(macro_settings);

/// Reads task options or override keys, each checked, with every error at its token.
pub(crate) fn read(cx: &mut Ctxt, items: &[OptItem], place: Place) -> Settings {
    let what = place.what();
    options::check_duplicates(cx, items, what);
    let mut s = Settings::default();
    for item in items {
        let key = item.key.to_string();
        if !place.allows(&key) {
            if place == Place::Task && Place::Node.allows(&key) {
                cx.error(
                    &item.key,
                    format!(
                        "`{key}` is set per node, not per task: write `.with_overrides({key} = ...)` after the call"
                    ),
                );
            } else {
                options::unknown(cx, what, &item.key, &place.keys(), ALIASES);
            }
            continue;
        }
        s.read_item(cx, item);
        if item.key == "cache" && s.cache == Some(true) {
            s.cache_on = Some(item.key.span());
        }
    }
    if let (Some(requests), Some(limits)) = (&s.requests, &s.limits) {
        check_requests_within_limits(cx, requests, limits);
    }
    s
}

/// Requests above limits for the same resource.
fn check_requests_within_limits(cx: &mut Ctxt, requests: &[Resource], limits: &[Resource]) {
    for (key, req, r) in requests {
        let Some((_, lim, l)) = limits.iter().find(|(k, _, _)| k == key) else { continue };
        if r.exceeds(l) {
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
