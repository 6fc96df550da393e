//! An ordinary delete whose condition lists keys (`eq_any`: `id =
//! ANY($1)` on PostgreSQL, `id IN (?, ..)` elsewhere) matches at most as
//! many rows as it lists: with AFTER_DELETE hooks only, on a backend with
//! `RETURNING`, when that is no more than a chunk, it is sent as one
//! `DELETE .. RETURNING` with its own condition (evaluated once, by the
//! database), no read first. More keys than a chunk, or MySQL, keep the
//! locking read of the keys and a delete per chunk.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::accounts;
use hooks_tests::BackendKind;

backend_suite! {
    fn a_key_list_within_a_chunk_is_one_delete_returning(db) {
        let seen = Seen::<Vec<(i64, String)>>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_delete(move |_, b: &Batch<Account>| {
            s.push(b.olds().map(|a| (a.id, a.owner.clone())).collect());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = conn
            .bulk_create((1..=9).map(|i| Account::new(format!("o{i}"), i, "active")).collect())
            .unwrap();
        conn.config_mut().chunk_size = 4;
        // Four keys, given out of order, one of them no row's.
        let keys = [created[6].id, created[1].id, -1, created[4].id];
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let deleted = diesel::delete(accounts::table.filter(accounts::id.eq_any(keys)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(deleted, 3);
        let (selects, deletes) = (statements.count("SELECT"), statements.count("DELETE"));
        let returning = statements.sql().iter().filter(|s| s.contains("RETURNING")).count();
        match BACKEND {
            // No RETURNING: the condition checked by a write, then read.
            BackendKind::Mysql => assert!(selects >= 1, "{:?}", statements.sql()),
            _ => assert_eq!((selects, deletes, returning), (0, 1, 1), "{:?}", statements.sql()),
        }
        // In key order, as a filter's rows are.
        let expected: Vec<(i64, String)> = [1, 4, 6].iter().map(|&i| (created[i].id, created[i].owner.clone())).collect();
        assert_eq!(seen.all(), [expected]);
        // Five keys with a chunk of four: the keys read first, locked.
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let keys: Vec<i64> = [0, 2, 3, 5, 7].iter().map(|&i| created[i].id).collect();
        let deleted = diesel::delete(accounts::table.filter(accounts::id.eq_any(&keys))).execute(&mut conn).unwrap();
        assert_eq!(deleted, 5);
        assert!(statements.count("SELECT") >= 1, "{:?}", statements.sql());
        let left: Vec<i64> = accounts::table.select(accounts::id).order(accounts::id).load(&mut conn).unwrap();
        assert_eq!(left, [created[8].id]);
    }
}

/// The caller's `RETURNING` (backends that have it) is answered from the
/// rows deleted.
mod returning {
    use super::*;

    backend_suite! {
        backends(sqlite, postgres);

        fn a_key_list_delete_answers_its_returning_clause(db) {
            let registry = Registry::new().with(Hook::after_delete(|_, _: &Batch<Account>| Ok(())));
            let mut conn = db.connect(registry);
            let created = conn
                .bulk_create((1..=3).map(|i| Account::new(format!("o{i}"), i * 10, "idle")).collect())
                .unwrap();
            let ids = [created[2].id, created[0].id];
            let mut gone: Vec<(i64, i64)> = diesel::delete(accounts::table.filter(accounts::id.eq_any(ids)))
                .returning((accounts::id, accounts::balance))
                .get_results(&mut conn)
                .unwrap();
            gone.sort();
            assert_eq!(gone, [(created[0].id, 10), (created[2].id, 30)]);
        }
    }
}
