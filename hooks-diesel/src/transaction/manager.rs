//! The transaction manager of `HookedConnection`: the inner connection's
//! own manager does the work; after every begin, commit and rollback the
//! callback frames are settled with the depth the inner manager really
//! reached, and with how the closed levels really ended.
//!
//! Diesel's instrumentation events are not used for this: they are emitted
//! before the statement runs, whether it succeeds or not.

use std::marker::PhantomData;

use diesel::connection::{
    Connection, InTransactionStatus, TransactionManager, TransactionManagerStatus,
    ValidTransactionManagerStatus,
};
use diesel::QueryResult;

use super::frames::Outcome;
use crate::connection::InnerConnection;
use crate::HookedConnection;

/// The `TransactionManager` of [`HookedConnection`]: delegates to the
/// inner connection's manager `T` and keeps the `on_commit` /
/// `on_rollback` callback frames in step with it. Used through
/// `Connection::transaction` and the transaction helpers of
/// `HookedConnection`; not meant to be called directly.
#[derive(Debug)]
pub struct HookedTransactionManager<T>(PhantomData<T>);

impl<C, T> TransactionManager<HookedConnection<C>> for HookedTransactionManager<T>
where
    C: InnerConnection + Connection<TransactionManager = T>,
    T: TransactionManager<C>,
{
    type TransactionStateData = T::TransactionStateData;

    fn begin_transaction(conn: &mut HookedConnection<C>) -> QueryResult<()> {
        conn.settle_frames(Outcome::RolledBack);
        let result = T::begin_transaction(&mut conn.inner);
        conn.settle_frames(Outcome::RolledBack);
        result
    }

    fn rollback_transaction(conn: &mut HookedConnection<C>) -> QueryResult<()> {
        conn.settle_frames(Outcome::RolledBack);
        let result = T::rollback_transaction(&mut conn.inner);
        conn.settle_frames(Outcome::RolledBack);
        result
    }

    fn commit_transaction(conn: &mut HookedConnection<C>) -> QueryResult<()> {
        conn.settle_frames(Outcome::RolledBack);
        // Values staged for the commit are written inside the outermost
        // transaction, just before its COMMIT; if that fails, nothing
        // commits.
        if conn.inner_depth() == Some(1) && !commit_would_roll_back(conn) {
            if let Err(error) = conn.flush_staged() {
                tracing::warn!(error = %error, "writing the values staged for the commit failed; rolling back");
                if let Err(rollback) = Self::rollback_transaction(conn) {
                    tracing::error!(error = %rollback, "rollback after a failed flush of staged values failed");
                }
                return Err(error);
            }
        }
        // PostgreSQL: after an error inside the transaction, COMMIT is
        // silently a ROLLBACK and Diesel returns Ok.
        let doomed = commit_would_roll_back(conn);
        let result = T::commit_transaction(&mut conn.inner);
        let outcome = if result.is_ok() && !doomed {
            Outcome::Committed
        } else {
            if result.is_ok() {
                tracing::warn!(
                    "COMMIT rolled the transaction back (a statement inside it failed and its \
                     error was ignored); on_commit callbacks dropped"
                );
            }
            Outcome::RolledBack
        };
        conn.settle_frames(outcome);
        result
    }

    fn transaction_manager_status_mut(
        conn: &mut HookedConnection<C>,
    ) -> &mut TransactionManagerStatus {
        T::transaction_manager_status_mut(&mut conn.inner)
    }
}

/// True when the database will roll the innermost open transaction (or
/// savepoint) back whatever is sent: PostgreSQL's aborted state after a
/// failed statement, MySQL's after a deadlock, as Diesel tracks them.
pub(crate) fn commit_would_roll_back<C: InnerConnection>(conn: &mut HookedConnection<C>) -> bool {
    matches!(
        <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(
            &mut conn.inner
        ),
        TransactionManagerStatus::Valid(ValidTransactionManagerStatus {
            in_transaction: Some(InTransactionStatus {
                requires_rollback_maybe_up_to_top_level: true,
                ..
            }),
            ..
        })
    )
}
