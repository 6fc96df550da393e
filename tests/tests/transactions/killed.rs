//! Transactions the database or the program ends on its own: a dropped
//! connection, a terminated backend or killed connection, a COMMIT that
//! PostgreSQL turns into a rollback, a MySQL deadlock victim's rollback.
//! No on_commit callback runs and nothing is written.

use diesel::connection::{Connection, TransactionManager};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::recorder::Seen;

use super::{add_account, note};

backend_suite! {
    fn dropping_the_connection_mid_transaction_runs_no_callback_and_writes_nothing(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        <Conn as Connection>::TransactionManager::begin_transaction(&mut conn).unwrap();
        add_account(&mut conn, "never committed", 1);
        conn.on_commit(note(&seen, "on_commit"));
        conn.on_rollback(note(&seen, "on_rollback"));
        assert_eq!(conn.pending_callbacks(), 1);
        std::mem::drop(conn);
        assert!(seen.is_empty(), "dropping a connection runs no callback");
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }
}

mod postgres_only {
    use diesel::pg::PgConnection;
    use diesel::sql_types::Integer;
    use hooks_tests::TestDb;

    use super::*;

    #[test]
    fn a_terminated_backend_runs_no_on_commit_callback_and_writes_nothing() {
        let db = TestDb::<PgConnection>::new();
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let mut admin = db.raw();
        let result = conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "never committed", 1);
            conn.on_commit(note(&seen, "on_commit"));
            conn.on_rollback(note(&seen, "on_rollback"));
            let pid: i32 =
                diesel::select(diesel::dsl::sql::<Integer>("pg_backend_pid()")).get_result(conn)?;
            let killed: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &format!("pg_terminate_backend({pid})"),
            ))
            .get_result(&mut admin)?;
            assert!(killed);
            add_account_checked(conn)
        });
        assert!(result.is_err(), "the connection died mid-transaction");
        assert!(!seen.all().contains(&"on_commit"), "{:?}", seen.all());
        assert_eq!(conn.pending_callbacks(), 0);
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }

    fn add_account_checked(conn: &mut HookedConnection<PgConnection>) -> Result<(), DieselError> {
        diesel::sql_query("INSERT INTO accounts (owner, balance, status) VALUES ('b', 2, 'active')")
            .execute(conn)
            .map(|_| ())
    }

    #[test]
    fn a_commit_turned_into_a_rollback_runs_on_rollback_and_no_on_commit() {
        let db = TestDb::<PgConnection>::new();
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "rolled back by the server", 1);
            conn.on_commit(note(&seen, "on_commit"));
            conn.on_rollback(note(&seen, "on_rollback"));
            // An error swallowed inside the transaction aborts it.
            let swallowed = diesel::sql_query("SELECT 1 / 0").execute(conn);
            assert!(swallowed.is_err());
            Ok(())
        });
        assert!(result.is_ok(), "Diesel reports the COMMIT as a success");
        assert_eq!(seen.all(), ["on_rollback"]);
        assert_eq!(count_accounts!(&mut db.raw()), 0);
        // The connection is fine afterwards.
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "next"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["on_rollback", "next"]);
    }

    #[test]
    fn an_error_rolled_back_with_its_savepoint_does_not_doom_the_commit() {
        let db = TestDb::<PgConnection>::new();
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "committed", 1);
            conn.on_commit(note(&seen, "on_commit"));
            conn.on_rollback(note(&seen, "outer on_rollback: not run"));
            let failed = conn
                .transaction::<usize, _, _>(|conn| diesel::sql_query("SELECT 1 / 0").execute(conn));
            assert!(failed.is_err());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["on_commit"]);
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }
}

/// SQLite and MySQL end a transaction only when told to: a failed
/// statement fails alone, and the transaction commits what succeeded
/// (PostgreSQL aborts the transaction instead: see `postgres_only`).
mod swallowed_errors {
    use super::*;

    backend_suite! {
        backends(sqlite, mysql);

        fn a_swallowed_error_does_not_abort_the_transaction(db) {
            let seen = Seen::new();
            let mut conn = db.connect(Registry::new());
            conn.transaction::<_, DieselError, _>(|conn| {
                add_account(conn, "committed", 1);
                conn.on_commit(note(&seen, "on_commit"));
                conn.on_rollback(note(&seen, "on_rollback: not run"));
                let swallowed = diesel::sql_query("INSERT INTO no_such_table VALUES (1)").execute(conn);
                assert!(swallowed.is_err());
                Ok(())
            })
            .unwrap();
            assert_eq!(seen.all(), ["on_commit"]);
            assert_eq!(count_accounts!(&mut db.raw()), 1);
        }
    }
}

mod mysql_only {
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use diesel::connection::SimpleConnection;
    use diesel::mysql::MysqlConnection;
    use diesel::result::DatabaseErrorKind;
    use diesel::sql_types::{BigInt, Unsigned};
    use hooks_tests::TestDb;

    use super::*;
    use crate::exec;

    /// How long a thread waits for the other one's lock before failing.
    const WAIT: Duration = Duration::from_secs(30);

    #[test]
    fn a_killed_connection_runs_no_on_commit_callback_and_writes_nothing() {
        let db = TestDb::<MysqlConnection>::new();
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let mut admin = db.raw();
        let result = conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "never committed", 1);
            conn.on_commit(note(&seen, "on_commit"));
            conn.on_rollback(note(&seen, "on_rollback"));
            let id: u64 = diesel::select(diesel::dsl::sql::<Unsigned<BigInt>>("CONNECTION_ID()"))
                .get_result(conn)?;
            exec(&mut admin, &format!("KILL CONNECTION {id}"));
            diesel::sql_query(
                "INSERT INTO accounts (owner, balance, status) VALUES ('b', 2, 'active')",
            )
            .execute(conn)
            .map(|_| ())
        });
        assert!(result.is_err(), "the connection died mid-transaction");
        assert!(!seen.all().contains(&"on_commit"), "{:?}", seen.all());
        assert_eq!(conn.pending_callbacks(), 0);
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }

    /// InnoDB answers a deadlock by rolling back the whole transaction of
    /// its victim (not only the statement, as for other errors). A victim
    /// that swallows the error and returns `Ok` sends a COMMIT that has
    /// nothing left to commit: MySQL's form of PostgreSQL's COMMIT turned
    /// into a rollback, and no on_commit callback may run.
    #[test]
    fn a_deadlock_swallowed_inside_a_transaction_runs_on_rollback_and_no_on_commit() {
        let db = TestDb::<MysqlConnection>::new();
        {
            let mut raw = db.raw();
            add_account(&mut raw, "A", 100);
            add_account(&mut raw, "B", 100);
        }
        // By key: a row lock each (a filter on `owner`, not indexed, would
        // lock every row it scans).
        let id_of = |owner: &str| -> i64 {
            hooks_tests::schema::accounts::table
                .filter(hooks_tests::schema::accounts::owner.eq(owner))
                .select(hooks_tests::schema::accounts::id)
                .first(&mut db.raw())
                .unwrap()
        };
        let (a, b) = (id_of("A"), id_of("B"));
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let (a_locked, wait_a) = mpsc::channel();
        let (b_locked, wait_b) = mpsc::channel();
        let other = {
            let mut raw = db.raw();
            thread::spawn(move || {
                wait_a
                    .recv_timeout(WAIT)
                    .expect("the hooked transaction locked A");
                raw.batch_execute("BEGIN").unwrap();
                // InnoDB picks the transaction that wrote less as the
                // victim: this one writes more, so the hooked one loses.
                for i in 0..20 {
                    exec(
                        &mut raw,
                        &format!(
                            "INSERT INTO audit_log (account_id, action) VALUES ({i}, 'weight')"
                        ),
                    );
                }
                exec(
                    &mut raw,
                    &format!("UPDATE accounts SET balance = balance + 1 WHERE id = {b}"),
                );
                b_locked.send(()).unwrap();
                exec(
                    &mut raw,
                    &format!("UPDATE accounts SET balance = balance + 1 WHERE id = {a}"),
                );
                raw.batch_execute("COMMIT").unwrap();
            })
        };
        let result = conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "lost with the deadlock", 1);
            conn.on_commit(note(&seen, "on_commit"));
            conn.on_rollback(note(&seen, "on_rollback"));
            exec(
                conn,
                &format!("UPDATE accounts SET balance = balance - 1 WHERE id = {a}"),
            );
            a_locked.send(()).unwrap();
            wait_b
                .recv_timeout(WAIT)
                .expect("the other transaction locked B");
            let swallowed = diesel::sql_query(format!(
                "UPDATE accounts SET balance = balance - 1 WHERE id = {b}"
            ))
            .execute(conn);
            assert!(
                matches!(
                    swallowed,
                    Err(DieselError::DatabaseError(
                        DatabaseErrorKind::SerializationFailure,
                        _
                    ))
                ),
                "{swallowed:?}"
            );
            Ok(())
        });
        other.join().unwrap();
        assert!(
            result.is_ok(),
            "Diesel reports the COMMIT as a success: {result:?}"
        );
        assert_eq!(seen.all(), ["on_rollback"]);
        assert_eq!(conn.pending_callbacks(), 0);
        let owners: Vec<(String, i64)> = hooks_tests::schema::accounts::table
            .order(hooks_tests::schema::accounts::owner)
            .select((
                hooks_tests::schema::accounts::owner,
                hooks_tests::schema::accounts::balance,
            ))
            .load(&mut db.raw())
            .unwrap();
        assert_eq!(
            owners,
            [("A".to_string(), 101), ("B".to_string(), 101)],
            "only the other transaction committed"
        );
        // The connection is fine afterwards.
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "next"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["on_rollback", "next"]);
    }
}
