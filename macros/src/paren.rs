//! What an expression is once its parentheses, and the invisible groups of `macro_rules!`
//! substitutions, are taken off.

use syn::Expr;

/// `e` without the parentheses and invisible groups around it.
pub(crate) fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        Expr::Group(g) => unparen(&g.expr),
        other => other,
    }
}
