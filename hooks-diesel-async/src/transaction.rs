//! The transaction manager of [`AsyncHookedConnection`]: each begin,
//! commit and rollback is the hooked connection's own (`HookedTransactionManager`),
//! run on the blocking thread, so `on_commit` / `on_rollback` callbacks
//! and deferred hooks settle exactly as on the sync connection (they run
//! on that thread, with the sync connection, right after the `COMMIT`).

use diesel::connection::{
    Connection, TransactionManager as SyncTransactionManager, TransactionManagerStatus,
};
use diesel::QueryResult;
use hooks_diesel::HookedConnection;

use crate::query::AsyncInner;
use crate::AsyncHookedConnection;

/// The diesel-async `TransactionManager` of [`AsyncHookedConnection`].
/// Used through `AsyncConnection::transaction`; not meant to be called
/// directly.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncHookTransactionManager;

type Sync<C> = <HookedConnection<C> as Connection>::TransactionManager;

impl<C: AsyncInner> diesel_async::TransactionManager<AsyncHookedConnection<C>>
    for AsyncHookTransactionManager
{
    type TransactionStateData = TransactionManagerStatus;

    async fn begin_transaction(conn: &mut AsyncHookedConnection<C>) -> QueryResult<()> {
        conn.with(Sync::<C>::begin_transaction).await?
    }

    async fn rollback_transaction(conn: &mut AsyncHookedConnection<C>) -> QueryResult<()> {
        conn.with(Sync::<C>::rollback_transaction).await?
    }

    async fn commit_transaction(conn: &mut AsyncHookedConnection<C>) -> QueryResult<()> {
        conn.with(Sync::<C>::commit_transaction).await?
    }

    fn transaction_manager_status_mut(
        conn: &mut AsyncHookedConnection<C>,
    ) -> &mut TransactionManagerStatus {
        conn.status_mut()
    }
}
