//! The two connections a case runs on, over one database: a bare one and
//! a hooked one (chunks of three rows, `UnhookedWrites::Refuse`, a
//! recorder of every hook call), the seeded table in the default schema
//! and in another one.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use hooks_diesel::{Config, HookedConnection, Registry, UnhookedWrites};
use hooks_tests::models::ExactRow;
use hooks_tests::recorder::Seen;
use hooks_tests::{BackendKind, TestDb};

use super::check::{compare, Call, Verdict};
use super::render::{render, Names, Rendered};
use super::run::{ran, Exact};
use super::sql::Case;

/// Where the other schema lives, per backend, and how generated keys are
/// put back to where a case started.
pub trait Schemas: Exact + Sized {
    /// The schema unqualified names resolve to.
    fn default_schema(conn: &mut Self) -> String;
    /// Makes the other schema (with `exact_rows`) seen by both
    /// connections; returns its name.
    fn make_other(db: &TestDb<Self>, conns: [&mut Self; 2]) -> String;
    /// Drops what `make_other` made.
    fn drop_other(db: &TestDb<Self>, other: &str);
    /// Puts the key generators of both tables back.
    fn reset_keys(conn: &mut Self, other: &str);
}

/// The table's DDL for `backend`, creating `table`.
fn ddl(backend: BackendKind, table: &str) -> String {
    let up = match backend {
        BackendKind::Sqlite => {
            include_str!("../../../migrations/sqlite/2026-12-06-000001_exact_rows/up.sql")
        }
        BackendKind::Postgres => {
            include_str!("../../../migrations/postgres/2026-12-06-000001_exact_rows/up.sql")
        }
        BackendKind::Mysql => {
            include_str!("../../../migrations/mysql/2026-12-06-000001_exact_rows/up.sql")
        }
    };
    up.replace("CREATE TABLE exact_rows", &format!("CREATE TABLE {table}"))
}

fn run(conn: &mut impl SimpleConnection, sql: &str) {
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

impl Schemas for diesel::sqlite::SqliteConnection {
    fn default_schema(_: &mut Self) -> String {
        "main".into()
    }

    fn make_other(db: &TestDb<Self>, conns: [&mut Self; 2]) -> String {
        let attach = format!("ATTACH DATABASE '{}-other' AS other_rows", db.url());
        for conn in conns {
            run(conn, &attach);
        }
        let mut admin = db.raw();
        run(&mut admin, &attach);
        run(
            &mut admin,
            &ddl(BackendKind::Sqlite, "other_rows.exact_rows"),
        );
        "other_rows".into()
    }

    fn drop_other(db: &TestDb<Self>, _: &str) {
        let _ = std::fs::remove_file(format!("{}-other", db.url()));
    }

    fn reset_keys(_: &mut Self, _: &str) {}
}

impl Schemas for diesel::pg::PgConnection {
    fn default_schema(conn: &mut Self) -> String {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "current_schema()",
        ))
        .get_result(conn)
        .expect("current schema")
    }

    fn make_other(_: &TestDb<Self>, conns: [&mut Self; 2]) -> String {
        let other = format!("{}_other", Self::default_schema(conns[0]));
        run(conns[0], &format!("CREATE SCHEMA {other}"));
        run(
            conns[0],
            &ddl(BackendKind::Postgres, &format!("{other}.exact_rows")),
        );
        other
    }

    fn drop_other(db: &TestDb<Self>, other: &str) {
        let _ = db
            .raw()
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {other} CASCADE"));
    }

    fn reset_keys(conn: &mut Self, other: &str) {
        run(
            conn,
            &format!(
                "SELECT setval(pg_get_serial_sequence('exact_rows', 'id'), 1000); \
                 SELECT setval(pg_get_serial_sequence('{other}.exact_rows', 'id'), 1000)"
            ),
        );
    }
}

impl Schemas for diesel::mysql::MysqlConnection {
    fn default_schema(conn: &mut Self) -> String {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("DATABASE()"))
            .get_result(conn)
            .expect("current database")
    }

    fn make_other(_: &TestDb<Self>, conns: [&mut Self; 2]) -> String {
        let other = format!("{}_other", Self::default_schema(conns[0]));
        run(
            conns[0],
            &format!("CREATE DATABASE {other} CHARACTER SET utf8mb4"),
        );
        run(
            conns[0],
            &ddl(BackendKind::Mysql, &format!("{other}.exact_rows")),
        );
        other
    }

    fn drop_other(db: &TestDb<Self>, other: &str) {
        let _ = db
            .raw()
            .batch_execute(&format!("DROP DATABASE IF EXISTS {other}"));
    }

    fn reset_keys(conn: &mut Self, other: &str) {
        run(
            conn,
            &format!(
                "ALTER TABLE exact_rows AUTO_INCREMENT = 1001; \
                 ALTER TABLE {other}.exact_rows AUTO_INCREMENT = 1001"
            ),
        );
    }
}

/// The seeded rows: tricky text, NULLs, every column type.
fn seed(backend: BackendKind, table: &str) -> String {
    let texts = [
        "pad  ",
        "it's",
        "a\\b",
        "",
        "é€😀",
        "  lead",
        "12abc",
        "/* x */",
    ];
    let rows: Vec<String> = (1..=12i64)
        .map(|id| {
            let text = |i: usize| {
                let t = texts[i % texts.len()];
                let t = if backend == BackendKind::Mysql {
                    t.replace('\\', "\\\\")
                } else {
                    t.to_string()
                };
                format!("'{}'", t.replace('\'', "''"))
            };
            let big = [5, 57, 0, -3, 12, 30, 7, 44, 19, 1, 23, 8][(id - 1) as usize];
            let small = if id % 4 == 0 {
                "NULL".into()
            } else {
                (id * 3 - 7).to_string()
            };
            let note = if id % 3 == 0 {
                "NULL".into()
            } else {
                text(id as usize + 3)
            };
            let ratio = if id % 5 == 0 {
                "NULL".into()
            } else {
                format!("{}.5", id - 6)
            };
            let flag = if id % 2 == 0 { "TRUE" } else { "FALSE" };
            let at = if id % 4 == 1 {
                "NULL".into()
            } else {
                format!("'2026-01-{id:02} 10:20:30'")
            };
            let status = ["new", "paid", "NEW "][id as usize % 3];
            format!(
                "({id}, {big}, {small}, {}, {note}, {ratio}, {flag}, {at}, '{status}')",
                text(id as usize)
            )
        })
        .collect();
    format!(
        "INSERT INTO {table} (id, big, small, txt, note, ratio, flag, at, status) VALUES {}",
        rows.join(", ")
    )
}

/// A database with both connections and both tables seeded.
pub struct Pair<'db, C: Schemas> {
    db: &'db TestDb<C>,
    pub bare: C,
    pub hooked: HookedConnection<C>,
    calls: Seen<Call>,
    default_schema: String,
    other: String,
}

impl<C: Schemas> Drop for Pair<'_, C> {
    fn drop(&mut self) {
        C::drop_other(self.db, &self.other);
    }
}

/// A registry recording every event of `ExactRow`.
fn recording<C: Schemas>(calls: &Seen<Call>) -> Registry<HookedConnection<C>>
where
    HookedConnection<C>: hooks_diesel::hooks_core::Hosts<ExactRow>,
{
    use hooks_diesel::{Batch, Hook};
    fn records(batch: &Batch<ExactRow>) -> Vec<(ExactRow, Option<ExactRow>)> {
        batch.iter().map(|(n, o)| (n.clone(), o.cloned())).collect()
    }
    let c = |calls: &Seen<Call>| calls.clone();
    let (bc, bu, bd, ac, au, ad) = (c(calls), c(calls), c(calls), c(calls), c(calls), c(calls));
    Registry::new()
        .with(Hook::before_create(move |_, b: &mut Batch<ExactRow>| {
            bc.push(("before_create", records(b)));
            Ok(())
        }))
        .with(Hook::before_update(move |_, b: &mut Batch<ExactRow>| {
            bu.push(("before_update", records(b)));
            Ok(())
        }))
        .with(Hook::before_delete(move |_, b: &mut Batch<ExactRow>| {
            bd.push(("before_delete", records(b)));
            Ok(())
        }))
        .with(Hook::after_create(move |_, b: &Batch<ExactRow>| {
            ac.push(("after_create", records(b)));
            Ok(())
        }))
        .with(Hook::after_update(move |_, b: &Batch<ExactRow>| {
            au.push(("after_update", records(b)));
            Ok(())
        }))
        .with(Hook::after_delete(move |_, b: &Batch<ExactRow>| {
            ad.push(("after_delete", records(b)));
            Ok(())
        }))
}

impl<'db, C: Schemas> Pair<'db, C>
where
    HookedConnection<C>: hooks_diesel::hooks_core::Hosts<ExactRow>,
{
    /// Both connections over `db`, the tables seeded.
    pub fn new(db: &'db TestDb<C>) -> Self {
        let calls = Seen::new();
        let mut bare = db.raw();
        let mut inner = db.raw();
        let other = C::make_other(db, [&mut bare, &mut inner]);
        run(&mut bare, &seed(C::KIND, "exact_rows"));
        run(&mut bare, &seed(C::KIND, &format!("{other}.exact_rows")));
        let default_schema = C::default_schema(&mut bare);
        let config = Config::default()
            .with_chunk_size(3)
            .with_unhooked_writes(UnhookedWrites::Refuse);
        let hooked = HookedConnection::new(inner, recording::<C>(&calls)).with_config(config);
        Pair {
            db,
            bare,
            hooked,
            calls,
            default_schema,
            other,
        }
    }

    /// Runs `case` on both connections from the same state and compares.
    pub fn check(&mut self, case: &Case) -> Result<Verdict, String> {
        let names = Names {
            backend: C::KIND,
            default_schema: &self.default_schema,
            other_schema: &self.other,
        };
        let (rows, text, rendered) = match case {
            Case::Raw(raw, style) => {
                let rendered = render(raw, style, &names);
                (case.returns_rows(), rendered.sql.clone(), Some(rendered))
            }
            Case::Dsl(dsl) | Case::Method(dsl) => (false, format!("{dsl:?}"), None),
            Case::Text(sql) => (
                case.returns_rows(),
                sql.to_string(),
                Some(Rendered {
                    sql: sql.to_string(),
                    binds: Vec::new(),
                }),
            ),
        };
        let other_table = format!("{}.exact_rows", self.other);
        let send = |conn: &mut _| match (&rendered, case) {
            (Some(rendered), _) => C::raw(conn, rendered, rows),
            (None, Case::Dsl(dsl) | Case::Method(dsl)) => C::dsl(conn, dsl),
            (None, _) => unreachable!("raw and text cases are rendered"),
        };
        let fail = |e: diesel::result::Error| format!("{e}\n  statement: {text}");
        if case.draws_keys() {
            C::reset_keys(&mut self.bare, &self.other);
        }
        let bare = ran::<C, C>(&mut self.bare, &other_table, send).map_err(fail)?;
        if case.draws_keys() {
            C::reset_keys(&mut self.bare, &self.other);
        }
        let seen = self.calls.len();
        let send = |conn: &mut HookedConnection<C>| match (&rendered, case) {
            (Some(rendered), _) => C::raw(conn, rendered, rows),
            (None, Case::Dsl(dsl)) => C::dsl(conn, dsl),
            (None, Case::Method(dsl)) => C::method(conn, dsl),
            (None, _) => unreachable!("raw and text cases are rendered"),
        };
        let hooked = ran::<C, _>(&mut self.hooked, &other_table, send).map_err(fail)?;
        let calls: Vec<Call> = self.calls.all().split_off(seen);
        let verdict = compare(&bare, &hooked, &calls);
        if std::env::var_os("HOOKS_EXACT_VERBOSE").is_some() {
            let bare_error = bare.answer.as_ref().err().map(ToString::to_string);
            let hooked_error = hooked.answer.as_ref().err().map(ToString::to_string);
            eprintln!("{verdict:?} | {text} | bare {bare_error:?} | hooked {hooked_error:?}");
        }
        verdict.map_err(|e| format!("{e}\n  statement: {text}"))
    }
}
