//! Publishing: events are written with the transaction, or not at all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use hooks_diesel::hooks_core::Operation;
use hooks_diesel::{HookedConnection, Registry};
use hooks_outbox::schema::PENDING;
use hooks_outbox::{ChangeEvents, OutboxConnection, Publish};
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::schema::accounts;

use crate::common::{add_outbox, counts, rows};

/// Counts the statements writing into the outbox (`INSERT`, `COPY`) a
/// connection sends.
fn count_outbox_inserts<C: Connection>(conn: &mut C) -> Arc<AtomicUsize> {
    let inserts = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&inserts);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            if (sql.starts_with("INSERT INTO") || sql.starts_with("COPY"))
                && sql.contains("hooks_outbox")
            {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    inserts
}

backend_suite! {
    fn rolled_back_transaction_publishes_nothing(db) {
        add_outbox(&db);
        let mut conn = HookedConnection::new(db.raw(), Registry::new());
        let result = conn.transaction::<(), hooks_outbox::Error, _>(|conn| {
            conn.publish("mail", "user:1", &1)?;
            conn.publish("mail", "user:2", &2)?;
            assert_eq!(conn.unpublished(), 2);
            Err(diesel::result::Error::RollbackTransaction.into())
        });
        assert!(result.is_err());
        assert_eq!(counts(conn.inner_mut()), (0, 0), "no event after a rollback");
    }

    fn committed_transaction_writes_each_event_once(db) {
        add_outbox(&db);
        let mut conn = HookedConnection::new(db.raw(), Registry::new());
        conn.transaction::<(), hooks_outbox::Error, _>(|conn| {
            conn.publish("mail", "user:1", &serde_json::json!({"to": 1}))?;
            // A savepoint that rolls back drops its events; a released one
            // hands them on.
            let _ = conn.transaction::<(), hooks_outbox::Error, _>(|conn| {
                conn.publish("mail", "user:2", &2)?;
                Err(diesel::result::Error::RollbackTransaction.into())
            });
            conn.transaction::<(), hooks_outbox::Error, _>(|conn| conn.publish("mail", "user:3", &3))?;
            // Nothing is written before the commit.
            assert_eq!(conn.inner_mut().count_state(PENDING)?, 0);
            Ok(())
        })
        .expect("commit");
        let stored: Vec<(String, String, String)> = hooks_outbox::schema::hooks_outbox::table
            .select((
                hooks_outbox::schema::hooks_outbox::topic,
                hooks_outbox::schema::hooks_outbox::event_key,
                hooks_outbox::schema::hooks_outbox::payload,
            ))
            .order(hooks_outbox::schema::hooks_outbox::id)
            .load(conn.inner_mut())
            .expect("read");
        assert_eq!(
            stored,
            [
                ("mail".to_string(), "user:1".to_string(), r#"{"to":1}"#.to_string()),
                ("mail".to_string(), "user:3".to_string(), "3".to_string()),
            ]
        );
        assert!(rows(conn.inner_mut()).iter().all(|r| r.attempts == 0 && r.lease_owner.is_none()));
    }

    fn outside_a_transaction_an_event_is_written_at_once(db) {
        add_outbox(&db);
        let mut conn = HookedConnection::new(db.raw(), Registry::new());
        conn.publish("mail", "user:1", &1).expect("publish");
        assert_eq!(counts(conn.inner_mut()), (1, 0));
    }

    fn a_failed_write_of_the_events_rolls_the_transaction_back(db) {
        add_outbox(&db);
        let mut conn = HookedConnection::new(db.raw(), Registry::new());
        let result = conn.transaction::<(), hooks_outbox::Error, _>(|conn| {
            diesel::insert_into(accounts::table)
                .values(Account::new("ada", 1, "active"))
                .execute(conn)?;
            match BACKEND {
                // The outbox INSERT fails at the commit: SQLite takes any
                // value, so its table goes (DDL is transactional there)...
                hooks_tests::BackendKind::Sqlite => {
                    diesel::connection::SimpleConnection::batch_execute(conn, "DROP TABLE hooks_outbox")?;
                    conn.publish("mail", "k", &1)?;
                }
                // ...a NUL byte is no PostgreSQL text, 300 characters too
                // long for MySQL's VARCHAR(255).
                _ => conn.publish(&"t".repeat(300), "k\u{0}", &1)?,
            }
            Ok(())
        });
        assert!(result.is_err(), "the commit must fail with the outbox write");
        let accounts: i64 = accounts::table.count().get_result(conn.inner_mut()).expect("count");
        assert_eq!(accounts, 0, "the account rolled back with the events");
        assert_eq!(counts(conn.inner_mut()), (0, 0));
    }

    fn bulk_update_publishes_one_event_per_changed_record_one_insert_per_chunk(db) {
        add_outbox(&db);
        let registry = Registry::new().with_set(
            ChangeEvents::<Account>::new("accounts.status")
                .only(&[Operation::Update])
                .when(Account::STATUS.changed()),
        );
        let mut conn = HookedConnection::new(db.raw(), registry)
            .with_config(hooks_diesel::Config::default().with_chunk_size(1000));
        let created = conn
            .bulk_create((0..2500).map(|i| Account::new(format!("o{i}"), i, "active")).collect())
            .expect("create");
        let inserts = count_outbox_inserts(conn.inner_mut());
        let edited: Vec<Account> = created
            .iter()
            .map(|a| {
                let mut a = a.clone();
                if a.balance % 2 == 0 {
                    a.status = "closed".into(); // 1250 status changes
                } else {
                    a.balance += 1; // not a status change: no event
                }
                a
            })
            .collect();
        conn.bulk_update(edited).expect("update");
        let expected_inserts = if BACKEND == hooks_tests::BackendKind::Postgres { 1 } else { 2 };
        assert_eq!(inserts.load(Ordering::SeqCst), expected_inserts, "statements writing into the outbox");
        assert_eq!(counts(conn.inner_mut()), (1250, 0));

        let first = &created[0];
        let payload: String = hooks_outbox::schema::hooks_outbox::table
            .select(hooks_outbox::schema::hooks_outbox::payload)
            .order(hooks_outbox::schema::hooks_outbox::id)
            .first(conn.inner_mut())
            .expect("first event");
        let payload: serde_json::Value = serde_json::from_str(&payload).expect("json");
        assert_eq!(
            payload,
            serde_json::json!({
                "model": "Account",
                "kind": "update",
                "key": first.id,
                "changes": {"status": {"old": "active", "new": "closed"}},
            })
        );
    }
}
