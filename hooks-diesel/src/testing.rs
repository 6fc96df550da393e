//! Testing code that has hooks: test transactions whose `on_commit`
//! callbacks are captured and run on demand, a recorder of the hooks that
//! fire, and hooks muted for one test.
//!
//! Diesel's test transactions (`begin_test_transaction`) never commit, so
//! `on_commit` callbacks and deferred hooks registered inside one would
//! silently never run. Here they wait, are counted, and run when the test
//! asks, as Django's `captureOnCommitCallbacks(execute=True)` does:
//!
//! ```
//! use diesel::prelude::*;
//! use hooks_diesel::testing::{self, Capture};
//! use hooks_diesel::{Batch, Hook, HookContext, HookedConnection, HookModel, Registry};
//! use std::sync::{Arc, Mutex};
//!
//! diesel::table! { users (id) { id -> BigInt, email -> Text, } }
//!
//! #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug)]
//! #[diesel(table_name = users)]
//! struct User { #[diesel(skip_insertion)] id: i64, email: String }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let outbox = Arc::new(Mutex::new(Vec::new()));
//! let sent = Arc::clone(&outbox);
//! let registry = Registry::new().with(
//!     Hook::after_create(move |ctx: &mut HookContext<'_, HookedConnection<SqliteConnection>>, batch: &Batch<User>| {
//!         let emails: Vec<String> = batch.news().map(|u| u.email.clone()).collect();
//!         let sent = Arc::clone(&sent);
//!         // Welcome e-mails go out once the user is really there.
//!         ctx.conn().on_commit(move |_| {
//!             sent.lock().unwrap().extend(emails);
//!             Ok(())
//!         });
//!         Ok(())
//!     })
//!     .named("welcome_email"),
//! );
//! let mut conn = HookedConnection::new(SqliteConnection::establish(":memory:")?, registry);
//! diesel::sql_query("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
//!     .execute(&mut conn)?;
//!
//! testing::begin_test_transaction(&mut conn)?; // nothing below is committed
//! let captured = testing::capture_on_commit(&mut conn, Capture::Execute, |conn| {
//!     conn.create(User { id: 0, email: "ann@example.com".into() })
//! })?;
//! assert_eq!((captured.callbacks, captured.ran), (1, 1));
//! assert_eq!(*outbox.lock().unwrap(), ["ann@example.com"]);
//! # Ok(())
//! # }
//! ```
//!
//! The recorder and muting work on any hooked connection, in a test
//! transaction or not; see [`record_hooks`] and [`mute_hooks`].

pub use hooks_core::{FiredHook, HookLog};

use crate::connection::{HookedConnection, InnerConnection};
use crate::error::Result;
use hooks_core::HasScope;

/// What [`capture_on_commit`] does with the callbacks it captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// Count them and leave them waiting (they run if the transaction
    /// ever commits; in a test transaction, never).
    Only,
    /// Count them, then run them (and the callbacks they register) once
    /// the closure has returned, as a commit would, without ending the
    /// transaction (Django's `execute=True`).
    Execute,
}

/// What [`capture_on_commit`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured<R> {
    /// What the closure returned.
    pub value: R,
    /// How many `on_commit` callbacks and deferred hooks were registered
    /// while it ran (and wait for a commit).
    pub callbacks: usize,
    /// How many callbacks ran afterwards ([`Capture::Execute`]; those the
    /// captured ones registered in turn included). 0 with [`Capture::Only`].
    pub ran: usize,
}

/// Begins Diesel's test transaction on `conn`: nothing written through it
/// is ever committed (the transaction rolls back when the connection is
/// dropped), and `on_commit` callbacks and deferred hooks registered in it
/// wait instead of running: see [`pending_callbacks`] and
/// [`run_pending_callbacks`], or [`capture_on_commit`].
///
/// With PostgreSQL or MySQL this is the usual way to test against a shared
/// database: each test's writes vanish with its connection.
pub fn begin_test_transaction<C: InnerConnection>(conn: &mut HookedConnection<C>) -> Result<()> {
    use diesel::Connection;
    conn.begin_test_transaction()?;
    Ok(())
}

/// How many `on_commit` callbacks and deferred hooks wait for a commit
/// ([`HookedConnection::pending_callbacks`]).
pub fn pending_callbacks<C: InnerConnection>(conn: &mut HookedConnection<C>) -> usize {
    conn.pending_callbacks()
}

/// Runs now every waiting `on_commit` callback and deferred hook, as a
/// commit would, without ending the transaction; returns how many ran
/// ([`HookedConnection::run_pending_callbacks`]).
pub fn run_pending_callbacks<C: InnerConnection>(conn: &mut HookedConnection<C>) -> Result<usize> {
    conn.run_pending_callbacks()
}

/// Runs `f`, counting the `on_commit` callbacks and deferred hooks it
/// registers, and with [`Capture::Execute`] runs them when it returns
/// (Django's `captureOnCommitCallbacks`). Meant for a test transaction
/// ([`begin_test_transaction`]) or any transaction `f` runs inside; outside
/// a transaction callbacks run at once and none are captured.
///
/// An `Err` is `f`'s own (nothing run) or, with `Execute`, the failure of
/// a captured callback (see [`CallbackFailures`](crate::CallbackFailures)).
pub fn capture_on_commit<C, R, E>(
    conn: &mut HookedConnection<C>,
    capture: Capture,
    f: impl FnOnce(&mut HookedConnection<C>) -> std::result::Result<R, E>,
) -> std::result::Result<Captured<R>, E>
where
    C: InnerConnection,
    E: From<crate::Error>,
{
    let before = conn.pending_callbacks();
    let value = f(conn)?;
    let callbacks = conn.pending_callbacks().saturating_sub(before);
    let ran = match capture {
        Capture::Only => 0,
        Capture::Execute => conn.run_pending_callbacks()?,
    };
    Ok(Captured {
        value,
        callbacks,
        ran,
    })
}

/// Records, from now on, every hook that runs on `conn` (event, model,
/// hook name, keys, changed fields, deferred or not); returns the log to
/// assert on. [`stop_recording`] ends it.
///
/// ```
/// use diesel::prelude::*;
/// use hooks_diesel::hooks_core::Event;
/// use hooks_diesel::testing;
/// use hooks_diesel::{Batch, Hook, HookedConnection, HookModel, Registry};
///
/// diesel::table! { items (id) { id -> BigInt, name -> Text, qty -> BigInt, } }
///
/// #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug)]
/// #[diesel(table_name = items)]
/// struct Item { #[diesel(skip_insertion)] id: i64, name: String, qty: i64 }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let registry = Registry::new()
///     .with(Hook::after_update(|_ctx, _batch: &Batch<Item>| Ok(())).named("restock_alert"))
///     .with(Hook::after_update(|_ctx, _batch: &Batch<Item>| Ok(())).named("send_to_erp"));
/// let mut conn = HookedConnection::new(SqliteConnection::establish(":memory:")?, registry);
/// diesel::sql_query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty BIGINT NOT NULL)")
///     .execute(&mut conn)?;
/// let mut item = conn.create(Item { id: 0, name: "bolt".into(), qty: 1 })?;
///
/// let log = testing::record_hooks(&mut conn);
/// testing::mute_hooks(&mut conn, ["send_to_erp"]); // not in this test
/// item.qty = 0;
/// conn.save(item)?;
/// let fired = log.fired();
/// assert_eq!(fired.len(), 1);
/// assert_eq!((fired[0].event, fired[0].model, fired[0].hook.as_str()), (Event::AfterUpdate, "Item", "restock_alert"));
/// assert_eq!(fired[0].keys, ["1"]);
/// assert_eq!(fired[0].changed, [["qty"]]);
/// # Ok(())
/// # }
/// ```
pub fn record_hooks<C>(conn: &mut HookedConnection<C>) -> HookLog {
    let log = HookLog::new();
    conn.scope().set_log(Some(log.clone()));
    log
}

/// Stops recording hooks on `conn` (the log keeps what it has).
pub fn stop_recording<C>(conn: &mut HookedConnection<C>) {
    conn.scope().set_log(None);
}

/// Skips the hooks with these names (given with `Hook::named`, or the
/// function's type name for unnamed hooks) on `conn` until
/// [`unmute_hooks`]: nothing else changes, the other hooks and the writes
/// run. Kept by the connection: a pooled connection keeps its muted hooks
/// for its next user, so mute on connections of the test's own.
pub fn mute_hooks<C>(
    conn: &mut HookedConnection<C>,
    names: impl IntoIterator<Item = impl Into<String>>,
) {
    for name in names {
        conn.scope().mute(name);
    }
}

/// Runs the hooks with these names again.
pub fn unmute_hooks<'n, C>(
    conn: &mut HookedConnection<C>,
    names: impl IntoIterator<Item = &'n str>,
) {
    for name in names {
        conn.scope().unmute(name);
    }
}

/// Runs `f` with the hooks of these names muted; they run again
/// afterwards, also when `f` fails or panics.
pub fn with_muted<C, R>(
    conn: &mut HookedConnection<C>,
    names: &[&str],
    f: impl FnOnce(&mut HookedConnection<C>) -> R,
) -> R {
    mute_hooks(conn, names.iter().copied());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut *conn)));
    unmute_hooks(conn, names.iter().copied());
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
