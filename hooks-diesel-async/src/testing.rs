//! Testing code that has hooks, async: [`hooks_diesel::testing`] for an
//! [`AsyncHookedConnection`]. Test transactions whose `on_commit`
//! callbacks are captured and run on demand, a recorder of fired hooks,
//! muted hooks.
//!
//! ```
//! use diesel::prelude::*;
//! use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
//! use hooks_diesel::testing::Capture;
//! use hooks_diesel::{Batch, Hook, HookContext, HookedConnection, HookModel, Registry};
//! use hooks_diesel_async::{testing, AsyncHookedConnection};
//! use std::sync::{Arc, Mutex};
//!
//! diesel::table! { users (id) { id -> BigInt, email -> Text, } }
//!
//! #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug)]
//! #[diesel(table_name = users)]
//! struct User { #[diesel(skip_insertion)] id: i64, email: String }
//!
//! type Conn = HookedConnection<SqliteConnection>;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let outbox = Arc::new(Mutex::new(Vec::new()));
//! let sent = Arc::clone(&outbox);
//! let registry = Registry::new().with(
//!     Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, batch: &Batch<User>| {
//!         let (emails, sent) = (batch.news().map(|u| u.email.clone()).collect::<Vec<_>>(), Arc::clone(&sent));
//!         ctx.conn().on_commit(move |_| {
//!             sent.lock().unwrap().extend(emails); // the welcome e-mails
//!             Ok(())
//!         });
//!         Ok(())
//!     })
//!     .named("welcome_email"),
//! );
//! let mut conn = AsyncHookedConnection::<SqliteConnection>::connect(":memory:", registry).await?;
//! conn.batch_execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)").await?;
//!
//! testing::begin_test_transaction(&mut conn).await?;
//! let log = testing::record_hooks(&mut conn);
//! let captured = testing::capture_on_commit(&mut conn, Capture::Only, async |conn| {
//!     diesel::insert_into(users::table)
//!         .values(users::email.eq("ann@example.com"))
//!         .execute(conn)
//!         .await
//!         .map_err(hooks_diesel::Error::from)
//! })
//! .await?;
//! assert_eq!((captured.value, captured.callbacks), (1, 1));
//! assert!(outbox.lock().unwrap().is_empty()); // captured, not run
//! assert_eq!(conn.run_pending_callbacks().await?, 1); // run on demand
//! assert_eq!(*outbox.lock().unwrap(), ["ann@example.com"]);
//! assert_eq!(log.names(), ["welcome_email"]);
//! # Ok(())
//! # }
//! ```

pub use hooks_diesel::testing::{Capture, Captured, FiredHook, HookLog};

use hooks_diesel::HookedConnection;

use crate::connection::lost;
use crate::query::AsyncInner;
use crate::AsyncHookedConnection;

/// Begins Diesel's test transaction on `conn` (nothing is committed;
/// callbacks wait): [`hooks_diesel::testing::begin_test_transaction`].
pub async fn begin_test_transaction<C: AsyncInner>(
    conn: &mut AsyncHookedConnection<C>,
) -> hooks_diesel::Result<()> {
    conn.run(|c| hooks_diesel::testing::begin_test_transaction(c))
        .await
}

/// Runs `f`, counting the `on_commit` callbacks and deferred hooks it
/// registers, and with [`Capture::Execute`] runs them when it returns:
/// [`hooks_diesel::testing::capture_on_commit`] for async code.
pub async fn capture_on_commit<C, R, E>(
    conn: &mut AsyncHookedConnection<C>,
    capture: Capture,
    f: impl AsyncFnOnce(&mut AsyncHookedConnection<C>) -> Result<R, E>,
) -> Result<Captured<R>, E>
where
    C: AsyncInner,
    E: From<hooks_diesel::Error>,
{
    let before = conn.pending_callbacks().await?;
    let value = f(conn).await?;
    let callbacks = conn.pending_callbacks().await?.saturating_sub(before);
    let ran = match capture {
        Capture::Only => 0,
        Capture::Execute => conn.run_pending_callbacks().await?,
    };
    Ok(Captured {
        value,
        callbacks,
        ran,
    })
}

/// The hooked connection between statements, for the sync helpers.
fn hooked<C>(
    conn: &mut AsyncHookedConnection<C>,
) -> hooks_diesel::Result<&mut HookedConnection<C>> {
    conn.hooked()
        .ok_or_else(|| lost("an earlier call was dropped while it ran").into())
}

/// Records, from now on, every hook that runs on `conn`:
/// [`hooks_diesel::testing::record_hooks`]. On a lost connection the log
/// stays empty.
pub fn record_hooks<C>(conn: &mut AsyncHookedConnection<C>) -> HookLog {
    match hooked(conn) {
        Ok(c) => hooks_diesel::testing::record_hooks(c),
        Err(_) => HookLog::new(),
    }
}

/// Skips the hooks with these names on `conn` until [`unmute_hooks`]:
/// [`hooks_diesel::testing::mute_hooks`].
pub fn mute_hooks<C>(
    conn: &mut AsyncHookedConnection<C>,
    names: impl IntoIterator<Item = impl Into<String>>,
) -> hooks_diesel::Result<()> {
    hooks_diesel::testing::mute_hooks(hooked(conn)?, names);
    Ok(())
}

/// Runs the hooks with these names again.
pub fn unmute_hooks<'n, C>(
    conn: &mut AsyncHookedConnection<C>,
    names: impl IntoIterator<Item = &'n str>,
) -> hooks_diesel::Result<()> {
    hooks_diesel::testing::unmute_hooks(hooked(conn)?, names);
    Ok(())
}
