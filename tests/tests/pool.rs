//! r2d2 pools of hooked connections: one shared registry and config,
//! health checks, and no callback leaking from one checkout to the next.

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::connection::{Connection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, R2D2Connection};
use hooks_diesel::pool::{HookedConnectionManager, HookedPool};
use hooks_diesel::prelude::*;
use hooks_diesel::{Config, InnerConnection, UnhookedWrites};
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;
use r2d2::ManageConnection;

/// Opens a test transaction on every connection the pool makes, as tests
/// with pools commonly do.
#[derive(Debug)]
struct TestTransactions;

impl<C> CustomizeConnection<HookedConnection<C>, diesel::r2d2::Error> for TestTransactions
where
    C: InnerConnection + R2D2Connection + Send,
{
    fn on_acquire(&self, conn: &mut HookedConnection<C>) -> Result<(), diesel::r2d2::Error> {
        conn.begin_test_transaction()
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

fn manager<C>(url: &str, seen: &Seen<String>) -> HookedConnectionManager<C>
where
    C: InnerConnection,
    Account: hooks_diesel::Writable<C::Backend>,
{
    let seen = seen.clone();
    let registry = Registry::new().with(Hook::before_create(move |_, b: &mut Batch<Account>| {
        seen.extend(b.news().map(|a| a.owner.clone()));
        Ok(())
    }));
    HookedConnectionManager::new(url, registry).with_config(
        Config::default()
            .with_chunk_size(7)
            .with_unhooked_writes(UnhookedWrites::Refuse),
    )
}

backend_suite! {
    fn transaction_options_work_over_a_pooled_inner_connection(db) {
        // A hooked connection over Diesel's own r2d2 `PooledConnection`:
        // the BEGIN form is the backend's, not found by downcasting.
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .build(diesel::r2d2::ConnectionManager::<Inner>::new(db.url()))
            .unwrap();
        let seen = Seen::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::before_create(move |_, b: &mut Batch<Account>| {
            s.extend(b.news().map(|a| a.owner.clone()));
            Ok(())
        }));
        let mut conn = HookedConnection::new(pool.get().unwrap(), registry);
        let options = match BACKEND {
            hooks_tests::BackendKind::Sqlite => hooks_diesel::TransactionOptions::new().immediate(),
            _ => hooks_diesel::TransactionOptions::new()
                .isolation(hooks_diesel::IsolationLevel::Serializable),
        };
        conn.transaction_with(options, |conn| {
            conn.bulk_create(vec![Account::new("pooled", 1, "active")])?;
            Ok::<_, hooks_diesel::Error>(())
        })
        .unwrap();
        if BACKEND == hooks_tests::BackendKind::Postgres {
            let level = conn
                .transaction_with(options.read_only(), |conn| {
                    Ok::<_, hooks_diesel::Error>(
                        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                            "current_setting('transaction_isolation')",
                        ))
                        .get_result::<String>(conn)?,
                    )
                })
                .unwrap();
            assert_eq!(level, "serializable");
        }
        assert_eq!(seen.all(), ["pooled"]);
        assert_eq!(accounts::table.count().get_result::<i64>(&mut conn).unwrap(), 1);
    }

    fn pooled_connections_share_the_registry_and_the_config(db) {
        let seen = Seen::new();
        let manager = manager::<Inner>(db.url(), &seen);
        let registry = Arc::clone(manager.registry());
        let pool: HookedPool<Inner> = r2d2::Pool::builder().max_size(4).build(manager).unwrap();
        let mut held = Vec::new();
        for i in 0..4 {
            let mut conn = pool.get().unwrap();
            assert!(Arc::ptr_eq(conn.registry(), &registry));
            assert_eq!(conn.config().chunk_size, 7);
            conn.bulk_create(vec![Account::new(format!("owner {i}"), i, "active")]).unwrap();
            held.push(conn);
        }
        assert_eq!(seen.len(), 4, "every connection ran the shared hooks");
        let refused = held[0].batch_execute("DELETE FROM accounts; SELECT 1");
        assert!(refused.is_err(), "the shared config refuses writes it cannot hook");
        drop(held);
        let mut conn = pool.get().unwrap();
        assert_eq!(accounts::table.count().get_result::<i64>(&mut *conn).unwrap(), 4);
    }

    fn callbacks_do_not_leak_to_the_next_checkout(db) {
        let seen = Seen::<String>::new();
        let pool: HookedPool<Inner> = r2d2::Pool::builder()
            .max_size(1)
            .connection_customizer(Box::new(TestTransactions))
            .build(manager::<Inner>(db.url(), &Seen::new()))
            .unwrap();
        {
            let mut conn = pool.get().unwrap();
            let seen = seen.clone();
            conn.on_commit(move |_| {
                seen.push("leaked".to_string());
                Ok(())
            });
            // Negative case: within the same checkout it is pending.
            assert_eq!(conn.pending_callbacks(), 1);
        }
        let mut conn = pool.get().unwrap();
        assert_eq!(conn.pending_callbacks(), 0);
        assert_eq!(conn.run_pending_callbacks().unwrap(), 0);
        assert!(seen.is_empty());
    }

    fn health_checks_ping_and_flag_open_transactions(db) {
        let manager = manager::<Inner>(db.url(), &Seen::new());
        let mut conn = manager.connect().unwrap();
        assert!(manager.is_valid(&mut conn).is_ok());
        assert!(!manager.has_broken(&mut conn));
        <HookedConnection<Inner> as Connection>::TransactionManager::begin_transaction(&mut conn).unwrap();
        conn.on_commit(|_| Ok(()));
        assert!(manager.has_broken(&mut conn), "an open transaction must not go back to the pool");
        assert_eq!(conn.pending_callbacks(), 0, "check-in drops pending callbacks");
        <HookedConnection<Inner> as Connection>::TransactionManager::rollback_transaction(&mut conn).unwrap();
        assert!(!manager.has_broken(&mut conn));
    }

    fn connect_reports_an_unreachable_database(db) {
        let _ = &db;
        let backend = std::any::TypeId::of::<Inner>();
        let url = if backend == std::any::TypeId::of::<diesel::pg::PgConnection>() {
            "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"
        } else if backend == std::any::TypeId::of::<diesel::mysql::MysqlConnection>() {
            "mysql://nobody@127.0.0.1:1/none"
        } else {
            "/nonexistent/dir/db.sqlite"
        };
        let manager = HookedConnectionManager::<Inner>::new(url, Registry::new());
        assert!(matches!(manager.connect(), Err(diesel::r2d2::Error::ConnectionError(_))));
    }
}
