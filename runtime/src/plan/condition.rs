//! A branch's conditions as the executor evaluates them: each operand is an input of the
//! branch node or a constant, compared by a function generic over the operands' type.

use std::cmp::Ordering;
use std::time::{Duration, SystemTime};

use flowmap_model::graph::CompareOp;

use crate::data::Data;
use crate::value::Value;

/// A value a condition may compare: a number, a `bool`, a `String`, a duration or a time.
#[diagnostic::on_unimplemented(
    message = "a workflow condition cannot compare `{Self}`: only numbers, `bool`, `String`, durations and times",
    label = "not a scalar",
    note = "to decide on a struct or a list, compute a scalar from it in a `#[task]` (a `bool`, a count, a name) and compare that"
)]
pub trait Scalar: Data + PartialOrd {}

macro_rules! scalars {
    ($($t:ty),*) => {$(impl Scalar for $t {})*};
}

scalars!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool, char, String, Duration, SystemTime
);

/// One side of a comparison.
#[derive(Clone, Debug)]
pub(crate) enum Operand {
    /// Input `i` of the branch node.
    Input(usize),
    /// A constant of the workflow body.
    Constant(Value),
}

impl Operand {
    fn value<'a>(&'a self, inputs: &'a [Value]) -> Option<&'a Value> {
        match self {
            Operand::Input(i) => inputs.get(*i),
            Operand::Constant(v) => Some(v),
        }
    }
}

/// How two operands of one type are ordered (`None`: unordered, as NaN is).
pub(crate) type Compare = fn(&Value, &Value) -> Result<Option<Ordering>, WrongType>;
/// Whether an optional operand holds a value (`None`: not of that type).
pub(crate) type Present = fn(&Value) -> Option<bool>;

/// The ordering of two values of type `T`.
pub(crate) fn compare<T: Scalar>(a: &Value, b: &Value) -> Result<Option<Ordering>, WrongType> {
    match (a.downcast_ref::<T>(), b.downcast_ref::<T>()) {
        (Some(a), Some(b)) => Ok(a.partial_cmp(b)),
        _ => Err(WrongType),
    }
}

/// Whether an `Option<T>` holds a value.
pub(crate) fn present<T: Data>(v: &Value) -> Option<bool> {
    v.downcast_ref::<Option<T>>().map(Option::is_some)
}

/// A condition, ready to evaluate on a branch node's inputs.
#[derive(Clone, Debug)]
pub(crate) enum CondPlan {
    /// `left op right`.
    Compare { op: CompareOp, left: Operand, right: Operand, compare: Compare },
    /// `left && right`.
    And(Box<CondPlan>, Box<CondPlan>),
    /// `left || right`.
    Or(Box<CondPlan>, Box<CondPlan>),
    /// `value.is_some()` (`some`), or `value.is_none()`.
    Present { value: Operand, some: bool, present: Present },
}

/// A condition read an operand of another type than it was built for: a flowmap bug.
#[derive(Debug)]
pub(crate) struct WrongType;

impl CondPlan {
    /// Whether the condition holds for these inputs; `&&` and `||` evaluate their right side only
    /// when needed, as Rust's do.
    pub(crate) fn holds(&self, inputs: &[Value]) -> Result<bool, WrongType> {
        Ok(match self {
            CondPlan::Compare { op, left, right, compare } => {
                let (Some(l), Some(r)) = (left.value(inputs), right.value(inputs)) else { return Err(WrongType) };
                op.holds(compare(l, r)?)
            }
            CondPlan::And(l, r) => l.holds(inputs)? && r.holds(inputs)?,
            CondPlan::Or(l, r) => l.holds(inputs)? || r.holds(inputs)?,
            CondPlan::Present { value, some, present } => {
                let v = value.value(inputs).ok_or(WrongType)?;
                present(v).ok_or(WrongType)? == *some
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn cmp<T: Scalar>(op: CompareOp, left: Operand, right: Operand) -> CondPlan {
        CondPlan::Compare { op, left, right, compare: compare::<T> }
    }

    #[test]
    fn conditions_evaluate_as_rust_does() {
        let inputs: Vec<Value> =
            vec![Arc::new(7_i64), Arc::new("fast".to_owned()), Arc::new(None::<u8>), Arc::new(f64::NAN)];
        let five = Operand::Constant(Arc::new(5_i64));
        let gt = cmp::<i64>(CompareOp::Gt, Operand::Input(0), five.clone());
        assert!(gt.holds(&inputs).unwrap());
        let fast = cmp::<String>(CompareOp::Eq, Operand::Input(1), Operand::Constant(Arc::new("fast".to_owned())));
        assert!(fast.holds(&inputs).unwrap());
        let none = CondPlan::Present { value: Operand::Input(2), some: false, present: present::<u8> };
        assert!(none.holds(&inputs).unwrap());
        let nan = Operand::Input(3);
        let zero = Operand::Constant(Arc::new(0.0_f64));
        assert!(!cmp::<f64>(CompareOp::Eq, nan.clone(), zero.clone()).holds(&inputs).unwrap());
        assert!(cmp::<f64>(CompareOp::Ne, nan, zero).holds(&inputs).unwrap());
        let and = CondPlan::And(Box::new(gt.clone()), Box::new(none));
        assert!(and.holds(&inputs).unwrap());
        // `||` does not read its right side once the left holds; `&&` once it does not.
        let wrong = cmp::<String>(CompareOp::Eq, Operand::Input(0), five);
        assert!(wrong.holds(&inputs).is_err());
        assert!(CondPlan::Or(Box::new(gt.clone()), Box::new(wrong.clone())).holds(&inputs).unwrap());
        let not_gt = cmp::<i64>(CompareOp::Le, Operand::Input(0), Operand::Constant(Arc::new(5_i64)));
        assert!(!CondPlan::And(Box::new(not_gt), Box::new(wrong)).holds(&inputs).unwrap());
    }
}
