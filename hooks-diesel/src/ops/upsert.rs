//! Hooked upserts: statements that insert rows and update the stored rows
//! they conflict with (an intercepted `INSERT .. ON CONFLICT .. DO
//! UPDATE`). The rows inserted reach the create hooks, the rows updated
//! the update hooks with their old rows.

use std::collections::{HashMap, HashSet};

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::ops::run::Run;
use crate::query::Writable;
use hooks_core::{ChangeSet, Event, FieldSet, HookModel, Operation};

/// The statements of one intercepted upsert, chunk by chunk, as
/// [`HookedConnection::upsert_by`] runs them.
pub(crate) trait UpsertChunks<C, M> {
    /// The position of chunk `k`'s first row in the caller's statement.
    fn first_row(&self, k: usize) -> usize;

    /// The stored rows whose conflict target chunk `k`'s rows match,
    /// read and locked before it runs.
    fn conflicting(&mut self, inner: &mut C, k: usize) -> Result<Vec<M>>;

    /// The records chunk `k` would write, in its order, evaluated without
    /// writing; `None` where they cannot be known before the write.
    fn preview(&mut self, inner: &mut C, k: usize) -> Result<Option<Vec<M>>>;

    /// Sends chunk `k`; with `edits` (the previewed records, then the
    /// same as the hooks left them), carrying what the hooks changed.
    /// Returns the rows as written, in the statement's order.
    fn write(&mut self, inner: &mut C, k: usize, edits: Option<(&[M], &[M])>) -> Result<Vec<M>>;

    /// May fail the operation, given the rows taken for inserted, before
    /// any hook sees them as stored.
    fn verify_inserted(&mut self, inner: &mut C, inserted: &[M]) -> diesel::QueryResult<()>;
}

/// The records of one chunk BEFORE_CREATE hooks saw before the write.
struct Previewed<M> {
    /// As the statement gives them.
    rows: Vec<M>,
    /// The same, as the hooks left those it would insert.
    edited: Vec<M>,
    /// Which of them it would insert (no stored row has their target).
    inserts: Vec<usize>,
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Runs each of `chunks` upsert statements of `M` (`total` rows, when
    /// known) as one hooked operation. Before each, the stored rows its
    /// rows conflict with are read and locked; with BEFORE_CREATE hooks,
    /// its records are previewed and those no stored row has the
    /// conflict target of (the rows it will insert) reach the hooks
    /// before anything is written, the statement then carrying their
    /// edits. A row written whose key an old row has was updated:
    /// BEFORE_UPDATE and AFTER_UPDATE hooks see `(row as written, old
    /// row)`, BEFORE_UPDATE after the statement (edits written back, a
    /// rejection rolls everything back). The others were inserted:
    /// AFTER_CREATE hooks see them as stored. Returns the rows in the
    /// statements' order, as the hooks left them.
    ///
    /// `target` holds the fields of the conflict target: a row taken for
    /// inserted whose target values an old row left unwritten has is that
    /// row under a key the statement changed, which no hook could pair, and
    /// fails the operation; so does a BEFORE_CREATE hook changing them.
    pub(crate) fn upsert_by<M: Writable<C::Backend>>(
        &mut self,
        chunks: usize,
        total: Option<usize>,
        target: FieldSet,
        statements: &mut impl UpsertChunks<C, M>,
    ) -> Result<Vec<M>> {
        self.hooked::<M, _>(Operation::Create, total.unwrap_or(0), |conn, run| {
            let mut done = Vec::new();
            for k in 0..chunks {
                let olds = statements.conflicting(conn.inner_mut(), k)?;
                let rows = match run.wants::<M>(Event::BeforeCreate) {
                    true => statements.preview(conn.inner_mut(), k)?,
                    false => None,
                };
                let first = statements.first_row(k);
                let previewed = rows
                    .map(|rows| before_create(conn, run, rows, &olds, first, target))
                    .transpose()?;
                let edits = previewed.as_ref().map(|p| (&p.rows[..], &p.edited[..]));
                let written = statements.write(conn.inner_mut(), k, edits)?;
                let (mut created, mut updated, places) =
                    split::<M>(olds, written, done.len(), target)?;
                statements.verify_inserted(conn.inner_mut(), created.news())?;
                match &previewed {
                    Some(previewed) => inserted_as_previewed(&created, previewed, target)?,
                    None => run.dispatch_after_write(conn, Event::BeforeCreate, &mut created)?,
                }
                run.dispatch_after_write(conn, Event::BeforeUpdate, &mut updated)?;
                conn.record_write(M::MODEL, Operation::Create, created.len());
                conn.record_write(M::MODEL, Operation::Update, updated.len());
                run.dispatch(conn, Event::AfterCreate, &mut created)?;
                run.dispatch(conn, Event::AfterUpdate, &mut updated)?;
                let mut created = created.into_news().into_iter();
                let mut updated = updated.into_news().into_iter();
                for was_update in places {
                    let row = if was_update {
                        updated.next()
                    } else {
                        created.next()
                    };
                    done.extend(row);
                }
                conn.progress::<M>(Operation::Create, done.len(), total);
            }
            Ok(done)
        })
    }
}

/// Runs BEFORE_CREATE hooks over the `rows` of a chunk (its first at
/// `first` in the caller's statement) that no stored row of `olds` has
/// the `target` values of: the rows it will insert.
fn before_create<M, C>(
    conn: &mut HookedConnection<C>,
    run: &Run<C>,
    rows: Vec<M>,
    olds: &[M],
    first: usize,
    target: FieldSet,
) -> Result<Previewed<M>>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
    M: Writable<C::Backend>,
{
    let inserts = would_insert(&rows, olds, target);
    let news = inserts.iter().map(|&i| rows[i].clone()).collect();
    let positions = inserts.iter().map(|&i| first + i).collect();
    let mut set = ChangeSet::created(news).at_positions(positions);
    run.dispatch(conn, Event::BeforeCreate, &mut set)?;
    let mut edited = rows.clone();
    for (&i, record) in inserts.iter().zip(set.into_news()) {
        let changed = record.diff(&rows[i]).intersection(target);
        if let Some(field) = changed.iter().next() {
            return Err(Error::Invalid(format!(
                "{}: a BEFORE_CREATE hook changed `{}`, a column of the upsert's conflict \
                 target, of the record at position {} of the INSERT; nothing was written: \
                 which stored row a record conflicts with is the statement's, set it there",
                M::MODEL,
                M::FIELDS[field].column,
                first + i
            )));
        }
        edited[i] = record;
    }
    Ok(Previewed {
        rows,
        edited,
        inserts,
    })
}

/// The positions of the `rows` that no row of `olds`, and no earlier row
/// of `rows`, has the `target` values of: the rows the statement will
/// insert (a later row with the same target conflicts with the earlier
/// one's insert). By key when the target is the key.
fn would_insert<M: HookModel>(rows: &[M], olds: &[M], target: FieldSet) -> Vec<usize> {
    let mut inserts: Vec<usize> = Vec::new();
    if target == M::key_set() {
        let mut taken: HashSet<M::Key> = olds.iter().map(HookModel::key).collect();
        for (i, row) in rows.iter().enumerate() {
            if taken.insert(row.key()) {
                inserts.push(i);
            }
        }
        return inserts;
    }
    let alike = |a: &M, b: &M| a.diff(b).intersection(target).is_empty();
    for (i, row) in rows.iter().enumerate() {
        let conflicts = olds.iter().any(|old| alike(row, old))
            || inserts.iter().any(|&earlier| alike(row, &rows[earlier]));
        if !conflicts {
            inserts.push(i);
        }
    }
    inserts
}

/// Fails unless the rows `created` are those `previewed` said it would
/// insert (the same target values, in order).
fn inserted_as_previewed<M: HookModel>(
    created: &ChangeSet<M>,
    previewed: &Previewed<M>,
    target: FieldSet,
) -> Result<()> {
    let expected = previewed.inserts.iter().map(|&i| &previewed.edited[i]);
    let alike = created.len() == previewed.inserts.len()
        && created
            .news()
            .iter()
            .zip(expected)
            .all(|(stored, record)| stored.diff(record).intersection(target).is_empty());
    if alike {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "{}: the upsert inserted {} rows where {} were expected from the rows it conflicts \
         with; nothing was written: retry the transaction",
        M::MODEL,
        created.len(),
        previewed.inserts.len()
    )))
}

/// The rows `written` split into those inserted and those updated (paired
/// with their `olds` by key), each set naming the rows' positions in the
/// caller's statement (the first at `offset`), and for each written row
/// whether it was updated. Fails on a row written twice, and on a row
/// taken for inserted whose `target` fields an unpaired old row has.
#[allow(clippy::type_complexity)]
fn split<M: HookModel>(
    olds: Vec<M>,
    written: Vec<M>,
    offset: usize,
    target: FieldSet,
) -> Result<(ChangeSet<M>, ChangeSet<M>, Vec<bool>)> {
    let mut olds: HashMap<M::Key, M> = olds.into_iter().map(|o| (o.key(), o)).collect();
    let mut seen = HashMap::with_capacity(written.len());
    let (mut created, mut news, mut old_rows) = (Vec::new(), Vec::new(), Vec::new());
    let mut places = Vec::with_capacity(written.len());
    for (position, row) in written.into_iter().enumerate() {
        let key = row.key();
        if let Some(first) = seen.insert(key.clone(), position) {
            // SQLite lets a later row of one statement update the row an
            // earlier one wrote; no hook could tell that row's story.
            return Err(Error::DuplicateKey {
                model: M::MODEL,
                operation: Operation::Update,
                key: format!("{key:?}"),
                positions: vec![offset + first, offset + position],
            });
        }
        match olds.remove(&key) {
            Some(old) => {
                news.push(row);
                old_rows.push(old);
                places.push(true);
            }
            None => {
                created.push(row);
                places.push(false);
            }
        }
    }
    // `olds` holds the old rows no written row has the key of.
    if let Some(row) = created.iter().find(|row| {
        olds.values()
            .any(|old| row.diff(old).intersection(target).is_empty())
    }) {
        return Err(Error::Invalid(format!(
            "{}: the upsert changed the key of the row it updated (now {:?}); nothing was \
             written: hooks pair old and new rows by key, so leave the key out of \
             `do_update().set(..)`",
            M::MODEL,
            row.key()
        )));
    }
    let at = |updated: bool| -> Vec<usize> {
        (0..places.len())
            .filter(|&i| places[i] == updated)
            .map(|i| offset + i)
            .collect()
    };
    Ok((
        ChangeSet::created(created).at_positions(at(false)),
        ChangeSet::updated(news, old_rows).at_positions(at(true)),
        places,
    ))
}

#[cfg(test)]
mod tests;
