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
