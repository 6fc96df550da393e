//! A ready-made hook set: one outbox event per created, updated or deleted
//! record, with the field diff.

use std::marker::PhantomData;

use hooks_diesel::hooks_core::{Hosts, Operation};
use hooks_diesel::{
    Batch, Condition, Hook, HookModel, HookResult, HookSet, HookedConnection, InnerConnection,
    Registry,
};
use serde::Serialize;

use crate::event::NewEvent;
use crate::pick::pick;
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
/// - Values are the fields' serde serialisation (only the fields the event
///   holds are serialised): `M` derives `Serialize`, its field names
///   unrenamed.
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
) -> Result<Vec<NewEvent>, PickError> {
    let kind = match operation {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
    };
    let model = serde_json::to_string(M::MODEL).map_err(|e| PickError(e.to_string()))?;
    let keys: Vec<&'static str> = M::key_fields().map(|i| M::FIELDS[i].name).collect();
    let not_key: Vec<usize> = M::all_fields().difference(M::key_set()).iter().collect();
    let mut events = Vec::with_capacity(batch.len());
    let mut wanted: Vec<&'static str> = Vec::new();
    for (new, old) in batch.iter() {
        let fields: Vec<usize> = match (operation, old) {
            (Operation::Update, Some(old)) => new.diff(old).iter().collect(),
            (Operation::Update, None) => continue,
            _ => not_key.clone(),
        };
        wanted.clear();
        wanted.extend(fields.iter().map(|i| M::FIELDS[*i].name));
        wanted.extend(keys.iter().copied());
        // A deleted row is both records of its pair: its values are the old ones.
        let new_values = pick(new, &wanted).map_err(|e| PickError(e.to_string()))?;
        let old_values = match (operation, old) {
            (Operation::Update, Some(old)) => {
                pick(old, &wanted).map_err(|e| PickError(e.to_string()))?
            }
            _ => Vec::new(),
        };
        let key = match keys.as_slice() {
            [one] => value(&new_values, one).to_string(),
            many => format!(
                "[{}]",
                many.iter()
                    .map(|k| value(&new_values, k))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        let mut payload = format!(r#"{{"model":{model},"kind":"{kind}","key":{key},"changes":{{"#);
        for (n, index) in fields.iter().enumerate() {
            let name = M::FIELDS[*index].name;
            let (before, after) = match operation {
                Operation::Create => ("null", value(&new_values, name)),
                Operation::Update => (value(&old_values, name), value(&new_values, name)),
                Operation::Delete => (value(&new_values, name), "null"),
            };
            if n > 0 {
                payload.push(',');
            }
            payload.push_str(&format!(r#""{name}":{{"old":{before},"new":{after}}}"#));
        }
        payload.push_str("}}");
        events.push(NewEvent {
            topic: topic.to_string(),
            key: format!("{}:{}", M::MODEL, key),
            payload,
        });
    }
    Ok(events)
}

/// The JSON of field `name` among `values`, `null` when absent.
fn value<'a>(values: &'a [(&'static str, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("null", |(_, v)| v.as_str())
}

/// A record whose fields could not be read as JSON.
#[derive(Debug, thiserror::Error)]
#[error("change event: the record's fields could not be read as JSON: {0} (derive Serialize on the model, without renaming fields)")]
pub struct PickError(String);
