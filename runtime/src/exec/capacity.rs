//! Resource-aware admission: an attempt starts only when its requests fit in what is free.
//!
//! The runtime's capacity is kept in exact units, the same for the capacity and for every
//! request: CPU millicores, bytes of memory, whole GPUs. A request equal to what is free fits.
//! Waiters are served first come, first served: one that does not fit yet holds back those behind
//! it, so a large request is never starved by small ones, and no waiter holds part of what another
//! needs. `ephemeral_storage` is carried in the graph but not admitted locally.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use flowmap_model::{ResourceKey, Resources};

use crate::error::NodeError;

/// CPU millicores, bytes of memory, GPUs.
type Amounts = [u64; 3];

/// What one attempt takes from the capacity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    amounts: Amounts,
}

impl Request {
    /// Nothing: the attempt is admitted at once.
    pub(crate) const NONE: Request = Request { amounts: [0; 3] };
}

/// The runtime's capacity.
pub(crate) struct Capacity {
    total: Amounts,
    pool: Arc<Pool>,
}

impl fmt::Debug for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capacity")
            .field("cpu_millis", &self.total[0])
            .field("mem_bytes", &self.total[1])
            .field("gpus", &self.total[2])
            .finish()
    }
}

/// What is free, and who waits for it, in arrival order.
struct Pool {
    state: Mutex<State>,
}

struct State {
    free: Amounts,
    waiting: VecDeque<Waiter>,
    next_id: u64,
}

struct Waiter {
    id: u64,
    need: Amounts,
    waker: Option<Waker>,
    granted: bool,
}

fn fits(need: &Amounts, free: &Amounts) -> bool {
    need.iter().zip(free).all(|(n, f)| n <= f)
}

impl State {
    /// Grants what is free to the waiters at the front, in order, while they fit.
    fn grant(&mut self) {
        let mut free = self.free;
        for w in self.waiting.iter_mut() {
            if w.granted {
                continue;
            }
            if !fits(&w.need, &free) {
                break;
            }
            for (f, n) in free.iter_mut().zip(w.need) {
                *f -= n;
            }
            w.granted = true;
            if let Some(waker) = w.waker.take() {
                waker.wake();
            }
        }
        self.free = free;
    }

    fn release(&mut self, amounts: Amounts) {
        for (f, n) in self.free.iter_mut().zip(amounts) {
            *f += n;
        }
        self.grant();
    }
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What an admitted attempt holds; given back on drop, wherever it was moved (a timed-out sync
/// attempt's thread keeps it until the call really ends).
pub(crate) struct Admitted {
    pool: Arc<Pool>,
    amounts: Amounts,
}

impl fmt::Debug for Admitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admitted").field("amounts", &self.amounts).finish()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if self.amounts != [0; 3] {
            self.pool.lock().release(self.amounts);
        }
    }
}

/// Waits in line for a request.
struct Admission {
    pool: Arc<Pool>,
    need: Amounts,
    /// Its place in line, once it waits.
    id: Option<u64>,
}

impl Future for Admission {
    type Output = Admitted;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Admitted> {
        let need = self.need;
        let pool = self.pool.clone();
        let mut state = pool.lock();
        // Its place in line, if it still has one. Nothing else takes a waiter out of the line,
        // but should its entry be gone, it joins the line again rather than wait unseen: every
        // `Pending` below leaves this poll's waker in the line.
        let place = self.id.and_then(|id| state.waiting.iter().position(|w| w.id == id));
        let Some(pos) = place else {
            self.id = None;
            if state.waiting.is_empty() && fits(&need, &state.free) {
                for (f, n) in state.free.iter_mut().zip(need) {
                    *f -= n;
                }
                return Poll::Ready(Admitted { pool: self.pool.clone(), amounts: need });
            }
            let id = state.next_id;
            state.next_id += 1;
            state.waiting.push_back(Waiter { id, need, waker: Some(cx.waker().clone()), granted: false });
            self.id = Some(id);
            state.grant();
            // Granted at once if everything before it was granted too.
            if state.waiting.back().is_some_and(|w| w.id == id && w.granted) {
                state.waiting.pop_back();
                self.id = None;
                return Poll::Ready(Admitted { pool: self.pool.clone(), amounts: need });
            }
            return Poll::Pending;
        };
        if state.waiting[pos].granted {
            state.waiting.remove(pos);
            self.id = None;
            Poll::Ready(Admitted { pool: self.pool.clone(), amounts: need })
        } else {
            state.waiting[pos].waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        // A waiter that gives up leaves the line; what it was granted goes to the next ones.
        let Some(id) = self.id else { return };
        let mut state = self.pool.lock();
        if let Some(pos) = state.waiting.iter().position(|w| w.id == id) {
            let w = state.waiting.remove(pos);
            if w.is_some_and(|w| w.granted) {
                state.release(self.need);
            } else {
                state.grant();
            }
        }
    }
}

impl Capacity {
    pub(crate) fn new(cpu_millis: u64, mem_bytes: u64, gpus: u64) -> Self {
        let total = [cpu_millis, mem_bytes, gpus];
        Capacity {
            total,
            pool: Arc::new(Pool { state: Mutex::new(State { free: total, waiting: VecDeque::new(), next_id: 0 }) }),
        }
    }

    pub(crate) fn cpu_millis(&self) -> u64 {
        self.total[0]
    }

    pub(crate) fn mem_bytes(&self) -> u64 {
        self.total[1]
    }

    pub(crate) fn gpus(&self) -> u64 {
        self.total[2]
    }

    /// Reads `requests` and checks that it fits in the whole capacity.
    pub(crate) fn request(&self, requests: &Resources) -> Result<Request, NodeError> {
        let mut r = Request::NONE;
        if requests.is_empty() {
            return Ok(r);
        }
        for (slot, key) in [ResourceKey::Cpu, ResourceKey::Mem, ResourceKey::Gpu].into_iter().enumerate() {
            let Some(q) = requests.get(key) else { continue };
            let (amount, shown) = match key {
                ResourceKey::Cpu => {
                    let cpus = fmt_millis(self.total[0]);
                    (q.millis(), format!("{cpus} CPU{}", if cpus == "1" { "" } else { "s" }))
                }
                ResourceKey::Mem => (q.units(), format!("{} of memory", fmt_bytes(self.total[1]))),
                _ => (q.units(), format!("{} GPU{}", self.total[2], if self.total[2] == 1 { "" } else { "s" })),
            };
            r.amounts[slot] = u64::try_from(amount).ok().filter(|a| *a <= self.total[slot]).ok_or_else(|| {
                NodeError::Unschedulable { resource: key.name(), requested: q.text().to_owned(), capacity: shown }
            })?;
        }
        Ok(r)
    }

    /// How many attempts of `request` fit in the whole capacity at once, an attempt that
    /// requests no CPU counting as one CPU: how many sync calls of a node may run at once.
    pub(crate) fn at_once(&self, request: &Request) -> u64 {
        let mut need = request.amounts;
        if need[0] == 0 {
            need[0] = 1000;
        }
        need.iter().zip(&self.total).filter(|(n, _)| **n > 0).map(|(n, t)| t / n).min().unwrap_or(u64::MAX)
    }

    /// Waits until `request` fits in what is free, and takes it.
    pub(crate) fn admit(&self, request: &Request) -> impl Future<Output = Admitted> + Send + 'static {
        Admission { pool: self.pool.clone(), need: request.amounts, id: None }
    }
}

#[allow(clippy::cast_precision_loss)]
fn fmt_millis(m: u64) -> String {
    if m.is_multiple_of(1000) { (m / 1000).to_string() } else { format!("{}", m as f64 / 1000.0) }
}

#[allow(clippy::cast_precision_loss)]
pub(crate) fn fmt_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["", "Ki", "Mi", "Gi", "Ti"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if (v - v.round()).abs() < 1e-9 { format!("{}{}", v.round(), UNITS[u]) } else { format!("{v:.1}{}", UNITS[u]) }
}

#[cfg(test)]
mod tests {
    use flowmap_model::Quantity;
    use futures_util::FutureExt;

    use super::*;

    fn res(key: ResourceKey, s: &str) -> Resources {
        Resources::from_entries([(key, Quantity::parse(s).unwrap())])
    }

    fn mem(s: &str) -> Resources {
        res(ResourceKey::Mem, s)
    }

    fn bytes(s: &str) -> u64 {
        u64::try_from(Quantity::parse(s).unwrap().units()).unwrap()
    }

    #[test]
    fn requests_are_checked_against_the_whole_capacity() {
        let c = Capacity::new(4000, 4 << 30, 0);
        assert_eq!(c.request(&mem("2Gi")).unwrap().amounts[1], 2 << 30);
        let err = c.request(&mem("5Gi")).unwrap_err().to_string();
        assert!(err.contains("mem = \"5Gi\"") && err.contains("4Gi of memory"), "{err}");
        assert!(c.request(&res(ResourceKey::Gpu, "1")).unwrap_err().to_string().contains("0 GPUs"));
        assert_eq!(c.request(&res(ResourceKey::Cpu, "500m")).unwrap().amounts[0], 500);
    }

    #[test]
    fn a_request_equal_to_the_capacity_fits_whatever_its_unit() {
        for q in ["1G", "1Gi", "1e9", "0.5", "250m", "1.5Gi", "1", "999999999"] {
            let c = Capacity::new(1000, bytes(q), 0);
            let r = c.request(&mem(q)).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert!(c.admit(&r).now_or_never().is_some(), "{q} of {q} is not admitted");
        }
        for q in ["1", "250m", "1.5", "0.001"] {
            let millis = u64::try_from(Quantity::parse(q).unwrap().millis()).unwrap();
            let c = Capacity::new(millis, 1 << 30, 0);
            let r = c.request(&res(ResourceKey::Cpu, q)).unwrap();
            assert!(c.admit(&r).now_or_never().is_some(), "cpu {q} of {q} is not admitted");
        }
        // Two halves of 1G fill it exactly, and a third byte waits.
        let c = Capacity::new(1000, bytes("1G"), 0);
        let half = c.request(&mem("500M")).unwrap();
        let (a, b) = (c.admit(&half).now_or_never(), c.admit(&half).now_or_never());
        assert!(a.is_some() && b.is_some());
        assert!(c.admit(&c.request(&mem("1")).unwrap()).now_or_never().is_none());
    }

    #[test]
    fn at_once_counts_the_requests_that_fit_and_no_cpu_as_one() {
        let c = Capacity::new(2000, 4 << 30, 1);
        assert_eq!(c.at_once(&Request::NONE), 2, "no request: one CPU each");
        assert_eq!(c.at_once(&c.request(&res(ResourceKey::Cpu, "100m")).unwrap()), 20);
        assert_eq!(c.at_once(&c.request(&res(ResourceKey::Cpu, "2")).unwrap()), 1);
        assert_eq!(c.at_once(&c.request(&mem("1Gi")).unwrap()), 2, "memory only: one CPU each");
        assert_eq!(c.at_once(&Request { amounts: [100, 1 << 30, 0] }), 4, "memory bounds it");
        assert_eq!(c.at_once(&Request { amounts: [100, 0, 1] }), 1, "one GPU");
    }

    #[tokio::test]
    async fn admission_waits_for_free_capacity_first_come_first_served() {
        let c = Capacity::new(1000, 4 << 30, 0);
        let two = c.request(&mem("2Gi")).unwrap();
        let three = c.request(&mem("3Gi")).unwrap();
        let a = c.admit(&two).await;
        // 3Gi waits for 2Gi more; a later 1Gi request that would fit waits behind it.
        let big = c.admit(&three);
        tokio::pin!(big);
        assert!(big.as_mut().now_or_never().is_none());
        let small = c.admit(&c.request(&mem("1Gi")).unwrap());
        tokio::pin!(small);
        assert!(small.as_mut().now_or_never().is_none(), "a later request passed one waiting before it");
        drop(a);
        let big = big.await;
        assert!(small.as_mut().now_or_never().is_some(), "4Gi - 3Gi leaves room for 1Gi");
        drop(big);
    }

    #[test]
    fn a_waiter_that_gives_up_leaves_the_line() {
        let c = Capacity::new(1000, 2 << 30, 0);
        let all = c.request(&mem("2Gi")).unwrap();
        let held = c.admit(&all).now_or_never().unwrap();
        let mut waiting = Box::pin(c.admit(&all));
        assert!(waiting.as_mut().now_or_never().is_none());
        drop(waiting);
        drop(held);
        assert!(c.admit(&all).now_or_never().is_some(), "the capacity came back whole");
    }

    /// Counts its wakes.
    #[derive(Default)]
    struct Wakes(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_waiter_whose_place_in_line_is_gone_is_still_woken() {
        let c = Capacity::new(1000, 2 << 30, 0);
        let all = c.request(&mem("2Gi")).unwrap();
        let held = c.admit(&all).now_or_never().unwrap();
        let mut waiting = Box::pin(Admission { pool: c.pool.clone(), need: all.amounts, id: None });
        let wakes = Arc::new(Wakes::default());
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        // Its entry leaves the line behind its back; the next poll must leave a waker somewhere.
        c.pool.lock().waiting.clear();
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        drop(held);
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1, "a pending poll registered no waker");
        assert!(waiting.as_mut().poll(&mut cx).is_ready());
        assert!(c.pool.lock().waiting.is_empty());
    }

    #[test]
    fn under_load_capacity_is_never_exceeded_and_every_waiter_is_served() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let c = Arc::new(Capacity::new(4000, 8 << 30, 2));
        let held = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
        let max = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
        rt.block_on(async {
            let mut tasks = Vec::new();
            for i in 0..400u64 {
                let (c, held, max) = (c.clone(), held.clone(), max.clone());
                // A mix of sizes, a whole-capacity one among them, and some waiters that give up.
                let r = Request { amounts: [(i % 6) * 800, (i % 5) << 30, i % 3] };
                let r = if i % 97 == 0 { Request { amounts: [4000, 8 << 30, 2] } } else { r };
                tasks.push(tokio::spawn(async move {
                    let admitted = if i % 11 == 0 {
                        match tokio::time::timeout(std::time::Duration::from_micros(50), c.admit(&r)).await {
                            Ok(a) => a,
                            Err(_) => return,
                        }
                    } else {
                        c.admit(&r).await
                    };
                    for k in 0..3 {
                        let now = held[k].fetch_add(r.amounts[k], Ordering::SeqCst) + r.amounts[k];
                        max[k].fetch_max(now, Ordering::SeqCst);
                    }
                    tokio::task::yield_now().await;
                    for k in 0..3 {
                        held[k].fetch_sub(r.amounts[k], Ordering::SeqCst);
                    }
                    drop(admitted);
                }));
            }
            for t in tasks {
                tokio::time::timeout(std::time::Duration::from_secs(30), t)
                    .await
                    .expect("a waiter was never served")
                    .unwrap();
            }
        });
        assert!(max[0].load(Ordering::SeqCst) <= 4000 && max[1].load(Ordering::SeqCst) <= 8 << 30);
        assert!(max[2].load(Ordering::SeqCst) <= 2);
        // Everything came back: the whole capacity is free again.
        let all = Request { amounts: [4000, 8 << 30, 2] };
        assert!(c.admit(&all).now_or_never().is_some(), "capacity was lost");
    }
}
