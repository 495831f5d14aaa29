//! The runtime's subscribers, and what each has yet to read.
//!
//! One queue per subscriber, each behind its own lock. Events every subscriber must receive are
//! queued with no bound; a map element's detail events go only to subscribers of every element,
//! at most `capacity` of them queued at once, the rest counted into one [`EventKind::Skipped`].

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock, Weak};
use std::task::{Context, Poll, Waker};

use super::{Event, EventKind};

/// Every subscriber of one runtime.
#[derive(Debug, Default)]
pub(crate) struct Bus {
    queues: RwLock<Vec<Arc<Queue>>>,
    /// How many subscribers there are.
    subscribers: AtomicUsize,
    /// How many of them receive every element.
    detailed: AtomicUsize,
}

impl Bus {
    /// Whether anyone subscribes: checked before building an event.
    #[inline]
    pub(crate) fn listening(&self) -> bool {
        self.subscribers.load(Ordering::Relaxed) > 0
    }

    /// Whether anyone subscribes to every element (fixed per node when it starts).
    #[inline]
    pub(crate) fn wants_elements(&self) -> bool {
        self.detailed.load(Ordering::Relaxed) > 0
    }

    /// A new subscriber; `elements`: how many element events it may have waiting (`None`: it
    /// receives none).
    pub(crate) fn subscribe(self: &Arc<Self>, elements: Option<usize>) -> Subscriber {
        let queue = Arc::new(Queue { state: Mutex::default(), ready: Condvar::new(), elements });
        self.queues.write().unwrap_or_else(PoisonError::into_inner).push(queue.clone());
        self.subscribers.fetch_add(1, Ordering::SeqCst);
        if elements.is_some() {
            self.detailed.fetch_add(1, Ordering::SeqCst);
        }
        Subscriber { queue, bus: Arc::downgrade(self) }
    }

    /// Queues `event` for every subscriber that receives its kind.
    pub(crate) fn publish(&self, event: Event) {
        let detail = event.kind.is_element_detail();
        let queues = self.queues.read().unwrap_or_else(PoisonError::into_inner);
        for queue in queues.iter() {
            queue.push(&event, detail);
        }
    }

    /// The runtime is gone: every subscriber reads what is queued, then `None`.
    pub(crate) fn close(&self) {
        for queue in self.queues.read().unwrap_or_else(PoisonError::into_inner).iter() {
            let waker = {
                let mut state = queue.lock();
                state.closed = true;
                state.waker.take()
            };
            queue.ready.notify_all();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    fn unsubscribe(&self, queue: &Arc<Queue>) {
        self.queues.write().unwrap_or_else(PoisonError::into_inner).retain(|q| !Arc::ptr_eq(q, queue));
        self.subscribers.fetch_sub(1, Ordering::SeqCst);
        if queue.elements.is_some() {
            self.detailed.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// One subscriber's events, waiting to be read.
#[derive(Debug)]
struct Queue {
    state: Mutex<State>,
    /// Signalled for a thread waiting in [`Subscriber::blocking_recv`].
    ready: Condvar,
    /// How many element events may wait at once; `None`: none are sent.
    elements: Option<usize>,
}

#[derive(Debug, Default)]
struct State {
    events: VecDeque<Event>,
    /// How many of `events` are element events.
    detail: usize,
    /// Element events not queued since the last one that was.
    skipped: u64,
    closed: bool,
    waker: Option<Waker>,
    /// Whether a thread waits on `ready`.
    blocked: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, event: &Event, detail: bool) {
        let mut state = self.lock();
        if detail {
            match self.elements {
                None => return,
                Some(capacity) if state.detail >= capacity => {
                    state.skipped += 1;
                    return;
                }
                Some(_) => state.detail += 1,
            }
        }
        if state.skipped > 0 {
            let events = std::mem::take(&mut state.skipped);
            state.events.push_back(Event { kind: EventKind::Skipped { events }, ..event.clone() });
        }
        state.events.push_back(event.clone());
        let (waker, blocked) = (state.waker.take(), state.blocked);
        drop(state);
        if blocked {
            self.ready.notify_one();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The next event, if one is queued; `Err(true)` once none will come.
    fn pop(state: &mut State) -> Result<Event, bool> {
        match state.events.pop_front() {
            Some(event) => {
                if event.kind.is_element_detail() {
                    state.detail -= 1;
                }
                Ok(event)
            }
            None => Err(state.closed),
        }
    }
}

/// Why [`Subscriber::try_recv`] returned no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TryRecvError {
    /// None is waiting now.
    #[error("no event is waiting")]
    Empty,
    /// None will come: the runtime was dropped, and every event was read.
    #[error("the runtime was dropped and every event was read")]
    Closed,
}

/// The events of every run started while it lives, in the order each run published them: see
/// [the module docs](crate::events). Also a [`futures_util::Stream`] of events. Dropping it
/// unsubscribes.
///
/// ```
/// # async fn demo(rt: &flowmap_runtime::Runtime) {
/// use flowmap_runtime::events::EventKind;
/// let mut events = rt.subscribe();
/// // … start a run, then:
/// while let Some(event) = events.recv().await {
///     if let EventKind::ElementFailed { index, error, .. } = &event.kind {
///         eprintln!("{}: element {index:?} failed: {error}", event.workflow);
///     }
/// }
/// # }
/// ```
pub struct Subscriber {
    queue: Arc<Queue>,
    bus: Weak<Bus>,
}

impl fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.queue.lock();
        f.debug_struct("Subscriber")
            .field("waiting", &state.events.len())
            .field("elements", &self.queue.elements)
            .field("closed", &state.closed)
            .finish()
    }
}

impl Subscriber {
    /// The next event, waiting for one; `None` once the runtime is dropped and every event was
    /// read.
    pub async fn recv(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next event if one is waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if none is waiting; [`TryRecvError::Closed`] once the runtime is
    /// dropped and every event was read.
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        Queue::pop(&mut self.queue.lock())
            .map_err(|closed| if closed { TryRecvError::Closed } else { TryRecvError::Empty })
    }

    /// The next event, blocking this thread until one comes: for code outside async tasks.
    /// `None` once the runtime is dropped and every event was read.
    pub fn blocking_recv(&mut self) -> Option<Event> {
        let mut state = self.queue.lock();
        loop {
            match Queue::pop(&mut state) {
                Ok(event) => return Some(event),
                Err(true) => return None,
                Err(false) => {
                    state.blocked = true;
                    state = self.queue.ready.wait(state).unwrap_or_else(PoisonError::into_inner);
                    state.blocked = false;
                }
            }
        }
    }

    /// Polls for the next event: [`Subscriber::recv`] for hand-written futures.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut state = self.queue.lock();
        match Queue::pop(&mut state) {
            Ok(event) => Poll::Ready(Some(event)),
            Err(true) => Poll::Ready(None),
            Err(false) => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl futures_util::Stream for Subscriber {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Some(bus) = self.bus.upgrade() {
            bus.unsubscribe(&self.queue);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind) -> Event {
        Event { run: 1, workflow: "wf".into(), node: Some("n0".into()), kind }
    }

    fn started(i: usize) -> Event {
        event(EventKind::ElementStarted { index: Some(i), attempt: 1 })
    }

    fn failed(i: usize) -> Event {
        event(EventKind::ElementFailed { index: Some(i), attempts: 1, error: "no".into() })
    }

    fn drain(s: &mut Subscriber) -> Vec<EventKind> {
        std::iter::from_fn(|| s.try_recv().ok()).map(|e| e.kind).collect()
    }

    #[test]
    fn element_events_beyond_the_capacity_are_counted_in_their_place_and_failures_are_all_kept() {
        let bus = Arc::new(Bus::default());
        let mut plain = bus.subscribe(None);
        let mut detailed = bus.subscribe(Some(2));
        assert!(bus.listening() && bus.wants_elements());
        for i in 0..5 {
            bus.publish(started(i));
            bus.publish(failed(i));
        }
        let fail = |i| failed(i).kind;
        assert_eq!(drain(&mut plain), (0..5).map(fail).collect::<Vec<_>>());
        // Each skipped start is counted in its place, before the failure that followed it.
        let skipped = || EventKind::Skipped { events: 1 };
        assert_eq!(
            drain(&mut detailed),
            [
                started(0).kind,
                fail(0),
                started(1).kind,
                fail(1),
                skipped(),
                fail(2),
                skipped(),
                fail(3),
                skipped(),
                fail(4)
            ]
        );
        // Read: room again. Skipped ones not yet reported come before the next one queued.
        bus.publish(started(5));
        bus.publish(started(6));
        bus.publish(started(7));
        bus.publish(started(8));
        assert_eq!(drain(&mut detailed), [started(5).kind, started(6).kind]);
        bus.publish(started(9));
        assert_eq!(drain(&mut detailed), [EventKind::Skipped { events: 2 }, started(9).kind]);
        drop(detailed);
        assert!(!bus.wants_elements());
        drop(plain);
        assert!(!bus.listening());
    }

    #[test]
    fn a_closed_bus_ends_its_subscribers_after_their_last_event() {
        let bus = Arc::new(Bus::default());
        let mut s = bus.subscribe(None);
        bus.publish(failed(0));
        assert_eq!(s.try_recv(), Ok(failed(0)));
        assert_eq!(s.try_recv(), Err(TryRecvError::Empty));
        let waiting = std::thread::spawn(move || s.blocking_recv());
        bus.publish(failed(1));
        bus.close();
        let mut later = bus.subscribe(None);
        bus.close();
        assert_eq!(later.blocking_recv(), None);
        assert_eq!(waiting.join().unwrap(), Some(failed(1)));
    }
}
