//! The shapes of the statements Diesel writes, and of raw SQL.

use super::*;

fn shape(sql: &str, dialect: Dialect) -> Shape {
    parse(sql.to_string(), dialect).unwrap().shape
}

fn clause_text(sql: &str, dialect: Dialect, pick: impl Fn(&Shape) -> Option<Clause>) -> String {
    let parsed = parse(sql.to_string(), dialect).unwrap();
    let clause = pick(&parsed.shape).expect("clause");
    parsed.text(&clause).to_string()
}

#[test]
fn splits_diesel_updates() {
    let sql = r#"UPDATE "accounts" SET "status" = $1, "balance" = ("accounts"."balance" + $2) WHERE ("accounts"."status" = $3) RETURNING "accounts"."id""#;
    let Shape::Update(update) = shape(sql, Dialect::Postgres) else {
        panic!("an update")
    };
    assert_eq!(update.table, "accounts");
    let parsed = parse(sql.to_string(), Dialect::Postgres).unwrap();
    assert_eq!(
        parsed.text(&update.set),
        r#""status" = $1, "balance" = ("accounts"."balance" + $2)"#
    );
    assert_eq!(
        parsed.text(update.filter.as_ref().unwrap()),
        r#"("accounts"."status" = $3)"#
    );
    assert_eq!(
        parsed.text(update.returning.as_ref().unwrap()),
        r#""accounts"."id""#
    );
    assert_eq!(parsed.bind_count(), 3);
    let without_where = "UPDATE `accounts` SET `status` = ?";
    assert!(matches!(
        shape(without_where, Dialect::Mysql),
        Shape::Update(Update {
            filter: None,
            returning: None,
            ..
        })
    ));
    let distinct = "UPDATE t SET a = 1 WHERE (a IS DISTINCT FROM ?)";
    assert!(matches!(shape(distinct, Dialect::Sqlite), Shape::Update(_)));
}

#[test]
fn leaves_unknown_write_shapes_to_the_policy() {
    for sql in [
        "UPDATE accounts a SET x = 1",
        "UPDATE accounts SET x = 1 FROM other WHERE other.id = accounts.id",
        "UPDATE accounts SET x = 1 ORDER BY id LIMIT 3",
        "UPDATE accounts SET x = 1; DELETE FROM accounts",
        "WITH t AS (SELECT 1) UPDATE accounts SET x = 1",
        "DELETE FROM accounts USING other WHERE true",
        "DELETE FROM accounts a WHERE a.id = 1",
        "INSERT OR ROLLBACK INTO accounts (x) VALUES (1)",
    ] {
        assert_eq!(shape(sql, Dialect::Sqlite), Shape::Other, "{sql}");
    }
    assert!(matches!(
        shape("UPDATE accounts SET x = 1;", Dialect::Sqlite),
        Shape::Update(_)
    ));
}

#[test]
fn reads_insert_forms() {
    let sql =
        "INSERT INTO `accounts` (`owner`, `balance`, `id`) VALUES (?, ?, DEFAULT), (?, ? + 1, ?)";
    let Shape::Insert(insert) = shape(sql, Dialect::Mysql) else {
        panic!("an insert")
    };
    assert_eq!(insert.form, InsertForm::Plain);
    assert_eq!(
        insert.columns.as_deref(),
        Some(&["owner".into(), "balance".into(), "id".into()][..])
    );
    let values = insert.values.expect("a VALUES list");
    assert_eq!(
        values
            .rows
            .iter()
            .map(|r| r.values.clone())
            .collect::<Vec<_>>(),
        [
            vec![Value::Bind(0), Value::Bind(1), Value::Default],
            vec![Value::Bind(2), Value::Expr, Value::Bind(4)],
        ]
    );
    let parsed = parse(sql.to_string(), Dialect::Mysql).unwrap();
    assert_eq!(
        parsed.text(&values.head),
        "INSERT INTO `accounts` (`owner`, `balance`, `id`) VALUES"
    );
    assert_eq!(parsed.text(&values.rows[1].tokens), "(?, ? + 1, ?)");
    assert!(values.tail.is_empty());
    let target = |sql: &str| match parse(sql.to_string(), Dialect::Postgres)
        .ok()
        .map(|p| p.shape)
    {
        Some(Shape::Insert(insert)) => insert.conflict_target,
        _ => None,
    };
    assert_eq!(
        target(
            r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2) ON CONFLICT ("a", "b") DO UPDATE SET "b" = excluded."b""#
        ),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(
        target(r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT ON CONSTRAINT "t_a" DO NOTHING"#),
        None
    );
    use Dialect::{Mysql, Postgres, Sqlite};
    use InsertForm::{Ignore, Plain, Upsert};
    let forms = [
        (
            r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT DO NOTHING RETURNING "t"."a""#,
            Postgres,
            Ignore("ON CONFLICT DO NOTHING"),
        ),
        (
            r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT ("a") DO UPDATE SET "a" = excluded."a""#,
            Postgres,
            Upsert("ON CONFLICT DO UPDATE"),
        ),
        (
            "INSERT OR IGNORE INTO `t` (`a`) VALUES (?)",
            Sqlite,
            Ignore("INSERT OR IGNORE"),
        ),
        (
            "REPLACE INTO `t` (`a`) VALUES (?)",
            Mysql,
            Upsert("REPLACE INTO"),
        ),
        (
            "INSERT IGNORE INTO `t` (`a`) VALUES (?)",
            Mysql,
            Ignore("INSERT IGNORE"),
        ),
        (
            "INSERT INTO `t` (`a`) VALUES (?) ON DUPLICATE KEY UPDATE `a` = VALUES(`a`)",
            Mysql,
            Upsert("ON DUPLICATE KEY UPDATE"),
        ),
        (
            "INSERT INTO t (a) SELECT b FROM u JOIN v ON u.x = v.x",
            Sqlite,
            Plain,
        ),
        ("INSERT INTO t DEFAULT VALUES", Sqlite, Plain),
    ];
    for (sql, dialect, form) in forms {
        match shape(sql, dialect) {
            Shape::Insert(insert) => assert_eq!(insert.form, form, "{sql}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
    let body = clause_text(
        r#"INSERT INTO "t" ("a") VALUES ($1) RETURNING "t"."a""#,
        Dialect::Postgres,
        |s| match s {
            Shape::Insert(i) => Some(i.body.clone()),
            _ => None,
        },
    );
    assert_eq!(body, r#"INSERT INTO "t" ("a") VALUES ($1)"#);
}

#[test]
fn reads_the_first_target_from_the_head_only() {
    let long = format!(
        "INSERT INTO \"accounts\" (\"a\") VALUES {}",
        vec!["($1)"; 1000].join(", ")
    );
    assert_eq!(
        first_target(&long, Dialect::Postgres).as_deref(),
        Some("accounts")
    );
    assert_eq!(
        first_target("/* x */ update `t` set a = 1", Dialect::Mysql).as_deref(),
        Some("t")
    );
    assert_eq!(
        first_target("DELETE FROM public.t WHERE 1", Dialect::Postgres).as_deref(),
        Some("t")
    );
    assert_eq!(
        first_target("INSERT OR IGNORE INTO t VALUES (1)", Dialect::Sqlite),
        None
    );
    for modified in [
        "UPDATE ONLY accounts SET a = 1",
        "UPDATE LOW_PRIORITY accounts SET a = 1",
        "DELETE FROM ONLY accounts WHERE id = 1",
        "UPDATE accounts AS o SET a = 1",
    ] {
        assert_eq!(
            first_target(modified, Dialect::Postgres),
            None,
            "{modified}"
        );
    }
    assert_eq!(first_target("SELECT 1", Dialect::Sqlite), None);
    assert_eq!(
        first_target("WITH x AS (SELECT 1) UPDATE t SET a = 1", Dialect::Sqlite),
        None
    );
}

#[test]
fn finds_writes_anywhere() {
    let names =
        |tables: Vec<TableRef>| -> Vec<String> { tables.iter().map(ToString::to_string).collect() };
    let written = |sql: &str| {
        names(
            parse(sql.to_string(), Dialect::Postgres)
                .unwrap()
                .written_tables(),
        )
    };
    assert_eq!(written("/* hi */ UPDATE accounts SET x = 1"), ["accounts"]);
    assert_eq!(
        written("-- note\nDELETE FROM public.accounts"),
        ["public.accounts"]
    );
    assert_eq!(
        written("WITH moved AS (DELETE FROM accounts RETURNING *) INSERT INTO archive SELECT * FROM moved"),
        ["accounts", "archive"]
    );
    assert_eq!(
        written("SELECT 1; update \"accounts\" set x = 2"),
        ["accounts"]
    );
    assert_eq!(written("TRUNCATE TABLE accounts"), ["accounts"]);
    assert_eq!(written("COPY accounts (id) FROM STDIN"), ["accounts"]);
    assert!(written("COPY accounts TO STDOUT").is_empty());
    assert!(written("SELECT * FROM accounts FOR UPDATE OF accounts").is_empty());
    assert!(written("SELECT * FROM accounts FOR NO KEY UPDATE").is_empty());
    assert!(written(
        "CREATE TABLE t (id INT REFERENCES accounts ON DELETE CASCADE ON UPDATE CASCADE)"
    )
    .is_empty());
    assert!(written("SELECT 'UPDATE accounts SET x = 1'").is_empty());
    assert_eq!(
        names(
            parse(
                "DELETE a FROM accounts a JOIN b ON a.id = b.id".into(),
                Dialect::Mysql
            )
            .unwrap()
            .written_tables()
        ),
        ["a", "accounts"]
    );
}
