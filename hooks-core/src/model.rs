//! The trait every hooked model implements (usually through
//! `#[derive(HookModel)]`).

use std::fmt::Debug;
use std::hash::Hash;

use crate::field::FieldSet;

/// What is known of one field of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    /// The Rust field name.
    pub name: &'static str,
    /// The SQL column name.
    pub column: &'static str,
    /// Part of the primary key.
    pub key: bool,
    /// Written by INSERT (false for `#[diesel(skip_insertion)]` fields, whose
    /// stored value, a generated key or a default, is read back).
    pub insertable: bool,
}

/// A model whose writes run lifecycle hooks.
///
/// Implemented by `#[derive(HookModel)]`; the derive also generates one
/// typed [`Field`](crate::Field) constant per field (`Account::BALANCE`).
pub trait HookModel: Clone + Send + Sync + 'static {
    /// The primary key (a tuple for composite keys).
    type Key: Clone + Eq + Hash + Ord + Debug + Send + Sync + 'static;

    /// The model's Rust name, used in messages.
    const MODEL: &'static str;
    /// The SQL table name.
    const TABLE: &'static str;
    /// The fields in declaration order; a field's index is its position here.
    const FIELDS: &'static [FieldInfo];

    /// The primary key of this record.
    fn key(&self) -> Self::Key;

    /// False when the key is a placeholder (a record not yet created:
    /// `0`, `None` or an empty string).
    fn has_key(&self) -> bool;

    /// Gives this record the primary key `key` (a bulk sync uses it to
    /// update the stored row an incoming record matched).
    fn set_key(&mut self, key: Self::Key);

    /// The fields whose values differ between `self` and `other`.
    fn diff(&self, other: &Self) -> FieldSet;

    /// Sets the fields in `fields` to their values in `from` (a clone of
    /// each); the others keep theirs. An update of named fields uses it to
    /// start from the stored row, so that hooks see, and the caller gets
    /// back, only what is written.
    fn copy_fields(&mut self, from: &Self, fields: FieldSet);

    /// Indices of the primary-key fields, in key order (the order of
    /// [`key`](Self::key)'s tuple). The default takes the fields flagged
    /// `key` in declaration order; the derive overrides it when the key
    /// lists them in another order.
    fn key_fields() -> impl Iterator<Item = usize> {
        Self::FIELDS
            .iter()
            .enumerate()
            .filter(|(_, f)| f.key)
            .map(|(i, _)| i)
    }

    /// The primary-key fields, as a set.
    fn key_set() -> FieldSet {
        Self::key_fields().fold(FieldSet::EMPTY, FieldSet::with)
    }

    /// Every field, as a set.
    fn all_fields() -> FieldSet {
        FieldSet::first(Self::FIELDS.len())
    }
}

/// A primary-key value that can be a placeholder on records not yet created.
pub trait KeyValue {
    /// True for the placeholder (`0`, `None`, `""`).
    fn is_unset(&self) -> bool;
}

macro_rules! zero_is_unset {
    ($($t:ty),*) => {$(
        impl KeyValue for $t {
            fn is_unset(&self) -> bool {
                *self == 0
            }
        }
    )*};
}
zero_is_unset!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, isize, usize);

impl<T> KeyValue for Option<T> {
    fn is_unset(&self) -> bool {
        self.is_none()
    }
}

impl KeyValue for String {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl<T: KeyValue + ?Sized> KeyValue for &T {
    fn is_unset(&self) -> bool {
        (**self).is_unset()
    }
}
