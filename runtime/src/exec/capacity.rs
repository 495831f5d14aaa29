//! Resource-aware admission: an attempt starts only when its requests fit in what is free.
//!
//! The runtime's capacity (CPUs, memory, GPUs) is a set of fair semaphores, acquired in a fixed
//! order so two waiters never hold what the other needs. `ephemeral_storage` is carried in the
//! graph but not admitted locally.

use std::sync::Arc;

use flowmap_model::{ResourceKey, Resources};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::NodeError;

const KIB: u128 = 1024;

/// What one attempt takes from the capacity: millicores, KiB of memory, GPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    cpu_millis: u32,
    mem_kib: u32,
    gpus: u32,
}

impl Request {
    /// Nothing: the attempt is admitted at once.
    pub(crate) const NONE: Request = Request { cpu_millis: 0, mem_kib: 0, gpus: 0 };
}

/// The runtime's capacity.
#[derive(Debug)]
pub(crate) struct Capacity {
    cpu_millis: u64,
    mem_kib: u64,
    gpus: u64,
    cpu: Arc<Semaphore>,
    mem: Arc<Semaphore>,
    gpu: Arc<Semaphore>,
}

/// What an admitted attempt holds; released on drop, wherever it was moved (a timed-out sync
/// attempt's thread keeps it until the call really ends).
#[derive(Debug)]
pub(crate) struct Admitted {
    _permits: [Option<OwnedSemaphorePermit>; 3],
}

fn clamp(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS)
}

impl Capacity {
    pub(crate) fn new(cpu_millis: u64, mem_bytes: u64, gpus: u64) -> Self {
        let mem_kib = mem_bytes / 1024;
        Capacity {
            cpu_millis,
            mem_kib,
            gpus,
            cpu: Arc::new(Semaphore::new(clamp(cpu_millis))),
            mem: Arc::new(Semaphore::new(clamp(mem_kib))),
            gpu: Arc::new(Semaphore::new(clamp(gpus))),
        }
    }

    pub(crate) fn cpu_millis(&self) -> u64 {
        self.cpu_millis
    }

    pub(crate) fn mem_bytes(&self) -> u64 {
        self.mem_kib * 1024
    }

    pub(crate) fn gpus(&self) -> u64 {
        self.gpus
    }

    /// Reads `requests` and checks that it fits in the whole capacity.
    pub(crate) fn request(&self, requests: &Resources) -> Result<Request, NodeError> {
        let mut r = Request::NONE;
        for key in [ResourceKey::Cpu, ResourceKey::Mem, ResourceKey::Gpu] {
            let Some(q) = requests.get(key) else { continue };
            let (amount, capacity, shown) = match key {
                ResourceKey::Cpu => {
                    (q.millis(), u128::from(self.cpu_millis), format!("{} CPUs", fmt_millis(self.cpu_millis)))
                }
                ResourceKey::Mem => (
                    q.units().div_ceil(KIB),
                    u128::from(self.mem_kib),
                    format!("{} of memory", fmt_bytes(self.mem_bytes())),
                ),
                _ => (q.units(), u128::from(self.gpus), format!("{} GPUs", self.gpus)),
            };
            let fits = amount <= capacity;
            let amount = u32::try_from(amount).ok().filter(|_| fits).ok_or_else(|| NodeError::Unschedulable {
                resource: key.name(),
                requested: q.text().to_owned(),
                capacity: shown,
            })?;
            match key {
                ResourceKey::Cpu => r.cpu_millis = amount,
                ResourceKey::Mem => r.mem_kib = amount,
                _ => r.gpus = amount,
            }
        }
        Ok(r)
    }

    /// Waits until `request` fits in what is free, and takes it.
    pub(crate) async fn admit(&self, request: &Request) -> Admitted {
        if *request == Request::NONE {
            return Admitted { _permits: [None, None, None] };
        }
        async fn take(s: &Arc<Semaphore>, n: u32) -> Option<OwnedSemaphorePermit> {
            // The semaphores are never closed, so acquiring only fails if they were; then admit.
            if n == 0 { None } else { s.clone().acquire_many_owned(n).await.ok() }
        }
        let cpu = take(&self.cpu, request.cpu_millis).await;
        let mem = take(&self.mem, request.mem_kib).await;
        let gpu = take(&self.gpu, request.gpus).await;
        Admitted { _permits: [cpu, mem, gpu] }
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
    use futures_util::FutureExt;

    use super::*;

    fn res(key: ResourceKey, s: &str) -> Resources {
        Resources::from_entries([(key, flowmap_model::Quantity::parse(s).unwrap())])
    }

    fn mem(s: &str) -> Resources {
        res(ResourceKey::Mem, s)
    }

    #[test]
    fn requests_are_checked_against_the_whole_capacity() {
        let c = Capacity::new(4000, 4 << 30, 0);
        assert_eq!(c.request(&mem("2Gi")).unwrap().mem_kib, 2 << 20);
        let err = c.request(&mem("5Gi")).unwrap_err().to_string();
        assert!(err.contains("mem = \"5Gi\"") && err.contains("4Gi of memory"), "{err}");
        let gpu = res(ResourceKey::Gpu, "1");
        assert!(c.request(&gpu).unwrap_err().to_string().contains("0 GPUs"));
        let cpu = res(ResourceKey::Cpu, "500m");
        assert_eq!(c.request(&cpu).unwrap().cpu_millis, 500);
    }

    #[tokio::test]
    async fn admission_waits_for_free_capacity() {
        let c = Capacity::new(1000, 4 << 30, 0);
        let r = c.request(&mem("2Gi")).unwrap();
        let a = c.admit(&r).await;
        let b = c.admit(&r).await;
        // A third 2Gi request must wait until one is released.
        let third = c.admit(&r);
        tokio::pin!(third);
        assert!(third.as_mut().now_or_never().is_none());
        drop(a);
        assert!(third.as_mut().now_or_never().is_some());
        drop(b);
    }
}
