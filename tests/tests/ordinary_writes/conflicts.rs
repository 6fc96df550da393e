//! Upserts and conflict forms: hooked where the rows written can be told
//! apart (`ON CONFLICT (..) DO UPDATE` on SQLite and PostgreSQL: created
//! rows to create hooks, updated rows to update hooks with their old
//! rows), refused with the form's name where they cannot.

use super::*;

fn unsupported_form(error: diesel::result::Error) -> String {
    match Error::from(error) {
        Error::UnsupportedWrite { form, .. } => form,
        other => panic!("expected an unsupported write, got {other:?}"),
    }
}

backend_suite! {
    backends(sqlite, postgres);

    fn on_conflict_do_nothing_hooks_only_the_rows_it_inserts(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let a = conn.create(Account::new("a", 1, "active")).unwrap();
        let n = diesel::insert_into(accounts::table)
            .values((accounts::id.eq(a.id + 100), accounts::owner.eq("b"), accounts::balance.eq(2), accounts::status.eq("idle")))
            .on_conflict(accounts::id)
            .do_nothing()
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 1);
        let n = diesel::insert_into(accounts::table)
            .values((accounts::id.eq(a.id), accounts::owner.eq("dup"), accounts::balance.eq(0), accounts::status.eq("x")))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 0);
        assert_eq!(of(&calls, "after_create").len(), 2, "the skipped row reaches no hook");
    }

    fn on_conflict_do_update_hooks_inserts_as_creates_and_updates_with_old_rows(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        let b = conn.without_hooks(|conn| conn.create(Account::new("b", 2, "active"))).unwrap();
        // Two statements on PostgreSQL, which splits binds; one on SQLite.
        conn.config_mut().chunk_size = 2;
        let rows = vec![
            (accounts::id.eq(b.id), accounts::owner.eq("b"), accounts::balance.eq(20), accounts::status.eq("x")),
            (accounts::id.eq(b.id + 100), accounts::owner.eq("c"), accounts::balance.eq(3), accounts::status.eq("new")),
            (accounts::id.eq(a.id), accounts::owner.eq("a"), accounts::balance.eq(10), accounts::status.eq("x")),
        ];
        let n = diesel::insert_into(accounts::table)
            .values(&rows)
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 3, "rows inserted and updated, as Diesel counts them");
        let c = |event| (event, b.id + 100, "c".to_string(), 3, "new".to_string(), None);
        assert_eq!(of(&calls, "before_create"), [c("before_create")]);
        assert_eq!(of(&calls, "after_create"), [c("after_create")]);
        let updates = [
            ("after_update", b.id, "b".to_string(), 20, "active".to_string(), Some(2)),
            ("after_update", a.id, "a".to_string(), 10, "active".to_string(), Some(1)),
        ];
        assert_eq!(of(&calls, "after_update"), updates, "statement order, old balances");
        assert_eq!(of(&calls, "before_update").len(), 2);
        assert_eq!(
            stored!(db),
            [
                ("a".to_string(), 10, "active".to_string()),
                ("b".to_string(), 20, "active".to_string()),
                ("c".to_string(), 3, "new".to_string()),
            ]
        );
    }

    fn a_large_upsert_reads_the_rows_it_conflicts_with(db) {
        // More rows than SQLite allows terms in a compound SELECT (500).
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let stored: Vec<Account> = conn
            .without_hooks(|conn| conn.bulk_create((0..300).map(|i| Account::new(format!("s{i}"), i, "active")).collect()))
            .unwrap();
        let first = stored[0].id;
        let rows: Vec<_> = (0..600)
            .map(|i| (accounts::id.eq(first + i), accounts::owner.eq(format!("u{i}")), accounts::balance.eq(1000 + i), accounts::status.eq("x")))
            .collect();
        let n = diesel::insert_into(accounts::table)
            .values(&rows)
            .on_conflict(accounts::id)
            .do_update()
            .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 600);
        let updated = of(&calls, "after_update");
        assert_eq!(updated.len(), 300);
        assert!(updated.iter().all(|u| u.5 == Some(u.1 - first) && u.3 == 1000 + u.5.unwrap_or(-1)), "old balances paired");
        let created = of(&calls, "after_create");
        assert_eq!(created.len(), 300);
        assert!(created.iter().all(|c| c.1 >= first + 300 && c.5.is_none()));
    }

    fn on_conflict_do_update_returns_the_rows_in_the_shape_asked(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        // One row per statement: a `Vec` with `get_results` does not
        // compile for a wrapper of SQLite (README, "Ordinary Diesel
        // writes").
        let upsert = |id: i64, owner: &str, balance: i64, conn: &mut HookedConnection<_>| {
            diesel::insert_into(accounts::table)
                .values((accounts::id.eq(id), accounts::owner.eq(owner.to_string()), accounts::balance.eq(balance), accounts::status.eq("new")))
                .on_conflict(accounts::id)
                .do_update()
                .set(accounts::balance.eq(accounts::balance + diesel::upsert::excluded(accounts::balance)))
                .returning((accounts::id, accounts::balance))
                .get_result::<(i64, i64)>(conn)
        };
        assert_eq!(upsert(a.id + 50, "n", 4, &mut conn).unwrap(), (a.id + 50, 4));
        assert_eq!(upsert(a.id, "a", 9, &mut conn).unwrap(), (a.id, 10));
        assert_eq!(of(&calls, "after_update").len(), 1);
        assert_eq!(of(&calls, "after_create").len(), 1);
    }

    fn on_conflict_do_update_before_hooks_edit_and_reject(db) {
        let registry = Registry::new()
            .with(Hook::before_update(|_, b: &mut Batch<Account>| {
                for (new, old) in b.iter_mut() {
                    if old.is_some_and(|o| o.balance > new.balance) {
                        new.status = "lowered".into();
                    }
                }
                b.reject_where(|new, _| new.balance < 0, |a| format!("{} negative", a.owner));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        let a = conn.create(Account::new("a", 5, "active")).unwrap();
        let upsert = |balance: i64, conn: &mut HookedConnection<_>| {
            diesel::insert_into(accounts::table)
                .values(vec![
                    (accounts::id.eq(a.id + 7), accounts::owner.eq("z"), accounts::balance.eq(1), accounts::status.eq("new")),
                    (accounts::id.eq(a.id), accounts::owner.eq("a"), accounts::balance.eq(balance), accounts::status.eq("x")),
                ])
                .on_conflict(accounts::id)
                .do_update()
                .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
                .execute(conn)
        };
        let err = upsert(-1, &mut conn).unwrap_err();
        assert_eq!(rejection_of(err), ["a negative"]);
        assert_eq!(stored!(db), [("a".to_string(), 5, "active".to_string())], "nothing written");
        assert_eq!(upsert(2, &mut conn).unwrap(), 2);
        assert_eq!(
            stored!(db),
            [("a".to_string(), 2, "lowered".to_string()), ("z".to_string(), 1, "new".to_string())]
        );
    }

    fn on_conflict_do_update_where_hooks_only_the_rows_it_updates(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 5, "active"))).unwrap();
        let b = conn.without_hooks(|conn| conn.create(Account::new("b", 5, "active"))).unwrap();
        // Only raises: a's 3 is skipped, b's 9 written. (One row per
        // statement: Diesel has no batch form of this for a wrapper of
        // SQLite.)
        let raise = |id: i64, balance: i64, conn: &mut HookedConnection<_>| {
            let upsert = diesel::insert_into(accounts::table)
                .values((accounts::id.eq(id), accounts::owner.eq("o"), accounts::balance.eq(balance), accounts::status.eq("x")))
                .on_conflict(accounts::id)
                .do_update()
                .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)));
            diesel::query_dsl::methods::FilterDsl::filter(
                upsert,
                accounts::balance.lt(diesel::upsert::excluded(accounts::balance)),
            )
            .execute(conn)
        };
        assert_eq!(raise(a.id, 3, &mut conn).unwrap(), 0);
        assert_eq!(raise(b.id, 9, &mut conn).unwrap(), 1);
        assert_eq!(
            of(&calls, "after_update"),
            [("after_update", b.id, "b".to_string(), 9, "active".to_string(), Some(5))]
        );
        assert!(of(&calls, "after_create").is_empty());
        assert_eq!(
            stored!(db),
            [("a".to_string(), 5, "active".to_string()), ("b".to_string(), 9, "active".to_string())]
        );
    }

    fn on_conflict_do_update_by_a_unique_column_pairs_rows_by_key(db) {
        let calls = Calls::new();
        let mut conn = db.connect(recording(&calls));
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "CREATE UNIQUE INDEX accounts_owner_unique ON accounts (owner)",
        )
        .unwrap();
        let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        let n = diesel::insert_into(accounts::table)
            .values(vec![
                (accounts::owner.eq("a"), accounts::balance.eq(8), accounts::status.eq("x")),
                (accounts::owner.eq("q"), accounts::balance.eq(6), accounts::status.eq("new")),
            ])
            .on_conflict(accounts::owner)
            .do_update()
            .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 2);
        let updated = of(&calls, "after_update");
        assert_eq!(updated.len(), 1);
        assert_eq!((updated[0].1, updated[0].3, updated[0].5), (a.id, 8, Some(1)));
        let created = of(&calls, "after_create");
        assert_eq!(created.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(), ["q"]);
    }
}

mod key_changes {
    use super::*;
    use diesel::connection::SimpleConnection;

    backend_suite! {
        backends(sqlite, postgres);

        fn an_upsert_that_changes_keys_is_refused(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            conn.batch_execute("CREATE UNIQUE INDEX accounts_owner_unique ON accounts (owner)").unwrap();
            let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
            let err = diesel::insert_into(accounts::table)
                .values((accounts::owner.eq("a"), accounts::balance.eq(8), accounts::status.eq("x")))
                .on_conflict(accounts::owner)
                .do_update()
                .set(accounts::id.eq(accounts::id + 1000))
                .execute(&mut conn)
                .unwrap_err();
            let message = err.to_string();
            assert!(message.contains("changed the key"), "{message}");
            assert!(message.contains(&(a.id + 1000).to_string()), "{message}");
            let ids: Vec<i64> = accounts::table.select(accounts::id).load(&mut db.raw()).unwrap();
            assert_eq!(ids, [a.id], "nothing written");
            assert!(of(&calls, "after_create").is_empty());
        }
    }
}

mod postgres_forms {
    use super::*;
    use diesel::connection::SimpleConnection;

    backend_suite! {
        backends(postgres);

        fn on_conflict_on_constraint_is_refused_naming_the_form(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let a = conn.create(Account::new("a", 1, "active")).unwrap();
            let err = diesel::insert_into(accounts::table)
                .values((accounts::id.eq(a.id), accounts::owner.eq("a"), accounts::balance.eq(5), accounts::status.eq("x")))
                .on_conflict(diesel::upsert::on_constraint("accounts_pkey"))
                .do_update()
                .set(accounts::balance.eq(5))
                .execute(&mut conn)
                .unwrap_err();
            assert_eq!(unsupported_form(err), "ON CONFLICT DO UPDATE");
            assert_eq!(stored!(db), [("a".to_string(), 1, "active".to_string())], "nothing written");
        }

        fn an_updated_row_the_read_missed_fails_the_upsert(db) {
            // A trigger rewrites the conflict column after the rows
            // conflicting with the statement's values were read: the
            // statement updates a row that was not read, as when
            // another transaction inserts it in between.
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            conn.batch_execute(
                "CREATE UNIQUE INDEX accounts_owner_unique ON accounts (owner);
                 CREATE FUNCTION lower_owner() RETURNS trigger AS $$
                 BEGIN NEW.owner := lower(NEW.owner); RETURN NEW; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER lower_owner BEFORE INSERT ON accounts
                 FOR EACH ROW EXECUTE FUNCTION lower_owner();",
            )
            .unwrap();
            conn.create(Account::new("a", 1, "active")).unwrap();
            let err = diesel::insert_into(accounts::table)
                .values((accounts::owner.eq("A"), accounts::balance.eq(8), accounts::status.eq("x")))
                .on_conflict(accounts::owner)
                .do_update()
                .set(accounts::balance.eq(diesel::upsert::excluded(accounts::balance)))
                .execute(&mut conn)
                .unwrap_err();
            assert!(
                matches!(err, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::SerializationFailure, _)),
                "{err:?}"
            );
            assert!(hooks_diesel::is_retryable(&err));
            assert_eq!(stored!(db), [("a".to_string(), 1, "active".to_string())], "nothing written");
            assert!(of(&calls, "after_update").is_empty());
        }
    }
}

mod sqlite_forms {
    use super::*;

    backend_suite! {
        backends(sqlite);

        fn insert_or_ignore_is_hooked_and_replace_refused(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let a = conn.create(Account::new("a", 1, "active")).unwrap();
            let n = diesel::insert_or_ignore_into(accounts::table)
                .values((accounts::id.eq(a.id), accounts::owner.eq("dup"), accounts::balance.eq(0), accounts::status.eq("x")))
                .execute(&mut conn)
                .unwrap();
            assert_eq!(n, 0);
            assert_eq!(calls_of(&calls, "after_create"), 1);
            let err = diesel::replace_into(accounts::table)
                .values((accounts::id.eq(a.id), accounts::owner.eq("r"), accounts::balance.eq(0), accounts::status.eq("x")))
                .execute(&mut conn)
                .unwrap_err();
            assert_eq!(unsupported_form(err), "REPLACE INTO");
        }

        fn an_upsert_writing_a_value_the_model_cannot_read_is_refused_and_undone(db) {
            // SQLite stores `''` in a TIMESTAMP column; the model cannot
            // read the row back, so the upsert is refused (as an UPDATE
            // writing it is) and its write rolled back.
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let a = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
            let upsert = "INSERT INTO accounts (id, owner, balance, status) VALUES (?, 'a', 2, 'x') \
                          ON CONFLICT (id) DO UPDATE SET updated_at = ''";
            let err = diesel::sql_query(upsert)
                .bind::<diesel::sql_types::BigInt, _>(a.id)
                .execute(&mut conn)
                .unwrap_err();
            assert_eq!(unsupported_form(err), "ON CONFLICT DO UPDATE");
            assert_eq!(stored!(db), [("a".to_string(), 1, "active".to_string())]);
            assert_eq!(calls_of(&calls, "after_update"), 0);
            // Without hooks the database writes it, as it would bare.
            let n = conn
                .without_hooks(|conn| diesel::sql_query(upsert).bind::<diesel::sql_types::BigInt, _>(a.id).execute(conn))
                .unwrap();
            assert_eq!(n, 1);
        }
    }
}

mod mysql_forms {
    use super::*;

    backend_suite! {
        backends(mysql);

        fn ignore_replace_and_on_duplicate_key_are_refused(db) {
            let calls = Calls::new();
            let mut conn = db.connect(recording(&calls));
            let a = conn.create(Account::new("a", 1, "active")).unwrap();
            let row = (accounts::id.eq(a.id), accounts::owner.eq("dup"), accounts::balance.eq(0), accounts::status.eq("x"));
            let ignore = diesel::insert_or_ignore_into(accounts::table).values(row).execute(&mut conn).unwrap_err();
            assert_eq!(unsupported_form(ignore), "INSERT IGNORE");
            let replace = diesel::replace_into(accounts::table).values(row).execute(&mut conn).unwrap_err();
            assert_eq!(unsupported_form(replace), "REPLACE INTO");
            let upsert = diesel::insert_into(accounts::table)
                .values(row)
                .on_conflict(diesel::dsl::DuplicatedKeys)
                .do_update()
                .set(accounts::balance.eq(7))
                .execute(&mut conn)
                .unwrap_err();
            assert_eq!(unsupported_form(upsert), "ON DUPLICATE KEY UPDATE");
            assert_eq!(stored!(db), [("a".to_string(), 1, "active".to_string())]);
            conn.without_hooks(|conn| diesel::replace_into(accounts::table).values(row).execute(conn)).unwrap();
        }
    }
}
