//! Counters of a running outbox: what was delivered, retried, dead, and
//! how far behind delivery is. Also emitted as `tracing` events (target
//! `hooks_outbox`), one per batch.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by an outbox's workers.
#[derive(Debug, Default)]
pub struct Metrics {
    claimed: AtomicU64,
    delivered: AtomicU64,
    retried: AtomicU64,
    dead: AtomicU64,
    released: AtomicU64,
    lease_lost: AtomicU64,
    lag_ms: AtomicU64,
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Events claimed (deliveries begun).
    pub claimed: u64,
    /// Events delivered and removed.
    pub delivered: u64,
    /// Failed deliveries that will be tried again.
    pub retried: u64,
    /// Events that became dead.
    pub dead: u64,
    /// Claimed events given back unattempted (stopping workers).
    pub released: u64,
    /// Events skipped in the transactional mode because their lease had
    /// passed to another worker.
    pub lease_lost: u64,
    /// Milliseconds between the writing of the last batch's oldest event
    /// and its claim.
    pub lag_ms: u64,
}

impl Metrics {
    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            claimed: self.claimed.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            dead: self.dead.load(Ordering::Relaxed),
            released: self.released.load(Ordering::Relaxed),
            lease_lost: self.lease_lost.load(Ordering::Relaxed),
            lag_ms: self.lag_ms.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn record(&self, batch: &BatchCounts) {
        self.claimed.fetch_add(batch.claimed, Ordering::Relaxed);
        self.delivered.fetch_add(batch.delivered, Ordering::Relaxed);
        self.retried.fetch_add(batch.retried, Ordering::Relaxed);
        self.dead.fetch_add(batch.dead, Ordering::Relaxed);
        self.released.fetch_add(batch.released, Ordering::Relaxed);
        self.lease_lost
            .fetch_add(batch.lease_lost, Ordering::Relaxed);
        self.lag_ms.store(batch.lag_ms, Ordering::Relaxed);
        tracing::debug!(
            target: "hooks_outbox",
            claimed = batch.claimed,
            delivered = batch.delivered,
            retried = batch.retried,
            dead = batch.dead,
            released = batch.released,
            lease_lost = batch.lease_lost,
            lag_ms = batch.lag_ms,
            "outbox batch"
        );
    }
}

/// What one batch came to.
#[derive(Debug, Default)]
pub(crate) struct BatchCounts {
    pub(crate) claimed: u64,
    pub(crate) delivered: u64,
    pub(crate) retried: u64,
    pub(crate) dead: u64,
    pub(crate) released: u64,
    pub(crate) lease_lost: u64,
    pub(crate) lag_ms: u64,
}
