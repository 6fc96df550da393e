//! What each statement of a text does: reads only, changes a schema, or
//! may write rows. The classifier is default-deny: a statement is a read
//! or a schema change only when its leading keywords say so and nothing
//! in it writes (a data-modifying `WITH`, `EXPLAIN ANALYZE` of a write);
//! every other spelling may write.

use super::shape::{Clause, Parsed};

/// What a statement may do to rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// It reads, or sets session state: it writes no row.
    Read,
    /// It changes a schema (a migration), not rows.
    Schema,
    /// It may write rows; `.0` names its form (`UPDATE ONLY`, `WITH ..
    /// DELETE`, `MERGE`, `DO`).
    Write(String),
}

/// Keywords that start a statement writing no row.
const READS: &[&str] = &[
    "SELECT",
    "VALUES",
    "TABLE",
    "SHOW",
    "DESCRIBE",
    "DESC",
    "SET",
    "RESET",
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "USE",
    "LISTEN",
    "UNLISTEN",
    "NOTIFY",
    "FETCH",
    "CLOSE",
    "DEALLOCATE",
    "CHECKPOINT",
    "DISCARD",
    "PRAGMA",
    "WITH",
];

/// Keywords that start a schema change.
const SCHEMA: &[&str] = &[
    "CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "ANALYZE", "VACUUM", "REINDEX",
    "CLUSTER", "RENAME", "OPTIMIZE", "LOCK", "UNLOCK", "REFRESH", "ATTACH", "DETACH",
];

/// Words that qualify a statement's keyword (its form).
const MODIFIERS: &[&str] = &[
    "ONLY",
    "INTO",
    "FROM",
    "OR",
    "IGNORE",
    "REPLACE",
    "LOW_PRIORITY",
    "HIGH_PRIORITY",
    "DELAYED",
    "QUICK",
    "ANALYZE",
    "TABLE",
];

/// Schema objects whose body is code run later, not now.
const DEFINITIONS: &[&str] = &["FUNCTION", "PROCEDURE", "TRIGGER", "RULE", "EVENT"];

/// The statements of `parsed`, split at its top-level `;`.
pub(crate) fn statements(parsed: &Parsed) -> Vec<Clause> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, token) in parsed.tokens.iter().enumerate() {
        if token.depth == 0 && parsed.is_punct(i, b';') {
            if start < i {
                out.push(start..i);
            }
            start = i + 1;
        }
    }
    if start < parsed.tokens.len() {
        out.push(start..parsed.tokens.len());
    }
    out
}

/// What `statement` (a range of `parsed`'s tokens) may do.
pub(crate) fn effect(parsed: &Parsed, statement: &Clause) -> Effect {
    let words: Vec<String> = parsed
        .tokens
        .get(statement.clone())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .take(4)
        .map(|(i, _)| parsed.word_at(statement.start + i).unwrap_or_default())
        .collect();
    let first = words.first().map(String::as_str).unwrap_or_default();
    let writes = !parsed.written_tables_in(statement).is_empty();
    // The leading keyword and the modifiers after it.
    let form = || {
        let form: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .take_while(|w| !w.is_empty())
            .enumerate()
            .take_while(|(n, w)| *n == 0 || MODIFIERS.contains(w))
            .map(|(_, w)| w)
            .collect();
        form.join(" ")
    };
    if first == "EXPLAIN" {
        let analyzes = words
            .iter()
            .skip(1)
            .any(|w| w == "ANALYZE" || w == "ANALYSE");
        return if analyzes && writes {
            Effect::Write(form())
        } else {
            Effect::Read
        };
    }
    if READS.contains(&first) {
        return if writes {
            Effect::Write(if first == "WITH" {
                "WITH .. (a data-modifying statement)".into()
            } else {
                form()
            })
        } else {
            Effect::Read
        };
    }
    if SCHEMA.contains(&first) {
        let definition = words.iter().any(|w| DEFINITIONS.contains(&w.as_str()));
        return if writes && !definition {
            Effect::Write(form())
        } else {
            Effect::Schema
        };
    }
    Effect::Write(if first.is_empty() {
        "a statement".into()
    } else {
        form()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;
    use crate::sql::Dialect;

    fn effects(sql: &str, dialect: Dialect) -> Vec<Effect> {
        let parsed = parse(sql.to_string(), dialect).expect("scans");
        statements(&parsed)
            .iter()
            .map(|s| effect(&parsed, s))
            .collect()
    }

    #[test]
    fn reads_and_schema_changes_are_proven_others_may_write() {
        use Effect::*;
        let pg = Dialect::Postgres;
        assert_eq!(effects("SELECT * FROM t FOR UPDATE", pg), [Read]);
        assert_eq!(effects("select 'UPDATE t SET a = 1'", pg), [Read]);
        assert_eq!(effects("WITH x AS (SELECT 1) SELECT * FROM x", pg), [Read]);
        assert!(matches!(
            effects("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", pg)[..],
            [Write(_)]
        ));
        assert_eq!(effects("EXPLAIN UPDATE t SET a = 1", pg), [Read]);
        assert!(matches!(
            effects("EXPLAIN ANALYZE UPDATE t SET a = 1", pg)[..],
            [Write(_)]
        ));
        assert_eq!(effects("CREATE INDEX i ON t (a)", pg), [Schema]);
        assert_eq!(
            effects(
                "CREATE FUNCTION f() RETURNS void AS 'UPDATE t SET a = 1' LANGUAGE sql",
                pg
            ),
            [Schema]
        );
        assert_eq!(
            effects(
                "CREATE TRIGGER g AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()",
                pg
            ),
            [Schema]
        );
        assert!(matches!(
            effects(
                "CREATE TABLE c AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
                pg
            )[..],
            [Write(_)]
        ));
        assert_eq!(
            effects("DO $$ BEGIN UPDATE t SET a = 1; END $$", pg),
            [Write("DO".into())]
        );
        assert_eq!(effects("TRUNCATE t", pg), [Write("TRUNCATE".into())]);
        assert_eq!(
            effects("UPDATE ONLY t SET a = 1", pg),
            [Write("UPDATE ONLY".into())]
        );
        assert_eq!(
            effects("MERGE INTO t USING u ON true WHEN MATCHED THEN DELETE", pg)[0],
            Write("MERGE INTO".into())
        );
        assert_eq!(effects("SET search_path = x; SELECT 1;", pg), [Read, Read]);
        assert_eq!(effects("CALL p()", pg), [Write("CALL".into())]);
    }
}
