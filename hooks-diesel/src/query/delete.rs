//! `DELETE FROM t WHERE <target>`.

use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::select::push_returning;
use super::target::Target;
use super::Column;
use super::LoadRow;
use super::SelectsRows;
use crate::backend::HookBackend;
use crate::model::ModelBinds;

/// `DELETE FROM t WHERE <target> [RETURNING <selection>]`.
pub(crate) struct DeleteWhere<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, F> {
    target: Target<'a, M::Key, F>,
    key_columns: Vec<Column<'a, M>>,
    returning: Option<M::SelectExpression>,
}

impl<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, F> DeleteWhere<'a, M, DB, F> {
    pub(crate) fn new(target: Target<'a, M::Key, F>, returning: bool) -> Self {
        DeleteWhere {
            key_columns: target.columns(),
            target,
            returning: returning.then(M::construct_selection),
        }
    }
}

uncached_statement!([M: ModelBinds<DB> + LoadRow<DB>, DB: HookBackend, F] DeleteWhere<'_, M, DB, F> => M::SqlType);

impl<M, DB, F> QueryFragment<DB> for DeleteWhere<'_, M, DB, F>
where
    DB: HookBackend,
    M: SelectsRows<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("DELETE FROM ");
        out.push_identifier(M::TABLE)?;
        self.target
            .push_where::<M, DB>(&self.key_columns, &mut out)?;
        push_returning(self.returning.as_ref(), &mut out)
    }
}
