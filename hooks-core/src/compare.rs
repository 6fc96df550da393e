//! Comparing a stored set of records with a wanted one, matched by key
//! fields: what to add, remove and update (the core of a bulk sync).

use std::collections::HashMap;
use std::hash::Hash;

use crate::field::{Field, FieldSet};
use crate::model::HookModel;

/// The fields that identify a record in a comparison: one typed field
/// descriptor (`Account::OWNER`) or a tuple of up to four.
pub trait KeyFields<M> {
    /// The key value of a record, borrowed from it.
    type Value<'a>: Hash + Eq
    where
        M: 'a;

    /// The key value of `record`.
    fn value<'a>(&self, record: &'a M) -> Self::Value<'a>;

    /// The fields, as a set.
    fn fields(&self) -> FieldSet;
}

impl<M, T: Hash + Eq + 'static> KeyFields<M> for Field<M, T> {
    type Value<'a>
        = &'a T
    where
        M: 'a;

    fn value<'a>(&self, record: &'a M) -> &'a T {
        self.get(record)
    }

    fn fields(&self) -> FieldSet {
        FieldSet::single(self.index())
    }
}

macro_rules! tuple_key {
    ($($t:ident $i:tt),+) => {
        impl<M, $($t: Hash + Eq + 'static),+> KeyFields<M> for ($(Field<M, $t>,)+) {
            type Value<'a> = ($(&'a $t,)+) where M: 'a;

            fn value<'a>(&self, record: &'a M) -> Self::Value<'a> {
                ($(self.$i.get(record),)+)
            }

            fn fields(&self) -> FieldSet {
                FieldSet::EMPTY$(.with(self.$i.index()))+
            }
        }
    };
}
tuple_key!(A 0);
tuple_key!(A 0, B 1);
tuple_key!(A 0, B 1, C 2);
tuple_key!(A 0, B 1, C 2, D 3);

/// A record present on both sides whose compared fields differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Updated<M> {
    /// The record as stored.
    pub old: M,
    /// The record as wanted.
    pub new: M,
    /// The compared fields that differ; read their old and new values
    /// through the typed descriptors (`Account::BALANCE.get(&u.old)`).
    pub fields: FieldSet,
}

/// The outcome of [`compare`].
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison<M> {
    /// Wanted records with no stored match, in the wanted order.
    pub added: Vec<M>,
    /// Stored records with no wanted match, in the stored order.
    pub removed: Vec<M>,
    /// Stored records whose wanted match has equal compared fields.
    pub unchanged: Vec<M>,
    /// Matches whose compared fields differ, in the wanted order.
    pub updated: Vec<Updated<M>>,
}

/// Two records on one side of a comparison share a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{model}: records {first} and {second} of the {side} records have the same key fields; keys must be unique")]
pub struct DuplicateKeyFields {
    /// The model.
    pub model: &'static str,
    /// `"stored"` or `"wanted"`.
    pub side: &'static str,
    /// Position of the first record with the key.
    pub first: usize,
    /// Position of the second.
    pub second: usize,
}

/// Matches `old` (stored) and `new` (wanted) records by `key` and sorts them
/// into added, removed, unchanged and updated. Compared fields are every
/// field except the primary key, the key fields and `ignore`.
///
/// ```
/// use hooks_core::{compare, Field, FieldSet};
/// # use hooks_core::{FieldInfo, HookModel};
/// #[derive(Clone, Debug, PartialEq)]
/// struct Task { id: i64, title: String, score: i64 }
/// # const fn info(name: &'static str, key: bool) -> FieldInfo {
/// #     FieldInfo { name, column: name, key, insertable: !key }
/// # }
/// # impl HookModel for Task {
/// #     type Key = i64;
/// #     const MODEL: &'static str = "Task";
/// #     const TABLE: &'static str = "tasks";
/// #     const FIELDS: &'static [FieldInfo] =
/// #         &[info("id", true), info("title", false), info("score", false)];
/// #     fn key(&self) -> i64 { self.id }
/// #     fn has_key(&self) -> bool { self.id != 0 }
/// #     fn set_key(&mut self, key: i64) { self.id = key }
/// #     fn diff(&self, o: &Self) -> FieldSet {
/// #         let mut s = FieldSet::EMPTY;
/// #         if self.id != o.id { s.insert(0) }
/// #         if self.title != o.title { s.insert(1) }
/// #         if self.score != o.score { s.insert(2) }
/// #         s
/// #     }
/// #     fn copy_fields(&mut self, from: &Self, fields: FieldSet) {
/// #         if fields.contains(1) { self.title = from.title.clone() }
/// #         if fields.contains(2) { self.score = from.score }
/// #     }
/// # }
/// const TITLE: Field<Task, String> = Field::new(1, "title", |t| &t.title);
/// let task = |id, title: &str, score| Task { id, title: title.into(), score };
///
/// let stored = vec![task(1, "a", 0), task(2, "b", 0)];
/// let wanted = vec![task(0, "b", 5), task(0, "c", 0)];
/// let diff = compare(stored, wanted, &TITLE, FieldSet::EMPTY).unwrap();
/// assert_eq!(diff.added, [task(0, "c", 0)]);
/// assert_eq!(diff.removed, [task(1, "a", 0)]);
/// assert_eq!(diff.updated[0].old.id, 2);
/// assert_eq!(diff.updated[0].fields, FieldSet::single(2)); // score
/// ```
pub fn compare<M: HookModel, K: KeyFields<M>>(
    old: Vec<M>,
    new: Vec<M>,
    key: &K,
    ignore: FieldSet,
) -> Result<Comparison<M>, DuplicateKeyFields> {
    let compared = M::all_fields()
        .difference(M::key_set())
        .difference(key.fields())
        .difference(ignore);
    let matches = match_keys(&old, &new, key)?;
    let mut old: Vec<Option<M>> = old.into_iter().map(Some).collect();
    let mut result = Comparison {
        added: Vec::new(),
        removed: Vec::new(),
        unchanged: Vec::new(),
        updated: Vec::new(),
    };
    for (record, matched) in new.into_iter().zip(matches) {
        match matched.and_then(|i| old[i].take()) {
            None => result.added.push(record),
            Some(stored) => {
                let fields = record.diff(&stored).intersection(compared);
                if fields.is_empty() {
                    result.unchanged.push(stored);
                } else {
                    result.updated.push(Updated {
                        old: stored,
                        new: record,
                        fields,
                    });
                }
            }
        }
    }
    result.removed = old.into_iter().flatten().collect();
    Ok(result)
}

/// For each wanted record, the position of its stored match.
fn match_keys<M: HookModel, K: KeyFields<M>>(
    old: &[M],
    new: &[M],
    key: &K,
) -> Result<Vec<Option<usize>>, DuplicateKeyFields> {
    let index = unique_index(old, key, "stored")?;
    unique_index(new, key, "wanted")?;
    Ok(new
        .iter()
        .map(|r| index.get(&key.value(r)).copied())
        .collect())
}

fn unique_index<'a, M: HookModel, K: KeyFields<M>>(
    records: &'a [M],
    key: &K,
    side: &'static str,
) -> Result<HashMap<K::Value<'a>, usize>, DuplicateKeyFields> {
    let mut index = HashMap::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        if let Some(first) = index.insert(key.value(record), i) {
            return Err(DuplicateKeyFields {
                model: M::MODEL,
                side,
                first,
                second: i,
            });
        }
    }
    Ok(index)
}
