//! Hooked upserts: statements that insert rows and update the stored rows
//! they conflict with (an intercepted `INSERT .. ON CONFLICT .. DO
//! UPDATE`). The rows inserted reach the create hooks, the rows updated
//! the update hooks with their old rows.

use std::collections::HashMap;

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::query::Writable;
use hooks_core::{ChangeSet, Event, FieldSet, HookModel, Operation};

/// What one upsert statement did: the stored rows it conflicted with
/// (read and locked before it ran), and the rows it returned.
pub(crate) struct Upserted<M> {
    /// The stored rows whose conflict target the statement's rows matched.
    pub olds: Vec<M>,
    /// The rows as written, in the statement's order.
    pub written: Vec<M>,
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Runs `write(inner, k)` for each of `chunks` upsert statements of `M`
    /// (`total` rows, when known) as one hooked operation. A row written
    /// whose key an old row has was updated: BEFORE_UPDATE and
    /// AFTER_UPDATE hooks see `(row as written, old row)`. The others were
    /// inserted: BEFORE_CREATE and AFTER_CREATE hooks see them. BEFORE
    /// hooks run after the statement (their edits are written back, a
    /// rejection rolls everything back), creates before updates. Returns
    /// the rows in the statements' order, as the hooks left them.
    ///
    /// `target` holds the fields of the conflict target: a row taken for
    /// inserted whose target values an old row left unwritten has is that
    /// row under a key the statement changed, which no hook could pair, and
    /// fails the operation. `verify_inserted` may fail it too, given the
    /// rows taken for inserted, before any hook runs.
    pub(crate) fn upsert_by<M: Writable<C::Backend>>(
        &mut self,
        chunks: usize,
        total: Option<usize>,
        target: FieldSet,
        mut write: impl FnMut(&mut C, usize) -> diesel::QueryResult<Upserted<M>>,
        mut verify_inserted: impl FnMut(&mut C, &[M]) -> diesel::QueryResult<()>,
    ) -> Result<Vec<M>> {
        self.hooked::<M, _>(Operation::Create, total.unwrap_or(0), |conn, run| {
            let mut done = Vec::new();
            for k in 0..chunks {
                let Upserted { olds, written } = write(conn.inner_mut(), k)?;
                let (mut created, mut updated, places) =
                    split::<M>(olds, written, done.len(), target)?;
                verify_inserted(conn.inner_mut(), created.news())?;
                run.dispatch_after_write(conn, Event::BeforeCreate, &mut created)?;
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
