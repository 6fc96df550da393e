//! The hooked variant: the hooked operations of `HookedConnection`, with
//! exactly the hooks of WORKLOAD.md, counting the records each hook sees
//! and the statements sent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::Connection;
use hooks_diesel::{Batch, Config, Hook, HookedConnection, InnerConnection, Registry, Writable};
use hooks_examples::models::Account;

use crate::phases::Input;
use crate::statements::Statements;
use crate::workload::now;
use crate::BoxError;

/// How many records each hook of the workload saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HookTally {
    /// BEFORE_CREATE (rejects negative balances).
    pub before_create: usize,
    /// AFTER_CREATE.
    pub after_create: usize,
    /// BEFORE_UPDATE (stamps `updated_at`).
    pub before_update: usize,
    /// AFTER_UPDATE when the balance changed.
    pub after_update_balance: usize,
    /// AFTER_DELETE.
    pub after_delete: usize,
}

/// The counters the hooks add to.
#[derive(Default)]
pub struct HookCounts {
    before_create: AtomicUsize,
    after_create: AtomicUsize,
    before_update: AtomicUsize,
    after_update_balance: AtomicUsize,
    after_delete: AtomicUsize,
}

impl HookCounts {
    /// The counts so far, resetting them to zero.
    pub fn take(&self) -> HookTally {
        let take = |c: &AtomicUsize| c.swap(0, Ordering::Relaxed);
        HookTally {
            before_create: take(&self.before_create),
            after_create: take(&self.after_create),
            before_update: take(&self.before_update),
            after_update_balance: take(&self.after_update_balance),
            after_delete: take(&self.after_delete),
        }
    }
}

fn add(counter: &AtomicUsize, n: usize) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// The hooks of the workload (WORKLOAD.md, "Hooks registered for the
/// hooked run"), counting into `counts`.
pub fn registry<C>(counts: &Arc<HookCounts>) -> Registry<HookedConnection<C>>
where
    C: InnerConnection,
    Account: Writable<C::Backend>,
{
    let (c1, c2, c3, c4, c5) = (
        Arc::clone(counts),
        Arc::clone(counts),
        Arc::clone(counts),
        Arc::clone(counts),
        Arc::clone(counts),
    );
    Registry::new()
        .with(
            Hook::before_create(move |_ctx, batch: &mut Batch<Account>| {
                add(&c1.before_create, batch.len());
                batch.reject_where(
                    |new, _| new.balance < 0,
                    |a| format!("{} has a negative balance", a.owner),
                );
                Ok(())
            })
            .named("reject_negative_balance"),
        )
        .with(
            Hook::after_create(move |_ctx, batch: &Batch<Account>| {
                add(&c2.after_create, batch.len());
                Ok(())
            })
            .named("count_created"),
        )
        .with(
            Hook::before_update(move |_ctx, batch: &mut Batch<Account>| {
                add(&c3.before_update, batch.len());
                let at = Some(now());
                batch.news_mut().for_each(|new| new.updated_at = at);
                Ok(())
            })
            .named("stamp_updated_at"),
        )
        .with(
            Hook::after_update(move |_ctx, batch: &Batch<Account>| {
                add(&c4.after_update_balance, batch.len());
                Ok(())
            })
            .when(Account::BALANCE.changed())
            .named("count_balance_changes"),
        )
        .with(
            Hook::after_delete(move |_ctx, batch: &Batch<Account>| {
                add(&c5.after_delete, batch.len());
                Ok(())
            })
            .named("count_deleted"),
        )
}

/// Counts every statement a connection sends (Diesel's `StartQuery`
/// event: queries, and `BEGIN`/`COMMIT`/`SAVEPOINT` too).
pub fn statement_counter(counter: Arc<AtomicUsize>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A hooked connection to `url` with the workload's hooks, `chunk` records
/// per statement, and its statements counted into `statements`.
pub fn connect<C: Statements>(
    url: &str,
    chunk: usize,
    counts: &Arc<HookCounts>,
    statements: &Arc<AtomicUsize>,
) -> Result<HookedConnection<C>, BoxError> {
    let mut conn = HookedConnection::new(C::establish(url)?, C::hooks(counts))
        .with_config(Config::default().with_chunk_size(chunk));
    conn.set_instrumentation(statement_counter(Arc::clone(statements)));
    Ok(conn)
}

/// Runs one phase through the hooked operations; returns the records the
/// operation handed back (dropped by the caller after the clock stops).
/// Never inlined, so that a profiler can collect exactly its calls
/// (`valgrind --tool=callgrind --toggle-collect='*hooked::run*'`).
#[inline(never)]
pub fn run<C: Statements>(
    conn: &mut HookedConnection<C>,
    input: Input<'_>,
) -> Result<Vec<Account>, BoxError> {
    Ok(match input {
        Input::Create(records) => C::hooked_create(conn, records)?,
        Input::Update { records, .. } => C::hooked_update(conn, records)?,
        Input::Freeze => {
            C::hooked_freeze(conn)?;
            Vec::new()
        }
        Input::Delete(records) => {
            C::hooked_delete(conn, records)?;
            Vec::new()
        }
    })
}
