//! MySQL checks the condition of an ordinary `UPDATE` or `DELETE` by a
//! write that matches no row (`WHERE (<condition>) AND RAND() < 0`) before
//! reading the rows, because strict mode fails a write on a conversion its
//! condition makes where a read only warns. A list of keys bound with the
//! key's own type converts nothing and skips that write; a list with
//! literals or with binds of another type keeps it.

use super::*;
use diesel::sql_types::{Bool, Text};
use hooks_tests::recorder::Statements;

/// Runs `write` on `conn`: how many rows it wrote and how many checks by
/// a write it sent first, and the statements it sent.
fn written_and_checks(
    conn: &mut HookedConnection<diesel::mysql::MysqlConnection>,
    write: impl FnOnce(&mut HookedConnection<diesel::mysql::MysqlConnection>) -> QueryResult<usize>,
) -> ((usize, usize), Vec<String>) {
    let statements = Statements::default();
    conn.set_instrumentation(statements.clone());
    let written = write(conn).unwrap();
    let sql = statements.sql();
    let checks = sql.iter().filter(|s| s.contains("RAND() < 0")).count();
    ((written, checks), sql)
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

backend_suite! {
    backends(mysql);

    fn only_a_delete_by_keys_bound_as_keys_skips_the_check_by_a_write(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let ids = six_accounts(&mut conn);
        let id = |i: usize| ids[i];

        // Keys bound as keys (`eq_any`): no check.
        let (seen, sql) = written_and_checks(&mut conn, |conn| {
            diesel::delete(accounts::table.filter(accounts::id.eq_any([id(0), id(1)]))).execute(conn)
        });
        assert_eq!(seen, (2, 0), "{sql:?}");

        // Keys bound as text: checked by a write first.
        let (seen, sql) = written_and_checks(&mut conn, |conn| {
            diesel::delete(accounts::table.filter(listed_as_text(id(2), id(3)))).execute(conn)
        });
        assert_eq!(seen, (2, 1), "{sql:?}");

        // Keys written as literals: checked by a write first.
        let (seen, sql) = written_and_checks(&mut conn, |conn| {
            diesel::sql_query(format!("DELETE FROM accounts WHERE id IN ('{}', {})", id(4), id(5)))
                .execute(conn)
        });
        assert_eq!(seen, (2, 1), "{sql:?}");

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
        let (seen, sql) = written_and_checks(&mut conn, |conn| {
            diesel::update(accounts::table.filter(accounts::id.eq_any([id(0), id(1)])))
                .set(accounts::balance.eq(accounts::balance + 10))
                .execute(conn)
        });
        assert_eq!(seen, (2, 0), "{sql:?}");

        // Keys bound as text: checked by a write first.
        let (seen, sql) = written_and_checks(&mut conn, |conn| {
            diesel::update(accounts::table.filter(listed_as_text(id(2), id(3))))
                .set(accounts::balance.eq(accounts::balance + 10))
                .execute(conn)
        });
        assert_eq!(seen, (2, 1), "{sql:?}");

        // Keys written as literals: checked by a write first.
        let (seen, sql) = written_and_checks(&mut conn, |conn| {
            diesel::sql_query(format!(
                "UPDATE accounts SET balance = balance + 10 WHERE id IN ('{}', {})",
                id(4),
                id(5)
            ))
            .execute(conn)
        });
        assert_eq!(seen, (2, 1), "{sql:?}");

        let balances: Vec<i64> = accounts::table.order(accounts::id).select(accounts::balance).load(&mut conn).unwrap();
        assert_eq!(balances, [11, 12, 13, 14, 15, 16]);
        let updates = calls.all().concat().iter().filter(|c| c.0 == "after_update").count();
        assert_eq!(updates, 6, "AFTER_UPDATE saw every row updated");
    }
}
