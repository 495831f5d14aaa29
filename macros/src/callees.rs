//! A dynamic's callees: the tasks and workflows its body names, declared by a generated
//! `Dynamic::callees` without running the body, so that a Flyte pod finds a task only a dynamic
//! calls (`flowmap_runtime::plan::callees`).

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// The body of `Dynamic::callees` for the calls `paths` made in `body` (the body as written):
/// each path declared once, with the body's `use` items in scope; a path naming an item defined
/// inside the body (a helper `fn`) is not declared, as it cannot be named from outside.
pub(crate) fn declare(paths: &[syn::Path], body: &syn::Block, d: &syn::Ident) -> TokenStream {
    let mut items = BodyItems::default();
    items.visit_block(body);
    let mut seen = HashSet::new();
    let declares = paths.iter().filter_map(|path| {
        let first = path.segments.first()?;
        if path.leading_colon.is_none() && items.defined.contains(&first.ident.to_string()) {
            return None;
        }
        // At the path, as the body's own call is: an unknown path is then one error, not two
        // (rustc says an error once per place and message).
        let at = path.span();
        seen.insert(quote!(#path).to_string()).then(|| {
            quote_spanned! {at=> {
                #[allow(unused_imports)]
                use ::flowmap::__private::fallback::*;
                #[allow(unused_imports)]
                use #path as NotATaskOrWorkflow;
                #[allow(unused_imports)]
                use ::flowmap::__private::{DeclareNothing as _, DeclareTarget as _};
                (&::flowmap::__private::Callee(NotATaskOrWorkflow {})).declare(#d);
            }}
        })
    });
    let declares: Vec<TokenStream> = declares.collect();
    let mut uses_seen = HashSet::new();
    let uses = items.uses.iter().filter(|u| uses_seen.insert(quote!(#u).to_string()));
    quote! {
        #(#[allow(unused_imports)] #uses)*
        #(#declares)*
    }
}

/// The items of a body: its `use`s (at any depth) and the names of what it defines.
#[derive(Default)]
struct BodyItems {
    uses: Vec<syn::ItemUse>,
    defined: HashSet<String>,
}

impl<'ast> Visit<'ast> for BodyItems {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        match item {
            syn::Item::Use(u) => self.uses.push(u.clone()),
            syn::Item::Fn(f) => {
                self.defined.insert(f.sig.ident.to_string());
            }
            syn::Item::Mod(m) => {
                self.defined.insert(m.ident.to_string());
            }
            _ => {}
        }
    }
}
