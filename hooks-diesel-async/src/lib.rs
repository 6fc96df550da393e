//! Lifecycle hooks for diesel-async: the hooks of [`hooks_diesel`] on an
//! async connection, [`AsyncHookedConnection`], with the same registry and
//! the same hook code as the sync `HookedConnection`.
//!
//! - [`AsyncHookedConnection<C>`] is a diesel-async `AsyncConnection`:
//!   `diesel_async::RunQueryDsl` writes (`insert_into`, `update`,
//!   `delete`, upserts, `transaction`) run the hooks; the bulk operations,
//!   `on_commit` and the test helpers are its async methods.
//! - [`pool::manager`] (features `bb8`, `deadpool`): pools of hooked
//!   connections.
//! - [`testing`]: test transactions that capture `on_commit` callbacks,
//!   async.
//!
//! # Features
//!
//! `sqlite` (default), `postgres`, `mysql`, `bundled` as in hooks-diesel;
//! `bb8`, `deadpool`: diesel-async's pools.

#![warn(missing_docs, unreachable_pub)]

mod connection;
mod ops;
#[cfg(any(feature = "bb8", feature = "deadpool"))]
pub mod pool;
mod query;
mod rows;
pub mod testing;
mod transaction;

pub use connection::{AsyncHookedConnection, Blocking};
pub use query::AsyncInner;
pub use rows::{OwnRow, OwnedField, OwnedRow, RawFrom};
pub use transaction::AsyncHookTransactionManager;

pub use diesel_async;
pub use hooks_diesel;
