//! Diesel's prepared-statement cache, kept usable after a statement fails.
//!
//! On MySQL a prepared statement whose execution failed keeps its error
//! until it is executed again, and Diesel (2.3) asks for that error after
//! binding the next execution's parameters, before executing: a cached
//! statement that failed once (a deadlock, a duplicate key) fails again
//! with the same error, without being sent, each time it is used. A
//! transaction retried after a deadlock never got past it. So after a
//! database error the connection drops its cached statements, before its
//! next statement, and they are prepared again as they are used.

use diesel::connection::CacheSize;
use diesel::QueryResult;

use super::{HookedConnection, InnerConnection};
use crate::backend::HookBackend;

/// The cache size the caller chose, and whether a statement failed since
/// the cache was last dropped.
#[derive(Debug)]
pub(crate) struct PreparedStatements {
    size: CacheSize,
    failed: bool,
}

impl Default for PreparedStatements {
    fn default() -> Self {
        PreparedStatements {
            size: CacheSize::Unbounded,
            failed: false,
        }
    }
}

impl PreparedStatements {
    /// Notes the outcome of a statement: a database error on a backend
    /// whose statements keep their errors
    /// ([`HookBackend::STATEMENT_ERRORS_PERSIST`]).
    pub(crate) fn note<DB: HookBackend, T>(&mut self, result: &QueryResult<T>) {
        if let Err(error) = result {
            self.note_error::<DB>(error);
        }
    }

    /// Notes the outcome of a hooked operation, as [`note`](Self::note).
    pub(crate) fn note_operation<DB: HookBackend, T>(&mut self, result: &crate::Result<T>) {
        if let Err(crate::Error::Database(error)) = result {
            self.note_error::<DB>(error);
        }
    }

    fn note_error<DB: HookBackend>(&mut self, error: &diesel::result::Error) {
        if DB::STATEMENT_ERRORS_PERSIST && matches!(error, diesel::result::Error::DatabaseError(..))
        {
            self.failed = true;
        }
    }
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Drops the cached statements if one failed since the last time, so
    /// that none is used again in its failed state.
    pub(crate) fn forget_failed_statements(&mut self) {
        if std::mem::take(&mut self.prepared.failed) {
            tracing::debug!(
                backend = <C::Backend as HookBackend>::NAME,
                "a statement failed: the prepared-statement cache is dropped, its statements \
                 keep their error on this backend"
            );
            self.inner
                .set_prepared_statement_cache_size(CacheSize::Disabled);
            self.inner
                .set_prepared_statement_cache_size(self.prepared.size);
        }
    }

    /// Sets the cache size of the inner connection and remembers it.
    pub(crate) fn set_cache_size(&mut self, size: CacheSize) {
        self.prepared.size = size;
        self.inner.set_prepared_statement_cache_size(size);
    }
}
