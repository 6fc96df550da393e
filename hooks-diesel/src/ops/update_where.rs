//! Hooked set-based update: a Diesel filter and a Diesel changeset.

use diesel::connection::LoadConnection;
use diesel::query_builder::QueryFragment;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::Result;
use crate::hooks_core::{ChangeSet, Event, FieldSet, HookModel, Operation};
use crate::model::TableModel;
use crate::ops::run::rows_in_order;
use crate::query::{key_binds, Changes, Filter, HookedModel, Target};

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
    /// key order, updated by exactly those keys with `RETURNING`, and hooks
    /// receive `(stored new row, old row)` pairs: a computed value is
    /// visible to them. BEFORE_UPDATE hooks run after the statement inside
    /// the same transaction; what they edit is written back, and an error
    /// or rejection rolls everything back. Without hooks, one statement.
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
        match self.update_matching(&filter, &changes.as_changeset(), Some(&mut rows)) {
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
        self.update_matching::<M, _, _>(&filter, &changes.as_changeset(), None)
    }

    /// Updates the matching rows chunk by chunk; keeps them in `keep` when
    /// given; returns how many.
    fn update_matching<M, F, S>(
        &mut self,
        filter: &F,
        changeset: &S,
        mut keep: Option<&mut Vec<M>>,
    ) -> Result<usize>
    where
        M: HookedModel<C::Backend>,
        F: QueryFragment<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        self.hooked::<M, _>(Operation::Update, 0, |conn, run| {
            if !run.wants_any::<M>(Operation::Update) {
                let target = Target::Filter(filter);
                let updated = match keep {
                    Some(keep) => {
                        let mut rows =
                            M::update_set_returning(conn.inner_mut(), changeset, target)?;
                        rows.sort_by_key(HookModel::key);
                        let updated = rows.len();
                        keep.extend(rows);
                        updated
                    }
                    None => M::update_set(conn.inner_mut(), changeset, target)?,
                };
                conn.record_write(M::MODEL, Operation::Update, updated);
                return Ok(updated);
            }
            let chunk = run.chunk_len(key_binds::<M>() + M::FIELDS.len());
            let mut after: Option<M::Key> = None;
            let mut done = 0;
            loop {
                let olds =
                    M::select_where(conn.inner_mut(), filter, after.as_ref(), Some(chunk), true)?;
                let Some(last) = olds.last().map(HookModel::key) else {
                    break;
                };
                let read = olds.len();
                let keys: Vec<M::Key> = olds.iter().map(HookModel::key).collect();
                let stored = M::update_set_returning(
                    conn.inner_mut(),
                    changeset,
                    Target::<_, F>::Keys(&keys),
                )?;
                let news = rows_in_order(&keys, stored)?;
                let mut set = ChangeSet::updated(news, olds).at_offset(done);
                if run.wants::<M>(Event::BeforeUpdate) {
                    let as_stored = set.news().to_vec();
                    run.dispatch(conn, Event::BeforeUpdate, &mut set)?;
                    let edited = set
                        .news()
                        .iter()
                        .zip(&as_stored)
                        .fold(FieldSet::EMPTY, |f, (n, s)| f.union(n.diff(s)))
                        .difference(M::key_set());
                    if !edited.is_empty() {
                        M::update_rows(conn.inner_mut(), set.news(), edited)?;
                    }
                }
                conn.record_write(M::MODEL, Operation::Update, read);
                run.dispatch(conn, Event::AfterUpdate, &mut set)?;
                done += read;
                if let Some(keep) = keep.as_deref_mut() {
                    keep.extend(set.into_news());
                }
                conn.progress::<M>(Operation::Update, done, None);
                if read < chunk {
                    break;
                }
                after = Some(last);
            }
            Ok(done)
        })
    }
}
