//! A transactional outbox for hooks-diesel.
//!
//! Events published inside a transaction (from a hook, or any code on a
//! [`HookedConnection`](hooks_diesel::HookedConnection)) are written in the
//! same transaction, just before its `COMMIT`: rolled back, no event;
//! committed, the event is a row of `hooks_outbox`. Workers then deliver
//! them: to Rust [`Handlers`] in the process, or relayed to NATS JetStream
//! (feature `nats`) or RabbitMQ (feature `rabbitmq`).
//!
//! - [`Publish`]: `conn.publish(topic, key, &payload)`; [`ChangeEvents`]: a
//!   hook set publishing one event per changed record with its field diff.
//! - [`Outbox`]: worker threads on a connection pool claiming batches with
//!   `FOR UPDATE SKIP LOCKED` under a lease, retrying with backoff
//!   ([`RetryPolicy`]), burying events that keep failing (dead, kept with
//!   their last error, [`requeue_dead`] puts them back), optional per-key
//!   ordering, wake-ups by PostgreSQL `LISTEN/NOTIFY`.
//! - [`schema`]: the table, its SQL per backend and embedded migrations.
//!
//! Delivery is at least once: a worker that dies after delivering and
//! before removing the events has them delivered again once its lease
//! ends. Exactly once holds for a handler's writes to the same database
//! ([`Handlers::on_in_transaction`]), and for JetStream within its
//! de-duplication window (the event id is the message id).
//!
//! # Features
//!
//! `sqlite` (default), `postgres`, `mysql`, `bundled` (client libraries
//! built from source), `nats`, `rabbitmq`.

#![warn(missing_docs, unreachable_pub)]

mod changes;
mod clock;
mod error;
mod event;
mod metrics;
mod pick;
mod publish;
mod retry;
pub mod schema;
mod store;
mod worker;

#[cfg(any(feature = "nats", feature = "rabbitmq"))]
pub mod relay;

pub use changes::{ChangeEvents, PickError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use event::{Event, NewEvent, OutboxRow};
pub use metrics::{Metrics, MetricsSnapshot};
pub use publish::Publish;
pub use retry::RetryPolicy;
pub use store::{BackendKind, Claim, Failed, OutboxConnection};
pub use worker::{BoxError, Handlers, OnDelivered, Outbox, Outcome, Running, Sink};

/// Creates the outbox table on `conn` with the embedded migrations (a
/// no-op once done).
pub fn migrate<C: OutboxConnection>(conn: &mut C) -> Result<()> {
    conn.migrate_outbox()
}

/// Puts dead events back (all, or those of `ids`): pending, due now, no
/// attempts counted, their last error kept until the next delivery.
/// Returns how many.
pub fn requeue_dead<C: OutboxConnection>(conn: &mut C, ids: Option<&[i64]>) -> Result<usize> {
    Ok(conn.requeue_dead(ids, SystemClock.now())?)
}
