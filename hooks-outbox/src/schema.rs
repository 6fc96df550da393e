//! The outbox table: its Diesel schema, the SQL shipped for each backend
//! and the embedded migrations that create it.

diesel::table! {
    /// The outbox: one row per event not yet delivered (and per dead
    /// event). See the SQL in [`sql`] for the indexes.
    hooks_outbox (id) {
        /// Ordered: the order events were written in.
        id -> BigInt,
        /// What the event is about; handlers and broker subjects are chosen by it.
        topic -> Text,
        /// The key events are ordered by (with per-key ordering on).
        event_key -> Text,
        /// The payload, JSON text.
        payload -> Text,
        /// When the event was written (UTC).
        created_at -> Timestamp,
        /// Deliveries begun (claims), failed or not.
        attempts -> Integer,
        /// Not delivered before this (UTC).
        next_attempt_at -> Timestamp,
        /// The worker holding the event's lease.
        lease_owner -> Nullable<Text>,
        /// When the lease ends (UTC); then another worker may take it.
        lease_expires_at -> Nullable<Timestamp>,
        /// The last delivery's error.
        last_error -> Nullable<Text>,
        /// 0 pending, 1 dead.
        state -> SmallInt,
    }
}

/// `state` of an event waiting for delivery (leased or not).
pub const PENDING: i16 = 0;
/// `state` of an event whose delivery was given up.
pub const DEAD: i16 = 1;

/// The SQL that creates the outbox table, per backend, to copy into your
/// own Diesel migrations (the `down` SQL drops it). The embedded
/// [`migrations`] run the same.
pub mod sql {
    /// PostgreSQL: the table, its indexes and the `NOTIFY` trigger that
    /// wakes listening workers.
    pub const POSTGRES_UP: &str =
        include_str!("../migrations/postgres/2026-12-06-900001_hooks_outbox/up.sql");
    /// PostgreSQL: drops it.
    pub const POSTGRES_DOWN: &str =
        include_str!("../migrations/postgres/2026-12-06-900001_hooks_outbox/down.sql");
    /// MySQL 8 / MariaDB 10.6+.
    pub const MYSQL_UP: &str =
        include_str!("../migrations/mysql/2026-12-06-900001_hooks_outbox/up.sql");
    /// MySQL: drops it.
    pub const MYSQL_DOWN: &str =
        include_str!("../migrations/mysql/2026-12-06-900001_hooks_outbox/down.sql");
    /// SQLite.
    pub const SQLITE_UP: &str =
        include_str!("../migrations/sqlite/2026-12-06-900001_hooks_outbox/up.sql");
    /// SQLite: drops it.
    pub const SQLITE_DOWN: &str =
        include_str!("../migrations/sqlite/2026-12-06-900001_hooks_outbox/down.sql");
}

/// The outbox table as embedded Diesel migrations, one set per backend
/// (version `2026-12-06-900001`, away from the versions an application's
/// own migrations of that day take, recorded in Diesel's
/// `__diesel_schema_migrations` like yours). Run them with
/// [`migrate`](crate::migrate), or with `MigrationHarness` next to yours.
pub mod migrations {
    use diesel_migrations::{embed_migrations, EmbeddedMigrations};

    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
    /// MySQL / MariaDB.
    #[cfg(feature = "mysql")]
    pub const MYSQL: EmbeddedMigrations = embed_migrations!("migrations/mysql");
    /// SQLite.
    #[cfg(feature = "sqlite")]
    pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
}
