//! The arities of the tuples that flowmap implements its traits for, written once.

/// Calls macro `$m` with the arities 2 to 8, each written `(A0 0, A1 1, ..)`: an output tuple of
/// several parts, a nested output tuple, and a tuple of `.after(..)` nodes.
macro_rules! nested_arities {
    ($m:ident) => {
        $m! {
            (A0 0, A1 1)
            (A0 0, A1 1, A2 2)
            (A0 0, A1 1, A2 2, A3 3)
            (A0 0, A1 1, A2 2, A3 3, A4 4)
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5)
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6)
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7)
        }
    };
}
pub(crate) use nested_arities;

/// Calls macro `$m` with every arity of an input tuple, 0 to 12, written as [`nested_arities`]
/// writes them: the list that every per-input-tuple implementation (`tuple`, and the JSON and
/// cache codecs) follows.
macro_rules! input_arities {
    ($m:ident) => {
        $m! {
            ()
            (A0 0)
        }
        $crate::arities::nested_arities!($m);
        $m! {
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8)
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8, A9 9)
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8, A9 9, A10 10)
            (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8, A9 9, A10 10, A11 11)
        }
    };
}
pub(crate) use input_arities;

/// Calls macro `$m` with every arity of an input tuple, 0 to 12, each position with two type
/// names (`(A0 I0 0, A1 I1 1, ..)`): for implementations that relate a tuple of given values to
/// the input tuple they fill (a call in a `#[dynamic]` body).
macro_rules! paired_input_arities {
    ($m:ident) => {
        $m! {
            ()
            (A0 I0 0)
            (A0 I0 0, A1 I1 1)
            (A0 I0 0, A1 I1 1, A2 I2 2)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5, A6 I6 6)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5, A6 I6 6, A7 I7 7)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5, A6 I6 6, A7 I7 7, A8 I8 8)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5, A6 I6 6, A7 I7 7, A8 I8 8, A9 I9 9)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5, A6 I6 6, A7 I7 7, A8 I8 8, A9 I9 9, A10 I10 10)
            (A0 I0 0, A1 I1 1, A2 I2 2, A3 I3 3, A4 I4 4, A5 I5 5, A6 I6 6, A7 I7 7, A8 I8 8, A9 I9 9, A10 I10 10, A11 I11 11)
        }
    };
}
pub(crate) use paired_input_arities;
