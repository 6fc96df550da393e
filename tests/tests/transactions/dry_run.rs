//! Dry runs: hooks and writes happen and are counted, then rolled back.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use hooks_diesel::prelude::*;
use hooks_diesel::WriteCounts;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

use super::{add_account, note};

fn new_accounts(n: i64) -> Vec<Account> {
    (1..=n)
        .map(|i| Account::new(format!("n{i}"), i, "active"))
        .collect()
}

backend_suite! {
    fn dry_run_reports_what_would_be_written_and_writes_nothing(db) {
        let mut conn = db.connect(Registry::new());
        let existing = conn.bulk_create(new_accounts(2)).unwrap();
        let (seen_inside, report) = conn
            .dry_run(|conn| {
                conn.bulk_create(new_accounts(3))?;
                let mut changed = existing[0].clone();
                changed.balance = 100;
                conn.bulk_update(vec![changed])?;
                conn.bulk_delete(&existing[1..])?;
                Ok(accounts::table.count().get_result::<i64>(conn)?)
            })
            .unwrap();
        assert_eq!(seen_inside, 4, "the writes happened inside the dry run");
        assert_eq!(report.of::<Account>(), WriteCounts { created: 3, updated: 1, deleted: 1 });
        assert_eq!(report.total().total(), 5);
        assert!(!report.is_empty());
        let rows: Vec<Account> = accounts::table
            .order(accounts::id)
            .select(Account::as_select())
            .load(&mut db.raw())
            .unwrap();
        assert_eq!(rows, existing, "nothing written");
    }

    fn dry_run_runs_hooks_but_no_on_commit_callback_or_deferred_hook(db) {
        let hooks = Seen::<&'static str>::new();
        let (before, deferred) = (hooks.clone(), hooks.clone());
        let registry = Registry::new()
            .with(Hook::before_create(move |_, _: &mut Batch<Account>| {
                before.push("before_create");
                Ok(())
            }))
            .with(
                Hook::after_create(move |_, _: &Batch<Account>| {
                    deferred.push("deferred after_create");
                    Ok(())
                })
                .deferred(),
            );
        let mut conn = db.connect(registry);
        let ((), report) = conn
            .dry_run(|conn| {
                conn.bulk_create(new_accounts(1))?;
                conn.on_commit(note(&hooks, "on_commit"));
                conn.on_rollback(note(&hooks, "on_rollback"));
                Ok(())
            })
            .unwrap();
        assert_eq!(hooks.all(), ["before_create", "on_rollback"]);
        assert_eq!(report.of::<Account>().created, 1);
        assert_eq!(conn.pending_callbacks(), 0);
    }

    fn dry_run_returns_the_closure_error_and_rolls_back(db) {
        let mut conn = db.connect(Registry::new());
        let result = conn.dry_run(|conn| -> Result<(), Error> {
            conn.bulk_create(new_accounts(2))?;
            Err(Error::Invalid("stop".into()))
        });
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        assert_eq!(count_accounts!(&mut db.raw()), 0);
    }

    fn dry_run_does_not_count_writes_of_a_savepoint_that_rolled_back(db) {
        let mut conn = db.connect(Registry::new());
        let ((), report) = conn
            .dry_run(|conn| {
                let _ = conn.transaction::<(), _, _>(|conn| {
                    conn.bulk_create(new_accounts(5)).map_err(|_| DieselError::RollbackTransaction)?;
                    Err(DieselError::RollbackTransaction)
                });
                conn.transaction::<_, Error, _>(|conn| conn.bulk_create(new_accounts(2)))?;
                Ok(())
            })
            .unwrap();
        assert_eq!(report.of::<Account>(), WriteCounts { created: 2, updated: 0, deleted: 0 });
    }

    fn dry_run_inside_a_transaction_rolls_back_only_itself(db) {
        let mut conn = db.connect(Registry::new());
        conn.transaction::<_, Error, _>(|conn| {
            add_account(conn, "kept", 1);
            let ((), report) = conn.dry_run(|conn| {
                conn.bulk_create(new_accounts(3))?;
                Ok(())
            })?;
            assert_eq!(report.of::<Account>().created, 3);
            assert_eq!(count_accounts!(conn), 1);
            Ok(())
        })
        .unwrap();
        assert_eq!(count_accounts!(&mut db.raw()), 1);
    }

    fn writes_outside_a_dry_run_are_not_counted(db) {
        let mut conn = db.connect(Registry::new());
        conn.bulk_create(new_accounts(4)).unwrap();
        let ((), report) = conn.dry_run(|_| Ok(())).unwrap();
        assert!(report.is_empty());
        assert_eq!(report.to_string(), "nothing written");
        assert_eq!(count_accounts!(&mut db.raw()), 4);
    }
}
