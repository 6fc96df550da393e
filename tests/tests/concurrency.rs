//! Concurrent hooked writers through a pool, on the backends with row locks
//! (PostgreSQL and MySQL): every old record a hook sees is the row exactly
//! as it was just before that write. (SQLite serializes writers with
//! `BEGIN IMMEDIATE`, so interleaving is not possible there.)

use std::collections::HashMap;
use std::thread;

use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use hooks_diesel::pool::{HookedConnectionManager, HookedPool};
use hooks_diesel::prelude::*;
use hooks_diesel::InnerConnection;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

const THREADS: usize = 8;
const ROUNDS: i64 = 15;
const ROWS: i64 = 6;

/// Records every `(id, old balance, new balance)` an AFTER_UPDATE hook sees;
/// a BEFORE_UPDATE hook yields so that writers interleave.
fn registry<X: hooks_diesel::hooks_core::Hosts<Account>>(
    pairs: &Seen<(i64, i64, i64)>,
) -> Registry<X> {
    let pairs = pairs.clone();
    Registry::new()
        .with(Hook::before_update(|_, _: &mut Batch<Account>| {
            thread::yield_now();
            Ok(())
        }))
        .with(Hook::after_update(move |_, b: &Batch<Account>| {
            pairs.extend(
                b.iter()
                    .map(|(n, o)| (n.id, o.map_or(i64::MIN, |o| o.balance), n.balance)),
            );
            Ok(())
        }))
}

fn pool<C>(url: &str, registry: Registry<HookedConnection<C>>) -> HookedPool<C>
where
    C: InnerConnection + R2D2Connection + Send,
{
    r2d2::Pool::builder()
        .max_size(THREADS as u32)
        .build(HookedConnectionManager::new(url, registry))
        .expect("pool of hooked connections")
}

/// `ROWS` accounts with balance 0; their keys.
macro_rules! seed {
    ($db:expr) => {{
        let mut conn = $db.connect(Registry::new());
        let rows = (0..ROWS)
            .map(|i| Account::new(format!("c{i}"), 0, "active"))
            .collect();
        conn.bulk_create(rows)
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<i64>>()
    }};
}

backend_suite! {
    backends(postgres, mysql);

    fn set_based_updates_see_the_row_just_before_their_write(db) {
        let ids = seed!(db);
        let pairs = Seen::new();
        let pool = pool::<Inner>(db.url(), registry(&pairs));
        thread::scope(|s| {
            for _ in 0..THREADS {
                let pool = pool.clone();
                let ids = ids.clone();
                s.spawn(move || {
                    let mut conn = pool.get().expect("pooled connection");
                    for _ in 0..ROUNDS {
                        conn.update_where::<Account>(
                            accounts::id.eq_any(&ids),
                            accounts::balance.eq(accounts::balance + 1),
                        )
                        .expect("concurrent set-based update");
                    }
                });
            }
        });
        let seen = pairs.all();
        let writes = THREADS as i64 * ROUNDS;
        assert_eq!(seen.len() as i64, writes * ROWS);
        let stale: Vec<_> = seen
            .iter()
            .filter(|(_, old, new)| *new != old + 1)
            .collect();
        assert!(
            stale.is_empty(),
            "hooks saw old rows that were not the row just before the write: {stale:?}"
        );
        let mut conn = db.raw();
        let balances: Vec<i64> = accounts::table
            .select(accounts::balance)
            .load(&mut conn)
            .unwrap();
        assert_eq!(balances, vec![writes; ROWS as usize]);
    }

    fn record_updates_chain_old_rows_exactly(db) {
        let ids = seed!(db);
        let pairs = Seen::new();
        let pool = pool::<Inner>(db.url(), registry(&pairs));
        thread::scope(|s| {
            for t in 0..THREADS as i64 {
                let pool = pool.clone();
                let ids = ids.clone();
                s.spawn(move || {
                    let mut conn = pool.get().expect("pooled connection");
                    for round in 0..ROUNDS {
                        // Read without a lock, then write a value unique to this
                        // writer: the hook's old row must be whatever the last
                        // committed write left, not what this writer read.
                        let mut rows: Vec<Account> = accounts::table
                            .filter(accounts::id.eq_any(&ids))
                            .select(Account::as_select())
                            .load(&mut *conn)
                            .unwrap();
                        for a in &mut rows {
                            a.balance = 1 + t * 1000 + round;
                        }
                        conn.bulk_update(rows).expect("concurrent bulk update");
                    }
                });
            }
        });
        // Per row, the writes form one chain: each old balance is the new
        // balance of exactly one earlier write (or the seed), and the last new
        // balance is what the row holds.
        let mut by_row: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for (id, old, new) in pairs.all() {
            by_row.entry(id).or_default().push((old, new));
        }
        let mut conn = db.raw();
        for id in ids {
            let writes = by_row.remove(&id).unwrap_or_default();
            assert_eq!(writes.len() as i64, THREADS as i64 * ROUNDS);
            let mut olds: Vec<i64> = writes.iter().map(|w| w.0).collect();
            let mut expected: Vec<i64> = std::iter::once(0)
                .chain(writes.iter().map(|w| w.1))
                .collect();
            let last: i64 = accounts::table
                .find(id)
                .select(accounts::balance)
                .first(&mut conn)
                .unwrap();
            let at = expected
                .iter()
                .position(|b| *b == last)
                .expect("final balance was written");
            expected.remove(at);
            olds.sort_unstable();
            expected.sort_unstable();
            assert_eq!(olds, expected, "row {id}: old rows do not chain");
        }
    }
}
