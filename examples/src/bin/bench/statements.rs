//! Every statement the benchmark sends, behind two traits implemented for
//! each concrete connection type (`SqliteConnection`, `PgConnection`,
//! `MysqlConnection`), so that the variants and the runner are written
//! once, generically.
//!
//! Diesel's statement types are concrete per backend (`RETURNING` does not
//! exist on MySQL, `FOR UPDATE` does not exist on SQLite), so the shared
//! statements are written once in a macro and instantiated per connection
//! type; what genuinely differs lives in each backend's [`Dialect`] impl.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::{MysqlConnection, PgConnection, QueryResult, SqliteConnection};
use hooks_diesel::{HookedConnection, InnerConnection};
use hooks_examples::models::Account;
use hooks_examples::schema::accounts;

use crate::prepared::{AccountSql, Bind, KeyIn, SetUpdate, Stmt};
use crate::workload::{fingerprint_sql, Fingerprint, ACTIVE, FROZEN};

/// What differs between backends, written by hand in `sqlite.rs`,
/// `postgres.rs` and `mysql.rs`.
pub trait Dialect: InnerConnection + Sized {
    /// The backend's name in the output.
    const NAME: &'static str;
    /// The most bind parameters one statement may carry.
    const BIND_LIMIT: usize;
    /// The type `CAST(.. AS <type>)` takes for a 64-bit integer (`BIGINT`;
    /// `SIGNED` on MySQL).
    const BIGINT: &'static str;

    /// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (the
    /// write lock taken up front, as the hooked operations do), `BEGIN` on
    /// PostgreSQL and MySQL (rows are locked with `FOR UPDATE`).
    fn write_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Empties `accounts` and restarts its key sequence, so that every
    /// variant creates the same keys.
    fn reset_table(&mut self) -> QueryResult<()>;

    /// Runs after the table was seeded (statistics for the planner).
    fn after_seed(&mut self) -> QueryResult<()>;

    /// Inserts `records` with one statement and returns the rows as stored,
    /// in order: `INSERT .. RETURNING`, or on MySQL the `INSERT` and a
    /// `SELECT` of the keys from `LAST_INSERT_ID()` on.
    fn insert_returning(&mut self, records: &[Account], style: Style) -> QueryResult<Vec<Account>>;

    /// `UPDATE accounts SET status = 'frozen', updated_at = ? WHERE status =
    /// 'active'`, returning the rows as stored: with `RETURNING`, or on MySQL
    /// by reading back `locked`, the keys of the active rows the caller
    /// locked first.
    fn freeze_active_returning(
        &mut self,
        at: NaiveDateTime,
        locked: &[i64],
        style: Style,
    ) -> QueryResult<Vec<Account>>;

    /// `DELETE FROM accounts WHERE id IN (..) RETURNING ..` (`= ANY($1)` on
    /// PostgreSQL): the old rows in the statement that deletes them, what a
    /// careful user writes when only AFTER hooks need them.
    fn delete_returning(&mut self, keys: &[i64], style: Style) -> QueryResult<Vec<Account>>;
}

/// How a baseline writes its statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Diesel's query builder and `sql_query`, as most Diesel code is
    /// written. Diesel keeps the prepared statement of a query with a
    /// static query id (`find`, `filter(..eq(..))`, batch inserts of
    /// fixed-size arrays, `eq_any` on PostgreSQL) and prepares anew, every
    /// time, `diesel::update(..)`, `sql_query`, `sql(..)` fragments and
    /// `eq_any` lists of `?` on SQLite and MySQL.
    Dsl,
    /// Every statement prepared once per connection: the statements the
    /// query builder does not cache are written by hand as query fragments
    /// ([`crate::prepared`]), as a Diesel user who wants statement reuse
    /// writes them.
    Prepared,
}

/// The ordinary Diesel writes of the workload, sent through a bare
/// connection (raw variant) or through a `HookedConnection` (the `diesel`
/// variant, and the cost of a hooked connection for tables without hooks).
pub trait Ordinary {
    /// `INSERT INTO accounts (..) VALUES (..), (..)`: one statement on every
    /// backend, since [`AccountRow`] binds `NULL` rather than `DEFAULT`.
    fn insert(&mut self, records: &[Account], style: Style) -> QueryResult<usize>;
    /// `UPDATE accounts SET balance = ?, updated_at = ? WHERE id = ?`.
    fn update_balance(
        &mut self,
        id: i64,
        balance: i64,
        at: NaiveDateTime,
        style: Style,
    ) -> QueryResult<usize>;
    /// `UPDATE accounts SET status = 'frozen'[, updated_at = ?] WHERE status =
    /// 'active'` (without the stamp when hooks stamp it).
    fn freeze_active(&mut self, at: Option<NaiveDateTime>, style: Style) -> QueryResult<usize>;
    /// One set-based `UPDATE` of each `(id, balance)` row's balance and
    /// the stamp `at` ([`SetUpdate`]).
    fn update_rows(
        &mut self,
        rows: &[(i64, i64)],
        at: NaiveDateTime,
        style: Style,
    ) -> QueryResult<usize>;
    /// `DELETE FROM accounts WHERE id IN (..)` (`= ANY($1)` on PostgreSQL).
    fn delete_keys(&mut self, keys: &[i64], style: Style) -> QueryResult<usize>;
    /// Runs `f` in a transaction (Diesel's `transaction`).
    fn in_transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Ordinary) -> QueryResult<()>,
    ) -> QueryResult<()>;
}

/// An `accounts` row to insert as an expert writes it: `None` is bound as
/// `NULL`, so that a batch is one statement on SQLite too (Diesel sends one
/// `INSERT` per record when a value may be `DEFAULT`).
#[derive(Insertable)]
#[diesel(table_name = accounts, treat_none_as_default_value = false)]
pub struct AccountRow<'a> {
    owner: &'a str,
    balance: i64,
    status: &'a str,
    updated_at: Option<NaiveDateTime>,
}

impl<'a> From<&'a Account> for AccountRow<'a> {
    fn from(a: &'a Account) -> Self {
        AccountRow {
            owner: &a.owner,
            balance: a.balance,
            status: &a.status,
            updated_at: a.updated_at,
        }
    }
}

/// `INSERT INTO accounts (owner, balance, status, updated_at) VALUES (?, ?,
/// ?, ?), ..`, written by hand: the statement Diesel's batch insert writes,
/// kept prepared (Diesel caches a batch insert only of a fixed-size array
/// of rows that own their values, which would mean copying every record).
pub fn insert_values<ST>(records: &[Account]) -> Stmt<'_, ST> {
    let mut stmt = Stmt::new("INSERT INTO accounts (owner, balance, status, updated_at) VALUES ");
    for (i, a) in records.iter().enumerate() {
        stmt = stmt
            .sql(if i == 0 { "(" } else { ", (" })
            .bind(Bind::Text(&a.owner))
            .sql(", ")
            .bind(Bind::Int(a.balance))
            .sql(", ")
            .bind(Bind::Text(&a.status))
            .sql(", ")
            .bind(Bind::Stamp(a.updated_at))
            .sql(")");
    }
    stmt
}

/// The columns of `accounts`, in the order of `Account` (and of
/// [`crate::prepared::AccountSql`]).
pub const SELECT_COLUMNS: &str = "id, owner, balance, status, updated_at";

/// Implements [`Ordinary`] for a connection type.
macro_rules! impl_ordinary {
    ($($conn:ty),*) => {$(
        impl Ordinary for $conn {
            fn insert(&mut self, records: &[Account], style: Style) -> QueryResult<usize> {
                match style {
                    Style::Dsl => {
                        let rows: Vec<AccountRow<'_>> =
                            records.iter().map(AccountRow::from).collect();
                        diesel::insert_into(accounts::table).values(&rows).execute(self)
                    }
                    Style::Prepared => insert_values::<()>(records).execute(self),
                }
            }

            fn update_balance(
                &mut self,
                id: i64,
                balance: i64,
                at: NaiveDateTime,
                style: Style,
            ) -> QueryResult<usize> {
                match style {
                    Style::Dsl => diesel::update(accounts::table.find(id))
                        .set((
                            accounts::balance.eq(balance),
                            accounts::updated_at.eq(Some(at)),
                        ))
                        .execute(self),
                    Style::Prepared => Stmt::<()>::new("UPDATE accounts SET balance = ")
                        .bind(Bind::Int(balance))
                        .sql(", updated_at = ")
                        .bind(Bind::Stamp(Some(at)))
                        .sql(" WHERE id = ")
                        .bind(Bind::Int(id))
                        .execute(self),
                }
            }

            fn freeze_active(
                &mut self,
                at: Option<NaiveDateTime>,
                style: Style,
            ) -> QueryResult<usize> {
                let active = accounts::table.filter(accounts::status.eq(ACTIVE));
                match (style, at) {
                    (Style::Dsl, Some(at)) => diesel::update(active)
                        .set((
                            accounts::status.eq(FROZEN),
                            accounts::updated_at.eq(Some(at)),
                        ))
                        .execute(self),
                    (Style::Dsl, None) => diesel::update(active)
                        .set(accounts::status.eq(FROZEN))
                        .execute(self),
                    (Style::Prepared, at) => {
                        let mut stmt = Stmt::<()>::new("UPDATE accounts SET status = ")
                            .bind(Bind::Text(FROZEN));
                        if let Some(at) = at {
                            stmt = stmt.sql(", updated_at = ").bind(Bind::Stamp(Some(at)));
                        }
                        stmt.sql(" WHERE status = ")
                            .bind(Bind::Text(ACTIVE))
                            .execute(self)
                    }
                }
            }

            fn update_rows(
                &mut self,
                rows: &[(i64, i64)],
                at: NaiveDateTime,
                style: Style,
            ) -> QueryResult<usize> {
                <<$conn as Connection>::Backend as SetUpdate>::write_rows(self, rows, at, style)
            }

            fn delete_keys(&mut self, keys: &[i64], style: Style) -> QueryResult<usize> {
                match style {
                    Style::Dsl => diesel::delete(accounts::table.filter(accounts::id.eq_any(keys)))
                        .execute(self),
                    Style::Prepared => <<$conn as Connection>::Backend as KeyIn>::key_in(
                        Stmt::<()>::new("DELETE FROM accounts WHERE id"),
                        keys,
                    )
                    .execute(self),
                }
            }

            fn in_transaction(
                &mut self,
                f: &mut dyn FnMut(&mut dyn Ordinary) -> QueryResult<()>,
            ) -> QueryResult<()> {
                self.transaction(|conn| f(conn))
            }
        }
    )*};
}

impl_ordinary!(
    SqliteConnection,
    PgConnection,
    MysqlConnection,
    HookedConnection<SqliteConnection>,
    HookedConnection<PgConnection>,
    HookedConnection<MysqlConnection>
);

/// The statements shared by every backend, and the hooked operations.
pub trait Statements: Dialect + Ordinary {
    /// The ordinary writes, sent through a hooked connection.
    fn through(conn: &mut HookedConnection<Self>) -> &mut dyn Ordinary;

    /// Every row, in key order.
    fn load_all(&mut self) -> QueryResult<Vec<Account>>;
    /// A summary of the table.
    fn fingerprint(&mut self) -> QueryResult<Fingerprint>;

    /// The rows with `keys`, in key order, locked where the backend can.
    fn select_keys_locked(&mut self, keys: &[i64], style: Style) -> QueryResult<Vec<Account>>;
    /// The active rows, in key order, locked where the backend can.
    fn select_active_locked(&mut self) -> QueryResult<Vec<Account>>;

    /// A registry whose only hook is on another table (`audit_log`).
    fn other_table_hooks() -> hooks_diesel::Registry<HookedConnection<Self>>;

    /// The workload's hooks for this connection type.
    fn hooks(
        counts: &std::sync::Arc<crate::hooked::HookCounts>,
    ) -> hooks_diesel::Registry<HookedConnection<Self>>;

    /// `HookedConnection::bulk_create`.
    fn hooked_create(
        conn: &mut HookedConnection<Self>,
        records: Vec<Account>,
    ) -> hooks_diesel::Result<Vec<Account>>;
    /// `HookedConnection::bulk_update`, fields auto-detected.
    fn hooked_update(
        conn: &mut HookedConnection<Self>,
        records: Vec<Account>,
    ) -> hooks_diesel::Result<Vec<Account>>;
    /// `HookedConnection::update_where_count`: active accounts frozen.
    fn hooked_freeze(conn: &mut HookedConnection<Self>) -> hooks_diesel::Result<usize>;
    /// `HookedConnection::bulk_delete`.
    fn hooked_delete(
        conn: &mut HookedConnection<Self>,
        records: &[Account],
    ) -> hooks_diesel::Result<usize>;
}

/// The SQL of a lock clause.
macro_rules! lock_sql {
    (for_update) => {
        " FOR UPDATE"
    };
}

/// Implements [`Statements`] for a connection type; `lock = for_update`
/// adds `FOR UPDATE` to the selects of rows about to change.
macro_rules! impl_statements {
    ($conn:ty $(, lock = $lock:ident)?) => {
        impl Statements for $conn {
            fn through(conn: &mut HookedConnection<Self>) -> &mut dyn Ordinary {
                conn
            }

            fn other_table_hooks() -> hooks_diesel::Registry<HookedConnection<Self>> {
                hooks_diesel::Registry::new().with(hooks_diesel::Hook::after_create(
                    |_, _: &hooks_diesel::Batch<hooks_examples::models::AuditEntry>| Ok(()),
                ))
            }

            fn hooks(
                counts: &std::sync::Arc<crate::hooked::HookCounts>,
            ) -> hooks_diesel::Registry<HookedConnection<Self>> {
                crate::hooked::registry::<Self>(counts)
            }

            fn load_all(&mut self) -> QueryResult<Vec<Account>> {
                accounts::table
                    .order(accounts::id)
                    .select(Account::as_select())
                    .load(self)
            }

            fn fingerprint(&mut self) -> QueryResult<Fingerprint> {
                diesel::sql_query(fingerprint_sql(Self::BIGINT)).get_result(self)
            }

            fn select_keys_locked(
                &mut self,
                keys: &[i64],
                style: Style,
            ) -> QueryResult<Vec<Account>> {
                match style {
                    Style::Dsl => accounts::table
                        .filter(accounts::id.eq_any(keys))
                        .order(accounts::id)
                        .select(Account::as_select())
                        $(.$lock())?
                        .load(self),
                    Style::Prepared => {
                        let select = Stmt::<AccountSql>::new("SELECT ")
                            .sql(SELECT_COLUMNS)
                            .sql(" FROM accounts WHERE id");
                        <<Self as Connection>::Backend as KeyIn>::key_in(select, keys)
                            .sql(" ORDER BY id")
                            $(.sql(lock_sql!($lock)))?
                            .load(self)
                    }
                }
            }

            fn select_active_locked(&mut self) -> QueryResult<Vec<Account>> {
                accounts::table
                    .filter(accounts::status.eq(ACTIVE))
                    .order(accounts::id)
                    .select(Account::as_select())
                    $(.$lock())?
                    .load(self)
            }

            // The hooked operations are never inlined, so that a profiler
            // can collect exactly one phase's calls
            // (`valgrind --tool=callgrind --toggle-collect='*::hooked_update'`).
            #[inline(never)]
            fn hooked_create(
                conn: &mut HookedConnection<Self>,
                records: Vec<Account>,
            ) -> hooks_diesel::Result<Vec<Account>> {
                conn.bulk_create(records)
            }

            #[inline(never)]
            fn hooked_update(
                conn: &mut HookedConnection<Self>,
                records: Vec<Account>,
            ) -> hooks_diesel::Result<Vec<Account>> {
                conn.bulk_update(records).map(Vec::from)
            }

            #[inline(never)]
            fn hooked_freeze(conn: &mut HookedConnection<Self>) -> hooks_diesel::Result<usize> {
                conn.update_where_count::<Account>(
                    accounts::status.eq(ACTIVE),
                    accounts::status.eq(FROZEN),
                )
            }

            #[inline(never)]
            fn hooked_delete(
                conn: &mut HookedConnection<Self>,
                records: &[Account],
            ) -> hooks_diesel::Result<usize> {
                conn.bulk_delete(records)
            }
        }
    };
}

impl_statements!(SqliteConnection);
impl_statements!(PgConnection, lock = for_update);
impl_statements!(MysqlConnection, lock = for_update);

/// Rows per statement: `chunk`, lowered so that `binds_per_row` binds per
/// row stay within the backend's limit.
pub fn rows_per_statement<C: Dialect>(chunk: usize, binds_per_row: usize) -> usize {
    rows_within(chunk, C::BIND_LIMIT, binds_per_row)
}

/// Rows per statement: `chunk`, lowered so that `binds_per_row` binds per
/// row stay within `bind_limit`.
pub fn rows_within(chunk: usize, bind_limit: usize, binds_per_row: usize) -> usize {
    chunk.min(bind_limit / binds_per_row.max(1)).max(1)
}
