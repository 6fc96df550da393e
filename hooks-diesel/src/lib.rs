//! Lifecycle hooks for Diesel: BEFORE/AFTER create, update and delete hooks
//! that run on bulk, set-based and single-row writes, with old and new
//! records side by side, typed conditions, on-commit callbacks and bulk
//! sync.
//!
//! Wrap a connection in [`HookedConnection`]; it is itself a Diesel
//! connection, so every ordinary query runs through it unchanged, and it
//! adds the hooked operations.

pub use diesel;
pub use hooks_core;

mod backend;
mod connection;
mod error;
mod model;
mod ops;
mod query;
mod transaction;

#[cfg(feature = "r2d2")]
pub mod pool;

pub use backend::HookBackend;
pub use connection::{Config, HookedConnection, InnerConnection, UnhookedWrites};
pub use transaction::{
    is_retryable, CallbackFailures, DryRunReport, HookTransactionManager, IsolationLevel,
    RetryPolicy, TransactionOptions, WriteCounts,
};
pub use error::{Error, Result};
pub use model::{no_such_field, DieselHookModel, TableModel};
pub use query::{Changes, Filter, HookedModel, LoadRow};

pub use hooks_core::{
    Batch, ChangeSet, Condition, Event, Field, FieldKey, FieldSet, Hook, HookContext, HookError,
    HookModel, HookResult, HookSet, Operation, Priority, Registry,
};
/// `#[derive(HookModel)]`: see the crate documentation.
pub use hooks_derive::HookModel;

/// Everything a user of the library usually needs.
pub mod prelude {
    pub use crate::{
        Batch, ChangeSet, Condition, Error, Event, Field, FieldKey, FieldSet, Hook, HookContext,
        HookError, HookModel, HookResult, HookSet, HookedConnection, Operation, Priority,
        Registry,
    };
}
