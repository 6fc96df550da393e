//! Failing and panicking callbacks: the commit stands, the policy decides
//! whether the later callbacks run, the error reaches the caller of
//! `transaction_with_callbacks`, and nothing stale is left behind.

use std::panic::{catch_unwind, AssertUnwindSafe};

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use hooks_diesel::prelude::*;
use hooks_diesel::{CallbackFailures, Config};
use hooks_tests::backend_suite;
use hooks_tests::recorder::Seen;

use super::{add_account, note};

fn failing<C>(_: &mut HookedConnection<C>) -> Result<(), hooks_diesel::hooks_core::BoxError> {
    Err("the mail server is down".into())
}

backend_suite! {
    fn stop_returns_the_first_failure_and_drops_the_later_callbacks(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction_with_callbacks(|conn| {
            add_account(conn, "kept", 1);
            conn.on_commit(note(&seen, "before"));
            conn.on_commit(failing);
            conn.on_commit(note(&seen, "after: dropped"));
            Ok(())
        });
        match result {
            Err(Error::Callback { failure: e, .. }) => assert_eq!(e.to_string(), "the mail server is down"),
            other => panic!("expected a callback error, got {other:?}"),
        }
        assert_eq!(seen.all(), ["before"]);
        assert_eq!(count_accounts!(&mut db.raw()), 1, "the commit stands");
        // Nothing stale: the next transaction runs its own callbacks only.
        conn.transaction_with_callbacks::<_, hooks_diesel::Error>(|conn| {
            assert_eq!(conn.pending_callbacks(), 0);
            conn.on_commit(note(&seen, "next"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["before", "next"]);
    }

    fn plain_transaction_logs_a_callback_failure_and_returns_ok(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(failing);
            conn.on_commit(note(&seen, "after: dropped"));
            Ok(7)
        });
        assert_eq!(result.unwrap(), 7);
        assert!(seen.is_empty());
        conn.transaction::<_, DieselError, _>(|conn| {
            conn.on_commit(note(&seen, "next"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["next"]);
    }

    fn continue_runs_every_callback_and_returns_ok(db) {
        let seen = Seen::new();
        let mut conn = db
            .connect(Registry::new())
            .with_config(Config::default().with_callback_failures(CallbackFailures::Continue));
        conn.transaction_with_callbacks::<_, hooks_diesel::Error>(|conn| {
            conn.on_commit(note(&seen, "before"));
            conn.on_commit(failing);
            conn.on_commit(note(&seen, "after"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["before", "after"]);
    }

    fn a_failing_callback_run_at_once_is_returned_inside_transaction_with_callbacks(db) {
        let mut conn = db.connect(Registry::new());
        let result = conn.transaction_with_callbacks(|conn| {
            conn.on_commit(|conn| {
                // Runs after the commit, outside any transaction: at once.
                conn.on_commit(failing);
                Ok(())
            });
            Ok(())
        });
        assert!(matches!(result, Err(Error::Callback { .. })), "{result:?}");
    }

    fn transaction_with_callbacks_returns_the_closure_error_first(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let result: Result<(), Error> = conn.transaction_with_callbacks(|conn| {
            add_account(conn, "rolled back", 1);
            conn.on_commit(note(&seen, "not run"));
            Err(Error::Invalid("closure failed".into()))
        });
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        assert!(seen.is_empty());
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }

    fn a_panicking_callback_leaves_the_transaction_committed_and_closed(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction::<_, DieselError, _>(|conn| {
                add_account(conn, "kept", 1);
                conn.on_commit(|_| panic!("callback panics"));
                conn.on_commit(note(&seen, "after the panic: dropped"));
                Ok(())
            })
        }));
        assert!(panicked.is_err(), "the panic goes on to the caller");
        assert!(seen.is_empty());
        assert_eq!(count_accounts!(&mut db.raw()), 1, "committed before the callbacks ran");
        // The connection is usable, outside any transaction, with no stale callback.
        assert_eq!(conn.pending_callbacks(), 0);
        conn.transaction::<_, DieselError, _>(|conn| {
            add_account(conn, "next", 2);
            conn.on_commit(note(&seen, "next"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.all(), ["next"]);
        assert_eq!(count_accounts!(&mut db.raw()), 2);
        conn.on_commit(note(&seen, "outside: at once"));
        assert_eq!(seen.all(), ["next", "outside: at once"]);
    }

    fn a_panic_in_the_transaction_closure_rolls_back_transaction_with(db) {
        let seen = Seen::new();
        let mut conn = db.connect(Registry::new());
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction_with_callbacks(|conn| -> Result<(), Error> {
                add_account(conn, "rolled back", 1);
                conn.on_commit(note(&seen, "not run"));
                conn.on_rollback(note(&seen, "rolled back"));
                panic!("closure panics")
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(seen.all(), ["rolled back"]);
        assert_eq!(count_accounts!(&mut db.raw()), 0);
        conn.on_commit(note(&seen, "outside: at once"));
        assert_eq!(seen.all(), ["rolled back", "outside: at once"]);
    }
}
