//! Statements written by hand as Diesel query fragments, so that Diesel's
//! prepared-statement cache keeps them: the baselines' statements that the
//! query builder never caches (`diesel::update(..)`, `sql_query`, `eq_any`
//! lists of `?` on SQLite and MySQL), as a Diesel user who wants statement
//! reuse writes them.
//!
//! Diesel caches a statement when its query fragment never calls
//! `AstPass::unsafe_to_cache_prepared`; a fragment without a static query
//! id is cached by its SQL text (and bind types), which is how the hooked
//! operations' own statements are cached too. A chunk of 1,000 rows has
//! the same text every time, so it is parsed and planned once.

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::Connection;
use diesel::{QueryResult, RunQueryDsl};

/// The SQL type of an `accounts` row in the order of its columns (what
/// `Account` is `Queryable` from).
pub type AccountSql = (BigInt, Text, BigInt, Text, Nullable<Timestamp>);

/// A value bound to a placeholder.
pub enum Bind<'a> {
    Int(i64),
    Text(&'a str),
    Stamp(Option<NaiveDateTime>),
    /// An `int8[]` (PostgreSQL only).
    Ints(Vec<i64>),
}

enum Part<'a> {
    Sql(&'static str),
    Bind(Bind<'a>),
}

/// A statement of SQL text and binds; `ST` is the SQL type of its rows
/// (`()` for a statement that returns none).
pub struct Stmt<'a, ST = ()> {
    parts: Vec<Part<'a>>,
    _rows: PhantomData<ST>,
}

impl<'a, ST> Stmt<'a, ST> {
    /// A statement starting with `sql`.
    pub fn new(sql: &'static str) -> Self {
        Stmt {
            parts: vec![Part::Sql(sql)],
            _rows: PhantomData,
        }
    }

    /// Appends SQL text.
    pub fn sql(mut self, sql: &'static str) -> Self {
        self.parts.push(Part::Sql(sql));
        self
    }

    /// Appends a placeholder bound to `value` (`?`, or `$n` on PostgreSQL).
    pub fn bind(mut self, value: Bind<'a>) -> Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// Appends `?, ?, ..`, one placeholder per key.
    pub fn key_list(mut self, keys: &[i64]) -> Self {
        self.parts.reserve(2 * keys.len());
        for (i, &key) in keys.iter().enumerate() {
            if i > 0 {
                self.parts.push(Part::Sql(", "));
            }
            self.parts.push(Part::Bind(Bind::Int(key)));
        }
        self
    }
}

impl<ST: 'static> QueryId for Stmt<'_, ST> {
    type QueryId = ();
    /// Cached by SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for Stmt<'_, ST> {
    type SqlType = ST;
}

impl<ST, C> RunQueryDsl<C> for Stmt<'_, ST> {}

/// How each backend binds a [`Bind`].
pub trait PushBind: Backend {
    fn push_bind<'b>(bind: &'b Bind<'_>, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()>;
}

fn push_scalar<'b, DB>(bind: &'b Bind<'_>, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>
where
    DB: Backend
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Timestamp>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    str: diesel::serialize::ToSql<Text, DB>,
    Option<NaiveDateTime>: diesel::serialize::ToSql<Nullable<Timestamp>, DB>,
{
    match bind {
        Bind::Int(v) => out.push_bind_param::<BigInt, _>(v),
        Bind::Text(v) => out.push_bind_param::<Text, str>(v),
        Bind::Stamp(v) => out.push_bind_param::<Nullable<Timestamp>, _>(v),
        Bind::Ints(_) => Err(diesel::result::Error::QueryBuilderError(
            "array binds exist on PostgreSQL only".into(),
        )),
    }
}

impl PushBind for diesel::sqlite::Sqlite {
    fn push_bind<'b>(bind: &'b Bind<'_>, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()> {
        push_scalar(bind, out)
    }
}

impl PushBind for diesel::mysql::Mysql {
    fn push_bind<'b>(bind: &'b Bind<'_>, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()> {
        push_scalar(bind, out)
    }
}

impl PushBind for diesel::pg::Pg {
    fn push_bind<'b>(bind: &'b Bind<'_>, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()> {
        match bind {
            Bind::Ints(v) => out.push_bind_param::<diesel::sql_types::Array<BigInt>, _>(v),
            other => push_scalar(other, out),
        }
    }
}

impl<ST, DB: PushBind> QueryFragment<DB> for Stmt<'_, ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(sql) => out.push_sql(sql),
                Part::Bind(bind) => DB::push_bind(bind, &mut out)?,
            }
        }
        Ok(())
    }
}

/// `<column> IN (?, ?, ..)`, or `<column> = ANY($1)` with one array on
/// PostgreSQL (as Diesel's `eq_any` writes them).
pub trait KeyIn: PushBind {
    fn key_in<'a, ST>(stmt: Stmt<'a, ST>, keys: &[i64]) -> Stmt<'a, ST> {
        stmt.sql(" IN (").key_list(keys).sql(")")
    }
}

impl KeyIn for diesel::sqlite::Sqlite {}

impl KeyIn for diesel::mysql::Mysql {}

impl KeyIn for diesel::pg::Pg {
    fn key_in<'a, ST>(stmt: Stmt<'a, ST>, keys: &[i64]) -> Stmt<'a, ST> {
        stmt.sql(" = ANY(").bind(Bind::Ints(keys.to_vec())).sql(")")
    }
}

/// The set-based `UPDATE` of many rows' balances and one `updated_at`
/// stamp, in each backend's best shape (DESIGN.md "Facts already
/// measured"), through any connection of the backend (also a
/// `HookedConnection`): `unnest` of arrays on PostgreSQL, a `VALUES`
/// common table expression on SQLite, `UPDATE .. JOIN` of a `UNION ALL`
/// derived table on MySQL and MariaDB.
pub trait SetUpdate: PushBind {
    /// Writes `balance` of each `(id, balance)` row and the one stamp `at`
    /// with one statement; returns the rows matched.
    fn write_rows<Conn: Connection<Backend = Self>>(
        conn: &mut Conn,
        rows: &[(i64, i64)],
        at: NaiveDateTime,
        style: crate::statements::Style,
    ) -> QueryResult<usize>;
}
