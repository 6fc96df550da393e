//! Running one statement on a connection, inside a transaction rolled back
//! afterwards, and what it left: the answer, the tables before and after,
//! as text exact enough to tell `'pad  '` from `'pad'` and `12` from
//! `'12'`.

use chrono::NaiveDateTime;
use diesel::connection::LoadConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamp};
use hooks_tests::models::ExactRow;
use hooks_tests::schema::exact_rows;

use super::render::Rendered;
use super::sql::{Dsl, DslCond, DslSet, Val};

/// The rows a `RETURNING id, big, txt, note` gives.
#[derive(QueryableByName, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Returned {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub big: i64,
    #[diesel(sql_type = Text)]
    pub txt: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
}

/// What a statement answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Count(usize),
    Rows(Vec<Returned>),
}

/// A row of a table as text, one entry per column.
#[derive(QueryableByName, Clone, Debug, PartialEq, Eq)]
pub struct TextRow {
    #[diesel(sql_type = Nullable<Text>)]
    c0: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c3: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c4: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c5: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c6: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c7: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c8: Option<String>,
}

impl TextRow {
    /// The key column, as text.
    pub fn key(&self) -> Option<&str> {
        self.c0.as_deref()
    }
}

/// The state of both tables (this schema's and the other schema's) and
/// the typed rows of this schema's.
#[derive(Clone, Debug, PartialEq)]
pub struct Tables {
    pub main: Vec<TextRow>,
    pub other: Vec<TextRow>,
    /// `None` when a stored value does not read as the model's field (SQLite
    /// keeps what it is given: text in an integer column).
    pub typed: Option<Vec<ExactRow>>,
}

/// One run of one statement.
#[derive(Debug)]
pub struct Ran {
    pub before: Tables,
    pub answer: Result<Answer, diesel::result::Error>,
    pub after: Tables,
}

/// A backend the suite runs on: how it reads a table as text, and how it
/// sends the suite's statements (written once for every backend by
/// `exact_backend!`).
pub trait Exact: hooks_tests::TestBackend + LoadConnection + hooks_diesel::InnerConnection {
    /// The text of every column of `table`, in key order.
    fn snapshot_sql(table: &str) -> String;

    /// The rows of `table` as text, in key order.
    fn text_rows<X>(conn: &mut X, table: &str) -> QueryResult<Vec<TextRow>>
    where
        X: LoadConnection<Backend = Self::Backend>;

    /// The rows of `exact_rows` as the model reads them, in key order.
    fn typed<X>(conn: &mut X) -> QueryResult<Vec<ExactRow>>
    where
        X: LoadConnection<Backend = Self::Backend>;

    /// Sends a raw statement with its binds.
    fn raw<X>(conn: &mut X, rendered: &Rendered, rows: bool) -> QueryResult<Answer>
    where
        X: LoadConnection<Backend = Self::Backend>;

    /// Sends a DSL statement.
    fn dsl<X>(conn: &mut X, dsl: &Dsl) -> QueryResult<Answer>
    where
        X: LoadConnection<Backend = Self::Backend>;

    /// The filter of a DSL statement.
    #[allow(clippy::type_complexity)]
    fn filter_of(
        cond: &DslCond,
    ) -> Box<
        dyn BoxableExpression<
            hooks_tests::schema::exact_rows::table,
            Self::Backend,
            SqlType = diesel::sql_types::Bool,
        >,
    >;

    /// Writes what a DSL statement says with the library's own method:
    /// `update_where_count`, `delete_where`, `bulk_create`.
    fn method(conn: &mut hooks_diesel::HookedConnection<Self>, dsl: &Dsl) -> QueryResult<Answer>;
}

fn time(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
}

macro_rules! exact_backend {
    ($conn:ty, $db:ty, |$table:ident| $snapshot:expr) => {
        impl Exact for $conn {
            fn snapshot_sql($table: &str) -> String {
                $snapshot
            }

            fn text_rows<X>(conn: &mut X, table: &str) -> QueryResult<Vec<TextRow>>
            where
                X: LoadConnection<Backend = $db>,
            {
                diesel::sql_query(Self::snapshot_sql(table)).load(conn)
            }

            fn typed<X>(conn: &mut X) -> QueryResult<Vec<ExactRow>>
            where
                X: LoadConnection<Backend = $db>,
            {
                exact_rows::table
                    .select(ExactRow::as_select())
                    .order(exact_rows::id)
                    .load(conn)
            }

            fn raw<X>(conn: &mut X, rendered: &Rendered, rows: bool) -> QueryResult<Answer>
            where
                X: LoadConnection<Backend = $db>,
            {
                let mut query = diesel::sql_query(rendered.sql.clone()).into_boxed::<$db>();
                for val in &rendered.binds {
                    query = match val {
                        Val::Int(n) => query.bind::<BigInt, _>(*n),
                        Val::Int32(n) => query.bind::<Integer, _>(*n),
                        Val::Text(s) => query.bind::<Text, _>(s.clone()),
                        Val::Float(f) => query.bind::<Double, _>(*f),
                        Val::Bool(b) => query.bind::<Bool, _>(*b),
                        Val::Null => query.bind::<Nullable<Text>, _>(None::<String>),
                        Val::Time(t) => query.bind::<Timestamp, _>(time(t)),
                    };
                }
                if rows {
                    let mut loaded = query.load::<Returned>(conn)?;
                    loaded.sort();
                    Ok(Answer::Rows(loaded))
                } else {
                    query.execute(conn).map(Answer::Count)
                }
            }

            fn filter_of(
                cond: &DslCond,
            ) -> Box<
                dyn BoxableExpression<
                    hooks_tests::schema::exact_rows::table,
                    $db,
                    SqlType = diesel::sql_types::Bool,
                >,
            > {
                use hooks_tests::schema::exact_rows::dsl::*;
                match cond {
                    DslCond::IdEq(n) => Box::new(id.eq(*n)),
                    DslCond::IdIn(ids) => Box::new(id.eq_any(ids.clone())),
                    DslCond::BigGt(n) => Box::new(big.gt(*n)),
                    DslCond::TxtEq(s) => Box::new(txt.eq(s.clone())),
                    DslCond::NoteNull => Box::new(note.is_null()),
                    DslCond::Not(c) => Box::new(diesel::dsl::not(Self::filter_of(c))),
                    DslCond::And(a, b) => Box::new(Self::filter_of(a).and(Self::filter_of(b))),
                    DslCond::Or(a, b) => Box::new(Self::filter_of(a).or(Self::filter_of(b))),
                }
            }

            fn method(
                conn: &mut hooks_diesel::HookedConnection<Self>,
                dsl: &Dsl,
            ) -> QueryResult<Answer> {
                use hooks_tests::schema::exact_rows::dsl::*;
                let count = match dsl {
                    Dsl::Update(cond, set) => {
                        let f = Self::filter_of(cond);
                        match set {
                            DslSet::Txt(s) => {
                                conn.update_where_count::<ExactRow>(f, txt.eq(s.clone()))
                            }
                            DslSet::BigPlus(n) => {
                                conn.update_where_count::<ExactRow>(f, big.eq(big + *n))
                            }
                            DslSet::TxtThenNote(s) => conn.update_where_count::<ExactRow>(
                                f,
                                (txt.eq(s.clone()), note.eq(txt.nullable())),
                            ),
                            DslSet::Note(s) => {
                                conn.update_where_count::<ExactRow>(f, note.eq(s.clone()))
                            }
                            DslSet::Typed {
                                small: sm,
                                ratio: r,
                                flag: fl,
                                at: a,
                            } => conn.update_where_count::<ExactRow>(
                                f,
                                (small.eq(*sm), ratio.eq(*r), flag.eq(*fl), at.eq(*a)),
                            ),
                            DslSet::StatusBig(s, n) => conn.update_where_count::<ExactRow>(
                                f,
                                (status.eq(s.clone()), big.eq(*n)),
                            ),
                        }
                    }
                    Dsl::Delete(cond) => conn.delete_where::<ExactRow>(Self::filter_of(cond)),
                    Dsl::Insert(rows) => conn
                        .bulk_create(
                            rows.iter()
                                .map(|r| ExactRow {
                                    id: 0,
                                    big: r.big,
                                    small: None,
                                    txt: r.txt.clone(),
                                    note: r.note.clone(),
                                    ratio: r.ratio,
                                    flag: false,
                                    at: None,
                                    status: "new".into(),
                                })
                                .collect(),
                        )
                        .map(|created| created.len()),
                };
                count
                    .map(Answer::Count)
                    .map_err(hooks_diesel::Error::into_diesel)
            }

            fn dsl<X>(conn: &mut X, dsl: &Dsl) -> QueryResult<Answer>
            where
                X: LoadConnection<Backend = $db>,
            {
                use hooks_tests::schema::exact_rows::dsl::*;
                let filter = Self::filter_of;
                let count = match dsl {
                    Dsl::Update(cond, set) => {
                        let update = diesel::update(exact_rows).filter(filter(cond));
                        match set {
                            DslSet::Txt(s) => update.set(txt.eq(s.clone())).execute(conn),
                            DslSet::BigPlus(n) => update.set(big.eq(big + *n)).execute(conn),
                            DslSet::TxtThenNote(s) => update
                                .set((txt.eq(s.clone()), note.eq(txt.nullable())))
                                .execute(conn),
                            DslSet::Note(s) => update.set(note.eq(s.clone())).execute(conn),
                            DslSet::Typed {
                                small: sm,
                                ratio: r,
                                flag: f,
                                at: a,
                            } => update
                                .set((small.eq(*sm), ratio.eq(*r), flag.eq(*f), at.eq(*a)))
                                .execute(conn),
                            DslSet::StatusBig(s, n) => {
                                update.set((status.eq(s.clone()), big.eq(*n))).execute(conn)
                            }
                        }
                    }
                    Dsl::Delete(cond) => diesel::delete(exact_rows)
                        .filter(filter(cond))
                        .execute(conn),
                    Dsl::Insert(rows) => {
                        let values: Vec<_> = rows
                            .iter()
                            .map(|r| {
                                (
                                    big.eq(r.big),
                                    txt.eq(r.txt.clone()),
                                    note.eq(r.note.clone()),
                                    ratio.eq(r.ratio),
                                )
                            })
                            .collect();
                        diesel::insert_into(exact_rows)
                            .values(&values)
                            .execute(conn)
                    }
                }?;
                Ok(Answer::Count(count))
            }
        }
    };
}

exact_backend!(
    diesel::sqlite::SqliteConnection,
    diesel::sqlite::Sqlite,
    |table| {
        let q = |c: &str| format!("quote({c})");
        columns(table, q)
    }
);
exact_backend!(diesel::pg::PgConnection, diesel::pg::Pg, |table| {
    let q = |c: &str| format!("{c}::text");
    columns(table, q)
});
exact_backend!(
    diesel::mysql::MysqlConnection,
    diesel::mysql::Mysql,
    |table| {
        let q = |c: &str| format!("CAST({c} AS CHAR)");
        columns(table, q)
    }
);

/// `SELECT <as_text(column)> AS cN, .. FROM table ORDER BY id`.
fn columns(table: &str, as_text: impl Fn(&str) -> String) -> String {
    let names = [
        "id", "big", "small", "txt", "note", "ratio", "flag", "at", "status",
    ];
    let list: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} AS c{i}", as_text(c)))
        .collect();
    format!("SELECT {} FROM {table} ORDER BY id", list.join(", "))
}

/// Both tables and the typed rows, read through `conn`.
pub fn tables<B: Exact, X>(conn: &mut X, other_table: &str) -> QueryResult<Tables>
where
    X: LoadConnection<Backend = B::Backend>,
{
    Ok(Tables {
        main: B::text_rows(conn, "exact_rows")?,
        other: B::text_rows(conn, other_table)?,
        typed: B::typed(conn).ok(),
    })
}

/// Runs `send` on `conn` in a transaction that is rolled back; the
/// statement itself in a savepoint, so that a failure leaves the tables
/// readable.
pub fn ran<B: Exact, X>(
    conn: &mut X,
    other_table: &str,
    send: impl FnOnce(&mut X) -> QueryResult<Answer>,
) -> QueryResult<Ran>
where
    X: LoadConnection<Backend = B::Backend>,
{
    let mut out = None;
    let rolled_back = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        let before = tables::<B, X>(conn, other_table)?;
        let answer = conn.transaction(|conn| send(conn));
        let after = tables::<B, X>(conn, other_table)?;
        out = Some(Ran {
            before,
            answer,
            after,
        });
        Err(diesel::result::Error::RollbackTransaction)
    });
    match (rolled_back, out) {
        (Err(diesel::result::Error::RollbackTransaction), Some(ran)) => Ok(ran),
        (Err(e), _) => Err(e),
        (Ok(()), _) => Err(diesel::result::Error::RollbackTransaction),
    }
}
