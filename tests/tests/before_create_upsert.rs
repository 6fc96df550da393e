//! BEFORE_CREATE means before for the insert side of an upsert too
//! (`on_conflict(..).do_update()`, PostgreSQL and SQLite): the rows the
//! statement will insert (no stored row has their conflict target) reach
//! the hook before anything is written, as `bulk_create` shows records;
//! its edits are carried by the statement; the rows it updates reach the
//! update hooks only.

use diesel::prelude::*;
use diesel::upsert::excluded;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

/// An upsert row that leaves `status` (NOT NULL, no default) to the hooks.
#[derive(Insertable)]
#[diesel(table_name = accounts, treat_none_as_default_value = false)]
struct Keyed {
    id: i64,
    owner: String,
    balance: i64,
}

fn keyed(id: i64, owner: &str, balance: i64) -> Keyed {
    Keyed {
        id,
        owner: owner.into(),
        balance,
    }
}

backend_suite! {
    backends(sqlite, postgres);

    fn an_upsert_runs_before_create_before_writing_only_the_rows_it_inserts(db) {
        let seen = Seen::new();
        let saw = seen.clone();
        let updates = Seen::new();
        let updated = updates.clone();
        let mut conn = db.connect(
            Registry::new()
                .with(Hook::before_create(move |ctx: &mut HookContext<'_, Conn>, b: &mut Batch<Account>| {
                    let rows: i64 = accounts::table.count().get_result(ctx.conn())?;
                    saw.push((rows, b.news().map(|a| (a.id, a.owner.clone(), a.balance)).collect::<Vec<_>>()));
                    Ok(())
                }))
                .with(Hook::after_update(move |_, b: &Batch<Account>| {
                    updated.extend(b.iter().filter_map(|(new, old)| old.map(|old| (new.id, old.balance, new.balance))));
                    Ok(())
                })),
        );
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        let rows = vec![
            (accounts::id.eq(a.id), accounts::owner.eq("a"), accounts::balance.eq(10), accounts::status.eq("x")),
            (accounts::id.eq(a.id + 100), accounts::owner.eq("new"), accounts::balance.eq(7), accounts::status.eq("idle")),
        ];
        let n = diesel::insert_into(accounts::table)
            .values(&rows)
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(excluded(accounts::balance)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            seen.all(),
            [(1, vec![(a.id + 100, "new".to_string(), 7)])],
            "the hook sees the table before the write, and only the row to insert"
        );
        assert_eq!(updates.all(), [(a.id, 1, 10)], "the conflicting row reaches update hooks");
    }

    fn an_upsert_before_hook_fills_a_not_null_column_of_the_rows_it_inserts(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                assert_eq!(a.status, "", "a column the statement does not name, without default");
                a.status = format!("filled-{}", a.balance);
            }
            Ok(())
        })));
        let n = diesel::insert_into(accounts::table)
            .values(&vec![keyed(501, "ann", 5), keyed(502, "ben", 6)])
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(excluded(accounts::balance)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        let stored: Vec<(i64, String)> = accounts::table.select((accounts::id, accounts::status)).order(accounts::id).load(&mut conn).unwrap();
        assert_eq!(stored, [(501, "filled-5".to_string()), (502, "filled-6".to_string())]);
    }

    fn an_upsert_carries_before_create_edits_to_the_rows_it_inserts(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                a.owner = a.owner.to_uppercase();
            }
            Ok(())
        })));
        let a = conn.without_hooks(|conn| conn.create(Account::new("kept", 1, "active"))).unwrap();
        let rows = vec![
            (accounts::id.eq(a.id + 50), accounts::owner.eq("fresh"), accounts::balance.eq(3), accounts::status.eq("idle")),
            (accounts::id.eq(a.id), accounts::owner.eq("other"), accounts::balance.eq(2), accounts::status.eq("idle")),
        ];
        let n = diesel::insert_into(accounts::table)
            .values(&rows)
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(excluded(accounts::balance)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        let stored: Vec<(i64, String, i64)> = accounts::table.select((accounts::id, accounts::owner, accounts::balance)).order(accounts::id).load(&mut conn).unwrap();
        assert_eq!(stored, [(a.id, "kept".to_string(), 2), (a.id + 50, "FRESH".to_string(), 3)]);
    }

    fn an_upsert_whose_before_hook_rejects_a_row_writes_nothing(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            b.reject_where(|a, _| a.balance < 0, |a| format!("{}: negative balance", a.owner));
            Ok(())
        })));
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        let rows = vec![
            (accounts::id.eq(a.id), accounts::owner.eq("a"), accounts::balance.eq(10), accounts::status.eq("x")),
            (accounts::id.eq(a.id + 1), accounts::owner.eq("bad"), accounts::balance.eq(-5), accounts::status.eq("x")),
        ];
        let failed = diesel::insert_into(accounts::table)
            .values(&rows)
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(excluded(accounts::balance)))
            .execute(&mut conn);
        assert!(failed.is_err(), "the row to insert is rejected");
        let stored: Vec<(i64, i64)> = accounts::table.select((accounts::id, accounts::balance)).load(&mut conn).unwrap();
        assert_eq!(stored, [(a.id, 1)], "neither the insert nor the update was written");
    }

    fn an_upsert_before_hook_may_not_change_the_conflict_target(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                a.id += 1000;
            }
            Ok(())
        })));
        let failed = diesel::insert_into(accounts::table)
            .values(&vec![keyed(7, "ann", 5)])
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(excluded(accounts::balance)))
            .execute(&mut conn);
        let message = failed.expect_err("the conflict target is the statement's").to_string();
        assert!(message.contains("conflict target"), "{message}");
        let stored: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(stored, 0, "nothing written");
    }

    fn on_conflict_do_nothing_with_a_target_runs_before_create_before_writing_the_rows_it_inserts(db) {
        let seen = Seen::new();
        let saw = seen.clone();
        let mut conn = db.connect(Registry::new().with(Hook::before_create(move |ctx: &mut HookContext<'_, Conn>, b: &mut Batch<Account>| {
            let rows: i64 = accounts::table.count().get_result(ctx.conn())?;
            saw.push((rows, b.news().map(|a| (a.id, a.owner.clone())).collect::<Vec<_>>()));
            for a in b.news_mut() {
                a.status = "filled".into();
            }
            Ok(())
        })));
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        let n = diesel::insert_into(accounts::table)
            .values(&vec![
                (accounts::id.eq(a.id), accounts::owner.eq("skipped"), accounts::balance.eq(1), accounts::status.eq("x")),
                (accounts::id.eq(a.id + 100), accounts::owner.eq("new"), accounts::balance.eq(2), accounts::status.eq("x")),
                (accounts::id.eq(a.id + 100), accounts::owner.eq("again"), accounts::balance.eq(3), accounts::status.eq("x")),
            ])
            .on_conflict(accounts::id)
            .do_nothing()
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 1, "one row inserted, two skipped");
        assert_eq!(
            seen.all(),
            [(1, vec![(a.id + 100, "new".to_string())])],
            "the table before the write, only the row it inserts"
        );
        let stored: Vec<(i64, String, String)> = accounts::table.select((accounts::id, accounts::owner, accounts::status)).order(accounts::id).load(&mut conn).unwrap();
        assert_eq!(stored, [(a.id, "a".to_string(), "active".to_string()), (a.id + 100, "new".to_string(), "filled".to_string())]);
    }
}
