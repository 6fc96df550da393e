//! `on_commit` / `on_rollback` callbacks and deferred hooks: registering
//! them, running them when their transaction ends, and where their
//! failures go.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::frames::{Callback, Outcome, Pending};
use crate::connection::InnerConnection;
use crate::{Committed, Error, HookedConnection};
use hooks_core::{BoxError, DeferredCall};

/// What happens after a callback run after commit (or rollback) fails.
/// The transaction stays committed either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallbackFailures {
    /// The first failure stops the callbacks after it (they are dropped).
    /// [`HookedConnection::transaction_with_callbacks`], the other
    /// transaction helpers and the hooked operations return it as
    /// [`Error::Callback`], which says the transaction committed and
    /// carries what a hooked operation would have returned (see
    /// [`Committed`](crate::Committed)); plain `Connection::transaction`
    /// can only log it (`tracing::error!`).
    #[default]
    Stop,
    /// Every failure is logged with `tracing::error!` and the later
    /// callbacks still run; nothing is returned.
    Continue,
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Runs `f` after the outermost transaction commits, or at once when no
    /// transaction is open.
    ///
    /// - Callbacks run in registration order, each with the connection
    ///   (outside any transaction: they may query, open transactions and run
    ///   hooked operations, whose hooks fire).
    /// - A callback registered inside a savepoint that rolls back is
    ///   dropped (so are those of savepoints nested in it); a released
    ///   savepoint hands its callbacks to the enclosing transaction.
    /// - Nothing runs when the transaction rolls back, when its `COMMIT`
    ///   fails, or when PostgreSQL turns the `COMMIT` into a rollback
    ///   because a statement inside failed and its error was ignored.
    /// - A failure does not undo the commit; see [`CallbackFailures`] for
    ///   what happens to the later callbacks and where the error goes. A
    ///   panic in a callback propagates to the caller of the commit once
    ///   the transaction is closed; the later callbacks are dropped.
    ///
    /// Not to be confused with Diesel's own `SqliteConnection::on_commit`
    /// hook (SQLite's `sqlite3_commit_hook`), which runs *before* the
    /// commit completes, inside it, and may turn it into a rollback; the
    /// callbacks here run once the `COMMIT` has succeeded, on every backend,
    /// and can no longer undo it.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// let sent = Arc::new(AtomicUsize::new(0));
    /// let counter = sent.clone();
    /// conn.transaction::<_, diesel::result::Error, _>(|conn| {
    ///     conn.on_commit(move |_conn| {
    ///         counter.fetch_add(1, Ordering::SeqCst); // send the e-mail
    ///         Ok(())
    ///     });
    ///     assert_eq!(conn.pending_callbacks(), 1);
    ///     Ok(())
    /// })?;
    /// assert_eq!(sent.load(Ordering::SeqCst), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_commit<F>(&mut self, f: F)
    where
        F: FnOnce(&mut Self) -> Result<(), BoxError> + Send + 'static,
    {
        self.register(Pending::Commit(Box::new(f)));
    }

    /// Runs `f` when the transaction, or the savepoint it is registered in,
    /// rolls back (including a failed `COMMIT` and a PostgreSQL `COMMIT`
    /// turned into a rollback), right after the rollback. Dropped when the
    /// transaction commits; a released savepoint hands it to the enclosing
    /// transaction. Outside a transaction there is nothing to roll back and
    /// `f` is dropped. Failures are handled like those of
    /// [`on_commit`](Self::on_commit) callbacks.
    pub fn on_rollback<F>(&mut self, f: F)
    where
        F: FnOnce(&mut Self) -> Result<(), BoxError> + Send + 'static,
    {
        self.register(Pending::Rollback(Box::new(f)));
    }

    /// Schedules a deferred hook to run after the outermost commit, with
    /// the records it captured; dropped on rollback like an `on_commit`
    /// callback. Its `DispatchError` becomes a callback failure.
    pub(crate) fn defer_hook(&mut self, call: DeferredCall<Self>) {
        self.on_commit(move |conn| call(conn).map_err(BoxError::from));
    }

    /// How many `on_commit` callbacks and deferred hooks wait for the
    /// outermost commit.
    ///
    /// Diesel's test transactions (`begin_test_transaction`,
    /// `test_transaction`) never commit, so their callbacks never run: use
    /// this and [`run_pending_callbacks`](Self::run_pending_callbacks) to
    /// see or run what a commit would run, like Django's
    /// `captureOnCommitCallbacks`.
    pub fn pending_callbacks(&mut self) -> usize {
        self.settle_frames(Outcome::RolledBack);
        self.tx.count(|p| matches!(p, Pending::Commit(_)))
    }

    /// Runs, now, every pending `on_commit` callback and deferred hook (and
    /// those they register in turn), in registration order, as if the
    /// transaction had committed, without ending it. `on_rollback`
    /// callbacks stay. Returns how many ran; under
    /// [`CallbackFailures::Stop`] the first failure is returned as
    /// [`Error::Callback`] and the rest are dropped.
    ///
    /// ```
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// conn.begin_test_transaction()?;
    /// conn.on_commit(|_| Ok(()));
    /// assert_eq!(conn.pending_callbacks(), 1);
    /// assert_eq!(conn.run_pending_callbacks()?, 1);
    /// assert_eq!(conn.pending_callbacks(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_pending_callbacks(&mut self) -> crate::Result<usize> {
        self.capture_failures(|conn| {
            conn.settle_frames(Outcome::RolledBack);
            let mut ran = 0;
            loop {
                let due = conn.tx.take_commit_callbacks();
                if due.is_empty() {
                    return Ok(ran);
                }
                ran += conn.run_callbacks(due, "on-commit");
                if conn.tx.failure.is_some() {
                    return Ok(ran);
                }
            }
        })
    }

    /// Drops every pending callback (`on_commit`, `on_rollback`, deferred
    /// hooks) without running it. The pool does this when a connection is
    /// checked in or out.
    pub fn clear_callbacks(&mut self) {
        self.tx.clear();
    }

    /// Adds a callback at the current depth, or deals with it at once
    /// outside a transaction.
    fn register(&mut self, pending: Pending<C>) {
        self.settle_frames(Outcome::RolledBack);
        match (self.inner_depth(), pending) {
            (Some(depth), pending) if depth > 0 => self.tx.push(pending),
            (Some(_), Pending::Commit(f)) => {
                self.run_callbacks(vec![f], "on-commit");
            }
            (None, Pending::Commit(_)) => tracing::warn!(
                "on_commit callback dropped: the connection's transaction manager is broken, \
                 so no commit can be known"
            ),
            (_, _) => tracing::debug!("on_rollback callback outside a transaction dropped"),
        }
    }

    /// Settles the callback frames with the inner connection's real
    /// transaction depth; transactions that closed since the last settle
    /// ended with `outcome` (`RolledBack` when unknown: a commit is never
    /// assumed). Runs the callbacks that became due.
    pub(crate) fn settle_frames(&mut self, outcome: Outcome) {
        // A broken transaction manager has no transaction that can commit.
        let depth = self.inner_depth().unwrap_or(0);
        let due = self.tx.settle(depth, outcome);
        if !due.is_empty() {
            let what = match outcome {
                Outcome::Committed => "on-commit",
                Outcome::RolledBack => "on-rollback",
            };
            self.run_callbacks(due, what);
        }
    }

    /// Runs callbacks in order under the connection's `CallbackFailures`
    /// policy; returns how many ran. A panicking callback drops the later
    /// ones and the panic is resumed.
    pub(crate) fn run_callbacks(&mut self, due: Vec<Callback<C>>, what: &'static str) -> usize {
        let total = due.len();
        let mut due = due.into_iter();
        let mut ran = 0;
        while let Some(callback) = due.next() {
            ran += 1;
            let result = catch_unwind(AssertUnwindSafe(|| callback(self)));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(error)) => match self.config().callback_failures {
                    CallbackFailures::Continue => tracing::error!(
                        error = %error,
                        callback = ran,
                        of = total,
                        "{what} callback failed; the later ones still run \
                         (CallbackFailures::Continue)"
                    ),
                    CallbackFailures::Stop => {
                        self.callback_failed(error, what, due.len());
                        return ran;
                    }
                },
                Err(panic) => {
                    tracing::error!(
                        skipped = due.len(),
                        "{what} callback panicked; the later ones are dropped and the panic \
                         goes on (the transaction is already closed)"
                    );
                    drop(due);
                    resume_unwind(panic);
                }
            }
        }
        ran
    }

    /// A callback failed under `CallbackFailures::Stop`: hand the error to
    /// the innermost caller waiting for it, or log it.
    fn callback_failed(&mut self, error: BoxError, what: &'static str, skipped: usize) {
        if self.tx.capturing > 0 && self.tx.failure.is_none() {
            self.tx.failure = Some(error);
        } else {
            tracing::error!(
                error = %error,
                skipped,
                "{what} callback failed and the later ones were dropped \
                 (CallbackFailures::Stop); the transaction stays committed. Use \
                 `transaction_with_callbacks` to get this error returned"
            );
        }
    }

    /// Runs `f`, collecting callback failures that happen meanwhile; the
    /// first becomes `Error::Callback` when `f` succeeds (and is logged when
    /// `f` fails, whose error wins). `f`'s value is not kept.
    pub(crate) fn capture_failures<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<R> {
        self.capture_failures_with(f, |_| Committed::nothing())
    }

    /// [`capture_failures`](Self::capture_failures), keeping `f`'s value
    /// in the `Error::Callback` of a failure after the commit.
    pub(crate) fn capture_failures_keeping<R: Any + Send + Sync>(
        &mut self,
        f: impl FnOnce(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<R> {
        self.capture_failures_with(f, Committed::new)
    }

    fn capture_failures_with<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> crate::Result<R>,
        keep: impl FnOnce(R) -> Committed,
    ) -> crate::Result<R> {
        let outer = self.tx.failure.take();
        self.tx.capturing += 1;
        let result = catch_unwind(AssertUnwindSafe(|| f(self)));
        self.tx.capturing -= 1;
        let failure = std::mem::replace(&mut self.tx.failure, outer);
        match (result, failure) {
            (Err(panic), _) => resume_unwind(panic),
            (Ok(Ok(value)), None) => Ok(value),
            (Ok(Ok(value)), Some(failure)) => Err(Error::Callback {
                failure,
                committed: keep(value),
            }),
            (Ok(Err(error)), failure) => {
                if let Some(failure) = failure {
                    tracing::error!(error = %failure, "callback failed while the transaction failed too");
                }
                Err(error)
            }
        }
    }
}
