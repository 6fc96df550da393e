//! Retried transactions: deadlocks and serialization failures are retried
//! with backoff and a bound; callbacks of failed attempts never run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use hooks_diesel::prelude::*;
use hooks_diesel::{is_retryable, RetryPolicy, TransactionOptions};
use hooks_tests::backend_suite;
use hooks_tests::recorder::{Seen, Statements};

use super::{add_account, note};

fn quick(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
    }
}

fn serialization_failure() -> Error {
    Error::Database(DieselError::DatabaseError(
        DatabaseErrorKind::SerializationFailure,
        Box::new("could not serialize access due to concurrent update".to_string()),
    ))
}

backend_suite! {
    fn retries_serialization_failures_and_runs_only_the_last_attempts_callbacks(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let mut attempts = 0;
        let value = conn
            .retry_transaction(quick(5), |conn| {
                attempts += 1;
                add_account(conn, &format!("attempt {attempts}"), attempts);
                conn.on_commit(note(&seen, if attempts == 3 { "commit 3" } else { "commit of a failed attempt" }));
                if attempts < 3 {
                    return Err(serialization_failure());
                }
                Ok(attempts)
            })
            .unwrap();
        assert_eq!(value, 3);
        assert_eq!(seen.all(), ["commit 3"]);
        let owners: Vec<String> = hooks_tests::schema::accounts::table
            .select(hooks_tests::schema::accounts::owner)
            .load(&mut db.raw())
            .unwrap();
        assert_eq!(owners, ["attempt 3"]);
    }

    fn gives_up_after_max_attempts_with_the_last_error(db) {
        let mut conn = db.connect(Registry::new());
        let mut attempts = 0;
        let result: Result<(), Error> = conn.retry_transaction(quick(4), |_| {
            attempts += 1;
            Err(serialization_failure())
        });
        let error = result.unwrap_err();
        assert!(is_retryable(&error), "{error}");
        assert_eq!(attempts, 4);
    }

    fn does_not_retry_other_errors(db) {
        let mut conn = db.connect(Registry::new());
        let mut attempts = 0;
        let result: Result<(), Error> = conn.retry_transaction(quick(4), |conn| {
            attempts += 1;
            add_account(conn, "rolled back", 1);
            Err(Error::Invalid("not retryable".into()))
        });
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        assert_eq!(attempts, 1);
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }

    fn does_not_retry_a_failed_callback_after_the_commit(db) {
        let mut conn = db.connect(Registry::new());
        let mut attempts = 0;
        let result = conn.retry_transaction(quick(4), |conn| {
            attempts += 1;
            add_account(conn, "committed", 1);
            conn.on_commit(|_| Err(Box::new(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                Box::new("in a callback".to_string()),
            ))));
            Ok(())
        });
        assert!(matches!(result, Err(Error::Callback { .. })), "{result:?}");
        assert_eq!(attempts, 1);
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }

    fn refuses_to_run_inside_a_transaction(db) {
        let mut conn = db.connect(Registry::new());
        let mut called = false;
        let result = conn.transaction::<_, Error, _>(|conn| {
            conn.retry_transaction(quick(3), |_| {
                called = true;
                Ok(())
            })
        });
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        assert!(!called);
        let zero = conn.retry_transaction(quick(0), |_| Ok(()));
        assert!(matches!(zero, Err(Error::Invalid(_))), "{zero:?}");
    }
}

mod sqlite_only {
    use diesel::connection::SimpleConnection;
    use diesel::sqlite::SqliteConnection;
    use hooks_tests::TestDb;

    use super::*;

    #[test]
    fn database_is_locked_is_retried_up_to_the_bound() {
        let db = TestDb::<SqliteConnection>::new();
        let mut locker = db.raw();
        locker.batch_execute("BEGIN IMMEDIATE").unwrap();
        let statements = Statements::default();
        let mut conn = db.connect(Registry::new());
        conn.set_instrumentation(statements.clone());
        let mut called = false;
        let result =
            conn.retry_transaction_with(quick(3), TransactionOptions::new().immediate(), |_| {
                called = true;
                Ok(())
            });
        let error = result.unwrap_err();
        assert!(error.to_string().contains("database is locked"), "{error}");
        assert!(is_retryable(&error));
        assert_eq!(
            statements.count("BEGIN IMMEDIATE"),
            3,
            "{:?}",
            statements.sql()
        );
        assert!(!called);
        locker.batch_execute("COMMIT").unwrap();
        conn.retry_transaction_with(quick(3), TransactionOptions::new().immediate(), |conn| {
            add_account(conn, "after the lock", 1);
            Ok(())
        })
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }
}

/// Real deadlocks, on the backends with row locks: PostgreSQL aborts one
/// of the transactions with 40P01, MySQL (InnoDB) rolls one back with 1213.
/// (SQLite takes the write lock up front: see `sqlite_only`.)
mod deadlocks {
    use std::any::TypeId;
    use std::sync::Barrier;
    use std::thread;

    use diesel::connection::SimpleConnection;
    use diesel::r2d2::{CustomizeConnection, R2D2Connection};
    use hooks_diesel::pool::HookedConnectionManager;
    use hooks_diesel::InnerConnection;

    use super::*;

    fn is_postgres<C: 'static>() -> bool {
        TypeId::of::<C>() == TypeId::of::<diesel::pg::PgConnection>()
    }

    /// PostgreSQL: detect deadlocks after 10 ms instead of a second.
    /// (InnoDB detects them at once.)
    #[derive(Debug)]
    struct QuickDeadlocks;

    impl<C> CustomizeConnection<HookedConnection<C>, diesel::r2d2::Error> for QuickDeadlocks
    where
        C: InnerConnection + R2D2Connection + Send,
    {
        fn on_acquire(&self, conn: &mut HookedConnection<C>) -> Result<(), diesel::r2d2::Error> {
            if is_postgres::<C>() {
                // Superuser only; without it the test is only slower.
                let _ = conn.batch_execute("SET deadlock_timeout = '10ms'");
            }
            Ok(())
        }
    }

    /// A pause of a millisecond inside a transaction.
    fn pause<C: InnerConnection>(conn: &mut HookedConnection<C>) -> Result<(), Error> {
        let sql = if is_postgres::<C>() {
            "SELECT pg_sleep(0.001)"
        } else {
            "SELECT SLEEP(0.001)"
        };
        Ok(conn.batch_execute(sql)?)
    }

    /// Moves `amount` from `from` to `to`, locking `from` first.
    fn transfer<C>(
        conn: &mut HookedConnection<C>,
        from: i64,
        to: i64,
        amount: i64,
        between: Option<&Barrier>,
    ) -> Result<(), Error>
    where
        C: InnerConnection,
        C::Backend: diesel::backend::DieselReserveSpecialization,
    {
        diesel::sql_query(format!(
            "UPDATE accounts SET balance = balance - {amount} WHERE id = {from}"
        ))
        .execute(conn)?;
        if let Some(barrier) = between {
            barrier.wait();
        }
        diesel::sql_query(format!(
            "UPDATE accounts SET balance = balance + {amount} WHERE id = {to}"
        ))
        .execute(conn)?;
        Ok(())
    }

    backend_suite! {
        backends(postgres, mysql);

        fn deadlocked_transfers_converge_and_only_successful_attempts_run_callbacks(db) {
            const THREADS: usize = 8;
            const TRANSFERS: usize = 25;
            {
                let mut raw = db.raw();
                add_account(&mut raw, "A", 10_000);
                add_account(&mut raw, "B", 10_000);
            }
            let manager = HookedConnectionManager::<Inner>::new(db.url(), Registry::new());
            let pool = r2d2::Pool::builder()
                .max_size(THREADS as u32)
                .connection_customizer(Box::new(QuickDeadlocks))
                .build(manager)
                .unwrap();
            let policy = RetryPolicy {
                max_attempts: 1000,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(20),
            };
            let attempts = Arc::new(AtomicUsize::new(0));
            let commits = Arc::new(AtomicUsize::new(0));

            // 1. A forced deadlock: each of two transactions holds one row and
            //    waits for the other's; the database ends one (40P01, 1213).
            let barrier = Arc::new(Barrier::new(2));
            let forced: Vec<_> = [(1, 2), (2, 1)]
                .into_iter()
                .map(|(from, to)| {
                    let (pool, barrier) = (pool.clone(), barrier.clone());
                    let (attempts, commits) = (attempts.clone(), commits.clone());
                    thread::spawn(move || {
                        let mut conn = pool.get().unwrap();
                        let mut attempt = 0;
                        conn.retry_transaction(policy, |conn| {
                            attempt += 1;
                            attempts.fetch_add(1, Ordering::SeqCst);
                            let commits = commits.clone();
                            conn.on_commit(move |_| {
                                commits.fetch_add(1, Ordering::SeqCst);
                                Ok(())
                            });
                            transfer(conn, from, to, 1, (attempt == 1).then_some(&*barrier))
                        })
                    })
                })
                .collect();
            for t in forced {
                t.join().unwrap().unwrap();
            }
            assert_eq!(commits.load(Ordering::SeqCst), 2);
            assert!(
                attempts.load(Ordering::SeqCst) >= 3,
                "one of the two was a deadlock victim and retried"
            );

            // 2. Two sets of threads moving money in opposite directions.
            let workers: Vec<_> = (0..THREADS)
                .map(|i| {
                    let pool = pool.clone();
                    let (attempts, commits) = (attempts.clone(), commits.clone());
                    thread::spawn(move || {
                        let (from, to, amount) = if i % 2 == 0 { (1, 2, 3) } else { (2, 1, 5) };
                        let mut conn = pool.get().unwrap();
                        for _ in 0..TRANSFERS {
                            conn.retry_transaction(policy, |conn| {
                                attempts.fetch_add(1, Ordering::SeqCst);
                                let commits = commits.clone();
                                conn.on_commit(move |_| {
                                    commits.fetch_add(1, Ordering::SeqCst);
                                    Ok(())
                                });
                                pause(conn)?;
                                transfer(conn, from, to, amount, None)
                            })
                            .unwrap();
                        }
                    })
                })
                .collect();
            for t in workers {
                t.join().unwrap();
            }
            let successful = 2 + THREADS * TRANSFERS;
            assert_eq!(
                commits.load(Ordering::SeqCst),
                successful,
                "one callback per successful transaction"
            );
            assert!(attempts.load(Ordering::SeqCst) > successful);
            let per_direction = (THREADS / 2 * TRANSFERS) as i64;
            let balances: Vec<i64> = hooks_tests::schema::accounts::table
                .order(hooks_tests::schema::accounts::id)
                .select(hooks_tests::schema::accounts::balance)
                .load(&mut db.raw())
                .unwrap();
            assert_eq!(
                balances,
                [
                    10_000 - 3 * per_direction + 5 * per_direction,
                    10_000 + 3 * per_direction - 5 * per_direction
                ]
            );
        }
    }
}
