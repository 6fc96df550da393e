//! The rows an intercepted `INSERT/UPDATE/DELETE ... RETURNING` gives its
//! caller. The hooked operation has written and handed its hooks the rows
//! as stored; the caller's `RETURNING` clause is then evaluated over those
//! rows (`SELECT <returning> FROM <the rows> AS t`), so it gets exactly
//! the shape it asked for, computed from what was written, from a
//! statement that reads no table.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryBuilder, QueryFragment, QueryId};
use diesel::QueryResult;

use crate::backend::HookBackend;
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::{Error, Result};
use crate::model::ModelBinds;
use crate::query::push_piece;
use crate::query::{binds_as_arrays, push_rows, Column};
use crate::sql::Piece;
use hooks_core::{FieldSet, HookModel};

/// A statement rendered once, with its binds: what the caller's `load`
/// receives.
pub(crate) struct CallerRows<DB: HookBackend> {
    sql: String,
    binds: DB::Binds,
}

impl<DB: HookBackend> CallerRows<DB> {
    /// `SELECT <returning> FROM <rows> AS <table>` over `rows`; no rows
    /// when the statement had no `RETURNING`.
    pub(crate) fn new<M, C>(
        conn: &mut HookedConnection<C>,
        rows: &[M],
        returning: Option<&Piece>,
        binds: Option<&DB::Binds>,
    ) -> Result<Self>
    where
        C: InnerConnection<Backend = DB>,
        M: ModelBinds<DB>,
    {
        if !DB::RETURNING {
            return Err(Error::Invalid(format!(
                "{} has no RETURNING: a write cannot be loaded",
                DB::NAME
            )));
        }
        let binds_per_row = M::FIELDS.len();
        let arrays = binds_as_arrays::<M, DB>(FieldSet::first(M::FIELDS.len()));
        if !arrays && rows.len() * binds_per_row >= DB::BIND_LIMIT {
            return Err(Error::UnsupportedWrite {
                form: "RETURNING".into(),
                table: M::TABLE.into(),
                model: M::MODEL,
                backend: DB::NAME,
                why: format!(
                    "{} rows of {binds_per_row} columns exceed the {} binds one statement may \
                     carry to hand them back; use `execute`, or `bulk_create` / `update_where`, \
                     which return the rows",
                    rows.len(),
                    DB::BIND_LIMIT
                ),
            });
        }
        let statement = RowsAs::<M, DB> {
            returning: returning.map(|piece| (piece, binds)),
            columns: (0..M::FIELDS.len())
                .map(|field| Column::Field {
                    records: rows,
                    field,
                })
                .collect(),
            rows,
            arrays,
        };
        let backend = DB::default();
        let mut builder = <DB as Backend>::QueryBuilder::default();
        statement.to_sql(&mut builder, &backend)?;
        let lookup = conn.inner_mut().metadata_lookup();
        let binds = DB::capture_binds(&statement, lookup)?;
        Ok(CallerRows {
            sql: builder.finish(),
            binds,
        })
    }
}

impl<DB: HookBackend> QueryFragment<DB> for CallerRows<DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(&self.sql);
        DB::push_binds(&self.binds, &mut out)
    }
}

/// [`CallerRows`] typed as the caller's query, so that its rows load as
/// the caller's would have.
pub(crate) struct AsCallerQuery<DB: HookBackend, ST> {
    pub rows: CallerRows<DB>,
    pub _sql_type: std::marker::PhantomData<ST>,
}

impl<DB: HookBackend, ST> QueryId for AsCallerQuery<DB, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: HookBackend, ST> Query for AsCallerQuery<DB, ST> {
    type SqlType = ST;
}

impl<DB: HookBackend, ST> QueryFragment<DB> for AsCallerQuery<DB, ST> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.rows.walk_ast(out)
    }
}

/// `SELECT <returning> FROM <rows> AS "<table>"("<col>", ...)`.
struct RowsAs<'a, M: HookModel, DB: HookBackend> {
    returning: Option<(&'a Piece, Option<&'a DB::Binds>)>,
    columns: Vec<Column<'a, M>>,
    rows: &'a [M],
    /// Whether the rows are bound as column arrays (else `VALUES` rows).
    arrays: bool,
}

impl<M: ModelBinds<DB>, DB: HookBackend> QueryFragment<DB> for RowsAs<'_, M, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        match self.returning {
            Some((piece, Some(binds))) => push_piece(piece, binds, &mut out)?,
            Some((piece, None)) if !piece.has_binds() => {
                crate::sql::push_text(piece, &mut out, |_, _| Ok(()))?
            }
            Some(_) => {
                return Err(diesel::result::Error::QueryBuilderError(
                    "the RETURNING clause's binds were not captured".into(),
                ))
            }
            None => out.push_sql("1"),
        }
        out.push_sql(" FROM ");
        if self.arrays {
            self.push_arrays(&mut out)?;
        } else {
            self.push_values(&mut out)?;
        }
        if self.returning.is_none() || self.rows.is_empty() && !self.arrays {
            out.push_sql(" WHERE 1 = 0");
        }
        Ok(())
    }
}

impl<M: ModelBinds<DB>, DB: HookBackend> RowsAs<'_, M, DB> {
    fn push_names(&self, out: &mut AstPass<'_, '_, DB>) -> QueryResult<()> {
        for (n, field) in M::FIELDS.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(field.column)?;
        }
        Ok(())
    }

    /// `unnest($1, $2) AS "t"("a", "b")`.
    fn push_arrays<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("unnest(");
        for (n, column) in self.columns.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            M::bind_column(column, out)?;
        }
        out.push_sql(") AS ");
        out.push_identifier(M::TABLE)?;
        out.push_sql("(");
        self.push_names(out)?;
        out.push_sql(")");
        Ok(())
    }

    /// `(SELECT "column1" AS "a", ... FROM (VALUES (?, ?), ..)) AS "t"`,
    /// or one row of NULLs that `WHERE 1 = 0` drops.
    fn push_values<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(SELECT ");
        for (n, field) in M::FIELDS.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            if self.rows.is_empty() {
                out.push_sql("NULL");
            } else {
                out.push_identifier(&format!("column{}", n + 1))?;
            }
            out.push_sql(" AS ");
            out.push_identifier(field.column)?;
        }
        if !self.rows.is_empty() {
            out.push_sql(" FROM (VALUES ");
            push_rows(self.rows, || 0..M::FIELDS.len(), out)?;
            // PostgreSQL before 16 wants every subquery in FROM named.
            out.push_sql(") AS ");
            out.push_identifier("rows")?;
        }
        out.push_sql(") AS ");
        out.push_identifier(M::TABLE)
    }
}
