//! PostgreSQL: a fresh schema per run in the database of `POSTGRES_URL`,
//! and the PostgreSQL side of [`Dialect`].

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Timestamp};
use diesel::{PgConnection, QueryResult};
use diesel_migrations::MigrationHarness;
use hooks_examples::models::Account;
use hooks_examples::POSTGRES_MIGRATIONS;

use crate::statements::{Dialect, StoredRow, RETURNING_COLUMNS};
use crate::urls::redact_password;
use crate::BoxError;

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
        let url = format!("{base_url}{separator}options=-csearch_path%3D{name}");
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

    crate::statements::returning_statements!();

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

    /// `UPDATE accounts SET .. FROM unnest($1::int8[], $2::int8[],
    /// $3::timestamp[]) AS v(..) WHERE accounts.id = v.vid RETURNING ..`:
    /// three binds whatever the number of rows.
    fn update_rows_returning(&mut self, records: &[Account]) -> QueryResult<Vec<Account>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = records.iter().map(|a| a.id).collect();
        let balances: Vec<i64> = records.iter().map(|a| a.balance).collect();
        let stamps: Vec<Option<chrono::NaiveDateTime>> =
            records.iter().map(|a| a.updated_at).collect();
        let sql = format!(
            "UPDATE accounts SET balance = v.vbalance, updated_at = v.vupdated_at \
             FROM unnest($1::int8[], $2::int8[], $3::timestamp[]) AS v(vid, vbalance, vupdated_at) \
             WHERE accounts.id = v.vid RETURNING {RETURNING_COLUMNS}"
        );
        let rows: Vec<StoredRow> = diesel::sql_query(sql)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<BigInt>, _>(balances)
            .bind::<Array<Nullable<Timestamp>>, _>(stamps)
            .load(self)?;
        Ok(rows.into_iter().map(Account::from).collect())
    }
}
