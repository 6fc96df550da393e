//! Hooked bulk create.

use std::collections::HashMap;

use diesel::connection::LoadConnection;

use super::Run;
use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::query::{inserts_by_arrays, Writable};
use hooks_core::{ChangeSet, Event, HookModel, Operation};

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Creates `records` and returns them as stored (generated keys and
    /// defaults filled in), in the same order.
    ///
    /// BEFORE_CREATE hooks may edit or reject records; AFTER_CREATE hooks see
    /// the stored rows. One multi-row `INSERT ... RETURNING` per chunk (on
    /// PostgreSQL `INSERT .. SELECT * FROM unnest(..)`, one array per
    /// column, unless a column holds arrays itself). An empty batch does
    /// nothing and runs no hook.
    ///
    /// A model whose key is generated when unset (`#[hook(generated_when_unset)]`)
    /// may mix records with a given key, written as it is, and records with
    /// an unset key (`0`, `None`), which the database generates, in one
    /// statement. Given keys are checked first, after BEFORE_CREATE hooks,
    /// in each chunk: a key given twice is [`Error::DuplicateKey`], a key
    /// some row has already is [`Error::KeyExists`] naming it, and nothing
    /// is written.
    pub fn bulk_create<M: Writable<C::Backend>>(&mut self, records: Vec<M>) -> Result<Vec<M>> {
        if records.is_empty() {
            return Ok(records);
        }
        let total = records.len();
        let binds = M::FIELDS.iter().filter(|f| f.insertable).count();
        if binds == 0 {
            return Err(Error::Invalid(format!(
                "{}: every field is skipped on insertion; bulk create needs at least one insertable field",
                M::MODEL
            )));
        }
        self.hooked::<M, _>(Operation::Create, total, |conn, run| {
            // By arrays, the chunk's binds are one per column.
            let chunk = if inserts_by_arrays::<M, C::Backend>() {
                run.chunk_size()
            } else {
                run.chunk_len(binds)
            };
            let mut created = Vec::with_capacity(total);
            let mut given = HashMap::new();
            let mut records = records.into_iter();
            while created.len() < total {
                let part: Vec<M> = records.by_ref().take(chunk).collect();
                let mut set = ChangeSet::created(part).at_offset(created.len());
                run.dispatch(conn, Event::BeforeCreate, &mut set)?;
                if M::KEY_GENERATED_WHEN_UNSET {
                    check_given_keys(conn.inner_mut(), set.news(), created.len(), &mut given)?;
                }
                let stored = M::insert(conn.inner_mut(), set.news())?;
                conn.created_chunk(run, set, Some(stored), &mut created, Some(total))?;
            }
            Ok(created)
        })
    }

    /// Creates rows of `M` by `chunks` statements (`total` rows, when
    /// known), each previewed first: `preview(inner, k)` gives the records
    /// statement `k` would write, BEFORE_CREATE hooks see them (and may
    /// edit or reject), `write(inner, k, previewed, records)` writes the
    /// records as the hooks left them and returns them as stored, then
    /// AFTER_CREATE hooks. One hooked create, in one transaction.
    pub(crate) fn create_previewed<M: Writable<C::Backend>>(
        &mut self,
        chunks: usize,
        total: Option<usize>,
        mut preview: impl FnMut(&mut C, usize) -> Result<Vec<M>>,
        mut write: impl FnMut(&mut C, usize, &[M], &[M]) -> Result<Vec<M>>,
    ) -> Result<Vec<M>> {
        self.hooked::<M, _>(Operation::Create, 0, |conn, run| {
            let mut created = Vec::new();
            for k in 0..chunks {
                let previewed = preview(conn.inner_mut(), k)?;
                if previewed.is_empty() {
                    continue;
                }
                let mut set = ChangeSet::created(previewed.clone()).at_offset(created.len());
                run.dispatch(conn, Event::BeforeCreate, &mut set)?;
                let stored = write(conn.inner_mut(), k, &previewed, set.news())?;
                conn.created_chunk(run, set, Some(stored), &mut created, total)?;
            }
            Ok(created)
        })
    }

    /// Runs `write(inner, k)` for each of `chunks` statements that create
    /// rows of `M` (`total` of them, when known) and return them as
    /// stored, as one hooked create: inside
    /// the operation's transaction, after each statement, BEFORE_CREATE
    /// hooks see its stored rows (their edits are written back, a rejection
    /// rolls everything back), then AFTER_CREATE hooks.
    pub(crate) fn create_by<M: Writable<C::Backend>>(
        &mut self,
        chunks: usize,
        total: Option<usize>,
        mut write: impl FnMut(&mut C, usize) -> diesel::QueryResult<Vec<M>>,
    ) -> Result<Vec<M>> {
        self.hooked::<M, _>(Operation::Create, 0, |conn, run| {
            let mut created = Vec::new();
            for k in 0..chunks {
                let stored = write(conn.inner_mut(), k)?;
                if stored.is_empty() {
                    continue;
                }
                let mut set = ChangeSet::created(stored).at_offset(created.len());
                run.dispatch_after_write(conn, Event::BeforeCreate, &mut set)?;
                conn.created_chunk(run, set, None, &mut created, total)?;
            }
            Ok(created)
        })
    }
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Ends a chunk of a hooked create whose BEFORE_CREATE hooks ran over
    /// `set`: its records become the rows `stored` (one per record, in
    /// order) when given, then AFTER_CREATE hooks see them and they join
    /// `created`.
    fn created_chunk<M: Writable<C::Backend>>(
        &mut self,
        run: &Run<C>,
        mut set: ChangeSet<M>,
        stored: Option<Vec<M>>,
        created: &mut Vec<M>,
        total: Option<usize>,
    ) -> Result<()> {
        let n = set.len();
        if let Some(stored) = stored {
            if stored.len() != n {
                return Err(Error::Invalid(format!(
                    "{}: INSERT wrote {} rows for {n} records",
                    M::MODEL,
                    stored.len()
                )));
            }
            set.replace_news(stored);
        }
        self.record_write(M::MODEL, Operation::Create, n);
        run.dispatch(self, Event::AfterCreate, &mut set)?;
        created.extend(set.into_news());
        self.progress::<M>(Operation::Create, created.len(), total);
        Ok(())
    }
}

/// Refuses, before `records` are inserted, a given key seen earlier in the
/// batch (`given` maps the keys seen so far to their positions) and given
/// keys rows have already. `offset` is the position of the first record
/// in the caller's batch. The check runs inside the operation's
/// transaction; a row inserted by another transaction between the check
/// and the insert still meets the database's unique constraint.
fn check_given_keys<M, C>(
    conn: &mut C,
    records: &[M],
    offset: usize,
    given: &mut HashMap<M::Key, usize>,
) -> Result<()>
where
    M: Writable<C::Backend>,
    C: LoadConnection,
    C::Backend: HookBackend,
{
    let mut keys = Vec::new();
    let mut positions = HashMap::new();
    for (at, record) in records.iter().enumerate().filter(|(_, r)| r.has_key()) {
        let key = record.key();
        if let Some(first) = given.insert(key.clone(), offset + at) {
            return Err(Error::DuplicateKey {
                model: M::MODEL,
                operation: Operation::Create,
                key: format!("{key:?}"),
                positions: vec![first, offset + at],
            });
        }
        positions.insert(key.clone(), offset + at);
        keys.push(key);
    }
    if keys.is_empty() {
        return Ok(());
    }
    let mut existing: Vec<M::Key> = M::select_keys(conn, &keys, false)?
        .iter()
        .map(HookModel::key)
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    existing.sort_by_key(|k| positions.get(k).copied());
    Err(Error::KeyExists {
        model: M::MODEL,
        positions: existing
            .iter()
            .filter_map(|k| positions.get(k).copied())
            .collect(),
        keys: existing.iter().map(|k| format!("{k:?}")).collect(),
    })
}
