//! The rows an `INSERT` wrote, read back on a backend without
//! `RETURNING` (MySQL): one way for the inserts the hooked operations send
//! and for the ordinary inserts interception re-sends. A statement lists
//! the rows whose keys it was given first (see `statement_order`); those
//! are read by their keys, and the rows after them, whose keys the
//! database generated, from `LAST_INSERT_ID()` (one statement's generated
//! keys are consecutive).

use diesel::connection::LoadConnection;
use diesel::QueryResult;

use super::{in_key_order, SelectInserted, Writable};
use crate::backend::HookBackend;
use hooks_core::{FieldSet, HookModel};

/// How the rows of one `INSERT` are read back: its first `given` rows by
/// the keys it gave them, the `generated` rows after them from
/// `LAST_INSERT_ID()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReadBack {
    pub given: usize,
    pub generated: usize,
}

impl ReadBack {
    /// The rows, in the statement's order: `by_key` reads the given ones
    /// (in their order); `check` sees the generated ones before they are
    /// taken for the statement's.
    pub(crate) fn load<M, C>(
        self,
        conn: &mut C,
        by_key: impl FnOnce(&mut C) -> QueryResult<Vec<M>>,
        check: impl FnOnce(&mut C, &[M]) -> QueryResult<()>,
    ) -> QueryResult<Vec<M>>
    where
        C: LoadConnection<Backend: HookBackend>,
        M: Writable<C::Backend>,
    {
        let mut rows = if self.given > 0 {
            by_key(conn)?
        } else {
            Vec::new()
        };
        if self.generated > 0 {
            if M::key_fields().count() != 1 {
                return Err(read_back_error::<M>(
                    "a composite key with generated parts cannot be read back without RETURNING",
                ));
            }
            let generated = M::load_framed(conn, &SelectInserted::<M>::new(self.generated))?;
            check(conn, &generated)?;
            rows.extend(generated);
        }
        Ok(rows)
    }
}

/// The rows just inserted from `records` (in the statement's order), in
/// that order: read by the keys the caller gave, and, for generated keys,
/// from `LAST_INSERT_ID()`. A key generated when unset takes both: the
/// records with a given key come first in the statement
/// (`statement_order`) and are read by key, the others by the range of
/// keys the statement generated. Each generated row is checked against its
/// record, so a read-back that went wrong is an error, never a silent
/// mix-up.
pub(crate) fn read_back_records<M, C>(conn: &mut C, records: &[&M]) -> QueryResult<Vec<M>>
where
    C: LoadConnection<Backend: HookBackend>,
    M: Writable<C::Backend>,
{
    let keys_given = M::FIELDS.iter().filter(|f| f.key).all(|f| f.insertable);
    let given = match (keys_given, M::KEY_GENERATED_WHEN_UNSET) {
        (true, false) => records.len(),
        (true, true) => records.iter().take_while(|r| r.has_key()).count(),
        (false, _) => 0,
    };
    let (with_keys, generated) = records.split_at(given);
    let read = ReadBack {
        given,
        generated: generated.len(),
    };
    let by_key = |conn: &mut C| {
        // The keys the caller gave identify the rows.
        let keys: Vec<M::Key> = with_keys.iter().map(|r| r.key()).collect();
        in_key_order(&keys, M::select_keys(conn, &keys, false)?)
            .map_err(|_| read_back_error::<M>("rows inserted by key are missing"))
    };
    read.load(conn, by_key, |conn, rows| {
        check_generated(conn, generated, rows)
    })
}

/// Whether `rows`, read from `LAST_INSERT_ID()`, are those of `records`,
/// the statement's last records, the only ones whose keys it generated.
fn check_generated<M, C>(conn: &mut C, records: &[&M], rows: &[M]) -> QueryResult<()>
where
    C: LoadConnection<Backend: HookBackend>,
    M: HookModel,
{
    // The values written: the insertable fields but the key, generated.
    let written = M::FIELDS
        .iter()
        .enumerate()
        .filter(|(_, f)| f.insertable && !f.key)
        .fold(FieldSet::EMPTY, |set, (i, _)| set.with(i));
    let same = rows
        .iter()
        .zip(records)
        .all(|(row, record)| row.diff(record).intersection(written).is_empty());
    // Rows equal to the records are the records'. Rows that differ may
    // only be stored with less precision (a timestamp's nanoseconds): they
    // are still the statement's when the server gives one INSERT
    // consecutive keys, which it says.
    if rows.len() == records.len()
        && (same || <C::Backend as HookBackend>::consecutive_auto_increment(conn)?)
    {
        Ok(())
    } else {
        Err(read_back_error::<M>(
            "the rows read back after INSERT are not the rows inserted \
             (are auto-increment values interleaved? set innodb_autoinc_lock_mode to 0 or 1)",
        ))
    }
}

/// A read-back that failed, naming the model.
fn read_back_error<M: HookModel>(why: &str) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(format!("{}: {why}", M::MODEL).into())
}
