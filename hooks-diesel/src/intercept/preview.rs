//! The records an intercepted `INSERT .. VALUES` would write, evaluated
//! by the database without writing, so that BEFORE_CREATE hooks see them
//! before the write: each `VALUES` row becomes a row of a `SELECT`, each
//! field of the model its value there (cast to the field's type), the
//! column's default where the statement gives none, or a placeholder
//! (`0`, `''`, `NULL`) for a generated key or a column without default.

use std::sync::Arc;

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

use super::decode::Decoding;
use super::resend::{self, InsertChunk, Patch};
use crate::backend::{Capture, ColumnDefault, HookBackend, Session};
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::{Error, Result};
use crate::query::push_piece;
use crate::query::Writable;
use crate::sql::Piece;
use crate::sql::{Insert, Parsed, Row, Value};
use hooks_core::HookModel;

/// Where each field of a model takes its value in the rows of an insert.
pub(crate) struct Fields {
    /// Per field of the model: the position of its column in the
    /// statement's column list, if the statement names it.
    pub slots: Vec<Option<usize>>,
    /// Per field: the value a row that gives it none shows (a default, a
    /// placeholder); `None` when there is none to show.
    pub fallback: Vec<Option<Piece>>,
    /// Per field: whether its fallback is a constant (the same for every
    /// row).
    pub constant: Vec<bool>,
}

impl<C: InnerConnection> HookedConnection<C> {
    /// The defaults of `M`'s table, from the catalog (cached).
    pub(crate) fn column_defaults<M: HookModel>(&mut self) -> Result<Arc<Vec<ColumnDefault>>> {
        if let Some(known) = self.interception.catalog.get(M::TABLE) {
            return Ok(Arc::clone(known));
        }
        let read = Arc::new(<C::Backend as Session>::column_defaults(
            &mut self.inner,
            M::TABLE,
        )?);
        self.interception
            .catalog
            .insert(M::TABLE, Arc::clone(&read));
        Ok(read)
    }

    /// Forgets the catalog read so far when `sql` may change a schema
    /// (it starts with `CREATE`, `ALTER`, `DROP` or `RENAME`).
    pub(crate) fn note_schema_change(&mut self, sql: &str) {
        if self.interception.catalog.is_empty() {
            return;
        }
        let first = sql
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| !w.is_empty())
            .unwrap_or_default();
        if ["CREATE", "ALTER", "DROP", "RENAME"]
            .iter()
            .any(|w| first.eq_ignore_ascii_case(w))
        {
            self.interception.catalog.clear();
            self.interception.bases.clear();
        }
    }
}

/// Where the fields of `M` take their values in `insert`.
pub(crate) fn fields<M: Writable<DB>, DB: HookBackend>(
    insert: &Insert,
    defaults: &[ColumnDefault],
) -> Result<Fields> {
    let columns = insert.columns.as_deref().unwrap_or_default();
    let mut slots = Vec::with_capacity(M::FIELDS.len());
    let mut fallback = Vec::with_capacity(M::FIELDS.len());
    let mut constant = Vec::with_capacity(M::FIELDS.len());
    for (field, info) in M::FIELDS.iter().enumerate() {
        slots.push(
            columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(info.column)),
        );
        let default = defaults
            .iter()
            .find(|d| d.column.eq_ignore_ascii_case(info.column))
            .and_then(|d| d.default.as_deref())
            .filter(|_| !info.key);
        let shown = default.or_else(|| M::zero_sql(field));
        constant.push(shown.is_some_and(super::decode::is_constant));
        fallback.push(shown.map(Piece::literal));
    }
    Ok(Fields {
        slots,
        fallback,
        constant,
    })
}

/// Whether a value's text calls a function that changes something when
/// evaluated (a sequence), which a preview must not evaluate twice.
fn has_effect(parsed: &Parsed, cell: &crate::sql::Clause) -> bool {
    parsed.names_in(cell).any(|name| {
        ["nextval", "setval", "next", "lastval", "last_insert_id"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f))
    })
}

/// The value pieces of one row, per field of `M`.
fn row_pieces<M: HookModel>(
    parsed: &Parsed,
    row: &Row,
    fields: &Fields,
    table: &str,
) -> Result<Vec<Piece>> {
    (0..M::FIELDS.len())
        .map(|field| {
            let given = fields.slots[field]
                .filter(|&slot| !matches!(row.values.get(slot), Some(Value::Default) | None))
                .and_then(|slot| row.cells.get(slot))
                .filter(|cell| !has_effect(parsed, cell));
            match given {
                Some(cell) => Ok(Piece::of(parsed, cell, true)),
                None => fields.fallback[field].clone().ok_or_else(|| {
                    Error::Invalid(format!(
                        "{}: the INSERT into `{table}` gives `{}` no value and the column has no \
                         default the library can show BEFORE_CREATE hooks; give it a value",
                        M::MODEL,
                        M::FIELDS[field].column
                    ))
                }),
            }
        })
        .collect()
}

/// `SELECT * FROM (VALUES (<fields>, 0), (<fields>, 1)) AS hooks_rows
/// ORDER BY <n + 1>` (MySQL: `SELECT <fields>, 0 UNION ALL SELECT .. ORDER
/// BY <n + 1>`): the rows of an insert as records, in its order.
pub(crate) struct RowsPreview<'a, DB: HookBackend> {
    rows: Vec<Vec<Piece>>,
    casts: &'a [Option<&'static str>],
    binds: &'a DB::Binds,
    /// On SQLite, the condition that sends the captured binds.
    carrier: Option<Piece>,
}

impl<'a, DB: HookBackend> RowsPreview<'a, DB> {
    /// The preview of `rows` (the caller's, by index) of `insert`.
    pub(crate) fn new<M: HookModel>(
        parsed: &Parsed,
        insert: &Insert,
        rows: impl IntoIterator<Item = usize>,
        fields: &Fields,
        casts: &'a [Option<&'static str>],
        binds: &'a DB::Binds,
    ) -> Result<Self> {
        let values = insert.values.as_ref().map_or(&[][..], |v| &v.rows[..]);
        let rows = rows
            .into_iter()
            .filter_map(|r| values.get(r))
            .map(|row| row_pieces::<M>(parsed, row, fields, &insert.table))
            .collect::<Result<_>>()?;
        Ok(RowsPreview {
            rows,
            casts,
            binds,
            carrier: (!DB::SPLITS_BINDS).then(|| Piece::always(parsed.bind_count())),
        })
    }

    /// The preview of rows given as pieces, one per field (pieces that
    /// send no bind: on SQLite, where binds are sent whole, nothing
    /// carries them).
    pub(super) fn of_pieces(
        rows: Vec<Vec<Piece>>,
        casts: &'a [Option<&'static str>],
        binds: &'a DB::Binds,
    ) -> Self {
        RowsPreview {
            rows,
            casts,
            binds,
            carrier: None,
        }
    }

    fn push_row<'b>(&'b self, r: usize, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (field, piece) in self.rows[r].iter().enumerate() {
            let cast = self.casts.get(field).copied().flatten();
            out.push_sql(if cast.is_some() { "CAST((" } else { "(" });
            push_piece(piece, self.binds, out)?;
            if let Some(cast) = cast {
                out.push_sql(") AS ");
                out.push_sql(cast);
            }
            out.push_sql("), ");
        }
        out.push_sql(&r.to_string());
        Ok(())
    }
}

impl<DB: HookBackend> QueryId for RowsPreview<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: HookBackend> QueryFragment<DB> for RowsPreview<'_, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Its text is one per row count and the statement's own pieces,
        // as the insert it previews (see `resend::chunks`): kept in the
        // statement cache.
        let width = self.rows.first().map_or(0, Vec::len);
        if DB::VALUES_TABLE {
            out.push_sql("SELECT * FROM (VALUES ");
            for r in 0..self.rows.len() {
                out.push_sql(if r == 0 { "(" } else { ", (" });
                self.push_row(r, &mut out)?;
                out.push_sql(")");
            }
            out.push_sql(") AS hooks_rows");
            if let Some(carrier) = &self.carrier {
                out.push_sql(" WHERE ");
                push_piece(carrier, self.binds, &mut out)?;
            }
        } else {
            for r in 0..self.rows.len() {
                out.push_sql(if r == 0 {
                    "SELECT "
                } else {
                    " UNION ALL SELECT "
                });
                self.push_row(r, &mut out)?;
            }
        }
        out.push_sql(&format!(" ORDER BY {}", width + 1));
        Ok(())
    }
}

/// The records the rows of `preview` are, in its order (its last column,
/// the order, is not read).
pub(crate) fn records<M, C>(
    inner: &mut C,
    preview: &RowsPreview<'_, C::Backend>,
) -> diesel::QueryResult<Vec<M>>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    M::load_rows_of(inner, preview)
}

/// What previewing an `INSERT .. VALUES` needs, read once per statement:
/// where each field takes its value, the fields' casts, and what a row
/// gets in a column a hook set that the statement does not name.
pub(super) struct Previewing {
    fields: Fields,
    casts: Vec<Option<&'static str>>,
    fillers: Vec<Piece>,
    /// How the rows are read on the client, where they can be.
    decoding: Option<Decoding>,
}

impl Previewing {
    pub(super) fn new<M, C>(conn: &mut HookedConnection<C>, insert: &Insert) -> Result<Self>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        let defaults = conn.column_defaults::<M>()?;
        let fields = fields::<M, C::Backend>(insert, &defaults)?;
        Ok(Previewing {
            decoding: Decoding::new::<M, C>(conn, insert, &fields),
            fields,
            casts: conn.cast_types::<M>()?,
            fillers: fillers::<M, C>(&defaults),
        })
    }

    /// Keeps what this statement learnt for the statements after it.
    pub(super) fn remember<M: HookModel, C: InnerConnection>(
        &self,
        conn: &mut HookedConnection<C>,
    ) {
        if let Some(decoding) = &self.decoding {
            decoding.remember::<M, C>(conn);
        }
    }

    /// The records `chunk` of `insert` would write, in the caller's
    /// order, evaluated by the database without writing.
    pub(super) fn records<M, C>(
        &self,
        inner: &mut C,
        parsed: &Parsed,
        insert: &Insert,
        chunk: &InsertChunk,
        binds: &<C::Backend as Capture>::Binds,
    ) -> Result<Vec<M>>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        if let Some(decoding) = &self.decoding {
            let decoded =
                decoding.records::<M, C>(inner, insert, &self.fields, &self.casts, chunk, binds)?;
            if let Some(records) = decoded {
                return Ok(records);
            }
        }
        let preview = RowsPreview::<C::Backend>::new::<M>(
            parsed,
            insert,
            chunk.rows.clone(),
            &self.fields,
            &self.casts,
            binds,
        )?;
        Ok(records::<M, C>(inner, &preview)?)
    }

    /// `chunk` of `insert` as a statement carrying what BEFORE_CREATE
    /// hooks changed in `records` against the `previewed` ones, with the
    /// binds it sends; `None` when the hooks changed nothing. A hook that
    /// changed a key is refused.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    pub(super) fn edited<M, C>(
        &self,
        inner: &mut C,
        parsed: &Parsed,
        insert: &Insert,
        chunk: &InsertChunk,
        previewed: &[M],
        records: &[M],
        binds: &<C::Backend as Capture>::Binds,
    ) -> Result<Option<(Piece, <C::Backend as Capture>::Binds)>>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        let columns = insert.columns.as_ref().map_or(0, Vec::len);
        let Some((patch, extended)) = patch::<M, C>(
            inner,
            chunk,
            &self.fields,
            &self.fillers,
            columns,
            previewed,
            records,
            binds,
        )?
        else {
            return Ok(None);
        };
        let body = resend::patched(
            parsed,
            insert,
            chunk,
            &patch,
            <C::Backend as Capture>::bind_count(&extended),
            <C::Backend as Capture>::DIALECT.quote(),
        )
        .ok_or_else(|| Error::Invalid("an insert without VALUES was patched".into()))?;
        Ok(Some((body, extended)))
    }
}

/// What rows whose hooks did not set a column the statement does not
/// name get there, per field: `DEFAULT`, or where `VALUES` has none
/// (SQLite) the column's default, or `NULL`.
fn fillers<M: HookModel, C: InnerConnection>(
    defaults: &[crate::backend::ColumnDefault],
) -> Vec<Piece> {
    M::FIELDS
        .iter()
        .map(|field| {
            if <C::Backend as HookBackend>::DEFAULT_IN_VALUES {
                return Piece::literal("DEFAULT");
            }
            let default = defaults
                .iter()
                .find(|d| d.column.eq_ignore_ascii_case(field.column))
                .and_then(|d| d.default.as_deref());
            Piece::literal(&format!("({})", default.unwrap_or("NULL")))
        })
        .collect()
}

/// What BEFORE_CREATE hooks changed in the `records` of `chunk` (against
/// the `previewed` ones), as a patch of the statement (whose column list
/// has `columns` names), with the captured binds extended by the values
/// the patch sends; `None` when the hooks changed nothing. A hook that
/// changed a key is refused.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn patch<M, C>(
    inner: &mut C,
    chunk: &InsertChunk,
    fields: &Fields,
    fillers: &[Piece],
    columns: usize,
    previewed: &[M],
    records: &[M],
    binds: &<C::Backend as Capture>::Binds,
) -> Result<Option<(Patch, <C::Backend as Capture>::Binds)>>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    // How many binds the statement has, counted once a hook edited a value
    // (on SQLite counting reads every bind).
    let mut captured = None;
    let mut patch = Patch::default();
    let mut values: Vec<(usize, usize)> = Vec::new();
    for ((row, record), previewed) in chunk.rows.clone().zip(records).zip(previewed) {
        let edited = record.diff(previewed);
        if !edited.intersection(M::key_set()).is_empty() {
            return Err(Error::Invalid(format!(
                "{}: a BEFORE_CREATE hook changed the key of the record at position {row} of \
                 the INSERT; keys of ordinary inserts are the statement's: set them in the \
                 statement, or use `bulk_create`",
                M::MODEL
            )));
        }
        for field in edited.iter() {
            let slot = match fields.slots[field] {
                Some(slot) => slot,
                None => {
                    let column = M::FIELDS[field].column;
                    let at = match patch.added.iter().position(|(c, _)| *c == column) {
                        Some(at) => at,
                        None => {
                            patch.added.push((column, fillers[field].clone()));
                            patch.added.len() - 1
                        }
                    };
                    columns + at
                }
            };
            let captured =
                *captured.get_or_insert_with(|| <C::Backend as Capture>::bind_count(binds));
            patch
                .cells
                .entry(row)
                .or_default()
                .push((slot, captured + values.len()));
            values.push((row - chunk.rows.start, field));
        }
    }
    if patch.is_empty() {
        return Ok(None);
    }
    let lookup = inner.metadata_lookup();
    let extended = <C::Backend as Capture>::extend_binds(binds, lookup, &mut |out, lookup| {
        for &(record, field) in &values {
            records[record].collect_field(field, out, lookup)?;
        }
        Ok(())
    })?;
    Ok(Some((patch, extended)))
}
