//! `INSERT INTO t (cols) VALUES (..), (..) [RETURNING <selection>]`: one
//! statement for a whole chunk, on every backend; and, where there is no
//! `RETURNING`, the read-back of what the last insert generated.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

use super::keys::push_key_list;
use super::select::keep_rows_statement_uncached;
use super::LoadRow;
use crate::backend::HookBackend;
use crate::model::DieselHookModel;

pub(crate) struct InsertRows<'a, M: Selectable<DB>, DB: Backend> {
    records: &'a [M],
    returning: Option<M::SelectExpression>,
    _db: PhantomData<DB>,
}

impl<'a, M: Selectable<DB>, DB: Backend> InsertRows<'a, M, DB> {
    pub(crate) fn new(records: &'a [M], returning: bool) -> Self {
        InsertRows {
            records,
            returning: returning.then(M::construct_selection),
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
        if let Some(selection) = &self.returning {
            out.push_sql(" RETURNING ");
            selection.walk_ast(out.reborrow())?;
        }
        Ok(())
    }
}

/// `SELECT <selection> FROM t WHERE key >= LAST_INSERT_ID() ORDER BY key
/// LIMIT n`: the rows the last multi-row INSERT generated keys for, on
/// MySQL, whose InnoDB hands one statement consecutive auto-increment
/// values (the default `innodb_autoinc_lock_mode` of 1, and 2 for inserts
/// of known row counts). The caller checks the rows against the records.
pub(crate) struct SelectInserted<M: Selectable<DB>, DB: Backend> {
    rows: usize,
    selection: M::SelectExpression,
}

impl<M: Selectable<DB>, DB: Backend> SelectInserted<M, DB> {
    pub(crate) fn new(rows: usize) -> Self {
        SelectInserted {
            rows,
            selection: M::construct_selection(),
        }
    }
}

impl<M: Selectable<DB>, DB: Backend> QueryId for SelectInserted<M, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: LoadRow<DB>, DB: HookBackend> Query for SelectInserted<M, DB> {
    type SqlType = M::SqlType;
}

impl<M, DB> QueryFragment<DB> for SelectInserted<M, DB>
where
    DB: HookBackend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        keep_rows_statement_uncached(&mut out);
        out.push_sql("SELECT ");
        self.selection.walk_ast(out.reborrow())?;
        out.push_sql(" FROM ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" WHERE ");
        push_key_list::<M, DB>(&mut out, true)?;
        out.push_sql(" >= LAST_INSERT_ID() ORDER BY ");
        push_key_list::<M, DB>(&mut out, true)?;
        out.push_sql(&format!(" LIMIT {}", self.rows));
        Ok(())
    }
}
