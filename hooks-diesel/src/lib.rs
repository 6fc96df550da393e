//! Lifecycle hooks for Diesel: BEFORE/AFTER create, update and delete hooks
//! that run on bulk, set-based and single-row writes, with old and new
//! records side by side, typed conditions, on-commit callbacks and deferred
//! hooks.
//!
//! Wrap a connection in [`HookedConnection`]; it is itself a Diesel
//! connection, so every ordinary query runs through it unchanged, and it
//! adds the hooked operations: [`bulk_create`](HookedConnection::bulk_create),
//! [`bulk_update`](HookedConnection::bulk_update),
//! [`update_where`](HookedConnection::update_where),
//! [`bulk_delete`](HookedConnection::bulk_delete),
//! [`delete_where`](HookedConnection::delete_where) and the single-row
//! [`create`](HookedConnection::create), [`save`](HookedConnection::save),
//! [`update`](HookedConnection::update), [`delete`](HookedConnection::delete).
//!
//! ```
//! use diesel::prelude::*;
//! use hooks_diesel::prelude::*;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//!
//! diesel::table! {
//!     accounts (id) { id -> BigInt, owner -> Text, balance -> BigInt, }
//! }
//!
//! #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug, PartialEq)]
//! #[diesel(table_name = accounts)]
//! struct Account {
//!     #[diesel(skip_insertion)]
//!     id: i64,
//!     owner: String,
//!     balance: i64,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let mut raw = SqliteConnection::establish(":memory:")?;
//! diesel::sql_query(
//!     "CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, \
//!      owner TEXT NOT NULL, balance BIGINT NOT NULL)",
//! )
//! .execute(&mut raw)?;
//!
//! let raised = Arc::new(AtomicUsize::new(0));
//! let counter = Arc::clone(&raised);
//! let registry = Registry::new()
//!     .with(Hook::before_create(|_ctx, batch: &mut Batch<Account>| {
//!         batch.reject_where(|new, _| new.balance < 0, |a| format!("{}: negative", a.owner));
//!         Ok(())
//!     }))
//!     .with(
//!         Hook::after_update(move |_ctx, batch: &Batch<Account>| {
//!             for (new, old) in batch.iter() {
//!                 assert!(new.balance > old.map_or(0, |o| o.balance));
//!             }
//!             counter.fetch_add(batch.len(), Ordering::Relaxed);
//!             Ok(())
//!         })
//!         .when(Account::BALANCE.gt(0).and(Account::BALANCE.changed())),
//!     );
//! let mut conn = HookedConnection::new(raw, registry);
//!
//! let mut created = conn.bulk_create(vec![
//!     Account { id: 0, owner: "ada".into(), balance: 10 },
//!     Account { id: 0, owner: "bob".into(), balance: 20 },
//! ])?;
//! assert!(created.iter().all(|a| a.id > 0));
//! assert!(conn.bulk_create(vec![Account { id: 0, owner: "eve".into(), balance: -1 }]).is_err());
//!
//! created[1].balance += 5;
//! conn.bulk_update(created)?;
//! assert_eq!(raised.load(Ordering::Relaxed), 1);
//!
//! let gone = conn.delete_where::<Account>(accounts::balance.lt(15))?;
//! assert_eq!(gone, 1);
//! # Ok(())
//! # }
//! ```
//!
//! The model derives `HookModel` next to Diesel's `Queryable`, `Selectable`
//! and `Insertable`; the derive adds one typed descriptor per field
//! (`Account::BALANCE`) for conditions. [`HookModel`](derive@HookModel)
//! documents what it generates and each attribute it reads.
//!
//! # Features
//!
//! - `sqlite` (default): SQLite, with SQLite itself built in (nothing to
//!   install);
//! - `postgres`, `mysql`: PostgreSQL and MySQL/MariaDB, through Diesel's
//!   backends (libpq and libmysqlclient, from the system by default);
//! - `bundled`: builds libpq and the MySQL client from source for whichever
//!   of `postgres` and `mysql` is on, so no client library is needed on the
//!   machine (the MySQL client's build needs CMake and a C++ compiler, both
//!   need OpenSSL headers);
//! - `r2d2`: the `pool` module, r2d2 pools of hooked connections.
//!
//! Testing code that has hooks: [`testing`] (test transactions that
//! capture `on_commit` callbacks, a recorder of fired hooks, muted hooks).
//! For async code (diesel-async), the `hooks-diesel-async` crate.

#![warn(missing_docs, unreachable_pub)]

pub use diesel;
pub use hooks_core;

mod backend;
mod committed;
mod connection;
mod error;
mod hosted;
mod intercept;
mod model;
mod ops;
mod progress;
mod query;
mod sql;
pub mod testing;
mod transaction;
mod written;

#[cfg(feature = "r2d2")]
pub mod pool;

pub use backend::HookBackend;
pub use committed::Committed;
pub use connection::{Config, HookedConnection, InnerConnection, UnhookedWrites};
pub use error::{Error, Result};
pub use hosted::HookedOps;
pub use model::ModelTable;
pub use ops::{SyncOptions, SyncReport};
pub use progress::{OnProgress, Progress};
pub use query::{AllRows, Changes, Filter, Writable};
pub use transaction::{
    is_retryable, BeforeCommit, CallbackFailures, DryRunReport, HookedTransactionManager,
    IsolationLevel, RetryPolicy, TransactionOptions, WriteCounts,
};
pub use written::{Saved, Written};

pub use hooks_core::{
    after_hook, before_hook, Batch, ChangeSet, Combine, Condition, DispatchError, DuplicateHook,
    Event, Field, FieldChanged, FieldChangesFrom, FieldChangesTo, FieldIs, FieldIsNot, FieldKey,
    FieldSet, FieldWas, Hook, HookContext, HookError, HookModel, HookResult, HookSet, Hosts,
    Operation, Priority, Registry,
};

/// What `#[derive(HookModel)]` generates code against, and the statement
/// plumbing the model traits name in their signatures. Not a public API:
/// it changes with any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::{
        no_such_field, sql_table_name, ArraySqlType, KnownZero, ModelBinds, ScalarSqlType,
        SqlTableName, SqlTypeProbe, SqlZero, UnknownZero,
    };
    pub use crate::query::{Column, Frame, LoadRow, Projection};
}
/// `#[derive(HookModel)]`, from `hooks-derive`: what it generates and the
/// attributes it reads, each with an example, follow.
pub use hooks_derive::HookModel;

/// Everything a user of the library usually needs.
pub mod prelude {
    pub use crate::{
        AllRows, Batch, ChangeSet, Combine, Condition, Error, Event, Field, FieldChanged, FieldIs,
        FieldKey, FieldSet, Hook, HookContext, HookError, HookModel, HookResult, HookSet,
        HookedConnection, HookedOps, Operation, Priority, Registry,
    };
}
