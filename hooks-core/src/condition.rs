//! Conditions: per-record filters that decide which records a hook sees.

use std::fmt;
use std::ops::Not;
use std::sync::Arc;

use crate::field::Field;

type Predicate<M> = dyn Fn(&M, Option<&M>) -> bool + Send + Sync;

/// A filter over one `(new, old)` pair of model `M`.
///
/// Built from typed field descriptors (`Account::BALANCE.changed()`),
/// combined with [`and`](Condition::and), [`or`](Condition::or) and `!`, or
/// written as a closure with [`Condition::new`]. Conditions that look at the
/// old record (`changed`, `was`, `changes_to`, ...) are false when there is
/// none, as on create.
///
/// ```
/// use hooks_core::{Condition, Field};
///
/// #[derive(Clone)]
/// struct Account { balance: i64, status: String }
/// const BALANCE: Field<Account, i64> = Field::new(0, "balance", |a| &a.balance);
/// const STATUS: Field<Account, String> = Field::new(1, "status", |a| &a.status);
///
/// let frozen_rich = STATUS.changes_to("frozen").and(BALANCE.gt(100));
/// let old = Account { balance: 500, status: "active".into() };
/// let new = Account { balance: 500, status: "frozen".into() };
/// assert!(frozen_rich.check(&new, Some(&old)));
/// assert!(!frozen_rich.check(&new, None)); // no old record: not a change
/// ```
pub struct Condition<M> {
    describe: Arc<str>,
    test: Arc<Predicate<M>>,
}

impl<M> Clone for Condition<M> {
    fn clone(&self) -> Self {
        Condition {
            describe: Arc::clone(&self.describe),
            test: Arc::clone(&self.test),
        }
    }
}

impl<M> fmt::Debug for Condition<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Condition({})", self.describe)
    }
}

impl<M> fmt::Display for Condition<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe)
    }
}

impl<M: 'static> Condition<M> {
    /// A condition from a closure over `(new, old)`; `describe` names it in
    /// messages and spans.
    pub fn new(
        describe: impl Into<String>,
        test: impl Fn(&M, Option<&M>) -> bool + Send + Sync + 'static,
    ) -> Self {
        Condition {
            describe: Arc::from(describe.into()),
            test: Arc::new(test),
        }
    }

    /// A condition every pair passes.
    pub fn always() -> Self {
        Condition::new("always", |_, _| true)
    }

    /// Whether the pair passes.
    pub fn check(&self, new: &M, old: Option<&M>) -> bool {
        (self.test)(new, old)
    }

    /// Both conditions pass.
    #[must_use]
    pub fn and(self, other: impl Into<Condition<M>>) -> Condition<M> {
        let other = other.into();
        let describe = format!("({} and {})", self.describe, other.describe);
        Condition::new(describe, move |n, o| self.check(n, o) && other.check(n, o))
    }

    /// Either condition passes.
    #[must_use]
    pub fn or(self, other: impl Into<Condition<M>>) -> Condition<M> {
        let other = other.into();
        let describe = format!("({} or {})", self.describe, other.describe);
        Condition::new(describe, move |n, o| self.check(n, o) || other.check(n, o))
    }
}

impl<M: 'static> Not for Condition<M> {
    type Output = Condition<M>;

    fn not(self) -> Condition<M> {
        let describe = format!("not {}", self.describe);
        Condition::new(describe, move |n, o| !self.check(n, o))
    }
}

/// Field types that can be NULL (`Option<T>`), for [`Field::is_null`].
pub trait Nullable {
    /// True for `None`.
    fn is_null(&self) -> bool;
}

impl<T> Nullable for Option<T> {
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

impl<M: 'static, T: 'static> Field<M, T> {
    fn condition(
        self,
        what: impl fmt::Display,
        test: impl Fn(&T, Option<&T>) -> bool + Send + Sync + 'static,
    ) -> Condition<M> {
        let get = self;
        Condition::new(format!("{} {}", self.name(), what), move |n, o| {
            test(get.get(n), o.map(|o| get.get(o)))
        })
    }

    /// The field differs between old and new (false on create).
    pub fn changed(self) -> Condition<M>
    where
        T: PartialEq,
    {
        self.condition("changed", |n, o| o.is_some_and(|o| n != o))
    }

    /// The field is equal in old and new (false on create).
    pub fn unchanged(self) -> Condition<M>
    where
        T: PartialEq,
    {
        self.condition("unchanged", |n, o| o.is_some_and(|o| n == o))
    }

    /// The new value equals `value`.
    pub fn is<V>(self, value: V) -> Condition<M>
    where
        T: PartialEq<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("is {value:?}"), move |n, _| *n == value)
    }

    /// The new value differs from `value`.
    pub fn is_not<V>(self, value: V) -> Condition<M>
    where
        T: PartialEq<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("is not {value:?}"), move |n, _| *n != value)
    }

    /// The old value equals `value` (false on create).
    pub fn was<V>(self, value: V) -> Condition<M>
    where
        T: PartialEq<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("was {value:?}"), move |_, o| {
            o.is_some_and(|o| *o == value)
        })
    }

    /// The old value differs from `value` (false on create).
    pub fn was_not<V>(self, value: V) -> Condition<M>
    where
        T: PartialEq<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("was not {value:?}"), move |_, o| {
            o.is_some_and(|o| *o != value)
        })
    }

    /// The value becomes `value`: old differs from it, new equals it
    /// (false on create).
    pub fn changes_to<V>(self, value: V) -> Condition<M>
    where
        T: PartialEq<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("changes to {value:?}"), move |n, o| {
            o.is_some_and(|o| *o != value && *n == value)
        })
    }

    /// The value stops being `value`: old equals it, new differs
    /// (false on create).
    pub fn changes_from<V>(self, value: V) -> Condition<M>
    where
        T: PartialEq<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("changes from {value:?}"), move |n, o| {
            o.is_some_and(|o| *o == value && *n != value)
        })
    }

    /// The new value is NULL (`None`).
    pub fn is_null(self) -> Condition<M>
    where
        T: Nullable,
    {
        self.condition("is null", |n, _| n.is_null())
    }

    /// The new value is not NULL.
    pub fn is_not_null(self) -> Condition<M>
    where
        T: Nullable,
    {
        self.condition("is not null", |n, _| !n.is_null())
    }

    /// The new value is greater than `value`.
    pub fn gt<V>(self, value: V) -> Condition<M>
    where
        T: PartialOrd<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("> {value:?}"), move |n, _| *n > value)
    }

    /// The new value is greater than or equal to `value`.
    pub fn ge<V>(self, value: V) -> Condition<M>
    where
        T: PartialOrd<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!(">= {value:?}"), move |n, _| *n >= value)
    }

    /// The new value is less than `value`.
    pub fn lt<V>(self, value: V) -> Condition<M>
    where
        T: PartialOrd<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("< {value:?}"), move |n, _| *n < value)
    }

    /// The new value is less than or equal to `value`.
    pub fn le<V>(self, value: V) -> Condition<M>
    where
        T: PartialOrd<V>,
        V: fmt::Debug + Send + Sync + 'static,
    {
        self.condition(format!("<= {value:?}"), move |n, _| *n <= value)
    }

    /// A closure over the new and old value of this field.
    pub fn matches(
        self,
        describe: &str,
        test: impl Fn(&T, Option<&T>) -> bool + Send + Sync + 'static,
    ) -> Condition<M> {
        self.condition(describe, test)
    }
}
