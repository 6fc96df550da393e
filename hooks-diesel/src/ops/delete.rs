//! Hooked bulk delete of records, and set-based delete by filter.

use diesel::connection::LoadConnection;
use diesel::query_builder::QueryFragment;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::model::ModelTable;
use crate::ops::run::{check_keys, leading_rows, rows_in_order, Run};
use crate::query::{key_binds, Filter, NoFilter, Target, Unmet, Writable};
use hooks_core::{ChangeSet, Event, HookModel, Operation};

/// What the condition of an intercepted `DELETE` or `UPDATE` is known to
/// be when it lists keys (`key IN (..)`, `key = ANY(..)`), read from its
/// SQL.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyList {
    /// It matches at most this many rows.
    pub(crate) at_most: usize,
    /// Every item is a bind of the key's own SQL type: compared with the
    /// key, nothing is converted, so no write fails on it where a read
    /// passes, and the check by a write
    /// ([`HookBackend::CHECKS_CONDITION_BY_WRITE`]) is not needed.
    pub(crate) of_key_type: bool,
}

impl KeyList {
    /// A list of `n` keys of unknown type.
    pub(crate) fn at_most(n: usize) -> Self {
        KeyList {
            at_most: n,
            of_key_type: false,
        }
    }
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Deletes the rows of `records` (matched by key); returns how many.
    ///
    /// With BEFORE_DELETE hooks, the rows are read and locked first; with
    /// AFTER_DELETE hooks only, on a backend with `RETURNING`, each chunk
    /// is one `DELETE .. RETURNING`. Hooks receive the rows as stored, in
    /// the caller's order. Fails, deleting
    /// nothing, on records without a key, keys given twice, or keys with
    /// no row (the error names them).
    pub fn bulk_delete<M: Writable<C::Backend>>(&mut self, records: &[M]) -> Result<usize> {
        if records.is_empty() {
            return Ok(0);
        }
        let keys = check_keys(records, Operation::Delete)?;
        self.hooked::<M, _>(Operation::Delete, records.len(), |conn, run| {
            let mut deleted = 0;
            for keys in keys.chunks(run.chunk_len(key_binds::<M>())) {
                deleted += conn.delete_keys::<M>(run, keys, deleted)?;
                conn.progress::<M>(Operation::Delete, deleted, Some(records.len()));
            }
            Ok(deleted)
        })
    }

    fn delete_keys<M: Writable<C::Backend>>(
        &mut self,
        run: &Run<C>,
        keys: &[M::Key],
        offset: usize,
    ) -> Result<usize> {
        if !run.wants_any::<M>(Operation::Delete) {
            // The deleted rows come back only so that vanished keys can be
            // named; the transaction is rolled back if there are any.
            let gone = M::delete_returning(self.inner_mut(), Target::<_, NoFilter>::Keys(keys))?;
            let deleted = rows_in_order(keys, gone)?.len();
            self.record_write(M::MODEL, Operation::Delete, deleted);
            return Ok(deleted);
        }
        if !run.wants::<M>(Event::BeforeDelete) && <C::Backend as HookBackend>::RETURNING {
            // AFTER hooks only: the one `DELETE .. RETURNING` hands them
            // the old rows; vanished keys roll the operation back.
            let gone = M::delete_returning(self.inner_mut(), Target::<_, NoFilter>::Keys(keys))?;
            let set = ChangeSet::deleted(rows_in_order(keys, gone)?).at_offset(offset);
            return self.after_delete(run, set, None);
        }
        let in_order = rows_in_order(keys, M::select_keys(self.inner_mut(), keys, true)?)?;
        let set = ChangeSet::deleted(in_order).at_offset(offset);
        self.delete_set(run, set, None)
    }

    /// Runs BEFORE hooks, deletes the set's rows by key, runs AFTER hooks.
    fn delete_set<M: Writable<C::Backend>>(
        &mut self,
        run: &Run<C>,
        mut set: ChangeSet<M>,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize> {
        run.dispatch(self, Event::BeforeDelete, &mut set)?;
        let keys: Vec<M::Key> = set.news().iter().map(HookModel::key).collect();
        let deleted = M::delete(self.inner_mut(), Target::<_, NoFilter>::Keys(&keys))?;
        if deleted != keys.len() {
            return Err(Error::Invalid(format!(
                "{}: DELETE removed {deleted} of {} locked rows",
                M::MODEL,
                keys.len()
            )));
        }
        self.after_delete(run, set, keep)
    }

    /// Records the rows of `set` as deleted, runs AFTER_DELETE hooks on
    /// them and keeps them in `keep`; returns how many.
    fn after_delete<M: Writable<C::Backend>>(
        &mut self,
        run: &Run<C>,
        mut set: ChangeSet<M>,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize> {
        let deleted = set.len();
        self.record_write(M::MODEL, Operation::Delete, deleted);
        run.dispatch(self, Event::AfterDelete, &mut set)?;
        if let Some(keep) = keep {
            keep.extend(set.into_news());
        }
        Ok(deleted)
    }

    /// Deletes the rows of `M` matching `filter`; returns how many.
    ///
    /// With delete hooks, rows are read and locked chunk by chunk in key
    /// order (memory stays bounded by the chunk) and hooks receive them;
    /// without, one `DELETE` statement.
    pub fn delete_where<M>(&mut self, filter: impl Filter<M::Table, C::Backend>) -> Result<usize>
    where
        M: Writable<C::Backend> + ModelTable,
    {
        self.delete_matching::<M, _>(&filter, None, None)
    }

    /// Deletes the rows matching `filter` chunk by chunk; keeps them in
    /// `keep` when given; returns how many.
    ///
    /// The filter is evaluated once, before anything is deleted: the
    /// matching rows are read and locked in one statement when they fit in
    /// a chunk, otherwise their keys are, and the rows then chunk by
    /// chunk. With AFTER_DELETE hooks only, on a backend with `RETURNING`,
    /// each chunk is deleted by `DELETE .. RETURNING` without reading it
    /// first; when the filter lists no more keys than a chunk
    /// (`listed`), by one `DELETE .. RETURNING` with the filter itself,
    /// which evaluates it once.
    pub(crate) fn delete_matching<M, F>(
        &mut self,
        filter: &F,
        mut keep: Option<&mut Vec<M>>,
        listed: Option<KeyList>,
    ) -> Result<usize>
    where
        M: Writable<C::Backend>,
        F: QueryFragment<C::Backend>,
    {
        self.hooked::<M, _>(Operation::Delete, 0, |conn, run| {
            if !run.wants_any::<M>(Operation::Delete) {
                let target = Target::Filter(filter);
                let deleted = match keep {
                    Some(keep) => {
                        let rows = M::delete_returning(conn.inner_mut(), target)?;
                        let deleted = rows.len();
                        keep.extend(rows);
                        deleted
                    }
                    None => M::delete(conn.inner_mut(), target)?,
                };
                conn.record_write(M::MODEL, Operation::Delete, deleted);
                return Ok(deleted);
            }
            if <C::Backend as HookBackend>::CHECKS_CONDITION_BY_WRITE
                && !listed.is_some_and(|keys| keys.of_key_type)
            {
                M::delete(conn.inner_mut(), Target::Filter(&Unmet(filter)))?;
            }
            let chunk = run.chunk_len(key_binds::<M>());
            let mut deleted = 0;
            let after_only =
                !run.wants::<M>(Event::BeforeDelete) && <C::Backend as HookBackend>::RETURNING;
            if after_only && listed.is_some_and(|keys| keys.at_most <= chunk) {
                let mut gone = M::delete_returning(conn.inner_mut(), Target::Filter(filter))?;
                // A filter has no order: in key order, as read otherwise.
                gone.sort_by_key(HookModel::key);
                deleted = conn.after_delete(run, ChangeSet::deleted(gone), keep)?;
                conn.progress::<M>(Operation::Delete, deleted, None);
                return Ok(deleted);
            }
            if after_only {
                let keys = M::select_key_list(conn.inner_mut(), filter, true)?;
                for keys in keys.chunks(chunk) {
                    let gone =
                        M::delete_returning(conn.inner_mut(), Target::<_, NoFilter>::Keys(keys))?;
                    let set = ChangeSet::deleted(rows_in_order(keys, gone)?).at_offset(deleted);
                    deleted += conn.after_delete(run, set, keep.as_deref_mut())?;
                    conn.progress::<M>(Operation::Delete, deleted, None);
                }
                return Ok(deleted);
            }
            // One row more than the chunk tells whether another follows.
            let first = M::select_where(conn.inner_mut(), filter, Some(chunk + 1), true)?;
            if first.len() <= chunk {
                if !first.is_empty() {
                    deleted = conn.delete_set(run, ChangeSet::deleted(first), keep)?;
                    conn.progress::<M>(Operation::Delete, deleted, None);
                }
                return Ok(deleted);
            }
            let keys = M::select_key_list(conn.inner_mut(), filter, true)?;
            let mut first = leading_rows(first, chunk, &keys, HookModel::key);
            for keys in keys.chunks(chunk) {
                let rows = match first.take() {
                    Some(rows) => rows,
                    None => rows_in_order(keys, M::select_keys(conn.inner_mut(), keys, false)?)?,
                };
                let set = ChangeSet::deleted(rows).at_offset(deleted);
                deleted += conn.delete_set(run, set, keep.as_deref_mut())?;
                conn.progress::<M>(Operation::Delete, deleted, None);
            }
            Ok(deleted)
        })
    }
}
