//! `INSERT INTO t (cols) VALUES (..), (..) [RETURNING <selection>]`: one
//! statement for a whole chunk, on every backend, or with arrays
//! (PostgreSQL) `INSERT INTO t (cols) SELECT * FROM unnest($1, $2, ..)
//! RETURNING <selection>`, one bind per column whatever the chunk; and,
//! where there is no `RETURNING`, the read-back of what the last insert
//! generated.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::column::binds_as_arrays;
use super::framed::Frame;
use super::keys::{push_columns, push_key_list};
use super::select::push_returning;
use super::Column;
use super::LoadRow;
use super::SelectsRows;
use crate::backend::HookBackend;
use crate::model::ModelBinds;
use hooks_core::{FieldSet, HookModel};

/// The rows are written in the order given, which for a model whose key
/// is generated when unset puts the records with a given key first (see
/// [`statement_order`]); an unset key is written as the backend's
/// [`GENERATE_KEY`](HookBackend::GENERATE_KEY).
///
/// Bound by arrays ([`InsertRows::by_arrays`]), the rows are the
/// caller's, in order: `unnest` yields its arrays' elements in order and
/// the rows are inserted, keys drawn and returned in that order.
pub(crate) struct InsertRows<'a, M: Selectable<DB> + HookModel, DB: Backend> {
    records: &'a [&'a M],
    /// With arrays: one per inserted column; no `VALUES` rows.
    arrays: Vec<Column<'a, M>>,
    returning: Option<M::SelectExpression>,
    _db: PhantomData<DB>,
}

impl<'a, M: Selectable<DB> + HookModel, DB: Backend> InsertRows<'a, M, DB> {
    /// `VALUES` rows of `records`, in [`statement_order`].
    pub(crate) fn new(records: &'a [&'a M], returning: bool) -> Self {
        InsertRows {
            records,
            arrays: Vec::new(),
            returning: returning.then(M::construct_selection),
            _db: PhantomData,
        }
    }
}

impl<'a, M: Selectable<DB> + ModelBinds<DB>, DB: HookBackend> InsertRows<'a, M, DB> {
    /// `records` bound as one array per column, returning the rows as
    /// stored; `None` where they must be `VALUES` rows: the backend has
    /// no arrays or no `RETURNING`, a column holds arrays itself
    /// (PostgreSQL has no arrays of arrays), or the key is generated when
    /// unset and some records give one and others not (each row's
    /// `DEFAULT` needs `VALUES`). When no record gives such a key, its
    /// column is left out and the database generates every key.
    pub(crate) fn by_arrays(records: &'a [M]) -> Option<Self> {
        let columns = array_columns::<M, DB>(records)?;
        Some(InsertRows {
            records: &[],
            arrays: columns
                .iter()
                .map(|field| Column::Field { records, field })
                .collect(),
            returning: Some(M::construct_selection()),
            _db: PhantomData,
        })
    }
}

/// The columns `records` are inserted into when bound by arrays; see
/// [`InsertRows::by_arrays`].
fn array_columns<M: ModelBinds<DB>, DB: HookBackend>(records: &[M]) -> Option<FieldSet> {
    if !DB::ARRAYS || !DB::RETURNING {
        return None;
    }
    let mut columns = M::FIELDS
        .iter()
        .enumerate()
        .filter(|(_, f)| f.insertable)
        .fold(FieldSet::EMPTY, |set, (i, _)| set.with(i));
    if M::KEY_GENERATED_WHEN_UNSET {
        match records.iter().filter(|r| r.has_key()).count() {
            0 => columns = columns.difference(M::key_set()),
            given if given < records.len() => return None,
            _ => {}
        }
    }
    (!columns.is_empty() && binds_as_arrays::<M, DB>(columns)).then_some(columns)
}

/// Whether records of `M` may be inserted by arrays on `DB`, whatever
/// their keys: then a chunk is not bounded by the bind limit (a chunk
/// that turns out to mix given and generated keys is sent as `VALUES`
/// statements within the limit).
pub(crate) fn inserts_by_arrays<M: ModelBinds<DB>, DB: HookBackend>() -> bool {
    let inserted = M::FIELDS
        .iter()
        .enumerate()
        .filter(|(_, f)| f.insertable)
        .fold(FieldSet::EMPTY, |set, (i, _)| set.with(i));
    DB::ARRAYS && DB::RETURNING && binds_as_arrays::<M, DB>(inserted)
}

uncached_statement!([M: LoadRow<DB> + HookModel, DB: HookBackend] InsertRows<'_, M, DB> => M::SqlType);

impl<M, DB> QueryFragment<DB> for InsertRows<'_, M, DB>
where
    DB: HookBackend,
    M: SelectsRows<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.arrays.is_empty() {
            return self.walk_arrays(out);
        }
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
            let generate_key = M::KEY_GENERATED_WHEN_UNSET && !record.has_key();
            for (n, (i, field)) in columns().enumerate() {
                if n > 0 {
                    out.push_sql(", ");
                }
                if generate_key && field.key {
                    out.push_sql(DB::GENERATE_KEY);
                } else {
                    record.bind_field(i, &mut out)?;
                }
            }
            out.push_sql(")");
        }
        push_returning(self.returning.as_ref(), &mut out)
    }
}

impl<M: SelectsRows<DB>, DB: HookBackend> InsertRows<'_, M, DB> {
    /// `INSERT INTO t (c1, c2) SELECT * FROM unnest($1, $2) RETURNING ..`.
    fn walk_arrays<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" (");
        for (n, column) in self.arrays.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(M::FIELDS[column.field()].column)?;
        }
        out.push_sql(") SELECT * FROM unnest(");
        push_columns(&self.arrays, &mut out)?;
        out.push_sql(")");
        push_returning(self.returning.as_ref(), &mut out)
    }
}

/// The order in which an `INSERT` writes `records`: theirs, except that
/// for a model whose key is generated when unset the records with a given
/// key come first (each group in the caller's order). Then the keys the
/// database generates come after the given ones of the same statement:
/// MySQL and SQLite generate above the largest key so far, so a generated
/// key never takes one given later in the statement, and MySQL hands the
/// generated rows consecutive keys from `LAST_INSERT_ID()` (a given key
/// above its counter, met between two generated rows, would make it jump).
pub(crate) fn statement_order<M: HookModel>(records: &[M]) -> Vec<&M> {
    if !M::KEY_GENERATED_WHEN_UNSET {
        return records.iter().collect();
    }
    let given = records.iter().filter(|r| r.has_key());
    given
        .chain(records.iter().filter(|r| !r.has_key()))
        .collect()
}

/// `rows`, stored in [`statement_order`] of `records`, put back in the
/// order of `records`.
pub(crate) fn caller_order<M: HookModel>(records: &[M], rows: Vec<M>) -> Vec<M> {
    if !M::KEY_GENERATED_WHEN_UNSET || rows.len() != records.len() {
        return rows;
    }
    let given = records.iter().filter(|r| r.has_key()).count();
    if given == 0 || given == records.len() {
        return rows;
    }
    let mut given_rows = rows;
    let mut generated = given_rows.split_off(given).into_iter();
    let mut given_rows = given_rows.into_iter();
    records
        .iter()
        .filter_map(|r| {
            if r.has_key() {
                given_rows.next()
            } else {
                generated.next()
            }
        })
        .collect()
}

/// `SELECT <selection> FROM t WHERE key >= LAST_INSERT_ID() ORDER BY key
/// LIMIT n`: the rows the last multi-row INSERT generated keys for, on
/// MySQL, whose InnoDB hands one statement consecutive auto-increment
/// values (the default `innodb_autoinc_lock_mode` of 1, and 2 for inserts
/// of known row counts). The caller checks the rows against the records.
pub(crate) struct SelectInserted<M> {
    rows: usize,
    _model: PhantomData<M>,
}

impl<M> SelectInserted<M> {
    pub(crate) fn new(rows: usize) -> Self {
        SelectInserted {
            rows,
            _model: PhantomData,
        }
    }
}

impl<M: HookModel, DB: HookBackend> Frame<DB> for SelectInserted<M> {
    fn head<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        Ok(())
    }

    fn tail<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(" FROM ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" WHERE ");
        push_key_list::<M, DB>(out, true)?;
        out.push_sql(" >= LAST_INSERT_ID() ORDER BY ");
        push_key_list::<M, DB>(out, true)?;
        out.push_sql(&format!(" LIMIT {}", self.rows));
        Ok(())
    }
}
