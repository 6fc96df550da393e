//! The API from a user's chair: conditions by their django-bulk-hooks
//! names, a filter for every row, hook closures written apart, a registry
//! replaced on a live connection.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::{after_hook, FieldKey, SyncOptions};
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

backend_suite! {
    fn named_conditions_filter_records_like_their_method_forms(db) {
        let seen = Seen::<String>::new();
        let (by_name, by_list) = (seen.clone(), seen.clone());
        let watched: Vec<FieldKey<Account>> = ["status"].iter().filter_map(|n| FieldKey::named(n)).collect();
        let registry = Registry::new()
            .with(
                Hook::after_update(move |_, b: &Batch<Account>| {
                    by_name.extend(b.news().map(|a| format!("balance {}", a.owner)));
                    Ok(())
                })
                .when(FieldChanged(Account::BALANCE).and(FieldIs(Account::STATUS, "active"))),
            )
            .with(
                Hook::after_update(move |_, b: &Batch<Account>| {
                    by_list.extend(b.news().map(|a| format!("watched {}", a.owner)));
                    Ok(())
                })
                .when(FieldChanged(watched)),
            );
        let mut conn = db.connect(registry);
        let mut created = conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
        created[0].balance = 10;
        created[1].balance = 20;
        conn.bulk_update(created.clone()).unwrap();
        created[1].status = "active".into();
        conn.bulk_update(created).unwrap();
        assert_eq!(seen.all(), ["balance a", "watched b"]);
    }

    fn all_rows_filters_every_set_based_operation(db) {
        let mut conn = db.connect(Registry::new().with(Hook::after_delete(|_, _: &Batch<Account>| Ok(()))));
        conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
        let frozen = conn.update_where::<Account>(AllRows, accounts::status.eq("frozen")).unwrap();
        assert_eq!(frozen.len(), 2);
        let report = conn
            .bulk_sync(vec![Account::new("a", 1, "frozen"), Account::new("c", 3, "new")], Account::OWNER, AllRows, SyncOptions::new())
            .unwrap();
        assert_eq!((report.created, report.updated, report.deleted, report.unchanged), (1, 0, 1, 1));
        assert_eq!(conn.delete_where::<Account>(AllRows).unwrap(), 2);
        assert_eq!(accounts::table.count().get_result::<i64>(&mut conn).unwrap(), 0);
    }

    fn hook_closures_written_apart_and_a_replaced_registry(db) {
        let seen = Seen::<String>::new();
        let s = seen.clone();
        let log = after_hook(move |_ctx: &mut HookContext<'_, Conn>, b: &Batch<Account>| {
            s.extend(b.news().map(|a| a.owner.clone()));
            Ok(())
        });
        let mut conn = db.connect(Registry::new());
        diesel::insert_into(accounts::table).values(&Account::new("before", 1, "active")).execute(&mut conn).unwrap();
        conn.set_registry(Registry::new().with(Hook::after_create(log)));
        diesel::insert_into(accounts::table).values(&Account::new("after", 2, "active")).execute(&mut conn).unwrap();
        assert_eq!(seen.all(), ["after"]);
        conn.set_registry(Registry::new());
        diesel::insert_into(accounts::table).values(&Account::new("unhooked", 3, "active")).execute(&mut conn).unwrap();
        assert_eq!(seen.all(), ["after"]);
    }
}
