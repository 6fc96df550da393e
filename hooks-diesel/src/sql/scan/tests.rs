//! Lexing per dialect and session setting.

use super::*;

fn kinds(sql: &str, dialect: Dialect) -> Vec<(Kind, &str, u32)> {
    tokens(sql, dialect)
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, &sql[t.span], t.depth))
        .collect()
}

#[test]
fn skips_comments_and_keeps_strings_whole() {
    let sql = "/* UPDATE x */ -- DELETE\n UPDATE \"a\"\"b\" SET s = 'it''s (' WHERE (x = $2)";
    let found = kinds(sql, Dialect::Postgres);
    assert_eq!(found[0], (Kind::Word, "UPDATE", 0));
    assert_eq!(found[1], (Kind::Quoted, "\"a\"\"b\"", 0));
    assert_eq!(found[5], (Kind::Literal, "'it''s ('", 0));
    assert_eq!(found[8], (Kind::Word, "x", 1));
    assert_eq!(found[10], (Kind::Bind(1), "$2", 1));
    assert_eq!(found[11], (Kind::Punct(b')'), ")", 0));
}

#[test]
fn numbers_placeholders_per_dialect() {
    let binds = |sql, d| -> Vec<usize> {
        tokens(sql, d)
            .unwrap()
            .into_iter()
            .filter_map(|t| match t.kind {
                Kind::Bind(i) => Some(i),
                _ => None,
            })
            .collect()
    };
    assert_eq!(binds("a = ? AND b = ?", Dialect::Mysql), [0, 1]);
    assert_eq!(
        binds("a = ?3 AND b = ? AND c = ?1", Dialect::Sqlite),
        [2, 3, 0]
    );
    assert_eq!(
        binds("a = $2 AND b = $1 AND c ? 'k'", Dialect::Postgres),
        [1, 0]
    );
    assert_eq!(binds("a = 'x\\' ?' AND b = ?", Dialect::Mysql), [0]);
}

#[test]
fn refuses_what_it_cannot_map() {
    assert_eq!(
        tokens("a = :name", Dialect::Sqlite),
        Err(ScanError::Unsupported("named parameters"))
    );
    assert!(tokens("/*! UPDATE t SET a = 1 */", Dialect::Mysql).is_err());
    assert!(tokens("DELETE FROM t /*M! WHERE id = 11 */", Dialect::Mysql).is_err());
    assert!(tokens("DELETE FROM t WHERE id = 1--", Dialect::Mysql).is_err());
    assert_eq!(
        tokens("'open", Dialect::Sqlite),
        Err(ScanError::Unterminated)
    );
    assert_eq!(
        tokens("/* /* */", Dialect::Postgres),
        Err(ScanError::Unterminated)
    );
    assert!(tokens("/* /* */", Dialect::Sqlite).is_ok());
    assert!(tokens("DELETE FROM t /*M! WHERE id = 11 */", Dialect::Sqlite).is_ok());
    let dollar = kinds("SELECT $f$ it's ; $f$ , 1", Dialect::Postgres);
    assert_eq!(dollar[1], (Kind::Literal, "$f$ it's ; $f$", 0));
}

#[test]
fn mysql_dashes_comment_only_before_a_space() {
    let found = kinds("DELETE FROM t WHERE id = 9--1", Dialect::Mysql);
    let tail: Vec<&str> = found.iter().rev().take(4).map(|t| t.1).collect();
    assert_eq!(tail, ["1", "-", "-", "9"]);
    let comment = kinds("DELETE FROM t WHERE id = 9-- 1", Dialect::Mysql);
    assert_eq!(comment.last().map(|t| t.1), Some("9"));
    let tab = kinds("SELECT 1--\t2", Dialect::Mysql);
    assert_eq!(tab.len(), 2);
    let pg = kinds("DELETE FROM t WHERE id = 9--1", Dialect::Postgres);
    assert_eq!(pg.last().map(|t| t.1), Some("9"));
}

#[test]
fn session_settings_change_quotes_and_backslashes() {
    let sql = r#"UPDATE "t" SET "note" = 'x\' WHERE id = 1 -- ' WHERE id = 2"#;
    let default = Lexing::default_for(Dialect::Mysql);
    let ansi = Lexing {
        ansi_quotes: true,
        ..default
    };
    let plain = Lexing {
        backslash_escapes: false,
        ..ansi
    };
    assert_eq!(tokens(sql, default).unwrap()[1].kind, Kind::Literal);
    assert_eq!(tokens(sql, ansi).unwrap()[1].kind, Kind::Quoted);
    // With backslash escapes the string runs to the last quote.
    let last = |l: Lexing| {
        let t = tokens(sql, l).unwrap();
        sql[t[t.len() - 1].span.clone()].to_string()
    };
    assert_eq!(last(ansi), "2");
    assert_eq!(last(plain), "1");
    assert!(!Lexing::settles(Dialect::Mysql, sql));
    assert!(Lexing::settles(Dialect::Sqlite, sql));
    assert!(Lexing::settles(Dialect::Mysql, "UPDATE `t` SET a = ?"));
    let pg = Lexing {
        backslash_escapes: true,
        ..Lexing::default_for(Dialect::Postgres)
    };
    let sql = r"UPDATE t SET note = 'x\' WHERE id = 1 -- ' WHERE id = 2";
    let standard = tokens(sql, Dialect::Postgres).unwrap();
    assert_eq!(&sql[standard[standard.len() - 1].span.clone()], "1");
    let escaping = tokens(sql, pg).unwrap();
    assert_eq!(&sql[escaping[escaping.len() - 1].span.clone()], "2");
}
