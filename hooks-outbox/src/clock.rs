//! Where workers read the time: the system clock, or a clock a test sets.
//!
//! Leases, backoff and dead-lettering compare times the worker computes
//! (never the database's `now()`), so a test can move time forward without
//! waiting. Times are UTC; in a deployment, the machines running workers
//! need clocks in step (leases are seconds long).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;

/// A source of the current UTC time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> NaiveDateTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        chrono::Utc::now().naive_utc()
    }
}

/// A clock that stands still until moved: for tests of backoff, leases and
/// dead-lettering.
///
/// ```
/// use hooks_outbox::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::starting_now();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!((clock.now() - before).num_seconds(), 60);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<NaiveDateTime>>);

impl ManualClock {
    /// A clock at `at`.
    pub fn at(at: NaiveDateTime) -> Self {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    /// A clock at the system's current time.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: NaiveDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `at + by`, saturating.
pub(crate) fn after(at: NaiveDateTime, by: Duration) -> NaiveDateTime {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|by| at.checked_add_signed(by))
        .unwrap_or(NaiveDateTime::MAX)
}
