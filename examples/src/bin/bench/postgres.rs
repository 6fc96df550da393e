//! PostgreSQL: a fresh schema per run in the database of `POSTGRES_URL`,
//! and the PostgreSQL side of [`Dialect`].

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Timestamp};
use diesel::{PgConnection, QueryResult};
use diesel_migrations::MigrationHarness;
use hooks_examples::POSTGRES_MIGRATIONS;

use crate::prepared::{Bind, SetUpdate, Stmt};
use crate::statements::{Dialect, Style};
use crate::BoxError;
use hooks_examples::urls::redact_password;

/// Where PostgreSQL is reached when `POSTGRES_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema `bench_<pid>_<nanos>` with the migrations applied, dropped
/// (`CASCADE`) when this value is dropped, also after an error.
pub struct PgSchema {
    admin: PgConnection,
    name: String,
    url: String,
}

impl PgSchema {
    /// Creates the schema in the database of `base_url`.
    pub fn create(base_url: &str) -> Result<Self, BoxError> {
        let mut admin = PgConnection::establish(base_url).map_err(|e| {
            format!(
                "cannot connect to PostgreSQL at {} (set POSTGRES_URL): {e}",
                redact_password(base_url)
            )
        })?;
        let name = format!("bench_{}_{}", std::process::id(), crate::unique_suffix());
        admin.batch_execute(&format!("CREATE SCHEMA {name}"))?;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        // `BENCH_PG_OPTIONS`: more settings for the bench's sessions, as
        // `-c name=value` options (`-clog_min_duration_statement=0` logs
        // every statement with its parse, bind and execute times).
        let extra = std::env::var("BENCH_PG_OPTIONS")
            .map(|o| format!(" {o}").replace(' ', "%20").replace('=', "%3D"))
            .unwrap_or_default();
        let url = format!("{base_url}{separator}options=-csearch_path%3D{name}{extra}");
        let schema = PgSchema { admin, name, url };
        let mut conn = PgConnection::establish(&schema.url)?;
        conn.run_pending_migrations(POSTGRES_MIGRATIONS)?;
        Ok(schema)
    }

    /// The URL of a connection whose `search_path` is the schema.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        if let Err(e) = self.admin.batch_execute(&drop) {
            eprintln!("bench: could not drop schema {}: {e}", self.name);
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
