//! An intercepted `INSERT .. ON CONFLICT (<target>) DO UPDATE ..` (and
//! `DO NOTHING`, when BEFORE_CREATE hooks must see the rows it inserts
//! before the write) on a
//! backend with `RETURNING` (PostgreSQL, SQLite): per chunk, the stored
//! rows its rows conflict with are read and locked first (by the values
//! the statement binds for its conflict target), then the statement runs
//! as written with the model's `RETURNING`; a row returned whose key an
//! old row has was updated, the others were inserted.
//!
//! On PostgreSQL another transaction may insert and commit a conflicting
//! row between the read and the statement (no lock covers a row that does
//! not exist yet); the statement then updates a row that was not read.
//! Such a row is found by its `xmax` (set on a row an upsert updated,
//! `0` on one it inserted) and the statement is rolled back with a
//! serialization failure, which `retry_transaction` retries.

use diesel::query_builder::{AstPass, QueryFragment};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::QueryResult;

use super::insert::before_creates;
use super::preview::Previewing;
use super::resend::{self, bound_at, chunk_rows, InsertChunk, InsertReturning};
use super::route::{answer, capture, returning, unreadable, unsupported, Request, Routed};
use crate::backend::{Capture, HookBackend};
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::{Error, Result};
use crate::model::ModelBinds;
use crate::ops::UpsertChunks;
use crate::query::push_piece;
use crate::query::{key_columns, push_key_in, Column, Frame, Writable};
use crate::sql::Piece;
use crate::sql::{Insert, InsertForm, Parsed, Row};
use hooks_core::{FieldSet, HookModel};

/// The form this module hooks, as `shape` names it.
pub(crate) const FORM: &str = "ON CONFLICT DO UPDATE";

/// The form that skips conflicting rows, hooked here when it names its
/// conflict target and BEFORE_CREATE hooks must see the rows it inserts
/// before the write.
pub(crate) const SKIP_FORM: &str = "ON CONFLICT DO NOTHING";

pub(super) fn upsert_rows<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    insert: &Insert,
) -> Result<Routed<C::Backend>> {
    let (positions, columns, target) = conflict_target::<M, C>(insert)?;
    let returning = returning::<M, C>(request, &insert.table, insert.returning.as_ref())?;
    let binds = capture::<M, C>(conn, request, &insert.table)?;
    let chunks = resend::chunks::<C::Backend>(
        request.parsed,
        insert,
        request.cacheable,
        conn.config().chunk_size,
        None,
    );
    let total = insert.values.as_ref().map(|v| v.rows.len());
    // BEFORE_CREATE hooks see the rows it would insert before the write.
    let previewing = match before_creates::<M, C>(conn) {
        true => Some(Previewing::new::<M, C>(conn, insert)?),
        false => None,
    };
    let mut statements = Statements {
        parsed: request.parsed,
        insert,
        chunks: &chunks,
        positions: &positions,
        columns: &columns,
        binds: &binds,
        previewing,
    };
    let rows = conn.upsert_by::<M>(chunks.len(), total, target, &mut statements);
    if let Some(previewing) = &statements.previewing {
        previewing.remember::<M, C>(conn);
    }
    // A row it writes that does not read as the model is refused, as an
    // UPDATE's is (the statement's write rolls back with the operation).
    let rows = rows.map_err(unreadable::<M, C>(&insert.table, form_of(insert)))?;
    answer::<M, C>(conn, request, rows.len(), rows, returning, Some(&binds))
}

/// The chunks of an intercepted upsert, with what sending them needs.
struct Statements<'a, DB: HookBackend> {
    parsed: &'a Parsed,
    insert: &'a Insert,
    chunks: &'a [InsertChunk],
    /// Where each row binds the conflict target's columns.
    positions: &'a [usize],
    /// The conflict target's columns.
    columns: &'a [&'static str],
    binds: &'a DB::Binds,
    previewing: Option<Previewing>,
}

impl<C, M> UpsertChunks<C, M> for Statements<'_, C::Backend>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    fn first_row(&self, k: usize) -> usize {
        self.chunks[k].rows.start
    }

    fn conflicting(&mut self, inner: &mut C, k: usize) -> Result<Vec<M>> {
        let read = ConflictingRows::<C::Backend>::new::<M>(
            chunk_rows(self.insert, &self.chunks[k]),
            self.positions,
            self.columns,
            self.parsed.bind_count(),
            self.binds,
        )
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: a conflict target value is not a bound value",
                M::MODEL
            ))
        })?;
        Ok(M::load_framed(inner, &read)?)
    }

    fn preview(&mut self, inner: &mut C, k: usize) -> Result<Option<Vec<M>>> {
        let Some(previewing) = &self.previewing else {
            return Ok(None);
        };
        let chunk = &self.chunks[k];
        previewing
            .records::<M, C>(inner, self.parsed, self.insert, chunk, self.binds)
            .map(Some)
    }

    fn write(&mut self, inner: &mut C, k: usize, edits: Option<(&[M], &[M])>) -> Result<Vec<M>> {
        let chunk = &self.chunks[k];
        let edited = match (&self.previewing, edits) {
            (Some(previewing), Some((previewed, records))) => previewing.edited::<M, C>(
                inner,
                self.parsed,
                self.insert,
                chunk,
                previewed,
                records,
                self.binds,
            )?,
            _ => None,
        };
        // An unedited chunk goes by arrays where the backend has them.
        let sent = edited.or_else(|| {
            super::arrays::by_arrays::<C::Backend>(self.parsed, self.insert, chunk, self.binds)
        });
        let (body, binds) = match &sent {
            Some((body, binds)) => (body, binds),
            None => (&chunk.body, self.binds),
        };
        Ok(M::load_framed(
            inner,
            &InsertReturning::<C::Backend> { body, binds },
        )?)
    }

    fn verify_inserted(&mut self, inner: &mut C, inserted: &[M]) -> QueryResult<()> {
        check_inserted::<M, C>(inner, inserted)
    }
}

/// The conflict form of `insert` as written, for refusals.
fn form_of(insert: &Insert) -> &'static str {
    match insert.form {
        InsertForm::Upsert(form) | InsertForm::Ignore(form) => form,
        InsertForm::Plain => FORM,
    }
}

/// Where each row binds the columns of the conflict target, those columns
/// as the model names them, and their fields; refused unless the
/// statement names its target by columns of the model and binds each of
/// their values.
pub(super) fn conflict_target<M, C>(
    insert: &Insert,
) -> Result<(Vec<usize>, Vec<&'static str>, FieldSet)>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    let refuse = |why: &str| unsupported::<M, C>(&insert.table, form_of(insert), why);
    let target = insert.conflict_target.as_ref().ok_or_else(|| {
        refuse("name the conflict target by its columns (`on_conflict(column)`), not a constraint")
    })?;
    let (Some(columns), Some(values)) = (insert.columns.as_ref(), insert.values.as_ref()) else {
        return Err(refuse(
            "its rows must be a VALUES list with a column list to read the rows they conflict with",
        ));
    };
    let mut positions = Vec::with_capacity(target.len());
    let mut names = Vec::with_capacity(target.len());
    let mut fields = FieldSet::EMPTY;
    for column in target {
        let (index, field) = M::FIELDS
            .iter()
            .enumerate()
            .find(|(_, f)| f.column.eq_ignore_ascii_case(column))
            .ok_or_else(|| refuse(&format!("the conflict target `{column}` is not a field")))?;
        fields.insert(index);
        let at = columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(column))
            .ok_or_else(|| {
                refuse(&format!(
                    "the conflict target `{column}` must be among the inserted columns"
                ))
            })?;
        positions.push(at);
        names.push(field.column);
    }
    let bound = values
        .rows
        .iter()
        .all(|row| positions.iter().all(|&at| bound_at(row, at).is_some()));
    if !bound {
        return Err(refuse(
            "each value of the conflict target must be a plain bound value",
        ));
    }
    Ok((positions, names, fields))
}

/// PostgreSQL: fails when a row taken for inserted (no old row had its
/// key) was in fact updated, PostgreSQL marking it so: a row a concurrent
/// transaction inserted after the old rows were read.
fn check_inserted<M, C>(inner: &mut C, inserted: &[M]) -> QueryResult<()>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    if inserted.is_empty() || !<C::Backend as HookBackend>::UPSERT_MARKS_UPDATED {
        return Ok(());
    }
    let keys: Vec<M::Key> = inserted.iter().map(HookModel::key).collect();
    let filter = UpdatedRows::<M> {
        keys: &keys,
        columns: key_columns::<M>(&keys),
    };
    let updated = M::select_where(inner, &filter, None, false)?;
    if updated.is_empty() {
        return Ok(());
    }
    Err(DieselError::DatabaseError(
        DatabaseErrorKind::SerializationFailure,
        Box::new(format!(
            "{}: a row conflicting with this upsert was inserted by another transaction after \
             the rows it conflicts with were read (key {:?}); nothing was written: retry the \
             transaction (`retry_transaction` does)",
            M::MODEL,
            updated[0].key()
        )),
    ))
}

/// `<key> IN (<keys>) AND xmax <> 0`: which of `keys` a statement of this
/// transaction updated or locked (PostgreSQL).
struct UpdatedRows<'a, M: HookModel> {
    keys: &'a [M::Key],
    columns: Vec<Column<'a, M>>,
}

impl<M: ModelBinds<DB>, DB: HookBackend> QueryFragment<DB> for UpdatedRows<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_key_in::<M, DB>(self.keys, &self.columns, &mut out)?;
        out.push_sql(" AND CAST(CAST(");
        out.push_identifier(M::TABLE)?;
        out.push_sql(".xmax AS TEXT) AS BIGINT) <> 0");
        Ok(())
    }
}

/// `SELECT <selection> FROM t WHERE (t.a, t.b) IN (SELECT column1, column2
/// FROM (VALUES (?, ?), ..) AS hooks_keys) ORDER BY <key> FOR UPDATE OF t`:
/// the stored rows whose conflict-target columns equal the values an
/// upsert's rows bind, each once (a semi-join), in key order, locked. A
/// `VALUES` list, as SQLite caps a `UNION ALL` at 500 terms.
struct ConflictingRows<'a, DB: HookBackend> {
    values: Piece,
    /// On backends that cannot split binds, the condition that sends them.
    carrier: Option<Piece>,
    binds: &'a <DB as Capture>::Binds,
    table: &'static str,
    columns: &'a [&'static str],
    key_columns: Vec<&'static str>,
}

impl<'a, DB: HookBackend> ConflictingRows<'a, DB> {
    /// `columns` are bound at `positions` of each of `rows`; `total` is the
    /// number of the captured statement's binds. `None` when a value is
    /// not a lone placeholder.
    fn new<'r, M: HookModel>(
        rows: impl IntoIterator<Item = &'r Row>,
        positions: &[usize],
        columns: &'a [&'static str],
        total: usize,
        binds: &'a DB::Binds,
    ) -> Option<Self> {
        let mut values = Piece::literal("VALUES ");
        for (r, row) in rows.into_iter().enumerate() {
            values.text(if r == 0 { "(" } else { ", (" });
            for (part, &at) in positions.iter().enumerate() {
                if part > 0 {
                    values.text(", ");
                }
                values.bind(bound_at(row, at)?);
            }
            values.text(")");
        }
        Some(ConflictingRows {
            values: values.cacheable(false),
            carrier: (!DB::SPLITS_BINDS).then(|| Piece::always(total)),
            binds,
            table: M::TABLE,
            columns,
            key_columns: M::key_fields().map(|i| M::FIELDS[i].column).collect(),
        })
    }

    /// `t.a, t.b`, or `column1, column2` (the `VALUES` list's names).
    fn push_list(
        &self,
        out: &mut AstPass<'_, '_, DB>,
        columns: &[&'static str],
        qualified: bool,
    ) -> QueryResult<()> {
        for (n, column) in columns.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            if qualified {
                out.push_identifier(self.table)?;
                out.push_sql(".");
                out.push_identifier(column)?;
            } else {
                out.push_sql(&format!("column{}", n + 1));
            }
        }
        Ok(())
    }
}

impl<DB: HookBackend> Frame<DB> for ConflictingRows<'_, DB> {
    fn head<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        Ok(())
    }

    fn tail<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(" FROM ");
        out.push_identifier(self.table)?;
        out.push_sql(" WHERE (");
        self.push_list(out, self.columns, true)?;
        out.push_sql(") IN (SELECT ");
        self.push_list(out, self.columns, false)?;
        out.push_sql(" FROM (");
        push_piece(&self.values, self.binds, out)?;
        out.push_sql(") AS hooks_keys)");
        if let Some(carrier) = &self.carrier {
            out.push_sql(" AND ");
            push_piece(carrier, self.binds, out)?;
        }
        out.push_sql(" ORDER BY ");
        self.push_list(out, &self.key_columns, true)?;
        if DB::ROW_LOCKS {
            out.push_sql(" FOR UPDATE OF ");
            out.push_identifier(self.table)?;
        }
        Ok(())
    }
}
