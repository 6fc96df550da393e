//! Writing key columns and key lists (`pk IN (...)`, row values for
//! composite keys).

use diesel::query_builder::AstPass;
use diesel::QueryResult;

use super::Column;
use crate::backend::HookBackend;
use crate::hooks_core::HookModel;
use crate::model::DieselHookModel;

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

/// Binds one key as `?` or `(?, ?)`.
pub(crate) fn push_key<'b, M: DieselHookModel<DB>, DB: HookBackend>(
    key: &'b M::Key,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    let parts = M::key_fields().count();
    if parts > 1 {
        out.push_sql("(");
    }
    for part in 0..parts {
        if part > 0 {
            out.push_sql(", ");
        }
        M::bind_key(key, part, out)?;
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
pub(crate) fn push_key_in<'b, M: DieselHookModel<DB>, DB: HookBackend>(
    keys: &'b [M::Key],
    columns: &'b [Column<'_, M>],
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    push_key_columns::<M, DB>(out, true)?;
    if DB::ARRAYS {
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
    for (n, key) in keys.iter().enumerate() {
        if n > 0 {
            out.push_sql(", ");
        }
        push_key::<M, DB>(key, out)?;
    }
    out.push_sql(")");
    Ok(())
}

/// Binds array columns, comma-separated.
pub(crate) fn push_columns<'b, M: DieselHookModel<DB>, DB: HookBackend>(
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
