//! Runtime behaviour of the code `#[derive(HookModel)]` generates: field
//! lists, keys, diffs, descriptors and conditions on them, and the Diesel
//! binds. No database: binds are checked through `debug_query`.

use std::fmt::Write as _;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sqlite::Sqlite;
use hooks_diesel::__private::ModelBinds;
use hooks_diesel::hooks_core::FieldInfo;
use hooks_diesel::{FieldKey, FieldSet, HookModel, ModelTable};

mod schema {
    diesel::table! {
        accounts (id) {
            id -> BigInt,
            owner -> Text,
            balance -> BigInt,
            status -> Text,
            updated_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        memberships (org_id, user_id) {
            org_id -> Integer,
            user_id -> Integer,
            role -> Text,
        }
    }

    diesel::table! {
        wide (id) {
            id -> BigInt,
            value -> BigInt,
        }
    }

    diesel::table! {
        #[sql_name = "ledger_entries"]
        entries (id) {
            id -> BigInt,
            amount -> BigInt,
        }
    }

    diesel::table! {
        people (person_id) {
            person_id -> BigInt,
            full_name -> Text,
            nickname -> Nullable<Text>,
        }
    }
}

use schema::{accounts, memberships};

#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts, check_for_backend(diesel::sqlite::Sqlite))]
pub struct Account {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub owner: String,
    pub balance: i64,
    pub status: String,
    #[diesel(treat_none_as_null = true)]
    pub updated_at: Option<chrono::NaiveDateTime>,
}

/// A composite key, listed in another order than the fields.
#[derive(Queryable, Insertable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = memberships)]
#[diesel(primary_key(user_id, org_id))]
pub struct Membership {
    pub org_id: i32,
    pub user_id: i32,
    pub role: String,
}

/// Renamed columns, a path to the table, and a key named by its column.
#[derive(Queryable, Insertable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = schema::people, primary_key(person_id))]
pub struct Person {
    #[diesel(column_name = person_id, skip_insertion)]
    pub id: i64,
    #[diesel(column_name = "full_name")]
    pub name: String,
    pub nickname: Option<String>,
}

/// `hooks_diesel` under another path.
mod reexport {
    pub use hooks_diesel as hd;
}

#[derive(HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts)]
#[hook(crate = "crate::reexport::hd")]
pub struct AccountOwner {
    pub id: i64,
    pub owner: String,
}

/// A key the caller may give, generated when unset (`0`).
#[derive(HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts)]
pub struct Chosen {
    #[hook(generated_when_unset)]
    pub id: i64,
    pub owner: String,
}

/// The same with an `Option` key over a column that is not null: bound as
/// the column's type made nullable.
#[derive(HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts)]
pub struct MaybeChosen {
    #[hook(generated_when_unset)]
    pub id: Option<i64>,
    pub owner: String,
}

/// A table renamed with `#[sql_name]`.
#[derive(HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = schema::entries)]
pub struct Entry {
    pub id: i64,
    pub amount: i64,
}

/// A model of 100 fields: more than 64, up to the 128 a `FieldSet` holds
/// (and a Diesel table has, with Diesel's `128-column-tables` feature;
/// here the fields share the columns of a small table, which is all the
/// derive needs).
macro_rules! wide_model {
    ($($field:ident)*) => {
        #[derive(HookModel, Clone, Debug, PartialEq, Default)]
        #[diesel(table_name = schema::wide)]
        pub struct Wide {
            pub id: i64,
            $(
                #[diesel(column_name = value)]
                pub $field: i64,
            )*
        }
    };
}

wide_model!(
    f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16 f17 f18 f19 f20
    f21 f22 f23 f24 f25 f26 f27 f28 f29 f30 f31 f32 f33 f34 f35 f36 f37 f38 f39 f40
    f41 f42 f43 f44 f45 f46 f47 f48 f49 f50 f51 f52 f53 f54 f55 f56 f57 f58 f59 f60
    f61 f62 f63 f64 f65 f66 f67 f68 f69 f70 f71 f72 f73 f74 f75 f76 f77 f78 f79 f80
    f81 f82 f83 f84 f85 f86 f87 f88 f89 f90 f91 f92 f93 f94 f95 f96 f97 f98 f99
);

fn account(id: i64, balance: i64, status: &str) -> Account {
    Account {
        id,
        owner: "alice".into(),
        balance,
        status: status.into(),
        updated_at: None,
    }
}

fn info(name: &'static str, column: &'static str, key: bool, insertable: bool) -> FieldInfo {
    FieldInfo {
        name,
        column,
        key,
        insertable,
    }
}

#[test]
fn names_and_fields() {
    assert_eq!(Account::MODEL, "Account");
    assert_eq!(Account::TABLE, "accounts");
    assert_eq!(
        Account::FIELDS,
        &[
            info("id", "id", true, false),
            info("owner", "owner", false, true),
            info("balance", "balance", false, true),
            info("status", "status", false, true),
            info("updated_at", "updated_at", false, true),
        ]
    );
    assert_eq!(Account::key_fields().collect::<Vec<_>>(), vec![0]);
    assert_eq!(Account::all_fields(), FieldSet::first(5));
}

#[test]
fn renamed_columns_and_table_path() {
    assert_eq!(Person::TABLE, "people");
    assert_eq!(
        Person::FIELDS,
        &[
            info("id", "person_id", true, false),
            info("name", "full_name", false, true),
            info("nickname", "nickname", false, true),
        ]
    );
    assert_eq!(Person::NAME.name(), "name");
    assert_eq!(Person::NAME.index(), 1);
}

#[test]
fn single_key() {
    let new = account(0, 10, "active");
    assert!(!new.has_key());
    let stored = account(7, 10, "active");
    assert!(stored.has_key());
    assert_eq!(stored.key(), 7_i64);
}

#[test]
fn composite_key_in_key_order() {
    let m = Membership {
        org_id: 3,
        user_id: 9,
        role: "admin".into(),
    };
    let key: (i32, i32) = m.key();
    assert_eq!(key, (9, 3));
    assert!(m.has_key());
    assert_eq!(Membership::key_fields().collect::<Vec<_>>(), vec![1, 0]);
    assert_eq!(
        Membership::FIELDS.iter().map(|f| f.key).collect::<Vec<_>>(),
        vec![true, true, false]
    );
    let half = Membership {
        user_id: 0,
        ..m.clone()
    };
    assert!(!half.has_key());
    let other_half = Membership { org_id: 0, ..m };
    assert!(!other_half.has_key());
}

#[test]
fn diff_reports_exactly_the_changed_fields() {
    let old = account(1, 100, "active");
    assert_eq!(old.diff(&old.clone()), FieldSet::EMPTY);

    let mut new = old.clone();
    new.balance = 50;
    new.status = "frozen".into();
    assert_eq!(new.diff(&old), FieldSet::single(2).with(3));
    assert_eq!(
        new.diff(&old).names::<Account>().collect::<Vec<_>>(),
        vec!["balance", "status"]
    );

    new.updated_at = NaiveDate::from_ymd_opt(2024, 5, 1).and_then(|d| d.and_hms_opt(12, 0, 0));
    new.owner = "bob".into();
    new.id = 2;
    assert_eq!(new.diff(&old), Account::all_fields());
}

#[test]
fn copy_fields_copies_exactly_the_fields_given() {
    let stored = account(1, 100, "active");
    let mut caller = stored.clone();
    caller.balance = 50;
    caller.status = "frozen".into();
    caller.owner = "bob".into();
    let mut written = stored.clone();
    written.copy_fields(&caller, FieldSet::single(Account::BALANCE.index()).with(3));
    assert_eq!(written.balance, 50);
    assert_eq!(written.status, "frozen");
    assert_eq!(
        written.owner, stored.owner,
        "fields not given keep their value"
    );
    written.copy_fields(&caller, FieldSet::EMPTY);
    assert_eq!(written.diff(&caller), FieldSet::single(1));
}

#[test]
fn descriptors() {
    let a = account(1, 500, "active");
    assert_eq!(Account::ID.index(), 0);
    assert_eq!(Account::BALANCE.index(), 2);
    assert_eq!(Account::BALANCE.name(), "balance");
    assert_eq!(Account::UPDATED_AT.name(), "updated_at");
    assert_eq!(*Account::BALANCE.get(&a), 500);
    assert_eq!(Account::STATUS.get(&a), "active");
    assert_eq!(Account::UPDATED_AT.get(&a), &None);

    let keys: Vec<FieldKey<Account>> = vec![Account::OWNER.key(), Account::STATUS.into()];
    let set: FieldSet = keys.into_iter().collect();
    assert_eq!(set, FieldSet::single(1).with(3));

    assert_eq!(AccountOwner::OWNER.index(), 1);
    assert_eq!(AccountOwner::TABLE, "accounts");
}

#[test]
fn conditions_from_descriptors() {
    let old = account(1, 500, "active");
    let mut new = old.clone();
    new.status = "frozen".into();

    let frozen = Account::STATUS.changes_to("frozen");
    assert!(frozen.check(&new, Some(&old)));
    assert!(!frozen.check(&old, Some(&old)));
    assert!(!frozen.check(&new, None));

    let rich_and_frozen = Account::BALANCE.gt(100).and(Account::STATUS.is("frozen"));
    assert!(rich_and_frozen.check(&new, None));
    assert_eq!(
        rich_and_frozen.to_string(),
        "(balance > 100 and status is \"frozen\")"
    );

    assert!(Account::BALANCE.unchanged().check(&new, Some(&old)));
    assert!(Account::STATUS.changed().check(&new, Some(&old)));
    assert!(Account::UPDATED_AT.is_null().check(&new, None));
    assert!(!Account::UPDATED_AT.is_not_null().check(&new, None));
    assert!((!Account::OWNER.is("bob")).check(&new, None));
}

#[path = "derive/binds.rs"]
mod binds;
use binds::{BadField, UpdateAll};

#[test]
fn keys_generated_when_unset() {
    let flags = [
        Chosen::KEY_GENERATED_WHEN_UNSET,
        MaybeChosen::KEY_GENERATED_WHEN_UNSET,
        Account::KEY_GENERATED_WHEN_UNSET,
        Membership::KEY_GENERATED_WHEN_UNSET,
    ];
    assert_eq!(flags, [true, true, false, false]);
    assert_eq!(
        Chosen::FIELDS[0],
        info("id", "id", true, true),
        "written when given"
    );
    let new = Chosen {
        id: 0,
        owner: "a".into(),
    };
    assert!(!new.has_key());
    let given = MaybeChosen {
        id: Some(7),
        owner: "a".into(),
    };
    assert!(given.has_key());
    assert!(!MaybeChosen {
        id: None,
        ..given.clone()
    }
    .has_key());
    let query = UpdateAll {
        key: given.key(),
        record: &given,
    };
    assert_eq!(
        diesel::debug_query::<Sqlite, _>(&query).to_string(),
        "UPDATE `accounts` SET `id` = ?, `owner` = ? WHERE `id` = ? \
         -- binds: [Some(7), \"a\", Some(7)]"
    );
}

#[test]
fn the_table_is_its_sql_name() {
    assert_eq!(Entry::TABLE, "ledger_entries");
    assert_eq!(Person::TABLE, "people");
}

#[test]
fn models_of_more_than_64_fields() {
    assert_eq!(Wide::FIELDS.len(), 100);
    assert_eq!(Wide::all_fields(), FieldSet::first(100));
    assert_eq!((Wide::F99.index(), Wide::F99.name()), (99, "f99"));
    let old = Wide::default();
    let mut new = old.clone();
    new.f99 = 1;
    new.f64 = 2;
    new.f3 = 3;
    assert_eq!(new.diff(&old), FieldSet::single(3).with(64).with(99));
    assert!(Wide::F99.changed().check(&new, Some(&old)));
    assert!(Wide::F98.unchanged().check(&new, Some(&old)));
    let mut copy = old.clone();
    copy.copy_fields(&new, FieldSet::single(99).with(64));
    assert_eq!((copy.f99, copy.f64, copy.f3), (1, 2, 0));
    let mut sql = String::new();
    assert!(write!(
        sql,
        "{}",
        diesel::debug_query::<Sqlite, _>(&BadField(&new, 99))
    )
    .is_ok());
    assert!(sql.ends_with("-- binds: [1]"), "{sql}");
    let mut sql = String::new();
    assert!(write!(
        sql,
        "{}",
        diesel::debug_query::<Sqlite, _>(&BadField(&new, 100))
    )
    .is_err());
}
