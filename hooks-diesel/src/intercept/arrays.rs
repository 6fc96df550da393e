//! A chunk of an intercepted `INSERT .. VALUES` sent as arrays where the
//! backend has them (PostgreSQL): `INSERT INTO t (a, b) SELECT * FROM
//! unnest($1, $2)`, one array per column holding that column's binds, in
//! place of a bind per value. The rows, their order and their casts are
//! the statement's: each column's values have one SQL type (the one
//! `VALUES` resolves them to), and `INSERT .. SELECT` assigns them to the
//! columns as `VALUES` does. A column that is `DEFAULT` in every row of
//! the chunk is left out of the column list (its default applies, as
//! `DEFAULT` says). A conflict clause follows the `SELECT` as it followed
//! `VALUES` (`ON CONFLICT (a) DO UPDATE SET b = EXCLUDED.b`: the rows
//! proposed, and so `EXCLUDED`, are the same). Only chunks whose other
//! values are all lone binds, with a conflict clause that binds nothing,
//! go so; the others are sent as written.

use super::resend::InsertChunk;
use crate::backend::Capture;
use crate::sql::{Insert, InsertForm, Parsed, Piece, Value};

/// `chunk` of `insert` as one `INSERT .. SELECT * FROM unnest(..)`, with
/// the arrays it sends; `None` where it is sent as written.
pub(super) fn by_arrays<DB: Capture>(
    parsed: &Parsed,
    insert: &Insert,
    chunk: &InsertChunk,
    binds: &DB::Binds,
) -> Option<(Piece, DB::Binds)> {
    if chunk.order.len() < 2 {
        return None;
    }
    let (values, close) = (insert.values.as_ref()?, insert.columns_end?);
    let keyword = parsed.text(&(close + 1..values.head.end));
    if !keyword.trim().eq_ignore_ascii_case("VALUES") {
        return None;
    }
    // What follows the rows: nothing, or (PostgreSQL's only) a conflict
    // clause.
    let tail = Piece::of(parsed, &values.tail, true);
    let conflicts = insert.form != InsertForm::Plain;
    if tail.has_binds() || values.tail.is_empty() == conflicts {
        return None;
    }
    // The column list as written, a name per column.
    let names: Vec<&str> = insert.column_items.iter().map(|c| parsed.text(c)).collect();
    let open = insert.column_items.first()?.start.checked_sub(1)?;
    let rows: Vec<&[Value]> = chunk
        .order
        .iter()
        .map(|&r| values.rows.get(r).map(|row| &row.values[..]))
        .collect::<Option<_>>()?;
    if rows.iter().any(|row| row.len() != names.len()) {
        return None;
    }
    // Columns `DEFAULT` in every row are left out; any other value must be
    // a lone bind.
    let kept: Vec<usize> = (0..names.len())
        .filter(|&c| !rows.iter().all(|row| row[c] == Value::Default))
        .collect();
    let binds_of = rows
        .iter()
        .map(|row| {
            kept.iter()
                .map(|&c| match row[c] {
                    Value::Bind(bind) => Some(bind),
                    Value::Default | Value::Expr => None,
                })
                .collect::<Option<Vec<usize>>>()
        })
        .collect::<Option<Vec<_>>>()?;
    if kept.is_empty() {
        return None;
    }
    let mut body = Piece::of(parsed, &(values.head.start..open + 1), true);
    if body.has_binds() {
        return None;
    }
    let arrays = DB::column_arrays(binds, &binds_of)?;
    for (n, &c) in kept.iter().enumerate() {
        body.text(if n == 0 { "" } else { ", " });
        body.text(names[c]);
    }
    body.text(") SELECT * FROM unnest(");
    for n in 0..kept.len() {
        if n > 0 {
            body.text(", ");
        }
        body.bind(n);
    }
    body.text(")");
    if conflicts {
        body.text(" ").append(&tail);
    }
    Some((body.cacheable(true), arrays))
}
