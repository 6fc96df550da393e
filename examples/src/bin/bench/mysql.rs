//! MySQL and MariaDB: a fresh database per run on the server of
//! `MYSQL_URL`, and the MySQL side of [`Dialect`].
//!
//! MySQL has no `RETURNING`, so wherever the equivalent variant needs the
//! rows as stored it reads them back with a `SELECT` inside its
//! transaction, as a careful Diesel user would.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::mysql::Mysql;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use diesel::{MysqlConnection, QueryResult};
use diesel_migrations::MigrationHarness;
use hooks_examples::models::Account;
use hooks_examples::schema::accounts;
use hooks_examples::MYSQL_MIGRATIONS;

use crate::prepared::{AccountSql, Bind, SetUpdate, Stmt};
use crate::statements::{Dialect, Ordinary, Statements, Style, SELECT_COLUMNS};
use crate::BoxError;
use hooks_examples::urls::{redact_password, with_database};

/// Where MySQL is reached when `MYSQL_URL` is not set.
pub const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// A database `bench_<pid>_<nanos>` with the migrations applied, dropped
/// when this value is dropped, also after an error.
pub struct MysqlDatabase {
    admin: MysqlConnection,
    name: String,
    url: String,
}

impl MysqlDatabase {
    /// Creates the database on the server of `base_url`, through a
    /// connection to `base_url` itself.
    pub fn create(base_url: &str) -> Result<Self, BoxError> {
        let mut admin = MysqlConnection::establish(base_url).map_err(|e| {
            format!(
                "cannot connect to MySQL at {} (set MYSQL_URL): {e}",
                redact_password(base_url)
            )
        })?;
        let name = format!("bench_{}_{}", std::process::id(), crate::unique_suffix());
        let url = with_database(base_url, &name).ok_or_else(|| {
            format!(
                "MYSQL_URL {} is not a mysql://.. URL",
                redact_password(base_url)
            )
        })?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let database = MysqlDatabase { admin, name, url };
        let mut conn = MysqlConnection::establish(&database.url)?;
        conn.run_pending_migrations(MYSQL_MIGRATIONS)?;
        Ok(database)
    }

    /// The URL of a connection to the database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for MysqlDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {}", self.name);
        if let Err(e) = self.admin.batch_execute(&drop) {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}

impl Dialect for MysqlConnection {
    const NAME: &'static str = "mysql";
    /// The protocol counts a prepared statement's parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    const BIGINT: &'static str = "SIGNED";

    fn write_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(f)
    }

    /// `TRUNCATE` also restarts `AUTO_INCREMENT` on MySQL and MariaDB.
    fn reset_table(&mut self) -> QueryResult<()> {
        self.batch_execute("TRUNCATE accounts")
    }

    fn after_seed(&mut self) -> QueryResult<()> {
        self.batch_execute("ANALYZE TABLE accounts")
    }

    /// Diesel's batch insert (one multi-row `INSERT` on MySQL), then
    /// `SELECT .. WHERE id >= LAST_INSERT_ID() ORDER BY id LIMIT n`: InnoDB
    /// gives the rows of one `INSERT` consecutive keys
    /// (`innodb_autoinc_lock_mode` 0 or 1, and 2 for simple inserts). Each
    /// row is checked against its record, as the hooked read-back does.
    /// `LAST_INSERT_ID()` is declared as a SQL function, so that Diesel
    /// keeps the `SELECT` prepared (an `sql(..)` fragment never is).
    fn insert_returning(&mut self, records: &[Account], style: Style) -> QueryResult<Vec<Account>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let inserted = Ordinary::insert(self, records, style)?;
        let rows: Vec<Account> = accounts::table
            .filter(accounts::id.ge(last_insert_id()))
            .order(accounts::id)
            .limit(i64::try_from(inserted).unwrap_or(i64::MAX))
            .select(Account::as_select())
            .load(self)?;
        let same = |row: &Account, record: &Account| {
            row.owner == record.owner
                && row.balance == record.balance
                && row.status == record.status
        };
        if rows.len() != records.len() || !rows.iter().zip(records).all(|(r, a)| same(r, a)) {
            return Err(DieselError::QueryBuilderError(
                "the rows read back after INSERT are not the rows inserted".into(),
            ));
        }
        Ok(rows)
    }

    /// `SELECT .. FOR UPDATE` of the rows, then the `DELETE` by key. MySQL
    /// has no `RETURNING`; MariaDB has `DELETE .. RETURNING`, but Diesel
    /// cannot load its rows: Diesel's MySQL connection sends every
    /// statement, `sql_query` too, as a prepared statement and asks for the
    /// result's columns right after preparing it, which MariaDB 10.11 does
    /// not give for a `DELETE` ("No metadata exists").
    fn delete_returning(&mut self, keys: &[i64], style: Style) -> QueryResult<Vec<Account>> {
        let olds = Statements::select_keys_locked(self, keys, style)?;
        self.delete_keys(keys, style)?;
        Ok(olds)
    }

    /// The filtered `UPDATE`, then the rows of `locked` read back by key,
    /// one `SELECT .. WHERE id IN (..)` per [`BIND_LIMIT`](Dialect::BIND_LIMIT)
    /// keys.
    fn freeze_active_returning(
        &mut self,
        at: NaiveDateTime,
        locked: &[i64],
        style: Style,
    ) -> QueryResult<Vec<Account>> {
        self.freeze_active(Some(at), style)?;
        let mut rows = Vec::with_capacity(locked.len());
        for part in locked.chunks(Self::BIND_LIMIT) {
            rows.extend(select_keys(self, part, style)?);
        }
        Ok(rows)
    }
}

impl SetUpdate for Mysql {
    /// MySQL has no `UPDATE .. FROM`; the careful user's shape is one
    /// `UPDATE accounts JOIN (SELECT ? AS vid, ? AS vbalance UNION ALL SELECT
    /// ?, ? ..) v ON accounts.id = v.vid SET ..` (binds per row).
    fn write_rows<Conn: Connection<Backend = Self>>(
        conn: &mut Conn,
        rows: &[(i64, i64)],
        at: NaiveDateTime,
        style: Style,
    ) -> QueryResult<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        const FIRST: &str = "SELECT ? AS vid, ? AS vbalance";
        const NEXT: &str = " UNION ALL SELECT ?, ?";
        const SET: &str = ") v ON accounts.id = v.vid \
             SET accounts.balance = v.vbalance, accounts.updated_at = ";
        match style {
            Style::Dsl => {
                let mut query = diesel::sql_query("UPDATE accounts JOIN (").into_boxed::<Mysql>();
                for (i, &(id, balance)) in rows.iter().enumerate() {
                    query = query
                        .sql(if i == 0 { FIRST } else { NEXT })
                        .bind::<BigInt, _>(id)
                        .bind::<BigInt, _>(balance);
                }
                query
                    .sql(SET)
                    .sql("?")
                    .bind::<Nullable<Timestamp>, _>(Some(at))
                    .execute(conn)
            }
            Style::Prepared => {
                let mut stmt = Stmt::<()>::new("UPDATE accounts JOIN (");
                for (i, &(id, balance)) in rows.iter().enumerate() {
                    stmt = stmt
                        .sql(if i == 0 {
                            "SELECT "
                        } else {
                            " UNION ALL SELECT "
                        })
                        .bind(Bind::Int(id))
                        .sql(if i == 0 { " AS vid, " } else { ", " })
                        .bind(Bind::Int(balance))
                        .sql(if i == 0 { " AS vbalance" } else { "" });
                }
                stmt.sql(SET).bind(Bind::Stamp(Some(at))).execute(conn)
            }
        }
    }
}

diesel::define_sql_function! {
    /// MySQL's `LAST_INSERT_ID()`: the first key the last `INSERT` generated.
    fn last_insert_id() -> BigInt;
}

/// `SELECT .. FROM accounts WHERE id IN (..) ORDER BY id`, without a lock
/// (the caller already holds one).
fn select_keys(
    conn: &mut MysqlConnection,
    keys: &[i64],
    style: Style,
) -> QueryResult<Vec<Account>> {
    match style {
        Style::Dsl => accounts::table
            .filter(accounts::id.eq_any(keys))
            .order(accounts::id)
            .select(Account::as_select())
            .load(conn),
        Style::Prepared => Stmt::<AccountSql>::new("SELECT ")
            .sql(SELECT_COLUMNS)
            .sql(" FROM accounts WHERE id IN (")
            .key_list(keys)
            .sql(") ORDER BY id")
            .load(conn),
    }
}
