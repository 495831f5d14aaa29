//! The macros of [flowmap](https://docs.rs/flowmap): `#[task]`, `#[workflow]` and `map!`.
//!
//! Use them through the `flowmap` crate (`use flowmap::prelude::*;`): the code they generate
//! refers to `::flowmap::__private`. Each macro parses its input into a model that keeps the
//! user's tokens, checks it (collecting every error, each at its token), then generates code.

mod body;
mod callees;
mod chain;
mod ctxt;
mod dynamic;
#[cfg(test)]
mod hostile;
mod options;
mod paren;
mod settings;
mod signature;
mod task;
mod workflow;

use proc_macro::TokenStream;

#[doc = include_str!("../docs/task.md")]
#[doc = flowmap_settings::task_options_table!()]
#[doc = include_str!("../docs/task_after.md")]
#[proc_macro_attribute]
pub fn task(attr: TokenStream, item: TokenStream) -> TokenStream {
    task::expand(attr.into(), item.into()).into()
}

#[doc = include_str!("../docs/workflow.md")]
#[doc = flowmap_settings::node_options_table!()]
#[doc = include_str!("../docs/workflow_after.md")]
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    workflow::expand(attr.into(), item.into()).into()
}

#[doc = include_str!("../docs/dynamic.md")]
#[proc_macro_attribute]
pub fn dynamic(attr: TokenStream, item: TokenStream) -> TokenStream {
    dynamic::expand(attr.into(), item.into()).into()
}

#[doc = include_str!("../docs/map.md")]
///
/// It is read by `#[workflow]`; used anywhere else it is an error.
#[proc_macro]
pub fn map(input: TokenStream) -> TokenStream {
    let tokens = proc_macro2::TokenStream::from(input);
    let span = syn::spanned::Spanned::span(&tokens);
    syn::Error::new(span, "`map!` is used inside a `#[workflow]` function body, as `map!(task, options)(inputs)`")
        .to_compile_error()
        .into()
}

/// Fails a workflow run with a message: an arm of an `if` or a `match` on promises in a
/// `#[workflow]` body, as Flyte's `conditional(..).else_().fail(..)`.
///
/// ```rust
/// use flowmap::prelude::*;
///
/// #[task]
/// fn fast(x: i64) -> i64 {
///     x * 2
/// }
///
/// #[workflow]
/// fn route(x: i64, mode: String) -> i64 {
///     match mode {
///         "fast" => fast(x),
///         _ => fail!("unknown mode"),
///     }
/// }
/// ```
///
/// The run fails with an error naming the branch node, whose source is the message. It is read by
/// `#[workflow]`; used anywhere else it is an error (in a `#[task]`, return an `Err`).
#[proc_macro]
pub fn fail(input: TokenStream) -> TokenStream {
    let tokens = proc_macro2::TokenStream::from(input);
    let span = syn::spanned::Spanned::span(&tokens);
    syn::Error::new(
        span,
        "`fail!(\"...\")` is an arm of an `if` or `match` in a `#[workflow]` body, such as \
         `_ => fail!(\"unknown mode\")`; in a `#[task]`, return an `Err` instead",
    )
    .to_compile_error()
    .into()
}
