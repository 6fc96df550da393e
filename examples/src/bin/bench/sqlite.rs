//! SQLite: a fresh temporary database file per run, and the SQLite side of
//! [`Dialect`].

use std::path::PathBuf;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, SqliteConnection};
use diesel_migrations::MigrationHarness;
use hooks_examples::SQLITE_MIGRATIONS;

use crate::prepared::{Bind, SetUpdate, Stmt};
use crate::statements::{Dialect, Style};
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

    crate::returning::returning_statements!();

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
}

impl SetUpdate for Sqlite {
    /// `WITH v(vid, vbalance) AS (VALUES (?, ?), ..) UPDATE accounts SET
    /// balance = vbalance, updated_at = ? FROM v WHERE accounts.id = vid`.
    fn write_rows<Conn: Connection<Backend = Self>>(
        conn: &mut Conn,
        rows: &[(i64, i64)],
        at: NaiveDateTime,
        style: Style,
    ) -> QueryResult<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        const HEAD: &str = "WITH v(vid, vbalance) AS (VALUES ";
        const TAIL: &str = ") UPDATE accounts SET balance = vbalance, updated_at = ";
        const WHERE: &str = " FROM v WHERE accounts.id = vid";
        match style {
            Style::Dsl => {
                let mut query = diesel::sql_query(HEAD).into_boxed::<Sqlite>();
                for (i, &(id, balance)) in rows.iter().enumerate() {
                    query = query
                        .sql(if i == 0 { "(?, ?)" } else { ", (?, ?)" })
                        .bind::<BigInt, _>(id)
                        .bind::<BigInt, _>(balance);
                }
                query
                    .sql(TAIL)
                    .sql("?")
                    .bind::<Nullable<Timestamp>, _>(Some(at))
                    .sql(WHERE)
                    .execute(conn)
            }
            Style::Prepared => {
                let mut stmt = Stmt::<()>::new(HEAD);
                for (i, &(id, balance)) in rows.iter().enumerate() {
                    stmt = stmt
                        .sql(if i == 0 { "(" } else { ", (" })
                        .bind(Bind::Int(id))
                        .sql(", ")
                        .bind(Bind::Int(balance))
                        .sql(")");
                }
                stmt.sql(TAIL)
                    .bind(Bind::Stamp(Some(at)))
                    .sql(WHERE)
                    .execute(conn)
            }
        }
    }
}
