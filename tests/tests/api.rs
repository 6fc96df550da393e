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

/// Hooks written once for every connection type: no backend, no
/// connection type named; they run hooked operations of another model
/// through whatever connection runs them.
fn audited<X>(seen: &Seen<String>) -> Registry<X>
where
    X: hooks_diesel::HookedOps
        + hooks_diesel::hooks_core::Hosts<Account>
        + hooks_diesel::hooks_core::Hosts<hooks_tests::models::AuditEntry>,
{
    let seen = seen.clone();
    Registry::new()
        .with_model::<hooks_tests::models::AuditEntry>()
        .with(Hook::after_create(
            move |ctx: &mut HookContext<'_, X>, b: &Batch<Account>| {
                seen.push(ctx.conn().backend_name().to_string());
                let entries = b
                    .news()
                    .map(|a| hooks_tests::models::AuditEntry::new(a.id, "opened"))
                    .collect();
                ctx.conn().bulk_create(entries)?;
                Ok(())
            },
        ))
}

mod any_connection {
    use super::*;

    backend_suite! {
        fn hooks_written_for_any_connection_run_on_each_backend(db) {
            let seen = Seen::<String>::new();
            let mut conn = db.connect(audited(&seen));
            conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "idle")]).unwrap();
            diesel::insert_into(accounts::table).values(&Account::new("c", 3, "idle")).execute(&mut conn).unwrap();
            let logged: i64 = hooks_tests::schema::audit_log::table.count().get_result(&mut conn).unwrap();
            assert_eq!(logged, 3);
            assert!(seen.all().iter().all(|b| b == <<Inner as diesel::Connection>::Backend as hooks_diesel::HookBackend>::NAME));
            // A model the registry does not know is a clear error.
            let unknown = hooks_diesel::HookedOps::bulk_create(&mut conn, vec![hooks_tests::models::Membership::new(1, 1, "x")]).unwrap_err();
            assert!(matches!(unknown, hooks_diesel::Error::UnknownModel { model: "Membership" }), "{unknown}");
            assert!(unknown.to_string().contains("with_model::<Membership>()"), "{unknown}");
        }
    }
}
