//! Transactions and callbacks, the async bulk operations, in-place
//! connections, and pools.

use super::*;

backend_suite! {
    fn transactions_keep_callback_and_deferred_semantics(db) {
        use diesel_async::AsyncConnection;
        let log = Log::new();
        let deferred = Tally::default();
        let late = deferred.clone();
        let registry = hooks(&log).with(
            Hook::after_update(move |_ctx, batch: &Batch<Account>| {
                late.add();
                assert!(!batch.is_empty());
                Ok(())
            })
            .deferred(),
        );
        let (committed, rolled_back) = (Tally::default(), Tally::default());
        runtime().block_on(async {
            let mut conn = AsyncHookedConnection::<Inner>::connect(db.url(), registry)
                .await
                .expect("connect");
            let ann = conn.create(Account::new("ann", 1, "active")).await.expect("create");
            // Committed: on_commit and the deferred hook run once, after COMMIT.
            let (c, d) = (committed.clone(), deferred.clone());
            conn.transaction::<_, hooks_diesel::Error, _>(async |conn| {
                diesel::update(accounts::table.find(ann.id))
                    .set(accounts::balance.eq(2_i64))
                    .execute(conn)
                    .await?;
                conn.on_commit(move |_| {
                    c.add();
                    Ok(())
                })
                .await?;
                assert_eq!(d.get(), 0, "deferred hook ran before commit");
                assert_eq!(conn.pending_callbacks().await?, 2);
                Ok(())
            })
            .await
            .expect("commit");
            assert_eq!((committed.get(), deferred.get()), (1, 1));
            // Rolled back: neither runs, on_rollback does, nothing written.
            let (c, r) = (committed.clone(), rolled_back.clone());
            let failed = conn
                .transaction::<(), hooks_diesel::Error, _>(async |conn| {
                    diesel::update(accounts::table.find(ann.id))
                        .set(accounts::balance.eq(3_i64))
                        .execute(conn)
                        .await?;
                    conn.on_commit(move |_| {
                        c.add();
                        Ok(())
                    })
                    .await?;
                    conn.on_rollback(move |_| {
                        r.add();
                        Ok(())
                    })
                    .await?;
                    Err(hooks_diesel::Error::Invalid("changed my mind".into()))
                })
                .await;
            assert!(failed.is_err());
            assert_eq!((committed.get(), deferred.get(), rolled_back.get()), (1, 1, 1));
            // A savepoint rolled back drops its callbacks; the outer commit
            // runs the outer ones.
            let c = committed.clone();
            conn.transaction::<_, hooks_diesel::Error, _>(async |conn| {
                let inner = conn
                    .transaction::<(), hooks_diesel::Error, _>(async |conn| {
                        let c = c.clone();
                        conn.on_commit(move |_| {
                            c.add();
                            Ok(())
                        })
                        .await?;
                        Err(hooks_diesel::Error::Invalid("inner".into()))
                    })
                    .await;
                assert!(inner.is_err());
                let c = c.clone();
                conn.on_commit(move |_| {
                    c.add();
                    Ok(())
                })
                .await?;
                Ok(())
            })
            .await
            .expect("outer commit");
            assert_eq!(committed.get(), 2);
            let balance: i64 = accounts::table
                .find(ann.id)
                .select(accounts::balance)
                .get_result(&mut conn)
                .await
                .expect("read");
            assert_eq!(balance, 2);
        });
    }

    fn bulk_operations_are_async_methods(db) {
        let log = Log::new();
        runtime().block_on(async {
            let mut conn = connect(&db, &log).await;
            let mut made = conn
                .bulk_create(vec![
                    Account::new("ann", 10, "active"),
                    Account::new("bob", 20, "active"),
                    Account::new("cy", 30, "idle"),
                ])
                .await
                .expect("bulk_create");
            assert!(made.iter().all(|a| a.id > 0));
            made[0].balance = 11;
            let written = conn.bulk_update(made.clone()).await.expect("bulk_update");
            assert_eq!(written.positions(), [0]);
            let raised = conn
                .update_where::<Account>(
                    accounts::status.eq("active"),
                    accounts::balance.eq(accounts::balance * 2),
                )
                .await
                .expect("update_where");
            let mut balances: Vec<i64> = raised.iter().map(|a| a.balance).collect();
            balances.sort();
            assert_eq!(balances, vec![22, 40]);
            let rejected = conn.bulk_create(vec![Account::new("eve", -5, "idle")]).await;
            assert!(rejected.is_err());
            let report = conn
                .bulk_sync(
                    vec![Account::new("ann", 22, "active"), Account::new("dan", 5, "idle")],
                    Account::OWNER,
                    accounts::balance.ge(0_i64),
                    hooks_diesel::SyncOptions::new().ignore(&[Account::UPDATED_AT.key()]),
                )
                .await
                .expect("bulk_sync");
            assert_eq!((report.created, report.updated), (1, 0));
            assert_eq!(report.deleted, 2);
            let gone = conn
                .delete_where::<Account>(accounts::owner.eq("dan"))
                .await
                .expect("delete_where");
            assert_eq!(gone, 1);
            let left: Vec<String> = accounts::table
                .select(accounts::owner)
                .load(&mut conn)
                .await
                .expect("load");
            assert_eq!(left, vec!["ann".to_string()]);
        });
        let seen = log.all();
        let count = |event: &str| seen.iter().filter(|s| s.0 == event).count();
        // 3 bulk + 1 sync creates; 1 + 2 raised + none by the sync (ann
        // unchanged); bob, cy by the sync, dan by delete_where.
        assert_eq!((count("create"), count("update"), count("delete")), (4, 3, 3), "{seen:?}");
    }

    fn in_place_connections_run_the_same_hooks(db) {
        use diesel_async::AsyncConnection;
        use hooks_diesel_async::Blocking;
        let log = Log::new();
        let committed = Tally::default();
        runtime().block_on(async {
            let mut conn = connect(&db, &log).await.with_blocking(Blocking::InPlace);
            let c = committed.clone();
            conn.transaction::<_, hooks_diesel::Error, _>(async |conn| {
                diesel::insert_into(accounts::table)
                    .values((accounts::owner.eq("ann"), accounts::balance.eq(1_i64), accounts::status.eq("active")))
                    .execute(conn)
                    .await?;
                diesel::update(accounts::table)
                    .set(accounts::balance.eq(2_i64))
                    .execute(conn)
                    .await?;
                conn.on_commit(move |_| {
                    c.add();
                    Ok(())
                })
                .await?;
                Ok(())
            })
            .await
            .expect("transaction");
            assert_eq!(committed.get(), 1);
            // A statement runs to its end within one poll: a timeout
            // cannot cut it off, and the connection stays.
            let quick = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                conn.bulk_create(vec![Account::new("bob", 3, "idle")]),
            )
            .await;
            assert!(matches!(quick, Ok(Ok(_))));
            assert!(!conn.is_lost());
            // A transaction with an async closure in a spawned task, the
            // connection type named (see README, Async, limits).
            let spawned = tokio::spawn(async move {
                conn.transaction::<_, hooks_diesel::Error, _>(async |conn| {
                    diesel::update(accounts::table.filter(accounts::owner.eq("bob")))
                        .set(accounts::balance.eq(4_i64))
                        .execute(conn)
                        .await?;
                    Ok(())
                })
                .await
            });
            spawned.await.expect("task").expect("transaction");
        });
        let mut seen = log.all();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("create", "ann".into(), None, 1),
                ("create", "bob".into(), None, 3),
                ("update", "ann".into(), Some(1), 2),
                ("update", "bob".into(), Some(3), 4),
            ]
        );
    }

    fn pools_yield_hooked_connections(db) {
        let log = Log::new();
        let registry: Arc<Registry<hooks_diesel::HookedConnection<Inner>>> = Arc::new(hooks(&log));
        runtime().block_on(async {
            let left_over = Tally::default();
            let bb8 = diesel_async::pooled_connection::bb8::Pool::builder()
                .max_size(2)
                .build(hooks_diesel_async::pool::manager::<Inner>(db.url(), Arc::clone(&registry)))
                .await
                .expect("bb8 pool");
            {
                let mut conn = bb8.get().await.expect("checkout");
                conn.create(Account::new("ann", 1, "active")).await.expect("create");
                // A test transaction keeps callbacks waiting; the next
                // checkout must not inherit them.
                diesel_async::AsyncConnection::begin_test_transaction(&mut *conn)
                .await
                .expect("test transaction");
                let l = left_over.clone();
                conn.on_commit(move |_| {
                    l.add();
                    Ok(())
                })
                .await
                .expect("on_commit");
            }
            let mut conn = bb8.get().await.expect("second checkout");
            assert_eq!(conn.pending_callbacks().await.expect("pending"), 0);
            drop(conn);
            let deadpool = diesel_async::pooled_connection::deadpool::Pool::builder(
                hooks_diesel_async::pool::manager::<Inner>(db.url(), Arc::clone(&registry)),
            )
            .max_size(2)
            .build()
            .expect("deadpool pool");
            let mut conn = deadpool.get().await.expect("checkout");
            conn.create(Account::new("bob", 2, "active")).await.expect("create");
            diesel::update(accounts::table.filter(accounts::owner.eq("bob")))
                .set(accounts::balance.eq(3_i64))
                .execute(&mut conn)
                .await
                .expect("update");
            assert_eq!(left_over.get(), 0);
        });
        let mut seen = log.all();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("create", "ann".into(), None, 1),
                ("create", "bob".into(), None, 2),
                ("update", "bob".into(), Some(2), 3),
            ]
        );
    }
}
