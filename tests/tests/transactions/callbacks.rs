//! `on_commit` / `on_rollback` with savepoint semantics.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::AuditEntry;
use hooks_tests::recorder::Seen;

use super::{add_account, exec, note, rollback};

backend_suite! {
    fn on_commit_runs_at_once_outside_a_transaction(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.on_commit(note(&seen, "now"));
        assert_eq!(seen.all(), ["now"]);
        assert_eq!(conn.pending_callbacks(), 0);
    }

    fn on_commit_waits_for_the_outermost_commit(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.transaction::<_, DieselError, _>(|conn| {
                conn.on_commit(note(&seen, "inner"));
                Ok(())
            })?;
            // The savepoint was released: nothing ran yet.
            assert!(seen.is_empty());
            assert_eq!(conn.pending_callbacks(), 1);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["inner"]);
        assert_eq!(conn.pending_callbacks(), 0);
    }

    fn on_commit_callbacks_run_in_registration_order(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "1"));
            conn.transaction::<_, DieselError, _>(|conn| {
                conn.on_commit(note(&seen, "2"));
                conn.transaction::<_, DieselError, _>(|conn| {
                    conn.on_commit(note(&seen, "3"));
                    Ok(())
                })
            })?;
            conn.on_commit(note(&seen, "4"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["1", "2", "3", "4"]);
    }

    fn rollback_drops_on_commit_callbacks(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction::<(), _, _>(|conn| {
            conn.on_commit(note(&seen, "never"));
            rollback()
        });
        assert!(result.is_err());
        assert!(seen.is_empty());
        assert_eq!(conn.pending_callbacks(), 0);
        // The next transaction does not inherit them.
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "next"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["next"]);
    }

    fn savepoint_rollback_drops_its_callbacks_and_those_nested_in_it(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "outer"));
            let _ = conn.transaction::<(), _, _>(|conn| {
                conn.on_commit(note(&seen, "savepoint"));
                conn.transaction::<_, DieselError, _>(|conn| {
                    conn.on_commit(note(&seen, "released inside it"));
                    Ok(())
                })?;
                rollback()
            });
            conn.transaction::<_, DieselError, _>(|conn| {
                conn.on_commit(note(&seen, "released"));
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(seen.all(), ["outer", "released"]);
    }

    fn on_rollback_runs_on_rollback_and_not_on_commit(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_rollback(note(&seen, "committed: not run"));
            Ok(())
        })
        .unwrap();
        assert!(seen.is_empty());
        let _ = conn.transaction::<(), _, _>(|conn| {
            conn.on_rollback(note(&seen, "rolled back"));
            conn.on_commit(note(&seen, "commit: not run"));
            rollback()
        });
        assert_eq!(seen.all(), ["rolled back"]);
    }

    fn on_rollback_of_a_savepoint_runs_when_that_savepoint_rolls_back(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_rollback(note(&seen, "outer: not run"));
            let _ = conn.transaction::<(), _, _>(|conn| {
                conn.on_rollback(note(&seen, "savepoint"));
                rollback()
            });
            assert_eq!(seen.all(), ["savepoint"], "runs right after the savepoint's rollback");
            conn.transaction::<_, DieselError, _>(|conn| {
                // Released: handed to the outer transaction, which commits.
                conn.on_rollback(note(&seen, "released: not run"));
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(seen.all(), ["savepoint"]);
    }

    fn released_savepoint_hands_on_rollback_to_a_parent_that_rolls_back(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let _ = conn.transaction::<(), _, _>(|conn| {
            conn.transaction::<_, DieselError, _>(|conn| {
                conn.on_rollback(note(&seen, "released"));
                Ok(())
            })?;
            assert!(seen.is_empty());
            rollback()
        });
        assert_eq!(seen.all(), ["released"]);
    }

    fn on_rollback_outside_a_transaction_is_dropped(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.on_rollback(note(&seen, "nothing to roll back"));
        conn.transaction::<(), _, _>(|_| rollback()).unwrap_err();
        assert!(seen.is_empty());
    }

    fn callbacks_may_query_and_open_transactions(db) {
        let seen = Seen::new();
        let inner_seen = seen.clone();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "a", 1);
            conn.on_commit(move |conn| {
                // The transaction is closed: this one is a new transaction.
                conn.transaction::<_, DieselError, _>(|conn| {
                    add_account(conn, "from callback", 2);
                    conn.on_commit(note(&inner_seen, "registered in a callback's transaction"));
                    Ok(())
                })?;
                // Outside any transaction: runs at once.
                conn.on_commit(note(&inner_seen, "registered by a callback"));
                let n = hooks_tests::schema::accounts::table.count().get_result::<i64>(conn)?;
                inner_seen.push(if n == 2 { "saw 2 rows" } else { "wrong count" });
                Ok(())
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen.all(),
            ["registered in a callback's transaction", "registered by a callback", "saw 2 rows"]
        );
        assert_eq!(count_accounts!(&mut db.raw()), 2);
        assert_eq!(conn.pending_callbacks(), 0);
    }

    fn callback_writing_through_hooked_operations_fires_their_hooks(db) {
        let hooks = Seen::<String>::new();
        let seen = hooks.clone();
        let registry = Registry::new().with(Hook::before_create(move |_, b: &mut Batch<AuditEntry>| {
            seen.extend(b.news().map(|e| e.action.clone()));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(|conn| {
                conn.bulk_create(vec![AuditEntry::new(1, "committed")])?;
                Ok(())
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(hooks.all(), ["committed"]);
        let actions: Vec<String> = hooks_tests::schema::audit_log::table
            .select(hooks_tests::schema::audit_log::action)
            .load(&mut db.raw())
            .unwrap();
        assert_eq!(actions, ["committed"]);
    }

    fn callbacks_are_cleared_after_they_run(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "first"));
            Ok(())
        })
        .unwrap();
        conn.transaction::<_, DieselError, _>(|conn| {
            assert_eq!(conn.pending_callbacks(), 0);
            conn.on_commit(note(&seen, "second"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["first", "second"]);
    }

    fn test_transactions_run_pending_callbacks_on_request(db) {
        let seen = Seen::new();
        let chained = seen.clone();
        let mut conn = db.connect(Registry::new());
        conn.begin_test_transaction().unwrap();
        conn.on_commit(note(&seen, "a"));
        conn.on_commit(move |conn| {
            // Still inside the test transaction: queued, and run as well.
            conn.on_commit(note(&chained, "registered while running"));
            Ok(())
        });
        conn.on_rollback(note(&seen, "on_rollback stays"));
        assert_eq!(conn.pending_callbacks(), 2);
        assert!(seen.is_empty(), "a test transaction never commits");
        assert_eq!(conn.run_pending_callbacks().unwrap(), 3);
        assert_eq!(seen.all(), ["a", "registered while running"]);
        assert_eq!(conn.pending_callbacks(), 0);
        assert_eq!(conn.run_pending_callbacks().unwrap(), 0);
    }

    fn clear_callbacks_drops_without_running(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "dropped"));
            conn.on_rollback(note(&seen, "dropped too"));
            conn.clear_callbacks();
            assert_eq!(conn.pending_callbacks(), 0);
            Ok(())
        })
        .unwrap();
        assert!(seen.is_empty());
    }
}

/// A COMMIT that fails: a deferred foreign key checked only at commit.
/// MySQL (InnoDB) has no deferred constraints (it checks foreign keys at
/// each statement and accepts no `DEFERRABLE`), so its COMMIT cannot fail
/// this way; its transaction the server ends on its own (a deadlock) is
/// tested in `killed.rs`.
mod deferred_constraints {
    use super::*;

    backend_suite! {
        backends(sqlite, postgres);

        fn deferred_constraint_failing_at_commit_runs_no_on_commit_callback(db) {
            exec(&mut db.raw(), "CREATE TABLE parents (id INTEGER PRIMARY KEY)");
            exec(
                &mut db.raw(),
                "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER \
                 REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)",
            );
            let seen = Seen::new();
            let mut conn = db.connect(Registry::new());
            if std::any::TypeId::of::<Inner>() == std::any::TypeId::of::<diesel::sqlite::SqliteConnection>() {
                // SQLite checks foreign keys only when asked to.
                diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA foreign_keys = ON").unwrap();
            }
            let result = conn.transaction::<_, DieselError, _>(|conn| {
                exec(conn, "INSERT INTO children (id, parent_id) VALUES (1, 42)");
                conn.on_commit(note(&seen, "commit: not run"));
                conn.on_rollback(note(&seen, "rolled back"));
                Ok(())
            });
            assert!(result.is_err(), "COMMIT checks the deferred constraint and fails");
            assert_eq!(seen.all(), ["rolled back"]);
            // Negative case: the same transaction with the parent commits.
            conn.transaction::<_, DieselError, _>(|conn| {
                exec(conn, "INSERT INTO parents (id) VALUES (42)");
                exec(conn, "INSERT INTO children (id, parent_id) VALUES (1, 42)");
                conn.on_commit(note(&seen, "committed"));
                Ok(())
            })
            .unwrap();
            assert_eq!(seen.all(), ["rolled back", "committed"]);
        }
    }
}
