//! What the hooked connection writes is exactly what the statement says:
//! each statement runs from the same table state on a bare connection and
//! through `HookedConnection` (chunks of three rows, `UnhookedWrites::Refuse`),
//! and the two must give the same answer and leave the same tables (both
//! schemas, compared as text), or the hooked one must refuse before
//! writing; the hooks must have seen exactly the rows that changed.
//!
//! `generated_statements` draws its statements from a fixed seed: raw SQL
//! (tricky strings, implicit casts of every column type, arithmetic and
//! `CASE`, subqueries over the written table, another schema, each
//! backend's comments and quoting, upserts on the key: `ON CONFLICT (id)
//! DO NOTHING / DO UPDATE`, MySQL's `ON DUPLICATE KEY UPDATE`) and Diesel
//! DSL statements with tricky
//! bound values. `HOOKS_EXACT_CASES` sets how many (default 300 per
//! backend), `HOOKS_EXACT_SEED` another seed; a failing case is shrunk to
//! a short statement.

#[path = "exact_writes/check.rs"]
mod check;
#[path = "exact_writes/gen.rs"]
mod gen;
#[path = "exact_writes/pair.rs"]
mod pair;
#[path = "exact_writes/render.rs"]
mod render;
#[path = "exact_writes/run.rs"]
mod run;
#[path = "exact_writes/sql.rs"]
mod sql;

use std::cell::RefCell;

use hooks_tests::backend_suite;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use pair::{Pair, Schemas};
use sql::{Case, Col, Cond, Dsl, DslCond, DslSet, Expr, Raw, Style, Target, Val, Wrap};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the generated cases; panics with the shrunk failing case.
fn generated<C: Schemas>(db: &hooks_tests::TestDb<C>)
where
    hooks_diesel::HookedConnection<C>:
        hooks_diesel::hooks_core::Hosts<hooks_tests::models::ExactRow>,
{
    let pair = RefCell::new(Pair::new(db));
    let cases = env_number("HOOKS_EXACT_CASES", 300) as u32;
    let seed = env_number("HOOKS_EXACT_SEED", 16);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let tally = RefCell::new([0usize; 3]);
    let result = runner.run(&gen::case(), |case| {
        let verdict = pair
            .borrow_mut()
            .check(&case)
            .map_err(TestCaseError::fail)?;

        tally.borrow_mut()[verdict as usize] += 1;
        Ok(())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => panic!("{:?}: {why}\n  case: {case:?}", C::KIND),
        Err(other) => panic!("{other}"),
    }
    let [same, refused, failed] = *tally.borrow();
    eprintln!(
        "{:?}: {same} written alike, {refused} refused, {failed} rejected by both",
        C::KIND
    );
    // A suite that refuses everything proves nothing.
    assert!(
        same * 2 >= same + refused + failed,
        "{:?}: only {same} of {} cases were written (refused {refused}, rejected {failed})",
        C::KIND,
        same + refused + failed
    );
}

fn plain() -> Style {
    Style {
        upper: true,
        quoted: false,
        quote_kind: 0,
        comments: Vec::new(),
        wrap: Wrap::None,
        qualified_set: false,
    }
}

fn id_is(n: i64) -> Option<Cond> {
    Some(Cond::Cmp(Col::Id, "=", Expr::Lit(Val::Int(n))))
}

fn update(set: Vec<(Col, Expr)>, filter: Option<Cond>) -> Case {
    Case::Raw(
        Raw::Update {
            target: Target::Plain,
            set,
            filter,
            returning: false,
        },
        plain(),
    )
}

fn delete(filter: Option<Cond>) -> Case {
    Case::Raw(
        Raw::Delete {
            target: Target::Plain,
            filter,
            returning: false,
        },
        plain(),
    )
}

fn lit(v: Val) -> Expr {
    Expr::Lit(v)
}

/// The statements the issue on exact writes reported, each on every
/// backend.
fn reported() -> Vec<(&'static str, Case)> {
    let mariadb_comment = Case::Raw(
        Raw::Delete {
            target: Target::Plain,
            filter: id_is(11),
            returning: false,
        },
        Style {
            wrap: Wrap::MariaDb,
            ..plain()
        },
    );
    let executable_comment = Case::Raw(
        Raw::Delete {
            target: Target::Plain,
            filter: id_is(11),
            returning: false,
        },
        Style {
            wrap: Wrap::Executable,
            ..plain()
        },
    );
    let other_schema = Case::Raw(
        Raw::Update {
            target: Target::Other,
            set: vec![(Col::Note, lit(Val::Text("q".into())))],
            filter: id_is(3),
            returning: false,
        },
        plain(),
    );
    let qualified_set = Case::Raw(
        Raw::Update {
            target: Target::Plain,
            set: vec![(Col::Note, lit(Val::Text("q".into())))],
            filter: None,
            returning: false,
        },
        Style {
            qualified_set: true,
            ..plain()
        },
    );
    let delete_returning = Case::Raw(
        Raw::Delete {
            target: Target::Plain,
            filter: id_is(4),
            returning: true,
        },
        plain(),
    );
    vec![
        (
            "id = 9--1",
            delete(Some(Cond::Cmp(Col::Id, "=", Expr::NumMinusMinus(9, 1)))),
        ),
        (
            "big = big--1",
            update(vec![(Col::Big, Expr::MinusMinus(Col::Big, 1))], id_is(8)),
        ),
        ("/*M! WHERE .. */", mariadb_comment),
        ("/*! WHERE .. */", executable_comment),
        ("another schema's table", other_schema),
        (
            "a subquery over the written table",
            delete(Some(Cond::AboveAverage)),
        ),
        (
            "trailing spaces through the DSL",
            Case::Dsl(Dsl::Update(
                DslCond::IdIn(vec![1, 2, 3, 5]),
                DslSet::Note(Some("pad  ".into())),
            )),
        ),
        (
            "text into bigint",
            update(
                vec![(Col::Big, lit(Val::Text("12345678".into())))],
                id_is(2),
            ),
        ),
        (
            "integer into text",
            update(vec![(Col::Txt, lit(Val::Int(1_094_861_636)))], id_is(2)),
        ),
        (
            "big / 2",
            update(vec![(Col::Big, Expr::Div(Col::Big, 2))], None),
        ),
        (
            "2.5 into bigint",
            update(vec![(Col::Big, lit(Val::Float(2.5)))], id_is(5)),
        ),
        (
            "'12abc' into bigint",
            update(vec![(Col::Big, lit(Val::Text("12abc".into())))], id_is(6)),
        ),
        (
            "assignments left to right",
            update(
                vec![
                    (Col::Txt, Expr::Lower(Col::Txt)),
                    (Col::Note, Expr::Col(Col::Txt)),
                ],
                None,
            ),
        ),
        ("SET t.note = ..", qualified_set),
        ("DELETE .. RETURNING", delete_returning),
        (
            "an integer literal into bigint",
            update(vec![(Col::Big, lit(Val::Int(10)))], None),
        ),
        (
            "a subquery in SET",
            update(vec![(Col::Big, Expr::SubMax(Col::Big))], None),
        ),
    ]
}

fn reported_cases<C: Schemas>(db: &hooks_tests::TestDb<C>)
where
    hooks_diesel::HookedConnection<C>:
        hooks_diesel::hooks_core::Hosts<hooks_tests::models::ExactRow>,
{
    let mut pair = Pair::new(db);
    let failures: Vec<String> = reported()
        .into_iter()
        .filter_map(|(name, case)| pair.check(&case).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{:?}:\n{}",
        C::KIND,
        failures.join("\n")
    );
}

backend_suite! {
    fn generated_statements_write_exactly(db) {
        generated::<Inner>(&db);
    }

    fn reported_statements_write_exactly(db) {
        reported_cases::<Inner>(&db);
    }
}

/// `bulk_update` writes text byte for byte: trailing and leading spaces,
/// different per row (so that rows are joined with their values, not set
/// alike).
fn bulk_update_keeps_spaces<C: Schemas>(db: &hooks_tests::TestDb<C>)
where
    hooks_diesel::HookedConnection<C>:
        hooks_diesel::hooks_core::Hosts<hooks_tests::models::ExactRow>,
{
    let mut pair = Pair::new(db);
    let read = |conn: &mut C| -> Vec<hooks_tests::models::ExactRow> {
        let mut rows = C::typed(conn).expect("rows load");
        rows.truncate(4);
        rows
    };
    let mut rows = read(&mut pair.bare);
    let texts = ["pad  ", "  lead", " both ", "tab\t"];
    for (row, text) in rows.iter_mut().zip(texts) {
        row.txt = text.to_string();
        row.note = Some(format!("{text} "));
    }
    hooks_diesel::HookedOps::bulk_update(&mut pair.hooked, rows.clone()).expect("bulk_update");
    assert_eq!(read(&mut pair.bare), rows);
}

mod spaces {
    use super::*;

    backend_suite! {
        fn bulk_update_writes_text_byte_for_byte(db) {
            bulk_update_keeps_spaces::<Inner>(&db);
        }
    }
}

/// Runs each statement of `cases` after `settings` ran on both
/// connections; each must be written alike and hooked, not refused.
fn under_settings<C: Schemas>(db: &hooks_tests::TestDb<C>, settings: &str, cases: &[&'static str])
where
    hooks_diesel::HookedConnection<C>:
        hooks_diesel::hooks_core::Hosts<hooks_tests::models::ExactRow>,
{
    use diesel::connection::SimpleConnection;
    let mut pair = Pair::new(db);
    pair.bare.batch_execute(settings).expect("settings");
    pair.hooked.batch_execute(settings).expect("settings");
    for sql in cases {
        assert_eq!(
            pair.check(&Case::Text(sql)),
            Ok(check::Verdict::Same),
            "{:?} under `{settings}`: {sql}",
            C::KIND
        );
    }
}

/// Text whose lexing the session's settings decide: `"` and backslashes.
const SETTLED_BY_SESSION: &[&str] = &[
    r#"UPDATE "exact_rows" SET "note" = 'x' WHERE "id" = 3"#,
    r"UPDATE exact_rows SET note = 'x\' WHERE id = 1 -- ' WHERE id = 2",
    r"DELETE FROM exact_rows WHERE txt = 'a\' OR id = 5 -- ' OR id = 6",
];

mod modes {
    use super::*;

    backend_suite! {
        backends(mysql);

        fn ansi_quotes_and_backslash_escapes(db) {
            under_settings::<Inner>(&db, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')", SETTLED_BY_SESSION);
        }

        fn ansi_quotes_without_backslash_escapes(db) {
            under_settings::<Inner>(
                &db,
                "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES,NO_BACKSLASH_ESCAPES')",
                SETTLED_BY_SESSION,
            );
        }

        fn default_quotes_without_backslash_escapes(db) {
            under_settings::<Inner>(
                &db,
                "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')",
                &SETTLED_BY_SESSION[1..],
            );
        }
    }
}

mod pg_modes {
    use super::*;

    backend_suite! {
        backends(postgres);

        fn standard_conforming_strings_off(db) {
            under_settings::<Inner>(&db, "SET standard_conforming_strings = off; SET escape_string_warning = off", SETTLED_BY_SESSION);
        }

        fn standard_conforming_strings_on(db) {
            under_settings::<Inner>(&db, "SET standard_conforming_strings = on", SETTLED_BY_SESSION);
        }
    }
}
