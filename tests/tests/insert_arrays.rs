//! `bulk_create` on PostgreSQL binds a chunk as one array per column
//! (`INSERT .. SELECT * FROM unnest($1, $2, ..) RETURNING ..`), so a
//! chunk is not bounded by the bind limit; the other backends send
//! multi-row `VALUES` within it. On every backend the rows come back in
//! the caller's order, each paired with its own record.
//!
//! An ordinary `insert_into(..).values(..)` through the hooked connection
//! goes the same way on PostgreSQL where every value is a lone bind and
//! there is no conflict clause: each chunk one `INSERT .. SELECT * FROM
//! unnest(..)` of the statement's own binds, a column `DEFAULT` in every
//! row left out; a chunk mixing `DEFAULT` and values in a column, or with
//! an expression, is sent as written. An upsert (`ON CONFLICT .. DO
//! UPDATE`, `DO NOTHING`) whose conflict clause binds nothing goes by
//! arrays too, the clause after the `SELECT`.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::accounts;
use hooks_tests::BackendKind;

/// Records whose values differ from their position (balances descending,
/// owners not in key order), so a row paired with the wrong record shows.
fn accounts(n: i64) -> Vec<Account> {
    (1..=n)
        .map(|i| {
            let status = if i % 3 == 0 { "idle" } else { "active" };
            let mut a = Account::new(format!("o{}", (i * 7919) % 100_003), 1_000_000 - i, status);
            if i % 4 == 0 {
                a.updated_at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1 + (i % 28) as u32)
                    .and_then(|d| d.and_hms_opt(1, 2, 3));
            }
            a
        })
        .collect()
}

backend_suite! {
    fn created_rows_pair_with_their_records_in_the_callers_order(db) {
        let seen = Seen::<Account>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<Account>| {
            s.extend(b.news().cloned());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 40;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let input = accounts(100);
        let created = conn.bulk_create(input.clone()).unwrap();
        let inserts: Vec<String> = statements.sql().into_iter().filter(|s| s.starts_with("INSERT")).collect();
        assert_eq!(inserts.len(), 3, "one INSERT per chunk: {inserts:?}");
        if BACKEND == BackendKind::Postgres {
            for insert in &inserts {
                assert!(insert.contains("SELECT * FROM unnest($1, $2, $3, $4)") && !insert.contains("VALUES"), "{insert}");
            }
        }
        assert_eq!(created.len(), input.len());
        for (made, record) in created.iter().zip(&input) {
            let mut expected = record.clone();
            expected.id = made.id;
            assert_eq!(made, &expected, "each row is its own record's");
        }
        assert!(created.windows(2).all(|w| w[0].id < w[1].id), "keys drawn in the caller's order");
        let rows: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(rows, created, "returned as stored, key for key");
        assert_eq!(seen.all(), created, "AFTER_CREATE saw the stored rows, in order");
    }

    fn a_chunk_over_the_bind_limit_is_one_statement_with_arrays(db) {
        let batches = Seen::<usize>::new();
        let b = batches.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, batch: &Batch<Account>| {
            b.push(batch.len());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 20_000;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        // Four binds a row: 80,000 binds as VALUES, over every limit.
        let input = accounts(20_000);
        let created = conn.bulk_create(input.clone()).unwrap();
        let (inserts, hooked) = match BACKEND {
            BackendKind::Postgres => (1, vec![20_000]),
            // 65,535 / 4 rows a statement.
            BackendKind::Mysql => (2, vec![16_383, 3_617]),
            // 32,766 / 4.
            BackendKind::Sqlite => (3, vec![8_191, 8_191, 3_618]),
        };
        assert_eq!(statements.count("INSERT"), inserts);
        assert_eq!(batches.all(), hooked);
        assert!(created.iter().zip(&input).all(|(made, record)| (&made.owner, made.balance) == (&record.owner, record.balance)));
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 20_000);
    }

    fn an_ordinary_insert_goes_by_arrays_where_every_value_is_a_bind(db) {
        let seen = Seen::<Account>::new();
        let (s, before) = (seen.clone(), Seen::<usize>::new());
        let b = before.clone();
        let registry = Registry::new()
            .with(Hook::before_create(move |_, batch: &mut Batch<Account>| {
                b.push(batch.len());
                Ok(())
            }))
            .with(Hook::after_create(move |_, batch: &Batch<Account>| {
                s.extend(batch.news().cloned());
                Ok(())
            }));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 40;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        // `updated_at` is `None` (Diesel's `DEFAULT`) in the first 100
        // records, set in some of the last 8.
        let mut input = accounts(108);
        input[..100].iter_mut().for_each(|a| a.updated_at = None);
        let inserted = diesel::insert_into(accounts::table).values(&input[..100]).execute(&mut conn).unwrap();
        assert_eq!(inserted, 100);
        diesel::insert_into(accounts::table).values(&input[100..]).execute(&mut conn).unwrap();
        let inserts: Vec<String> = statements.sql().into_iter().filter(|s| s.starts_with("INSERT")).collect();
        if BACKEND == BackendKind::Postgres {
            assert_eq!(inserts.len(), 4, "{inserts:?}");
            for insert in &inserts[..3] {
                assert!(insert.starts_with(r#"INSERT INTO "accounts" ("owner", "balance", "status") SELECT * FROM unnest($1, $2, $3) RETURNING"#), "{insert}");
            }
            assert!(inserts[3].contains("VALUES") && inserts[3].contains("DEFAULT") && !inserts[3].contains("unnest"), "{}", inserts[3]);
        } else {
            assert!(inserts.iter().all(|i| i.contains("VALUES") && !i.contains("unnest")), "{inserts:?}");
        }
        let rows: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(rows.len(), 108);
        for (row, record) in rows.iter().zip(&input) {
            let mut expected = record.clone();
            expected.id = row.id;
            assert_eq!(row, &expected, "each stored row is its record's, in order");
        }
        assert_eq!(seen.all(), rows, "AFTER_CREATE saw the stored rows, in order");
        assert_eq!(before.all().iter().sum::<usize>(), 108);
        // A value that is an expression keeps the statement's text.
        let p = if BACKEND == BackendKind::Postgres { ["$1", "$2", "$3", "$4"] } else { ["?"; 4] };
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        diesel::sql_query(format!(
            "INSERT INTO accounts (owner, balance, status) VALUES ({}, 1 + 1, 'idle'), ({}, {}, {})",
            p[0], p[1], p[2], p[3]
        ))
        .bind::<diesel::sql_types::Text, _>("x")
        .bind::<diesel::sql_types::Text, _>("y")
        .bind::<diesel::sql_types::BigInt, _>(3)
        .bind::<diesel::sql_types::Text, _>("active")
        .execute(&mut conn)
        .unwrap();
        let written: Vec<String> = statements.sql().into_iter().filter(|s| s.starts_with("INSERT")).collect();
        assert!(written.len() == 1 && written[0].contains("VALUES") && !written[0].contains("unnest"), "{written:?}");
        let last: Vec<(String, i64, String)> = accounts::table.order(accounts::id.desc()).limit(2).select((accounts::owner, accounts::balance, accounts::status)).load(&mut conn).unwrap();
        assert_eq!(last, [("y".to_string(), 3, "active".to_string()), ("x".to_string(), 2, "idle".to_string())]);
    }
}

/// Upserts: `ON CONFLICT` on SQLite and PostgreSQL (MySQL's forms are
/// refused, see `ordinary_writes`).
mod upserts {
    use super::*;

    backend_suite! {
        backends(sqlite, postgres);

        fn an_upsert_goes_by_arrays_where_its_conflict_clause_binds_nothing(db) {
            type Seen4 = Seen<(&'static str, String, i64, Option<i64>)>;
            let seen = Seen4::new();
            let (c, u) = (seen.clone(), seen.clone());
            let registry = Registry::new()
                .with(Hook::after_create(move |_, b: &Batch<Account>| {
                    c.extend(b.news().map(|a| ("created", a.owner.clone(), a.balance, None)));
                    Ok(())
                }))
                .with(Hook::after_update(move |_, b: &Batch<Account>| {
                    u.extend(b.iter().map(|(n, o)| ("updated", n.owner.clone(), n.balance, o.map(|o| o.balance))));
                    Ok(())
                }));
            let mut conn = db.connect(registry);
            let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
            let b = conn.without_hooks(|conn| conn.create(Account::new("b", 2, "active"))).unwrap();
            let statements = Statements::default();
            conn.set_instrumentation(statements.clone());
            let row = |id: i64, owner: &'static str, balance: i64| {
                (accounts::id.eq(id), accounts::owner.eq(owner), accounts::balance.eq(balance), accounts::status.eq("new"))
            };
            let rows = vec![row(b.id, "b", 20), row(b.id + 100, "c", 3), row(a.id, "a", 10), row(b.id + 101, "d", 4)];
            let n = diesel::insert_into(accounts::table)
                .values(&rows)
                .on_conflict(accounts::id)
                .do_update()
                .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
                .execute(&mut conn)
                .unwrap();
            assert_eq!(n, 4);
            let mut seen = seen.all();
            seen.sort();
            assert_eq!(
                seen,
                [
                    ("created", "c".to_string(), 3, None),
                    ("created", "d".to_string(), 4, None),
                    ("updated", "a".to_string(), 10, Some(1)),
                    ("updated", "b".to_string(), 20, Some(2)),
                ]
            );
            // `e` takes `a`'s key and is skipped; `a2` is inserted.
            let skipped = vec![row(a.id + 200, "a2", 0), row(a.id, "e", 5)];
            let n = diesel::insert_into(accounts::table).values(&skipped).on_conflict_do_nothing().execute(&mut conn).unwrap();
            assert_eq!(n, 1);
            // A conflict clause with a bind of its own keeps `VALUES`.
            let n = diesel::insert_into(accounts::table)
                .values(&rows[..2])
                .on_conflict(accounts::id)
                .do_update()
                .set(accounts::status.eq("again"))
                .execute(&mut conn)
                .unwrap();
            assert_eq!(n, 2);
            let inserts: Vec<String> = statements.sql().into_iter().filter(|s| s.starts_with("INSERT")).collect();
            assert_eq!(inserts.len(), 3, "{inserts:?}");
            let by_arrays = |sql: &String| sql.contains("SELECT * FROM unnest(") && !sql.contains("VALUES");
            if BACKEND == BackendKind::Postgres {
                assert!(by_arrays(&inserts[0]) && inserts[0].contains("ON CONFLICT"), "{}", inserts[0]);
                assert!(by_arrays(&inserts[1]) && inserts[1].contains("DO NOTHING"), "{}", inserts[1]);
            } else {
                assert!(!by_arrays(&inserts[0]) && !by_arrays(&inserts[1]), "{inserts:?}");
            }
            assert!(!by_arrays(&inserts[2]), "{}", inserts[2]);
            let stored: Vec<(String, i64, String)> = accounts::table
                .order(accounts::owner)
                .select((accounts::owner, accounts::balance, accounts::status))
                .load(&mut conn)
                .unwrap();
            let s = |o: &str, b, st: &str| (o.to_string(), b, st.to_string());
            assert_eq!(stored, [s("a", 10, "active"), s("a2", 0, "new"), s("b", 20, "again"), s("c", 3, "again"), s("d", 4, "new")]);
        }
    }
}
