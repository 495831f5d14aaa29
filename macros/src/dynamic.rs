//! `#[dynamic]`: a task-like node whose body runs at run time with its inputs' real values and
//! builds a graph. Parse and check the function as a task's, rewrite the calls in its body into
//! calls that add nodes, then generate the target and its body.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, Item, ItemFn, Type};

use crate::body;
use crate::callees;
use crate::chain;
use crate::ctxt::Ctxt;
use crate::settings::Settings;
use crate::signature::{self, Output};
use crate::task::{self, TaskModel};
use crate::workflow::{after_tokens, call_tokens, overrides_tokens};

/// The local generated code names the body's builder by.
fn builder() -> syn::Ident {
    local("__flowmap_dyn")
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let item: Item = match syn::parse2(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let Item::Fn(func) = item else {
        cx.error(
            &item,
            "`#[dynamic]` goes on a function, such as `#[dynamic] fn per_region(regions: Vec<String>) -> Vec<Report> { .. }`",
        );
        return cx.into_compile_errors();
    };
    let mut options_cx = Ctxt::default();
    let model = task::parse(&mut cx, &mut options_cx, attr, func);
    check(&mut cx, &model);
    if !cx.is_empty() || !options_cx.is_empty() {
        let mut errors = cx.into_compile_errors();
        errors.extend(options_cx.into_compile_errors());
        let mut func = model.item;
        task::strip_default_attrs(&mut func);
        // Kept so that its uses do not add errors of their own, but never called.
        errors.extend(quote!(#[allow(dead_code, unused)] #func));
        return errors;
    }
    let mut body = (*model.item.block).clone();
    let mut rewrite = Rewrite { cx: &mut cx, locals: locals(&model.item), counter: 0, callees: Vec::new() };
    rewrite.visit_block_mut(&mut body);
    let callees = callees::declare(&rewrite.callees, &model.item.block, &builder());
    if !cx.is_empty() {
        return cx.into_compile_errors();
    }
    generate(&model, body, &callees)
}

/// What a dynamic's signature may not have.
fn check(cx: &mut Ctxt, m: &TaskModel) {
    let sig = &m.item.sig;
    if let Some(a) = &sig.asyncness {
        cx.error(
            a,
            "a `#[dynamic]` body builds a graph, which then runs: it is not `async`. Remove `async`; \
             the tasks it calls may be async",
        );
    }
    if m.returns.fallible {
        cx.error(
            &sig.output,
            "a `#[dynamic]` returns the promises of its outputs, not a `Result`: write the outputs' types \
             (`-> Vec<Report>`); to fail, call a task that fails, or panic",
        );
    }
    if let Output::Many(ts) = &m.returns.output
        && let Some(t) = ts.iter().find(|t| matches!(t, Type::Tuple(_)))
    {
        cx.error(t, "a `#[dynamic]`'s outputs are a flat tuple: a tuple inside it is not supported");
    }
    if m.settings.cache.is_some() {
        cx.error(
            sig.fn_token,
            "`cache` is not supported on a `#[dynamic]`: cache the tasks it calls (`#[task(cache = true, ..)]`)",
        );
    }
}

/// Every name the function binds (parameters, `let`s, closure parameters, patterns): a call of
/// one of them is a call of a local, not of a task.
fn locals(func: &ItemFn) -> HashSet<String> {
    struct Names(HashSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.insert(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut names = Names(HashSet::new());
    names.visit_item_fn(func);
    names.0
}

/// Rewrites the calls of a dynamic body: `f(a, b)` of a path that may name a task or workflow
/// into `DynCall::dyn_call` (`flowmap_runtime::plan::dynamic`), and `map!(..)(..)` into a map
/// node.
struct Rewrite<'a> {
    cx: &'a mut Ctxt,
    locals: HashSet<String>,
    counter: usize,
    /// The path of each call and map made, in body order.
    callees: Vec<syn::Path>,
}

/// Primitive types, whose associated functions (`i64::max`) are called like module functions.
const PRIMITIVES: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64", "bool",
    "char", "str",
];

impl Rewrite<'_> {
    /// Whether `path` may name a task or workflow: a function path of snake_case names, not a
    /// local, a constructor, a primitive's function or a generic call.
    fn callable(&self, func: &Expr) -> Option<syn::Path> {
        let Expr::Path(p) = func else { return None };
        if p.qself.is_some() {
            return None;
        }
        let segs = &p.path.segments;
        let first = segs.first()?.ident.to_string();
        let snake = segs.iter().all(|s| {
            s.arguments.is_none() && !s.ident.to_string().trim_start_matches('_').starts_with(char::is_uppercase)
        });
        let local = segs.len() == 1 && self.locals.contains(&first);
        (snake && !local && !PRIMITIVES.contains(&first.as_str())).then(|| p.path.clone())
    }

    fn fresh(&mut self, what: &str) -> syn::Ident {
        self.counter += 1;
        format_ident!("__flowmap_{}{}", what, self.counter)
    }

    /// `path(args)`: a node when `path` is a target, the function's own call otherwise; with
    /// `chained` (`.with_overrides(...)`, `.after(...)`), a node with them, and an error for a
    /// plain function (`DynNode` in `flowmap_runtime::plan::dyn_call`).
    fn call(&mut self, path: &syn::Path, call: &syn::ExprCall, chained: Option<Chained>) -> Expr {
        self.callees.push(path.clone());
        let d = builder();
        let args: Vec<&Expr> = call.args.iter().collect();
        let params: Vec<syn::Ident> = (0..args.len()).map(|i| format_ident!("__flowmap_a{}", i)).collect();
        let alias = syn::Ident::new("NotATaskOrWorkflow", path.span());
        let at = path.span();
        let (settings, method, target, extra) = match chained {
            None => (quote!(), quote_spanned!(at=> DynCall::dyn_call), quote_spanned!(at=> #alias {}), quote!()),
            Some(Chained { overrides, after }) => {
                let (overrides_local, after_local) = (local("__flowmap_overrides"), local("__flowmap_after"));
                let overrides = overrides_tokens(overrides.as_ref());
                let after = after_tokens(&after_local, after.iter().map(ToTokens::to_token_stream));
                (
                    quote!(#after let #overrides_local = #overrides;),
                    quote_spanned!(at=> DynNode::dyn_node),
                    quote_spanned!(at=> ::flowmap::__private::with_settings(#alias {})),
                    quote!(, #overrides_local, #after_local),
                )
            }
        };
        syn::parse_quote_spanned! {at=>
            {
                let __flowmap_args = (#(#args,)*);
                #settings
                #[allow(unused_imports)]
                use ::flowmap::__private::fallback::*;
                #[allow(unused_imports)]
                use #path as #alias;
                // The closure is called only when `path` is a plain function.
                #[allow(clippy::redundant_closure)]
                let __flowmap_out = ::flowmap::__private::#method(
                    #target, #d, __flowmap_args, |#(#params),*| #path(#(#params),*) #extra
                );
                __flowmap_out
            }
        }
    }

    /// `map!(target, options)(inputs)`, with `chained` after it: each input evaluated first, then
    /// what `.after(...)` names, then the map node.
    fn map(&mut self, call: &syn::ExprCall, chained: Option<Chained>) -> Expr {
        let mut call = call.clone();
        let mut lets = Vec::new();
        for arg in &mut call.args {
            let value = match arg {
                Expr::Assign(a) => &mut *a.right,
                other => other,
            };
            let local = self.fresh("m");
            lets.push(quote!(let #local = #value;));
            *value = syn::parse_quote!(#local);
        }
        let (overrides, after) = chained.map(|c| (c.overrides, c.after)).unwrap_or_default();
        let mut waits = Vec::new();
        for a in after {
            // At the value: one that is no call's result is reported there.
            let local = syn::Ident::new(&self.fresh("m").to_string(), a.span());
            lets.push(quote!(let #local = &(#a);));
            waits.push(local);
        }
        let Some(parsed) = body::dynamic_map(self.cx, &call, overrides, waits) else { return Expr::Call(call) };
        if let Expr::Path(target) = &parsed.target {
            self.callees.push(target.path.clone());
        }
        let node = call_tokens(&parsed);
        let d = builder();
        syn::parse_quote! {
            {
                #(#lets)*
                #d.with(|__fm_b| #node)
            }
        }
    }

    /// `call.with_overrides(...).after(...)`: the node of a call or a `map!` with them, its
    /// inputs and what `.after(...)` names rewritten first. `None` when the methods follow no
    /// call of a path nor a `map!`: only `.after(...)`s are then left as written (a method of
    /// the user's own); `.with_overrides(...)` is an error.
    fn chained(&mut self, e: &Expr) -> Option<Expr> {
        let (base, with_overrides) = chain::peel(e);
        // `None`: a `map!`; `Some(path)`: a call of `path`.
        let target: Option<Option<syn::Path>> = match base {
            Expr::Call(call) if is_map(call) => Some(None),
            Expr::Call(call) => self.callable(&call.func).map(Some),
            _ => None,
        };
        let Some(path) = target else {
            if with_overrides {
                chain::read(self.cx, e).not_after_a_call(self.cx);
            }
            return None;
        };
        let chain = chain::read(self.cx, e);
        let Expr::Call(call) = chain.call else { return None };
        let mut call = call.clone();
        for arg in &mut call.args {
            self.visit_expr_mut(arg);
        }
        let mut after: Vec<Expr> = chain.after.into_iter().cloned().collect();
        for a in &mut after {
            self.visit_expr_mut(a);
        }
        let chained = Some(Chained { overrides: chain.overrides, after });
        Some(match path {
            None => self.map(&call, chained),
            Some(path) => self.call(&path, &call, chained),
        })
    }
}

/// What follows a call in a dynamic body: its `.with_overrides(...)`, and the values its
/// `.after(...)` names, rewritten.
struct Chained {
    overrides: Option<Settings>,
    after: Vec<Expr>,
}

fn is_map(call: &syn::ExprCall) -> bool {
    matches!(&*call.func, Expr::Macro(m) if m.mac.path.is_ident("map"))
}

/// A local of generated code, resolved where the body was written.
fn local(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::call_site())
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `.with_overrides(...)` is no expression to rewrite.
        if chain::is_chained(e)
            && let Some(node) = self.chained(e)
        {
            *e = node;
            return;
        }
        // The arguments first: they are evaluated before the call.
        syn::visit_mut::visit_expr_mut(self, e);
        let replaced = match &*e {
            Expr::Call(call) if is_map(call) => Some(self.map(call, None)),
            Expr::Call(call) => self.callable(&call.func).map(|path| self.call(&path, call, None)),
            _ => None,
        };
        if let Some(new) = replaced {
            *e = new;
        }
    }

    /// `vec![a(x), b(y)]`: its elements are expressions too.
    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        if !m.path.is_ident("vec") {
            return;
        }
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        if let Ok(mut items) = m.parse_body_with(parser) {
            for item in &mut items {
                self.visit_expr_mut(item);
            }
            m.tokens = quote!(#items);
        }
    }

    // Items inside the body (a helper `fn`) are plain Rust.
    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// How one output is returned by the body: `Many<T>` for a `Vec<T>`, else `Promise<T>`.
fn returned_part(t: &Type) -> TokenStream {
    match vec_item(t) {
        Some(item) => quote_spanned!(t.span()=> ::flowmap::__private::Many<#item>),
        None => quote_spanned!(t.span()=> ::flowmap::__private::Promise<#t>),
    }
}

/// `T` of `Vec<T>`.
fn vec_item(t: &Type) -> Option<&Type> {
    let Type::Path(p) = t else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first()? {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `e` is `...collect()`, whose type comes from where it goes.
fn is_collect(e: &Expr) -> bool {
    matches!(e, Expr::MethodCall(mc) if mc.method == "collect")
}

fn generate(m: &TaskModel, mut block: syn::Block, callees: &TokenStream) -> TokenStream {
    let func = &m.item;
    let vis = &func.vis;
    let ident = &func.sig.ident;
    let d = builder();

    let args: Vec<syn::Ident> = (0..m.params.len()).map(|i| format_ident!("__flowmap_p{}", i)).collect();
    let pats: Vec<&syn::Pat> = func
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => Some(&*pt.pat),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let outputs: Vec<&Type> = match &m.returns.output {
        Output::Unit => Vec::new(),
        Output::One(t) => vec![&**t],
        Output::Many(ts) => ts.iter().collect(),
    };
    let parts: Vec<TokenStream> = outputs.iter().map(|t| returned_part(t)).collect();
    let (returned, index): (TokenStream, Vec<TokenStream>) = match outputs.len() {
        0 => (quote!(()), Vec::new()),
        1 => (parts[0].clone(), vec![quote!()]),
        _ => {
            let index = (0..outputs.len()).map(|i| {
                let i = syn::Index::from(i);
                quote!(.#i)
            });
            (quote!((#(#parts,)*)), index.collect())
        }
    };
    // A `Vec` output may be returned as a list of promises or as the promise of a list: the
    // tail's value for it (or the tail tuple's element) goes through `From`, but for a
    // `.collect()`, whose type comes from where it goes.
    let into_many = |e: &mut Expr| {
        if !is_collect(e) {
            *e = syn::parse_quote_spanned!(e.span()=> ::core::convert::From::from(#e));
        }
    };
    if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last_mut() {
        match (outputs.as_slice(), tail) {
            ([one], tail) if vec_item(one).is_some() => into_many(tail),
            (several, Expr::Tuple(t)) if several.len() == t.elems.len() => {
                for (ty, e) in several.iter().zip(t.elems.iter_mut()) {
                    if vec_item(ty).is_some() {
                        into_many(e);
                    }
                }
            }
            _ => {}
        }
    }
    let parts =
        outputs.iter().zip(&index).map(|(t, i)| quote!(::flowmap::__private::DynPart::<#t>::part(&(*returned) #i),));
    let takes = outputs
        .iter()
        .zip(&index)
        .map(|(t, i)| quote!(::flowmap::__private::DynPart::<#t>::take(&(*returned) #i, &mut values)?,));

    let function = ident.to_string();
    let settings = m.settings.tokens();
    let params = &func.sig.inputs;
    let note = format!(
        "`{function}` is a `#[dynamic]`: it runs as a node of a workflow. Call it in a `#[workflow]` body, \
         or `map!` it"
    );
    let kernel = task::Kernel {
        ty: quote!(::flowmap::__private::DynamicKernel<#ident>),
        value: quote!(::flowmap::__private::DynamicKernel(*self)),
        spec: quote!(::flowmap::__private::Dynamic::spec(self)),
    };
    let target = task::target_items(m, "dynamic", true, &kernel);

    let inner = quote! {
        #target

        impl ::flowmap::__private::Dynamic for #ident {
            type Returned = #returned;
            const NAME: &'static str = #function;

            fn spec(&self) -> ::flowmap::graph::TaskSpec {
                let mut spec = __FLOWMAP_DECL.spec(#settings, __flowmap_types());
                spec.dynamic = true;
                spec
            }

            #[allow(unused_variables, unused_mut, clippy::unit_arg, clippy::let_unit_value)]
            fn body(&self, (#(#args,)*): Self::Input, #d: &::flowmap::__private::DynamicBuilder) -> Self::Returned {
                #(let #pats = #args;)*
                #block
            }

            #[allow(unused_variables)]
            fn outputs(returned: &Self::Returned) -> ::std::vec::Vec<::flowmap::__private::DynOutput> {
                ::std::vec![#(#parts)*]
            }

            #[allow(unused_variables, unused_mut, clippy::unused_unit)]
            fn assemble(
                returned: &Self::Returned,
                values: ::std::vec::Vec<::flowmap::__private::Value>,
            ) -> ::core::option::Option<Self::Output> {
                let mut values = values.into_iter();
                ::core::option::Option::Some((#(#takes)*))
            }

            fn callees(#d: &::flowmap::__private::DynamicBuilder) {
                #callees
            }
        }
    };
    let marker = signature::marker(func, "dynamic", &inner);
    let attrs: Vec<&syn::Attribute> = func.attrs.iter().filter(|a| a.path().is_ident("cfg")).collect();
    quote! {
        #(#attrs)*
        #[doc(hidden)]
        #[allow(unused_variables, clippy::unused_unit)]
        #vis fn #ident(#params) -> ::flowmap::__private::NotCallable {
            ::core::unreachable!(#note)
        }

        #marker
    }
}
