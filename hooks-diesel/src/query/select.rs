//! Reading (and locking) the rows an operation is about to change.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

use super::keys::{key_columns, push_key, push_key_columns, push_key_in, push_key_list};
use super::Column;
use super::LoadRow;
use crate::backend::HookBackend;
use crate::model::DieselHookModel;

fn push_select_from<'b, M, DB>(
    selection: &'b M::SelectExpression,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: HookBackend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
{
    out.push_sql("SELECT ");
    selection.walk_ast(out.reborrow())?;
    out.push_sql(" FROM ");
    out.push_identifier(M::TABLE)
}

fn push_order_by<M, DB>(out: &mut AstPass<'_, '_, DB>) -> QueryResult<()>
where
    DB: HookBackend,
    M: DieselHookModel<DB>,
{
    out.push_sql(" ORDER BY ");
    push_key_list::<M, DB>(out, true)
}

/// Locks are taken in key order, so concurrent hooked writers over
/// overlapping keys queue instead of deadlocking. Backends without row locks
/// hold the write lock of the whole transaction instead.
fn push_lock<DB: HookBackend>(lock: bool, out: &mut AstPass<'_, '_, DB>) {
    if lock && DB::ROW_LOCKS {
        out.push_sql(" FOR UPDATE");
    }
}

/// `SELECT <selection> FROM t WHERE key IN (...) ORDER BY key [FOR UPDATE]`.
pub(crate) struct SelectByKeys<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend> {
    keys: &'a [M::Key],
    key_columns: Vec<Column<'a, M>>,
    lock: bool,
    selection: M::SelectExpression,
}

impl<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend> SelectByKeys<'a, M, DB> {
    pub(crate) fn new(keys: &'a [M::Key], lock: bool) -> Self {
        SelectByKeys {
            keys,
            key_columns: key_columns::<M>(keys),
            lock,
            selection: M::construct_selection(),
        }
    }
}

impl<M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend> QueryId for SelectByKeys<'_, M, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: DieselHookModel<DB> + LoadRow<DB>, DB: HookBackend> Query for SelectByKeys<'_, M, DB> {
    type SqlType = M::SqlType;
}

impl<M, DB> QueryFragment<DB> for SelectByKeys<'_, M, DB>
where
    DB: HookBackend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_select_from::<M, DB>(&self.selection, &mut out)?;
        out.push_sql(" WHERE ");
        push_key_in::<M, DB>(self.keys, &self.key_columns, &mut out)?;
        push_order_by::<M, DB>(&mut out)?;
        push_lock(self.lock, &mut out);
        Ok(())
    }
}

/// `SELECT <selection> FROM t WHERE <filter> [AND key > last] ORDER BY key
/// LIMIT n [FOR UPDATE]`: one chunk of a set-based operation, read by key
/// order so that memory stays bounded by the chunk.
pub(crate) struct SelectWhere<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, F> {
    filter: &'a F,
    after: Option<&'a M::Key>,
    limit: Option<usize>,
    lock: bool,
    selection: M::SelectExpression,
    _db: PhantomData<DB>,
}

impl<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, F> SelectWhere<'a, M, DB, F> {
    pub(crate) fn new(
        filter: &'a F,
        after: Option<&'a M::Key>,
        limit: Option<usize>,
        lock: bool,
    ) -> Self {
        SelectWhere {
            filter,
            after,
            limit,
            lock,
            selection: M::construct_selection(),
            _db: PhantomData,
        }
    }
}

impl<M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, F> QueryId
    for SelectWhere<'_, M, DB, F>
{
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: DieselHookModel<DB> + LoadRow<DB>, DB: HookBackend, F> Query for SelectWhere<'_, M, DB, F> {
    type SqlType = M::SqlType;
}

impl<M, DB, F> QueryFragment<DB> for SelectWhere<'_, M, DB, F>
where
    DB: HookBackend + Backend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_select_from::<M, DB>(&self.selection, &mut out)?;
        push_chunk_where::<M, DB, F>(self.filter, self.after, self.limit, self.lock, &mut out)
    }
}

/// ` WHERE (<filter>) [AND key > <after>] ORDER BY key [LIMIT n] [FOR
/// UPDATE]`: one chunk of the rows a filter matches, in key order.
pub(crate) fn push_chunk_where<'b, M, DB, F>(
    filter: &'b F,
    after: Option<&'b M::Key>,
    limit: Option<usize>,
    lock: bool,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: HookBackend,
    M: DieselHookModel<DB>,
    F: QueryFragment<DB>,
{
    out.push_sql(" WHERE (");
    filter.walk_ast(out.reborrow())?;
    out.push_sql(")");
    if let Some(after) = after {
        out.push_sql(" AND ");
        push_key_columns::<M, DB>(out, true)?;
        out.push_sql(" > ");
        push_key::<M, DB>(after, out)?;
    }
    push_order_by::<M, DB>(out)?;
    if let Some(limit) = limit {
        out.push_sql(&format!(" LIMIT {limit}"));
    }
    push_lock(lock, out);
    Ok(())
}
