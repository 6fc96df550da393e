//! Retries of failed deliveries: exponential backoff with jitter, capped,
//! and the number of attempts after which an event is dead.

use std::time::Duration;

/// When a failed event is tried again, and when it is given up.
///
/// The delay after attempt `n` (1, 2, ..) is `base * 2^(n-1)`, capped at
/// `max_delay`, less a random part of up to `jitter` of it (so that events
/// failed together do not come back together). After `max_attempts`
/// attempts the event is dead: kept in the table with its last error until
/// [`requeue_dead`](crate::requeue_dead) puts it back.
///
/// ```
/// use hooks_outbox::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default().jitter(0.0);
/// assert_eq!(policy.delay(1, 0.5), Duration::from_secs(1));
/// assert_eq!(policy.delay(4, 0.5), Duration::from_secs(8));
/// assert_eq!(policy.delay(30, 0.5), Duration::from_secs(300)); // capped
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts before an event is dead (counting the first). Default 10.
    pub max_attempts: u32,
    /// The delay after the first failure. Default 1 s.
    pub base: Duration,
    /// The longest delay. Default 5 minutes.
    pub max_delay: Duration,
    /// The share of the delay taken off at random, 0 to 1. Default 0.2.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// Sets [`max_attempts`](Self::max_attempts) (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first delay and the cap.
    #[must_use]
    pub fn backoff(mut self, base: Duration, max_delay: Duration) -> Self {
        self.base = base;
        self.max_delay = max_delay.max(base);
        self
    }

    /// Sets [`jitter`](Self::jitter) (clamped to 0..=1).
    #[must_use]
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter.clamp(0.0, 1.0);
        self
    }

    /// The delay after attempt `attempt` failed, `random` in `0..1`
    /// choosing how much jitter is taken off.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(40);
        let full = self
            .base
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let off = self.jitter * random.clamp(0.0, 1.0);
        full.mul_f64(1.0 - off)
    }
}

/// A small random number generator for jitter (xorshift; not for secrets).
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn seeded(salt: u64) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Jitter((nanos ^ salt.rotate_left(17) ^ u64::from(std::process::id())) | 1)
    }

    /// A number in `0..1`.
    pub(crate) fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_stop_at_the_cap() {
        let p = RetryPolicy::default()
            .backoff(Duration::from_millis(100), Duration::from_secs(1))
            .jitter(0.0);
        let delays: Vec<_> = (1..=6).map(|n| p.delay(n, 0.3).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_takes_off_at_most_its_share() {
        let p = RetryPolicy::default().jitter(0.5);
        let mut j = Jitter::seeded(7);
        for _ in 0..1000 {
            let d = p.delay(3, j.next());
            assert!(
                d <= Duration::from_secs(4) && d >= Duration::from_secs(2),
                "{d:?}"
            );
        }
    }
}
