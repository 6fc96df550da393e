//! A statement made ready to cross to the blocking thread: its SQL and its
//! binds collected on the caller's task (Diesel's `MoveableBindCollector`),
//! keeping the statement type's static query id so that the hooked
//! connection classifies it once and Diesel caches it as it would have.

use std::marker::PhantomData;

use diesel::backend::{Backend, DieselReserveSpecialization};
use diesel::connection::Connection;
use diesel::query_builder::{
    AstPass, MoveableBindCollector, Query, QueryBuilder, QueryFragment, QueryId,
};
use diesel::sql_types::Untyped;
use diesel::QueryResult;
use hooks_diesel::{HookedConnection, InnerConnection};

/// A sync connection the async hooked connection can run: SQLite,
/// PostgreSQL, MySQL (Diesel's sync connections), whose binds can be moved
/// to another thread and whose rows can be owned.
pub trait AsyncInner: InnerConnection + crate::rows::OwnRow + Send {
    /// The binds of one statement, owned.
    type BindData: Send + 'static;

    /// Collects the SQL and binds of `query`, with `conn` for type
    /// lookups.
    #[doc(hidden)]
    fn collect<T>(conn: &mut HookedConnection<Self>, query: &T) -> QueryResult<Collected<Self>>
    where
        T: QueryFragment<Self::Backend> + QueryId;

    /// Executes a collected statement; `I` is the static query id of the
    /// statement it was collected from when `is_static`.
    #[doc(hidden)]
    fn execute<I: 'static>(
        conn: &mut HookedConnection<Self>,
        query: &Collected<Self>,
        is_static: bool,
    ) -> QueryResult<usize>;

    /// Loads a collected statement's rows, owned.
    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    fn load<I: 'static>(
        conn: &mut HookedConnection<Self>,
        query: &Collected<Self>,
        is_static: bool,
    ) -> QueryResult<Vec<QueryResult<Self::Owned>>>;
}

/// The SQL and owned binds of one statement.
#[doc(hidden)]
pub struct Collected<C: AsyncInner> {
    pub(crate) sql: String,
    pub(crate) safe_to_cache: bool,
    pub(crate) binds: C::BindData,
}

/// Collects `query` for a backend whose bind collector's data moves.
pub(crate) fn collect<C, T>(conn: &mut HookedConnection<C>, query: &T) -> QueryResult<Collected<C>>
where
    C: AsyncInner,
    C::Backend: Default + DieselReserveSpecialization,
    for<'a> <C::Backend as Backend>::BindCollector<'a>:
        MoveableBindCollector<C::Backend, BindData = C::BindData> + Default,
    T: QueryFragment<C::Backend> + QueryId,
{
    let backend = C::Backend::default();
    let mut collector = <<C::Backend as Backend>::BindCollector<'_> as Default>::default();
    query.collect_binds(&mut collector, conn.inner_mut().metadata_lookup(), &backend)?;
    let binds = collector.moveable();
    let mut builder = <<C::Backend as Backend>::QueryBuilder as Default>::default();
    query.to_sql(&mut builder, &backend)?;
    Ok(Collected {
        sql: builder.finish(),
        safe_to_cache: query.is_safe_to_cache_prepared(&backend)?,
        binds,
    })
}

/// Runs `query` and owns its rows.
#[allow(clippy::type_complexity)]
fn load_owned<C, Q>(
    conn: &mut HookedConnection<C>,
    query: Q,
) -> QueryResult<Vec<QueryResult<C::Owned>>>
where
    C: AsyncInner,
    Q: Query + QueryFragment<C::Backend> + QueryId,
    C::Backend: diesel::expression::QueryMetadata<Q::SqlType>,
{
    use diesel::connection::LoadConnection;
    let mut cache = Default::default();
    let cursor = <HookedConnection<C> as LoadConnection>::load(conn, query)?;
    Ok(cursor
        .map(|row| row.map(|row| C::own(row, &mut cache)))
        .collect())
}

macro_rules! async_inner {
    ($(#[$cfg:meta] $conn:ty;)*) => {$(
        #[$cfg]
        impl AsyncInner for $conn {
            type BindData = <<<$conn as Connection>::Backend as Backend>::BindCollector<'static>
                as MoveableBindCollector<<$conn as Connection>::Backend>>::BindData;

            fn collect<T>(conn: &mut HookedConnection<Self>, query: &T) -> QueryResult<Collected<Self>>
            where
                T: QueryFragment<Self::Backend> + QueryId,
            {
                collect(conn, query)
            }

            fn execute<I: 'static>(
                conn: &mut HookedConnection<Self>,
                q: &Collected<Self>,
                is_static: bool,
            ) -> QueryResult<usize> {
                if is_static {
                    conn.execute_returning_count(&Owned::<_, Static<I>>::new(&q.sql, q.safe_to_cache, &q.binds))
                } else {
                    conn.execute_returning_count(&Owned::<_, NoId>::new(&q.sql, q.safe_to_cache, &q.binds))
                }
            }

            fn load<I: 'static>(
                conn: &mut HookedConnection<Self>,
                q: &Collected<Self>,
                is_static: bool,
            ) -> QueryResult<Vec<QueryResult<Self::Owned>>> {
                if is_static {
                    load_owned(conn, Owned::<_, Static<I>>::new(&q.sql, q.safe_to_cache, &q.binds))
                } else {
                    load_owned(conn, Owned::<_, NoId>::new(&q.sql, q.safe_to_cache, &q.binds))
                }
            }
        }
    )*};
}

async_inner! {
    #[cfg(feature = "sqlite")] diesel::sqlite::SqliteConnection;
    #[cfg(feature = "postgres")] diesel::pg::PgConnection;
    #[cfg(feature = "mysql")] diesel::mysql::MysqlConnection;
}

/// A collected statement as Diesel runs it, with the static query id `I`
/// of the statement it was collected from (or none: [`NoId`]).
pub(crate) struct Owned<'a, MD, I> {
    sql: &'a str,
    safe_to_cache: bool,
    binds: &'a MD,
    _id: PhantomData<fn() -> I>,
}

/// The query id of statements without a static one.
pub(crate) struct NoId;

impl<'a, MD, I> Owned<'a, MD, I> {
    pub(crate) fn new(sql: &'a str, safe_to_cache: bool, binds: &'a MD) -> Self {
        Owned {
            sql,
            safe_to_cache,
            binds,
            _id: PhantomData,
        }
    }
}

impl<DB, MD, I> QueryFragment<DB> for Owned<'_, MD, I>
where
    DB: Backend + DieselReserveSpecialization,
    for<'b> <DB as Backend>::BindCollector<'b>: MoveableBindCollector<DB, BindData = MD>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.safe_to_cache {
            pass.unsafe_to_cache_prepared();
        }
        pass.push_sql(self.sql);
        pass.push_bind_collector_data::<MD>(self.binds)
    }
}

/// A statement type with a static id: cached and classified by it.
pub(crate) struct Static<I>(PhantomData<fn() -> I>);

impl<MD, I: 'static> QueryId for Owned<'_, MD, Static<I>> {
    type QueryId = Static<I>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<MD> QueryId for Owned<'_, MD, NoId> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<MD, I> Query for Owned<'_, MD, I> {
    type SqlType = Untyped;
}
