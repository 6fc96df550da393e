//! Ordinary Diesel writes through `HookedConnection` run the hooks: one
//! test per statement form and return shape, on every backend.

use diesel::prelude::*;
use hooks_diesel::hooks_core::{DispatchError, Hosts};
use hooks_diesel::prelude::*;
use hooks_diesel::HookError;
use hooks_tests::backend_suite;
use hooks_tests::models::{Account, AuditEntry, Membership};
use hooks_tests::recorder::Seen;
use hooks_tests::schema::{accounts, audit_log, memberships};

/// One hook call: `(event, id, owner, balance, status, old balance)` per
/// record.
type Call = (&'static str, i64, String, i64, String, Option<i64>);
type Calls = Seen<Vec<Call>>;

/// A registry recording every event of `Account`.
fn recording<X: Hosts<Account>>(calls: &Calls) -> Registry<X> {
    fn call(event: &'static str, b: &Batch<Account>) -> Vec<Call> {
        b.iter()
            .map(|(new, old)| {
                (
                    event,
                    new.id,
                    new.owner.clone(),
                    new.balance,
                    new.status.clone(),
                    old.map(|o| o.balance),
                )
            })
            .collect()
    }
    let c = |calls: &Calls| calls.clone();
    let (bc, ac, bu, au, bd, ad) = (c(calls), c(calls), c(calls), c(calls), c(calls), c(calls));
    Registry::new()
        .with(Hook::before_create(move |_, b: &mut Batch<Account>| {
            bc.push(call("before_create", b));
            Ok(())
        }))
        .with(Hook::after_create(move |_, b: &Batch<Account>| {
            ac.push(call("after_create", b));
            Ok(())
        }))
        .with(Hook::before_update(move |_, b: &mut Batch<Account>| {
            bu.push(call("before_update", b));
            Ok(())
        }))
        .with(Hook::after_update(move |_, b: &Batch<Account>| {
            au.push(call("after_update", b));
            Ok(())
        }))
        .with(Hook::before_delete(move |_, b: &mut Batch<Account>| {
            bd.push(call("before_delete", b));
            Ok(())
        }))
        .with(Hook::after_delete(move |_, b: &Batch<Account>| {
            ad.push(call("after_delete", b));
            Ok(())
        }))
}

/// The records of every call of `event`, flattened.
fn of(calls: &Calls, event: &str) -> Vec<Call> {
    calls
        .all()
        .into_iter()
        .flatten()
        .filter(|c| c.0 == event)
        .collect()
}

/// How many calls of `event` were made.
fn calls_of(calls: &Calls, event: &str) -> usize {
    calls
        .all()
        .iter()
        .filter(|c| c.first().is_some_and(|r| r.0 == event))
        .count()
}

/// `(owner, balance, status)` of every stored account, in key order, read
/// on a connection of its own.
macro_rules! stored {
    ($db:expr) => {
        accounts::table
            .select((accounts::owner, accounts::balance, accounts::status))
            .order(accounts::id)
            .load::<(String, i64, String)>(&mut $db.raw())
            .expect("rows load")
    };
}

/// A separate insert shape, as applications often have.
#[derive(Insertable)]
#[diesel(table_name = accounts)]
struct NewAccount<'a> {
    owner: &'a str,
    balance: i64,
    status: &'a str,
}

fn rejection_of(error: diesel::result::Error) -> Vec<String> {
    match Error::from(error) {
        Error::Hook(DispatchError::Rejected { rejections, .. }) => {
            rejections.into_iter().map(|r| r.reason).collect()
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

backend_suite! {
    fn insert_of_one_record_runs_create_hooks_with_the_stored_row(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let n = diesel::insert_into(accounts::table)
            .values(&Account::new("a", 1, "active"))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 1);
        let created = of(&calls, "after_create");
        assert_eq!(created.len(), 1);
        assert!(created[0].1 > 0, "the generated key is filled: {created:?}");
        assert_eq!(of(&calls, "before_create").len(), 1, "BEFORE_CREATE ran too");
    }

    fn insert_of_a_batch_runs_create_hooks_for_every_row_in_order(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let batch: Vec<Account> = (1..=5).map(|i| Account::new(format!("o{i}"), i, "active")).collect();
        let n = diesel::insert_into(accounts::table).values(&batch).execute(&mut conn).unwrap();
        assert_eq!(n, 5);
        let created = of(&calls, "after_create");
        assert_eq!(created.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["o1", "o2", "o3", "o4", "o5"]);
        assert!(created.windows(2).all(|w| w[0].1 < w[1].1), "stored keys in the statement's order");
    }

    fn insert_of_tuples_and_of_a_separate_insert_shape(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        diesel::insert_into(accounts::table)
            .values((accounts::owner.eq("tuple"), accounts::balance.eq(3), accounts::status.eq("idle")))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(accounts::table)
            .values(&NewAccount { owner: "new", balance: 4, status: "active" })
            .execute(&mut conn)
            .unwrap();
        let created = of(&calls, "after_create");
        assert_eq!(
            created.iter().map(|c| (c.2.as_str(), c.3, c.4.as_str())).collect::<Vec<_>>(),
            [("tuple", 3, "idle"), ("new", 4, "active")]
        );
    }

    fn insert_from_a_select_runs_create_hooks(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.bulk_create(vec![AuditEntry::new(7, "x"), AuditEntry::new(8, "y")]).unwrap();
        let n = diesel::insert_into(accounts::table)
            .values(
                audit_log::table
                    .select((audit_log::action, audit_log::account_id, audit_log::action))
                    .order(audit_log::id),
            )
            .into_columns((accounts::owner, accounts::balance, accounts::status))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        let created = of(&calls, "after_create");
        assert_eq!(created.iter().map(|c| (c.2.as_str(), c.3)).collect::<Vec<_>>(), [("x", 7), ("y", 8)]);
    }

    fn before_create_edits_are_written_and_rejections_roll_the_statement_back(db) {
        let registry = Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                a.status = format!("{}-checked", a.status);
            }
            b.reject_where(|new, _| new.balance < 0, |a| format!("{} is negative", a.owner));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        diesel::insert_into(accounts::table).values(&Account::new("ok", 1, "active")).execute(&mut conn).unwrap();
        assert_eq!(stored!(db), [("ok".to_string(), 1, "active-checked".to_string())]);
        let err = diesel::insert_into(accounts::table)
            .values(&vec![Account::new("bad", -1, "active"), Account::new("worse", -2, "active")])
            .execute(&mut conn)
            .unwrap_err();
        let reasons = rejection_of(err);
        assert!(reasons.contains(&"bad is negative".to_string()), "{reasons:?}");
        assert_eq!(stored!(db).len(), 1, "nothing of the rejected statement is written");
    }

    fn update_by_filter_pairs_old_and_new_rows_with_computed_values(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle"), Account::new("c", 3, "active")]).unwrap();
        let n = diesel::update(accounts::table.filter(accounts::status.eq("active")))
            .set(accounts::balance.eq(accounts::balance * 10 + 1))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        let after = of(&calls, "after_update");
        assert_eq!(after.iter().map(|c| (c.2.as_str(), c.3, c.5)).collect::<Vec<_>>(), [("a", 11, Some(1)), ("c", 31, Some(3))]);
        assert_eq!(of(&calls, "before_update").len(), 2);
        let none = diesel::update(accounts::table.filter(accounts::status.eq("gone")))
            .set(accounts::balance.eq(0))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(none, 0);
        assert_eq!(calls_of(&calls, "after_update"), 1, "no hook for no row");
    }

    fn update_of_every_row_without_a_filter(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
        let n = diesel::update(accounts::table).set(accounts::status.eq("frozen")).execute(&mut conn).unwrap();
        assert_eq!(n, 2);
        assert_eq!(of(&calls, "after_update").iter().map(|c| c.4.as_str()).collect::<Vec<_>>(), ["frozen", "frozen"]);
    }

    fn update_of_a_record_and_save_changes(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let mut a = conn.create(Account::new("a", 1, "active")).unwrap();
        a.balance = 5;
        assert_eq!(diesel::update(&a).set(&a).execute(&mut conn).unwrap(), 1);
        a.status = "idle".into();
        let saved: Account = a.save_changes(&mut conn).unwrap();
        assert_eq!(saved, a);
        let after = of(&calls, "after_update");
        assert_eq!(after.iter().map(|c| (c.3, c.4.as_str(), c.5)).collect::<Vec<_>>(), [(5, "active", Some(1)), (5, "idle", Some(5))]);
    }

    fn before_update_edits_of_an_ordinary_update_are_written(db) {
        let registry = Registry::new().with(Hook::before_update(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                a.status = "reviewed".into();
            }
            Ok(())
        }));
        let mut conn = db.connect(registry);
        conn.bulk_create(vec![Account::new("a", 1, "active")]).unwrap();
        diesel::update(accounts::table).set(accounts::balance.eq(2)).execute(&mut conn).unwrap();
        assert_eq!(stored!(db), [("a".to_string(), 2, "reviewed".to_string())]);
    }

    fn delete_by_filter_and_of_a_record_hand_stored_rows_to_hooks(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let created = conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle"), Account::new("c", 3, "idle")]).unwrap();
        let n = diesel::delete(accounts::table.filter(accounts::status.eq("idle"))).execute(&mut conn).unwrap();
        assert_eq!(n, 2);
        assert_eq!(of(&calls, "after_delete").iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(diesel::delete(&created[0]).execute(&mut conn).unwrap(), 1);
        assert_eq!(of(&calls, "before_delete").iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["b", "c", "a"]);
        assert!(stored!(db).is_empty());
    }

    fn a_hook_error_rolls_an_ordinary_delete_back(db) {
        let registry = Registry::new().with(Hook::after_delete(|_, _: &Batch<Account>| Err(HookError::msg("kept"))));
        let mut conn = db.connect(registry);
        conn.bulk_create(vec![Account::new("a", 1, "active")]).unwrap();
        let err = diesel::delete(accounts::table).execute(&mut conn).unwrap_err();
        assert!(matches!(Error::from(err), Error::Hook(_)));
        assert_eq!(stored!(db).len(), 1);
    }

    fn writes_of_hooks_through_their_context_are_hooked_too(db) {
        let audits = Seen::<String>::new();
        let seen = audits.clone();
        let registry = Registry::new()
            .with(Hook::after_create(|ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| {
                let entries: Vec<_> = b.news().map(|a| (audit_log::account_id.eq(a.id), audit_log::action.eq("opened"))).collect();
                diesel::insert_into(audit_log::table).values(&entries).execute(ctx.conn())?;
                Ok(())
            }))
            .with(Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<AuditEntry>| {
                seen.extend(b.news().map(|e| format!("{} at depth {}", e.action, ctx.depth())));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        diesel::insert_into(accounts::table).values(&Account::new("a", 1, "active")).execute(&mut conn).unwrap();
        assert_eq!(audits.all(), ["opened at depth 2"]);
    }

    fn without_hooks_sends_ordinary_writes_as_they_are(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.without_hooks(|conn| {
            diesel::insert_into(accounts::table).values(&Account::new("quiet", 1, "active")).execute(conn)
        })
        .unwrap();
        conn.without_hooks_for::<Account, _>(|conn| diesel::update(accounts::table).set(accounts::balance.eq(9)).execute(conn))
            .unwrap();
        assert!(calls.is_empty());
        diesel::delete(accounts::table).execute(&mut conn).unwrap();
        assert_eq!(of(&calls, "after_delete").len(), 1, "hooks are back after the scopes");
    }

    fn ordinary_writes_inside_a_transaction_roll_back_with_it(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
            diesel::insert_into(accounts::table).values(&Account::new("a", 1, "active")).execute(conn)?;
            diesel::update(accounts::table).set(accounts::balance.eq(2)).execute(conn)?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(result.is_err());
        assert_eq!(calls_of(&calls, "after_create"), 1);
        assert_eq!(calls_of(&calls, "after_update"), 1);
        assert!(stored!(db).is_empty());
    }

    fn composite_keys_given_by_the_statement_are_read_back(db) {
        let seen = Seen::<(i64, i64, String)>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<Membership>| {
            s.extend(b.news().map(|m| (m.org_id, m.user_id, m.role.clone())));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let members = vec![Membership::new(2, 5, "b"), Membership::new(1, 9, "a")];
        diesel::insert_into(memberships::table).values(&members).execute(&mut conn).unwrap();
        assert_eq!(seen.all(), [(2, 5, "b".to_string()), (1, 9, "a".to_string())]);
    }

    fn statement_types_are_classified_once(db) {
        let mut conn = db.connect(recording(&Calls::new()));
        for balance in 0..3 {
            accounts::table.filter(accounts::balance.eq(balance)).count().get_result::<i64>(&mut conn).unwrap();
        }
        assert_eq!(conn.classified_statement_types(), 1);
    }

    fn statement_texts_of_uncached_types_are_classified_once(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let rows = |n: i64| -> Vec<_> {
            (0..n)
                .map(|i| (accounts::owner.eq(format!("o{i}")), accounts::balance.eq(i), accounts::status.eq("active")))
                .collect()
        };
        for _ in 0..3 {
            diesel::insert_into(accounts::table).values(&rows(2)).execute(&mut conn).unwrap();
        }
        assert_eq!(conn.classified_statement_texts(), 1, "one text, scanned once");
        diesel::insert_into(accounts::table).values(&rows(3)).execute(&mut conn).unwrap();
        assert_eq!(conn.classified_statement_texts(), 2, "another row count, another text");
        assert_eq!(of(&calls, "after_create").len(), 9, "hooked every time");
        conn.set_registry(recording(&calls));
        assert_eq!(conn.classified_statement_texts(), 0, "forgotten with the registry");
    }
}

/// Batches of one statement beyond what plain Diesel can send.
mod split {
    use super::*;

    backend_suite! {
        backends(postgres, mysql);

        fn inserts_over_the_bind_limit_are_split_in_one_transaction(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let batch: Vec<Account> = (1..=70_000).map(|i| Account::new(format!("o{i}"), i, "active")).collect();
            let n = diesel::insert_into(accounts::table).values(&batch).execute(&mut conn).unwrap();
            assert_eq!(n, 70_000);
            let created = of(&calls, "after_create");
            assert_eq!(created.len(), 70_000);
            assert!(created.windows(2).all(|w| w[0].1 < w[1].1 && w[0].3 + 1 == w[1].3), "in the statement's order");
            assert_eq!(calls_of(&calls, "after_create"), 70, "one call per chunk of the connection's chunk size");
            let plain = diesel::insert_into(accounts::table).values(&batch).execute(&mut db.raw());
            assert!(plain.is_err(), "plain Diesel cannot send it");
        }

        fn a_rejection_in_a_later_chunk_rolls_every_chunk_back(db) {
            let registry = Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
                b.reject_where(|new, _| new.balance == 7, |a| format!("{} refused", a.owner));
                Ok(())
            }));
            let mut conn = db.connect(registry);
            conn.config_mut().chunk_size = 3;
            let batch: Vec<Account> = (1..=8).map(|i| Account::new(format!("o{i}"), i, "active")).collect();
            let err = diesel::insert_into(accounts::table).values(&batch).execute(&mut conn).unwrap_err();
            assert_eq!(rejection_of(err), ["o7 refused"]);
            assert!(stored!(db).is_empty());
        }

        fn given_keys_are_read_back_per_chunk(db) {
            let seen = Seen::<(i64, i64)>::new();
            let s = seen.clone();
            let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<Membership>| {
                s.extend(b.news().map(|m| (m.org_id, m.user_id)));
                Ok(())
            }));
            let mut conn = db.connect(registry);
            conn.config_mut().chunk_size = 2;
            let members: Vec<Membership> = (0..5).map(|i| Membership::new(9 - i, i, "m")).collect();
            diesel::insert_into(memberships::table).values(&members).execute(&mut conn).unwrap();
            assert_eq!(seen.all(), [(9, 0), (8, 1), (7, 2), (6, 3), (5, 4)]);
        }
    }
}

#[path = "ordinary_writes/conflicts.rs"]
mod conflicts;

#[path = "ordinary_writes/returning.rs"]
mod returning;

#[path = "ordinary_writes/condition_check.rs"]
mod condition_check;
