//! Publishing: events staged in the transaction and written, one
//! multi-row statement per chunk, just before its outermost `COMMIT`.

use diesel::QueryResult;
use hooks_diesel::{BeforeCommit, HookedConnection, InnerConnection};
use serde::Serialize;

use crate::event::NewEvent;
use crate::store::OutboxConnection;
use crate::Result;

/// Every event a transaction published is written by one flush at its
/// commit, inside it (see [`BeforeCommit`]).
impl<C: OutboxConnection + InnerConnection> BeforeCommit<C> for NewEvent {
    fn flush(conn: &mut HookedConnection<C>, items: Vec<Self>) -> QueryResult<()> {
        let _span = tracing::debug_span!("hooks_outbox.write", events = items.len()).entered();
        // The outbox table has no hooks: its rows go straight to the
        // wrapped connection, in the same session and transaction.
        conn.inner_mut().insert_events(&items)
    }
}

/// Publishing on a [`HookedConnection`]: from a hook (`ctx.conn()`) or any
/// code inside a transaction on it.
///
/// - Events are kept with the transaction and written inside it just
///   before its outermost `COMMIT`, all of them in one multi-row
///   statement per chunk: rolled back, no event; committed, every event is
///   a row.
/// - An event published inside a savepoint that rolls back is dropped.
/// - Outside a transaction the event is written at once.
///
/// ```
/// use diesel::prelude::*;
/// use hooks_diesel::{HookedConnection, Registry};
/// use hooks_outbox::{OutboxConnection, Publish};
///
/// # let mut inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
/// inner.migrate_outbox()?;
/// let mut conn = HookedConnection::new(inner, Registry::new());
/// conn.transaction::<_, hooks_outbox::Error, _>(|conn| {
///     conn.publish("mail.welcome", "user:7", &serde_json::json!({ "user": 7 }))?;
///     Ok(())
/// })?;
/// let _ = conn.transaction::<(), hooks_outbox::Error, _>(|conn| {
///     conn.publish("mail.welcome", "user:8", &8)?;
///     Err(diesel::result::Error::RollbackTransaction.into())
/// });
/// assert_eq!(conn.inner_mut().count_state(hooks_outbox::schema::PENDING)?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Publish {
    /// Publishes one event with `payload` as JSON.
    fn publish<P: Serialize + ?Sized>(
        &mut self,
        topic: &str,
        key: impl Into<String>,
        payload: &P,
    ) -> Result<()>;

    /// Publishes several events (one staged entry, however many).
    fn publish_all(&mut self, events: Vec<NewEvent>) -> Result<()>;

    /// How many events wait for the commit.
    fn unpublished(&mut self) -> usize;
}

impl<C: OutboxConnection + InnerConnection> Publish for HookedConnection<C> {
    fn publish<P: Serialize + ?Sized>(
        &mut self,
        topic: &str,
        key: impl Into<String>,
        payload: &P,
    ) -> Result<()> {
        let event = NewEvent::new(topic, key, payload)?;
        Ok(self.stage(event)?)
    }

    fn publish_all(&mut self, events: Vec<NewEvent>) -> Result<()> {
        Ok(self.stage_all(events)?)
    }

    fn unpublished(&mut self) -> usize {
        self.staged::<NewEvent>()
    }
}
