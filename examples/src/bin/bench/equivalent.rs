//! The equivalent variant: plain Diesel that obtains what the hooks
//! receive, in one write transaction per phase, written as a careful Diesel
//! user would. The difference between hooked and equivalent is the cost of
//! the hook machinery itself.
//!
//! - `bulk_create`: one `INSERT .. RETURNING` per chunk (the stored rows);
//!   on MySQL, which has no `RETURNING`, Diesel's multi-row `INSERT` and a
//!   `SELECT` of the `LAST_INSERT_ID()` key range.
//! - `bulk_update`: per chunk, one `SELECT .. FOR UPDATE` of the old rows
//!   (plain `SELECT` inside `BEGIN IMMEDIATE` on SQLite), the changed
//!   records found by comparing with them, `updated_at` stamped, and one
//!   set-based `UPDATE` of the changed rows in each backend's best shape
//!   (see [`SetUpdate`]), fetching and binding what the hooked
//!   `bulk_update` does: the whole old rows, then the keys and balances per
//!   row and the one stamp; the new rows are the records written. Like the
//!   hooked `bulk_update`, it gets all N records and finds the changed ones
//!   itself.
//! - `queryset_update`: one `SELECT .. FOR UPDATE` of the matching rows,
//!   one `UPDATE .. RETURNING` that also stamps `updated_at` (on MySQL the
//!   filtered `UPDATE` and a `SELECT` of the locked keys).
//! - `bulk_delete`: only the AFTER_DELETE hook needs the old rows, so one
//!   `DELETE .. WHERE id IN (..) RETURNING ..` per chunk (`= ANY($1)` on
//!   PostgreSQL; MariaDB has it too); on MySQL, which has no `RETURNING`,
//!   one `SELECT .. FOR UPDATE` of the rows by key and one `DELETE` by key.
//!
//! The hook bodies (reject negative balances, count, stamp `updated_at`)
//! are done inline, and new rows are paired with their old rows by key, as
//! the hooks receive them. Written in two [`Style`]s: Diesel's query
//! builder and `sql_query` (`equiv`), and with every statement prepared
//! once (`equiv_prep`).
//!
//! [`SetUpdate`]: crate::prepared::SetUpdate

use std::collections::HashMap;

use hooks_examples::models::Account;

use crate::phases::Input;
use crate::statements::{rows_per_statement, Statements, Style};
use crate::workload::now;
use crate::BoxError;

/// Insertable columns of `accounts`.
const INSERT_BINDS: usize = 4;
/// Binds per row of the set-based update: key and balance.
const UPDATE_BINDS: usize = 2;

/// Runs one phase; returns rows it obtained (dropped by the caller after
/// the clock stops).
pub fn run<C: Statements>(
    conn: &mut C,
    input: Input<'_>,
    chunk: usize,
    style: Style,
) -> Result<Vec<Account>, BoxError> {
    match input {
        Input::Create(records) => create(conn, records, chunk, style),
        Input::Update { records, .. } => update(conn, records, chunk, style),
        Input::Freeze => freeze(conn, style),
        Input::Delete(records) => delete(conn, records, chunk, style),
    }
}

fn create<C: Statements>(
    conn: &mut C,
    records: Vec<Account>,
    chunk: usize,
    style: Style,
) -> Result<Vec<Account>, BoxError> {
    let rows = rows_per_statement::<C>(chunk, INSERT_BINDS);
    conn.write_transaction(|conn| {
        let mut stored = Vec::with_capacity(records.len());
        for part in records.chunks(rows) {
            if let Some(bad) = part.iter().find(|a| a.balance < 0) {
                return Err(format!("{} has a negative balance", bad.owner).into());
            }
            stored.extend(conn.insert_returning(part, style)?);
        }
        Ok(stored)
    })
}

fn update<C: Statements>(
    conn: &mut C,
    records: Vec<Account>,
    chunk: usize,
    style: Style,
) -> Result<Vec<Account>, BoxError> {
    let rows = rows_per_statement::<C>(chunk, UPDATE_BINDS);
    conn.write_transaction(|conn| {
        let mut written = Vec::new();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let part: Vec<Account> = records.by_ref().take(rows).collect();
            let keys: Vec<i64> = part.iter().map(|a| a.id).collect();
            let mut olds = by_key(conn.select_keys_locked(&keys, style)?);
            if olds.len() != keys.len() {
                return Err(format!(
                    "{} of {} rows vanished",
                    keys.len() - olds.len(),
                    keys.len()
                )
                .into());
            }
            let at = now();
            let mut changed: Vec<Account> = part
                .into_iter()
                .filter(|record| olds.get(&record.id) != Some(record))
                .collect();
            changed.iter_mut().for_each(|a| a.updated_at = Some(at));
            let rows: Vec<(i64, i64)> = changed.iter().map(|a| (a.id, a.balance)).collect();
            let matched = conn.update_rows(&rows, at, style)?;
            if matched != changed.len() {
                return Err(format!("UPDATE matched {matched} of {} rows", changed.len()).into());
            }
            let pairs = pair(changed, &mut olds)?;
            std::hint::black_box(balance_changes(&pairs));
            written.extend(pairs.into_iter().map(|(new, _)| new));
        }
        Ok(written)
    })
}

fn freeze<C: Statements>(conn: &mut C, style: Style) -> Result<Vec<Account>, BoxError> {
    conn.write_transaction(|conn| {
        let locked = conn.select_active_locked()?;
        let keys: Vec<i64> = locked.iter().map(|a| a.id).collect();
        let mut olds = by_key(locked);
        let news = conn.freeze_active_returning(now(), &keys, style)?;
        let pairs = pair(news, &mut olds)?;
        std::hint::black_box(balance_changes(&pairs));
        Ok(pairs.into_iter().map(|(new, _)| new).collect())
    })
}

fn delete<C: Statements>(
    conn: &mut C,
    records: &[Account],
    chunk: usize,
    style: Style,
) -> Result<Vec<Account>, BoxError> {
    let rows = rows_per_statement::<C>(chunk, 1);
    conn.write_transaction(|conn| {
        let mut deleted = Vec::with_capacity(records.len());
        for part in records.chunks(rows) {
            let keys: Vec<i64> = part.iter().map(|a| a.id).collect();
            let olds = conn.delete_returning(&keys, style)?;
            if olds.len() != keys.len() {
                return Err(format!("{} keys: {} rows deleted", keys.len(), olds.len()).into());
            }
            std::hint::black_box(olds.len());
            deleted.extend(olds);
        }
        Ok(deleted)
    })
}

fn by_key(rows: Vec<Account>) -> HashMap<i64, Account> {
    rows.into_iter().map(|a| (a.id, a)).collect()
}

/// Each new row beside its old row (moved out of `olds`).
fn pair(
    news: Vec<Account>,
    olds: &mut HashMap<i64, Account>,
) -> Result<Vec<(Account, Account)>, BoxError> {
    news.into_iter()
        .map(|new| match olds.remove(&new.id) {
            Some(old) => Ok((new, old)),
            None => Err(format!("row {} was written but not read first", new.id).into()),
        })
        .collect()
}

/// What the AFTER_UPDATE hook's condition selects.
fn balance_changes(pairs: &[(Account, Account)]) -> usize {
    pairs
        .iter()
        .filter(|(new, old)| new.balance != old.balance)
        .count()
}
