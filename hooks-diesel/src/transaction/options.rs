//! Transactions begun with options (isolation level, read only, SQLite's
//! `BEGIN IMMEDIATE`), and the transaction helpers that return callback
//! failures.
//!
//! `PgConnection::build_transaction` only works with Diesel's own manager,
//! so the options are turned into the `BEGIN` statement and sent through
//! the inner manager's `begin_transaction_sql`.

use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use diesel::connection::{Connection, TransactionManager};

use crate::backend::HookBackend;
use crate::connection::InnerConnection;
use crate::{Error, HookedConnection};

/// A transaction isolation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    /// `READ UNCOMMITTED` (PostgreSQL runs it as `READ COMMITTED`).
    ReadUncommitted,
    /// `READ COMMITTED`, PostgreSQL's default.
    ReadCommitted,
    /// `REPEATABLE READ`.
    RepeatableRead,
    /// `SERIALIZABLE`; may fail with serialization failures, which
    /// [`HookedConnection::retry_transaction`] retries.
    Serializable,
}

impl IsolationLevel {
    /// The SQL name of the level.
    pub fn sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        }
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql())
    }
}

/// How to begin a transaction: see [`HookedConnection::transaction_with`].
///
/// ```
/// use hooks_diesel::{IsolationLevel, TransactionOptions};
///
/// let options = TransactionOptions::new().isolation(IsolationLevel::Serializable);
/// assert_eq!(options.isolation, Some(IsolationLevel::Serializable));
/// let options = TransactionOptions { immediate: true, ..Default::default() };
/// assert!(!options.read_only);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TransactionOptions {
    /// The isolation level. PostgreSQL: `BEGIN ISOLATION LEVEL ..`. SQLite
    /// transactions are always serializable, which satisfies any level, so
    /// it is accepted and changes nothing there.
    pub isolation: Option<IsolationLevel>,
    /// PostgreSQL: `READ ONLY`. Refused on SQLite, which has no read-only
    /// transactions.
    pub read_only: bool,
    /// SQLite: `BEGIN IMMEDIATE`, taking the write lock up front (a writer
    /// that would wait fails at `BEGIN`, never halfway). Backends with row
    /// locks ignore it.
    pub immediate: bool,
}

impl TransactionOptions {
    /// A plain transaction (the same as `Default::default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the isolation level.
    #[must_use]
    pub fn isolation(mut self, level: IsolationLevel) -> Self {
        self.isolation = Some(level);
        self
    }

    /// Makes the transaction read only.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Takes the write lock up front (SQLite).
    #[must_use]
    pub fn immediate(mut self) -> Self {
        self.immediate = true;
        self
    }

    fn is_plain(&self) -> bool {
        *self == Self::default()
    }
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Runs `f` in a transaction begun with `options`, committing when it
    /// returns `Ok` and rolling back when it returns `Err` or panics (the
    /// panic then goes on).
    ///
    /// Options apply to a new transaction only: inside an open one, a plain
    /// call opens a savepoint, and one with options fails with
    /// [`Error::Invalid`]. The `BEGIN` form is the backend's
    /// ([`HookBackend::begin_sql`](crate::HookBackend::begin_sql)), whatever
    /// the inner connection (a pooled one included).
    ///
    /// Returns the closure's result, or, when it succeeded and this was the
    /// outermost transaction, the first failure of a callback run after the
    /// commit ([`Error::Callback`], under [`CallbackFailures::Stop`](crate::CallbackFailures::Stop)):
    /// the transaction stays committed.
    ///
    /// When the closure returns `Ok` but a statement inside it failed and
    /// its error was ignored, the database has already doomed the
    /// transaction (PostgreSQL after any error, MySQL after a deadlock):
    /// it is rolled back and [`Error::RolledBackByServer`] is returned,
    /// with the `on_rollback` callbacks run and no `on_commit` callback.
    /// Diesel's own `Connection::transaction` sends the `COMMIT` and
    /// returns `Ok` although nothing was committed; the helpers here
    /// (`transaction_with`, `transaction_with_callbacks`,
    /// `retry_transaction`) and every hooked operation never do.
    ///
    /// ```
    /// # use diesel::connection::SimpleConnection;
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry, TransactionOptions};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// conn.transaction_with(TransactionOptions::new().immediate(), |conn| {
    ///     conn.batch_execute("CREATE TABLE t (x INTEGER)")?;
    ///     Ok::<_, hooks_diesel::Error>(())
    /// })?;
    ///
    /// // The closure's own error type, as with Diesel's `transaction`.
    /// #[derive(Debug)]
    /// enum AppError {
    ///     Hooks(hooks_diesel::Error),
    ///     Refused(&'static str),
    /// }
    /// impl From<hooks_diesel::Error> for AppError {
    ///     fn from(error: hooks_diesel::Error) -> Self {
    ///         AppError::Hooks(error)
    ///     }
    /// }
    /// impl From<diesel::result::Error> for AppError {
    ///     fn from(error: diesel::result::Error) -> Self {
    ///         AppError::Hooks(error.into())
    ///     }
    /// }
    /// let refused = conn.transaction_with(TransactionOptions::new(), |conn| {
    ///     conn.batch_execute("INSERT INTO t VALUES (1)")?;
    ///     Err::<(), _>(AppError::Refused("changed my mind"))
    /// });
    /// assert!(matches!(refused, Err(AppError::Refused(_))));
    /// let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
    ///     "(SELECT COUNT(*) FROM t)",
    /// ))
    /// .get_result(&mut conn)?;
    /// assert_eq!(rows, 0, "rolled back");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// The closure's error type is yours, as with Diesel's `transaction`:
    /// any `E` that the library's [`Error`] converts into.
    pub fn transaction_with<R, E: From<Error>>(
        &mut self,
        options: TransactionOptions,
        f: impl FnOnce(&mut Self) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut caller_error = None;
        let result = self.capture_failures(|conn| {
            conn.run_transaction(
                |conn| conn.begin_with(&options),
                |conn| {
                    f(conn).map_err(|error| {
                        caller_error = Some(error);
                        // Rolls back; replaced by the caller's error below.
                        Error::Invalid("the transaction's closure failed".into())
                    })
                },
            )
        });
        match (result, caller_error) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(error)) => Err(error),
            (Err(error), None) => Err(E::from(error)),
        }
    }

    /// Runs `f` in a transaction (a savepoint when one is open), like
    /// `Connection::transaction`, but returns the failure of a callback run
    /// after the outermost commit as [`Error::Callback`] (under
    /// [`CallbackFailures::Stop`](crate::CallbackFailures::Stop)) instead of
    /// only logging it. The transaction stays committed.
    ///
    /// ```
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{Error, HookedConnection, Registry};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// let result = conn.transaction_with_callbacks(|conn| {
    ///     conn.on_commit(|_| Err("the mail server is down".into()));
    ///     Ok(42)
    /// });
    /// assert!(matches!(result, Err(Error::Callback { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transaction_with_callbacks<R, E: From<Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R, E>,
    ) -> Result<R, E> {
        self.transaction_with(TransactionOptions::default(), f)
    }

    /// Runs `f`, a hooked write of `table`, in a write transaction: a
    /// savepoint when a transaction is open; otherwise, on SQLite, `BEGIN
    /// IMMEDIATE` (the write lock is taken up front), elsewhere a plain
    /// `BEGIN`. Inside a SQLite transaction begun deferred, the write lock
    /// is taken first (see [`take_write_lock`](Self::take_write_lock)).
    /// Callback failures after the outermost commit are returned as with
    /// `transaction_with`, with `f`'s value kept in the error.
    pub(crate) fn write_transaction<R: Send + Sync + 'static>(
        &mut self,
        table: &str,
        f: impl FnOnce(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<R> {
        self.capture_failures_keeping(|conn| {
            conn.run_transaction(
                |conn| {
                    if conn.inner_depth() == Some(0) {
                        return conn.begin_with(&TransactionOptions::new().immediate());
                    }
                    conn.take_write_lock(table)?;
                    Ok(<Self as Connection>::TransactionManager::begin_transaction(
                        conn,
                    )?)
                },
                f,
            )
        })
    }

    /// Takes the write lock a write of `table` needs, once per
    /// transaction, where the backend locks the database rather than rows
    /// ([`HookBackend::write_lock_sql`]). A hooked write reads the old
    /// rows before it writes; on SQLite a transaction that has read is
    /// refused the write lock at once when another connection holds it,
    /// where one that has not read yet waits for it (the busy timeout). So
    /// in a transaction begun deferred (Diesel's `transaction`), the lock
    /// is taken before that read: the operation waits as plain Diesel's
    /// write would, instead of failing with `database is locked`.
    fn take_write_lock(&mut self, table: &str) -> crate::Result<()> {
        if self.tx.write_locked {
            return Ok(());
        }
        let Some(sql) = <C::Backend as HookBackend>::write_lock_sql(table) else {
            return Ok(());
        };
        match self.inner.batch_execute(&sql) {
            Ok(()) => self.tx.write_locked = true,
            // The lock is held by another connection past the busy timeout.
            Err(error) if super::retry::is_retryable(&error) => return Err(error.into()),
            // A write the database refuses whatever it writes (a read-only
            // database, a view): the operation goes on as before, and its
            // own write, if it has one, meets the refusal.
            Err(error) => {
                tracing::debug!(%error, table, "the write lock could not be taken up front")
            }
        }
        Ok(())
    }

    fn begin_with(&mut self, options: &TransactionOptions) -> crate::Result<()> {
        if options.is_plain() {
            return Ok(<Self as Connection>::TransactionManager::begin_transaction(
                self,
            )?);
        }
        if self.inner_depth() != Some(0) {
            return Err(Error::Invalid(format!(
                "transaction options ({options:?}) apply to a new transaction, but one is \
                 already open: set them on the outermost transaction"
            )));
        }
        self.settle_frames(super::frames::Outcome::RolledBack);
        let result = <C::Backend as HookBackend>::begin_sql(options)
            .and_then(|sql| self.inner.begin_transaction_sql(&sql).map_err(Error::from));
        self.settle_frames(super::frames::Outcome::RolledBack);
        self.tx.write_locked = result.is_ok() && options.immediate;
        result
    }

    /// `begin`, then `f`; commit on `Ok`, roll back on `Err` or panic.
    pub(crate) fn run_transaction<R>(
        &mut self,
        begin: impl FnOnce(&mut Self) -> crate::Result<()>,
        f: impl FnOnce(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<R> {
        type Manager<C> = <HookedConnection<C> as Connection>::TransactionManager;
        begin(self)?;
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(Ok(_)) if super::manager::commit_would_roll_back(self) => {
                // The COMMIT (or RELEASE) would be a ROLLBACK: say so.
                tracing::warn!(
                    "a statement inside the transaction failed and its error was ignored; \
                     rolling back and returning Error::RolledBackByServer"
                );
                match Manager::<C>::rollback_transaction(self) {
                    Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => {
                        Err(Error::RolledBackByServer)
                    }
                    Err(rollback) => {
                        tracing::error!(error = %rollback, "rollback of an aborted transaction failed");
                        Err(rollback.into())
                    }
                }
            }
            Ok(Ok(value)) => {
                Manager::<C>::commit_transaction(self)?;
                Ok(value)
            }
            Ok(Err(error)) => match Manager::<C>::rollback_transaction(self) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback) => {
                    tracing::error!(error = %error, "rollback failed after this error");
                    Err(rollback.into())
                }
            },
            Err(panic) => {
                if let Err(rollback) = Manager::<C>::rollback_transaction(self) {
                    tracing::error!(error = %rollback, "rollback after a panic failed");
                }
                resume_unwind(panic)
            }
        }
    }
}
