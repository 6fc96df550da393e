//! Opening the examples' database from a URL, on whichever backend the URL
//! names: a SQLite file path (or `sqlite://path`), `postgres://...` or
//! `mysql://...`. PostgreSQL and MySQL need this crate's `postgres` and
//! `mysql` features; without them such a URL is refused with a message
//! saying which feature to add.

use std::fmt;

use diesel::connection::LoadConnection;
use diesel::{Connection, ConnectionError, QueryResult};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use hooks_diesel::{HookBackend, InnerConnection};

use crate::urls::redact_password;

/// A boxed error, what the examples' functions return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The backend a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file path, `:memory:`, `file:...` or `sqlite://path`.
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
    /// `mysql://...`.
    Mysql,
}

impl Backend {
    /// The backend `url` names.
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("mysql://") {
            Backend::Mysql
        } else {
            Backend::Sqlite
        }
    }

    /// The error for a URL whose backend this build does not have.
    pub fn unsupported(self, url: &str) -> BoxError {
        let feature = match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        };
        format!(
            "{} is a {self} URL, but this build has no {self} support: \
             rerun with `--features {feature}`",
            redact_password(url)
        )
        .into()
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL",
        })
    }
}

/// A connection the examples run on: it can be wrapped in a
/// `HookedConnection`, load rows, and run this crate's migrations.
pub trait ExampleConnection:
    InnerConnection
    + LoadConnection
    + Connection<Backend: HookBackend>
    + MigrationHarness<<Self as Connection>::Backend>
    + Send
{
    /// The migrations of `migrations/` for this backend.
    const MIGRATIONS: EmbeddedMigrations;

    /// Session settings every connection of an example gets (SQLite: wait
    /// up to 10 s for another connection's write lock instead of failing at
    /// once).
    fn prepare(&mut self) -> QueryResult<()> {
        Ok(())
    }

    /// Connects to `url` (without the `sqlite://` prefix, if any), prepares
    /// the session and applies the pending migrations.
    fn open(url: &str) -> Result<Self, BoxError> {
        let mut conn = Self::establish(sqlite_path(url)).map_err(|e| connect_error(url, e))?;
        conn.prepare()?;
        conn.run_pending_migrations(Self::MIGRATIONS)
            .map_err(|e| format!("migrations on {} failed: {e}", redact_password(url)))?;
        Ok(conn)
    }
}

impl ExampleConnection for diesel::sqlite::SqliteConnection {
    const MIGRATIONS: EmbeddedMigrations = crate::SQLITE_MIGRATIONS;

    fn prepare(&mut self) -> QueryResult<()> {
        diesel::connection::SimpleConnection::batch_execute(self, "PRAGMA busy_timeout = 10000")
    }
}

#[cfg(feature = "postgres")]
impl ExampleConnection for diesel::pg::PgConnection {
    const MIGRATIONS: EmbeddedMigrations = crate::POSTGRES_MIGRATIONS;
}

#[cfg(feature = "mysql")]
impl ExampleConnection for diesel::mysql::MysqlConnection {
    const MIGRATIONS: EmbeddedMigrations = crate::MYSQL_MIGRATIONS;
}

/// `url` without a `sqlite://` prefix (SQLite itself takes a path).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

fn connect_error(url: &str, error: ConnectionError) -> BoxError {
    format!("cannot connect to {}: {error}", redact_password(url)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(Backend::of("/tmp/x.db"), Backend::Sqlite);
        assert_eq!(Backend::of("sqlite://x.db"), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of("mysql://root@h:3306/test"), Backend::Mysql);
        assert_eq!(sqlite_path("sqlite://x.db"), "x.db");
    }

    #[test]
    fn messages_hide_passwords() {
        let message = Backend::Postgres
            .unsupported("postgres://u:pw@h/db")
            .to_string();
        assert!(message.contains("--features postgres"), "{message}");
        assert!(!message.contains("pw"), "{message}");
    }
}
