//! Re-sending a captured insert: in chunks of rows (each one statement,
//! within the bind limit), with the model's `RETURNING` in place of the
//! caller's, and the read-back by the key values it bound (backends
//! without `RETURNING`).

use std::collections::HashMap;
use std::ops::Range;

use diesel::query_builder::AstPass;
use diesel::QueryResult;

use crate::backend::{Capture, HookBackend};
use crate::query::push_piece;
use crate::query::Frame;
use crate::sql::Piece;
use crate::sql::{Insert, Parsed, Row, Value};
use hooks_core::HookModel;

/// One statement of a re-sent insert: its text and the rows of the
/// caller's `VALUES` list it holds.
#[derive(Debug)]
pub(crate) struct InsertChunk {
    pub body: Piece,
    pub rows: Range<usize>,
    /// The caller's rows in the statement's order.
    pub order: Vec<usize>,
}

/// The caller's insert, up to its `RETURNING`, as statements of at most
/// `chunk_size` rows and `DB::BIND_LIMIT` binds each (one statement on
/// backends that cannot split binds, or without a `VALUES` list).
///
/// With `key_first`, the position of the key in each row, the rows of a
/// statement whose key is bound come before those whose key is `DEFAULT`
/// (each group in the caller's order): the statement generates keys after
/// writing every given one, so that on MySQL the generated keys are
/// consecutive from `LAST_INSERT_ID()` (see `query::statement_order`).
/// A chunk's `rows` are still the caller's range.
pub(crate) fn chunks<DB: HookBackend>(
    parsed: &Parsed,
    insert: &Insert,
    cacheable: bool,
    chunk_size: usize,
    key_first: Option<usize>,
) -> Vec<InsertChunk> {
    let bind_limit = DB::SPLITS_BINDS.then_some(DB::BIND_LIMIT);
    chunks_within(parsed, insert, cacheable, chunk_size, key_first, bind_limit)
}

/// [`chunks`] for a backend whose statements take at most `bind_limit`
/// binds, `None` where captured binds cannot be split.
fn chunks_within(
    parsed: &Parsed,
    insert: &Insert,
    cacheable: bool,
    chunk_size: usize,
    key_first: Option<usize>,
    bind_limit: Option<usize>,
) -> Vec<InsertChunk> {
    let total = parsed.bind_count();
    let fits = |values: &crate::sql::Values, limit: usize| {
        values.rows.len() <= chunk_size.max(1) && total <= limit
    };
    let split = insert
        .values
        .as_ref()
        .zip(bind_limit)
        .filter(|(values, limit)| key_first.is_some() || !fits(values, *limit));
    let Some((values, bind_limit)) = split else {
        // One statement; a VALUES list within the chunk size has one text
        // per row count, which the statement cache may keep.
        let rows = insert.values.as_ref().map_or(0, |v| v.rows.len());
        let keep = cacheable || (insert.values.is_some() && rows <= chunk_size);
        return vec![InsertChunk {
            body: Piece::opening(parsed, &insert.body, keep),
            rows: 0..rows,
            order: (0..rows).collect(),
        }];
    };
    let head = Piece::of(parsed, &values.head, true);
    let tail = Piece::of(parsed, &values.tail, true);
    let room = bind_limit.saturating_sub(head.bind_count() + tail.bind_count());
    let rows: Vec<Piece> = values
        .rows
        .iter()
        .map(|row| Piece::of(parsed, &row.tokens, true))
        .collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut binds = 0;
        while end < rows.len()
            && end - start < chunk_size.max(1)
            && (end == start || binds + rows[end].bind_count() <= room)
        {
            binds += rows[end].bind_count();
            end += 1;
        }
        let mut body = head.clone();
        body.text(" ");
        let range = start..end;
        let in_order: Vec<usize> = match key_first {
            Some(at) => {
                let given = |r: &usize| key_is_bound(&values.rows[*r], at);
                let generated = |r: &usize| !key_is_bound(&values.rows[*r], at);
                range
                    .clone()
                    .filter(given)
                    .chain(range.clone().filter(generated))
                    .collect()
            }
            None => range.clone().collect(),
        };
        for (n, row) in in_order.iter().enumerate() {
            if n > 0 {
                body.text(", ");
            }
            body.append(&rows[*row]);
        }
        if !values.tail.is_empty() {
            body.text(" ");
            body.append(&tail);
        }
        out.push(InsertChunk {
            body: body.cacheable(true),
            rows: start..end,
            order: in_order,
        });
        start = end;
    }
    out
}

/// The values a chunk of an insert writes besides the caller's: what
/// BEFORE_CREATE hooks set, each a bind past the captured ones.
#[derive(Debug, Default)]
pub(crate) struct Patch {
    /// Per row of the caller: `(slot, bind)`. A slot below the number of
    /// the statement's columns replaces the caller's value there; the
    /// others are the `added` columns, in order.
    pub cells: HashMap<usize, Vec<(usize, usize)>>,
    /// Columns the statement does not name, with what the rows whose
    /// hooks did not set them get there (`DEFAULT`, or the column's
    /// default where `VALUES` has no `DEFAULT`).
    pub added: Vec<(&'static str, Piece)>,
}

impl Patch {
    /// True when there is nothing to write besides the caller's values.
    pub(crate) fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// The statement of `chunk` with `patch` applied: the added columns
/// appended to the column list and to every row, the hooks' values in
/// place of the caller's where they set them. `total` is the number of
/// binds, captured and added. `None` without a column list and `VALUES`.
pub(crate) fn patched(
    parsed: &Parsed,
    insert: &Insert,
    chunk: &InsertChunk,
    patch: &Patch,
    total: usize,
    quote: impl Fn(&str) -> String,
) -> Option<Piece> {
    let (values, columns, close) = (
        insert.values.as_ref()?,
        insert.columns.as_ref()?,
        insert.columns_end?,
    );
    let mut body = Piece::of(parsed, &(values.head.start..close), false);
    for (column, _) in &patch.added {
        body.text(", ");
        body.text(&quote(column));
    }
    body.text(" ");
    body.append(&Piece::of(parsed, &(close..values.head.end), false));
    body.text(" ");
    for (n, &r) in chunk.order.iter().enumerate() {
        let row = values.rows.get(r)?;
        let cells = patch.cells.get(&r).map_or(&[][..], Vec::as_slice);
        let bound = |slot: usize| cells.iter().find(|(s, _)| *s == slot).map(|(_, b)| *b);
        body.text(if n == 0 { "(" } else { ", (" });
        for (slot, cell) in row.cells.iter().enumerate() {
            if slot > 0 {
                body.text(", ");
            }
            match bound(slot) {
                Some(bind) => body.bind(bind),
                None => body.append(&Piece::of(parsed, cell, false)),
            };
        }
        for (k, (_, filler)) in patch.added.iter().enumerate() {
            body.text(", ");
            match bound(columns.len() + k) {
                Some(bind) => body.bind(bind),
                None => body.append(filler),
            };
        }
        body.text(")");
    }
    if !values.tail.is_empty() {
        body.text(" ");
        body.append(&Piece::of(parsed, &values.tail, false));
    }
    Some(body.cacheable(false).carrying(total))
}

/// The rows of the caller's `VALUES` list that `chunk` holds.
pub(crate) fn chunk_rows<'i>(insert: &'i Insert, chunk: &InsertChunk) -> &'i [Row] {
    insert
        .values
        .as_ref()
        .and_then(|v| v.rows.get(chunk.rows.clone()))
        .unwrap_or_default()
}

/// Whether `row`'s value at `at` (its key) is a bound value.
pub(crate) fn key_is_bound(row: &Row, at: usize) -> bool {
    bound_at(row, at).is_some()
}

/// The captured bind `row` has at position `at`, when its value there is
/// a lone placeholder.
pub(crate) fn bound_at(row: &Row, at: usize) -> Option<usize> {
    match row.values.get(at) {
        Some(Value::Bind(index)) => Some(*index),
        _ => None,
    }
}

/// `<an insert> RETURNING <selection>`.
pub(crate) struct InsertReturning<'a, DB: HookBackend> {
    pub body: &'a Piece,
    pub binds: &'a DB::Binds,
}

impl<DB: HookBackend> Frame<DB> for InsertReturning<'_, DB> {
    fn head<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_piece(self.body, self.binds, out)?;
        out.push_sql(" RETURNING ");
        Ok(())
    }

    fn tail<'b>(&'b self, _out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

/// `SELECT <selection> FROM t JOIN (SELECT ? AS hooks_k0, 0 AS hooks_n
/// UNION ALL ...) AS hooks_keys ON t.k = hooks_keys.hooks_k0 ORDER BY
/// hooks_keys.hooks_n`: the inserted rows, in the statement's order, by
/// the key values it bound.
pub(crate) struct KeyBindsReadBack<'a, DB: HookBackend> {
    /// The derived table of keys, binds included.
    keys: Piece,
    binds: &'a <DB as Capture>::Binds,
    table: &'static str,
    columns: Vec<&'static str>,
}

impl<'a, DB: HookBackend> KeyBindsReadBack<'a, DB> {
    /// `None` when a row's key value is not a lone placeholder.
    pub(crate) fn new<'r, M: HookModel>(
        rows: impl IntoIterator<Item = &'r Row>,
        positions: &[usize],
        binds: &'a DB::Binds,
    ) -> Option<Self> {
        let mut keys = Piece::default();
        for (r, row) in rows.into_iter().enumerate() {
            keys.text(if r == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            });
            for (part, &at) in positions.iter().enumerate() {
                keys.bind(bound_at(row, at)?);
                keys.text(&format!(" AS hooks_k{part}, "));
            }
            keys.text(&format!("{r} AS hooks_n"));
        }
        Some(KeyBindsReadBack {
            keys,
            binds,
            table: M::TABLE,
            columns: M::key_fields().map(|i| M::FIELDS[i].column).collect(),
        })
    }
}

impl<DB: HookBackend> Frame<DB> for KeyBindsReadBack<'_, DB> {
    fn tail<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(" FROM ");
        out.push_identifier(self.table)?;
        out.push_sql(" JOIN (");
        push_piece(&self.keys, self.binds, out)?;
        out.push_sql(") AS hooks_keys ON ");
        for (part, column) in self.columns.iter().enumerate() {
            if part > 0 {
                out.push_sql(" AND ");
            }
            out.push_identifier(self.table)?;
            out.push_sql(".");
            out.push_identifier(column)?;
            out.push_sql(&format!(" = hooks_keys.hooks_k{part}"));
        }
        out.push_sql(" ORDER BY hooks_keys.hooks_n");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
