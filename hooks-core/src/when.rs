//! Conditions by the names django-bulk-hooks users know
//! (`WhenFieldHasChanged`, `WhenFieldValueIs`, ...): values that convert
//! into a [`Condition`], built from a typed [`Field`] or, for
//! [`FieldChanged`], from field keys chosen at run time.
//!
//! ```
//! use hooks_core::{Condition, Field, FieldChanged, FieldIs, FieldKey};
//! # #[derive(Clone, Debug)] struct Account { id: i64, balance: i64, status: String }
//! # impl hooks_core::HookModel for Account {
//! #     type Key = i64;
//! #     const MODEL: &'static str = "Account";
//! #     const TABLE: &'static str = "accounts";
//! #     const FIELDS: &'static [hooks_core::FieldInfo] = &[
//! #         hooks_core::FieldInfo { name: "id", column: "id", key: true, insertable: false },
//! #         hooks_core::FieldInfo { name: "balance", column: "balance", key: false, insertable: true },
//! #         hooks_core::FieldInfo { name: "status", column: "status", key: false, insertable: true },
//! #     ];
//! #     fn key(&self) -> i64 { self.id }
//! #     fn has_key(&self) -> bool { self.id != 0 }
//! #     fn set_key(&mut self, key: i64) { self.id = key }
//! #     fn diff(&self, o: &Self) -> hooks_core::FieldSet {
//! #         let mut set = hooks_core::FieldSet::EMPTY;
//! #         if self.balance != o.balance { set.insert(1) }
//! #         if self.status != o.status { set.insert(2) }
//! #         set
//! #     }
//! # }
//! const BALANCE: Field<Account, i64> = Field::new(1, "balance", |a| &a.balance);
//! const STATUS: Field<Account, String> = Field::new(2, "status", |a| &a.status);
//!
//! // The same condition, two spellings.
//! let by_name: Condition<Account> = FieldChanged(BALANCE).into();
//! let by_method = BALANCE.changed();
//! let old = Account { id: 1, balance: 5, status: "active".into() };
//! let new = Account { balance: 6, ..old.clone() };
//! assert_eq!(by_name.check(&new, Some(&old)), by_method.check(&new, Some(&old)));
//!
//! // Watched fields from configuration: any of them changed.
//! let watched: Vec<FieldKey<Account>> = ["status", "balance"]
//!     .iter()
//!     .map(|name| FieldKey::named(name).expect("a field of Account"))
//!     .collect();
//! let any: Condition<Account> = FieldChanged(watched).into();
//! assert!(any.check(&new, Some(&old)));
//! assert!(FieldKey::<Account>::named("colour").is_none());
//!
//! let active: Condition<Account> = FieldIs(STATUS, "active").into();
//! assert!(active.check(&new, None));
//! ```

use std::fmt;

use crate::condition::Condition;
use crate::field::{Field, FieldKey, FieldSet};
use crate::model::HookModel;

/// The field differs between old and new; false on create
/// (`WhenFieldHasChanged`). Holds a typed [`Field`], a [`FieldKey`], or a
/// list of keys (any of them changed).
#[derive(Clone, Debug)]
pub struct FieldChanged<F>(pub F);

/// The new value equals `.1` (`WhenFieldValueIs`).
#[derive(Clone, Debug)]
pub struct FieldIs<F, V>(pub F, pub V);

/// The new value differs from `.1` (`WhenFieldValueIsNot`).
#[derive(Clone, Debug)]
pub struct FieldIsNot<F, V>(pub F, pub V);

/// The old value equals `.1`; false on create (`WhenFieldValueWas`).
#[derive(Clone, Debug)]
pub struct FieldWas<F, V>(pub F, pub V);

/// The value becomes `.1`: old differs from it, new equals it; false on
/// create (`WhenFieldValueChangesTo`).
#[derive(Clone, Debug)]
pub struct FieldChangesTo<F, V>(pub F, pub V);

/// The value stops being `.1`; false on create.
#[derive(Clone, Debug)]
pub struct FieldChangesFrom<F, V>(pub F, pub V);

/// `and` / `or` for anything that converts into a [`Condition`], so that
/// the named conditions combine as the method forms do:
/// `FieldChanged(Account::BALANCE).and(FieldIs(Account::STATUS, "active"))`.
pub trait Combine<M: 'static>: Into<Condition<M>> {
    /// Both pass.
    fn and(self, other: impl Into<Condition<M>>) -> Condition<M> {
        self.into().and(other)
    }

    /// Either passes.
    fn or(self, other: impl Into<Condition<M>>) -> Condition<M> {
        self.into().or(other)
    }
}

impl<M: 'static, C: Into<Condition<M>>> Combine<M> for C {}

impl<M: 'static, T: PartialEq + 'static> From<FieldChanged<Field<M, T>>> for Condition<M> {
    fn from(FieldChanged(field): FieldChanged<Field<M, T>>) -> Self {
        field.changed()
    }
}

impl<M: HookModel> From<FieldChanged<FieldKey<M>>> for Condition<M> {
    fn from(FieldChanged(key): FieldChanged<FieldKey<M>>) -> Self {
        FieldChanged(vec![key]).into()
    }
}

impl<M: HookModel> From<FieldChanged<Vec<FieldKey<M>>>> for Condition<M> {
    fn from(FieldChanged(keys): FieldChanged<Vec<FieldKey<M>>>) -> Self {
        let names: Vec<&str> = keys.iter().map(|k| k.name()).collect();
        let watched: FieldSet = keys.into_iter().collect();
        Condition::new(
            format!("any of {names:?} changed"),
            move |new: &M, old: Option<&M>| {
                old.is_some_and(|old| !new.diff(old).intersection(watched).is_empty())
            },
        )
    }
}

macro_rules! valued {
    ($($(#[$doc:meta])* $name:ident => $method:ident;)*) => {$(
        $(#[$doc])*
        impl<M, T, V> From<$name<Field<M, T>, V>> for Condition<M>
        where
            M: 'static,
            T: PartialEq<V> + 'static,
            V: fmt::Debug + Send + Sync + 'static,
        {
            fn from($name(field, value): $name<Field<M, T>, V>) -> Self {
                field.$method(value)
            }
        }
    )*};
}

valued! {
    /// `FieldIs(f, v)` is `f.is(v)`.
    FieldIs => is;
    /// `FieldIsNot(f, v)` is `f.is_not(v)`.
    FieldIsNot => is_not;
    /// `FieldWas(f, v)` is `f.was(v)`.
    FieldWas => was;
    /// `FieldChangesTo(f, v)` is `f.changes_to(v)`.
    FieldChangesTo => changes_to;
    /// `FieldChangesFrom(f, v)` is `f.changes_from(v)`.
    FieldChangesFrom => changes_from;
}

impl<M: HookModel> FieldKey<M> {
    /// The field of `M` whose Rust name is `name`, for conditions and
    /// field lists read from configuration; `None` for a name `M` does not
    /// have.
    pub fn named(name: &str) -> Option<Self> {
        M::FIELDS
            .iter()
            .position(|f| f.name == name)
            .map(|index| FieldKey::at(index, M::FIELDS[index].name))
    }
}
