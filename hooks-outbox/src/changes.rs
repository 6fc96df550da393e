//! A ready-made hook set: one outbox event per created, updated or deleted
//! record, with the field diff.

use std::marker::PhantomData;

use hooks_diesel::hooks_core::{Hosts, Operation};
use hooks_diesel::{
    Batch, Condition, Hook, HookModel, HookResult, HookSet, HookedConnection, InnerConnection,
    Registry,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::event::NewEvent;
use crate::publish::Publish;
use crate::store::OutboxConnection;

/// Publishes one event per changed record of `M`, in the write's
/// transaction, one staged entry per chunk (so one multi-row `INSERT` per
/// chunk at the commit):
///
/// ```json
/// {"model": "Account", "kind": "update", "key": 42,
///  "changes": {"status": {"old": "active", "new": "closed"}}}
/// ```
///
/// - `kind`: `create`, `update` or `delete`; `changes`: every field but
///   the key for creates (`old` null) and deletes (`new` null), the changed
///   fields for updates; `key`: the key field's value (an array of values
///   for a composite key).
/// - The event's topic is the one given; its key is `Model:key`, so per-key
///   ordering orders each record's events.
/// - Values are the records' serde serialisation: `M` derives `Serialize`
///   with its field names unrenamed.
/// - [`when`](Self::when) conditions the hooks like any hook's; [`only`](Self::only)
///   picks the operations.
///
/// ```ignore
/// let registry = Registry::new().with_set(
///     ChangeEvents::<Account>::new("accounts.status")
///         .only(&[Operation::Update])
///         .when(Account::STATUS.changed()),
/// );
/// ```
pub struct ChangeEvents<M> {
    topic: String,
    operations: Vec<Operation>,
    condition: Option<Condition<M>>,
    _model: PhantomData<fn(&M)>,
}

impl<M: HookModel> ChangeEvents<M> {
    /// Events of every create, update and delete of `M`, on `topic`.
    pub fn new(topic: impl Into<String>) -> Self {
        ChangeEvents {
            topic: topic.into(),
            operations: vec![Operation::Create, Operation::Update, Operation::Delete],
            condition: None,
            _model: PhantomData,
        }
    }

    /// Only these operations.
    #[must_use]
    pub fn only(mut self, operations: &[Operation]) -> Self {
        self.operations = operations.to_vec();
        self
    }

    /// Only records that pass `condition`.
    #[must_use]
    pub fn when(mut self, condition: impl Into<Condition<M>>) -> Self {
        self.condition = Some(condition.into());
        self
    }
}

impl<M, C> HookSet<HookedConnection<C>> for ChangeEvents<M>
where
    M: HookModel + Serialize,
    C: OutboxConnection + InnerConnection,
    HookedConnection<C>: Hosts<M>,
{
    fn register(self, registry: &mut Registry<HookedConnection<C>>) {
        for operation in self.operations.iter().copied() {
            let topic = self.topic.clone();
            let run = move |ctx: &mut hooks_diesel::HookContext<'_, HookedConnection<C>>,
                            batch: &Batch<M>|
                  -> HookResult {
                let events = change_events(&topic, operation, batch)?;
                ctx.conn().publish_all(events)?;
                Ok(())
            };
            let name = format!("change_events::<{}>::{operation}::{}", M::MODEL, self.topic);
            let mut hook = match operation {
                Operation::Create => Hook::after_create(run),
                Operation::Update => Hook::after_update(run),
                Operation::Delete => Hook::after_delete(run),
            }
            .named(name);
            if let Some(condition) = &self.condition {
                hook = hook.when(condition.clone());
            }
            registry.add(hook);
        }
    }
}

/// The events of one batch.
pub(crate) fn change_events<M: HookModel + Serialize>(
    topic: &str,
    operation: Operation,
    batch: &Batch<M>,
) -> Result<Vec<NewEvent>, serde_json::Error> {
    let mut events = Vec::with_capacity(batch.len());
    let kind = match operation {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
    };
    for (new, old) in batch.iter() {
        let new_value = fields_of(new)?;
        let (fields, before, after) = match (operation, old) {
            (Operation::Update, Some(old)) => (new.diff(old), Some(fields_of(old)?), Some(&new_value)),
            (Operation::Update, None) => continue,
            (Operation::Create, _) => (M::all_fields().difference(M::key_set()), None, Some(&new_value)),
            // A deleted row is both records of its pair.
            (Operation::Delete, _) => (M::all_fields().difference(M::key_set()), Some(new_value.clone()), None),
        };
        let mut changes = Map::new();
        for index in fields.iter() {
            let name = M::FIELDS[index].name;
            let pick = |record: Option<&Map<String, Value>>| {
                record.and_then(|r| r.get(name)).cloned().unwrap_or(Value::Null)
            };
            let mut change = Map::new();
            change.insert("old".into(), pick(before.as_ref()));
            change.insert("new".into(), pick(after));
            changes.insert(name.to_string(), Value::Object(change));
        }
        let keys: Vec<Value> = M::key_fields()
            .map(|i| new_value.get(M::FIELDS[i].name).cloned().unwrap_or(Value::Null))
            .collect();
        let key = match keys.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(keys),
        };
        let event_key = format!("{}:{}", M::MODEL, key);
        let payload = serde_json::json!({
            "model": M::MODEL,
            "kind": kind,
            "key": key,
            "changes": changes,
        });
        events.push(NewEvent {
            topic: topic.to_string(),
            key: event_key,
            payload: payload.to_string(),
        });
    }
    Ok(events)
}

fn fields_of<M: Serialize>(record: &M) -> Result<Map<String, Value>, serde_json::Error> {
    match serde_json::to_value(record)? {
        Value::Object(map) => Ok(map),
        other => Ok(Map::from_iter([("value".to_string(), other)])),
    }
}
