//! Hooked set-based update: a Diesel filter and a Diesel changeset.
//!
//! What is written is exactly what `UPDATE t SET <changeset> WHERE
//! <filter>` writes: the filter is evaluated once, for every matching
//! row, before anything is written (the rows read and locked, all at once
//! or their keys when they are many); the changeset itself is sent, by
//! key, so that the database evaluates each assignment with the column's
//! own type and rules. Hooks see the rows the database evaluated:
//! BEFORE_UPDATE the changeset's values computed beside the old rows
//! (a preview), AFTER_UPDATE the rows as stored.

use diesel::connection::LoadConnection;
use diesel::query_builder::QueryFragment;

use crate::backend::HookBackend;
use crate::capture::{projection, whole, Piece, Sql};
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::hooks_core::{ChangeSet, Event, FieldSet, HookModel, Operation};
use crate::model::TableModel;
use crate::ops::run::{rows_in_order, Run};
use crate::query::{key_binds, Changes, Filter, HookedModel, Projection, Target, Unmet};

/// How a set-based update is written, besides its filter and changeset.
pub(crate) struct Plan<'p, 'b, DB: HookBackend> {
    /// The changeset's values per field, evaluated beside the old rows so
    /// that BEFORE hooks see them before the write; `None` when they
    /// cannot be (a column outside the model, `DEFAULT`, ...): the write
    /// comes first, and BEFORE hooks see the stored rows, their edits
    /// written back.
    pub projection: Option<&'p Projection<'b, DB>>,
    /// The condition statements by key add beside the keys: on SQLite,
    /// the one that carries the captured statement's binds.
    pub carrier: Option<&'p Sql<'b, DB>>,
    /// The changeset reads other rows of the table (a subquery): every
    /// row is written by one statement, as the original's.
    pub whole: bool,
    /// The fields the changeset assigns (none known: all of them).
    pub assigned: FieldSet,
    /// A condition no row meets, carrying the changeset's binds: when no
    /// row matches, `UPDATE t SET <changeset> WHERE <never>` still lets
    /// the database check the changeset, as the original statement would.
    pub never: Option<&'p Sql<'b, DB>>,
}

/// The fields a projection assigns; every field when there is none.
pub(crate) fn assigned_fields<M: HookModel, DB: HookBackend>(
    projection: Option<&Projection<'_, DB>>,
) -> FieldSet {
    projection.map_or(M::all_fields(), |p| {
        p.exprs
            .iter()
            .fold(FieldSet::EMPTY, |set, (i, _)| set.with(*i))
    })
}

/// An old row, and the changeset's preview of it.
type Read<M> = (M, Option<M>);

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Applies `changes` (a Diesel changeset: values, expressions,
    /// subqueries) to the rows of `M` matching `filter`; returns the rows
    /// as stored after the update, in primary-key order.
    ///
    /// With update hooks, the matching rows are read and locked in key
    /// order before anything is written, beside the values the
    /// changeset gives them, so hooks receive `(new row, old row)` pairs
    /// with computed and subquery values resolved; BEFORE_UPDATE hooks may
    /// edit and reject; the changeset is then applied to exactly those
    /// rows, by key, one statement per chunk (what hooks changed written
    /// after it), and AFTER_UPDATE hooks see the rows as stored. A
    /// changeset whose values cannot be read beside the rows (a column
    /// outside the model, `DEFAULT`; on MySQL an expression reading a
    /// column assigned before it) is applied first, BEFORE_UPDATE hooks
    /// running after it and their edits written back. A changeset that
    /// assigns the primary key is refused. Without hooks, one statement.
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
        match self.update_changeset(&filter, &changes.as_changeset(), Some(&mut rows)) {
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
        self.update_changeset::<M, _, _>(&filter, &changes.as_changeset(), None)
    }

    /// A Diesel changeset, read as text to plan the update.
    fn update_changeset<M, F, S>(
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
        let hooked = !self.scope_mut().is_bypassed::<M>()
            && self.registry().has_operation_hooks::<M>(Operation::Update);
        let captured = if hooked {
            self.capture_changeset(changeset)?
        } else {
            None
        };
        let never = Piece::literal("1 = 0");
        let (projected, never, whole_rows) = match &captured {
            Some((parsed, binds, cacheable)) => {
                let set = whole(parsed);
                if let Some(column) = crate::capture::assigned_key::<M>(parsed, &set) {
                    return Err(Error::UnsupportedWrite {
                        form: "a changeset assigning the primary key".into(),
                        table: M::TABLE.into(),
                        model: M::MODEL,
                        backend: <C::Backend as HookBackend>::NAME,
                        why: format!(
                            "hooks pair old and new rows by key, and `{column}` would change it; \
                             write the new row and delete the old one instead"
                        ),
                    });
                }
                (
                    projection::<M, C::Backend>(parsed, &set, *cacheable, binds, true),
                    Some(Sql {
                        piece: &never,
                        binds,
                    }),
                    crate::capture::reads_rows(parsed, &set),
                )
            }
            None => (None, None, false),
        };
        let plan = Plan {
            assigned: assigned_fields::<M, C::Backend>(projected.as_ref()),
            projection: projected.as_ref(),
            carrier: None,
            whole: whole_rows,
            never: never.as_ref(),
        };
        self.update_matching::<M, F, S>(filter, changeset, plan, keep)
    }

    /// Updates the matching rows as `plan` says; keeps them in `keep` when
    /// given; returns how many.
    pub(crate) fn update_matching<M, F, S>(
        &mut self,
        filter: &F,
        changeset: &S,
        plan: Plan<'_, '_, C::Backend>,
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
            if <C::Backend as HookBackend>::CHECKS_CONDITION_BY_WRITE {
                M::update_set(conn.inner_mut(), changeset, Target::Filter(&Unmet(filter)))?;
            }
            let projection = plan
                .projection
                .filter(|_| run.wants::<M>(Event::BeforeUpdate));
            let casts = match projection {
                Some(_) => conn.cast_types::<M>()?,
                None => Vec::new(),
            };
            let chunk = run.chunk_len(key_binds::<M>() + M::FIELDS.len());
            let read = Reader {
                projection,
                casts: &casts,
            };
            let writer = Writer {
                run,
                changeset,
                plan: &plan,
            };
            // One statement reads the rows when they fit in a chunk (or
            // must all be written at once); more, and their keys are read
            // at once, the rows then chunk by chunk.
            let limit = (!plan.whole).then_some(chunk + 1);
            let first = read.rows::<M, C, F>(conn, Target::Filter(filter), limit)?;
            if first.is_empty() {
                conn.check_changeset::<M, S>(changeset, &plan)?;
                return Ok(0);
            }
            let mut keep = keep;
            if plan.whole || first.len() <= chunk {
                return writer.write::<M>(conn, first, 0, keep);
            }
            drop(first);
            let keys = M::select_key_list(conn.inner_mut(), filter, true)?;
            let mut done = 0;
            for keys in keys.chunks(chunk) {
                let target = match plan.carrier {
                    Some(carrier) => Target::Both(carrier, keys),
                    None => Target::Keys(keys),
                };
                let rows = read.rows::<M, C, _>(conn, target, None)?;
                done += writer.write::<M>(conn, rows, done, keep.as_deref_mut())?;
            }
            Ok(done)
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

    /// No row matched: the changeset is still sent, against no row, so
    /// that the database refuses it if it would have refused the original.
    fn check_changeset<M, S>(
        &mut self,
        changeset: &S,
        plan: &Plan<'_, '_, C::Backend>,
    ) -> Result<()>
    where
        M: HookedModel<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        if let Some(never) = plan.never {
            M::update_set(self.inner_mut(), changeset, Target::Filter(never))?;
        }
        Ok(())
    }

    /// The type each field's value is cast to when a changeset's values
    /// are read beside the rows.
    pub(crate) fn cast_types<M: HookedModel<C::Backend>>(
        &mut self,
    ) -> Result<Vec<Option<&'static str>>> {
        let lookup = self.inner_mut().metadata_lookup();
        (0..M::FIELDS.len())
            .map(|field| {
                Ok(<C::Backend as HookBackend>::cast_type(&M::field_type(
                    field, lookup,
                )?))
            })
            .collect()
    }
}

/// Reads the rows a set-based update writes, locked, each with the
/// changeset's preview of it when BEFORE hooks want one.
struct Reader<'a, 'p, 'b, DB: HookBackend> {
    projection: Option<&'p Projection<'b, DB>>,
    casts: &'a [Option<&'static str>],
}

impl<DB: HookBackend> Reader<'_, '_, '_, DB> {
    /// Up to `limit` rows of `target`, in key order.
    fn rows<M, C, T>(
        &self,
        conn: &mut HookedConnection<C>,
        target: Target<'_, M::Key, T>,
        limit: Option<usize>,
    ) -> Result<Vec<Read<M>>>
    where
        C: crate::connection::InnerConnection<Backend = DB> + LoadConnection,
        M: HookedModel<DB>,
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
struct Writer<'a, 'p, 'b, C, S>
where
    C: crate::connection::InnerConnection,
    C::Backend: HookBackend,
{
    run: &'a Run<C>,
    changeset: &'a S,
    plan: &'a Plan<'p, 'b, C::Backend>,
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
    fn write<M: HookedModel<C::Backend>>(
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
    fn apply<M: HookedModel<C::Backend>>(
        &self,
        conn: &mut HookedConnection<C>,
        target: Target<'_, M::Key, Sql<'_, C::Backend>>,
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
    M: HookedModel<C::Backend>,
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
    M: crate::model::DieselHookModel<DB>,
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
