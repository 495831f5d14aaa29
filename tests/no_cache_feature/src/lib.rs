//! `cache = true` in a program whose flowmap has no `cache` feature.

use flowmap::prelude::*;

#[task]
pub fn plain(x: i64) -> i64 {
    x + 1
}

#[task(cache = true, cache_version = "1")]
pub fn cached(x: i64) -> i64 {
    x * 2
}

#[workflow]
pub fn overridden(x: i64) -> i64 {
    plain(x = x).with_overrides(cache = true, cache_version = "1")
}
