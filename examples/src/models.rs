//! The models of `migrations/`, hooked.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hooks_diesel::HookModel;

use crate::schema::{accounts, audit_changes, audit_log, memberships};

/// The workload's account.
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts)]
pub struct Account {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub owner: String,
    pub balance: i64,
    pub status: String,
    pub updated_at: Option<NaiveDateTime>,
}

impl Account {
    /// A new (not yet created) account.
    pub fn new(owner: impl Into<String>, balance: i64, status: &str) -> Self {
        Account {
            id: 0,
            owner: owner.into(),
            balance,
            status: status.into(),
            updated_at: None,
        }
    }
}

/// A line of the audit log; `created_at` is filled by the database.
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub account_id: i64,
    pub action: String,
    #[diesel(skip_insertion)]
    pub created_at: NaiveDateTime,
}

impl AuditEntry {
    /// A new entry.
    pub fn new(account_id: i64, action: &str) -> Self {
        AuditEntry {
            id: 0,
            account_id,
            action: action.into(),
            created_at: NaiveDateTime::default(),
        }
    }
}

/// One changed field of a hooked record, as the `audit` example's hooks
/// record it; `changed_at` is filled by the database.
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = audit_changes)]
pub struct AuditChange {
    #[diesel(skip_insertion)]
    pub id: i64,
    /// The model's Rust name (`HookModel::MODEL`).
    pub model: String,
    /// The record's primary key, as text (`42`, `(1, 7)`).
    pub record_key: String,
    /// `create`, `update` or `delete`.
    pub operation: String,
    /// The Rust field name.
    pub field: String,
    /// The value before (`None` on create, or for SQL NULL).
    pub old_value: Option<String>,
    /// The value after (`None` on delete, or for SQL NULL).
    pub new_value: Option<String>,
    #[diesel(skip_insertion)]
    pub changed_at: NaiveDateTime,
}

/// A member of an organisation: a composite key the caller chooses.
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = memberships, primary_key(org_id, user_id))]
pub struct Membership {
    pub org_id: i64,
    pub user_id: i64,
    pub role: String,
}

impl Membership {
    /// A membership of `user_id` in `org_id`.
    pub fn new(org_id: i64, user_id: i64, role: &str) -> Self {
        Membership {
            org_id,
            user_id,
            role: role.into(),
        }
    }
}
