//! The macros of [flowmap](https://docs.rs/flowmap): `#[task]`, `#[workflow]` and `map!`.
//!
//! Use them through the `flowmap` crate (`use flowmap::prelude::*;`): the code they generate
//! refers to `::flowmap::__private`. Each macro parses its input into a model that keeps the
//! user's tokens, checks it (collecting every error, each at its token), then generates code.

mod body;
mod ctxt;
mod options;
mod settings;
mod signature;
mod task;
mod workflow;

use proc_macro::TokenStream;

/// Turns a function into a flowmap task. See the `flowmap` crate for the options.
#[proc_macro_attribute]
pub fn task(attr: TokenStream, item: TokenStream) -> TokenStream {
    task::expand(attr.into(), item.into()).into()
}

/// Compiles a function body into a typed workflow graph. See the `flowmap` crate.
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    workflow::expand(attr.into(), item.into()).into()
}

/// `map!(target, options)(inputs)`: fans a task or workflow out over lists. It is read by
/// `#[workflow]`; used anywhere else it is an error.
#[proc_macro]
pub fn map(input: TokenStream) -> TokenStream {
    let tokens = proc_macro2::TokenStream::from(input);
    let span = syn::spanned::Spanned::span(&tokens);
    syn::Error::new(span, "`map!` is used inside a `#[workflow]` function body, as `map!(task, options)(inputs)`")
        .to_compile_error()
        .into()
}
