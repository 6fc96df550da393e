//! Intercepted inserts: BEFORE_CREATE hooks see the records the statement
//! would write before anything is written (`preview`), then the statement
//! is sent once per chunk, carrying what the hooks changed (`resend`),
//! and the rows come back as stored (`RETURNING`, or read back on MySQL)
//! for AFTER_CREATE hooks.

use super::preview::Previewing;
use super::resend::{self, chunk_rows, InsertChunk, InsertReturning, KeyBindsReadBack};
use super::route::{
    answer, capture, returning, runs_hooks, unreadable, unsupported, InsertRoute, Refusal, Request,
    Routed,
};
use super::upsert;
use crate::backend::{Capture, HookBackend};
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::Result;
use crate::query::Captured;
use crate::query::{self, Writable};
use crate::sql::Piece;
use crate::sql::{Insert, InsertForm, Row, Value};
use hooks_core::{Event, Operation};

pub(super) fn insert_rows<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    insert: &Insert,
) -> Result<Routed<C::Backend>> {
    let creates = runs_hooks::<M, C>(conn, Operation::Create);
    let updates =
        matches!(insert.form, InsertForm::Upsert(_)) && runs_hooks::<M, C>(conn, Operation::Update);
    // With a conflict target, the rows `DO NOTHING` skips are those a
    // stored row or an earlier row has the target of: known before the
    // write, so BEFORE_CREATE hooks can see the others before it.
    let skips_known = insert.form == InsertForm::Ignore(upsert::SKIP_FORM)
        && before_creates::<M, C>(conn)
        && upsert::conflict_target::<M, C>(insert).is_ok();
    match InsertRoute::of(
        &insert.form,
        creates,
        updates,
        <C::Backend as HookBackend>::RETURNING,
        skips_known,
    ) {
        InsertRoute::Unhooked => return Ok(Routed::Unhooked),
        InsertRoute::Upsert => return upsert::upsert_rows::<M, C>(conn, request, insert),
        InsertRoute::Refused(Refusal { form, why }) => {
            return Err(unsupported::<M, C>(&insert.table, form, why))
        }
        InsertRoute::Create => {}
    }
    if super::split::needed::<C::Backend>(request.parsed) {
        return super::split::insert_in_parts::<M, C>(conn, request, insert);
    }
    let returning = returning::<M, C>(request, &insert.table, insert.returning.as_ref())?;
    let binds = capture::<M, C>(conn, request, &insert.table)?;
    let read_back = if <C::Backend as HookBackend>::RETURNING {
        None
    } else {
        Some(InsertedKeys::of::<M, C>(insert)?)
    };
    let key_first = match read_back {
        Some(InsertedKeys::Mixed(at)) => Some(at),
        _ => None,
    };
    let parsed = request.parsed;
    // Values that read the table (a subquery) are evaluated by one
    // statement, as the original's are.
    let reads_rows = insert.values.as_ref().is_some_and(|v| {
        v.rows
            .iter()
            .any(|row| crate::ops::changeset::reads_rows(parsed, &row.tokens))
    });
    let chunk_size = if reads_rows {
        usize::MAX
    } else {
        conn.config().chunk_size
    };
    let chunks =
        resend::chunks::<C::Backend>(parsed, insert, request.cacheable, chunk_size, key_first);
    let total = insert.values.as_ref().map(|v| v.rows.len());
    let mut count = 0;
    let writer = Writer {
        parsed,
        insert,
        binds: &binds,
        read_back: read_back.as_ref(),
    };
    // BEFORE_CREATE hooks see the rows before the write where the rows
    // are known before it: a plain `INSERT (columns) VALUES ..`. The rows
    // of `INSERT .. SELECT` and `DEFAULT VALUES`, and which rows an
    // `ON CONFLICT DO NOTHING` without a target or `INSERT OR IGNORE`
    // skips, are known after it: there they see the stored rows, their
    // edits written back.
    let before = before_creates::<M, C>(conn)
        && insert.form == InsertForm::Plain
        && insert.values.is_some()
        && insert.columns.is_some();
    let rows = if before {
        let previewing = Previewing::new::<M, C>(conn, insert)?;
        let rows = conn.create_previewed::<M>(
            chunks.len(),
            total,
            |inner, k| previewing.records::<M, C>(inner, parsed, insert, &chunks[k], &binds),
            |inner, k, previewed, records| {
                let chunk = &chunks[k];
                match previewing
                    .edited::<M, C>(inner, parsed, insert, chunk, previewed, records, &binds)?
                {
                    None => Ok(writer.write_unedited::<M, C>(inner, chunk, &mut count)?),
                    Some((body, extended)) => {
                        Ok(writer.write::<M, C>(inner, chunk, &body, &extended, &mut count)?)
                    }
                }
            },
        );
        previewing.remember::<M, C>(conn);
        rows
    } else {
        conn.create_by::<M>(chunks.len(), total, |inner, k| {
            writer.write_unedited::<M, C>(inner, &chunks[k], &mut count)
        })
    }
    .map_err(unreadable::<M, C>(&insert.table, "INSERT"))?;
    if read_back.is_none() {
        count = rows.len();
    }
    answer::<M, C>(conn, request, count, rows, returning, Some(&binds))
}

/// Whether BEFORE_CREATE hooks of `M` will run on `conn`.
pub(super) fn before_creates<M, C>(conn: &mut HookedConnection<C>) -> bool
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    !conn.scope_mut().is_bypassed::<M>() && conn.registry().has_hooks::<M>(Event::BeforeCreate)
}

/// Sends the statements of an insert and reads back the rows they wrote.
struct Writer<'a, DB: HookBackend> {
    parsed: &'a crate::sql::Parsed,
    insert: &'a Insert,
    binds: &'a DB::Binds,
    read_back: Option<&'a InsertedKeys>,
}

impl<DB: HookBackend> Writer<'_, DB> {
    /// Sends `chunk` as the caller wrote it: by arrays where the backend
    /// has them (`arrays`), else its own text.
    fn write_unedited<M, C>(
        &self,
        inner: &mut C,
        chunk: &InsertChunk,
        count: &mut usize,
    ) -> diesel::QueryResult<Vec<M>>
    where
        C: InnerConnection<Backend = DB>,
        M: Writable<DB>,
    {
        match super::arrays::by_arrays::<DB>(self.parsed, self.insert, chunk, self.binds) {
            Some((body, arrays)) => self.write::<M, C>(inner, chunk, &body, &arrays, count),
            None => self.write::<M, C>(inner, chunk, &chunk.body, self.binds, count),
        }
    }

    /// Sends `body` (chunk `chunk` of the insert, with `binds`); returns
    /// the rows as stored; adds how many were inserted to `count`.
    fn write<M, C>(
        &self,
        inner: &mut C,
        chunk: &InsertChunk,
        body: &Piece,
        binds: &DB::Binds,
        count: &mut usize,
    ) -> diesel::QueryResult<Vec<M>>
    where
        C: InnerConnection<Backend = DB>,
        M: Writable<DB>,
    {
        let Some(read_back) = self.read_back else {
            return M::load_framed(inner, &InsertReturning::<DB> { body, binds });
        };
        let inserted = inner.execute_returning_count(&Captured::<DB> { piece: body, binds })?;
        *count += inserted;
        let rows = read_back.load::<M, C>(inner, self.insert, chunk, self.binds, inserted)?;
        if rows.len() == inserted {
            Ok(rows)
        } else {
            Err(diesel::result::Error::QueryBuilderError(
                format!(
                    "{}: {inserted} rows inserted, {} read back; nothing was written",
                    M::MODEL,
                    rows.len()
                )
                .into(),
            ))
        }
    }
}

/// Where the keys of an insert's rows are found, to read the rows back
/// on a backend without `RETURNING` (with [`query::ReadBack`]).
enum InsertedKeys {
    /// From `LAST_INSERT_ID()`: the statement let the database generate
    /// the keys.
    Generated,
    /// By the key values the statement bound, at these positions of its
    /// column list.
    Keys(Vec<usize>),
    /// A one-column key, at this position of the column list, bound in
    /// some rows and `DEFAULT` in the others (an `Option` key of Diesel's
    /// `Insertable`): the rows with a bound key are sent first and read
    /// by it, the others from `LAST_INSERT_ID()`.
    Mixed(usize),
}

impl InsertedKeys {
    fn of<M, C>(insert: &Insert) -> Result<Self>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        let refuse = |why: &str| unsupported::<M, C>(&insert.table, "INSERT", why);
        let key_columns: Vec<&str> = M::key_fields().map(|i| M::FIELDS[i].column).collect();
        let positions: Vec<Option<usize>> = key_columns
            .iter()
            .map(|k| {
                insert
                    .columns
                    .as_ref()
                    .and_then(|cols| cols.iter().position(|c| c.eq_ignore_ascii_case(k)))
            })
            .collect();
        if positions.iter().all(Option::is_none) {
            if key_columns.len() > 1 {
                return Err(refuse(
                    "a composite key with generated parts cannot be read back without RETURNING",
                ));
            }
            return Ok(InsertedKeys::Generated);
        }
        match (
            insert.values.as_ref(),
            positions.into_iter().collect::<Option<Vec<usize>>>(),
        ) {
            (Some(values), Some(positions)) => {
                let plain = values
                    .rows
                    .iter()
                    .all(|row| positions.iter().all(|&at| resend::key_is_bound(row, at)));
                let bound_or_default = |at: usize| {
                    values.rows.iter().all(|row| {
                        matches!(row.values.get(at), Some(Value::Bind(_) | Value::Default))
                    })
                };
                match positions[..] {
                    _ if plain => Ok(InsertedKeys::Keys(positions)),
                    [at] if bound_or_default(at) => Ok(InsertedKeys::Mixed(at)),
                    _ => Err(refuse(
                        "each key value must be a plain bound value (or DEFAULT, for a \
                         one-column key) to read its row back",
                    )),
                }
            }
            _ => Err(refuse(
                "its key values must all be given, in a VALUES list, to read its rows back",
            )),
        }
    }

    /// The rows `chunk` of `insert` inserted (`inserted` of them), in
    /// the caller's order.
    fn load<M, C>(
        &self,
        inner: &mut C,
        insert: &Insert,
        chunk: &InsertChunk,
        binds: &<C::Backend as Capture>::Binds,
        inserted: usize,
    ) -> diesel::QueryResult<Vec<M>>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        if inserted == 0 {
            return Ok(Vec::new());
        }
        let rows = chunk_rows(insert, chunk);
        // The rows with a bound key, first in the statement (`chunk.order`).
        let (positions, given): (&[usize], Vec<&Row>) = match self {
            InsertedKeys::Generated => (&[][..], Vec::new()),
            InsertedKeys::Keys(positions) => (positions.as_slice(), rows.iter().collect()),
            InsertedKeys::Mixed(at) => (
                std::slice::from_ref(at),
                rows.iter()
                    .filter(|row| resend::key_is_bound(row, *at))
                    .collect(),
            ),
        };
        let read = query::ReadBack {
            given: given.len(),
            generated: match self {
                InsertedKeys::Generated => inserted,
                _ => rows.len() - given.len(),
            },
        };
        let mut stored = read.load(
            inner,
            |inner| load_by_keys::<M, C>(inner, given.iter().copied(), positions, binds),
            |_, _| Ok(()),
        )?;
        let InsertedKeys::Mixed(at) = self else {
            return Ok(stored);
        };
        // Put back in the caller's order.
        let mut from_last_id = stored.split_off(given.len().min(stored.len())).into_iter();
        let mut by_key = stored.into_iter();
        Ok(rows
            .iter()
            .filter_map(|row| {
                if resend::key_is_bound(row, *at) {
                    by_key.next()
                } else {
                    from_last_id.next()
                }
            })
            .collect())
    }
}

/// The rows whose keys `rows` bound at `positions`, in their order.
fn load_by_keys<'r, M, C>(
    inner: &mut C,
    rows: impl IntoIterator<Item = &'r Row>,
    positions: &[usize],
    binds: &<C::Backend as Capture>::Binds,
) -> diesel::QueryResult<Vec<M>>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    let frame =
        KeyBindsReadBack::<C::Backend>::new::<M>(rows, positions, binds).ok_or_else(|| {
            diesel::result::Error::QueryBuilderError(
                format!(
                    "{}: each key value must be a plain bound value to read its row back; \
                 nothing was written",
                    M::MODEL
                )
                .into(),
            )
        })?;
    M::load_framed(inner, &frame)
}
