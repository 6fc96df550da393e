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

use super::update_chunk::{Reader, Writer};
use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::model::ModelTable;
use crate::ops::changeset::{assigned_key, projection, reads_rows, whole};
use crate::ops::run::leading_rows;
use crate::query::Captured;
use crate::query::{key_binds, Changes, Filter, Projection, Target, Unmet, Writable};
use crate::sql::Piece;
use hooks_core::{Event, FieldSet, HookModel, Operation};

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
    pub carrier: Option<&'p Captured<'b, DB>>,
    /// The changeset reads other rows of the table (a subquery): every
    /// row is written by one statement, as the original's.
    pub whole: bool,
    /// The fields the changeset assigns (none known: all of them).
    pub assigned: FieldSet,
    /// A condition no row meets, carrying the changeset's binds: when no
    /// row matches, `UPDATE t SET <changeset> WHERE <never>` still lets
    /// the database check the changeset, as the original statement would.
    pub never: Option<&'p Captured<'b, DB>>,
    /// The condition lists keys bound with the key's own SQL type
    /// ([`KeyList::of_key_type`](crate::ops::KeyList)): it is not checked
    /// by a write first.
    pub keys_of_key_type: bool,
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
pub(super) type Read<M> = (M, Option<M>);

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
        M: Writable<C::Backend> + ModelTable,
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
        M: Writable<C::Backend> + ModelTable,
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
        M: Writable<C::Backend>,
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
                if let Some(column) = assigned_key::<M>(parsed, &set) {
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
                    Some(Captured {
                        piece: &never,
                        binds,
                    }),
                    reads_rows(parsed, &set),
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
            keys_of_key_type: false,
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
        M: Writable<C::Backend>,
        F: QueryFragment<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        self.hooked::<M, _>(Operation::Update, 0, |conn, run| {
            if !run.wants_any::<M>(Operation::Update) {
                return conn.update_all::<M, F, S>(filter, changeset, keep);
            }
            if <C::Backend as HookBackend>::CHECKS_CONDITION_BY_WRITE && !plan.keys_of_key_type {
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
            let keys = M::select_key_list(conn.inner_mut(), filter, true)?;
            let mut first = leading_rows(first, chunk, &keys, |(old, _)| old.key());
            let mut done = 0;
            for keys in keys.chunks(chunk) {
                let rows = match first.take() {
                    Some(rows) => rows,
                    None => {
                        let target = match plan.carrier {
                            Some(carrier) => Target::Both(carrier, keys),
                            None => Target::Keys(keys),
                        };
                        read.rows::<M, C, _>(conn, target, None)?
                    }
                };
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
        M: Writable<C::Backend>,
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
        M: Writable<C::Backend>,
        S: QueryFragment<C::Backend>,
    {
        if let Some(never) = plan.never {
            M::update_set(self.inner_mut(), changeset, Target::Filter(never))?;
        }
        Ok(())
    }

    /// The type each field's value is cast to when a changeset's values
    /// are read beside the rows.
    pub(crate) fn cast_types<M: Writable<C::Backend>>(
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
