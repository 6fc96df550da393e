//! The statements on the outbox table, per backend: [`OutboxConnection`].

use chrono::NaiveDateTime;
use diesel::connection::LoadConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

use crate::event::{Event, NewEvent, OutboxRow};
use crate::schema::hooks_outbox::dsl as t;
use crate::schema::{DEAD, PENDING};

/// Which database an [`OutboxConnection`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// PostgreSQL: any number of workers (`FOR UPDATE SKIP LOCKED`),
    /// wake-ups by `LISTEN/NOTIFY`.
    Postgres,
    /// MySQL 8 / MariaDB 10.6+: any number of workers (`FOR UPDATE SKIP
    /// LOCKED`), polling.
    Mysql,
    /// SQLite: one worker (the database has one writer), polling.
    Sqlite,
}

/// A failed delivery of event `id`: due again at `next_at`, or `dead`
/// (kept, not delivered again), with the sink's `error`.
#[derive(Clone, Debug)]
pub struct Failed<'a> {
    /// The event's id.
    pub id: i64,
    /// True when it has no attempts left.
    pub dead: bool,
    /// When it is due again (unless dead).
    pub next_at: NaiveDateTime,
    /// What the sink said.
    pub error: &'a str,
}

/// What a worker claims: up to `limit` due events, leased to `owner`
/// until `lease_until`.
#[derive(Clone, Debug)]
pub struct Claim<'a> {
    /// The worker's name, written as the lease owner.
    pub owner: &'a str,
    /// At most this many events.
    pub limit: i64,
    /// Now: events due at or before it whose lease (if any) ended.
    pub now: NaiveDateTime,
    /// When the lease ends.
    pub lease_until: NaiveDateTime,
    /// Events with this many attempts are not claimed (they are dead once
    /// their lease ends).
    pub max_attempts: i32,
    /// Only the earliest pending event of each key.
    pub ordered: bool,
}

/// A Diesel connection the outbox runs on: `PgConnection`,
/// `MysqlConnection` or `SqliteConnection` (features `postgres`, `mysql`,
/// `sqlite`). Each method is one statement (or one short transaction on
/// MySQL) on the `hooks_outbox` table; the workers and the publishing
/// functions use them, and they are public for tools and tests.
pub trait OutboxConnection:
    Connection + LoadConnection + R2D2Connection + Send + Sized + 'static
{
    /// Which backend this is.
    const KIND: BackendKind;

    /// Writes `events` (PostgreSQL: one `COPY .. FROM STDIN` for all of
    /// them; MySQL and SQLite: one multi-row `INSERT` per 1,000).
    fn insert_events(&mut self, events: &[NewEvent]) -> QueryResult<()>;

    /// Claims due events (see [`Claim`]) in `(next_attempt_at, id)` order,
    /// skipping rows other workers hold locked, and leases them: their
    /// attempts go up by one. Returned in id order.
    fn claim(&mut self, claim: &Claim<'_>) -> QueryResult<Vec<Event>>;

    /// Inside a transaction: locks the rows of `ids` (until the
    /// transaction ends) and returns the ids of those still leased to
    /// `owner`, in order.
    fn lock_leased(&mut self, ids: &[i64], owner: &str) -> QueryResult<Vec<i64>>;

    /// Reclaims the space of removed events (PostgreSQL: `VACUUM
    /// hooks_outbox`; elsewhere nothing: InnoDB purges deleted rows by
    /// itself, SQLite reuses free pages).
    fn vacuum(&mut self) -> QueryResult<()> {
        Ok(())
    }

    /// Called before a worker's delivery transaction begins (MySQL: READ
    /// COMMITTED for it, so that its locks are the rows it touches, never
    /// gaps).
    fn begin_short_transaction(&mut self) -> QueryResult<()> {
        Ok(())
    }

    /// Creates the outbox table with the embedded migrations (once; later
    /// runs do nothing).
    fn migrate_outbox(&mut self) -> crate::Result<()>;

    /// Removes delivered events.
    fn complete(&mut self, ids: &[i64]) -> QueryResult<usize>;

    /// Records a failed delivery: due again at its `next_at`, or dead.
    fn fail(&mut self, failed: &Failed<'_>) -> QueryResult<usize>;

    /// Gives back the leases `owner` holds (a stopping worker): the events
    /// are due at once, their unfinished attempt not counted.
    fn release(&mut self, owner: &str) -> QueryResult<usize>;

    /// Events whose lease ended on their last allowed attempt (their worker
    /// died each time) become dead.
    fn reap(&mut self, max_attempts: i32, now: NaiveDateTime) -> QueryResult<usize>;

    /// Dead events (all, or those of `ids`) become pending again, due at
    /// `now`, with no attempts counted. Returns how many.
    fn requeue_dead(&mut self, ids: Option<&[i64]>, now: NaiveDateTime) -> QueryResult<usize>;

    /// Events in `state` ([`PENDING`](crate::schema::PENDING) or
    /// [`DEAD`](crate::schema::DEAD)).
    fn count_state(&mut self, state: i16) -> QueryResult<i64>;

    /// Up to `limit` rows in id order: all, or those in `state`.
    fn rows(&mut self, state: Option<i16>, limit: i64) -> QueryResult<Vec<OutboxRow>>;
}

/// The statements written with Diesel's query builder, the same on every
/// backend but compiled per connection type.
macro_rules! common_statements {
    ($migrations:ident $(, $lock:ident)?) => {
        /// By primary key only: no other index is locked (`FOR UPDATE`
        /// where rows lock; on SQLite the transaction's write lock is the
        /// lock).
        fn lock_leased(&mut self, ids: &[i64], owner: &str) -> QueryResult<Vec<i64>> {
            let rows: Vec<(i64, Option<String>)> = t::hooks_outbox
                .filter(t::id.eq_any(ids))
                .select((t::id, t::lease_owner))
                .order(t::id)
                $(.$lock())?
                .load(self)?;
            Ok(held_by(rows, owner))
        }

        fn migrate_outbox(&mut self) -> crate::Result<()> {
            use diesel_migrations::MigrationHarness;
            self.run_pending_migrations(crate::schema::migrations::$migrations)
                .map(|_| ())
                .map_err(|e| crate::Error::Migration(e.to_string()))
        }

        fn complete(&mut self, ids: &[i64]) -> QueryResult<usize> {
            if ids.is_empty() {
                return Ok(0);
            }
            diesel::delete(t::hooks_outbox.filter(t::id.eq_any(ids))).execute(self)
        }

        fn fail(&mut self, failed: &Failed<'_>) -> QueryResult<usize> {
            diesel::update(t::hooks_outbox.find(failed.id))
                .set((
                    t::state.eq(if failed.dead { DEAD } else { PENDING }),
                    t::next_attempt_at.eq(failed.next_at),
                    t::lease_owner.eq(None::<String>),
                    t::lease_expires_at.eq(None::<NaiveDateTime>),
                    t::last_error.eq(Some(failed.error)),
                ))
                .execute(self)
        }

        fn release(&mut self, owner: &str) -> QueryResult<usize> {
            diesel::update(
                t::hooks_outbox
                    .filter(t::lease_owner.eq(owner))
                    .filter(t::state.eq(PENDING)),
            )
            .set((
                t::lease_owner.eq(None::<String>),
                t::lease_expires_at.eq(None::<NaiveDateTime>),
                t::attempts.eq(t::attempts - 1),
            ))
            .execute(self)
        }

        fn reap(&mut self, max_attempts: i32, now: NaiveDateTime) -> QueryResult<usize> {
            diesel::update(
                t::hooks_outbox
                    .filter(t::state.eq(PENDING))
                    .filter(t::attempts.ge(max_attempts))
                    .filter(t::lease_expires_at.le(now)),
            )
            .set((
                t::state.eq(DEAD),
                t::lease_owner.eq(None::<String>),
                t::lease_expires_at.eq(None::<NaiveDateTime>),
                t::last_error.eq(Some(
                    "the lease ended during the last allowed attempt: the worker died or \
                     overran its lease each time",
                )),
            ))
            .execute(self)
        }

        fn requeue_dead(&mut self, ids: Option<&[i64]>, now: NaiveDateTime) -> QueryResult<usize> {
            let changes = (
                t::state.eq(PENDING),
                t::attempts.eq(0),
                t::next_attempt_at.eq(now),
                t::lease_owner.eq(None::<String>),
                t::lease_expires_at.eq(None::<NaiveDateTime>),
            );
            match ids {
                Some(ids) => diesel::update(
                    t::hooks_outbox
                        .filter(t::state.eq(DEAD))
                        .filter(t::id.eq_any(ids)),
                )
                .set(changes)
                .execute(self),
                None => diesel::update(t::hooks_outbox.filter(t::state.eq(DEAD)))
                    .set(changes)
                    .execute(self),
            }
        }

        fn rows(&mut self, state: Option<i16>, limit: i64) -> QueryResult<Vec<OutboxRow>> {
            match state {
                Some(state) => t::hooks_outbox
                    .filter(t::state.eq(state))
                    .order(t::id)
                    .limit(limit)
                    .load(self),
                None => t::hooks_outbox.order(t::id).limit(limit).load(self),
            }
        }

        fn count_state(&mut self, state: i16) -> QueryResult<i64> {
            t::hooks_outbox
                .filter(t::state.eq(state))
                .count()
                .get_result(self)
        }
    };
}

/// The filter of a claim, after `WHERE`, with `{now}`, `{max}` standing for
/// the placeholders of now and of the attempt limit.
fn due_filter(ordered: bool, now: &str, max: &str) -> String {
    let mut sql = format!(
        "c.state = 0 AND c.next_attempt_at <= {now} AND c.attempts < {max} \
         AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= {now})"
    );
    if ordered {
        sql.push_str(
            " AND NOT EXISTS (SELECT 1 FROM hooks_outbox p \
             WHERE p.state = 0 AND p.event_key = c.event_key AND p.id < c.id)",
        );
    }
    sql
}

/// The ids of `rows` leased to `owner`.
fn held_by(rows: Vec<(i64, Option<String>)>, owner: &str) -> Vec<i64> {
    rows.into_iter()
        .filter(|(_, leased_to)| leased_to.as_deref() == Some(owner))
        .map(|(id, _)| id)
        .collect()
}

/// Rows per multi-row `INSERT` on MySQL and SQLite (3 binds each).
const VALUES_CHUNK: usize = 1000;

/// Multi-row `INSERT .. VALUES`, [`VALUES_CHUNK`] rows per statement.
#[cfg(any(feature = "mysql", feature = "sqlite"))]
macro_rules! values_insert {
    () => {
        fn insert_events(&mut self, events: &[NewEvent]) -> QueryResult<()> {
            for chunk in events.chunks(VALUES_CHUNK) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|e| {
                        (
                            t::topic.eq(e.topic.as_str()),
                            t::event_key.eq(e.key.as_str()),
                            t::payload.eq(e.payload.as_str()),
                        )
                    })
                    .collect();
                diesel::insert_into(t::hooks_outbox)
                    .values(rows)
                    .execute(self)?;
            }
            Ok(())
        }
    };
}

#[cfg(feature = "postgres")]
mod postgres;

#[cfg(feature = "mysql")]
mod mysql;

#[cfg(feature = "sqlite")]
mod sqlite;
