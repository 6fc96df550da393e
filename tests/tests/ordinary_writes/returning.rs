//! `RETURNING` (SQLite, PostgreSQL): the caller gets its own shape,
//! computed from the rows as written.

use super::*;

backend_suite! {
    backends(sqlite, postgres);

    fn insert_returning_gives_the_callers_shape(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let (id, owner): (i64, String) = diesel::insert_into(accounts::table)
            .values(&Account::new("b", 2, "idle"))
            .returning((accounts::id, accounts::owner))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(owner, "b");
        let stored_id: i64 = accounts::table.select(accounts::id).first(&mut conn).unwrap();
        assert_eq!(id, stored_id);
        let whole: Account = diesel::insert_into(accounts::table)
            .values(&NewAccount { owner: "c", balance: 3, status: "active" })
            .get_result(&mut conn)
            .unwrap();
        assert_eq!((whole.owner.as_str(), whole.balance, whole.updated_at), ("c", 3, None));
        assert_eq!(calls_of(&calls, "after_create"), 2);
    }

    fn update_returning_gives_rows_as_stored_and_not_found_for_none(db) {
        let registry = Registry::new().with(Hook::before_update(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                a.status = "stamped".into();
            }
            Ok(())
        }));
        let mut conn = db.connect(registry);
        conn.bulk_create(vec![Account::new("a", 1, "active")]).unwrap();
        let rows: Vec<Account> = diesel::update(accounts::table)
            .set(accounts::balance.eq(accounts::balance * 3))
            .returning(Account::as_returning())
            .get_results(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].balance, rows[0].status.as_str()), (3, "stamped"));
        let computed: i64 = diesel::update(accounts::table)
            .set(accounts::balance.eq(4))
            .returning(accounts::balance * 2)
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(computed, 8);
        let none = diesel::update(accounts::table.filter(accounts::id.eq(-1)))
            .set(accounts::balance.eq(0))
            .returning(accounts::id)
            .get_result::<i64>(&mut conn);
        assert_eq!(none, Err(diesel::result::Error::NotFound));
    }

    fn insert_each_gives_a_batch_its_rows_back(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let rows: Vec<Account> = conn
            .insert_each(accounts::table, [NewAccount { owner: "a", balance: 1, status: "x" }, NewAccount { owner: "b", balance: 2, status: "y" }])
            .unwrap();
        assert_eq!(rows.iter().map(|a| a.owner.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(rows[0].id < rows[1].id);
        assert_eq!(of(&calls, "after_create").iter().map(|c| c.1).collect::<Vec<_>>(), [rows[0].id, rows[1].id]);
        let failed = conn.insert_each::<_, _, Account>(accounts::table, [NewAccount { owner: "c", balance: 3, status: "z" }, NewAccount { owner: "d", balance: 4, status: "way too long for a status column of sixteen" }]);
        if BACKEND == hooks_tests::BackendKind::Postgres {
            assert!(failed.is_err());
            assert_eq!(stored!(db).len(), 2, "one transaction: nothing of the failed batch is kept");
        }
    }

    fn delete_returning_gives_the_deleted_rows(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
        let owners: Vec<String> = diesel::delete(accounts::table.filter(accounts::balance.gt(1)))
            .returning(accounts::owner)
            .get_results(&mut conn)
            .unwrap();
        assert_eq!(owners, ["b"]);
        assert_eq!(of(&calls, "after_delete").len(), 1);
    }
}

mod postgres_batches {
    use super::*;

    backend_suite! {
        backends(postgres);

        fn batch_insert_returning_gives_every_row_in_order(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let batch: Vec<Account> = (1..=4).map(|i| Account::new(format!("o{i}"), i, "active")).collect();
            let rows: Vec<Account> = diesel::insert_into(accounts::table)
                .values(&batch)
                .returning(Account::as_returning())
                .get_results(&mut conn)
                .unwrap();
            assert_eq!(rows.iter().map(|a| a.owner.as_str()).collect::<Vec<_>>(), ["o1", "o2", "o3", "o4"]);
            assert_eq!(calls_of(&calls, "after_create"), 1, "one batch, one call");
        }
    }
}
