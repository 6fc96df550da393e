//! Deferred hooks: run after the outermost commit with the records they
//! captured, never on rollback.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;

use super::rollback;

/// A registry with a deferred AFTER create hook recording `(id, owner)`
/// and whether it ran inside a transaction.
fn deferred_registry<C>(seen: &Seen<(i64, String, bool)>) -> Registry<HookedConnection<C>>
where
    C: hooks_diesel::InnerConnection,
{
    let seen = seen.clone();
    Registry::new().with(
        Hook::after_create(move |ctx, b: &Batch<Account>| {
            let in_transaction = ctx.conn().pending_callbacks() > 0;
            seen.extend(b.news().map(|a| (a.id, a.owner.clone(), in_transaction)));
            Ok(())
        })
        .deferred(),
    )
}

fn new_accounts() -> Vec<Account> {
    vec![Account::new("a", 1, "active"), Account::new("b", 2, "active")]
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
        let expected: Vec<_> = created.iter().map(|a| (a.id, a.owner.clone(), false)).collect();
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
}
