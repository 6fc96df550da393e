//! One worker's loop: claim, deliver, settle; wait when idle; give back
//! leases when stopping.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};

use super::sink::{Outcome, Sink};
use super::{Settings, Shared};
use crate::clock::after;
use crate::event::Event;
use crate::metrics::BatchCounts;
use crate::retry::Jitter;
use crate::store::{Claim, Failed, OutboxConnection};

pub(crate) struct Worker<C: OutboxConnection, S> {
    owner: String,
    settings: Settings,
    pool: Pool<ConnectionManager<C>>,
    shared: Arc<Shared>,
    sink: S,
    jitter: Jitter,
    last_reap: Option<Instant>,
}

impl<C: OutboxConnection, S: Sink<C>> Worker<C, S> {
    pub(crate) fn new(
        index: usize,
        settings: Settings,
        pool: Pool<ConnectionManager<C>>,
        shared: Arc<Shared>,
        sink: S,
    ) -> Self {
        Worker {
            owner: format!("{}-w{index}", settings.name),
            settings,
            pool,
            shared,
            sink,
            jitter: Jitter::seeded(index as u64),
            last_reap: None,
        }
    }

    pub(crate) fn run(mut self) {
        let _span = tracing::info_span!("hooks_outbox.worker", owner = %self.owner).entered();
        let mut conn: Option<PooledConnection<ConnectionManager<C>>> = None;
        while !self.shared.stop.load(Ordering::Relaxed) {
            let seen = self.shared.wake.generation();
            let c = match conn.as_mut() {
                Some(c) => c,
                None => match self.pool.get() {
                    Ok(c) => conn.insert(c),
                    Err(error) => {
                        tracing::warn!(%error, "outbox worker cannot get a connection; retrying");
                        self.shared.wake.wait(seen, Duration::from_secs(1));
                        continue;
                    }
                },
            };
            match self.step(c) {
                Ok(claimed) if claimed as i64 >= self.settings.batch_size => {}
                Ok(_) => self.shared.wake.wait(seen, self.settings.poll_interval),
                Err(error) => {
                    tracing::error!(%error, "outbox worker step failed; retrying with a new connection");
                    conn = None;
                    self.shared.wake.wait(seen, Duration::from_millis(200));
                }
            }
        }
        // Give back what this worker still holds.
        let released = conn
            .as_mut()
            .map(|c| c.release(&self.owner))
            .or_else(|| self.pool.get().ok().map(|mut c| c.release(&self.owner)));
        match released {
            Some(Ok(n)) if n > 0 => tracing::info!(released = n, "outbox worker gave back leases"),
            Some(Err(error)) => {
                tracing::warn!(%error, "outbox worker could not give back its leases; they end on their own")
            }
            _ => {}
        }
    }

    /// One claim and its delivery; returns how many events were claimed.
    fn step(&mut self, conn: &mut C) -> diesel::QueryResult<usize> {
        let now = self.settings.clock.now();
        self.reap_now_and_then(conn, now)?;
        let claim = Claim {
            owner: &self.owner,
            limit: self.settings.batch_size,
            now,
            lease_until: after(now, self.settings.lease),
            max_attempts: i32::try_from(self.settings.retry.max_attempts).unwrap_or(i32::MAX),
            ordered: self.settings.ordered,
        };
        let events = retrying(|| conn.claim(&claim))?;
        if events.is_empty() {
            return Ok(0);
        }
        let _span = tracing::debug_span!("hooks_outbox.batch", events = events.len()).entered();
        let mut counts = BatchCounts {
            claimed: events.len() as u64,
            lag_ms: events
                .iter()
                .map(|e| e.created_at)
                .min()
                .map_or(0, |oldest| (now - oldest).num_milliseconds().max(0) as u64),
            ..BatchCounts::default()
        };
        if self.sink.in_transaction() {
            // A deadlock or serialization failure rolls everything back,
            // effects included: run the batch again at once rather than
            // leave it leased until the lease ends.
            counts = retrying(|| {
                let mut fresh = BatchCounts {
                    claimed: counts.claimed,
                    lag_ms: counts.lag_ms,
                    ..BatchCounts::default()
                };
                conn.begin_short_transaction()?;
                conn.transaction(|conn| self.deliver_in_transaction(conn, &events, &mut fresh))?;
                Ok(fresh)
            })?;
        } else {
            let outcomes = self.sink.deliver(conn, &events, &self.shared.stop);
            retrying(|| self.settle(conn, &events, &outcomes, &mut counts))?;
        }
        self.shared.metrics.record(&counts);
        // Not while draining a backlog: each VACUUM reads the whole table
        // and its indexes, so it waits until a claim finds less than a
        // full batch.
        let caught_up = (events.len() as i64) < self.settings.batch_size;
        self.vacuum_now_and_then(conn, counts.delivered, caught_up);
        Ok(events.len())
    }

    /// Effects in the same database: the events still leased to this
    /// worker are locked, delivered, and removed in one transaction.
    fn deliver_in_transaction(
        &mut self,
        conn: &mut C,
        events: &[Event],
        counts: &mut BatchCounts,
    ) -> diesel::QueryResult<()> {
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        let held = conn.lock_leased(&ids, &self.owner)?;
        let owned: Vec<Event> = events
            .iter()
            .filter(|e| held.binary_search(&e.id).is_ok())
            .cloned()
            .collect();
        counts.lease_lost = (events.len() - owned.len()) as u64;
        let outcomes = self.sink.deliver(conn, &owned, &self.shared.stop);
        self.settle(conn, &owned, &outcomes, counts)
    }

    /// Removes delivered events, schedules or buries failed ones, gives
    /// back those not attempted.
    fn settle(
        &mut self,
        conn: &mut C,
        events: &[Event],
        outcomes: &[Outcome],
        counts: &mut BatchCounts,
    ) -> diesel::QueryResult<()> {
        let delivered: Vec<Event> = events
            .iter()
            .zip(outcomes)
            .filter(|(_, o)| **o == Outcome::Delivered)
            .map(|(e, _)| e.clone())
            .collect();
        if !delivered.is_empty() {
            if let Some(f) = &self.settings.on_delivered {
                f(&delivered);
            }
            let ids: Vec<i64> = delivered.iter().map(|e| e.id).collect();
            conn.complete(&ids)?;
            counts.delivered = ids.len() as u64;
        }
        let now = self.settings.clock.now();
        let (mut retried, mut dead_now) = (0, 0);
        let mut unattempted = false;
        for (event, outcome) in events.iter().zip(outcomes) {
            match outcome {
                Outcome::Delivered => {}
                Outcome::NotAttempted => unattempted = true,
                Outcome::Failed(error) => {
                    let attempts = u32::try_from(event.attempts).unwrap_or(0);
                    let dead = attempts >= self.settings.retry.max_attempts;
                    let delay = self.settings.retry.delay(attempts, self.jitter.next());
                    conn.fail(&Failed {
                        id: event.id,
                        dead,
                        next_at: after(now, delay),
                        error,
                    })?;
                    if dead {
                        dead_now += 1;
                        tracing::warn!(id = event.id, topic = %event.topic, attempts, %error, "outbox event dead");
                    } else {
                        retried += 1;
                        tracing::debug!(id = event.id, attempts, ?delay, %error, "outbox event will be retried");
                    }
                }
            }
        }
        (counts.retried, counts.dead) = (retried, dead_now);
        // Outcomes missing (a sink that answered fewer) count as not attempted.
        if unattempted || outcomes.len() < events.len() {
            counts.released = conn.release(&self.owner)? as u64;
        }
        Ok(())
    }

    /// Vacuums the table once `vacuum_every` events were removed since the
    /// last time and the workers have caught up, or ten times that many
    /// while a backlog drains (whichever worker sees it does it).
    fn vacuum_now_and_then(&mut self, conn: &mut C, removed: u64, caught_up: bool) {
        let every = self.settings.vacuum_every;
        if every == 0 {
            return;
        }
        let before = self
            .shared
            .since_vacuum
            .fetch_add(removed, Ordering::Relaxed);
        // While a backlog drains, only every tenfold mark: dead index
        // entries left for too long slow every claim down.
        let due = before + removed;
        if due < every || (!caught_up && due < every.saturating_mul(10)) {
            return;
        }
        self.shared.since_vacuum.store(0, Ordering::Relaxed);
        let started = Instant::now();
        match conn.vacuum() {
            Ok(()) => tracing::debug!(took = ?started.elapsed(), "outbox table vacuumed"),
            Err(error) => {
                self.shared
                    .since_vacuum
                    .store(u64::MAX / 2, Ordering::Relaxed);
                tracing::warn!(%error, "VACUUM of the outbox table failed; leaving it to autovacuum from now on");
            }
        }
    }

    /// Buries events whose lease ended on their last attempt, once per
    /// lease period.
    fn reap_now_and_then(
        &mut self,
        conn: &mut C,
        now: chrono::NaiveDateTime,
    ) -> diesel::QueryResult<()> {
        if self
            .last_reap
            .is_some_and(|at| at.elapsed() < self.settings.lease.min(Duration::from_secs(60)))
        {
            return Ok(());
        }
        self.last_reap = Some(Instant::now());
        let max = i32::try_from(self.settings.retry.max_attempts).unwrap_or(i32::MAX);
        let buried = conn.reap(max, now)?;
        if buried > 0 {
            tracing::warn!(
                buried,
                "outbox events dead: their lease ended on the last attempt"
            );
        }
        Ok(())
    }
}

/// Runs `f` again (up to 5 times in all) while it fails with a deadlock or
/// a serialization failure.
fn retrying<R>(mut f: impl FnMut() -> diesel::QueryResult<R>) -> diesel::QueryResult<R> {
    let mut tries = 1;
    loop {
        match f() {
            Err(error) if tries < 5 && hooks_diesel::is_retryable(&error) => {
                tracing::debug!(%error, tries, "outbox statement retried");
                std::thread::sleep(Duration::from_millis(5 * tries));
                tries += 1;
            }
            result => return result,
        }
    }
}
