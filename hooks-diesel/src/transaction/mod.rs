//! Transactions of a `HookedConnection`: the delegating transaction
//! manager and its callback frames, `on_commit` / `on_rollback` callbacks
//! and deferred hooks, values staged for the commit, transaction options,
//! dry runs and retries.

mod callbacks;
mod dry_run;
mod frames;
mod manager;
mod options;
mod retry;
mod staged;

pub use callbacks::CallbackFailures;
pub use dry_run::{DryRunReport, WriteCounts};
pub(crate) use frames::TxState;
pub use manager::HookedTransactionManager;
pub use options::{IsolationLevel, TransactionOptions};
pub use retry::{is_retryable, RetryPolicy};
pub use staged::BeforeCommit;
