//! `SELECT <old row>, <new row> FROM t WHERE (<filter>) .. FOR UPDATE`:
//! one statement that locks a chunk of rows and returns, with each old
//! row, the row a changeset would make of it (its `SET` expressions
//! evaluated as columns of the same `SELECT`), so that hooks see computed
//! values before anything is written.

use std::marker::PhantomData;

use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

use super::select::push_chunk_where;
use super::LoadRow;
use crate::backend::HookBackend;
use crate::capture::{push_piece, Piece};
use crate::hooks_core::HookModel;
use crate::model::DieselHookModel;

/// What a changeset writes, per model field: the expression of each
/// assigned field, with the binds the expressions refer to.
pub struct Projection<'a, DB: HookBackend> {
    pub(crate) exprs: Vec<(usize, Piece)>,
    pub(crate) binds: &'a DB::Binds,
}

impl<DB: HookBackend> Projection<'_, DB> {
    /// The fields the changeset assigns.
    pub(crate) fn fields(&self) -> crate::hooks_core::FieldSet {
        self.exprs
            .iter()
            .fold(crate::hooks_core::FieldSet::EMPTY, |set, (i, _)| {
                set.with(*i)
            })
    }
}

pub(crate) struct SelectProjected<'a, M: Selectable<DB> + HookModel, DB: HookBackend, F> {
    filter: &'a F,
    projection: &'a Projection<'a, DB>,
    after: Option<&'a M::Key>,
    limit: usize,
    lock: bool,
    selection: M::SelectExpression,
    _db: PhantomData<DB>,
}

impl<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, F>
    SelectProjected<'a, M, DB, F>
{
    pub(crate) fn new(
        filter: &'a F,
        projection: &'a Projection<'a, DB>,
        after: Option<&'a M::Key>,
        limit: usize,
        lock: bool,
    ) -> Self {
        SelectProjected {
            filter,
            projection,
            after,
            limit,
            lock,
            selection: M::construct_selection(),
            _db: PhantomData,
        }
    }
}

impl<M: Selectable<DB> + HookModel, DB: HookBackend, F> QueryId for SelectProjected<'_, M, DB, F> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: DieselHookModel<DB> + LoadRow<DB>, DB: HookBackend, F> Query
    for SelectProjected<'_, M, DB, F>
{
    type SqlType = (M::SqlType, M::SqlType);
}

impl<M, DB, F> QueryFragment<DB> for SelectProjected<'_, M, DB, F>
where
    DB: HookBackend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.selection.walk_ast(out.reborrow())?;
        for (i, field) in M::FIELDS.iter().enumerate() {
            out.push_sql(", ");
            match self.projection.exprs.iter().find(|(f, _)| *f == i) {
                Some((_, expr)) => {
                    out.push_sql("(");
                    push_piece(expr, self.projection.binds, &mut out)?;
                    out.push_sql(")");
                }
                None => {
                    out.push_identifier(M::TABLE)?;
                    out.push_sql(".");
                    out.push_identifier(field.column)?;
                }
            }
        }
        out.push_sql(" FROM ");
        out.push_identifier(M::TABLE)?;
        push_chunk_where::<M, DB, F>(
            self.filter,
            self.after,
            Some(self.limit),
            self.lock,
            &mut out,
        )?;
        Ok(())
    }
}
