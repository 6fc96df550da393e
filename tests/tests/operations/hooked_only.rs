//! What only the library's operations do: `bulk_update` and
//! `bulk_update_fields` (no single Diesel statement writes records field
//! by field), their refusals of missing, repeated and vanished keys (a
//! Diesel statement names rows by a filter, which refuses nothing), and
//! their round trips per chunk.

use super::*;

backend_suite! {
    fn bulk_update_pairs_old_and_new_in_caller_order(db) {
        let pairs = Seen::<(i64, i64, i64)>::new();
        let p = pairs.clone();
        let registry = Registry::new().with(Hook::after_update(move |_, b: &Batch<Account>| {
            p.extend(b.iter().map(|(n, o)| (n.id, o.map_or(-1, |o| o.balance), n.balance)));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = conn.bulk_create(accounts(20)).unwrap();
        // A fixed shuffle: caller order differs from key order.
        let mut shuffled: Vec<Account> = (0..20).map(|i| created[(i * 7) % 20].clone()).collect();
        for a in &mut shuffled { a.balance += 100; }
        let written = conn.bulk_update(shuffled.clone()).unwrap();
        assert_eq!(written, shuffled);
        let expected: Vec<(i64, i64, i64)> = shuffled.iter().map(|a| (a.id, a.balance - 100, a.balance)).collect();
        assert_eq!(pairs.all(), expected);
    }

    fn bulk_update_writes_only_changed_fields(db) {
        let mut conn = db.connect(Registry::new());
        let mut created = conn.bulk_create(accounts(3)).unwrap();
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        created[0].balance = 999;
        created[2].owner = "renamed".into();
        conn.bulk_update(created.clone()).unwrap();
        let updates = statements.updates();
        assert_eq!(updates.len(), 1, "{updates:?}");
        let update = &updates[0];
        let set = assignments(update);
        assert!(set.contains("balance") && set.contains("owner"), "{update}");
        assert!(!set.contains("status") && !set.contains("updated_at"), "{update}");
        let stored: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(stored, created);
    }

    fn a_value_shared_by_every_record_is_bound_once(db) {
        let mut conn = db.connect(Registry::new());
        let mut created = conn.bulk_create(accounts(4)).unwrap();
        for (i, a) in created.iter_mut().enumerate() {
            a.status = "frozen".into();
            a.balance = 100 + i as i64;
        }
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        conn.bulk_update(created.clone()).unwrap();
        let updates = statements.updates();
        assert_eq!(updates.len(), 1, "{updates:?}");
        let set = assignments(&updates[0]);
        assert_eq!(set.matches("hooks_values").count(), 1, "only balance varies: {set}");
        assert!(set.contains("status"), "{set}");
        let rows: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(rows, created);
    }

    fn a_chunk_sharing_every_written_value_is_updated_by_key(db) {
        let mut conn = db.connect(Registry::new());
        let mut created = conn.bulk_create(accounts(3)).unwrap();
        for a in &mut created {
            a.status = "closed".into();
        }
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        conn.bulk_update(created.clone()).unwrap();
        let updates = statements.updates();
        assert_eq!(updates.len(), 1, "{updates:?}");
        assert!(!updates[0].contains("hooks_values"), "no rows joined: {}", updates[0]);
        let rows: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut conn).unwrap();
        assert_eq!(rows, created);
    }

    fn unchanged_records_are_neither_written_nor_hooked(db) {
        let calls = Seen::<usize>::new();
        let c = calls.clone();
        let registry = Registry::new()
            .with(Hook::before_update(move |_, b: &mut Batch<Account>| { c.push(b.len()); Ok(()) }));
        let mut conn = db.connect(registry);
        let created = conn.bulk_create(accounts(4)).unwrap();
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let unchanged = conn.bulk_update(created.clone()).unwrap();
        assert_eq!(unchanged, created);
        assert_eq!(unchanged.written(), 0, "the caller can tell nothing was written");
        assert!(calls.is_empty());
        assert!(statements.updates().is_empty(), "{:?}", statements.sql());
        let mut some = created.clone();
        some[2].balance = 50;
        some[0].status = "closed".into();
        let written = conn.bulk_update(some).unwrap();
        assert_eq!((written.written(), written.positions()), (2, &[0, 2][..]));
        assert!(written.was_written(2) && !written.was_written(1));
        assert_eq!(calls.all(), [2]);
        let same = conn.update(written[1].clone()).unwrap();
        assert!(!same.written());
        let mut changed = written[1].clone();
        changed.balance += 1;
        let saved = conn.save(changed.clone()).unwrap();
        assert!(saved.written());
        assert_eq!(saved, changed);
        assert!(conn.save(Account::new("new", 1, "idle")).unwrap().written());
    }

    fn named_fields_write_only_those_plus_hook_edits(db) {
        let registry = Registry::new().with(Hook::before_update(|_, b: &mut Batch<Account>| {
            for a in b.news_mut() { a.owner = format!("{}!", a.owner); }
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let mut created = conn.bulk_create(accounts(1)).unwrap();
        created[0].balance = 10;
        created[0].status = "ignored".into();
        conn.bulk_update_fields(created, &[Account::BALANCE.key()]).unwrap();
        let row: (String, i64, String) = accounts::table.select((accounts::owner, accounts::balance, accounts::status)).first(&mut conn).unwrap();
        assert_eq!(row, ("o1!".to_string(), 10, "active".to_string()));
        let err = conn.bulk_update_fields(Vec::<Account>::new(), &[Account::ID.key()]).unwrap_err();
        assert!(err.to_string().contains("key field"), "{err}");
    }

    fn before_update_edits_are_written(db) {
        // Microseconds: every backend stores them (MySQL: DATETIME(6)).
        let stamp = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap().and_hms_micro_opt(3, 4, 5, 678_901).unwrap();
        let registry = Registry::new().with(Hook::before_update(move |_, b: &mut Batch<Account>| {
            for a in b.news_mut() { a.updated_at = Some(stamp); }
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let mut created = conn.bulk_create(accounts(2)).unwrap();
        created[1].balance = 7;
        let written = conn.bulk_update(created).unwrap();
        assert_eq!(written[0].updated_at, None);
        assert_eq!(written[1].updated_at, Some(stamp));
        let stamps: Vec<Option<chrono::NaiveDateTime>> = accounts::table.order(accounts::id).select(accounts::updated_at).load(&mut conn).unwrap();
        assert_eq!(stamps, [None, Some(stamp)]);
    }

    fn conditions_filter_records_per_hook(db) {
        let changed = Seen::<i64>::new();
        let frozen = Seen::<i64>::new();
        let (c, f) = (changed.clone(), frozen.clone());
        let registry = Registry::new()
            .with(Hook::after_update(move |_, b: &Batch<Account>| { c.extend(b.news().map(|a| a.id)); Ok(()) })
                .when(Account::BALANCE.changed()))
            .with(Hook::after_update(move |_, b: &Batch<Account>| { f.extend(b.news().map(|a| a.id)); Ok(()) })
                .when(Account::STATUS.changes_to("frozen")));
        let mut conn = db.connect(registry);
        let mut created = conn.bulk_create(accounts(4)).unwrap();
        created[0].balance += 1;
        created[1].status = "frozen".into();
        created[2].balance += 1;
        created[2].status = "frozen".into();
        conn.bulk_update(created.clone()).unwrap();
        assert_eq!(changed.all(), [created[0].id, created[2].id]);
        assert_eq!(frozen.all(), [created[1].id, created[2].id]);
        // frozen -> frozen is not a change to frozen.
        created[1].balance += 5;
        conn.bulk_update(vec![created[1].clone()]).unwrap();
        assert_eq!(frozen.len(), 2);
    }

    fn update_and_delete_refuse_missing_duplicate_and_vanished_keys(db) {
        let mut conn = db.connect(Registry::new());
        let created = conn.bulk_create(accounts(3)).unwrap();
        let err = conn.bulk_update(vec![Account::new("x", 1, "idle")]).unwrap_err();
        assert!(matches!(err, Error::MissingKey { ref positions, .. } if positions == &[0]), "{err}");
        let mut twice = vec![created[0].clone(), created[1].clone(), created[0].clone()];
        twice[0].balance = 77;
        let err = conn.bulk_update(twice).unwrap_err();
        assert!(matches!(err, Error::DuplicateKey { ref positions, .. } if positions == &[0, 2]), "{err}");
        diesel::delete(accounts::table.find(created[1].id)).execute(&mut conn).unwrap();
        let mut changed = created.clone();
        for a in &mut changed { a.balance = 1000; }
        let err = conn.bulk_update(changed).unwrap_err();
        assert!(matches!(err, Error::Vanished { ref keys, .. } if keys == &[created[1].id.to_string()]), "{err}");
        let balances: Vec<i64> = accounts::table.order(accounts::id).select(accounts::balance).load(&mut conn).unwrap();
        assert_eq!(balances, [1, 3], "nothing written after the error");
        let err = conn.bulk_delete(&created).unwrap_err();
        assert!(matches!(err, Error::Vanished { .. }), "{err}");
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 2);
        let err = conn.save(created[1].clone()).unwrap_err();
        assert!(err.to_string().contains(&created[1].id.to_string()), "{err}");
    }

    fn round_trips_stay_per_chunk(db) {
        let registry = Registry::new()
            .with(Hook::after_update(|_, _: &Batch<Account>| Ok(())))
            .with(Hook::after_create(|_, _: &Batch<Account>| Ok(())));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 100;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let mut created = conn.bulk_create(accounts(250)).unwrap();
        assert_eq!(statements.count("INSERT"), 3, "{:?}", statements.sql().len());
        statements.clear();
        for a in &mut created { a.balance += 1; }
        conn.bulk_update(created).unwrap();
        assert_eq!(statements.count("SELECT"), 3);
        assert_eq!(statements.updates().len(), 3);
    }
}
