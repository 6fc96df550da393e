//! The "accounts" domain shared by the examples, the benchmark and the
//! test suite: the Diesel schema of `migrations/`, the hooked models, the
//! embedded migrations of each backend, opening a database from a URL
//! ([`db`]), and the audit hook set of the `audit` example ([`audit`]).

pub mod audit;
pub mod db;
pub mod models;
pub mod orders;
pub mod schema;
pub mod urls;

use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};

use crate::db::{BoxError, ExampleConnection};

/// Migrations for SQLite.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
/// Migrations for PostgreSQL.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
/// Migrations for MySQL and MariaDB.
#[cfg(feature = "mysql")]
pub const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/mysql");

/// A migrated SQLite database in memory, gone when the connection is
/// dropped: what the documentation's examples run on.
pub fn sqlite_in_memory() -> Result<SqliteConnection, BoxError> {
    SqliteConnection::open(":memory:")
}

/// The documentation of `#[derive(HookModel)]` (in `hooks-derive`, which
/// cannot run examples that derive through `hooks_diesel`): its examples
/// run here as doctests.
#[doc = include_str!("../../hooks-derive/src/derive.md")]
#[cfg(doctest)]
pub struct DeriveHookModelDocs;

/// README.md: its Rust code that is not `ignore` (the section "Testing
/// your hooks") runs as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct Readme;

/// The guide for users of django-bulk-hooks: its Rust code is compiled and
/// run as doctests.
#[doc = include_str!("../../docs/from-django-bulk-hooks.md")]
#[cfg(doctest)]
pub struct FromDjangoBulkHooksGuide;
