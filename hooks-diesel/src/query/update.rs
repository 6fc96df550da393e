//! UPDATE statements: per-row values for a chunk of records, and one
//! changeset over a set of rows.

use std::marker::PhantomData;

use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

use super::target::Target;
use super::LoadRow;
use crate::backend::HookBackend;
use crate::hooks_core::{FieldSet, HookModel};
use crate::model::DieselHookModel;

const VALUES: &str = "hooks_values";

/// Writes each record's own values of `fields` in one statement, joining the
/// table with a `VALUES` list of `(key, field...)` rows:
///
/// `WITH v(id, balance) AS (VALUES (?, ?), ...) UPDATE t SET balance =
/// v.balance FROM v WHERE t.id = v.id`
pub(crate) struct UpdateRows<'a, M, DB> {
    records: &'a [M],
    fields: FieldSet,
    _db: PhantomData<DB>,
}

impl<'a, M: HookModel, DB> UpdateRows<'a, M, DB> {
    /// `fields` must not include key fields.
    pub(crate) fn new(records: &'a [M], fields: FieldSet) -> Self {
        UpdateRows {
            records,
            fields,
            _db: PhantomData,
        }
    }
}

impl<M, DB> QueryId for UpdateRows<'_, M, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: DieselHookModel<DB>, DB: HookBackend> QueryFragment<DB> for UpdateRows<'_, M, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let columns = || M::key_fields().chain(self.fields.iter());
        out.push_sql("WITH ");
        out.push_identifier(VALUES)?;
        out.push_sql(" (");
        for (n, i) in columns().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(M::FIELDS[i].column)?;
        }
        out.push_sql(") AS (VALUES ");
        for (r, record) in self.records.iter().enumerate() {
            out.push_sql(if r == 0 { "(" } else { ", (" });
            for (n, i) in columns().enumerate() {
                if n > 0 {
                    out.push_sql(", ");
                }
                record.bind_field(i, &mut out)?;
            }
            out.push_sql(")");
        }
        out.push_sql(") UPDATE ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" SET ");
        for (n, i) in self.fields.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            let column = M::FIELDS[i].column;
            out.push_identifier(column)?;
            out.push_sql(" = ");
            out.push_identifier(VALUES)?;
            out.push_sql(".");
            out.push_identifier(column)?;
        }
        out.push_sql(" FROM ");
        out.push_identifier(VALUES)?;
        out.push_sql(" WHERE ");
        for (n, i) in M::key_fields().enumerate() {
            if n > 0 {
                out.push_sql(" AND ");
            }
            let column = M::FIELDS[i].column;
            out.push_identifier(M::TABLE)?;
            out.push_sql(".");
            out.push_identifier(column)?;
            out.push_sql(" = ");
            out.push_identifier(VALUES)?;
            out.push_sql(".");
            out.push_identifier(column)?;
        }
        Ok(())
    }
}

/// `UPDATE t SET <changeset> WHERE <target> [RETURNING <selection>]`.
pub(crate) struct UpdateSet<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, S, F> {
    changeset: &'a S,
    target: Target<'a, M::Key, F>,
    returning: Option<M::SelectExpression>,
}

impl<'a, M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, S, F>
    UpdateSet<'a, M, DB, S, F>
{
    pub(crate) fn new(changeset: &'a S, target: Target<'a, M::Key, F>, returning: bool) -> Self {
        UpdateSet {
            changeset,
            target,
            returning: returning.then(M::construct_selection),
        }
    }
}

impl<M: DieselHookModel<DB> + Selectable<DB>, DB: HookBackend, S, F> QueryId
    for UpdateSet<'_, M, DB, S, F>
{
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: DieselHookModel<DB> + LoadRow<DB>, DB: HookBackend, S, F> Query
    for UpdateSet<'_, M, DB, S, F>
{
    type SqlType = M::SqlType;
}

impl<M, DB, S, F> QueryFragment<DB> for UpdateSet<'_, M, DB, S, F>
where
    DB: HookBackend,
    M: DieselHookModel<DB> + Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
    S: QueryFragment<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" SET ");
        self.changeset.walk_ast(out.reborrow())?;
        self.target.push_where::<M, DB>(&mut out)?;
        if let Some(selection) = &self.returning {
            out.push_sql(" RETURNING ");
            selection.walk_ast(out.reborrow())?;
        }
        Ok(())
    }
}
