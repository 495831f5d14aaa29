//! `cache_serialize`: identical calls in flight at once run once. The first to miss a key
//! reserves it; the others wait until it is released (after the outputs are stored), then look
//! the key up again. Within this process: runs in other processes are not serialized.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use crate::cache::key::CacheKey;

/// The keys being computed, each with the flag its waiters watch.
#[derive(Debug, Default)]
pub(crate) struct Reservations {
    held: Mutex<HashMap<CacheKey, Arc<Flag>>>,
}

#[derive(Debug, Default)]
struct Flag {
    released: AtomicBool,
    notify: Notify,
}

/// What reserving a key gave.
pub(crate) enum Reserved {
    /// This caller computes it; released when dropped.
    Mine(Reservation),
    /// Another caller computes it.
    Theirs(Waiter),
}

/// A held key: dropping it releases the key and wakes its waiters.
#[derive(Debug)]
pub(crate) struct Reservation {
    owner: Arc<Reservations>,
    key: CacheKey,
    flag: Arc<Flag>,
}

/// A key another caller holds.
#[derive(Debug)]
pub(crate) struct Waiter(Arc<Flag>);

impl Reservations {
    /// Reserves `key`, or says who has it.
    pub(crate) fn reserve(self: &Arc<Self>, key: CacheKey) -> Reserved {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(flag) = held.get(&key) {
            return Reserved::Theirs(Waiter(flag.clone()));
        }
        let flag = Arc::new(Flag::default());
        held.insert(key, flag.clone());
        Reserved::Mine(Reservation { owner: self.clone(), key, flag })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.owner.held.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.key);
        self.flag.released.store(true, Ordering::SeqCst);
        self.flag.notify.notify_waiters();
    }
}

impl Waiter {
    /// Waits until the holder releases the key.
    pub(crate) async fn released(self) {
        loop {
            let mut notified = std::pin::pin!(self.0.notify.notified());
            notified.as_mut().enable();
            if self.0.released.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_wakes_when_the_holder_releases() {
        let r = Arc::new(Reservations::default());
        let key = CacheKey([1; 16]);
        let Reserved::Mine(mine) = r.reserve(key) else { panic!("the first caller holds the key") };
        let Reserved::Theirs(waiter) = r.reserve(key) else { panic!("the second caller waits") };
        let woken = tokio::spawn(waiter.released());
        tokio::task::yield_now().await;
        assert!(!woken.is_finished());
        drop(mine);
        woken.await.unwrap();
        // Released: the next caller holds it.
        assert!(matches!(r.reserve(key), Reserved::Mine(_)));
    }
}
