//! Single-row create, update, save and delete: the bulk paths with a batch
//! of one.

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::query::Writable;
use crate::written::{Saved, Written};
use crate::Committed;
use hooks_core::HookModel;

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Creates one record; returns it as stored.
    pub fn create<M: Writable<C::Backend>>(&mut self, record: M) -> Result<M> {
        let created = self.bulk_create(vec![record]);
        single(created.map_err(one_committed::<M>)?)
    }

    /// Updates one stored record (changed fields only); returns it as
    /// written, and whether it was (a record equal to its stored row is
    /// not). Fails if its row no longer exists.
    pub fn update<M: Writable<C::Backend>>(&mut self, record: M) -> Result<Saved<M>> {
        let updated = self.bulk_update(vec![record]).map_err(one_committed::<M>)?;
        let written = updated.written() == 1;
        Ok(Saved::new(single(updated.into_records())?, written))
    }

    /// Creates the record when it has no key yet, updates it otherwise; a
    /// key whose row has vanished is an error naming it, never a silent
    /// insert. Returns the record as stored, and whether it was written.
    ///
    /// For a model whose key is generated when unset
    /// (`#[hook(generated_when_unset)]`), a given key is one the caller
    /// may choose for a new record: a record whose key no row has is
    /// created with it (as Django's `save` does), in the same transaction
    /// as the look-up; a record whose row exists is updated.
    pub fn save<M: Writable<C::Backend>>(&mut self, record: M) -> Result<Saved<M>> {
        if !record.has_key() {
            return Ok(Saved::new(self.create(record)?, true));
        }
        if !M::KEY_GENERATED_WHEN_UNSET {
            return self.update(record);
        }
        self.write_transaction(M::TABLE, |conn| {
            // Not locked: on MySQL a locking read of a missing key would
            // lock the gap, holding off every insert around it. The update
            // locks the row it finds.
            let stored = M::select_keys(conn.inner_mut(), &[record.key()], false)?;
            if stored.is_empty() {
                Ok(Saved::new(conn.create(record)?, true))
            } else {
                conn.update(record)
            }
        })
    }

    /// Deletes one stored record. Fails if its row no longer exists.
    pub fn delete<M: Writable<C::Backend>>(&mut self, record: &M) -> Result<()> {
        self.bulk_delete(std::slice::from_ref(record))
            .map(|_| ())
            .map_err(|e| e.map_committed(|_: usize| ()))
    }
}

/// A callback failure after a single-row commit carries the record, not a
/// batch of one.
fn one_committed<M: HookModel>(error: Error) -> Error {
    match error {
        Error::Callback { failure, committed } => Error::Callback {
            failure,
            committed: match committed.downcast::<Vec<M>>() {
                Ok(mut records) => records
                    .pop()
                    .map_or_else(Committed::nothing, Committed::new),
                Err(other) => match other.downcast::<Written<M>>() {
                    Ok(written) => {
                        let wrote = written.written() == 1;
                        written
                            .into_records()
                            .pop()
                            .map_or_else(Committed::nothing, |r| {
                                Committed::new(Saved::new(r, wrote))
                            })
                    }
                    Err(other) => other,
                },
            },
        },
        other => other,
    }
}

fn single<M>(mut records: Vec<M>) -> Result<M> {
    records
        .pop()
        .ok_or_else(|| Error::Invalid("a single-record operation returned no record".into()))
}
