//! Loading model rows from our own statements.

use diesel::backend::Backend;
use diesel::connection::LoadConnection;
use diesel::deserialize::FromSqlRow;
use diesel::expression::{Expression, QueryMetadata};
use diesel::query_builder::{Query, QueryFragment, QueryId};
use diesel::{QueryResult, Selectable};

/// A model that can be built from a row of its `Selectable` selection.
/// Implemented for every `#[derive(Queryable, Selectable)]` model.
pub trait LoadRow<DB: Backend>: Selectable<DB> + Sized {
    /// The SQL type of the selection.
    type SqlType;

    /// Builds one record from a row.
    fn from_row<'a>(row: &impl diesel::row::Row<'a, DB>) -> diesel::deserialize::Result<Self>;
}

impl<M, DB, ST> LoadRow<DB> for M
where
    DB: Backend,
    M: Selectable<DB> + FromSqlRow<ST, DB>,
    M::SelectExpression: Expression<SqlType = ST>,
{
    type SqlType = ST;

    fn from_row<'a>(row: &impl diesel::row::Row<'a, DB>) -> diesel::deserialize::Result<Self> {
        <M as FromSqlRow<ST, DB>>::build_from_row(row)
    }
}

/// Runs `query` and builds a record from each row.
pub(crate) fn load_rows<C, M, Q>(conn: &mut C, query: Q) -> QueryResult<Vec<M>>
where
    C: LoadConnection,
    M: LoadRow<C::Backend>,
    Q: Query + QueryFragment<C::Backend> + QueryId,
    C::Backend: QueryMetadata<Q::SqlType>,
{
    let rows = conn.load(query)?;
    rows.map(|row| {
        let row = row?;
        M::from_row(&row).map_err(diesel::result::Error::DeserializationError)
    })
    .collect()
}
