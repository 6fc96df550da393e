//! Writing key columns and key lists (`pk IN (...)`, row values for
//! composite keys).

use diesel::query_builder::AstPass;
use diesel::QueryResult;

use crate::backend::HookBackend;
use crate::hooks_core::HookModel;
use crate::model::DieselHookModel;

/// Writes `"t"."a"` or `("t"."a", "t"."b")`.
pub(crate) fn push_key_columns<M: HookModel, DB: HookBackend>(
    out: &mut AstPass<'_, '_, DB>,
    qualified: bool,
) -> QueryResult<()> {
    let parts = M::key_fields().count();
    if parts > 1 {
        out.push_sql("(");
    }
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
    if parts > 1 {
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

/// Writes `key_columns IN (k1, k2, ...)`.
pub(crate) fn push_key_in<'b, M: DieselHookModel<DB>, DB: HookBackend>(
    keys: &'b [M::Key],
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    push_key_columns::<M, DB>(out, true)?;
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

/// Binds per key (for chunk sizing).
pub(crate) fn key_binds<M: HookModel>() -> usize {
    M::key_fields().count()
}
