//! What differs between database backends for the bulk writers.

use diesel::backend::Backend;
use diesel::query_builder::AstPass;
use diesel::sql_types::HasSqlType;
use diesel::QueryResult;

use crate::model::ModelBinds;
use crate::query::Column;

mod capture;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod pg;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod raw;
mod session;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_binds;

pub(crate) use capture::Capture;
pub(crate) use session::ColumnDefault;
pub(crate) use session::Session;

/// A backend the hooked operations know how to write to (SQLite,
/// PostgreSQL, MySQL; sealed).
pub trait HookBackend: Backend<QueryBuilder: Default> + Default + Capture + Session {
    /// Short name for messages and spans.
    const NAME: &'static str;
    /// The most bind parameters one statement may carry.
    const BIND_LIMIT: usize;
    /// Whether `INSERT/UPDATE/DELETE ... RETURNING` is available.
    const RETURNING: bool;
    /// Whether `SELECT ... FOR UPDATE` locks rows (otherwise the whole
    /// write transaction is taken up front, as SQLite's `BEGIN IMMEDIATE`).
    const ROW_LOCKS: bool;
    /// Whether a column of values can be bound as one array parameter
    /// (then statements use `unnest` and `= ANY`, and their text does not
    /// grow with the chunk).
    const ARRAYS: bool;
    /// Whether per-row values are written as `UPDATE t JOIN (rows) ON ...
    /// SET ...` (MySQL has no `UPDATE ... FROM`).
    const UPDATE_JOIN: bool;
    /// The value that makes an `INSERT` generate a key: `DEFAULT` in a
    /// `VALUES` row on PostgreSQL and MySQL; SQLite, which has no
    /// `DEFAULT` there, assigns an `INTEGER PRIMARY KEY` (the rowid) given
    /// `NULL`. For keys generated when unset
    /// (`HookModel::KEY_GENERATED_WHEN_UNSET`).
    const GENERATE_KEY: &'static str;
    /// Whether the condition of an intercepted `UPDATE` or `DELETE` is
    /// first sent in a write that matches no row (`WHERE (<condition>)
    /// AND RAND() < 0`), so that it fails where the original would: see
    /// the MySQL implementation.
    const CHECKS_CONDITION_BY_WRITE: bool;
    /// Whether an `UPDATE` whose condition reads its own table (a
    /// subquery) is written in two passes, its assignments computed from
    /// the old row rather than left to right (MariaDB): such a statement
    /// is re-sent with its own condition beside the keys, so that it is
    /// written the same way.
    const TWO_PASS_SELF_UPDATES: bool;
    /// Whether `DEFAULT` may stand as a value in a `VALUES` row (SQLite:
    /// no; the column's default is written out instead).
    const DEFAULT_IN_VALUES: bool;
    /// Whether a `VALUES` list can stand as a table (`SELECT * FROM (VALUES
    /// ..) AS t`); otherwise rows are written as `SELECT .. UNION ALL`.
    const VALUES_TABLE: bool;
    /// Whether an `UPDATE`'s assignments see the values earlier ones of the
    /// same statement wrote (MySQL: left to right); elsewhere every
    /// assignment reads the old row.
    const ASSIGNS_IN_ORDER: bool;
    /// Whether the rows an upsert updated can be told from those it
    /// inserted after it ran (PostgreSQL: their `xmax` is set), to catch a
    /// conflicting row another transaction inserted meanwhile.
    const UPSERT_MARKS_UPDATED: bool;
    /// The messages (and the SQLSTATE or result code they stand for) of
    /// the retryable failures Diesel does not give a kind for, compared
    /// whole (see [`is_retryable`](crate::is_retryable)).
    const RETRYABLE_MESSAGES: &'static [(&'static str, &'static str)];
    /// Whether a prepared statement whose execution failed keeps its error
    /// for Diesel's next use of it (MySQL: the client clears the error only
    /// when the statement is executed again, and Diesel checks it after
    /// binding, before executing). Where true, the connection drops its
    /// cached statements after a database error.
    const STATEMENT_ERRORS_PERSIST: bool = false;

    /// The statement that begins a top-level transaction with `options`
    /// (`BEGIN ISOLATION LEVEL ..`, `START TRANSACTION READ ONLY`, `BEGIN
    /// IMMEDIATE`); an error for options the backend cannot honour.
    fn begin_sql(options: &crate::TransactionOptions) -> crate::Result<String>;

    /// A statement that takes the write lock a write of `table` needs
    /// without writing anything, sent before a hooked operation reads
    /// inside a transaction that was begun without that lock (SQLite's
    /// deferred `BEGIN`); `None` where writers lock rows instead.
    fn write_lock_sql(table: &str) -> Option<String> {
        let _ = table;
        None
    }

    /// Whether the server gives the rows of one multi-row `INSERT`
    /// consecutive auto-increment keys (asked only on backends without
    /// `RETURNING`, which read inserted rows back by key range).
    fn consecutive_auto_increment<C>(_conn: &mut C) -> QueryResult<bool>
    where
        C: diesel::connection::LoadConnection<Backend = Self>,
    {
        Ok(true)
    }

    /// The SQL type an expression is cast to (`CAST(e AS <type>)`) so that
    /// it reads back as a value of the field type `metadata` describes;
    /// `None` reads it as it is (SQLite, whose values carry their type,
    /// and types without a known name).
    fn cast_type(
        metadata: &<Self as diesel::sql_types::TypeMetadata>::TypeMetadata,
    ) -> Option<&'static str> {
        let _ = metadata;
        None
    }

    /// The type a bound value of field `field` is cast to where it stands
    /// in a derived table of per-row values (see MySQL's implementation);
    /// `None`: bound as it is.
    fn derived_value_cast<M: ModelBinds<Self>>(field: usize) -> Option<&'static str> {
        let _ = field;
        None
    }

    /// Binds `column` as one array of `ST` values. Backends without arrays
    /// keep this default, an error (callers check [`ARRAYS`](Self::ARRAYS)
    /// first).
    fn push_array<'b, ST: 'static, M>(
        _column: &'b Column<'_, M>,
        _out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()>
    where
        Self: HasSqlType<ST>,
        M: ModelBinds<Self>,
    {
        Err(diesel::result::Error::QueryBuilderError(
            format!("{} has no array parameters", Self::NAME).into(),
        ))
    }
}
