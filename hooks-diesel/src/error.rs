//! The errors of hooked operations.

use std::any::Any;

use crate::committed::Committed;
use hooks_core::{BoxError, DispatchError, Operation};

/// What a hooked operation, transaction helper or callback can fail with.
///
/// Whatever the error, the operation that returned it wrote nothing, with
/// one exception: [`Error::Callback`] says that the transaction committed
/// and a callback run after the commit failed; the writes stand, and what
/// the operation would have returned is in it. [`Error::is_committed`]
/// tells the two apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hook failed or rejected records, or hooks nested too deep.
    #[error(transparent)]
    Hook(#[from] DispatchError),

    /// The database refused a statement.
    #[error("database error: {0}")]
    Database(#[source] diesel::result::Error),

    /// Records without a primary key were passed to an update or delete.
    #[error(
        "{model}: {} record(s) passed to {operation} have no primary key (batch positions {}); \
         only stored records can be updated or deleted: create them first",
        .positions.len(), list(.positions)
    )]
    MissingKey {
        /// The model.
        model: &'static str,
        /// The operation refused.
        operation: Operation,
        /// Positions of the records in the caller's batch.
        positions: Vec<usize>,
    },

    /// The same key appears twice in one batch.
    #[error(
        "{model}: key {key} appears more than once in one {operation} batch (positions {}); \
         pass each record once",
        list(.positions)
    )]
    DuplicateKey {
        /// The model.
        model: &'static str,
        /// The operation refused.
        operation: Operation,
        /// The repeated key.
        key: String,
        /// Positions of the records in the caller's batch.
        positions: Vec<usize>,
    },

    /// Records to create carry primary keys that rows of the table have
    /// already (a model whose key is generated when unset writes the keys
    /// it is given). Checked before the records of a chunk are written.
    #[error(
        "{model}: a row with key {} exists already (batch positions {}); nothing was written: \
         give keys no row has, leave them unset (0 or None) for the database to generate, \
         or update the stored rows instead (`update`, `save`, `bulk_sync`)",
        list(.keys), list(.positions)
    )]
    KeyExists {
        /// The model.
        model: &'static str,
        /// The keys that exist.
        keys: Vec<String>,
        /// Positions of their records in the caller's batch.
        positions: Vec<usize>,
    },

    /// Two records of a bulk sync share their key fields.
    #[error(transparent)]
    DuplicateKeyFields(#[from] hooks_core::DuplicateKeyFields),

    /// Rows to update or delete no longer exist.
    #[error(
        "{model}: no row with key {} (deleted by someone else, or never created); \
         nothing was written",
        list(.keys)
    )]
    Vanished {
        /// The model.
        model: &'static str,
        /// The keys that were not found.
        keys: Vec<String>,
    },

    /// A statement that may write a table with hooks, in a form the
    /// library does not route to them, refused by the connection's
    /// [`UnhookedWrites`](crate::UnhookedWrites) policy (`Refuse`, the
    /// default). Nothing was written.
    #[error(
        "`{form}` may write `{table}`, which has hooks, in a form the library does not run \
         hooks for; nothing was written: write it as one ordinary Diesel statement \
         (`diesel::insert_into`, `update`, `delete` on the table itself, without modifiers \
         or aliases) or with the hooked operations (`bulk_create`, `update_where`, \
         `delete_where`) so that its hooks run, or run it inside `without_hooks` to skip \
         them on purpose"
    )]
    UnhookedWrite {
        /// The table written to.
        table: String,
        /// The statement's form (`UPDATE ONLY`, `WITH .. (a data-modifying
        /// statement)`, `MERGE INTO`, `TRUNCATE`, `DO`).
        form: String,
    },

    /// An ordinary Diesel write to a table with hooks, in a form whose
    /// hooks the library cannot run faithfully on this backend. Nothing
    /// was written.
    #[error(
        "`{form}` into `{table}` cannot run the hooks of {model} faithfully on {backend} \
         ({why}); nothing was written: use the hooked operations (`bulk_create`, \
         `bulk_update`, `bulk_sync`), or run the statement inside `without_hooks`"
    )]
    UnsupportedWrite {
        /// The statement form (`ON CONFLICT DO UPDATE`, `REPLACE INTO`, ...).
        form: String,
        /// The table written.
        table: String,
        /// The model whose hooks would run.
        model: &'static str,
        /// The backend.
        backend: &'static str,
        /// What stands in the way.
        why: String,
    },

    /// The database rolled the transaction (or the operation's savepoint)
    /// back instead of committing it: a statement inside it failed and its
    /// error was ignored. PostgreSQL then refuses every later statement and
    /// turns `COMMIT` into `ROLLBACK`; MySQL does the same after a
    /// deadlock. Diesel's own `Connection::transaction` reports such a
    /// commit as `Ok`; the hooked operations and the transaction helpers
    /// of [`HookedConnection`](crate::HookedConnection) return this.
    #[error(
        "the transaction was rolled back by the server, not committed: a statement inside it \
         failed and its error was ignored (by a hook or the closure), so nothing of it was \
         written. Return that statement's error instead of ignoring it, or run the statement \
         in a nested transaction of its own, whose failure rolls back only that"
    )]
    RolledBackByServer,

    /// A hook written for any connection type ran an operation of a model
    /// the connection's registry does not know.
    #[error(
        "{model} is not known to this connection's registry: register a hook on it, or \
         make it known with `Registry::with_model::<{model}>()`"
    )]
    UnknownModel {
        /// The model.
        model: &'static str,
    },

    /// An input or setting is out of range.
    #[error("{0}")]
    Invalid(String),

    /// The transaction **committed**, then a callback run after the commit
    /// (an `on_commit` callback or a deferred hook) failed, under
    /// [`CallbackFailures::Stop`](crate::CallbackFailures::Stop). The only
    /// error after which the writes stand: do not retry them.
    #[error(
        "the transaction was committed and its writes stand, but an after-commit callback \
         failed: {failure}. Do not retry the writes; the operation's result is in \
         `Error::Callback::committed`"
    )]
    Callback {
        /// The callback's error.
        #[source]
        failure: BoxError,
        /// What the committed operation would have returned: the records
        /// written (`Vec<M>`), a count, or a `SyncReport`; nothing for the
        /// transaction helpers that run a closure.
        committed: Committed,
    },
}

impl Error {
    /// True when the transaction committed despite this error
    /// ([`Error::Callback`]): the writes stand.
    pub fn is_committed(&self) -> bool {
        matches!(self, Error::Callback { .. })
    }

    /// The same error, with the value kept by an [`Error::Callback`] (a
    /// `T`) replaced by `f` of it: the result of the operation the caller
    /// called, when it wraps another (a single-row `create` around
    /// `bulk_create`).
    pub(crate) fn map_committed<T: Any, U: Any + Send + Sync>(
        self,
        f: impl FnOnce(T) -> U,
    ) -> Self {
        match self {
            Error::Callback { failure, committed } => Error::Callback {
                failure,
                committed: match committed.downcast::<T>() {
                    Ok(value) => Committed::new(f(value)),
                    Err(other) => other,
                },
            },
            other => other,
        }
    }
}

/// Diesel errors convert as they are, except the library's own errors that
/// travelled through Diesel's API (a refused unhooked write, for one),
/// which come back as themselves.
impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::QueryBuilderError(inner) => match inner.downcast::<Error>() {
                Ok(ours) => *ours,
                Err(other) => Error::Database(diesel::result::Error::QueryBuilderError(other)),
            },
            other => Error::Database(other),
        }
    }
}

impl Error {
    /// The error as Diesel's API returns it: a database error as itself
    /// (so callers of `execute` see exactly what plain Diesel gives), the
    /// library's own errors wrapped in `QueryBuilderError` (they convert
    /// back with `Error::from`).
    pub fn into_diesel(self) -> diesel::result::Error {
        match self {
            Error::Database(error) => error,
            ours => diesel::result::Error::QueryBuilderError(Box::new(ours)),
        }
    }
}

/// Hooked operations return this.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = items.iter().take(SHOWN).map(ToString::to_string).collect();
    if items.len() > SHOWN {
        out.push(format!("and {} more", items.len() - SHOWN));
    }
    out.join(", ")
}
