//! Tests of the executor as a whole.

mod model;
