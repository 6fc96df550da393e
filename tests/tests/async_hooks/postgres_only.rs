//! PostgreSQL: upserts through the async connection, and a future
//! dropped mid-statement.

use super::*;

backend_suite! {
    backends(postgres);

    fn upserts_are_hooked(db) {
        let log = Log::new();
        runtime().block_on(async {
            let mut conn = connect(&db, &log).await;
            let ann = conn.create(Account::new("ann", 1, "active")).await.expect("create");
            let rows: Vec<Account> = diesel::insert_into(accounts::table)
                .values(vec![
                    (accounts::id.eq(ann.id), accounts::owner.eq("ann"), accounts::balance.eq(5_i64), accounts::status.eq("active")),
                    (accounts::id.eq(ann.id + 100), accounts::owner.eq("zed"), accounts::balance.eq(7_i64), accounts::status.eq("idle")),
                ])
                .on_conflict(accounts::id)
                .do_update()
                .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
                .returning(Account::as_returning())
                .get_results(&mut conn)
                .await
                .expect("upsert");
            assert_eq!(rows.len(), 2);
        });
        let mut seen = log.all();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("create", "ann".into(), None, 1),
                ("create", "zed".into(), None, 7),
                ("update", "ann".into(), Some(1), 5),
            ]
        );
    }

    fn a_future_dropped_mid_statement_loses_the_connection(db) {
        runtime().block_on(async {
            let mut conn = AsyncHookedConnection::<Inner>::connect(db.url(), Registry::new())
                .await
                .expect("connect");
            let slow = diesel::sql_query("SELECT pg_sleep(2)").execute(&mut conn);
            let timed_out =
                tokio::time::timeout(std::time::Duration::from_millis(100), slow).await;
            assert!(timed_out.is_err(), "the statement should still run");
            assert!(conn.is_lost());
            let err = diesel::sql_query("SELECT 1")
                .execute(&mut conn)
                .await
                .expect_err("lost");
            assert!(err.to_string().contains("get a new connection"), "{err}");
            use diesel_async::pooled_connection::PoolableConnection;
            assert!(conn.is_broken());
        });
    }
}
