//! [`HookedConnection`]: a Diesel connection that carries a hook registry.
//!
//! The Diesel trait implementations live in `connection/diesel_impls.rs`
//! (which hands every statement to the interception pipeline,
//! `crate::intercept`), and everything about transactions in
//! `crate::transaction`; the hooked operations are methods defined in
//! `crate::ops`.

use std::fmt;
use std::sync::Arc;

use diesel::connection::{Connection, LoadConnection, TransactionManager};
use diesel::sql_types::TypeMetadata;
use diesel::QueryResult;

use crate::backend::HookBackend;
use crate::intercept::state::Interception;

use crate::progress::{OnProgress, Progress};
use crate::transaction::{CallbackFailures, TxState};
use hooks_core::{self, HasScope, Registry, Scope, DEFAULT_MAX_DEPTH};

mod diesel_impls;
mod each;
mod prepared;

/// A Diesel connection that [`HookedConnection`] can wrap: SQLite,
/// PostgreSQL and MySQL connections, and r2d2's pooled ones (feature
/// `r2d2`). Name it in generic code as `C: InnerConnection`.
pub trait InnerConnection: Connection<Backend: HookBackend> + LoadConnection + 'static {
    /// What the backend looks up the types of binds in (PostgreSQL: the
    /// connection; elsewhere nothing), for capturing a statement's binds.
    #[doc(hidden)]
    fn metadata_lookup(&mut self) -> &mut <Self::Backend as TypeMetadata>::MetadataLookup;

    /// Begins a top-level transaction with `sql` (the backend's `BEGIN`
    /// form for the options asked for) through the connection's own
    /// transaction manager.
    #[doc(hidden)]
    fn begin_transaction_sql(&mut self, sql: &str) -> QueryResult<()>;
}

/// Backends without type lookups use `()`.
macro_rules! unit_lookup {
    ($(#[$cfg:meta] $conn:ty;)*) => {$(
        #[$cfg]
        impl InnerConnection for $conn {
            fn metadata_lookup(&mut self) -> &mut () {
                Box::leak(Box::new(()))
            }

            fn begin_transaction_sql(&mut self, sql: &str) -> QueryResult<()> {
                diesel::connection::AnsiTransactionManager::begin_transaction_sql(self, sql)
            }
        }
    )*};
}

unit_lookup! {
    #[cfg(feature = "sqlite")] diesel::sqlite::SqliteConnection;
    #[cfg(feature = "mysql")] diesel::mysql::MysqlConnection;
}

#[cfg(feature = "postgres")]
impl InnerConnection for diesel::pg::PgConnection {
    fn metadata_lookup(&mut self) -> &mut (dyn diesel::pg::PgMetadataLookup + 'static) {
        self
    }

    fn begin_transaction_sql(&mut self, sql: &str) -> QueryResult<()> {
        diesel::connection::AnsiTransactionManager::begin_transaction_sql(self, sql)
    }
}

#[cfg(feature = "r2d2")]
impl<C> InnerConnection for diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<C>>
where
    C: InnerConnection + diesel::r2d2::R2D2Connection + Send,
{
    fn metadata_lookup(&mut self) -> &mut <Self::Backend as TypeMetadata>::MetadataLookup {
        (**self).metadata_lookup()
    }

    /// The pooled connection's transactions are its inner connection's.
    fn begin_transaction_sql(&mut self, sql: &str) -> QueryResult<()> {
        (**self).begin_transaction_sql(sql)
    }
}

/// What happens to a statement that may write a table with hooks in a
/// form the library does not route to them: a `WITH .. UPDATE`, several
/// statements in one text, `UPDATE .. FROM`, an alias or modifier
/// (`UPDATE ONLY t`, `UPDATE t AS o`), `MERGE`, `TRUNCATE`, a `DO` block,
/// any spelling the classifier does not prove to be a read or a schema
/// change. Ordinary Diesel writes (`insert_into`, `update`, `delete`,
/// `save_changes`, and the same shapes as raw SQL, through `execute` or
/// `batch_execute`) are routed to the hooks and never reach this policy;
/// nor does anything inside [`HookedConnection::without_hooks`].
///
/// Hooks guard invariants, so a write that skips them is refused unless
/// you decide otherwise: run it inside `without_hooks`, or choose `Warn`
/// or `Allow` for the connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnhookedWrites {
    /// Refuse it (the default): the statement is not sent and fails with
    /// [`Error::UnhookedWrite`](crate::Error::UnhookedWrite), naming the
    /// form and the table, wrapped in `diesel::result::Error::QueryBuilderError`
    /// since Diesel's API returns Diesel errors (`Error::from` unwraps it).
    #[default]
    Refuse,
    /// Run it, log a `tracing` warning the first time each table is
    /// written this way on this connection, and count it
    /// ([`HookedConnection::unhooked_warnings`]).
    Warn,
    /// Run it silently (and skip the check entirely).
    Allow,
}

/// Settings of a [`HookedConnection`] (and of every connection of a pool).
///
/// ```
/// use hooks_diesel::{CallbackFailures, Config, UnhookedWrites};
///
/// let config = Config::default()
///     .with_chunk_size(500)
///     .with_unhooked_writes(UnhookedWrites::Refuse)
///     .with_callback_failures(CallbackFailures::Continue);
/// assert_eq!(config.chunk_size, 500);
/// assert_eq!(config.max_depth, hooks_diesel::hooks_core::DEFAULT_MAX_DEPTH);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// How many records a bulk operation writes per statement (and hands to
    /// hooks at once), within the backend's bind limit. Default 1000.
    pub chunk_size: usize,
    /// How deep hooked operations started by hooks may nest. Default
    /// [`DEFAULT_MAX_DEPTH`].
    pub max_depth: u32,
    /// What to do with writes to hooked tables the library cannot hook.
    /// Default [`UnhookedWrites::Refuse`].
    pub unhooked_writes: UnhookedWrites,
    /// Whether a failing after-commit callback stops the later ones.
    /// Default [`CallbackFailures::Stop`].
    pub callback_failures: CallbackFailures,
    /// Called after each chunk of a hooked operation. Default none.
    pub progress: Option<OnProgress>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            chunk_size: 1000,
            max_depth: DEFAULT_MAX_DEPTH,
            unhooked_writes: UnhookedWrites::default(),
            callback_failures: CallbackFailures::default(),
            progress: None,
        }
    }
}

impl Config {
    /// Sets [`chunk_size`](Config::chunk_size).
    #[must_use]
    pub fn with_chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = chunk_size;
        self
    }

    /// Sets [`max_depth`](Config::max_depth).
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Sets [`unhooked_writes`](Config::unhooked_writes).
    #[must_use]
    pub fn with_unhooked_writes(mut self, policy: UnhookedWrites) -> Self {
        self.unhooked_writes = policy;
        self
    }

    /// Calls `f` after each chunk of every hooked operation.
    ///
    /// ```
    /// use hooks_diesel::Config;
    /// let config = Config::default().with_progress(|p| {
    ///     eprintln!("{} {}: {} of {:?}", p.operation, p.model, p.done, p.total)
    /// });
    /// assert!(config.progress.is_some());
    /// ```
    #[must_use]
    pub fn with_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(OnProgress::new(f));
        self
    }

    /// Sets [`callback_failures`](Config::callback_failures).
    #[must_use]
    pub fn with_callback_failures(mut self, policy: CallbackFailures) -> Self {
        self.callback_failures = policy;
        self
    }
}

/// A Diesel connection with lifecycle hooks.
///
/// Its methods, by what they do (each defined next to its concept):
///
/// | area | methods |
/// |---|---|
/// | setting up | [`new`](Self::new), [`with_config`](Self::with_config), [`config`](Self::config), [`config_mut`](Self::config_mut), [`registry`](Self::registry), [`set_registry`](Self::set_registry), [`inner`](Self::inner), [`inner_mut`](Self::inner_mut), [`into_inner`](Self::into_inner) |
/// | bulk writes | [`bulk_create`](Self::bulk_create), [`bulk_update`](Self::bulk_update), [`bulk_update_fields`](Self::bulk_update_fields), [`bulk_delete`](Self::bulk_delete), [`bulk_sync`](Self::bulk_sync), [`insert_each`](Self::insert_each) |
/// | set-based writes | [`update_where`](Self::update_where), [`update_where_count`](Self::update_where_count), [`delete_where`](Self::delete_where) |
/// | single rows | [`create`](Self::create), [`save`](Self::save), [`update`](Self::update), [`delete`](Self::delete) |
/// | hooks off | [`without_hooks`](Self::without_hooks), [`without_hooks_for`](Self::without_hooks_for), [`unhooked_warnings`](Self::unhooked_warnings) |
/// | transactions | [`transaction_with`](Self::transaction_with), [`transaction_with_callbacks`](Self::transaction_with_callbacks), [`retry_transaction`](Self::retry_transaction), [`dry_run`](Self::dry_run) |
/// | after the commit | [`on_commit`](Self::on_commit), [`on_rollback`](Self::on_rollback), [`pending_callbacks`](Self::pending_callbacks), [`run_pending_callbacks`](Self::run_pending_callbacks), [`clear_callbacks`](Self::clear_callbacks) |
/// | with the commit | [`stage`](Self::stage), [`stage_all`](Self::stage_all), [`staged`](Self::staged), [`flush_staged`](Self::flush_staged) (values written just before `COMMIT`, see `hooks-outbox`) |
///
/// Ordinary Diesel writes through it (`execute`, `load`, `batch_execute`)
/// run the hooks too (README, "Ordinary Diesel writes").
///
/// It wraps any Diesel connection `C` and is itself one: ordinary queries,
/// `load`, `get_result`, `execute` and `transaction` run through it
/// unchanged. On top it carries the hook [`Registry`] that the hooked
/// operations dispatch to, the hook [`Scope`] (nesting depth, bypass), the
/// [`Config`], and the callbacks that wait for the current transaction to
/// commit or roll back ([`on_commit`](HookedConnection::on_commit)).
///
/// ```
/// use diesel::prelude::*;
/// use diesel::sqlite::SqliteConnection;
/// use hooks_diesel::{HookedConnection, Registry};
///
/// let inner = SqliteConnection::establish(":memory:")?;
/// let mut conn = HookedConnection::new(inner, Registry::new());
/// let answer: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("42"))
///     .get_result(&mut conn)?;
/// assert_eq!(answer, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct HookedConnection<C> {
    pub(crate) inner: C,
    registry: Arc<Registry<HookedConnection<C>>>,
    scope: Scope,
    config: Config,
    pub(crate) tx: TxState<C>,

    pub(crate) interception: Interception,
    pub(crate) prepared: prepared::PreparedStatements,
}

impl<C> HookedConnection<C> {
    /// Wraps `inner`, with the hooks of `registry` (a `Registry` or an
    /// `Arc` of one shared by several connections) and the default
    /// [`Config`].
    pub fn new(inner: C, registry: impl Into<Arc<Registry<Self>>>) -> Self {
        HookedConnection {
            inner,
            registry: registry.into(),
            scope: Scope::default(),
            config: Config::default(),
            tx: TxState::default(),

            interception: Interception::default(),
            prepared: prepared::PreparedStatements::default(),
        }
    }

    /// Replaces the configuration (builder form).
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration, to change it; changes apply to the next operation.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// The hooks this connection runs.
    pub fn registry(&self) -> &Arc<Registry<Self>> {
        &self.registry
    }

    /// Replaces the hooks this connection runs, from the next statement
    /// on (what it knew of statements is forgotten). Callbacks and
    /// deferred hooks already waiting for a commit stay.
    pub fn set_registry(&mut self, registry: impl Into<Arc<Registry<Self>>>) {
        self.registry = registry.into();
        self.interception.forget();
    }

    /// How many statements this connection let through unhooked under
    /// [`UnhookedWrites::Warn`] (each counted, though `tracing` warns
    /// once per table), so that a test sees them without a subscriber.
    pub fn unhooked_warnings(&self) -> usize {
        self.interception.warnings
    }

    /// The wrapped connection. Statements sent through it bypass hooks, the
    /// unhooked-write check and the callback bookkeeping: do not open or
    /// close transactions on it directly.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The wrapped connection, mutably (see [`inner`](Self::inner)).
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// Unwraps the connection. Callbacks still waiting for a commit are
    /// dropped.
    pub fn into_inner(self) -> C {
        self.inner
    }

    /// The hook scope (nesting depth, bypass), for the hooked operations.
    pub(crate) fn scope_mut(&mut self) -> &mut Scope {
        self.scope.set_max_depth(self.config.max_depth);
        &mut self.scope
    }

    /// Runs `f` with every hook switched off: hooked operations inside
    /// write without dispatching, and plain Diesel writes are not checked
    /// against [`UnhookedWrites`]. Hooks are back on afterwards, also when
    /// `f` fails or panics.
    ///
    /// ```
    /// # use diesel::connection::SimpleConnection;
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// conn.without_hooks(|conn| conn.batch_execute("CREATE TABLE t (x INTEGER)"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_hooks<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        hooks_core::without_hooks(self, f)
    }

    /// Runs `f` with the hooks of model `M` switched off; they are back on
    /// afterwards, also when `f` fails or panics. Plain Diesel writes are
    /// still checked against [`UnhookedWrites`] (the check knows tables, not
    /// models): use [`without_hooks`](Self::without_hooks) for those.
    pub fn without_hooks_for<M: 'static, R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        hooks_core::without_hooks_for::<M, Self, R>(self, f)
    }
}

impl<C> HasScope for HookedConnection<C> {
    fn scope(&mut self) -> &mut Scope {
        self.scope_mut()
    }
}

impl<C: InnerConnection> HookedConnection<C> {
    /// The depth of the inner connection's open transactions (0 outside),
    /// or `None` when its transaction manager is broken.
    pub(crate) fn inner_depth(&mut self) -> Option<u32> {
        <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(
            &mut self.inner,
        )
        .transaction_depth()
        .ok()
        .map(|depth| depth.map_or(0, std::num::NonZeroU32::get))
    }
}

impl<C> fmt::Debug for HookedConnection<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookedConnection")
            .field("inner", &std::any::type_name::<C>())
            .field("registry", &self.registry)
            .field("config", &self.config)
            .field("scope", &self.scope)
            .field("transaction", &self.tx)
            .finish()
    }
}
