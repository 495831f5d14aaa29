//! `#[workflow]`: parse the signature and body, check them, generate the graph builder and the
//! workflow value.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, Item, ItemFn};

use crate::body::{self, Arg, Body, Call, WExpr, WStmt};
use crate::ctxt::Ctxt;
use crate::settings::Settings;
use crate::signature::{self, Output, Param};

struct WorkflowModel {
    item: ItemFn,
    params: Vec<Param>,
    defaults: Vec<Option<Expr>>,
    output: Output,
    body: Body,
    /// `outputs(...)`: the outputs' names, or empty.
    outputs: Vec<String>,
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let item: Item = match syn::parse2(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let Item::Fn(mut func) = item else {
        cx.error(&item, "`#[workflow]` goes on a function whose body wires tasks together");
        return cx.into_compile_errors();
    };
    // Errors in the body (and in options or defaults) leave the signature whole: the workflow is
    // still generated, with a body that never runs, so its uses elsewhere report nothing more.
    let mut body_cx = Ctxt::default();
    let mut named = None;
    for item in crate::options::parse_list(&mut body_cx, attr) {
        if item.key == "outputs" && named.is_none() {
            named = Some(item);
        } else if item.key == "outputs" {
            body_cx.error(&item.key, "`outputs` is given twice; give it once");
        } else {
            body_cx.error(
                &item.key,
                "`#[workflow]` takes no options but `outputs(...)`; set task options on each `#[task]` or \
                 with `.with_overrides(...)`",
            );
        }
    }
    let defaults = take_defaults(&mut body_cx, &mut func);
    let mut model = parse(&mut cx, &mut body_cx, func, defaults);
    if let Some(o) = &named
        && let Some(names) = crate::options::output_names(&mut body_cx, o)
    {
        model.outputs = signature::output_names(&mut body_cx, &o.key, names, &model.output, "workflow");
    }
    if cx.is_empty() {
        let body_ok = body_cx.is_empty();
        let mut out = body_cx.into_compile_errors();
        out.extend(generate(&model, body_ok));
        return out;
    }
    cx.extend(body_cx);
    // Fail soft: a stub with the same name and signature, so uses elsewhere do not cascade.
    let mut errors = cx.into_compile_errors();
    errors.extend(stub(&model));
    errors
}

/// Removes `#[default(expr)]` from each parameter, keeping the expressions.
fn take_defaults(cx: &mut Ctxt, func: &mut ItemFn) -> Vec<Option<Expr>> {
    let mut out = Vec::new();
    for arg in &mut func.sig.inputs {
        let FnArg::Typed(pt) = arg else {
            out.push(None);
            continue;
        };
        let mut default = None;
        let mut kept: Vec<Attribute> = Vec::new();
        for a in pt.attrs.drain(..) {
            if a.path().is_ident("default") {
                if default.is_some() {
                    cx.error(&a, "this input already has a `#[default(...)]`");
                    continue;
                }
                match a.parse_args::<Expr>() {
                    Ok(e) => default = Some(e),
                    Err(_) => cx.error(&a, "write the default value in parentheses: `#[default(vec![1, 2, 3])]`"),
                }
            } else {
                kept.push(a);
            }
        }
        pt.attrs = kept;
        out.push(default);
    }
    out
}

fn parse(cx: &mut Ctxt, body_cx: &mut Ctxt, item: ItemFn, defaults: Vec<Option<Expr>>) -> WorkflowModel {
    if let Some(a) = &item.sig.asyncness {
        cx.error(
            a,
            "a workflow is not `async`: its body only wires tasks into a graph. Remove `async`; \
             the workflow still runs asynchronously with `my_workflow(inputs).await`",
        );
    }
    signature::check_plain(cx, &item.sig, "workflow");
    let params = signature::params(cx, &item.sig, "workflow");
    let output = match &item.sig.output {
        syn::ReturnType::Default => Output::Unit,
        syn::ReturnType::Type(_, ty) => {
            let r = signature::returns(&mut Ctxt::default(), &item.sig.output);
            if r.fallible {
                cx.error(
                    ty,
                    "a workflow returns its outputs, not a `Result`: running it returns `Result<_, flowmap::Error>`",
                );
            }
            r.output
        }
    };
    let body = body::parse(body_cx, &item.block, params.iter().map(|p| p.name.to_string()));
    check_tolerant_outputs(body_cx, &output, &body);
    WorkflowModel { item, params, defaults, output, body, outputs: Vec::new() }
}

/// A tolerant map returned where the workflow declares `Vec<T>`: its output is `Vec<Option<T>>`.
/// Said at the option that makes it tolerant, rather than as a mismatch of promise types.
fn check_tolerant_outputs(cx: &mut Ctxt, output: &Output, body: &Body) {
    let Some(tail) = &body.tail else { return };
    let pairs: Vec<(&syn::Type, &WExpr)> = match (output, tail) {
        (Output::One(t), e) => vec![(&**t, e)],
        (Output::Many(ts), WExpr::Tuple(items)) => ts.iter().zip(items).collect(),
        _ => Vec::new(),
    };
    for (ty, e) in pairs {
        let Some(key) = tolerant_map(body, e) else { continue };
        let Some(elem) = vec_of(ty) else { continue };
        if matches!(elem, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option")) {
            continue;
        }
        let elem = quote::ToTokens::to_token_stream(elem).to_string().replace(' ', "");
        cx.error(
            key,
            format!(
                "`{key}` tolerates failed elements, so this map's output is `Vec<Option<{elem}>>` (`None` where an \
                 element failed), not the `Vec<{elem}>` this workflow declares: declare `Vec<Option<{elem}>>`, or \
                 leave out `min_success_ratio`/`min_successes` so that every element must succeed"
            ),
        );
    }
}

/// The tolerance option of the map that `e` is: the call itself, or a name bound to it by `let`.
fn tolerant_map<'a>(body: &'a Body, e: &'a WExpr) -> Option<&'a syn::Ident> {
    match e {
        WExpr::Call(call) => call.map.as_ref()?.tolerance.as_ref(),
        WExpr::Promise(name) => body.stmts.iter().rev().find_map(|s| match s {
            WStmt::Let { pat: syn::Pat::Ident(p), init } if p.ident == *name => Some(tolerant_map(body, init)),
            _ => None,
        })?,
        _ => None,
    }
}

/// `T` of a type written `Vec<T>`.
fn vec_of(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last().filter(|s| s.ident == "Vec")?;
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn stub(m: &WorkflowModel) -> TokenStream {
    let vis = &m.item.vis;
    let ident = &m.item.sig.ident;
    quote! {
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}
        #[allow(non_upper_case_globals, dead_code)]
        #vis const #ident: #ident = #ident {};
    }
}

/// The workflow's items. With `body_ok` false (its body has errors, already reported), the graph
/// builder's body is left out: it never runs, since the crate does not compile.
fn generate(m: &WorkflowModel, body_ok: bool) -> TokenStream {
    let func = &m.item;
    let vis = &func.vis;
    let ident = &func.sig.ident;
    let name = ident.to_string();
    let doc = signature::doc_text(&func.attrs);
    let tys: Vec<&syn::Type> = m.params.iter().map(|p| &p.ty).collect();
    let names: Vec<&syn::Ident> = m.params.iter().map(|p| &p.name).collect();
    let input_names: Vec<String> = names.iter().map(ToString::to_string).collect();
    let output_names = &m.outputs;
    let output = m.output.tuple();
    let promises_ty = m.output.promises();
    let binder = signature::binder(ident, vis, "workflow", &m.params);
    let unset: Vec<TokenStream> = m.params.iter().map(|_| quote!(::flowmap::__private::Unset::new())).collect();
    let param_promises = tys.iter().map(|t| quote_spanned!(t.span()=> ::flowmap::__private::Promise<#t>));
    let body = if body_ok {
        body_tokens(&m.body, matches!(m.output, Output::Unit))
    } else {
        quote!(::core::unreachable!("the body of this workflow has errors"))
    };
    let fm_b = local("__fm_b");

    // One typed function per default: its expression is checked once, used twice.
    let default_fns: Vec<(syn::Ident, TokenStream)> = m
        .params
        .iter()
        .zip(&m.defaults)
        .enumerate()
        .filter_map(|(i, (p, d))| {
            let e = d.as_ref()?;
            let ty = &p.ty;
            let f = format_ident!("__flowmap_default_{}", i);
            Some((f.clone(), quote_spanned!(e.span()=> fn #f() -> #ty { #e })))
        })
        .collect();
    let default_items = default_fns.iter().map(|(_, item)| item);
    let default_json = m.defaults.iter().zip(&input_names).enumerate().map(|(i, (d, name))| match d {
        Some(_) => {
            let f = format_ident!("__flowmap_default_{}", i);
            quote!(::core::option::Option::Some(::flowmap::__private::default_json(#name, &#f())))
        }
        None => quote!(::core::option::Option::None),
    });
    let defaults_impl = if m.defaults.iter().all(Option::is_some) {
        let values = default_fns.iter().map(|(f, _)| quote!(#f()));
        quote! {
            impl ::flowmap::__private::Defaults for #ident {
                #[allow(clippy::unused_unit)]
                fn defaults() -> Self::Input {
                    (#(#values,)*)
                }
            }
        }
    } else {
        quote!()
    };

    let inner = quote! {
            #binder

            #(#default_items)*

            const __FLOWMAP_DECL: ::flowmap::__private::WorkflowDecl = ::flowmap::__private::WorkflowDecl {
                name: #name,
                module: ::core::module_path!(),
                inputs: &[#(#input_names),*],
                outputs: &[#(#output_names),*],
                doc: #doc,
            };

            #[allow(unused_variables, clippy::let_unit_value, clippy::unused_unit)]
            fn __flowmap_build(
                #fm_b: &mut ::flowmap::__private::GraphBuilder,
                (#(#names,)*): (#(#param_promises,)*),
            ) -> #promises_ty {
                #body
            }

            impl ::flowmap::__private::Sealed for #ident {}

            #[diagnostic::do_not_recommend]
            impl ::flowmap::__private::Target for #ident {
                type Input = (#(#tys,)*);
                type Output = #output;
                type Args = __Unbound;
                type Kernel = ::flowmap::__private::SubWorkflow<#ident>;

                fn args(&self) -> Self::Args {
                    __Args(#(#unset),*)
                }

                fn kernel(&self) -> Self::Kernel {
                    ::flowmap::__private::SubWorkflow::new()
                }

                fn declare(
                    &self,
                    tables: &mut ::flowmap::__private::Tables,
                ) -> ::core::result::Result<::flowmap::__private::Declared, ::flowmap::__private::BuildError> {
                    ::flowmap::__private::declare_workflow::<#ident>(&__FLOWMAP_DECL, tables)
                }
            }

            /// The JSON of each `#[default(...)]`, evaluated while the graph is built.
            fn __flowmap_defaults() -> ::flowmap::__private::DefaultsJson {
                ::std::vec![#(#default_json),*]
            }

            impl ::flowmap::__private::Workflow for #ident {
                fn compiled() -> ::core::result::Result<&'static ::flowmap::__private::Compiled, ::flowmap::__private::Error> {
                    static __FLOWMAP_CELL: ::flowmap::__private::CompileCell = ::flowmap::__private::CompileCell::new();
                    __FLOWMAP_CELL.get(#name, || {
                        ::flowmap::__private::compile::<(#(#tys,)*), #output>(
                            &__FLOWMAP_DECL,
                            __flowmap_defaults,
                            __flowmap_build,
                        )
                    })
                }
            }

            #defaults_impl
    };
    // The workflow itself is a real `fn`: calling it gives its run, on the global runtime unless
    // `.on(&rt)` names another.
    let attrs = &func.attrs;
    let run_fn = quote! {
        #(#attrs)*
        #vis fn #ident(#(#names: #tys),*) -> ::flowmap::__private::Run<'static, #ident> {
            ::flowmap::__private::run_of::<#ident>((#(#names,)*))
        }
    };
    let marker = signature::marker(func, "workflow", &inner);
    quote! {
        #run_fn

        #marker
    }
}

/// A local of generated code. Always the call-site span, even inside `quote_spanned!` at a user
/// token, so it resolves the same wherever the workflow was written (also in `macro_rules!`).
fn local(name: &str) -> syn::Ident {
    syn::Ident::new(name, proc_macro2::Span::call_site())
}

/// The body as a graph builder. A workflow with no outputs ends in `Done`, whatever its tail.
fn body_tokens(body: &Body, unit: bool) -> TokenStream {
    let stmts = body.stmts.iter().map(|s| match s {
        WStmt::Let { pat, init } => {
            let init = expr_tokens(init);
            quote!(let #pat = #init;)
        }
        WStmt::Call(call) => {
            let call = expr_tokens(call);
            quote!(let _ = #call;)
        }
        WStmt::Item(item) => quote!(#item),
    });
    let tail = body.tail.as_ref().map(expr_tokens);
    if unit {
        let tail = tail.map(|t| quote!(let _ = #t;));
        return quote! {
            #(#stmts)*
            #tail
            ::flowmap::__private::Done::of(::core::option::Option::None)
        };
    }
    quote! {
        #(#stmts)*
        #tail
    }
}

fn expr_tokens(e: &WExpr) -> TokenStream {
    let b = local("__fm_b");
    match e {
        WExpr::Promise(p) => quote!(#p),
        WExpr::Output(f) => quote!(#f),
        // A string literal is a `String` input: tasks take owned data.
        WExpr::Constant(Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. })) => quote_spanned! {s.span()=>
            ::flowmap::__private::GraphBuilder::constant(#b, ::std::string::String::from(#s))
        },
        WExpr::Constant(c) => quote_spanned!(c.span()=> ::flowmap::__private::GraphBuilder::constant(#b, #c)),
        WExpr::Lifted(v, false) => quote_spanned!(v.span()=> ::flowmap::__private::lift(#b, #v)),
        WExpr::Lifted(v, true) => {
            quote_spanned!(v.span()=> ::flowmap::__private::lift(#b, ::core::clone::Clone::clone(&#v)))
        }
        WExpr::Tuple(items) => {
            let items = items.iter().map(expr_tokens);
            quote!((#(#items),*))
        }
        WExpr::Call(call) => call_tokens(call),
        WExpr::Branch(branch) => branch_tokens(branch),
    }
}

/// A branch: each case's condition, then its arm built by a closure into a builder of its own.
fn branch_tokens(branch: &body::Branch) -> TokenStream {
    let (b, br) = (local("__fm_b"), local("__fm_br"));
    let name = branch.name.as_deref().unwrap_or("branch");
    // An `if` with no `else`, or whose arms end in no value, has no value: its arms end in `Done`.
    let tails = branch
        .cases
        .iter()
        .filter_map(|(_, arm)| match arm {
            body::Arm::Run(body) => Some(body),
            body::Arm::Fail(_) => None,
        })
        .chain(match &branch.otherwise {
            body::Otherwise::Arm(body) => Some(body),
            _ => None,
        })
        .filter(|body| body.tail.is_some())
        .count();
    let unit = matches!(branch.otherwise, body::Otherwise::Nothing) || tails == 0;
    let value = if unit { quote!(::<::flowmap::__private::Done>) } else { quote!() };
    let cases = branch.cases.iter().map(|(cond, arm)| {
        let cond = cond_tokens(cond);
        match arm {
            body::Arm::Run(arm) => {
                let arm = body_tokens(arm, unit);
                quote! {
                    let __fm_cond = #cond;
                    ::flowmap::__private::BranchBuilder::case(&mut #br, #b, __fm_cond, |#b| { #arm });
                }
            }
            body::Arm::Fail(message) => quote! {
                let __fm_cond = #cond;
                ::flowmap::__private::BranchBuilder::case_fail(&mut #br, __fm_cond, #message);
            },
        }
    });
    // A `match` on a call: the call first, a node before the branch.
    let subject = branch.subject.as_ref().map(|(name, call)| {
        let call = expr_tokens(call);
        quote!(let #name = #call;)
    });
    let otherwise = match &branch.otherwise {
        body::Otherwise::Arm(arm) => {
            let arm = body_tokens(arm, unit);
            quote!(::flowmap::__private::BranchBuilder::otherwise(&mut #br, #b, |#b| { #arm });)
        }
        body::Otherwise::Fail(message) => quote!(::flowmap::__private::BranchBuilder::fail(&mut #br, #message);),
        body::Otherwise::Nothing => quote!(),
    };
    quote!({
        #subject
        let mut #br = ::flowmap::__private::GraphBuilder::branch #value (#b, #name);
        #(#cases)*
        #otherwise
        ::flowmap::__private::BranchBuilder::finish(#br, #b)
    })
}

fn cond_tokens(cond: &body::Cond) -> TokenStream {
    match cond {
        body::Cond::Compare { op, left, right } => {
            let (l, r) = (expr_tokens(left), expr_tokens(right));
            quote_spanned! {op.span()=>
                ::flowmap::__private::Cond::compare(::flowmap::__private::CompareOp::#op, #l, #r)
            }
        }
        body::Cond::And(l, r) => {
            let (l, r) = (cond_tokens(l), cond_tokens(r));
            quote!(::flowmap::__private::Cond::and(#l, #r))
        }
        body::Cond::Or(l, r) => {
            let (l, r) = (cond_tokens(l), cond_tokens(r));
            quote!(::flowmap::__private::Cond::or(#l, #r))
        }
        body::Cond::Present { value, some } => {
            let v = expr_tokens(value);
            if *some {
                quote!(::flowmap::__private::Cond::is_some(#v))
            } else {
                quote!(::flowmap::__private::Cond::is_none(#v))
            }
        }
    }
}

pub(crate) fn overrides_tokens(s: Option<&Settings>) -> TokenStream {
    match s {
        Some(s) => s.tokens(),
        None => quote!(<::flowmap::__private::Settings as ::core::default::Default>::default()),
    }
}

/// `let mut <local>` = the calls that each of `after` (the values given to `.after(...)`) comes
/// from, each spanned at its value, so that one that is no call's result is reported there.
pub(crate) fn after_tokens(local: &syn::Ident, after: impl IntoIterator<Item = TokenStream>) -> TokenStream {
    let after =
        after.into_iter().map(|a| quote_spanned!(a.span()=> ::flowmap::__private::After::calls(&#a, &mut #local);));
    quote! {
        #[allow(unused_mut)]
        let mut #local = ::std::vec::Vec::new();
        #(#after)*
    }
}

/// `__flowmap_input::<KEY, _>` for input `name`, spanned at the user's name; the inferred value
/// type `_` carries the value's span, so a type mismatch points at the value.
fn setter(name: &syn::Ident, value: &TokenStream) -> TokenStream {
    let key = flowmap_settings::input_key(&name.to_string());
    let m = format_ident!("__flowmap_input", span = name.span());
    let infer = quote_spanned!(value.span()=> _);
    quote!(#m::<#key, #infer>)
}

pub(crate) fn call_tokens(call: &Call) -> TokenStream {
    let (b, target_local, slots, overrides_local) =
        (local("__fm_b"), local("__fm_target"), local("__fm_slots"), local("__fm_overrides"));
    let target = &call.target;
    let tspan = target.span();
    let finish = quote_spanned!(tspan=> __flowmap_finish);
    let mut binds = Vec::new();
    for arg in &call.args {
        let (method, v) = match arg {
            Arg::Named(name, value) => {
                let v = expr_tokens(value);
                (setter(name, &v), v)
            }
            Arg::Positional(i, value, tokens) => {
                let m = format_ident!("__flowmap_position", span = tokens.span());
                let infer = quote_spanned!(tokens.span()=> _);
                (quote!(#m::<#i, #infer>), expr_tokens(value))
            }
        };
        let v = if call.map.is_some() { quote_spanned!(v.span()=> ::flowmap::__private::mapped(#v)) } else { v };
        binds.push(quote!(.#method(#v)));
    }
    if let Some(map) = &call.map {
        for (name, value) in &map.partial {
            let v = expr_tokens(value);
            let method = setter(name, &v);
            binds.push(quote!(.#method(#v)));
        }
    }
    let overrides = overrides_tokens(call.overrides.as_ref());
    let after_local = local("__fm_after");
    let after = after_tokens(&after_local, call.after.iter().map(expr_tokens));
    // The task or workflow as a node: its struct, in the type namespace, not its function. It is
    // imported under one name, next to a glob import that gives that name a stand-in type: a
    // plain function (only in the value namespace) then gets the stand-in, reported as "not a
    // task" at the user's path, instead of rustc's "expected struct, found function".
    let alias = syn::Ident::new("NotATaskOrWorkflow", tspan);
    // (Not when a local has the callee's name: a `use` would find the local.)
    let import = match target {
        Expr::Path(p) if p.qself.is_none() && !call.shadowed => {
            let path = &p.path;
            quote! {
                #[allow(unused_imports)]
                use ::flowmap::__private::fallback::*;
                #[allow(unused_imports)]
                use #path as #alias;
            }
        }
        _ => quote!(),
    };
    let node_ty = if import.is_empty() { quote!(#target) } else { quote!(#alias) };
    let start = quote_spanned!(tspan=> ::flowmap::__private::args(&#node_ty {}));
    let node = match &call.map {
        None => quote_spanned! {tspan=>
            ::flowmap::__private::GraphBuilder::call(#b, #target_local, #slots, #overrides_local, #after_local)
        },
        Some(m) => {
            let concurrency = match m.concurrency {
                Some(c) => quote!(::core::num::NonZeroU32::new(#c)),
                None => quote!(::core::option::Option::None),
            };
            let rule = match (m.min_successes, m.min_success_ratio) {
                (Some(k), _) => {
                    let above_one = k - 1;
                    quote!(::flowmap::__private::SuccessRule::AtLeast(::core::num::NonZeroU64::MIN.saturating_add(#above_one)))
                }
                (None, Some(r)) => {
                    let (units, scale) = (r.units(), r.scale());
                    quote!(::flowmap::__private::SuccessRule::Ratio(::flowmap::__private::Ratio::from_checked(#units, #scale)))
                }
                (None, None) => quote!(::flowmap::__private::SuccessRule::All),
            };
            let method = if m.tolerant() { quote!(map_tolerant) } else { quote!(map) };
            let dynamic = m.dynamic.is_some();
            // `dynamic = true` maps a workflow: said at the target otherwise.
            let workflow_only =
                dynamic.then(|| quote_spanned!(tspan=> ::flowmap::__private::dynamic_map(&#node_ty {});));
            quote_spanned! {tspan=>
                {
                    #workflow_only
                    ::flowmap::__private::GraphBuilder::#method(
                        #b,
                        #target_local,
                        #slots,
                        ::flowmap::__private::MapSpec { concurrency: #concurrency, rule: #rule, dynamic: #dynamic },
                        #overrides_local,
                        #after_local,
                    )
                }
            }
        }
    };
    // The bound inputs, named with the user's call span: a missing input is reported at the call.
    let bound = syn::Ident::new("__fm_bound", tspan);
    let finish = quote_spanned!(tspan=> #bound.#finish());
    quote!({
        #import
        let #bound = #start #(#binds)*;
        let (#target_local, #slots) = #finish;
        let #overrides_local = #overrides;
        #after
        #node
    })
}
