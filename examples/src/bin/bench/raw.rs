//! The raw variant: what a careful Diesel user writes when no hook needs
//! the rows. One multi-row `INSERT` per chunk (on SQLite, Diesel's batch
//! insert sends one `INSERT` per record inside a transaction: that is what
//! a Diesel user gets), one `UPDATE` per changed row, one filtered `UPDATE`,
//! one filtered `DELETE`. Every write that changes rows also stamps
//! `updated_at`, so that all variants leave the same table behind.

use hooks_examples::models::Account;

use crate::phases::Input;
use crate::statements::{rows_per_statement, Statements};
use crate::workload::now;
use crate::BoxError;

/// Insertable columns of `accounts`.
const INSERT_BINDS: usize = 4;

/// Runs one phase; returns the input records (dropped by the caller after
/// the clock stops).
pub fn run<C: Statements>(
    conn: &mut C,
    input: Input<'_>,
    chunk: usize,
) -> Result<Vec<Account>, BoxError> {
    match input {
        Input::Create(records) => {
            insert_all(conn, &records, chunk)?;
            Ok(records)
        }
        Input::Update { records, changed } => {
            let at = now();
            conn.transaction(|conn| {
                for &i in changed {
                    let record = &records[i];
                    conn.update_balance(record.id, record.balance, at)?;
                }
                diesel::QueryResult::Ok(())
            })?;
            Ok(records)
        }
        Input::Freeze => {
            conn.freeze_active(now())?;
            Ok(Vec::new())
        }
        Input::Delete(records) => {
            let first = records.iter().map(|a| a.id).min().unwrap_or(0);
            let last = records.iter().map(|a| a.id).max().unwrap_or(0);
            conn.delete_range(first, last)?;
            Ok(Vec::new())
        }
    }
}

/// Inserts `records`, one statement per chunk, in one transaction (also
/// used to seed the table between measurements).
pub fn insert_all<C: Statements>(
    conn: &mut C,
    records: &[Account],
    chunk: usize,
) -> diesel::QueryResult<()> {
    let rows = rows_per_statement::<C>(chunk, INSERT_BINDS);
    conn.transaction(|conn| {
        for part in records.chunks(rows) {
            conn.insert(part)?;
        }
        Ok(())
    })
}
