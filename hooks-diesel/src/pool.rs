//! r2d2 connection pools of [`HookedConnection`]s sharing one registry.
//!
//! ```
//! use hooks_diesel::pool::{HookedConnectionManager, HookedPool};
//! use hooks_diesel::Registry;
//! use diesel::prelude::*;
//! use diesel::sqlite::SqliteConnection;
//!
//! let manager = HookedConnectionManager::<SqliteConnection>::new(":memory:", Registry::new());
//! let pool: HookedPool<SqliteConnection> = r2d2::Pool::builder().max_size(2).build(manager)?;
//! let mut conn = pool.get()?;
//! let one: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
//!     .get_result(&mut *conn)?;
//! assert_eq!(one, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use diesel::r2d2::{Error, R2D2Connection};

use crate::connection::InnerConnection;
use crate::{Config, HookedConnection, Registry};

/// A pool of hooked connections.
pub type HookedPool<C> = r2d2::Pool<HookedConnectionManager<C>>;

/// An `r2d2::ManageConnection` that hands out [`HookedConnection<C>`]s,
/// all sharing one registry and one [`Config`].
///
/// - Health checks as Diesel's own manager: `is_valid` pings the database
///   (`SELECT 1`), `has_broken` is true while the thread panics or when the
///   connection holds an open transaction or a broken transaction manager.
/// - Callbacks never leak from one checkout to the next: pending
///   `on_commit` / `on_rollback` callbacks are dropped on check-in (and on
///   checkout, when the pool tests connections then). They can only be
///   pending inside a test transaction (`begin_test_transaction` in a
///   connection customizer), since a connection with an open transaction is
///   otherwise discarded.
pub struct HookedConnectionManager<C> {
    url: String,
    registry: Arc<Registry<HookedConnection<C>>>,
    config: Config,
}

impl<C> HookedConnectionManager<C> {
    /// A manager connecting to `url`, giving each connection `registry`.
    pub fn new(
        url: impl Into<String>,
        registry: impl Into<Arc<Registry<HookedConnection<C>>>>,
    ) -> Self {
        HookedConnectionManager {
            url: url.into(),
            registry: registry.into(),
            config: Config::default(),
        }
    }

    /// Gives every connection `config` (builder form).
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The registry every connection shares.
    pub fn registry(&self) -> &Arc<Registry<HookedConnection<C>>> {
        &self.registry
    }

    /// The configuration every connection gets.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl<C> fmt::Debug for HookedConnectionManager<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookedConnectionManager")
            .field("connection", &std::any::type_name::<C>())
            .field("registry", &self.registry)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<C> r2d2::ManageConnection for HookedConnectionManager<C>
where
    C: InnerConnection + R2D2Connection + Send,
{
    type Connection = HookedConnection<C>;
    type Error = Error;

    fn connect(&self) -> Result<Self::Connection, Error> {
        let inner = C::establish(&self.url).map_err(Error::ConnectionError)?;
        Ok(HookedConnection::new(inner, Arc::clone(&self.registry))
            .with_config(self.config.clone()))
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Error> {
        conn.clear_callbacks();
        conn.ping().map_err(Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.clear_callbacks();
        std::thread::panicking() || conn.is_broken()
    }
}
