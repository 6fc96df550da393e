//! What a session decides about the text it is sent: how it lexes quotes
//! and backslashes (settings a session may change), and which table a
//! name, qualified or not, denotes on it.

use diesel::backend::Backend;
use diesel::connection::LoadConnection;
use diesel::QueryResult;

use crate::capture::{Lexing, Name};

/// Sealed: only the backends of this crate implement it.
pub trait Session: Backend + Sized {
    /// The session's lexing settings, read from the server (called only
    /// for text whose lexing depends on them, see [`Lexing::settles`]).
    #[doc(hidden)]
    fn lexing<C: LoadConnection<Backend = Self>>(conn: &mut C) -> QueryResult<Lexing>;

    /// Whether `written`, a table name as a statement writes it, names
    /// the table whose SQL name is `table` (the two are already equal
    /// without regard to ASCII case).
    #[doc(hidden)]
    fn names_table<C: LoadConnection<Backend = Self>>(
        conn: &mut C,
        written: &Name,
        table: &str,
    ) -> QueryResult<bool>;

    /// Whether `qualifier.table` is the table an unqualified `table`
    /// denotes on this session (a schema on the search path, the current
    /// database, SQLite's `main`).
    #[doc(hidden)]
    fn qualifies_table<C: LoadConnection<Backend = Self>>(
        conn: &mut C,
        qualifier: &[Name],
        table: &str,
    ) -> QueryResult<bool>;
}

/// `"name"`, doubled quotes inside.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
