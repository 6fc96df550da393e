//! Pairing the rows an upsert wrote with the stored rows it read.

use super::{inserted_as_previewed, split, would_insert, Previewed};
use crate::error::Error;
use hooks_core::{ChangeSet, FieldInfo, FieldSet, HookModel};

/// A row keyed by `id`, unique by `name` (the conflict target).
#[derive(Clone, Debug, PartialEq)]
struct Item {
    id: i64,
    name: &'static str,
    qty: i64,
}

const fn field(name: &'static str, key: bool) -> FieldInfo {
    FieldInfo {
        name,
        column: name,
        key,
        insertable: true,
    }
}

impl HookModel for Item {
    type Key = i64;
    const MODEL: &'static str = "Item";
    const TABLE: &'static str = "items";
    const FIELDS: &'static [FieldInfo] =
        &[field("id", true), field("name", false), field("qty", false)];
    fn key(&self) -> i64 {
        self.id
    }
    fn has_key(&self) -> bool {
        self.id != 0
    }
    fn set_key(&mut self, key: i64) {
        self.id = key;
    }
    fn diff(&self, other: &Self) -> FieldSet {
        let mut set = FieldSet::EMPTY;
        for (i, same) in [
            self.id == other.id,
            self.name == other.name,
            self.qty == other.qty,
        ]
        .into_iter()
        .enumerate()
        {
            if !same {
                set.insert(i);
            }
        }
        set
    }
    fn copy_fields(&mut self, _: &Self, _: FieldSet) {}
}

fn item(id: i64, name: &'static str, qty: i64) -> Item {
    Item { id, name, qty }
}

const NAME: FieldSet = FieldSet::single(1);

fn positions<M>(set: &ChangeSet<M>) -> Vec<usize> {
    (0..set.len()).map(|i| set.position(i)).collect()
}

#[test]
fn written_rows_pair_with_their_old_rows_by_key() {
    let olds = vec![item(7, "b", 1), item(3, "a", 1)];
    let written = vec![item(3, "a", 5), item(9, "c", 1), item(7, "b", 2)];
    let (created, updated, places) = split(olds, written, 10, NAME).expect("paired");
    assert_eq!(places, [true, false, true]);
    assert_eq!(created.news(), [item(9, "c", 1)]);
    assert_eq!(positions(&created), [11]);
    assert_eq!(updated.news(), [item(3, "a", 5), item(7, "b", 2)]);
    assert_eq!(
        updated.olds().expect("old rows"),
        [item(3, "a", 1), item(7, "b", 1)]
    );
    assert_eq!(positions(&updated), [10, 12]);
}

#[test]
fn all_inserted_or_all_updated() {
    let (created, updated, places) =
        split(Vec::new(), vec![item(1, "a", 1), item(2, "b", 1)], 0, NAME).expect("paired");
    assert_eq!((created.len(), updated.len()), (2, 0));
    assert_eq!(places, [false, false]);
    let (created, updated, places) =
        split(vec![item(1, "a", 0)], vec![item(1, "a", 1)], 4, NAME).expect("paired");
    assert_eq!((created.len(), updated.len()), (0, 1));
    assert_eq!((places, positions(&updated)), (vec![true], vec![4]));
}

#[test]
fn a_row_written_twice_is_refused_at_both_positions() {
    let written = vec![item(1, "a", 1), item(2, "b", 1), item(1, "a", 2)];
    match split(vec![item(1, "a", 0)], written, 5, NAME) {
        Err(Error::DuplicateKey { positions, key, .. }) => {
            assert_eq!(positions, [5, 7]);
            assert_eq!(key, "1");
        }
        other => panic!("expected DuplicateKey, got {:?}", other.map(|r| r.2)),
    }
}

#[test]
fn a_row_whose_key_the_upsert_changed_is_refused() {
    // The stored row "a" (key 1) came back under key 8: no old row has
    // key 8, and the unpaired old row has its conflict target.
    let refused = split(vec![item(1, "a", 0)], vec![item(8, "a", 0)], 0, NAME);
    assert!(
        matches!(&refused, Err(Error::Invalid(why)) if why.contains("changed the key")),
        "{:?}",
        refused.map(|r| r.2)
    );
    // An unpaired old row with another target value is no such row.
    let (created, updated, _) =
        split(vec![item(1, "a", 0)], vec![item(8, "z", 0)], 0, NAME).expect("paired");
    assert_eq!((created.len(), updated.len()), (1, 0));
}

#[test]
fn rows_whose_target_no_stored_row_has_are_the_ones_to_insert() {
    let olds = [item(1, "a", 0), item(2, "b", 0)];
    let rows = [
        item(0, "c", 1),
        item(0, "a", 1),
        item(0, "d", 1),
        item(0, "b", 1),
    ];
    assert_eq!(
        would_insert(&rows, &olds, NAME),
        [0, 2],
        "by a unique column"
    );
    let rows = [item(2, "z", 1), item(9, "a", 1), item(1, "q", 1)];
    assert_eq!(
        would_insert(&rows, &olds, Item::key_set()),
        [1],
        "by the key"
    );
    assert_eq!(would_insert(&rows, &[], Item::key_set()), [0, 1, 2]);
    let again = [item(0, "n", 1), item(0, "a", 1), item(0, "n", 2)];
    assert_eq!(
        would_insert(&again, &olds, NAME),
        [0],
        "a repeated target conflicts"
    );
    let again = [item(4, "n", 1), item(4, "m", 1)];
    assert_eq!(would_insert(&again, &olds, Item::key_set()), [0]);
}

#[test]
fn inserted_rows_must_be_those_previewed() {
    let rows = vec![item(0, "a", 1), item(0, "n", 1)];
    let previewed = Previewed {
        edited: rows.clone(),
        rows,
        inserts: vec![1],
    };
    let stored = |rows: Vec<Item>| ChangeSet::created(rows);
    assert!(inserted_as_previewed(&stored(vec![item(8, "n", 1)]), &previewed, NAME).is_ok());
    let other = inserted_as_previewed(&stored(vec![item(8, "a", 1)]), &previewed, NAME);
    assert!(
        matches!(other, Err(Error::Invalid(_))),
        "another row was inserted"
    );
    let more = inserted_as_previewed(
        &stored(vec![item(8, "n", 1), item(9, "a", 1)]),
        &previewed,
        NAME,
    );
    assert!(
        matches!(more, Err(Error::Invalid(_))),
        "more rows were inserted"
    );
}
