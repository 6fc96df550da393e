//! What every hooked operation shares: the transaction, the depth, the
//! dispatch of hooks with deferred calls, chunk sizes and key checks.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::{Error, Result};
use crate::query::{in_key_order, Writable};
use hooks_core::{
    nested, ChangeSet, DispatchError, Event, FieldSet, HasScope, HookModel, Operation, Registry,
};

/// One running hooked operation of model `M`.
pub(crate) struct Run<C> {
    registry: Arc<Registry<HookedConnection<C>>>,
    depth: u32,
    hooks_on: bool,
    chunk_size: usize,
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Runs `body` as hooked operation `operation` of `M` over `records`
    /// records: in a write transaction, one level deeper, inside a span.
    pub(crate) fn hooked<M: HookModel, R: Send + Sync + 'static>(
        &mut self,
        operation: Operation,
        records: usize,
        body: impl FnOnce(&mut Self, &Run<C>) -> Result<R>,
    ) -> Result<R> {
        let span = tracing::debug_span!(
            "hooked_op",
            model = M::MODEL,
            operation = %operation,
            records,
            backend = <C::Backend as HookBackend>::NAME,
        );
        let _entered = span.enter();
        let run_started = std::time::Instant::now();
        self.forget_failed_statements();
        let result = nested::<M, _, _>(self, |conn, depth| {
            let run = Run {
                registry: Arc::clone(conn.registry()),
                depth,
                hooks_on: !conn.scope().is_bypassed::<M>(),
                chunk_size: conn.config().chunk_size.max(1),
            };
            conn.write_transaction(M::TABLE, |conn| body(conn, &run))
        })
        .map_err(|e| Error::from(refused_operation(e, operation)))
        .and_then(|r| r);
        self.prepared.note_operation::<C::Backend, _>(&result);
        tracing::debug!(
            elapsed_us = run_started.elapsed().as_micros() as u64,
            ok = result.is_ok(),
            "hooked operation done"
        );
        result
    }
}

impl<C> HookedConnection<C> {
    /// Reports that `done` of `total` records of `M` were written.
    pub(crate) fn progress<M: HookModel>(
        &self,
        operation: Operation,
        done: usize,
        total: Option<usize>,
    ) {
        tracing::debug!(model = M::MODEL, operation = %operation, done, total, "chunk written");
        if let Some(progress) = &self.config().progress {
            progress.call(&crate::Progress {
                model: M::MODEL,
                operation,
                done,
                total,
            });
        }
    }
}

impl<C> Run<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// True when hooks of `event` will run for `M`.
    pub(crate) fn wants<M: HookModel>(&self, event: Event) -> bool {
        self.hooks_on && self.registry.has_hooks::<M>(event)
    }

    /// True when any hook of `operation` will run for `M`.
    pub(crate) fn wants_any<M: HookModel>(&self, operation: Operation) -> bool {
        self.hooks_on && self.registry.has_operation_hooks::<M>(operation)
    }

    /// Dispatches `event` over `set`; deferred hooks are handed to the
    /// connection to run after commit.
    pub(crate) fn dispatch<M: HookModel>(
        &self,
        conn: &mut HookedConnection<C>,
        event: Event,
        set: &mut ChangeSet<M>,
    ) -> Result<()> {
        if !self.wants::<M>(event) {
            return Ok(());
        }
        let mut deferred = Vec::new();
        self.registry
            .dispatch(conn, event, self.depth, set, &mut |call| {
                deferred.push(call)
            })
            .map_err(too_deep_through_hook)?;
        for call in deferred {
            conn.defer_hook(call);
        }
        Ok(())
    }

    /// Dispatches BEFORE hooks `event` over rows already written (a
    /// set-based update, an intercepted insert): what they edit is written
    /// back to the same rows, what they reject rolls the operation back.
    pub(crate) fn dispatch_after_write<M: Writable<C::Backend>>(
        &self,
        conn: &mut HookedConnection<C>,
        event: Event,
        set: &mut ChangeSet<M>,
    ) -> Result<()> {
        if !self.wants::<M>(event) {
            return Ok(());
        }
        let as_stored = set.news().to_vec();
        self.dispatch(conn, event, set)?;
        let edited = set
            .news()
            .iter()
            .zip(&as_stored)
            .fold(FieldSet::EMPTY, |f, (n, s)| f.union(n.diff(s)))
            .difference(M::key_set());
        if !edited.is_empty() {
            M::update_rows(conn.inner_mut(), set.news(), edited)?;
        }
        Ok(())
    }

    /// The configured chunk size, for statements whose binds do not grow
    /// with the rows (arrays).
    pub(crate) fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Rows per statement: the configured chunk size, lowered so that
    /// `binds_per_row` binds per row stay within the backend's limit.
    pub(crate) fn chunk_len(&self, binds_per_row: usize) -> usize {
        let by_binds = <C::Backend as HookBackend>::BIND_LIMIT / binds_per_row.max(1);
        self.chunk_size.min(by_binds).max(1)
    }
}

/// A hook that failed because a hooked operation it ran nested too deep
/// (that operation's `Error::Hook(DepthExceeded)`, boxed in the hook's
/// error): the depth error itself, with the hook's step added, instead of
/// one more wrapping per level.
fn too_deep_through_hook(error: DispatchError) -> DispatchError {
    match error {
        DispatchError::Hook {
            hook,
            event,
            model,
            records,
            source,
        } => match source.downcast::<Error>() {
            Ok(inner) => match *inner {
                Error::Hook(depth @ DispatchError::DepthExceeded { .. }) => {
                    depth.through_hook(model, event)
                }
                other => DispatchError::Hook {
                    hook,
                    event,
                    model,
                    records,
                    source: Box::new(other),
                },
            },
            Err(source) => DispatchError::Hook {
                hook,
                event,
                model,
                records,
                source,
            },
        },
        other => other,
    }
}

/// Names the operation refused by the depth limit (`Account create`) at
/// the end of the chain.
fn refused_operation(error: DispatchError, operation: Operation) -> DispatchError {
    match error {
        DispatchError::DepthExceeded {
            depth,
            limit,
            model,
            mut chain,
        } if chain.len() == 1 => {
            chain[0] = format!("{model} {operation}");
            DispatchError::DepthExceeded {
                depth,
                limit,
                model,
                chain,
            }
        }
        other => other,
    }
}

/// The keys of records to update or delete, in order; refuses records
/// without a key and keys given twice.
pub(crate) fn check_keys<M: HookModel>(records: &[M], operation: Operation) -> Result<Vec<M::Key>> {
    let missing: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.has_key())
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingKey {
            model: M::MODEL,
            operation,
            positions: missing,
        });
    }
    let keys: Vec<M::Key> = records.iter().map(HookModel::key).collect();
    // Keys in ascending order (records as they were loaded, the usual
    // case) are distinct without hashing every one of them.
    if keys.windows(2).all(|pair| pair[0] < pair[1]) {
        return Ok(keys);
    }
    let mut seen: HashMap<&M::Key, usize> = HashMap::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        if seen.insert(key, i).is_some() {
            let positions = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| *k == key)
                .map(|(j, _)| j)
                .collect();
            return Err(Error::DuplicateKey {
                model: M::MODEL,
                operation,
                key: format!("{key:?}"),
                positions,
            });
        }
    }
    Ok(keys)
}

/// The rows a probe read first (locked, in key order, `chunk` of them)
/// when the keys the condition then gave start with theirs: those rows are
/// the first chunk's, unchanged since (they are locked), and need no second
/// read. `None` when the keys start otherwise.
pub(crate) fn leading_rows<R, K: PartialEq>(
    mut rows: Vec<R>,
    chunk: usize,
    keys: &[K],
    key: impl Fn(&R) -> K,
) -> Option<Vec<R>> {
    rows.truncate(chunk);
    let same = keys.len() >= rows.len() && rows.iter().zip(keys).all(|(row, k)| key(row) == *k);
    same.then_some(rows)
}

/// The rows of `keys`, in the order of `keys` (the caller's); fails naming
/// every key without a row.
pub(crate) fn rows_in_order<M: HookModel>(keys: &[M::Key], rows: Vec<M>) -> Result<Vec<M>> {
    in_key_order(keys, rows).map_err(|keys| Error::Vanished {
        model: M::MODEL,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::{check_keys, leading_rows};
    use crate::error::Error;
    use hooks_core::{FieldInfo, FieldSet, HookModel, Operation};

    #[derive(Clone, Debug)]
    struct Row(i64);

    impl HookModel for Row {
        type Key = i64;
        const MODEL: &'static str = "Row";
        const TABLE: &'static str = "rows";
        const FIELDS: &'static [FieldInfo] = &[];
        fn key(&self) -> i64 {
            self.0
        }
        fn has_key(&self) -> bool {
            self.0 != 0
        }
        fn set_key(&mut self, key: i64) {
            self.0 = key;
        }
        fn diff(&self, _: &Self) -> FieldSet {
            FieldSet::EMPTY
        }
        fn copy_fields(&mut self, _: &Self, _: FieldSet) {}
    }

    fn rows(keys: &[i64]) -> Vec<Row> {
        keys.iter().map(|&k| Row(k)).collect()
    }

    #[test]
    fn keys_in_any_order_come_back_in_the_callers_order() {
        for keys in [&[1, 2, 5][..], &[5, 1, 2], &[7], &[3, 2, 1]] {
            let checked = check_keys(&rows(keys), Operation::Update).ok();
            assert_eq!(checked.as_deref(), Some(keys));
        }
    }

    #[test]
    fn a_key_given_twice_is_refused_in_any_order() {
        for (keys, twice) in [
            (&[1, 2, 2, 3][..], vec![1, 2]),
            (&[3, 1, 3], vec![0, 2]),
            (&[1, 1], vec![0, 1]),
            (&[2, 1, 1, 4], vec![1, 2]),
        ] {
            match check_keys(&rows(keys), Operation::Delete) {
                Err(Error::DuplicateKey { positions, .. }) => assert_eq!(positions, twice),
                other => panic!("{keys:?}: expected DuplicateKey, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_record_without_a_key_is_refused() {
        let err = check_keys(&rows(&[1, 0, 2]), Operation::Update);
        assert!(matches!(err, Err(Error::MissingKey { ref positions, .. }) if positions == &[1]));
    }

    #[test]
    fn a_probe_gives_the_first_chunk_only_when_the_keys_start_with_its_rows() {
        let first = || rows(&[2, 4, 6]);
        let key = |r: &Row| r.0;
        let kept = |keys: &[i64]| {
            leading_rows(first(), 2, keys, key).map(|r| r.iter().map(key).collect::<Vec<_>>())
        };
        assert_eq!(
            kept(&[2, 4, 6, 8]),
            Some(vec![2, 4]),
            "the row past the chunk is dropped"
        );
        assert_eq!(kept(&[2, 4]), Some(vec![2, 4]));
        // A row that appeared before them, or one of them gone: read again.
        assert_eq!(kept(&[1, 2, 4, 6]), None);
        assert_eq!(kept(&[2, 6, 8]), None);
        assert_eq!(kept(&[2]), None);
    }
}
