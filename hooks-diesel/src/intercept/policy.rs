//! The `UnhookedWrites` policy: what happens to a statement that may
//! write a hooked table in a form the library does not route to its hooks
//! (a `WITH .. UPDATE`, several statements in one text, an alias or a
//! modifier, `MERGE`, `TRUNCATE`, a `DO` block, a form it does not know).
//! Default-deny: a statement that names a hooked table is let through
//! only when it is proven to be a read or a schema change.

use diesel::QueryResult;

use crate::connection::{HookedConnection, InnerConnection, UnhookedWrites};
use crate::error::Error;
use crate::sql::Kind;
use crate::sql::{effect, statements, Effect};
use crate::sql::{parse, Parsed, Shape};

/// A write the library cannot hook: the hooked tables it may write, and
/// its form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unhooked {
    pub tables: Vec<String>,
    pub form: String,
}

/// What `batch_execute` does with a text.
pub(crate) enum TextRoute {
    /// Send it as it is.
    Send,
    /// One statement of a form the hooks run for: send it as a statement,
    /// so that it is routed.
    Hooked,
}

/// Forms whose text runs code given as a string (`DO $$ .. $$`, MySQL's
/// `PREPARE .. FROM '..'`): the tables named inside count.
const RUNS_TEXT: &[&str] = &["DO", "PREPARE", "EXECUTE", "CALL"];

impl<C: InnerConnection> HookedConnection<C> {
    /// Applies the policy to `unhooked`.
    pub(crate) fn apply_policy(&mut self, unhooked: &Unhooked) -> QueryResult<()> {
        let Some(table) = unhooked.tables.first() else {
            return Ok(());
        };
        match self.config().unhooked_writes {
            UnhookedWrites::Allow => Ok(()),
            UnhookedWrites::Refuse => Err(Error::UnhookedWrite {
                table: table.clone(),
                form: unhooked.form.clone(),
            }
            .into_diesel()),
            UnhookedWrites::Warn => {
                self.interception.warnings += 1;
                for table in &unhooked.tables {
                    if !self.interception.warned_tables.iter().any(|t| t == table) {
                        tracing::warn!(
                            table = %table,
                            form = %unhooked.form,
                            "a statement may write a table that has hooks in a form the library \
                             does not run hooks for, and runs without them (UnhookedWrites::Warn): \
                             write it as one ordinary Diesel statement or with the hooked \
                             operations for its hooks to run, or inside `without_hooks` to skip \
                             them on purpose (warned once per table and connection; \
                             `unhooked_warnings` counts every one)"
                        );
                        self.interception.warned_tables.push(table.clone());
                    }
                }
                Ok(())
            }
        }
    }

    /// The first statement of `parsed` that may write a hooked table,
    /// unless every statement is a read, a schema change, or names no
    /// hooked table.
    pub(crate) fn unhooked_write(&mut self, parsed: &Parsed) -> QueryResult<Option<Unhooked>> {
        for statement in statements(parsed) {
            let Effect::Write(form) = effect(parsed, &statement) else {
                continue;
            };
            let mut tables = Vec::new();
            for token in &parsed.tokens[statement.clone()] {
                let text = &parsed.sql[token.span.clone()];
                let named = match token.kind {
                    Kind::Word | Kind::Quoted => {
                        mentioned_tables(self.registry().tables(), &unquote(text))
                    }
                    Kind::Literal if RUNS_TEXT.iter().any(|f| form.starts_with(f)) => {
                        mentioned_tables(self.registry().tables(), text)
                    }
                    _ => continue,
                };
                for table in named {
                    if !tables.contains(&table) {
                        tables.push(table);
                    }
                }
            }
            if !tables.is_empty() {
                return Ok(Some(Unhooked { tables, form }));
            }
        }
        Ok(None)
    }

    /// What `batch_execute` does with `sql`: a statement of a routed
    /// shape writing a hooked table is sent as a statement (and hooked);
    /// others pass the policy, then go as they are.
    pub(crate) fn check_text(&mut self, sql: &str) -> QueryResult<TextRoute> {
        self.note_schema_change(sql);
        if self.registry().is_empty() || self.hooks_all_off() {
            return Ok(TextRoute::Send);
        }
        let (lexing, _) = self.lexing_for(sql)?;
        let parsed = match parse(sql.to_string(), lexing) {
            Ok(parsed) => parsed,
            Err(why) => {
                let tables = mentioned_tables(self.registry().tables(), sql);
                return self
                    .apply_policy(&Unhooked {
                        tables,
                        form: format!("text the library cannot scan ({why:?})"),
                    })
                    .map(|()| TextRoute::Send);
            }
        };
        let target = match &parsed.shape {
            Shape::Insert(insert) => Some(&insert.target),
            Shape::Update(update) => Some(&update.target),
            Shape::Delete(delete) => Some(&delete.target),
            Shape::Other => None,
        };
        if let Some(target) = target {
            return Ok(match self.identify(target)? {
                Some(_) => TextRoute::Hooked,
                None => TextRoute::Send,
            });
        }
        if let Some(unhooked) = self.unhooked_write(&parsed)? {
            self.apply_policy(&unhooked)?;
        }
        Ok(TextRoute::Send)
    }
}

/// A name without its quotes (for matching it against table names).
fn unquote(text: &str) -> String {
    text.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'))
        .to_string()
}

/// The hooked tables whose names appear as words anywhere in `sql` (for
/// text that cannot be scanned, or code given as a string: the policy
/// errs on the side of applying).
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

    use super::Unhooked;
    use crate::{Config, HookedConnection, Registry, UnhookedWrites};

    fn connection(policy: UnhookedWrites) -> HookedConnection<SqliteConnection> {
        let inner = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        HookedConnection::new(inner, Registry::new())
            .with_config(Config::default().with_unhooked_writes(policy))
    }

    fn unhooked(tables: &[&str]) -> Unhooked {
        Unhooked {
            tables: tables.iter().map(ToString::to_string).collect(),
            form: "MERGE INTO".into(),
        }
    }

    #[test]
    fn warn_warns_once_per_table_counts_each_and_refuse_names_the_form() {
        let mut conn = connection(UnhookedWrites::Warn);
        conn.apply_policy(&unhooked(&["docs", "notes"]))
            .expect("warn lets it through");
        conn.apply_policy(&unhooked(&["docs"]))
            .expect("warn lets it through");
        assert_eq!(conn.interception.warned_tables, ["docs", "notes"]);
        assert_eq!(conn.unhooked_warnings(), 2);
        let mut conn = connection(UnhookedWrites::Refuse);
        let refused = conn
            .apply_policy(&unhooked(&["notes"]))
            .expect_err("refused");
        assert!(matches!(
            crate::Error::from(refused),
            crate::Error::UnhookedWrite { table, form } if table == "notes" && form == "MERGE INTO"
        ));
        let mut conn = connection(UnhookedWrites::Allow);
        conn.apply_policy(&unhooked(&["docs"])).expect("allowed");
        assert!(conn.interception.warned_tables.is_empty());
        assert_eq!(conn.unhooked_warnings(), 0);
        assert_eq!(Config::default().unhooked_writes, UnhookedWrites::Refuse);
    }
}
