//! SQLite: a fresh temporary database file per run, and the SQLite side of
//! [`Dialect`].

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, SqliteConnection};
use diesel_migrations::MigrationHarness;
use hooks_examples::models::Account;
use hooks_examples::SQLITE_MIGRATIONS;

use crate::statements::{Dialect, StoredRow, RETURNING_COLUMNS};
use crate::BoxError;

/// A temporary database file with the migrations applied; removed (with its
/// journal) when dropped.
pub struct SqliteFile {
    path: PathBuf,
}

impl SqliteFile {
    pub fn create() -> Result<Self, BoxError> {
        let path = std::env::temp_dir().join(format!(
            "hooks-bench-{}-{}.db",
            std::process::id(),
            crate::unique_suffix()
        ));
        let file = SqliteFile { path };
        let mut conn = SqliteConnection::establish(&file.url())?;
        conn.run_pending_migrations(SQLITE_MIGRATIONS)?;
        Ok(file)
    }

    /// The URL to connect to it.
    pub fn url(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    eprintln!("bench: could not remove {}: {e}", self.path.display());
                }
                _ => {}
            }
        }
    }
}

impl Dialect for SqliteConnection {
    const NAME: &'static str = "sqlite";
    /// `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite.
    const BIND_LIMIT: usize = 32766;
    const BIGINT: &'static str = "BIGINT";

    crate::statements::returning_statements!();

    fn write_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.immediate_transaction(f)
    }

    fn reset_table(&mut self) -> QueryResult<()> {
        self.batch_execute(
            "DELETE FROM accounts; DELETE FROM sqlite_sequence WHERE name = 'accounts';",
        )
    }

    fn after_seed(&mut self) -> QueryResult<()> {
        Ok(())
    }

    /// `WITH v(vid, vbalance, vupdated_at) AS (VALUES (?, ?, ?), ..) UPDATE
    /// accounts SET .. FROM v WHERE accounts.id = vid RETURNING ..`
    fn update_rows_returning(&mut self, records: &[Account]) -> QueryResult<Vec<Account>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = diesel::sql_query("WITH v(vid, vbalance, vupdated_at) AS (VALUES ")
            .into_boxed::<Sqlite>();
        for (i, record) in records.iter().enumerate() {
            query = query
                .sql(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" })
                .bind::<BigInt, _>(record.id)
                .bind::<BigInt, _>(record.balance)
                .bind::<Nullable<Timestamp>, _>(record.updated_at);
        }
        let rows: Vec<StoredRow> = query
            .sql(") UPDATE accounts SET balance = vbalance, updated_at = vupdated_at FROM v ")
            .sql("WHERE accounts.id = vid RETURNING ")
            .sql(RETURNING_COLUMNS)
            .load(self)?;
        Ok(rows.into_iter().map(Account::from).collect())
    }
}
