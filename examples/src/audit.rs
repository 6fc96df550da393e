//! An audit trail written once for every model that implements a trait:
//! the Rust form of hooks registered on an abstract base model.
//!
//! [`AuditTrail<M>`] is a [`HookSet`]: added to a registry for a model `M`
//! that implements [`Audited`], its AFTER_CREATE, AFTER_UPDATE and
//! AFTER_DELETE hooks record every change of `M` into the `audit_changes`
//! table (one row per field: model, key, operation, field, old, new), in
//! the same transaction as the change, so a change that rolls back leaves
//! no trail.
//!
//! ```
//! use hooks_diesel::{HookedConnection, Registry};
//! use hooks_examples::audit::AuditTrail;
//! use hooks_examples::models::{Account, Membership};
//!
//! # fn main() -> Result<(), hooks_examples::db::BoxError> {
//! let registry = Registry::new()
//!     .with_set(AuditTrail::<Account>::new())
//!     .with_set(AuditTrail::<Membership>::new());
//! let mut conn = HookedConnection::new(hooks_examples::sqlite_in_memory()?, registry);
//! let ada = conn.create(Account::new("ada", 100, "active"))?;
//! let trail = hooks_examples::audit::trail(&mut conn)?;
//! assert_eq!(trail.len(), 3); // owner, balance, status (updated_at is NULL)
//! assert!(trail.iter().all(|c| c.record_key == ada.id.to_string()));
//! # Ok(())
//! # }
//! ```

use std::marker::PhantomData;

use diesel::prelude::*;
use hooks_diesel::hooks_core::{Hosts, Operation};
use hooks_diesel::{
    Batch, Hook, HookModel, HookResult, HookSet, HookedConnection, InnerConnection, Registry,
    Writable,
};

use crate::models::{Account, AuditChange, Membership};
use crate::schema::audit_changes;

/// A model whose changes are recorded by [`AuditTrail`]. One method per
/// model; the hooks are written once, for all of them.
pub trait Audited: HookModel {
    /// The value of field `index` (its position in
    /// [`HookModel::FIELDS`]) as text; `None` for SQL NULL.
    fn field_text(&self, index: usize) -> Option<String>;

    /// The record's key as the trail shows it. Default: the key's `Debug`
    /// form (`42`, `(1, 7)`).
    fn audit_key(&self) -> String {
        format!("{:?}", self.key())
    }
}

impl Audited for Account {
    fn field_text(&self, index: usize) -> Option<String> {
        match Self::FIELDS.get(index)?.name {
            "id" => Some(self.id.to_string()),
            "owner" => Some(self.owner.clone()),
            "balance" => Some(self.balance.to_string()),
            "status" => Some(self.status.clone()),
            "updated_at" => self.updated_at.map(|t| t.to_string()),
            _ => None,
        }
    }
}

impl Audited for Membership {
    fn field_text(&self, index: usize) -> Option<String> {
        match Self::FIELDS.get(index)?.name {
            "org_id" => Some(self.org_id.to_string()),
            "user_id" => Some(self.user_id.to_string()),
            "role" => Some(self.role.clone()),
            _ => None,
        }
    }

    fn audit_key(&self) -> String {
        format!("{}/{}", self.org_id, self.user_id)
    }
}

/// The audit hooks of model `M`, added with
/// `Registry::with_set(AuditTrail::<M>::new())`.
pub struct AuditTrail<M>(PhantomData<fn(&M)>);

impl<M> AuditTrail<M> {
    /// The hook set for `M`.
    pub fn new() -> Self {
        AuditTrail(PhantomData)
    }
}

impl<M> Default for AuditTrail<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// One hook set, for any `Audited` model and any connection whose backend
/// can write `AuditChange` rows.
impl<M, C> HookSet<HookedConnection<C>> for AuditTrail<M>
where
    M: Audited,
    C: InnerConnection,
    AuditChange: Writable<C::Backend>,
    HookedConnection<C>: Hosts<M>,
{
    fn register(self, registry: &mut Registry<HookedConnection<C>>) {
        // Named after the model: one copy of each hook per model (the set
        // registered twice for one model is refused, naming the hook).
        let name = |event: &str| format!("audit_trail::<{}>::{event}", M::MODEL);
        registry.add(
            Hook::after_create(|ctx, batch: &Batch<M>| record(ctx, Operation::Create, batch))
                .named(name("after_create")),
        );
        registry.add(
            Hook::after_update(|ctx, batch: &Batch<M>| record(ctx, Operation::Update, batch))
                .named(name("after_update")),
        );
        registry.add(
            Hook::after_delete(|ctx, batch: &Batch<M>| record(ctx, Operation::Delete, batch))
                .named(name("after_delete")),
        );
    }
}

/// Writes the trail rows of `batch` through the hook's own connection
/// (inside the operation's transaction).
fn record<M, C>(
    conn: &mut HookedConnection<C>,
    operation: Operation,
    batch: &Batch<M>,
) -> HookResult
where
    M: Audited,
    C: InnerConnection,
    AuditChange: Writable<C::Backend>,
{
    let rows = changes(operation, batch);
    if !rows.is_empty() {
        conn.bulk_create(rows)?;
    }
    Ok(())
}

/// The trail rows of one batch: every field but the key on create and
/// delete (but NULLs), the changed fields on update.
pub fn changes<M: Audited>(operation: Operation, batch: &Batch<M>) -> Vec<AuditChange> {
    let mut rows = Vec::new();
    let fields = M::all_fields().difference(M::key_set());
    for (new, old) in batch.iter() {
        let (fields, before, after) = match (operation, old) {
            (Operation::Create, _) => (fields, None, Some(new)),
            (Operation::Update, Some(old)) => (new.diff(old), Some(old), Some(new)),
            (Operation::Update, None) => continue,
            // A deleted row is both records of its pair.
            (Operation::Delete, _) => (fields, Some(new), None),
        };
        for index in fields.iter() {
            let old_value = before.and_then(|r| r.field_text(index));
            let new_value = after.and_then(|r| r.field_text(index));
            if old_value.is_none() && new_value.is_none() {
                continue; // NULL on both sides: nothing to record
            }
            rows.push(AuditChange {
                id: 0,
                model: M::MODEL.to_string(),
                record_key: new.audit_key(),
                operation: operation.to_string(),
                field: M::FIELDS[index].name.to_string(),
                old_value,
                new_value,
                changed_at: Default::default(),
            });
        }
    }
    rows
}

/// The whole trail, oldest first.
pub fn trail<C>(conn: &mut C) -> QueryResult<Vec<AuditChange>>
where
    C: diesel::connection::LoadConnection,
    for<'a> diesel::dsl::Order<audit_changes::table, audit_changes::id>:
        diesel::query_dsl::LoadQuery<'a, C, AuditChange>,
{
    audit_changes::table.order(audit_changes::id).load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_text() {
        let account = Account::new("ada", 5, "active");
        for (i, field) in Account::FIELDS.iter().enumerate() {
            let text = account.field_text(i);
            assert_eq!(text.is_none(), field.name == "updated_at", "{}", field.name);
        }
        let member = Membership::new(1, 2, "admin");
        for i in 0..Membership::FIELDS.len() {
            assert!(member.field_text(i).is_some());
        }
        assert_eq!(member.audit_key(), "1/2");
        assert_eq!(account.audit_key(), "0");
    }
}
