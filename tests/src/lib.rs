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
pub mod sessions;
pub mod watchdog;
pub mod writes;

pub use hooks_examples::{models, schema};

pub use db::{BackendKind, TestBackend, TestDb};
pub use writes::Writes;

/// The crates the macros of this crate expand to, whatever the calling
/// crate names its own dependencies.
#[doc(hidden)]
pub use hooks_diesel as __hooks_diesel;

/// Writes each test once per backend, as `sqlite::name`, `postgres::name`
/// and `mysql::name`. Inside the body, `Inner` is the backend's connection
/// type, `Conn` the hooked connection over it and `BACKEND` the backend's
/// [`BackendKind`].
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
///
/// A suite whose writes can be expressed both through the library's
/// operations and as ordinary Diesel statements runs once per write style
/// (any of `hooked`, `diesel`), as `sqlite::hooked::name`,
/// `sqlite::diesel::name`, ...; inside the body `WRITES` is the style, which
/// the macros of [`writes`] follow. `backends(..)` may come first.
///
/// ```ignore
/// backend_suite! {
///     writes(hooked, diesel);
///     fn creates_rows(db) {
///         let mut conn = db.connect(Registry::new());
///         let created = bulk_create!(conn, vec![Account::new("a", 1, "idle")]).unwrap();
///         // ...
///     }
/// }
/// ```
///
/// A style some backend cannot run yet is left out by naming the styles of
/// each backend (in a module of its own, as for `backends(..)`):
///
/// ```ignore
/// backend_suite! {
///     writes(sqlite(hooked, diesel), postgres(hooked), mysql(hooked));
///     fn writes_many_rows(db) { /* ... */ }
/// }
/// ```
///
/// The style modules see the items of the module the suite is written in
/// (not those of the backend module, so that the module named `diesel`
/// never hides the crate of that name).
#[macro_export]
macro_rules! backend_suite {
    (@each [] $styles:tt $tests:tt) => {};
    (@each [$first:ident $($more:ident)*] $styles:tt $tests:tt) => {
        $crate::backend_suite!(@named $first; $styles $tests);
        $crate::backend_suite!(@each [$($more)*] $styles $tests);
    };
    (@each_own [] $tests:tt) => {};
    (@each_own [$backend:ident $styles:tt $($more:tt)*] $tests:tt) => {
        $crate::backend_suite!(@named $backend; $styles $tests);
        $crate::backend_suite!(@each_own [$($more)*] $tests);
    };
    (@named sqlite; $($rest:tt)*) => {
        $crate::backend_suite!(@backend sqlite, ::diesel::sqlite::SqliteConnection; $($rest)*);
    };
    (@named postgres; $($rest:tt)*) => {
        $crate::backend_suite!(@backend postgres, ::diesel::pg::PgConnection; $($rest)*);
    };
    (@named mysql; $($rest:tt)*) => {
        $crate::backend_suite!(@backend mysql, ::diesel::mysql::MysqlConnection; $($rest)*);
    };
    (@named $other:ident; $($rest:tt)*) => {
        compile_error!(concat!("backend_suite!: unknown backend `", stringify!($other), "` (sqlite, postgres, mysql)"));
    };
    (@backend $module:ident, $inner:ty; [] { $($tests:tt)* }) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::backend_suite!(@tests $inner; $($tests)*);
        }
    };
    (@backend $module:ident, $inner:ty; [$($style:ident)+] $tests:tt) => {
        mod $module {
            $( $crate::backend_suite!(@style $style, $inner; $tests); )+
        }
    };
    (@style hooked, $inner:ty; { $($tests:tt)* }) => {
        $crate::backend_suite!(@styled hooked, Hooked, $inner; $($tests)*);
    };
    (@style diesel, $inner:ty; { $($tests:tt)* }) => {
        $crate::backend_suite!(@styled diesel, Diesel, $inner; $($tests)*);
    };
    (@style $other:ident, $inner:ty; $tests:tt) => {
        compile_error!(concat!("backend_suite!: unknown write style `", stringify!($other), "` (hooked, diesel)"));
    };
    (@styled $module:ident, $variant:ident, $inner:ty; $($tests:tt)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::super::*;
            /// The write style of this copy of the suite.
            #[allow(dead_code)]
            const WRITES: $crate::Writes = $crate::Writes::$variant;
            $crate::backend_suite!(@tests $inner; $($tests)*);
        }
    };
    (@tests $inner:ty; $($(#[$meta:meta])* fn $name:ident($db:ident) $body:block)*) => {
        #[allow(dead_code)]
        type Inner = $inner;
        #[allow(dead_code)]
        type Conn = $crate::__hooks_diesel::HookedConnection<$inner>;
        #[allow(dead_code)]
        const BACKEND: $crate::BackendKind = <$inner as $crate::TestBackend>::KIND;
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                #[allow(unused_mut)]
                let mut $db = $crate::TestDb::<$inner>::new();
                $body
            }
        )*
    };
    // Public arms last: the catch-all would match the internal `@` calls.
    (backends($($backend:ident),+ $(,)?); writes($($style:ident),+ $(,)?); $($tests:tt)*) => {
        $crate::backend_suite!(@each [$($backend)+] [$($style)+] { $($tests)* });
    };
    (backends($($backend:ident),+ $(,)?); $($tests:tt)*) => {
        $crate::backend_suite!(@each [$($backend)+] [] { $($tests)* });
    };
    (writes($($backend:ident($($style:ident),+ $(,)?)),+ $(,)?); $($tests:tt)*) => {
        $crate::backend_suite!(@each_own [$($backend [$($style)+])+] { $($tests)* });
    };
    (writes($($style:ident),+ $(,)?); $($tests:tt)*) => {
        $crate::backend_suite!(@each [sqlite postgres mysql] [$($style)+] { $($tests)* });
    };
    ($($tests:tt)*) => {
        $crate::backend_suite!(@each [sqlite postgres mysql] [] { $($tests)* });
    };
}
