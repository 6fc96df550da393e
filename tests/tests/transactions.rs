//! Transactions of a hooked connection: on-commit / on-rollback callbacks
//! with savepoint semantics, callback failures and panics, deferred hooks,
//! test-transaction helpers, dry runs, retries, transaction options, and
//! what happens when the database ends a transaction on its own.

/// Rows in `accounts`, read through `$conn`.
macro_rules! count_accounts {
    ($conn:expr) => {
        hooks_tests::schema::accounts::table
            .count()
            .get_result::<i64>($conn)
            .expect("count accounts")
    };
}

#[path = "transactions/callbacks.rs"]
mod callbacks;
#[path = "transactions/deferred.rs"]
mod deferred;
#[path = "transactions/dry_run.rs"]
mod dry_run;
#[path = "transactions/failures.rs"]
mod failures;
#[path = "transactions/isolation.rs"]
mod isolation;
#[path = "transactions/killed.rs"]
mod killed;
#[path = "transactions/retry.rs"]
mod retry;
#[path = "transactions/sqlite_write_lock.rs"]
mod sqlite_write_lock;

use diesel::connection::Connection;
use diesel::RunQueryDsl;
use hooks_diesel::hooks_core::BoxError;
use hooks_diesel::HookedConnection;
use hooks_tests::recorder::Seen;

/// Runs one statement of raw SQL.
pub fn exec<C>(conn: &mut C, sql: &str) -> usize
where
    C: Connection,
    C::Backend: diesel::backend::DieselReserveSpecialization,
{
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Inserts an account with raw SQL (no hooks involved).
pub fn add_account<C>(conn: &mut C, owner: &str, balance: i64)
where
    C: Connection,
    C::Backend: diesel::backend::DieselReserveSpecialization,
{
    exec(
        conn,
        &format!(
            "INSERT INTO accounts (owner, balance, status) VALUES ('{owner}', {balance}, 'active')"
        ),
    );
}

/// A callback that records `name` when it runs.
pub fn note<C: 'static>(
    seen: &Seen<&'static str>,
    name: &'static str,
) -> impl FnOnce(&mut HookedConnection<C>) -> Result<(), BoxError> + Send + 'static {
    let seen = seen.clone();
    move |_| {
        seen.push(name);
        Ok(())
    }
}

/// Diesel's sentinel for "roll this (nested) transaction back".
pub fn rollback<T>() -> Result<T, diesel::result::Error> {
    Err(diesel::result::Error::RollbackTransaction)
}
