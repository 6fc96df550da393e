//! The outbox's statements on MySQL and MariaDB.

use super::*;
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::sql_types::{BigInt, Integer, Timestamp};

impl OutboxConnection for MysqlConnection {
    const KIND: BackendKind = BackendKind::Mysql;

    values_insert!();

    fn claim(&mut self, claim: &Claim<'_>) -> QueryResult<Vec<Event>> {
        let sql = format!(
            "SELECT c.id, c.topic, c.event_key, c.payload, c.created_at, c.attempts + 1 AS attempts \
             FROM hooks_outbox c WHERE {} ORDER BY c.next_attempt_at, c.id LIMIT ? \
             FOR UPDATE SKIP LOCKED",
            due_filter(claim.ordered, "?", "?")
        );
        // READ COMMITTED: the per-key check reads what is committed now,
        // not a snapshot of an earlier claim.
        self.batch_execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")?;
        self.transaction(|conn| {
            let events: Vec<Event> = diesel::sql_query(sql)
                .bind::<Timestamp, _>(claim.now)
                .bind::<Integer, _>(claim.max_attempts)
                .bind::<Timestamp, _>(claim.now)
                .bind::<BigInt, _>(claim.limit)
                .load(conn)?;
            if events.is_empty() {
                return Ok(events);
            }
            let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
            diesel::update(t::hooks_outbox.filter(t::id.eq_any(&ids)))
                .set((
                    t::lease_owner.eq(claim.owner),
                    t::lease_expires_at.eq(claim.lease_until),
                    t::attempts.eq(t::attempts + 1),
                ))
                .execute(conn)?;
            Ok(events)
        })
        .map(|mut events: Vec<Event>| {
            events.sort_unstable_by_key(|e| e.id);
            events
        })
    }

    fn begin_short_transaction(&mut self) -> QueryResult<()> {
        self.batch_execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    }

    common_statements!(MYSQL, for_update);
}
