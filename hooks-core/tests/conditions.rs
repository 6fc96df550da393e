//! Conditions on every value transition.

mod common;

use common::Task;
use hooks_core::Condition;

fn task(done: bool, score: i64) -> Task {
    Task {
        done,
        score,
        ..Task::new(1, "t")
    }
}

#[test]
fn changes_to_fires_only_on_the_transition_into_the_value() {
    let c = Task::DONE.changes_to(true);
    assert!(
        c.check(&task(true, 0), Some(&task(false, 0))),
        "false -> true"
    );
    assert!(
        !c.check(&task(false, 0), Some(&task(true, 0))),
        "true -> false"
    );
    assert!(
        !c.check(&task(true, 0), Some(&task(true, 0))),
        "true -> true"
    );
    assert!(
        !c.check(&task(false, 0), Some(&task(false, 0))),
        "false -> false"
    );
    assert!(!c.check(&task(true, 0), None), "create");
}

#[test]
fn changes_from_fires_only_on_the_transition_out_of_the_value() {
    let c = Task::DONE.changes_from(true);
    assert!(c.check(&task(false, 0), Some(&task(true, 0))));
    assert!(!c.check(&task(true, 0), Some(&task(false, 0))));
    assert!(!c.check(&task(true, 0), Some(&task(true, 0))));
    assert!(!c.check(&task(false, 0), None));
}

#[test]
fn changed_and_unchanged_need_an_old_record() {
    let changed = Task::SCORE.changed();
    let unchanged = Task::SCORE.unchanged();
    assert!(changed.check(&task(false, 2), Some(&task(false, 1))));
    assert!(!changed.check(&task(false, 1), Some(&task(false, 1))));
    assert!(unchanged.check(&task(true, 1), Some(&task(false, 1))));
    assert!(!unchanged.check(&task(false, 2), Some(&task(false, 1))));
    assert!(
        !changed.check(&task(false, 2), None),
        "create: changed is false"
    );
    assert!(
        !unchanged.check(&task(false, 2), None),
        "create: unchanged is false"
    );
}

#[test]
fn state_conditions_fire_when_another_field_changed() {
    let is_done = Task::DONE.is(true);
    // Only the score changed; the record is (and was) done.
    assert!(is_done.check(&task(true, 5), Some(&task(true, 4))));
    assert!(!is_done.check(&task(false, 5), Some(&task(false, 4))));
    assert!(is_done.check(&task(true, 0), None), "is() holds on create");
    let is_not = Task::DONE.is_not(true);
    assert!(is_not.check(&task(false, 5), Some(&task(true, 4))));
    assert!(!is_not.check(&task(true, 5), Some(&task(false, 4))));
}

#[test]
fn was_and_was_not_look_at_the_old_record() {
    assert!(Task::SCORE
        .was(1)
        .check(&task(false, 9), Some(&task(false, 1))));
    assert!(!Task::SCORE
        .was(1)
        .check(&task(false, 1), Some(&task(false, 9))));
    assert!(!Task::SCORE.was(1).check(&task(false, 1), None));
    assert!(Task::SCORE
        .was_not(1)
        .check(&task(false, 1), Some(&task(false, 9))));
    assert!(!Task::SCORE
        .was_not(1)
        .check(&task(false, 1), Some(&task(false, 1))));
    assert!(!Task::SCORE.was_not(1).check(&task(false, 1), None));
}

#[test]
fn null_checks_and_comparisons() {
    let mut t = task(false, 10);
    assert!(Task::DUE.is_null().check(&t, None));
    assert!(!Task::DUE.is_not_null().check(&t, None));
    t.due = Some(3);
    assert!(!Task::DUE.is_null().check(&t, None));
    assert!(Task::DUE.is_not_null().check(&t, None));
    assert!(Task::DUE.is(Some(3)).check(&t, None));
    assert!(Task::SCORE.gt(9).check(&t, None) && !Task::SCORE.gt(10).check(&t, None));
    assert!(Task::SCORE.ge(10).check(&t, None) && !Task::SCORE.ge(11).check(&t, None));
    assert!(Task::SCORE.lt(11).check(&t, None) && !Task::SCORE.lt(10).check(&t, None));
    assert!(Task::SCORE.le(10).check(&t, None) && !Task::SCORE.le(9).check(&t, None));
    assert!(
        Task::TITLE.is("t").check(&t, None),
        "String field compared with &str"
    );
}

#[test]
fn combinators_and_closures() {
    let done_and_high = Task::DONE.is(true).and(Task::SCORE.gt(5));
    let done_or_high = Task::DONE.is(true).or(Task::SCORE.gt(5));
    let not_done = !Task::DONE.is(true);
    assert!(done_and_high.check(&task(true, 6), None));
    assert!(!done_and_high.check(&task(true, 5), None));
    assert!(done_or_high.check(&task(false, 6), None));
    assert!(!done_or_high.check(&task(false, 5), None));
    assert!(not_done.check(&task(false, 0), None));
    assert!(!not_done.check(&task(true, 0), None));
    let doubled = Condition::new("score doubled", |n: &Task, o: Option<&Task>| {
        o.is_some_and(|o| n.score == 2 * o.score)
    });
    assert!(doubled.check(&task(false, 4), Some(&task(false, 2))));
    assert!(!doubled.check(&task(false, 5), Some(&task(false, 2))));
    let by_field = Task::SCORE.matches("score went up", |n, o| o.is_some_and(|o| n > o));
    assert!(by_field.check(&task(false, 3), Some(&task(false, 2))));
    assert!(!by_field.check(&task(false, 1), Some(&task(false, 2))));
    assert_eq!(done_and_high.to_string(), "(done is true and score > 5)");
}

#[test]
fn named_conditions_agree_with_the_method_forms_on_every_transition() {
    use hooks_core::{
        FieldChanged, FieldChangesFrom, FieldChangesTo, FieldIs, FieldIsNot, FieldKey, FieldWas,
    };
    let pairs = [
        (task(true, 0), Some(task(false, 0))),
        (task(false, 0), Some(task(true, 0))),
        (task(true, 0), Some(task(true, 0))),
        (task(false, 3), Some(task(false, 0))),
        (task(true, 0), None),
    ];
    let both: Vec<(Condition<Task>, Condition<Task>)> = vec![
        (FieldChanged(Task::DONE).into(), Task::DONE.changed()),
        (FieldChanged(Task::DONE.key()).into(), Task::DONE.changed()),
        (FieldIs(Task::DONE, true).into(), Task::DONE.is(true)),
        (FieldIsNot(Task::DONE, true).into(), Task::DONE.is_not(true)),
        (FieldWas(Task::DONE, true).into(), Task::DONE.was(true)),
        (
            FieldChangesTo(Task::DONE, true).into(),
            Task::DONE.changes_to(true),
        ),
        (
            FieldChangesFrom(Task::DONE, true).into(),
            Task::DONE.changes_from(true),
        ),
        (
            FieldChanged(vec![FieldKey::named("done").unwrap(), Task::SCORE.key()]).into(),
            Task::DONE.changed().or(Task::SCORE.changed()),
        ),
    ];
    for (named, method) in &both {
        for (new, old) in &pairs {
            assert_eq!(
                named.check(new, old.as_ref()),
                method.check(new, old.as_ref()),
                "{named} vs {method} on {new:?} / {old:?}"
            );
        }
    }
    assert!(FieldKey::<Task>::named("colour").is_none());
    assert!(pairs
        .iter()
        .all(|(n, o)| Condition::<Task>::always().check(n, o.as_ref())));
}
