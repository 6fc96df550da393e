//! The comparison of one statement run on a bare connection and through
//! the hooked one: the same answer and the same tables, or a refusal that
//! wrote nothing; and hooks that saw exactly the rows that changed.

use std::collections::{BTreeMap, BTreeSet};

use hooks_diesel::Error;
use hooks_tests::models::ExactRow;

use super::run::{Ran, TextRow};

/// One hook call: the event, and each record's new and old row.
pub type Call = (&'static str, Vec<(ExactRow, Option<ExactRow>)>);

/// What became of a case through the hooked connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Written as on the bare connection (hooks ran for the rows it wrote).
    Same,
    /// Refused before writing anything.
    Refused,
    /// Rejected by the database on both connections.
    BothFailed,
}

/// The library's refusals, which come back as Diesel query-builder errors
/// carrying its own error.
fn is_refusal(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::QueryBuilderError(inner) => matches!(
            inner.downcast_ref::<Error>(),
            Some(Error::UnhookedWrite { .. } | Error::UnsupportedWrite { .. })
        ),
        _ => false,
    }
}

/// The keys of a table as text, with their rows.
fn by_key(rows: &[TextRow]) -> BTreeMap<String, &TextRow> {
    rows.iter()
        .map(|r| (r.key().unwrap_or_default().to_string(), r))
        .collect()
}

/// The records of every call of `event`.
fn of<'a>(calls: &'a [Call], event: &str) -> Vec<&'a (ExactRow, Option<ExactRow>)> {
    calls
        .iter()
        .filter(|(e, _)| *e == event)
        .flat_map(|(_, records)| records.iter())
        .collect()
}

fn keys(records: &[&(ExactRow, Option<ExactRow>)]) -> BTreeSet<String> {
    records.iter().map(|(new, _)| new.id.to_string()).collect()
}

/// Compares the two runs; `Err` says how they differ.
pub fn compare(bare: &Ran, hooked: &Ran, calls: &[Call]) -> Result<Verdict, String> {
    if bare.before != hooked.before {
        return Err("the two runs started from different tables".into());
    }
    match (&bare.answer, &hooked.answer) {
        (Err(_), Err(_)) => {
            if hooked.after != hooked.before {
                return Err("hooked: failed, but changed the tables".into());
            }
            Ok(Verdict::BothFailed)
        }
        (Err(bare_error), Ok(answer)) => Err(format!(
            "hooked accepted what the database rejects ({bare_error}); it answered {answer:?}"
        )),
        (Ok(_), Err(error)) if is_refusal(error) => {
            if hooked.after != hooked.before {
                return Err(format!("hooked refused ({error}) but changed the tables"));
            }
            // (A refusal found at a later chunk comes after the AFTER
            // hooks of earlier ones, all rolled back with them.)
            Ok(Verdict::Refused)
        }
        (Ok(answer), Err(error)) => Err(format!(
            "hooked failed where the database succeeds: {error} (bare: {answer:?})"
        )),
        (Ok(bare_answer), Ok(answer)) => {
            if bare_answer != answer {
                return Err(format!(
                    "answers differ: bare {bare_answer:?}, hooked {answer:?}"
                ));
            }
            if bare.after.main != hooked.after.main {
                return Err(table_diff(
                    "exact_rows",
                    &bare.after.main,
                    &hooked.after.main,
                ));
            }
            if bare.after.other != hooked.after.other {
                return Err(table_diff(
                    "the other schema's exact_rows",
                    &bare.after.other,
                    &hooked.after.other,
                ));
            }
            hooks_match(hooked, calls).map(|()| Verdict::Same)
        }
    }
}

fn table_diff(name: &str, bare: &[TextRow], hooked: &[TextRow]) -> String {
    let (b, h) = (by_key(bare), by_key(hooked));
    let mut lines = vec![format!("{name} differs (bare | hooked):")];
    for key in b.keys().chain(h.keys()).collect::<BTreeSet<_>>() {
        if b.get(key) != h.get(key) {
            lines.push(format!("  {key}: {:?} | {:?}", b.get(key), h.get(key)));
        }
    }
    lines.join("\n")
}

/// The hooks of a write that succeeded saw exactly what changed: created
/// and deleted rows one for one, updated rows among the matched ones and
/// every changed row among them, each record as stored before and after.
fn hooks_match(hooked: &Ran, calls: &[Call]) -> Result<(), String> {
    let (before, after) = (by_key(&hooked.before.main), by_key(&hooked.after.main));
    let typed = |rows: &Option<Vec<ExactRow>>| -> Option<BTreeMap<i64, ExactRow>> {
        rows.as_ref()
            .map(|rows| rows.iter().map(|r| (r.id, r.clone())).collect())
    };
    let (typed_before, typed_after) = (typed(&hooked.before.typed), typed(&hooked.after.typed));
    let added: BTreeSet<String> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    let removed: BTreeSet<String> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    let changed: BTreeSet<String> = before
        .iter()
        .filter(|(k, row)| after.get(*k).is_some_and(|a| a != *row))
        .map(|(k, _)| k.clone())
        .collect();
    let (created, deleted, updated) = (
        of(calls, "after_create"),
        of(calls, "after_delete"),
        of(calls, "after_update"),
    );
    // BEFORE and AFTER hooks of one operation see the same rows (created
    // rows have no key yet before they are written).
    if of(calls, "before_create").len() != created.len()
        || keys(&of(calls, "before_update")) != keys(&updated)
        || keys(&of(calls, "before_delete")) != keys(&deleted)
    {
        return Err("a BEFORE hook and its AFTER hook saw other rows".into());
    }
    if keys(&created) != added {
        return Err(format!(
            "created rows {added:?}, create hooks saw {:?}",
            keys(&created)
        ));
    }
    if keys(&deleted) != removed {
        return Err(format!(
            "deleted rows {removed:?}, delete hooks saw {:?}",
            keys(&deleted)
        ));
    }
    let hooked_updates = keys(&updated);
    if !changed.is_subset(&hooked_updates) {
        return Err(format!(
            "changed rows {changed:?}, update hooks saw {hooked_updates:?}"
        ));
    }
    // Records are compared where the table reads as the model.
    let (Some(typed_before), Some(typed_after)) = (typed_before, typed_after) else {
        return Ok(());
    };
    for (new, old) in created.iter().chain(&updated).map(|r| (&r.0, &r.1)) {
        if typed_after.get(&new.id) != Some(new) {
            return Err(format!(
                "a hook saw {new:?}, the table holds {:?}",
                typed_after.get(&new.id)
            ));
        }
        if let Some(old) = old {
            if typed_before.get(&old.id) != Some(old) {
                return Err(format!(
                    "a hook saw old {old:?}, the table held {:?}",
                    typed_before.get(&old.id)
                ));
            }
        }
    }
    for old in deleted.iter().map(|r| &r.0) {
        if typed_before.get(&old.id) != Some(old) {
            return Err(format!(
                "a delete hook saw {old:?}, the table held {:?}",
                typed_before.get(&old.id)
            ));
        }
    }
    Ok(())
}
