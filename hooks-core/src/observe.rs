//! What a connection's scope can be asked to watch, for tests: which
//! hooks fired (a [`HookLog`] records each run: event, model, hook, keys,
//! changed fields), and which hooks to skip (muted by name).

use std::sync::{Arc, Mutex, PoisonError};

use crate::change::ChangeSet;
use crate::event::Event;
use crate::model::HookModel;

/// One run of a hook, as a [`HookLog`] saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiredHook {
    /// The event the hook ran for.
    pub event: Event,
    /// The model (`HookModel::MODEL`).
    pub model: &'static str,
    /// The hook's name: the one given with `Hook::named`, or its
    /// function's type name.
    pub hook: String,
    /// The keys of the records it was handed, in order (a record not yet
    /// created shows its placeholder key).
    pub keys: Vec<String>,
    /// For each record, the fields that differ from its old record, by
    /// name (empty when there is no old record: creates, deletes).
    pub changed: Vec<Vec<&'static str>>,
    /// True when it ran after the commit (a deferred hook).
    pub deferred: bool,
}

impl FiredHook {
    /// Builds the entry for a hook handed the records at `selected`.
    pub(crate) fn new<M: HookModel>(
        event: Event,
        hook: &str,
        set: &ChangeSet<M>,
        selected: &[usize],
        deferred: bool,
    ) -> Self {
        let changed = selected
            .iter()
            .map(|&i| match set.old_record(i) {
                Some(old) => set.new_record(i).diff(old).names::<M>().collect(),
                None => Vec::new(),
            })
            .collect();
        FiredHook {
            event,
            model: M::MODEL,
            hook: hook.to_owned(),
            keys: set.describe_keys(selected.iter().copied()),
            changed,
            deferred,
        }
    }
}

/// A shared list of [`FiredHook`]s that a connection's [`Scope`](crate::Scope)
/// appends to while it is set there. Clones share the list.
#[derive(Clone, Debug, Default)]
pub struct HookLog(Arc<Mutex<Vec<FiredHook>>>);

impl HookLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&self, fired: FiredHook) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fired);
    }

    /// Everything recorded so far, oldest first.
    pub fn fired(&self) -> Vec<FiredHook> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Takes everything recorded so far, leaving the log empty.
    pub fn take(&self) -> Vec<FiredHook> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The names of the hooks that ran, oldest first.
    pub fn names(&self) -> Vec<String> {
        self.fired().into_iter().map(|f| f.hook).collect()
    }

    /// How many runs of hooks of `event` on `model` were recorded.
    pub fn count(&self, event: Event, model: &str) -> usize {
        self.fired()
            .iter()
            .filter(|f| f.event == event && f.model == model)
            .count()
    }
}
