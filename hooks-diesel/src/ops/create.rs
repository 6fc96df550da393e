//! Hooked bulk create.

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::hooks_core::{ChangeSet, Event, Operation};
use crate::query::HookedModel;

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Creates `records` and returns them as stored (generated keys and
    /// defaults filled in), in the same order.
    ///
    /// BEFORE_CREATE hooks may edit or reject records; AFTER_CREATE hooks see
    /// the stored rows. One multi-row `INSERT ... RETURNING` per chunk. An
    /// empty batch does nothing and runs no hook.
    pub fn bulk_create<M: HookedModel<C::Backend>>(&mut self, records: Vec<M>) -> Result<Vec<M>> {
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
            let chunk = run.chunk_len(binds);
            let mut created = Vec::with_capacity(total);
            let mut records = records.into_iter();
            while created.len() < total {
                let part: Vec<M> = records.by_ref().take(chunk).collect();
                let n = part.len();
                let mut set = ChangeSet::created(part).at_offset(created.len());
                run.dispatch(conn, Event::BeforeCreate, &mut set)?;
                let stored = M::insert(conn.inner_mut(), set.news())?;
                if stored.len() != n {
                    return Err(Error::Invalid(format!(
                        "{}: INSERT returned {} rows for {n} records",
                        M::MODEL,
                        stored.len()
                    )));
                }
                set.replace_news(stored);
                conn.record_write(M::MODEL, Operation::Create, n);
                run.dispatch(conn, Event::AfterCreate, &mut set)?;
                created.extend(set.into_news());
                conn.progress::<M>(Operation::Create, created.len(), Some(total));
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
    pub(crate) fn create_by<M: HookedModel<C::Backend>>(
        &mut self,
        chunks: usize,
        total: Option<usize>,
        mut write: impl FnMut(&mut C, usize) -> diesel::QueryResult<Vec<M>>,
    ) -> Result<Vec<M>> {
        self.hooked::<M, _>(Operation::Create, 0, |conn, run| {
            let mut created = Vec::new();
            for k in 0..chunks {
                let stored = write(conn.inner_mut(), k)?;
                let n = stored.len();
                if n == 0 {
                    continue;
                }
                let mut set = ChangeSet::created(stored).at_offset(created.len());
                run.dispatch_after_write(conn, Event::BeforeCreate, &mut set)?;
                conn.record_write(M::MODEL, Operation::Create, n);
                run.dispatch(conn, Event::AfterCreate, &mut set)?;
                created.extend(set.into_news());
                conn.progress::<M>(Operation::Create, created.len(), total);
            }
            Ok(created)
        })
    }
}
