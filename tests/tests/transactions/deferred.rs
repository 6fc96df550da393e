//! Deferred hooks: run after the outermost commit with the records they
//! captured, never on rollback.

use diesel::connection::TransactionManager;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;

use super::rollback;

/// A registry with a deferred AFTER create hook recording `(id, owner)`
/// and whether it ran outside any transaction.
fn deferred_registry<C>(seen: &Seen<(i64, String, bool)>) -> Registry<HookedConnection<C>>
where
    C: hooks_diesel::InnerConnection,
    Account: hooks_diesel::Writable<C::Backend>,
{
    let seen = seen.clone();
    Registry::new().with(
        Hook::after_create(move |ctx: &mut HookContext<'_, HookedConnection<C>>, b: &Batch<Account>| {
            let depth = <HookedConnection<C> as Connection>::TransactionManager::transaction_manager_status_mut(ctx.conn())
                .transaction_depth()?;
            let outside = depth.is_none();
            seen.extend(b.news().map(|a| (a.id, a.owner.clone(), outside)));
            Ok(())
        })
        .deferred(),
    )
}

fn new_accounts() -> Vec<Account> {
    vec![
        Account::new("a", 1, "active"),
        Account::new("b", 2, "active"),
    ]
}

backend_suite! {
    fn deferred_hooks_run_after_the_outermost_commit_with_the_stored_records(db) {
        let seen = Seen::new();
        let mut conn = db.connect(deferred_registry::<Inner>(&seen));
        let created = conn
            .transaction::<_, Error, _>(|conn| {
                let created = conn.bulk_create(new_accounts())?;
                assert!(seen.is_empty(), "deferred: not run inside the transaction");
                assert_eq!(conn.pending_callbacks(), 1);
                Ok(created)
            })
            .unwrap();
        let expected: Vec<_> = created.iter().map(|a| (a.id, a.owner.clone(), true)).collect();
        assert!(expected.iter().all(|(id, _, _)| *id > 0));
        assert_eq!(seen.all(), expected);
    }

    fn deferred_hooks_never_run_on_rollback(db) {
        let seen = Seen::new();
        let mut conn = db.connect(deferred_registry::<Inner>(&seen));
        let _ = conn.transaction::<(), _, _>(|conn| {
            conn.bulk_create(new_accounts()).map_err(|_| DieselError::RollbackTransaction)?;
            rollback()
        });
        let _ = conn.transaction::<(), DieselError, _>(|conn| {
            let _ = conn.transaction::<(), _, _>(|conn| {
                conn.bulk_create(new_accounts()).map_err(|_| DieselError::RollbackTransaction)?;
                rollback()
            });
            Ok(())
        });
        assert!(seen.is_empty());
        assert_eq!(conn.pending_callbacks(), 0);
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }

    fn a_hooked_operation_outside_a_transaction_runs_deferred_hooks_after_its_own_commit(db) {
        let seen = Seen::new();
        let mut conn = db.connect(deferred_registry::<Inner>(&seen));
        let created = conn.bulk_create(new_accounts()).unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen.all()[0].0, created[0].id);
    }

    fn a_failing_deferred_hook_is_a_callback_failure_after_the_commit(db) {
        let registry = Registry::new().with(
            Hook::after_create(|_, _: &Batch<Account>| Err(HookError::msg("search index unreachable")))
                .named("reindex")
                .deferred(),
        );
        let mut conn = db.connect(registry);
        let result = conn.bulk_create(new_accounts());
        let error = result.expect_err("a callback failed after the commit");
        assert!(error.is_committed());
        assert!(error.to_string().contains("committed"), "{error}");
        let created = match error {
            Error::Callback { failure, committed } => {
                assert!(failure.to_string().contains("reindex"), "{failure}");
                committed
                    .downcast::<Vec<Account>>()
                    .expect("the committed records are in the error")
            }
            other => panic!("expected a callback failure, got {other:?}"),
        };
        let stored: Vec<Account> = hooks_tests::schema::accounts::table
            .order(hooks_tests::schema::accounts::id)
            .select(Account::as_select())
            .load(&mut db.raw())
            .unwrap();
        assert_eq!(created, stored, "the commit stands, and the error carries it");
        // A single-row create carries the record.
        let Err(Error::Callback { committed, .. }) = conn.create(Account::new("one", 1, "active"))
        else {
            panic!("expected a callback failure");
        };
        let one = committed.downcast::<Account>().expect("the record is in the error");
        assert_eq!(one.owner, "one");
        assert!(one.id > 0);
    }

    fn a_failing_deferred_hook_of_a_set_based_update_carries_the_rows_written(db) {
        let registry = Registry::new().with(
            Hook::after_update(|_, _: &Batch<Account>| Err(HookError::msg("cache unreachable")))
                .deferred(),
        );
        let mut conn = db.connect(registry);
        conn.bulk_create(new_accounts()).unwrap();
        let error = conn
            .update_where::<Account>(
                hooks_tests::schema::accounts::balance.ge(0),
                hooks_tests::schema::accounts::status.eq("frozen"),
            )
            .expect_err("a callback failed after the commit");
        let Error::Callback { committed, .. } = error else {
            panic!("expected a callback failure, got {error:?}");
        };
        let rows = committed.downcast::<Vec<Account>>().expect("rows kept");
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|a| a.status == "frozen"));
        let error = conn
            .update_where_count::<Account>(
                hooks_tests::schema::accounts::balance.ge(0),
                hooks_tests::schema::accounts::status.eq("closed"),
            )
            .expect_err("a callback failed after the commit");
        let Error::Callback { committed, .. } = error else {
            panic!("expected a callback failure, got {error:?}");
        };
        assert_eq!(committed.downcast_ref::<usize>(), Some(&2));
    }
}
