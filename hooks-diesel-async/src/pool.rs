//! bb8 and deadpool pools of [`AsyncHookedConnection`]s sharing one
//! registry, through diesel-async's pool integrations (features `bb8`,
//! `deadpool`).
//!
//! ```no_run
//! # #[cfg(feature = "bb8")]
//! # async fn pool() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use diesel::sqlite::SqliteConnection;
//! use diesel_async::pooled_connection::bb8::Pool;
//! use hooks_diesel::Registry;
//! use hooks_diesel_async::{pool, AsyncHookedConnection};
//!
//! let manager = pool::manager::<SqliteConnection>("app.db", Registry::new());
//! let pool: Pool<AsyncHookedConnection<SqliteConnection>> = Pool::builder().build(manager).await?;
//! let mut conn = pool.get().await?; // a hooked connection
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::SimpleAsyncConnection;
use futures_util::FutureExt;
use hooks_diesel::{HookedConnection, Registry};

use crate::query::AsyncInner;
use crate::{AsyncHookedConnection, Blocking};

/// A lost connection (a future dropped mid-statement) and one with an open
/// transaction are broken: the pool discards them.
impl<C: AsyncInner> PoolableConnection for AsyncHookedConnection<C> {}

/// A diesel-async connection manager (for `bb8::Pool` or
/// `deadpool::Pool`) whose connections carry the hooks of `registry`.
/// At every checkout the connection's callbacks left from an earlier user
/// are dropped and a `SELECT 1` checks it.
pub fn manager<C: AsyncInner>(
    url: impl Into<String>,
    registry: impl Into<Arc<Registry<HookedConnection<C>>>>,
) -> AsyncDieselConnectionManager<AsyncHookedConnection<C>> {
    ManagerBuilder::new(url, registry).build()
}

/// A session setting run on each new connection.
type Setup<C> = dyn Fn(&mut HookedConnection<C>) -> diesel::QueryResult<()> + Send + Sync;

/// A [`manager`] with more settings: how connections run their calls
/// ([`Blocking`]), and a setup run on each new connection.
///
/// ```
/// use diesel::sqlite::SqliteConnection;
/// use diesel::connection::SimpleConnection;
/// use hooks_diesel::Registry;
/// use hooks_diesel_async::{pool::ManagerBuilder, Blocking};
///
/// let manager = ManagerBuilder::<SqliteConnection>::new("app.db", Registry::new())
///     .blocking(Blocking::InPlace)
///     .setup(|conn| conn.batch_execute("PRAGMA busy_timeout = 10000"))
///     .build();
/// ```
pub struct ManagerBuilder<C> {
    url: String,
    registry: Arc<Registry<HookedConnection<C>>>,
    blocking: Blocking,
    setup: Option<Arc<Setup<C>>>,
}

impl<C: AsyncInner> ManagerBuilder<C> {
    /// Connections to `url` with the hooks of `registry`, run with
    /// [`Blocking::SpawnBlocking`], no setup.
    pub fn new(
        url: impl Into<String>,
        registry: impl Into<Arc<Registry<HookedConnection<C>>>>,
    ) -> Self {
        ManagerBuilder {
            url: url.into(),
            registry: registry.into(),
            blocking: Blocking::default(),
            setup: None,
        }
    }

    /// How the connections run the sync connection's calls.
    #[must_use]
    pub fn blocking(mut self, blocking: Blocking) -> Self {
        self.blocking = blocking;
        self
    }

    /// Runs `setup` on each new connection (on a blocking thread) before
    /// the pool hands it out: session settings such as SQLite's
    /// `PRAGMA busy_timeout`.
    #[must_use]
    pub fn setup(
        mut self,
        setup: impl Fn(&mut HookedConnection<C>) -> diesel::QueryResult<()> + Send + Sync + 'static,
    ) -> Self {
        self.setup = Some(Arc::new(setup));
        self
    }

    /// The diesel-async manager, for `bb8::Pool` or `deadpool::Pool`.
    pub fn build(self) -> AsyncDieselConnectionManager<AsyncHookedConnection<C>> {
        let ManagerBuilder {
            url,
            registry,
            blocking,
            setup,
        } = self;
        let mut config = ManagerConfig::<AsyncHookedConnection<C>>::default();
        config.custom_setup = Box::new(move |url| {
            let registry = Arc::clone(&registry);
            let setup = setup.clone();
            let url = url.to_owned();
            async move {
                let mut conn = AsyncHookedConnection::connect(&url, registry)
                    .await?
                    .with_blocking(blocking);
                if let Some(setup) = setup {
                    conn.with(move |c| setup(c))
                        .await
                        .and_then(|r| r)
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(conn)
            }
            .boxed()
        });
        config.recycling_method = RecyclingMethod::CustomFunction(Box::new(|conn| {
            conn.clear_callbacks();
            conn.batch_execute("SELECT 1").boxed()
        }));
        AsyncDieselConnectionManager::new_with_config(url, config)
    }
}
