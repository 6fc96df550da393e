//! Routing decisions for statement shapes, hooks and backend facts.

use super::*;
use crate::sql::{parse, Dialect, InsertForm};

fn parsed(sql: &str) -> Parsed {
    parse(sql.to_string(), Dialect::Sqlite).expect("lexed")
}

/// What `returning_piece` makes of `sql`'s `RETURNING` on a backend with
/// `RETURNING` (`has_returning`) that splits binds (`splits`): the
/// piece's text, binds and how many binds it carries, or the form it
/// refuses.
#[allow(clippy::type_complexity)]
fn returning_of(
    sql: &str,
    has_returning: bool,
    splits: bool,
) -> std::result::Result<Option<(String, Vec<usize>, Option<usize>)>, &'static str> {
    let parsed = parsed(sql);
    let clause = match &parsed.shape {
        Shape::Update(u) => u.returning.clone(),
        Shape::Delete(d) => d.returning.clone(),
        Shape::Insert(i) => i.returning.clone(),
        Shape::Other => panic!("not a write: {sql}"),
    };
    returning_piece(&parsed, clause.as_ref(), true, has_returning, splits)
        .map(|piece| {
            piece.map(|p| {
                let (text, binds) = p.spliced();
                (text, binds, p.carries().map(|c| c.total))
            })
        })
        .map_err(|refusal| refusal.form)
}

#[test]
fn a_returning_clause_is_handed_back_as_a_piece_naming_the_last_binds() {
    let update = "UPDATE `t` SET `a` = ? WHERE `b` = ? RETURNING `t`.`a`, `t`.`b` + ?";
    for splits in [true, false] {
        assert_eq!(
            returning_of(update, true, splits),
            Ok(Some((
                "`t`.`a`, `t`.`b` + ?3".to_string(),
                vec![2],
                Some(3)
            )))
        );
    }
    assert_eq!(
        returning_of(
            "DELETE FROM `t` WHERE `a` = ? RETURNING `t`.`a`",
            true,
            false
        ),
        Ok(Some(("`t`.`a`".to_string(), vec![], None))),
        "without binds it carries none"
    );
    assert_eq!(
        returning_of("DELETE FROM `t` WHERE `a` = ?", false, true),
        Ok(None)
    );
}

#[test]
fn returning_clauses_that_cannot_be_answered_are_refused() {
    let delete = "DELETE FROM `t` WHERE `a` = ? RETURNING `t`.`a`";
    assert_eq!(returning_of(delete, false, true), Err("RETURNING"));
    let subquery = "DELETE FROM `t` RETURNING (SELECT max(`a`) FROM `t`)";
    assert_eq!(
        returning_of(subquery, true, true),
        Err("RETURNING with a subquery")
    );
    let insert = "INSERT INTO `t` (`a`) VALUES (?) RETURNING `t`.`a` + ?";
    assert_eq!(
        returning_of(insert, true, false),
        Err("INSERT .. RETURNING with bound values")
    );
    assert!(
        matches!(returning_of(insert, true, true), Ok(Some(_))),
        "binds that split are re-sent apart"
    );
    let plain_insert = "INSERT INTO `t` (`a`) VALUES (?) RETURNING `t`.`a`";
    assert!(matches!(
        returning_of(plain_insert, true, false),
        Ok(Some(_))
    ));
}

fn sends(sql: &str, two_pass: bool) -> Sends {
    let parsed = parsed(sql);
    let Shape::Update(update) = &parsed.shape else {
        panic!("not an update: {sql}");
    };
    Sends::of(&parsed, update, two_pass)
}

#[test]
fn an_update_reading_rows_is_sent_whole() {
    let by_key = Sends {
        self_reading: false,
        whole: false,
    };
    let whole = Sends {
        self_reading: false,
        whole: true,
    };
    let self_reading = Sends {
        self_reading: true,
        whole: true,
    };
    let plain = "UPDATE `t` SET `a` = ? WHERE `b` > ?";
    assert_eq!(sends(plain, false), by_key);
    assert_eq!(sends(plain, true), by_key);
    let reads_in_set = "UPDATE `t` SET `a` = (SELECT max(`a`) FROM `t`) WHERE `b` > ?";
    assert_eq!(sends(reads_in_set, false), whole);
    assert_eq!(sends(reads_in_set, true), whole);
    let reads_in_where = "UPDATE `t` SET `a` = 1 WHERE `b` IN (SELECT `b` FROM `t`)";
    assert_eq!(sends(reads_in_where, false), by_key);
    assert_eq!(
        sends(reads_in_where, true),
        self_reading,
        "MariaDB writes it in two passes"
    );
}

#[test]
fn inserts_route_by_form_hooks_and_returning() {
    use InsertRoute::{Create, Unhooked, Upsert};
    let refused = |route: InsertRoute| match route {
        InsertRoute::Refused(Refusal { form, .. }) => form,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let plain = InsertForm::Plain;
    let ignore = InsertForm::Ignore("INSERT OR IGNORE");
    let upsert = InsertForm::Upsert(crate::intercept::upsert::FORM);
    let replace = InsertForm::Upsert("REPLACE INTO");
    // (form, creates, updates, RETURNING, skips known before the write)
    assert_eq!(InsertRoute::of(&plain, true, false, true, false), Create);
    assert_eq!(InsertRoute::of(&plain, true, false, false, false), Create);
    assert_eq!(InsertRoute::of(&plain, false, false, true, false), Unhooked);
    assert_eq!(InsertRoute::of(&ignore, true, false, true, false), Create);
    assert_eq!(
        refused(InsertRoute::of(&ignore, true, false, false, false)),
        "INSERT OR IGNORE"
    );
    assert_eq!(
        InsertRoute::of(&ignore, false, false, false, false),
        Unhooked
    );
    assert_eq!(InsertRoute::of(&upsert, true, false, true, false), Upsert);
    assert_eq!(InsertRoute::of(&upsert, false, true, true, false), Upsert);
    assert_eq!(
        InsertRoute::of(&upsert, false, false, true, false),
        Unhooked
    );
    assert_eq!(
        refused(InsertRoute::of(&upsert, false, true, false, false)),
        crate::intercept::upsert::FORM
    );
    assert_eq!(
        refused(InsertRoute::of(&replace, true, true, true, false)),
        "REPLACE INTO"
    );
    assert_eq!(
        InsertRoute::of(&replace, false, false, false, false),
        Unhooked
    );
    let skip = InsertForm::Ignore(crate::intercept::upsert::SKIP_FORM);
    assert_eq!(InsertRoute::of(&skip, true, false, true, true), Upsert);
    assert_eq!(InsertRoute::of(&skip, true, false, true, false), Create);
    assert_eq!(InsertRoute::of(&skip, false, false, true, true), Unhooked);
    assert_eq!(InsertRoute::of(&ignore, true, false, true, true), Create);
}
