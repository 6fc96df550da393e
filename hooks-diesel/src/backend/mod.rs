//! What differs between database backends for the bulk writers.

use diesel::backend::Backend;

#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "sqlite")]
mod sqlite;

/// A backend the hooked operations know how to write to.
pub trait HookBackend: Backend {
    /// Short name for messages and spans.
    const NAME: &'static str;
    /// The most bind parameters one statement may carry.
    const BIND_LIMIT: usize;
    /// Whether `INSERT/UPDATE/DELETE ... RETURNING` is available.
    const RETURNING: bool;
    /// Whether `SELECT ... FOR UPDATE` locks rows (otherwise the whole
    /// write transaction is taken up front, as SQLite's `BEGIN IMMEDIATE`).
    const ROW_LOCKS: bool;
}
