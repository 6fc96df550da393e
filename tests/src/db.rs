//! A database of one test's own, migrated, and dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::MigrationHarness;
use hooks_diesel::{HookedConnection, Registry};
use hooks_examples::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// The default PostgreSQL server of development machines and CI.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A name no other test, process or earlier run uses.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// How a backend makes and drops a test database.
pub trait TestBackend:
    Connection + MigrationHarness<Self::Backend> + Send + Sized + 'static
{
    /// Creates the database; returns its URL.
    fn create() -> String;
    /// Drops the database made by `create`.
    fn drop_database(url: &str);
    /// Runs the migrations on a fresh connection.
    fn migrate(conn: &mut Self);
}

impl TestBackend for SqliteConnection {
    fn create() -> String {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name("hooks_test")));
        path.to_string_lossy().into_owned()
    }

    fn drop_database(url: &str) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }

    fn migrate(conn: &mut Self) {
        conn.run_pending_migrations(SQLITE_MIGRATIONS)
            .expect("SQLite migrations apply");
    }
}

/// The PostgreSQL server URL tests use.
pub fn postgres_url() -> String {
    std::env::var("POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

fn postgres_admin() -> PgConnection {
    let url = postgres_url();
    PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!("PostgreSQL is unreachable at {url} ({e}); start it or set POSTGRES_URL")
    })
}

fn schema_of(url: &str) -> &str {
    url.rsplit("search_path%3D").next().unwrap_or_default()
}

impl TestBackend for PgConnection {
    fn create() -> String {
        let schema = unique_name("hooks_test");
        postgres_admin()
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create test schema");
        let base = postgres_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-csearch_path%3D{schema}")
    }

    fn drop_database(url: &str) {
        let schema = schema_of(url);
        let _ = postgres_admin().batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }

    fn migrate(conn: &mut Self) {
        conn.run_pending_migrations(POSTGRES_MIGRATIONS)
            .expect("PostgreSQL migrations apply");
    }
}

/// One test's database.
pub struct TestDb<C: TestBackend> {
    url: String,
    _conn: std::marker::PhantomData<fn() -> C>,
}

impl<C: TestBackend> Default for TestDb<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: TestBackend> TestDb<C> {
    /// Creates and migrates a database of this test's own.
    pub fn new() -> Self {
        let url = C::create();
        let db = TestDb {
            url,
            _conn: std::marker::PhantomData,
        };
        C::migrate(&mut db.raw());
        db
    }

    /// The database URL (every connection made from it sees this test's
    /// tables only).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A plain Diesel connection, without hooks.
    pub fn raw(&self) -> C {
        C::establish(&self.url)
            .unwrap_or_else(|e| panic!("connect to test database {}: {e}", self.url))
    }

    /// A hooked connection with `registry`.
    pub fn connect(
        &self,
        registry: impl Into<Arc<Registry<HookedConnection<C>>>>,
    ) -> HookedConnection<C> {
        HookedConnection::new(self.raw(), registry)
    }
}

impl<C: TestBackend> Drop for TestDb<C> {
    fn drop(&mut self) {
        C::drop_database(&self.url);
    }
}
