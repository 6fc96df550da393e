//! Dry runs: every hook and write happens, inside a transaction that is
//! rolled back, and the writes are counted.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use diesel::connection::{Connection, TransactionManager};

use super::frames::Pending;
use crate::connection::InnerConnection;
use crate::HookedConnection;
use hooks_core::{HookModel, Operation};

/// Rows one model would have had created, updated and deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct WriteCounts {
    /// Rows inserted.
    pub created: usize,
    /// Rows updated.
    pub updated: usize,
    /// Rows deleted.
    pub deleted: usize,
}

impl WriteCounts {
    /// All rows written.
    pub fn total(&self) -> usize {
        self.created + self.updated + self.deleted
    }

    fn add(&mut self, operation: Operation, rows: usize) {
        match operation {
            Operation::Create => self.created += rows,
            Operation::Update => self.updated += rows,
            Operation::Delete => self.deleted += rows,
        }
    }
}

/// What a [dry run](HookedConnection::dry_run) would have written, per
/// model, counted by the hooked operations (plain Diesel writes are not
/// counted). Writes of a savepoint that rolled back inside the dry run are
/// not counted either.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DryRunReport {
    models: BTreeMap<&'static str, WriteCounts>,
}

impl DryRunReport {
    /// The counts of the model named `model` (its `HookModel::MODEL`);
    /// zeros when it was not written.
    pub fn model(&self, model: &str) -> WriteCounts {
        self.models.get(model).copied().unwrap_or_default()
    }

    /// The counts of model `M`.
    pub fn of<M: HookModel>(&self) -> WriteCounts {
        self.model(M::MODEL)
    }

    /// Every model written, by name.
    pub fn models(&self) -> impl Iterator<Item = (&'static str, WriteCounts)> + '_ {
        self.models.iter().map(|(name, counts)| (*name, *counts))
    }

    /// The counts over all models.
    pub fn total(&self) -> WriteCounts {
        self.models
            .values()
            .fold(WriteCounts::default(), |mut sum, c| {
                sum.created += c.created;
                sum.updated += c.updated;
                sum.deleted += c.deleted;
                sum
            })
    }

    /// True when nothing would have been written.
    pub fn is_empty(&self) -> bool {
        self.total().total() == 0
    }

    fn add(&mut self, model: &'static str, operation: Operation, rows: usize) {
        self.models.entry(model).or_default().add(operation, rows);
    }
}

impl fmt::Display for DryRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing written");
        }
        for (i, (model, c)) in self.models().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "{model}: {} created, {} updated, {} deleted",
                c.created, c.updated, c.deleted
            )?;
        }
        Ok(())
    }
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Runs `f` with every hook and write, in a transaction (a savepoint
    /// when one is open) that is rolled back at the end, also when `f`
    /// fails or panics, and reports what the hooked operations would have
    /// created, updated and deleted.
    ///
    /// `on_commit` callbacks and deferred hooks registered during the dry
    /// run never run; `on_rollback` ones do, since the writes are rolled
    /// back. Returns `f`'s error when it fails.
    ///
    /// ```
    /// # use diesel::connection::SimpleConnection;
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry};
    /// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
    /// let mut conn = HookedConnection::new(inner, Registry::new());
    /// conn.batch_execute("CREATE TABLE t (x INTEGER)")?;
    /// let (written, report) = conn.dry_run(|conn| {
    ///     Ok(diesel::sql_query("INSERT INTO t VALUES (1)").execute(conn)?)
    /// })?;
    /// assert_eq!(written, 1);
    /// assert!(report.is_empty()); // plain Diesel writes are not counted
    /// let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
    ///     "(SELECT COUNT(*) FROM t)",
    /// ))
    /// .get_result(&mut conn)?;
    /// assert_eq!(rows, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dry_run<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> crate::Result<R>,
    ) -> crate::Result<(R, DryRunReport)> {
        type Manager<C> = <HookedConnection<C> as Connection>::TransactionManager;
        self.capture_failures(|conn| {
            Manager::<C>::begin_transaction(conn)?;
            let depth = conn.tx.depth();
            conn.tx.dry_runs += 1;
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)));
            conn.tx.dry_runs -= 1;
            let mut report = DryRunReport::default();
            for (model, operation, rows) in conn.tx.take_writes(depth) {
                report.add(model, operation, rows);
            }
            let rollback = Manager::<C>::rollback_transaction(conn);
            match result {
                Err(panic) => resume_unwind(panic),
                Ok(Err(error)) => Err(error),
                Ok(Ok(value)) => {
                    rollback?;
                    tracing::info!(%report, "dry run rolled back");
                    Ok((value, report))
                }
            }
        })
    }

    /// Counts `rows` written by a hooked `operation` on `model`, for the
    /// open dry run; does nothing outside one.
    pub(crate) fn record_write(&mut self, model: &'static str, operation: Operation, rows: usize) {
        if self.tx.dry_runs == 0 || rows == 0 {
            return;
        }
        self.settle_frames(super::frames::Outcome::RolledBack);
        self.tx.push(Pending::Write {
            model,
            operation,
            rows,
        });
    }
}
