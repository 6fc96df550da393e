//! MySQL checks the condition of an ordinary `UPDATE` or `DELETE` by a
//! write that matches no row (`WHERE (<condition>) AND RAND() < 0`) before
//! reading the rows, because strict mode fails a write on a conversion its
//! condition makes where a read only warns. A list of keys bound with the
//! key's own type converts nothing and skips that write; a list with
//! literals or with binds of another type keeps it.

use super::*;
use diesel::sql_types::{Bool, Text};
use hooks_tests::recorder::Statements;

/// Records the statements `conn` sends from now on.
fn recorded(conn: &mut HookedConnection<diesel::mysql::MysqlConnection>) -> Statements {
    let statements = Statements::default();
    conn.set_instrumentation(statements.clone());
    statements
}

/// Six accounts, balances 1 to 6; their keys.
fn six_accounts(conn: &mut HookedConnection<diesel::mysql::MysqlConnection>) -> Vec<i64> {
    let created = conn
        .bulk_create(
            (1..=6)
                .map(|i| Account::new(format!("o{i}"), i, "active"))
                .collect(),
        )
        .unwrap();
    created.iter().map(|a| a.id).collect()
}

/// `id IN (?, ?)`, the keys `a` and `b` bound as text.
fn listed_as_text(
    a: i64,
    b: i64,
) -> Box<dyn BoxableExpression<accounts::table, diesel::mysql::Mysql, SqlType = Bool>> {
    Box::new(
        diesel::dsl::sql::<Bool>("id IN (")
            .bind::<Text, _>(a.to_string())
            .sql(", ")
            .bind::<Text, _>(b.to_string())
            .sql(")"),
    )
}

/// How many of `statements` were checks by a write.
fn checks(statements: &Statements) -> usize {
    statements
        .sql()
        .iter()
        .filter(|s| s.contains("RAND() < 0"))
        .count()
}

backend_suite! {
    backends(mysql);

    fn only_a_delete_by_keys_bound_as_keys_skips_the_check_by_a_write(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let ids = six_accounts(&mut conn);
        let id = |i: usize| ids[i];

        // Keys bound as keys (`eq_any`): no check.
        let statements = recorded(&mut conn);
        let deleted = diesel::delete(accounts::table.filter(accounts::id.eq_any([id(0), id(1)])))
            .execute(&mut conn)
            .unwrap();
        assert_eq!((deleted, checks(&statements)), (2, 0), "{:?}", statements.sql());

        // Keys bound as text: checked by a write first.
        let statements = recorded(&mut conn);
        let deleted = diesel::delete(accounts::table.filter(listed_as_text(id(2), id(3)))).execute(&mut conn).unwrap();
        assert_eq!((deleted, checks(&statements)), (2, 1), "{:?}", statements.sql());

        // Keys written as literals: checked by a write first.
        let statements = recorded(&mut conn);
        let deleted = diesel::sql_query(format!("DELETE FROM accounts WHERE id IN ('{}', {})", id(4), id(5)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!((deleted, checks(&statements)), (2, 1), "{:?}", statements.sql());

        let deletes: Vec<i64> = calls.all().concat().iter().filter(|c| c.0 == "after_delete").map(|c| c.3).collect();
        assert_eq!(deletes, [1, 2, 3, 4, 5, 6], "AFTER_DELETE saw every row deleted");
        let left: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(left, 0);
    }

    fn only_an_update_by_keys_bound_as_keys_skips_the_check_by_a_write(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let ids = six_accounts(&mut conn);
        let id = |i: usize| ids[i];

        // Keys bound as keys (`eq_any`): no check.
        let statements = recorded(&mut conn);
        let updated = diesel::update(accounts::table.filter(accounts::id.eq_any([id(0), id(1)])))
            .set(accounts::balance.eq(accounts::balance + 10))
            .execute(&mut conn)
            .unwrap();
        assert_eq!((updated, checks(&statements)), (2, 0), "{:?}", statements.sql());

        // Keys bound as text: checked by a write first.
        let statements = recorded(&mut conn);
        let updated = diesel::update(accounts::table.filter(listed_as_text(id(2), id(3))))
            .set(accounts::balance.eq(accounts::balance + 10))
            .execute(&mut conn)
            .unwrap();
        assert_eq!((updated, checks(&statements)), (2, 1), "{:?}", statements.sql());

        // Keys written as literals: checked by a write first.
        let statements = recorded(&mut conn);
        let updated = diesel::sql_query(format!(
            "UPDATE accounts SET balance = balance + 10 WHERE id IN ('{}', {})",
            id(4),
            id(5)
        ))
        .execute(&mut conn)
        .unwrap();
        assert_eq!((updated, checks(&statements)), (2, 1), "{:?}", statements.sql());

        let balances: Vec<i64> = accounts::table.order(accounts::id).select(accounts::balance).load(&mut conn).unwrap();
        assert_eq!(balances, [11, 12, 13, 14, 15, 16]);
        let updates = calls.all().concat().iter().filter(|c| c.0 == "after_update").count();
        assert_eq!(updates, 6, "AFTER_UPDATE saw every row updated");
    }
}
