//! Concurrent load on the backends with row locks (PostgreSQL, MySQL): 8
//! threads on a pool run SERIALIZABLE transactions with `retry_transaction`
//! that mix hooked operations over the same rows. Checked at the end:
//!
//! - every old record an AFTER_UPDATE hook saw was the row just before that
//!   write (each write raises a version by one, so per row the committed
//!   writes chain 0 -> 1 -> .. -> the stored version, totals included);
//! - the table equals the committed transactions' effects (every increment
//!   present, created and deleted rows as committed);
//! - each committed transaction's on_commit callback ran exactly once, and
//!   none of a transaction that rolled back.
//!
//! Each test runs under a watchdog: a hang fails it. Set `HOOKS_LOAD_REPORT`
//! to print the throughput.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, R2D2Connection};
use hooks_diesel::pool::{HookedConnectionManager, HookedPool};
use hooks_diesel::prelude::*;
use hooks_diesel::{InnerConnection, IsolationLevel, RetryPolicy, TransactionOptions};
use hooks_tests::backend_suite;
use hooks_tests::models::Tally;
use hooks_tests::recorder::Seen;
use hooks_tests::rng::Rng;
use hooks_tests::schema::tallies;
use hooks_tests::sessions::is_postgres;
use hooks_tests::watchdog;

const THREADS: usize = 8;
const HOT_ROWS: usize = 6;
/// How long a load may take before the test calls it hung.
const LIMIT: Duration = Duration::from_secs(120);

/// PostgreSQL: detect deadlocks after 10 ms rather than a second
/// (superuser only; the test is only slower without).
#[derive(Debug)]
struct QuickDeadlocks;

impl<C> CustomizeConnection<HookedConnection<C>, diesel::r2d2::Error> for QuickDeadlocks
where
    C: InnerConnection + R2D2Connection + Send,
{
    fn on_acquire(&self, conn: &mut HookedConnection<C>) -> Result<(), diesel::r2d2::Error> {
        if is_postgres::<C>() {
            let _ = diesel::connection::SimpleConnection::batch_execute(
                conn,
                "SET deadlock_timeout = '10ms'",
            );
        }
        Ok(())
    }
}

fn pool<C>(url: &str, registry: Registry<HookedConnection<C>>) -> HookedPool<C>
where
    C: InnerConnection + R2D2Connection + Send,
{
    r2d2::Pool::builder()
        .max_size(THREADS as u32)
        .connection_timeout(Duration::from_secs(60))
        .connection_customizer(Box::new(QuickDeadlocks))
        .build(HookedConnectionManager::new(url, registry))
        .expect("pool of hooked connections")
}

fn serializable() -> TransactionOptions {
    TransactionOptions::new().isolation(IsolationLevel::Serializable)
}

/// Retries long enough that no transaction starves. SERIALIZABLE over six
/// hot rows makes most attempts deadlock when the machine is slow and
/// shared: with the backoff capped at 25 ms, then 60 ms, CI runs saw one
/// transaction fail 500, then 2,000 attempts in a row, every thread
/// retrying into the others. Waits of up to half a second spread the
/// threads out; an uncontended run never reaches the cap.
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 1_000,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(500),
    }
}

/// One load at a time: the loads of both servers at once on a two-core
/// machine time each other out instead of testing the library.
fn one_load_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOAD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOAD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One committed write of a row, as its AFTER_UPDATE hook saw it.
#[derive(Clone, Debug)]
struct Write {
    id: i64,
    old_version: i64,
    new_version: i64,
    old_total: i64,
    new_total: i64,
}

/// What the hooks and callbacks of a load record.
#[derive(Clone, Default)]
struct Record {
    /// Writes of committed transactions (handed over by on_commit).
    writes: Seen<Write>,
    /// Pairs whose old row was not the row just before the write, in any
    /// attempt.
    stale: Seen<String>,
    /// Ids of the transactions whose on_commit callback ran.
    commits: Seen<u64>,
    /// Increments `(row, by)` of committed transactions.
    increments: Seen<(i64, i64)>,
    /// Names created and deleted by committed transactions.
    created: Seen<String>,
    deleted: Seen<String>,
    /// Hooked operations of committed transactions.
    operations: Seen<usize>,
    /// Attempts of transactions, failed ones included.
    attempts: Arc<AtomicUsize>,
}

/// BEFORE_UPDATE raises the version by one over the locked old row;
/// AFTER_UPDATE checks the pair and hands it to the commit; AFTER_CREATE
/// and AFTER_DELETE hand the names over likewise.
fn registry<C>(record: &Record) -> Registry<HookedConnection<C>>
where
    C: InnerConnection,
    HookedConnection<C>: hooks_diesel::hooks_core::Hosts<Tally>,
{
    let (stale, writes) = (record.stale.clone(), record.writes.clone());
    let (created, deleted) = (record.created.clone(), record.deleted.clone());
    Registry::new()
        .with(Hook::before_update(|_, batch: &mut Batch<Tally>| {
            for (new, old) in batch.iter_mut() {
                if let Some(old) = old {
                    new.version = old.version + 1;
                }
            }
            Ok(())
        }))
        .with(Hook::after_update(
            move |ctx: &mut HookContext<'_, HookedConnection<C>>, batch: &Batch<Tally>| {
                let mut seen = Vec::new();
                for (new, old) in batch.iter() {
                    let Some(old) = old else {
                        stale.push(format!("{}: no old row", new.id));
                        continue;
                    };
                    if new.version != old.version + 1 || new.id != old.id {
                        stale.push(format!("{old:?} -> {new:?}"));
                    }
                    seen.push(Write {
                        id: new.id,
                        old_version: old.version,
                        new_version: new.version,
                        old_total: old.total,
                        new_total: new.total,
                    });
                }
                let writes = writes.clone();
                ctx.conn().on_commit(move |_| {
                    writes.extend(seen);
                    Ok(())
                });
                Ok(())
            },
        ))
        .with(Hook::after_create(
            move |ctx: &mut HookContext<'_, HookedConnection<C>>, batch: &Batch<Tally>| {
                let names: Vec<String> = batch.news().map(|t| t.name.clone()).collect();
                let created = created.clone();
                ctx.conn().on_commit(move |_| {
                    created.extend(names);
                    Ok(())
                });
                Ok(())
            },
        ))
        .with(Hook::after_delete(
            move |ctx: &mut HookContext<'_, HookedConnection<C>>, batch: &Batch<Tally>| {
                let names: Vec<String> = batch.olds().map(|t| t.name.clone()).collect();
                let deleted = deleted.clone();
                ctx.conn().on_commit(move |_| {
                    deleted.extend(names);
                    Ok(())
                });
                Ok(())
            },
        ))
}

/// `HOT_ROWS` rows every thread writes, created on `$conn`; their keys.
macro_rules! seed {
    ($conn:expr) => {{
        let rows = (0..HOT_ROWS)
            .map(|i| Tally::new(format!("hot{i}"), 0))
            .collect();
        $conn
            .without_hooks(|conn| conn.bulk_create(rows))
            .expect("seed")
            .iter()
            .map(|t| t.id)
            .collect::<Vec<i64>>()
    }};
}

#[path = "concurrent_load/check.rs"]
mod check;
use check::check;

fn report<C: InnerConnection>(
    test: &str,
    record: &Record,
    operations: usize,
    transactions: usize,
    elapsed: Duration,
) where
    C::Backend: hooks_diesel::HookBackend,
{
    if std::env::var_os("HOOKS_LOAD_REPORT").is_some() {
        eprintln!(
            "{} {test}: {operations} hooked operations in {transactions} committed \
             transactions ({} attempts), {:.2} s, {:.0} hooked ops/s",
            <C::Backend as hooks_diesel::HookBackend>::NAME,
            record.attempts.load(Ordering::Relaxed),
            elapsed.as_secs_f64(),
            operations as f64 / elapsed.as_secs_f64()
        );
    }
}

backend_suite! {
    backends(postgres, mysql);

    /// The reported hang: read two rows, write them back raised by one,
    /// in SERIALIZABLE transactions retried on conflict.
    fn serializable_read_modify_write_keeps_every_increment(db) {
        let _load = one_load_at_a_time();
        const ROUNDS: usize = 25;
        let record = Record::default();
        let pool = pool::<Inner>(db.url(), registry(&record));
        let hot = seed!(pool.get().unwrap());
        let (threads_pool, threads_hot, threads_record) = (pool.clone(), hot.clone(), record.clone());
        let started = Instant::now();
        let committed: Vec<u64> = watchdog::within(
            LIMIT,
            "8-thread read-modify-write",
            move || {
                let handles: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (pool, hot, record) =
                            (threads_pool.clone(), threads_hot.clone(), threads_record.clone());
                        std::thread::spawn(move || {
                            let mut rng = Rng::new(t as u64 + 1);
                            let mut conn = pool.get().expect("pooled connection");
                            let mut committed = Vec::new();
                            for round in 0..ROUNDS {
                                let id = (t * 1000 + round) as u64;
                                let ids = rng.pick(&hot, 2);
                                conn.retry_transaction_with(patient(), serializable(), |conn| {
                                    record.attempts.fetch_add(1, Ordering::Relaxed);
                                    let mut rows: Vec<Tally> = tallies::table
                                        .filter(tallies::id.eq_any(&ids))
                                        .order(tallies::id)
                                        .select(Tally::as_select())
                                        .load(conn)?;
                                    for row in &mut rows {
                                        row.total += 1;
                                    }
                                    conn.bulk_update(rows)?;
                                    let (record, ids) = (record.clone(), ids.clone());
                                    conn.on_commit(move |_| {
                                        record.commits.push(id);
                                        record.increments.extend(ids.iter().map(|i| (*i, 1)));
                                        record.operations.push(1);
                                        Ok(())
                                    });
                                    Ok(())
                                })
                                .expect("a retried transaction commits");
                                committed.push(id);
                            }
                            committed
                        })
                    })
                    .collect();
                handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
            },
            || db.end_sessions(),
        );
        let elapsed = started.elapsed();
        let rows: Vec<Tally> = tallies::table.order(tallies::id).select(Tally::as_select()).load(&mut db.raw()).unwrap();
        let operations = check(&record, rows, &hot, &committed);
        assert_eq!(committed.len(), THREADS * ROUNDS);
        report::<Inner>("read-modify-write", &record, operations, committed.len(), elapsed);
    }

    /// Mixed hooked operations over the same rows: read-modify-write
    /// (`bulk_update`), set-based increments (`update_where`), named fields
    /// (`bulk_update_fields`, with a field changed that must not be
    /// written), creates and deletes, some transactions rolled back on
    /// purpose.
    fn mixed_hooked_operations_chain_old_rows_and_run_callbacks_once(db) {
        let _load = one_load_at_a_time();
        const TRANSACTIONS: usize = 40;
        let record = Record::default();
        let pool = pool::<Inner>(db.url(), registry(&record));
        let hot = seed!(pool.get().unwrap());
        let (threads_pool, threads_hot, threads_record) = (pool.clone(), hot.clone(), record.clone());
        let started = Instant::now();
        let committed: Vec<u64> = watchdog::within(
            LIMIT,
            "8-thread mixed load",
            move || {
                let handles: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (pool, hot, record) =
                            (threads_pool.clone(), threads_hot.clone(), threads_record.clone());
                        std::thread::spawn(move || {
                            let mut rng = Rng::new(100 + t as u64);
                            let mut conn = pool.get().expect("pooled connection");
                            let mut committed = Vec::new();
                            let mut logs: Vec<String> = Vec::new();
                            for n in 0..TRANSACTIONS {
                                let id = (t * 1000 + n) as u64;
                                let ops = 1 + rng.below(3);
                                let plan: Vec<usize> = (0..ops).map(|_| rng.below(5)).collect();
                                let width = 1 + rng.below(3);
                                let rows = rng.pick(&hot, width);
                                let by = 1 + rng.below(9) as i64;
                                let roll_back = rng.one_in(6);
                                let doomed_log = logs.last().cloned();
                                let result = conn.retry_transaction_with(patient(), serializable(), |conn| {
                                    record.attempts.fetch_add(1, Ordering::Relaxed);
                                    let mut increments = Vec::new();
                                    let mut created = Vec::new();
                                    for (k, op) in plan.iter().enumerate() {
                                        match op {
                                            0 => {
                                                let mut loaded: Vec<Tally> = tallies::table
                                                    .filter(tallies::id.eq_any(&rows))
                                                    .order(tallies::id)
                                                    .select(Tally::as_select())
                                                    .load(conn)?;
                                                for row in &mut loaded {
                                                    row.total += by;
                                                    increments.push((row.id, by));
                                                }
                                                conn.bulk_update(loaded)?;
                                            }
                                            1 => {
                                                let updated = conn.update_where::<Tally>(
                                                    tallies::id.eq_any(&rows),
                                                    tallies::total.eq(tallies::total + by),
                                                )?;
                                                increments.extend(updated.iter().map(|r| (r.id, by)));
                                            }
                                            2 => {
                                                let mut loaded: Vec<Tally> = tallies::table
                                                    .filter(tallies::id.eq_any(&rows))
                                                    .order(tallies::id)
                                                    .select(Tally::as_select())
                                                    .load(conn)?;
                                                for row in &mut loaded {
                                                    row.total += by;
                                                    row.name = format!("not written {t}-{n}");
                                                    increments.push((row.id, by));
                                                }
                                                let written = conn
                                                    .bulk_update_fields(loaded, &[Tally::TOTAL.key()])?;
                                                if written.iter().any(|r| r.name.starts_with("not written")) {
                                                    return Err(Error::Invalid("an unnamed field came back".into()));
                                                }
                                            }
                                            3 => {
                                                let name = format!("log-{t}-{n}-{k}");
                                                conn.create(Tally::new(name.clone(), 0))?;
                                                created.push(name);
                                            }
                                            _ => {
                                                if let Some(name) = &doomed_log {
                                                    conn.delete_where::<Tally>(tallies::name.eq(name))?;
                                                }
                                            }
                                        }
                                    }
                                    if roll_back {
                                        return Err(Error::Invalid("rolled back on purpose".into()));
                                    }
                                    let (record, operations) = (record.clone(), plan.len());
                                    conn.on_commit(move |_| {
                                        record.commits.push(id);
                                        record.increments.extend(increments);
                                        record.operations.push(operations);
                                        Ok(())
                                    });
                                    Ok(created)
                                });
                                match result {
                                    Ok(created) => {
                                        committed.push(id);
                                        if plan.contains(&4) {
                                            if let Some(name) = &doomed_log {
                                                logs.retain(|l| l != name);
                                            }
                                        }
                                        logs.extend(created);
                                    }
                                    Err(Error::Invalid(why)) if roll_back && why.contains("on purpose") => {}
                                    Err(other) => panic!("transaction {id}: {other} ({other:?})"),
                                }
                            }
                            committed
                        })
                    })
                    .collect();
                handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
            },
            || db.end_sessions(),
        );
        let elapsed = started.elapsed();
        let rows: Vec<Tally> = tallies::table.order(tallies::id).select(Tally::as_select()).load(&mut db.raw()).unwrap();
        let operations = check(&record, rows, &hot, &committed);
        assert!(committed.len() < THREADS * TRANSACTIONS, "some rolled back on purpose");
        report::<Inner>("mixed", &record, operations, committed.len(), elapsed);
    }
}
