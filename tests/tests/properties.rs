//! Property tests: random sequences of hooked creates, updates, set-based
//! updates (through the library and as ordinary Diesel statements),
//! deletes, syncs and savepoints that commit or roll back, run against the
//! database and against an in-memory model of the table and of the hook
//! calls; the two must agree after every sequence, on SQLite and
//! PostgreSQL.

use std::collections::BTreeMap;

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::SyncOptions;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// One step of a sequence.
#[derive(Clone, Debug)]
enum Op {
    /// `bulk_create` of accounts with these balances.
    Create(Vec<i64>),
    /// `bulk_update` adding `delta` to the rows at these positions (modulo
    /// the row count, in key order).
    Bump(Vec<usize>, i64),
    /// Active rows with a balance of at least `.0` become frozen: through
    /// `update_where` or, with `.1`, an ordinary `diesel::update`.
    Freeze(i64, bool),
    /// Rows with a balance above `.0` are deleted: `delete_where` or, with
    /// `.1`, an ordinary `diesel::delete`.
    DeleteAbove(i64, bool),
    /// `bulk_sync` of the whole table to these `(owner, balance)` rows.
    Sync(Vec<(u8, i64)>),
    /// The steps in a savepoint that commits, or with `.1` rolls back.
    Savepoint(Vec<Op>, bool),
}

fn leaf() -> impl Strategy<Value = Op> {
    prop_oneof![
        prop::collection::vec(0i64..100, 1..6).prop_map(Op::Create),
        (prop::collection::vec(0usize..50, 1..5), -3i64..4).prop_map(|(p, d)| Op::Bump(p, d)),
        (0i64..100, any::<bool>()).prop_map(|(t, d)| Op::Freeze(t, d)),
        (0i64..120, any::<bool>()).prop_map(|(t, d)| Op::DeleteAbove(t, d)),
        prop::collection::vec((0u8..8, 0i64..100), 0..5).prop_map(Op::Sync),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => leaf(),
        1 => (prop::collection::vec(leaf(), 1..4), any::<bool>()).prop_map(|(ops, rb)| Op::Savepoint(ops, rb)),
    ]
}

/// The table as the model sees it: owner -> (balance, status), and how
/// many records each hook has been handed.
#[derive(Clone, Debug, Default, PartialEq)]
struct Model {
    rows: BTreeMap<String, (i64, String)>,
    created: usize,
    updated: usize,
    deleted: usize,
    next_owner: usize,
}

/// Counts of the records the hooks saw: `[created, updated, deleted]`.
type Tally = Seen<(usize, usize, usize)>;

fn registry<X: hooks_diesel::hooks_core::Hosts<Account>>(tally: &Tally) -> Registry<X> {
    let (c, u, d) = (tally.clone(), tally.clone(), tally.clone());
    Registry::new()
        .with(Hook::after_create(move |_, b: &Batch<Account>| {
            c.push((b.len(), 0, 0));
            Ok(())
        }))
        .with(Hook::after_update(move |_, b: &Batch<Account>| {
            u.push((0, b.len(), 0));
            Ok(())
        }))
        .with(Hook::after_delete(move |_, b: &Batch<Account>| {
            d.push((0, 0, b.len()));
            Ok(())
        }))
}

fn totals(tally: &Tally) -> (usize, usize, usize) {
    tally
        .all()
        .into_iter()
        .fold((0, 0, 0), |t, (c, u, d)| (t.0 + c, t.1 + u, t.2 + d))
}

macro_rules! apply {
    ($conn:expr, $model:expr, $op:expr) => {{
        let conn = $conn;
        let model: &mut Model = $model;
        match $op {
            Op::Create(balances) => {
                let records: Vec<Account> = balances
                    .iter()
                    .map(|b| {
                        model.next_owner += 1;
                        Account::new(format!("p{}", model.next_owner), *b, "active")
                    })
                    .collect();
                for r in &records {
                    model
                        .rows
                        .insert(r.owner.clone(), (r.balance, r.status.clone()));
                }
                model.created += records.len();
                conn.bulk_create(records).map(|_| ())
            }
            Op::Bump(picks, delta) => {
                let stored: Vec<Account> = accounts::table
                    .order(accounts::id)
                    .select(Account::as_select())
                    .load(conn)?;
                let mut picked: Vec<usize> = if stored.is_empty() {
                    Vec::new()
                } else {
                    picks.iter().map(|p| p % stored.len()).collect()
                };
                picked.sort_unstable();
                picked.dedup();
                let records: Vec<Account> = picked
                    .iter()
                    .map(|&i| Account {
                        balance: stored[i].balance + delta,
                        ..stored[i].clone()
                    })
                    .collect();
                if *delta != 0 {
                    for r in &records {
                        if let Some(row) = model.rows.get_mut(&r.owner) {
                            row.0 = r.balance;
                        }
                    }
                    model.updated += records.len();
                }
                conn.bulk_update(records).map(|_| ())
            }
            Op::Freeze(threshold, via_diesel) => {
                let matched: Vec<String> = model
                    .rows
                    .iter()
                    .filter(|(_, (b, s))| b >= threshold && s == "active")
                    .map(|(o, _)| o.clone())
                    .collect();
                for owner in &matched {
                    if let Some(row) = model.rows.get_mut(owner) {
                        row.1 = "frozen".to_string();
                    }
                }
                model.updated += matched.len();
                let filter = accounts::balance
                    .ge(*threshold)
                    .and(accounts::status.eq("active"));
                if *via_diesel {
                    diesel::update(accounts::table.filter(filter))
                        .set(accounts::status.eq("frozen"))
                        .execute(conn)
                        .map(|_| ())
                        .map_err(Error::from)
                } else {
                    conn.update_where_count::<Account>(filter, accounts::status.eq("frozen"))
                        .map(|_| ())
                }
            }
            Op::DeleteAbove(threshold, via_diesel) => {
                let before = model.rows.len();
                model.rows.retain(|_, (b, _)| *b <= *threshold);
                model.deleted += before - model.rows.len();
                if *via_diesel {
                    diesel::delete(accounts::table.filter(accounts::balance.gt(*threshold)))
                        .execute(conn)
                        .map(|_| ())
                        .map_err(Error::from)
                } else {
                    conn.delete_where::<Account>(accounts::balance.gt(*threshold))
                        .map(|_| ())
                }
            }
            Op::Sync(wanted) => {
                let mut by_owner: BTreeMap<String, i64> = BTreeMap::new();
                for (o, b) in wanted {
                    by_owner.insert(format!("s{o}"), *b);
                }
                let records: Vec<Account> = by_owner
                    .iter()
                    .map(|(o, b)| Account::new(o.clone(), *b, "active"))
                    .collect();
                let (mut created, mut updated) = (0, 0);
                for (owner, balance) in &by_owner {
                    match model.rows.get(owner) {
                        None => created += 1,
                        Some((b, s)) if b != balance || s != "active" => updated += 1,
                        Some(_) => {}
                    }
                }
                let deleted = model
                    .rows
                    .keys()
                    .filter(|o| !by_owner.contains_key(*o))
                    .count();
                model.rows = by_owner
                    .into_iter()
                    .map(|(o, b)| (o, (b, "active".to_string())))
                    .collect();
                model.created += created;
                model.updated += updated;
                model.deleted += deleted;
                conn.bulk_sync(records, Account::OWNER, AllRows, SyncOptions::new())
                    .map(|_| ())
            }
            Op::Savepoint(..) => unreachable!("savepoints are applied by run()"),
        }
    }};
}

macro_rules! run {
    ($conn:expr, $model:expr, $ops:expr) => {{
        let conn = &mut *$conn;
        let model: &mut Model = $model;
        for op in $ops {
            match op {
                Op::Savepoint(inner, rollback) => {
                    let mut nested = model.clone();
                    let result = conn.transaction::<_, Error, _>(|conn| {
                        for op in inner {
                            apply!(&mut *conn, &mut nested, op)?;
                        }
                        if *rollback {
                            Err(Error::Invalid("rolled back on purpose".into()))
                        } else {
                            Ok(())
                        }
                    });
                    // Hooks of a rolled-back savepoint did run; its rows are gone.
                    model.created = nested.created;
                    model.updated = nested.updated;
                    model.deleted = nested.deleted;
                    model.next_owner = nested.next_owner;
                    match (result, rollback) {
                        (Ok(()), false) => model.rows = nested.rows,
                        (Err(_), true) => {}
                        (other, _) => panic!("savepoint: {other:?}"),
                    }
                }
                op => apply!(&mut *conn, model, op).expect("operation"),
            }
        }
    }};
}

backend_suite! {
    backends(sqlite, postgres);

    fn random_sequences_agree_with_the_model(db) {
        let _ = &db;
        let mut runner = TestRunner::new(Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&prop::collection::vec(op(), 1..10), |ops| {
                let db = hooks_tests::TestDb::<Inner>::new();
                let tally = Tally::new();
                let mut conn = db.connect(registry::<Conn>(&tally));
                let mut model = Model::default();
                run!(&mut conn, &mut model, &ops);
                let stored: Vec<(String, i64, String)> = accounts::table
                    .select((accounts::owner, accounts::balance, accounts::status))
                    .order(accounts::owner)
                    .load(&mut conn)
                    .expect("rows load");
                let expected: Vec<(String, i64, String)> =
                    model.rows.iter().map(|(o, (b, s))| (o.clone(), *b, s.clone())).collect();
                prop_assert_eq!(stored, expected, "table after {:?}", ops);
                prop_assert_eq!(totals(&tally), (model.created, model.updated, model.deleted), "hook calls after {:?}", ops);
                Ok(())
            })
            .unwrap();
    }
}
