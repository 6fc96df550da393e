//! BEFORE_CREATE means before, for ordinary inserts as for `bulk_create`:
//! the hook sees the records before anything is written (keys unset),
//! fills and normalises them, and the INSERT carries what it set, columns
//! the statement did not name included.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::{Account, Tally};
use hooks_tests::recorder::Seen;
use hooks_tests::schema::{accounts, tallies};

/// An insert that leaves `status` (NOT NULL, no default) to the hooks.
#[derive(Insertable)]
#[diesel(table_name = accounts)]
struct NewAccount {
    owner: String,
    balance: i64,
}

/// A whole row bound, `NULL`s included, so that Diesel sends a batch as
/// one statement on SQLite too.
#[derive(Insertable)]
#[diesel(table_name = accounts, treat_none_as_default_value = false)]
struct WholeRow {
    owner: String,
    balance: i64,
    status: String,
}

/// More rows than one SQLite statement can bind (3 binds each, 32,766 at
/// most), fewer than PostgreSQL's and MySQL's limit.
fn over_sqlites_limit() -> Vec<WholeRow> {
    (0..11_000)
        .map(|n| WholeRow {
            owner: format!("o{n}"),
            balance: n,
            status: "new".into(),
        })
        .collect()
}

type Calls = Seen<(&'static str, i64, String, String)>;

/// Fills an empty owner, normalises the status, and records what the
/// BEFORE and AFTER hooks saw.
fn filling<X: hooks_diesel::hooks_core::Hosts<Account>>(calls: &Calls) -> Registry<X> {
    let (before, after) = (calls.clone(), calls.clone());
    Registry::new()
        .with(Hook::before_create(move |_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                if a.owner.is_empty() {
                    a.owner = format!("anonymous-{}", a.balance);
                }
                a.status = a.status.trim().to_lowercase();
                if a.status.is_empty() {
                    a.status = "active".into();
                }
            }
            before.extend(
                b.news()
                    .map(|a| ("before", a.id, a.owner.clone(), a.status.clone())),
            );
            Ok(())
        }))
        .with(Hook::after_create(move |_, b: &Batch<Account>| {
            after.extend(
                b.news()
                    .map(|a| ("after", 0, a.owner.clone(), a.status.clone())),
            );
            Ok(())
        }))
}

backend_suite! {
    fn an_ordinary_insert_and_bulk_create_store_and_hook_alike(db) {
        let records = vec![
            Account::new("", 1, " Active "),
            Account::new("bob", 2, "IDLE"),
            Account::new("", 3, ""),
        ];
        let other = hooks_tests::TestDb::<Inner>::new();
        let (bulk, ordinary) = (Calls::new(), Calls::new());
        let mut by_bulk = db.connect(filling::<Conn>(&bulk));
        let mut by_insert = other.connect(filling::<Conn>(&ordinary));
        by_bulk.bulk_create(records.clone()).unwrap();
        diesel::insert_into(accounts::table).values(&records).execute(&mut by_insert).unwrap();
        let rows = |conn: &mut Conn| -> Vec<(i64, String, i64, String)> {
            accounts::table
                .select((accounts::id, accounts::owner, accounts::balance, accounts::status))
                .order(accounts::id)
                .load(conn)
                .unwrap()
        };
        assert_eq!(rows(&mut by_bulk), rows(&mut by_insert));
        assert_eq!(
            rows(&mut by_bulk).into_iter().map(|r| (r.1, r.3)).collect::<Vec<_>>(),
            [("anonymous-1".to_string(), "active".to_string()), ("bob".into(), "idle".into()), ("anonymous-3".into(), "active".into())]
        );
        let sorted = |calls: &Calls| {
            let mut all = calls.all();
            all.sort();
            all
        };
        assert_eq!(sorted(&bulk), sorted(&ordinary), "the same hook calls, keys unset before");
        assert!(ordinary.all().iter().filter(|c| c.0 == "before").all(|c| c.1 == 0));
    }

    fn a_before_hook_fills_a_not_null_column_the_insert_does_not_name(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                assert_eq!(a.status, "", "a column the statement does not name, without default");
                a.status = "active".into();
            }
            Ok(())
        })));
        diesel::insert_into(accounts::table)
            .values(&vec![NewAccount { owner: "ann".into(), balance: 5 }, NewAccount { owner: "ben".into(), balance: 6 }])
            .execute(&mut conn)
            .unwrap();
        let statuses: Vec<String> = accounts::table.select(accounts::status).order(accounts::id).load(&mut conn).unwrap();
        assert_eq!(statuses, ["active", "active"]);
    }

    fn a_before_hook_sees_the_table_before_the_insert(db) {
        let counted = Seen::new();
        let seen = counted.clone();
        let mut conn = db.connect(Registry::new().with(Hook::before_create(move |ctx: &mut HookContext<'_, Conn>, b: &mut Batch<Account>| {
            let rows: i64 = accounts::table.count().get_result(ctx.conn())?;
            seen.push((rows, b.len()));
            Ok(())
        })));
        diesel::insert_into(accounts::table)
            .values((accounts::owner.eq("one"), accounts::balance.eq(1), accounts::status.eq("active")))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(counted.all(), [(0, 1)], "the row is not there yet");
    }

    fn a_before_hook_fixes_placeholders_of_a_unique_column(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Tally>| {
            for t in b.news_mut() {
                t.name = format!("tally-{}", t.total);
            }
            Ok(())
        })));
        diesel::insert_into(tallies::table)
            .values(&vec![Tally::new("", 1), Tally::new("", 2)])
            .execute(&mut conn)
            .unwrap();
        let names: Vec<String> = tallies::table.select(tallies::name).order(tallies::id).load(&mut conn).unwrap();
        assert_eq!(names, ["tally-1", "tally-2"]);
    }

    fn an_ordinary_insert_over_sqlites_bind_limit_is_written_whole_with_hooks(db) {
        let (before, after) = (Seen::new(), Seen::new());
        let (b_seen, a_seen) = (before.clone(), after.clone());
        let mut conn = db.connect(
            Registry::new()
                .with(Hook::before_create(move |_, b: &mut Batch<Account>| {
                    b_seen.extend(b.news().map(|a| a.id));
                    for a in b.news_mut() {
                        a.status = a.status.to_uppercase();
                    }
                    Ok(())
                }))
                .with(Hook::after_create(move |_, b: &Batch<Account>| {
                    a_seen.extend(b.news().map(|a| a.id));
                    Ok(())
                })),
        );
        let written = diesel::insert_into(accounts::table).values(&over_sqlites_limit()).execute(&mut conn).unwrap();
        assert_eq!(written, 11_000);
        let stored: Vec<(i64, String)> = accounts::table.select((accounts::balance, accounts::status)).order(accounts::balance).load(&mut conn).unwrap();
        assert_eq!(stored.len(), 11_000);
        assert!(stored.iter().enumerate().all(|(n, (b, s))| *b == n as i64 && s == "NEW"), "every row, as the hook left it");
        assert_eq!(before.len(), 11_000, "BEFORE_CREATE once per row");
        assert!(before.all().iter().all(|&id| id == 0), "keys unset before the write");
        let mut keys = after.all();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 11_000, "AFTER_CREATE once per row, with its key");
    }

    fn an_ordinary_insert_over_sqlites_bind_limit_is_all_or_nothing(db) {
        let mut conn = db.connect(Registry::new().with(Hook::before_create(|_, b: &mut Batch<Account>| {
            b.reject_where(|a, _| a.balance == 10_999, |a| format!("{}: the last row", a.owner));
            Ok(())
        })));
        let failed = diesel::insert_into(accounts::table).values(&over_sqlites_limit()).execute(&mut conn);
        assert!(failed.is_err(), "the last row is rejected");
        let stored: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(stored, 0, "nothing of the earlier parts stays");
    }
}
