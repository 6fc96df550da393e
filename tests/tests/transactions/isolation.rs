//! Transactions begun with options through the wrapper: PostgreSQL
//! isolation levels and read-only transactions, SQLite `BEGIN IMMEDIATE`,
//! and the write transactions of hooked operations.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::{IsolationLevel, TransactionOptions};
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Statements;

use super::add_account;

backend_suite! {
    fn options_inside_an_open_transaction_are_refused(db) {
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction::<_, Error, _>(|conn| {
            conn.transaction_with(TransactionOptions::new().isolation(IsolationLevel::Serializable), |_| Ok(()))
        });
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        // Without options, a nested call is a savepoint.
        conn.transaction::<_, Error, _>(|conn| {
            conn.transaction_with(TransactionOptions::new(), |conn| {
                add_account(conn, "in a savepoint", 1);
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }

    fn hooked_operations_nest_their_transaction_as_a_savepoint(db) {
        let statements = Statements::default();
        let mut conn = db.connect(Registry::new());
        conn.set_instrumentation(statements.clone());
        conn.transaction::<_, Error, _>(|conn| {
            statements.clear();
            conn.bulk_create(vec![Account::new("a", 1, "active")])?;
            Ok(())
        })
        .unwrap();
        assert_eq!(statements.count("SAVEPOINT"), 1, "{:?}", statements.sql());
        assert_eq!(statements.count("BEGIN"), 0, "{:?}", statements.sql());
    }
}

mod postgres_only {
    use diesel::pg::PgConnection;
    use diesel::sql_types::Text;
    use hooks_tests::TestDb;

    use super::*;

    #[derive(QueryableByName)]
    struct Isolation {
        #[diesel(sql_type = Text)]
        transaction_isolation: String,
    }

    #[derive(QueryableByName)]
    struct ReadOnly {
        #[diesel(sql_type = Text)]
        transaction_read_only: String,
    }

    fn isolation(conn: &mut HookedConnection<PgConnection>) -> Result<String, Error> {
        Ok(diesel::sql_query("SHOW transaction_isolation")
            .get_result::<Isolation>(conn)?
            .transaction_isolation)
    }

    #[test]
    fn isolation_levels_apply_to_the_transaction() {
        let db = TestDb::<PgConnection>::new();
        let mut conn = db.connect(Registry::new());
        for (level, shown) in [
            (IsolationLevel::Serializable, "serializable"),
            (IsolationLevel::RepeatableRead, "repeatable read"),
            (IsolationLevel::ReadCommitted, "read committed"),
        ] {
            let inside = conn
                .transaction_with(TransactionOptions::new().isolation(level), isolation)
                .unwrap();
            assert_eq!(inside, shown);
        }
        let plain = conn
            .transaction_with(TransactionOptions::new(), isolation)
            .unwrap();
        assert_eq!(plain, "read committed");
        let diesel_plain = conn.transaction::<_, Error, _>(isolation).unwrap();
        assert_eq!(diesel_plain, "read committed");
    }

    #[test]
    fn read_only_transactions_refuse_writes() {
        let db = TestDb::<PgConnection>::new();
        let mut conn = db.connect(Registry::new());
        let write = conn.transaction_with(TransactionOptions::new().read_only(), |conn| {
            let shown =
                diesel::sql_query("SHOW transaction_read_only").get_result::<ReadOnly>(conn)?;
            assert_eq!(shown.transaction_read_only, "on");
            Ok(diesel::sql_query(
                "INSERT INTO accounts (owner, balance, status) VALUES ('x', 1, 'y')",
            )
            .execute(conn)?)
        });
        assert!(write.unwrap_err().to_string().contains("read-only"));
        // Negative case: a plain transaction writes.
        conn.transaction_with(TransactionOptions::new(), |conn| {
            add_account(conn, "written", 1);
            Ok(())
        })
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }

    #[test]
    fn isolation_level_is_set_by_the_begin_statement() {
        let db = TestDb::<PgConnection>::new();
        let statements = Statements::default();
        let mut conn = db.connect(Registry::new());
        conn.set_instrumentation(statements.clone());
        conn.transaction_with(
            TransactionOptions::new().isolation(IsolationLevel::Serializable),
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(
            statements.sql()[0],
            "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE"
        );
    }
}

mod sqlite_only {
    use diesel::sqlite::SqliteConnection;
    use hooks_tests::TestDb;

    use super::*;

    #[test]
    fn immediate_takes_the_write_lock_at_begin() {
        let db = TestDb::<SqliteConnection>::new();
        let mut conn = db.connect(Registry::new());
        let mut other = db.raw();
        conn.transaction_with(TransactionOptions::new().immediate(), |_| {
            let refused = other.batch_execute("BEGIN IMMEDIATE");
            assert!(refused
                .unwrap_err()
                .to_string()
                .contains("database is locked"));
            Ok(())
        })
        .unwrap();
        // Negative case: a plain (deferred) transaction that has not written
        // yet holds no write lock.
        conn.transaction_with(TransactionOptions::new(), |_| {
            other
                .batch_execute("BEGIN IMMEDIATE")
                .expect("no lock taken yet");
            other.batch_execute("COMMIT").expect("commit");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn read_only_is_refused_and_isolation_levels_are_accepted() {
        let db = TestDb::<SqliteConnection>::new();
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction_with(TransactionOptions::new().read_only(), |_| Ok(()));
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        conn.transaction_with(
            TransactionOptions::new().isolation(IsolationLevel::Serializable),
            |conn| {
                add_account(conn, "serializable anyway", 1);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }

    #[test]
    fn hooked_operations_begin_immediate_outside_a_transaction() {
        let db = TestDb::<SqliteConnection>::new();
        let statements = Statements::default();
        let mut conn = db.connect(Registry::new());
        conn.set_instrumentation(statements.clone());
        conn.bulk_create(vec![Account::new("a", 1, "active")])
            .unwrap();
        assert_eq!(
            statements.count("BEGIN IMMEDIATE"),
            1,
            "{:?}",
            statements.sql()
        );
    }
}
