//! Transactions begun with options through the wrapper: PostgreSQL and
//! MySQL isolation levels and read-only transactions, and the write
//! transactions of hooked operations (row locks on PostgreSQL and MySQL;
//! SQLite's write lock is `sqlite_write_lock.rs`).

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

/// Hooked writes lock the rows they read (`SELECT ... FOR UPDATE`) until
/// their transaction ends, and only those: probed from another connection
/// with `FOR UPDATE NOWAIT` while a hook runs. (SQLite locks the whole
/// database instead: see `sqlite_write_lock.rs`.)
mod row_locks {
    use std::sync::{Arc, Mutex};

    use hooks_tests::recorder::Seen;
    use hooks_tests::schema::accounts;

    use super::*;

    /// For each id, `None` when another connection can lock the row at
    /// once, else the error it got.
    fn probe<C>(other: &Mutex<C>, ids: &[i64]) -> Vec<Option<String>>
    where
        C: Connection,
        C::Backend: diesel::backend::DieselReserveSpecialization,
    {
        let mut other = other.lock().expect("probe connection");
        ids.iter()
            .map(|id| {
                diesel::sql_query(format!(
                    "SELECT id FROM accounts WHERE id = {id} FOR UPDATE NOWAIT"
                ))
                .execute(&mut *other)
                .err()
                .map(|e| e.to_string())
            })
            .collect()
    }

    backend_suite! {
        backends(postgres, mysql);

        fn hooked_updates_lock_exactly_the_rows_they_read(db) {
            let other = Arc::new(Mutex::new(db.raw()));
            let ids = Arc::new(Mutex::new(Vec::<i64>::new()));
            let seen = Seen::<Vec<Option<String>>>::new();
            let (probed, all, other_conn) = (seen.clone(), ids.clone(), other.clone());
            let registry = Registry::new().with(Hook::before_update(move |_, _: &mut Batch<Account>| {
                let ids = all.lock().expect("ids").clone();
                probed.push(probe(&other_conn, &ids));
                Ok(())
            }));
            let mut conn = db.connect(registry);
            let mut created = conn.bulk_create((1..=3).map(|i| Account::new(format!("o{i}"), i, "active")).collect()).unwrap();
            *ids.lock().unwrap() = created.iter().map(|a| a.id).collect();
            created[0].balance = 10;
            created[2].balance = 30;
            conn.bulk_update(vec![created[0].clone(), created[2].clone()]).unwrap();
            conn.update_where::<Account>(accounts::id.eq(created[1].id), accounts::balance.eq(20)).unwrap();
            let seen = seen.all();
            assert_eq!(seen.len(), 2, "{seen:?}");
            let locked: Vec<Vec<bool>> = seen.iter().map(|probes| probes.iter().map(Option::is_some).collect()).collect();
            assert_eq!(locked, [[true, false, true], [false, true, false]], "{seen:?}");
            for error in seen.iter().flatten().flatten() {
                assert!(error.to_lowercase().contains("lock"), "not a lock conflict: {error}");
            }
            // Negative case: after the operations, nothing is locked.
            let ids = ids.lock().unwrap().clone();
            assert_eq!(probe(&other, &ids), [None, None, None]);
        }
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
        let write = conn.transaction_with::<_, hooks_diesel::Error>(
            TransactionOptions::new().read_only(),
            |conn| {
                let shown =
                    diesel::sql_query("SHOW transaction_read_only").get_result::<ReadOnly>(conn)?;
                assert_eq!(shown.transaction_read_only, "on");
                Ok(diesel::sql_query(
                    "INSERT INTO accounts (owner, balance, status) VALUES ('x', 1, 'y')",
                )
                .execute(conn)?)
            },
        );
        assert!(write.unwrap_err().to_string().contains("read-only"));
        // Negative case: a plain transaction writes.
        conn.transaction_with::<_, hooks_diesel::Error>(TransactionOptions::new(), |conn| {
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
        conn.transaction_with::<_, hooks_diesel::Error>(
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

mod mysql_only {
    use diesel::mysql::MysqlConnection;
    use hooks_tests::TestDb;

    use super::*;

    /// Whether a plain read of every account in a transaction of `conn`
    /// begun with `options` keeps another connection from updating them.
    /// Under SERIALIZABLE InnoDB turns plain reads into shared locks; under
    /// the default REPEATABLE READ they take none. (MariaDB's
    /// `information_schema.innodb_trx` keeps showing a connection's first
    /// isolation level, so the level is checked by its effect.)
    fn reads_block_writers(
        conn: &mut HookedConnection<MysqlConnection>,
        other: &mut MysqlConnection,
        options: TransactionOptions,
    ) -> bool {
        use hooks_tests::schema::accounts;
        conn.transaction_with::<_, hooks_diesel::Error>(options, |conn| {
            let _: i64 = accounts::table.count().get_result(conn)?;
            Ok(diesel::update(accounts::table)
                .set(accounts::balance.eq(5))
                .execute(other)
                .is_err())
        })
        .unwrap()
    }

    #[test]
    fn isolation_levels_apply_to_the_transaction() {
        let db = TestDb::<MysqlConnection>::new();
        let mut conn = db.connect(Registry::new());
        add_account(&mut conn, "locked or not", 1);
        let mut other = db.raw();
        other
            .batch_execute("SET SESSION innodb_lock_wait_timeout = 1")
            .unwrap();
        let serializable = || TransactionOptions::new().isolation(IsolationLevel::Serializable);
        assert!(reads_block_writers(&mut conn, &mut other, serializable()));
        // The level applied to that transaction only: the next ones get the
        // server's default again, whose plain reads take no locks.
        assert!(!reads_block_writers(
            &mut conn,
            &mut other,
            TransactionOptions::new()
        ));
        let committed = TransactionOptions::new().isolation(IsolationLevel::ReadCommitted);
        assert!(!reads_block_writers(&mut conn, &mut other, committed));
        assert!(reads_block_writers(&mut conn, &mut other, serializable()));
    }

    #[test]
    fn read_only_transactions_refuse_writes() {
        let db = TestDb::<MysqlConnection>::new();
        let mut conn = db.connect(Registry::new());
        let write = conn.transaction_with::<_, hooks_diesel::Error>(
            TransactionOptions::new().read_only(),
            |conn| {
                Ok(diesel::sql_query(
                    "INSERT INTO accounts (owner, balance, status) VALUES ('x', 1, 'y')",
                )
                .execute(conn)?)
            },
        );
        let error = write.unwrap_err().to_string();
        assert!(error.to_lowercase().contains("read only"), "{error}");
        // Negative case: a plain transaction writes.
        conn.transaction_with::<_, hooks_diesel::Error>(TransactionOptions::new(), |conn| {
            add_account(conn, "written", 1);
            Ok(())
        })
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }

    #[test]
    fn immediate_is_accepted_and_changes_nothing() {
        let db = TestDb::<MysqlConnection>::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction_with::<_, hooks_diesel::Error>(
            TransactionOptions::new().immediate(),
            |conn| {
                add_account(conn, "row locks anyway", 1);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }
}
