//! `HookedConnection` is a Diesel connection: every trait delegates to the
//! inner connection, the way r2d2's `PooledConnection` does, except that
//! statements pass through `intercept` (writes to hooked tables run their
//! hooks) and transactions go through `HookedTransactionManager`, which keeps
//! the callback frames.

use diesel::connection::{
    CacheSize, Connection, ConnectionSealed, Instrumentation, LoadConnection, SimpleConnection,
    TransactionManager,
};
use diesel::expression::QueryMetadata;
use diesel::migration::MigrationConnection;
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::{ConnectionResult, QueryResult};

use super::{HookedConnection, InnerConnection};
use crate::intercept::{AsCallerQuery, Routed, Want};
use crate::transaction::HookedTransactionManager;
use hooks_core::Registry;

impl<C: ConnectionSealed> ConnectionSealed for HookedConnection<C> {}

impl<C: InnerConnection> SimpleConnection for HookedConnection<C> {
    /// Runs raw SQL on the inner connection. No hook runs for it: a write
    /// to a table with hooks is subject to
    /// [`UnhookedWrites`](crate::UnhookedWrites). Do not open or close
    /// transactions with it (use `transaction`).
    fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        match self.check_text(query)? {
            crate::intercept::TextRoute::Send => self.inner.batch_execute(query),
            // One statement the hooks run for: sent as a statement, routed
            // as `execute` routes it.
            crate::intercept::TextRoute::Hooked => {
                let statement = query.trim_end().trim_end_matches(';');
                Connection::execute_returning_count(self, &TextStatement(statement)).map(drop)
            }
        }
    }
}

impl<C: InnerConnection> Connection for HookedConnection<C> {
    type Backend = C::Backend;
    type TransactionManager = HookedTransactionManager<C::TransactionManager>;

    /// Connects with `C::establish`, with an empty registry; give it hooks
    /// with [`HookedConnection::new`] instead.
    fn establish(database_url: &str) -> ConnectionResult<Self> {
        C::establish(database_url).map(|inner| HookedConnection::new(inner, Registry::new()))
    }

    fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
    where
        T: QueryFragment<Self::Backend> + QueryId,
    {
        self.forget_failed_statements();
        let result = self
            .intercept(source, static_id::<T>(), Want::Count)
            .and_then(|routed| match routed {
                None | Some(Routed::Unhooked) => self.inner.execute_returning_count(source),
                Some(Routed::Count(count)) => Ok(count),
                Some(Routed::Rows(_)) => Err(diesel::result::Error::QueryBuilderError(
                    "an executed statement was answered with rows".into(),
                )),
            });
        self.prepared.note::<C::Backend, _>(&result);
        result
    }

    fn transaction_state(
        &mut self,
    ) -> &mut <Self::TransactionManager as TransactionManager<Self>>::TransactionStateData {
        self.inner.transaction_state()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        self.inner.instrumentation()
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        self.inner.set_instrumentation(instrumentation);
    }

    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        self.set_cache_size(size);
    }
}

/// The id Diesel caches a statement type by, when it has one.
fn static_id<T: QueryId>() -> Option<std::any::TypeId> {
    T::HAS_STATIC_QUERY_ID.then(std::any::TypeId::of::<T::QueryId>)
}

impl<B, C> LoadConnection<B> for HookedConnection<C>
where
    C: InnerConnection + LoadConnection<B>,
{
    type Cursor<'conn, 'query> = <C as LoadConnection<B>>::Cursor<'conn, 'query>;
    type Row<'conn, 'query> = <C as LoadConnection<B>>::Row<'conn, 'query>;

    fn load<'conn, 'query, T>(
        &'conn mut self,
        source: T,
    ) -> QueryResult<Self::Cursor<'conn, 'query>>
    where
        T: Query + QueryFragment<Self::Backend> + QueryId + 'query,
        Self::Backend: QueryMetadata<T::SqlType>,
    {
        self.forget_failed_statements();
        // INSERT/UPDATE/DELETE ... RETURNING are loaded, not executed.
        let result = self
            .intercept(&source, static_id::<T>(), Want::Rows)
            .and_then(|routed| match routed {
                None | Some(Routed::Unhooked) => {
                    <C as LoadConnection<B>>::load(&mut self.inner, source)
                }
                Some(Routed::Rows(rows)) => <C as LoadConnection<B>>::load(
                    &mut self.inner,
                    AsCallerQuery::<_, T::SqlType> {
                        rows,
                        _sql_type: std::marker::PhantomData,
                    },
                ),
                Some(Routed::Count(_)) => Err(diesel::result::Error::QueryBuilderError(
                    "a loaded statement was answered with a count".into(),
                )),
            });
        self.prepared.note::<C::Backend, _>(&result);
        result
    }
}

impl<C> MigrationConnection for HookedConnection<C>
where
    C: InnerConnection + MigrationConnection,
{
    fn setup(&mut self) -> QueryResult<usize> {
        self.inner.setup()
    }
}

#[cfg(feature = "r2d2")]
impl<C> diesel::r2d2::R2D2Connection for HookedConnection<C>
where
    C: InnerConnection + diesel::r2d2::R2D2Connection,
{
    fn ping(&mut self) -> QueryResult<()> {
        self.inner.ping()
    }

    fn is_broken(&mut self) -> bool {
        self.inner.is_broken()
    }
}

/// `save_changes` through a hooked connection: `update_and_fetch` under
/// Diesel's own bounds on a changeset (its table's columns, none an
/// aggregate) and those its statements need (`needs`); the body is given
/// the connection and the changeset.
macro_rules! update_and_fetch {
    (
        #[$cfg:meta] $conn:ty,
        needs [$($needs:tt)*],
        |$this:ident, $changeset:ident| $body:block
    ) => {
        #[$cfg]
        impl<'b, Changes, Output> diesel::query_dsl::UpdateAndFetchResults<Changes, Output>
            for HookedConnection<$conn>
        where
            Changes: Copy
                + diesel::query_builder::AsChangeset<Target = <Changes as diesel::associations::HasTable>::Table>
                + diesel::query_builder::IntoUpdateTarget,
            <<Changes as diesel::associations::HasTable>::Table as diesel::Table>::AllColumns:
                diesel::expression::ValidGrouping<()>,
            <<<Changes as diesel::associations::HasTable>::Table as diesel::Table>::AllColumns as diesel::expression::ValidGrouping<()>>::IsAggregate:
                diesel::expression::MixedAggregates<
                    diesel::expression::is_aggregate::No,
                    Output = diesel::expression::is_aggregate::No,
                >,
            $($needs)*
        {
            fn update_and_fetch(&mut self, changeset: Changes) -> QueryResult<Output> {
                let ($this, $changeset) = (self, changeset);
                $body
            }
        }
    };
}

// PostgreSQL: an `UPDATE ... RETURNING`, checked like any plain write.
update_and_fetch! {
    #[cfg(feature = "postgres")] diesel::pg::PgConnection,
    needs [diesel::dsl::Update<Changes, Changes>: diesel::query_dsl::LoadQuery<'b, Self, Output>,],
    |conn, changeset| {
        use diesel::RunQueryDsl;
        diesel::update(changeset).set(changeset).get_result(conn)
    }
}

/// Without `UPDATE ... RETURNING` in Diesel's DSL: an `UPDATE`, checked
/// like any plain write, then a `SELECT` of the row.
macro_rules! update_then_find {
    ($(#[$cfg:meta] $conn:ty;)*) => {$(
        update_and_fetch! {
            #[$cfg] $conn,
            needs [
                Changes: diesel::Identifiable,
                Changes::Table: diesel::query_dsl::methods::FindDsl<Changes::Id>,
                diesel::dsl::Update<Changes, Changes>: diesel::query_dsl::methods::ExecuteDsl<Self>,
                diesel::dsl::Find<Changes::Table, Changes::Id>:
                    diesel::query_dsl::LoadQuery<'b, Self, Output>,
            ],
            |conn, changeset| {
                use diesel::query_dsl::methods::FindDsl;
                use diesel::RunQueryDsl;
                diesel::update(changeset).set(changeset).execute(conn)?;
                Changes::table().find(changeset.id()).get_result(conn)
            }
        }
    )*};
}

update_then_find! {
    #[cfg(feature = "sqlite")] diesel::sqlite::SqliteConnection;
    #[cfg(feature = "mysql")] diesel::mysql::MysqlConnection;
}

/// So that diesel-async's `SyncConnectionWrapper` runs a hooked SQLite
/// connection (`SyncConnectionWrapper<HookedConnection<SqliteConnection>>`):
/// its statements reach the hooks like any other.
impl<C> diesel::connection::WithMetadataLookup for HookedConnection<C>
where
    C: InnerConnection + diesel::connection::WithMetadataLookup,
{
    fn metadata_lookup(
        &mut self,
    ) -> &mut <Self::Backend as diesel::sql_types::TypeMetadata>::MetadataLookup {
        diesel::connection::WithMetadataLookup::metadata_lookup(&mut self.inner)
    }
}

/// SQL text sent as a statement without binds (not kept in the statement
/// cache).
struct TextStatement<'a>(&'a str);

impl QueryId for TextStatement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for TextStatement<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(self.0);
        Ok(())
    }
}
