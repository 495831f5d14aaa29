//! `#[task]`: parse the function and its options, check them, generate the task.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Item, ItemFn};

use crate::ctxt::Ctxt;
use crate::options;
use crate::settings::{self, Place, Settings};
use crate::signature::{self, Param, Returns};

/// A checked task.
pub(crate) struct TaskModel {
    pub(crate) item: ItemFn,
    pub(crate) params: Vec<Param>,
    pub(crate) returns: Returns,
    pub(crate) settings: Settings,
    /// `outputs(...)`: the outputs' names, or empty.
    pub(crate) outputs: Vec<String>,
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let item: Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let Item::Fn(func) = item else {
        cx.error(&item, "`#[task]` goes on a function, such as `#[task] fn double(x: i64) -> i64 { x * 2 }`");
        return cx.into_compile_errors();
    };
    let mut options_cx = Ctxt::default();
    let model = parse(&mut cx, &mut options_cx, attr, func);
    if cx.is_empty() {
        // Only options are wrong (or nothing): still generate the task, with the options that
        // were read, so its uses in workflows do not report errors of their own.
        let mut out = options_cx.into_compile_errors();
        out.extend(generate(&model));
        out
    } else {
        // The signature itself is wrong: keep the function as written, so one mistake reports once.
        let mut errors = cx.into_compile_errors();
        errors.extend(options_cx.into_compile_errors());
        let mut func = model.item;
        strip_default_attrs(&mut func);
        errors.extend(quote!(#[allow(dead_code)] #func));
        errors
    }
}

pub(crate) fn strip_default_attrs(func: &mut ItemFn) {
    for arg in &mut func.sig.inputs {
        if let syn::FnArg::Typed(pt) = arg {
            pt.attrs.retain(|a| !a.path().is_ident("default"));
        }
    }
}

pub(crate) fn parse(cx: &mut Ctxt, options_cx: &mut Ctxt, attr: TokenStream, item: ItemFn) -> TaskModel {
    let (named, items): (Vec<_>, Vec<_>) =
        options::parse_list(options_cx, attr).into_iter().partition(|i| i.key == "outputs");
    let settings = settings::read(options_cx, &items, Place::Task);
    signature::check_plain(cx, &item.sig, "task");
    let params = signature::params(cx, &item.sig, "task");
    for arg in &item.sig.inputs {
        if let syn::FnArg::Typed(pt) = arg {
            for a in pt.attrs.iter().filter(|a| a.path().is_ident("default")) {
                cx.error(
                    a,
                    "`#[default(...)]` gives a workflow input its default; a task's inputs come from the workflow that calls it",
                );
            }
        }
    }
    let returns = signature::returns(cx, &item.sig.output);
    options::check_duplicates(options_cx, &named, "task option");
    let outputs = match named.first() {
        Some(o) => options::output_names(options_cx, o)
            .map(|names| signature::output_names(options_cx, &o.key, names, &returns.output, "task"))
            .unwrap_or_default(),
        None => Vec::new(),
    };
    // `cache_ignore_inputs` names inputs of this task.
    if let Some(ignored) = &settings.cache_ignore_inputs {
        let names: Vec<String> = params.iter().map(|p| p.name.to_string()).collect();
        for name in ignored {
            if !names.contains(&name.value()) {
                let valid: Vec<&str> = names.iter().map(String::as_str).collect();
                let hint = flowmap_settings::closest(&name.value(), &valid)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                options_cx.error(
                    name,
                    format!(
                        "`cache_ignore_inputs` names `{}`, which is not an input of this task{hint}; its inputs are: {}",
                        name.value(),
                        names.join(", ")
                    ),
                );
            }
        }
    }
    check_cache(options_cx, &items, &settings);
    TaskModel { item, params, returns, settings, outputs }
}

/// As flytekit's task metadata: a cache needs a version, and the cache's options need a cache.
fn check_cache(cx: &mut Ctxt, items: &[options::OptItem], settings: &settings::Settings) {
    let item = |name: &str| items.iter().find(|i| i.key == name);
    if settings.cache == Some(true) {
        match (item("cache_version"), &settings.cache_version) {
            (None, _) => {
                if let Some(cache) = item("cache") {
                    cx.error(
                        &cache.key,
                        "`cache = true` needs a `cache_version = \"1\"` too: outputs are cached per version, and a \
                         new version (when the function's results change) computes them again",
                    );
                }
            }
            (Some(_), Some(version)) if version.value().trim().is_empty() => {
                cx.error(version, "`cache_version` must not be empty; the first is usually `cache_version = \"1\"`");
            }
            _ => {}
        }
        // An input named twice in `cache_ignore_inputs`.
        for (i, name) in settings.cache_ignore_inputs.iter().flatten().enumerate() {
            let earlier = settings.cache_ignore_inputs.iter().flatten().take(i);
            if earlier.into_iter().any(|e| e.value() == name.value()) {
                cx.error(name, format!("`{}` is named twice in `cache_ignore_inputs`", name.value()));
            }
        }
        return;
    }
    for it in
        items.iter().filter(|i| ["cache_version", "cache_serialize", "cache_ignore_inputs"].iter().any(|n| i.key == n))
    {
        let message = if it.key == "cache_version" {
            "`cache_version` has no effect without `cache = true`: add it, or leave the version out".to_owned()
        } else {
            format!("`{}` is an option of a cached task: add `cache = true, cache_version = \"1\"`", it.key)
        };
        cx.error(&it.key, message);
    }
}

fn generate(m: &TaskModel) -> TokenStream {
    let func = &m.item;
    let ident = &func.sig.ident;
    let is_async = func.sig.asyncness.is_some();

    let args: Vec<syn::Ident> = (0..m.params.len()).map(|i| format_ident!("__flowmap_p{}", i)).collect();
    let output = m.returns.output.tuple();
    let value = quote!(__flowmap_value);
    let wrapped = m.returns.output.wrap(&value);
    let convert = if m.returns.fallible {
        // An error type that is not an error is reported at that type.
        let at = m.returns.error.as_ref().map_or_else(|| func.sig.output.span(), Spanned::span);
        quote_spanned! {at=>
            match #value {
                ::core::result::Result::Ok(#value) => ::core::result::Result::Ok(#wrapped),
                ::core::result::Result::Err(e) => ::core::result::Result::Err(::flowmap::__private::task_error(e)),
            }
        }
    } else {
        quote!(::core::result::Result::Ok(#wrapped))
    };

    // The user's function is called by its own name: it stays a real `fn`, untouched.
    let invoke = if is_async {
        quote! {
            ::flowmap::__private::Invoke::<fn() -> ::core::result::Result<#output, ::flowmap::__private::Cause>, _>::Async(async move {
                let #value = #ident(#(#args),*).await;
                #convert
            })
        }
    } else {
        quote! {
            ::flowmap::__private::Invoke::<_, ::core::future::Ready<::core::result::Result<#output, ::flowmap::__private::Cause>>>::Blocking(move || {
                let #value = #ident(#(#args),*);
                #convert
            })
        }
    };

    let kernel = Kernel {
        ty: quote!(::flowmap::__private::TaskKernel<#ident>),
        value: quote!(::flowmap::__private::TaskKernel(*self)),
        spec: quote!(::flowmap::__private::Task::spec(self)),
    };
    let target = target_items(m, "task", is_async, &kernel);
    let settings = m.settings.tokens();
    let inner = quote! {
            #target

            impl ::flowmap::__private::Task for #ident {
                const ASYNC: bool = #is_async;

                fn spec(&self) -> ::flowmap::graph::TaskSpec {
                    __FLOWMAP_DECL.spec(#settings, __flowmap_types())
                }

                #[allow(clippy::unit_arg, clippy::let_unit_value)]
                fn invoke(
                    &self,
                    (#(#args,)*): Self::Input,
                ) -> ::flowmap::__private::Invoke<
                    impl ::core::ops::FnOnce() -> ::core::result::Result<#output, ::flowmap::__private::Cause> + ::core::marker::Send + 'static,
                    impl ::core::future::Future<Output = ::core::result::Result<#output, ::flowmap::__private::Cause>> + ::core::marker::Send + 'static,
                > {
                    #invoke
                }
            }
    };
    let marker = signature::marker(func, "task", &inner);
    quote! {
        #func

        #marker
    }
}

/// What a target's code is: its kernel type, the kernel of `self`, and its spec.
pub(crate) struct Kernel {
    pub(crate) ty: TokenStream,
    pub(crate) value: TokenStream,
    pub(crate) spec: TokenStream,
}

/// What a `#[task]` and a `#[dynamic]` generate alike: the binder of a call's inputs, the
/// descriptors of its types, its declaration and its `Target` impl.
pub(crate) fn target_items(m: &TaskModel, kind: &str, is_async: bool, kernel: &Kernel) -> TokenStream {
    let func = &m.item;
    let (vis, ident) = (&func.vis, &func.sig.ident);
    let doc = signature::doc_text(&func.attrs);
    let tys: Vec<&syn::Type> = m.params.iter().map(|p| &p.ty).collect();
    let output = m.returns.output.tuple();
    let function = ident.to_string();
    let input_names: Vec<String> = m.params.iter().map(|p| p.name.to_string()).collect();
    let output_names = &m.outputs;
    let binder = signature::binder(ident, vis, kind, &m.params);
    let unset: Vec<TokenStream> = m.params.iter().map(|_| quote!(::flowmap::__private::Unset::new())).collect();
    let describe = |t: &syn::Type| quote_spanned!(t.span()=> ::flowmap::__private::describe::<#t>());
    let input_types = m.params.iter().map(|p| describe(&p.ty));
    // A single output not written `Result<..>` must not be a `Result` under another name (an
    // alias): its `Err` would be an output. Checked by its type, at the user's type, where it is
    // described.
    let output_types: Vec<TokenStream> = match &m.returns.output {
        crate::signature::Output::One(t) if !m.returns.fallible => vec![quote_spanned! {t.span()=>
            {
                #[allow(unused_imports)]
                use ::flowmap::__private::ProbeFallback as _;
                ::flowmap::__private::ResultProbe::<#t>::new().describe()
            }
        }],
        output => output.ports().into_iter().map(describe).collect(),
    };
    let Kernel { ty: kernel_ty, value: kernel_value, spec } = kernel;
    quote! {
        #binder

        /// Descriptors of the input and output types, each checked to be data at its type.
        fn __flowmap_types() -> (::std::vec::Vec<::flowmap::types::TypeDesc>, ::std::vec::Vec<::flowmap::types::TypeDesc>) {
            (::std::vec![#(#input_types),*], ::std::vec![#(#output_types),*])
        }

        const __FLOWMAP_DECL: ::flowmap::__private::TaskDecl = ::flowmap::__private::TaskDecl {
            function: #function,
            module: ::core::module_path!(),
            inputs: &[#(#input_names),*],
            outputs: &[#(#output_names),*],
            is_async: #is_async,
            doc: #doc,
        };

        impl ::flowmap::__private::Sealed for #ident {}

        #[diagnostic::do_not_recommend]
        impl ::flowmap::__private::Target for #ident {
            type Input = (#(#tys,)*);
            type Output = #output;
            type Args = __Unbound;
            type Kernel = #kernel_ty;

            fn args(&self) -> Self::Args {
                __Args(#(#unset),*)
            }

            fn kernel(&self) -> Self::Kernel {
                #kernel_value
            }

            fn declare(
                &self,
                tables: &mut ::flowmap::__private::Tables,
            ) -> ::core::result::Result<::flowmap::__private::Declared, ::flowmap::__private::BuildError> {
                __FLOWMAP_DECL.declare(tables, #spec)
            }
        }
    }
}
