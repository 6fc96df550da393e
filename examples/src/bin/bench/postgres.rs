//! PostgreSQL: a fresh database per run on the server of `POSTGRES_URL`
//! (its own, so that the server time of its sessions can be read:
//! [`crate::server_time`]), and the PostgreSQL side of [`Dialect`].

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Timestamp};
use diesel::{PgConnection, QueryResult};
use diesel_migrations::MigrationHarness;
use hooks_examples::POSTGRES_MIGRATIONS;

use crate::prepared::{Bind, SetUpdate, Stmt};
use crate::server_time::ActiveTime;
use crate::statements::{Dialect, Style};
use crate::BoxError;
use hooks_examples::urls::{redact_password, with_database};

/// Where PostgreSQL is reached when `POSTGRES_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database `bench_<pid>_<nanos>` with the migrations applied, dropped
/// (`WITH (FORCE)`) when this value is dropped, also after an error.
pub struct PgDatabase {
    admin: PgConnection,
    base_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    /// Creates the database on the server of `base_url`, through a
    /// connection to `base_url` itself.
    pub fn create(base_url: &str) -> Result<Self, BoxError> {
        let mut admin = PgConnection::establish(base_url).map_err(|e| {
            format!(
                "cannot connect to PostgreSQL at {} (set POSTGRES_URL): {e}",
                redact_password(base_url)
            )
        })?;
        let name = format!("bench_{}_{}", std::process::id(), crate::unique_suffix());
        let mut url = with_database(base_url, &name).ok_or_else(|| {
            format!(
                "POSTGRES_URL {} is not a postgres://.. URL",
                redact_password(base_url)
            )
        })?;
        // `BENCH_PG_OPTIONS`: more settings for the bench's sessions, as
        // `-c name=value` options (`-clog_min_duration_statement=0` logs
        // every statement with its parse, bind and execute times).
        if let Ok(options) = std::env::var("BENCH_PG_OPTIONS") {
            let separator = if url.contains('?') { '&' } else { '?' };
            let options = options.replace(' ', "%20").replace('=', "%3D");
            url = format!("{url}{separator}options={options}");
        }
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let database = PgDatabase {
            admin,
            base_url: base_url.to_string(),
            name,
            url,
        };
        let mut conn = PgConnection::establish(&database.url)?;
        conn.run_pending_migrations(POSTGRES_MIGRATIONS)?;
        Ok(database)
    }

    /// The URL of a connection to the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server time of the database's sessions, where the server gives
    /// it ([`ActiveTime`]).
    pub fn server_clock(&self) -> Option<ActiveTime> {
        ActiveTime::new(&self.base_url, &self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = self.admin.batch_execute(&drop) {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}

impl Dialect for PgConnection {
    const NAME: &'static str = "postgres";
    /// The wire protocol counts parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    const BIGINT: &'static str = "BIGINT";

    crate::returning::returning_statements!();

    fn write_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(f)
    }

    fn reset_table(&mut self) -> QueryResult<()> {
        self.batch_execute("TRUNCATE accounts RESTART IDENTITY")
    }

    fn after_seed(&mut self) -> QueryResult<()> {
        self.batch_execute("ANALYZE accounts")
    }
}

impl SetUpdate for Pg {
    /// `UPDATE accounts SET balance = v.vbalance, updated_at = $1 FROM
    /// unnest($2::int8[], $3::int8[]) AS v(vid, vbalance) WHERE accounts.id =
    /// v.vid`: three binds whatever the number of rows.
    fn write_rows<Conn: Connection<Backend = Self>>(
        conn: &mut Conn,
        rows: &[(i64, i64)],
        at: NaiveDateTime,
        style: Style,
    ) -> QueryResult<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let balances: Vec<i64> = rows.iter().map(|r| r.1).collect();
        match style {
            Style::Dsl => diesel::sql_query(
                "UPDATE accounts SET balance = v.vbalance, updated_at = $1 \
                 FROM unnest($2::int8[], $3::int8[]) AS v(vid, vbalance) \
                 WHERE accounts.id = v.vid",
            )
            .bind::<Nullable<Timestamp>, _>(Some(at))
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<BigInt>, _>(balances)
            .execute(conn),
            Style::Prepared => {
                Stmt::<()>::new("UPDATE accounts SET balance = v.vbalance, updated_at = ")
                    .bind(Bind::Stamp(Some(at)))
                    .sql(" FROM unnest(")
                    .bind(Bind::Ints(ids))
                    .sql("::int8[], ")
                    .bind(Bind::Ints(balances))
                    .sql("::int8[]) AS v(vid, vbalance) WHERE accounts.id = v.vid")
                    .execute(conn)
            }
        }
    }
}
