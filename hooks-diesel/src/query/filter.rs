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
