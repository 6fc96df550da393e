//! The models of `migrations/`, hooked.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hooks_diesel::HookModel;

use crate::schema::{accounts, audit_log, memberships, tallies};

/// The workload's account.
#[derive(
    Queryable, Selectable, Insertable, Identifiable, AsChangeset, HookModel, Clone, Debug, PartialEq,
)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
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

/// A row with a version, raised by one on every write (the reliability
/// tests check with it that hooks see the row just before their write).
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = tallies)]
pub struct Tally {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub total: i64,
}

impl Tally {
    /// A new tally at version 0.
    pub fn new(name: impl Into<String>, total: i64) -> Self {
        Tally {
            id: 0,
            name: name.into(),
            version: 0,
            total,
        }
    }
}
