//! Strategies that generate the suite's statements: tricky strings,
//! implicit casts of every column type, arithmetic and `CASE`, subqueries
//! over the written table, other schemas, comments and quoting.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::sql::{
    Case, Col, Comment, Cond, Conflict, Dsl, DslCond, DslRow, DslSet, Expr, Raw, Style, Target,
    Val, Wrap,
};

/// Strings that have broken SQL rewriters: quotes, backslashes, comment
/// markers, placeholders, dollar quotes, trailing spaces, empty, unicode.
pub const TRICKY: &[&str] = &[
    "",
    " ",
    "pad  ",
    "it's",
    "a\\b",
    "/* x */",
    "-- y",
    "# z",
    "$$",
    "$1 ?",
    "?3",
    "é€😀",
    "NULL",
    "''",
    "\"q\"",
    "a;b",
    "two\nlines",
    "  lead",
    "12345678",
    "12abc",
    "2.5",
    "true",
];

fn tricky() -> impl Strategy<Value = String> {
    prop::sample::select(TRICKY).prop_map(str::to_string)
}

fn time() -> impl Strategy<Value = String> {
    (0u32..28, 0u32..24, 0u32..60)
        .prop_map(|(d, h, m)| format!("2026-02-{:02} {h:02}:{m:02}:07", d + 1))
}

fn val() -> impl Strategy<Value = Val> {
    prop_oneof![
        3 => (-5i64..60).prop_map(Val::Int),
        1 => prop::sample::select(&[i64::MAX, i64::MIN + 1, 1_094_861_636, 12_345_678][..]).prop_map(Val::Int),
        1 => (-5i32..60).prop_map(Val::Int32),
        3 => tricky().prop_map(Val::Text),
        1 => prop::sample::select(&[2.5, -0.5, 1e3, 0.1, 28.5][..]).prop_map(Val::Float),
        1 => any::<bool>().prop_map(Val::Bool),
        1 => Just(Val::Null),
        1 => time().prop_map(Val::Time),
    ]
}

fn column() -> impl Strategy<Value = Col> {
    prop::sample::select(
        &[
            Col::Big,
            Col::Small,
            Col::Txt,
            Col::Note,
            Col::Ratio,
            Col::Flag,
            Col::At,
            Col::Status,
        ][..],
    )
}

fn any_column() -> impl Strategy<Value = Col> {
    prop_oneof![9 => column(), 1 => Just(Col::Id)]
}

fn leaf_expr() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => val().prop_map(Expr::Lit),
        3 => val().prop_map(Expr::Bind),
        2 => any_column().prop_map(Expr::Col),
        2 => (prop::sample::select(&[Col::Big, Col::Small, Col::Ratio][..]), -3i64..4).prop_map(|(c, n)| Expr::Plus(c, n)),
        1 => (prop::sample::select(&[Col::Big, Col::Small, Col::Ratio][..]), 2i64..4).prop_map(|(c, n)| Expr::Div(c, n)),
        1 => (1i64..3).prop_map(|n| Expr::MinusMinus(Col::Big, n)),
        1 => prop::sample::select(&[Col::Txt, Col::Note, Col::Status][..]).prop_map(Expr::Lower),
        1 => (prop::sample::select(&[Col::Txt, Col::Note][..]), tricky()).prop_map(|(c, t)| Expr::Concat(c, t)),
        1 => prop::sample::select(&[Col::Big, Col::Txt][..]).prop_map(Expr::SubMax),
        1 => Just(Expr::Default),
    ]
}

/// A value or bind, mostly of `col`'s own type.
fn value_for(col: Col) -> BoxedStrategy<Val> {
    let typed: BoxedStrategy<Val> = match col {
        Col::Id | Col::Big => prop_oneof![
            4 => (-5i64..60).prop_map(Val::Int),
            1 => prop::sample::select(&[i64::MAX, 1_094_861_636, 12_345_678][..]).prop_map(Val::Int),
        ]
        .boxed(),
        Col::Small => (-5i32..60).prop_map(Val::Int32).boxed(),
        Col::Txt | Col::Status => tricky().prop_map(Val::Text).boxed(),
        Col::Note => prop_oneof![4 => tricky().prop_map(Val::Text), 1 => Just(Val::Null)].boxed(),
        Col::Ratio => prop_oneof![
            3 => prop::sample::select(&[2.5, -0.5, 1e3, 0.1, 28.5][..]).prop_map(Val::Float),
            1 => Just(Val::Null),
        ]
        .boxed(),
        Col::Flag => any::<bool>().prop_map(Val::Bool).boxed(),
        Col::At => prop_oneof![3 => time().prop_map(Val::Time), 1 => Just(Val::Null)].boxed(),
    };
    prop_oneof![6 => typed, 1 => val()].boxed()
}

/// An expression for `col`: mostly one of its type (so that most
/// statements are valid), now and then anything (implicit casts).
fn expr_for(col: Col) -> BoxedStrategy<Expr> {
    let numeric = prop::sample::select(&[Col::Big, Col::Small][..]);
    let textual = prop::sample::select(&[Col::Txt, Col::Note, Col::Status][..]);
    let typed: BoxedStrategy<Expr> = match col {
        Col::Id | Col::Big | Col::Small => prop_oneof![
            3 => value_for(col).prop_map(Expr::Lit),
            3 => value_for(col).prop_map(Expr::Bind),
            1 => numeric.clone().prop_map(Expr::Col),
            2 => (numeric.clone(), -3i64..4).prop_map(|(c, n)| Expr::Plus(c, n)),
            1 => (numeric, 2i64..4).prop_map(|(c, n)| Expr::Div(c, n)),
            1 => (1i64..3).prop_map(|n| Expr::MinusMinus(Col::Big, n)),
            1 => Just(Expr::SubMax(Col::Big)),
        ]
        .boxed(),
        Col::Txt | Col::Note | Col::Status => prop_oneof![
            3 => value_for(col).prop_map(Expr::Lit),
            3 => value_for(col).prop_map(Expr::Bind),
            1 => textual.clone().prop_map(Expr::Col),
            1 => textual.prop_map(Expr::Lower),
            1 => (prop::sample::select(&[Col::Txt, Col::Status][..]), tricky()).prop_map(|(c, t)| Expr::Concat(c, t)),
            1 => Just(Expr::SubMax(Col::Txt)),
        ]
        .boxed(),
        Col::Ratio => prop_oneof![
            2 => value_for(col).prop_map(Expr::Lit),
            2 => value_for(col).prop_map(Expr::Bind),
            1 => (-3i64..4).prop_map(|n| Expr::Plus(Col::Ratio, n)),
            1 => (2i64..4).prop_map(|n| Expr::Div(Col::Ratio, n)),
        ]
        .boxed(),
        Col::Flag | Col::At => prop_oneof![
            2 => value_for(col).prop_map(Expr::Lit),
            2 => value_for(col).prop_map(Expr::Bind),
            1 => Just(Expr::Col(col)),
        ]
        .boxed(),
    };
    prop_oneof![8 => typed, 1 => leaf_expr()].boxed()
}

/// A `SET` item: a column and an expression for it, sometimes a `CASE`.
fn assignment() -> impl Strategy<Value = (Col, Expr)> {
    any_column().prop_flat_map(|col| {
        let case = (cond(), expr_for(col), expr_for(col))
            .prop_map(|(c, a, b)| Expr::Case(Box::new(c), Box::new(a), Box::new(b)));
        prop_oneof![6 => expr_for(col), 1 => case].prop_map(move |e| (col, e))
    })
}

fn leaf_cond() -> impl Strategy<Value = Cond> {
    let compared = column().prop_flat_map(|col| {
        let ops: &'static [&'static str] = match col {
            Col::Txt | Col::Note | Col::Status => &["=", "<>", ">", "<=", "LIKE"],
            _ => &["=", "<>", ">", "<="],
        };
        (prop::sample::select(ops), expr_for(col)).prop_map(move |(op, e)| Cond::Cmp(col, op, e))
    });
    prop_oneof![
        4 => (1i64..14).prop_map(|n| Cond::Cmp(Col::Id, "=", Expr::Lit(Val::Int(n)))),
        2 => (1i64..14).prop_map(|n| Cond::Cmp(Col::Id, "=", Expr::Bind(Val::Int(n)))),
        1 => (2i64..14).prop_map(|n| Cond::Cmp(Col::Id, "=", Expr::NumMinusMinus(n, n % 3))),
        3 => prop::collection::vec(1i64..14, 1..5).prop_map(|ids| Cond::In(Col::Id, ids)),
        4 => compared,
        1 => column().prop_map(Cond::IsNull),
        1 => Just(Cond::AboveAverage),
        1 => (0i64..60).prop_map(Cond::InSubquery),
    ]
}

fn cond() -> impl Strategy<Value = Cond> {
    leaf_cond().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![8 => Just(Target::Plain), 1 => Just(Target::Qualified), 1 => Just(Target::Other)]
}

fn style() -> impl Strategy<Value = Style> {
    let comment = prop::sample::select(
        &[
            Comment::Block,
            Comment::Line,
            Comment::Hash,
            Comment::Nested,
        ][..],
    );
    (
        any::<bool>(),
        any::<bool>(),
        any::<u8>(),
        prop::collection::vec((any::<u8>(), comment), 0..3),
        prop_oneof![8 => Just(Wrap::None), 1 => Just(Wrap::Executable), 1 => Just(Wrap::MariaDb)],
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(upper, quoted, quote_kind, comments, wrap, qualified_set)| Style {
                upper,
                quoted,
                quote_kind,
                comments,
                wrap,
                qualified_set,
            },
        )
}

fn filter() -> impl Strategy<Value = Option<Cond>> {
    prop_oneof![1 => Just(None), 9 => cond().prop_map(Some)]
}

/// A conflict clause on the key: skip, take the proposed values, or set
/// an expression.
fn conflict() -> impl Strategy<Value = Conflict> {
    prop_oneof![
        1 => Just(Conflict::Nothing),
        2 => prop::collection::vec(column(), 1..3).prop_map(|mut columns| {
            columns.dedup();
            Conflict::Excluded(columns)
        }),
        2 => assignment().prop_map(|(col, expr)| Conflict::Set(col, expr)),
    ]
}

fn raw() -> impl Strategy<Value = Raw> {
    let returning = prop::bool::weighted(0.25);
    let update = (
        target(),
        prop::collection::vec(assignment(), 1..4).prop_map(|mut set| {
            // A column assigned twice is an error everywhere.
            let mut seen = Vec::new();
            set.retain(|(col, _)| {
                !seen.contains(col) && {
                    seen.push(*col);
                    true
                }
            });
            set
        }),
        filter(),
        returning,
    )
        .prop_map(|(target, set, filter, returning)| Raw::Update {
            target,
            set,
            filter,
            returning,
        });
    let delete =
        (target(), filter(), returning).prop_map(|(target, filter, returning)| Raw::Delete {
            target,
            filter,
            returning,
        });
    let insert = (
        target(),
        prop::collection::vec(column(), 1..5),
        1usize..4,
        prop::option::weighted(0.35, conflict()),
        returning,
    )
        .prop_flat_map(|(target, mut columns, rows, conflict, returning)| {
            columns.dedup();
            if !columns.contains(&Col::Big) {
                columns.insert(0, Col::Big);
            }
            if !columns.contains(&Col::Txt) {
                columns.push(Col::Txt);
            }
            // An upsert gives keys, some of the seeded rows' (1 to 12).
            if conflict.is_some() {
                columns.insert(0, Col::Id);
            }
            // VALUES rows name no column.
            let row: Vec<BoxedStrategy<Expr>> = columns
                .iter()
                .map(|c| {
                    prop_oneof![
                        4 => value_for(*c).prop_map(Expr::Lit),
                        4 => value_for(*c).prop_map(Expr::Bind),
                        1 => Just(Expr::Default),
                    ]
                    .boxed()
                })
                .collect();
            // An upsert's keys: bound, distinct (a key given twice is an
            // error on every backend), some of them the seeded rows'.
            let keys = prop::sample::subsequence((1i64..16).collect::<Vec<_>>(), rows);
            (prop::collection::vec(row, rows), keys).prop_map(move |(mut rows, keys)| {
                if conflict.is_some() {
                    for (row, key) in rows.iter_mut().zip(keys) {
                        row[0] = Expr::Bind(Val::Int(key));
                    }
                }
                Raw::Insert {
                    target,
                    columns: columns.clone(),
                    rows,
                    conflict: conflict.clone(),
                    returning,
                }
            })
        });
    prop_oneof![5 => update, 3 => delete, 2 => insert]
}

fn dsl_cond() -> impl Strategy<Value = DslCond> {
    let leaf = prop_oneof![
        (1i64..14).prop_map(DslCond::IdEq),
        prop::collection::vec(1i64..14, 0..5).prop_map(DslCond::IdIn),
        (-5i64..60).prop_map(DslCond::BigGt),
        tricky().prop_map(DslCond::TxtEq),
        Just(DslCond::NoteNull),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| DslCond::Not(Box::new(c))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| DslCond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| DslCond::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn dsl_set() -> impl Strategy<Value = DslSet> {
    let at = (1u32..28, 0u32..24).prop_map(|(d, h)| {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .and_then(|date| date.and_hms_micro_opt(h, 5, 6, 123_456))
    });
    prop_oneof![
        tricky().prop_map(DslSet::Txt),
        (-3i64..4).prop_map(DslSet::BigPlus),
        tricky().prop_map(DslSet::TxtThenNote),
        prop::option::of(tricky()).prop_map(DslSet::Note),
        (
            prop::option::of(-5i32..5),
            prop::option::of(prop::sample::select(&[2.5, -0.5, 0.1][..])),
            any::<bool>(),
            at
        )
            .prop_map(|(small, ratio, flag, at)| DslSet::Typed {
                small,
                ratio,
                flag,
                at
            }),
        (tricky(), -5i64..5).prop_map(|(s, b)| DslSet::StatusBig(s, b)),
    ]
}

fn dsl() -> impl Strategy<Value = Dsl> {
    let row = (
        -5i64..60,
        tricky(),
        prop::option::of(tricky()),
        prop::option::of(prop::sample::select(&[2.5, 0.1][..])),
    )
        .prop_map(|(big, txt, note, ratio)| DslRow {
            big,
            txt,
            note,
            ratio,
        });
    prop_oneof![
        3 => (dsl_cond(), dsl_set()).prop_map(|(c, s)| Dsl::Update(c, s)),
        2 => dsl_cond().prop_map(Dsl::Delete),
        1 => prop::collection::vec(row, 1..5).prop_map(Dsl::Insert),
    ]
}

/// A case: raw SQL three times in five, a DSL statement otherwise, sent
/// as it is or as the library's own method.
pub fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        3 => (raw(), style()).prop_map(|(r, s)| Case::Raw(r, s)),
        1 => dsl().prop_map(Case::Dsl),
        1 => dsl().prop_map(Case::Method),
    ]
}
