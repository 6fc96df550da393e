//! Lifecycle hooks for diesel-async: the hooks of
//! [`hooks_diesel`] on an async connection, [`AsyncHookedConnection`].

mod connection;
mod query;
mod rows;
mod transaction;

pub use connection::AsyncHookedConnection;
pub use query::AsyncInner;
pub use rows::{OwnRow, OwnedField, OwnedRow, RawFrom};
pub use transaction::AsyncHookTransactionManager;

pub use diesel_async;
pub use hooks_diesel;
