//! `SELECT <old row>, <new row> FROM t WHERE .. [FOR UPDATE]`: one
//! statement that reads a chunk of rows and returns, with each old row,
//! the row a changeset would make of it (its `SET` expressions evaluated
//! as columns of the same `SELECT`, each cast to its field's type), so
//! that BEFORE hooks see computed values before anything is written.

use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::select::push_scope;
use super::target::Target;
use super::SelectsRows;
use super::{Column, LoadRow};
use crate::backend::HookBackend;
use crate::model::ModelBinds;
use crate::query::push_piece;
use crate::sql::Piece;
use hooks_core::HookModel;

/// What a changeset writes, per model field: the expression of each
/// assigned field, with the binds the expressions refer to.
pub struct Projection<'a, DB: HookBackend> {
    pub(crate) exprs: Vec<(usize, Piece)>,
    pub(crate) binds: &'a DB::Binds,
}

pub(crate) struct SelectProjected<'a, M: Selectable<DB> + HookModel, DB: HookBackend, F> {
    target: Target<'a, M::Key, F>,
    columns: Vec<Column<'a, M>>,
    projection: &'a Projection<'a, DB>,
    casts: &'a [Option<&'static str>],
    limit: Option<usize>,
    lock: bool,
    selection: M::SelectExpression,
}

impl<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, F> SelectProjected<'a, M, DB, F> {
    /// `casts` holds, per field of `M`, the type its expression is cast
    /// to (see [`HookBackend::cast_type`]).
    pub(crate) fn new(
        target: Target<'a, M::Key, F>,
        projection: &'a Projection<'a, DB>,
        casts: &'a [Option<&'static str>],
        limit: Option<usize>,
        lock: bool,
    ) -> Self {
        SelectProjected {
            columns: target.columns(),
            target,
            projection,
            casts,
            limit,
            lock,
            selection: M::construct_selection(),
        }
    }
}

uncached_statement!([M: ModelBinds<DB> + LoadRow<DB>, DB: HookBackend, F] SelectProjected<'_, M, DB, F> => (M::SqlType, M::SqlType));

impl<M, DB, F> QueryFragment<DB> for SelectProjected<'_, M, DB, F>
where
    DB: HookBackend,
    M: SelectsRows<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.selection.walk_ast(out.reborrow())?;
        for (i, field) in M::FIELDS.iter().enumerate() {
            out.push_sql(", ");
            match self.projection.exprs.iter().find(|(f, _)| *f == i) {
                Some((_, expr)) => {
                    let cast = self.casts.get(i).copied().flatten();
                    out.push_sql(if cast.is_some() { "CAST((" } else { "(" });
                    push_piece(expr, self.projection.binds, &mut out)?;
                    match cast {
                        Some(cast) => {
                            out.push_sql(") AS ");
                            out.push_sql(cast);
                            out.push_sql(")");
                        }
                        None => out.push_sql(")"),
                    }
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
        push_scope::<M, DB, F>(&self.target, &self.columns, self.limit, self.lock, &mut out)
    }
}
