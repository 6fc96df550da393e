//! Writing key columns and key lists (`pk IN (...)`, row values for
//! composite keys).

use std::collections::HashMap;

use diesel::query_builder::AstPass;
use diesel::QueryResult;

use super::column::binds_as_arrays;
use super::Column;
use crate::backend::HookBackend;
use crate::model::ModelBinds;
use hooks_core::HookModel;

/// Writes `"t"."a", "t"."b"` (as `ORDER BY` takes them).
pub(crate) fn push_key_list<M: HookModel, DB: HookBackend>(
    out: &mut AstPass<'_, '_, DB>,
    qualified: bool,
) -> QueryResult<()> {
    for (n, i) in M::key_fields().enumerate() {
        if n > 0 {
            out.push_sql(", ");
        }
        if qualified {
            out.push_identifier(M::TABLE)?;
            out.push_sql(".");
        }
        out.push_identifier(M::FIELDS[i].column)?;
    }
    Ok(())
}

/// Writes `"t"."a"` or the row value `("t"."a", "t"."b")`.
pub(crate) fn push_key_columns<M: HookModel, DB: HookBackend>(
    out: &mut AstPass<'_, '_, DB>,
    qualified: bool,
) -> QueryResult<()> {
    let composite = M::key_fields().nth(1).is_some();
    if composite {
        out.push_sql("(");
    }
    push_key_list::<M, DB>(out, qualified)?;
    if composite {
        out.push_sql(")");
    }
    Ok(())
}

/// Binds one key as `?` or the row value `(?, ?)`, part `p` bound by
/// `bind(p, out)`.
fn push_key_row<'b, M: HookModel, DB: HookBackend>(
    out: &mut AstPass<'_, 'b, DB>,
    mut bind: impl FnMut(usize, &mut AstPass<'_, 'b, DB>) -> QueryResult<()>,
) -> QueryResult<()> {
    let parts = M::key_fields().count();
    if parts > 1 {
        out.push_sql("(");
    }
    for part in 0..parts {
        if part > 0 {
            out.push_sql(", ");
        }
        bind(part, out)?;
    }
    if parts > 1 {
        out.push_sql(")");
    }
    Ok(())
}

/// One array column per key part, for backends that bind key lists as
/// arrays.
pub(crate) fn key_columns<M: HookModel>(keys: &[M::Key]) -> Vec<Column<'_, M>> {
    (0..M::key_fields().count())
        .map(|part| Column::Key { keys, part })
        .collect()
}

/// Writes `key IN (k1, k2, ...)`; on backends with arrays,
/// `key = ANY($1)` (or `(a, b) IN (SELECT * FROM unnest($1, $2))`), whose
/// text does not grow with the list. `columns` come from [`key_columns`].
pub(crate) fn push_key_in<'b, M: ModelBinds<DB>, DB: HookBackend>(
    keys: &'b [M::Key],
    columns: &'b [Column<'_, M>],
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    push_key_in_by(keys.len(), columns, out, |row, part, out| {
        M::bind_key(&keys[row], part, out)
    })
}

/// Like [`push_key_in`] for `rows` keys held elsewhere (records, say):
/// part `p` of key `r` is bound by `bind(r, p, out)`; with arrays,
/// `columns` holds one array per key part.
pub(crate) fn push_key_in_by<'b, M: ModelBinds<DB>, DB: HookBackend>(
    rows: usize,
    columns: &'b [Column<'_, M>],
    out: &mut AstPass<'_, 'b, DB>,
    mut bind: impl FnMut(usize, usize, &mut AstPass<'_, 'b, DB>) -> QueryResult<()>,
) -> QueryResult<()> {
    push_key_columns::<M, DB>(out, true)?;
    if binds_as_arrays::<M, DB>(M::key_set()) {
        if let [single] = columns {
            out.push_sql(" = ANY(");
            M::bind_column(single, out)?;
        } else {
            out.push_sql(" IN (SELECT * FROM unnest(");
            push_columns(columns, out)?;
            out.push_sql(")");
        }
        out.push_sql(")");
        return Ok(());
    }
    out.push_sql(" IN (");
    for row in 0..rows {
        if row > 0 {
            out.push_sql(", ");
        }
        push_key_row::<M, DB>(out, |part, out| bind(row, part, out))?;
    }
    out.push_sql(")");
    Ok(())
}

/// Binds array columns, comma-separated.
pub(crate) fn push_columns<'b, M: ModelBinds<DB>, DB: HookBackend>(
    columns: &'b [Column<'_, M>],
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    for (n, column) in columns.iter().enumerate() {
        if n > 0 {
            out.push_sql(", ");
        }
        M::bind_column(column, out)?;
    }
    Ok(())
}

/// Binds per key (for chunk sizing).
pub(crate) fn key_binds<M: HookModel>() -> usize {
    M::key_fields().count()
}

/// The rows of `keys`, in the order of `keys`; rows already in that order
/// are taken as they are. `Err` lists the keys without a row.
pub(crate) fn in_key_order<M: HookModel>(
    keys: &[M::Key],
    rows: Vec<M>,
) -> Result<Vec<M>, Vec<String>> {
    if rows.len() == keys.len() && rows.iter().zip(keys).all(|(r, k)| r.key() == *k) {
        return Ok(rows);
    }
    let mut by_key: HashMap<M::Key, M> = HashMap::with_capacity(rows.len());
    by_key.extend(rows.into_iter().map(|r| (r.key(), r)));
    let missing: Vec<String> = keys
        .iter()
        .filter(|k| !by_key.contains_key(*k))
        .map(|k| format!("{k:?}"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
}
