//! Bulk sync and compare, on every backend.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::SyncOptions;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

fn wanted(rows: &[(&str, i64, &str)]) -> Vec<Account> {
    rows.iter()
        .map(|(o, b, s)| Account::new(*o, *b, s))
        .collect()
}

backend_suite! {
    fn sync_creates_updates_deletes_and_counts(db) {
        let events = Seen::<(Event, String)>::new();
        let (e1, e2, e3) = (events.clone(), events.clone(), events.clone());
        let registry = Registry::new()
            .with(Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| { e1.extend(b.news().map(|a| (ctx.event(), a.owner.clone()))); Ok(()) }))
            .with(Hook::after_update(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| { e2.extend(b.news().map(|a| (ctx.event(), a.owner.clone()))); Ok(()) }))
            .with(Hook::after_delete(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| { e3.extend(b.olds().map(|a| (ctx.event(), a.owner.clone()))); Ok(()) }));
        let mut conn = db.connect(registry);
        conn.bulk_create(wanted(&[("a", 1, "active"), ("b", 2, "active"), ("c", 3, "active"), ("z", 9, "closed")])).unwrap();
        let report = conn.bulk_sync(
            wanted(&[("b", 20, "active"), ("c", 3, "active"), ("d", 4, "active")]),
            Account::OWNER,
            accounts::status.ne("closed"),
            SyncOptions::new(),
        ).unwrap();
        assert_eq!((report.created, report.updated, report.deleted, report.unchanged), (1, 1, 1, 1));
        let rows: Vec<(String, i64, String)> = accounts::table.order(accounts::owner).select((accounts::owner, accounts::balance, accounts::status)).load(&mut conn).unwrap();
        assert_eq!(rows, [
            ("b".to_string(), 20, "active".to_string()),
            ("c".to_string(), 3, "active".to_string()),
            ("d".to_string(), 4, "active".to_string()),
            ("z".to_string(), 9, "closed".to_string()),
        ], "rows outside the filter are untouched");
        let mut seen = events.all();
        seen.sort_by_key(|(e, o)| (e.index(), o.clone()));
        assert_eq!(seen, [
            (Event::AfterCreate, "a".to_string()), (Event::AfterCreate, "b".to_string()),
            (Event::AfterCreate, "c".to_string()), (Event::AfterCreate, "d".to_string()),
            (Event::AfterCreate, "z".to_string()),
            (Event::AfterUpdate, "b".to_string()), (Event::AfterDelete, "a".to_string()),
        ]);
    }

    fn sync_options_skip_ignore_and_dry_run(db) {
        let mut conn = db.connect(Registry::new());
        conn.bulk_create(wanted(&[("a", 1, "active"), ("b", 2, "active")])).unwrap();
        let target = wanted(&[("b", 2, "frozen"), ("c", 3, "active")]);
        let dry = conn.bulk_sync(target.clone(), Account::OWNER, accounts::id.gt(0), SyncOptions::new().dry_run()).unwrap();
        assert_eq!((dry.created, dry.updated, dry.deleted), (1, 1, 1));
        let count: i64 = accounts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 2, "a dry run writes nothing");
        let ignoring = conn.bulk_sync(
            target.clone(), Account::OWNER, accounts::id.gt(0),
            SyncOptions::new().ignore(&[Account::STATUS.key()]).skip_deletes().skip_creates(),
        ).unwrap();
        assert_eq!((ignoring.created, ignoring.updated, ignoring.deleted, ignoring.unchanged), (0, 0, 0, 1));
        let rows: Vec<(String, String)> = accounts::table.order(accounts::owner).select((accounts::owner, accounts::status)).load(&mut conn).unwrap();
        assert_eq!(rows, [("a".to_string(), "active".to_string()), ("b".to_string(), "active".to_string())]);
    }

    fn sync_refuses_duplicate_key_fields_and_writes_nothing(db) {
        let mut conn = db.connect(Registry::new());
        conn.bulk_create(wanted(&[("a", 1, "active")])).unwrap();
        let err = conn.bulk_sync(
            wanted(&[("b", 1, "active"), ("b", 2, "active")]),
            Account::OWNER,
            accounts::id.gt(0),
            SyncOptions::new().chunk_size(1),
        ).unwrap_err();
        assert!(err.to_string().contains("same key fields"), "{err}");
        let owners: Vec<String> = accounts::table.select(accounts::owner).load(&mut conn).unwrap();
        assert_eq!(owners, ["a"]);
        assert_eq!(conn.config().chunk_size, 1000, "batch size restored");
    }
}
