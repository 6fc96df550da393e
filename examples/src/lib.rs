//! The "accounts" domain shared by the examples, the benchmark and the
//! test suite: the Diesel schema of `migrations/`, the hooked models, and
//! the embedded migrations of each backend.

pub mod models;
pub mod schema;

use diesel_migrations::{embed_migrations, EmbeddedMigrations};

/// Migrations for SQLite.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
/// Migrations for PostgreSQL.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
/// Migrations for MySQL and MariaDB.
#[cfg(feature = "mysql")]
pub const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/mysql");
