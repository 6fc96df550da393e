//! [`AsyncHookedConnection`]: a hooked connection for async code, a
//! diesel-async `AsyncConnection`.

use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

use diesel::connection::{CacheSize, Connection, Instrumentation, TransactionManagerStatus};
use diesel::query_builder::{AsQuery, QueryFragment, QueryId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{ConnectionResult, QueryResult};
use diesel_async::{AsyncConnection, AsyncConnectionCore, SimpleAsyncConnection};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use hooks_diesel::{Config, HookedConnection, Registry};

use crate::query::AsyncInner;
use crate::transaction::AsyncHookTransactionManager;

/// A [`HookedConnection`] for async code: a diesel-async
/// [`AsyncConnection`], so `diesel_async::RunQueryDsl` (`execute`, `load`,
/// `get_result`, `transaction`) runs through it, and every write to a table
/// with hooks runs them, with the same [`Registry`] and the same hook code
/// as the sync connection. The bulk, set-based and single-row operations
/// and the callbacks are its async methods (module `ops`).
///
/// Each statement runs on the sync connection `C` (Diesel's SQLite,
/// PostgreSQL or MySQL connection) on one of tokio's blocking threads
/// (`spawn_blocking`), the way diesel-async's `SyncConnectionWrapper` runs
/// SQLite; the statement's binds are collected on the caller's task and
/// the rows come back owned. A hooked operation (hooks included) is one
/// such call. README, "Async", has the measurements behind this design.
///
/// Dropping a future of this connection while its statement runs (a
/// timeout, a cancelled request) loses the connection: the statement
/// finishes on its thread and the connection is closed there; later calls
/// fail with `UnableToSendCommand` and pools discard it
/// ([`is_lost`](Self::is_lost)). A transaction can therefore never be left
/// open in a connection that is used again.
///
/// ```
/// use diesel::prelude::*;
/// use diesel::sqlite::SqliteConnection;
/// use diesel_async::{AsyncConnection, RunQueryDsl};
/// use hooks_diesel::Registry;
/// use hooks_diesel_async::AsyncHookedConnection;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let mut conn =
///     AsyncHookedConnection::<SqliteConnection>::connect(":memory:", Registry::new()).await?;
/// let answer: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("42"))
///     .get_result(&mut conn)
///     .await?;
/// assert_eq!(answer, 42);
/// # Ok(())
/// # }
/// ```
pub struct AsyncHookedConnection<C> {
    conn: Option<Box<HookedConnection<C>>>,
    /// Returned as the transaction status once the connection is lost.
    lost: TransactionManagerStatus,
    blocking: Blocking,
}

/// How an [`AsyncHookedConnection`] runs the sync connection's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Blocking {
    /// On one of tokio's blocking threads (`spawn_blocking`), the caller's
    /// task waiting: works on any runtime; a future dropped mid-statement
    /// loses the connection.
    #[default]
    SpawnBlocking,
    /// On the caller's own thread, which tokio gives up as a worker while
    /// it blocks (`block_in_place`): no hand-over to another thread per
    /// statement. Only on a multi-thread runtime (elsewhere as
    /// `SpawnBlocking`); the statement runs to its end within one poll, so
    /// other futures polled by the same task (`join!`, `select!`) wait
    /// meanwhile, and a connection is never lost to a dropped future.
    InPlace,
}

impl<C> AsyncHookedConnection<C> {
    /// Wraps a hooked connection.
    pub fn new(conn: HookedConnection<C>) -> Self {
        AsyncHookedConnection {
            conn: Some(Box::new(conn)),
            lost: TransactionManagerStatus::InError,
            blocking: Blocking::default(),
        }
    }

    /// Chooses how the sync connection's calls run (builder form).
    #[must_use]
    pub fn with_blocking(mut self, blocking: Blocking) -> Self {
        self.blocking = blocking;
        self
    }

    /// Chooses how the sync connection's calls run.
    pub fn set_blocking(&mut self, blocking: Blocking) {
        self.blocking = blocking;
    }

    /// True when a future of this connection was dropped while its
    /// statement ran: the connection is gone.
    pub fn is_lost(&self) -> bool {
        self.conn.is_none()
    }

    /// The hooked connection, between statements (`None` once lost).
    /// Runs on the caller's thread: do not send statements through it from
    /// async code (use [`with`](Self::with)).
    pub fn hooked(&mut self) -> Option<&mut HookedConnection<C>> {
        self.conn.as_deref_mut()
    }

    /// Unwraps the hooked connection (`None` once lost).
    pub fn into_hooked(self) -> Option<HookedConnection<C>> {
        self.conn.map(|c| *c)
    }

    /// The hooks this connection runs.
    pub fn registry(&self) -> Option<&Arc<Registry<HookedConnection<C>>>> {
        self.conn.as_deref().map(HookedConnection::registry)
    }

    /// The configuration (`None` once lost).
    pub fn config_mut(&mut self) -> Option<&mut Config> {
        self.conn.as_deref_mut().map(HookedConnection::config_mut)
    }
}

/// The error of a call on a lost connection, or of a blocking task that
/// could not run.
pub(crate) fn lost(why: &str) -> DieselError {
    DieselError::DatabaseError(
        DatabaseErrorKind::UnableToSendCommand,
        Box::new(format!(
            "the hooked connection is gone: {why}; get a new connection (a pool does this)"
        )),
    )
}

impl<C: AsyncInner> AsyncHookedConnection<C> {
    /// Connects with `C::establish(url)` (on a blocking thread) and wraps
    /// the connection with the hooks of `registry` (a `Registry`, or an
    /// `Arc` of one shared by several connections).
    pub async fn connect(
        url: &str,
        registry: impl Into<Arc<Registry<HookedConnection<C>>>>,
    ) -> ConnectionResult<Self> {
        let url = url.to_owned();
        let registry = registry.into();
        let conn = tokio::task::spawn_blocking(move || C::establish(&url))
            .await
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
        Ok(Self::new(HookedConnection::new(conn, registry)))
    }

    /// Runs `f` with the hooked connection on a blocking thread and
    /// returns what it returns: any sync code of hooks-diesel (a
    /// `transaction_with`, `retry_transaction`, `dry_run`, a hooked
    /// operation with borrowed arguments) from async code. A panic in `f`
    /// is resumed here, the connection kept.
    ///
    /// Fails only when the connection is lost, or the runtime is shutting
    /// down.
    pub async fn with<R, F>(&mut self, f: F) -> QueryResult<R>
    where
        F: FnOnce(&mut HookedConnection<C>) -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.blocking == Blocking::InPlace
            && tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        {
            let conn = self.between()?;
            let result = tokio::task::block_in_place(|| catch_unwind(AssertUnwindSafe(|| f(conn))));
            return Ok(result.unwrap_or_else(|panic| resume_unwind(panic)));
        }
        let mut conn = self
            .conn
            .take()
            .ok_or_else(|| lost("an earlier call was dropped while it ran"))?;
        let joined = tokio::task::spawn_blocking(move || {
            let result = catch_unwind(AssertUnwindSafe(|| f(&mut conn)));
            (conn, result)
        })
        .await;
        let (conn, result) =
            joined.map_err(|e| lost(&format!("its blocking task failed ({e})")))?;
        self.conn = Some(conn);
        Ok(result.unwrap_or_else(|panic| resume_unwind(panic)))
    }

    /// The transaction status of the inner connection (in error once the
    /// connection is lost).
    pub(crate) fn status_mut(&mut self) -> &mut TransactionManagerStatus {
        use diesel::connection::TransactionManager;
        match self.conn.as_deref_mut() {
            Some(conn) => {
                <HookedConnection<C> as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            }
            None => &mut self.lost,
        }
    }

    /// The hooked connection for a statement's binds, on the caller's
    /// thread.
    fn between(&mut self) -> QueryResult<&mut HookedConnection<C>> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| lost("an earlier call was dropped while it ran"))
    }
}

impl<C> fmt::Debug for AsyncHookedConnection<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.conn {
            Some(conn) => f.debug_tuple("AsyncHookedConnection").field(conn).finish(),
            None => f.write_str("AsyncHookedConnection(lost)"),
        }
    }
}

impl<C: AsyncInner> SimpleAsyncConnection for AsyncHookedConnection<C> {
    /// Raw SQL, on the blocking thread; no hook runs for it (see
    /// `UnhookedWrites`).
    async fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        use diesel::connection::SimpleConnection;
        let query = query.to_owned();
        self.with(move |conn| conn.batch_execute(&query)).await?
    }
}

impl<C: AsyncInner> AsyncConnectionCore for AsyncHookedConnection<C> {
    type ExecuteFuture<'conn, 'query> = BoxFuture<'conn, QueryResult<usize>>;
    type LoadFuture<'conn, 'query> = BoxFuture<'conn, QueryResult<Self::Stream<'conn, 'query>>>;
    type Stream<'conn, 'query> = BoxStream<'static, QueryResult<Self::Row<'conn, 'query>>>;
    type Row<'conn, 'query> = C::Owned;
    type Backend = C::Backend;

    fn load<'conn, 'query, T>(&'conn mut self, source: T) -> Self::LoadFuture<'conn, 'query>
    where
        T: AsQuery + 'query,
        T::Query: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        let query = source.as_query();
        let collected = self
            .between()
            .and_then(|conn| <C as AsyncInner>::collect(conn, &query));
        let is_static = <T::Query as QueryId>::HAS_STATIC_QUERY_ID;
        async move {
            let collected = collected?;
            let rows = self
                .with(move |conn| {
                    <C as AsyncInner>::load::<<T::Query as QueryId>::QueryId>(
                        conn, &collected, is_static,
                    )
                })
                .await??;
            Ok(futures_util::stream::iter(rows).boxed())
        }
        .boxed()
    }

    fn execute_returning_count<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> Self::ExecuteFuture<'conn, 'query>
    where
        T: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        let collected = self
            .between()
            .and_then(|conn| <C as AsyncInner>::collect(conn, &source));
        let is_static = T::HAS_STATIC_QUERY_ID;
        async move {
            let collected = collected?;
            self.with(move |conn| {
                <C as AsyncInner>::execute::<T::QueryId>(conn, &collected, is_static)
            })
            .await?
        }
        .boxed()
    }
}

impl<C: AsyncInner> AsyncConnection for AsyncHookedConnection<C> {
    type TransactionManager = AsyncHookTransactionManager;

    /// Connects with an empty registry; give it hooks with
    /// [`connect`](AsyncHookedConnection::connect) instead.
    async fn establish(database_url: &str) -> ConnectionResult<Self> {
        Self::connect(database_url, Registry::new()).await
    }

    fn transaction_state(
        &mut self,
    ) -> &mut <Self::TransactionManager as diesel_async::TransactionManager<Self>>::TransactionStateData
    {
        self.status_mut()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        match self.conn.as_deref_mut() {
            Some(conn) => conn.instrumentation(),
            None => panic!("instrumentation of a lost hooked connection"),
        }
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        if let Some(conn) = self.conn.as_deref_mut() {
            conn.set_instrumentation(instrumentation);
        }
    }

    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        if let Some(conn) = self.conn.as_deref_mut() {
            conn.set_prepared_statement_cache_size(size);
        }
    }
}
