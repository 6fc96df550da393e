//! The records an ordinary `INSERT .. VALUES` shows BEFORE_CREATE hooks
//! are read from its binds on the client where that is exact (PostgreSQL
//! and MySQL: a bind of the field's SQL type whose value binds back to the
//! same bytes), so no preview statement is sent for them; what rows leave
//! to the database (a generated key, a literal default) is previewed once
//! per connection. Everywhere else (SQLite, a value that is an expression,
//! a bind of another SQL type, a default that is not a constant) the
//! database previews the rows. The hooks see the same records either way.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::{Account, AuditEntry};
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::{accounts, audit_log};
use hooks_tests::BackendKind;

type Record = (i64, String, i64, String, Option<chrono::NaiveDateTime>);

/// Records every field of the records BEFORE_CREATE hooks see.
fn seeing<X: hooks_diesel::hooks_core::Hosts<Account>>(seen: &Seen<Record>) -> Registry<X> {
    let s = seen.clone();
    Registry::new().with(Hook::before_create(move |_, b: &mut Batch<Account>| {
        s.extend(b.news().map(|a| {
            (
                a.id,
                a.owner.clone(),
                a.balance,
                a.status.clone(),
                a.updated_at,
            )
        }));
        Ok(())
    }))
}

/// The statements that preview rows: a `SELECT` from `VALUES` rows
/// (`hooks_rows`), on MySQL a `SELECT` of cast values.
fn previews(statements: &Statements) -> usize {
    statements
        .sql()
        .iter()
        .filter(|s| s.contains(" AS hooks_rows") || s.starts_with("SELECT CAST(("))
        .count()
}

/// The statements Diesel adds to its prepared-statement cache.
#[derive(Clone, Default)]
struct Cached(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl diesel::connection::Instrumentation for Cached {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::CacheQuery { sql, .. } = event {
            self.0.lock().expect("not poisoned").push(sql.to_string());
        }
    }
}

fn placeholders(backend: BackendKind, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match backend {
            BackendKind::Postgres => format!("${i}"),
            _ => "?".to_string(),
        })
        .collect()
}

backend_suite! {
    fn binds_of_the_fields_types_are_read_on_the_client(db) {
        let seen = Seen::<Record>::new();
        let mut conn = db.connect(seeing(&seen));
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let stamp = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap().and_hms_micro_opt(1, 2, 3, 456_789).unwrap();
        let mut first = vec![Account::new("it's \"a\" \\ é", -7, "active"), Account::new("", i64::MAX, "idle")];
        first[1].updated_at = Some(stamp);
        diesel::insert_into(accounts::table).values(&first).execute(&mut conn).unwrap();
        let second = vec![Account::new("c", 3, "frozen")];
        diesel::insert_into(accounts::table).values(&second).execute(&mut conn).unwrap();
        let expected: Vec<Record> = first
            .iter()
            .chain(&second)
            .map(|a| (0, a.owner.clone(), a.balance, a.status.clone(), a.updated_at))
            .collect();
        assert_eq!(seen.all(), expected);
        // Client side: one preview of what rows leave to the database (the
        // key), kept for the second statement. SQLite: one per statement
        // (Diesel sends the row with a `None` on its own there: three).
        let expected_previews = match BACKEND {
            BackendKind::Sqlite => 3,
            _ => 1,
        };
        assert_eq!(previews(&statements), expected_previews, "{:?}", statements.sql());
        let stored: Vec<Record> = accounts::table
            .order(accounts::id)
            .select((accounts::id, accounts::owner, accounts::balance, accounts::status, accounts::updated_at))
            .load(&mut conn)
            .unwrap();
        let stored: Vec<Record> = stored.into_iter().map(|(_, o, b, s, u)| (0, o, b, s, u)).collect();
        assert_eq!(stored, expected);
    }

    fn an_expression_or_a_bind_of_another_type_is_previewed_by_the_database(db) {
        let seen = Seen::<Record>::new();
        let mut conn = db.connect(seeing(&seen));
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let p = placeholders(BACKEND, 3);
        // `balance` is a BIGINT column: an INTEGER bind is cast by the
        // database, as the INSERT would.
        diesel::sql_query(format!(
            "INSERT INTO accounts (owner, balance, status) VALUES ({}, {}, {})",
            p[0], p[1], p[2]
        ))
        .bind::<Text, _>("int")
        .bind::<Integer, _>(7)
        .bind::<Text, _>("active")
        .execute(&mut conn)
        .unwrap();
        let p = placeholders(BACKEND, 2);
        diesel::sql_query(format!(
            "INSERT INTO accounts (owner, balance, status) VALUES ({}, 2 + 3, {})",
            p[0], p[1]
        ))
        .bind::<Text, _>("expr")
        .bind::<Text, _>("idle")
        .execute(&mut conn)
        .unwrap();
        assert_eq!(
            seen.all(),
            [
                (0, "int".to_string(), 7, "active".to_string(), None),
                (0, "expr".to_string(), 5, "idle".to_string(), None),
            ]
        );
        // Each statement's rows previewed; on PostgreSQL and MySQL also the
        // record rows start from (once per connection), before the INTEGER
        // bind was found not to be the field's type.
        let expected_previews = match BACKEND {
            BackendKind::Sqlite => 2,
            _ => 3,
        };
        assert_eq!(previews(&statements), expected_previews, "{:?}", statements.sql());
        let balances: Vec<i64> = accounts::table.order(accounts::id).select(accounts::balance).load(&mut conn).unwrap();
        assert_eq!(balances, [7, 5]);
    }

    fn a_default_that_is_not_a_constant_is_previewed_each_time(db) {
        let seen = Seen::<(String, bool)>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::before_create(move |_, b: &mut Batch<AuditEntry>| {
            s.extend(b.news().map(|e| (e.action.clone(), e.created_at.and_utc().timestamp() > 0)));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        for action in ["one", "two"] {
            diesel::insert_into(audit_log::table)
                .values(&AuditEntry::new(1, action))
                .execute(&mut conn)
                .unwrap();
        }
        // `created_at` defaults to the current time: each statement's rows
        // are previewed by the database, which shows it.
        assert_eq!(seen.all(), [("one".to_string(), true), ("two".to_string(), true)]);
        assert_eq!(previews(&statements), 2, "{:?}", statements.sql());
        let count: i64 = audit_log::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 2);
    }

    fn a_preview_is_prepared_once(db) {
        let seen = Seen::<Record>::new();
        let mut conn = db.connect(seeing(&seen));
        let cached = Cached::default();
        conn.set_instrumentation(cached.clone());
        let p = placeholders(BACKEND, 4);
        // An expression value: previewed by the database on every backend.
        for owner in ["x", "y", "z"] {
            diesel::sql_query(format!(
                "INSERT INTO accounts (owner, balance, status) VALUES ({}, 1 + 1, {}), ({}, 2 + 2, {})",
                p[0], p[1], p[2], p[3]
            ))
            .bind::<Text, _>(owner)
            .bind::<Text, _>("idle")
            .bind::<Text, _>(owner)
            .bind::<Text, _>("active")
            .execute(&mut conn)
            .unwrap();
        }
        assert_eq!(seen.all().len(), 6);
        let previews = cached.0.lock().unwrap().iter().filter(|s| s.contains(" AS hooks_rows") || s.starts_with("SELECT CAST((")).count();
        // Three statements of one text: one preview statement prepared and
        // kept, on every backend and MySQL client.
        assert_eq!(previews, 1, "{:?}", cached.0.lock().unwrap());
    }
}
