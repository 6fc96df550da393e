//! The native route, spiked: the hooked machinery (a `HookedConnection`)
//! over diesel-async's own `AsyncPgConnection` (tokio-postgres), through a
//! Diesel sync `Connection` that drives the async connection to completion
//! on the calling thread (`Handle::block_on`). Hooks are sync code that
//! write through `ctx.conn()`, and every hooked operation is written
//! against a sync `diesel::Connection`: without rewriting all of them as
//! async, this bridge is how a native `AsyncConnection` wrapper would run
//! them. The caller runs each hooked call inside
//! `tokio::task::block_in_place` (a worker thread of a multi-thread
//! runtime gives up its tasks while it blocks).
//!
//! Only what the benchmark needs: built-in types (no type lookups).

use diesel::connection::{
    CacheSize, Connection, ConnectionSealed, DefaultLoadingMode, Instrumentation, LoadConnection,
    SimpleConnection, TransactionManager, TransactionManagerStatus,
};
use diesel::expression::QueryMetadata;
use diesel::pg::{
    FailedToLookupTypeError, Pg, PgMetadataCacheKey, PgMetadataLookup, PgTypeMetadata,
};
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::{ConnectionResult, QueryResult};
use diesel_async::{
    AsyncConnection, AsyncConnectionCore, AsyncPgConnection, SimpleAsyncConnection,
};
use futures_util::TryStreamExt;
use tokio::runtime::Handle;

/// `AsyncPgConnection` as a sync Diesel connection.
pub struct BlockOn {
    conn: AsyncPgConnection,
    handle: Handle,
}

type AsyncTm = <AsyncPgConnection as AsyncConnection>::TransactionManager;

impl BlockOn {
    /// Connects (from inside the runtime).
    pub async fn connect(url: &str) -> ConnectionResult<Self> {
        Ok(BlockOn {
            conn: AsyncPgConnection::establish(url).await?,
            handle: Handle::current(),
        })
    }
}

impl ConnectionSealed for BlockOn {}

impl SimpleConnection for BlockOn {
    fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        self.handle.block_on(self.conn.batch_execute(query))
    }
}

/// The sync transaction manager: the async one, driven to completion.
pub struct BlockOnTm;

impl TransactionManager<BlockOn> for BlockOnTm {
    type TransactionStateData = diesel_async::AnsiTransactionManager;

    fn begin_transaction(conn: &mut BlockOn) -> QueryResult<()> {
        let handle = conn.handle.clone();
        handle.block_on(
            <AsyncTm as diesel_async::TransactionManager<_>>::begin_transaction(&mut conn.conn),
        )
    }

    fn rollback_transaction(conn: &mut BlockOn) -> QueryResult<()> {
        let handle = conn.handle.clone();
        handle.block_on(
            <AsyncTm as diesel_async::TransactionManager<_>>::rollback_transaction(&mut conn.conn),
        )
    }

    fn commit_transaction(conn: &mut BlockOn) -> QueryResult<()> {
        let handle = conn.handle.clone();
        handle.block_on(
            <AsyncTm as diesel_async::TransactionManager<_>>::commit_transaction(&mut conn.conn),
        )
    }

    fn transaction_manager_status_mut(conn: &mut BlockOn) -> &mut TransactionManagerStatus {
        <AsyncTm as diesel_async::TransactionManager<_>>::transaction_manager_status_mut(
            &mut conn.conn,
        )
    }
}

impl Connection for BlockOn {
    type Backend = Pg;
    type TransactionManager = BlockOnTm;

    fn establish(url: &str) -> ConnectionResult<Self> {
        let handle = Handle::current();
        Ok(BlockOn {
            conn: handle.block_on(AsyncPgConnection::establish(url))?,
            handle,
        })
    }

    fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
    where
        T: QueryFragment<Pg> + QueryId,
    {
        self.handle
            .block_on(AsyncConnectionCore::execute_returning_count(
                &mut self.conn,
                source,
            ))
    }

    fn transaction_state(&mut self) -> &mut diesel_async::AnsiTransactionManager {
        self.conn.transaction_state()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        self.conn.instrumentation()
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        self.conn.set_instrumentation(instrumentation);
    }

    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        self.conn.set_prepared_statement_cache_size(size);
    }
}

type AsyncRow = <AsyncPgConnection as AsyncConnectionCore>::Row<'static, 'static>;

impl LoadConnection<DefaultLoadingMode> for BlockOn {
    type Cursor<'conn, 'query> = std::vec::IntoIter<QueryResult<AsyncRow>>;
    type Row<'conn, 'query> = AsyncRow;

    fn load<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> QueryResult<Self::Cursor<'conn, 'query>>
    where
        T: Query + QueryFragment<Pg> + QueryId + 'query,
        Pg: QueryMetadata<T::SqlType>,
    {
        let rows: Vec<AsyncRow> = self.handle.block_on(async {
            let stream = AsyncConnectionCore::load(&mut self.conn, source).await?;
            stream.try_collect().await
        })?;
        Ok(rows.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
    }
}

impl PgMetadataLookup for BlockOn {
    fn lookup_type(&mut self, type_name: &str, schema: Option<&str>) -> PgTypeMetadata {
        let key = PgMetadataCacheKey::new(
            schema.map(|s| s.to_owned().into()),
            type_name.to_owned().into(),
        );
        PgTypeMetadata::from_result(Err(FailedToLookupTypeError::new(key)))
    }
}

impl hooks_diesel::InnerConnection for BlockOn {
    fn metadata_lookup(&mut self) -> &mut (dyn PgMetadataLookup + 'static) {
        self
    }

    fn begin_transaction_sql(&mut self, sql: &str) -> QueryResult<()> {
        let handle = self.handle.clone();
        handle.block_on(diesel_async::AnsiTransactionManager::begin_transaction_sql(
            &mut self.conn,
            sql,
        ))
    }
}
