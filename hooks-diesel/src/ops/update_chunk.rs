//! One chunk of a set-based update: the rows read (with the changeset's
//! preview of them for BEFORE hooks), the changeset applied to them by
//! key, what the hooks edited written with it or after it.

use diesel::connection::LoadConnection;
use diesel::query_builder::QueryFragment;

use super::update_where::{Plan, Read};
use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::Result;
use crate::ops::run::{rows_in_order, Run};
use crate::query::{Captured, Projection, Target, Writable};
use hooks_core::{ChangeSet, Event, FieldSet, HookModel, Operation};

/// Reads the rows a set-based update writes, locked, each with the
/// changeset's preview of it when BEFORE hooks want one.
pub(super) struct Reader<'a, 'p, 'b, DB: HookBackend> {
    pub(super) projection: Option<&'p Projection<'b, DB>>,
    pub(super) casts: &'a [Option<&'static str>],
}

impl<DB: HookBackend> Reader<'_, '_, '_, DB> {
    /// Up to `limit` rows of `target`, in key order.
    pub(super) fn rows<M, C, T>(
        &self,
        conn: &mut HookedConnection<C>,
        target: Target<'_, M::Key, T>,
        limit: Option<usize>,
    ) -> Result<Vec<Read<M>>>
    where
        C: crate::connection::InnerConnection<Backend = DB> + LoadConnection,
        M: Writable<DB>,
        T: QueryFragment<DB>,
    {
        let inner = conn.inner_mut();
        Ok(match self.projection {
            Some(projection) => {
                M::select_projected(inner, target, projection, self.casts, limit, true)?
                    .into_iter()
                    .map(|(old, new)| (old, Some(new)))
                    .collect()
            }
            None => match target {
                Target::Filter(filter) => M::select_where(inner, filter, limit, true)?,
                Target::Keys(keys) | Target::Both(_, keys) => {
                    rows_in_order(keys, M::select_keys(inner, keys, true)?)?
                }
            }
            .into_iter()
            .map(|old| (old, None))
            .collect(),
        })
    }
}

/// Writes one chunk of a set-based update.
pub(super) struct Writer<'a, 'p, 'b, C, S>
where
    C: crate::connection::InnerConnection,
    C::Backend: HookBackend,
{
    pub(super) run: &'a Run<C>,
    pub(super) changeset: &'a S,
    pub(super) plan: &'a Plan<'p, 'b, C::Backend>,
}

impl<C, S> Writer<'_, '_, '_, C, S>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
    S: QueryFragment<C::Backend>,
{
    /// BEFORE hooks, the changeset applied to the chunk's rows by key
    /// (what BEFORE hooks edited written after it), AFTER hooks; returns
    /// how many rows.
    pub(super) fn write<M: Writable<C::Backend>>(
        &self,
        conn: &mut HookedConnection<C>,
        rows: Vec<Read<M>>,
        offset: usize,
        keep: Option<&mut Vec<M>>,
    ) -> Result<usize> {
        let count = rows.len();
        let (olds, previews): (Vec<M>, Vec<Option<M>>) = rows.into_iter().unzip();
        let keys: Vec<M::Key> = olds.iter().map(HookModel::key).collect();
        let target = match self.plan.carrier {
            Some(carrier) => Target::Both(carrier, &keys),
            None => Target::Keys(&keys),
        };
        let previews: Option<Vec<M>> = previews.into_iter().collect();
        let mut set = match previews {
            Some(previews) => {
                let mut set = ChangeSet::updated(previews.clone(), olds).at_offset(offset);
                self.run.dispatch(conn, Event::BeforeUpdate, &mut set)?;
                let edits: Vec<FieldSet> = set
                    .news()
                    .iter()
                    .zip(&previews)
                    .map(|(edited, preview)| edited.diff(preview).difference(M::key_set()))
                    .collect();
                // What every hook edit gave all rows alike, in a column the
                // changeset does not assign, is written by the same UPDATE
                // (where binds can be added to the captured ones).
                let uniform = match (self.plan.carrier, set.news().first()) {
                    (None, Some(first)) => set.news().iter().zip(&edits).fold(
                        edits[0].difference(self.plan.assigned),
                        |uniform, (record, edit)| {
                            uniform.intersection(*edit).difference(first.diff(record))
                        },
                    ),
                    _ => FieldSet::EMPTY,
                };
                let stored = match set.news().first().filter(|_| !uniform.is_empty()) {
                    Some(first) => {
                        let with = WithValues {
                            changeset: self.changeset,
                            record: first,
                            fields: uniform,
                        };
                        rows_in_order(
                            &keys,
                            M::update_set_returning(conn.inner_mut(), &with, target)?,
                        )?
                    }
                    None => self.apply::<M>(conn, target, &keys)?,
                };
                let rest: Vec<FieldSet> = edits.iter().map(|e| e.difference(uniform)).collect();
                let stored = write_edits(conn, &set, &rest, stored)?;
                set.replace_news(stored);
                set
            }
            None => {
                let stored = self.apply::<M>(conn, target, &keys)?;
                let mut set = ChangeSet::updated(stored, olds).at_offset(offset);
                self.run
                    .dispatch_after_write(conn, Event::BeforeUpdate, &mut set)?;
                set
            }
        };
        conn.record_write(M::MODEL, Operation::Update, count);
        self.run.dispatch(conn, Event::AfterUpdate, &mut set)?;
        if let Some(keep) = keep {
            keep.extend(set.into_news());
        }
        conn.progress::<M>(Operation::Update, offset + count, None);
        Ok(count)
    }

    /// The changeset applied to the rows of `keys`; the rows as stored, in
    /// the order of `keys`.
    fn apply<M: Writable<C::Backend>>(
        &self,
        conn: &mut HookedConnection<C>,
        target: Target<'_, M::Key, Captured<'_, C::Backend>>,
        keys: &[M::Key],
    ) -> Result<Vec<M>> {
        let stored = M::update_set_returning(conn.inner_mut(), self.changeset, target)?;
        rows_in_order(keys, stored)
    }
}

/// Writes the fields of each record of `set` that `edits` names (what
/// BEFORE hooks changed and the UPDATE did not write) over the `stored`
/// rows, records with the same edited fields together; returns the stored
/// rows with those fields. Edits are applied to the `stored` rows.
fn write_edits<C, M>(
    conn: &mut HookedConnection<C>,
    set: &ChangeSet<M>,
    edits: &[FieldSet],
    mut stored: Vec<M>,
) -> Result<Vec<M>>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
    M: Writable<C::Backend>,
{
    let mut groups: Vec<FieldSet> = Vec::new();
    for edit in edits {
        if !edit.is_empty() && !groups.contains(edit) {
            groups.push(*edit);
        }
    }
    for fields in groups {
        let records: Vec<M> = set
            .news()
            .iter()
            .zip(edits)
            .filter(|(_, e)| **e == fields)
            .map(|(r, _)| r.clone())
            .collect();
        M::update_rows(conn.inner_mut(), &records, fields)?;
    }
    for ((row, edited), fields) in stored.iter_mut().zip(set.news()).zip(edits) {
        if !fields.is_empty() {
            row.copy_fields(edited, *fields);
        }
    }
    Ok(stored)
}

/// A changeset followed by more assignments: `fields` of `record`, bound
/// (`SET <changeset>, c = $n`).
struct WithValues<'a, S, M> {
    changeset: &'a S,
    record: &'a M,
    fields: FieldSet,
}

impl<DB, S, M> QueryFragment<DB> for WithValues<'_, S, M>
where
    DB: HookBackend,
    S: QueryFragment<DB>,
    M: crate::model::ModelBinds<DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        self.changeset.walk_ast(out.reborrow())?;
        for field in self.fields.iter() {
            out.push_sql(", ");
            out.push_identifier(M::FIELDS[field].column)?;
            out.push_sql(" = ");
            self.record.bind_field(field, &mut out)?;
        }
        Ok(())
    }
}
