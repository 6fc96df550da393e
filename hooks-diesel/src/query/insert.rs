//! `INSERT INTO t (cols) VALUES (..), (..) RETURNING <selection>`: one
//! statement for a whole chunk, on every backend.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

use super::LoadRow;
use crate::backend::HookBackend;
use crate::model::DieselHookModel;

pub(crate) struct InsertRows<'a, M: Selectable<DB>, DB: Backend> {
    records: &'a [M],
    selection: M::SelectExpression,
    _db: PhantomData<DB>,
}

impl<'a, M: Selectable<DB>, DB: Backend> InsertRows<'a, M, DB> {
    pub(crate) fn new(records: &'a [M]) -> Self {
        InsertRows {
            records,
            selection: M::construct_selection(),
            _db: PhantomData,
        }
    }
}

impl<M: Selectable<DB>, DB: Backend> QueryId for InsertRows<'_, M, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: LoadRow<DB>, DB: HookBackend> Query for InsertRows<'_, M, DB> {
    type SqlType = M::SqlType;
}

impl<M, DB> QueryFragment<DB> for InsertRows<'_, M, DB>
where
    DB: HookBackend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let columns = || M::FIELDS.iter().enumerate().filter(|(_, f)| f.insertable);
        out.push_sql("INSERT INTO ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" (");
        for (n, (_, field)) in columns().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(field.column)?;
        }
        out.push_sql(") VALUES ");
        for (r, record) in self.records.iter().enumerate() {
            out.push_sql(if r == 0 { "(" } else { ", (" });
            for (n, (i, _)) in columns().enumerate() {
                if n > 0 {
                    out.push_sql(", ");
                }
                record.bind_field(i, &mut out)?;
            }
            out.push_sql(")");
        }
        out.push_sql(" RETURNING ");
        self.selection.walk_ast(out.reborrow())
    }
}
