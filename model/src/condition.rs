//! The conditions of branch nodes (`if`/`match` in a workflow body): comparisons of scalar
//! values, joined by `&&` and `||`.

use serde::{Deserialize, Serialize};

use crate::binding::Binding;

/// A condition of a case: comparisons of scalar values, joined by `&&` and `||`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// `left op right`.
    Compare {
        /// The comparison.
        op: CompareOp,
        /// The left operand.
        left: Binding,
        /// The right operand.
        right: Binding,
    },
    /// `left && right`.
    And {
        /// Evaluated first.
        left: Box<Condition>,
        /// Evaluated when `left` holds.
        right: Box<Condition>,
    },
    /// `left || right`.
    Or {
        /// Evaluated first.
        left: Box<Condition>,
        /// Evaluated when `left` does not hold.
        right: Box<Condition>,
    },
    /// `value.is_none()`: an `Option` that is `None`.
    IsNone {
        /// The optional value.
        value: Binding,
    },
    /// `value.is_some()`.
    IsSome {
        /// The optional value.
        value: Binding,
    },
}

/// A comparison between two scalar values of one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The Rust operator.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether the comparison holds for two values ordered `ordering` (`None`: unordered, as a
    /// NaN is; only `!=` holds then).
    #[must_use]
    pub fn holds(self, ordering: Option<std::cmp::Ordering>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match (self, ordering) {
            (CompareOp::Ne, None) => true,
            (_, None) => false,
            (CompareOp::Eq, Some(o)) => o == Equal,
            (CompareOp::Ne, Some(o)) => o != Equal,
            (CompareOp::Lt, Some(o)) => o == Less,
            (CompareOp::Le, Some(o)) => o != Greater,
            (CompareOp::Gt, Some(o)) => o == Greater,
            (CompareOp::Ge, Some(o)) => o != Less,
        }
    }
}

impl Condition {
    /// The condition as Rust writes it, with each binding as `show` names it.
    pub fn display(&self, show: &dyn Fn(&Binding) -> String) -> String {
        match self {
            Condition::Compare { op, left, right } => format!("{} {} {}", show(left), op.symbol(), show(right)),
            Condition::And { left, right } => format!("{} && {}", left.nested(show, true), right.nested(show, true)),
            Condition::Or { left, right } => format!("{} || {}", left.nested(show, false), right.nested(show, false)),
            Condition::IsNone { value } => format!("{}.is_none()", show(value)),
            Condition::IsSome { value } => format!("{}.is_some()", show(value)),
        }
    }

    /// In parentheses where `&&` binds tighter than an `||` inside it.
    fn nested(&self, show: &dyn Fn(&Binding) -> String, in_and: bool) -> String {
        match self {
            Condition::Or { .. } if in_and => format!("({})", self.display(show)),
            _ => self.display(show),
        }
    }

    /// Every value the condition reads, in order.
    #[must_use]
    pub fn bindings(&self) -> Vec<&Binding> {
        match self {
            Condition::Compare { left, right, .. } => vec![left, right],
            Condition::And { left, right } | Condition::Or { left, right } => {
                let mut all = left.bindings();
                all.extend(right.bindings());
                all
            }
            Condition::IsNone { value } | Condition::IsSome { value } => vec![value],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn comparisons_hold_as_rust_compares() {
        for (op, holds) in [
            (CompareOp::Eq, [false, true, false, false]),
            (CompareOp::Ne, [true, false, true, true]),
            (CompareOp::Lt, [true, false, false, false]),
            (CompareOp::Le, [true, true, false, false]),
            (CompareOp::Gt, [false, false, true, false]),
            (CompareOp::Ge, [false, true, true, false]),
        ] {
            let got = [Some(Less), Some(Equal), Some(Greater), None].map(|o| op.holds(o));
            assert_eq!(got, holds, "{}", op.symbol());
            // As Rust's own operators on f64, NaN included.
            for (a, b, i) in [(1.0, 2.0, 0), (2.0, 2.0, 1), (3.0, 2.0, 2), (f64::NAN, 2.0, 3)] {
                let rust = match op {
                    CompareOp::Eq => a == b,
                    CompareOp::Ne => a != b,
                    CompareOp::Lt => a < b,
                    CompareOp::Le => a <= b,
                    CompareOp::Gt => a > b,
                    CompareOp::Ge => a >= b,
                };
                assert_eq!(rust, holds[i], "{a} {} {b}", op.symbol());
            }
        }
    }

    #[test]
    fn conditions_read_as_written() {
        let input = |name: &str| Binding::Input { name: name.to_owned() };
        let lit = |v: i64| Binding::Constant { value: v.into() };
        let show = |b: &Binding| match b {
            Binding::Input { name } => name.clone(),
            Binding::Constant { value } => value.to_string(),
            _ => "?".to_owned(),
        };
        let gt = Condition::Compare { op: CompareOp::Gt, left: input("x"), right: lit(5) };
        let lt = Condition::Compare { op: CompareOp::Lt, left: input("y"), right: lit(3) };
        let eq = Condition::Compare { op: CompareOp::Eq, left: input("x"), right: lit(0) };
        let or = Condition::Or { left: Box::new(gt.clone()), right: Box::new(lt.clone()) };
        let c = Condition::And { left: Box::new(or), right: Box::new(eq) };
        assert_eq!(c.display(&show), "(x > 5 || y < 3) && x == 0");
        assert_eq!(c.bindings().len(), 6);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["kind"], "and");
        assert_eq!(json["left"]["right"]["op"], "lt");
        assert_eq!(serde_json::from_value::<Condition>(json).unwrap(), c);
    }
}
