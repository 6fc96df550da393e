//! Hooked set-based update: a Diesel filter and a Diesel changeset.

use diesel::connection::LoadConnection;
use diesel::query_builder::QueryFragment;

use crate::backend::HookBackend;
use crate::capture::{projection, whole};
use crate::connection::HookedConnection;
use crate::error::Result;
use crate::hooks_core::{ChangeSet, Event, FieldSet, HookModel, Operation};
use crate::model::TableModel;
use crate::ops::run::{rows_in_order, Run};
use crate::query::{key_binds, Changes, Filter, HookedModel, Projection, Target};

/// Where the values a set-based update writes come from.
pub(crate) enum Values<'p, 'b, DB: HookBackend> {
    /// The changeset, captured on its own to be evaluated per row.
    Changeset,
    /// A projection of the changeset already at hand (an intercepted
    /// `UPDATE`), or none when it cannot be evaluated per row; with
    /// `restate`, each chunk's UPDATE names the filter again beside the
    /// locked keys (a filter whose binds travel with the changeset's).
    Given {
        projection: Option<&'p Projection<'b, DB>>,
        restate: bool,
    },
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Applies `changes` (a Diesel changeset: values, expressions,
    /// subqueries) to the rows of `M` matching `filter`; returns the rows
    /// as stored after the update, in primary-key order.
    ///
    /// With update hooks, each chunk of matching rows is read and locked in
    /// key order by one `SELECT` that also evaluates the changeset's
    /// expressions for each row, so hooks receive `(new row, old row)`
    /// pairs with computed and subquery values resolved before anything is
    /// written; BEFORE_UPDATE hooks may edit and reject; one `UPDATE` per
    /// chunk then writes each row's final values by key. A changeset that
    /// cannot be evaluated as columns of a `SELECT` (a column outside the
    /// model, `DEFAULT`; on MySQL an expression reading a column assigned
    /// before it) is applied by an `UPDATE .. RETURNING` of the locked
    /// keys instead, BEFORE_UPDATE hooks running after it and their edits
    /// written back. Without hooks, one statement.
    ///
    /// ```ignore
    /// let frozen = conn.update_where::<Account>(
    ///     accounts::status.eq("active"),
    ///     accounts::status.eq("frozen"),
    /// )?;
    /// ```
    pub fn update_where<M>(
        &mut self,
        filter: impl Filter<M::Table, C::Backend>,
        changes: impl Changes<M::Table, C::Backend>,
    ) -> Result<Vec<M>>
    where
        M: HookedModel<C::Backend> + TableModel,
    {
        let mut rows = Vec::new();
        let changeset = changes.as_changeset();
        match self.update_matching(&filter, &changeset, Values::Changeset, Some(&mut rows)) {
            Ok(_) => Ok(rows),
            // Committed: the rows written go with the callback's failure.
            Err(error) => Err(error.map_committed(|_: usize| rows)),
        }
    }

    /// Like [`update_where`](Self::update_where) but returns only how many
    /// rows were updated, keeping no more than one chunk of rows in memory.
    pub fn update_where_count<M>(
        &mut self,
        filter: impl Filter<M::Table, C::Backend>,
        changes: impl Changes<M::Table, C::Backend>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend> + TableModel,
    {
        let changeset = changes.as_changeset();
        self.update_matching::<M, _, _>(&filter, &changeset, Values::Changeset, None)
    }

    /// Updates the matching rows chunk by chunk; keeps them in `keep` when
    /// given; returns how many.
    pub(crate) fn update_matching<M, F, S>(
        &mut self,
        filter: &F,
        changeset: &S,
        values: Values<'_, '_, C::Backend>,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend>,
        F: QueryFragment<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        self.hooked::<M, _>(Operation::Update, 0, |conn, run| {
            if !run.wants_any::<M>(Operation::Update) {
                return conn.update_all::<M, F, S>(filter, changeset, keep);
            }
            match values {
                Values::Given {
                    projection: Some(projection),
                    ..
                } => conn.update_projected::<M, F>(run, filter, projection, keep),
                Values::Given {
                    projection: None,
                    restate,
                } => conn.update_returning::<M, F, S>(run, filter, changeset, restate, keep),
                Values::Changeset => {
                    let captured = conn.capture_changeset(changeset)?;
                    let projected = captured.as_ref().and_then(|(parsed, binds, cacheable)| {
                        projection::<M, C::Backend>(parsed, &whole(parsed), *cacheable, binds, true)
                    });
                    match projected {
                        Some(projection) => {
                            conn.update_projected::<M, F>(run, filter, &projection, keep)
                        }
                        None => {
                            conn.update_returning::<M, F, S>(run, filter, changeset, false, keep)
                        }
                    }
                }
            }
        })
    }

    /// Without update hooks: one statement.
    fn update_all<M, F, S>(
        &mut self,
        filter: &F,
        changeset: &S,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend>,
        F: QueryFragment<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        let target = Target::Filter(filter);
        let updated = match keep {
            Some(keep) => {
                let mut rows = M::update_set_returning(self.inner_mut(), changeset, target)?;
                rows.sort_by_key(HookModel::key);
                let updated = rows.len();
                keep.extend(rows);
                updated
            }
            None => M::update_set(self.inner_mut(), changeset, target)?,
        };
        self.record_write(M::MODEL, Operation::Update, updated);
        Ok(updated)
    }

    /// Two statements per chunk: the rows locked and projected through the
    /// changeset, BEFORE hooks on the pairs, one UPDATE of the final
    /// values by key, AFTER hooks.
    fn update_projected<M, F>(
        &mut self,
        run: &Run<C>,
        filter: &F,
        projection: &Projection<'_, C::Backend>,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend>,
        F: QueryFragment<C::Backend>,
    {
        self.update_chunks(
            run,
            keep,
            |conn, after, limit| {
                Ok(M::select_projected(
                    conn.inner_mut(),
                    filter,
                    projection,
                    after,
                    limit,
                    true,
                )?)
            },
            |(old, _)| old.key(),
            |conn, pairs, offset| {
                let (olds, news): (Vec<M>, Vec<M>) = pairs.into_iter().unzip();
                let mut set = ChangeSet::updated(news, olds).at_offset(offset);
                run.dispatch(conn, Event::BeforeUpdate, &mut set)?;
                let changed = set.iter().fold(FieldSet::EMPTY, |f, (new, old)| {
                    f.union(old.map_or(FieldSet::EMPTY, |o| new.diff(o)))
                });
                let fields = projection.fields().union(changed).difference(M::key_set());
                if !fields.is_empty() {
                    M::update_rows(conn.inner_mut(), set.news(), fields)?;
                }
                Ok(set)
            },
        )
    }

    /// The changeset applied by `UPDATE .. RETURNING` of each chunk's
    /// locked keys; BEFORE hooks run after it, their edits written back.
    fn update_returning<M, F, S>(
        &mut self,
        run: &Run<C>,
        filter: &F,
        changeset: &S,
        restate: bool,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend>,
        F: QueryFragment<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        self.update_chunks(
            run,
            keep,
            |conn, after, limit| {
                Ok(M::select_where(
                    conn.inner_mut(),
                    filter,
                    after,
                    Some(limit),
                    true,
                )?)
            },
            HookModel::key,
            |conn, olds, offset| {
                let keys: Vec<M::Key> = olds.iter().map(HookModel::key).collect();
                let target = if restate {
                    Target::Both(filter, &keys)
                } else {
                    Target::Keys(&keys)
                };
                let stored = M::update_set_returning(conn.inner_mut(), changeset, target)?;
                let news = rows_in_order(&keys, stored)?;
                let mut set = ChangeSet::updated(news, olds).at_offset(offset);
                run.dispatch_after_write(conn, Event::BeforeUpdate, &mut set)?;
                Ok(set)
            },
        )
    }

    /// The chunks of a set-based update in key order: `read(after, limit)`
    /// locks the next rows (one more than a chunk, to tell whether another
    /// follows), `write` turns a chunk into its written change set; then
    /// AFTER hooks, progress, and the rows kept when asked.
    fn update_chunks<M, T>(
        &mut self,
        run: &Run<C>,
        mut keep: Option<&mut Vec<M>>,
        mut read: impl FnMut(&mut Self, Option<&M::Key>, usize) -> Result<Vec<T>>,
        key_of: impl Fn(&T) -> M::Key,
        mut write: impl FnMut(&mut Self, Vec<T>, usize) -> Result<ChangeSet<M>>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend>,
    {
        let chunk = run.chunk_len(key_binds::<M>() + M::FIELDS.len());
        let mut after: Option<M::Key> = None;
        let mut done = 0;
        loop {
            let mut rows = read(self, after.as_ref(), chunk + 1)?;
            let more = rows.len() > chunk;
            rows.truncate(chunk);
            let Some(last) = rows.last().map(&key_of) else {
                break;
            };
            let count = rows.len();
            let mut set = write(self, rows, done)?;
            self.record_write(M::MODEL, Operation::Update, count);
            run.dispatch(self, Event::AfterUpdate, &mut set)?;
            done += count;
            if let Some(keep) = keep.as_deref_mut() {
                keep.extend(set.into_news());
            }
            self.progress::<M>(Operation::Update, done, None);
            if !more {
                break;
            }
            after = Some(last);
        }
        Ok(done)
    }
}
