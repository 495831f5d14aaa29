//! Reading a task's or workflow's signature: named, typed parameters and the output shape.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, Pat, PathArguments, ReturnType, Signature, Type};

use crate::ctxt::Ctxt;

/// One parameter.
pub(crate) struct Param {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

/// What a function returns, as flowmap sees it.
pub(crate) enum Output {
    /// No output: `()` or nothing.
    Unit,
    /// One output.
    One(Box<Type>),
    /// One output per tuple element.
    Many(Vec<Type>),
}

impl Output {
    fn of(ty: &Type) -> Output {
        match ty {
            Type::Tuple(t) if t.elems.is_empty() => Output::Unit,
            Type::Tuple(t) if t.elems.len() >= 2 => Output::Many(t.elems.iter().cloned().collect()),
            Type::Paren(p) => Output::of(&p.elem),
            other => Output::One(Box::new(other.clone())),
        }
    }

    /// The `OutputTuple` type: `()`, `(T,)` or `(A, B)`; a tuple written inside the tuple is a
    /// `Nested` one, whose elements are outputs of their own.
    pub(crate) fn tuple(&self) -> TokenStream {
        match self {
            Output::Unit => quote!(()),
            Output::One(t) => quote!((#t,)),
            Output::Many(ts) => {
                let parts = ts.iter().map(part);
                quote!((#(#parts),*))
            }
        }
    }

    /// The promise type a workflow body returns for this output.
    pub(crate) fn promises(&self) -> TokenStream {
        match self {
            Output::Unit => quote!(::flowmap::__private::Done),
            Output::One(t) => promise(t),
            Output::Many(ts) => {
                let ps = ts.iter().map(promise);
                quote!((#(#ps),*))
            }
        }
    }

    /// The type of each output port, in order: a nested tuple's elements one by one.
    pub(crate) fn ports(&self) -> Vec<&Type> {
        fn leaves<'a>(t: &'a Type, out: &mut Vec<&'a Type>) {
            match nested(t) {
                Some(items) => items.into_iter().for_each(|t| leaves(t, out)),
                None => out.push(t),
            }
        }
        let mut out = Vec::new();
        match self {
            Output::Unit => {}
            Output::One(t) => out.push(&**t),
            Output::Many(ts) => ts.iter().for_each(|t| leaves(t, &mut out)),
        }
        out
    }

    /// Wraps a value of the function's (ok) return type into the output tuple.
    pub(crate) fn wrap(&self, value: &TokenStream) -> TokenStream {
        match self {
            Output::Unit => quote!({ let () = #value; }),
            Output::One(_) => quote!((#value,)),
            Output::Many(ts) if ts.iter().any(|t| nested(t).is_some()) => {
                wrap_tuple(&ts.iter().collect::<Vec<_>>(), value, &mut 0)
            }
            Output::Many(_) => value.clone(),
        }
    }
}

/// The elements of `t` when it is a tuple of two or more written out (parentheses aside): such a
/// tuple inside an output tuple is nested outputs.
fn nested(t: &Type) -> Option<Vec<&Type>> {
    match t {
        Type::Tuple(t) if t.elems.len() >= 2 => Some(t.elems.iter().collect()),
        Type::Paren(p) => nested(&p.elem),
        _ => None,
    }
}

/// One element of an output tuple as a `Part`.
fn part(t: &Type) -> TokenStream {
    match nested(t) {
        Some(items) => {
            let parts = items.into_iter().map(part);
            quote!(::flowmap::__private::Nested<(#(#parts),*)>)
        }
        None => quote!(#t),
    }
}

/// One element of an output tuple as promises.
fn promise(t: &Type) -> TokenStream {
    match nested(t) {
        Some(items) => {
            let ps = items.into_iter().map(promise);
            quote!((#(#ps),*))
        }
        None => quote_spanned!(t.span()=> ::flowmap::__private::Promise<#t>),
    }
}

/// `value`, a tuple of `types`, with each nested tuple in it wrapped as `Nested`.
fn wrap_tuple(types: &[&Type], value: &TokenStream, n: &mut usize) -> TokenStream {
    let names: Vec<syn::Ident> = types
        .iter()
        .map(|_| {
            *n += 1;
            quote::format_ident!("__flowmap_o{}", *n)
        })
        .collect();
    let items = types.iter().zip(&names).map(|(t, name)| match nested(t) {
        Some(inner) => {
            let inner = wrap_tuple(&inner, &quote!(#name), n);
            quote!(::flowmap::__private::Nested(#inner))
        }
        None => quote!(#name),
    });
    quote!({
        let (#(#names),*) = #value;
        (#(#items),*)
    })
}

/// Checks the names of `outputs(...)` (its key is `key`) against the outputs of a `what`: one name
/// per output, none a nested tuple. The names as written, or empty (`o0`, `o1`, …).
pub(crate) fn output_names(cx: &mut Ctxt, key: &Ident, names: Vec<Ident>, output: &Output, what: &str) -> Vec<String> {
    let (count, shape) = match output {
        Output::Unit => (0, "no outputs".to_owned()),
        Output::One(t) => (1, format!("one output, `{}`", shown(t))),
        Output::Many(ts) => {
            let all = ts.iter().map(shown).collect::<Vec<_>>().join(", ");
            (ts.len(), format!("{} outputs, `({all})`", ts.len()))
        }
    };
    if names.len() != count {
        let plural = if names.len() == 1 { "" } else { "s" };
        cx.error(
            key,
            format!(
                "`outputs(...)` gives {} name{plural}, but this {what} has {shape}: give one name per output, \
                 in order",
                names.len()
            ),
        );
        return Vec::new();
    }
    if let Output::Many(ts) = output {
        for (name, t) in names.iter().zip(ts) {
            if nested(t).is_some() {
                cx.error(
                    name,
                    format!(
                        "output `{name}` is a tuple, `{}`, whose elements are outputs of their own: named outputs \
                         are written as a flat tuple, one name per element",
                        shown(t)
                    ),
                );
                return Vec::new();
            }
        }
    }
    names.iter().map(|n| n.to_string().trim_start_matches("r#").to_owned()).collect()
}

/// A type as the user wrote it, without spaces.
fn shown(t: &Type) -> String {
    quote!(#t).to_string().replace(' ', "")
}

/// A task's return type: plain, or a `Result` whose `Err` fails the attempt.
pub(crate) struct Returns {
    pub(crate) output: Output,
    pub(crate) fallible: bool,
    /// The error type of a `Result`, where it is written (for errors about it).
    pub(crate) error: Option<Type>,
}

pub(crate) fn returns(cx: &mut Ctxt, ret: &ReturnType) -> Returns {
    let ty = match ret {
        ReturnType::Default => return Returns { output: Output::Unit, fallible: false, error: None },
        ReturnType::Type(_, ty) => ty,
    };
    if let Type::ImplTrait(t) = &**ty {
        cx.error(t, "a task cannot return `impl Trait`; name the output type, such as `-> Vec<i64>`");
    }
    if let Type::Path(p) = &**ty
        && p.qself.is_none()
        && let Some(last) = p.path.segments.last()
        && last.ident == "Result"
    {
        let types: Vec<Type> = match &last.arguments {
            PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let error = types.get(1).cloned();
        return match types.first() {
            Some(ok) => Returns { output: Output::of(ok), fallible: true, error },
            None => {
                cx.error(last, "write the output type of `Result`, such as `Result<i64, String>`");
                Returns { output: Output::Unit, fallible: true, error }
            }
        };
    }
    Returns { output: Output::of(ty), fallible: false, error: None }
}

/// The parameters, each a plain `name: Type`; anything else is an error at its token.
pub(crate) fn params(cx: &mut Ctxt, sig: &Signature, what: &str) -> Vec<Param> {
    let mut out = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => {
                cx.error(
                    r,
                    format!("a {what} cannot take `self`; write it as a free function, outside any `impl` block"),
                );
            }
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    if let Type::Reference(r) = &*pt.ty {
                        cx.error(r, format!("a {what} input must be owned data; take `{}` instead", owned(&r.elem)));
                    }
                    if let Type::ImplTrait(t) = &*pt.ty {
                        cx.error(t, format!("a {what} input cannot be `impl Trait`; name its type"));
                    }
                    out.push(Param { name: pi.ident.clone(), ty: (*pt.ty).clone() });
                }
                other => cx.error(
                    other,
                    format!(
                        "a {what} parameter must be a plain name, such as `point: (i64, i64)`; \
                         destructure it inside the function body"
                    ),
                ),
            },
        }
    }
    if let Some(v) = &sig.variadic {
        cx.error(v, format!("a {what} cannot be variadic"));
    }
    out
}

/// The owned type to take instead of a reference to `t`: `String` for `str`, `Vec<T>` for `[T]`,
/// and so on; `t` itself otherwise.
fn owned(t: &Type) -> String {
    let shown = |t: &Type| quote!(#t).to_string().replace(' ', "");
    match t {
        Type::Slice(s) => format!("Vec<{}>", shown(&s.elem)),
        Type::Path(p) if p.qself.is_none() => match p.path.segments.last().map(|s| s.ident.to_string()).as_deref() {
            Some("str") => "String".to_owned(),
            Some("Path") => "PathBuf".to_owned(),
            Some("OsStr") => "OsString".to_owned(),
            Some("CStr") => "CString".to_owned(),
            _ => shown(t),
        },
        _ => shown(t),
    }
}

/// Rejects generics, `const`, `unsafe` and `extern` on a task or workflow.
pub(crate) fn check_plain(cx: &mut Ctxt, sig: &Signature, what: &str) {
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error(
            &sig.generics,
            format!("a {what} cannot be generic: its graph needs concrete types; write one {what} per type"),
        );
    }
    if let Some(c) = &sig.constness {
        cx.error(c, format!("a {what} cannot be `const fn`"));
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        cx.error(u, format!("a {what} cannot be `unsafe fn`"));
    }
    if let Some(abi) = &sig.abi {
        cx.error(abi, format!("a {what} cannot declare an ABI"));
    }
}

/// The input binder generated for every task and workflow.
///
/// A call site chains `__flowmap_position::<I, _>(value)` for the I-th positional value and
/// `__flowmap_input::<KEY, _>(value)` for `name = value` (KEY is [`flowmap_settings::input_key`] of the
/// name), then `__flowmap_finish()`. Each input implements the per-target traits `__Position<I>`
/// and `__Input<KEY>` (as visible as the target itself, so private parameter types stay legal);
/// the messages of those traits, and of the per-input traits saying an input
/// is given twice or missing, name this target and its inputs.
pub(crate) fn binder(target: &Ident, vis: &syn::Visibility, kind: &str, params: &[Param]) -> TokenStream {
    let n = params.len();
    let slots: Vec<Ident> = (0..n).map(|i| quote::format_ident!("P{}", i)).collect();
    let listing = params
        .iter()
        .map(|p| {
            let ty = &p.ty;
            format!("`{}: {}`", p.name, quote!(#ty).to_string().replace(' ', ""))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let inputs_note =
        if n == 0 { format!("`{target}` takes no inputs") } else { format!("the inputs of `{target}` are {listing}") };
    let unknown_msg = format!("{kind} `{target}` has no input with this name");
    let plural = if n == 1 { "" } else { "s" };
    let position_msg = format!("too many inputs for {kind} `{target}`: it takes {n} input{plural}");
    let mut items = Vec::new();
    let mut provided = Vec::new();
    for (i, p) in params.iter().enumerate() {
        let ty = &p.ty;
        let shown = p.name.to_string().trim_start_matches("r#").to_owned();
        let vacant = quote::format_ident!("__vacant_{}", shown);
        let given = quote::format_ident!("__provided_{}", shown);
        let slot = &slots[i];
        let key = flowmap_settings::input_key(&p.name.to_string());
        let twice_msg = format!("input `{shown}` of {kind} `{target}` is given twice");
        let twice_label = format!("`{shown}` was already given");
        let missing_msg = format!("missing input `{shown}` of {kind} `{target}`");
        let missing_label = format!("this call does not give `{shown}`");
        let next_slots: Vec<TokenStream> =
            slots.iter().enumerate().map(|(j, s)| if j == i { quote!(__S) } else { quote!(#s) }).collect();
        let fields: Vec<TokenStream> = (0..n)
            .map(|j| {
                let idx = syn::Index::from(j);
                if j == i { quote!(slot) } else { quote!(self.#idx) }
            })
            .collect();
        let body = quote! {
            type Param = #ty;
            type Next<__S> = __Args<#(#next_slots),*>;
            #[inline]
            fn set<__S>(self, slot: __S) -> Self::Next<__S> {
                __Args(#(#fields),*)
            }
        };
        items.push(quote! {
            #[diagnostic::on_unimplemented(
                message = #twice_msg,
                label = #twice_label,
                note = "each input is given once, by position or as `name = value`"
            )]
            #[allow(non_camel_case_types)]
            #[doc(hidden)]
            #vis trait #vacant {}
            impl<__T> #vacant for ::flowmap::__private::Unset<__T> {}

            #[diagnostic::on_unimplemented(message = #missing_msg, label = #missing_label, note = #inputs_note)]
            #[allow(non_camel_case_types)]
            #[doc(hidden)]
            #vis trait #given {}
            impl<__T> #given for ::flowmap::__private::Promise<__T> {}
            impl<__T> #given for ::flowmap::__private::Mapped<__T> {}
            impl #given for ::flowmap::__private::Done {}

            impl<#(#slots),*> __Input<#key> for __Args<#(#slots),*>
            where
                #slot: #vacant,
            {
                #body
            }

            // Positional inputs come first (the macro checks it), so their slots are always free.
            impl<#(#slots),*> __Position<#i> for __Args<#(#slots),*> {
                #body
            }
        });
        provided.push(quote!(#slot: #given));
    }
    let unset: Vec<TokenStream> = params
        .iter()
        .map(|p| {
            let ty = &p.ty;
            quote!(::flowmap::__private::Unset<#ty>)
        })
        .collect();
    let finish_fields = (0..n).map(syn::Index::from);
    // Two ways to select an input, by name key and by position: a trait each, whose message
    // says what went wrong for this target, and a setter each.
    let mut selectors = Vec::new();
    let mut setters = Vec::new();
    for (tr, param, method, msg, label) in [
        (quote!(__Input), quote!(const K: u64), quote!(__flowmap_input), &unknown_msg, "unknown input"),
        (quote!(__Position), quote!(const K: usize), quote!(__flowmap_position), &position_msg, "one input too many"),
    ] {
        selectors.push(quote! {
            #[diagnostic::on_unimplemented(message = #msg, label = #label, note = #inputs_note)]
            #[doc(hidden)]
            #vis trait #tr<#param> {
                type Param;
                type Next<S>;
                fn set<S>(self, slot: S) -> Self::Next<S>;
            }
        });
        setters.push(quote! {
            #[inline]
            pub fn #method<#param, __V>(
                self,
                value: __V,
            ) -> <Self as #tr<K>>::Next<<__V as ::flowmap::__private::SlotFor<<Self as #tr<K>>::Param>>::Slot>
            where
                Self: #tr<K>,
                __V: ::flowmap::__private::SlotFor<<Self as #tr<K>>::Param>,
            {
                #tr::<K>::set(self, ::flowmap::__private::SlotFor::into_slot(value))
            }
        });
    }
    quote! {
        #[doc(hidden)]
        pub struct __Args<#(#slots),*>(#(#slots),*);

        type __Unbound = __Args<#(#unset),*>;

        #(#selectors)*

        #(#items)*

        impl<#(#slots),*> __Args<#(#slots),*> {
            #(#setters)*

            #[inline]
            pub fn __flowmap_finish(self) -> (#target, (#(#slots,)*))
            where
                #(#provided,)*
            {
                (#target {}, (#(self.#finish_fields,)*))
            }
        }
    }
}

/// What a task or workflow defines besides its function: a braced struct of the same name, in the
/// type namespace only (so a local or a parameter of that name anywhere still compiles, and the
/// function stays a real `fn`), which workflow bodies reach as `name {}`; and `Debug` for it.
/// `inner` holds the struct's impls.
pub(crate) fn marker(func: &syn::ItemFn, kind: &str, inner: &TokenStream) -> TokenStream {
    let vis = &func.vis;
    let ident = &func.sig.ident;
    let cfgs: Vec<_> = func.attrs.iter().filter(|a| a.path().is_ident("cfg")).collect();
    let shown = format!("{kind} {ident}");
    let doc = format!("The {kind} `{ident}` as a node of a graph (generated by `#[{kind}]`).");
    quote! {
        #(#cfgs)*
        #[allow(non_camel_case_types)]
        #[doc = #doc]
        #[doc(hidden)]
        #[derive(::core::clone::Clone, ::core::marker::Copy)]
        #vis struct #ident {}

        #(#cfgs)*
        const _: () = {
            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#shown)
                }
            }

            #inner
        };
    }
}

/// The text of a function's doc comments (`///` lines and `#[doc = "..."]`), one line each,
/// with the space after `///` removed; empty when it has none.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect();
    lines.join("\n").trim().to_owned()
}
