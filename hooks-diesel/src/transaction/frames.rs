//! The callback frames: what waits for the open transaction (and each of
//! its savepoints) to commit or roll back.
//!
//! Entries are kept in one list in registration order, each tagged with the
//! transaction depth it was registered at. An entry is always registered at
//! the innermost open depth, so the entries of depth `d` and deeper form a
//! suffix of the list: a savepoint that ends takes that suffix, a released
//! one hands it to its parent by lowering the tag.

use std::fmt;

use crate::HookedConnection;
use hooks_core::{BoxError, Operation};

/// A callback waiting for a commit or rollback.
pub(crate) type Callback<C> =
    Box<dyn FnOnce(&mut HookedConnection<C>) -> Result<(), BoxError> + Send>;

/// How the transactions (or savepoints) that just closed ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Committed,
    RolledBack,
}

pub(crate) enum Pending<C> {
    /// `on_commit` callbacks and deferred hooks.
    Commit(Callback<C>),
    /// `on_rollback` callbacks.
    Rollback(Callback<C>),
    /// Items staged to be written just before the outermost `COMMIT`.
    Staged(Staged<C>),
    /// A write counted for a dry run.
    Write {
        model: &'static str,
        operation: Operation,
        rows: usize,
    },
}

/// Staged items of one type (`Vec<T>`, boxed) and the function that
/// writes them: see [`BeforeCommit`](super::BeforeCommit).
pub(crate) struct Staged<C> {
    pub(crate) kind: std::any::TypeId,
    pub(crate) items: Box<dyn std::any::Any + Send>,
    pub(crate) flush: super::staged::FlushFn<C>,
}

struct Entry<C> {
    depth: u32,
    pending: Pending<C>,
}

/// The callback bookkeeping a `HookedConnection` carries.
pub(crate) struct TxState<C> {
    /// The transaction depth the entries are settled with.
    depth: u32,
    entries: Vec<Entry<C>>,
    /// How many callers wait for callback failures (`capture_failures`).
    pub(crate) capturing: u32,
    /// The first callback failure seen while capturing.
    pub(crate) failure: Option<BoxError>,
    /// How many dry runs are open (writes are counted only then).
    pub(crate) dry_runs: u32,
    /// Whether the open transaction is known to hold the write lock a
    /// hooked write takes up front ([`HookBackend::write_lock_sql`](crate::HookBackend::write_lock_sql)):
    /// begun `IMMEDIATE`, or taken since. Cleared when no transaction is
    /// open.
    pub(crate) write_locked: bool,
}

impl<C> Default for TxState<C> {
    fn default() -> Self {
        TxState {
            depth: 0,
            entries: Vec::new(),
            capturing: 0,
            failure: None,
            dry_runs: 0,
            write_locked: false,
        }
    }
}

impl<C> fmt::Debug for TxState<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxState")
            .field("depth", &self.depth)
            .field(
                "on_commit",
                &self.count(|p| matches!(p, Pending::Commit(_))),
            )
            .field(
                "on_rollback",
                &self.count(|p| matches!(p, Pending::Rollback(_))),
            )
            .field("staged", &self.count(|p| matches!(p, Pending::Staged(_))))
            .field("dry_runs", &self.dry_runs)
            .finish()
    }
}

impl<C> TxState<C> {
    /// The depth the frames are settled with.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    /// Adds an entry at the current depth.
    pub(crate) fn push(&mut self, pending: Pending<C>) {
        self.entries.push(Entry {
            depth: self.depth,
            pending,
        });
    }

    pub(crate) fn count(&self, what: impl Fn(&Pending<C>) -> bool) -> usize {
        self.entries.iter().filter(|e| what(&e.pending)).count()
    }

    /// The inner connection is now at `depth`; the transactions above it
    /// ended with `outcome`. Returns the callbacks now due, in registration
    /// order: `on_commit` ones when the outermost transaction committed,
    /// `on_rollback` ones of whatever rolled back.
    pub(crate) fn settle(&mut self, depth: u32, outcome: Outcome) -> Vec<Callback<C>> {
        if depth == 0 {
            self.write_locked = false;
        }
        if depth >= self.depth {
            self.depth = depth;
            return Vec::new();
        }
        self.depth = depth;
        let start = self
            .entries
            .iter()
            .position(|e| e.depth > depth)
            .unwrap_or(self.entries.len());
        let ended = self.entries.split_off(start);
        match outcome {
            Outcome::Committed if depth > 0 => {
                // Released savepoints: the parent inherits everything.
                self.entries.extend(ended.into_iter().map(|mut e| {
                    e.depth = depth;
                    e
                }));
                Vec::new()
            }
            Outcome::Committed => ended
                .into_iter()
                .filter_map(|e| match e.pending {
                    Pending::Commit(f) => Some(f),
                    _ => None,
                })
                .collect(),
            Outcome::RolledBack => ended
                .into_iter()
                .filter_map(|e| match e.pending {
                    Pending::Rollback(f) => Some(f),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Takes every `on_commit` callback, leaving the rest.
    pub(crate) fn take_commit_callbacks(&mut self) -> Vec<Callback<C>> {
        let mut taken = Vec::new();
        let mut kept = Vec::with_capacity(self.entries.len());
        for entry in self.entries.drain(..) {
            match entry.pending {
                Pending::Commit(f) => taken.push(f),
                pending => kept.push(Entry {
                    depth: entry.depth,
                    pending,
                }),
            }
        }
        self.entries = kept;
        taken
    }

    /// Calls `f` with each staged entry, in staging order.
    pub(crate) fn for_each_staged(&self, mut f: impl FnMut(&Staged<C>)) {
        for entry in &self.entries {
            if let Pending::Staged(staged) = &entry.pending {
                f(staged);
            }
        }
    }

    /// Takes every staged entry, in staging order, leaving the rest.
    pub(crate) fn take_staged(&mut self) -> Vec<Staged<C>> {
        let mut taken = Vec::new();
        let mut kept = Vec::with_capacity(self.entries.len());
        for entry in self.entries.drain(..) {
            match entry.pending {
                Pending::Staged(staged) => taken.push(staged),
                pending => kept.push(Entry {
                    depth: entry.depth,
                    pending,
                }),
            }
        }
        self.entries = kept;
        taken
    }

    /// Takes the writes counted at `depth` and deeper.
    pub(crate) fn take_writes(&mut self, depth: u32) -> Vec<(&'static str, Operation, usize)> {
        let mut writes = Vec::new();
        self.entries.retain(|e| match e.pending {
            Pending::Write {
                model,
                operation,
                rows,
            } if e.depth >= depth => {
                writes.push((model, operation, rows));
                false
            }
            _ => true,
        });
        writes
    }

    /// Drops every pending callback and counted write.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.write_locked = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Log = std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>;

    fn callback(log: &Log, name: &'static str) -> Callback<()> {
        let log = log.clone();
        Box::new(move |_| {
            log.lock().map_err(|e| e.to_string())?.push(name);
            Ok(())
        })
    }

    fn run(due: Vec<Callback<()>>, log: &Log) -> Vec<&'static str> {
        let mut conn = HookedConnection::new((), crate::Registry::new());
        for f in due {
            f(&mut conn).expect("callback");
        }
        std::mem::take(&mut *log.lock().expect("log"))
    }

    #[test]
    fn released_savepoints_hand_callbacks_to_the_parent() {
        let log = Log::default();
        let mut s = TxState::<()>::default();
        s.settle(1, Outcome::RolledBack);
        s.push(Pending::Commit(callback(&log, "a")));
        s.settle(2, Outcome::RolledBack);
        s.push(Pending::Commit(callback(&log, "b")));
        assert!(s.settle(1, Outcome::Committed).is_empty());
        s.push(Pending::Commit(callback(&log, "c")));
        let due = s.settle(0, Outcome::Committed);
        assert_eq!(run(due, &log), ["a", "b", "c"]);
    }

    #[test]
    fn rolled_back_savepoints_drop_commit_callbacks_and_run_rollback_ones() {
        let log = Log::default();
        let mut s = TxState::<()>::default();
        s.settle(1, Outcome::RolledBack);
        s.push(Pending::Commit(callback(&log, "kept")));
        s.settle(3, Outcome::RolledBack);
        s.push(Pending::Commit(callback(&log, "dropped")));
        s.push(Pending::Rollback(callback(&log, "undo")));
        let due = s.settle(1, Outcome::RolledBack);
        assert_eq!(run(due, &log), ["undo"]);
        let due = s.settle(0, Outcome::Committed);
        assert_eq!(run(due, &log), ["kept"]);
    }
}
