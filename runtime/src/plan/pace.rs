//! How long a node's blocking calls take, learned from its runs: the executor runs a blocking
//! call in place, on the thread driving the run, only when it is known to be short, so it never
//! holds that thread for much longer than a hand-off to another thread would cost; and a sync map
//! known to be short stays on one thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Work shorter than this runs in place; a hand-off to another thread costs about as much.
const SHORT: Duration = Duration::from_micros(50);

/// A decaying maximum of the time one unit of a node's blocking work took (a call, or one
/// element of a map), over its recent runs.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Pace {
    /// Nanoseconds plus one; 0 until the first observation.
    nanos_plus_one: AtomicU64,
}

impl Pace {
    /// The pace so far, if any work was observed.
    fn get(&self) -> Option<u64> {
        self.nanos_plus_one.load(Ordering::Relaxed).checked_sub(1)
    }

    /// Records that `units` units took `elapsed`. A slow unit raises the pace at once; the pace
    /// comes down by an eighth per observation.
    pub(crate) fn observe(&self, elapsed: Duration, units: usize) {
        let per_unit = u64::try_from(elapsed.as_nanos() / (units.max(1) as u128)).unwrap_or(u64::MAX - 1);
        let next = match self.get() {
            Some(old) => per_unit.max(old - old / 8),
            None => per_unit,
        };
        self.nanos_plus_one.store(next.saturating_add(1), Ordering::Relaxed);
    }

    /// Whether `units` units are known to take less than a hand-off.
    pub(crate) fn is_short(&self, units: usize) -> bool {
        self.get().is_some_and(|per_unit| u128::from(per_unit) * (units as u128) < SHORT.as_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_is_not_short_and_a_slow_unit_stops_inlining_at_once() {
        let p = Pace::default();
        assert!(!p.is_short(1), "nothing is known before the first run");
        p.observe(Duration::from_nanos(100), 1);
        assert!(p.is_short(1) && p.is_short(100) && !p.is_short(1_000));
        p.observe(Duration::from_millis(1), 1);
        assert!(!p.is_short(1), "one slow call is enough");
        for _ in 0..200 {
            p.observe(Duration::from_nanos(100), 1);
        }
        assert!(p.is_short(1), "and fast calls bring it back down");
    }
}
