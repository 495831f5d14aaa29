//! [`RunOptions`]: what one run may change of its runtime's defaults.

/// Options of one run, all at once: [`Run::options`](crate::Run::options) (and
/// [`JsonRun::options`](crate::JsonRun::options)) take them, and a run's own methods set one
/// each (`.cache(false)`). Unset options keep the runtime's defaults (see
/// [`RuntimeBuilder`](crate::RuntimeBuilder)).
///
/// ```no_run
/// # use flowmap::prelude::*;
/// # #[task(cache = true, cache_version = "1")] fn double(x: i64) -> i64 { x * 2 }
/// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
/// # fn main() -> Result<(), flowmap::Error> {
/// let rt = flowmap::Runtime::builder().build()?;
/// // Recompute every cached task of these runs and replace what the cache held.
/// let fresh = flowmap::RunOptions::new().overwrite_cache(true);
/// let _a = rt.run(&doubled, (vec![1, 2],)).options(fresh).wait()?;
/// let _b = rt.run(&doubled, (vec![3, 4],)).options(fresh).wait()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct RunOptions {
    #[cfg(feature = "cache")]
    pub(crate) cache: Option<bool>,
    #[cfg(feature = "cache")]
    pub(crate) overwrite_cache: Option<bool>,
}

impl RunOptions {
    /// The runtime's defaults.
    pub fn new() -> Self {
        RunOptions::default()
    }

    /// Whether tasks with `cache = true` use the cache in this run (`false`: they all run, and
    /// nothing is stored).
    #[cfg(feature = "cache")]
    pub fn cache(mut self, on: bool) -> Self {
        self.cache = Some(on);
        self
    }

    /// Flyte's `overwrite_cache`: cached tasks run even where the cache holds their outputs, and
    /// their new outputs replace the old ones.
    #[cfg(feature = "cache")]
    pub fn overwrite_cache(mut self, on: bool) -> Self {
        self.overwrite_cache = Some(on);
        self
    }
}

/// The option setters of a run builder with a field `options: RunOptions` ([`crate::Run`],
/// [`crate::JsonRun`]): one list, so both take the same options.
macro_rules! option_setters {
    () => {
        /// Sets every option of this run at once: see [`RunOptions`](crate::RunOptions).
        pub fn options(mut self, options: $crate::RunOptions) -> Self {
            self.options = options;
            self
        }

        /// Whether tasks with `cache = true` use the cache in this run: see [`RunOptions::cache`](crate::RunOptions::cache).
        #[cfg(feature = "cache")]
        pub fn cache(mut self, on: bool) -> Self {
            self.options = self.options.cache(on);
            self
        }

        /// Flyte's `overwrite_cache` for this run: see [`RunOptions::overwrite_cache`](crate::RunOptions::overwrite_cache).
        #[cfg(feature = "cache")]
        pub fn overwrite_cache(mut self, on: bool) -> Self {
            self.options = self.options.overwrite_cache(on);
            self
        }
    };
}
pub(crate) use option_setters;
