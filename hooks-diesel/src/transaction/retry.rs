//! Transactions retried on deadlock and serialization failure.

use std::collections::hash_map::RandomState;
use std::error::Error as StdError;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::options::TransactionOptions;
use crate::backend::HookBackend;
use crate::connection::InnerConnection;
use crate::{Error, HookedConnection};

/// How often and how patiently [`HookedConnection::retry_transaction`]
/// tries again.
///
/// The wait before attempt `n + 1` is `initial_backoff * 2^(n - 1)`, capped
/// at `max_backoff`, of which a random half is waited (jitter, so that the
/// transactions that collided do not collide again).
///
/// ```
/// use std::time::Duration;
/// use hooks_diesel::RetryPolicy;
///
/// let policy = RetryPolicy { max_attempts: 10, ..RetryPolicy::default() };
/// assert_eq!(policy.initial_backoff, Duration::from_millis(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1). Default 5.
    pub max_attempts: u32,
    /// The wait after the first failed attempt. Default 10 ms.
    pub initial_backoff: Duration,
    /// The longest wait. Default 1 s.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The most that is waited after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The wait after failed attempt `attempt`: a random point of the upper
    /// half of [`backoff`](Self::backoff).
    fn jittered(&self, attempt: u32) -> Duration {
        let most = self.backoff(attempt);
        let random = RandomState::new().build_hasher().finish();
        let fraction = 0.5 + (random % 1000) as f64 / 2000.0;
        most.mul_f64(fraction)
    }
}

/// True when `error` (or an error it was caused by) is a deadlock or a
/// serialization failure, which a new attempt of the transaction can get
/// past: SQLSTATE 40001 (PostgreSQL's serialization failure, MySQL's
/// deadlock 1213), PostgreSQL's deadlock 40P01, SQLite's `SQLITE_BUSY`.
/// Never true for [`Error::Callback`] (the transaction committed) nor for
/// [`Error::RolledBackByServer`] (an error was ignored, not a conflict).
///
/// Diesel 2.3 hands over the SQLSTATE only as a [`DatabaseErrorKind`] for
/// a few codes (40001 is `SerializationFailure`); it maps PostgreSQL's
/// 40P01 to `Unknown` and keeps the code private, and SQLite's result code
/// likewise. Those two are recognised by the whole primary message their
/// server sends with the code (`deadlock detected`, `database is locked`,
/// `database table is locked`), compared exactly, never as a substring
/// (README, "Known issues": PostgreSQL translates it when `lc_messages` is
/// not English).
pub fn is_retryable(error: &(dyn StdError + 'static)) -> bool {
    retryable_state(error).is_some()
}

/// The SQLSTATE (or SQLite result code) of the retryable failure `error`
/// was caused by, if any.
pub(crate) fn retryable_state(error: &(dyn StdError + 'static)) -> Option<&'static str> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(Error::Callback { .. } | Error::RolledBackByServer) =
            error.downcast_ref::<Error>()
        {
            return None;
        }
        if let Some(state) = error.downcast_ref::<DieselError>().and_then(diesel_state) {
            return Some(state);
        }
        current = error.source();
    }
    None
}

/// What the servers send with the codes Diesel does not map to a kind:
/// each backend's [`HookBackend::RETRYABLE_MESSAGES`].
fn by_message() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    let lists: [&[(&str, &str)]; 3] = [
        #[cfg(feature = "postgres")]
        <diesel::pg::Pg as HookBackend>::RETRYABLE_MESSAGES,
        #[cfg(not(feature = "postgres"))]
        &[],
        #[cfg(feature = "mysql")]
        <diesel::mysql::Mysql as HookBackend>::RETRYABLE_MESSAGES,
        #[cfg(not(feature = "mysql"))]
        &[],
        #[cfg(feature = "sqlite")]
        <diesel::sqlite::Sqlite as HookBackend>::RETRYABLE_MESSAGES,
        #[cfg(not(feature = "sqlite"))]
        &[],
    ];
    lists.into_iter().flatten()
}

fn diesel_state(error: &DieselError) -> Option<&'static str> {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Some("40001"),
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => by_message()
            .find(|(message, _)| info.message() == *message)
            .map(|(_, state)| *state),
        DieselError::RollbackErrorOnCommit { commit_error, .. } => diesel_state(commit_error),
        _ => None,
    }
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Runs `f` in a transaction, and again in a new one when it fails with
    /// a deadlock or serialization failure ([`is_retryable`]), waiting
    /// longer each time ([`RetryPolicy`]), at most `policy.max_attempts`
    /// times; then the last error is returned. Any other error is returned
    /// at once.
    ///
    /// Each attempt reruns `f` and its hooks from the start; callbacks and
    /// deferred hooks of a failed attempt are dropped with its rollback and
    /// never run. Must be called outside any transaction (a savepoint
    /// cannot recover from a deadlock): inside one it fails with
    /// [`Error::Invalid`]. Callback failures after the commit are returned
    /// as with [`transaction_with`](Self::transaction_with) and not
    /// retried.
    ///
    /// ```
    /// # use diesel::connection::SimpleConnection;
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry, RetryPolicy};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// let answer = conn.retry_transaction(RetryPolicy::default(), |conn| {
    ///     conn.batch_execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")?;
    ///     Ok(42)
    /// })?;
    /// assert_eq!(answer, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_transaction<R>(
        &mut self,
        policy: RetryPolicy,
        f: impl FnMut(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<R> {
        self.retry_transaction_with(policy, TransactionOptions::default(), f)
    }

    /// [`retry_transaction`](Self::retry_transaction) with transactions
    /// begun with `options` (for example `SERIALIZABLE`, or SQLite's
    /// `BEGIN IMMEDIATE`).
    pub fn retry_transaction_with<R>(
        &mut self,
        policy: RetryPolicy,
        options: TransactionOptions,
        mut f: impl FnMut(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<R> {
        if policy.max_attempts == 0 {
            return Err(Error::Invalid(
                "RetryPolicy::max_attempts is 0: allow at least one attempt".to_string(),
            ));
        }
        if self.inner_depth() != Some(0) {
            return Err(Error::Invalid(
                "retry_transaction was called inside a transaction: a deadlock aborts the \
                 whole transaction, so retry from outside it"
                    .to_string(),
            ));
        }
        let mut attempt = 1;
        loop {
            match self.transaction_with(options, &mut f) {
                Err(error) if attempt < policy.max_attempts && is_retryable(&error) => {
                    let wait = policy.jittered(attempt);
                    tracing::warn!(
                        %error,
                        state = retryable_state(&error).unwrap_or_default(),
                        attempt,
                        max_attempts = policy.max_attempts,
                        wait_ms = wait.as_millis() as u64,
                        "transaction failed with a deadlock or serialization failure; retrying"
                    );
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 40,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(70),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(10));
        assert_eq!(policy.backoff(2), Duration::from_millis(20));
        assert_eq!(policy.backoff(3), Duration::from_millis(40));
        assert_eq!(policy.backoff(4), Duration::from_millis(70));
        assert_eq!(policy.backoff(39), Duration::from_millis(70));
        let wait = policy.jittered(2);
        assert!(wait >= Duration::from_millis(10) && wait <= Duration::from_millis(20));
    }

    #[test]
    fn recognises_deadlocks_and_serialization_failures() {
        let serialization = DieselError::DatabaseError(
            DatabaseErrorKind::SerializationFailure,
            Box::new("could not serialize access".to_string()),
        );
        assert!(is_retryable(&serialization));
        // Messages are recognised per backend: only with its feature.
        #[cfg(feature = "postgres")]
        {
            let deadlock = Error::Database(DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new("deadlock detected".to_string()),
            ));
            assert!(is_retryable(&deadlock));
        }
        let busy = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_string()),
        );
        assert!(is_retryable(&busy));
        // MySQL's deadlock, as a statement sent as text reports it.
        #[cfg(feature = "mysql")]
        {
            let mysql_text = Error::Database(DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(
                    "Deadlock found when trying to get lock; try restarting transaction"
                        .to_string(),
                ),
            ));
            assert!(is_retryable(&mysql_text));
        }
        let unique = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate key".to_string()),
        );
        assert!(!is_retryable(&unique));
        // Only the message the server sends with the code, not any text
        // that mentions it.
        let mentions = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("trigger says: no deadlock detected, retry later".to_string()),
        );
        assert!(!is_retryable(&mentions));
        assert!(!is_retryable(&Error::RolledBackByServer));
        assert!(!is_retryable(&Error::Invalid(
            "deadlock detected".to_string()
        )));
        let after_commit = Error::Callback {
            failure: Box::new(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                Box::new("could not serialize access".to_string()),
            )),
            committed: crate::Committed::nothing(),
        };
        assert!(!is_retryable(&after_commit));
    }
}
