//! Faults in the middle of hooked operations: a hook error or panic at a
//! random record of a random chunk, a connection killed by the server, a
//! COMMIT refused by a deferred constraint. Each time nothing of the
//! operation is written, the error says what happened, and the connection
//! (or the pool) works afterwards.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use diesel::prelude::*;
use hooks_diesel::pool::HookedConnectionManager;
use hooks_diesel::prelude::*;
use hooks_diesel::Config;
use hooks_tests::backend_suite;
use hooks_tests::models::Tally;
use hooks_tests::recorder::Seen;
use hooks_tests::rng::Rng;
use hooks_tests::schema::tallies;

/// Rows per chunk: small, so that a batch spans several chunks.
const CHUNK: usize = 7;
const ROWS: usize = 40;

/// Where and how a hook fails.
#[derive(Clone, Copy, Debug)]
struct Fault {
    event: Event,
    /// The record (its batch position) whose chunk fails.
    at: usize,
    panic: bool,
}

/// One hook per event; the one of `fault.event` fails when its chunk holds
/// the record at `fault.at`, by error or by panic.
fn faulty<C: hooks_diesel::hooks_core::Hosts<Tally>>(fault: Fault) -> Registry<C> {
    let fail = move |event: Event, positions: Vec<usize>| -> HookResult {
        if event != fault.event || !positions.contains(&fault.at) {
            return Ok(());
        }
        if fault.panic {
            panic!("hook panics at record {}", fault.at);
        }
        Err(HookError::msg(format!("hook fails at record {}", fault.at)))
    };
    let positions =
        |b: &Batch<Tally>| -> Vec<usize> { (0..b.len()).filter_map(|i| b.position(i)).collect() };
    let mut registry = Registry::new();
    for event in Event::ALL {
        registry = match event {
            Event::BeforeCreate => registry.with(
                Hook::before_create(move |_, b: &mut Batch<Tally>| fail(event, positions(b)))
                    .named("faulty"),
            ),
            Event::AfterCreate => registry.with(
                Hook::after_create(move |_, b: &Batch<Tally>| fail(event, positions(b)))
                    .named("faulty"),
            ),
            Event::BeforeUpdate => registry.with(
                Hook::before_update(move |_, b: &mut Batch<Tally>| fail(event, positions(b)))
                    .named("faulty"),
            ),
            Event::AfterUpdate => registry.with(
                Hook::after_update(move |_, b: &Batch<Tally>| fail(event, positions(b)))
                    .named("faulty"),
            ),
            Event::BeforeDelete => registry.with(
                Hook::before_delete(move |_, b: &mut Batch<Tally>| fail(event, positions(b)))
                    .named("faulty"),
            ),
            Event::AfterDelete => registry.with(
                Hook::after_delete(move |_, b: &Batch<Tally>| fail(event, positions(b)))
                    .named("faulty"),
            ),
        };
    }
    registry
}

mod killed {
    use super::*;

    backend_suite! {
    backends(postgres, mysql);

    /// A hook of the second chunk has the server end the connection: the
    /// operation fails, nothing is written, the pool hands out a working
    /// connection next.
    fn a_connection_killed_mid_operation_writes_nothing_and_the_pool_recovers(db) {
        let kill = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let url = db.url().to_string();
        let deferred = Seen::<usize>::new();
        let (killer, ran) = (kill.clone(), deferred.clone());
        let registry = Registry::new()
            .with(Hook::after_create(move |_, b: &Batch<Tally>| {
                if b.position(0) == Some(CHUNK) {
                    let statement = killer.lock().expect("kill statement").clone();
                    let mut admin = <Inner as diesel::Connection>::establish(&url).expect("admin");
                    diesel::sql_query(statement).execute(&mut admin)?;
                }
                Ok(())
            }))
            .with(Hook::after_create(move |_, b: &Batch<Tally>| { ran.push(b.len()); Ok(()) }).deferred());
        let manager = HookedConnectionManager::<Inner>::new(db.url(), registry)
            .with_config(Config::default().with_chunk_size(CHUNK));
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .unwrap();
        for round in 0..3 {
            let mut conn = pool.get().unwrap();
            *kill.lock().unwrap() = hooks_tests::kill_statement!(Inner, &mut *conn);
            let result = conn.bulk_create(
                (0..3 * CHUNK).map(|i| Tally::new(format!("r{round}-{i}"), 1)).collect(),
            );
            let error = result.expect_err("the connection was killed");
            let message = error.to_string().to_lowercase();
            assert!(
                message.contains("connection") || message.contains("gone away"),
                "the error says the connection was lost: {message}"
            );
            assert!(matches!(error, Error::Database(_)), "{error:?}");
            drop(conn);
            let count: i64 = tallies::table.count().get_result(&mut db.raw()).unwrap();
            assert_eq!(count, 0, "round {round}: nothing written");
            assert!(deferred.is_empty(), "no deferred hook after a failed operation");
        }
        // The pool replaced the dead connection.
        let mut conn = pool.get().unwrap();
        *kill.lock().unwrap() = String::new();
        let created = conn.bulk_create(vec![Tally::new("after", 1)]).unwrap();
        assert_eq!(created.len(), 1);
        assert_eq!(deferred.all(), [1]);
    }
    }
}

mod deferred_constraint {
    use diesel::pg::PgConnection;
    use hooks_tests::TestDb;

    use super::*;

    /// PostgreSQL checks `tallies.name` (UNIQUE DEFERRABLE INITIALLY
    /// DEFERRED) at COMMIT: a hooked create of a duplicate succeeds
    /// statement by statement and fails at its COMMIT.
    #[test]
    fn a_commit_refused_by_a_deferred_constraint_is_an_error_and_runs_no_commit_callback() {
        let db = TestDb::<PgConnection>::new();
        let seen = Seen::<&'static str>::new();
        let (deferred, committed, rolled_back) = (seen.clone(), seen.clone(), seen.clone());
        let registry = Registry::new()
            .with(
                Hook::after_create(move |_, _: &Batch<Tally>| {
                    deferred.push("deferred hook");
                    Ok(())
                })
                .deferred(),
            )
            .with(Hook::after_create(
                move |ctx: &mut HookContext<'_, HookedConnection<PgConnection>>,
                      _: &Batch<Tally>| {
                    let (committed, rolled_back) = (committed.clone(), rolled_back.clone());
                    ctx.conn().on_commit(move |_| {
                        committed.push("on_commit");
                        Ok(())
                    });
                    ctx.conn().on_rollback(move |_| {
                        rolled_back.push("on_rollback");
                        Ok(())
                    });
                    Ok(())
                },
            ));
        let mut conn = db.connect(registry);
        conn.create(Tally::new("taken", 1)).unwrap();
        assert_eq!(seen.all(), ["on_commit", "deferred hook"]);
        let count = |db: &TestDb<PgConnection>| -> i64 {
            tallies::table.count().get_result(&mut db.raw()).unwrap()
        };

        // A hooked operation of its own.
        let error = conn
            .bulk_create(vec![Tally::new("free", 1), Tally::new("taken", 2)])
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Database(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _
                ))
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("tallies_name_unique"), "{error}");
        assert_eq!(count(&db), 1, "nothing of the refused commit was written");
        assert_eq!(seen.all(), ["on_commit", "deferred hook", "on_rollback"]);

        // Inside a transaction helper: the operation's savepoint is
        // released, the COMMIT of the transaction fails.
        let error = conn
            .transaction_with_callbacks::<_, hooks_diesel::Error>(|conn| {
                conn.create(Tally::new("other", 1))?;
                conn.create(Tally::new("taken", 3))?;
                Ok(())
            })
            .unwrap_err();
        assert!(error.to_string().contains("tallies_name_unique"), "{error}");
        assert_eq!(count(&db), 1);
        assert_eq!(
            seen.all(),
            [
                "on_commit",
                "deferred hook",
                "on_rollback",
                "on_rollback",
                "on_rollback"
            ]
        );

        // The connection works.
        conn.create(Tally::new("next", 1)).unwrap();
        assert_eq!(count(&db), 2);
    }
}

backend_suite! {
    /// A statement that failed (a duplicate key) runs again, with hooks
    /// and without: on MySQL a prepared statement that failed keeps its
    /// error, and Diesel's cached one used to fail each later use with it,
    /// without being sent.
    fn a_statement_that_failed_runs_again(db) {
        let mut conn = db.connect(Registry::new().with(Hook::after_create(|_, _: &Batch<Tally>| Ok(()))));
        for (round, hooked) in [(1_i64, true), (2, false)] {
            let mut insert = |key: i64, name: &str| -> QueryResult<usize> {
                let statement = diesel::insert_into(tallies::table).values((
                    tallies::id.eq(round * 100 + key),
                    tallies::name.eq(format!("{name}{round}")),
                    tallies::version.eq(0),
                    tallies::total.eq(0),
                ));
                if hooked {
                    statement.execute(&mut conn)
                } else {
                    conn.without_hooks(|conn| statement.execute(conn))
                }
            };
            assert_eq!(insert(1, "first"), Ok(1));
            for attempt in 0..2 {
                let error = insert(1, &format!("again{attempt}-")).expect_err("the key exists");
                let message = error.to_string().to_lowercase();
                assert!(
                    message.contains("duplicate") || message.contains("unique"),
                    "round {round}, attempt {attempt}: {message}"
                );
            }
            assert_eq!(insert(2, "second"), Ok(1), "round {round}: a new key is written");
            let names: Vec<String> = tallies::table
                .filter(tallies::id.between(round * 100, round * 100 + 99))
                .order(tallies::id)
                .select(tallies::name)
                .load(&mut db.raw())
                .unwrap();
            assert_eq!(names, [format!("first{round}"), format!("second{round}")]);
        }
    }

    fn a_hook_error_or_panic_at_a_random_record_writes_nothing(db) {
        let stored: Vec<Tally> = db
            .connect(Registry::new())
            .bulk_create((0..ROWS).map(|i| Tally::new(format!("t{i}"), i as i64)).collect())
            .unwrap();
        let snapshot = || -> Vec<(String, i64, i64)> {
            tallies::table
                .order(tallies::id)
                .select((tallies::name, tallies::version, tallies::total))
                .load(&mut db.raw())
                .unwrap()
        };
        let before = snapshot();
        let mut rng = Rng::new(9);
        for round in 0..12 {
            let fault = Fault {
                event: Event::ALL[rng.below(6)],
                at: rng.below(ROWS),
                panic: rng.one_in(2),
            };
            let mut conn = db
                .connect(faulty(fault))
                .with_config(Config::default().with_chunk_size(CHUNK));
            let operation = rng.below(3);
            let outcome = catch_unwind(AssertUnwindSafe(|| match fault.event.operation() {
                Operation::Create => conn
                    .bulk_create((0..ROWS).map(|i| Tally::new(format!("new{round}-{i}"), 1)).collect())
                    .map(|_| ()),
                Operation::Update if operation == 0 => conn
                    .update_where::<Tally>(tallies::total.ge(0), tallies::total.eq(tallies::total + 1))
                    .map(|_| ()),
                Operation::Update => conn
                    .bulk_update(stored.iter().cloned().map(|mut t| { t.total += 100; t }).collect())
                    .map(|_| ()),
                Operation::Delete if operation == 0 => {
                    conn.delete_where::<Tally>(tallies::total.ge(0)).map(|_| ())
                }
                Operation::Delete => conn.bulk_delete(&stored).map(|_| ()),
            }));
            let what = format!("round {round}: {fault:?}");
            match outcome {
                Err(panic) => {
                    assert!(fault.panic, "{what}: unexpected panic");
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_default();
                    assert!(message.contains(&format!("record {}", fault.at)), "{what}: {message}");
                }
                Ok(Err(error)) => {
                    assert!(!fault.panic, "{what}: the panic was swallowed into {error}");
                    let message = error.to_string();
                    assert!(
                        message.contains("faulty") && message.contains(fault.event.name()),
                        "{what}: the error names the hook and event: {message}"
                    );
                    assert!(message.contains(&format!("record {}", fault.at)), "{what}: {message}");
                }
                Ok(Ok(())) => panic!("{what}: the operation succeeded"),
            }
            assert_eq!(snapshot(), before, "{what}: nothing partial written");
            // The connection is usable: no transaction left open.
            assert_eq!(conn.pending_callbacks(), 0);
            conn.without_hooks(|conn| conn.create(Tally::new(format!("ok{round}"), 0)))
                .unwrap_or_else(|e| panic!("{what}: connection unusable: {e}"));
            conn.without_hooks(|conn| conn.delete_where::<Tally>(tallies::name.eq(format!("ok{round}"))))
                .unwrap();
        }
    }
}
