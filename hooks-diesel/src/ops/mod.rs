//! The hooked operations of `HookedConnection`: bulk, set-based and
//! single-row writes. Each runs in a transaction (a savepoint when one is
//! open), one level deeper in the hook scope, and dispatches hooks once per
//! chunk.

pub(crate) mod changeset;
mod create;
mod delete;
mod run;
mod single;
mod sync;
mod update;
mod update_chunk;
mod update_where;
mod upsert;

pub(crate) use delete::KeyList;
pub(crate) use run::Run;
pub use sync::{SyncOptions, SyncReport};
pub(crate) use update_where::{assigned_fields, Plan};
pub(crate) use upsert::UpsertChunks;
