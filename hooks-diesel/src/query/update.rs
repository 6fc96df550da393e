//! UPDATE statements: per-row values for a chunk of records, and one
//! changeset over a set of rows.

use std::marker::PhantomData;

use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

use super::column::binds_as_arrays;
use super::keys::{push_columns, push_key_in_by};
use super::select::push_returning;
use super::target::Target;
use super::Column;
use super::LoadRow;
use super::SelectsRows;
use crate::backend::HookBackend;
use crate::model::no_such_field;
use crate::model::ModelBinds;
use hooks_core::{FieldSet, HookModel};

const VALUES: &str = "hooks_values";

/// Writes each record's own values of `fields` in one statement, joining the
/// table with the rows `(key, field...)`:
///
/// - with arrays (PostgreSQL): `UPDATE t SET balance = v.balance FROM
///   unnest($1, $2) AS v(id, balance) WHERE t.id = v.id`: two binds per
///   column whatever the chunk, and a plan that uses the key index;
/// - SQLite: `WITH v(id, balance) AS (VALUES (?, ?), ...) UPDATE t SET
///   balance = v.balance FROM v WHERE t.id = v.id`;
/// - MySQL: `UPDATE t JOIN (SELECT ? AS id, ? AS balance UNION ALL SELECT
///   ?, ? ...) AS v ON t.id = v.id SET t.balance = v.balance`.
///
/// A field holding the same value on every record (a timestamp a hook
/// stamped, a status set on all) is bound once: `SET status = $1`; when
/// every written field is such, no rows are joined at all: `UPDATE t SET
/// status = $1 WHERE id IN (...)` (`= ANY($1)` with arrays).
pub(crate) struct UpdateRows<'a, M: HookModel, DB> {
    records: &'a [M],
    fields: FieldSet,
    uniform: FieldSet,
    columns: Vec<Column<'a, M>>,
    _db: PhantomData<DB>,
}

impl<'a, M: HookModel, DB> UpdateRows<'a, M, DB> {
    /// `fields` must not include key fields.
    pub(crate) fn new(records: &'a [M], fields: FieldSet) -> Self {
        let varying = match records.split_first() {
            Some((first, rest)) => rest
                .iter()
                .fold(FieldSet::EMPTY, |set, r| set.union(first.diff(r)))
                .intersection(fields),
            None => fields,
        };
        let uniform = fields.difference(varying);
        let columns = M::key_fields()
            .chain(varying.iter())
            .map(|field| Column::Field { records, field })
            .collect();
        UpdateRows {
            records,
            fields,
            uniform,
            columns,
            _db: PhantomData,
        }
    }

    /// Key fields, then the written fields whose values vary by record:
    /// the columns of the joined rows.
    fn column_indices(&self) -> impl Iterator<Item = usize> + '_ {
        M::key_fields().chain(self.fields.difference(self.uniform).iter())
    }
}

impl<M: HookModel, DB> QueryId for UpdateRows<'_, M, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: ModelBinds<DB>, DB: HookBackend> UpdateRows<'_, M, DB> {
    /// `(k, c1, c2)`: the names of the joined rows' columns.
    fn push_value_names(&self, out: &mut AstPass<'_, '_, DB>) -> QueryResult<()> {
        out.push_sql("(");
        for (n, i) in self.column_indices().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(M::FIELDS[i].column)?;
        }
        out.push_sql(")");
        Ok(())
    }

    /// `(?, ?), (?, ?)`: one row of binds per record.
    fn push_value_rows<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_rows(self.records, || self.column_indices(), out)
    }

    /// `v.col`.
    fn push_value(&self, column: &str, out: &mut AstPass<'_, '_, DB>) -> QueryResult<()> {
        out.push_identifier(VALUES)?;
        out.push_sql(".");
        out.push_identifier(column)
    }
}

impl<M: ModelBinds<DB>, DB: HookBackend> UpdateRows<'_, M, DB> {
    /// `SET t.c = v.c, t.u = ?`.
    fn push_assignments<'b>(
        &'b self,
        qualified: bool,
        out: &mut AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(" SET ");
        for (n, i) in self.fields.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            let column = M::FIELDS[i].column;
            if qualified {
                out.push_identifier(M::TABLE)?;
                out.push_sql(".");
            }
            out.push_identifier(column)?;
            out.push_sql(" = ");
            match self.records.first() {
                Some(first) if self.uniform.contains(i) => first.bind_field(i, out)?,
                _ => self.push_value(column, out)?,
            }
        }
        Ok(())
    }

    /// `t.k = v.k AND ...`.
    fn push_key_join(&self, out: &mut AstPass<'_, '_, DB>) -> QueryResult<()> {
        for (n, i) in M::key_fields().enumerate() {
            if n > 0 {
                out.push_sql(" AND ");
            }
            let column = M::FIELDS[i].column;
            out.push_identifier(M::TABLE)?;
            out.push_sql(".");
            out.push_identifier(column)?;
            out.push_sql(" = ");
            self.push_value(column, out)?;
        }
        Ok(())
    }

    /// The MySQL form: the rows as a derived table of `UNION ALL` selects.
    fn walk_join<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" INNER JOIN (");
        for (r, record) in self.records.iter().enumerate() {
            out.push_sql(if r == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            });
            for (n, i) in self.column_indices().enumerate() {
                if n > 0 {
                    out.push_sql(", ");
                }
                match DB::derived_value_cast::<M>(i) {
                    Some(cast) => {
                        out.push_sql("CAST(");
                        record.bind_field(i, &mut out)?;
                        out.push_sql(" AS ");
                        out.push_sql(cast);
                        out.push_sql(")");
                    }
                    None => record.bind_field(i, &mut out)?,
                }
                if r == 0 {
                    out.push_sql(" AS ");
                    out.push_identifier(M::FIELDS[i].column)?;
                }
            }
        }
        out.push_sql(") AS ");
        out.push_identifier(VALUES)?;
        out.push_sql(" ON ");
        self.push_key_join(&mut out)?;
        self.push_assignments(true, &mut out)
    }
}

impl<M: ModelBinds<DB>, DB: HookBackend> UpdateRows<'_, M, DB> {
    /// `UPDATE t SET c = ? WHERE key IN (...)`: every written value is the
    /// same on all records, so only their keys are needed.
    fn walk_uniform<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        out.push_identifier(M::TABLE)?;
        self.push_assignments(false, &mut out)?;
        out.push_sql(" WHERE ");
        // `self.columns` holds exactly the key columns here.
        push_key_in_by(
            self.records.len(),
            &self.columns,
            &mut out,
            |row, part, out| {
                let field = M::key_fields()
                    .nth(part)
                    .ok_or_else(|| no_such_field(M::MODEL, part))?;
                self.records[row].bind_field(field, out)
            },
        )
    }
}

impl<M: ModelBinds<DB>, DB: HookBackend> QueryFragment<DB> for UpdateRows<'_, M, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if self.uniform == self.fields {
            return self.walk_uniform(out);
        }
        if DB::UPDATE_JOIN {
            return self.walk_join(out);
        }
        let varying = self.fields.difference(self.uniform).union(M::key_set());
        let arrays = binds_as_arrays::<M, DB>(varying);
        if !arrays {
            out.push_sql("WITH ");
            out.push_identifier(VALUES)?;
            out.push_sql(" ");
            self.push_value_names(&mut out)?;
            out.push_sql(" AS (VALUES ");
            self.push_value_rows(&mut out)?;
            out.push_sql(") ");
        }
        out.push_sql("UPDATE ");
        out.push_identifier(M::TABLE)?;
        self.push_assignments(false, &mut out)?;
        out.push_sql(" FROM ");
        if arrays {
            out.push_sql("unnest(");
            push_columns(&self.columns, &mut out)?;
            out.push_sql(") AS ");
            out.push_identifier(VALUES)?;
            self.push_value_names(&mut out)?;
        } else {
            out.push_identifier(VALUES)?;
        }
        out.push_sql(" WHERE ");
        self.push_key_join(&mut out)
    }
}

/// `UPDATE t SET <changeset> WHERE <target> [RETURNING <selection>]`.
pub(crate) struct UpdateSet<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, S, F> {
    changeset: &'a S,
    target: Target<'a, M::Key, F>,
    key_columns: Vec<Column<'a, M>>,
    returning: Option<M::SelectExpression>,
}

impl<'a, M: ModelBinds<DB> + Selectable<DB>, DB: HookBackend, S, F> UpdateSet<'a, M, DB, S, F> {
    pub(crate) fn new(changeset: &'a S, target: Target<'a, M::Key, F>, returning: bool) -> Self {
        UpdateSet {
            changeset,
            key_columns: target.columns(),
            target,
            returning: returning.then(M::construct_selection),
        }
    }
}

uncached_statement!([M: ModelBinds<DB> + LoadRow<DB>, DB: HookBackend, S, F] UpdateSet<'_, M, DB, S, F> => M::SqlType);

impl<M, DB, S, F> QueryFragment<DB> for UpdateSet<'_, M, DB, S, F>
where
    DB: HookBackend,
    M: SelectsRows<DB>,
    S: QueryFragment<DB>,
    F: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" SET ");
        self.changeset.walk_ast(out.reborrow())?;
        self.target
            .push_where::<M, DB>(&self.key_columns, &mut out)?;
        push_returning(self.returning.as_ref(), &mut out)
    }
}

/// `(?, ?), (?, ?)`: for each record, a row binding its `fields()`.
pub(crate) fn push_rows<'b, M, DB, I>(
    records: &'b [M],
    fields: impl Fn() -> I,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    M: ModelBinds<DB>,
    DB: HookBackend,
    I: Iterator<Item = usize>,
{
    for (r, record) in records.iter().enumerate() {
        out.push_sql(if r == 0 { "(" } else { ", (" });
        for (n, field) in fields().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            record.bind_field(field, out)?;
        }
        out.push_sql(")");
    }
    Ok(())
}
