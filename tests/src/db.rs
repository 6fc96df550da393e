//! A database of one test's own, migrated, and dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use hooks_diesel::{HookedConnection, Registry};
use hooks_examples::{MYSQL_MIGRATIONS, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// The default PostgreSQL server of development machines and CI.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The default MySQL / MariaDB server of development machines and CI.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

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

/// Which backend a suite runs on, for behaviour that differs by backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// SQLite (a file of the test's own).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

/// How a backend makes and drops a test database.
pub trait TestBackend:
    Connection + MigrationHarness<Self::Backend> + Send + Sized + 'static
{
    /// Which backend this is.
    const KIND: BackendKind;
    /// The migrations of the test schema on this backend.
    const MIGRATIONS: EmbeddedMigrations;
    /// Creates the database; returns its URL.
    fn create() -> String;
    /// Drops the database made by `create`.
    fn drop_database(url: &str);
    /// Runs the migrations on a fresh connection.
    fn migrate(conn: &mut Self) {
        if let Err(e) = conn.run_pending_migrations(Self::MIGRATIONS) {
            panic!("{} migrations apply: {e}", std::any::type_name::<Self>());
        }
    }
}

impl TestBackend for SqliteConnection {
    const KIND: BackendKind = BackendKind::Sqlite;
    const MIGRATIONS: EmbeddedMigrations = SQLITE_MIGRATIONS;

    fn create() -> String {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name("hooks_test")));
        path.to_string_lossy().into_owned()
    }

    fn drop_database(url: &str) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
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
    const KIND: BackendKind = BackendKind::Postgres;
    const MIGRATIONS: EmbeddedMigrations = POSTGRES_MIGRATIONS;

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
}

/// The MySQL server URL tests use.
pub fn mysql_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_string())
}

fn mysql_admin() -> MysqlConnection {
    let url = mysql_url();
    MysqlConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "MySQL is unreachable at {url} ({e}); start MySQL or MariaDB, or set MYSQL_URL \
             to a server where this user may create databases"
        )
    })
}

/// Where the database name sits in a MySQL URL
/// (`mysql://[user[:password]@]host[:port][/database][?options]`): the
/// text before it (scheme and authority), and the options after it.
fn mysql_url_parts(url: &str) -> Result<(&str, &str), String> {
    let authority_at = url
        .find("://")
        .map(|at| at + 3)
        .ok_or_else(|| format!("MYSQL_URL {url:?} is not a URL (mysql://user@host:port/db)"))?;
    let options_at = url.find('?').unwrap_or(url.len());
    if options_at < authority_at {
        return Err(format!("MYSQL_URL {url:?} has `?` before the host"));
    }
    let path_at = url[authority_at..options_at]
        .find('/')
        .map_or(options_at, |at| authority_at + at);
    Ok((&url[..path_at], &url[options_at..]))
}

/// `url` with its database replaced by `database`.
pub fn mysql_url_with_database(url: &str, database: &str) -> Result<String, String> {
    let (server, options) = mysql_url_parts(url)?;
    Ok(format!("{server}/{database}{options}"))
}

/// The database named by a MySQL URL, if any.
fn mysql_database_of(url: &str) -> Option<&str> {
    let (server, options) = mysql_url_parts(url).ok()?;
    let database = url[server.len()..url.len() - options.len()].trim_start_matches('/');
    (!database.is_empty()).then_some(database)
}

impl TestBackend for MysqlConnection {
    const KIND: BackendKind = BackendKind::Mysql;
    const MIGRATIONS: EmbeddedMigrations = MYSQL_MIGRATIONS;

    fn create() -> String {
        let name = unique_name("hooks_test");
        let url = mysql_url_with_database(&mysql_url(), &name).unwrap_or_else(|e| panic!("{e}"));
        mysql_admin()
            .batch_execute(&format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        url
    }

    fn drop_database(url: &str) {
        let Some(name) = mysql_database_of(url) else {
            return;
        };
        let Ok(mut admin) = MysqlConnection::establish(&mysql_url()) else {
            return;
        };
        // A connection the test leaked would hold a metadata lock and make
        // DROP DATABASE wait for a day: give up after a while instead and
        // leave the database behind (its name says what made it).
        let _ = admin.batch_execute("SET SESSION lock_wait_timeout = 20");
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
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
        let db = Self::empty();
        C::migrate(&mut db.raw());
        db
    }

    /// Creates a database of this test's own, without any table.
    pub fn empty() -> Self {
        TestDb {
            url: C::create(),
            _conn: std::marker::PhantomData,
        }
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

#[cfg(test)]
mod tests {
    use super::{mysql_database_of, mysql_url_with_database};

    #[test]
    fn mysql_urls_get_the_test_database() {
        for (url, expected) in [
            (
                "mysql://root@127.0.0.1:3306/test",
                "mysql://root@127.0.0.1:3306/t1",
            ),
            (
                "mysql://root@127.0.0.1:3306",
                "mysql://root@127.0.0.1:3306/t1",
            ),
            ("mysql://root@localhost/", "mysql://root@localhost/t1"),
            (
                "mysql://u:p@h:1/test?ssl_mode=disabled",
                "mysql://u:p@h:1/t1?ssl_mode=disabled",
            ),
            (
                "mysql://h?unix_socket=/run/my.sock",
                "mysql://h/t1?unix_socket=/run/my.sock",
            ),
        ] {
            let with = mysql_url_with_database(url, "t1").unwrap();
            assert_eq!(with, expected, "{url}");
            assert_eq!(mysql_database_of(&with), Some("t1"));
        }
        assert_eq!(mysql_database_of("mysql://root@h:3306"), None);
        assert!(mysql_url_with_database("root@h/test", "t1").is_err());
    }
}
