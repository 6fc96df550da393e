//! Hooked bulk, set-based and single-row writes, on every backend.
//!
//! The suite runs once per write style: its writes sent through the
//! library's operations (`sqlite::hooked::..`) and as the ordinary Diesel
//! statements an application would send through the hooked connection
//! (`sqlite::diesel::..`), which run the same hooks. Where the two differ
//! by design, a test branches on `WRITES` (and the backend) and says why.
//! What has no Diesel statement (`bulk_update`, `bulk_update_fields`, the
//! refusals of the library's operations) is tested in [`hooked_only`]; the
//! insert over the bind limit in [`bind_limit`].

use diesel::prelude::*;
use hooks_diesel::hooks_core::DispatchError;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::{Account, AuditEntry};
use hooks_tests::recorder::{assignments, Seen, Statements};
use hooks_tests::schema::{accounts, audit_log};
use hooks_tests::writes::{
    bulk_create, bulk_delete, create, delete, delete_where, save, update, update_where,
};
use hooks_tests::{BackendKind, Writes};

fn accounts(n: i64) -> Vec<Account> {
    (1..=n)
        .map(|i| {
            Account::new(
                format!("o{i}"),
                i,
                if i % 2 == 1 { "active" } else { "idle" },
            )
        })
        .collect()
}

backend_suite! {
    writes(hooked, diesel);

    fn creates_fill_keys_in_caller_order(db) {
        let seen = Seen::<(i64, String)>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<Account>| {
            s.extend(b.news().map(|a| (a.id, a.owner.clone())));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(5)).unwrap();
        assert_eq!(created.len(), 5);
        let owners: Vec<_> = created.iter().map(|a| a.owner.clone()).collect();
        assert_eq!(owners, ["o1", "o2", "o3", "o4", "o5"]);
        assert!(created.iter().all(|a| a.id > 0));
        assert!(created.windows(2).all(|w| w[0].id < w[1].id), "keys follow the caller's order");
        let rows: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(rows, created);
        let expected: Vec<(i64, String)> = created.iter().map(|a| (a.id, a.owner.clone())).collect();
        assert_eq!(seen.all(), expected, "AFTER_CREATE saw the stored keys, in order");
    }

    fn creates_read_back_database_defaults(db) {
        let seen = Seen::<chrono::NaiveDateTime>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<AuditEntry>| {
            s.extend(b.news().map(|e| e.created_at));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let entries = bulk_create!(conn, vec![AuditEntry::new(7, "opened"), AuditEntry::new(8, "closed")]).unwrap();
        assert_eq!(entries.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["opened", "closed"]);
        assert!(entries.iter().all(|e| e.id > 0));
        assert!(entries.iter().all(|e| e.created_at != chrono::NaiveDateTime::default()), "default filled back: {entries:?}");
        assert_eq!(seen.all(), entries.iter().map(|e| e.created_at).collect::<Vec<_>>(), "AFTER_CREATE saw the defaults");
    }

    fn empty_batches_do_nothing_and_run_no_hook(db) {
        let calls = Seen::<usize>::new();
        let (created, deleted) = (calls.clone(), calls.clone());
        let registry = Registry::new()
            .with(Hook::before_create(move |_, b: &mut Batch<Account>| { created.push(b.len()); Ok(()) }))
            .with(Hook::before_delete(move |_, b: &mut Batch<Account>| { deleted.push(b.len()); Ok(()) }));
        let mut conn = db.connect(registry);
        assert!(bulk_create!(conn, Vec::<Account>::new()).unwrap().is_empty());
        // No Diesel statement updates records field by field.
        assert!(conn.bulk_update(Vec::<Account>::new()).unwrap().is_empty());
        assert_eq!(bulk_delete!(conn, &Vec::<Account>::new()).unwrap(), 0);
        assert!(calls.is_empty());
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 0);
    }

    fn before_create_edits_are_written_and_after_create_sees_stored_rows(db) {
        let seen = Seen::<(i64, String)>::new();
        let after = seen.clone();
        let keys_before = Seen::<i64>::new();
        let k = keys_before.clone();
        let registry = Registry::new()
            .with(Hook::before_create(move |_, b: &mut Batch<Account>| {
                k.extend(b.news().map(|a| a.id));
                for a in b.news_mut() { a.status = format!("{}-checked", a.status); }
                Ok(())
            }))
            .with(Hook::after_create(move |_, b: &Batch<Account>| {
                after.extend(b.news().map(|a| (a.id, a.status.clone())));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(3)).unwrap();
        let statuses: Vec<String> = accounts::table.order(accounts::id).select(accounts::status).load(&mut conn).unwrap();
        assert_eq!(statuses, ["active-checked", "idle-checked", "active-checked"]);
        let expected: Vec<(i64, String)> = created.iter().map(|a| (a.id, a.status.clone())).collect();
        assert_eq!(seen.all(), expected);
        assert!(seen.all().iter().all(|(id, _)| *id > 0));
        // BEFORE_CREATE runs before anything is written, through
        // `bulk_create` and an ordinary insert alike: no key yet.
        assert_eq!(keys_before.all(), [0, 0, 0]);
    }

    fn before_create_rejections_are_collected_and_nothing_is_written(db) {
        let registry = Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            b.reject_where(|a, _| a.balance % 2 == 0, |a| format!("even balance {}", a.balance));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let err = bulk_create!(conn, accounts(5)).unwrap_err();
        match err {
            Error::Hook(DispatchError::Rejected { rejections, event, .. }) => {
                assert_eq!(event, Event::BeforeCreate);
                let found: Vec<(usize, &str)> = rejections.iter().map(|r| (r.position, r.reason.as_str())).collect();
                if (WRITES, BACKEND) == (Writes::Diesel, BackendKind::Sqlite) {
                    // Diesel sends a batch insert through a wrapper
                    // connection as one INSERT per row, in a transaction:
                    // hooks see batches of one, and the first rejected row
                    // (o2) fails the statement alone, at position 0 of its
                    // batch. The transaction rolls every row back.
                    assert_eq!(found, [(0, "even balance 2")]);
                } else {
                    assert_eq!(found, [(1, "even balance 2"), (3, "even balance 4")]);
                }
            }
            other => panic!("expected rejections, got {other}"),
        }
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 0);
    }

    fn after_hook_error_rolls_back_the_create(db) {
        let registry = Registry::new().with(
            Hook::after_create(|_, _: &Batch<Account>| Err(HookError::msg("ledger unavailable"))).named("ledger"),
        );
        let mut conn = db.connect(registry);
        let err = bulk_create!(conn, accounts(3)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("ledger") && text.contains("AFTER_CREATE") && text.contains("Account"), "{text}");
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 0);
    }

    fn a_hook_error_stops_later_hooks(db) {
        let later = Seen::<usize>::new();
        let l = later.clone();
        let registry = Registry::new()
            .with(Hook::before_create(|_, _: &mut Batch<Account>| Err(HookError::msg("no"))).priority(Priority::HIGH))
            .with(Hook::before_create(move |_, b: &mut Batch<Account>| { l.push(b.len()); Ok(()) }));
        let mut conn = db.connect(registry);
        assert!(bulk_create!(conn, accounts(2)).is_err());
        assert!(later.is_empty());
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 0);
    }

    fn set_based_updates_hand_hooks_computed_values(db) {
        let pairs = Seen::<(i64, i64, String, String)>::new();
        let p = pairs.clone();
        let registry = Registry::new().with(Hook::after_update(move |_, b: &Batch<Account>| {
            p.extend(b.iter().map(|(n, o)| {
                let o = o.expect("old row");
                (o.balance, n.balance, o.status.clone(), n.status.clone())
            }));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(6)).unwrap();
        let filter = accounts::status.eq("active");
        let changes = (accounts::status.eq("frozen"), accounts::balance.eq(accounts::balance * 10));
        match WRITES {
            Writes::Hooked => {
                let rows = conn.update_where::<Account>(filter, changes).unwrap();
                assert!(rows.windows(2).all(|w| w[0].id < w[1].id), "primary-key order");
                assert_eq!(rows.iter().map(|a| (a.id, a.balance)).collect::<Vec<_>>(), [(created[0].id, 10), (created[2].id, 30), (created[4].id, 50)]);
            }
            // An ordinary update sent with `execute` gives the row count,
            // not the rows.
            Writes::Diesel => {
                let n = diesel::update(accounts::table.filter(filter)).set(changes).execute(&mut conn).unwrap();
                assert_eq!(n, 3);
            }
        }
        assert_eq!(pairs.all(), [
            (1, 10, "active".into(), "frozen".into()),
            (3, 30, "active".into(), "frozen".into()),
            (5, 50, "active".into(), "frozen".into()),
        ]);
        let stored: Vec<(i64, String)> = accounts::table.order(accounts::id).select((accounts::balance, accounts::status)).load(&mut conn).unwrap();
        assert_eq!(stored, [
            (10, "frozen".into()), (2, "idle".into()), (30, "frozen".into()),
            (4, "idle".into()), (50, "frozen".into()), (6, "idle".into()),
        ]);
    }

    fn set_based_update_with_a_subquery_and_before_hook_edits(db) {
        let registry = Registry::new().with(Hook::before_update(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() { a.owner = format!("{}+", a.owner); }
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(4)).unwrap();
        bulk_create!(conn, vec![AuditEntry::new(created[1].id, "flag"), AuditEntry::new(created[3].id, "flag")]).unwrap();
        let flagged = audit_log::table.select(audit_log::account_id);
        let n = update_where!(conn, Account, accounts::id.eq_any(flagged), accounts::balance.eq(accounts::balance + 1)).unwrap();
        assert_eq!(n, 2);
        let rows: Vec<(i64, String, i64)> = accounts::table.order(accounts::id).select((accounts::id, accounts::owner, accounts::balance)).load(&mut conn).unwrap();
        assert_eq!(rows, [
            (created[0].id, "o1".to_string(), 1),
            (created[1].id, "o2+".to_string(), 3),
            (created[2].id, "o3".to_string(), 3),
            (created[3].id, "o4+".to_string(), 5),
        ]);
    }

    fn set_based_operations_dispatch_once_per_chunk(db) {
        let batches = Seen::<usize>::new();
        let deleted = Seen::<i64>::new();
        let (b1, d1) = (batches.clone(), deleted.clone());
        let registry = Registry::new()
            .with(Hook::after_update(move |_, b: &Batch<Account>| { b1.push(b.len()); Ok(()) }))
            .with(Hook::after_delete(move |_, b: &Batch<Account>| { d1.extend(b.olds().map(|a| a.balance)); Ok(()) }));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 3;
        bulk_create!(conn, accounts(10)).unwrap();
        let n = update_where!(conn, Account, accounts::balance.gt(0), accounts::balance.eq(accounts::balance + 1)).unwrap();
        assert_eq!(n, 10);
        assert_eq!(batches.all(), [3, 3, 3, 1]);
        let gone = delete_where!(conn, Account, accounts::balance.gt(5)).unwrap();
        assert_eq!(gone, 6);
        assert_eq!(deleted.all(), [6, 7, 8, 9, 10, 11]);
        let left: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(left, 4);
    }

    fn deletes_of_records_hand_stored_rows_to_hooks(db) {
        let seen = Seen::<(i64, String)>::new();
        let s = seen.clone();
        let registry = Registry::new()
            .with(Hook::after_delete(move |_, b: &Batch<Account>| { s.extend(b.olds().map(|a| (a.id, a.status.clone()))); Ok(()) }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(3)).unwrap();
        diesel::update(accounts::table).set(accounts::status.eq("closing")).execute(&mut conn).unwrap();
        let victims = vec![created[2].clone(), created[0].clone()];
        assert_eq!(bulk_delete!(conn, &victims).unwrap(), 2);
        let closing = |a: &Account| (a.id, "closing".to_string());
        match WRITES {
            // Records are handed over in the caller's order.
            Writes::Hooked => assert_eq!(seen.all(), [closing(&created[2]), closing(&created[0])]),
            // A Diesel delete names its rows by a filter (`id IN (..)`),
            // which has no order: set-based deletes read them in key
            // order, as `delete_where` does.
            Writes::Diesel => assert_eq!(seen.all(), [closing(&created[0]), closing(&created[2])]),
        }
        let left: Vec<i64> = accounts::table.select(accounts::id).load(&mut conn).unwrap();
        assert_eq!(left, [created[1].id]);
    }

    fn before_delete_rejection_keeps_the_rows(db) {
        let registry = Registry::new().with(Hook::before_delete(|_, b: &mut Batch<Account>| {
            b.reject_where(|a, _| a.balance > 1, |a| format!("{} still holds money", a.owner));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(3)).unwrap();
        let err = bulk_delete!(conn, &created).unwrap_err();
        assert!(matches!(err, Error::Hook(DispatchError::Rejected { .. })), "{err:?}");
        assert!(err.to_string().contains("o2 still holds money"), "{err}");
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 3);
    }

    fn single_row_create_save_update_delete(db) {
        let events = Seen::<Event>::new();
        let e = events.clone();
        let e2 = events.clone();
        let e3 = events.clone();
        let registry = Registry::new()
            .with(Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| { e.push(ctx.event()); Ok(()) }))
            .with(Hook::after_update(move |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| { e2.push(ctx.event()); Ok(()) }))
            .with(Hook::after_delete(move |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| { e3.push(ctx.event()); Ok(()) }));
        let mut conn = db.connect(registry);
        let mut a = save!(conn, Account::new("solo", 1, "idle")).unwrap();
        assert!(a.id > 0);
        a.balance = 2;
        let a = save!(conn, a).unwrap();
        assert_eq!(a.balance, 2);
        let mut b = create!(conn, Account::new("duo", 5, "idle")).unwrap();
        assert!(b.id > a.id);
        b.status = "active".into();
        assert_eq!(update!(conn, b.clone()).unwrap(), 1);
        assert_eq!(delete!(conn, &a).unwrap(), 1);
        assert_eq!(events.all(), [Event::AfterCreate, Event::AfterUpdate, Event::AfterCreate, Event::AfterUpdate, Event::AfterDelete]);
        let rows: Vec<Account> = accounts::table.select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(rows, [b]);
    }

    fn hooks_chain_through_their_context(db) {
        let registry = Registry::new().with(Hook::after_create(|ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| {
            let entries = b.news().map(|a| AuditEntry::new(a.id, "created")).collect::<Vec<_>>();
            bulk_create!(ctx, entries)?;
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(3)).unwrap();
        let logged: Vec<i64> = audit_log::table.order(audit_log::id).select(audit_log::account_id).load(&mut conn).unwrap();
        assert_eq!(logged, created.iter().map(|a| a.id).collect::<Vec<_>>());
    }

    fn recursion_past_the_depth_limit_fails_cleanly(db) {
        let depths = Seen::<u32>::new();
        let d = depths.clone();
        let registry = Registry::new().with(Hook::after_create(
            move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| {
                d.push(ctx.depth());
                let again = b
                    .news()
                    .map(|a| Account::new(format!("{}'", a.owner), a.balance, "idle"))
                    .collect::<Vec<_>>();
                bulk_create!(ctx, again)?;
                Ok(())
            },
        ));
        let mut conn = db.connect(registry);
        conn.config_mut().max_depth = 4;
        let err = bulk_create!(conn, accounts(1)).unwrap_err();
        assert!(format!("{err:?}").contains("DepthExceeded"), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("limit 4"), "{message}");
        // One sentence, whatever the depth: the chain in short form, not
        // the same sentence once per level.
        assert_eq!(message.matches("nested").count(), 1, "{message}");
        assert!(
            message.contains(
                "nested 5 deep (limit 4): Account AFTER_CREATE (4 times) > Account create;"
            ),
            "{message}"
        );
        assert!(message.len() < 400, "{} bytes: {message}", message.len());
        match err {
            Error::Hook(DispatchError::DepthExceeded { depth, limit, chain, .. }) => {
                assert_eq!((depth, limit, chain.len()), (5, 4, 5));
            }
            other => panic!("expected the depth error itself, got {other:?}"),
        }
        assert_eq!(depths.all(), [1, 2, 3, 4]);
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 0, "the whole chain rolled back");
    }

    fn bypass_is_scoped_and_restored_after_errors(db) {
        let calls = Seen::<usize>::new();
        let c = calls.clone();
        let registry = Registry::new()
            .with(Hook::after_create(move |_, b: &Batch<Account>| { c.push(b.len()); Ok(()) }));
        let mut conn = db.connect(registry);
        conn.without_hooks(|conn| bulk_create!(conn, accounts(2))).unwrap();
        assert!(calls.is_empty());
        let failed: Result<(), Error> = conn.without_hooks_for::<Account, _>(|conn| {
            bulk_create!(conn, accounts(1))?;
            Err(Error::Invalid("stop".into()))
        });
        assert!(failed.is_err());
        assert!(calls.is_empty());
        bulk_create!(conn, accounts(1)).unwrap();
        assert_eq!(calls.all(), [1], "hooks back on after the bypass ended with an error");
    }

    fn a_failed_operation_inside_a_transaction_rolls_back_to_its_savepoint(db) {
        let registry = Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            b.reject_where(|a, _| a.balance < 0, |_| "negative".into());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        conn.transaction::<_, Error, _>(|conn| {
            bulk_create!(conn, accounts(2))?;
            assert!(bulk_create!(conn, vec![Account::new("bad", -1, "idle")]).is_err());
            bulk_create!(conn, accounts(1))?;
            Ok(())
        }).unwrap();
        let owners: Vec<String> = accounts::table.order(accounts::id).select(accounts::owner).load(&mut conn).unwrap();
        assert_eq!(owners, ["o1", "o2", "o1"]);
    }

    fn without_hooks_nothing_is_fetched(db) {
        let mut conn = db.connect(Registry::new());
        bulk_create!(conn, accounts(4)).unwrap();
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        assert_eq!(delete_where!(conn, Account, accounts::balance.gt(2)).unwrap(), 2);
        assert_eq!(update_where!(conn, Account, accounts::balance.gt(0), accounts::status.eq("x")).unwrap(), 2);
        assert_eq!(statements.count("SELECT"), 0, "{:?}", statements.sql());
        assert_eq!(statements.count("DELETE"), 1);
        assert_eq!(statements.count("UPDATE"), 1);
        assert!(
            statements.sql().iter().all(|s| !s.contains("RETURNING")),
            "counting needs no rows back: {:?}",
            statements.sql()
        );
    }

    fn progress_is_reported_after_each_chunk(db) {
        let seen = Seen::<(Operation, usize, Option<usize>)>::new();
        let s = seen.clone();
        let registry = Registry::new()
            .with(Hook::after_create(|_, _: &Batch<Account>| Ok(())))
            .with(Hook::after_delete(|_, _: &Batch<Account>| Ok(())));
        let mut conn = db.connect(registry);
        *conn.config_mut() = conn.config().clone().with_chunk_size(2).with_progress(move |p| {
            assert_eq!(p.model, "Account");
            s.push((p.operation, p.done, p.total));
        });
        let created = bulk_create!(conn, accounts(5)).unwrap();
        let creates: Vec<_> = match (WRITES, BACKEND) {
            (Writes::Hooked, _) => vec![(Operation::Create, 2, Some(5)), (Operation::Create, 4, Some(5)), (Operation::Create, 5, Some(5))],
            // Diesel sends the batch through a wrapper connection as one
            // INSERT per row: each is an operation of one row.
            (Writes::Diesel, BackendKind::Sqlite) => vec![(Operation::Create, 1, Some(1)); 5],
            // One INSERT statement for the whole batch, re-sent in chunks
            // of the connection's chunk size.
            (Writes::Diesel, _) => vec![(Operation::Create, 2, Some(5)), (Operation::Create, 4, Some(5)), (Operation::Create, 5, Some(5))],
        };
        assert_eq!(seen.all(), creates);
        delete_where!(conn, Account, accounts::balance.gt(2)).unwrap();
        bulk_delete!(conn, &created[..2]).unwrap();
        let delete_records = match WRITES {
            Writes::Hooked => (Operation::Delete, 2, Some(2)),
            // A Diesel delete is a filter: how many rows it matches is
            // not known before they are read, as for `delete_where`.
            Writes::Diesel => (Operation::Delete, 2, None),
        };
        assert_eq!(seen.all()[creates.len()..], [
            (Operation::Delete, 2, None), (Operation::Delete, 3, None),
            delete_records,
        ]);
    }
}

#[path = "operations/hooked_only.rs"]
mod hooked_only;

#[path = "operations/bind_limit.rs"]
mod bind_limit;

#[path = "operations/read_back.rs"]
mod read_back;
