//! What a session decides about the text it is sent: how it lexes quotes
//! and backslashes (settings a session may change), and which table a
//! name, qualified or not, denotes on it.

use diesel::backend::Backend;
use diesel::connection::LoadConnection;
use diesel::QueryResult;

use crate::sql::{Lexing, Name};

/// What an `INSERT` that gives a column no value stores in it, as the
/// catalog describes the column.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub struct ColumnDefault {
    /// The column.
    pub column: String,
    /// Its default, an SQL expression that can be evaluated without
    /// writing; `None` when it has none, or when evaluating it would have
    /// an effect (a sequence, an auto-increment, an identity).
    pub default: Option<String>,
}

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

    /// The columns of `table` and their defaults.
    #[doc(hidden)]
    fn column_defaults<C: LoadConnection<Backend = Self>>(
        conn: &mut C,
        table: &str,
    ) -> QueryResult<Vec<ColumnDefault>>;
}

/// One column as a catalog query returns it.
#[derive(diesel::QueryableByName)]
pub(super) struct CatalogColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub default: Option<String>,
    /// An auto-increment, identity or generated column (or one whose
    /// default has an effect).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub generated: bool,
}

impl From<CatalogColumn> for ColumnDefault {
    fn from(column: CatalogColumn) -> Self {
        ColumnDefault {
            column: column.name,
            default: column.default.filter(|_| !column.generated),
        }
    }
}

/// `"name"`, doubled quotes inside.
#[cfg(feature = "postgres")]
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
