//! The data of the accounts workload, and what the table and the hooks
//! must look like after each phase.

use chrono::NaiveDateTime;
use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use hooks_examples::models::Account;

use crate::hooked::HookTally;
use crate::phases::Phase;

/// Status of odd-numbered accounts, matched by the set-based update.
pub const ACTIVE: &str = "active";
/// Status of even-numbered accounts.
pub const IDLE: &str = "idle";
/// Status the set-based update writes.
pub const FROZEN: &str = "frozen";

/// The timestamp written to `updated_at`.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A summary of the table, to check that every variant of a phase leaves
/// the same rows behind (timestamps aside).
#[derive(QueryableByName, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint {
    #[diesel(sql_type = BigInt)]
    pub row_count: i64,
    #[diesel(sql_type = BigInt)]
    pub id_sum: i64,
    #[diesel(sql_type = BigInt)]
    pub balance_sum: i64,
    #[diesel(sql_type = BigInt)]
    pub frozen: i64,
    #[diesel(sql_type = BigInt)]
    pub stamped: i64,
}

/// The query behind [`Fingerprint`]; `bigint` is the type a cast to a
/// 64-bit integer names on the backend (`BIGINT`, or `SIGNED` on MySQL,
/// whose `SUM` is a `DECIMAL`).
pub fn fingerprint_sql(bigint: &str) -> String {
    format!(
        "SELECT COUNT(*) AS row_count, \
         CAST(COALESCE(SUM(id), 0) AS {bigint}) AS id_sum, \
         CAST(COALESCE(SUM(balance), 0) AS {bigint}) AS balance_sum, \
         CAST(COALESCE(SUM(CASE WHEN status = 'frozen' THEN 1 ELSE 0 END), 0) AS {bigint}) AS frozen, \
         COUNT(updated_at) AS stamped \
         FROM accounts"
    )
}

/// The records of one run, prepared once per backend.
pub struct Workload {
    /// Input of `bulk_create`: owner "o{i}", balance i, status active for
    /// odd i and idle for even i, for i in 1..=N.
    pub fresh: Vec<Account>,
    /// The rows as stored after `bulk_create` (the starting state of every
    /// later phase), in key order.
    pub stored: Vec<Account>,
    /// Input of `bulk_update`: `stored` with 1 added to the balance of
    /// every second row.
    pub updated: Vec<Account>,
    /// Positions in `updated` of the changed records.
    pub changed: Vec<usize>,
}

impl Workload {
    /// The new accounts of a run of `n` records.
    pub fn fresh(n: usize) -> Vec<Account> {
        (1..=n as i64)
            .map(|i| {
                let status = if i % 2 == 1 { ACTIVE } else { IDLE };
                Account::new(format!("o{i}"), i, status)
            })
            .collect()
    }

    /// The workload, given the rows as stored after creating `fresh`.
    pub fn new(fresh: Vec<Account>, stored: Vec<Account>) -> Self {
        let mut updated = stored.clone();
        let changed: Vec<usize> = (1..updated.len()).step_by(2).collect();
        for &i in &changed {
            updated[i].balance += 1;
        }
        Workload {
            fresh,
            stored,
            updated,
            changed,
        }
    }

    /// Number of records per phase.
    pub fn n(&self) -> usize {
        self.fresh.len()
    }

    /// Rows the set-based update matches.
    pub fn active(&self) -> usize {
        self.stored.iter().filter(|a| a.status == ACTIVE).count()
    }

    /// The table right after `bulk_create` (and before every later phase).
    pub fn created(&self) -> Fingerprint {
        Fingerprint {
            row_count: count(self.stored.len()),
            id_sum: self.stored.iter().map(|a| a.id).sum(),
            balance_sum: self.stored.iter().map(|a| a.balance).sum(),
            frozen: 0,
            stamped: 0,
        }
    }

    /// The table after `phase`, whichever variant ran it.
    pub fn after(&self, phase: Phase) -> Fingerprint {
        let created = self.created();
        match phase {
            Phase::BulkCreate => created,
            Phase::BulkUpdate => Fingerprint {
                balance_sum: created.balance_sum + count(self.changed.len()),
                stamped: count(self.changed.len()),
                ..created
            },
            Phase::QuerysetUpdate => Fingerprint {
                frozen: count(self.active()),
                stamped: count(self.active()),
                ..created
            },
            Phase::BulkDelete => Fingerprint::default(),
        }
    }

    /// How many records each hook of the hooked run must see in `phase`
    /// (see the hook table of WORKLOAD.md).
    pub fn hooks(&self, phase: Phase) -> HookTally {
        let n = self.n();
        match phase {
            Phase::BulkCreate => HookTally {
                before_create: n,
                after_create: n,
                ..HookTally::default()
            },
            // Records equal to their stored row reach no hook; the changed
            // half all changed their balance.
            Phase::BulkUpdate => HookTally {
                before_update: self.changed.len(),
                after_update_balance: self.changed.len(),
                ..HookTally::default()
            },
            // Only the status changes: the balance condition passes no row.
            Phase::QuerysetUpdate => HookTally {
                before_update: self.active(),
                after_update_balance: 0,
                ..HookTally::default()
            },
            Phase::BulkDelete => HookTally {
                after_delete: n,
                ..HookTally::default()
            },
        }
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
