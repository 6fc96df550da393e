//! The `UnhookedWrites` policy: what happens to a write to a hooked table
//! that cannot be routed to its hooks (a `WITH .. UPDATE`, several
//! statements in one text, `batch_execute`, a form the scan does not
//! know).

use diesel::QueryResult;

use super::shape::parse;
use crate::connection::{HookedConnection, InnerConnection, UnhookedWrites};
use crate::error::Error;

impl<C: InnerConnection> HookedConnection<C> {
    /// Applies the policy to a write to `tables` (all hooked).
    pub(crate) fn apply_policy(&mut self, tables: &[String]) -> QueryResult<()> {
        let Some(table) = tables.first() else {
            return Ok(());
        };
        match self.config().unhooked_writes {
            UnhookedWrites::Allow => Ok(()),
            UnhookedWrites::Refuse => Err(Error::UnhookedWrite {
                table: table.clone(),
            }
            .into_diesel()),
            UnhookedWrites::Warn => {
                for table in tables {
                    if !self.warned_tables.iter().any(|t| t == table) {
                        tracing::warn!(
                            table = %table,
                            "a write to a table that has hooks, in a form the library cannot \
                             hook: no hook runs for it; use an ordinary Diesel statement or the \
                             hooked operations, wrap it in `without_hooks`, or set \
                             `UnhookedWrites::Allow` (warned once per table and connection)"
                        );
                        self.warned_tables.push(table.clone());
                    }
                }
                Ok(())
            }
        }
    }

    /// Applies the policy to raw SQL sent as text (`batch_execute`), which
    /// is never routed to hooks.
    pub(crate) fn check_text(&mut self, sql: &str) -> QueryResult<()> {
        self.note_schema_change(sql);
        if self.registry().is_empty() || self.hooks_all_off() {
            return Ok(());
        }
        let (lexing, _) = self.lexing_for(sql)?;
        let tables = match parse(sql.to_string(), lexing) {
            Ok(parsed) => self.hooked_among(&parsed.written_tables())?,
            Err(_) => mentioned_tables(self.registry().tables(), sql),
        };
        self.apply_policy(&tables)
    }
}

/// The hooked tables whose names appear as words anywhere in `sql` (for
/// text that cannot be scanned: the policy errs on the side of applying).
pub(crate) fn mentioned_tables(hooked: &[&'static str], sql: &str) -> Vec<String> {
    let lower = sql.to_ascii_lowercase();
    hooked
        .iter()
        .filter(|table| {
            let name = table.to_ascii_lowercase();
            lower.match_indices(&name).any(|(at, _)| {
                let before = lower[..at].chars().next_back();
                let after = lower[at + name.len()..].chars().next();
                let boundary =
                    |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                boundary(before) && boundary(after)
            })
        })
        .map(|t| t.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mentioned_tables;

    #[test]
    fn finds_table_names_as_words() {
        let hooked = ["accounts", "logs"];
        assert_eq!(
            mentioned_tables(&hooked, "/*! UPDATE Accounts SET x = 1 */"),
            ["accounts"]
        );
        assert!(mentioned_tables(&hooked, "UPDATE accounts_archive SET x = 1").is_empty());
        assert!(mentioned_tables(&hooked, "SELECT 1").is_empty());
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod policy_tests {
    use diesel::sqlite::SqliteConnection;
    use diesel::Connection;

    use crate::{Config, HookedConnection, Registry, UnhookedWrites};

    fn connection(policy: UnhookedWrites) -> HookedConnection<SqliteConnection> {
        let inner = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        HookedConnection::new(inner, Registry::new())
            .with_config(Config::default().with_unhooked_writes(policy))
    }

    #[test]
    fn warn_warns_once_per_table_and_refuse_names_the_table() {
        let mut conn = connection(UnhookedWrites::Warn);
        let tables = ["docs".to_string(), "notes".to_string()];
        conn.apply_policy(&tables).expect("warn lets it through");
        conn.apply_policy(&tables[..1])
            .expect("warn lets it through");
        assert_eq!(conn.warned_tables, tables);
        let mut conn = connection(UnhookedWrites::Refuse);
        let refused = conn.apply_policy(&tables[1..]).expect_err("refused");
        assert!(
            matches!(crate::Error::from(refused), crate::Error::UnhookedWrite { table } if table == "notes")
        );
        let mut conn = connection(UnhookedWrites::Allow);
        conn.apply_policy(&tables).expect("allowed");
        assert!(conn.warned_tables.is_empty());
    }
}
