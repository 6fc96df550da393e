//! The statements hooked deletes send, on every backend.
//!
//! With AFTER_DELETE hooks only, a backend with `RETURNING` (PostgreSQL,
//! SQLite) deletes each chunk with one `DELETE .. RETURNING`, whose rows
//! are the ones the hooks receive: `bulk_delete` reads nothing first; a
//! delete by filter (`delete_where`, an ordinary `diesel::delete`) reads
//! the matching keys once, locked, so that the filter is evaluated once
//! before anything is deleted. MySQL, without `RETURNING`, reads and
//! locks each chunk's rows first. With a BEFORE_DELETE hook every backend
//! reads the rows first: the hook may reject them before the write.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::accounts;
use hooks_tests::writes::{bulk_create, bulk_delete, delete_where};
use hooks_tests::{BackendKind, Writes};

fn accounts(n: i64) -> Vec<Account> {
    (1..=n)
        .map(|i| Account::new(format!("o{i}"), i, "active"))
        .collect()
}

backend_suite! {
    writes(hooked, diesel);

    fn after_delete_only_is_one_delete_returning_per_chunk(db) {
        let seen = Seen::<Vec<(i64, i64)>>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_delete(move |_, b: &Batch<Account>| {
            s.push(b.olds().map(|a| (a.id, a.balance)).collect());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(6)).unwrap();
        // Stored values differ from the records': hooks see rows as stored.
        diesel::update(accounts::table).set(accounts::balance.eq(accounts::balance * 10)).execute(&mut conn).unwrap();
        conn.config_mut().chunk_size = 2;
        let victims: Vec<Account> = [4, 0, 2, 5, 1].iter().map(|&i| created[i].clone()).collect();
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        assert_eq!(bulk_delete!(conn, &victims).unwrap(), 5);
        let (selects, deletes) = (statements.count("SELECT"), statements.count("DELETE"));
        let returning = statements.sql().iter().filter(|s| s.contains("RETURNING")).count();
        let stored = |i: usize| (created[i].id, created[i].balance * 10);
        let batches = seen.all();
        match (BACKEND, WRITES) {
            (BackendKind::Mysql, Writes::Hooked) => {
                assert_eq!((selects, deletes), (3, 3), "{:?}", statements.sql());
            }
            // An ordinary delete names its rows by a filter: its first
            // chunk and keys read, then each chunk read (but the first,
            // whose rows the first read gave) and deleted by key. The
            // filter lists keys bound as keys, so it is not checked by a
            // write first (`Unmet`, see `ordinary_writes/condition_check.rs`).
            (BackendKind::Mysql, Writes::Diesel) => {
                assert_eq!((selects, deletes), (4, 3), "{:?}", statements.sql());
            }
            (_, Writes::Hooked) => {
                assert_eq!((selects, deletes, returning), (0, 3, 3), "{:?}", statements.sql());
            }
            (_, Writes::Diesel) => {
                assert_eq!((selects, deletes, returning), (1, 3, 3), "{:?}", statements.sql());
            }
        }
        match WRITES {
            // In the caller's order, chunk by chunk.
            Writes::Hooked => assert_eq!(batches, [vec![stored(4), stored(0)], vec![stored(2), stored(5)], vec![stored(1)]]),
            // A filter has no order: in key order.
            Writes::Diesel => assert_eq!(batches, [vec![stored(0), stored(1)], vec![stored(2), stored(4)], vec![stored(5)]]),
        }
        let left: Vec<i64> = accounts::table.select(accounts::id).load(&mut conn).unwrap();
        assert_eq!(left, [created[3].id]);
    }

    fn a_filtered_delete_with_after_hooks_only_evaluates_its_filter_once(db) {
        let seen = Seen::<i64>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_delete(move |_, b: &Batch<Account>| {
            s.extend(b.olds().map(|a| a.balance));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        bulk_create!(conn, accounts(7)).unwrap();
        conn.config_mut().chunk_size = 2;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        // Every row above the smallest balance: re-evaluated after the
        // first chunk went, it would match one more row.
        let smallest = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT MIN(m.balance) FROM (SELECT balance FROM accounts) m)",
        );
        let deleted = delete_where!(conn, Account, accounts::balance.gt(smallest)).unwrap();
        let (selects, deletes) = (statements.count("SELECT"), statements.count("DELETE"));
        assert_eq!(deleted, 6);
        assert_eq!(seen.all(), [2, 3, 4, 5, 6, 7], "AFTER_DELETE saw exactly the rows deleted");
        let left: Vec<i64> = accounts::table.select(accounts::balance).load(&mut conn).unwrap();
        assert_eq!(left, [1]);
        if BACKEND == BackendKind::Mysql {
            // Its condition is checked by a write first (`Unmet`), then
            // one DELETE per chunk.
            assert_eq!(deletes, 4, "{:?}", statements.sql());
        } else {
            assert_eq!((selects, deletes), (1, 3), "{:?}", statements.sql());
        }
    }

    fn after_delete_only_refuses_vanished_keys_and_deletes_nothing(db) {
        let seen = Seen::<usize>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_delete(move |_, b: &Batch<Account>| {
            s.push(b.len());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(5)).unwrap();
        conn.config_mut().chunk_size = 2;
        diesel::delete(accounts::table.find(created[3].id)).execute(&mut db.raw()).unwrap();
        let result = bulk_delete!(conn, &created);
        let left: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        match WRITES {
            Writes::Hooked => {
                let err = result.unwrap_err();
                assert!(matches!(err, Error::Vanished { ref keys, .. } if keys == &[created[3].id.to_string()]), "{err}");
                assert_eq!(left, 4, "nothing deleted");
            }
            // A filter simply does not match the missing row.
            Writes::Diesel => {
                assert_eq!(result.unwrap(), 4);
                assert_eq!(left, 0);
            }
        }
        let expected: &[usize] = if WRITES == Writes::Hooked { &[2] } else { &[2, 2] };
        // The first chunk's hooks ran before the vanished key was found;
        // their writes, were there any, rolled back with it.
        assert_eq!(seen.all(), expected);
    }

    fn a_before_delete_hook_still_reads_the_rows_first(db) {
        let registry = Registry::new()
            .with(Hook::before_delete(|_, _: &mut Batch<Account>| Ok(())))
            .with(Hook::after_delete(|_, _: &Batch<Account>| Ok(())));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, accounts(4)).unwrap();
        conn.config_mut().chunk_size = 2;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        assert_eq!(bulk_delete!(conn, &created).unwrap(), 4);
        // By records: each chunk read, then deleted. By filter: a first
        // chunk and one more row read (more follow), the keys, then each
        // chunk after the first (whose rows the first read gave).
        let expected = match WRITES {
            Writes::Hooked => (2, 2),
            Writes::Diesel => (3, 2),
        };
        assert_eq!((statements.count("SELECT"), statements.count("DELETE")), expected, "{:?}", statements.sql());
    }
}
