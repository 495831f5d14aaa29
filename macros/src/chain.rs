//! A call followed by `.with_overrides(...)` and `.after(...)`, in any order: read the same way
//! in a `#[workflow]` body and in a `#[dynamic]` body, each of which then checks what the methods
//! follow and what `.after(...)` names.

use quote::ToTokens;
use syn::Expr;

use crate::ctxt::Ctxt;
use crate::options;
use crate::paren::unparen;
use crate::settings::{self, Place, Settings};

/// Whether `e` is `<receiver>.with_overrides(...)` or `<receiver>.after(...)`.
pub(crate) fn is_chained(e: &Expr) -> bool {
    matches!(e, Expr::MethodCall(mc) if mc.method == "with_overrides" || mc.method == "after")
}

/// The methods read off a chain.
pub(crate) struct Chain<'e> {
    /// What the methods follow (without parentheses): a call when the chain is right.
    pub(crate) call: &'e Expr,
    /// `.with_overrides(...)`, read and checked.
    pub(crate) overrides: Option<Settings>,
    /// The arguments of every `.after(...)`, the outermost method's first.
    pub(crate) after: Vec<&'e Expr>,
    /// The method right after `call`, named in the error when `call` is not a call.
    method: String,
}

/// What the methods of `e` follow, and whether one of them is `.with_overrides(...)`; nothing is
/// read or checked.
pub(crate) fn peel(e: &Expr) -> (&Expr, bool) {
    let (mut current, mut overrides) = (e, false);
    while let Expr::MethodCall(mc) = unparen(current)
        && is_chained(unparen(current))
    {
        overrides |= mc.method == "with_overrides";
        current = &mc.receiver;
    }
    (unparen(current), overrides)
}

/// Reads the chain `e` (see [`is_chained`]): the overrides, checked as a node's, and the
/// arguments of `.after(...)`, each error at the user's token.
pub(crate) fn read<'e>(cx: &mut Ctxt, e: &'e Expr) -> Chain<'e> {
    let mut chain = Chain { call: e, overrides: None, after: Vec::new(), method: String::new() };
    let mut current = e;
    while let Expr::MethodCall(mc) = unparen(current)
        && is_chained(unparen(current))
    {
        if mc.method == "with_overrides" {
            if chain.overrides.is_some() {
                cx.error(&mc.method, "`.with_overrides(...)` is given twice; give every override in one");
            }
            let items = options::parse_list(cx, mc.args.to_token_stream());
            chain.overrides = Some(settings::read(cx, &items, Place::Node));
        } else {
            if mc.args.is_empty() {
                cx.error(
                    &mc.method,
                    "`.after(...)` names the calls to run after, such as `read(path).after(w)` with `let w = write(path);`",
                );
            }
            chain.after.extend(mc.args.iter());
        }
        chain.method = mc.method.to_string();
        current = &mc.receiver;
    }
    chain.call = unparen(current);
    chain
}

impl Chain<'_> {
    /// The error of methods that follow something other than a call.
    pub(crate) fn not_after_a_call(&self, cx: &mut Ctxt) {
        cx.error(self.call, format!("`.{}(...)` goes right after a task call or a `map!(...)(...)`", self.method));
    }
}
