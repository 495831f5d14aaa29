//! [`RunOptions`]: what one run may change of its runtime's defaults.

/// Options of one run, for [`Runtime::run_with`](crate::Runtime::run_with) and
/// [`Runtime::block_on_with`](crate::Runtime::block_on_with). Unset options keep the runtime's
/// defaults (see [`RuntimeBuilder`](crate::RuntimeBuilder)).
///
/// ```no_run
/// # use flowmap::prelude::*;
/// # #[task(cache = true, cache_version = "1")] fn double(x: i64) -> i64 { x * 2 }
/// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
/// # fn main() -> Result<(), flowmap::Error> {
/// let rt = flowmap::Runtime::builder().build()?;
/// // Recompute every cached task of this run and replace what the cache held.
/// let _fresh = rt.block_on_with(&doubled, (vec![1, 2],), flowmap::RunOptions::new().overwrite_cache(true))?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct RunOptions {
    pub(crate) cache: Option<bool>,
    pub(crate) overwrite_cache: Option<bool>,
}

impl RunOptions {
    /// The runtime's defaults.
    pub fn new() -> Self {
        RunOptions::default()
    }

    /// Whether tasks with `cache = true` use the cache in this run (`false`: they all run, and
    /// nothing is stored).
    pub fn cache(mut self, on: bool) -> Self {
        self.cache = Some(on);
        self
    }

    /// Flyte's `overwrite_cache`: cached tasks run even where the cache holds their outputs, and
    /// their new outputs replace the old ones.
    pub fn overwrite_cache(mut self, on: bool) -> Self {
        self.overwrite_cache = Some(on);
        self
    }
}
