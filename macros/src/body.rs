//! The workflow body DSL: parse statements into a model of calls, promises and constants, with
//! an error at the user's token for anything that is not wiring.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Block, Expr, Ident, Pat, Stmt};

use crate::ctxt::Ctxt;
use flowmap_settings::ratio::Ratio;

use crate::chain;
use crate::options::{self, OptItem, OptValue};
use crate::paren::unparen;
use crate::settings::Settings;

/// The parsed body.
pub(crate) struct Body {
    pub(crate) stmts: Vec<WStmt>,
    pub(crate) tail: Option<WExpr>,
}

pub(crate) enum WStmt {
    Let { pat: Pat, init: WExpr },
    Call(WExpr),
    Item(syn::Item),
}

pub(crate) enum WExpr {
    /// A promise in scope (a parameter or a `let` binding).
    Promise(Ident),
    /// Any expression that uses no promise: becomes a graph constant.
    Constant(Expr),
    /// A call of a task, workflow or `map!`.
    Call(Box<Call>),
    /// A tuple of promises (tail expression).
    Tuple(Vec<WExpr>),
    /// `outputs.0`: one output of a multi-output call bound to a name.
    Output(syn::ExprField),
    /// An `if` on promises: a branch node.
    Branch(Box<Branch>),
    /// In a `#[dynamic]` body: a value or a promise, held by this local (cloned when `true`,
    /// for a local of the user's that stays in use).
    Lifted(Ident, bool),
}

/// An `if` / `else if` / `else`, or a `match`, on promises.
pub(crate) struct Branch {
    /// The `let` it is bound to, which names it; `None`: `branch`.
    pub(crate) name: Option<String>,
    /// A `match` on a call's result: the call, bound to the name its patterns compare.
    pub(crate) subject: Option<(Ident, WExpr)>,
    /// Each condition and its arm.
    pub(crate) cases: Vec<(Cond, Arm)>,
    pub(crate) otherwise: Otherwise,
}

/// What runs when a case's condition holds.
pub(crate) enum Arm {
    Run(Body),
    /// `fail!("...")`.
    Fail(syn::LitStr),
}

/// What runs when no condition holds.
pub(crate) enum Otherwise {
    Arm(Body),
    /// `fail!("...")`.
    Fail(syn::LitStr),
    /// No `else`: the branch has no value.
    Nothing,
}

/// A condition of a branch.
pub(crate) enum Cond {
    /// `left op right`; `op` is the comparison's name in `CompareOp` (`Gt`).
    Compare {
        op: Ident,
        left: WExpr,
        right: WExpr,
    },
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    /// `p.is_some()` (true) or `p.is_none()`.
    Present {
        value: WExpr,
        some: bool,
    },
}

pub(crate) struct Call {
    /// The callee path as written.
    pub(crate) target: Expr,
    pub(crate) args: Vec<Arg>,
    pub(crate) map: Option<MapOptions>,
    pub(crate) overrides: Option<Settings>,
    /// `.after(a, b)`: calls this one runs after, though no value flows from them.
    pub(crate) after: Vec<WExpr>,
    /// Whether the callee's first name is also a promise's (a parameter or a `let` named like a
    /// task): a `use` of it would find the local.
    pub(crate) shadowed: bool,
}

pub(crate) enum Arg {
    Positional(usize, WExpr, TokenStream),
    Named(Ident, WExpr),
}

pub(crate) struct MapOptions {
    pub(crate) concurrency: Option<u32>,
    pub(crate) min_success_ratio: Option<Ratio>,
    pub(crate) min_successes: Option<u64>,
    pub(crate) partial: Vec<(Ident, WExpr)>,
    /// The key of the option that tolerates failures (`min_success_ratio` or `min_successes`).
    pub(crate) tolerance: Option<Ident>,
    /// `dynamic = true`: on Flyte, a dynamic node with a sub-workflow node per element; its key.
    pub(crate) dynamic: Option<Ident>,
}

impl MapOptions {
    /// Whether failed elements are tolerated, which makes the outputs `Vec<Option<T>>`.
    pub(crate) fn tolerant(&self) -> bool {
        self.min_successes.is_some() || self.min_success_ratio.is_some_and(|r| !r.is_one())
    }
}

const MAP_OPTIONS: &[&str] = &["concurrency", "min_success_ratio", "min_successes", "partial", "dynamic"];
const MAP_ALIASES: &[(&str, &str)] = &[
    ("parallelism", "concurrency"),
    ("max_concurrency", "concurrency"),
    ("max_parallelism", "concurrency"),
    ("success_ratio", "min_success_ratio"),
    ("min_success", "min_successes"),
];

/// `String::from`, `Vec::with_capacity`, `Some`, `Point`: a call that builds a value, not a
/// task (tasks and workflows are snake_case functions, reached through snake_case modules).
fn is_constructor(func: &Expr) -> bool {
    let Expr::Path(p) = func else { return false };
    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    let upper = |s: &String| s.chars().next().is_some_and(char::is_uppercase);
    p.qself.is_some() || segs.last().is_some_and(upper) || (segs.len() >= 2 && upper(&segs[segs.len() - 2]))
}

struct Parser<'a> {
    cx: &'a mut Ctxt,
    scope: HashSet<String>,
    /// The workflow's parameters: promises, but not results of calls.
    params: HashSet<String>,
}

pub(crate) fn parse(cx: &mut Ctxt, block: &Block, params: impl IntoIterator<Item = String>) -> Body {
    let params: HashSet<String> = params.into_iter().collect();
    let mut p = Parser { cx, scope: params.clone(), params };
    p.block(block)
}

impl Parser<'_> {
    /// A block of workflow statements: the body, or an arm of a branch (whose `let`s stay in it).
    fn block(&mut self, block: &Block) -> Body {
        let p = self;
        let outer_scope = p.scope.clone();
        let mut stmts = Vec::new();
        let mut tail = None;
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            match stmt {
                Stmt::Local(local) => {
                    let Some(init) = &local.init else {
                        p.cx.error(local, "a `let` in a workflow body needs a value: `let x = task(input);`");
                        continue;
                    };
                    if let Some((else_token, _)) = &init.diverge {
                        p.cx.error(
                            else_token,
                            "`let ... else` is not allowed in a workflow body: a promise has no value to match yet",
                        );
                    }
                    let mut value = p.expr(&init.expr);
                    let names = p.pattern(&local.pat);
                    if let (WExpr::Branch(branch), Pat::Ident(pi)) = (&mut value, &local.pat) {
                        branch.name = Some(pi.ident.to_string());
                        if matches!(branch.otherwise, Otherwise::Nothing) {
                            p.cx.error(
                                &init.expr,
                                "this `if` has no `else`, so it has no value to bind: add an `else` arm \
                             (or `else { fail!(\"...\") }`), or drop the `let`",
                            );
                        }
                    }
                    stmts.push(WStmt::Let { pat: local.pat.clone(), init: value });
                    p.scope.extend(names);
                }
                Stmt::Expr(expr, semi) => {
                    if semi.is_none() && i + 1 == n {
                        tail = Some(p.expr(expr));
                    } else {
                        match p.expr(expr) {
                            call @ (WExpr::Call(_) | WExpr::Branch(_)) => stmts.push(WStmt::Call(call)),
                            _ => p.cx.error(
                                expr,
                                "a workflow body statement is a `let` binding or a task call; \
                             this statement adds nothing to the graph",
                            ),
                        }
                    }
                }
                Stmt::Item(item) => stmts.push(WStmt::Item(item.clone())),
                Stmt::Macro(m) => p.macro_stmt(m),
            }
        }
        p.scope = outer_scope;
        Body { stmts, tail }
    }

    /// The names a `let` pattern binds; only names, `_` and tuples of them are allowed.
    fn pattern(&mut self, pat: &Pat) -> Vec<String> {
        match pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => vec![pi.ident.to_string()],
            Pat::Wild(_) => Vec::new(),
            Pat::Tuple(t) => t.elems.iter().flat_map(|p| self.pattern(p)).collect(),
            Pat::Paren(p) => self.pattern(&p.pat),
            Pat::Type(t) => {
                self.cx.error(
                    t,
                    "remove this type annotation: values in a workflow body are promises, and their types \
                     come from the tasks that produce them",
                );
                self.pattern(&t.pat)
            }
            other => {
                self.cx.error(
                    other,
                    "a workflow `let` binds a name or a tuple of names, such as `let (a, b) = split(x);`",
                );
                Vec::new()
            }
        }
    }

    /// The first promise named anywhere in `tokens`.
    fn mentions(&self, tokens: TokenStream) -> Option<Ident> {
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) if self.scope.contains(&i.to_string()) => return Some(i),
                TokenTree::Group(g) => {
                    if let Some(i) = self.mentions(g.stream()) {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The first promise a macro's tokens name, also inside a format string (`"{x}"`, `"{x:?}"`),
    /// as `format!` and its kin read them.
    fn mentions_in_macro(&self, tokens: TokenStream) -> Option<Ident> {
        if let Some(i) = self.mentions(tokens.clone()) {
            return Some(i);
        }
        for tt in tokens {
            match tt {
                TokenTree::Literal(lit) => {
                    let Ok(syn::Lit::Str(s)) = syn::parse2::<syn::Lit>(TokenTree::Literal(lit.clone()).into()) else {
                        continue;
                    };
                    let text = s.value();
                    let mut rest = text.as_str();
                    while let Some(open) = rest.find('{') {
                        rest = &rest[open + 1..];
                        if rest.starts_with('{') {
                            rest = &rest[1..];
                            continue;
                        }
                        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
                        let name = &rest[..end];
                        if self.scope.contains(name) && rest[end..].starts_with(['}', ':']) {
                            return Some(Ident::new(name, lit.span()));
                        }
                    }
                }
                TokenTree::Group(g) => {
                    if let Some(i) = self.mentions_in_macro(g.stream()) {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn macro_stmt(&mut self, m: &syn::StmtMacro) {
        self.cx.error(
            &m.mac,
            "a workflow body only wires tasks together and runs once, to build the graph; \
             put this macro call inside a `#[task]`",
        );
    }

    fn expr(&mut self, e: &Expr) -> WExpr {
        match e {
            Expr::Path(p)
                if p.qself.is_none() && p.path.get_ident().is_some_and(|i| self.scope.contains(&i.to_string())) =>
            {
                WExpr::Promise(
                    p.path.get_ident().cloned().unwrap_or_else(|| Ident::new("_", proc_macro2::Span::call_site())),
                )
            }
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Field(f)
                if matches!(f.member, syn::Member::Unnamed(_))
                    && matches!(&*f.base, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.scope.contains(&i.to_string()))) =>
            {
                WExpr::Output(f.clone())
            }
            Expr::Call(call) if is_constructor(&call.func) && self.mentions(call.to_token_stream()).is_none() => {
                WExpr::Constant(e.clone())
            }
            Expr::Call(call) => self.call(call, None, Vec::new()),
            Expr::MethodCall(_) if chain::is_chained(e) => self.chained(e),
            Expr::Await(a) => {
                self.cx.error(
                    a.await_token,
                    "`.await` is not used in a workflow body: a call adds a node to the graph and returns its \
                     promise at once. Remove `.await`; the workflow itself is awaited when it runs",
                );
                self.expr(&a.base)
            }
            Expr::Tuple(t) => {
                if self.mentions(t.to_token_stream()).is_none() {
                    return WExpr::Constant(e.clone());
                }
                WExpr::Tuple(t.elems.iter().map(|x| self.expr(x)).collect())
            }
            Expr::Macro(m) => {
                let Some(p) = self.mentions_in_macro(m.mac.tokens.clone()) else {
                    return WExpr::Constant(e.clone());
                };
                let name = m.mac.path.segments.last().map_or_else(String::new, |s| s.ident.to_string());
                self.cx.error(
                    &m.mac,
                    format!(
                        "`{name}!` cannot use `{p}` here: a workflow body is wiring, run once to build the graph, \
                         and `{p}` is a promise, whose value exists only when the workflow runs. Compute this \
                         in a `#[task]` that takes `{p}`, and call that task here"
                    ),
                );
                WExpr::Promise(p)
            }
            Expr::If(i) if self.mentions(i.cond.to_token_stream()).is_some() => self.branch(i),
            Expr::Match(m) if self.mentions(m.expr.to_token_stream()).is_some() => self.matching(m),
            other => {
                if let Some(p) = self.mentions(other.to_token_stream()) {
                    self.misuse(other, &p);
                    return WExpr::Promise(p);
                }
                WExpr::Constant(other.clone())
            }
        }
    }

    /// `if cond { .. } else if cond { .. } else { .. }` on promises.
    fn branch(&mut self, first: &syn::ExprIf) -> WExpr {
        let mut cases = Vec::new();
        let mut current = first;
        let otherwise = loop {
            let cond = self.cond(&current.cond);
            let arm = self.arm_block(&current.then_branch);
            cases.push((cond, arm));
            match current.else_branch.as_ref().map(|(_, e)| unparen(e)) {
                None => break Otherwise::Nothing,
                Some(Expr::If(next)) => current = next,
                Some(Expr::Block(b)) => break self.arm_block(&b.block).into(),
                Some(other) => {
                    self.cx.error(other, "an `else` of a workflow `if` is a block or another `if`");
                    break Otherwise::Nothing;
                }
            }
        };
        WExpr::Branch(Box::new(Branch { name: None, subject: None, cases, otherwise }))
    }

    /// An arm's block: `fail!("...")` alone, or workflow statements.
    fn arm_block(&mut self, block: &Block) -> Arm {
        match fail_message(block) {
            Some(Ok(message)) => Arm::Fail(message),
            Some(Err(at)) => {
                self.cx.error(at, FAIL_USAGE);
                Arm::Run(Body { stmts: Vec::new(), tail: None })
            }
            None => Arm::Run(self.block(block)),
        }
    }

    /// A `match` arm's expression: a block, `fail!("...")`, or one expression (a call, a promise,
    /// a literal).
    fn arm_expr(&mut self, e: &Expr) -> Arm {
        match e {
            Expr::Block(b) if b.label.is_none() => self.arm_block(&b.block),
            Expr::Macro(m) if m.mac.path.is_ident("fail") => match syn::parse2::<syn::LitStr>(m.mac.tokens.clone()) {
                Ok(message) => Arm::Fail(message),
                Err(_) => {
                    self.cx.error(&m.mac, FAIL_USAGE);
                    Arm::Run(Body { stmts: Vec::new(), tail: None })
                }
            },
            other => Arm::Run(Body { stmts: Vec::new(), tail: Some(self.expr(other)) }),
        }
    }

    /// `match subject { pattern => arm, .. }` on a promise: a branch whose cases compare the
    /// subject with each arm's literals, in order; `_` is the `else`.
    fn matching(&mut self, m: &syn::ExprMatch) -> WExpr {
        let mut subject_expr = unparen(&m.expr);
        // `mode.as_str()`, `&mode`: the promise itself, as the patterns compare it.
        loop {
            match subject_expr {
                Expr::MethodCall(mc) if mc.args.is_empty() && (mc.method == "as_str" || mc.method == "as_ref") => {
                    subject_expr = unparen(&mc.receiver);
                }
                Expr::Reference(r) => subject_expr = unparen(&r.expr),
                _ => break,
            }
        }
        let (subject, bound) = match self.expr(subject_expr) {
            value @ (WExpr::Promise(_) | WExpr::Output(_)) => (value, None),
            call @ (WExpr::Call(_) | WExpr::Branch(_)) => {
                let name = Ident::new(SUBJECT, subject_expr.span());
                (WExpr::Promise(name.clone()), Some((name, call)))
            }
            _ => {
                self.cx.error(
                    subject_expr,
                    "a workflow `match` is on a promise (an input, or the result of a call): `match mode { .. }`",
                );
                return WExpr::Constant(syn::parse_quote!(()));
            }
        };
        let mut cases = Vec::new();
        let mut otherwise = None;
        // Whether the arms so far name `true`, `false`, `None`, `Some(_)`: a `match` on a `bool`
        // or an `Option` that names both needs no `_`.
        let mut named = Named::default();
        let errors = self.cx.len();
        for arm in &m.arms {
            if otherwise.is_some() {
                self.cx.error(
                    &arm.pat,
                    "this arm is never reached: the `_` arm above it takes every value; remove it, or move it up",
                );
                continue;
            }
            let (pat, guard) = match &arm.pat {
                syn::Pat::Guard(g) => (&*g.pat, Some(&*g.guard)),
                pat => (pat, None),
            };
            // A guarded `true` does not name every `true`.
            let mut guarded = Named::default();
            let matched = self.pattern_cond(&subject, pat, if guard.is_some() { &mut guarded } else { &mut named });
            let guard = guard.map(|g| self.cond(g));
            let body = self.arm_expr(&arm.body);
            let cond = match (matched, guard) {
                (Some(p), Some(g)) => Cond::And(Box::new(p), Box::new(g)),
                (Some(c), None) | (None, Some(c)) => c,
                (None, None) => {
                    otherwise = Some(body.into());
                    continue;
                }
            };
            cases.push((cond, body));
        }
        let otherwise = match otherwise {
            Some(o) => o,
            // `true` and `false` (or `None` and `Some(_)`) named with no guard: the last arm is
            // the `else`, as nothing else can come.
            None if named.exhaustive() && cases.len() >= 2 => match cases.pop() {
                Some((_, arm)) => arm.into(),
                None => Otherwise::Nothing,
            },
            // (Not after an error in an arm's pattern, which may have meant `_`.)
            None if self.cx.len() > errors => Otherwise::Nothing,
            None => {
                self.cx.error(
                    m.match_token,
                    "this `match` has no `_ =>` arm for the values its arms do not name: add one, such as \
                     `_ => fail!(\"unknown mode\")` if none should come (Flyte's `else_().fail(..)`)",
                );
                Otherwise::Nothing
            }
        };
        WExpr::Branch(Box::new(Branch { name: None, subject: bound, cases, otherwise }))
    }

    /// The condition under which `pat` matches `subject`; `None`: it matches everything (`_`).
    fn pattern_cond(&mut self, subject: &WExpr, pat: &syn::Pat, named: &mut Named) -> Option<Cond> {
        use syn::Pat;
        let eq = |op: &str, span, value: Expr| Cond::Compare {
            op: Ident::new(op, span),
            left: subject.alias(),
            right: WExpr::Constant(value),
        };
        match pat {
            Pat::Wild(_) => None,
            Pat::Paren(p) => self.pattern_cond(subject, &p.pat, named),
            Pat::Lit(lit) => {
                if let syn::Lit::Bool(b) = &lit.lit {
                    if b.value { named.is_true = true } else { named.is_false = true }
                }
                Some(eq("Eq", lit.span(), Expr::Lit(lit.clone())))
            }
            Pat::Or(or) => {
                let mut conds = Vec::new();
                for case in &or.cases {
                    conds.push(self.pattern_cond(subject, case, named)?);
                }
                conds.into_iter().reduce(|a, b| Cond::Or(Box::new(a), Box::new(b)))
            }
            Pat::Range(r) => {
                let bound = |this: &mut Self, e: &Option<Box<Expr>>| match e.as_deref().map(unparen) {
                    Some(lit @ Expr::Lit(_)) => Some(Some(lit.clone())),
                    // A constant such as `i64::MIN`, not a promise.
                    Some(path @ Expr::Path(p))
                        if !p.path.get_ident().is_some_and(|i| this.scope.contains(&i.to_string())) =>
                    {
                        Some(Some(path.clone()))
                    }
                    None => Some(None),
                    Some(other) => {
                        this.cx
                            .error(other, "a range in a workflow `match` is of literals or constants, such as `1..=9`");
                        None
                    }
                };
                let (start, end) = (bound(self, &r.start)?, bound(self, &r.end)?);
                let low = start.map(|s| eq("Ge", s.span(), s));
                let high = end.map(|e| match r.limits {
                    syn::RangeLimits::Closed(_) => eq("Le", e.span(), e),
                    syn::RangeLimits::HalfOpen(_) => eq("Lt", e.span(), e),
                });
                match (low, high) {
                    (Some(l), Some(h)) => Some(Cond::And(Box::new(l), Box::new(h))),
                    (Some(c), None) | (None, Some(c)) => Some(c),
                    (None, None) => None,
                }
            }
            Pat::Ident(pi) if pi.ident == "None" && pi.subpat.is_none() => {
                named.none = true;
                Some(Cond::Present { value: subject.alias(), some: false })
            }
            Pat::Path(p) if p.qself.is_none() && p.path.is_ident("None") => {
                named.none = true;
                Some(Cond::Present { value: subject.alias(), some: false })
            }
            Pat::TupleStruct(ts)
                if ts.qself.is_none()
                    && ts.path.is_ident("Some")
                    && ts.elems.len() == 1
                    && matches!(ts.elems.first(), Some(Pat::Wild(_))) =>
            {
                named.some = true;
                Some(Cond::Present { value: subject.alias(), some: true })
            }
            Pat::Ident(pi) if pi.subpat.is_none() => {
                self.cx.error(
                    &pi.ident,
                    format!(
                        "`{}` would bind a new name, but a workflow `match` arm is a literal; write `_` for \
                         every other value (the promise keeps its name in the arm)",
                        pi.ident
                    ),
                );
                Some(eq("Eq", pi.ident.span(), syn::parse_quote!(false)))
            }
            other => {
                self.cx.error(
                    other,
                    "a workflow `match` arm is a literal (`\"fast\"`, `3`, `true`), literals joined by `|`, \
                     a range of literals (`1..=9`), `None`, `Some(_)`, or `_`; to decide on anything else, \
                     compute a scalar in a `#[task]` and match on it",
                );
                Some(eq("Eq", other.span(), syn::parse_quote!(false)))
            }
        }
    }

    /// A condition: comparisons of promises and literals, `&&`, `||`, `!`, a `bool` promise, and
    /// `.is_some()` / `.is_none()`.
    fn cond(&mut self, e: &Expr) -> Cond {
        let compare = |op: &str, span| Ident::new(op, span);
        match unparen(e) {
            Expr::Binary(b) => {
                use syn::BinOp;
                let op = match b.op {
                    BinOp::And(_) => return Cond::And(Box::new(self.cond(&b.left)), Box::new(self.cond(&b.right))),
                    BinOp::Or(_) => return Cond::Or(Box::new(self.cond(&b.left)), Box::new(self.cond(&b.right))),
                    BinOp::Eq(t) => compare("Eq", t.spans[0]),
                    BinOp::Ne(t) => compare("Ne", t.spans[0]),
                    BinOp::Lt(t) => compare("Lt", t.span),
                    BinOp::Le(t) => compare("Le", t.spans[0]),
                    BinOp::Gt(t) => compare("Gt", t.span),
                    BinOp::Ge(t) => compare("Ge", t.spans[0]),
                    _ => {
                        self.cx.error(
                            b.op,
                            "a workflow condition compares (`==`, `!=`, `<`, `<=`, `>`, `>=`) and joins \
                             comparisons with `&&` and `||`; compute anything else in a `#[task]`",
                        );
                        compare("Eq", b.op.span())
                    }
                };
                Cond::Compare { op, left: self.operand(&b.left), right: self.operand(&b.right) }
            }
            Expr::Unary(syn::ExprUnary { op: syn::UnOp::Not(bang), expr, .. }) => Cond::Compare {
                op: compare("Eq", bang.span),
                left: self.operand(expr),
                right: WExpr::Constant(syn::parse_quote!(false)),
            },
            Expr::MethodCall(mc) if mc.args.is_empty() && (mc.method == "is_some" || mc.method == "is_none") => {
                Cond::Present { value: self.operand(&mc.receiver), some: mc.method == "is_some" }
            }
            other => match self.operand(other) {
                value @ (WExpr::Promise(_) | WExpr::Output(_)) => Cond::Compare {
                    op: compare("Eq", other.span()),
                    left: value,
                    right: WExpr::Constant(syn::parse_quote!(true)),
                },
                value => {
                    self.cx.error(other, "this is not a condition: compare a promise, such as `x > 5`");
                    Cond::Compare {
                        op: compare("Eq", other.span()),
                        left: value,
                        right: WExpr::Constant(syn::parse_quote!(true)),
                    }
                }
            },
        }
    }

    /// One side of a comparison: a promise, or a literal (a negative number too).
    fn operand(&mut self, e: &Expr) -> WExpr {
        match unparen(e) {
            lit @ (Expr::Lit(_) | Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), .. })) => {
                WExpr::Constant(lit.clone())
            }
            other => match self.expr(other) {
                value @ (WExpr::Promise(_) | WExpr::Output(_)) => value,
                WExpr::Constant(c) => WExpr::Constant(c),
                _ => {
                    self.cx.error(
                        other,
                        "a workflow condition compares promises and literals; bind this call with `let` first \
                         and compare its result",
                    );
                    WExpr::Constant(syn::parse_quote!(false))
                }
            },
        }
    }

    /// An expression that computes with a promise: say why that cannot work, and what to do.
    fn misuse(&mut self, e: &Expr, p: &Ident) {
        // An `if` whose condition is plain Rust but whose branches call tasks: the graph is fixed.
        if let Expr::If(i) = e
            && self.mentions(i.cond.to_token_stream()).is_none()
        {
            self.cx.error(
                i.if_token,
                format!(
                    "an `if` around calls is not allowed in a workflow body: the body is built once into a \
                     fixed graph, so every call in it is a node whatever the condition. Decide inside a \
                     `#[task]` that takes `{p}`, or write one workflow per case"
                ),
            );
            return;
        }
        let what = match e {
            Expr::If(_) => "`if` on a promise",
            Expr::Match(_) => "`match` on a promise",
            Expr::ForLoop(_) => "a `for` loop over a promise",
            Expr::While(_) => "a `while` loop on a promise",
            Expr::Loop(_) => "a loop in a workflow body",
            Expr::Await(_) => "`.await` in a workflow body",
            Expr::Binary(_) | Expr::Unary(_) => "arithmetic or comparison on a promise",
            Expr::MethodCall(_) => "a method call on a promise",
            Expr::Field(_) | Expr::Index(_) => "reading a field or an index of a promise",
            Expr::Closure(_) => "a closure capturing a promise",
            Expr::Reference(_) => "a reference to a promise",
            _ => "this expression on a promise",
        };
        let tokens: TokenStream = match e {
            Expr::Await(a) => a.await_token.to_token_stream(),
            Expr::If(i) => i.if_token.to_token_stream(),
            Expr::Match(m) => m.match_token.to_token_stream(),
            Expr::ForLoop(f) => f.for_token.to_token_stream(),
            Expr::While(w) => w.while_token.to_token_stream(),
            Expr::MethodCall(m) => m.method.to_token_stream(),
            _ => e.to_token_stream(),
        };
        self.cx.error(
            tokens,
            format!(
                "{what} is not allowed: `{p}` is a promise, a value that exists only when the workflow runs; \
                 a workflow body only wires tasks together. Move this logic into a `#[task]` and call it with `{p}`"
            ),
        );
    }

    /// A call followed by `.with_overrides(...)` and `.after(...)`, in any order.
    fn chained(&mut self, e: &Expr) -> WExpr {
        let chain = chain::read(self.cx, e);
        let mut after = Vec::new();
        for arg in &chain.after {
            if let Some(handle) = self.after_arg(arg) {
                after.push(handle);
            }
        }
        match chain.call {
            Expr::Call(call) if !is_constructor(&call.func) => self.call(call, chain.overrides, after),
            other => {
                chain.not_after_a_call(self.cx);
                self.expr(other)
            }
        }
    }

    /// An argument of `.after(...)`: the result of a call made earlier in this workflow.
    fn after_arg(&mut self, arg: &Expr) -> Option<WExpr> {
        let named = match unparen(arg) {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            _ => None,
        };
        match (self.expr(arg), named) {
            (WExpr::Promise(p), _) if self.params.contains(&p.to_string()) => self.cx.error(
                &p,
                format!(
                    "`{p}` is an input of this workflow, not the result of a call: there is no call \
                     to wait for. `.after(...)` takes results of earlier calls, such as `w` with \
                     `let w = write(path);`"
                ),
            ),
            (handle @ (WExpr::Promise(_) | WExpr::Output(_) | WExpr::Call(_)), _) => return Some(handle),
            (_, Some(name)) => self.cx.error(
                arg,
                format!(
                    "`{name}` is not the result of a call made earlier in this workflow; \
                     `.after(...)` takes such results, such as `w` with `let w = write(path);`"
                ),
            ),
            _ => self.cx.error(
                arg,
                "`.after(...)` takes the results of calls in this workflow, such as `w` with \
                 `let w = write(path);`: a constant has no call to wait for",
            ),
        }
        None
    }

    fn call(&mut self, call: &syn::ExprCall, overrides: Option<Settings>, after: Vec<WExpr>) -> WExpr {
        let (target, map) = match &*call.func {
            Expr::Macro(m) if m.mac.path.is_ident("map") => match self.map_options(&m.mac) {
                Some((target, opts)) => (target, Some(opts)),
                None => return WExpr::Constant(Expr::Call(call.clone())),
            },
            Expr::Path(_) => ((*call.func).clone(), None),
            other => {
                self.cx.error(other, "only a task, a workflow or `map!(...)` can be called in a workflow body");
                return WExpr::Constant(Expr::Call(call.clone()));
            }
        };
        let mut args = Vec::new();
        let mut named: Vec<Ident> = Vec::new();
        for (i, a) in call.args.iter().enumerate() {
            match a {
                Expr::Assign(assign) => {
                    let Expr::Path(p) = &*assign.left else {
                        self.cx.error(&assign.left, "an input is named with a plain name: `name = value`");
                        continue;
                    };
                    let Some(name) = p.path.get_ident() else {
                        self.cx.error(&assign.left, "an input is named with a plain name: `name = value`");
                        continue;
                    };
                    if named.contains(name) {
                        self.cx.error(name, format!("input `{name}` is given twice; give each input once"));
                        continue;
                    }
                    named.push(name.clone());
                    let value = self.expr(&assign.right);
                    args.push(Arg::Named(name.clone(), value));
                }
                // `map!(t)(x = xs, partial(y = v))`: an option in the inputs' place.
                Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("partial")) => {
                    let msg = if map.is_some() {
                        "`partial(...)` is an option of `map!`, not an input: give it with the map's options, \
                         as in `map!(task, partial(y = v))(x = xs)`"
                    } else {
                        "`partial(...)` belongs to `map!`; a plain call gives every input whole: `task(x = a, y = b)`"
                    };
                    self.cx.error(a, msg);
                }
                positional => {
                    if let Some(Arg::Named(first, _)) = args.iter().find(|a| matches!(a, Arg::Named(..))) {
                        self.cx.error(
                            positional,
                            format!(
                                "a positional input after the named input `{first}`; \
                                 give positional inputs first, then `name = value` ones"
                            ),
                        );
                        continue;
                    }
                    let value = self.expr(positional);
                    args.push(Arg::Positional(i, value, positional.to_token_stream()));
                }
            }
        }
        if let Some(m) = &map
            && args.is_empty()
        {
            let msg = if m.partial.is_empty() {
                "`map!` needs at least one list to map over, such as `map!(task)(x = list)`".to_owned()
            } else {
                "every input is bound by `partial(...)`, so nothing is left to map; \
                 pass at least one list in the call, such as `map!(task, partial(k = 3))(x = list)`"
                    .to_owned()
            };
            self.cx.error_at(call.paren_token.span.join(), msg);
        }
        if let Some(m) = &map {
            for (name, _) in &m.partial {
                if let Some(dup) = named.iter().find(|n| *n == name) {
                    self.cx
                        .error(dup, format!("input `{name}` is bound by `partial(...)` and mapped here; bind it once"));
                }
            }
        }
        let shadowed = match &target {
            Expr::Path(p) => p.path.segments.first().is_some_and(|s| self.scope.contains(&s.ident.to_string())),
            _ => false,
        };
        WExpr::Call(Box::new(Call { target, args, map, overrides, after, shadowed }))
    }

    /// `map!(target, options...)`: the target path and its checked options.
    fn map_options(&mut self, mac: &syn::Macro) -> Option<(Expr, MapOptions)> {
        let parsed = mac.parse_body_with(|input: syn::parse::ParseStream| {
            let target: Expr = input.parse()?;
            let mut items = Vec::new();
            if input.parse::<Option<syn::Token![,]>>()?.is_some() {
                items = syn::punctuated::Punctuated::<OptItem, syn::Token![,]>::parse_terminated(input)?
                    .into_iter()
                    .collect();
            }
            Ok((target, items))
        });
        let (target, items) = match parsed {
            Ok(v) => v,
            Err(e) => {
                self.cx.push(e);
                return None;
            }
        };
        if !matches!(target, Expr::Path(_)) {
            self.cx.error(&target, "`map!` takes a task or workflow by name, such as `map!(detect_anomalies)`");
        }
        options::check_duplicates(self.cx, &items, "map option");
        let mut o = MapOptions {
            concurrency: None,
            min_success_ratio: None,
            min_successes: None,
            partial: Vec::new(),
            tolerance: None,
            dynamic: None,
        };
        for item in &items {
            let key = item.key.to_string();
            match key.as_str() {
                "concurrency" => {
                    o.concurrency = options::integer(
                        self.cx,
                        item,
                        1,
                        "concurrency is how many elements may run at once; it must be at least 1 \
                         (leave it out for no limit)",
                    )
                    .and_then(|v| u32::try_from(v).ok());
                }
                "min_success_ratio" => self.ratio(item, &mut o),
                "min_successes" => {
                    o.min_successes = options::integer(
                        self.cx,
                        item,
                        1,
                        "min_successes is how many elements must succeed; it must be at least 1",
                    );
                }
                "partial" => self.partial(item, &mut o),
                "dynamic" => {
                    if options::boolean(self.cx, item) == Some(true) {
                        o.dynamic = Some(item.key.clone());
                    }
                }
                // A node setting (`cache`, `retries`, `requests`, ...) goes in `.with_overrides(..)`.
                key if flowmap_settings::settings::node_keys().contains(&key) => self.cx.error(
                    &item.key,
                    format!(
                        "`{key}` is not a map option but a setting of the map's node: give it after the map, \
                         as in `map!(task)(x = xs).with_overrides({key} = ...)`"
                    ),
                ),
                _ => options::unknown(self.cx, "map option", &item.key, MAP_OPTIONS, MAP_ALIASES),
            }
        }
        if o.tolerant() {
            o.tolerance = items
                .iter()
                .find(|i| i.key == "min_successes" || (i.key == "min_success_ratio" && o.min_successes.is_none()))
                .map(|i| i.key.clone());
        }
        if o.min_successes.is_some()
            && o.min_success_ratio.is_some()
            && let Some(item) = items.iter().filter(|i| i.key == "min_success_ratio" || i.key == "min_successes").nth(1)
        {
            self.cx.error(
                &item.key,
                "give either `min_success_ratio` or `min_successes`, not both: each says how many elements must succeed",
            );
        }
        if o.dynamic.is_some() {
            self.dynamic_map(&items, &o);
        }
        Some((target, o))
    }

    /// What `dynamic = true` cannot go with: on Flyte a dynamic node runs every node it adds as
    /// the execution allows, and fails when one of them fails.
    fn dynamic_map(&mut self, items: &[OptItem], o: &MapOptions) {
        if let Some(item) = items.iter().find(|i| i.key == "concurrency") {
            self.cx.error(
                &item.key,
                "`concurrency` does not bound a `dynamic = true` map: on Flyte its nodes run as the execution's \
                 `max_parallelism` allows. Leave out `dynamic` to keep `concurrency` (one pod per element), \
                 or `concurrency` to fan out with `dynamic`",
            );
        }
        if let Some(tolerance) = &o.tolerance {
            self.cx.error(
                tolerance,
                format!(
                    "`{tolerance}` cannot go with `dynamic = true`: on Flyte a dynamic node fails when one of its \
                     nodes fails. Leave out `dynamic` to tolerate failed elements (one pod per element)"
                ),
            );
        }
    }

    fn ratio(&mut self, item: &OptItem, o: &mut MapOptions) {
        let text = match &item.value {
            OptValue::Expr(Expr::Lit(l)) => match &l.lit {
                syn::Lit::Float(f) => f.base10_digits().to_owned(),
                syn::Lit::Int(i) => i.base10_digits().to_owned(),
                _ => String::new(),
            },
            OptValue::Expr(Expr::Unary(u)) if matches!(u.op, syn::UnOp::Neg(_)) => {
                format!("-{}", u.expr.to_token_stream())
            }
            _ => String::new(),
        };
        let span = match &item.value {
            OptValue::Expr(e) => e.to_token_stream(),
            OptValue::List(_) | OptValue::Exprs(_) => item.key.to_token_stream(),
        };
        if text.is_empty() {
            self.cx.error(
                span,
                "`min_success_ratio` takes a number literal in (0, 1], such as `min_success_ratio = 0.75`",
            );
            return;
        }
        match flowmap_settings::ratio::Ratio::parse(&text) {
            Ok(r) => o.min_success_ratio = Some(r),
            Err(e) => self.cx.error(span, e),
        }
    }

    fn partial(&mut self, item: &OptItem, o: &mut MapOptions) {
        let OptValue::List(entries) = &item.value else {
            self.cx.error(&item.key, "`partial` takes inputs by name: `partial(threshold = 11, model = m)`");
            return;
        };
        options::check_duplicates(self.cx, entries, "partial input");
        for e in entries {
            match &e.value {
                OptValue::Expr(x) => {
                    let value = self.expr(x);
                    o.partial.push((e.key.clone(), value));
                }
                OptValue::List(_) | OptValue::Exprs(_) => self.cx.error(&e.key, "a partial input is `name = value`"),
            }
        }
    }
}

const FAIL_USAGE: &str = "`fail!` takes one string literal: `fail!(\"unknown mode\")`";

/// The name a `match` binds its subject to when the subject is a call.
pub(crate) const SUBJECT: &str = "__flowmap_subject";

/// What the arms of a `match` name, to see whether they cover a `bool` or an `Option`.
#[derive(Default)]
struct Named {
    is_true: bool,
    is_false: bool,
    none: bool,
    some: bool,
}

impl Named {
    fn exhaustive(&self) -> bool {
        (self.is_true && self.is_false) || (self.none && self.some)
    }
}

impl From<Arm> for Otherwise {
    fn from(arm: Arm) -> Otherwise {
        match arm {
            Arm::Run(body) => Otherwise::Arm(body),
            Arm::Fail(message) => Otherwise::Fail(message),
        }
    }
}

impl WExpr {
    /// Another reference to the same promise (a `match` subject, compared in every case).
    fn alias(&self) -> WExpr {
        match self {
            WExpr::Promise(p) => WExpr::Promise(p.clone()),
            WExpr::Output(f) => WExpr::Output(f.clone()),
            _ => WExpr::Constant(syn::parse_quote!(())),
        }
    }
}

/// A `map!(..)(..)` call in a `#[dynamic]` body, whose arguments are the locals named (each a
/// value or a promise), with its `.with_overrides(...)` and the locals that hold what its
/// `.after(...)` names (references to results of calls): the call, checked as in a workflow body.
pub(crate) fn dynamic_map(
    cx: &mut Ctxt,
    call: &syn::ExprCall,
    overrides: Option<Settings>,
    after: Vec<Ident>,
) -> Option<Box<Call>> {
    let mut p = Parser { cx, scope: HashSet::new(), params: HashSet::new() };
    match p.call(call, overrides, after.into_iter().map(WExpr::Promise).collect()) {
        WExpr::Call(mut call) => {
            let lifted = |v: &mut WExpr, clone: bool| {
                if let WExpr::Constant(Expr::Path(path)) = v
                    && let Some(name) = path.path.get_ident()
                {
                    *v = WExpr::Lifted(name.clone(), clone);
                }
            };
            for arg in &mut call.args {
                match arg {
                    Arg::Positional(_, v, _) | Arg::Named(_, v) => lifted(v, false),
                }
            }
            for (_, v) in &mut call.map.iter_mut().flat_map(|m| m.partial.iter_mut()) {
                lifted(v, true);
            }
            Some(call)
        }
        _ => None,
    }
}

/// The message of an arm that is `fail!("...")` alone; `Err` at a `fail!` given anything else;
/// `None`: not such an arm.
fn fail_message(block: &Block) -> Option<Result<syn::LitStr, TokenStream>> {
    let [stmt] = block.stmts.as_slice() else { return None };
    let mac = match stmt {
        Stmt::Macro(m) => &m.mac,
        Stmt::Expr(Expr::Macro(m), _) => &m.mac,
        _ => return None,
    };
    if !mac.path.is_ident("fail") {
        return None;
    }
    Some(syn::parse2::<syn::LitStr>(mac.tokens.clone()).map_err(|_| mac.to_token_stream()))
}
