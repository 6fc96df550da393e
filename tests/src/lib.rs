//! Test harness: one behaviour suite, run on every backend.
//!
//! Each test gets a database of its own with the migrations applied (a temp
//! file for SQLite, a fresh schema for PostgreSQL), dropped afterwards, so
//! tests run in parallel and never depend on what an earlier run left.
//!
//! PostgreSQL is reached at `POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); a test fails loudly when it
//! is unreachable, it is never skipped.

pub mod db;
pub mod recorder;

pub use hooks_examples::{models, schema};

pub use db::{TestBackend, TestDb};

/// Writes each test once per backend, as `sqlite::name` and
/// `postgres::name`. Inside the body, `Inner` is the backend's connection
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
#[macro_export]
macro_rules! backend_suite {
    ($($(#[$meta:meta])* fn $name:ident($db:ident) $body:block)*) => {
        $crate::backend_suite!(@backend sqlite, ::diesel::sqlite::SqliteConnection; $($(#[$meta])* fn $name($db) $body)*);
        $crate::backend_suite!(@backend postgres, ::diesel::pg::PgConnection; $($(#[$meta])* fn $name($db) $body)*);
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
}
