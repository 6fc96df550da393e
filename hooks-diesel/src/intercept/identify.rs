//! Which table a statement writes, as the session sees it: a name is the
//! table of a hooked model only when the database would resolve it to
//! that table (its case rules, a qualifier naming the schema or database
//! the unqualified name resolves in). A table of another schema is
//! another table.

use diesel::QueryResult;

use crate::backend::{Capture, Session};
use crate::connection::{HookedConnection, InnerConnection};
use crate::sql::Lexing;
use crate::sql::TableRef;

impl<C: InnerConnection> HookedConnection<C> {
    /// The SQL name of the hooked table `table` denotes on this
    /// connection, if it denotes one.
    pub(crate) fn identify(&mut self, table: &TableRef) -> QueryResult<Option<&'static str>> {
        let Some(hooked) = self
            .registry()
            .models_of_table(&table.name.text)
            .next()
            .map(|m| m.table)
        else {
            return Ok(None);
        };
        if !<C::Backend as Session>::names_table(&mut self.inner, &table.name, hooked)? {
            return Ok(None);
        }
        if !table.qualifier.is_empty()
            && !<C::Backend as Session>::qualifies_table(&mut self.inner, &table.qualifier, hooked)?
        {
            return Ok(None);
        }
        Ok(Some(hooked))
    }

    /// How this session lexes `sql`: the dialect's defaults when no
    /// setting can change the outcome, otherwise the session's settings,
    /// read from the server. The flag says whether they were read (an
    /// answer that may change with the session's settings).
    pub(crate) fn lexing_for(&mut self, sql: &str) -> QueryResult<(Lexing, bool)> {
        let dialect = <C::Backend as Capture>::DIALECT;
        if Lexing::settles(dialect, sql) {
            return Ok((Lexing::default_for(dialect), false));
        }
        Ok((<C::Backend as Session>::lexing(&mut self.inner)?, true))
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::sqlite::{Sqlite, SqliteConnection};
    use diesel::Connection;

    use crate::backend::Session;
    use crate::sql::Name;

    fn name(text: &str) -> Name {
        Name {
            text: text.to_string(),
            quoted: false,
        }
    }

    /// Whether `qualifier.accounts` is the table the unqualified
    /// `accounts` resolves to in this session.
    fn qualifies(conn: &mut SqliteConnection, qualifier: &[&str]) -> bool {
        let qualifier: Vec<Name> = qualifier.iter().map(|q| name(q)).collect();
        <Sqlite as Session>::qualifies_table(conn, &qualifier, "accounts").expect("catalog")
    }

    #[test]
    fn a_name_is_the_hooked_table_where_the_session_resolves_it() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        conn.batch_execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
            .expect("table");
        for (written, same) in [("accounts", true), ("ACCOUNTS", true), ("account", false)] {
            let names = <Sqlite as Session>::names_table(&mut conn, &name(written), "accounts");
            assert_eq!(names.expect("compared"), same, "{written}");
        }
        assert!(qualifies(&mut conn, &["main"]));
        assert!(qualifies(&mut conn, &["Main"]));
        assert!(!qualifies(&mut conn, &["temp"]));
        assert!(!qualifies(&mut conn, &["other"]));
        assert!(!qualifies(&mut conn, &["main", "accounts"]));
        // A temporary table of the same name hides the main one.
        conn.batch_execute("CREATE TEMP TABLE accounts (id INTEGER PRIMARY KEY)")
            .expect("temporary table");
        assert!(!qualifies(&mut conn, &["main"]));
        assert!(qualifies(&mut conn, &["temp"]));
        // A table only in an attached database resolves there.
        conn.batch_execute(
            "DROP TABLE temp.accounts; DROP TABLE main.accounts; \
             ATTACH DATABASE ':memory:' AS side; \
             CREATE TABLE side.accounts (id INTEGER PRIMARY KEY)",
        )
        .expect("attached table");
        assert!(qualifies(&mut conn, &["side"]));
        assert!(!qualifies(&mut conn, &["main"]));
    }
}
