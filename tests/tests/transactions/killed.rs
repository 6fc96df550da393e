//! Transactions the database or the program ends on its own: a dropped
//! connection, a terminated backend, a COMMIT that PostgreSQL turns into a
//! rollback. No on_commit callback runs and nothing is written.

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

mod sqlite_only {
    use diesel::sqlite::SqliteConnection;
    use hooks_tests::TestDb;

    use super::*;

    #[test]
    fn a_swallowed_error_does_not_abort_a_sqlite_transaction() {
        let db = TestDb::<SqliteConnection>::new();
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
