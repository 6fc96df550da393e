//! The shapes of Diesel expressions that set-based operations accept.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression};
use diesel::query_builder::{AsChangeset, QueryFragment};
use diesel::sql_types::BoolOrNullableBool;

/// A Diesel filter over table `T` (what `.filter(..)` takes):
/// `accounts::status.eq("active")`, `accounts::id.eq_any(subquery)`, ...
pub trait Filter<T, DB: Backend>:
    Expression<SqlType: BoolOrNullableBool> + AppearsOnTable<T> + QueryFragment<DB>
{
}

impl<F, T, DB> Filter<T, DB> for F
where
    DB: Backend,
    F: Expression<SqlType: BoolOrNullableBool> + AppearsOnTable<T> + QueryFragment<DB>,
{
}

/// A Diesel changeset for table `T` (what `.set(..)` takes): values,
/// expressions (`balance.eq(balance + 1)`) and subqueries.
pub trait Changes<T, DB: Backend>: AsChangeset<Target = T, Changeset: QueryFragment<DB>> {}

impl<V, T, DB> Changes<T, DB> for V
where
    DB: Backend,
    V: AsChangeset<Target = T, Changeset: QueryFragment<DB>>,
{
}

/// A filter matching every row (`1 = 1`), for set-based operations and
/// bulk sync over a whole table.
///
/// ```
/// # use diesel::prelude::*;
/// # diesel::table! { accounts (id) { id -> Integer, balance -> Integer, } }
/// use hooks_diesel::AllRows;
/// let query = accounts::table.filter(AllRows).select(accounts::id);
/// assert_eq!(
///     diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string(),
///     "SELECT `accounts`.`id` FROM `accounts` WHERE 1 = 1 -- binds: []"
/// );
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllRows;

impl diesel::query_builder::QueryId for AllRows {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Expression for AllRows {
    type SqlType = diesel::sql_types::Bool;
}

impl<QS> AppearsOnTable<QS> for AllRows {}

impl<QS> diesel::expression::SelectableExpression<QS> for AllRows {}

impl<GB> diesel::expression::ValidGrouping<GB> for AllRows {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<DB: Backend> QueryFragment<DB> for AllRows {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("1 = 1");
        Ok(())
    }
}
