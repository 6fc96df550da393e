//! The raw variant: what a careful Diesel user writes when no hook needs
//! the rows. One multi-row `INSERT` per chunk, one set-based `UPDATE` per
//! chunk of the changed rows ([`SetUpdate`]: `UPDATE .. FROM unnest(..)`
//! on PostgreSQL, a `VALUES` list on SQLite, a `UNION ALL` join on MySQL),
//! one filtered `UPDATE`, one `DELETE` by key list per chunk, each phase in
//! one transaction. The `UPDATE` per changed row that a plain loop sends is
//! measured too, as the extra column `raw_loop` ([`update_each`]). Every write that changes rows also stamps
//! `updated_at`, so that all variants leave the same table behind. Written
//! in two [`Style`]s: Diesel's query builder (`raw`), and with every
//! statement prepared once (`raw_prep`).
//!
//! The same statements run through a `HookedConnection` measure what the
//! connection costs a table without hooks.
//!
//! [`SetUpdate`]: crate::prepared::SetUpdate

use hooks_examples::models::Account;

use crate::phases::Input;
use crate::statements::{rows_within, Ordinary, Style};
use crate::workload::now;
use crate::BoxError;

/// Insertable columns of `accounts`.
const INSERT_BINDS: usize = 4;
/// Binds per row of the set-based update (key and balance; none per row
/// on PostgreSQL, which binds arrays, but the same rows per chunk).
const UPDATE_BINDS: usize = 2;

/// Runs one phase; returns the input records (dropped by the caller after
/// the clock stops). `bind_limit` is the backend's.
pub fn run(
    conn: &mut dyn Ordinary,
    input: Input<'_>,
    chunk: usize,
    bind_limit: usize,
    style: Style,
) -> Result<Vec<Account>, BoxError> {
    match input {
        Input::Create(records) => {
            insert_all(conn, &records, chunk, bind_limit, style)?;
            Ok(records)
        }
        Input::Update { records, changed } => {
            let at = now();
            let rows = rows_within(chunk, bind_limit, UPDATE_BINDS);
            conn.in_transaction(&mut |conn| {
                for part in changed.chunks(rows) {
                    let rows: Vec<(i64, i64)> = part
                        .iter()
                        .map(|&i| (records[i].id, records[i].balance))
                        .collect();
                    let matched = conn.update_rows(&rows, at, style)?;
                    if matched != rows.len() {
                        return Err(diesel::result::Error::QueryBuilderError(
                            format!("UPDATE matched {matched} of {} rows", rows.len()).into(),
                        ));
                    }
                }
                Ok(())
            })?;
            Ok(records)
        }
        Input::Freeze => {
            conn.freeze_active(Some(now()), style)?;
            Ok(Vec::new())
        }
        Input::Delete(records) => {
            delete_all(conn, records, chunk, bind_limit, style)?;
            Ok(Vec::new())
        }
    }
}

/// The per-row loop (`raw_loop`): one `UPDATE accounts SET balance = ?,
/// updated_at = ? WHERE id = ?` per changed record, in one transaction.
pub fn update_each(
    conn: &mut dyn Ordinary,
    records: &[Account],
    changed: &[usize],
    style: Style,
) -> Result<(), BoxError> {
    let at = now();
    conn.in_transaction(&mut |conn| {
        for &i in changed {
            let record = &records[i];
            conn.update_balance(record.id, record.balance, at, style)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Inserts `records`, one statement per chunk, in one transaction (also
/// used to seed the table between measurements).
pub fn insert_all(
    conn: &mut dyn Ordinary,
    records: &[Account],
    chunk: usize,
    bind_limit: usize,
    style: Style,
) -> diesel::QueryResult<()> {
    let rows = rows_within(chunk, bind_limit, INSERT_BINDS);
    conn.in_transaction(&mut |conn| {
        for part in records.chunks(rows) {
            conn.insert(part, style)?;
        }
        Ok(())
    })
}

/// Deletes the rows of `records` by key, one statement per chunk, in one
/// transaction.
pub fn delete_all(
    conn: &mut dyn Ordinary,
    records: &[Account],
    chunk: usize,
    bind_limit: usize,
    style: Style,
) -> diesel::QueryResult<()> {
    let rows = rows_within(chunk, bind_limit, 1);
    conn.in_transaction(&mut |conn| {
        for part in records.chunks(rows) {
            let keys: Vec<i64> = part.iter().map(|a| a.id).collect();
            conn.delete_keys(&keys, style)?;
        }
        Ok(())
    })
}
