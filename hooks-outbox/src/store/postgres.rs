//! The outbox's statements on PostgreSQL.

use super::*;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

/// An outbox row as `COPY` writes it.
#[derive(Insertable)]
#[diesel(table_name = crate::schema::hooks_outbox, treat_none_as_default_value = false)]
struct CopyRow<'a> {
    topic: &'a str,
    event_key: &'a str,
    payload: &'a str,
}

impl OutboxConnection for PgConnection {
    const KIND: BackendKind = BackendKind::Postgres;

    fn insert_events(&mut self, events: &[NewEvent]) -> QueryResult<()> {
        // COPY .. FROM STDIN (binary): one statement for every event,
        // cheaper for the server than INSERT .. SELECT FROM unnest(..)
        // (about a tenth less time for the publish_overhead update).
        let rows: Vec<CopyRow<'_>> = events
            .iter()
            .map(|e| CopyRow {
                topic: &e.topic,
                event_key: &e.key,
                payload: &e.payload,
            })
            .collect();
        diesel::copy_from(t::hooks_outbox)
            .from_insertable(rows)
            .execute(self)?;
        Ok(())
    }

    fn claim(&mut self, claim: &Claim<'_>) -> QueryResult<Vec<Event>> {
        let sql = format!(
            // The claimed ids are materialized once: a subquery joined
            // to the UPDATE can be planned as the inner side of a nested
            // loop and re-run, locks and all, for every row of the
            // table (minutes at 350,000 events).
            "WITH due AS MATERIALIZED (SELECT c.id FROM hooks_outbox c WHERE {} \
             ORDER BY c.next_attempt_at, c.id LIMIT $5 FOR UPDATE SKIP LOCKED) \
             UPDATE hooks_outbox o SET lease_owner = $1, lease_expires_at = $2, \
             attempts = o.attempts + 1 \
             FROM due WHERE o.id = due.id \
             RETURNING o.id, o.topic, o.event_key, o.payload, o.created_at, o.attempts",
            due_filter(claim.ordered, "$3", "$4")
        );
        let mut events: Vec<Event> = self.transaction(|conn| {
            // Walk the claim index in order: a backlog inserted since
            // the last ANALYZE otherwise gets a bitmap scan of every
            // due row and a sort (56 ms instead of 6 for 200 of
            // 100,000 events).
            conn.batch_execute("SET LOCAL enable_bitmapscan = off")?;
            diesel::sql_query(sql)
                .bind::<Text, _>(claim.owner)
                .bind::<Timestamp, _>(claim.lease_until)
                .bind::<Timestamp, _>(claim.now)
                .bind::<Integer, _>(claim.max_attempts)
                .bind::<BigInt, _>(claim.limit)
                .load(conn)
        })?;
        events.sort_unstable_by_key(|e| e.id);
        Ok(events)
    }

    fn vacuum(&mut self) -> QueryResult<()> {
        self.batch_execute("VACUUM hooks_outbox")
    }

    common_statements!(POSTGRES, for_update);
}
