//! Comparing stored and wanted records by key fields.

mod common;

use common::Task;
use hooks_core::{compare, FieldSet};

fn task(id: i64, title: &str, score: i64) -> Task {
    Task {
        score,
        ..Task::new(id, title)
    }
}

#[test]
fn sorts_records_into_added_removed_unchanged_and_updated() {
    let stored = vec![task(1, "a", 1), task(2, "b", 2), task(3, "c", 3)];
    let wanted = vec![task(0, "c", 30), task(0, "d", 4), task(0, "a", 1)];
    let diff = compare(stored, wanted, &Task::TITLE, FieldSet::EMPTY).unwrap();
    assert_eq!(diff.added, [task(0, "d", 4)]);
    assert_eq!(diff.removed, [task(2, "b", 2)]);
    assert_eq!(
        diff.unchanged,
        [task(1, "a", 1)],
        "the primary key is not compared"
    );
    assert_eq!(diff.updated.len(), 1);
    assert_eq!(diff.updated[0].old, task(3, "c", 3));
    assert_eq!(diff.updated[0].new, task(0, "c", 30));
    assert_eq!(
        diff.updated[0].fields,
        FieldSet::single(Task::SCORE.index())
    );
}

#[test]
fn ignored_fields_do_not_count_as_changes() {
    let stored = vec![task(1, "a", 1)];
    let wanted = vec![task(0, "a", 99)];
    let ignore = FieldSet::single(Task::SCORE.index());
    let diff = compare(stored, wanted, &Task::TITLE, ignore).unwrap();
    assert!(diff.updated.is_empty());
    assert_eq!(diff.unchanged.len(), 1);
}

#[test]
fn composite_key_fields_match_on_every_part() {
    let mut a = task(1, "a", 1);
    a.done = true;
    let stored = vec![a.clone(), task(2, "a", 1)];
    let mut wanted_a = task(0, "a", 1);
    wanted_a.done = true;
    let diff = compare(
        stored,
        vec![wanted_a],
        &(Task::TITLE, Task::DONE),
        FieldSet::EMPTY,
    )
    .unwrap();
    assert_eq!(diff.unchanged, [a]);
    assert_eq!(diff.removed, [task(2, "a", 1)]);
}

#[test]
fn duplicate_keys_on_either_side_are_refused() {
    let err = compare(
        vec![task(1, "a", 0), task(2, "a", 0)],
        vec![],
        &Task::TITLE,
        FieldSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!((err.side, err.first, err.second), ("stored", 0, 1));
    let err = compare(
        vec![],
        vec![task(0, "x", 0), task(0, "y", 0), task(0, "x", 1)],
        &Task::TITLE,
        FieldSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!((err.side, err.first, err.second), ("wanted", 0, 2));
    assert!(err.to_string().contains("Task"), "{err}");
}
