//! The outbox's statements on SQLite.

use super::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use diesel::sqlite::SqliteConnection;

impl OutboxConnection for SqliteConnection {
    const KIND: BackendKind = BackendKind::Sqlite;

    values_insert!();

    fn claim(&mut self, claim: &Claim<'_>) -> QueryResult<Vec<Event>> {
        let sql = format!(
            "UPDATE hooks_outbox SET lease_owner = ?1, lease_expires_at = ?2, \
             attempts = attempts + 1 \
             WHERE id IN (SELECT c.id FROM hooks_outbox c WHERE {} \
             ORDER BY c.next_attempt_at, c.id LIMIT ?5) \
             RETURNING id, topic, event_key, payload, created_at, attempts",
            due_filter(claim.ordered, "?3", "?4")
        );
        let mut events: Vec<Event> = diesel::sql_query(sql)
            .bind::<Text, _>(claim.owner)
            .bind::<Timestamp, _>(claim.lease_until)
            .bind::<Timestamp, _>(claim.now)
            .bind::<Integer, _>(claim.max_attempts)
            .bind::<BigInt, _>(claim.limit)
            .load(self)?;
        events.sort_unstable_by_key(|e| e.id);
        Ok(events)
    }

    common_statements!(SQLITE);
}
