//! The models of `migrations/`, hooked.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hooks_diesel::HookModel;

use crate::schema::{accounts, audit_log};

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
