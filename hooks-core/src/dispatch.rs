//! Priority dispatch: run the hooks of one event over a change set.

use std::time::Instant;

use crate::change::{Batch, ChangeSet};
use crate::error::{BoxError, DispatchError};
use crate::event::Event;
use crate::hook::{Hook, HookContext};
use crate::model::HookModel;
use crate::observe::FiredHook;
use crate::registry::Registry;
use crate::scope::HasScope;

/// A deferred hook call, captured with its records, to run after commit.
pub type DeferredCall<X> = Box<dyn FnOnce(&mut X) -> Result<(), DispatchError> + Send>;

impl<X: HasScope + 'static> Registry<X> {
    /// Runs the hooks of `M` for `event` over `set`, in priority order.
    ///
    /// For each hook, its condition is checked per record just before it
    /// runs (so it sees what earlier hooks changed); the hook is called with
    /// the passing records only, or not at all. The first hook error stops
    /// dispatch. Rejections made by BEFORE hooks are collected over all
    /// hooks and returned together. Deferred hooks are not run: each is
    /// handed to `defer` with a copy of its records.
    pub fn dispatch<M: HookModel>(
        &self,
        conn: &mut X,
        event: Event,
        depth: u32,
        set: &mut ChangeSet<M>,
        defer: &mut dyn FnMut(DeferredCall<X>),
    ) -> Result<(), DispatchError> {
        let Some(hooks) = self.model::<M>() else {
            return Ok(());
        };
        let hooks = &hooks.events[event.index()];
        if hooks.is_empty() || set.is_empty() {
            return Ok(());
        }
        let mut selected = Vec::with_capacity(set.len());
        for hook in hooks {
            if conn.scope().is_muted(&hook.name) {
                continue;
            }
            selected.clear();
            match &hook.condition {
                None => selected.extend(0..set.len()),
                Some(condition) => selected.extend(
                    set.iter()
                        .enumerate()
                        .filter(|(_, (new, old))| condition.check(new, *old))
                        .map(|(i, _)| i),
                ),
            }
            if selected.is_empty() {
                continue;
            }
            if hook.deferred {
                defer(deferred_call(hook, set.subset(&selected)));
                continue;
            }
            run_hook(hook, conn, event, depth, set, &selected, false)?;
        }
        let rejections = set.take_rejections();
        if rejections.is_empty() {
            Ok(())
        } else {
            Err(DispatchError::Rejected {
                event,
                model: M::MODEL,
                rejections,
            })
        }
    }
}

fn run_hook<M: HookModel, X: HasScope>(
    hook: &Hook<M, X, ()>,
    conn: &mut X,
    event: Event,
    depth: u32,
    set: &mut ChangeSet<M>,
    selected: &[usize],
    deferred: bool,
) -> Result<(), DispatchError> {
    if let Some(log) = conn.scope().log() {
        log.push(FiredHook::new(event, &hook.name, set, selected, deferred));
    }
    let span = tracing::debug_span!(
        "hook",
        model = M::MODEL,
        event = event.name(),
        hook = %hook.name,
        records = selected.len(),
        depth,
    );
    let _entered = span.enter();
    let started = Instant::now();
    let mut ctx = HookContext::new(conn, event, depth);
    let result = (hook.run)(&mut ctx, &mut Batch::new(set, selected));
    tracing::trace!(
        elapsed_us = started.elapsed().as_micros() as u64,
        ok = result.is_ok(),
        "hook done"
    );
    result.map_err(|error| {
        let source = error.into_inner();
        // Too deep: the depth error goes on as it is, one step longer,
        // rather than wrapped once per level.
        match source.downcast::<DispatchError>() {
            Ok(inner) if matches!(*inner, DispatchError::DepthExceeded { .. }) => {
                inner.through_hook(M::MODEL, event)
            }
            Ok(inner) => hook_failed(hook, event, set, selected, inner),
            Err(source) => hook_failed(hook, event, set, selected, source),
        }
    })
}

fn hook_failed<M: HookModel, X>(
    hook: &Hook<M, X, ()>,
    event: Event,
    set: &ChangeSet<M>,
    selected: &[usize],
    source: BoxError,
) -> DispatchError {
    DispatchError::Hook {
        hook: hook.name.to_string(),
        event,
        model: M::MODEL,
        records: set.describe_keys(selected.iter().copied()),
        source,
    }
}

fn deferred_call<M: HookModel, X: HasScope + 'static>(
    hook: &Hook<M, X, ()>,
    mut set: ChangeSet<M>,
) -> DeferredCall<X> {
    let hook = hook.clone();
    Box::new(move |conn: &mut X| {
        let all: Vec<usize> = (0..set.len()).collect();
        run_hook(&hook, conn, hook.event, 1, &mut set, &all, true)
    })
}
