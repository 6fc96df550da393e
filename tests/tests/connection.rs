//! `HookedConnection` as a Diesel connection: ordinary queries through it,
//! its accessors and configuration, scoped bypass, and the policy for plain
//! writes to tables that have hooks.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_migrations::MigrationHarness;
use hooks_diesel::prelude::*;
use hooks_diesel::{Config, UnhookedWrites};
use hooks_tests::models::{Account, AuditEntry};
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::{accounts, audit_log};
use hooks_tests::{backend_suite, TestBackend, TestDb};

/// A registry with one BEFORE create hook on `Account`, so that
/// `accounts` is a hooked table; the hook records the owners it sees.
fn hooked_accounts<X: hooks_diesel::hooks_core::Hosts<Account>>(
    seen: &Seen<String>,
) -> Registry<X> {
    let seen = seen.clone();
    Registry::new().with(Hook::before_create(move |_, b: &mut Batch<Account>| {
        seen.extend(b.news().map(|a| a.owner.clone()));
        Ok(())
    }))
}

fn unhooked_table(error: &DieselError) -> Option<String> {
    match error {
        DieselError::QueryBuilderError(inner) => match inner.downcast_ref::<Error>() {
            Some(Error::UnhookedWrite { table, .. }) => Some(table.clone()),
            _ => None,
        },
        _ => None,
    }
}

#[derive(AsChangeset, Identifiable, Clone, Copy)]
#[diesel(table_name = accounts)]
struct BalanceChange {
    id: i64,
    balance: i64,
}

backend_suite! {
    fn ordinary_diesel_queries_run_through_the_wrapper(db) {
        let mut conn = db.connect(Registry::new());
        diesel::insert_into(accounts::table)
            .values((accounts::owner.eq("a"), accounts::balance.eq(1), accounts::status.eq("active")))
            .execute(&mut conn)
            .unwrap();
        let id: i64 = accounts::table
            .filter(accounts::owner.eq("a"))
            .select(accounts::id)
            .first(&mut conn)
            .unwrap();
        diesel::insert_into(accounts::table)
            .values((accounts::owner.eq("b"), accounts::balance.eq(2), accounts::status.eq("idle")))
            .execute(&mut conn)
            .unwrap();
        let updated = diesel::update(accounts::table.find(id))
            .set(accounts::balance.eq(10))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(updated, 1);
        let rows: Vec<Account> = accounts::table
            .order(accounts::id)
            .select(Account::as_select())
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.iter().map(|a| a.balance).collect::<Vec<_>>(), [10, 2]);
        let total = conn
            .transaction::<_, DieselError, _>(|conn| {
                diesel::delete(accounts::table.filter(accounts::owner.eq("b"))).execute(conn)?;
                accounts::table.count().get_result::<i64>(conn)
            })
            .unwrap();
        assert_eq!(total, 1);
        assert_eq!(accounts::table.count().get_result::<i64>(&mut db.raw()).unwrap(), 1);
    }

    fn instrumentation_and_statement_cache_settings_reach_the_inner_connection(db) {
        let statements = Statements::default();
        let mut conn = db.connect(Registry::new());
        conn.set_instrumentation(statements.clone());
        conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
        accounts::table.count().get_result::<i64>(&mut conn).unwrap();
        assert_eq!(statements.count("SELECT"), 1, "{:?}", statements.sql());
    }

    fn establish_connects_with_an_empty_registry(db) {
        let mut conn = Conn::establish(db.url()).unwrap();
        assert!(conn.registry().is_empty());
        assert_eq!(accounts::table.count().get_result::<i64>(&mut conn).unwrap(), 0);
    }

    fn accessors_and_configuration(db) {
        let registry = Arc::new(hooked_accounts::<Conn>(&Seen::new()));
        let mut conn = HookedConnection::new(db.raw(), Arc::clone(&registry))
            .with_config(Config::default().with_chunk_size(10).with_unhooked_writes(UnhookedWrites::Allow));
        assert!(Arc::ptr_eq(conn.registry(), &registry));
        assert_eq!(conn.config().chunk_size, 10);
        assert_eq!(conn.config().unhooked_writes, UnhookedWrites::Allow);
        conn.config_mut().chunk_size = 20;
        assert_eq!(conn.config().chunk_size, 20);
        assert_eq!(Config::default().chunk_size, 1000);
        assert_eq!(Config::default().unhooked_writes, UnhookedWrites::Refuse);
        conn.inner_mut().batch_execute("SELECT 1").unwrap();
        let _: &Inner = conn.inner();
        let mut inner: Inner = conn.into_inner();
        assert_eq!(accounts::table.count().get_result::<i64>(&mut inner).unwrap(), 0);
    }

    fn ordinary_writes_run_their_hooks_whatever_the_policy(db) {
        let seen = Seen::new();
        let mut conn = db
            .connect(hooked_accounts::<Conn>(&seen))
            .with_config(Config::default().with_unhooked_writes(UnhookedWrites::Refuse));
        diesel::insert_into(accounts::table)
            .values((accounts::owner.eq("dsl"), accounts::balance.eq(1), accounts::status.eq("active")))
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("/* a comment */ INSERT INTO accounts (owner, balance, status) VALUES ('raw', 2, 'idle')")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("-- a comment\nINSERT INTO accounts (owner, balance, status) VALUES ('commented', 3, 'idle')")
            .execute(&mut conn)
            .unwrap();
        assert_eq!(seen.all(), ["dsl", "raw", "commented"]);
    }

    fn refuse_stops_writes_it_cannot_hook(db) {
        let seen = Seen::new();
        let mut conn = db
            .connect(hooked_accounts::<Conn>(&seen))
            .with_config(Config::default().with_unhooked_writes(UnhookedWrites::Refuse));
        let cte = diesel::sql_query(
            "WITH picked AS (SELECT 1 AS one) INSERT INTO accounts (owner, balance, status) SELECT 'cte', one, 'active' FROM picked",
        )
        .execute(&mut conn)
        .unwrap_err();
        assert_eq!(unhooked_table(&cte).as_deref(), Some("accounts"), "{cte}");
        let batch = conn
            .batch_execute("INSERT INTO accounts (owner, balance, status) VALUES ('batch', 1, 'active'); SELECT 1")
            .unwrap_err();
        assert!(unhooked_table(&batch).is_some(), "{batch}");
        let hidden = conn
            .batch_execute("/* INSERT INTO audit_log */ SELECT 1; -- nothing\n DELETE FROM accounts")
            .unwrap_err();
        assert!(unhooked_table(&hidden).is_some(), "{hidden}");
        let converted = Error::from(cte);
        assert!(
            matches!(converted, Error::UnhookedWrite { ref table, ref form } if table == "accounts" && form.starts_with("WITH")),
            "{converted:?}"
        );
        assert!(converted.to_string().contains("`accounts`"), "{converted}");
        assert!(converted.to_string().contains("without_hooks"), "{converted}");
        assert!(!converted.to_string().contains("Warn"), "{converted}");
        assert_eq!(accounts::table.count().get_result::<i64>(&mut db.raw()).unwrap(), 0, "nothing written");
        assert!(seen.is_empty());
        conn.batch_execute("CREATE TABLE notes (id INTEGER); INSERT INTO notes VALUES (1)").unwrap();
    }

    fn refuse_lets_through_reads_other_tables_bypassed_writes_and_hooked_operations(db) {
        let seen = Seen::new();
        let mut conn = db
            .connect(hooked_accounts::<Conn>(&seen))
            .with_config(Config::default().with_unhooked_writes(UnhookedWrites::Refuse));
        accounts::table.count().get_result::<i64>(&mut conn).unwrap();
        diesel::insert_into(audit_log::table)
            .values((audit_log::account_id.eq(1), audit_log::action.eq("not hooked")))
            .execute(&mut conn)
            .unwrap();
        conn.without_hooks(|conn| {
            conn.batch_execute("INSERT INTO accounts (owner, balance, status) VALUES ('bypassed', 1, 'active')")
        })
        .unwrap();
        conn.bulk_create(vec![Account::new("hooked", 2, "active")]).unwrap();
        assert_eq!(seen.all(), ["hooked"]);
        assert_eq!(accounts::table.count().get_result::<i64>(&mut db.raw()).unwrap(), 2);
        // The bypass ended with the closure.
        let after = conn.batch_execute("DELETE FROM accounts; SELECT 1").unwrap_err();
        assert!(unhooked_table(&after).is_some());
    }

    fn warn_and_allow_let_writes_they_cannot_hook_through(db) {
        for (policy, counted) in [(UnhookedWrites::Warn, 2), (UnhookedWrites::Allow, 0)] {
            let seen = Seen::new();
            let mut conn = db
                .connect(hooked_accounts::<Conn>(&seen))
                .with_config(Config::default().with_unhooked_writes(policy));
            for _ in 0..2 {
                conn.batch_execute("INSERT INTO accounts (owner, balance, status) VALUES ('plain', 1, 'active'); SELECT 1")
                    .unwrap();
            }
            assert!(seen.is_empty(), "{policy:?}: no hook runs");
            assert_eq!(conn.unhooked_warnings(), counted, "{policy:?}");
        }
        assert_eq!(accounts::table.count().get_result::<i64>(&mut db.raw()).unwrap(), 4);
    }

    fn execute_and_batch_execute_agree_on_one_statement(db) {
        let seen = Seen::new();
        let mut conn = db.connect(hooked_accounts::<Conn>(&seen));
        let text = "INSERT INTO accounts (owner, balance, status) VALUES ('text', 1, 'active')";
        conn.batch_execute(text).unwrap();
        diesel::sql_query(text).execute(&mut conn).unwrap();
        assert_eq!(seen.all(), ["text", "text"], "hooked both ways");
    }

    fn without_hooks_for_switches_off_one_model_only(db) {
        let seen = Seen::<String>::new();
        let (on_accounts, on_audit) = (seen.clone(), seen.clone());
        let registry = Registry::new()
            .with(Hook::before_create(move |_, b: &mut Batch<Account>| {
                on_accounts.extend(b.news().map(|a| format!("account {}", a.owner)));
                Ok(())
            }))
            .with(Hook::before_create(move |_, b: &mut Batch<AuditEntry>| {
                on_audit.extend(b.news().map(|e| format!("audit {}", e.action)));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        conn.without_hooks_for::<Account, _>(|conn| -> Result<(), Error> {
            conn.bulk_create(vec![Account::new("off", 1, "active")])?;
            conn.bulk_create(vec![AuditEntry::new(1, "on")])?;
            Ok(())
        })
        .unwrap();
        conn.bulk_create(vec![Account::new("on again", 1, "active")]).unwrap();
        assert_eq!(seen.all(), ["audit on", "account on again"]);
    }

    fn without_hooks_ends_when_the_closure_panics(db) {
        let seen = Seen::new();
        let mut conn = db.connect(hooked_accounts::<Conn>(&seen));
        let panicked = catch_unwind(AssertUnwindSafe(|| conn.without_hooks(|_| panic!("inside"))));
        assert!(panicked.is_err());
        conn.bulk_create(vec![Account::new("hooked", 1, "active")]).unwrap();
        assert_eq!(seen.all(), ["hooked"]);
    }

    fn max_depth_of_the_config_limits_nested_hooked_operations(db) {
        let registry = Registry::new().with(Hook::after_create(|ctx: &mut HookContext<'_, Conn>, b: &Batch<AuditEntry>| {
            let next: Vec<AuditEntry> = b
                .news()
                .filter(|e| e.action != "leaf")
                .map(|e| AuditEntry::new(e.account_id, "leaf"))
                .collect();
            ctx.conn().bulk_create(next)?;
            Ok(())
        }));
        let registry = Arc::new(registry);
        let mut shallow = HookedConnection::new(db.raw(), Arc::clone(&registry))
            .with_config(Config::default().with_max_depth(1));
        assert!(shallow.bulk_create(vec![AuditEntry::new(1, "root")]).is_err());
        assert_eq!(audit_log::table.count().get_result::<i64>(&mut db.raw()).unwrap(), 0);
        let mut deep = HookedConnection::new(db.raw(), registry).with_config(Config::default().with_max_depth(2));
        deep.bulk_create(vec![AuditEntry::new(1, "root")]).unwrap();
        assert_eq!(audit_log::table.count().get_result::<i64>(&mut db.raw()).unwrap(), 2);
    }

    fn migrations_run_through_a_hooked_connection(db) {
        let _ = &db;
        let empty = TestDb::<Inner>::empty();
        let mut conn = Conn::establish(empty.url()).unwrap();
        assert!(conn.has_pending_migration(<Inner as TestBackend>::MIGRATIONS).unwrap());
        conn.run_pending_migrations(<Inner as TestBackend>::MIGRATIONS).unwrap();
        assert!(!conn.has_pending_migration(<Inner as TestBackend>::MIGRATIONS).unwrap());
        assert_eq!(accounts::table.count().get_result::<i64>(&mut conn).unwrap(), 0);
    }
}

/// Diesel queries with `RETURNING`, which MySQL does not have (Diesel
/// refuses to compile them for it).
mod returning {
    use super::*;

    backend_suite! {
        backends(sqlite, postgres);

        fn returning_queries_run_through_the_wrapper(db) {
            let mut conn = db.connect(Registry::new());
            let id: i64 = diesel::insert_into(accounts::table)
                .values((accounts::owner.eq("a"), accounts::balance.eq(1), accounts::status.eq("active")))
                .returning(accounts::id)
                .get_result(&mut conn)
                .unwrap();
            let stored: i64 = accounts::table.select(accounts::id).first(&mut conn).unwrap();
            assert_eq!(id, stored);
        }

        fn writes_with_returning_run_their_hooks(db) {
            let seen = Seen::new();
            let mut conn = db
                .connect(hooked_accounts::<Conn>(&seen))
                .with_config(Config::default().with_unhooked_writes(UnhookedWrites::Refuse));
            let id = diesel::insert_into(accounts::table)
                .values((accounts::owner.eq("a"), accounts::balance.eq(1), accounts::status.eq("active")))
                .returning(accounts::id)
                .get_result::<i64>(&mut conn)
                .unwrap();
            let stored: i64 = accounts::table.select(accounts::id).first(&mut db.raw()).unwrap();
            assert_eq!(id, stored);
            assert_eq!(seen.all(), ["a"]);
        }
    }
}

/// `save_changes` through the wrapper: `UPDATE ... RETURNING` on
/// PostgreSQL, UPDATE then find elsewhere (as Diesel's own connections).
mod save_changes {
    use super::*;

    backend_suite! {

        fn save_changes_works_through_the_wrapper(db) {
            let mut conn = db.connect(Registry::new());
            let account = conn.create(Account::new("a", 1, "active")).unwrap();
            let saved: Account = BalanceChange { id: account.id, balance: 99 }
                .save_changes(&mut conn)
                .unwrap();
            assert_eq!(saved.balance, 99);
            assert_eq!(saved.owner, "a");
        }
    }
}
