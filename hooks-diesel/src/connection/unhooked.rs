//! The check of plain Diesel writes to tables that have hooks
//! (`UnhookedWrites`).

use diesel::backend::Backend;
use diesel::query_builder::{QueryBuilder, QueryFragment};
use diesel::QueryResult;

use super::{HookedConnection, InnerConnection, UnhookedWrites};
use crate::Error;

/// Never bypassed by model: `is_bypassed::<AllHooks>()` is true only inside
/// `without_hooks`.
enum AllHooks {}

impl<C: InnerConnection> HookedConnection<C> {
    /// Applies the [`UnhookedWrites`] policy to a statement about to be sent
    /// through the Diesel API. Renders nothing when the policy is `Allow`,
    /// when no table has hooks, or inside `without_hooks`.
    pub(crate) fn check_unhooked<T>(&mut self, query: &T) -> QueryResult<()>
    where
        T: QueryFragment<C::Backend> + ?Sized,
    {
        let policy = self.config.unhooked_writes;
        if policy == UnhookedWrites::Allow
            || self.registry.tables().is_empty()
            || self.scope.is_bypassed::<AllHooks>()
        {
            return Ok(());
        }
        let mut builder = <C::Backend as Backend>::QueryBuilder::default();
        if let Err(error) = query.to_sql(&mut builder, &C::Backend::default()) {
            // The statement itself will report this when it is sent.
            tracing::debug!(%error, "could not render a statement for the unhooked-write check");
            return Ok(());
        }
        let sql = builder.finish();
        let Some(table) = written_table(&sql) else {
            return Ok(());
        };
        if !self
            .registry
            .tables()
            .iter()
            .any(|hooked| hooked.eq_ignore_ascii_case(table))
        {
            return Ok(());
        }
        match policy {
            UnhookedWrites::Refuse => Err(diesel::result::Error::QueryBuilderError(Box::new(
                Error::UnhookedWrite {
                    table: table.to_string(),
                },
            ))),
            UnhookedWrites::Warn => {
                if !self.warned_tables.iter().any(|t| t == table) {
                    tracing::warn!(
                        table,
                        "plain Diesel write to a table that has hooks: no hook runs for it; use \
                         the hooked operations, wrap it in `without_hooks`, or set \
                         `UnhookedWrites::Allow` (warned once per table and connection)"
                    );
                    self.warned_tables.push(table.to_string());
                }
                Ok(())
            }
            UnhookedWrites::Allow => Ok(()),
        }
    }
}

/// The table an `INSERT`, `UPDATE` or `DELETE` statement writes to, or
/// `None` for any other statement.
fn written_table(sql: &str) -> Option<&str> {
    let sql = sql.trim_start();
    let target = if let Some(rest) = keyword(sql, "INSERT") {
        // SQLite: INSERT OR REPLACE/IGNORE/... INTO
        let rest = keyword(rest, "OR").map_or(rest, skip_word);
        keyword(rest, "INTO")?
    } else if let Some(rest) = keyword(sql, "REPLACE") {
        keyword(rest, "INTO")?
    } else if let Some(rest) = keyword(sql, "UPDATE") {
        keyword(rest, "OR").map_or(rest, skip_word)
    } else if let Some(rest) = keyword(sql, "DELETE") {
        keyword(rest, "FROM")?
    } else {
        return None;
    };
    let target = keyword(target, "ONLY").unwrap_or(target);
    last_identifier(target)
}

/// `s` without its leading keyword `word` (any case) and the blanks after
/// it, when it starts with that keyword.
fn keyword<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let head = s.get(..word.len())?;
    let rest = &s[word.len()..];
    let ends_word = rest
        .chars()
        .next()
        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
    (head.eq_ignore_ascii_case(word) && ends_word).then(|| rest.trim_start())
}

/// `s` without its first word and the blanks after it.
fn skip_word(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s[end..].trim_start()
}

/// The last part of a possibly qualified, possibly quoted identifier at the
/// start of `s` (`"public"."accounts"` gives `accounts`).
fn last_identifier(s: &str) -> Option<&str> {
    let mut rest = s;
    loop {
        let (name, after) = identifier(rest)?;
        match after.trim_start().strip_prefix('.') {
            Some(next) => rest = next.trim_start(),
            None => return Some(name).filter(|n| !n.is_empty()),
        }
    }
}

/// One identifier at the start of `s`, and what follows it.
fn identifier(s: &str) -> Option<(&str, &str)> {
    let close = match s.chars().next()? {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        _ => {
            let end = s
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(s.len());
            return Some((&s[..end], &s[end..]));
        }
    };
    let body = &s[1..];
    let end = body.find(close)?;
    Some((&body[..end], &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::written_table;

    #[test]
    fn finds_the_table_of_diesel_writes() {
        assert_eq!(
            written_table(r#"INSERT INTO "accounts" ("owner") VALUES ($1)"#),
            Some("accounts")
        );
        assert_eq!(
            written_table("INSERT INTO `accounts` (`owner`) VALUES (?)"),
            Some("accounts")
        );
        assert_eq!(
            written_table(r#"UPDATE "public"."accounts" SET "balance" = $1"#),
            Some("accounts")
        );
        assert_eq!(
            written_table("DELETE FROM `accounts` WHERE (`id` = ?)"),
            Some("accounts")
        );
        assert_eq!(
            written_table("  insert or replace into accounts(owner) values ('a')"),
            Some("accounts")
        );
        assert_eq!(
            written_table("UPDATE ONLY accounts SET x = 1"),
            Some("accounts")
        );
        assert_eq!(
            written_table("REPLACE INTO [accounts] VALUES (1)"),
            Some("accounts")
        );
    }

    #[test]
    fn ignores_other_statements() {
        assert_eq!(written_table(r#"SELECT * FROM "accounts""#), None);
        assert_eq!(written_table("UPDATED_AT"), None);
        assert_eq!(written_table("DELETE_ME FROM accounts"), None);
        assert_eq!(written_table("INSERTS"), None);
        assert_eq!(written_table(""), None);
        assert_eq!(written_table(r#"INSERT INTO ""#), None);
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod policy_tests {
    use diesel::connection::SimpleConnection;
    use diesel::sqlite::SqliteConnection;
    use diesel::{Connection, RunQueryDsl};

    use crate::hooks_core::{Batch, FieldInfo, FieldSet, Hook, HookModel, Registry};
    use crate::{Config, HookedConnection, UnhookedWrites};

    #[derive(Clone, Debug)]
    struct Doc {
        id: i64,
    }

    impl HookModel for Doc {
        type Key = i64;
        const MODEL: &'static str = "Doc";
        const TABLE: &'static str = "docs";
        const FIELDS: &'static [FieldInfo] = &[];
        fn key(&self) -> i64 {
            self.id
        }
        fn has_key(&self) -> bool {
            self.id != 0
        }
        fn set_key(&mut self, key: i64) {
            self.id = key;
        }
        fn diff(&self, _: &Self) -> FieldSet {
            FieldSet::EMPTY
        }
        fn copy_fields(&mut self, _: &Self, _: FieldSet) {}
    }

    fn connection(policy: UnhookedWrites) -> HookedConnection<SqliteConnection> {
        let registry = Registry::new().with(Hook::before_create(|_, _: &mut Batch<Doc>| Ok(())));
        let inner = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let mut conn = HookedConnection::new(inner, registry)
            .with_config(Config::default().with_unhooked_writes(policy));
        conn.batch_execute("CREATE TABLE docs (id INTEGER); CREATE TABLE other (id INTEGER)")
            .expect("tables");
        conn
    }

    fn write(conn: &mut HookedConnection<SqliteConnection>, sql: &str) {
        diesel::sql_query(sql)
            .execute(conn)
            .expect("write goes through");
    }

    #[test]
    fn warn_warns_once_per_hooked_table() {
        let mut conn = connection(UnhookedWrites::Warn);
        write(&mut conn, "INSERT INTO docs VALUES (1)");
        write(&mut conn, "UPDATE docs SET id = 2");
        write(&mut conn, "INSERT INTO other VALUES (1)");
        assert_eq!(conn.warned_tables, ["docs"]);
    }

    #[test]
    fn bypassed_and_allowed_writes_are_not_warned_about() {
        let mut conn = connection(UnhookedWrites::Warn);
        conn.without_hooks(|conn| write(conn, "INSERT INTO docs VALUES (1)"));
        assert!(conn.warned_tables.is_empty());
        let mut conn = connection(UnhookedWrites::Allow);
        write(&mut conn, "INSERT INTO docs VALUES (1)");
        assert!(conn.warned_tables.is_empty());
    }
}
