//! Test harness: one behaviour suite, run on every backend.
//!
//! Each test gets a database of its own with the migrations applied (a temp
//! file for SQLite, a fresh schema for PostgreSQL, a fresh database for
//! MySQL), dropped afterwards, so tests run in parallel and never depend on
//! what an earlier run left.
//!
//! PostgreSQL is reached at `POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), MySQL or MariaDB at
//! `MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`; the user must
//! be allowed to create and drop databases); a test fails loudly when its
//! server is unreachable, it is never skipped.

pub mod db;
pub mod recorder;
pub mod rng;
pub mod watchdog;

pub use hooks_examples::{models, schema};

pub use db::{TestBackend, TestDb};

/// Writes each test once per backend, as `sqlite::name`, `postgres::name`
/// and `mysql::name`. Inside the body, `Inner` is the backend's connection
/// type and `Conn` the hooked connection over it.
///
/// ```ignore
/// backend_suite! {
///     fn creates_rows(db) {
///         let mut conn = db.connect(Registry::new());
///         // ...
///     }
/// }
/// ```
///
/// Behaviour only some backends have is written once for those, named
/// first (any of `sqlite`, `postgres`, `mysql`); put such a suite in a
/// module of its own, since it makes the same backend modules:
///
/// ```ignore
/// backend_suite! {
///     backends(postgres, mysql);
///     fn locks_rows(db) { /* ... */ }
/// }
/// ```
#[macro_export]
macro_rules! backend_suite {
    (@each [] $($tests:tt)*) => {};
    (@each [$first:ident $($more:ident)*] $($tests:tt)*) => {
        $crate::backend_suite!(@named $first; $($tests)*);
        $crate::backend_suite!(@each [$($more)*] $($tests)*);
    };
    (@named sqlite; $($tests:tt)*) => {
        $crate::backend_suite!(@backend sqlite, ::diesel::sqlite::SqliteConnection; $($tests)*);
    };
    (@named postgres; $($tests:tt)*) => {
        $crate::backend_suite!(@backend postgres, ::diesel::pg::PgConnection; $($tests)*);
    };
    (@named mysql; $($tests:tt)*) => {
        $crate::backend_suite!(@backend mysql, ::diesel::mysql::MysqlConnection; $($tests)*);
    };
    (@named $other:ident; $($tests:tt)*) => {
        compile_error!(concat!("backend_suite!: unknown backend `", stringify!($other), "` (sqlite, postgres, mysql)"));
    };
    (@backend $module:ident, $inner:ty; $($(#[$meta:meta])* fn $name:ident($db:ident) $body:block)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            #[allow(dead_code)]
            type Inner = $inner;
            #[allow(dead_code)]
            type Conn = ::hooks_diesel::HookedConnection<$inner>;
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    #[allow(unused_mut)]
                    let mut $db = $crate::TestDb::<$inner>::new();
                    $body
                }
            )*
        }
    };
    // Public arms last: the catch-all would match the internal `@` calls.
    (backends($($backend:ident),+ $(,)?); $($tests:tt)*) => {
        $crate::backend_suite!(@each [$($backend)+] $($tests)*);
    };
    ($($tests:tt)*) => {
        $crate::backend_suite!(@each [sqlite postgres mysql] $($tests)*);
    };
}
