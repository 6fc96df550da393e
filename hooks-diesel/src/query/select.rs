//! Reading (and locking) the rows an operation is about to change.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::keys::{key_columns, push_key_in, push_key_list};
use super::target::Target;
use super::Column;
use super::LoadRow;
use crate::backend::HookBackend;
use crate::model::ModelBinds;

fn push_select_from<'b, M, DB>(
    selection: &'b M::SelectExpression,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: HookBackend,
    M: SelectsRows<DB>,
{
    out.push_sql("SELECT ");
    selection.walk_ast(out.reborrow())?;
    out.push_sql(" FROM ");
    out.push_identifier(M::TABLE)
}

fn push_order_by<M, DB>(out: &mut AstPass<'_, '_, DB>) -> QueryResult<()>
where
    DB: HookBackend,
    M: ModelBinds<DB>,
{
    out.push_sql(" ORDER BY ");
    push_key_list::<M, DB>(out, true)
}

/// ` RETURNING <selection>` when the statement returns its rows.
pub(crate) fn push_returning<'b, DB, S>(
    selection: Option<&'b S>,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: HookBackend,
    S: QueryFragment<DB>,
{
    if let Some(selection) = selection {
        out.push_sql(" RETURNING ");
        selection.walk_ast(out.reborrow())?;
    }
    Ok(())
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
pub(crate) struct SelectByKeys<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend> {
    keys: &'a [M::Key],
    key_columns: Vec<Column<'a, M>>,
    lock: bool,
    selection: M::SelectExpression,
}

impl<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend> SelectByKeys<'a, M, DB> {
    pub(crate) fn new(keys: &'a [M::Key], lock: bool) -> Self {
        SelectByKeys {
            keys,
            key_columns: key_columns::<M>(keys),
            lock,
            selection: M::construct_selection(),
        }
    }
}

uncached_statement!([M: ModelBinds<DB> + LoadRow<DB>, DB: HookBackend] SelectByKeys<'_, M, DB> => M::SqlType);

impl<M, DB> QueryFragment<DB> for SelectByKeys<'_, M, DB>
where
    DB: HookBackend,
    M: SelectsRows<DB>,
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

/// `SELECT <selection> FROM t WHERE <filter> ORDER BY key [LIMIT n] [FOR
/// UPDATE]`: the rows a filter matches, in key order.
pub(crate) struct SelectWhere<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, F> {
    target: Target<'a, M::Key, F>,
    limit: Option<usize>,
    lock: bool,
    selection: M::SelectExpression,
    _db: PhantomData<DB>,
}

impl<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, F> SelectWhere<'a, M, DB, F> {
    pub(crate) fn new(filter: &'a F, limit: Option<usize>, lock: bool) -> Self {
        SelectWhere {
            target: Target::Filter(filter),
            limit,
            lock,
            selection: M::construct_selection(),
            _db: PhantomData,
        }
    }
}

uncached_statement!([M: ModelBinds<DB> + LoadRow<DB>, DB: HookBackend, F] SelectWhere<'_, M, DB, F> => M::SqlType);

impl<M, DB, F> QueryFragment<DB> for SelectWhere<'_, M, DB, F>
where
    DB: HookBackend + Backend,
    M: SelectsRows<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_select_from::<M, DB>(&self.selection, &mut out)?;
        push_scope::<M, DB, F>(&self.target, &[], self.limit, self.lock, &mut out)
    }
}

/// ` WHERE <target> ORDER BY key [LIMIT n] [FOR UPDATE]`: rows a filter
/// matches or rows by key, in key order. `columns` come from
/// [`Target::columns`].
pub(crate) fn push_scope<'b, M, DB, F>(
    target: &'b Target<'_, M::Key, F>,
    columns: &'b [Column<'_, M>],
    limit: Option<usize>,
    lock: bool,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: HookBackend,
    M: ModelBinds<DB>,
    F: QueryFragment<DB>,
{
    target.push_where::<M, DB>(columns, out)?;
    push_order_by::<M, DB>(out)?;
    if let Some(limit) = limit {
        out.push_sql(&format!(" LIMIT {limit}"));
    }
    push_lock(lock, out);
    Ok(())
}

/// `SELECT <key columns> FROM t WHERE (<filter>) ORDER BY key [FOR
/// UPDATE]`: every key a filter matches, read (and locked) at once, so
/// that a set-based operation evaluates its filter once.
pub(crate) struct SelectKeyList<'a, M: ModelBinds<DB>, DB: HookBackend, F> {
    target: Target<'a, M::Key, F>,
    lock: bool,
    _db: PhantomData<DB>,
}

impl<'a, M: ModelBinds<DB>, DB: HookBackend, F> SelectKeyList<'a, M, DB, F> {
    pub(crate) fn new(filter: &'a F, lock: bool) -> Self {
        SelectKeyList {
            target: Target::Filter(filter),
            lock,
            _db: PhantomData,
        }
    }
}

uncached_statement!([M: ModelBinds<DB>, DB: HookBackend, F] SelectKeyList<'_, M, DB, F> => M::KeySqlType);

impl<M, DB, F> QueryFragment<DB> for SelectKeyList<'_, M, DB, F>
where
    DB: HookBackend,
    M: ModelBinds<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        push_key_list::<M, DB>(&mut out, true)?;
        out.push_sql(" FROM ");
        out.push_identifier(M::TABLE)?;
        push_scope::<M, DB, F>(&self.target, &[], None, self.lock, &mut out)
    }
}

/// A model whose rows the statements of this module select: its binds and
/// a selection that renders on `DB`.
pub(crate) trait SelectsRows<DB: HookBackend>:
    ModelBinds<DB> + Selectable<DB, SelectExpression: QueryFragment<DB>>
{
}

impl<M, DB> SelectsRows<DB> for M
where
    DB: HookBackend,
    M: ModelBinds<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
{
}
