//! The rows a statement addresses: exact keys, or a Diesel filter.

use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::keys::{key_columns, push_key_in};
use super::Column;
use crate::backend::HookBackend;
use crate::model::ModelBinds;

/// `WHERE key IN (...)`, `WHERE (<filter>)`, or both: `WHERE (<filter>)
/// AND key IN (...)` (a filter restated next to the keys it selected, for
/// statements that must carry the filter's binds).
#[doc(hidden)]
pub enum Target<'a, K, F> {
    Keys(&'a [K]),
    Filter(&'a F),
    Both(&'a F, &'a [K]),
}

impl<'a, K, F> Target<'a, K, F> {
    /// The array columns a key list binds on backends with arrays.
    pub(crate) fn columns<M: hooks_core::HookModel<Key = K>>(&self) -> Vec<Column<'a, M>> {
        match self {
            Target::Keys(keys) | Target::Both(_, keys) => key_columns::<M>(keys),
            Target::Filter(_) => Vec::new(),
        }
    }

    pub(crate) fn push_where<'b, M, DB>(
        &'b self,
        columns: &'b [Column<'_, M>],
        out: &mut AstPass<'_, 'b, DB>,
    ) -> QueryResult<()>
    where
        DB: HookBackend,
        M: ModelBinds<DB, Key = K>,
        F: QueryFragment<DB>,
    {
        out.push_sql(" WHERE ");
        match self {
            Target::Keys(keys) => push_key_in::<M, DB>(keys, columns, out),
            Target::Filter(filter) => push_filter(*filter, out),
            Target::Both(filter, keys) => {
                push_filter(*filter, out)?;
                out.push_sql(" AND ");
                push_key_in::<M, DB>(keys, columns, out)
            }
        }
    }
}

fn push_filter<'b, DB: HookBackend, F: QueryFragment<DB>>(
    filter: &'b F,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    out.push_sql("(");
    filter.walk_ast(out.reborrow())?;
    out.push_sql(")");
    Ok(())
}

/// The filter type of a key-list target, which has none.
#[doc(hidden)]
pub(crate) struct NoFilter;

impl<DB: diesel::backend::Backend> QueryFragment<DB> for NoFilter {
    fn walk_ast<'b>(&'b self, _: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

/// `(<filter>) AND RAND() < 0`: a condition evaluated for every row the
/// filter's own would be, and met by none (see
/// [`HookBackend::CHECKS_CONDITION_BY_WRITE`]).
pub(crate) struct Unmet<'a, F>(pub &'a F);

impl<DB: diesel::backend::Backend, F: QueryFragment<DB>> QueryFragment<DB> for Unmet<'_, F> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AND RAND() < 0");
        Ok(())
    }
}
