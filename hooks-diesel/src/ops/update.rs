//! Hooked bulk update of records.

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::ops::run::{check_keys, rows_in_order};
use crate::query::{key_binds, Writable};
use crate::written::Written;
use hooks_core::{ChangeSet, Event, FieldKey, FieldSet, Operation};

/// Which fields an update writes.
#[derive(Clone, Copy)]
pub(crate) enum Fields {
    /// Those that differ from the stored row.
    Detect,
    /// Those named (plus any a BEFORE hook edits).
    Named(FieldSet),
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Updates `records`, writing only the fields that differ from the
    /// stored rows; returns the records as written, in the same order.
    ///
    /// The stored rows are read (and locked) in one `SELECT` per chunk and
    /// hooks receive them as `old`. Records equal to their stored row are
    /// neither written nor shown to hooks. Fields edited by BEFORE_UPDATE
    /// hooks are written too. Each chunk is one `UPDATE` carrying per-row
    /// values of the changed columns.
    ///
    /// Fails, writing nothing, on records without a key, keys given twice,
    /// or keys with no row (the error names them).
    pub fn bulk_update<M: Writable<C::Backend>>(&mut self, records: Vec<M>) -> Result<Written<M>> {
        self.update_records(records, Fields::Detect)
    }

    /// Like [`bulk_update`](Self::bulk_update), but compares and writes only
    /// the `fields` named (plus fields BEFORE_UPDATE hooks edit).
    ///
    /// Every other field keeps its stored value, also where the caller's
    /// record holds another: hooks receive, and the call returns, each
    /// record as its row is (or will be) stored, never a value that is not
    /// written. A record whose named fields equal the stored row is not
    /// written and comes back as stored.
    pub fn bulk_update_fields<M: Writable<C::Backend>>(
        &mut self,
        records: Vec<M>,
        fields: &[FieldKey<M>],
    ) -> Result<Written<M>> {
        let named: FieldSet = fields.iter().copied().collect();
        let keys = named.intersection(M::key_set());
        if !keys.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: the key field(s) {:?} cannot be updated; name only non-key fields",
                M::MODEL,
                keys.names::<M>().collect::<Vec<_>>()
            )));
        }
        if named.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: bulk_update_fields needs at least one field to write",
                M::MODEL
            )));
        }
        self.update_records(records, Fields::Named(named))
    }

    pub(crate) fn update_records<M: Writable<C::Backend>>(
        &mut self,
        records: Vec<M>,
        fields: Fields,
    ) -> Result<Written<M>> {
        if records.is_empty() {
            return Ok(Written::new(records, Vec::new()));
        }
        let keys = check_keys(&records, Operation::Update)?;
        let total = records.len();
        self.hooked::<M, _>(Operation::Update, total, |conn, run| {
            let chunk = run.chunk_len(key_binds::<M>() + M::FIELDS.len());
            let mut written = Vec::with_capacity(total);
            let mut positions = Vec::new();
            let mut records = records.into_iter();
            for keys in keys.chunks(chunk) {
                let part: Vec<M> = records.by_ref().take(keys.len()).collect();
                let offset = written.len();
                let (rows, wrote) = conn.update_chunk(run, part, keys, offset, fields)?;
                written.extend(rows);
                positions.extend(wrote.into_iter().map(|p| offset + p));
                conn.progress::<M>(Operation::Update, written.len(), Some(total));
            }
            Ok(Written::new(written, positions))
        })
    }

    fn update_chunk<M: Writable<C::Backend>>(
        &mut self,
        run: &crate::ops::Run<C>,
        part: Vec<M>,
        keys: &[M::Key],
        offset: usize,
        fields: Fields,
    ) -> Result<(Vec<M>, Vec<usize>)> {
        let olds = rows_in_order(keys, M::select_keys(self.inner_mut(), keys, true)?)?;
        let not_keys = M::all_fields().difference(M::key_set());
        let mut out: Vec<Option<M>> = Vec::with_capacity(part.len());
        let (mut news, mut old_rows, mut positions) = (vec![], vec![], vec![]);
        for (i, (record, old)) in part.into_iter().zip(olds).enumerate() {
            let record = match fields {
                Fields::Detect => record,
                // Only the named fields are written: everything else is
                // what is stored, for hooks and for the caller alike.
                Fields::Named(named) => {
                    let mut stored = old.clone();
                    stored.copy_fields(&record, named);
                    stored
                }
            };
            if record.diff(&old).intersection(not_keys).is_empty() {
                out.push(Some(record));
                continue;
            }
            out.push(None);
            news.push(record);
            old_rows.push(old);
            positions.push(i);
        }
        if news.is_empty() {
            return Ok((out.into_iter().flatten().collect(), positions));
        }
        let global = positions.iter().map(|p| offset + p).collect();
        let mut set = ChangeSet::updated(news, old_rows).at_positions(global);
        run.dispatch(self, Event::BeforeUpdate, &mut set)?;
        // What differs from the stored row after the BEFORE hooks: the
        // caller's changes and the hooks' edits. Named fields are written
        // even where equal, so that a chunk writes one set of columns.
        let mut write = match fields {
            Fields::Detect => FieldSet::EMPTY,
            Fields::Named(named) => named,
        };
        for (new, old) in set.iter() {
            write = write.union(new.diff(old.unwrap_or(new)).intersection(not_keys));
        }
        if !write.is_empty() {
            let matched = M::update_rows(self.inner_mut(), set.news(), write)?;
            if matched != set.len() {
                return Err(Error::Invalid(format!(
                    "{}: UPDATE matched {matched} of {} locked rows",
                    M::MODEL,
                    set.len()
                )));
            }
        }
        self.record_write(M::MODEL, Operation::Update, set.len());
        run.dispatch(self, Event::AfterUpdate, &mut set)?;
        for (record, &i) in set.into_news().into_iter().zip(&positions) {
            out[i] = Some(record);
        }
        Ok((out.into_iter().flatten().collect(), positions))
    }
}
