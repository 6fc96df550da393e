//! Ordinary Diesel writes through `HookedConnection` run the hooks: one
//! test per statement form and return shape, on every backend.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

/// What every hook saw: `(event, id, owner, balance, old balance)`.
type Calls = Seen<(String, i64, String, i64, Option<i64>)>;

fn recording<X: hooks_diesel::hooks_core::Hosts<Account>>(calls: &Calls) -> Registry<X> {
    let record = |event: &'static str, calls: &Calls| {
        let calls = calls.clone();
        move |b: &Batch<Account>| {
            calls.extend(b.iter().map(|(new, old)| {
                (
                    event.to_string(),
                    new.id,
                    new.owner.clone(),
                    new.balance,
                    old.map(|o| o.balance),
                )
            }));
        }
    };
    let (bc, ac, bu, au, bd, ad) = (
        record("before_create", calls),
        record("after_create", calls),
        record("before_update", calls),
        record("after_update", calls),
        record("before_delete", calls),
        record("after_delete", calls),
    );
    Registry::new()
        .with(Hook::before_create(move |_, b: &mut Batch<Account>| {
            bc(b);
            Ok(())
        }))
        .with(Hook::after_create(move |_, b: &Batch<Account>| {
            ac(b);
            Ok(())
        }))
        .with(Hook::before_update(move |_, b: &mut Batch<Account>| {
            bu(b);
            Ok(())
        }))
        .with(Hook::after_update(move |_, b: &Batch<Account>| {
            au(b);
            Ok(())
        }))
        .with(Hook::before_delete(move |_, b: &mut Batch<Account>| {
            bd(b);
            Ok(())
        }))
        .with(Hook::after_delete(move |_, b: &Batch<Account>| {
            ad(b);
            Ok(())
        }))
}

fn events(calls: &Calls) -> Vec<String> {
    calls.all().into_iter().map(|c| c.0).collect()
}

backend_suite! {
    fn insert_into_runs_create_hooks_with_stored_rows(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let n = diesel::insert_into(accounts::table)
            .values(&vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")])
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        let all = calls.all();
        let creates: Vec<_> = all.iter().filter(|c| c.0 == "after_create").collect();
        assert_eq!(creates.len(), 2, "{all:?}");
        assert!(creates.iter().all(|c| c.1 > 0), "keys filled: {all:?}");
        assert_eq!(creates.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    }

    fn update_runs_update_hooks_with_old_rows(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
        let n = diesel::update(accounts::table.filter(accounts::status.eq("active")))
            .set(accounts::balance.eq(accounts::balance + 10))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 1);
        let after: Vec<_> = calls.all().into_iter().filter(|c| c.0 == "after_update").collect();
        assert_eq!(after.len(), 1);
        assert_eq!((after[0].3, after[0].4), (11, Some(1)));
    }

    fn delete_runs_delete_hooks_with_stored_rows(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
        let n = diesel::delete(accounts::table.filter(accounts::balance.gt(1))).execute(&mut conn).unwrap();
        assert_eq!(n, 1);
        let deleted: Vec<_> = calls.all().into_iter().filter(|c| c.0 == "after_delete").collect();
        assert_eq!(deleted.len(), 1);
        assert_eq!(deleted[0].2, "b");
        assert_eq!(events(&calls).iter().filter(|e| e.ends_with("delete")).count(), 2);
    }
}

mod returning {
    use super::*;

    backend_suite! {
        backends(sqlite, postgres);

        fn insert_returning_gives_the_callers_shape(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let ids: Vec<(i64, String)> = diesel::insert_into(accounts::table)
                .values(&Account::new("b", 2, "idle"))
                .returning((accounts::id, accounts::owner))
                .get_results(&mut conn)
                .unwrap();
            assert_eq!(ids.len(), 1);
            assert_eq!(ids[0].1, "b");
            let stored: Vec<i64> = accounts::table.select(accounts::id).order(accounts::id).load(&mut conn).unwrap();
            assert_eq!(ids.iter().map(|r| r.0).collect::<Vec<_>>(), stored);
        }

        fn update_returning_gives_rows_as_stored(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            conn.bulk_create(vec![Account::new("a", 1, "active")]).unwrap();
            let rows: Vec<Account> = diesel::update(accounts::table)
                .set(accounts::balance.eq(accounts::balance * 3))
                .returning(Account::as_returning())
                .get_results(&mut conn)
                .unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].balance, 3);
            let none = diesel::update(accounts::table.filter(accounts::id.eq(-1)))
                .set(accounts::balance.eq(0))
                .returning(accounts::id)
                .get_result::<i64>(&mut conn);
            assert_eq!(none, Err(diesel::result::Error::NotFound));
        }
    }
}
