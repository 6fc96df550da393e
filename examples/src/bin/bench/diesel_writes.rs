//! The `diesel` variant: the workload's `bulk_create`, `queryset_update`
//! and `bulk_delete` written as ordinary Diesel statements (the raw
//! variant's multi-row `INSERT` per chunk, filtered `UPDATE` and `DELETE`
//! by key list per chunk), sent through the `HookedConnection` that has the
//! workload's hooks. The set-based update writes only the status: the
//! BEFORE_UPDATE hook stamps `updated_at`, as in the hooked variant.
//! `bulk_update` has no single Diesel statement and is left out.

use crate::phases::Input;
use crate::raw;
use crate::statements::{Ordinary, Style};
use crate::BoxError;

/// Runs one phase; `Ok(false)` for a phase the variant leaves out. Never
/// inlined, so that a profiler can collect exactly its calls.
#[inline(never)]
pub fn run(
    conn: &mut dyn Ordinary,
    input: Input<'_>,
    chunk: usize,
    bind_limit: usize,
) -> Result<bool, BoxError> {
    match input {
        Input::Create(records) => raw::insert_all(conn, &records, chunk, bind_limit, Style::Dsl)?,
        Input::Update { .. } => return Ok(false),
        Input::Freeze => {
            conn.freeze_active(None, Style::Dsl)?;
        }
        Input::Delete(records) => raw::delete_all(conn, records, chunk, bind_limit, Style::Dsl)?,
    }
    Ok(true)
}
